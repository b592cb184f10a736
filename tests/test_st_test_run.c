/* SPDX-License-Identifier: MIT */
/*
 * test_st_test_run.c - struct_ops types registered from BTF alone
 * (sops_runtime__register_struct_ops_btf) and struct_ops test runs
 * (sops_prog_test_run_struct_ops): success, the argument checks (count,
 * short buffer, NULL for a pointer not marked __nullable, raw addresses,
 * buffers for scalars), writes read back, and the same results on the JIT
 * and the interpreter.
 *
 * The BTF, built here with libbpf's btf__add_*:
 *
 *   struct tr_state { int val; int seen; long long big; };   size 16
 *   struct tr_ops {
 *       long (*add)(int a, long b);                 member 0
 *       int  (*st)(struct tr_state *s);             member 1 (no stub FUNC)
 *       int  (*opt)(struct tr_state *s);            member 2, stub tr_ops__opt(s__nullable)
 *       int data;                                   member 3
 *   };
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include <structops/asm.h>
#include <structops/struct_ops.h>

#include "test.h"

struct tr_state {
	int val;
	int seen;
	long long big;
};

struct tr_fix {
	struct btf *btf;
	struct sops_runtime *rt;
	int ops_id;
};

static struct btf *tr_btf(int *ops_id)
{
	struct btf *b = btf__new_empty();
	int i32, i64, st, pst, fadd, fst, fopt, sopt;

	if (!b)
		return NULL;
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	i64 = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	st = btf__add_struct(b, "tr_state", 16);
	btf__add_field(b, "val", i32, 0, 0);
	btf__add_field(b, "seen", i32, 32, 0);
	btf__add_field(b, "big", i64, 64, 0);
	pst = btf__add_ptr(b, st);
	fadd = btf__add_func_proto(b, i64);
	btf__add_func_param(b, "a", i32);
	btf__add_func_param(b, "b", i64);
	fst = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "s", pst);
	fopt = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "s", pst);
	sopt = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "s__nullable", pst);
	fadd = btf__add_ptr(b, fadd);
	fst = btf__add_ptr(b, fst);
	fopt = btf__add_ptr(b, fopt);
	*ops_id = btf__add_struct(b, "tr_ops", 32);
	btf__add_field(b, "add", fadd, 0, 0);
	btf__add_field(b, "st", fst, 64, 0);
	btf__add_field(b, "opt", fopt, 128, 0);
	btf__add_field(b, "data", i32, 192, 0);
	if (btf__add_func(b, "tr_ops__opt", BTF_FUNC_STATIC, sopt) < 0) {
		btf__free(b);
		return NULL;
	}
	return b;
}

/* A runtime whose host BTF is tr_btf() with tr_ops registered from it (strict verifier). */
static int tr_init(struct tr_fix *f, bool jit, const char *const *writable, size_t wcnt, char *log,
		   size_t log_size)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = jit, .verifier_strict = true };
	struct sops_struct_ops_btf_opts bo = { .sz = sizeof(bo), .writable = writable,
					       .writable_cnt = wcnt, .log_buf = log,
					       .log_size = log_size };
	int err;

	memset(f, 0, sizeof(*f));
	f->btf = tr_btf(&f->ops_id);
	if (!f->btf)
		return -ENOMEM;
	ro.host_btf = f->btf;
	err = sops_runtime__new(&ro, &f->rt);
	return err ? err : sops_runtime__register_struct_ops_btf(f->rt, NULL, "tr_ops", &bo);
}

static void tr_fini(struct tr_fix *f)
{
	sops_runtime__free(f->rt);
	btf__free(f->btf);
}

static int tr_load(struct tr_fix *f, uint32_t member, const char *text, char *log, size_t log_size)
{
	struct sops_prog_load_opts o = { .sz = sizeof(o), .expected_attach_type = member,
					 .attach_btf_id = (uint32_t)f->ops_id, .log_buf = log,
					 .log_size = (uint32_t)log_size, .log_level = log ? 1 : 0 };
	struct sops_insn *insns;
	size_t cnt;
	int fd;

	if (sops_asm__parse(text, &insns, &cnt, NULL, 0))
		return -EINVAL;
	fd = sops_prog_load(f->rt, SOPS_BPF_PROG_TYPE_STRUCT_OPS, "tr_prog", "GPL", insns, cnt, &o);
	free(insns);
	return fd;
}

/* add: return a + b (int a sign-extended as the C ABI would not: the slot holds the caller's u64). */
#define PROG_ADD "ldxdw %r2, [%r1+0]\nldxdw %r0, [%r1+8]\nadd %r0, %r2\nexit"
/* st / opt: NULL -> -1; else seen = 1 (st writes only when allowed), return val + big. */
#define PROG_ST                                                                                    \
	"ldxdw %r2, [%r1+0]\nmov %r0, -1\njeq %r2, 0, out\nldxw %r0, [%r2+0]\nldxdw %r3, [%r2+8]\n" \
	"add %r0, %r3\nstw [%r2+4], 1\nout:\nexit"
#define PROG_RO "ldxdw %r2, [%r1+0]\nldxw %r0, [%r2+0]\nexit"

TEST(st_btf_register)
{
	static const char *const bad[] = { "tr_state." };
	struct sops_struct_ops_btf_opts bo = { .sz = sizeof(bo), .writable = bad, .writable_cnt = 1 };
	char log[512] = "";
	struct tr_fix f;
	uint32_t tid = 0, vid = 0;
	int fd;

	T_EQ(tr_init(&f, false, NULL, 0, log, sizeof(log)), 0);
	T_EQ(sops_runtime__find_struct_ops(f.rt, "tr_ops", &tid, &vid, NULL), 0);
	T_EQ(tid, f.ops_id);
	T_ASSERT(vid > 0); /* the value type was synthesized */
	T_EQ(sops_runtime__struct_ops_btf_regs(f.rt, "tr_ops"), 0);
	T_EQ(sops_runtime__struct_ops_btf_regs(f.rt, "nope"), -ENOENT);
	T_EQ(sops_runtime__register_struct_ops_btf(f.rt, NULL, "tr_ops", NULL), -EEXIST);
	bo.log_buf = log;
	bo.log_size = sizeof(log);
	T_EQ(sops_runtime__register_struct_ops_btf(f.rt, NULL, "no_such_ops", &bo), -EINVAL);
	bo.writable = NULL;
	bo.writable_cnt = 0;
	T_EQ(sops_runtime__register_struct_ops_btf(f.rt, NULL, "no_such_ops", &bo), -EINVAL);
	T_ASSERT(strstr(log, "no struct no_such_ops"));
	bo.writable = bad;
	bo.writable_cnt = 1;
	T_EQ(sops_runtime__register_struct_ops_btf(f.rt, NULL, "tr_state", &bo), -EINVAL);
	T_ASSERT(strstr(log, "not STRUCT or STRUCT.MEMBER"));
	/* every function member is implementable; a data member is not */
	fd = tr_load(&f, 1, PROG_RO, NULL, 0);
	T_ASSERT(fd > 0);
	sops_close(f.rt, fd);
	T_EQ(tr_load(&f, 3, PROG_RO, log, sizeof(log)), -EINVAL);
	/* without writable entries host structs are read-only (the kernel's default) */
	T_ASSERT(tr_load(&f, 1, PROG_ST, log, sizeof(log)) < 0);
	T_ASSERT(strstr(log, "not allowed by tr_ops"));
	/* no stub FUNC for st: its argument is not nullable, so PROG_RO's missing NULL check is fine;
	   opt's stub marks it __nullable: the same program is rejected */
	T_ASSERT(tr_load(&f, 2, PROG_RO, log, sizeof(log)) < 0);
	T_ASSERT(strstr(log, "or_null"));
	tr_fini(&f);
}

/* Runs PROG_ST on member @member with @st as the buffer; returns the test run's error. */
static int run_st(struct tr_fix *f, int fd, struct tr_state *st, size_t size, uint64_t *ret,
		  char *log, size_t log_size)
{
	uint64_t args[1] = { 0 };
	struct sops_struct_ops_arg_buf buf = { st, size };
	struct sops_struct_ops_test_run_opts o = { .sz = sizeof(o), .args = args, .args_size = 8,
						   .bufs = &buf, .buf_cnt = 1, .log_buf = log,
						   .log_size = log_size };
	int err = sops_prog_test_run_struct_ops(f->rt, fd, &o);

	*ret = o.retval;
	return err;
}

TEST(st_test_run_struct_ops)
{
	static const char *const w[] = { "tr_state.seen" };
	char log[1024] = "";
	struct tr_state s = { .val = 40, .big = 2 };
	uint64_t args[2] = { 40, 2 }, ret = 0;
	struct sops_struct_ops_arg_buf bufs[2] = { { &s, sizeof(s) }, { NULL, 0 } };
	struct sops_struct_ops_test_run_opts o = { .sz = sizeof(o), .args = args, .args_size = 16,
						   .log_buf = log, .log_size = sizeof(log) };
	struct tr_fix f;
	int add, st, opt;

	T_EQ(tr_init(&f, false, w, 1, log, sizeof(log)), 0);
	add = tr_load(&f, 0, PROG_ADD, log, sizeof(log));
	T_ASSERT(add > 0);
	st = tr_load(&f, 1, PROG_ST, log, sizeof(log));
	T_ASSERT(st > 0);
	opt = tr_load(&f, 2, PROG_ST, log, sizeof(log));
	T_ASSERT(opt > 0);
	/* scalars */
	T_EQ(sops_prog_test_run_struct_ops(f.rt, add, &o), 0);
	T_EQ(o.retval, 42);
	/* the argument count is the prototype's */
	o.args_size = 8;
	T_EQ(sops_prog_test_run_struct_ops(f.rt, add, &o), -EINVAL);
	T_ASSERT(strstr(log, "member add of struct tr_ops takes 2 arguments"));
	o.args_size = 24;
	T_EQ(sops_prog_test_run_struct_ops(f.rt, add, &o), -EINVAL);
	/* a buffer for a scalar argument */
	o.args_size = 16;
	o.bufs = bufs;
	o.buf_cnt = 1;
	log[0] = 0;
	T_EQ(sops_prog_test_run_struct_ops(f.rt, add, &o), -EINVAL);
	T_ASSERT(strstr(log, "arg 0 'a' is not a pointer to a struct"));
	/* a pointer argument: reads, and a write where allowed, read back */
	T_EQ(run_st(&f, st, &s, sizeof(s), &ret, log, sizeof(log)), 0);
	T_EQ(ret, 42);
	T_EQ(s.seen, 1);
	T_EQ(s.val, 40);
	/* a buffer shorter than the struct */
	s.seen = 0;
	T_EQ(run_st(&f, st, &s, sizeof(s) - 1, &ret, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "arg 0 's': buffer of 15 bytes, struct tr_state needs 16"));
	T_EQ(s.seen, 0);
	/* NULL: refused for st (no __nullable), allowed for opt */
	T_EQ(run_st(&f, st, NULL, 0, &ret, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "is NULL, but member st does not mark it __nullable"));
	T_EQ(run_st(&f, opt, NULL, 0, &ret, log, sizeof(log)), 0);
	T_EQ((uint32_t)ret, 0xffffffffu);
	/* a raw address instead of a buffer */
	o.bufs = NULL;
	o.buf_cnt = 0;
	o.args_size = 8;
	args[0] = (uint64_t)(uintptr_t)&s;
	T_EQ(sops_prog_test_run_struct_ops(f.rt, st, &o), -EINVAL);
	T_ASSERT(strstr(log, "needs a buffer, not a raw address"));
	/* more buffers than arguments; a program that is not struct_ops */
	o.bufs = bufs;
	o.buf_cnt = 2;
	T_EQ(sops_prog_test_run_struct_ops(f.rt, st, &o), -EINVAL);
	T_EQ(sops_prog_test_run_struct_ops(f.rt, 999, &o), -EBADF);
	tr_fini(&f);
}

TEST(st_test_run_struct_ops_engines)
{
	static const char *const w[] = { "tr_state" };
	uint64_t res[2][3];
	struct tr_state out[2];

	for (int jit = 0; jit < 2; jit++) {
		struct sops_prog_verdict v = { .sz = sizeof(v) };
		struct tr_state s = { .val = 7, .big = 1000 };
		uint64_t args[2] = { (uint64_t)-5, 3 };
		struct sops_struct_ops_test_run_opts o = { .sz = sizeof(o), .args = args, .args_size = 16,
							   .repeat = 3 };
		struct tr_fix f;
		int add, st;

		T_EQ(tr_init(&f, jit, w, 1, NULL, 0), 0);
		add = tr_load(&f, 0, PROG_ADD, NULL, 0);
		st = tr_load(&f, 1, PROG_ST, NULL, 0);
		T_ASSERT(add > 0 && st > 0);
		T_EQ(sops_prog_get_verdict(f.rt, st, &v), 0);
		T_ASSERT(v.verified && !v.checked);
		if (jit && v.engine != SOPS_ENGINE_JIT) {
			tr_fini(&f);
			T_SKIP("no JIT on this machine");
		}
		T_EQ(sops_prog_test_run_struct_ops(f.rt, add, &o), 0);
		res[jit][0] = o.retval;
		T_EQ(run_st(&f, st, &s, sizeof(s), &res[jit][1], NULL, 0), 0);
		T_EQ(sops_prog_test_run_struct_ops(f.rt, add, &o), 0);
		res[jit][2] = o.retval;
		out[jit] = s;
		tr_fini(&f);
	}
	T_EQ(res[0][0], (uint64_t)-2);
	T_EQ(res[0][1], 1007);
	T_EQ(memcmp(res[0], res[1], sizeof(res[0])), 0);
	T_EQ(memcmp(&out[0], &out[1], sizeof(out[0])), 0);
	T_EQ(out[1].seen, 1);
}

/*
 * A host BTF that is itself split: the types on a base, tr_ops in the split
 * part (a host passing vmlinux plus a module's BTF, or the tool's --base).
 * The registry's BTF is split on a flat copy of it; on the split itself,
 * libbpf 1.1 would read the names of the middle layer wrong.
 */
TEST(st_btf_register_split_host)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = true, .verifier_strict = true };
	char log[1024] = "";
	struct sops_struct_ops_btf_opts bo = { .sz = sizeof(bo), .log_buf = log, .log_size = sizeof(log) };
	uint64_t args[2] = { 40, 2 };
	struct sops_struct_ops_test_run_opts o = { .sz = sizeof(o), .args = args, .args_size = 16,
						   .log_buf = log, .log_size = sizeof(log) };
	struct tr_fix f = { 0 };
	struct btf *base = btf__new_empty(), *split;
	int i32, i64, fadd, fd;

	T_ASSERT(base);
	i32 = btf__add_int(base, "int", 4, BTF_INT_SIGNED);
	i64 = btf__add_int(base, "long", 8, BTF_INT_SIGNED);
	fadd = btf__add_func_proto(base, i64);
	btf__add_func_param(base, "a", i32);
	btf__add_func_param(base, "b", i64);
	split = btf__new_empty_split(base);
	T_ASSERT(split);
	fadd = btf__add_ptr(split, fadd);
	f.ops_id = btf__add_struct(split, "tr_ops", 8);
	T_EQ(btf__add_field(split, "add", fadd, 0, 0), 0);
	ro.host_btf = split;
	T_EQ(sops_runtime__new(&ro, &f.rt), 0);
	T_EQ(sops_runtime__register_struct_ops_btf(f.rt, NULL, "tr_ops", &bo), 0);
	fd = tr_load(&f, 0, PROG_ADD, log, sizeof(log));
	T_ASSERT(fd > 0);
	T_EQ(sops_prog_test_run_struct_ops(f.rt, fd, &o), 0);
	T_EQ(o.retval, 42);
	sops_runtime__free(f.rt);
	btf__free(split);
	btf__free(base);
}
