/* SPDX-License-Identifier: MIT */
/*
 * st_map.c - the STRUCT_OPS map: create (spec 2.1), update (2.2), lookup
 * (2.3), delete (2.4), free (1.9) and the INIT/INUSE/TOBEFREE/READY states.
 *
 * A map holds two copies of the value: uvalue, what the user wrote with each
 * function slot replaced by the program's id (what lookup returns), and
 * kdata, the live ops struct the host receives, whose function slots are
 * thunks (thunk.h) running the programs with the member's C signature.
 * Updates serialize on the map's mutex; state is read lock-free (release
 * store after everything it publishes is written). The map holds a reference
 * on each program of its slots, and on its module; everything is freed with
 * the map, after an RCU grace period (the runtime's object free).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "st_internal.h"

#define ALLOWED_FLAGS (SOPS_BPF_F_LINK | SOPS_BPF_F_VTYPE_BTF_OBJ_FD)

void st_map_get_kref(struct st_map *m)
{
	atomic_fetch_add(&m->kref, 1);
	rt_obj_get(&m->map.obj);
}

void st_map_put_kref(struct st_map *m)
{
	atomic_fetch_sub(&m->kref, 1);
	rt_obj_put(&m->map.obj);
}

/* --- create / free --- */

static int st_alloc_check(const union sops_bpf_attr *attr)
{
	if (attr->key_size != 4 || attr->max_entries != 1 || attr->map_flags & ~ALLOWED_FLAGS ||
	    !attr->btf_vmlinux_value_type_id)
		return -EINVAL;
	return 0;
}

/* Spec 2.1.10a: the module BTF named by value_type_btf_obj_fd, with a module reference. */
static int vtype_owner(struct st_rt *st, int fd, struct st_owner **out, struct sops_module **mod)
{
	struct st_owner *o;
	struct rt_obj *obj;
	struct rt_btf *b;
	int err;

	err = rt_handle_get(st->rt, fd, SOPS_OBJ_BTF, &obj);
	if (err)
		return err;
	b = caa_container_of(obj, struct rt_btf, obj);
	o = b->kernel_btf ? b->st_owner : NULL;
	err = -EINVAL;
	if (o && o != st->host && o->mod && st_module_get(o->mod)) {
		*out = o;
		*mod = o->mod;
		err = 0;
	}
	rt_obj_put(obj);
	return err;
}

/*
 * Drop the programs of the function slots, their thunks and associations (the
 * kernel's bpf_struct_ops_map_put_progs). The kernel leaves the association;
 * we drop it so no pointer outlives the map.
 */
static void put_progs(struct st_map *m)
{
	for (uint32_t i = 0; m->progs && i < m->desc->member_cnt; i++) {
		if (!m->progs[i])
			continue;
		st_prog_disassoc_map(m->progs[i], m);
		thunk_free(m->thunks[i]);
		rt_obj_put(&m->progs[i]->obj);
		m->progs[i] = NULL;
		m->thunks[i] = NULL;
	}
}

static void st_map_free(struct rt_map *map)
{
	struct st_map *m = st_map_of(map);

	if (m->mod)
		st_module_put(m->mod);
	put_progs(m);
	free(m->progs);
	free(m->thunks);
	free(m->uvalue);
	free(m->kv);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static int st_alloc(struct sops_runtime *rt, const union sops_bpf_attr *attr, struct rt_map **out)
{
	struct st_rt *st = st_of(rt);
	struct sops_module *mod = NULL;
	struct st_owner *o = NULL;
	struct st_desc *d;
	struct st_map *m;
	struct rt_obj *bo;
	int err;

	if (attr->map_flags & SOPS_BPF_F_VTYPE_BTF_OBJ_FD) {
		err = vtype_owner(st, attr->value_type_btf_obj_fd, &o, &mod);
		if (err)
			return err;
	} else if (st_host_owner(st, &o)) {
		return -SOPS_ENOTSUPP;
	}
	d = st_find_desc_by_value(o, attr->btf_vmlinux_value_type_id);
	err = -SOPS_ENOTSUPP;
	if (!d)
		goto fail;
	err = -EINVAL;
	if (attr->value_size != d->value_size)
		goto fail;
	/* Spec 2.1.12: btf_fd must be a user BTF. */
	err = rt_handle_get(rt, (int)attr->btf_fd, SOPS_OBJ_BTF, &bo);
	if (err)
		goto fail;
	err = caa_container_of(bo, struct rt_btf, obj)->kernel_btf ? -EACCES : 0;
	rt_obj_put(bo);
	if (err)
		goto fail;
	err = -ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto fail;
	pthread_mutex_init(&m->lock, NULL);
	m->desc = d;
	m->mod = mod;
	m->uvalue = calloc(1, d->value_size);
	m->kv = aligned_alloc(ST_VALUE_ALIGN,
			      ROUND_UP(sizeof(struct st_kv_hdr) + d->data_size, ST_VALUE_ALIGN));
	m->progs = calloc(d->member_cnt ? d->member_cnt : 1, sizeof(*m->progs));
	m->thunks = calloc(d->member_cnt ? d->member_cnt : 1, sizeof(*m->thunks));
	if (!m->uvalue || !m->kv || !m->progs || !m->thunks) {
		m->mod = NULL;
		st_map_free(&m->map);
		goto fail;
	}
	memset(m->kv, 0, sizeof(struct st_kv_hdr) + d->data_size);
	m->kv->map = m;
	atomic_init(&m->state, SOPS_STRUCT_OPS_STATE_INIT);
	*out = &m->map;
	return 0;
fail:
	if (mod)
		st_module_put(mod);
	return err;
}

/* --- update --- */

/* Back to INIT: the kernel's bpf_struct_ops_map_put_progs + zeroing. Under m->lock. */
static void reset(struct st_map *m)
{
	struct st_desc *d = m->desc;

	put_progs(m);
	memset(m->uvalue, 0, d->value_size);
	memset(st_kdata(m), 0, d->data_size);
	atomic_store(&m->state, SOPS_STRUCT_OPS_STATE_INIT);
}

static int get_prog(struct sops_runtime *rt, int fd, struct sops_prog **prog)
{
	struct rt_obj *o;
	int err = rt_handle_get(rt, fd, SOPS_OBJ_PROG, &o);

	*prog = err ? NULL : caa_container_of(o, struct sops_prog, obj);
	return err;
}

/* Spec 2.2.12 d-j for function member @i. */
static int fill_func(struct st_map *m, uint32_t i, void *kdata, void *udata)
{
	struct st_member *sm = &m->desc->members[i];
	struct sops_log log = { 0 };
	struct sops_prog *prog;
	unsigned long slot;
	struct thunk *th;
	uint64_t id;
	int err;

	memcpy(&slot, (char *)udata + sm->off, sizeof(slot));
	if (!(int)slot)
		return 0;
	err = get_prog(m->map.obj.rt, (int)slot, &prog);
	if (err)
		return err;
	if (prog->type != SOPS_BPF_PROG_TYPE_STRUCT_OPS || prog->attach_btf_id != m->desc->type_id ||
	    prog->expected_attach_type != i) {
		rt_obj_put(&prog->obj);
		return -EINVAL;
	}
	st_prog_assoc(prog, &m->map, 0); /* never fails for struct_ops programs */
	m->progs[i] = prog;
	if (!sm->supported)
		return -EINVAL; /* cannot happen: such a program fails its load */
	err = thunk_create_prog(&sm->model, prog, &th, &log);
	if (err)
		return err;
	m->thunks[i] = th;
	memcpy((char *)kdata + sm->off, &th->entry, sizeof(void *));
	id = prog->obj.id;
	memcpy((char *)udata + sm->off, &id, sizeof(id));
	return 0;
}

static int fill_members(struct st_map *m, void *kdata, void *udata)
{
	const struct st_desc *d = m->desc;
	const struct sops_struct_ops *ops = d->st_ops;
	void *owner = SOPS_STRUCT_OPS_MODULE_OWNER;
	int err;

	for (uint32_t i = 0; i < d->member_cnt; i++) {
		const struct st_member *sm = &d->members[i];

		if (sm->kind == ST_MEMBER_MODULE) {
			/* The kernel returns a stale err here; structops says EINVAL. */
			if (!rt_mem_is_zero((char *)udata + sm->off, sm->size))
				return -EINVAL;
			memcpy((char *)kdata + sm->off, &owner, sizeof(owner));
			continue;
		}
		if (ops->init_member) {
			err = ops->init_member(d->type, sm->m, kdata, udata);
			if (err < 0)
				return err;
			if (err > 0)
				continue;
		}
		if (sm->kind != ST_MEMBER_FUNC) {
			if (!rt_mem_is_zero((char *)udata + sm->off, sm->size))
				return -EINVAL;
			continue;
		}
		err = fill_func(m, i, kdata, udata);
		if (err)
			return err;
	}
	return 0;
}

static bool holes_zero(const struct st_desc *d, const uint8_t *v)
{
	for (uint32_t i = 0; i < d->value_size; i++)
		if (d->data_holes[i] && v[i])
			return false;
	return true;
}

static int st_sys_update(struct rt_map *map, const void *key, const void *value, uint64_t flags)
{
	struct st_map *m = st_map_of(map);
	const struct st_desc *d = m->desc;
	struct sops_struct_ops_common_value common;
	void *kdata = st_kdata(m), *udata;
	int err;

	if (flags)
		return -EINVAL;
	if (*(const uint32_t *)key != 0)
		return -E2BIG;
	if (!holes_zero(d, value))
		return -EINVAL;
	memcpy(&common, value, sizeof(common));
	if (common.state || common.refcnt)
		return -EINVAL;

	pthread_mutex_lock(&m->lock);
	if (atomic_load(&m->state) != SOPS_STRUCT_OPS_STATE_INIT) {
		err = -EBUSY;
		goto unlock;
	}
	memcpy(m->uvalue, value, d->value_size);
	udata = (char *)m->uvalue + d->data_off;
	err = fill_members(m, kdata, udata);
	if (err)
		goto reset;
	if (d->st_ops->validate) {
		err = d->st_ops->validate(kdata);
		if (err)
			goto reset;
	}
	if (m->map.map_flags & SOPS_BPF_F_LINK) {
		atomic_store_explicit(&m->state, SOPS_STRUCT_OPS_STATE_READY, memory_order_release);
		goto unlock;
	}
	err = d->st_ops->reg(kdata, NULL);
	if (err)
		goto reset;
	st_map_get_kref(m);
	atomic_store_explicit(&m->state, SOPS_STRUCT_OPS_STATE_INUSE, memory_order_release);
	goto unlock;
reset:
	reset(m);
unlock:
	pthread_mutex_unlock(&m->lock);
	return err;
}

/* --- lookup / delete / next key --- */

static int st_sys_lookup(struct rt_map *map, const void *key, void *value, uint64_t flags)
{
	struct st_map *m = st_map_of(map);
	struct sops_struct_ops_common_value common;
	uint32_t state;
	long refs;

	(void)flags;
	if (*(const uint32_t *)key != 0)
		return -ENOENT;
	state = atomic_load_explicit(&m->state, memory_order_acquire);
	if (state == SOPS_STRUCT_OPS_STATE_INIT) {
		memset(value, 0, m->desc->value_size);
		return 0;
	}
	memcpy(value, m->uvalue, m->desc->value_size);
	refs = atomic_load(&m->kref);
	common.refcnt = refs > 0 ? (int32_t)refs : 0;
	common.state = state;
	memcpy(value, &common, sizeof(common));
	return 0;
}

static int st_sys_delete(struct rt_map *map, const void *key)
{
	struct st_map *m = st_map_of(map);
	uint32_t prev = SOPS_STRUCT_OPS_STATE_INUSE;

	(void)key;
	if (m->map.map_flags & SOPS_BPF_F_LINK)
		return -EOPNOTSUPP;
	if (atomic_compare_exchange_strong(&m->state, &prev, SOPS_STRUCT_OPS_STATE_TOBEFREE)) {
		m->desc->st_ops->unreg(st_kdata(m), NULL);
		st_map_put_kref(m);
		return 0;
	}
	return prev == SOPS_STRUCT_OPS_STATE_TOBEFREE ? -EINPROGRESS : -ENOENT;
}

void st_maps_unregister_all(struct st_rt *st)
{
	struct sops_runtime *rt = st->rt;
	uint32_t id = 0;
	struct rt_obj *o;

	/* Every handle is closed: what is left is held by registrations (or going away). */
	while (!rt_id_next(rt, SOPS_OBJ_MAP, id, &id)) {
		if (rt_id_get(rt, SOPS_OBJ_MAP, id, &o))
			continue;
		if (st_is_map(caa_container_of(o, struct rt_map, obj)))
			st_sys_delete(caa_container_of(o, struct rt_map, obj), &(uint32_t){ 0 });
		rt_obj_put(o);
	}
}

static int st_get_next_key(struct rt_map *map, const void *key, void *next)
{
	(void)map;
	if (key && *(const uint32_t *)key == 0)
		return -ENOENT;
	*(uint32_t *)next = 0;
	return 0;
}

static void *st_lookup_elem(struct rt_map *map, const void *key)
{
	(void)map;
	(void)key;
	return NULL; /* programs cannot read a struct_ops map (the kernel: -EINVAL) */
}

static void st_fill_info(struct rt_map *map, struct sops_bpf_map_info *info)
{
	info->btf_vmlinux_id = st_map_of(map)->desc->owner->rb->obj.id;
}

const struct rt_map_ops st_map_ops = {
	.alloc_check = st_alloc_check,
	.alloc = st_alloc,
	.free = st_map_free,
	.lookup_elem = st_lookup_elem,
	.sys_lookup = st_sys_lookup,
	.sys_update = st_sys_update,
	.sys_delete = st_sys_delete,
	.get_next_key = st_get_next_key,
	.fill_info = st_fill_info,
};
