/* SPDX-License-Identifier: MIT */
/*
 * cache_policy.h - the cache's eviction policy ops table: the struct_ops type
 * BPF programs implement.
 *
 * Shaped like a kernel ops struct (tcp_congestion_ops, sched_ext_ops): small,
 * scalar arguments only, one optional init, a name. The cache calls the ops
 * with the slot's shard locked, so a policy sees the events of one shard in
 * order and may keep per-shard structures (lists, clock hands) without locks
 * of its own; different shards call in parallel.
 *
 * Slots are numbered globally: slot = shard * slots_per_shard + index. A
 * policy keeps its state in its own BPF maps (global arrays), so two policies
 * coexist and one can be swapped for the other while the cache runs.
 *
 * This header is compiled into the host (whose BTF describes the type) and is
 * not seen by BPF programs: they get the type from the host's BTF through
 * `structops btf dump --format c`.
 */
#ifndef CACHE_POLICY_H
#define CACHE_POLICY_H

#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef int32_t s32;

#define CACHE_POLICY_NAME_LEN 16

struct cache_policy_ops {
	/*
	 * Attach time (before the first other op): the cache's geometry. Reset
	 * all state. 0, or a negative errno refusing the cache (e.g. -E2BIG
	 * when the policy's maps are too small). Optional.
	 */
	s32 (*init)(u32 nr_shards, u32 slots_per_shard);
	/* Shard @shard is full: the slot to evict (a slot of that shard). Required. */
	u32 (*pick_victim)(u32 shard);
	/* @key, cached in @slot, was read (a hit). Optional. */
	void (*on_access)(u64 key, u32 slot);
	/* @key now occupies @slot. Also replayed for resident keys when a policy takes over. Optional. */
	void (*on_insert)(u64 key, u32 slot);
	/* @key leaves @slot (after pick_victim chose it). Optional. */
	void (*on_evict)(u64 key, u32 slot);
	/* The policy's name, for reports. */
	char name[CACHE_POLICY_NAME_LEN];
};

#endif /* CACHE_POLICY_H */
