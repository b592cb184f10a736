/* SPDX-License-Identifier: MIT */
/*
 * kconfig_badtype.bpf.c - a __kconfig extern of a type libbpf cannot fill
 * (a struct): open fails with -ENOTSUP naming it.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct kcfg_pair {
	int a, b;
};

extern struct kcfg_pair CONFIG_PAIR __kconfig __weak;

int seen;

SEC("syscall")
int read_pair(void *ctx)
{
	seen = CONFIG_PAIR.a;
	return 0;
}
