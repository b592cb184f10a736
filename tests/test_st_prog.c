/* SPDX-License-Identifier: MIT */
/*
 * test_st_prog.c - struct_ops programs: the attach checks of PROG_LOAD (spec
 * section 4), association (PROG_ASSOC_STRUCT_OPS, spec 2.9) and the kfunc
 * implicit program argument with the host-side lookup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <structops/asm.h>

#include <structops/struct_ops.h>

#include "test.h"
#include "test_st_util.h"

#define RET42 "mov %r0, 42\nexit"

static int cm_err;

static int check_member_fail(const struct btf_type *t, const struct btf_member *m, const struct sops_prog *prog)
{
	(void)t;
	(void)m;
	(void)prog;
	return cm_err;
}

static bool no_printk(uint32_t id, uint32_t member, const struct sops_prog *prog)
{
	(void)member;
	(void)prog;
	return id != 6;
}

TEST(st_prog_attach_checks)
{
	static const struct sops_struct_ops_verifier_ops vops = { .helper_allowed = no_printk };
	char log[512];
	struct st_fix f;
	int fd;

	T_EQ(st_fix_init(&f, false, false), 0);
	fd = st_load(&f, f.ops_id, 0, RET42, "Proprietary", 0, log, sizeof(log));
	T_EQ(fd, -EINVAL);
	T_ASSERT(strstr(log, "struct ops programs must have a GPL compatible license"));
	T_EQ(st_load(&f, 0, 0, RET42, "GPL", 0, NULL, 0), -SOPS_ENOTSUPP);
	fd = st_load(&f, f.ops_id + 1000, 0, RET42, "GPL", 0, log, sizeof(log));
	T_EQ(fd, -SOPS_ENOTSUPP);
	T_ASSERT(strstr(log, "is not a supported struct"));
	fd = st_load(&f, f.ops_id, 6, RET42, "GPL", 0, log, sizeof(log));
	T_EQ(fd, -EINVAL);
	T_ASSERT(strstr(log, "attach to invalid member idx 6"));
	fd = st_load(&f, f.ops_id, 4, RET42, "GPL", 0, log, sizeof(log));
	T_EQ(fd, -EINVAL);
	T_ASSERT(strstr(log, "attach to invalid member data(@idx 4)"));
	fd = st_load(&f, f.ops_id, 3, RET42, "GPL", 0, log, sizeof(log));
	T_EQ(fd, -SOPS_ENOTSUPP);
	T_STREQ(log, "attach to unsupported member unsupported of struct tst_ops");
	f.ops.check_member = check_member_fail;
	cm_err = -EOPNOTSUPP;
	fd = st_load(&f, f.ops_id, 1, RET42, "GPL", SOPS_BPF_F_SLEEPABLE, log, sizeof(log));
	T_EQ(fd, -EOPNOTSUPP);
	T_STREQ(log, "attach to unsupported member test_2 of struct tst_ops");
	cm_err = 0;
	/* sleepable programs are allowed when check_member says so */
	fd = st_load(&f, f.ops_id, 1, RET42, "GPL", SOPS_BPF_F_SLEEPABLE, NULL, 0);
	T_ASSERT(fd > 0);
	sops_close(f.rt, fd);
	/* verifier_ops->helper_allowed */
	f.ops.verifier_ops = &vops;
	fd = st_load(&f, f.ops_id, 0, "call 6\nexit", "GPL", 0, log, sizeof(log));
	T_EQ(fd, -EINVAL);
	T_ASSERT(strstr(log, "program of this type cannot use helper bpf_trace_printk#6"));
	fd = st_load(&f, f.ops_id, 0, "call 5\nexit", "GPL", 0, NULL, 0); /* ktime_get_ns */
	T_ASSERT(fd > 0);
	sops_close(f.rt, fd);
	/* the runtime's own attach btf: a user BTF is not a kernel BTF */
	{
		struct sops_prog_load_opts o = { .sz = sizeof(o), .attach_btf_id = (uint32_t)f.ops_id,
						 .attach_btf_obj_fd = (uint32_t)f.user_btf };
		struct sops_insn insns[2] = { { .code = 0xb7, .imm = 0 }, { .code = 0x95 } };

		T_EQ(sops_prog_load(f.rt, SOPS_BPF_PROG_TYPE_STRUCT_OPS, "p", "GPL", insns, 2, &o),
		     -SOPS_ENOTSUPP);
	}
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_PROG), 0);
	st_fix_fini(&f);
}

/* kfunc: test_1 of the map the calling program is associated with, -1 when none. */
static uint64_t kf_call_assoc_test_1(uint64_t prog, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	struct tst_ops *ops = sops_prog_get_assoc_struct_ops((const struct sops_prog *)(uintptr_t)prog);

	(void)r2;
	(void)r3;
	(void)r4;
	(void)r5;
	if (!ops || !ops->test_1)
		return (uint64_t)-1;
	return (uint64_t)(int64_t)ops->test_1();
}

#define KF_ID 777

static int register_kf(struct st_fix *f)
{
	struct sops_kfunc_desc d = { .sz = sizeof(d), .name = "kf_call_assoc_test_1",
				     .fn = kf_call_assoc_test_1, .btf_id = KF_ID,
				     .flags = SOPS_KF_PROG_ARG(0) };

	return sops_runtime__register_kfunc(f->rt, &d);
}

static uint64_t run(struct st_fix *f, int prog)
{
	uint64_t r = 0xdead;

	sops_prog_run(f->rt, prog, NULL, 0, &r);
	return r;
}

static int ready_map(struct st_fix *f, int prog, uint32_t flags)
{
	uint8_t v[TST_VALUE_SIZE];
	int fd = st_create(f, f->value_id, TST_VALUE_SIZE, flags);

	st_value(v, prog, 0, 0, 0);
	if (fd < 0 || sops_map_update_elem(f->rt, fd, &(uint32_t){ 0 }, v, 0))
		return -1;
	return fd;
}

TEST(st_prog_assoc)
{
	struct sops_prog_assoc_struct_ops_opts ao = { .sz = sizeof(ao) };
	struct st_fix f;
	int pa, pb, ma, mb, s1, s2, arr, shared, mc, md, s3;

	T_EQ(st_fix_init(&f, false, true), 0);
	T_EQ(register_kf(&f), 0);
	pa = st_load(&f, f.ops_id, 0, "mov %r0, 1234\nexit", "GPL", 0, NULL, 0);
	pb = st_load(&f, f.ops_id, 0, "mov %r0, 5678\nexit", "GPL", 0, NULL, 0);
	ma = ready_map(&f, pa, SOPS_BPF_F_LINK);
	mb = ready_map(&f, pb, SOPS_BPF_F_LINK);
	arr = sops_map_create(f.rt, SOPS_BPF_MAP_TYPE_ARRAY, "a", 4, 4, 1, NULL);
	T_ASSERT(pa > 0 && pb > 0 && ma > 0 && mb > 0 && arr > 0);
	{
		struct sops_insn *insns;
		size_t cnt;
		char text[64];

		/* a kfunc call: the assembler's `call` with src_reg 2 is written by hand here */
		snprintf(text, sizeof(text), "mov %%r1, 0\ncall %d\nexit", KF_ID);
		T_EQ(sops_asm__parse(text, &insns, &cnt, NULL, 0), 0);
		insns[1].src_reg = SOPS_CALL_KFUNC;
		s1 = sops_prog_load(f.rt, SOPS_BPF_PROG_TYPE_SYSCALL, "s1", "GPL", insns, cnt, NULL);
		s2 = sops_prog_load(f.rt, SOPS_BPF_PROG_TYPE_SYSCALL, "s2", "GPL", insns, cnt, NULL);
		s3 = sops_prog_load(f.rt, SOPS_BPF_PROG_TYPE_SYSCALL, "s3", "GPL", insns, cnt, NULL);
		free(insns);
	}
	T_ASSERT(s1 > 0 && s2 > 0 && s3 > 0);
	/* rejections (spec 2.9 steps 1-6) */
	ao.flags = 1;
	T_EQ(sops_prog_assoc_struct_ops(f.rt, s1, ma, &ao), -EINVAL);
	ao.flags = 0;
	T_EQ(sops_prog_assoc_struct_ops(f.rt, 999, ma, &ao), -EBADF);
	T_EQ(sops_prog_assoc_struct_ops(f.rt, pa, ma, &ao), -EINVAL); /* a struct_ops program */
	T_EQ(sops_prog_assoc_struct_ops(f.rt, s1, 999, &ao), -EBADF);
	T_EQ(sops_prog_assoc_struct_ops(f.rt, s1, arr, &ao), -EINVAL);
	T_EQ(sops_prog_assoc_struct_ops(f.rt, ma, ma, &ao), -EINVAL); /* a map as program */
	/* unassociated: the kfunc sees NULL */
	T_EQ(run(&f, s1), (uint64_t)-1);
	T_EQ(sops_prog_assoc_struct_ops(f.rt, s1, ma, &ao), 0);
	T_EQ(sops_prog_assoc_struct_ops(f.rt, s1, ma, &ao), 0); /* idempotent */
	T_EQ(sops_prog_assoc_struct_ops(f.rt, s1, mb, &ao), -EBUSY);
	T_EQ(sops_prog_assoc_struct_ops(f.rt, s2, mb, NULL), 0);
	T_EQ(run(&f, s1), 1234);
	T_EQ(run(&f, s2), 5678);

	/* poisoning: one struct_ops program (test_2: the kfunc) in two maps */
	{
		struct sops_prog_load_opts o = { .sz = sizeof(o), .attach_btf_id = (uint32_t)f.ops_id,
						 .expected_attach_type = 1 };
		struct sops_insn insns[3] = {
			{ .code = 0xb7, .dst_reg = 1, .imm = 0 },
			{ .code = 0x85, .src_reg = SOPS_CALL_KFUNC, .imm = KF_ID },
			{ .code = 0x95 },
		};

		shared = sops_prog_load(f.rt, SOPS_BPF_PROG_TYPE_STRUCT_OPS, "shared", "GPL", insns, 3, &o);
	}
	T_ASSERT(shared > 0);
	{
		uint8_t v[TST_VALUE_SIZE];
		struct tst_ops *ops;
		int l;

		mc = st_create(&f, f.value_id, TST_VALUE_SIZE, 0);
		st_value(v, pa, shared, 0, 0);
		T_EQ(sops_map_update_elem(f.rt, mc, &(uint32_t){ 0 }, v, 0), 0); /* first map: associated */
		sops_rcu_read_lock();
		ops = atomic_load(&f.host.cur);
		T_EQ(ops->test_2(0, 0), 1234);
		sops_rcu_read_unlock();
		T_EQ(sops_map_delete_elem(f.rt, mc, &(uint32_t){ 0 }), 0);
		md = st_create(&f, f.value_id, TST_VALUE_SIZE, SOPS_BPF_F_LINK);
		st_value(v, pb, shared, 0, 0);
		T_EQ(sops_map_update_elem(f.rt, md, &(uint32_t){ 0 }, v, 0), 0); /* second map: poisoned */
		l = sops_link_create(f.rt, md, 0, SOPS_BPF_STRUCT_OPS, NULL);
		T_ASSERT(l > 0);
		sops_rcu_read_lock();
		ops = atomic_load(&f.host.cur);
		T_EQ(ops->test_2(0, 0), -1);
		sops_rcu_read_unlock();
		/* explicitly associated programs still resolve */
		T_EQ(sops_prog_assoc_struct_ops(f.rt, s3, md, NULL), 0);
		T_EQ(run(&f, s3), 5678);
		sops_close(f.rt, l);
	}

	/* the association keeps the map alive after its handles close; released with the program */
	sops_close(f.rt, ma);
	T_EQ(run(&f, s1), 1234);
	{
		long before = sops_runtime__live_objects(f.rt, SOPS_OBJ_MAP);

		sops_close(f.rt, s1);
		T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_MAP), before - 1);
	}
	sops_close(f.rt, s2);
	sops_close(f.rt, s3);
	sops_close(f.rt, pa);
	sops_close(f.rt, pb);
	sops_close(f.rt, shared);
	sops_close(f.rt, mb);
	sops_close(f.rt, mc);
	sops_close(f.rt, md);
	sops_close(f.rt, arr);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_MAP), 0);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_PROG), 0);
	st_fix_fini(&f);
}
