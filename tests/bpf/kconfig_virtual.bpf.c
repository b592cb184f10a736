/* SPDX-License-Identifier: MIT */
/*
 * kconfig_virtual.bpf.c - a strong LINUX_ __kconfig extern that is not one
 * of libbpf's virtual externs: load fails naming it, as in libbpf.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern int LINUX_NO_SUCH_THING __kconfig;

int seen;

SEC("syscall")
int read_virtual(void *ctx)
{
	seen = LINUX_NO_SUCH_THING;
	return 0;
}
