/* SPDX-License-Identifier: MIT */
/*
 * st_user.c - the libbpf-style user API (spec 5.3, 5.4): loading an object
 * into a runtime, attaching struct_ops maps, updating/detaching/destroying
 * links, associating programs.
 *
 * Loading into a runtime: the loader resolves struct_ops types against BTF
 * snapshots of the runtime's host and module BTF objects (the host's BTF plus
 * synthesized value types, copied under the registry lock so registrations
 * may go on meanwhile; the snapshots live as long as the object, since the
 * loader hands out names from them). The object's BTF is loaded into the
 * runtime (struct_ops maps name it as btf_fd, as libbpf does). Maps are
 * created with their kernel value size and type ids; no map update happens
 * at load; the kernel value image gets program handles; attach updates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../btf/btf_internal.h"
#include "../loader/loader_internal.h"
#include "../util/opts.h"
#include "st_internal.h"

struct st_snap {
	struct sops_runtime *rt;
	struct sops_btf *host_base, *host;
	struct sops_btf **mod_base, **mods; /* per loaded module */
	struct sops_module **mod_of;
	size_t mod_cnt;
	int obj_btf_fd;
	int *mod_fds;   /* BTF handles of modules, for maps and programs */
	int *fd_array;  /* [0, mod_fds...] for kfunc calls into module BTF */
	char *log_buf;
	size_t log_size;
	char plog[2048]; /* the failing program's load log, appended to the loader's message */
};

static void snap_free(void *p)
{
	struct st_snap *s = p;

	if (!s)
		return;
	for (size_t i = 0; i < s->mod_cnt; i++) {
		sops_btf__free(s->mods[i]);
		sops_btf__free(s->mod_base[i]);
		if (s->mod_fds && s->mod_fds[i] > 0)
			sops_close(s->rt, s->mod_fds[i]);
	}
	sops_btf__free(s->host);
	sops_btf__free(s->host_base);
	if (s->obj_btf_fd > 0)
		sops_close(s->rt, s->obj_btf_fd);
	free(s->mods);
	free(s->mod_base);
	free(s->mod_of);
	free(s->mod_fds);
	free(s->fd_array);
	free(s);
}

/* A copy of @src (split on @base when given), parsed and validated as any BTF. */
static struct sops_btf *copy_btf(const struct btf *src, const struct sops_btf *base)
{
	struct sops_log log = { 0 };
	struct sops_btf *out = NULL;
	uint32_t size;
	const void *raw = btf__raw_data(src, &size);

	if (!raw || btf_parse_raw(raw, size, base, &log, &out))
		return NULL;
	return out;
}

static int snapshot(struct st_rt *st, struct st_snap *s)
{
	struct st_owner *host = NULL;
	int err = 0;

	st_host_owner(st, &host); /* none without host BTF: the loader then says so */
	pthread_mutex_lock(&st->lock);
	if (host) {
		/* ext's base: the host's BTF, or the flat copy of it when it is split. */
		s->host_base = copy_btf(btf__base_btf(host->ext), NULL);
		s->host = s->host_base ? copy_btf(host->ext, s->host_base) : NULL;
		if (!s->host) {
			err = -ENOMEM;
			goto out;
		}
	}
	s->mods = calloc(st->owner_cnt + 1, sizeof(*s->mods));
	s->mod_base = calloc(st->owner_cnt + 1, sizeof(*s->mod_base));
	s->mod_of = calloc(st->owner_cnt + 1, sizeof(*s->mod_of));
	if (!s->mods || !s->mod_base || !s->mod_of) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < st->owner_cnt; i++) {
		struct st_owner *o = st->owners[i];
		bool split = btf__base_btf(o->own) != NULL;
		size_t n = s->mod_cnt;

		if (!o->mod || o->gone)
			continue;
		if (split && !s->host_base) {
			err = -EINVAL;
			goto out;
		}
		if (o->ext == o->own) {
			s->mods[n] = copy_btf(o->own, split ? s->host_base : NULL);
		} else {
			s->mod_base[n] = copy_btf(o->own, split ? s->host_base : NULL);
			s->mods[n] = s->mod_base[n] ? copy_btf(o->ext, s->mod_base[n]) : NULL;
		}
		s->mod_of[n] = o->mod;
		s->mod_cnt++;
		if (!s->mods[n]) {
			err = -ENOMEM;
			goto out;
		}
	}
out:
	pthread_mutex_unlock(&st->lock);
	return err;
}

static int module_fds(struct st_snap *s)
{
	s->mod_fds = calloc(s->mod_cnt + 1, sizeof(int));
	s->fd_array = calloc(s->mod_cnt + 1, sizeof(int));
	if (!s->mod_fds || !s->fd_array)
		return -ENOMEM;
	for (size_t i = 0; i < s->mod_cnt; i++) {
		int fd = sops_module__btf_fd(s->mod_of[i]);

		if (fd < 0)
			return fd;
		s->mod_fds[i] = fd;
		s->fd_array[i + 1] = fd;
	}
	return 0;
}

static int create_map(void *ctx, struct sops_map *m)
{
	struct st_snap *s = ctx;
	struct sops_map_create_opts o = { .sz = sizeof(o), .map_flags = m->map_flags };
	uint32_t value_size = m->value_size;
	size_t size = 0;
	void *init;
	int fd, err;

	if (m->type == SOPS_MAP_TYPE_STRUCT_OPS) {
		int bo = sops_map__btf_obj(m);

		if (!sops_map__kern_value(m, &size))
			return -EINVAL;
		value_size = (uint32_t)size;
		o.btf_fd = (uint32_t)s->obj_btf_fd;
		o.btf_vmlinux_value_type_id = sops_map__btf_vmlinux_value_type_id(m);
		if (bo > 0) {
			if ((size_t)bo > s->mod_cnt)
				return -EINVAL;
			o.value_type_btf_obj_fd = s->mod_fds[bo - 1];
			o.map_flags |= SOPS_BPF_F_VTYPE_BTF_OBJ_FD;
		}
	} else if (s->obj_btf_fd > 0 && sops_map__btf_value_type_id(m)) {
		/* BTF-described values, as libbpf passes them (bpf_timer fields are found there). */
		o.btf_fd = (uint32_t)s->obj_btf_fd;
		o.btf_key_type_id = sops_map__btf_key_type_id(m);
		o.btf_value_type_id = sops_map__btf_value_type_id(m);
	}
	fd = sops_map_create(s->rt, m->type, m->name, m->key_size, value_size, m->max_entries, &o);
	if (fd < 0 || m->type == SOPS_MAP_TYPE_STRUCT_OPS)
		return fd;
	init = sops_map__initial_value(m, &size);
	if (init && size) {
		uint32_t key = 0;

		err = sops_map_update_elem(s->rt, fd, &key, init, 0);
		if (err) {
			sops_close(s->rt, fd);
			return err;
		}
	}
	/* As libbpf: .rodata and .kconfig are frozen once written, so the verifier may read them as constants. */
	if (sops_map__kind(m) == SOPS_MAP_RODATA || sops_map__kind(m) == SOPS_MAP_KCONFIG) {
		err = sops_map_freeze(s->rt, fd);
		if (err) {
			sops_close(s->rt, fd);
			return err;
		}
	}
	return fd;
}

static int load_prog(void *ctx, struct sops_program *p)
{
	struct st_snap *s = ctx;
	int bo = p->attach_btf_obj;
	struct sops_prog_load_opts o = {
		.sz = sizeof(o),
		.expected_attach_type = p->expected_attach_type,
		.attach_btf_id = p->attach_btf_id,
		.prog_flags = p->flags,
		.fd_array = s->fd_array,
		.fd_array_cnt = (uint32_t)s->mod_cnt + 1,
		.log_buf = s->plog,
		.log_size = sizeof(s->plog),
		/* Messages come at level 0 too; level 1 would trace every instruction. */
		.log_level = 0,
	};

	uint32_t *lines = NULL;
	int fd;

	if (bo > 0) {
		if ((size_t)bo > s->mod_cnt)
			return -EINVAL;
		o.attach_btf_obj_fd = (uint32_t)s->mod_fds[bo - 1];
	}
	/* Source lines for the verifier's log: records with offsets into the object's BTF strings. */
	if (s->obj_btf_fd > 0 && p->line_info_cnt && p->obj->btf) {
		const char *base = btf__name_by_offset(p->obj->btf->btf, 0);
		uint32_t size = 0;

		btf__raw_data(p->obj->btf->btf, &size);
		lines = base ? calloc(p->line_info_cnt, 16) : NULL;
		for (size_t i = 0; lines && i < p->line_info_cnt; i++) {
			const struct sops_line_info *l = &p->line_info[i];

			lines[4 * i] = l->insn_off;
			lines[4 * i + 1] = (uint32_t)(l->file - base);
			lines[4 * i + 2] = (uint32_t)(l->line - base);
			lines[4 * i + 3] = l->line_num << 10 | l->line_col;
			if (l->file < base || l->line < base || (uint32_t)(l->line - base) >= size) {
				free(lines); /* not in the string section: no source lines then */
				lines = NULL;
			}
		}
		if (lines) {
			o.prog_btf_fd = (uint32_t)s->obj_btf_fd;
			o.line_info = lines;
			o.line_info_cnt = (uint32_t)p->line_info_cnt;
			o.line_info_rec_size = 16;
		}
	}
	fd = sops_prog_load(s->rt, (enum sops_bpf_prog_type)p->type, p->name, p->obj->license, p->insns,
			    p->insn_cnt, &o);
	free(lines);
	return fd;
}

int st_object_load(struct sops_object *obj, const struct sops_object_load_opts *opts)
{
	struct sops_runtime *rt = opts->runtime;
	struct sops_object_load_ops ops = { 0 };
	struct sops_object_load_opts lo;
	struct st_snap *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rt = rt;
	s->log_buf = OPTS_GET(opts, log_buf, NULL);
	s->log_size = OPTS_GET(opts, log_size, 0);
	err = snapshot(st_of(rt), s);
	if (!err)
		err = module_fds(s);
	if (!err && obj->btf) {
		uint32_t size;
		const void *raw = btf__raw_data(obj->btf->btf, &size);

		s->obj_btf_fd = raw ? sops_btf_load(rt, raw, size, NULL, 0) : -EINVAL;
		if (s->obj_btf_fd < 0)
			err = s->obj_btf_fd;
	}
	if (err) {
		snap_free(s);
		return err;
	}
	ops = (struct sops_object_load_ops){ s, create_map, load_prog };
	memset(&lo, 0, sizeof(lo));
	memcpy(&lo, opts, opts->sz < sizeof(lo) ? opts->sz : sizeof(lo));
	lo.sz = sizeof(lo);
	lo.ops = &ops;
	if (!lo.host_btf) {
		lo.host_btf = s->host;
		lo.module_btfs = (const struct sops_btf *const *)s->mods;
		lo.module_btf_cnt = s->mod_cnt;
	}
	err = sops_object__load(obj, &lo);
	if (err && s->plog[0] && s->log_buf && s->log_size) {
		size_t n = strnlen(s->log_buf, s->log_size);

		if (n + 3 < s->log_size)
			snprintf(s->log_buf + n, s->log_size - n, ": %s", s->plog);
	}
	obj->rt = rt;
	obj->rt_priv = s;
	obj->rt_priv_free = snap_free;
	return err;
}

/*
 * The object's handles in the runtime, closed as libbpf closes its fds on
 * bpf_object__close: what else holds the maps and programs (links,
 * registrations, other handles, programs using a map) keeps them.
 */
void st_object_close(struct sops_object *obj)
{
	for (size_t i = 0; i < obj->prog_cnt; i++)
		if (obj->progs[i]->handle > 0) {
			sops_close(obj->rt, obj->progs[i]->handle);
			obj->progs[i]->handle = -1;
		}
	for (size_t i = 0; i < obj->map_cnt; i++)
		if (obj->maps[i]->handle > 0) {
			sops_close(obj->rt, obj->maps[i]->handle);
			obj->maps[i]->handle = -1;
		}
}

int sops_object__load_runtime(struct sops_object *obj, struct sops_runtime *rt,
			      const struct sops_object_load_opts *opts)
{
	struct sops_object_load_opts lo;

	if (!obj || !rt || !OPTS_VALID(opts, sops_object_load_opts))
		return -EINVAL;
	memset(&lo, 0, sizeof(lo));
	if (opts)
		memcpy(&lo, opts, opts->sz < sizeof(lo) ? opts->sz : sizeof(lo));
	lo.sz = sizeof(lo);
	lo.runtime = rt;
	return sops_object__load(obj, &lo);
}

struct sops_runtime *sops_object__runtime(const struct sops_object *obj)
{
	return obj ? obj->rt : NULL;
}

/* --- global data memory (skeletons) --- */

static bool is_global_data(const struct sops_map *m)
{
	return m->kind == SOPS_MAP_DATA || m->kind == SOPS_MAP_RODATA || m->kind == SOPS_MAP_BSS ||
	       m->kind == SOPS_MAP_KCONFIG;
}

/* The runtime map behind @m's handle: its one value, as programs address it. */
static void *live_value(const struct sops_map *m)
{
	struct rt_obj *o;
	struct rt_map *map;
	uint64_t addr = 0;
	int err;

	if (!m->obj->rt || m->handle < 0 ||
	    rt_handle_get(m->obj->rt, m->handle, SOPS_OBJ_MAP, &o))
		return NULL;
	map = caa_container_of(o, struct rt_map, obj);
	err = map->ops->direct_value_addr ? map->ops->direct_value_addr(map, &addr, 0) : -EINVAL;
	rt_obj_put(o);
	return err ? NULL : (void *)(uintptr_t)addr;
}

void *sops_map__mmaped(const struct sops_map *m, size_t *size)
{
	void *p;

	if (!m || !is_global_data(m))
		return NULL;
	p = m->obj->loaded ? live_value(m) : m->data;
	if (p && size)
		*size = m->value_size;
	return p;
}

/* --- links --- */

struct sops_link {
	struct sops_runtime *rt;
	int fd;
	bool map_only;     /* non-link map: fd is the map's handle */
	bool disconnected;
};

static int map_usable(const struct sops_map *m)
{
	if (!m || m->type != SOPS_MAP_TYPE_STRUCT_OPS || m->handle < 0 || !m->obj->rt ||
	    !sops_map__kern_value(m, NULL))
		return -EINVAL;
	return 0;
}

/*
 * Update @m with its kernel image. EBUSY (already updated) is ignored for a
 * link map on attach and for any map on link update, as libbpf does.
 */
static int map_update(const struct sops_map *m, bool any_busy)
{
	const uint32_t zero = 0;
	int err = sops_map_update_elem(m->obj->rt, m->handle, &zero, sops_map__kern_value(m, NULL), 0);

	if (err == -EBUSY && (any_busy || m->map_flags & SOPS_F_LINK))
		err = 0;
	return err;
}

static int set_err(int err)
{
	errno = err < 0 ? -err : err;
	return err;
}

int sops_map__attach_struct_ops(const struct sops_map *m, struct sops_link **out)
{
	struct sops_link *l;
	int err;

	if (!out)
		return set_err(-EINVAL);
	*out = NULL;
	err = map_usable(m);
	if (!err)
		err = map_update(m, false);
	if (err)
		return set_err(err);
	l = calloc(1, sizeof(*l));
	if (!l)
		return set_err(-ENOMEM);
	l->rt = m->obj->rt;
	if (!(m->map_flags & SOPS_F_LINK)) {
		l->map_only = true;
		l->fd = m->handle;
	} else {
		l->fd = sops_link_create(l->rt, m->handle, 0, SOPS_BPF_STRUCT_OPS, NULL);
		if (l->fd < 0) {
			err = l->fd;
			free(l);
			return set_err(err);
		}
	}
	*out = l;
	return 0;
}

int sops_link__update_map(struct sops_link *l, const struct sops_map *m)
{
	int err;

	if (!l || l->map_only)
		return set_err(-EINVAL);
	err = map_usable(m);
	if (!err)
		err = map_update(m, true);
	if (!err)
		err = sops_link_update(l->rt, l->fd, m->handle, NULL);
	return err ? set_err(err) : 0;
}

int sops_link__detach(struct sops_link *l)
{
	const uint32_t zero = 0;
	int err;

	if (!l)
		return set_err(-EINVAL);
	err = l->map_only ? sops_map_delete_elem(l->rt, l->fd, &zero) : sops_link_detach(l->rt, l->fd);
	return err ? set_err(err) : 0;
}

void sops_link__disconnect(struct sops_link *l)
{
	if (l)
		l->disconnected = true;
}

int sops_link__destroy(struct sops_link *l)
{
	int err = 0;

	if (!l)
		return 0;
	if (!l->disconnected) {
		err = sops_link__detach(l);
		if (!l->map_only)
			sops_close(l->rt, l->fd);
	}
	free(l);
	return err;
}

int sops_link__fd(const struct sops_link *l)
{
	return l ? l->fd : -EINVAL;
}

int sops_link__poll_fd(const struct sops_link *l)
{
	if (!l || l->map_only)
		return -EINVAL;
	return sops_link_poll_fd(l->rt, l->fd);
}

int sops_program__assoc_struct_ops(struct sops_program *prog, struct sops_map *map,
				   struct sops_prog_assoc_struct_ops_opts *opts)
{
	if (!prog || prog->handle < 0 || prog->type == SOPS_PROG_TYPE_STRUCT_OPS || !prog->obj->rt)
		return set_err(-EINVAL);
	if (!map || map->handle < 0 || map->type != SOPS_MAP_TYPE_STRUCT_OPS)
		return set_err(-EINVAL);
	return sops_prog_assoc_struct_ops(prog->obj->rt, prog->handle, map->handle, opts);
}
