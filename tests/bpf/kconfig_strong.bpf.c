/* SPDX-License-Identifier: MIT */
/*
 * kconfig_strong.bpf.c - a strong __kconfig extern structops has no default
 * for (CONFIG_BPF_SYSCALL, as test_core_extern.c declares it): load fails
 * naming it unless the host gives its value; and a strong LINUX_ extern
 * libbpf does not know, which fails load whatever the host gives.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern bool CONFIG_BPF_SYSCALL __kconfig;

bool syscall_on;

SEC("syscall")
int read_strong(void *ctx)
{
	syscall_on = CONFIG_BPF_SYSCALL;
	return 0;
}
