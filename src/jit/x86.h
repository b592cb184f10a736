/* SPDX-License-Identifier: MIT */
/*
 * x86.h - a small x86-64 instruction encoder for the JIT (internal).
 *
 * Only the forms the BPF translator needs: register/register and
 * register/memory operations with REX, ModRM, SIB and displacement handled
 * in one place (x86_rm), immediates in their shortest encoding, and the
 * jump/call forms. Everything writes into a struct jit_buf whose capacity
 * the caller guarantees (see JIT_MAX_INSN_BYTES); nothing here allocates or
 * fails, which keeps the translator's passes branch-free on the error side.
 *
 * Register numbers are the hardware ones (rax 0 ... r15 15).
 */
#ifndef SOPS_JIT_X86_H
#define SOPS_JIT_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum x86_reg {
	X86_RAX = 0, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/* Condition codes, the low nibble of Jcc/SETcc/CMOVcc. */
enum x86_cc {
	X86_CC_B = 0x2, X86_CC_AE = 0x3, X86_CC_E = 0x4, X86_CC_NE = 0x5,
	X86_CC_BE = 0x6, X86_CC_A = 0x7, X86_CC_L = 0xc, X86_CC_GE = 0xd,
	X86_CC_LE = 0xe, X86_CC_G = 0xf,
};

/* Flags for x86_rm: prefixes and operand-size details. */
#define X86_W 0x01    /* REX.W: 64-bit operand */
#define X86_P66 0x02  /* 0x66: 16-bit operand */
#define X86_LOCK 0x04 /* 0xf0 lock prefix */
#define X86_BYTE 0x08 /* 8-bit register operand: spl/bpl/sil/dil need a REX */

/* Group-1 ALU operations: the /digit of 0x81/0x83 and bits 3-5 of the r/m form. */
enum x86_alu {
	X86_ADD = 0, X86_OR = 1, X86_AND = 4, X86_SUB = 5, X86_XOR = 6, X86_CMP = 7,
};

/* Group-2 shifts: the /digit of 0xc1/0xd1/0xd3. */
enum x86_shift { X86_ROL = 0, X86_ROR = 1, X86_SHL = 4, X86_SHR = 5, X86_SAR = 7 };

struct jit_buf {
	uint8_t *p;
	size_t len;
};

static inline bool x86_is_imm8(int64_t v)
{
	return v >= -128 && v <= 127;
}

static inline bool x86_is_simm32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

static inline void x86_b(struct jit_buf *b, uint8_t v)
{
	b->p[b->len++] = v;
}

static inline void x86_imm16(struct jit_buf *b, uint16_t v)
{
	b->p[b->len++] = (uint8_t)v;
	b->p[b->len++] = (uint8_t)(v >> 8);
}

static inline void x86_imm32(struct jit_buf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

static inline void x86_imm64(struct jit_buf *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

/* Base opcode of a multi-byte opcode: up to three bytes, first byte in the high bits used. */
#define X86_OP1(a) (0x01000000u | (a))
#define X86_OP2(a, b) (0x02000000u | ((a) << 8) | (b))
#define X86_OP3(a, b, c) (0x03000000u | ((a) << 16) | ((b) << 8) | (c))

/*
 * x86_rm - emit prefixes, REX, opcode and ModRM (+SIB, +disp) for an
 * instruction with a reg field @reg (a register or a /digit) and an r/m
 * operand: the register @rm when @mem is false, else [@rm + @disp].
 */
void x86_rm(struct jit_buf *b, unsigned flags, uint32_t op, int reg, int rm, bool mem, int32_t disp);

/* Register-register helpers (dst is r/m, src is reg, as in 0x01 add r/m, r). */
static inline void x86_rr(struct jit_buf *b, unsigned flags, uint32_t op, int src, int dst)
{
	x86_rm(b, flags, op, src, dst, false, 0);
}

/* mov dst, src with 64- or 32-bit width (the 32-bit form zero-extends). */
void x86_mov_rr(struct jit_buf *b, bool w64, int dst, int src);

/* dst = imm (64-bit value) in the shortest form; @w64 false means a 32-bit (zero-extending) move. */
void x86_mov_ri(struct jit_buf *b, bool w64, int dst, int64_t imm);

/* Group-1 op dst, imm (add/or/and/sub/xor/cmp) with the imm8 form when it fits. */
void x86_alu_ri(struct jit_buf *b, bool w64, enum x86_alu op, int dst, int32_t imm);

/* Group-1 op dst, src. */
void x86_alu_rr(struct jit_buf *b, bool w64, enum x86_alu op, int dst, int src);

/* Shift dst by an immediate (count already masked, nonzero), or by cl. */
void x86_shift_ri(struct jit_buf *b, bool w64, enum x86_shift op, int dst, uint8_t count);
void x86_shift_cl(struct jit_buf *b, bool w64, enum x86_shift op, int dst);

void x86_push(struct jit_buf *b, int reg);
void x86_pop(struct jit_buf *b, int reg);

/* Jumps: sizes of the forms, and emitters given the displacement from the end. */
#define X86_JMP8_LEN 2
#define X86_JMP32_LEN 5
#define X86_JCC8_LEN 2
#define X86_JCC32_LEN 6
#define X86_CALL32_LEN 5

static inline void x86_jmp8(struct jit_buf *b, int8_t rel)
{
	x86_b(b, 0xeb);
	x86_b(b, (uint8_t)rel);
}

static inline void x86_jmp32(struct jit_buf *b, int32_t rel)
{
	x86_b(b, 0xe9);
	x86_imm32(b, (uint32_t)rel);
}

static inline void x86_jcc8(struct jit_buf *b, enum x86_cc cc, int8_t rel)
{
	x86_b(b, 0x70 | cc);
	x86_b(b, (uint8_t)rel);
}

static inline void x86_jcc32(struct jit_buf *b, enum x86_cc cc, int32_t rel)
{
	x86_b(b, 0x0f);
	x86_b(b, 0x80 | cc);
	x86_imm32(b, (uint32_t)rel);
}

static inline void x86_call32(struct jit_buf *b, int32_t rel)
{
	x86_b(b, 0xe8);
	x86_imm32(b, (uint32_t)rel);
}

/* call reg (indirect). */
static inline void x86_call_r(struct jit_buf *b, int reg)
{
	x86_rm(b, 0, X86_OP1(0xff), 2, reg, false, 0);
}

static inline void x86_ret(struct jit_buf *b)
{
	x86_b(b, 0xc3);
}

#endif /* SOPS_JIT_X86_H */
