/* SPDX-License-Identifier: MIT */
/*
 * cache_struct_ops.c - struct cache_policy_ops as a struct_ops type: what the
 * cache host registers with a structops runtime (cache_struct_ops.h).
 *
 * The kernel pattern, in userspace: the value type `struct
 * bpf_struct_ops_cache_policy_ops` is emitted into the host's BTF, each
 * member has a CFI stub (`cache_policy_ops__<member>`, found in BTF by that
 * name), init_member copies the scalar `name`, and the four lifetime
 * callbacks map onto the cache's bindings:
 *
 *   validate -> cache_policy_check    (static: pick_victim present, name ok)
 *   reg      -> cache_policy_attach   (link create: runs the policy's init)
 *   update   -> cache_policy_replace  (link update: live swap, grace period)
 *   unreg    -> cache_policy_detach   (link detach or release)
 *
 * The cache is the type's host context (st_ops->priv); the callbacks find it
 * with sops_struct_ops_priv(kdata).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/btf.h>
#include <structops/struct_ops.h>

#include "cache_struct_ops.h"

/* The value type (common header + ops), kept in DWARF so pahole puts it into BTF. */
SOPS_STRUCT_OPS_VALUE_TYPE(cache_policy_ops);

/*
 * CFI stubs: one per member BPF may implement, with the member's signature.
 * Their BTF FUNCs are looked up as cache_policy_ops__<member>.
 */
s32 cache_policy_ops__init(u32 nr_shards, u32 slots_per_shard);
u32 cache_policy_ops__pick_victim(u32 shard);
void cache_policy_ops__on_access(u64 key, u32 slot);
void cache_policy_ops__on_insert(u64 key, u32 slot);
void cache_policy_ops__on_evict(u64 key, u32 slot);

__attribute__((noinline, used)) s32 cache_policy_ops__init(u32 nr_shards, u32 slots_per_shard)
{
	return 0;
}

__attribute__((noinline, used)) u32 cache_policy_ops__pick_victim(u32 shard)
{
	return 0;
}

__attribute__((noinline, used)) void cache_policy_ops__on_access(u64 key, u32 slot)
{
}

__attribute__((noinline, used)) void cache_policy_ops__on_insert(u64 key, u32 slot)
{
}

__attribute__((noinline, used)) void cache_policy_ops__on_evict(u64 key, u32 slot)
{
}

static const struct cache_policy_ops cfi_stubs = {
	.init = cache_policy_ops__init,
	.pick_victim = cache_policy_ops__pick_victim,
	.on_access = cache_policy_ops__on_access,
	.on_insert = cache_policy_ops__on_insert,
	.on_evict = cache_policy_ops__on_evict,
};

static int st_init(const struct btf *btf)
{
	return 0;
}

/* The one scalar member, `name`, is copied by the host (as tcp_congestion_ops' name is). */
static int st_init_member(const struct btf_type *t, const struct btf_member *member, void *kdata,
			  const void *udata)
{
	uint32_t bits = BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(member->offset)
						: member->offset;
	const size_t off = offsetof(struct cache_policy_ops, name);
	const char *src = (const char *)udata + off;

	if (bits != off * 8)
		return 0;
	if (!memchr(src, '\0', CACHE_POLICY_NAME_LEN) || !src[0])
		return -EINVAL;
	memcpy((char *)kdata + off, src, CACHE_POLICY_NAME_LEN);
	return 1;
}

static struct cache *cache_of(const void *kdata)
{
	return sops_struct_ops_priv(kdata);
}

static int st_validate(void *kdata)
{
	return cache_policy_check(kdata);
}

static int st_reg(void *kdata, struct sops_struct_ops_link *link)
{
	return cache_policy_attach(cache_of(kdata), kdata);
}

static void st_unreg(void *kdata, struct sops_struct_ops_link *link)
{
	cache_policy_detach(cache_of(kdata), kdata);
}

static int st_update(void *kdata, void *old_kdata, struct sops_struct_ops_link *link)
{
	return cache_policy_replace(cache_of(kdata), kdata, old_kdata);
}

int cache_struct_ops_register(struct sops_runtime *rt, struct cache *c, struct sops_struct_ops *st)
{
	memset(st, 0, sizeof(*st));
	st->name = "cache_policy_ops";
	st->init = st_init;
	st->init_member = st_init_member;
	st->reg = st_reg;
	st->unreg = st_unreg;
	st->update = st_update;
	st->validate = st_validate;
	st->cfi_stubs = &cfi_stubs;
	st->priv = c;
	return sops_runtime__register_struct_ops(rt, st, NULL);
}
