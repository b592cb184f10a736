/* SPDX-License-Identifier: MIT */
/*
 * st_registry.c - struct_ops types: registration (spec section 2.10), the BTF
 * objects they live in, lookups, and the layer's setup in a runtime.
 *
 * Each BTF that types are registered in (the host's, each module's) gets an
 * owner: a runtime BTF object (kernel_btf, id and handles like any BTF) whose
 * libbpf btf ("ext") is, for the host, a split BTF on the host's BTF (which
 * belongs to the host; on a flat copy of it when it is split itself), and for a module the module's own BTF, which the
 * runtime parsed and owns (a split of a split would need libbpf to chain
 * string offsets through two bases, which older versions get wrong). Value types
 * `bpf_struct_ops_<name>` missing from the owner's BTF are synthesized into
 * ext with libbpf's btf__add_*() (common value header, then the ops struct at
 * the cache-line offset, as the kernel's register macro lays it out). ext
 * only grows, under st->lock, and only at registration; everything later
 * checks need is computed here once, so map and program paths never walk BTF.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../btf/btf_internal.h"
#include "../util/log.h"
#include "../util/opts.h"
#include "btf_func_model.h"
#include "st_internal.h"

#define COMMON_VALUE_NAME "bpf_struct_ops_common_value"

/* --- owners (BTF objects with registries) --- */

static void owner_btf_free(struct rt_obj *obj)
{
	struct rt_btf *b = caa_container_of(obj, struct rt_btf, obj);

	btf__free(b->btf); /* ext; a base it does not own is freed with the owner */
	btf__free(b->own_base);
	free(b->data);
	free(b);
}

/*
 * A standalone copy of split BTF @split with its base's types, ids kept. ext
 * on a host BTF that is itself split (a host passing vmlinux plus a module's
 * BTF, or `--btf HOST --base BASE`) is split on this copy instead: libbpf 1.1
 * reads names wrong in a split on a split (it offsets strings by the nearest
 * base only).
 */
static struct btf *btf_flatten(const struct btf *split)
{
	uint32_t n = btf__type_cnt(split);
	struct btf *flat = btf__new_empty();

	for (uint32_t id = 1; flat && id < n; id++) {
		if (btf__add_type(flat, split, btf__type_by_id(split, id)) != (int)id) {
			btf__free(flat);
			flat = NULL;
		}
	}
	return flat;
}

int st_owner_new(struct st_rt *st, struct btf *own, bool in_place, const char *name,
		 struct st_owner **out)
{
	struct st_owner *o = calloc(1, sizeof(*o)), **tab;
	struct rt_btf *b = calloc(1, sizeof(*b));
	int err = -ENOMEM;

	if (!o || !b)
		goto fail;
	if (!in_place && btf__base_btf(own)) {
		b->own_base = btf_flatten(own);
		if (!b->own_base)
			goto fail;
	}
	b->btf = in_place ? own : btf__new_empty_split(b->own_base ? b->own_base : own);
	b->data = calloc(1, 1);
	if (!b->btf || !b->data)
		goto fail;
	b->kernel_btf = true;
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->st_owner = o;
	tab = realloc(st->owners, (st->owner_cnt + 1) * sizeof(*tab));
	if (!tab)
		goto fail;
	st->owners = tab;
	err = rt_obj_init(st->rt, &b->obj, SOPS_OBJ_BTF, owner_btf_free);
	if (err)
		goto fail;
	o->st = st;
	o->rb = b;
	o->ext = b->btf;
	o->own = own;
	st->owners[st->owner_cnt++] = o;
	*out = o;
	return 0;
fail:
	if (b) {
		if (!in_place)
			btf__free(b->btf);
		btf__free(b->own_base);
		free(b->data);
	}
	free(b);
	free(o);
	return err;
}

/* Frees descs; the BTF object goes with its last reference. The module's own BTF is freed by the caller. */
void st_owner_free(struct st_owner *o)
{
	for (uint32_t i = 0; i < o->desc_cnt; i++) {
		free(o->descs[i]->data_holes);
		free(o->descs[i]);
	}
	free(o->descs);
	free(o);
}

/* The host's owner, created on first use. Under st->lock. */
static int host_owner_locked(struct st_rt *st, struct st_owner **out)
{
	int err;

	if (st->host) {
		*out = st->host;
		return 0;
	}
	if (!st->rt->host_btf)
		return -ENOENT;
	err = st_owner_new(st, (struct btf *)st->rt->host_btf, false, "vmlinux", &st->host);
	if (!err)
		*out = st->host;
	return err;
}

int st_host_owner(struct st_rt *st, struct st_owner **out)
{
	int err;

	pthread_mutex_lock(&st->lock);
	err = host_owner_locked(st, out);
	pthread_mutex_unlock(&st->lock);
	return err;
}

struct st_owner *st_owner_of_btf(struct st_rt *st, const struct rt_btf *rb)
{
	struct st_owner *o = NULL;

	pthread_mutex_lock(&st->lock);
	if (!rb)
		host_owner_locked(st, &o);
	else if (rb->kernel_btf && rb->st_owner)
		o = rb->st_owner;
	if (o && o->gone)
		o = NULL;
	pthread_mutex_unlock(&st->lock);
	return o;
}

static struct st_desc *find_desc(struct st_owner *o, uint32_t id, bool by_value)
{
	struct st_desc *d = NULL;

	pthread_mutex_lock(&o->st->lock);
	for (uint32_t i = 0; !o->gone && i < o->desc_cnt; i++) {
		if ((by_value ? o->descs[i]->value_id : o->descs[i]->type_id) == id) {
			d = o->descs[i];
			break;
		}
	}
	pthread_mutex_unlock(&o->st->lock);
	return d;
}

struct st_desc *st_find_desc_by_value(struct st_owner *o, uint32_t value_id)
{
	return find_desc(o, value_id, true);
}

struct st_desc *st_find_desc_by_type(struct st_owner *o, uint32_t type_id)
{
	return find_desc(o, type_id, false);
}

/* --- BTF walking (registration only) --- */

/* btf_func_ptr_proto() that also gives the prototype's id. */
static const struct btf_type *func_ptr_proto(const struct btf *btf, uint32_t id, uint32_t *proto_id)
{
	const struct btf_type *t = btf_skip_mods(btf, id, NULL);

	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf_skip_mods(btf, t->type, proto_id);
	return t && btf_is_func_proto(t) ? t : NULL;
}

static bool is_ptr_to_struct(const struct btf *btf, uint32_t id, uint32_t *struct_id)
{
	const struct btf_type *t = btf_skip_mods(btf, id, NULL);

	if (!t || !btf_is_ptr(t))
		return false;
	t = btf_skip_mods(btf, t->type, struct_id);
	return t && btf_is_struct(t);
}

static bool is_module_ptr(const struct btf *btf, uint32_t id)
{
	uint32_t sid;
	const char *n;

	if (!is_ptr_to_struct(btf, id, &sid))
		return false;
	n = btf__name_by_offset(btf, btf__type_by_id(btf, sid)->name_off);
	return n && (!strcmp(n, "module") || !strcmp(n, "sops_module"));
}

/* --- value types --- */

static int find_or_add_common(struct btf *ext)
{
	int id = btf__find_by_name_kind(ext, COMMON_VALUE_NAME, BTF_KIND_STRUCT);
	int s32, u32;

	if (id > 0)
		return id;
	s32 = btf__add_int(ext, "int", 4, BTF_INT_SIGNED);
	u32 = btf__add_int(ext, "unsigned int", 4, 0);
	if (s32 < 0 || u32 < 0)
		return -ENOMEM;
	id = btf__add_struct(ext, COMMON_VALUE_NAME, 8);
	if (id < 0 || btf__add_field(ext, "refcnt", s32, 0, 0) || btf__add_field(ext, "state", u32, 32, 0))
		return -ENOMEM;
	return id;
}

/* The value type's id: found in the owner's BTF, or synthesized into ext. */
static int value_type(struct st_owner *o, const char *vname, uint32_t type_id, uint32_t tsize)
{
	int id = btf__find_by_name_kind(o->ext, vname, BTF_KIND_STRUCT), common;
	uint32_t size = (ST_VALUE_ALIGN + tsize + ST_VALUE_ALIGN - 1) / ST_VALUE_ALIGN * ST_VALUE_ALIGN;

	if (id > 0)
		return id;
	common = find_or_add_common(o->ext);
	if (common < 0)
		return common;
	id = btf__add_struct(o->ext, vname, size);
	if (id < 0 || btf__add_field(o->ext, "common", common, 0, 0) ||
	    btf__add_field(o->ext, "data", (int)type_id, ST_VALUE_ALIGN * 8, 0))
		return -ENOMEM;
	return id;
}

/* Spec 2.10 4f: exactly { common value, struct <name> }; fills the layout fields of @d. */
static int check_value_type(const struct btf *btf, struct st_desc *d, struct sops_log *log)
{
	const struct btf_type *v = btf__type_by_id(btf, d->value_id), *c;
	const struct btf_member *m;
	uint32_t cid, did;
	const char *cname;

	if (!v || !btf_is_struct(v) || btf_vlen(v) != 2)
		return log_err(log, -EINVAL, "value type is not a struct of 2 members (common, data)");
	m = btf_members(v);
	c = btf_skip_mods(btf, m[0].type, &cid);
	cname = c ? btf__name_by_offset(btf, c->name_off) : NULL;
	if (!c || !btf_is_struct(c) || !cname || strcmp(cname, COMMON_VALUE_NAME) || c->size != 8 ||
	    btf_member_bit_offset(v, 0) != 0)
		return log_err(log, -EINVAL,
			       "value type's first member is not struct " COMMON_VALUE_NAME " (8 bytes at offset 0)");
	if (!btf_skip_mods(btf, m[1].type, &did) || did != d->type_id || btf_member_bit_offset(v, 1) % 8)
		return log_err(log, -EINVAL, "value type's second member is not the ops struct, byte-aligned");
	d->data_off = btf_member_bit_offset(v, 1) / 8;
	d->value_size = v->size;
	if (d->data_off < 8 || d->data_off + d->data_size > d->value_size)
		return log_err(log, -EINVAL, "value type's data member (offset %u) does not fit its %u bytes",
			       d->data_off, d->value_size);
	return 0;
}

/* Padding of the value type (between/after common and data, and between/after data's members). */
static int compute_holes(struct st_desc *d, struct sops_log *log)
{
	d->data_holes = malloc(d->value_size);
	if (!d->data_holes)
		return log_err(log, -ENOMEM, "out of memory");
	memset(d->data_holes, 1, d->value_size);
	memset(d->data_holes, 0, 8);
	for (uint32_t i = 0; i < d->member_cnt; i++)
		memset(d->data_holes + d->data_off + d->members[i].off, 0, d->members[i].size);
	return 0;
}

/* --- members --- */

static const struct btf_type *stub_proto(const struct btf *btf, const struct sops_struct_ops *st_ops,
					 const char *mname, const void *stub, char *name, size_t size)
{
	const struct btf_type *f;
	Dl_info info;
	int id = -1;

	if (dladdr(stub, &info) && info.dli_sname && info.dli_saddr == stub) {
		snprintf(name, size, "%s", info.dli_sname);
		id = btf__find_by_name_kind(btf, info.dli_sname, BTF_KIND_FUNC);
	}
	if (id <= 0) {
		snprintf(name, size, "%s__%s", st_ops->name, mname);
		id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	}
	if (id <= 0)
		return NULL;
	f = btf__type_by_id(btf, id);
	f = f ? btf__type_by_id(btf, f->type) : NULL;
	return f && btf_is_func_proto(f) ? f : NULL;
}

/*
 * The annotation suffix of a stub parameter name: from the first "__" after
 * the name proper ("c__nullable" -> "__nullable"), NULL without one. Leading
 * underscores belong to the name.
 */
static const char *param_suffix(const char *pn)
{
	const char *p = pn;

	while (*p == '_')
		p++;
	return *p ? strstr(p, "__") : NULL;
}

/*
 * The kernel's prepare_arg_info: __nullable / __ref stub parameters. Any
 * other suffix (a newer kernel's `__arena__nullable`, a typo) is refused by
 * name: ignoring it would drop a promise the stub's author meant to make.
 */
static int arg_info(const struct btf *btf, const struct sops_struct_ops *st_ops, struct st_member *sm,
		    const struct btf_type *proto, const void *stub, struct sops_log *log)
{
	char sname[SOPS_STRUCT_OPS_NAME_MAX * 2];
	const struct btf_type *sp = stub_proto(btf, st_ops, sm->name, stub, sname, sizeof(sname));
	const struct btf_param *a, *b;

	if (!sp && st_btf_type_stubs_optional(st_ops))
		return 0; /* a type from BTF alone: no stub, no annotations */
	if (!sp)
		return log_err(log, -ENOENT,
			       "no BTF FUNC for its stub (looked for '%s'): name the stub %s__%s, or export "
			       "it (-rdynamic), and build the BTF from the object that defines it",
			       sname, st_ops->name, sm->name);
	if (btf_vlen(sp) != btf_vlen(proto))
		return log_err(log, -EINVAL, "stub '%s' has %u parameters, the member %u", sname,
			       btf_vlen(sp), btf_vlen(proto));
	a = btf_params(proto);
	b = btf_params(sp);
	for (uint16_t i = 0; i < btf_vlen(sp) && i < FUNC_MODEL_MAX_ARGS; i++) {
		const char *pn = btf__name_by_offset(btf, b[i].name_off);
		const char *sfx = pn ? param_suffix(pn) : NULL;
		uint32_t s1, s2;
		uint8_t info = 0;

		if (!sfx)
			continue;
		if (!strcmp(sfx, "__nullable"))
			info = ST_ARG_NULLABLE;
		else if (!strcmp(sfx, "__ref"))
			info = ST_ARG_REF;
		else
			return log_err(log, -EINVAL,
				       "stub '%s' parameter %u '%s': unknown annotation suffix '%s' "
				       "(known: __nullable, __ref)", sname, i, pn, sfx);
		if (!is_ptr_to_struct(btf, b[i].type, &s2) || !is_ptr_to_struct(btf, a[i].type, &s1) ||
		    s1 != s2)
			return log_err(log, -EINVAL,
				       "stub '%s' parameter %u '%s': %s needs a pointer to the struct the "
				       "member's argument %u points to", sname, i, pn, sfx, i);
		sm->arg_info[i] = info;
	}
	return 0;
}

static int init_member(const struct btf *btf, struct st_desc *d, uint32_t i, struct sops_log *log)
{
	const struct btf_member *m = btf_members(d->type) + i;
	struct st_member *sm = &d->members[i];
	const struct btf_type *proto, *rt;
	uint32_t proto_id;
	const void *stub;
	int size;

	sm->m = m;
	sm->name = btf__name_by_offset(btf, m->name_off);
	if (!sm->name || !sm->name[0])
		return log_err(log, -EOPNOTSUPP, "member %u is anonymous (not supported)", i);
	if (btf_member_bitfield_size(d->type, i) || btf_member_bit_offset(d->type, i) % 8)
		return log_err(log, -EOPNOTSUPP, "is a bitfield (not supported)");
	sm->off = btf_member_bit_offset(d->type, i) / 8;
	size = btf__resolve_size(btf, m->type);
	if (size < 0)
		return log_err(log, -EINVAL, "its type (BTF id %u) has no size", m->type);
	sm->size = (uint32_t)size;
	if (is_module_ptr(btf, m->type)) {
		sm->kind = ST_MEMBER_MODULE;
		return 0;
	}
	proto = func_ptr_proto(btf, m->type, &proto_id);
	if (!proto)
		return 0;
	sm->kind = ST_MEMBER_FUNC;
	d->func_cnt++;
	memcpy(&stub, (const char *)d->st_ops->cfi_stubs + sm->off, sizeof(stub));
	if (!stub)
		return 0; /* not for BPF */
	if (proto->type) {
		rt = btf_skip_mods(btf, proto->type, NULL);
		if (rt && btf_is_ptr(rt) && !is_ptr_to_struct(btf, proto->type, NULL))
			return log_err(log, -EOPNOTSUPP, "returns a pointer to a non-struct (not supported)");
	}
	if (func_model_from_btf(btf, proto_id, &sm->model, log))
		return log_err(log, -EINVAL, "calling convention not supported");
	return arg_info(btf, d->st_ops, sm, proto, stub, log) ?: (sm->supported = true, 0);
}

/* init_member() of every member; a message gets "member 'm': " in front. */
static int init_members(const struct btf *btf, struct st_desc *d, struct sops_log *log)
{
	for (uint32_t i = 0; i < d->member_cnt; i++) {
		int err = init_member(btf, d, i, log);
		char what[SOPS_STRUCT_OPS_NAME_MAX + 16];

		if (!err)
			continue;
		snprintf(what, sizeof(what), "member '%s'", d->members[i].name ? d->members[i].name : "");
		log_prefix(log, what);
		return err;
	}
	return 0;
}

static int desc_init(struct st_owner *o, struct st_desc **out, const struct sops_struct_ops *st_ops,
		     struct sops_log *log)
{
	char vname[SOPS_STRUCT_OPS_NAME_MAX + 32];
	const struct btf_type *t;
	struct st_desc *d;
	int id, vid, err;

	if (strlen(st_ops->name) + strlen(SOPS_STRUCT_OPS_VALUE_PREFIX) >= SOPS_STRUCT_OPS_NAME_MAX)
		return log_err(log, -EINVAL, "name is too long (%zu bytes with the value prefix; at most %d)",
			       strlen(st_ops->name) + strlen(SOPS_STRUCT_OPS_VALUE_PREFIX),
			       SOPS_STRUCT_OPS_NAME_MAX - 1);
	if (!st_ops->cfi_stubs)
		return log_err(log, -EINVAL, "no cfi_stubs (one stub per member BPF may implement)");
	id = btf__find_by_name_kind(o->ext, st_ops->name, BTF_KIND_STRUCT);
	if (id <= 0)
		return log_err(log, -EINVAL, "no struct %s in the %s BTF (built with -g? typedefs and the "
			       "struct must be in the objects pahole read)", st_ops->name,
			       o->mod ? "module's" : "host's");
	t = btf__type_by_id(o->ext, id);
	if (btf_vlen(t) > SOPS_STRUCT_OPS_MAX_MEMBERS)
		return log_err(log, -EINVAL, "%u members; at most %d", btf_vlen(t),
			       SOPS_STRUCT_OPS_MAX_MEMBERS);
	snprintf(vname, sizeof(vname), SOPS_STRUCT_OPS_VALUE_PREFIX "%s", st_ops->name);
	vid = value_type(o, vname, (uint32_t)id, t->size);
	if (vid < 0)
		return log_err(log, vid == -ENOMEM ? -ENOMEM : -EINVAL, "cannot make value type %s", vname);
	/* ext may have grown: take the type again (it lives in the owner's own BTF, stable). */
	t = btf__type_by_id(o->ext, id);
	d = calloc(1, sizeof(*d) + btf_vlen(t) * sizeof(d->members[0]));
	if (!d)
		return log_err(log, -ENOMEM, "out of memory");
	d->st_ops = st_ops;
	d->owner = o;
	d->type = t;
	d->type_id = (uint32_t)id;
	d->value_id = (uint32_t)vid;
	d->data_size = t->size;
	d->member_cnt = btf_vlen(t);
	err = check_value_type(o->ext, d, log);
	if (!err)
		err = init_members(o->ext, d, log);
	if (!err)
		err = compute_holes(d, log);
	if (!err && st_ops->init && st_ops->init(o->ext))
		err = log_err(log, -EINVAL, "init() failed");
	if (err) {
		free(d->data_holes);
		free(d);
		return err;
	}
	*out = d;
	return 0;
}

/* The owner @st_ops registers in, checked against @btf. Under st->lock. */
static int reg_owner(struct st_rt *st, const struct sops_struct_ops *st_ops, const struct btf *btf,
		     struct st_owner **out, struct sops_log *log)
{
	struct st_owner *o;
	int err;

	if (st_ops->owner) {
		o = st_ops->owner->owner;
		if (!o || st_ops->owner->st != st)
			return log_err(log, -EINVAL, "owner is not a module of this runtime");
	} else {
		err = host_owner_locked(st, &o);
		if (err)
			return log_err(log, err, "the runtime has no host BTF (sops_runtime_opts.host_btf)");
	}
	if (btf && btf != o->own && btf != o->ext)
		return log_err(log, -EINVAL, "btf is not the %s BTF", st_ops->owner ? "module's" : "host's");
	for (uint32_t i = 0; i < o->desc_cnt; i++)
		if (o->descs[i]->st_ops == st_ops)
			return log_err(log, -EEXIST, "already registered");
	*out = o;
	return 0;
}

int sops_runtime__register_struct_ops_opts(struct sops_runtime *rt, const struct sops_struct_ops *st_ops,
					   const struct sops_struct_ops_reg_opts *opts)
{
	struct sops_log own = { OPTS_GET(opts, log_buf, NULL), OPTS_GET(opts, log_size, 0), 0 }, *log = &own;
	struct st_rt *st = rt ? st_of(rt) : NULL;
	struct st_owner *o = NULL;
	struct st_desc *d = NULL, **tab;
	char what[SOPS_STRUCT_OPS_NAME_MAX + 16];
	int err;

	if (!st || !st_ops || !st_ops->name || !OPTS_VALID(opts, sops_struct_ops_reg_opts))
		return log_err(log, -EINVAL, "invalid arguments (no runtime, type, name, or bad opts)");
	/* A module registering from its init without a log of its own: the load's log. */
	if (!own.buf && st_ops->owner && st_ops->owner->st == st && st_ops->owner->load_log &&
	    !st_ops->owner->load_log->written)
		log = st_ops->owner->load_log;
	pthread_mutex_lock(&st->lock);
	err = reg_owner(st, st_ops, OPTS_GET(opts, btf, NULL), &o, log);
	if (err)
		goto out;
	tab = realloc(o->descs, (o->desc_cnt + 1) * sizeof(*tab));
	if (!tab) {
		err = log_err(log, -ENOMEM, "out of memory");
		goto out;
	}
	o->descs = tab;
	err = desc_init(o, &d, st_ops, log);
	if (!err)
		o->descs[o->desc_cnt++] = d;
out:
	pthread_mutex_unlock(&st->lock);
	if (err) {
		snprintf(what, sizeof(what), "struct_ops %s", st_ops->name);
		log_prefix(log, what);
	}
	return err;
}

int sops_runtime__register_struct_ops(struct sops_runtime *rt, const struct sops_struct_ops *st_ops,
				      const struct btf *btf)
{
	struct sops_struct_ops_reg_opts opts = { .sz = sizeof(opts), .btf = btf };

	return sops_runtime__register_struct_ops_opts(rt, st_ops, &opts);
}

int sops_runtime__host_btf_fd(struct sops_runtime *rt)
{
	struct st_owner *o;
	int err, fd;

	if (!rt)
		return -EINVAL;
	err = st_host_owner(st_of(rt), &o);
	if (err)
		return err;
	rt_obj_get(&o->rb->obj);
	fd = rt_handle_install(rt, &o->rb->obj);
	if (fd < 0)
		rt_obj_put(&o->rb->obj);
	return fd;
}

int sops_runtime__find_struct_ops(struct sops_runtime *rt, const char *name, uint32_t *type_id,
				  uint32_t *value_id, struct sops_module **mod)
{
	struct st_rt *st = rt ? st_of(rt) : NULL;
	int err = -ENOENT;

	if (!st || !name)
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	/* The host's BTF first, then modules' in load order (the loader's search order). */
	for (int pass = 0; err && pass < 2; pass++) {
		for (uint32_t i = 0; err && i < st->owner_cnt; i++) {
			struct st_owner *o = st->owners[i];

			if (o->gone || (o == st->host) != (pass == 0))
				continue;
			for (uint32_t j = 0; j < o->desc_cnt; j++) {
				struct st_desc *d = o->descs[j];

				if (strcmp(d->st_ops->name, name))
					continue;
				if (type_id)
					*type_id = d->type_id;
				if (value_id)
					*value_id = d->value_id;
				if (mod)
					*mod = o->mod;
				err = 0;
				break;
			}
		}
	}
	pthread_mutex_unlock(&st->lock);
	return err;
}

/* --- kdata accessors --- */

const struct sops_struct_ops *sops_struct_ops_of(const void *kdata)
{
	return kdata ? st_map_of_kdata(kdata)->desc->st_ops : NULL;
}

void *sops_struct_ops_priv(const void *kdata)
{
	const struct sops_struct_ops *s = sops_struct_ops_of(kdata);

	return s ? s->priv : NULL;
}

uint32_t sops_struct_ops_map_id(const void *kdata)
{
	return kdata ? st_map_of_kdata(kdata)->map.obj.id : 0;
}

bool sops_struct_ops_get(const void *kdata)
{
	struct st_map *m = st_map_of_kdata(kdata);

	if (!rt_obj_get_not_zero(&m->map.obj))
		return false;
	atomic_fetch_add(&m->kref, 1);
	return true;
}

void sops_struct_ops_put(const void *kdata)
{
	st_map_put_kref(st_map_of_kdata(kdata));
}

/* --- setup --- */

int st_runtime_init(struct sops_runtime *rt)
{
	static const struct rt_hooks hooks = {
		.struct_ops_link_create = st_link_create,
		.prog_assoc_struct_ops = st_prog_assoc,
		.prog_free = st_prog_free,
		.kfunc_bind = st_kfunc_bind,
		.kfunc_pin = st_kfunc_pin,
	};
	struct st_rt *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->rt = rt;
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->update_mutex, NULL);
	rt->st = st;
	rt_register_map_type(rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, &st_map_ops);
	rt_register_prog_type(rt, SOPS_BPF_PROG_TYPE_STRUCT_OPS, &st_prog_type_ops);
	rt_set_hooks(rt, &hooks);
	return 0;
}

void st_runtime_fini(struct sops_runtime *rt)
{
	struct st_rt *st = rt->st;

	if (!st)
		return;
	st_maps_unregister_all(st);
	do
		urcu_bp_barrier();
	while (atomic_load(&rt->pending_free) > 0);
	st_modules_unload_all(st);
	for (uint32_t i = 0; i < st->owner_cnt; i++)
		rt_obj_put(&st->owners[i]->rb->obj);
	/* Wait for the BTF objects (ext) to go before their bases (modules' own BTF). */
	do
		urcu_bp_barrier();
	while (atomic_load(&rt->pending_free) > 0);
	for (uint32_t i = 0; i < st->owner_cnt; i++) {
		struct st_owner *o = st->owners[i];

		if (o->own != o->ext && o != st->host)
			btf__free(o->own);
		st_owner_free(o);
	}
	free(st->owners);
	st_btf_types_free(st);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->update_mutex);
	free(st);
	rt->st = NULL;
}
