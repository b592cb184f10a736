/* SPDX-License-Identifier: MIT */
/*
 * test_verifier_scalar.c - the verifier's numeric domain (scalar.c, tnum.c)
 * is sound, checked by sampling: for concrete values inside abstract ones,
 * every ALU operation and branch refinement keeps the concrete result inside
 * the abstract result, and a branch the domain calls decided is decided.
 * Abstract values are made the way the verifier makes them: from unknown or
 * a constant, narrowed by branches a concrete witness satisfies. A few
 * precision checks say the domain is also useful.
 */
#include <stdbool.h>

#include "../src/isa/opcodes.h"
#include "../src/verifier/scalar.h"
#include "test.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Interesting numbers more often than uniform ones. */
static uint64_t pick(void)
{
	static const uint64_t edge[] = { 0, 1, 2, 7, 8, 0xff, 0x100, 0x7fff, 0xffff, 0x7fffffff, 0x80000000,
					 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
					 0x8000000000000000ull, ~0ull, ~1ull, (uint64_t)-8, (uint64_t)-4096 };

	switch (rnd() % 4) {
	case 0: return edge[rnd() % (sizeof(edge) / sizeof(edge[0]))];
	case 1: return rnd() % 64;
	case 2: return (uint64_t)(int64_t)(int32_t)rnd();
	default: return rnd();
	}
}

static bool member(const struct vscalar *s, uint64_t x)
{
	return (x & ~s->var_off.mask) == s->var_off.value && x >= s->umin && x <= s->umax &&
	       (int64_t)x >= s->smin && (int64_t)x <= s->smax && (uint32_t)x >= s->u32_min &&
	       (uint32_t)x <= s->u32_max && (int32_t)x >= s->s32_min && (int32_t)x <= s->s32_max;
}

static const uint8_t jmp_ops[] = { OPC_JEQ, OPC_JNE, OPC_JGT, OPC_JGE, OPC_JLT, OPC_JLE, OPC_JSET,
				   OPC_JSGT, OPC_JSGE, OPC_JSLT, OPC_JSLE };

static bool concrete_jmp(uint64_t a, uint64_t b, uint8_t op, bool j32)
{
	if (j32) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	switch (op) {
	case OPC_JEQ: return a == b;
	case OPC_JNE: return a != b;
	case OPC_JGT: return a > b;
	case OPC_JGE: return a >= b;
	case OPC_JLT: return a < b;
	case OPC_JLE: return a <= b;
	case OPC_JSET: return a & b;
	case OPC_JSGT: return j32 ? (int32_t)a > (int32_t)b : (int64_t)a > (int64_t)b;
	case OPC_JSGE: return j32 ? (int32_t)a >= (int32_t)b : (int64_t)a >= (int64_t)b;
	case OPC_JSLT: return j32 ? (int32_t)a < (int32_t)b : (int64_t)a < (int64_t)b;
	default: return j32 ? (int32_t)a <= (int32_t)b : (int64_t)a <= (int64_t)b;
	}
}

/* The interpreter's ALU (src/vm/interp_loop.h). */
static uint64_t concrete_alu(uint64_t a, uint64_t b, uint8_t op, bool a32)
{
	uint64_t r;

	if (a32) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	switch (op) {
	case OPC_ADD: r = a + b; break;
	case OPC_SUB: r = a - b; break;
	case OPC_MUL: r = a * b; break;
	case OPC_DIV: r = b ? a / b : 0; break;
	case OPC_MOD: r = b ? a % b : a; break;
	case OPC_OR: r = a | b; break;
	case OPC_AND: r = a & b; break;
	case OPC_XOR: r = a ^ b; break;
	case OPC_LSH: r = a32 ? a << (b & 31) : a << (b & 63); break;
	case OPC_RSH: r = a32 ? a >> (b & 31) : a >> (b & 63); break;
	default: /* ARSH */
		r = a32 ? (uint32_t)((int32_t)a >> (b & 31)) : (uint64_t)((int64_t)a >> (b & 63));
		break;
	}
	return a32 ? (uint32_t)r : r;
}

static const uint8_t alu_ops[] = { OPC_ADD, OPC_SUB, OPC_MUL, OPC_DIV, OPC_MOD, OPC_OR,
				   OPC_AND, OPC_XOR, OPC_LSH, OPC_RSH, OPC_ARSH };

/* An abstract value holding witness @x: unknown or exact, narrowed by up to 3 branches x takes. */
static bool make(struct vscalar *s, uint64_t x)
{
	int n = (int)(rnd() % 4);

	if (rnd() % 8 == 0) {
		sc_const(s, x);
		return true;
	}
	sc_unknown(s);
	for (int i = 0; i < n; i++) {
		struct vscalar c;
		uint64_t k = rnd() % 2 ? pick() : x + (rnd() % 9) - 4;
		uint8_t op = jmp_ops[rnd() % sizeof(jmp_ops)];
		bool j32 = rnd() % 3 == 0;

		sc_const(&c, k);
		if (!sc_refine(s, &c, op, j32, concrete_jmp(x, k, op, j32)))
			return false; /* the domain thinks x's own branch is impossible */
	}
	return true;
}

TEST(scalar_sound_alu_and_branches)
{
	unsigned long checks = 0;

	for (int it = 0; it < 200000; it++) {
		uint64_t x = pick(), y = pick();
		struct vscalar a, b, r;
		uint8_t op;
		bool w;
		int o;

		if (!make(&a, x) || !make(&b, y))
			T_FAIL("refinement made a witness's own branch impossible (x=%#llx y=%#llx)",
			       (unsigned long long)x, (unsigned long long)y);
		if (!member(&a, x) || !member(&b, y))
			T_FAIL("refinement lost its witness (x=%#llx y=%#llx)", (unsigned long long)x,
			       (unsigned long long)y);
		op = alu_ops[rnd() % sizeof(alu_ops)];
		w = rnd() % 2;
		r = a;
		sc_alu(&r, &b, op, w);
		checks++;
		if (!member(&r, concrete_alu(x, y, op, w)))
			T_FAIL("alu op %#x (%s) of %#llx, %#llx: %#llx outside the result", op, w ? "32" : "64",
			       (unsigned long long)x, (unsigned long long)y,
			       (unsigned long long)concrete_alu(x, y, op, w));
		r = a;
		sc_neg(&r, w);
		if (!member(&r, w ? (uint32_t)(0 - (uint32_t)x) : 0 - x))
			T_FAIL("neg of %#llx", (unsigned long long)x);
		op = jmp_ops[rnd() % sizeof(jmp_ops)];
		o = sc_branch(&a, &b, op, w);
		checks++;
		if (o >= 0 && o != (int)concrete_jmp(x, y, op, w))
			T_FAIL("branch %#x decided %d but %#llx, %#llx goes the other way", op, o,
			       (unsigned long long)x, (unsigned long long)y);
		{
			struct vscalar ra = a, rb = b;
			bool taken = concrete_jmp(x, y, op, w);

			checks++;
			if (!sc_refine(&ra, &rb, op, w, taken) || !member(&ra, x) || !member(&rb, y))
				T_FAIL("refine %#x (%d) lost %#llx, %#llx", op, taken, (unsigned long long)x,
				       (unsigned long long)y);
		}
		r = a;
		sc_truncate(&r, (uint8_t)(1u << (rnd() % 4)));
		if (!sc_within(&a, &a))
			T_FAIL("a value is not within itself");
	}
	test_result("scalar_sound_samples", 1, "%lu checks", checks);
}

TEST(scalar_precise_enough)
{
	struct vscalar a, c;

	sc_const(&a, 5);
	sc_const(&c, 7);
	sc_alu(&a, &c, OPC_ADD, false);
	T_ASSERT(sc_is_const(&a) && sc_value(&a) == 12);
	sc_unknown(&a);
	sc_const(&c, 0xff);
	sc_alu(&a, &c, OPC_AND, false);
	T_EQ(a.umax, 0xff);
	T_EQ(a.smin, 0);
	sc_unknown(&a);
	sc_const(&c, 16);
	T_ASSERT(sc_refine(&a, &c, OPC_JLT, false, true));
	T_EQ(a.umax, 15);
	sc_unknown(&a);
	sc_const(&c, 42);
	T_ASSERT(sc_refine(&a, &c, OPC_JEQ, false, true));
	T_ASSERT(sc_is_const(&a) && sc_value(&a) == 42);
	sc_unknown_size(&a, 4);
	sc_const(&c, 0x7fff);
	T_ASSERT(sc_refine(&a, &c, OPC_JGT, true, false)); /* w <= 0x7fff, upper half known 0 */
	T_EQ(a.umax, 0x7fff);
	sc_unknown(&a);
	sc_const(&c, 60);
	sc_alu(&a, &c, OPC_RSH, false);
	T_EQ(a.umax, 15);
}
