/* SPDX-License-Identifier: MIT */
/*
 * test_prog_stats.c - run statistics per program (issue 13 item 4): run_cnt
 * and run_time_ns counted only while the runtime's stats are on (option and
 * run-time switch), for test runs, host runs and op calls through interpreter
 * and JIT thunks; fault_cnt of checked runs; the info copy honouring a short
 * info_len.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include <structops/bpf.h>
#include <structops/runtime.h>

#include "test.h"
#include "test_rt_util.h"
#include "test_st_util.h"

#define RET42 "mov %r0, 42\nexit"

static const struct sops_insn ret7[] = { MOV_IMM(0, 7), EXIT() };
/* Reads address 0x1000: the verifier rejects it, the checked interpreter faults. */
static const struct sops_insn wild[] = { MOV_IMM(1, 0x1000), LDX_DW(0, 1, 0), EXIT() };

static void quiet(void *ctx, const char *msg, size_t len)
{
	(void)ctx;
	(void)msg;
	(void)len;
}

struct stats {
	uint64_t run_cnt, run_time_ns, fault_cnt;
};

static int get_stats(struct sops_runtime *rt, int fd, struct stats *s)
{
	struct sops_bpf_prog_info info;
	uint32_t len = sizeof(info);
	int err;

	memset(&info, 0, sizeof(info));
	err = sops_prog_get_info_by_fd(rt, fd, &info, &len);
	if (err)
		return err;
	if (len != sizeof(info))
		return -EMSGSIZE;
	s->run_cnt = info.run_cnt;
	s->run_time_ns = info.run_time_ns;
	s->fault_cnt = info.fault_cnt;
	return 0;
}

static int test_run_n(struct sops_runtime *rt, int fd, int repeat, uint32_t *retval)
{
	struct sops_test_run_opts o = { .sz = sizeof(o), .repeat = repeat };
	int err = sops_prog_test_run_opts(rt, fd, &o);

	*retval = o.retval;
	return err;
}

static struct sops_runtime *new_rt(bool jit, bool stats)
{
	struct sops_runtime_opts o = { .sz = sizeof(o), .jit = jit, .enable_stats = stats };
	struct sops_runtime *rt = NULL;

	return sops_runtime__new(&o, &rt) ? NULL : rt;
}

/* Test runs on @jit: nothing counted while off, every repetition while on. */
static void test_runs(struct test_ctx *t, bool jit)
{
	struct sops_runtime *rt = new_rt(jit, false);
	struct stats s;
	uint32_t ret = 0;
	uint64_t r = 0;
	int fd;

	T_ASSERT(rt);
	T_ASSERT(!sops_runtime__stats_enabled(rt));
	fd = rt_test_load(rt, ret7, NINSN(ret7), NULL, 0);
	T_ASSERT(fd > 0);
	T_EQ(test_run_n(rt, fd, 10, &ret), 0);
	T_EQ(ret, 7);
	T_EQ(sops_prog_run(rt, fd, NULL, 0, &r), 0);
	T_EQ(get_stats(rt, fd, &s), 0);
	T_EQ(s.run_cnt, 0);
	T_EQ(s.run_time_ns, 0);
	T_EQ(s.fault_cnt, 0);

	sops_runtime__enable_stats(rt, true);
	T_ASSERT(sops_runtime__stats_enabled(rt));
	T_EQ(test_run_n(rt, fd, 100, &ret), 0);
	T_EQ(get_stats(rt, fd, &s), 0);
	T_EQ(s.run_cnt, 100);
	T_ASSERT(s.run_time_ns > 0);
	T_EQ(sops_prog_run(rt, fd, NULL, 0, &r), 0);
	T_EQ(r, 7);
	T_EQ(test_run_n(rt, fd, 0, &ret), 0); /* repeat 0 runs once */
	T_EQ(get_stats(rt, fd, &s), 0);
	T_EQ(s.run_cnt, 102);

	/* Off again: the counters keep their values and stop growing. */
	sops_runtime__enable_stats(rt, false);
	T_EQ(test_run_n(rt, fd, 50, &ret), 0);
	T_EQ(get_stats(rt, fd, &s), 0);
	T_EQ(s.run_cnt, 102);
	sops_close(rt, fd);
	sops_runtime__free(rt);
}

TEST(prog_stats_test_run_interp)
{
	test_runs(t, false);
}

TEST(prog_stats_test_run_jit)
{
	if (!sops_jit_available())
		T_SKIP("no JIT on this machine");
	test_runs(t, true);
}

TEST(prog_stats_opt_enables)
{
	struct sops_runtime *rt = new_rt(false, true);
	struct stats s;
	uint32_t ret;
	int fd;

	T_ASSERT(rt);
	T_ASSERT(sops_runtime__stats_enabled(rt));
	fd = rt_test_load(rt, ret7, NINSN(ret7), NULL, 0);
	T_ASSERT(fd > 0);
	T_EQ(test_run_n(rt, fd, 3, &ret), 0);
	T_EQ(get_stats(rt, fd, &s), 0);
	T_EQ(s.run_cnt, 3);
	sops_runtime__free(rt);
}

/* A checked run that faults: counted in fault_cnt (stats on or off) and, with stats on, in run_cnt. */
TEST(prog_stats_fault_cnt)
{
	struct sops_runtime *rt = new_rt(true, false);
	struct sops_prog_verdict v = { .sz = sizeof(v) };
	struct stats s;
	uint32_t ret;
	int fd;

	T_ASSERT(rt);
	fd = rt_test_load(rt, wild, NINSN(wild), NULL, 0);
	T_ASSERT(fd > 0);
	T_EQ(sops_prog_get_verdict(rt, fd, &v), 0);
	T_ASSERT(v.checked);
	sops_runtime__set_trace_sink(rt, quiet, NULL); /* the fault lines */
	T_ASSERT(test_run_n(rt, fd, 1, &ret) < 0);
	T_EQ(get_stats(rt, fd, &s), 0);
	T_EQ(s.fault_cnt, 1);
	T_EQ(s.run_cnt, 0);
	sops_runtime__enable_stats(rt, true);
	T_ASSERT(test_run_n(rt, fd, 5, &ret) < 0); /* the first repetition faults: the loop stops */
	T_ASSERT(sops_prog_run(rt, fd, NULL, 0, NULL) < 0);
	T_EQ(get_stats(rt, fd, &s), 0);
	T_EQ(s.fault_cnt, 3);
	T_EQ(s.run_cnt, 2);
	sops_runtime__free(rt);
}

/* OBJ_GET_INFO with the caller's info_len: shorter structs get only what fits. */
TEST(prog_stats_info_len)
{
	struct sops_runtime *rt = new_rt(false, true);
	unsigned char buf[sizeof(struct sops_bpf_prog_info) + 16];
	struct sops_bpf_prog_info info;
	uint32_t len, ret;
	int fd;

	T_ASSERT(rt);
	T_EQ(sizeof(struct sops_bpf_prog_info), 240);
	T_EQ(offsetof(struct sops_bpf_prog_info, fault_cnt), 232); /* after the kernel's last field */
	fd = rt_test_load(rt, ret7, NINSN(ret7), NULL, 0);
	T_ASSERT(fd > 0);
	T_EQ(test_run_n(rt, fd, 4, &ret), 0);

	/* The kernel's size: everything but fault_cnt, whose bytes stay untouched. */
	memset(buf, 0, sizeof(buf));
	memset(buf + 232, 0xa5, sizeof(buf) - 232);
	len = 232;
	T_EQ(sops_obj_get_info_by_fd(rt, fd, buf, &len), 0);
	T_EQ(len, 232);
	memcpy(&info, buf, sizeof(info));
	T_EQ(info.run_cnt, 4);
	for (size_t i = 232; i < sizeof(buf); i++)
		T_EQ(buf[i], 0xa5);

	/* Cut inside the statistics: run_time_ns present, run_cnt not. */
	memset(buf, 0, sizeof(buf));
	memset(buf + offsetof(struct sops_bpf_prog_info, run_cnt), 0xa5, 8);
	len = offsetof(struct sops_bpf_prog_info, run_cnt);
	T_EQ(sops_obj_get_info_by_fd(rt, fd, buf, &len), 0);
	T_EQ(len, offsetof(struct sops_bpf_prog_info, run_cnt));
	memcpy(&info, buf, sizeof(info));
	T_ASSERT(info.run_time_ns > 0);
	T_EQ(info.run_cnt, 0xa5a5a5a5a5a5a5a5ull);

	/* A larger, zero-tailed struct: our size comes back. */
	memset(buf, 0, sizeof(buf));
	len = sizeof(buf);
	T_EQ(sops_obj_get_info_by_fd(rt, fd, buf, &len), 0);
	T_EQ(len, sizeof(struct sops_bpf_prog_info));
	sops_runtime__free(rt);
}

/* --- op calls through struct_ops thunks --- */

static int load_ops(struct st_fix *f, const char *text, int *map_fd)
{
	uint8_t v[TST_VALUE_SIZE];
	uint32_t key = 0;
	int fd, p0, err;

	fd = st_create(f, f->value_id, TST_VALUE_SIZE, 0);
	p0 = st_load(f, f->ops_id, 0, text, "GPL", 0, NULL, 0);
	if (fd < 0 || p0 < 0)
		return fd < 0 ? fd : p0;
	st_value(v, p0, 0, 0, 0);
	err = sops_map_update_elem(f->rt, fd, &key, v, 0);
	if (err)
		return err;
	*map_fd = fd;
	return p0;
}

static void calls(struct st_fix *f, int n, int want, int *bad)
{
	for (int i = 0; i < n; i++)
		if (st_call_test_1(f) != want)
			(*bad)++;
}

/* Interpreter thunks test the switch on every call: toggling counts from then on. */
static void op_calls_interp(struct test_ctx *t, bool trust)
{
	struct st_fix f;
	struct stats s;
	int p0, map_fd, bad = 0;

	T_EQ(st_fix_init(&f, false, trust), 0);
	p0 = load_ops(&f, RET42, &map_fd);
	T_ASSERT(p0 > 0);
	calls(&f, 10, 42, &bad);
	T_EQ(get_stats(f.rt, p0, &s), 0);
	T_EQ(s.run_cnt, 0);
	sops_runtime__enable_stats(f.rt, true);
	calls(&f, 25, 42, &bad);
	T_EQ(get_stats(f.rt, p0, &s), 0);
	T_EQ(s.run_cnt, 25);
	T_ASSERT(s.run_time_ns > 0);
	sops_runtime__enable_stats(f.rt, false);
	calls(&f, 10, 42, &bad);
	T_EQ(get_stats(f.rt, p0, &s), 0);
	T_EQ(s.run_cnt, 25);
	T_EQ(bad, 0);
	st_fix_fini(&f);
}

TEST(prog_stats_op_calls_checked_interp)
{
	op_calls_interp(t, false);
}

TEST(prog_stats_op_calls_fast_interp)
{
	op_calls_interp(t, true);
}

/*
 * JIT'd members: bound at map update. Updated with stats off, the native
 * entry never counts; updated with stats on, a counting thunk counts (and
 * follows the switch afterwards).
 */
TEST(prog_stats_op_calls_jit)
{
	struct sops_prog_verdict v = { .sz = sizeof(v) };
	struct st_fix f;
	struct stats s;
	int p0, p1, m0, m1, bad = 0;

	if (!sops_jit_available())
		T_SKIP("no JIT on this machine");
	T_EQ(st_fix_init(&f, true, true), 0);
	p0 = load_ops(&f, RET42, &m0);
	T_ASSERT(p0 > 0);
	T_EQ(sops_prog_get_verdict(f.rt, p0, &v), 0);
	T_EQ(v.engine, SOPS_ENGINE_JIT);
	sops_runtime__enable_stats(f.rt, true);
	calls(&f, 10, 42, &bad);
	T_EQ(get_stats(f.rt, p0, &s), 0);
	T_EQ(s.run_cnt, 0); /* the documented limit: built while stats were off */

	/* A second map, updated while stats are on, replaces the first at the host. */
	T_EQ(sops_map_delete_elem(f.rt, m0, &(uint32_t){ 0 }), 0);
	p1 = load_ops(&f, "mov %r0, 43\nexit", &m1);
	T_ASSERT(p1 > 0);
	calls(&f, 30, 43, &bad);
	T_EQ(get_stats(f.rt, p1, &s), 0);
	T_EQ(s.run_cnt, 30);
	T_ASSERT(s.run_time_ns > 0);
	sops_runtime__enable_stats(f.rt, false);
	calls(&f, 5, 43, &bad);
	T_EQ(get_stats(f.rt, p1, &s), 0);
	T_EQ(s.run_cnt, 30);
	T_EQ(bad, 0);
	st_fix_fini(&f);
}

/* An op call that faults in the checked interpreter: fault_cnt, and run_cnt with stats on. */
TEST(prog_stats_op_fault)
{
	struct sops_prog_verdict v = { .sz = sizeof(v) };
	struct st_fix f;
	struct stats s;
	int p0, map_fd, bad = 0;

	T_EQ(st_fix_init(&f, false, false), 0);
	sops_runtime__set_trace_sink(f.rt, quiet, NULL);
	/* Beyond test_1's (empty) context: rejected, runs checked, faults, returns 0. */
	p0 = load_ops(&f, "ldxdw %r0, [%r1+64]\nexit", &map_fd);
	T_ASSERT(p0 > 0);
	T_EQ(sops_prog_get_verdict(f.rt, p0, &v), 0);
	T_ASSERT(!v.verified && v.checked);
	calls(&f, 3, 0, &bad);
	sops_runtime__enable_stats(f.rt, true);
	calls(&f, 2, 0, &bad);
	T_EQ(get_stats(f.rt, p0, &s), 0);
	T_EQ(s.fault_cnt, 5);
	T_EQ(s.run_cnt, 2);
	T_EQ(bad, 0);
	st_fix_fini(&f);
}

/* Concurrent op calls: relaxed adds lose nothing. */
struct mt_arg {
	struct st_fix *f;
	int n, bad;
};

static void *mt_caller(void *p)
{
	struct mt_arg *a = p;

	calls(a->f, a->n, 42, &a->bad);
	return NULL;
}

TEST(prog_stats_op_calls_mt)
{
	struct mt_arg a[2];
	pthread_t th[2];
	struct st_fix f;
	struct stats s;
	int p0, map_fd;

	T_EQ(st_fix_init(&f, false, true), 0);
	sops_runtime__enable_stats(f.rt, true);
	p0 = load_ops(&f, RET42, &map_fd);
	T_ASSERT(p0 > 0);
	for (int i = 0; i < 2; i++) {
		a[i] = (struct mt_arg){ .f = &f, .n = 20000 };
		T_EQ(pthread_create(&th[i], NULL, mt_caller, &a[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	T_EQ(a[0].bad + a[1].bad, 0);
	T_EQ(get_stats(f.rt, p0, &s), 0);
	T_EQ(s.run_cnt, 40000);
	st_fix_fini(&f);
}
