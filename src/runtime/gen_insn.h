/* SPDX-License-Identifier: MIT */
/*
 * gen_insn.h - a tiny emitter for the instruction sequences maps generate to
 * inline their lookups (rt_map_ops.gen_lookup, used by inline.c).
 *
 * The sequences are short but have loops and forward jumps; writing them as
 * raw opcode/offset tables hides the control flow. Here a jump is emitted
 * with gen_jmp_*() and its target fixed later with gen_land(), or emitted
 * backward to a slot remembered with gen_pos(). Everything is static inline
 * and writes into a caller's buffer of RT_GEN_LOOKUP_MAX slots: the emitter
 * refuses (sets ->overflow) rather than write past it.
 */
#ifndef SOPS_RT_GEN_INSN_H
#define SOPS_RT_GEN_INSN_H

#include <stdbool.h>
#include <stdint.h>

#include "../isa/opcodes.h"

struct gen {
	struct sops_insn *insns;
	uint32_t cnt, cap;
	bool overflow; /* a sequence that did not fit, or a jump out of range */
};

static inline void gen_init(struct gen *g, struct sops_insn *buf, uint32_t cap)
{
	*g = (struct gen){ .insns = buf, .cap = cap };
}

static inline uint32_t gen_pos(const struct gen *g)
{
	return g->cnt;
}

static inline void gen_emit(struct gen *g, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (g->cnt >= g->cap) {
		g->overflow = true;
		return;
	}
	g->insns[g->cnt++] = (struct sops_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off,
						 .imm = imm };
}

static inline void gen_alu64_imm(struct gen *g, uint8_t op, uint8_t dst, int32_t imm)
{
	gen_emit(g, OPC_ALU64 | op | OPC_K, dst, 0, 0, imm);
}

static inline void gen_alu64_reg(struct gen *g, uint8_t op, uint8_t dst, uint8_t src)
{
	gen_emit(g, OPC_ALU64 | op | OPC_X, dst, src, 0, 0);
}

/* 32-bit ALU: the result is zero-extended to 64 bits. */
static inline void gen_alu32_reg(struct gen *g, uint8_t op, uint8_t dst, uint8_t src)
{
	gen_emit(g, OPC_ALU | op | OPC_X, dst, src, 0, 0);
}

static inline void gen_lddw(struct gen *g, uint8_t dst, uint64_t v)
{
	gen_emit(g, OPC_LDDW, dst, 0, 0, (int32_t)(uint32_t)v);
	gen_emit(g, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

/* dst = *(size *)(src + off), zero-extended. */
static inline void gen_ldx(struct gen *g, uint8_t size, uint8_t dst, uint8_t src, int16_t off)
{
	gen_emit(g, OPC_LDX | OPC_MEM | size, dst, src, off, 0);
}

/* *(size *)(dst + off) = imm */
static inline void gen_st_imm(struct gen *g, uint8_t size, uint8_t dst, int16_t off, int32_t imm)
{
	gen_emit(g, OPC_ST | OPC_MEM | size, dst, 0, off, imm);
}

/* dst *= factor, as a shift when it is a power of two; the immediate is signed, so larger factors refuse. */
static inline void gen_mul_imm(struct gen *g, uint8_t dst, uint32_t factor)
{
	if (factor && !(factor & (factor - 1)))
		gen_alu64_imm(g, OPC_LSH, dst, __builtin_ctz(factor));
	else if (factor <= INT32_MAX)
		gen_alu64_imm(g, OPC_MUL, dst, (int32_t)factor);
	else
		g->overflow = true;
}

/* A forward jump (64-bit compare with imm, or JA with op OPC_JA): returns its slot for gen_land(). */
static inline uint32_t gen_jmp_imm(struct gen *g, uint8_t op, uint8_t dst, int32_t imm)
{
	gen_emit(g, OPC_JMP | op | OPC_K, dst, 0, 0, imm);
	return g->cnt - 1;
}

static inline uint32_t gen_jmp_reg(struct gen *g, uint8_t op, uint8_t dst, uint8_t src)
{
	gen_emit(g, OPC_JMP | op | OPC_X, dst, src, 0, 0);
	return g->cnt - 1;
}

/* Points the jump in slot @at to the next slot emitted. */
static inline void gen_land(struct gen *g, uint32_t at)
{
	if (g->overflow || at >= g->cnt)
		return;
	g->insns[at].off = (int16_t)(g->cnt - at - 1);
}

/* Points the jump just emitted back to slot @target. */
static inline void gen_back_to(struct gen *g, uint32_t target)
{
	if (g->overflow || !g->cnt)
		return;
	g->insns[g->cnt - 1].off = (int16_t)((int64_t)target - (int64_t)g->cnt);
}

/*
 * The end every lookup sequence shares: r0 holds the element's index, so
 * r0 = @base + r0 * @stride (clobbering r1), then "goto +1; r0 = 0" with the
 * miss jump in slot @to_null landing on the final r0 = 0. inline.c knows this
 * tail (skip_null_test) and stretches the goto over the program's own NULL
 * test.
 */
static inline void gen_lookup_end(struct gen *g, uint64_t base, uint32_t stride, uint32_t to_null)
{
	uint32_t to_out;

	gen_mul_imm(g, 0, stride);
	gen_lddw(g, 1, base);
	gen_alu64_reg(g, OPC_ADD, 0, 1);
	to_out = gen_jmp_imm(g, OPC_JA, 0, 0);
	gen_land(g, to_null);
	gen_alu64_imm(g, OPC_MOV, 0, 0);
	gen_land(g, to_out);
}

/* The sequence's length, or 0 when it did not fit. */
static inline int gen_done(const struct gen *g)
{
	return g->overflow ? 0 : (int)g->cnt;
}

#endif /* SOPS_RT_GEN_INSN_H */
