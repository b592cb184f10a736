/* SPDX-License-Identifier: MIT */
/*
 * extern_plain.bpf.c - an extern variable that is neither __ksym nor
 * __kconfig: it has no BTF in .ksyms or .kconfig, and open fails with
 * libbpf's "failed to find BTF for extern" and -ENOENT.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern int plain_extern;

SEC("syscall")
int use_plain(void *ctx)
{
	return plain_extern;
}
