/* SPDX-License-Identifier: MIT */
/*
 * cache.h - a fixed-capacity, thread-safe in-memory cache (u64 keys, small
 * values) whose eviction policy is an ops table (cache_policy.h).
 *
 * The cache is split into shards; a key's shard is chosen by its hash. Each
 * shard has a mutex, a fixed slot array and an open-addressing index. A get or
 * put reads the current policy under sops_rcu_read_lock() (no lock), takes the
 * key's shard lock and calls the policy's ops directly through their function
 * pointers (for a BPF policy: the thunks of the struct_ops map's kdata).
 *
 * Policy changes (cache_policy_attach/replace/detach, called by the
 * struct_ops callbacks reg/update/unreg) publish a new binding atomically and
 * free the old one after a grace period. Each shard notices a
 * new binding on its next operation and replays on_insert for its resident
 * keys, so a new policy knows the whole cache content without the cache ever
 * being stopped. With no policy attached the cache evicts round-robin.
 *
 * Thread safety: get/put/stats from any number of threads; attach/replace/
 * detach are serialized by an internal mutex and may run concurrently with
 * get/put. cache_free() only once nobody uses the cache.
 */
#ifndef CACHE_H
#define CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "cache_policy.h"

struct cache;

/* A cached value: small and fixed-size. */
struct cache_value {
	uint64_t w[2];
};

struct cache_opts {
	uint32_t nr_shards;       /* a power of two, 1..CACHE_MAX_SHARDS */
	uint32_t slots_per_shard; /* 1..CACHE_MAX_SLOTS_PER_SHARD */
};

#define CACHE_MAX_SHARDS 1024u
#define CACHE_MAX_SLOTS_PER_SHARD (1u << 20)

/* Counters, summed over shards. */
struct cache_stats {
	uint64_t hits, misses;
	uint64_t inserts, updates, evictions;
	uint64_t bad_victims; /* pick_victim returned a slot outside the shard or empty */
	uint64_t adoptions;   /* shards that replayed their keys to a new policy */
	uint64_t policy_gen;  /* generation of the current binding (0: none yet) */
};

/* cache_new - an empty cache. 0 and *@out, or -EINVAL (bad geometry), -ENOMEM. */
int cache_new(const struct cache_opts *opts, struct cache **out);
/* cache_free - free @c (NULL is fine). Detaches nothing: detach the policy first. */
void cache_free(struct cache *c);

/*
 * cache_get - look @key up. On a hit copies the value to *@out (may be NULL),
 * tells the policy (on_access) and returns true. *@gen (may be NULL) receives
 * the generation of the policy binding that served the call (0: no policy).
 */
bool cache_get(struct cache *c, uint64_t key, struct cache_value *out, uint64_t *gen);
/*
 * cache_put - store @key -> *@val. A resident key is updated (on_access); a
 * new key takes a free slot or the policy's victim (on_evict, then
 * on_insert). Never fails: a policy returning a bad victim is overruled.
 */
void cache_put(struct cache *c, uint64_t key, const struct cache_value *val, uint64_t *gen);

/* cache_stats - a snapshot of the counters (each shard's are consistent). */
void cache_stats(struct cache *c, struct cache_stats *st);
/* Geometry. */
uint32_t cache_nr_shards(const struct cache *c);
uint32_t cache_slots_per_shard(const struct cache *c);

/* --- policy bindings (the struct_ops callbacks call these) --- */

/*
 * cache_policy_check - static checks of an ops table: pick_victim present and
 * the name NUL-terminated. 0 or -EINVAL. (struct_ops validate)
 */
int cache_policy_check(const struct cache_policy_ops *ops);
/*
 * cache_policy_attach - make @ops the policy: runs ops->init, then publishes.
 * -EBUSY when a policy is attached already, init's error. (struct_ops reg)
 */
int cache_policy_attach(struct cache *c, const struct cache_policy_ops *ops);
/*
 * cache_policy_replace - switch from @old_ops to @ops atomically: runs
 * ops->init, publishes; does not wait for readers (calls through @old_ops
 * may still be running on return; the runtime keeps a replaced kdata alive
 * for a grace period). -EINVAL when @old_ops is
 * not the current policy, init's error (the old policy stays).
 * (struct_ops update)
 */
int cache_policy_replace(struct cache *c, const struct cache_policy_ops *ops,
			 const struct cache_policy_ops *old_ops);
/*
 * cache_policy_detach - stop using @ops (no-op when it is not current); on
 * return no call into @ops is running or will start. (struct_ops unreg)
 */
void cache_policy_detach(struct cache *c, const struct cache_policy_ops *ops);
/* The current policy's name into @buf ("none" when detached). */
void cache_policy_name(struct cache *c, char *buf, size_t size);

/*
 * cache_bench_ops - time the current policy's on_access and pick_victim on
 * shard 0 (the cache must be idle and shard 0 full): @iters calls of each, in
 * a tight loop, shard lock held. Fills the average ns per call. 0 or -EINVAL
 * (no policy, shard 0 not full).
 */
int cache_bench_ops(struct cache *c, uint32_t iters, double *access_ns, double *victim_ns);

#endif /* CACHE_H */
