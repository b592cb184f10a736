/* SPDX-License-Identifier: MIT */
/*
 * st_internal.h - the struct_ops layer's objects (internal).
 *
 *   struct st_rt    per runtime: the registry lock, the host's BTF owner, the
 *                   loaded modules, the link mutex (the kernel's update_mutex).
 *   struct st_owner one per BTF object types are registered in (the host's,
 *                   each module's): the runtime BTF object (kernel_btf) whose
 *                   libbpf btf is an "ext" split BTF on the owner's own BTF,
 *                   holding value types synthesized at registration, and the
 *                   registered types (struct st_desc).
 *   struct st_desc  a registered type: everything later checks need, computed
 *                   once at registration (member kinds, offsets, func models,
 *                   argument annotations), so no BTF walk happens afterwards.
 *   struct st_map   a STRUCT_OPS map: uvalue, kvalue (kdata inside), the
 *                   programs and thunks of the function slots, state.
 *   struct st_link  a struct_ops link: the current map (RCU pointer) and a
 *                   pipe whose read end reports POLLHUP once detached.
 *
 * Lifetimes: owners and descs live until the runtime is freed (module owners
 * are marked gone at unload). Maps hold their module (struct sops_module
 * refcnt) and their programs; kdata and thunks are freed with the map, after
 * an RCU grace period (the runtime frees objects through call_rcu).
 */
#ifndef SOPS_STRUCT_OPS_INTERNAL_H
#define SOPS_STRUCT_OPS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include <structops/struct_ops.h>

#include "../runtime/rt_internal.h"
#include "../vm/func_model.h"
#include "thunk.h"

#define ST_VALUE_ALIGN SOPS_STRUCT_OPS_DATA_ALIGN /* data aligned to the cache line, as the kernel's value types */
#define ST_ASSOC_POISON ((void *)(uintptr_t)0xeB9FUL) /* the kernel's BPF_PTR_POISON role */

/* Argument annotations from stub parameter names. */
#define ST_ARG_NULLABLE 0x1
#define ST_ARG_REF 0x2

enum st_member_kind {
	ST_MEMBER_DATA = 0, /* scalar, array, non-function pointer... */
	ST_MEMBER_FUNC,     /* function pointer */
	ST_MEMBER_MODULE,   /* pointer to struct module / struct sops_module (owner slot) */
};

struct st_member {
	const char *name;
	const struct btf_member *m; /* in the owner's BTF (stable: never appended to) */
	uint32_t off;               /* bytes into data */
	uint32_t size;
	enum st_member_kind kind;
	bool supported;             /* function pointer with a non-NULL stub */
	struct func_model model;    /* supported members */
	uint8_t arg_info[FUNC_MODEL_MAX_ARGS];
};

struct st_owner;

struct st_desc {
	const struct sops_struct_ops *st_ops;
	struct st_owner *owner;
	const struct btf_type *type; /* the ops struct, in the owner's BTF */
	uint32_t type_id;
	uint32_t value_id;
	uint32_t value_size;
	uint32_t data_off;
	uint32_t data_size;
	uint32_t member_cnt;
	uint32_t func_cnt;
	uint8_t *data_holes; /* per byte of value: 1 = padding that must be zero */
	struct st_member members[];
};

struct st_owner {
	struct st_rt *st;
	struct rt_btf *rb;       /* the runtime's BTF object, one reference held */
	struct btf *ext;         /* == rb->btf: host: split on @own; module: @own itself */
	struct btf *own;         /* module BTF (owned, freed with rb); the host's BTF (not owned) */
	struct sops_module *mod; /* NULL: host; cleared at unload */
	bool gone;               /* module unloaded: types unknown */
	struct st_desc **descs;
	uint32_t desc_cnt;
};

enum st_mod_state { ST_MOD_LIVE = 0, ST_MOD_GOING, ST_MOD_GONE };

struct sops_module {
	struct st_rt *st;
	char name[64];
	void *dl;
	void *ctx;
	struct st_owner *owner;
	sops_module_exit_fn exit;
	long refcnt;             /* maps (and loads in progress) of its types; under st->lock */
	enum st_mod_state state; /* under st->lock */
	struct sops_log *load_log; /* while init runs: the load's log, for registrations without one */
};

struct st_rt {
	struct sops_runtime *rt;
	pthread_mutex_t lock; /* owners, descs, modules */
	struct st_owner *host;
	struct st_owner **owners; /* modules' (host first when present) */
	uint32_t owner_cnt;
	pthread_mutex_t update_mutex; /* link create/update/detach */
	struct st_btf_type *btf_types; /* types registered from BTF alone (st_btf_type.c); under lock */
};

static inline struct st_rt *st_of(struct sops_runtime *rt)
{
	return rt->st;
}

/* kdata is preceded by this header so it leads back to its map. */
struct st_kv_hdr {
	struct st_map *map;
	char pad[ST_VALUE_ALIGN - sizeof(struct st_map *)];
};

struct st_map {
	struct rt_map map;
	struct st_desc *desc;
	struct sops_module *mod;  /* held (module types) */
	pthread_mutex_t lock;     /* updates */
	_Atomic uint32_t state;   /* enum sops_struct_ops_state */
	atomic_long kref;         /* runtime-held references (lookup's refcnt) */
	void *uvalue;             /* value_size bytes: what lookup shows */
	struct st_kv_hdr *kv;     /* header, then kdata (data_size bytes) */
	struct sops_prog **progs; /* per member */
	struct thunk **thunks;    /* per member */
};

static inline void *st_kdata(const struct st_map *m)
{
	return (char *)m->kv + sizeof(struct st_kv_hdr);
}

static inline struct st_map *st_map_of_kdata(const void *kdata)
{
	return ((const struct st_kv_hdr *)((const char *)kdata - sizeof(struct st_kv_hdr)))->map;
}

/* Program type data of struct_ops programs, set by the attach checks. */
struct st_prog_info {
	struct st_desc *desc;
	uint32_t member;
};

struct st_link {
	struct rt_link link;
	struct st_map *_Atomic map; /* held; NULL once detached */
	int poll_rfd;               /* read end of a pipe: the poll fd, POLLHUP once detached */
	_Atomic int hup_wfd;        /* its write end, closed by detach (-1 then) */
};

/* st_registry.c */
struct st_owner *st_owner_of_btf(struct st_rt *st, const struct rt_btf *rb);
struct st_desc *st_find_desc_by_value(struct st_owner *o, uint32_t value_id);
struct st_desc *st_find_desc_by_type(struct st_owner *o, uint32_t type_id);
int st_host_owner(struct st_rt *st, struct st_owner **out);
/* A reference on @mod unless it is going away (the kernel's try_module_get). */
bool st_module_get(struct sops_module *mod);
void st_module_put(struct sops_module *mod);
void st_owner_free(struct st_owner *o);
/* @in_place: types are synthesized into @own itself (modules), else into a split BTF on it. */
int st_owner_new(struct st_rt *st, struct btf *own, bool in_place, const char *name,
		 struct st_owner **out);

/* st_btf_type.c */
struct st_btf_type;
/* Whether @st_ops was built from BTF alone: its stub FUNCs (annotations) are optional. */
bool st_btf_type_stubs_optional(const struct sops_struct_ops *st_ops);
/* Runtime teardown, after the owners (their descs point to these types) are freed. */
void st_btf_types_free(struct st_rt *st);

/* st_map.c */
extern const struct rt_map_ops st_map_ops;
static inline struct st_map *st_map_of(struct rt_map *m)
{
	return caa_container_of(m, struct st_map, map);
}
static inline bool st_is_map(const struct rt_map *m)
{
	return m && m->map_type == SOPS_BPF_MAP_TYPE_STRUCT_OPS;
}
void st_map_get_kref(struct st_map *m);
void st_map_put_kref(struct st_map *m);
/* Runtime teardown: unregister maps still INUSE (they hold themselves). */
void st_maps_unregister_all(struct st_rt *st);

/* st_link.c */
int st_link_create(struct sops_runtime *rt, const union sops_bpf_attr *attr);

/* st_prog.c */
extern const struct rt_prog_type_ops st_prog_type_ops;
int st_prog_assoc(struct sops_prog *prog, struct rt_map *map, uint32_t flags);
void st_prog_disassoc_map(struct sops_prog *prog, struct st_map *m);
void st_prog_free(struct sops_prog *prog);
int st_kfunc_bind(struct sops_prog *prog, const struct sops_kfunc_desc *d, sops_kfunc_fn *fn);

/* st_module.c */
void st_modules_unload_all(struct st_rt *st);
/* rt_hooks.kfunc_pin: @prog calls a kfunc of @rb; pin its module. */
int st_kfunc_pin(struct sops_prog *prog, struct rt_btf *rb);
/* Program free: drop the module references kfunc_pin took. */
void st_kfunc_unpin(struct sops_prog *prog);

#endif /* SOPS_STRUCT_OPS_INTERNAL_H */
