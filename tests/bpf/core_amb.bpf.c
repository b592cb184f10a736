/* SPDX-License-Identifier: MIT */
/*
 * core_amb.bpf.c - a CO-RE relocation with two host candidates that disagree
 * (struct core_amb___a and ___b in host_types.h put x at different offsets):
 * the load must fail with a message, as libbpf's does.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct core_amb {
	int x;
} __attribute__((preserve_access_index));

SEC("syscall")
int core_amb_prog(struct core_amb *a)
{
	return a->x;
}
