/* SPDX-License-Identifier: MIT */
/*
 * test_st_map.c - the STRUCT_OPS map: MAP_CREATE (spec 2.1), UPDATE (2.2),
 * LOOKUP (2.3), DELETE (2.4), errno by errno, the state machine, and ops
 * called through kdata's thunks on each engine.
 */
#include <errno.h>
#include <string.h>

#include "test.h"
#include "test_st_util.h"

#define RET42 "mov %r0, 42\nexit"

static int lookup(struct st_fix *f, int fd, uint32_t key, uint8_t v[TST_VALUE_SIZE])
{
	return sops_map_lookup_elem(f->rt, fd, &key, v);
}

static int update(struct st_fix *f, int fd, uint32_t key, const uint8_t v[TST_VALUE_SIZE], uint64_t flags)
{
	return sops_map_update_elem(f->rt, fd, &key, v, flags);
}

TEST(st_map_create_errnos)
{
	struct st_fix f;
	struct sops_map_create_opts o;
	int host_fd, fd;

	T_EQ(st_fix_init(&f, false, false), 0);
	o = (struct sops_map_create_opts){ .sz = sizeof(o), .btf_fd = (uint32_t)f.user_btf,
					   .btf_vmlinux_value_type_id = f.value_id };
	T_EQ(sops_map_create(f.rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "m", 8, TST_VALUE_SIZE, 1, &o), -EINVAL);
	T_EQ(sops_map_create(f.rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "m", 4, TST_VALUE_SIZE, 2, &o), -EINVAL);
	o.map_flags = SOPS_BPF_F_RDONLY;
	T_EQ(sops_map_create(f.rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "m", 4, TST_VALUE_SIZE, 1, &o), -EINVAL);
	o.map_flags = 0;
	T_EQ(st_create(&f, 0, TST_VALUE_SIZE, 0), -EINVAL);
	T_EQ(st_create(&f, (uint32_t)f.ops_id, TST_VALUE_SIZE, 0), -SOPS_ENOTSUPP);
	T_EQ(st_create(&f, f.value_id, TST_VALUE_SIZE - 8, 0), -EINVAL);
	/* key type id with btf_vmlinux_value_type_id (spec 2.1.3) */
	o.btf_key_type_id = 1;
	T_EQ(sops_map_create(f.rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "m", 4, TST_VALUE_SIZE, 1, &o), -EINVAL);
	o.btf_key_type_id = 0;
	/* the host's (kernel) BTF as btf_fd */
	host_fd = sops_runtime__host_btf_fd(f.rt);
	T_ASSERT(host_fd > 0);
	o.btf_fd = (uint32_t)host_fd;
	T_EQ(sops_map_create(f.rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "m", 4, TST_VALUE_SIZE, 1, &o), -EACCES);
	/* BPF_F_VTYPE_BTF_OBJ_FD with the host's BTF (not a module's) */
	o.btf_fd = (uint32_t)f.user_btf;
	o.map_flags = SOPS_BPF_F_VTYPE_BTF_OBJ_FD;
	o.value_type_btf_obj_fd = host_fd;
	T_EQ(sops_map_create(f.rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "m", 4, TST_VALUE_SIZE, 1, &o), -EINVAL);
	o.value_type_btf_obj_fd = 999;
	T_EQ(sops_map_create(f.rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "m", 4, TST_VALUE_SIZE, 1, &o), -EBADF);
	/* btf_vmlinux_value_type_id on another map type */
	o.map_flags = 0;
	T_EQ(sops_map_create(f.rt, SOPS_BPF_MAP_TYPE_ARRAY, "m", 4, TST_VALUE_SIZE, 1, &o), -EINVAL);
	fd = st_create(&f, f.value_id, TST_VALUE_SIZE, 0);
	T_ASSERT(fd > 0);
	{
		struct sops_bpf_map_info info;
		uint32_t len = sizeof(info);
		struct sops_bpf_btf_info bi;
		uint32_t blen = sizeof(bi);

		memset(&info, 0, sizeof(info));
		memset(&bi, 0, sizeof(bi));
		T_EQ(sops_map_get_info_by_fd(f.rt, fd, &info, &len), 0);
		T_EQ(info.type, SOPS_BPF_MAP_TYPE_STRUCT_OPS);
		T_EQ(info.btf_vmlinux_value_type_id, f.value_id);
		T_EQ(sops_obj_get_info_by_fd(f.rt, host_fd, &bi, &blen), 0);
		T_EQ(info.btf_vmlinux_id, bi.id);
		T_EQ(bi.kernel_btf, 1);
	}
	T_EQ(sops_map_freeze(f.rt, fd), -SOPS_ENOTSUPP);
	sops_close(f.rt, fd);
	sops_close(f.rt, host_fd);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_MAP), 0);
	st_fix_fini(&f);
}

TEST(st_map_update_errnos)
{
	uint8_t v[TST_VALUE_SIZE], out[TST_VALUE_SIZE];
	struct st_fix f;
	int fd, p0, p1;

	T_EQ(st_fix_init(&f, false, false), 0);
	fd = st_create(&f, f.value_id, TST_VALUE_SIZE, 0);
	p0 = st_load(&f, f.ops_id, 0, RET42, "GPL", 0, NULL, 0);
	p1 = st_load(&f, f.ops_id, 1, RET42, "GPL", 0, NULL, 0);
	T_ASSERT(fd > 0 && p0 > 0 && p1 > 0);
	st_value(v, p0, 0, 0, 7);
	T_EQ(update(&f, fd, 1, v, 0), -E2BIG);
	T_EQ(update(&f, fd, 0, v, 1), -EINVAL);
	T_EQ(update(&f, fd, 0, v, SOPS_BPF_F_LOCK), -EINVAL);
	v[4] = 1; /* common.state */
	T_EQ(update(&f, fd, 0, v, 0), -EINVAL);
	v[4] = 0;
	v[0] = 1; /* common.refcnt */
	T_EQ(update(&f, fd, 0, v, 0), -EINVAL);
	v[0] = 0;
	v[20] = 1; /* padding between common and data */
	T_EQ(update(&f, fd, 0, v, 0), -EINVAL);
	v[20] = 0;
	v[TST_DATA_OFF + 53] = 1; /* tail padding of struct tst_ops */
	T_EQ(update(&f, fd, 0, v, 0), -EINVAL);
	v[TST_DATA_OFF + 53] = 0;
	v[TST_VALUE_SIZE - 1] = 1; /* tail padding of the value type */
	T_EQ(update(&f, fd, 0, v, 0), -EINVAL);
	v[TST_VALUE_SIZE - 1] = 0;
	/* programs: wrong member, not a program, not open */
	st_value(v, p1, 0, 0, 7);
	T_EQ(update(&f, fd, 0, v, 0), -EINVAL);
	st_value(v, fd, 0, 0, 7);
	T_EQ(update(&f, fd, 0, v, 0), -EINVAL);
	st_value(v, 999, 0, 0, 7);
	T_EQ(update(&f, fd, 0, v, 0), -EBADF);
	/* validate, then reg, fail: the map stays INIT and can be retried */
	f.host.validate_err = -EINVAL;
	st_value(v, p0, p1, 0, 7);
	T_EQ(update(&f, fd, 0, v, 0), -EINVAL);
	f.host.validate_err = 0;
	f.host.reg_err = -EEXIST;
	T_EQ(update(&f, fd, 0, v, 0), -EEXIST);
	T_EQ(lookup(&f, fd, 0, out), 0);
	T_ASSERT(!memcmp(out, (uint8_t[TST_VALUE_SIZE]){ 0 }, TST_VALUE_SIZE));
	f.host.reg_err = 0;
	T_EQ(update(&f, fd, 0, v, 0), 0);
	T_EQ(f.host.reg_cnt, 1);
	T_EQ(update(&f, fd, 0, v, 0), -EBUSY);
	sops_close(f.rt, p0);
	sops_close(f.rt, p1);
	sops_close(f.rt, fd);
	st_fix_fini(&f);
}

/* init_member failing after a program slot is filled: the update fails, the map is reset. */
TEST(st_map_update_init_member_fails)
{
	uint8_t v[TST_VALUE_SIZE], out[TST_VALUE_SIZE];
	struct st_fix f;
	int fd, p0;

	T_EQ(st_fix_init(&f, false, false), 0);
	fd = st_create(&f, f.value_id, TST_VALUE_SIZE, 0);
	p0 = st_load(&f, f.ops_id, 0, RET42, "GPL", 0, NULL, 0);
	T_ASSERT(fd > 0 && p0 > 0);
	st_value(v, p0, 0, 0, 5);
	f.host.init_member_err = -E2BIG;
	T_EQ(update(&f, fd, 0, v, 0), -E2BIG);
	T_EQ(f.host.validate_cnt, 0);
	T_EQ(f.host.reg_cnt, 0);
	T_EQ(lookup(&f, fd, 0, out), 0);
	T_ASSERT(!memcmp(out, (uint8_t[TST_VALUE_SIZE]){ 0 }, TST_VALUE_SIZE));
	/* the reset dropped the map's reference on the program */
	sops_close(f.rt, p0);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_PROG), 0);
	/* and the map is INIT again: a retry with a new program registers */
	f.host.init_member_err = 0;
	p0 = st_load(&f, f.ops_id, 0, RET42, "GPL", 0, NULL, 0);
	T_ASSERT(p0 > 0);
	st_value(v, p0, 0, 0, 5);
	T_EQ(update(&f, fd, 0, v, 0), 0);
	T_EQ(f.host.validate_cnt, 1);
	T_EQ(st_call_test_1(&f), 42);
	T_EQ(sops_map_delete_elem(f.rt, fd, &(uint32_t){ 0 }), 0);
	sops_close(f.rt, p0);
	sops_close(f.rt, fd);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_MAP), 0);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_PROG), 0);
	st_fix_fini(&f);
}

TEST(st_map_lookup_delete)
{
	uint8_t v[TST_VALUE_SIZE], out[TST_VALUE_SIZE];
	struct sops_struct_ops_common_value common;
	struct sops_bpf_prog_info pi;
	uint32_t key = 0, next = 7, pilen = sizeof(pi);
	struct st_fix f;
	uint64_t slot;
	int fd, lfd, p0, data;

	T_EQ(st_fix_init(&f, false, false), 0);
	fd = st_create(&f, f.value_id, TST_VALUE_SIZE, 0);
	lfd = st_create(&f, f.value_id, TST_VALUE_SIZE, SOPS_BPF_F_LINK);
	p0 = st_load(&f, f.ops_id, 0, RET42, "GPL", 0, NULL, 0);
	T_ASSERT(fd > 0 && lfd > 0 && p0 > 0);
	memset(&pi, 0, sizeof(pi));
	T_EQ(sops_prog_get_info_by_fd(f.rt, p0, &pi, &pilen), 0);
	/* never updated: lookup zeros, delete ENOENT; key 1 ENOENT */
	memset(out, 0xff, sizeof(out));
	T_EQ(lookup(&f, fd, 0, out), 0);
	T_ASSERT(!memcmp(out, (uint8_t[TST_VALUE_SIZE]){ 0 }, TST_VALUE_SIZE));
	T_EQ(lookup(&f, fd, 1, out), -ENOENT);
	T_EQ(sops_map_delete_elem(f.rt, fd, &key), -ENOENT);
	T_EQ(sops_map_delete_elem(f.rt, lfd, &key), -EOPNOTSUPP);
	T_EQ(sops_map_get_next_key(f.rt, fd, NULL, &next), 0);
	T_EQ(next, 0);
	T_EQ(sops_map_get_next_key(f.rt, fd, &key, &next), -ENOENT);

	st_value(v, p0, 0, 0, 77);
	T_EQ(update(&f, fd, 0, v, 0), 0);
	T_EQ(lookup(&f, fd, 0, out), 0);
	memcpy(&common, out, sizeof(common));
	T_EQ(common.state, SOPS_STRUCT_OPS_STATE_INUSE);
	T_EQ(common.refcnt, 1);
	memcpy(&slot, out + TST_DATA_OFF, 8);
	T_EQ(slot, pi.id);
	memcpy(&data, out + TST_DATA_OFF + 32, 4);
	T_EQ(data, 77);
	/* kdata: data copied by init_member, test_1 a thunk */
	T_EQ(((struct tst_ops *)atomic_load(&f.host.cur))->data, 77);
	T_EQ(st_call_test_1(&f), 42);
	/* the program handle may be closed: the map holds the program */
	sops_close(f.rt, p0);
	T_EQ(st_call_test_1(&f), 42);

	T_EQ(sops_map_delete_elem(f.rt, fd, &key), 0);
	T_EQ(f.host.unreg_cnt, 1);
	T_ASSERT(atomic_load(&f.host.cur) == NULL);
	T_EQ(sops_map_delete_elem(f.rt, fd, &key), -EINPROGRESS);
	T_EQ(update(&f, fd, 0, v, 0), -EBUSY);
	T_EQ(lookup(&f, fd, 0, out), 0);
	memcpy(&common, out, sizeof(common));
	T_EQ(common.state, SOPS_STRUCT_OPS_STATE_TOBEFREE);
	T_EQ(common.refcnt, 0);

	/* a link map goes READY without reg */
	p0 = st_load(&f, f.ops_id, 0, RET42, "GPL", 0, NULL, 0);
	st_value(v, p0, 0, 0, 1);
	T_EQ(update(&f, lfd, 0, v, 0), 0);
	T_EQ(f.host.reg_cnt, 1);
	T_EQ(lookup(&f, lfd, 0, out), 0);
	memcpy(&common, out, sizeof(common));
	T_EQ(common.state, SOPS_STRUCT_OPS_STATE_READY);
	T_EQ(common.refcnt, 0);
	T_EQ(update(&f, lfd, 0, v, 0), -EBUSY);
	sops_close(f.rt, p0);
	sops_close(f.rt, fd);
	sops_close(f.rt, lfd);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_MAP), 0);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_PROG), 0);
	st_fix_fini(&f);
}

/* Every member calling convention through each engine's thunks. */
static void thunk_calls(struct test_ctx *t, bool jit, bool trust)
{
	uint8_t v[TST_VALUE_SIZE];
	struct tst_state state = { 0xbeef };
	struct st_fix f;
	struct tst_ops *ops;
	int fd, p0, p1, p2;

	T_EQ(st_fix_init(&f, jit, trust), 0);
	fd = st_create(&f, f.value_id, TST_VALUE_SIZE, 0);
	p0 = st_load(&f, f.ops_id, 0, RET42, "GPL", 0, NULL, 0);
	/* Every engine reads its context array (checked mode: a read-only region). */
	p1 = st_load(&f, f.ops_id, 1, "ldxdw %r0, [%r1+0]\nldxdw %r2, [%r1+8]\nadd %r0, %r2\nexit",
		     "GPL", 0, NULL, 0);
	/* The __nullable state argument: NULL-checked, then read (a verified host access in every mode). */
	p2 = st_load(&f, f.ops_id, 2,
		     "ldxdw %r2, [%r1+0]\nmov %r0, -1\njeq %r2, 0, out\nldxw %r0, [%r2+0]\nout:\nexit",
		     "GPL", 0, NULL, 0);
	T_ASSERT(fd > 0 && p0 > 0 && p1 > 0 && p2 > 0);
	st_value(v, p0, p1, p2, 0);
	T_EQ(update(&f, fd, 0, v, 0), 0);
	sops_rcu_read_lock();
	ops = atomic_load(&f.host.cur);
	T_EQ(ops->test_1(), 42);
	T_EQ(ops->test_2(-3, 10000000000L), (int)(10000000000L - 3));
	T_EQ(ops->test_3(&state), 0xbeef);
	T_EQ(ops->test_3(NULL), -1);
	T_ASSERT(ops->unsupported == NULL);
	sops_rcu_read_unlock();
	/* a registered map outlives its handles until its element is deleted */
	sops_close(f.rt, fd);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_MAP), 1);
	T_EQ(st_call_test_1(&f), 42);
	fd = sops_map_get_fd_by_id(f.rt, sops_struct_ops_map_id(atomic_load(&f.host.cur)));
	T_ASSERT(fd > 0);
	T_EQ(sops_map_delete_elem(f.rt, fd, &(uint32_t){ 0 }), 0);
	sops_close(f.rt, p0);
	sops_close(f.rt, p1);
	sops_close(f.rt, p2);
	sops_close(f.rt, fd);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_MAP), 0);
	st_fix_fini(&f);
}

TEST(st_map_thunks_checked_interp)
{
	thunk_calls(t, false, false);
}

TEST(st_map_thunks_fast_interp)
{
	thunk_calls(t, false, true);
}

TEST(st_map_thunks_jit)
{
	if (!sops_jit_available())
		T_SKIP("no JIT on this machine");
	thunk_calls(t, true, true);
}
