/* SPDX-License-Identifier: MIT */
/*
 * handle.c - objects, their references, handles (fd-like) and ids.
 *
 * Handles: an RCU-published array of object pointers. Lookups take no lock:
 * read the slot under rcu_read_lock and take a reference unless the count has
 * already dropped to zero (the object is then being freed, after a grace
 * period, so the memory is still valid while we look). Writers (install,
 * close, growth) serialize on handle_lock; a grown table replaces the old one
 * and the old one is freed after a grace period.
 *
 * Map handles are also the map's user references (usercnt): when the last
 * one closes, the map's timers are cancelled and freed (timer.c).
 *
 * Ids: per kind, a sorted array under id_lock (id operations are rare host
 * calls). Ids are allocated increasing from 1 and never reused while the
 * counter has not wrapped, like the kernel's cyclic idr.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

#define HANDLE_FIRST 1 /* 0 is never a handle: "no fd" in attrs and struct_ops slots */
#define HANDLE_MAX (1 << 20)

static void id_remove(struct sops_runtime *rt, struct rt_obj *obj)
{
	struct rt_idtab *t = &rt->ids[obj->kind];

	pthread_mutex_lock(&rt->id_lock);
	for (uint32_t i = 0; i < t->cnt; i++) {
		if (t->objs[i] == obj) {
			memmove(&t->objs[i], &t->objs[i + 1], (t->cnt - i - 1) * sizeof(*t->objs));
			t->cnt--;
			break;
		}
	}
	pthread_mutex_unlock(&rt->id_lock);
}

int rt_obj_init(struct sops_runtime *rt, struct rt_obj *obj, enum sops_obj_kind kind,
		void (*free_fn)(struct rt_obj *obj))
{
	struct rt_idtab *t = &rt->ids[kind];
	int err = 0;

	atomic_init(&obj->refcnt, 1);
	obj->kind = kind;
	obj->rt = rt;
	obj->free = free_fn;

	pthread_mutex_lock(&rt->id_lock);
	if (t->cnt == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		struct rt_obj **objs = realloc(t->objs, cap * sizeof(*objs));

		if (!objs) {
			err = -ENOMEM;
			goto out;
		}
		t->objs = objs;
		t->cap = cap;
	}
	if (t->next_id == 0 || t->next_id >= INT32_MAX)
		t->next_id = 1;
	obj->id = t->next_id++;
	/* Increasing ids append; after a wrap, insert in order (rare). */
	{
		uint32_t pos = t->cnt;

		while (pos && t->objs[pos - 1]->id > obj->id)
			pos--;
		memmove(&t->objs[pos + 1], &t->objs[pos], (t->cnt - pos) * sizeof(*t->objs));
		t->objs[pos] = obj;
		t->cnt++;
	}
	atomic_fetch_add(&rt->live[kind], 1);
out:
	pthread_mutex_unlock(&rt->id_lock);
	return err;
}

void rt_obj_abort(struct rt_obj *obj)
{
	struct sops_runtime *rt = obj->rt;

	id_remove(rt, obj);
	atomic_fetch_sub(&rt->live[obj->kind], 1);
	obj->free(obj);
}

void rt_obj_get(struct rt_obj *obj)
{
	atomic_fetch_add_explicit(&obj->refcnt, 1, memory_order_relaxed);
}

bool rt_obj_get_not_zero(struct rt_obj *obj)
{
	long c = atomic_load_explicit(&obj->refcnt, memory_order_relaxed);

	while (c > 0)
		if (atomic_compare_exchange_weak(&obj->refcnt, &c, c + 1))
			return true;
	return false;
}

static void obj_free_rcu(struct rcu_head *head)
{
	struct rt_obj *obj = caa_container_of(head, struct rt_obj, rcu);
	struct sops_runtime *rt = obj->rt;
	enum sops_obj_kind kind = obj->kind;

	obj->free(obj);
	atomic_fetch_sub(&rt->live[kind], 1);
	atomic_fetch_sub(&rt->pending_free, 1);
}

void rt_obj_put(struct rt_obj *obj)
{
	struct sops_runtime *rt;

	if (!obj || atomic_fetch_sub_explicit(&obj->refcnt, 1, memory_order_acq_rel) != 1)
		return;
	rt = obj->rt;
	id_remove(rt, obj);
	atomic_fetch_add(&rt->pending_free, 1);
	urcu_bp_call_rcu(&obj->rcu, obj_free_rcu);
}

/* Grow the table to hold @need slots; under handle_lock. */
static int htab_grow(struct sops_runtime *rt, uint32_t need)
{
	struct rt_handle_table *old = atomic_load(&rt->htab), *t;
	uint32_t cap = old ? old->cap : 0;
	size_t sz;

	if (need <= cap)
		return 0;
	if (need > HANDLE_MAX)
		return -EMFILE;
	while (cap < need)
		cap = cap ? cap * 2 : 64;
	sz = sizeof(*t) + cap * sizeof(t->slot[0]);
	t = calloc(1, sz);
	if (!t)
		return -ENOMEM;
	t->cap = cap;
	for (uint32_t i = 0; old && i < old->cap; i++)
		atomic_init(&t->slot[i], atomic_load(&old->slot[i]));
	atomic_store(&rt->htab, t);
	if (old) {
		/* Readers may still index the old table; never called inside a read section. */
		urcu_bp_synchronize_rcu();
		free(old);
	}
	return 0;
}

int rt_handle_install(struct sops_runtime *rt, struct rt_obj *obj)
{
	struct rt_handle_table *t;
	uint32_t fd;
	int err;

	pthread_mutex_lock(&rt->handle_lock);
	t = atomic_load(&rt->htab);
	for (fd = HANDLE_FIRST; t && fd < t->cap; fd++)
		if (!atomic_load_explicit(&t->slot[fd], memory_order_relaxed))
			break;
	err = htab_grow(rt, fd + 1);
	if (err) {
		pthread_mutex_unlock(&rt->handle_lock);
		return err;
	}
	t = atomic_load(&rt->htab);
	if (obj->kind == SOPS_OBJ_MAP) /* a user reference (the kernel's usercnt) */
		atomic_fetch_add(&caa_container_of(obj, struct rt_map, obj)->usercnt, 1);
	atomic_store_explicit(&t->slot[fd], obj, memory_order_release);
	atomic_fetch_add(&rt->open_handles, 1);
	pthread_mutex_unlock(&rt->handle_lock);
	return (int)fd;
}

int rt_handle_get(struct sops_runtime *rt, int fd, enum sops_obj_kind kind, struct rt_obj **out)
{
	struct rt_handle_table *t;
	struct rt_obj *obj = NULL;
	int err = 0;

	*out = NULL;
	if (fd < 0)
		return -EBADF;
	urcu_bp_read_lock();
	t = atomic_load_explicit(&rt->htab, memory_order_acquire);
	if (t && (uint32_t)fd < t->cap)
		obj = atomic_load_explicit(&t->slot[fd], memory_order_acquire);
	if (!obj || !rt_obj_get_not_zero(obj))
		err = -EBADF;
	urcu_bp_read_unlock();
	if (err)
		return err;
	if ((int)kind >= 0 && obj->kind != kind) {
		rt_obj_put(obj);
		return -EINVAL;
	}
	*out = obj;
	return 0;
}

int rt_handle_close(struct sops_runtime *rt, int fd)
{
	struct rt_handle_table *t;
	struct rt_obj *obj = NULL;

	if (fd < 0)
		return -EBADF;
	pthread_mutex_lock(&rt->handle_lock);
	t = atomic_load(&rt->htab);
	if (t && (uint32_t)fd < t->cap)
		obj = atomic_exchange(&t->slot[fd], NULL);
	if (obj)
		atomic_fetch_sub(&rt->open_handles, 1);
	pthread_mutex_unlock(&rt->handle_lock);
	if (!obj)
		return -EBADF;
	if (obj->kind == SOPS_OBJ_MAP) {
		struct rt_map *map = caa_container_of(obj, struct rt_map, obj);

		/* The last user reference: the map's timers are cancelled and freed. */
		if (atomic_fetch_sub(&map->usercnt, 1) == 1)
			rt_timers_map_release(map);
	}
	rt_obj_put(obj);
	return 0;
}

void rt_handles_close_all(struct sops_runtime *rt)
{
	struct rt_handle_table *t = atomic_load(&rt->htab);

	for (uint32_t fd = 0; t && fd < t->cap; fd++)
		if (atomic_load(&t->slot[fd]))
			rt_handle_close(rt, (int)fd);
}

int rt_id_next(struct sops_runtime *rt, enum sops_obj_kind kind, uint32_t start, uint32_t *next)
{
	struct rt_idtab *t = &rt->ids[kind];
	int err = -ENOENT;

	pthread_mutex_lock(&rt->id_lock);
	for (uint32_t i = 0; i < t->cnt; i++) {
		if (t->objs[i]->id > start) {
			*next = t->objs[i]->id;
			err = 0;
			break;
		}
	}
	pthread_mutex_unlock(&rt->id_lock);
	return err;
}

int rt_id_get(struct sops_runtime *rt, enum sops_obj_kind kind, uint32_t id, struct rt_obj **out)
{
	struct rt_idtab *t = &rt->ids[kind];
	int err = -ENOENT;

	*out = NULL;
	pthread_mutex_lock(&rt->id_lock);
	for (uint32_t i = 0; i < t->cnt; i++) {
		if (t->objs[i]->id == id) {
			if (rt_obj_get_not_zero(t->objs[i])) {
				*out = t->objs[i];
				err = 0;
			}
			break;
		}
	}
	pthread_mutex_unlock(&rt->id_lock);
	return err;
}
