/* SPDX-License-Identifier: MIT */
/*
 * test_inline.c - array lookups inlined at load (src/runtime/inline.c): the
 * same programs give the same results on the checked interpreter (helper
 * calls), the trusted interpreter and the JIT (inline code), out-of-range
 * keys included; jumps, local calls and callbacks across an inlined call
 * still land right; a call whose map is not known stays a helper call.
 */
#include <string.h>

#include "../src/runtime/rt_internal.h"
#include "test.h"
#include "test_rt_util.h"

#define JGE_IMM(d, i, o) I(0x35, d, 0, o, i)
#define JLT_IMM(d, i, o) I(0xa5, d, 0, o, i)
#define LSH_IMM(d, i) I(0x67, d, 0, 0, i)
#define MUL_IMM(d, i) I(0x27, d, 0, 0, i)
#define CALL_LOCAL(delta) I(0x85, 0, 1, 0, delta)

enum { ENG_CHECKED, ENG_TRUSTED_INTERP, ENG_TRUSTED_JIT, ENG_CNT };
#define CB_PROG 0x80000000u /* run_everywhere: the program has callbacks */

static struct sops_runtime *runtime_for(int eng)
{
	struct sops_runtime_opts o = { .sz = sizeof(o), .trust_unverified = eng != ENG_CHECKED,
				       .jit = eng == ENG_TRUSTED_JIT };
	struct sops_runtime *rt = NULL;

	return sops_runtime__new(&o, &rt) ? NULL : rt;
}

/* An array of @n u64 values, value[i] = i * 10 + 1. */
static int make_array(struct sops_runtime *rt, uint32_t n, uint32_t value_size)
{
	int fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "arr", 4, value_size, n, NULL);
	uint64_t v[4] = { 0 };

	for (uint32_t i = 0; fd > 0 && i < n; i++) {
		v[0] = i * 10 + 1;
		if (sops_map_update_elem(rt, fd, &i, v, 0))
			return -1;
	}
	return fd;
}

static uint32_t inlined_of(struct sops_runtime *rt, int fd)
{
	struct rt_obj *o;
	uint32_t n;

	if (rt_handle_get(rt, fd, SOPS_OBJ_PROG, &o))
		return UINT32_MAX;
	n = caa_container_of(o, struct sops_prog, obj)->inlined_lookups;
	rt_obj_put(o);
	return n;
}

/*
 * Loads @insns (map handle patched into every LD_MAP, marked by imm 0x7777),
 * runs it with @ctx on each engine and compares ctx and retval.
 */
static void run_everywhere(struct test_ctx *t, struct sops_insn *insns, size_t cnt, uint32_t value_size,
			   uint32_t entries, void *ctx, uint32_t ctx_size, uint32_t want_inlined)
{
	uint8_t first[256], now[256];
	uint32_t first_ret = 0;
	/* Checked callbacks cannot reach the test run's ctx (docs/runtime.md): trusted engines only. */
	int e0 = want_inlined & CB_PROG ? ENG_TRUSTED_INTERP : ENG_CHECKED;

	want_inlined &= ~CB_PROG;
	for (int e = e0; e < ENG_CNT; e++) {
		struct sops_runtime *rt = runtime_for(e);
		char log[512] = "";
		uint32_t ret;
		int mfd, pfd;

		if (e == ENG_TRUSTED_JIT && !sops_jit_available()) {
			sops_runtime__free(rt);
			continue;
		}
		T_ASSERT(rt);
		mfd = make_array(rt, entries, value_size);
		T_ASSERT(mfd > 0);
		for (size_t i = 0; i < cnt; i++)
			if (insns[i].code == 0x18 && insns[i].src_reg == 1)
				insns[i].imm = mfd;
		pfd = rt_test_load(rt, insns, cnt, log, sizeof(log));
		if (pfd < 0)
			T_FAIL("engine %d: load %d: %s", e, pfd, log);
		T_EQ(inlined_of(rt, pfd), e == ENG_CHECKED ? 0 : want_inlined);
		memcpy(now, ctx, ctx_size);
		T_EQ(rt_test_run(rt, pfd, now, ctx_size, &ret), 0);
		if (e == e0) {
			memcpy(first, now, ctx_size);
			first_ret = ret;
		} else {
			T_EQ(ret, first_ret);
			if (memcmp(first, now, ctx_size))
				T_FAIL("engine %d: ctx differs from the helper-call run", e);
		}
		sops_close(rt, pfd);
		sops_close(rt, mfd);
		T_EQ(sops_runtime__live_objects(rt, -1), 0);
		sops_runtime__free(rt);
	}
	memcpy(ctx, first, ctx_size);
}

/* A loop over 8 keys (some out of range) with the lookup inside: a backward jump across it. */
TEST(inline_array_loop_out_of_range)
{
	struct sops_insn p[] = {
		MOV_REG(6, 1), MOV_IMM(7, 0), MOV_IMM(8, 0),
		/* 3: */ MOV_REG(2, 6), MOV_REG(3, 7), LSH_IMM(3, 2), ADD_REG(2, 3),
		/* 7: */ LD_MAP(1, 0x7777), CALL(1),
		/* 10: */ JEQ_IMM(0, 0, 3), LDX_DW(1, 0, 0), ADD_REG(8, 1), JA(1),
		/* 14: */ ADD_IMM(8, 1000),
		/* 15: */ MUL_IMM(8, 3), ADD_IMM(7, 1), JLT_IMM(7, 8, -15),
		/* 18: */ STX_DW(6, 8, 32), MOV_REG(0, 8), EXIT(),
	};
	struct {
		uint32_t keys[8];
		uint64_t out;
	} ctx = { { 0, 1, 2, 3, 4, 100, 0xffffffff, 2 }, 0 };
	uint64_t want = 0;
	uint32_t vals[8] = { 1, 11, 21, 31, 1000, 1000, 1000, 21 };

	for (int i = 0; i < 8; i++)
		want = (want + vals[i]) * 3;
	/* Arrays of 4: elements 8 bytes (shift) and 24 bytes (multiply). */
	run_everywhere(t, p, NINSN(p), 8, 4, &ctx, sizeof(ctx), 1);
	if (t->failed)
		return;
	T_EQ(ctx.out, want);
	ctx.out = 0;
	run_everywhere(t, p, NINSN(p), 24, 4, &ctx, sizeof(ctx), 1);
	if (t->failed)
		return;
	T_EQ(ctx.out, want);
}

/* A bpf_loop callback doing lookups, and one lookup between the lddw FUNC and the callback. */
TEST(inline_array_callback_and_func_lddw)
{
	struct sops_insn p[] = {
		MOV_REG(6, 1), MOV_IMM(1, 6), LD_FUNC(2, 16), MOV_REG(3, 6), MOV_IMM(4, 0), CALL(181),
		/* 7: */ ST_W(10, -4, 1), MOV_REG(2, 10), ADD_IMM(2, -4), LD_MAP(1, 0x7777), CALL(1),
		/* 13: */ MOV_IMM(1, 7777), JEQ_IMM(0, 0, 1), LDX_DW(1, 0, 0),
		/* 16: */ STX_DW(6, 1, 8), MOV_IMM(0, 0), EXIT(),
		/* 19: the callback (index, ctx) */
		MOV_REG(6, 2), STX_W(10, 1, -4), MOV_REG(2, 10), ADD_IMM(2, -4), LD_MAP(1, 0x7777), CALL(1),
		/* 26: */ MOV_IMM(1, 1000), JEQ_IMM(0, 0, 1), LDX_DW(1, 0, 0),
		/* 29: */ LDX_DW(2, 6, 0), MUL_IMM(2, 3), ADD_REG(2, 1), STX_DW(6, 2, 0), MOV_IMM(0, 0), EXIT(),
	};
	uint64_t ctx[2] = { 0, 0 }, want = 0;

	for (uint64_t i = 0; i < 6; i++)
		want = want * 3 + (i < 4 ? i * 10 + 1 : 1000);
	run_everywhere(t, p, NINSN(p), 8, 4, ctx, sizeof(ctx), 2 | CB_PROG);
	if (t->failed)
		return;
	T_EQ(ctx[0], want);
	T_EQ(ctx[1], 11);
}

/* A bpf-to-bpf call whose target lies past an inlined lookup. */
TEST(inline_array_local_call)
{
	struct sops_insn p[] = {
		CALL_LOCAL(10), MOV_REG(6, 0), ST_W(10, -4, 2), MOV_REG(2, 10), ADD_IMM(2, -4),
		/* 5: */ LD_MAP(1, 0x7777), CALL(1), LDX_DW(0, 0, 0), ADD_REG(0, 6), EXIT(),
		/* 11: */ MOV_IMM(0, 5), EXIT(),
	};
	uint64_t ctx = 0;
	uint32_t ret;
	struct sops_runtime *rt;
	int mfd, pfd;

	run_everywhere(t, p, NINSN(p), 8, 4, &ctx, sizeof(ctx), 1);
	if (t->failed)
		return;
	rt = runtime_for(ENG_TRUSTED_INTERP);
	T_ASSERT(rt);
	mfd = make_array(rt, 4, 8);
	p[5].imm = mfd;
	pfd = rt_test_load(rt, p, NINSN(p), NULL, 0);
	T_ASSERT(pfd > 0);
	T_EQ(rt_test_run(rt, pfd, &ctx, sizeof(ctx), &ret), 0);
	T_EQ(ret, 21 + 5);
	sops_close(rt, pfd);
	sops_close(rt, mfd);
	sops_runtime__free(rt);
}

/* r1's map is not known at the call (a jump lands between, r1 rewritten, a hash map): helper calls stay. */
TEST(inline_not_when_map_unknown)
{
	struct sops_insn landing[] = {
		ST_W(10, -4, 3), MOV_REG(2, 10), ADD_IMM(2, -4), LD_MAP(1, 0x7777), JA(0), CALL(1),
		JEQ_IMM(0, 0, 1), LDX_DW(0, 0, 0), EXIT(),
	};
	struct sops_insn moved[] = {
		ST_W(10, -4, 3), MOV_REG(2, 10), ADD_IMM(2, -4), LD_MAP(3, 0x7777), MOV_REG(1, 3), CALL(1),
		JEQ_IMM(0, 0, 1), LDX_DW(0, 0, 0), EXIT(),
	};
	struct sops_insn other_reg[] = { /* an lddw into another register in between is fine */
		ST_W(10, -4, 3), MOV_REG(2, 10), ADD_IMM(2, -4), LD_MAP(1, 0x7777), LD_IMM64(4, 0x123456789ULL),
		CALL(1), JEQ_IMM(0, 0, 1), LDX_DW(0, 0, 0), EXIT(),
	};
	struct sops_runtime *rt;
	uint64_t ctx = 0, key = 3, val = 99;
	uint32_t ret;
	int hfd, pfd;

	run_everywhere(t, landing, NINSN(landing), 8, 4, &ctx, sizeof(ctx), 0);
	run_everywhere(t, moved, NINSN(moved), 8, 4, &ctx, sizeof(ctx), 0);
	run_everywhere(t, other_reg, NINSN(other_reg), 8, 4, &ctx, sizeof(ctx), 1);
	if (t->failed)
		return;
	/* Hash maps have no inline form. */
	rt = runtime_for(ENG_TRUSTED_INTERP);
	T_ASSERT(rt);
	hfd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "h", 4, 8, 4, NULL);
	T_ASSERT(hfd > 0);
	T_EQ(sops_map_update_elem(rt, hfd, &key, &val, 0), 0);
	landing[3].imm = hfd;
	landing[5] = MOV_REG(0, 0); /* no jump: the map is known, but it is a hash map */
	pfd = rt_test_load(rt, landing, NINSN(landing), NULL, 0);
	T_ASSERT(pfd > 0);
	T_EQ(inlined_of(rt, pfd), 0);
	T_EQ(rt_test_run(rt, pfd, NULL, 0, &ret), 0);
	T_EQ(ret, 99);
	sops_close(rt, pfd);
	sops_close(rt, hfd);
	sops_runtime__free(rt);
}
