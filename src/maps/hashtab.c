/* SPDX-License-Identifier: MIT */
/*
 * hashtab.c - HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH maps.
 *
 * Memory is bounded and allocated once: every element (header + key) and every
 * value slot is preallocated at creation (the kernel's default, preallocated
 * hash maps), so the hot paths never allocate and an update can only fail
 * with the kernel's errnos.
 *
 * Readers take no lock. Buckets are singly linked "nulls" lists (as the
 * kernel's hlist_nulls): a chain ends with a marker holding its bucket
 * index. An element may be deleted and reused for another key while a reader
 * stands on it; the reader then ends in another bucket's marker and restarts.
 * Writers lock one bucket (a spinlock that yields; buckets share lock
 * stripes, kept apart so the heads readers walk stay 8 bytes), take elements from
 * sharded free lists and return deleted ones immediately, like the kernel's
 * preallocated maps: a program holding a value pointer of a deleted element
 * may see it reused (the kernel documents the same).
 *
 * Values sit apart from the headers in one contiguous block, so checked mode
 * can allow exactly that block and a wild write cannot corrupt chain links.
 *
 * Trusted programs run on the JIT get the lookup inlined (htab_gen_lookup
 * below, for keys of up to 32 bytes): the same hash and walk as instructions.
 *
 * LRU: the pool has exactly max_entries elements. When it is empty, an update
 * evicts with a CLOCK sweep (second chance): lookups set a reference bit, the
 * sweep clears it and evicts the first element found without it. The kernel's
 * LRU is also an approximation (per-CPU lists, active/inactive); this one is
 * simpler and needs no list maintenance on the lookup path.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/gen_insn.h"
#include "../runtime/rt_internal.h"

#define HTAB_FLAGS                                                                                 \
	(SOPS_BPF_F_NO_PREALLOC | SOPS_BPF_F_NO_COMMON_LRU | SOPS_BPF_F_NUMA_NODE |                 \
	 SOPS_BPF_F_RDONLY | SOPS_BPF_F_WRONLY | SOPS_BPF_F_RDONLY_PROG | SOPS_BPF_F_WRONLY_PROG |  \
	 SOPS_BPF_F_ZERO_SEED)
#define MAX_KEY_SIZE 512 /* MAX_BPF_STACK */
#define NR_SHARDS 16
#define EXTRA_ELEMS 64 /* spare elements for replacing existing keys (non-LRU) */
/*
 * Buckets per entry (rounded up to a power of two). Two keeps chains short:
 * most lookups of absent keys end at an empty bucket and most hits are the
 * first element, which keeps the lookup's branches predictable.
 */
#define BUCKETS_PER_ENTRY 2
#define MAX_LOCKS 256 /* writer lock stripes */
#define NULLS(b) (((uintptr_t)(b) << 1) | 1)
#define IS_NULLS(p) ((p) & 1)

enum { ELEM_FREE = 0, ELEM_USED = 1 };

struct htab_elem {
	_Atomic uintptr_t next; /* chain link or nulls marker */
	uint32_t hash;
	atomic_uchar ref;   /* LRU: looked up since the last sweep */
	atomic_uchar state; /* ELEM_FREE / ELEM_USED, changed under the bucket lock */
	uint32_t free_next; /* free list link (index + 1), separate from the chain */
	uint32_t idx;
	char key[] __attribute__((aligned(8)));
};

/* Chain heads alone, 8 bytes each: the array that lookups walk stays small. */
struct bucket {
	_Atomic uintptr_t head;
};

/* A writer lock on its own cache line: writers on different stripes do not share a line. */
struct lock_stripe {
	atomic_int lock;
} __attribute__((aligned(64)));

struct freelist {
	atomic_int lock;
	atomic_uint head; /* index + 1; 0 = empty */
	char pad[56];
};

struct rt_htab {
	struct rt_map map;
	struct bucket *buckets;
	struct lock_stripe *locks; /* writers: bucket bi is guarded by locks[bi & lock_mask] */
	uint32_t lock_mask;
	uint32_t n_buckets;
	uint32_t n_elems;
	uint32_t elem_size;
	uint32_t vsz;          /* round_up(value_size, 8): one slot */
	uint32_t value_stride; /* vsz, times nr_cpus for per-CPU maps */
	char *elems;
	char *values;
	size_t values_size;
	bool percpu, lru;
	uint64_t seed;
	atomic_int count;
	struct freelist fl[NR_SHARDS];
	pthread_mutex_t evict_lock;
	uint32_t clock_hand;
};

#define to_htab(m) caa_container_of(m, struct rt_htab, map)

static inline struct htab_elem *elem_at(struct rt_htab *h, uint32_t idx)
{
	return (struct htab_elem *)(h->elems + (size_t)idx * h->elem_size);
}

/* The lock of bucket @bi. No path holds two bucket locks, so stripes may be shared. */
static inline atomic_int *bucket_lock(struct rt_htab *h, uint32_t bi)
{
	return &h->locks[bi & h->lock_mask].lock;
}

static inline char *elem_value(struct rt_htab *h, struct htab_elem *e)
{
	return h->values + (size_t)e->idx * h->value_stride;
}

/*
 * The hash's constants, named once: htab_gen_lookup() emits the same
 * arithmetic as instructions and must stay bit-exact with these functions.
 */
#define MIX_SHIFT 33
static const uint64_t mix_mul[2] = { 0xff51afd7ed558ccdULL, 0xc4ceb9fe1a85ec53ULL };
#define GOLDEN 0x9e3779b97f4a7c15ULL
#define FOLD_HI 32
#define FOLD_LO 17

static inline uint64_t mix(uint64_t x)
{
	x ^= x >> MIX_SHIFT;
	x *= mix_mul[0];
	x ^= x >> MIX_SHIFT;
	x *= mix_mul[1];
	x ^= x >> MIX_SHIFT;
	return x;
}

/* One multiply and a fold: cheap, and every key bit reaches the low bits the buckets use. */
static inline uint32_t fold64(uint64_t x)
{
	x *= GOLDEN;
	return (uint32_t)(x >> FOLD_HI) ^ (uint32_t)(x >> FOLD_LO);
}

/*
 * Keys are read with fixed-size loads only: a byte loop into a word would
 * stall on store forwarding (measured: 20 ns per lookup for 4-byte keys).
 */
static inline uint32_t htab_hash(const struct rt_htab *h, const void *key, uint32_t len)
{
	const unsigned char *p = key;
	uint64_t acc = h->seed ^ len, w;

	if (len == 4) {
		uint32_t k;

		memcpy(&k, p, 4);
		return fold64(acc ^ k);
	}
	if (len == 8) {
		memcpy(&w, p, 8);
		return fold64(mix(acc ^ w));
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		acc = mix(acc ^ w);
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t tail = 0;
		unsigned int shift = 0;

		if (len & 4) {
			uint32_t v;

			memcpy(&v, p, 4);
			tail = v;
			p += 4;
			shift = 32;
		}
		if (len & 2) {
			uint16_t v;

			memcpy(&v, p, 2);
			tail |= (uint64_t)v << shift;
			p += 2;
			shift += 16;
		}
		if (len & 1)
			tail |= (uint64_t)*p << shift;
		acc = mix(acc ^ tail ^ GOLDEN);
	}
	return fold64(acc);
}

static inline bool key_eq(const void *a, const void *b, uint32_t len)
{
	if (len == 4)
		return *(const uint32_t *)a == *(const uint32_t *)b;
	if (len == 8) {
		uint64_t x, y;

		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x == y;
	}
	return !memcmp(a, b, len);
}

/* --- free lists --- */

static uint32_t shard_of_caller(void)
{
	return rt_cpu_mod(NR_SHARDS);
}

static void fl_push(struct rt_htab *h, struct htab_elem *e)
{
	struct freelist *fl = &h->fl[shard_of_caller()];

	rt_spin_lock(&fl->lock);
	e->free_next = fl->head;
	fl->head = e->idx + 1;
	rt_spin_unlock(&fl->lock);
}

static struct htab_elem *fl_pop(struct rt_htab *h)
{
	uint32_t first = shard_of_caller();

	for (uint32_t i = 0; i < NR_SHARDS; i++) {
		struct freelist *fl = &h->fl[(first + i) % NR_SHARDS];
		struct htab_elem *e = NULL;

		if (!fl->head) /* racy peek; the locked check below decides */
			continue;
		rt_spin_lock(&fl->lock);
		if (fl->head) {
			e = elem_at(h, fl->head - 1);
			fl->head = e->free_next;
		}
		rt_spin_unlock(&fl->lock);
		if (e)
			return e;
	}
	return NULL;
}

/* --- lookup (lock-free) --- */

static struct htab_elem *lookup_nulls(struct rt_htab *h, uint32_t hash, const void *key)
{
	uint32_t bi = hash & (h->n_buckets - 1);
	uint32_t ks = h->map.key_size;
	uintptr_t p;

again:
	p = atomic_load_explicit(&h->buckets[bi].head, memory_order_acquire);
	while (!IS_NULLS(p)) {
		struct htab_elem *e = (struct htab_elem *)p;

		if (e->hash == hash && key_eq(e->key, key, ks))
			return e;
		p = atomic_load_explicit(&e->next, memory_order_acquire);
	}
	/* Ended in another bucket's chain: an element we walked was moved. Retry. */
	if (p != NULLS(bi))
		goto again;
	return NULL;
}

/* Under the bucket lock: the element with @key, and the link pointing at it. */
static struct htab_elem *find_locked(struct rt_htab *h, struct bucket *b, uint32_t hash,
				     const void *key, _Atomic uintptr_t **link)
{
	_Atomic uintptr_t *l = &b->head;
	uintptr_t p;

	while (!IS_NULLS(p = atomic_load_explicit(l, memory_order_relaxed))) {
		struct htab_elem *e = (struct htab_elem *)p;

		if (e->hash == hash && key_eq(e->key, key, h->map.key_size)) {
			*link = l;
			return e;
		}
		l = &e->next;
	}
	return NULL;
}

static void *htab_lookup(struct rt_map *map, const void *key)
{
	struct rt_htab *h = to_htab(map);
	struct htab_elem *e = lookup_nulls(h, htab_hash(h, key, map->key_size), key);

	if (!e)
		return NULL;
	if (h->lru && !atomic_load_explicit(&e->ref, memory_order_relaxed))
		atomic_store_explicit(&e->ref, 1, memory_order_relaxed);
	if (h->percpu)
		return elem_value(h, e) + (size_t)rt_cpu_slot(map) * h->vsz;
	return elem_value(h, e);
}

static void *htab_lookup_percpu(struct rt_map *map, const void *key, uint32_t cpu)
{
	struct rt_htab *h = to_htab(map);
	struct htab_elem *e;

	if (cpu >= map->nr_cpus)
		return NULL;
	e = lookup_nulls(h, htab_hash(h, key, map->key_size), key);
	return e ? elem_value(h, e) + (size_t)cpu * h->vsz : NULL;
}

/* --- LRU eviction --- */

/* Unlinks @victim if it is still in its bucket; under that bucket's lock. */
static bool unlink_elem(struct rt_htab *h, struct bucket *b, struct htab_elem *victim)
{
	_Atomic uintptr_t *l = &b->head;
	uintptr_t p;

	while (!IS_NULLS(p = atomic_load_explicit(l, memory_order_relaxed))) {
		struct htab_elem *e = (struct htab_elem *)p;

		if (e == victim) {
			atomic_store_explicit(l, atomic_load_explicit(&e->next, memory_order_relaxed),
					      memory_order_release);
			atomic_store_explicit(&e->state, ELEM_FREE, memory_order_relaxed);
			return true;
		}
		l = &e->next;
	}
	return false;
}

static struct htab_elem *lru_evict(struct rt_htab *h)
{
	struct htab_elem *got = NULL;

	pthread_mutex_lock(&h->evict_lock);
	/* Two full turns: the first may only clear reference bits. */
	for (uint64_t tries = 0; tries < 2ULL * h->n_elems + 2 && !got; tries++) {
		struct htab_elem *e = elem_at(h, h->clock_hand);
		struct bucket *b;
		uint32_t bi;

		h->clock_hand = (h->clock_hand + 1) % h->n_elems;
		if (atomic_load_explicit(&e->state, memory_order_relaxed) != ELEM_USED)
			continue;
		if (atomic_load_explicit(&e->ref, memory_order_relaxed)) {
			atomic_store_explicit(&e->ref, 0, memory_order_relaxed);
			continue;
		}
		bi = e->hash & (h->n_buckets - 1);
		b = &h->buckets[bi];
		rt_spin_lock(bucket_lock(h, bi));
		if (atomic_load_explicit(&e->state, memory_order_relaxed) == ELEM_USED &&
		    unlink_elem(h, b, e))
			got = e;
		rt_spin_unlock(bucket_lock(h, bi));
	}
	pthread_mutex_unlock(&h->evict_lock);
	if (got) {
		atomic_fetch_sub(&h->count, 1);
		rt_timer_elem_free(&h->map, got->idx);
	}
	return got;
}

static struct htab_elem *lru_alloc(struct rt_htab *h)
{
	struct htab_elem *e = fl_pop(h);

	for (int i = 0; !e && i < 4; i++)
		e = fl_pop(h) ?: lru_evict(h);
	return e;
}

/* --- update / delete --- */

/* Fill a fresh element's value: program side sets this CPU's slot and zeroes the others. */
static void fill_value(struct rt_htab *h, struct htab_elem *e, const void *value, bool all_cpus)
{
	char *v = elem_value(h, e);

	if (!h->percpu) {
		memcpy(v, value, h->map.value_size);
		return;
	}
	if (all_cpus) {
		for (uint32_t c = 0; c < h->map.nr_cpus; c++)
			memcpy(v + (size_t)c * h->vsz, (const char *)value + (size_t)c * h->vsz,
			       h->map.value_size);
	} else {
		memset(v, 0, h->value_stride);
		memcpy(v + (size_t)rt_cpu_slot(&h->map) * h->vsz, value, h->map.value_size);
	}
}

static long do_update(struct rt_map *map, const void *key, const void *value, uint64_t flags,
		      bool all_cpus)
{
	struct rt_htab *h = to_htab(map);
	uint32_t hash = htab_hash(h, key, map->key_size);
	struct bucket *b = &h->buckets[hash & (h->n_buckets - 1)];
	atomic_int *lock = bucket_lock(h, hash & (h->n_buckets - 1));
	struct htab_elem *old, *e = NULL;
	_Atomic uintptr_t *link = NULL;
	bool counted = false;
	long err = 0;

	if (unlikely((flags & ~(uint64_t)SOPS_BPF_F_LOCK) > SOPS_BPF_EXIST))
		return -EINVAL;
	rt_spin_lock(lock);
	old = find_locked(h, b, hash, key, &link);
	if (h->lru && !old && flags != SOPS_BPF_EXIST) {
		/*
		 * A new key needs an element, and eviction locks other buckets:
		 * drop ours, evict, look again (the key may have come meanwhile,
		 * then the element replaces it). An existing key never evicts an
		 * unrelated element: it takes a spare one or is updated in place.
		 */
		rt_spin_unlock(lock);
		e = lru_alloc(h);
		if (!e)
			return -ENOMEM;
		rt_spin_lock(lock);
		old = find_locked(h, b, hash, key, &link);
	}
	if (old && flags == SOPS_BPF_NOEXIST) {
		err = -EEXIST;
		goto unlock;
	}
	if (!old && flags == SOPS_BPF_EXIST) {
		err = -ENOENT;
		goto unlock;
	}
	if (old && h->percpu) {
		/* Per-CPU values are updated in place, as the kernel does (LRU too). */
		char *v = elem_value(h, old);

		if (all_cpus)
			fill_value(h, old, value, true);
		else
			memcpy(v + (size_t)rt_cpu_slot(map) * h->vsz, value, map->value_size);
		goto unlock;
	}
	if (!old && !h->lru) {
		if (atomic_fetch_add(&h->count, 1) >= (int)map->max_entries) {
			atomic_fetch_sub(&h->count, 1);
			err = -E2BIG;
			goto unlock;
		}
		counted = true;
	}
	if (!e)
		e = fl_pop(h);
	if (!e) {
		if (old) { /* no spare element: overwrite in place */
			fill_value(h, old, value, all_cpus);
			goto unlock;
		}
		if (counted)
			atomic_fetch_sub(&h->count, 1);
		err = -E2BIG;
		goto unlock;
	}
	memcpy(e->key, key, map->key_size);
	e->hash = hash;
	atomic_store_explicit(&e->ref, 0, memory_order_relaxed);
	fill_value(h, e, value, all_cpus);
	atomic_store_explicit(&e->state, ELEM_USED, memory_order_relaxed);
	if (old) {
		/* Replace in place in the chain: readers see the old or the new element. */
		atomic_store_explicit(&e->next, atomic_load_explicit(&old->next, memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(link, (uintptr_t)e, memory_order_release);
		atomic_store_explicit(&old->state, ELEM_FREE, memory_order_relaxed);
	} else {
		atomic_store_explicit(&e->next, atomic_load_explicit(&b->head, memory_order_relaxed),
				      memory_order_relaxed);
		atomic_store_explicit(&b->head, (uintptr_t)e, memory_order_release);
		if (h->lru)
			atomic_fetch_add(&h->count, 1);
	}
	e = NULL;
unlock:
	rt_spin_unlock(lock);
	if (e) /* LRU element not used */
		fl_push(h, e);
	if (old && !err) {
		/* Replaced (back to the pool) or overwritten in place: its timer goes either way. */
		rt_timer_elem_free(map, old->idx);
		if (atomic_load_explicit(&old->state, memory_order_relaxed) == ELEM_FREE)
			fl_push(h, old);
	}
	return err;
}

static long htab_update(struct rt_map *map, const void *key, const void *value, uint64_t flags)
{
	return do_update(map, key, value, flags, false);
}

static int htab_sys_update(struct rt_map *map, const void *key, const void *value, uint64_t flags)
{
	return (int)do_update(map, key, value, flags, true);
}

/* Unlink @key's element, optionally copying its value out first. */
static int do_delete(struct rt_map *map, const void *key, void *value_out)
{
	struct rt_htab *h = to_htab(map);
	uint32_t hash = htab_hash(h, key, map->key_size);
	struct bucket *b = &h->buckets[hash & (h->n_buckets - 1)];
	atomic_int *lock = bucket_lock(h, hash & (h->n_buckets - 1));
	_Atomic uintptr_t *link;
	struct htab_elem *e;

	rt_spin_lock(lock);
	e = find_locked(h, b, hash, key, &link);
	if (!e) {
		rt_spin_unlock(lock);
		return -ENOENT;
	}
	if (value_out)
		memcpy(value_out, elem_value(h, e), h->percpu ? h->value_stride : map->value_size);
	atomic_store_explicit(link, atomic_load_explicit(&e->next, memory_order_relaxed),
			      memory_order_release);
	atomic_store_explicit(&e->state, ELEM_FREE, memory_order_relaxed);
	rt_spin_unlock(lock);
	atomic_fetch_sub(&h->count, 1);
	rt_timer_elem_free(map, e->idx);
	fl_push(h, e);
	return 0;
}

static long htab_delete(struct rt_map *map, const void *key)
{
	return do_delete(map, key, NULL);
}

static int htab_lookup_and_delete(struct rt_map *map, const void *key, void *value, uint64_t flags)
{
	return do_delete(map, key, value);
}

static int htab_sys_lookup(struct rt_map *map, const void *key, void *value, uint64_t flags)
{
	struct rt_htab *h = to_htab(map);
	struct htab_elem *e;
	int err = 0;

	urcu_bp_read_lock();
	for (;;) {
		e = lookup_nulls(h, htab_hash(h, key, map->key_size), key);
		if (!e) {
			err = -ENOENT;
			break;
		}
		memcpy(value, elem_value(h, e), h->percpu ? h->value_stride : map->value_size);
		/*
		 * Elements are reused at once: if this one was deleted or evicted
		 * and given to another key while we copied, look again.
		 */
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&e->state, memory_order_relaxed) == ELEM_USED &&
		    key_eq(e->key, key, map->key_size))
			break;
	}
	urcu_bp_read_unlock();
	return err;
}

/* The first element of buckets [bi, n_buckets), or NULL. Under RCU. */
static struct htab_elem *first_from(struct rt_htab *h, uint32_t bi)
{
	for (; bi < h->n_buckets; bi++) {
		uintptr_t p = atomic_load_explicit(&h->buckets[bi].head, memory_order_acquire);

		if (!IS_NULLS(p))
			return (struct htab_elem *)p;
	}
	return NULL;
}

static int htab_get_next_key(struct rt_map *map, const void *key, void *next_key)
{
	struct rt_htab *h = to_htab(map);
	struct htab_elem *e = NULL, *next = NULL;
	int err = 0;

	urcu_bp_read_lock();
	if (key) {
		uint32_t hash = htab_hash(h, key, map->key_size);

		e = lookup_nulls(h, hash, key);
		if (e) {
			uintptr_t p = atomic_load_explicit(&e->next, memory_order_acquire);

			next = IS_NULLS(p) ? first_from(h, (hash & (h->n_buckets - 1)) + 1)
					   : (struct htab_elem *)p;
		}
	}
	/* No key, or the key is gone: start over from the first bucket (the kernel's rule). */
	if (!e)
		next = first_from(h, 0);
	if (next)
		memcpy(next_key, next->key, map->key_size);
	else
		err = -ENOENT;
	urcu_bp_read_unlock();
	return err;
}

static long htab_for_each(struct rt_map *map,
			  long (*cb)(struct rt_map *map, void *key, void *value, void *ctx),
			  void *ctx, uint64_t flags)
{
	struct rt_htab *h = to_htab(map);
	/* Per-CPU: this CPU's slot, taken once for the walk (the kernel's runs without migrating). */
	size_t slot_off = h->percpu ? (size_t)rt_cpu_slot(map) * h->vsz : 0;
	long n = 0;

	for (uint32_t bi = 0; bi < h->n_buckets; bi++) {
		uintptr_t p = atomic_load_explicit(&h->buckets[bi].head, memory_order_acquire);

		while (!IS_NULLS(p)) {
			struct htab_elem *e = (struct htab_elem *)p;

			n++;
			if (cb(map, e->key, elem_value(h, e) + slot_off, ctx))
				return n;
			p = atomic_load_explicit(&e->next, memory_order_acquire);
		}
	}
	return n;
}

static bool htab_mem_ok(struct rt_map *map, uint64_t addr, uint64_t size, bool write)
{
	struct rt_htab *h = to_htab(map);
	uint64_t lo = (uint64_t)(uintptr_t)h->values;

	if (write && map->map_flags & SOPS_BPF_F_RDONLY_PROG)
		return false;
	return addr >= lo && size <= h->values_size && addr - lo <= h->values_size - size;
}

/* --- inline lookup (inline.c) --- */

#define INLINE_KEY_MAX 32 /* longer keys: the hash alone outweighs the helper call */
#define MAX_PIECES (INLINE_KEY_MAX / 8 + 3) /* 8-byte words, then a 4-, 2- and 1-byte tail */

/* BPF load size of a piece of @bytes (8, 4, 2 or 1). */
static uint8_t piece_opc(uint32_t bytes)
{
	return bytes == 8 ? OPC_DW : bytes == 4 ? OPC_W : bytes == 2 ? OPC_H : OPC_B;
}

/* The next piece of a key with @rem bytes left, in htab_hash()'s order: words, then 4, 2, 1. */
static uint32_t piece_len(uint32_t rem)
{
	return rem >= 8 ? 8 : rem & 4 ? 4 : rem & 2 ? 2 : 1;
}

/* mix() on r3, r4 scratch. */
static void gen_mix(struct gen *g)
{
	for (int i = 0; i < 3; i++) {
		gen_alu64_reg(g, OPC_MOV, 4, 3);
		gen_alu64_imm(g, OPC_RSH, 4, MIX_SHIFT);
		gen_alu64_reg(g, OPC_XOR, 3, 4);
		if (i < 2) {
			gen_lddw(g, 4, mix_mul[i]);
			gen_alu64_reg(g, OPC_MUL, 3, 4);
		}
	}
}

/*
 * Emits htab_hash(), leaving the hash in r3 (zero-extended); clobbers r1 and
 * r4. 4- and 8-byte keys arrive as a value in r2, longer or odd ones as a
 * pointer in r2 (kept). Must compute exactly what the C function does: the
 * inline lookup walks the chains the C updates built.
 */
static void gen_hash(struct gen *g, const struct rt_htab *h, uint32_t len)
{
	uint32_t off = 0, shift = 0;

	gen_lddw(g, 3, h->seed ^ len);
	if (len == 4 || len == 8) {
		gen_alu64_reg(g, OPC_XOR, 3, 2); /* acc ^ key */
		if (len == 8)
			gen_mix(g);
	} else {
		for (; len - off >= 8; off += 8) {
			gen_ldx(g, OPC_DW, 4, 2, (int16_t)off);
			gen_alu64_reg(g, OPC_XOR, 3, 4);
			gen_mix(g);
		}
		if (off < len) { /* the tail, little-endian pieces into r1 */
			for (uint32_t n; off < len; off += n, shift += 8 * n) {
				n = piece_len(len - off);
				gen_ldx(g, piece_opc(n), shift ? 4 : 1, 2, (int16_t)off);
				if (shift) {
					gen_alu64_imm(g, OPC_LSH, 4, (int32_t)shift);
					gen_alu64_reg(g, OPC_OR, 1, 4);
				}
			}
			gen_alu64_reg(g, OPC_XOR, 3, 1);
			gen_lddw(g, 4, GOLDEN);
			gen_alu64_reg(g, OPC_XOR, 3, 4);
			gen_mix(g);
		}
	}
	/* fold64() */
	gen_lddw(g, 4, GOLDEN);
	gen_alu64_reg(g, OPC_MUL, 3, 4);
	gen_alu64_reg(g, OPC_MOV, 4, 3);
	gen_alu64_imm(g, OPC_RSH, 4, FOLD_HI);
	gen_alu64_imm(g, OPC_RSH, 3, FOLD_LO);
	gen_alu32_reg(g, OPC_XOR, 3, 4);
}

/*
 * The key compare of the walk at element r0: 4- and 8-byte keys against the
 * value in r2 (one jump to @to_found), others piece by piece against the
 * pointer in r2 with r1/r3 (each mismatch jumps to the walk's next step,
 * collected in @miss).
 */
static uint32_t gen_key_compare(struct gen *g, uint32_t len, uint32_t *miss, uint32_t *miss_cnt)
{
	int16_t key = offsetof(struct htab_elem, key);

	*miss_cnt = 0;
	if (len == 4 || len == 8) {
		gen_ldx(g, piece_opc(len), 1, 0, key);
		return gen_jmp_reg(g, OPC_JEQ, 1, 2);
	}
	for (uint32_t off = 0, n; off < len; off += n) {
		n = piece_len(len - off);
		gen_ldx(g, piece_opc(n), 1, 0, (int16_t)(key + off));
		gen_ldx(g, piece_opc(n), 3, 2, (int16_t)off);
		miss[(*miss_cnt)++] = gen_jmp_reg(g, OPC_JNE, 1, 3);
	}
	return gen_jmp_imm(g, OPC_JA, 0, 0);
}

/*
 * lookup_nulls() and htab_lookup() as instructions, for HASH and LRU_HASH
 * maps with keys of up to INLINE_KEY_MAX bytes (longer ones keep the helper
 * call). Keys are compared directly, without the element's hash (equal keys
 * have equal hashes). Like the C walk it takes no lock: elements are read
 * through the chain pointers (address dependencies order the loads as
 * rcu_dereference does), and a walk that ends at another bucket's nulls
 * marker restarts.
 *
 *   (4/8-byte keys: r2 = *key)
 *   r3 = hash; r4 = bi = r3 & mask
 *   r5 = &buckets[bi]; r4 = NULLS(bi)
 * again:
 *   r0 = r5->head
 * loop:
 *   if r0 & 1 goto end
 *   if r0->key == key goto found          (piece by piece for other sizes)
 *   r0 = r0->next; goto loop
 * end:
 *   if r0 != r4 goto again; goto null
 * found:
 *   (LRU: r1 = r0->ref; if r1 != 0 goto +1; r0->ref = 1)
 *   r0 = values + r0->idx * value_stride; goto out
 * null:
 *   r0 = 0
 */
static int htab_gen_lookup(struct rt_map *map, struct sops_insn *insns, bool jit)
{
	struct rt_htab *h = to_htab(map);
	uint32_t ks = map->key_size, again, loop, to_end, to_found, to_null, miss[MAX_PIECES], miss_cnt;
	struct gen g;

	/* 35 to 130 instructions: faster than the helper in the JIT, slower interpreted. */
	if (!jit || h->percpu || ks > INLINE_KEY_MAX || h->value_stride > INT32_MAX)
		return 0;
	gen_init(&g, insns, RT_GEN_LOOKUP_MAX);
	if (ks == 4 || ks == 8)
		gen_ldx(&g, piece_opc(ks), 2, 2, 0);
	gen_hash(&g, h, ks);
	gen_alu64_reg(&g, OPC_MOV, 4, 3);
	gen_alu64_imm(&g, OPC_AND, 4, (int32_t)(h->n_buckets - 1));
	gen_alu64_reg(&g, OPC_MOV, 5, 4);
	gen_mul_imm(&g, 5, sizeof(struct bucket));
	gen_lddw(&g, 1, (uint64_t)(uintptr_t)h->buckets);
	gen_alu64_reg(&g, OPC_ADD, 5, 1);
	gen_alu64_imm(&g, OPC_LSH, 4, 1);
	gen_alu64_imm(&g, OPC_OR, 4, 1);
	again = gen_pos(&g);
	gen_ldx(&g, OPC_DW, 0, 5, offsetof(struct bucket, head));
	loop = gen_pos(&g);
	to_end = gen_jmp_imm(&g, OPC_JSET, 0, 1);
	to_found = gen_key_compare(&g, ks, miss, &miss_cnt);
	for (uint32_t i = 0; i < miss_cnt; i++)
		gen_land(&g, miss[i]);
	gen_ldx(&g, OPC_DW, 0, 0, offsetof(struct htab_elem, next));
	gen_jmp_imm(&g, OPC_JA, 0, 0);
	gen_back_to(&g, loop);
	gen_land(&g, to_end);
	gen_jmp_reg(&g, OPC_JNE, 0, 4);
	gen_back_to(&g, again);
	to_null = gen_jmp_imm(&g, OPC_JA, 0, 0);
	gen_land(&g, to_found);
	if (h->lru) {
		uint32_t skip;

		gen_ldx(&g, OPC_B, 1, 0, offsetof(struct htab_elem, ref));
		skip = gen_jmp_imm(&g, OPC_JNE, 1, 0);
		gen_st_imm(&g, OPC_B, 0, offsetof(struct htab_elem, ref), 1);
		gen_land(&g, skip);
	}
	gen_ldx(&g, OPC_W, 0, 0, offsetof(struct htab_elem, idx));
	gen_lookup_end(&g, (uint64_t)(uintptr_t)h->values, h->value_stride, to_null);
	return gen_done(&g);
}

/* --- creation --- */

static bool type_is_lru(uint32_t t)
{
	return t == SOPS_BPF_MAP_TYPE_LRU_HASH || t == SOPS_BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool type_is_percpu(uint32_t t)
{
	return t == SOPS_BPF_MAP_TYPE_PERCPU_HASH || t == SOPS_BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int htab_alloc_check(const union sops_bpf_attr *attr)
{
	bool lru = type_is_lru(attr->map_type), percpu = type_is_percpu(attr->map_type);

	if (attr->map_flags & ~HTAB_FLAGS)
		return -EINVAL;
	if (lru && attr->map_flags & SOPS_BPF_F_NO_PREALLOC)
		return -SOPS_ENOTSUPP;
	if (!lru && attr->map_flags & SOPS_BPF_F_NO_COMMON_LRU)
		return -EINVAL;
	if (attr->max_entries == 0 || attr->key_size == 0 || attr->value_size == 0)
		return -EINVAL;
	if (attr->key_size > MAX_KEY_SIZE)
		return -E2BIG;
	/* The kernel's bounds: an element (header, key, value) fits one kmalloc. */
	if (attr->value_size >= RT_KMALLOC_MAX_SIZE - MAX_KEY_SIZE - sizeof(struct htab_elem))
		return -E2BIG;
	if (percpu && ROUND_UP((uint64_t)attr->value_size, 8) > RT_PCPU_MIN_UNIT_SIZE)
		return -E2BIG;
	if (attr->max_entries > (1U << 31))
		return -E2BIG;
	return 0;
}

/* The sizes of a hash map's blocks, from attributes alloc_check accepted. */
struct htab_layout {
	uint64_t n_buckets, n_elems;
	uint32_t n_locks, elem_size, vsz, value_stride;
	uint64_t values_size, bytes;
};

static int htab_layout(const union sops_bpf_attr *attr, uint32_t nr_cpus, struct htab_layout *l)
{
	bool lru = type_is_lru(attr->map_type), percpu = type_is_percpu(attr->map_type);
	uint64_t stride, elems, heads, t;

	l->n_buckets = 1;
	while (l->n_buckets < (uint64_t)attr->max_entries * BUCKETS_PER_ENTRY)
		l->n_buckets <<= 1;
	/* Bucket indexes and element indexes (free list links are index + 1) are 32-bit. */
	l->n_elems = (uint64_t)attr->max_entries + (lru ? 0 : EXTRA_ELEMS);
	if (l->n_buckets > (1ULL << 31) || l->n_elems >= UINT32_MAX)
		return -E2BIG;
	l->n_locks = l->n_buckets < MAX_LOCKS ? (uint32_t)l->n_buckets : MAX_LOCKS;
	l->elem_size = (uint32_t)(sizeof(struct htab_elem) + ROUND_UP(attr->key_size, 8));
	l->vsz = (uint32_t)ROUND_UP((uint64_t)attr->value_size, 8);
	if (!rt_mul_ok(l->vsz, percpu ? nr_cpus : 1, &stride) || stride > UINT32_MAX)
		return -E2BIG;
	l->value_stride = (uint32_t)stride;
	if (!rt_mul_ok(l->n_elems, l->value_stride, &l->values_size) ||
	    !rt_mul_ok(l->n_elems, l->elem_size, &elems))
		return -E2BIG;
	heads = l->n_buckets * sizeof(struct bucket) + l->n_locks * sizeof(struct lock_stripe);
	if (!rt_add_ok(heads, elems, &t) || !rt_add_ok(t, l->values_size, &t) ||
	    !rt_add_ok(t, sizeof(struct rt_htab), &l->bytes) || l->bytes > SIZE_MAX / 2)
		return -E2BIG;
	return 0;
}

static int htab_mem_size(const union sops_bpf_attr *attr, uint32_t nr_cpus, uint64_t *bytes)
{
	struct htab_layout l;
	int err = htab_layout(attr, nr_cpus, &l);

	*bytes = l.bytes;
	return err;
}

static void htab_free_blocks(struct rt_htab *h)
{
	rt_map_area_free(h->buckets, (size_t)h->n_buckets * sizeof(*h->buckets));
	free(h->locks);
	rt_map_area_free(h->elems, (size_t)h->n_elems * h->elem_size);
	rt_map_area_free(h->values, h->values_size);
}

static int htab_alloc(struct sops_runtime *rt, const union sops_bpf_attr *attr, struct rt_map **out)
{
	bool lru = type_is_lru(attr->map_type), percpu = type_is_percpu(attr->map_type);
	struct htab_layout l;
	struct rt_htab *h;
	int err;

	err = htab_layout(attr, rt->nr_cpus, &l);
	if (err)
		return err;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->lru = lru;
	h->percpu = percpu;
	h->n_buckets = (uint32_t)l.n_buckets;
	h->n_elems = (uint32_t)l.n_elems;
	h->elem_size = l.elem_size;
	h->vsz = l.vsz;
	h->value_stride = l.value_stride;
	h->values_size = (size_t)l.values_size;
	h->seed = attr->map_flags & SOPS_BPF_F_ZERO_SEED ? 0 : mix((uint64_t)(uintptr_t)h ^ 0x5bd1e995);
	h->lock_mask = l.n_locks - 1;
	/* Zeroed blocks; large ones are mapped, so the values cost nothing until used. */
	h->buckets = rt_map_area_alloc((size_t)l.n_buckets * sizeof(*h->buckets));
	if (posix_memalign((void **)&h->locks, sizeof(*h->locks), (size_t)l.n_locks * sizeof(*h->locks)))
		h->locks = NULL;
	h->elems = rt_map_area_alloc((size_t)l.n_elems * h->elem_size);
	h->values = rt_map_area_alloc(h->values_size);
	if (!h->buckets || !h->locks || !h->elems || !h->values) {
		htab_free_blocks(h);
		free(h);
		return -ENOMEM;
	}
	memset(h->locks, 0, (size_t)l.n_locks * sizeof(*h->locks));
	for (uint32_t i = 0; i < h->n_buckets; i++)
		atomic_init(&h->buckets[i].head, NULLS(i));
	/* Spread the pool over the shards, lowest indexes popped first. */
	for (uint32_t i = h->n_elems; i-- > 0;) {
		struct htab_elem *e = elem_at(h, i);
		struct freelist *fl = &h->fl[i % NR_SHARDS];

		e->idx = i;
		e->free_next = fl->head;
		fl->head = i + 1;
	}
	pthread_mutex_init(&h->evict_lock, NULL);
	h->map.nr_cpus = percpu ? rt->nr_cpus : 1;
	h->map.sys_value_size = percpu ? h->value_stride : attr->value_size;
	*out = &h->map;
	return 0;
}

static void htab_free(struct rt_map *map)
{
	struct rt_htab *h = to_htab(map);

	pthread_mutex_destroy(&h->evict_lock);
	htab_free_blocks(h);
	free(h);
}

/* Timers (non-per-CPU types): an element's value slot is its index in the pool. */
static uint32_t htab_elem_cnt(struct rt_map *map)
{
	return to_htab(map)->n_elems;
}

static bool htab_elem_of(struct rt_map *map, const void *value, uint32_t *idx)
{
	struct rt_htab *h = to_htab(map);
	uintptr_t lo = (uintptr_t)h->values, v = (uintptr_t)value;

	if (h->percpu || v < lo || v - lo >= h->values_size || (v - lo) % h->value_stride)
		return false;
	*idx = (uint32_t)((v - lo) / h->value_stride);
	return true;
}

static void *htab_elem_key(struct rt_map *map, uint32_t idx, void *buf)
{
	return elem_at(to_htab(map), idx)->key;
}

#define HTAB_OPS(extra...)                                                                         \
	{                                                                                          \
		.alloc_check = htab_alloc_check, .mem_size = htab_mem_size, .alloc = htab_alloc,   \
		.free = htab_free,                                                                 \
		.lookup_elem = htab_lookup, .update_elem = htab_update,                            \
		.delete_elem = htab_delete, .sys_lookup = htab_sys_lookup,                         \
		.sys_update = htab_sys_update, .get_next_key = htab_get_next_key,                  \
		.lookup_and_delete = htab_lookup_and_delete, .mem_ok = htab_mem_ok,                \
		.for_each = htab_for_each, extra                                                   \
	}

#define TIMER_OPS .elem_cnt = htab_elem_cnt, .elem_of = htab_elem_of, .elem_key = htab_elem_key
const struct rt_map_ops rt_htab_ops = HTAB_OPS(TIMER_OPS, .gen_lookup = htab_gen_lookup);
const struct rt_map_ops rt_lru_htab_ops = HTAB_OPS(TIMER_OPS, .gen_lookup = htab_gen_lookup);
const struct rt_map_ops rt_percpu_htab_ops = HTAB_OPS(.lookup_percpu_elem = htab_lookup_percpu);
const struct rt_map_ops rt_lru_percpu_htab_ops = HTAB_OPS(.lookup_percpu_elem = htab_lookup_percpu);
