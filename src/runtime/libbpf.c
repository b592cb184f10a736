/* SPDX-License-Identifier: MIT */
/*
 * libbpf.c - the low-level wrappers of structops/bpf.h, shaped as libbpf's
 * tools/lib/bpf/bpf.c: fill an attr up to the command's last field, call
 * sops_bpf(), return the result and set errno on failure.
 */
#include <errno.h>
#include <string.h>

#include "../util/opts.h"
#include "rt_internal.h"

#define ATTR_SZ(field) offsetofend(union sops_bpf_attr, field)

static int ret_errno(int ret)
{
	if (ret < 0)
		errno = -ret;
	return ret;
}

static int sys(struct sops_runtime *rt, int cmd, union sops_bpf_attr *attr, size_t sz)
{
	return ret_errno(sops_bpf(rt, cmd, attr, (unsigned int)sz));
}

int sops_map_create(struct sops_runtime *rt, enum sops_bpf_map_type map_type, const char *map_name,
		    uint32_t key_size, uint32_t value_size, uint32_t max_entries,
		    const struct sops_map_create_opts *opts)
{
	union sops_bpf_attr attr;

	if (!OPTS_VALID(opts, sops_map_create_opts))
		return ret_errno(-EINVAL);
	memset(&attr, 0, sizeof(attr));
	attr.map_type = map_type;
	if (map_name)
		strncpy(attr.map_name, map_name, sizeof(attr.map_name) - 1);
	attr.key_size = key_size;
	attr.value_size = value_size;
	attr.max_entries = max_entries;
	attr.btf_fd = OPTS_GET(opts, btf_fd, 0);
	attr.btf_key_type_id = OPTS_GET(opts, btf_key_type_id, 0);
	attr.btf_value_type_id = OPTS_GET(opts, btf_value_type_id, 0);
	attr.btf_vmlinux_value_type_id = OPTS_GET(opts, btf_vmlinux_value_type_id, 0);
	attr.value_type_btf_obj_fd = OPTS_GET(opts, value_type_btf_obj_fd, 0);
	attr.inner_map_fd = OPTS_GET(opts, inner_map_fd, 0);
	attr.map_flags = OPTS_GET(opts, map_flags, 0);
	attr.map_extra = OPTS_GET(opts, map_extra, 0);
	attr.numa_node = OPTS_GET(opts, numa_node, 0);
	attr.map_ifindex = OPTS_GET(opts, map_ifindex, 0);
	attr.map_token_fd = (int32_t)OPTS_GET(opts, token_fd, 0);
	return sys(rt, SOPS_BPF_MAP_CREATE, &attr, ATTR_SZ(map_token_fd));
}

static int map_elem(struct sops_runtime *rt, int cmd, int fd, const void *key, const void *value,
		    uint64_t flags)
{
	union sops_bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = (uint64_t)(uintptr_t)key;
	attr.value = (uint64_t)(uintptr_t)value;
	attr.flags = flags;
	return sys(rt, cmd, &attr, ATTR_SZ(flags));
}

int sops_map_update_elem(struct sops_runtime *rt, int fd, const void *key, const void *value,
			 uint64_t flags)
{
	return map_elem(rt, SOPS_BPF_MAP_UPDATE_ELEM, fd, key, value, flags);
}

int sops_map_lookup_elem(struct sops_runtime *rt, int fd, const void *key, void *value)
{
	return map_elem(rt, SOPS_BPF_MAP_LOOKUP_ELEM, fd, key, value, 0);
}

int sops_map_lookup_elem_flags(struct sops_runtime *rt, int fd, const void *key, void *value,
			       uint64_t flags)
{
	return map_elem(rt, SOPS_BPF_MAP_LOOKUP_ELEM, fd, key, value, flags);
}

int sops_map_lookup_and_delete_elem(struct sops_runtime *rt, int fd, const void *key, void *value)
{
	return map_elem(rt, SOPS_BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, key, value, 0);
}

int sops_map_delete_elem(struct sops_runtime *rt, int fd, const void *key)
{
	return map_elem(rt, SOPS_BPF_MAP_DELETE_ELEM, fd, key, NULL, 0);
}

int sops_map_get_next_key(struct sops_runtime *rt, int fd, const void *key, void *next_key)
{
	union sops_bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = (uint64_t)(uintptr_t)key;
	attr.next_key = (uint64_t)(uintptr_t)next_key;
	return sys(rt, SOPS_BPF_MAP_GET_NEXT_KEY, &attr, ATTR_SZ(next_key));
}

int sops_map_freeze(struct sops_runtime *rt, int fd)
{
	union sops_bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	return sys(rt, SOPS_BPF_MAP_FREEZE, &attr, ATTR_SZ(map_fd));
}

int sops_prog_load(struct sops_runtime *rt, enum sops_bpf_prog_type prog_type, const char *prog_name,
		   const char *license, const struct sops_insn *insns, size_t insn_cnt,
		   struct sops_prog_load_opts *opts)
{
	union sops_bpf_attr attr;
	int fd;

	if (!OPTS_VALID(opts, sops_prog_load_opts))
		return ret_errno(-EINVAL);
	if (insn_cnt > UINT32_MAX)
		return ret_errno(-E2BIG);
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = prog_type;
	attr.expected_attach_type = OPTS_GET(opts, expected_attach_type, 0);
	attr.prog_btf_fd = OPTS_GET(opts, prog_btf_fd, 0);
	attr.prog_flags = OPTS_GET(opts, prog_flags, 0);
	attr.prog_ifindex = OPTS_GET(opts, prog_ifindex, 0);
	attr.kern_version = OPTS_GET(opts, kern_version, 0);
	attr.attach_btf_id = OPTS_GET(opts, attach_btf_id, 0);
	if (OPTS_GET(opts, attach_prog_fd, 0))
		attr.attach_prog_fd = OPTS_GET(opts, attach_prog_fd, 0);
	else
		attr.attach_btf_obj_fd = OPTS_GET(opts, attach_btf_obj_fd, 0);
	attr.fd_array = (uint64_t)(uintptr_t)OPTS_GET(opts, fd_array, NULL);
	attr.fd_array_cnt = OPTS_GET(opts, fd_array_cnt, 0);
	attr.log_level = OPTS_GET(opts, log_level, 0);
	attr.log_size = OPTS_GET(opts, log_size, 0);
	attr.log_buf = (uint64_t)(uintptr_t)OPTS_GET(opts, log_buf, NULL);
	attr.prog_token_fd = (int32_t)OPTS_GET(opts, token_fd, 0);
	attr.line_info = (uint64_t)(uintptr_t)OPTS_GET(opts, line_info, NULL);
	attr.line_info_cnt = OPTS_GET(opts, line_info_cnt, 0);
	attr.line_info_rec_size = OPTS_GET(opts, line_info_rec_size, 0);
	if (prog_name)
		strncpy(attr.prog_name, prog_name, sizeof(attr.prog_name) - 1);
	attr.license = (uint64_t)(uintptr_t)license;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)insn_cnt;
	fd = sys(rt, SOPS_BPF_PROG_LOAD, &attr, ATTR_SZ(fd_array_cnt));
	OPTS_SET(opts, log_true_size, attr.log_true_size);
	return fd;
}

int sops_prog_test_run_opts(struct sops_runtime *rt, int prog_fd, struct sops_test_run_opts *opts)
{
	union sops_bpf_attr attr;
	int ret;

	if (!opts || !OPTS_VALID(opts, sops_test_run_opts))
		return ret_errno(-EINVAL);
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)prog_fd;
	attr.test.batch_size = OPTS_GET(opts, batch_size, 0);
	attr.test.cpu = OPTS_GET(opts, cpu, 0);
	attr.test.flags = OPTS_GET(opts, flags, 0);
	attr.test.repeat = (uint32_t)OPTS_GET(opts, repeat, 0);
	attr.test.duration = OPTS_GET(opts, duration, 0);
	attr.test.ctx_size_in = OPTS_GET(opts, ctx_size_in, 0);
	attr.test.ctx_size_out = OPTS_GET(opts, ctx_size_out, 0);
	attr.test.ctx_in = (uint64_t)(uintptr_t)OPTS_GET(opts, ctx_in, NULL);
	attr.test.ctx_out = (uint64_t)(uintptr_t)OPTS_GET(opts, ctx_out, NULL);
	attr.test.data_size_in = OPTS_GET(opts, data_size_in, 0);
	attr.test.data_size_out = OPTS_GET(opts, data_size_out, 0);
	attr.test.data_in = (uint64_t)(uintptr_t)OPTS_GET(opts, data_in, NULL);
	attr.test.data_out = (uint64_t)(uintptr_t)OPTS_GET(opts, data_out, NULL);
	ret = sops_bpf(rt, SOPS_BPF_PROG_TEST_RUN, &attr, ATTR_SZ(test.batch_size));
	/* As libbpf: sizes and results are reported even with ENOSPC. */
	OPTS_SET(opts, data_size_out, attr.test.data_size_out);
	OPTS_SET(opts, ctx_size_out, attr.test.ctx_size_out);
	OPTS_SET(opts, duration, attr.test.duration);
	OPTS_SET(opts, retval, attr.test.retval);
	return ret_errno(ret);
}

int sops_btf_load(struct sops_runtime *rt, const void *btf_data, size_t btf_size, char *log_buf,
		  uint32_t log_size)
{
	union sops_bpf_attr attr;

	if (btf_size > UINT32_MAX)
		return ret_errno(-E2BIG);
	memset(&attr, 0, sizeof(attr));
	attr.btf = (uint64_t)(uintptr_t)btf_data;
	attr.btf_size = (uint32_t)btf_size;
	attr.btf_log_buf = (uint64_t)(uintptr_t)log_buf;
	attr.btf_log_size = log_buf ? log_size : 0;
	attr.btf_log_level = log_buf ? 1 : 0;
	return sys(rt, SOPS_BPF_BTF_LOAD, &attr, ATTR_SZ(btf_token_fd));
}

static int get_next_id(struct sops_runtime *rt, int cmd, uint32_t start, uint32_t *next)
{
	union sops_bpf_attr attr;
	int err;

	memset(&attr, 0, sizeof(attr));
	attr.start_id = start;
	err = sys(rt, cmd, &attr, ATTR_SZ(open_flags));
	if (!err)
		*next = attr.next_id;
	return err;
}

int sops_prog_get_next_id(struct sops_runtime *rt, uint32_t start_id, uint32_t *next_id)
{
	return get_next_id(rt, SOPS_BPF_PROG_GET_NEXT_ID, start_id, next_id);
}

int sops_map_get_next_id(struct sops_runtime *rt, uint32_t start_id, uint32_t *next_id)
{
	return get_next_id(rt, SOPS_BPF_MAP_GET_NEXT_ID, start_id, next_id);
}

int sops_btf_get_next_id(struct sops_runtime *rt, uint32_t start_id, uint32_t *next_id)
{
	return get_next_id(rt, SOPS_BPF_BTF_GET_NEXT_ID, start_id, next_id);
}

int sops_link_get_next_id(struct sops_runtime *rt, uint32_t start_id, uint32_t *next_id)
{
	return get_next_id(rt, SOPS_BPF_LINK_GET_NEXT_ID, start_id, next_id);
}

static int fd_by_id(struct sops_runtime *rt, int cmd, uint32_t id)
{
	union sops_bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.start_id = id;
	return sys(rt, cmd, &attr, ATTR_SZ(open_flags));
}

int sops_prog_get_fd_by_id(struct sops_runtime *rt, uint32_t id)
{
	return fd_by_id(rt, SOPS_BPF_PROG_GET_FD_BY_ID, id);
}

int sops_map_get_fd_by_id(struct sops_runtime *rt, uint32_t id)
{
	return fd_by_id(rt, SOPS_BPF_MAP_GET_FD_BY_ID, id);
}

int sops_btf_get_fd_by_id(struct sops_runtime *rt, uint32_t id)
{
	return fd_by_id(rt, SOPS_BPF_BTF_GET_FD_BY_ID, id);
}

int sops_link_get_fd_by_id(struct sops_runtime *rt, uint32_t id)
{
	return fd_by_id(rt, SOPS_BPF_LINK_GET_FD_BY_ID, id);
}

int sops_obj_get_info_by_fd(struct sops_runtime *rt, int fd, void *info, uint32_t *info_len)
{
	union sops_bpf_attr attr;
	int err;

	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = *info_len;
	attr.info.info = (uint64_t)(uintptr_t)info;
	err = sys(rt, SOPS_BPF_OBJ_GET_INFO_BY_FD, &attr, ATTR_SZ(info.info));
	if (!err)
		*info_len = attr.info.info_len;
	return err;
}

int sops_map_get_info_by_fd(struct sops_runtime *rt, int fd, struct sops_bpf_map_info *info,
			    uint32_t *info_len)
{
	return sops_obj_get_info_by_fd(rt, fd, info, info_len);
}

int sops_prog_get_info_by_fd(struct sops_runtime *rt, int fd, struct sops_bpf_prog_info *info,
			     uint32_t *info_len)
{
	return sops_obj_get_info_by_fd(rt, fd, info, info_len);
}

int sops_link_get_info_by_fd(struct sops_runtime *rt, int fd, struct sops_bpf_link_info *info,
			     uint32_t *info_len)
{
	return sops_obj_get_info_by_fd(rt, fd, info, info_len);
}

int sops_link_create(struct sops_runtime *rt, int prog_fd, int target_fd, uint32_t attach_type,
		     const struct sops_link_create_opts *opts)
{
	union sops_bpf_attr attr;

	if (!OPTS_VALID(opts, sops_link_create_opts))
		return ret_errno(-EINVAL);
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = (uint32_t)prog_fd;
	attr.link_create.target_fd = (uint32_t)target_fd;
	attr.link_create.attach_type = attach_type;
	attr.link_create.flags = OPTS_GET(opts, flags, 0);
	attr.link_create.target_btf_id = OPTS_GET(opts, target_btf_id, 0);
	return sys(rt, SOPS_BPF_LINK_CREATE, &attr, ATTR_SZ(link_create.uprobe_multi.pid));
}

int sops_link_update(struct sops_runtime *rt, int link_fd, int new_prog_fd,
		     const struct sops_link_update_opts *opts)
{
	union sops_bpf_attr attr;

	if (!OPTS_VALID(opts, sops_link_update_opts))
		return ret_errno(-EINVAL);
	if (OPTS_GET(opts, old_prog_fd, 0) && OPTS_GET(opts, old_map_fd, 0))
		return ret_errno(-EINVAL);
	memset(&attr, 0, sizeof(attr));
	attr.link_update.link_fd = (uint32_t)link_fd;
	attr.link_update.new_prog_fd = (uint32_t)new_prog_fd;
	attr.link_update.flags = OPTS_GET(opts, flags, 0);
	if (OPTS_GET(opts, old_prog_fd, 0))
		attr.link_update.old_prog_fd = OPTS_GET(opts, old_prog_fd, 0);
	else
		attr.link_update.old_map_fd = OPTS_GET(opts, old_map_fd, 0);
	return sys(rt, SOPS_BPF_LINK_UPDATE, &attr, ATTR_SZ(link_update.old_prog_fd));
}

int sops_link_detach(struct sops_runtime *rt, int link_fd)
{
	union sops_bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.link_detach.link_fd = (uint32_t)link_fd;
	return sys(rt, SOPS_BPF_LINK_DETACH, &attr, ATTR_SZ(link_detach.link_fd));
}

int sops_prog_assoc_struct_ops(struct sops_runtime *rt, int prog_fd, int map_fd,
			       struct sops_prog_assoc_struct_ops_opts *opts)
{
	union sops_bpf_attr attr;

	if (!OPTS_VALID(opts, sops_prog_assoc_struct_ops_opts))
		return ret_errno(-EINVAL);
	memset(&attr, 0, sizeof(attr));
	attr.prog_assoc_struct_ops.map_fd = (uint32_t)map_fd;
	attr.prog_assoc_struct_ops.prog_fd = (uint32_t)prog_fd;
	attr.prog_assoc_struct_ops.flags = OPTS_GET(opts, flags, 0);
	return sys(rt, SOPS_BPF_PROG_ASSOC_STRUCT_OPS, &attr, ATTR_SZ(prog_assoc_struct_ops.flags));
}
