/* SPDX-License-Identifier: MIT */
/*
 * lru.bpf.c - least recently used: evict the slot whose key was touched
 * longest ago.
 *
 * One doubly linked list per shard, most recent at the head, kept in global
 * arrays (the object's .bss map): nodes[] by slot, lists[] by shard. Every op
 * is O(1): an access or insert moves the slot to the head, an eviction
 * unlinks it, and the victim is the tail. The cache calls a shard's ops with
 * that shard locked, so each list has one writer at a time.
 *
 * Weakness (what the demo shows): a scan of keys read once pushes every one
 * of them through the whole list, evicting hot keys on its way.
 */
#include "policy.h"

char LICENSE[] SEC("license") = "GPL";

struct lru_node {
	u32 prev, next;
	u32 list; /* shard + 1 while linked, 0 when not */
};

struct lru_list {
	u32 head, tail;
};

struct lru_node nodes[MAX_SLOTS];
struct lru_list lists[MAX_SHARDS];
u32 slots_per_shard = 1;

static __always_inline struct lru_node *node_at(u32 slot)
{
	if (slot >= MAX_SLOTS)
		return NULL;
	/*
	 * The verifier sees the bound on the register it tests; clang may index
	 * with a copy it made before the test. The mask (a no-op for a power
	 * of two) keeps the bound on the register used, and the empty asm stops
	 * clang from dropping it.
	 */
	asm volatile("" : "+r"(slot));
	return &nodes[slot & (MAX_SLOTS - 1)];
}

/* The same for lists[]: callers have checked @shard < MAX_SHARDS. */
static __always_inline struct lru_list *list_at(u32 shard)
{
	asm volatile("" : "+r"(shard));
	return &lists[shard & (MAX_SHARDS - 1)];
}

static __always_inline void unlink_slot(u32 slot)
{
	struct lru_node *n = node_at(slot), *p, *q;
	struct lru_list *l;

	if (!n || !n->list || n->list > MAX_SHARDS)
		return;
	l = list_at(n->list - 1);
	p = node_at(n->prev);
	q = node_at(n->next);
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

static __always_inline void push_front(u32 slot, u32 shard)
{
	struct lru_node *n = node_at(slot), *h;
	struct lru_list *l;

	if (!n || shard >= MAX_SHARDS)
		return;
	l = list_at(shard);
	n->prev = NIL;
	n->next = l->head;
	h = node_at(l->head);
	if (h)
		h->prev = slot;
	else
		l->tail = slot;
	l->head = slot;
	n->list = shard + 1;
}

SEC("struct_ops/init")
s32 BPF_PROG(lru_init, u32 nr_shards, u32 nr_slots)
{
	if (!geometry_ok(nr_shards, nr_slots))
		return -E2BIG;
	slots_per_shard = nr_slots;
	/* barrier_var: keep the loops (clang would make them memset calls, which BPF lacks) */
	for (u32 i = 0; i < MAX_SHARDS; i++) {
		barrier_var(i);
		lists[i].head = NIL;
		lists[i].tail = NIL;
	}
	for (u32 i = 0; i < MAX_SLOTS; i++) {
		barrier_var(i);
		nodes[i].list = 0;
	}
	return 0;
}

SEC("struct_ops/pick_victim")
u32 BPF_PROG(lru_pick_victim, u32 shard)
{
	return shard < MAX_SHARDS ? lists[shard].tail : NIL;
}

SEC("struct_ops/on_access")
void BPF_PROG(lru_on_access, u64 key, u32 slot)
{
	struct lru_node *n = node_at(slot);
	u32 shard;

	if (!n)
		return;
	if (!n->list) { /* not known yet: an insert */
		push_front(slot, slot / slots_per_shard);
		return;
	}
	shard = n->list - 1;
	if (shard >= MAX_SHARDS || lists[shard].head == slot)
		return; /* already the most recent */
	unlink_slot(slot);
	push_front(slot, shard);
}

SEC("struct_ops/on_insert")
void BPF_PROG(lru_on_insert, u64 key, u32 slot)
{
	unlink_slot(slot);
	push_front(slot, slot / slots_per_shard);
}

SEC("struct_ops/on_evict")
void BPF_PROG(lru_on_evict, u64 key, u32 slot)
{
	unlink_slot(slot);
}

SEC(".struct_ops.link")
struct cache_policy_ops lru = {
	.init = (void *)lru_init,
	.pick_victim = (void *)lru_pick_victim,
	.on_access = (void *)lru_on_access,
	.on_insert = (void *)lru_on_insert,
	.on_evict = (void *)lru_on_evict,
	.name = "lru",
};
