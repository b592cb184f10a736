/* SPDX-License-Identifier: MIT */
/*
 * link.c - link objects and the commands around them: LINK_CREATE, LINK_UPDATE,
 * LINK_DETACH, PROG_ASSOC_STRUCT_OPS.
 *
 * The runtime owns the generic part (attr checks, handle resolution with the
 * kernel's EBADF/EINVAL, reference handling); the struct_ops layer owns what
 * a struct_ops link does, through rt_link_ops and rt_hooks. Without that
 * layer, LINK_CREATE has no attach type to offer and fails with EINVAL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

static void link_obj_free(struct rt_obj *obj)
{
	struct rt_link *link = caa_container_of(obj, struct rt_link, obj);
	struct sops_prog *prog = link->prog;

	/* dealloc (e.g. unreg and the map reference) then frees the link itself. */
	link->ops->dealloc(link);
	if (prog)
		rt_obj_put(&prog->obj);
}

int rt_link_init(struct sops_runtime *rt, struct rt_link *link, const struct rt_link_ops *ops,
		 uint32_t type, uint32_t attach_type, struct sops_prog *prog)
{
	link->ops = ops;
	link->type = type;
	link->attach_type = attach_type;
	link->prog = prog;
	if (prog)
		rt_obj_get(&prog->obj);
	return rt_obj_init(rt, &link->obj, SOPS_OBJ_LINK, link_obj_free);
}

int rt_link_fill_info(struct rt_link *link, void *uinfo, uint32_t *info_len)
{
	struct sops_bpf_link_info info;
	uint32_t len = *info_len < sizeof(info) ? *info_len : sizeof(info);

	memset(&info, 0, sizeof(info));
	info.type = link->type;
	info.id = link->obj.id;
	info.prog_id = link->prog ? link->prog->obj.id : 0;
	if (link->ops->fill_info)
		link->ops->fill_info(link, &info);
	memcpy(uinfo, &info, len);
	*info_len = len;
	return 0;
}

static int get_map(struct sops_runtime *rt, uint32_t fd, struct rt_map **map)
{
	struct rt_obj *o;
	int err = rt_handle_get(rt, (int)fd, SOPS_OBJ_MAP, &o);

	*map = err ? NULL : caa_container_of(o, struct rt_map, obj);
	return err;
}

static int get_prog(struct sops_runtime *rt, uint32_t fd, struct sops_prog **prog)
{
	struct rt_obj *o;
	int err = rt_handle_get(rt, (int)fd, SOPS_OBJ_PROG, &o);

	*prog = err ? NULL : caa_container_of(o, struct sops_prog, obj);
	return err;
}

static int link_create(struct sops_runtime *rt, union sops_bpf_attr *attr)
{
	struct sops_prog *prog;
	int err;

	if (attr->link_create.attach_type == SOPS_BPF_STRUCT_OPS) {
		if (!rt->hooks.struct_ops_link_create)
			return -EINVAL;
		return rt->hooks.struct_ops_link_create(rt, attr);
	}
	err = get_prog(rt, attr->link_create.prog_fd, &prog);
	if (err)
		return err;
	/* No other attach point exists in userspace yet. */
	rt_obj_put(&prog->obj);
	return -EINVAL;
}

static int link_update(struct sops_runtime *rt, union sops_bpf_attr *attr)
{
	struct rt_map *new_map = NULL, *old_map = NULL;
	struct sops_prog *new_prog = NULL, *old_prog = NULL;
	struct rt_link *link;
	struct rt_obj *o;
	int err;

	if (attr->link_update.flags & ~SOPS_BPF_F_REPLACE)
		return -EINVAL;
	err = rt_handle_get(rt, (int)attr->link_update.link_fd, SOPS_OBJ_LINK, &o);
	if (err)
		return err;
	link = caa_container_of(o, struct rt_link, obj);
	if (link->ops->update_map) {
		err = get_map(rt, attr->link_update.new_map_fd, &new_map);
		if (err)
			goto out;
		if (attr->link_update.flags & SOPS_BPF_F_REPLACE) {
			err = get_map(rt, attr->link_update.old_map_fd, &old_map);
			if (err)
				goto out;
		} else if (attr->link_update.old_map_fd) {
			err = -EINVAL;
			goto out;
		}
		err = link->ops->update_map(link, new_map, old_map);
		goto out;
	}
	err = get_prog(rt, attr->link_update.new_prog_fd, &new_prog);
	if (err)
		goto out;
	if (attr->link_update.flags & SOPS_BPF_F_REPLACE) {
		err = get_prog(rt, attr->link_update.old_prog_fd, &old_prog);
		if (err)
			goto out;
	} else if (attr->link_update.old_prog_fd) {
		err = -EINVAL;
		goto out;
	}
	err = link->ops->update_prog ? link->ops->update_prog(link, new_prog, old_prog) : -EINVAL;
out:
	if (new_map)
		rt_obj_put(&new_map->obj);
	if (old_map)
		rt_obj_put(&old_map->obj);
	if (new_prog)
		rt_obj_put(&new_prog->obj);
	if (old_prog)
		rt_obj_put(&old_prog->obj);
	rt_obj_put(o);
	return err;
}

static int link_detach(struct sops_runtime *rt, union sops_bpf_attr *attr)
{
	struct rt_link *link;
	struct rt_obj *o;
	int err;

	err = rt_handle_get(rt, (int)attr->link_detach.link_fd, SOPS_OBJ_LINK, &o);
	if (err)
		return err;
	link = caa_container_of(o, struct rt_link, obj);
	err = link->ops->detach ? link->ops->detach(link) : -EOPNOTSUPP;
	rt_obj_put(o);
	return err;
}

/* The generic part of spec section 2.9, steps 2-6; the association itself is the hook's. */
static int prog_assoc(struct sops_runtime *rt, union sops_bpf_attr *attr)
{
	struct sops_prog *prog;
	struct rt_map *map = NULL;
	int err;

	if (attr->prog_assoc_struct_ops.flags)
		return -EINVAL;
	err = get_prog(rt, attr->prog_assoc_struct_ops.prog_fd, &prog);
	if (err)
		return err;
	if (prog->type == SOPS_BPF_PROG_TYPE_STRUCT_OPS) {
		err = -EINVAL;
		goto out;
	}
	err = get_map(rt, attr->prog_assoc_struct_ops.map_fd, &map);
	if (err)
		goto out;
	if (map->map_type != SOPS_BPF_MAP_TYPE_STRUCT_OPS || !rt->hooks.prog_assoc_struct_ops) {
		err = -EINVAL;
		goto out;
	}
	err = rt->hooks.prog_assoc_struct_ops(prog, map, 0);
out:
	if (map)
		rt_obj_put(&map->obj);
	rt_obj_put(&prog->obj);
	return err;
}

int rt_cmd_link(struct sops_runtime *rt, int cmd, union sops_bpf_attr *attr)
{
	switch (cmd) {
	case SOPS_BPF_LINK_CREATE: return link_create(rt, attr);
	case SOPS_BPF_LINK_UPDATE: return link_update(rt, attr);
	case SOPS_BPF_LINK_DETACH: return link_detach(rt, attr);
	case SOPS_BPF_PROG_ASSOC_STRUCT_OPS: return prog_assoc(rt, attr);
	default: return -EINVAL;
	}
}
