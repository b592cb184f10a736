/* SPDX-License-Identifier: MIT */
/*
 * maps.bpf.c - the map lookup benchmark's programs (see maps.h), built with
 * clang -target bpf into an ELF object that the harness loads through the
 * object loader into a runtime, which creates the maps.
 *
 * hash_lookup / array_lookup: MB_LOOKUPS bpf_map_lookup_elem calls on a
 * HASH / ARRAY map (u32 key, u64 value), summing the values found into
 * ctx->sum. The same loops in C over a native table are in maps_native.c.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MB_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} hmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MB_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} amap SEC(".maps");

int hash_lookup(struct mb_ctx *ctx);
int array_lookup(struct mb_ctx *ctx);

SEC("syscall")
int hash_lookup(struct mb_ctx *ctx)
{
	__u64 sum = 0;

	for (__u32 i = 0; i < MB_LOOKUPS; i++) {
		__u32 key = MB_KEY(i);
		__u64 *v = bpf_map_lookup_elem(&hmap, &key);

		if (v)
			sum += *v;
	}
	ctx->sum = sum;
	return 0;
}

SEC("syscall")
int array_lookup(struct mb_ctx *ctx)
{
	__u64 sum = 0;

	for (__u32 i = 0; i < MB_LOOKUPS; i++) {
		__u32 key = MB_KEY(i);
		__u64 *v = bpf_map_lookup_elem(&amap, &key);

		if (v)
			sum += *v;
	}
	ctx->sum = sum;
	return 0;
}
