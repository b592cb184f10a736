/* SPDX-License-Identifier: MIT */
/*
 * cache_struct_ops.h - registering the cache's policy ops table as a
 * struct_ops type (cache_struct_ops.c).
 */
#ifndef CACHE_STRUCT_OPS_H
#define CACHE_STRUCT_OPS_H

#include <structops/struct_ops.h>

#include "cache.h"

/*
 * cache_struct_ops_register - register `struct cache_policy_ops` with @rt,
 * whose host BTF must describe it (the demo's embedded BTF), with @c as the
 * host context: a struct_ops map of this type linked in @rt becomes @c's
 * eviction policy. @st is filled in and must stay alive as long as @rt.
 * Returns 0 or sops_runtime__register_struct_ops()'s error.
 */
int cache_struct_ops_register(struct sops_runtime *rt, struct cache *c, struct sops_struct_ops *st);

#endif /* CACHE_STRUCT_OPS_H */
