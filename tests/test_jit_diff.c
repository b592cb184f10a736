/* SPDX-License-Identifier: MIT */
/*
 * test_jit_diff.c - differential test: random valid programs, interpreter vs JIT.
 *
 * A seeded generator writes programs that are valid by construction: every
 * register is initialised before use, memory accesses stay inside a private
 * buffer (r6 holds its address for the whole run) or the first 64 bytes of
 * the current stack frame (initialised at each function's entry), jumps go
 * forward inside their function except for counted loops, and bpf-to-bpf
 * calls only go to later functions (so the call graph is acyclic and at most
 * four frames deep). Each program runs on the interpreter and on the JIT
 * (every fourth with constant blinding) over its own copy of the same buffer;
 * r0 and the buffer must match.
 *
 * Contents: ALU and ALU32 with both operand kinds, including div/mod/sdiv/smod
 * with zero and -1 divisors, shifts with out-of-range counts, movsx, bswap,
 * le/be; 64-bit constants; loads (zero- and sign-extending) and stores of all
 * sizes; every atomic in both widths; conditional jumps of both classes, ja
 * and gotol; counted loops; helper calls and bpf-to-bpf calls.
 *
 * STRUCTOPS_DIFF_PROGS=N runs N programs (default 3000); STRUCTOPS_DIFF_SEED=S
 * changes the seed. Program i is generated from (S, i) alone, so a failure
 * report names everything needed to reproduce it, and the failing program is
 * disassembled into the output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <structops/asm.h>
#include <structops/vm.h>

#include "test.h"

#define DIFF_BUF_SIZE 256
#define DIFF_STACK_USE 64 /* bytes of each frame the programs touch */
#define DIFF_MAX_FUNCS 4
#define DIFF_MAX_SLOTS 4096
#define DIFF_MAX_ITEMS 512
#define DIFF_DEFAULT_PROGS 3000
#define DIFF_DEFAULT_SEED 0x5eedull

/* Data registers: everything but r6 (the buffer) and r10. */
static const uint8_t data_regs[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9 };

struct gen {
	uint64_t rng;
	struct sops_insn p[DIFF_MAX_SLOTS];
	size_t n;
	/* items of the function being written: first slot of each; jumps to patch */
	size_t item_slot[DIFF_MAX_ITEMS + 1];
	struct { size_t slot, target_item; bool imm; } jumps[DIFF_MAX_ITEMS];
	size_t item_cnt, jump_cnt;
	/* local calls to patch once every function's start is known */
	struct { size_t slot; int func; } calls[DIFF_MAX_ITEMS * DIFF_MAX_FUNCS];
	size_t call_cnt;
	size_t func_start[DIFF_MAX_FUNCS];
	int func_cnt;
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd(struct gen *g, uint32_t n)
{
	return (uint32_t)(splitmix(&g->rng) % n);
}

static bool chance(struct gen *g, uint32_t pct)
{
	return rnd(g, 100) < pct;
}

/* Values that hit edge cases more often than uniform ones would. */
static uint64_t value(struct gen *g)
{
	static const uint64_t edge[] = {
		0, 1, 2, 3, 7, 8, 31, 32, 63, 64, 0xff, 0x80, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x8000000000000000ull,
		0x7fffffffffffffffull, 0xffffffffffffffffull, 0xfffffffffffffffeull,
		0xffffffff80000000ull,
	};

	switch (rnd(g, 4)) {
	case 0:
		return edge[rnd(g, sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return rnd(g, 256) - 128;
	default:
		return splitmix(&g->rng);
	}
}

static int32_t imm_value(struct gen *g)
{
	return (int32_t)value(g);
}

static uint8_t data_reg(struct gen *g)
{
	return data_regs[rnd(g, sizeof(data_regs))];
}

static void put(struct gen *g, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	g->p[g->n++] = (struct sops_insn){ code, dst, src, off, imm };
}

static void put_lddw(struct gen *g, uint8_t dst, uint64_t v)
{
	put(g, 0x18, dst, 0, 0, (int32_t)(uint32_t)v);
	put(g, 0x00, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

static void set_reg(struct gen *g, uint8_t r)
{
	uint64_t v = value(g);

	if ((int64_t)v == (int32_t)v)
		put(g, 0xb7, r, 0, 0, (int32_t)v);
	else
		put_lddw(g, r, v);
}

/* A memory operand: (base, off) inside the buffer or the frame, aligned to @size. */
static void mem_operand(struct gen *g, int size, uint8_t *base, int16_t *off)
{
	if (chance(g, 60)) {
		*base = 6;
		*off = (int16_t)(rnd(g, DIFF_BUF_SIZE / size) * size);
	} else {
		*base = 10;
		*off = (int16_t)(-(int)((rnd(g, DIFF_STACK_USE / size) + 1) * size));
	}
}

static const uint8_t size_code[4] = { 0x10, 0x08, 0x00, 0x18 }; /* B H W DW */

static void gen_alu(struct gen *g, bool no_r9)
{
	static const uint8_t ops[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
				       0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0 };
	bool w64 = chance(g, 55);
	uint8_t cls = w64 ? 0x07 : 0x04, op = ops[rnd(g, sizeof(ops))];
	uint8_t dst = data_reg(g), src = data_reg(g);
	bool x = chance(g, 50);
	int16_t off = 0;
	int32_t imm = imm_value(g);

	while (no_r9 && dst == 9)
		dst = data_reg(g);
	switch (op) {
	case 0x80: /* neg */
		put(g, cls | op, dst, 0, 0, 0);
		return;
	case 0xd0: { /* le/be (ALU) or bswap (ALU64) */
		static const int widths[] = { 16, 32, 64 };

		put(g, (uint8_t)(cls | op | (!w64 && chance(g, 50) ? 0x08 : 0)), dst, 0, 0,
		    widths[rnd(g, 3)]);
		return;
	}
	case 0x30:
	case 0x90:
		off = chance(g, 50); /* sdiv / smod */
		if (!x && chance(g, 30))
			imm = chance(g, 50) ? 0 : -1;
		break;
	case 0x60:
	case 0x70:
	case 0xc0:
		/* mostly in range, sometimes not: both engines mask */
		imm = chance(g, 85) ? (int32_t)rnd(g, w64 ? 64 : 32) : imm;
		break;
	case 0xb0:
		if (x && chance(g, 30)) {
			static const int16_t sx64[] = { 8, 16, 32 }, sx32[] = { 8, 16 };

			off = w64 ? sx64[rnd(g, 3)] : sx32[rnd(g, 2)];
		}
		break;
	}
	if (x)
		put(g, cls | op | 0x08, dst, src, off, 0);
	else
		put(g, cls | op, dst, 0, off, imm);
}

static void gen_load(struct gen *g, bool no_r9)
{
	static const int bytes[4] = { 1, 2, 4, 8 };
	int sz = (int)rnd(g, 4);
	uint8_t base, dst = data_reg(g);
	int16_t off;
	bool sx = sz != 3 && chance(g, 30);

	while (no_r9 && dst == 9)
		dst = data_reg(g);
	mem_operand(g, bytes[sz], &base, &off);
	put(g, (uint8_t)((sx ? 0x80 : 0x60) | size_code[sz] | 0x01), dst, base, off, 0);
}

static void gen_store(struct gen *g)
{
	static const int bytes[4] = { 1, 2, 4, 8 };
	int sz = (int)rnd(g, 4);
	uint8_t base;
	int16_t off;

	mem_operand(g, bytes[sz], &base, &off);
	if (chance(g, 50))
		put(g, (uint8_t)(0x60 | size_code[sz] | 0x03), base, data_reg(g), off, 0);
	else
		put(g, (uint8_t)(0x60 | size_code[sz] | 0x02), base, 0, off, imm_value(g));
}

static void gen_atomic(struct gen *g, bool no_r9)
{
	static const int32_t ops[] = { 0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1 };
	bool w64 = chance(g, 50);
	int32_t op = ops[rnd(g, sizeof(ops) / sizeof(ops[0]))];
	uint8_t base, src = data_reg(g);
	int16_t off;

	/* fetch forms write src, cmpxchg writes r0 */
	while (no_r9 && (op & 1) && src == 9)
		src = data_reg(g);
	mem_operand(g, w64 ? 8 : 4, &base, &off);
	/* make cmpxchg succeed often: r0 = the current value (sign-extended for 32 bits) */
	if (op == 0xf1 && chance(g, 50))
		put(g, w64 ? 0x79 : 0x81, 0, base, off, 0);
	put(g, w64 ? 0xdb : 0xc3, base, src, off, op);
}

/* A conditional or unconditional forward jump to a later item (patched at function end). */
static void gen_jump(struct gen *g, size_t item, size_t last_item)
{
	static const uint8_t ops[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
				       0xa0, 0xb0, 0xc0, 0xd0, 0x00 };
	uint8_t op = ops[rnd(g, sizeof(ops))];
	uint8_t cls = chance(g, 50) ? 0x05 : 0x06;
	size_t target = item + 1 + rnd(g, (uint32_t)(last_item - item));
	bool imm_target = false;

	g->jumps[g->jump_cnt].slot = g->n;
	g->jumps[g->jump_cnt].target_item = target;
	if (op == 0x00) {
		/* ja (off) or gotol (JMP32 JA, imm) */
		imm_target = cls == 0x06;
		put(g, cls, 0, 0, 0, 0);
	} else if (chance(g, 50)) {
		put(g, cls | op | 0x08, data_reg(g), data_reg(g), 0, 0);
	} else {
		put(g, cls | op, data_reg(g), 0, 0, imm_value(g));
	}
	g->jumps[g->jump_cnt++].imm = imm_target;
}

/* mov r9, n; body (no jumps, no writes to r9); r9 -= 1; if r9 != 0 goto body */
static void gen_loop(struct gen *g)
{
	size_t body;
	uint32_t len = 1 + rnd(g, 5);

	put(g, 0xb7, 9, 0, 0, (int32_t)(1 + rnd(g, 5)));
	body = g->n;
	for (uint32_t k = 0; k < len; k++) {
		switch (rnd(g, 4)) {
		case 0: gen_load(g, true); break;
		case 1: gen_store(g); break;
		case 2: gen_atomic(g, true); break;
		default: gen_alu(g, true); break;
		}
	}
	put(g, 0x17, 9, 0, 0, 1);
	put(g, 0x55, 9, 0, (int16_t)(body - (g->n + 1)), 0);
}

static void gen_helper_call(struct gen *g)
{
	put(g, 0x85, 0, 0, 0, 1);
	/* the native call clobbers r1-r5 (the interpreter keeps them): give them values again */
	for (uint8_t r = 1; r <= 5; r++)
		set_reg(g, r);
}

static void gen_func(struct gen *g, int f)
{
	size_t items = 8 + rnd(g, 40);

	g->func_start[f] = g->n;
	g->item_cnt = g->jump_cnt = 0;
	if (f == 0) {
		put(g, 0xbf, 6, 1, 0, 0); /* r6 = buffer */
		for (size_t k = 0; k < sizeof(data_regs); k++)
			set_reg(g, data_regs[k]);
	}
	for (int s = 1; s <= DIFF_STACK_USE / 8; s++)
		put(g, 0x7a, 10, 0, (int16_t)(-8 * s), imm_value(g));

	for (size_t it = 0; it < items; it++) {
		uint32_t kind = rnd(g, 100);

		g->item_slot[g->item_cnt++] = g->n;
		if (kind < 40)
			gen_alu(g, false);
		else if (kind < 48)
			set_reg(g, data_reg(g));
		else if (kind < 58)
			gen_load(g, false);
		else if (kind < 66)
			gen_store(g);
		else if (kind < 74)
			gen_atomic(g, false);
		else if (kind < 88)
			gen_jump(g, it, items);
		else if (kind < 92)
			gen_loop(g);
		else if (kind < 95)
			gen_helper_call(g);
		else if (f + 1 < g->func_cnt) {
			g->calls[g->call_cnt].slot = g->n;
			g->calls[g->call_cnt++].func = f + 1 + (int)rnd(g, (uint32_t)(g->func_cnt - f - 1));
			put(g, 0x85, 0, 1, 0, 0);
		} else {
			gen_alu(g, false);
		}
	}
	/* epilogue item: fold every data register into r0, then exit */
	g->item_slot[g->item_cnt++] = g->n;
	for (size_t k = 1; k < sizeof(data_regs); k++) {
		put(g, 0x27, 0, 0, 0, 0x3b);                          /* r0 *= 59 */
		put(g, 0xaf, 0, data_regs[k], 0, 0);                   /* r0 ^= rk */
	}
	put(g, 0x95, 0, 0, 0, 0);

	for (size_t j = 0; j < g->jump_cnt; j++) {
		struct sops_insn *in = &g->p[g->jumps[j].slot];
		int32_t rel = (int32_t)(g->item_slot[g->jumps[j].target_item] - (g->jumps[j].slot + 1));

		if (g->jumps[j].imm)
			in->imm = rel;
		else
			in->off = (int16_t)rel;
	}
}

static void gen_prog(struct gen *g, uint64_t seed, uint64_t idx)
{
	g->rng = seed ^ (idx * 0xd1342543de82ef95ull);
	splitmix(&g->rng);
	g->n = g->call_cnt = 0;
	g->func_cnt = 1 + (int)rnd(g, DIFF_MAX_FUNCS);
	for (int f = 0; f < g->func_cnt; f++)
		gen_func(g, f);
	for (size_t c = 0; c < g->call_cnt; c++)
		g->p[g->calls[c].slot].imm =
			(int32_t)(g->func_start[g->calls[c].func] - (g->calls[c].slot + 1));
}

/* The helper: a deterministic mix of its arguments. */
static uint64_t h_mix(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, void *aux)
{
	return (r1 * 3 + r2) ^ (r3 << 7) ^ (r4 >> 3) ^ (r5 * 0x9e3779b97f4a7c15ull) ^ (uintptr_t)aux;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static int run_engine(const struct gen *g, enum sops_engine engine, bool blind, uint8_t *buf,
		      uint64_t *r0, char *log, size_t log_size)
{
	static const struct sops_helper helpers[] = { { 1, "mix", h_mix, NULL } };
	struct sops_vm_opts opts = { .sz = sizeof(opts), .engine = engine, .helpers = helpers,
				     .helper_cnt = 1, .aux = (void *)(uintptr_t)0x1234,
				     .jit_blinding = blind, .log_buf = log, .log_size = log_size };
	struct sops_vm_run_opts run = { .sz = sizeof(run), .args = { (uintptr_t)buf, DIFF_BUF_SIZE },
					.fault_buf = log, .fault_size = log_size };
	struct sops_vm *vm;
	int err;

	err = sops_vm__create(g->p, g->n, &opts, &vm);
	if (err)
		return err;
	err = sops_vm__run(vm, &run);
	*r0 = run.retval;
	sops_vm__free(vm);
	return err;
}

TEST(jit_differential)
{
	uint64_t progs = env_u64("STRUCTOPS_DIFF_PROGS", DIFF_DEFAULT_PROGS);
	uint64_t seed = env_u64("STRUCTOPS_DIFF_SEED", DIFF_DEFAULT_SEED);
	struct gen *g;
	uint8_t init[DIFF_BUF_SIZE], a[DIFF_BUF_SIZE], b[DIFF_BUF_SIZE];
	size_t slots = 0;

	if (!sops_jit_available())
		T_SKIP("this build has no JIT");
	g = malloc(sizeof(*g));
	T_ASSERT(g);
	for (uint64_t i = 0; i < progs; i++) {
		uint64_t ra = 0, rb = 0, s = seed + i;
		char log[256] = "";
		bool blind = (i & 3) == 3;
		int ea, eb;

		gen_prog(g, seed, i);
		slots += g->n;
		for (size_t k = 0; k < sizeof(init); k++)
			init[k] = (uint8_t)splitmix(&s);
		memcpy(a, init, sizeof(a));
		memcpy(b, init, sizeof(b));
		ea = run_engine(g, SOPS_ENGINE_INTERP, false, a, &ra, log, sizeof(log));
		if (ea) {
			printf("program %" PRIu64 " (seed 0x%" PRIx64 "): interpreter error %d: %s\n", i,
			       seed, ea, log);
			goto fail;
		}
		eb = run_engine(g, SOPS_ENGINE_JIT, blind, b, &rb, log, sizeof(log));
		if (eb) {
			printf("program %" PRIu64 " (seed 0x%" PRIx64 "): JIT error %d: %s\n", i, seed, eb,
			       log);
			goto fail;
		}
		if (ra != rb || memcmp(a, b, sizeof(a))) {
			printf("program %" PRIu64 " (seed 0x%" PRIx64 ", blinding %d): r0 interp 0x%" PRIx64
			       " jit 0x%" PRIx64 ", buffers %s\n",
			       i, seed, blind, ra, rb, memcmp(a, b, sizeof(a)) ? "differ" : "match");
			goto fail;
		}
	}
	printf("INFO jit_differential: %" PRIu64 " programs, %zu slots, seed 0x%" PRIx64 "\n", progs,
	       slots, seed);
	free(g);
	return;
fail:
	sops_disasm__dump(stdout, g->p, g->n, &(struct sops_disasm_opts){ .sz = sizeof(struct sops_disasm_opts), .show_index = 1 });
	free(g);
	T_FAIL("interpreter and JIT disagree (reproduce: STRUCTOPS_DIFF_SEED=0x%" PRIx64 ")", seed);
}
