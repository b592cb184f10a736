/* SPDX-License-Identifier: MIT */
/*
 * native_policy.c - LRU and sampled LFU in C (native_policy.h), line for line
 * the BPF policies, for the demo's cost comparison.
 */
#include <errno.h>
#include <stddef.h>

#include "native_policy.h"

#define MAX_SLOTS (1u << 15)
#define MAX_SHARDS 256u
#define NIL 0xffffffffu
#define WINDOW 8u
#define COUNT_MAX 0xffffu

static int geometry_ok(u32 nr_shards, u32 slots_per_shard)
{
	return nr_shards && slots_per_shard && nr_shards <= MAX_SHARDS &&
	       (u64)nr_shards * slots_per_shard <= MAX_SLOTS;
}

/* --- LRU: a doubly linked list per shard --- */

struct lru_node {
	u32 prev, next, list;
};

struct lru_list {
	u32 head, tail;
};

static struct lru_node lru_nodes[MAX_SLOTS];
static struct lru_list lru_lists[MAX_SHARDS];
static u32 lru_sps = 1;

static struct lru_node *lru_node_at(u32 slot)
{
	return slot < MAX_SLOTS ? &lru_nodes[slot] : NULL;
}

static void lru_unlink(u32 slot)
{
	struct lru_node *n = lru_node_at(slot), *p, *q;
	struct lru_list *l;

	if (!n || !n->list || n->list > MAX_SHARDS)
		return;
	l = &lru_lists[n->list - 1];
	p = lru_node_at(n->prev);
	q = lru_node_at(n->next);
	if (p)
		p->next = n->next;
	else
		l->head = n->next;
	if (q)
		q->prev = n->prev;
	else
		l->tail = n->prev;
	n->list = 0;
}

static void lru_push_front(u32 slot, u32 shard)
{
	struct lru_node *n = lru_node_at(slot), *h;
	struct lru_list *l;

	if (!n || shard >= MAX_SHARDS)
		return;
	l = &lru_lists[shard];
	n->prev = NIL;
	n->next = l->head;
	h = lru_node_at(l->head);
	if (h)
		h->prev = slot;
	else
		l->tail = slot;
	l->head = slot;
	n->list = shard + 1;
}

static s32 lru_init(u32 nr_shards, u32 nr_slots)
{
	if (!geometry_ok(nr_shards, nr_slots))
		return -E2BIG;
	lru_sps = nr_slots;
	for (u32 i = 0; i < MAX_SHARDS; i++)
		lru_lists[i] = (struct lru_list){ NIL, NIL };
	for (u32 i = 0; i < MAX_SLOTS; i++)
		lru_nodes[i].list = 0;
	return 0;
}

static u32 lru_pick_victim(u32 shard)
{
	return shard < MAX_SHARDS ? lru_lists[shard].tail : NIL;
}

static void lru_on_access(u64 key, u32 slot)
{
	struct lru_node *n = lru_node_at(slot);
	u32 shard;

	if (!n)
		return;
	if (!n->list) {
		lru_push_front(slot, slot / lru_sps);
		return;
	}
	shard = n->list - 1;
	if (shard >= MAX_SHARDS || lru_lists[shard].head == slot)
		return;
	lru_unlink(slot);
	lru_push_front(slot, shard);
}

static void lru_on_insert(u64 key, u32 slot)
{
	lru_unlink(slot);
	lru_push_front(slot, slot / lru_sps);
}

static void lru_on_evict(u64 key, u32 slot)
{
	lru_unlink(slot);
}

const struct cache_policy_ops native_lru_ops = {
	.init = lru_init,
	.pick_victim = lru_pick_victim,
	.on_access = lru_on_access,
	.on_insert = lru_on_insert,
	.on_evict = lru_on_evict,
	.name = "lru (C)",
};

/* --- LFU: counts and a clock hand per shard --- */

static u32 lfu_counts[MAX_SLOTS];
static u32 lfu_hands[MAX_SHARDS];
static u32 lfu_sps = 1;

static s32 lfu_init(u32 nr_shards, u32 nr_slots)
{
	if (!geometry_ok(nr_shards, nr_slots))
		return -E2BIG;
	lfu_sps = nr_slots;
	for (u32 i = 0; i < MAX_SHARDS; i++)
		lfu_hands[i] = 0;
	return 0;
}

static u32 lfu_pick_victim(u32 shard)
{
	u32 n = lfu_sps, hand, base, victim, best = COUNT_MAX + 1;
	u32 window = n < WINDOW ? n : WINDOW;

	if (shard >= MAX_SHARDS)
		return NIL;
	hand = lfu_hands[shard];
	base = shard * n;
	victim = base + hand;
	for (u32 i = 0; i < window; i++) {
		u32 j = hand + i, slot;

		if (j >= n)
			j -= n;
		slot = base + j;
		if (slot >= MAX_SLOTS)
			break;
		if (lfu_counts[slot] < best) {
			best = lfu_counts[slot];
			victim = slot;
		}
	}
	hand += window;
	lfu_hands[shard] = hand >= n ? hand - n : hand;
	return victim;
}

static void lfu_on_access(u64 key, u32 slot)
{
	if (slot < MAX_SLOTS && lfu_counts[slot] < COUNT_MAX)
		lfu_counts[slot]++;
}

static void lfu_on_insert(u64 key, u32 slot)
{
	if (slot < MAX_SLOTS)
		lfu_counts[slot] = 1;
}

static void lfu_on_evict(u64 key, u32 slot)
{
	if (slot < MAX_SLOTS)
		lfu_counts[slot] = 0;
}

const struct cache_policy_ops native_lfu_ops = {
	.init = lfu_init,
	.pick_victim = lfu_pick_victim,
	.on_access = lfu_on_access,
	.on_insert = lfu_on_insert,
	.on_evict = lfu_on_evict,
	.name = "lfu (C)",
};
