/* SPDX-License-Identifier: MIT */
/*
 * test_inline.c - map lookups inlined at load (src/runtime/inline.c, the
 * maps' gen_lookup): the same programs give the same results on the checked
 * interpreter (helper calls), the trusted interpreter and the JIT (inline
 * code), for arrays (out-of-range keys included) and for hash and LRU maps
 * with 4- and 8-byte keys (JIT only: misses, chains, deleted keys, the LRU
 * reference bit, lookups racing updates). Jumps, local calls and callbacks
 * across an inlined call still land right, also when the map's lddw is
 * dropped; a call whose map is not known stays a helper call.
 */
#include <pthread.h>
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
				       .jit = eng == ENG_TRUSTED_JIT, .always_checked = eng == ENG_CHECKED };
	struct sops_runtime *rt = NULL;

	return sops_runtime__new(&o, &rt) ? NULL : rt;
}

/*
 * The map a test program looks up in; keys 0..entries-1 hold value i * 10 + 1,
 * key i being key_bytes(i).
 */
struct map_spec {
	enum sops_bpf_map_type type;
	uint32_t key_size, value_size, entries;
	uint32_t max_entries; /* 0: entries */
};

/*
 * Key number @i as @ks bytes: 4-byte keys are i; others the low bytes of
 * i | i << 40 with the last byte also mixed with i (for ks >= 3), so that
 * both ends of every key size matter.
 */
static void key_bytes(uint64_t i, uint32_t ks, uint8_t *buf)
{
	uint64_t pat = i | i << 40;

	memset(buf, 0, ks);
	if (ks == 4) {
		memcpy(buf, &(uint32_t){ (uint32_t)i }, 4);
		return;
	}
	memcpy(buf, &pat, ks < 8 ? ks : 8);
	if (ks >= 3)
		buf[ks - 1] ^= (uint8_t)(i * 7 + 1);
}

static int make_map(struct sops_runtime *rt, const struct map_spec *ms)
{
	uint32_t max = ms->max_entries ? ms->max_entries : ms->entries;
	int fd = sops_map_create(rt, ms->type, "m", ms->key_size, ms->value_size, max, NULL);
	/* Per-CPU maps take every CPU's slot (8-byte stride); all get the same value. */
	bool percpu = ms->type == SOPS_BPF_MAP_TYPE_PERCPU_HASH || ms->type == SOPS_BPF_MAP_TYPE_PERCPU_ARRAY;
	uint32_t slot = (ms->value_size + 7) & ~7u, slots = percpu ? rt->nr_cpus : 1;
	uint64_t *v = calloc(slots, slot);

	if (!v)
		return -1;
	for (uint64_t i = 0; fd > 0 && i < ms->entries; i++) {
		uint8_t key[64];

		key_bytes(i, ms->key_size, key);
		for (uint32_t c = 0; c < slots; c++)
			v[c * slot / 8] = i * 10 + 1;
		if (sops_map_update_elem(rt, fd, key, v, 0)) {
			fd = -1;
			break;
		}
	}
	free(v);
	return fd;
}

static int make_array(struct sops_runtime *rt, uint32_t n, uint32_t value_size)
{
	struct map_spec ms = { SOPS_BPF_MAP_TYPE_ARRAY, 4, value_size, n, 0 };

	return make_map(rt, &ms);
}

/* Points every map lddw of @insns at @mfd and loads the program in @rt: its handle or -errno. */
static int load_with_map(struct sops_runtime *rt, struct sops_insn *insns, size_t cnt, int mfd, char *log,
			 size_t log_size)
{
	for (size_t i = 0; i < cnt; i++)
		if (insns[i].code == 0x18 && insns[i].src_reg == 1)
			insns[i].imm = mfd;
	return rt_test_load(rt, insns, cnt, log, log_size);
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
 * runs it with @ctx on each engine and compares ctx and retval. The trusted
 * interpreter inlines @want_interp lookups, the JIT @want_jit.
 */
static void run_on_engines(struct test_ctx *t, struct sops_insn *insns, size_t cnt, const struct map_spec *ms,
			   void *ctx, uint32_t ctx_size, uint32_t want_interp, uint32_t want_jit)
{
	uint8_t first[512], now[512];
	uint32_t first_ret = 0;
	/* Checked callbacks cannot reach the test run's ctx (docs/runtime.md): trusted engines only. */
	int e0 = want_interp & CB_PROG ? ENG_TRUSTED_INTERP : ENG_CHECKED;

	want_interp &= ~CB_PROG;
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
		mfd = make_map(rt, ms);
		T_ASSERT(mfd > 0);
		pfd = load_with_map(rt, insns, cnt, mfd, log, sizeof(log));
		if (pfd < 0)
			T_FAIL("engine %d: load %d: %s", e, pfd, log);
		T_EQ(inlined_of(rt, pfd), e == ENG_CHECKED ? 0 : e == ENG_TRUSTED_JIT ? want_jit : want_interp);
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

static void run_everywhere(struct test_ctx *t, struct sops_insn *insns, size_t cnt, uint32_t value_size,
			   uint32_t entries, void *ctx, uint32_t ctx_size, uint32_t want_inlined)
{
	struct map_spec ms = { SOPS_BPF_MAP_TYPE_ARRAY, 4, value_size, entries, 0 };

	run_on_engines(t, insns, cnt, &ms, ctx, ctx_size, want_inlined, want_inlined & ~CB_PROG);
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
	pfd = load_with_map(rt, p, NINSN(p), mfd, NULL, 0);
	T_ASSERT(pfd > 0);
	T_EQ(rt_test_run(rt, pfd, &ctx, sizeof(ctx), &ret), 0);
	T_EQ(ret, 21 + 5);
	sops_close(rt, pfd);
	sops_close(rt, mfd);
	sops_runtime__free(rt);
}

/*
 * A conditional jump over ten lookups that fits in 16 bits as loaded but not
 * once each call grows into its sequence: the rewrite gives up and the
 * program keeps its helper calls, with the same results.
 */
TEST(inline_gives_up_when_a_jump_no_longer_fits)
{
	enum { LOOKUPS = 10, PER = 9, SPAN = 32767 - 20 }; /* each lookup grows by 5 slots: +50 > 20 */
	size_t n = 0, cnt = 3 + SPAN + 2;
	struct sops_insn *p = calloc(cnt, sizeof(*p));
	struct {
		uint32_t skip;
		uint32_t pad;
	} ctx = { 0, 0 };

	T_ASSERT(p);
	p[n++] = MOV_IMM(8, 0);
	p[n++] = LDX_W(7, 1, 0);
	p[n++] = JNE_IMM(7, 0, SPAN); /* lands on the final mov */
	for (int k = 0; k < LOOKUPS; k++) {
		struct sops_insn one[PER] = { ST_W(10, -4, k % 4), MOV_REG(2, 10), ADD_IMM(2, -4), LD_MAP(1, 0x7777),
					      CALL(1), JEQ_IMM(0, 0, 2), LDX_DW(3, 0, 0), ADD_REG(8, 3) };

		memcpy(p + n, one, sizeof(one));
		n += PER;
	}
	while (n < 3 + SPAN)
		p[n++] = MOV_IMM(3, 0);
	p[n++] = MOV_REG(0, 8);
	p[n++] = EXIT();
	run_everywhere(t, p, cnt, 8, 4, &ctx, sizeof(ctx), 0);
	free(p);
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
	/* Hash maps have no inline form on the interpreter (the helper is faster there). */
	rt = runtime_for(ENG_TRUSTED_INTERP);
	T_ASSERT(rt);
	hfd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "h", 4, 8, 4, NULL);
	T_ASSERT(hfd > 0);
	T_EQ(sops_map_update_elem(rt, hfd, &key, &val, 0), 0);
	landing[5] = MOV_REG(0, 0); /* no jump: the map is known, but it is a hash map, interpreted */
	pfd = load_with_map(rt, landing, NINSN(landing), hfd, NULL, 0);
	T_ASSERT(pfd > 0);
	T_EQ(inlined_of(rt, pfd), 0);
	T_EQ(rt_test_run(rt, pfd, NULL, 0, &ret), 0);
	T_EQ(ret, 99);
	sops_close(rt, pfd);
	sops_close(rt, hfd);
	sops_runtime__free(rt);
}

/* Slots the engine of program @fd runs (after inlining). */
static size_t engine_insn_cnt(struct sops_runtime *rt, int fd)
{
	struct rt_obj *o;
	size_t n = 0;

	if (rt_handle_get(rt, fd, SOPS_OBJ_PROG, &o))
		return 0;
	sops_vm__insns(caa_container_of(o, struct sops_prog, obj)->vm, &n);
	rt_obj_put(o);
	return n;
}

/*
 * The lddw of the map only feeds the call: it goes with the call, and a loop
 * jumping back onto it lands on what follows. When something reads r1 in
 * between, it stays.
 */
TEST(inline_drops_dead_map_lddw)
{
	struct sops_insn p[] = {
		MOV_REG(6, 1), MOV_IMM(7, 0), MOV_IMM(8, 0), MOV_REG(9, 6),
		/* 4: the loop lands on the lddw */
		LD_MAP(1, 0x7777), MOV_REG(3, 3), MOV_REG(2, 9), CALL(1),
		/* 9: */ JEQ_IMM(0, 0, 2), LDX_DW(1, 0, 0), ADD_REG(8, 1),
		/* 12: */ ADD_IMM(9, 4), ADD_IMM(7, 1), JLT_IMM(7, 8, -11),
		/* 15: */ STX_DW(6, 8, 32), MOV_REG(0, 8), EXIT(),
	};
	struct {
		uint32_t keys[8];
		uint64_t out;
	} ctx = { { 3, 0, 9, 1, 2, 2, 77, 0 }, 0 };
	uint64_t want = 0;
	struct sops_runtime *rt;
	int mfd, pfd;

	for (int i = 0; i < 8; i++)
		want += ctx.keys[i] < 4 ? ctx.keys[i] * 10 + 1 : 0;
	run_everywhere(t, p, NINSN(p), 8, 4, &ctx, sizeof(ctx), 1);
	if (t->failed)
		return;
	T_EQ(ctx.out, want);

	/* Slot counts on the trusted interpreter: the array sequence is 8 slots. */
	rt = runtime_for(ENG_TRUSTED_INTERP);
	T_ASSERT(rt);
	mfd = make_array(rt, 4, 8);
	pfd = load_with_map(rt, p, NINSN(p), mfd, NULL, 0);
	T_ASSERT(pfd > 0);
	T_EQ(engine_insn_cnt(rt, pfd), NINSN(p) - 1 + 8 - 2);
	sops_close(rt, pfd);
	p[6] = MOV_REG(3, 1); /* r1 read between the lddw and the call: the lddw stays */
	pfd = rt_test_load(rt, p, NINSN(p), NULL, 0);
	T_ASSERT(pfd > 0);
	T_EQ(inlined_of(rt, pfd), 1);
	T_EQ(engine_insn_cnt(rt, pfd), NINSN(p) - 1 + 8);
	sops_close(rt, pfd);
	sops_close(rt, mfd);
	sops_runtime__free(rt);
}

/*
 * A loop over 8 keys held in ctx, one per 32-byte slot: (sum + value or
 * 1000) * 3, stored after the keys at offset 256.
 */
static const struct sops_insn hash_loop_prog[] = {
	MOV_REG(6, 1), MOV_IMM(7, 0), MOV_IMM(8, 0),
	/* 3: */ MOV_REG(2, 6), MOV_REG(3, 7), LSH_IMM(3, 5), ADD_REG(2, 3),
	/* 7: */ LD_MAP(1, 0x7777), CALL(1),
	/* 10: */ JEQ_IMM(0, 0, 3), LDX_DW(1, 0, 0), ADD_REG(8, 1), JA(1),
	/* 14: */ ADD_IMM(8, 1000),
	/* 15: */ MUL_IMM(8, 3), ADD_IMM(7, 1), JLT_IMM(7, 8, -15),
	/* 18: */ STX_DW(6, 8, 256), MOV_REG(0, 8), EXIT(),
};

/*
 * Hash and LRU maps, every key size the JIT inlines (1 to 32 bytes: the 4-
 * and 8-byte forms, and the piecewise hash and compare of the others): hits,
 * misses and chains agree with the helper.
 */
TEST(inline_hash_lookups_match_helper)
{
	static const enum sops_bpf_map_type types[] = { SOPS_BPF_MAP_TYPE_HASH, SOPS_BPF_MAP_TYPE_LRU_HASH };
	static const uint32_t sizes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 31, 32 };

	for (size_t ti = 0; ti < 2; ti++) {
		for (size_t si = 0; si < NINSN(sizes); si++) {
			uint32_t ks = sizes[si], n = ks == 1 ? 200 : 300;
			/* n keys in a map of 512: chains are common (and values 24 bytes: a multiply). */
			struct map_spec ms = { types[ti], ks, ti ? 8 : 24, n, 512 };
			uint64_t keys[8] = { 0, 1, n - 1, n, 77, n + 7, n / 2, 5 };
			struct sops_insn p[NINSN(hash_loop_prog)];
			uint8_t ctx[264] = { 0 };
			uint64_t want = 0, out;

			for (int i = 0; i < 8; i++) {
				key_bytes(keys[i], ks, ctx + 32 * i);
				want = (want + (keys[i] < n ? keys[i] * 10 + 1 : 1000)) * 3;
			}
			if (ks >= 3) { /* slot 5: key 77 with its last byte changed, a miss */
				key_bytes(77, ks, ctx + 32 * 5);
				ctx[32 * 5 + ks - 1] ^= 0x80;
			}
			memcpy(p, hash_loop_prog, sizeof(p));
			run_on_engines(t, p, NINSN(p), &ms, ctx, sizeof(ctx), 0, 1);
			if (t->failed) {
				printf("  (%s map, %u-byte keys)\n", ti ? "LRU" : "hash", ks);
				return;
			}
			memcpy(&out, ctx + 256, 8);
			T_EQ(out, want);
		}
	}
}

/*
 * Every byte of the key is compared: in a map of one entry (two buckets),
 * keys that differ from the stored one in a single byte (first, middle or
 * last piece) often share its bucket, and must all miss.
 */
TEST(inline_hash_compares_every_byte)
{
	static const uint32_t sizes[] = { 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 31, 32 };
	/* ctx: the key (32 bytes), then the value found or -1. */
	struct sops_insn p[] = {
		MOV_REG(6, 1), MOV_REG(2, 1), LD_MAP(1, 0x7777), CALL(1), MOV_IMM(1, -1), JEQ_IMM(0, 0, 1),
		LDX_DW(1, 0, 0), STX_DW(6, 1, 32), MOV_IMM(0, 0), EXIT(),
	};

	if (!sops_jit_available())
		T_SKIP("no JIT");
	for (size_t si = 0; si < NINSN(sizes); si++) {
		uint32_t ks = sizes[si], ret;
		struct map_spec ms = { SOPS_BPF_MAP_TYPE_HASH, ks, 8, 1, 1 };
		struct sops_runtime *rt = runtime_for(ENG_TRUSTED_JIT);
		uint8_t ctx[40];
		uint64_t out;
		int mfd, pfd;

		T_ASSERT(rt);
		mfd = make_map(rt, &ms); /* key_bytes(0) -> 1 */
		T_ASSERT(mfd > 0);
		pfd = load_with_map(rt, p, NINSN(p), mfd, NULL, 0);
		T_ASSERT(pfd > 0);
		T_EQ(inlined_of(rt, pfd), 1);
		for (uint32_t at = 0; at < 3; at++) {
			uint32_t byte = at == 0 ? 0 : at == 1 ? ks / 2 : ks - 1;

			for (uint32_t flip = 0; flip <= 16; flip++) {
				memset(ctx, 0, sizeof(ctx));
				key_bytes(0, ks, ctx);
				ctx[byte] ^= (uint8_t)flip;
				T_EQ(rt_test_run(rt, pfd, ctx, sizeof(ctx), &ret), 0);
				memcpy(&out, ctx + 32, 8);
				if (out != (flip ? (uint64_t)-1 : 1))
					T_FAIL("%u-byte key, byte %u ^ %u: found %#llx", ks, byte, flip,
					       (unsigned long long)out);
			}
		}
		sops_close(rt, pfd);
		sops_close(rt, mfd);
		sops_runtime__free(rt);
	}
}

/* Keys over 32 bytes and per-CPU hash maps keep the helper call on the JIT too. */
TEST(inline_hash_declines)
{
	static const struct map_spec specs[] = {
		{ SOPS_BPF_MAP_TYPE_HASH, 33, 8, 10, 0 },
		{ SOPS_BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 10, 0 },
	};
	/* The key: 40 bytes on the stack, 3 then zeros (a hit for 4-byte keys). */
	struct sops_insn p[] = {
		ST_DW(10, -40, 3), ST_DW(10, -32, 0), ST_DW(10, -24, 0), ST_DW(10, -16, 0), ST_DW(10, -8, 0),
		MOV_REG(2, 10), ADD_IMM(2, -40), LD_MAP(1, 0x7777), CALL(1), JEQ_IMM(0, 0, 1), LDX_DW(0, 0, 0),
		EXIT(),
	};

	for (size_t i = 0; i < NINSN(specs); i++) {
		uint64_t ctx = 0;

		run_on_engines(t, p, NINSN(p), &specs[i], &ctx, sizeof(ctx), 0, 0);
	}
}

/* A JIT runtime with a hash map (@type, 4-byte keys 0..n-1 -> i * 10 + 1) and a one-lookup program. */
struct hash_fixture {
	struct sops_runtime *rt;
	int mfd, pfd;
};

static bool hash_fixture_new(struct test_ctx *t, struct hash_fixture *f, enum sops_bpf_map_type type,
			     uint32_t n, uint32_t max)
{
	struct map_spec ms = { type, 4, 8, n, max };
	/* ctx: key (u32) at 0; out: found value or -1 at 8. */
	struct sops_insn p[] = {
		MOV_REG(6, 1), MOV_REG(2, 1), LD_MAP(1, 0x7777), CALL(1), MOV_IMM(1, -1), JEQ_IMM(0, 0, 1),
		LDX_DW(1, 0, 0), STX_DW(6, 1, 8), MOV_IMM(0, 0), EXIT(),
	};

	f->rt = runtime_for(ENG_TRUSTED_JIT);
	if (!f->rt) {
		test_fail(t, __FILE__, __LINE__, "no runtime");
		return false;
	}
	f->mfd = make_map(f->rt, &ms);
	f->pfd = load_with_map(f->rt, p, NINSN(p), f->mfd, NULL, 0);
	if (f->mfd <= 0 || f->pfd <= 0 || inlined_of(f->rt, f->pfd) != 1) {
		test_fail(t, __FILE__, __LINE__, "fixture: map %d, program %d", f->mfd, f->pfd);
		sops_runtime__free(f->rt);
		return false;
	}
	return true;
}

static void hash_fixture_free(struct hash_fixture *f)
{
	sops_close(f->rt, f->pfd);
	sops_close(f->rt, f->mfd);
	sops_runtime__free(f->rt);
}

/* What the inline lookup of @key finds: the value, or -1. */
static uint64_t jit_lookup(struct sops_runtime *rt, int pfd, uint32_t key)
{
	uint64_t ctx[2] = { key, 0 };
	uint32_t ret;

	if (rt_test_run(rt, pfd, ctx, sizeof(ctx), &ret) || ret)
		return (uint64_t)-2;
	return ctx[1];
}

/* Deletes, re-inserts and in-place updates are seen by the inline lookup. */
TEST(inline_hash_sees_updates)
{
	struct hash_fixture f;
	uint32_t k = 5;
	uint64_t v = 12345;

	if (!sops_jit_available())
		T_SKIP("no JIT");
	if (!hash_fixture_new(t, &f, SOPS_BPF_MAP_TYPE_HASH, 100, 128))
		return;
	T_EQ(jit_lookup(f.rt, f.pfd, 5), 51);
	T_EQ(sops_map_delete_elem(f.rt, f.mfd, &k), 0);
	T_EQ(jit_lookup(f.rt, f.pfd, 5), (uint64_t)-1);
	T_EQ(jit_lookup(f.rt, f.pfd, 6), 61);
	T_EQ(sops_map_update_elem(f.rt, f.mfd, &k, &v, SOPS_BPF_NOEXIST), 0);
	T_EQ(jit_lookup(f.rt, f.pfd, 5), 12345);
	v = 777;
	T_EQ(sops_map_update_elem(f.rt, f.mfd, &k, &v, SOPS_BPF_EXIST), 0);
	T_EQ(jit_lookup(f.rt, f.pfd, 5), 777);
	for (uint32_t i = 100; i < 128; i++) { /* fill up: every key still found */
		v = i;
		T_EQ(sops_map_update_elem(f.rt, f.mfd, &i, &v, 0), 0);
	}
	for (uint32_t i = 0; i < 128; i++)
		T_EQ(jit_lookup(f.rt, f.pfd, i), i == 5 ? 777 : i < 100 ? i * 10 + 1 : i);
	T_EQ(jit_lookup(f.rt, f.pfd, 128), (uint64_t)-1);
	hash_fixture_free(&f);
}

/*
 * An inline LRU lookup marks the element referenced: eviction passes it over.
 * Each round leaves a different key unreferenced, so whichever element the
 * sweep starts at, a lookup that forgot the mark evicts a wrong key in most.
 */
TEST(inline_hash_lru_marks_referenced)
{
	if (!sops_jit_available())
		T_SKIP("no JIT");
	for (uint32_t cold = 0; cold < 4; cold++) {
		struct hash_fixture f;
		uint32_t k = 4;
		uint64_t v = 41, out;

		if (!hash_fixture_new(t, &f, SOPS_BPF_MAP_TYPE_LRU_HASH, 4, 4))
			return;
		for (uint32_t i = 0; i < 4; i++)
			if (i != cold)
				T_EQ(jit_lookup(f.rt, f.pfd, i), i * 10 + 1);
		/* A new key must evict the one never looked up. */
		T_EQ(sops_map_update_elem(f.rt, f.mfd, &k, &v, 0), 0);
		for (uint32_t i = 0; i < 4; i++)
			T_EQ(sops_map_lookup_elem(f.rt, f.mfd, &i, &out), i == cold ? -ENOENT : 0);
		hash_fixture_free(&f);
	}
}

/*
 * Inline lookups racing writers: keys 0..511 never change and must always be
 * found with their value, while writers delete and re-insert keys 512..1023
 * of the same chains (elements move between buckets under the readers, who
 * must then restart their walk), for about SOPS_TEST_MT_OPS writes.
 */
struct race_arg {
	struct hash_fixture *f;
	atomic_bool *stop;
	long ops;
	int tid;
	long errors, runs;
};

static void *race_reader(void *p)
{
	struct race_arg *a = p;
	uint32_t k = (uint32_t)a->tid;

	while (!atomic_load(a->stop)) {
		k = (k * 2654435761u + 1) & 511;
		if (jit_lookup(a->f->rt, a->f->pfd, k) != k * 10 + 1)
			a->errors++;
		a->runs++;
	}
	return NULL;
}

static void *race_writer(void *p)
{
	struct race_arg *a = p;
	uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(a->tid + 1);

	for (long n = 0; n < a->ops; n++) {
		uint32_t k;
		uint64_t v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = 512 + (uint32_t)(x % 512);
		v = k;
		if (x >> 63) {
			sops_map_delete_elem(a->f->rt, a->f->mfd, &k);
		} else {
			/* Never full: 1,024 keys at most in a map of 1,024 (and spares for replacing). */
			if (sops_map_update_elem(a->f->rt, a->f->mfd, &k, &v, 0))
				a->errors++;
		}
	}
	return NULL;
}

TEST(inline_hash_races_writers)
{
	struct hash_fixture f;
	struct race_arg args[4];
	pthread_t th[4];
	atomic_bool stop = false;
	long runs = 0;

	if (!sops_jit_available())
		T_SKIP("no JIT");
	if (!hash_fixture_new(t, &f, SOPS_BPF_MAP_TYPE_HASH, 512, 1024))
		return;
	for (int i = 0; i < 4; i++) {
		args[i] = (struct race_arg){ &f, &stop, rt_test_mt_ops() / 2, i, 0, 0 };
		pthread_create(&th[i], NULL, i < 2 ? race_writer : race_reader, &args[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	atomic_store(&stop, true);
	for (int i = 2; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++) {
		T_EQ(args[i].errors, 0);
		runs += args[i].runs;
	}
	T_ASSERT(runs > 0);
	hash_fixture_free(&f);
}
