/* SPDX-License-Identifier: MIT */
/*
 * policy.h - what the BPF policies share: the size of their state arrays and
 * the includes every struct_ops program starts with. cache_host.h is the
 * cache's BTF printed by `structops btf dump --format c` (the build makes it);
 * it declares struct cache_policy_ops and the u32/u64/s32 types.
 */
#ifndef CACHE_POLICY_BPF_H
#define CACHE_POLICY_BPF_H

#include <linux/types.h>
#include <linux/bpf.h>
#include "cache_host.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Largest cache a policy accepts (init refuses bigger ones with -E2BIG). */
#define MAX_SLOTS (1u << 15)
#define MAX_SHARDS 256u
#define NIL 0xffffffffu
#define E2BIG 7

/* init's common check: the geometry fits the arrays. */
static __always_inline int geometry_ok(u32 nr_shards, u32 slots_per_shard)
{
	return nr_shards && slots_per_shard && nr_shards <= MAX_SHARDS &&
	       (u64)nr_shards * slots_per_shard <= MAX_SLOTS;
}

#endif /* CACHE_POLICY_BPF_H */
