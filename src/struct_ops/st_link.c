/* SPDX-License-Identifier: MIT */
/*
 * st_link.c - struct_ops links: LINK_CREATE (spec 2.5), LINK_UPDATE (2.6),
 * LINK_DETACH (2.7), release (2.8), link info and the poll fd that reports
 * POLLHUP on detach.
 *
 * A link owns one reference on its current map (and one count of the map's
 * runtime-held references). Create, update and detach serialize on the
 * runtime's update_mutex (the kernel's global one), so reg/update/unreg of one
 * runtime never run concurrently through links. The map pointer is published
 * atomically for link info; the host receives kdata through reg/update and
 * gives it up in unreg, and an old kdata is freed an RCU grace period after
 * its last reference is dropped, so op calls in flight finish first.
 *
 * Release (last reference) runs unreg without the mutex, as the kernel's
 * dealloc; in structops it happens in the RCU callback thread once the last
 * handle and in-flight command reference are gone.
 *
 * Pollers: the kernel's link file reports EPOLLHUP (only) once detached.
 * Handles are not files, so each link owns a pipe: the read end is its poll
 * fd, and detach closes the write end, which makes poll/epoll report
 * POLLHUP/EPOLLHUP on the read end from then on (never POLLIN: nothing is
 * ever written).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "st_internal.h"

static inline struct st_link *st_link_of(struct rt_link *l)
{
	return caa_container_of(l, struct st_link, link);
}

static struct sops_struct_ops_link *pub(struct st_link *l)
{
	return (struct sops_struct_ops_link *)l;
}

/* Hang up on pollers: the write end closes, once (detach runs unreg once). */
static void signal_detach(struct st_link *l)
{
	int w = atomic_exchange(&l->hup_wfd, -1);

	if (w >= 0)
		close(w);
}

/* Take the map away from @l (unreg); the caller drops the reference returned (NULL: detached). */
static struct st_map *link_unreg(struct st_link *l)
{
	struct st_map *m = atomic_load(&l->map);

	if (m) {
		m->desc->st_ops->unreg(st_kdata(m), pub(l));
		atomic_store(&l->map, NULL);
	}
	return m;
}

static void st_link_dealloc(struct rt_link *link)
{
	struct st_link *l = st_link_of(link);
	struct st_map *m = link_unreg(l);

	if (m)
		st_map_put_kref(m);
	signal_detach(l);
	if (l->poll_rfd >= 0)
		close(l->poll_rfd);
	free(l);
}

static int st_link_detach(struct rt_link *link)
{
	struct st_link *l = st_link_of(link);
	struct st_rt *st = st_of(link->obj.rt);
	struct st_map *m;

	pthread_mutex_lock(&st->update_mutex);
	m = link_unreg(l);
	pthread_mutex_unlock(&st->update_mutex);
	if (m) {
		st_map_put_kref(m);
		signal_detach(l);
	}
	return 0;
}

static bool link_ready(const struct rt_map *map)
{
	return st_is_map(map) && map->map_flags & SOPS_BPF_F_LINK &&
	       atomic_load_explicit(&st_map_of((struct rt_map *)map)->state, memory_order_acquire) ==
		       SOPS_STRUCT_OPS_STATE_READY;
}

static int st_link_update_map(struct rt_link *link, struct rt_map *new_map, struct rt_map *old_map)
{
	struct st_link *l = st_link_of(link);
	struct st_rt *st = st_of(link->obj.rt);
	struct st_map *nm, *cur;
	int err;

	if (!link_ready(new_map))
		return -EINVAL;
	nm = st_map_of(new_map);
	if (!nm->desc->st_ops->update)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&st->update_mutex);
	cur = atomic_load(&l->map);
	if (!cur) {
		err = -ENOLINK;
		goto out;
	}
	if (old_map && &cur->map != old_map) {
		err = -EPERM;
		goto out;
	}
	if (cur->desc != nm->desc) {
		err = -EINVAL;
		goto out;
	}
	err = nm->desc->st_ops->update(st_kdata(nm), st_kdata(cur), pub(l));
	if (err)
		goto out;
	st_map_get_kref(nm);
	atomic_store(&l->map, nm);
	pthread_mutex_unlock(&st->update_mutex);
	st_map_put_kref(cur);
	return 0;
out:
	pthread_mutex_unlock(&st->update_mutex);
	return err;
}

static void st_link_fill_info(struct rt_link *link, struct sops_bpf_link_info *info)
{
	struct st_link *l = st_link_of(link);
	struct st_map *m;

	urcu_bp_read_lock(); /* a detached map is freed only after a grace period */
	m = atomic_load(&l->map);
	info->struct_ops.map_id = m ? m->map.obj.id : 0;
	urcu_bp_read_unlock();
}

static const struct rt_link_ops st_link_ops = {
	.dealloc = st_link_dealloc,
	.update_map = st_link_update_map,
	.detach = st_link_detach,
	.fill_info = st_link_fill_info,
};

/* The link's poll pipe; non-blocking so a reader of the poll fd never hangs. */
static int link_pipe(struct st_link *l)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	l->poll_rfd = p[0];
	atomic_init(&l->hup_wfd, p[1]);
	return 0;
}

int st_link_create(struct sops_runtime *rt, const union sops_bpf_attr *attr)
{
	struct st_rt *st = st_of(rt);
	struct rt_map *map;
	struct st_link *l;
	struct st_map *m;
	struct rt_obj *o;
	int err, fd;

	err = rt_handle_get(rt, (int)attr->link_create.map_fd, SOPS_OBJ_MAP, &o);
	if (err)
		return err;
	map = caa_container_of(o, struct rt_map, obj);
	if (!link_ready(map)) {
		rt_obj_put(o);
		return -EINVAL;
	}
	m = st_map_of(map);
	l = calloc(1, sizeof(*l));
	if (!l) {
		rt_obj_put(o);
		return -ENOMEM;
	}
	err = link_pipe(l);
	if (err) {
		free(l);
		rt_obj_put(o);
		return err;
	}
	err = rt_link_init(rt, &l->link, &st_link_ops, SOPS_BPF_LINK_TYPE_STRUCT_OPS,
			   attr->link_create.attach_type, NULL);
	if (err) {
		close(l->poll_rfd);
		close(l->hup_wfd);
		free(l);
		rt_obj_put(o);
		return err;
	}
	pthread_mutex_lock(&st->update_mutex);
	err = m->desc->st_ops->reg(st_kdata(m), pub(l));
	if (err) {
		pthread_mutex_unlock(&st->update_mutex);
		rt_obj_abort(&l->link.obj); /* map still NULL: no unreg */
		rt_obj_put(o);
		return err;
	}
	atomic_fetch_add(&m->kref, 1); /* the handle's map reference moves to the link */
	atomic_store(&l->map, m);
	pthread_mutex_unlock(&st->update_mutex);
	fd = rt_handle_install(rt, &l->link.obj);
	if (fd < 0)
		rt_obj_put(&l->link.obj);
	return fd;
}

static struct st_link *st_link_from_handle(struct sops_runtime *rt, int fd, int *err)
{
	struct rt_link *link;
	struct rt_obj *o;

	*err = rt_handle_get(rt, fd, SOPS_OBJ_LINK, &o);
	if (*err)
		return NULL;
	link = caa_container_of(o, struct rt_link, obj);
	if (link->ops != &st_link_ops) {
		rt_obj_put(o);
		*err = -EINVAL;
		return NULL;
	}
	return st_link_of(link);
}

int sops_link_poll_fd(struct sops_runtime *rt, int link_fd)
{
	struct st_link *l;
	int err, efd;

	if (!rt)
		return -EINVAL;
	l = st_link_from_handle(rt, link_fd, &err);
	if (!l)
		return err;
	efd = l->poll_rfd;
	rt_obj_put(&l->link.obj);
	return efd;
}

uint32_t sops_struct_ops_link__id(const struct sops_struct_ops_link *link)
{
	return link ? ((const struct st_link *)link)->link.obj.id : 0;
}

int sops_struct_ops_link__detach(struct sops_struct_ops_link *link)
{
	if (!link)
		return -EINVAL;
	return st_link_detach(&((struct st_link *)link)->link);
}
