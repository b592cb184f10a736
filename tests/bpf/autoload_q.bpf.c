/* SPDX-License-Identifier: MIT */
/*
 * autoload_q.bpf.c - libbpf's "?" section prefix, in the style of the
 * kernel's selftests: "?syscall" programs start with autoload off.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("syscall")
int always(void *ctx)
{
	return 1;
}

SEC("?syscall")
int on_demand(void *ctx)
{
	return 2;
}
