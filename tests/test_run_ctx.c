/* SPDX-License-Identifier: MIT */
/*
 * test_run_ctx.c - what a checked run shares with the callbacks it runs:
 * a callback reaches its caller's stack through its context pointer, a
 * callback's fault fails the whole run with its errno and message, nested
 * loops end on the callback budget, and spin lock misuse is an error, never
 * a hang. Faults are counted per program.
 */
#include <string.h>

#include "test.h"
#include "test_rt_util.h"

static struct sops_runtime *checked_rt(void)
{
	struct sops_runtime_opts o = { .sz = sizeof(o), .always_checked = true };
	struct sops_runtime *rt = NULL;

	return sops_runtime__new(&o, &rt) ? NULL : rt;
}

/* sum of i for i < 10, accumulated by the callback into the caller's stack */
static struct sops_insn loop_sum[] = {
	ST_DW(10, -8, 0), MOV_IMM(1, 10), LD_FUNC(2, 7), MOV_REG(3, 10), ADD_IMM(3, -8), MOV_IMM(4, 0),
	CALL(181), LDX_DW(0, 10, -8), EXIT(),
	/* callback(i, ctx): *ctx += i */
	LDX_DW(3, 2, 0), ADD_REG(3, 1), STX_DW(2, 3, 0), MOV_IMM(0, 0), EXIT(),
};

TEST(run_ctx_callback_reaches_caller_stack)
{
	struct sops_runtime *rts[2] = { checked_rt(), rt_test_new(true) };

	for (int i = 0; i < 2; i++) {
		struct sops_prog_verdict v = { .sz = sizeof(v) };
		uint32_t ret = 0;
		int fd;

		T_ASSERT(rts[i]);
		fd = rt_test_load(rts[i], loop_sum, NINSN(loop_sum), NULL, 0);
		T_ASSERT(fd > 0);
		T_EQ(sops_prog_get_verdict(rts[i], fd, &v), 0);
		T_EQ(v.verified, 1);
		T_EQ(v.checked, i == 0);
		T_EQ(rt_test_run(rts[i], fd, NULL, 0, &ret), 0);
		T_EQ(ret, 45);
		sops_runtime__free(rts[i]);
	}
}

static char sink_buf[512];

static void sink(void *ctx, const char *msg, size_t len)
{
	size_t n = strlen(sink_buf);

	if (n + len < sizeof(sink_buf)) {
		memcpy(sink_buf + n, msg, len);
		sink_buf[n + len] = 0;
	}
}

TEST(run_ctx_callback_fault_fails_the_run)
{
	struct sops_insn p[] = {
		MOV_IMM(1, 3), LD_FUNC(2, 6), MOV_IMM(3, 0), MOV_IMM(4, 0), CALL(181), MOV_IMM(0, 7), EXIT(),
		/* callback: a wild read */
		MOV_IMM(1, 0x41), LDX_DW(0, 1, 0), EXIT(),
	};
	struct sops_runtime *rt = checked_rt();
	struct sops_prog_verdict v = { .sz = sizeof(v) };
	uint32_t ret = 0;
	int fd;

	T_ASSERT(rt);
	sink_buf[0] = 0;
	sops_runtime__set_trace_sink(rt, sink, NULL);
	fd = rt_test_load(rt, p, NINSN(p), NULL, 0);
	T_ASSERT(fd > 0);
	T_EQ(rt_test_run(rt, fd, NULL, 0, &ret), -EFAULT);
	if (!strstr(sink_buf, "callback:") || !strstr(sink_buf, "outside the stack"))
		T_FAIL("fault not reported: '%s'", sink_buf);
	T_EQ(sops_prog_get_verdict(rt, fd, &v), 0);
	T_EQ(v.verified, 0);
	T_EQ(v.fault_cnt, 1);
	sops_runtime__free(rt);
}

TEST(run_ctx_nested_loops_end)
{
	struct sops_insn p[] = {
		LD_IMM64(1, 1 << 23), LD_FUNC(2, 5), MOV_IMM(3, 0), MOV_IMM(4, 0), CALL(181), EXIT(),
		/* outer callback: another 2^23-round loop */
		LD_IMM64(1, 1 << 23), LD_FUNC(2, 6), MOV_IMM(3, 0), MOV_IMM(4, 0), CALL(181), MOV_IMM(0, 0), EXIT(),
		/* inner callback */
		MOV_IMM(0, 0), EXIT(),
	};
	struct sops_runtime *rt = checked_rt();
	uint32_t ret = 0;
	int fd;

	T_ASSERT(rt);
	sops_runtime__set_trace_sink(rt, sink, NULL);
	fd = rt_test_load(rt, p, NINSN(p), NULL, 0);
	T_ASSERT(fd > 0);
	T_EQ(rt_test_run(rt, fd, NULL, 0, &ret), -ETIME);
	sops_runtime__free(rt);
}

/* r0 = lookup(map, key 0) -> r6; the lock word is value byte 0 */
#define LOOKUP_R6(mfd) ST_W(10, -4, 0), MOV_REG(2, 10), ADD_IMM(2, -4), LD_MAP(1, mfd), CALL(1), \
		JNE_IMM(0, 0, 1), EXIT(), MOV_REG(6, 0)
#define LOCK(id) MOV_REG(1, 6), CALL(id)

static void lock_case(struct test_ctx *t, const char *name, struct sops_insn *p, size_t n, int want)
{
	struct sops_runtime *rt = checked_rt();
	uint32_t ret = 0;
	int mfd, fd;

	T_ASSERT(rt);
	sops_runtime__set_trace_sink(rt, sink, NULL);
	mfd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "v", 4, 16, 1, NULL);
	T_ASSERT(mfd > 0);
	for (size_t i = 0; i < n; i++)
		if (p[i].code == 0x18 && p[i].src_reg == 1)
			p[i].imm = mfd;
	fd = rt_test_load(rt, p, n, NULL, 0);
	T_ASSERT(fd > 0);
	/* twice: a lock left held by the first run must not hang the second */
	for (int r = 0; r < 2; r++)
		if (rt_test_run(rt, fd, NULL, 0, &ret) != want)
			T_FAIL("%s: run %d: want %d", name, r, want);
	sops_runtime__free(rt);
}

TEST(run_ctx_lock_misuse)
{
	struct sops_insn twice[] = { LOOKUP_R6(0), LOCK(93), LOCK(93), LOCK(94), MOV_IMM(0, 0), EXIT() };
	struct sops_insn not_held[] = { LOOKUP_R6(0), LOCK(94), MOV_IMM(0, 0), EXIT() };
	struct sops_insn held_at_exit[] = { LOOKUP_R6(0), LOCK(93), MOV_IMM(0, 0), EXIT() };
	struct sops_insn fine[] = { LOOKUP_R6(0), LOCK(93), LOCK(94), MOV_IMM(0, 0), EXIT() };

	lock_case(t, "double lock", twice, NINSN(twice), -EDEADLK);
	lock_case(t, "unlock not held", not_held, NINSN(not_held), -EINVAL);
	lock_case(t, "exit with lock held", held_at_exit, NINSN(held_at_exit), -EINVAL);
	lock_case(t, "lock and unlock", fine, NINSN(fine), 0);
}
