/* SPDX-License-Identifier: MIT */
/*
 * syscall.c - sops_bpf(): the kernel's bpf() entry point, command by command.
 *
 * The preamble is the kernel's: a larger attr than ours must have a zero tail
 * (E2BIG); the attr is copied into a zeroed local union (a shorter one reads as
 * zeroes); each command then rejects non-zero bytes past its last field
 * (EINVAL). Output fields are copied back, never past the caller's size.
 *
 * This file holds the dispatch and the small commands (ids, info, BTF_LOAD,
 * close); maps, programs, test runs and links have their own files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "../util/opts.h"
#include "rt_internal.h"

#define ATTR_END(field) offsetofend(union sops_bpf_attr, field)
#define BTF_MAX_SIZE (16 * 1024 * 1024)

/* Bytes after @end (up to the union's size) must be zero: the kernel's CHECK_ATTR. */
static bool attr_tail_bad(const union sops_bpf_attr *attr, size_t end)
{
	return !rt_mem_is_zero((const char *)attr + end, sizeof(*attr) - end);
}

static size_t cmd_last_field_end(int cmd)
{
	switch (cmd) {
	case SOPS_BPF_MAP_CREATE: return ATTR_END(map_token_fd);
	case SOPS_BPF_MAP_LOOKUP_ELEM:
	case SOPS_BPF_MAP_UPDATE_ELEM:
	case SOPS_BPF_MAP_DELETE_ELEM:
	case SOPS_BPF_MAP_LOOKUP_AND_DELETE_ELEM: return ATTR_END(flags);
	case SOPS_BPF_MAP_GET_NEXT_KEY: return ATTR_END(next_key);
	case SOPS_BPF_MAP_FREEZE: return ATTR_END(map_fd);
	case SOPS_BPF_PROG_LOAD: return ATTR_END(fd_array_cnt);
	case SOPS_BPF_PROG_TEST_RUN: return ATTR_END(test.batch_size);
	case SOPS_BPF_PROG_GET_NEXT_ID:
	case SOPS_BPF_MAP_GET_NEXT_ID:
	case SOPS_BPF_BTF_GET_NEXT_ID:
	case SOPS_BPF_LINK_GET_NEXT_ID: return ATTR_END(next_id);
	case SOPS_BPF_PROG_GET_FD_BY_ID:
	case SOPS_BPF_BTF_GET_FD_BY_ID:
	case SOPS_BPF_LINK_GET_FD_BY_ID: return ATTR_END(start_id);
	case SOPS_BPF_MAP_GET_FD_BY_ID: return ATTR_END(open_flags);
	case SOPS_BPF_OBJ_GET_INFO_BY_FD: return ATTR_END(info.info);
	case SOPS_BPF_BTF_LOAD: return ATTR_END(btf_token_fd);
	case SOPS_BPF_LINK_CREATE: return ATTR_END(link_create.uprobe_multi.pid);
	case SOPS_BPF_LINK_UPDATE: return ATTR_END(link_update.old_prog_fd);
	case SOPS_BPF_LINK_DETACH: return ATTR_END(link_detach.link_fd);
	/* The kernel's last field is prog_fd: a non-zero flags fails here already. */
	case SOPS_BPF_PROG_ASSOC_STRUCT_OPS: return ATTR_END(prog_assoc_struct_ops.prog_fd);
	default: return 0;
	}
}

static enum sops_obj_kind id_cmd_kind(int cmd)
{
	switch (cmd) {
	case SOPS_BPF_PROG_GET_NEXT_ID:
	case SOPS_BPF_PROG_GET_FD_BY_ID: return SOPS_OBJ_PROG;
	case SOPS_BPF_MAP_GET_NEXT_ID:
	case SOPS_BPF_MAP_GET_FD_BY_ID: return SOPS_OBJ_MAP;
	case SOPS_BPF_BTF_GET_NEXT_ID:
	case SOPS_BPF_BTF_GET_FD_BY_ID: return SOPS_OBJ_BTF;
	default: return SOPS_OBJ_LINK;
	}
}

static int cmd_get_next_id(struct sops_runtime *rt, int cmd, union sops_bpf_attr *attr)
{
	uint32_t next;
	int err;

	if (attr->start_id >= INT32_MAX)
		return -EINVAL;
	err = rt_id_next(rt, id_cmd_kind(cmd), attr->start_id, &next);
	if (err)
		return err;
	attr->next_id = next;
	return 0;
}

static int cmd_get_fd_by_id(struct sops_runtime *rt, int cmd, union sops_bpf_attr *attr)
{
	struct rt_obj *obj;
	int err, fd;

	if (cmd == SOPS_BPF_MAP_GET_FD_BY_ID &&
	    (attr->open_flags & ~(SOPS_BPF_F_RDONLY | SOPS_BPF_F_WRONLY) ||
	     (attr->open_flags & SOPS_BPF_F_RDONLY && attr->open_flags & SOPS_BPF_F_WRONLY)))
		return -EINVAL;
	err = rt_id_get(rt, id_cmd_kind(cmd), attr->start_id, &obj);
	if (err)
		return err;
	fd = rt_handle_install(rt, obj);
	if (fd < 0)
		rt_obj_put(obj);
	return fd;
}

/* --- BTF objects --- */

static void btf_obj_free(struct rt_obj *obj)
{
	struct rt_btf *b = caa_container_of(obj, struct rt_btf, obj);

	btf__free(b->btf);
	free(b->data);
	free(b);
}

static int cmd_btf_load(struct sops_runtime *rt, union sops_bpf_attr *attr)
{
	char *log_buf = (char *)(uintptr_t)attr->btf_log_buf;
	struct rt_btf *b;
	int err, fd;

	if (attr->btf_flags || attr->btf_token_fd)
		return -EINVAL;
	if (attr->btf_size > BTF_MAX_SIZE)
		return -E2BIG;
	if (!attr->btf || !attr->btf_size)
		return -EINVAL;
	if ((log_buf && !attr->btf_log_size) || (!log_buf && attr->btf_log_size) ||
	    (attr->btf_log_level && !log_buf))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->data = malloc(attr->btf_size);
	if (!b->data) {
		free(b);
		return -ENOMEM;
	}
	memcpy(b->data, (const void *)(uintptr_t)attr->btf, attr->btf_size);
	b->size = attr->btf_size;
	b->btf = btf__new(b->data, b->size);
	if (!b->btf) {
		err = errno ? -errno : -EINVAL;
		if (log_buf)
			log_buf_printf(log_buf, attr->btf_log_size, "invalid BTF (%d)", err);
		free(b->data);
		free(b);
		return err == -ENOMEM ? err : -EINVAL;
	}
	err = rt_obj_init(rt, &b->obj, SOPS_OBJ_BTF, btf_obj_free);
	if (err) {
		btf_obj_free(&b->obj);
		return err;
	}
	fd = rt_handle_install(rt, &b->obj);
	if (fd < 0)
		rt_obj_put(&b->obj);
	return fd;
}

static int btf_fill_info(struct rt_btf *b, void *uinfo, uint32_t *info_len)
{
	struct sops_bpf_btf_info info;
	uint32_t len = *info_len < sizeof(info) ? *info_len : sizeof(info);

	memset(&info, 0, sizeof(info));
	memcpy(&info, uinfo, len);
	if (info.btf && info.btf_size) {
		memcpy((void *)(uintptr_t)info.btf, b->data, info.btf_size < b->size ? info.btf_size : b->size);
	}
	info.btf_size = b->size;
	info.id = b->obj.id;
	if (info.name && info.name_len) {
		size_t n = strlen(b->name);

		if (n + 1 > info.name_len)
			return -ENOSPC;
		memcpy((void *)(uintptr_t)info.name, b->name, n + 1);
	}
	info.name_len = (uint32_t)strlen(b->name) + (b->name[0] ? 1 : 0);
	info.kernel_btf = b->kernel_btf;
	memcpy(uinfo, &info, len);
	*info_len = len;
	return 0;
}

static int cmd_obj_get_info(struct sops_runtime *rt, union sops_bpf_attr *attr)
{
	void *uinfo = (void *)(uintptr_t)attr->info.info;
	uint32_t len = attr->info.info_len;
	size_t known = 0;
	struct rt_obj *obj;
	int err;

	err = rt_handle_get(rt, (int)attr->info.bpf_fd, RT_ANY_KIND, &obj);
	if (err)
		return err;
	switch (obj->kind) {
	case SOPS_OBJ_MAP: known = sizeof(struct sops_bpf_map_info); break;
	case SOPS_OBJ_PROG: known = sizeof(struct sops_bpf_prog_info); break;
	case SOPS_OBJ_LINK: known = sizeof(struct sops_bpf_link_info); break;
	case SOPS_OBJ_BTF: known = sizeof(struct sops_bpf_btf_info); break;
	}
	if (!uinfo) {
		err = -EFAULT;
		goto out;
	}
	/* A newer caller's larger struct must be zero past what we know (kernel: E2BIG). */
	if (len > known && !rt_mem_is_zero((char *)uinfo + known, len - known)) {
		err = -E2BIG;
		goto out;
	}
	switch (obj->kind) {
	case SOPS_OBJ_MAP:
		err = rt_map_fill_info(caa_container_of(obj, struct rt_map, obj), uinfo, &len);
		break;
	case SOPS_OBJ_PROG:
		err = rt_prog_fill_info(caa_container_of(obj, struct sops_prog, obj), uinfo, &len);
		break;
	case SOPS_OBJ_LINK:
		err = rt_link_fill_info(caa_container_of(obj, struct rt_link, obj), uinfo, &len);
		break;
	default:
		err = btf_fill_info(caa_container_of(obj, struct rt_btf, obj), uinfo, &len);
		break;
	}
	if (!err)
		attr->info.info_len = len;
out:
	rt_obj_put(obj);
	return err;
}

static int dispatch(struct sops_runtime *rt, int cmd, union sops_bpf_attr *attr)
{
	switch (cmd) {
	case SOPS_BPF_MAP_CREATE:
		return rt_cmd_map_create(rt, attr);
	case SOPS_BPF_MAP_LOOKUP_ELEM:
	case SOPS_BPF_MAP_UPDATE_ELEM:
	case SOPS_BPF_MAP_DELETE_ELEM:
	case SOPS_BPF_MAP_GET_NEXT_KEY:
	case SOPS_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
		return rt_cmd_map_elem(rt, cmd, attr);
	case SOPS_BPF_MAP_FREEZE:
		return rt_cmd_map_freeze(rt, attr);
	case SOPS_BPF_PROG_LOAD:
		return rt_cmd_prog_load(rt, attr);
	case SOPS_BPF_PROG_TEST_RUN:
		return rt_cmd_prog_test_run(rt, attr);
	case SOPS_BPF_PROG_GET_NEXT_ID:
	case SOPS_BPF_MAP_GET_NEXT_ID:
	case SOPS_BPF_BTF_GET_NEXT_ID:
	case SOPS_BPF_LINK_GET_NEXT_ID:
		return cmd_get_next_id(rt, cmd, attr);
	case SOPS_BPF_PROG_GET_FD_BY_ID:
	case SOPS_BPF_MAP_GET_FD_BY_ID:
	case SOPS_BPF_BTF_GET_FD_BY_ID:
	case SOPS_BPF_LINK_GET_FD_BY_ID:
		return cmd_get_fd_by_id(rt, cmd, attr);
	case SOPS_BPF_OBJ_GET_INFO_BY_FD:
		return cmd_obj_get_info(rt, attr);
	case SOPS_BPF_BTF_LOAD:
		return cmd_btf_load(rt, attr);
	case SOPS_BPF_LINK_CREATE:
	case SOPS_BPF_LINK_UPDATE:
	case SOPS_BPF_LINK_DETACH:
	case SOPS_BPF_PROG_ASSOC_STRUCT_OPS:
		return rt_cmd_link(rt, cmd, attr);
	default:
		return -EINVAL;
	}
}

int sops_bpf(struct sops_runtime *rt, int cmd, union sops_bpf_attr *uattr, unsigned int size)
{
	union sops_bpf_attr attr;
	size_t end;
	int ret;

	if (!rt)
		return -EINVAL;
	if (size && !uattr)
		return -EFAULT;
	if (size > sizeof(attr)) {
		if (!rt_mem_is_zero((const char *)uattr + sizeof(attr), size - sizeof(attr)))
			return -E2BIG;
		size = sizeof(attr);
	}
	memset(&attr, 0, sizeof(attr));
	if (size)
		memcpy(&attr, uattr, size);
	end = cmd_last_field_end(cmd);
	if (!end || attr_tail_bad(&attr, end))
		return -EINVAL;
	ret = dispatch(rt, cmd, &attr);
	/* Output fields (next_id, info_len, test results, log_true_size) go back. */
	if (size)
		memcpy(uattr, &attr, size);
	return ret;
}

int sops_close(struct sops_runtime *rt, int fd)
{
	int err = rt ? rt_handle_close(rt, fd) : -EINVAL;

	if (err)
		errno = -err;
	return err;
}
