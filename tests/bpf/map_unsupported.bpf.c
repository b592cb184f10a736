/* SPDX-License-Identifier: MIT */
/*
 * map_unsupported.bpf.c - a BTF-defined map of a type the runtime does not
 * have (BPF_MAP_TYPE_STACK): creating it fails, and load says so in
 * libbpf's words ("map 'stack': failed to create: -EINVAL").
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, __u32);
} stack SEC(".maps");

SEC("syscall")
int push(void *ctx)
{
	__u32 v = 1;

	return bpf_map_push_elem(&stack, &v, 0);
}
