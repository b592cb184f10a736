/* SPDX-License-Identifier: MIT */
/*
 * lfu.bpf.c - least frequently used, sampled: evict the slot read the fewest
 * times among a window of WINDOW slots under a per-shard clock hand.
 *
 * State in global arrays (the object's .bss map): a saturating access count
 * per slot and a hand per shard. An insert sets the count to 1, a hit adds
 * one; pick_victim looks at the WINDOW slots from the hand, returns the first
 * with the lowest count and moves the hand past the window, so every slot
 * is looked at once per sweep and an eviction costs O(WINDOW), as the
 * sampled LFU of Redis. No aging: suited to a stable hot set.
 *
 * Strength (what the demo shows): keys read once by a scan keep count 1 and
 * are the first to go, so the hot keys stay.
 */
#include "policy.h"

char LICENSE[] SEC("license") = "GPL";

#define WINDOW 8u
#define COUNT_MAX 0xffffu

u32 counts[MAX_SLOTS];
u32 hands[MAX_SHARDS];
u32 slots_per_shard = 1;

SEC("struct_ops/init")
s32 BPF_PROG(lfu_init, u32 nr_shards, u32 nr_slots)
{
	if (!geometry_ok(nr_shards, nr_slots))
		return -E2BIG;
	slots_per_shard = nr_slots;
	for (u32 i = 0; i < MAX_SHARDS; i++) {
		barrier_var(i); /* no memset in BPF */
		hands[i] = 0;
	}
	return 0;
}

SEC("struct_ops/pick_victim")
u32 BPF_PROG(lfu_pick_victim, u32 shard)
{
	u32 n = slots_per_shard, hand, base, victim, best = COUNT_MAX + 1;
	u32 window = n < WINDOW ? n : WINDOW;

	if (shard >= MAX_SHARDS)
		return NIL;
	hand = hands[shard];
	base = shard * n;
	victim = base + hand;
	for (u32 i = 0; i < WINDOW && i < window; i++) {
		u32 j = hand + i, slot, c;

		if (j >= n)
			j -= n;
		slot = base + j;
		if (slot >= MAX_SLOTS)
			break;
		c = counts[slot];
		if (c < best) {
			best = c;
			victim = slot;
		}
	}
	hand += window;
	hands[shard] = hand >= n ? hand - n : hand;
	return victim;
}

SEC("struct_ops/on_access")
void BPF_PROG(lfu_on_access, u64 key, u32 slot)
{
	if (slot < MAX_SLOTS && counts[slot] < COUNT_MAX)
		counts[slot]++;
}

SEC("struct_ops/on_insert")
void BPF_PROG(lfu_on_insert, u64 key, u32 slot)
{
	if (slot < MAX_SLOTS)
		counts[slot] = 1;
}

SEC("struct_ops/on_evict")
void BPF_PROG(lfu_on_evict, u64 key, u32 slot)
{
	if (slot < MAX_SLOTS)
		counts[slot] = 0;
}

SEC(".struct_ops.link")
struct cache_policy_ops lfu = {
	.init = (void *)lfu_init,
	.pick_victim = (void *)lfu_pick_victim,
	.on_access = (void *)lfu_on_access,
	.on_insert = (void *)lfu_on_insert,
	.on_evict = (void *)lfu_on_evict,
	.name = "lfu",
};
