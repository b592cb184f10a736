/* SPDX-License-Identifier: MIT */
/*
 * cache.c - the sharded in-memory cache and its policy bindings (cache.h).
 *
 * Layout: nr_shards shards, each a cache-line aligned struct with a mutex,
 * slots_per_shard slots (key + value) filled in order and then reused by
 * eviction, and a linear-probing index (slot numbers, backward-shift
 * deletion) twice as large as the slot array.
 *
 * The policy is a `struct binding` (ops pointer + generation) published in
 * c->cur. Readers load it inside an RCU read-side section; writers (the
 * control functions, serialized by c->ctl) publish a new one and free the
 * old after a grace period: replace defers it (call_rcu, so a link update
 * never waits for readers), detach waits (synchronize). Each shard remembers the generation
 * it last saw and replays on_insert for its keys when that changes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <structops/runtime.h>
#include <urcu/urcu-bp.h> /* call_rcu of the flavour structops uses (docs/runtime.md) */

#include "cache.h"

#define INDEX_EMPTY UINT32_MAX

struct binding {
	const struct cache_policy_ops *ops;
	uint64_t gen;
	struct rcu_head rcu; /* freeing after a grace period */
};

struct slot {
	uint64_t key;
	struct cache_value val;
};

struct shard {
	pthread_mutex_t lock;
	uint32_t id;
	uint32_t base;     /* global number of slot 0 */
	uint32_t used;     /* slots 0..used-1 are occupied */
	uint32_t hand;     /* round-robin victim when no policy (or a bad one) decides */
	uint64_t seen_gen; /* binding generation whose policy knows this shard's keys */
	uint32_t idx_mask;
	uint32_t *index;
	struct slot *slots;
	uint64_t hits, misses, inserts, updates, evictions, bad_victims, adoptions;
} __attribute__((aligned(64)));

struct cache {
	struct shard *shards;
	uint32_t nr_shards;
	uint32_t slots_per_shard;
	unsigned int shard_shift; /* shard = hash >> shard_shift */
	struct binding *cur;  /* RCU-published: __atomic loads and stores (pahole has no _Atomic) */
	pthread_mutex_t ctl;  /* serializes attach/replace/detach */
	uint64_t next_gen;    /* under ctl */
};

/* splitmix64's finalizer: spreads sequential keys over shards and index positions. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static struct shard *shard_of(const struct cache *c, uint64_t h)
{
	return &c->shards[c->shard_shift >= 64 ? 0 : h >> c->shard_shift];
}

/* --- the index: linear probing over slot numbers --- */

static uint32_t index_find(const struct shard *sh, uint64_t key, uint64_t h)
{
	for (uint32_t pos = (uint32_t)h & sh->idx_mask;; pos = (pos + 1) & sh->idx_mask) {
		uint32_t e = sh->index[pos];

		if (e == INDEX_EMPTY || sh->slots[e].key == key)
			return e;
	}
}

static void index_insert(struct shard *sh, uint64_t h, uint32_t local)
{
	uint32_t pos = (uint32_t)h & sh->idx_mask;

	while (sh->index[pos] != INDEX_EMPTY)
		pos = (pos + 1) & sh->idx_mask;
	sh->index[pos] = local;
}

/* Remove resident @key; later entries of its cluster shift back to keep probes short. */
static void index_remove(struct shard *sh, uint64_t key)
{
	uint32_t mask = sh->idx_mask;
	uint32_t i = (uint32_t)mix64(key) & mask;

	while (sh->slots[sh->index[i]].key != key)
		i = (i + 1) & mask;
	for (uint32_t j = i;;) {
		uint32_t e, home;

		j = (j + 1) & mask;
		e = sh->index[j];
		if (e == INDEX_EMPTY)
			break;
		home = (uint32_t)mix64(sh->slots[e].key) & mask;
		if (((j - home) & mask) < ((j - i) & mask))
			continue; /* its home lies after the hole: it stays */
		sh->index[i] = e;
		i = j;
	}
	sh->index[i] = INDEX_EMPTY;
}

/* --- creation --- */

static int shard_init(struct shard *sh, uint32_t id, uint32_t slots)
{
	uint32_t isize = 2;

	while (isize < 2 * slots)
		isize <<= 1;
	memset(sh, 0, sizeof(*sh));
	sh->id = id;
	sh->base = id * slots;
	sh->idx_mask = isize - 1;
	sh->index = malloc(sizeof(*sh->index) * isize);
	sh->slots = calloc(slots, sizeof(*sh->slots));
	if (!sh->index || !sh->slots) {
		free(sh->index);
		free(sh->slots);
		sh->index = NULL;
		sh->slots = NULL;
		return -ENOMEM;
	}
	memset(sh->index, 0xff, sizeof(*sh->index) * isize);
	pthread_mutex_init(&sh->lock, NULL);
	return 0;
}

static void shard_fini(struct shard *sh)
{
	pthread_mutex_destroy(&sh->lock);
	free(sh->index);
	free(sh->slots);
}

int cache_new(const struct cache_opts *opts, struct cache **out)
{
	struct cache *c;
	uint32_t n = opts ? opts->nr_shards : 0;
	unsigned int bits = 0;

	*out = NULL;
	if (!opts || !n || n > CACHE_MAX_SHARDS || (n & (n - 1)) || !opts->slots_per_shard ||
	    opts->slots_per_shard > CACHE_MAX_SLOTS_PER_SHARD) {
		fprintf(stderr, "cache: bad geometry (shards: a power of two up to %u; slots: 1..%u)\n",
			CACHE_MAX_SHARDS, CACHE_MAX_SLOTS_PER_SHARD);
		return -EINVAL;
	}
	while ((1u << bits) < n)
		bits++;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->shards = aligned_alloc(64, sizeof(*c->shards) * n);
	if (!c->shards) {
		free(c);
		return -ENOMEM;
	}
	memset(c->shards, 0, sizeof(*c->shards) * n);
	c->nr_shards = n;
	c->slots_per_shard = opts->slots_per_shard;
	c->shard_shift = 64 - bits;
	c->next_gen = 1;
	pthread_mutex_init(&c->ctl, NULL);
	for (uint32_t i = 0; i < n; i++) {
		if (shard_init(&c->shards[i], i, c->slots_per_shard)) {
			cache_free(c); /* finishes the shards initialized so far */
			return -ENOMEM;
		}
	}
	*out = c;
	return 0;
}

void cache_free(struct cache *c)
{
	struct binding *b;

	if (!c)
		return;
	urcu_bp_barrier(); /* bindings replaced earlier are freed */
	b = __atomic_load_n(&c->cur, __ATOMIC_RELAXED);
	if (b)
		fprintf(stderr, "cache: freed with policy '%s' still attached\n", b->ops->name);
	free(b);
	for (uint32_t i = 0; c->shards && i < c->nr_shards; i++)
		if (c->shards[i].index)
			shard_fini(&c->shards[i]);
	free(c->shards);
	pthread_mutex_destroy(&c->ctl);
	free(c);
}

uint32_t cache_nr_shards(const struct cache *c)
{
	return c->nr_shards;
}

uint32_t cache_slots_per_shard(const struct cache *c)
{
	return c->slots_per_shard;
}

/* --- the data path --- */

/* The current binding; call inside sops_rcu_read_lock(). */
static const struct binding *binding_get(struct cache *c)
{
	return __atomic_load_n(&c->cur, __ATOMIC_ACQUIRE);
}

/* A shard's first operation under a new binding: teach its policy the resident keys. */
static void shard_sync_policy(struct shard *sh, const struct binding *b)
{
	uint64_t gen = b ? b->gen : 0;

	if (sh->seen_gen == gen)
		return;
	sh->seen_gen = gen;
	if (!b || !b->ops->on_insert)
		return;
	for (uint32_t i = 0; i < sh->used; i++)
		b->ops->on_insert(sh->slots[i].key, sh->base + i);
	sh->adoptions++;
}

/* The local slot to evict from full shard @sh: the policy's choice unless it is invalid. */
static uint32_t shard_pick_victim(struct cache *c, struct shard *sh, const struct binding *b)
{
	uint32_t v;

	if (b) {
		v = b->ops->pick_victim(sh->id);
		if (v >= sh->base && v - sh->base < sh->used)
			return v - sh->base;
		sh->bad_victims++;
	}
	v = sh->hand;
	sh->hand = (sh->hand + 1) % c->slots_per_shard;
	return v;
}

bool cache_get(struct cache *c, uint64_t key, struct cache_value *out, uint64_t *gen)
{
	uint64_t h = mix64(key);
	struct shard *sh = shard_of(c, h);
	const struct binding *b;
	uint32_t i;

	sops_rcu_read_lock();
	b = binding_get(c);
	if (gen)
		*gen = b ? b->gen : 0;
	pthread_mutex_lock(&sh->lock);
	shard_sync_policy(sh, b);
	i = index_find(sh, key, h);
	if (i != INDEX_EMPTY) {
		if (out)
			*out = sh->slots[i].val;
		if (b && b->ops->on_access)
			b->ops->on_access(key, sh->base + i);
		sh->hits++;
	} else {
		sh->misses++;
	}
	pthread_mutex_unlock(&sh->lock);
	sops_rcu_read_unlock();
	return i != INDEX_EMPTY;
}

void cache_put(struct cache *c, uint64_t key, const struct cache_value *val, uint64_t *gen)
{
	uint64_t h = mix64(key);
	struct shard *sh = shard_of(c, h);
	const struct binding *b;
	uint32_t i;

	sops_rcu_read_lock();
	b = binding_get(c);
	if (gen)
		*gen = b ? b->gen : 0;
	pthread_mutex_lock(&sh->lock);
	shard_sync_policy(sh, b);
	i = index_find(sh, key, h);
	if (i != INDEX_EMPTY) {
		sh->slots[i].val = *val;
		if (b && b->ops->on_access)
			b->ops->on_access(key, sh->base + i);
		sh->updates++;
		goto out;
	}
	if (sh->used < c->slots_per_shard) {
		i = sh->used++;
	} else {
		i = shard_pick_victim(c, sh, b);
		if (b && b->ops->on_evict)
			b->ops->on_evict(sh->slots[i].key, sh->base + i);
		index_remove(sh, sh->slots[i].key);
		sh->evictions++;
	}
	sh->slots[i].key = key;
	sh->slots[i].val = *val;
	index_insert(sh, h, i);
	if (b && b->ops->on_insert)
		b->ops->on_insert(key, sh->base + i);
	sh->inserts++;
out:
	pthread_mutex_unlock(&sh->lock);
	sops_rcu_read_unlock();
}

void cache_stats(struct cache *c, struct cache_stats *st)
{
	const struct binding *b;

	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < c->nr_shards; i++) {
		struct shard *sh = &c->shards[i];

		pthread_mutex_lock(&sh->lock);
		st->hits += sh->hits;
		st->misses += sh->misses;
		st->inserts += sh->inserts;
		st->updates += sh->updates;
		st->evictions += sh->evictions;
		st->bad_victims += sh->bad_victims;
		st->adoptions += sh->adoptions;
		pthread_mutex_unlock(&sh->lock);
	}
	sops_rcu_read_lock();
	b = binding_get(c);
	st->policy_gen = b ? b->gen : 0;
	sops_rcu_read_unlock();
}

/* --- policy bindings --- */

int cache_policy_check(const struct cache_policy_ops *ops)
{
	if (!ops->pick_victim) {
		fprintf(stderr, "cache: policy has no pick_victim\n");
		return -EINVAL;
	}
	if (!memchr(ops->name, '\0', sizeof(ops->name)) || !ops->name[0]) {
		fprintf(stderr, "cache: policy name empty or not NUL-terminated\n");
		return -EINVAL;
	}
	return 0;
}

/* A binding for @ops after its init accepted the cache; under c->ctl. */
static int binding_new(struct cache *c, const struct cache_policy_ops *ops, struct binding **out)
{
	struct binding *b;
	int err = 0;

	if (ops->init) {
		sops_rcu_read_lock();
		err = ops->init(c->nr_shards, c->slots_per_shard);
		sops_rcu_read_unlock();
	}
	if (err) {
		fprintf(stderr, "cache: policy '%s' init refused the cache: %s\n", ops->name,
			strerror(err < 0 ? -err : err));
		return err < 0 ? err : -EINVAL;
	}
	b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ops = ops;
	b->gen = c->next_gen++;
	*out = b;
	return 0;
}

static void binding_free_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, struct binding, rcu));
}

int cache_policy_attach(struct cache *c, const struct cache_policy_ops *ops)
{
	struct binding *b;
	int err;

	pthread_mutex_lock(&c->ctl);
	if (__atomic_load_n(&c->cur, __ATOMIC_RELAXED)) {
		fprintf(stderr, "cache: a policy is attached already\n");
		err = -EBUSY;
	} else {
		err = binding_new(c, ops, &b);
		if (!err)
			__atomic_store_n(&c->cur, b, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&c->ctl);
	return err;
}

int cache_policy_replace(struct cache *c, const struct cache_policy_ops *ops,
			 const struct cache_policy_ops *old_ops)
{
	struct binding *old, *b = NULL;
	int err;

	pthread_mutex_lock(&c->ctl);
	old = __atomic_load_n(&c->cur, __ATOMIC_RELAXED);
	if (!old || old->ops != old_ops) {
		fprintf(stderr, "cache: replace: the old policy is not the current one\n");
		err = -EINVAL;
	} else {
		err = binding_new(c, ops, &b);
	}
	if (!err) {
		__atomic_store_n(&c->cur, b, __ATOMIC_RELEASE);
		urcu_bp_call_rcu(&old->rcu, binding_free_rcu); /* once no reader can see it */
	}
	pthread_mutex_unlock(&c->ctl);
	return err;
}

void cache_policy_detach(struct cache *c, const struct cache_policy_ops *ops)
{
	struct binding *old;

	pthread_mutex_lock(&c->ctl);
	old = __atomic_load_n(&c->cur, __ATOMIC_RELAXED);
	if (old && old->ops == ops) {
		__atomic_store_n(&c->cur, NULL, __ATOMIC_RELEASE);
		sops_rcu_synchronize();
		free(old);
	}
	pthread_mutex_unlock(&c->ctl);
}

void cache_policy_name(struct cache *c, char *buf, size_t size)
{
	const struct binding *b;

	sops_rcu_read_lock();
	b = binding_get(c);
	snprintf(buf, size, "%s", b ? b->ops->name : "none");
	sops_rcu_read_unlock();
}

/* --- measuring op calls --- */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int cache_bench_ops(struct cache *c, uint32_t iters, double *access_ns, double *victim_ns)
{
	struct shard *sh = &c->shards[0];
	const struct binding *b;
	volatile uint32_t sink = 0;
	int err = 0;
	double t0;

	sops_rcu_read_lock();
	b = binding_get(c);
	pthread_mutex_lock(&sh->lock);
	if (!b || !b->ops->on_access || sh->used < c->slots_per_shard || !iters) {
		err = -EINVAL;
		goto out;
	}
	shard_sync_policy(sh, b);
	t0 = now_ns();
	for (uint32_t i = 0, s = 0; i < iters; i++) {
		b->ops->on_access(sh->slots[s].key, sh->base + s);
		if (++s == sh->used)
			s = 0;
	}
	*access_ns = (now_ns() - t0) / iters;
	t0 = now_ns();
	for (uint32_t i = 0; i < iters; i++)
		sink += b->ops->pick_victim(sh->id);
	*victim_ns = (now_ns() - t0) / iters;
	(void)sink;
out:
	pthread_mutex_unlock(&sh->lock);
	sops_rcu_read_unlock();
	return err;
}
