/* SPDX-License-Identifier: MIT */
/*
 * scalar.h - the verifier's abstract domain for numbers (internal).
 *
 * A scalar register is tracked as a tnum (which bits are known, tnum.c)
 * together with four intervals: signed and unsigned, 64-bit and for the low
 * 32-bit subregister. The representations refine each other after every
 * operation (sc_sync), as the kernel's reg_bounds_sync does. Every operation
 * is sound: for any concrete inputs inside the abstract inputs, the concrete
 * result is inside the abstract result. tests/test_verifier_scalar.c checks
 * that by sampling.
 *
 * Pointer offsets reuse the same domain (a pointer's variable part).
 */
#ifndef SOPS_VERIFIER_SCALAR_H
#define SOPS_VERIFIER_SCALAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A tristate number: bit i is known to be value's bit i where mask's bit i is 0. */
struct tnum {
	uint64_t value;
	uint64_t mask;
};

struct tnum tnum_const(uint64_t v);
struct tnum tnum_unknown(void);
/* The tightest tnum holding every value of [min, max] (unsigned). */
struct tnum tnum_range(uint64_t min, uint64_t max);
struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_neg(struct tnum a);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);
struct tnum tnum_lshift(struct tnum a, uint8_t shift);
struct tnum tnum_rshift(struct tnum a, uint8_t shift);
/* Arithmetic shift right of the low @insn_bitness (32 or 64) bits. */
struct tnum tnum_arshift(struct tnum a, uint8_t shift, uint8_t insn_bitness);
/* Bits known in either (both must be consistent). */
struct tnum tnum_intersect(struct tnum a, struct tnum b);
/* Keep the low @size bytes (the rest known 0). */
struct tnum tnum_cast(struct tnum a, uint8_t size);
struct tnum tnum_subreg(struct tnum a);               /* low 32 bits */
struct tnum tnum_clear_subreg(struct tnum a);         /* high 32 bits only */
struct tnum tnum_with_subreg(struct tnum reg, struct tnum subreg);
struct tnum tnum_const_subreg(struct tnum a, uint32_t v);
bool tnum_is_const(struct tnum a);
bool tnum_equals_const(struct tnum a, uint64_t v);
bool tnum_is_unknown(struct tnum a);
/* Whether every value @b allows, @a allows too. */
bool tnum_in(struct tnum a, struct tnum b);
/* Whether every value is a multiple of @size (a power of two). */
bool tnum_is_aligned(struct tnum a, uint64_t size);
/* "(value; mask)" form, or the decimal constant. Returns snprintf's count. */
int tnum_sprint(char *buf, size_t size, struct tnum a);

/* A scalar: what the verifier knows about a 64-bit number. */
struct vscalar {
	struct tnum var_off;
	int64_t smin, smax;   /* signed 64-bit range */
	uint64_t umin, umax;  /* unsigned 64-bit range */
	int32_t s32_min, s32_max; /* signed range of the low 32 bits */
	uint32_t u32_min, u32_max;
};

/* Anything at all. */
void sc_unknown(struct vscalar *s);
/* Exactly @v. */
void sc_const(struct vscalar *s, uint64_t v);
/* Exactly @v in the low 32 bits, upper 32 bits zero. */
void sc_const32(struct vscalar *s, uint32_t v);
bool sc_is_const(const struct vscalar *s);
/* The value of a constant (only meaningful when sc_is_const). */
uint64_t sc_value(const struct vscalar *s);
/* Any value of @size bytes zero-extended to 64 bits (a load of 1, 2, 4 or 8 bytes). */
void sc_unknown_size(struct vscalar *s, uint8_t size);
/* Any value of @size bytes sign-extended to 64 bits (BPF_MEMSX). */
void sc_unknown_sext(struct vscalar *s, uint8_t size);
/* Keep the low 32 bits, zero the rest (what every 32-bit ALU result does). */
void sc_zext32(struct vscalar *s);
/* Truncate to the low @size bytes, zero-extended (narrow stack spill fill, stores). */
void sc_truncate(struct vscalar *s, uint8_t size);
/* Re-derive every representation from the others until they agree. */
void sc_sync(struct vscalar *s);

/*
 * dst = dst OP src with BPF semantics (OPC_ADD .. OPC_ARSH from opcodes.h,
 * except MOV, NEG and END, which have their own calls): 64-bit, or on the
 * low 32 bits with a zero-extended result when @alu32. Division and modulo
 * by zero follow BPF (x/0 = 0, x%0 = x); shifts use the count modulo the
 * width, as the interpreter and the JIT do. Never fails.
 */
void sc_alu(struct vscalar *dst, const struct vscalar *src, uint8_t op, bool alu32);
/* Signed division and modulo (ALU with off = 1, cpu v4). */
void sc_sdivmod(struct vscalar *dst, const struct vscalar *src, uint8_t op, bool alu32);
void sc_neg(struct vscalar *dst, bool alu32);
/* Byte swap to @bits (16, 32, 64): to big endian when @to_be, else to little (a truncation on x86). */
void sc_bswap(struct vscalar *dst, uint32_t bits, bool to_be);
/* movsx: sign-extend the low @bits (8, 16, 32) of @src; 32-bit result zero-extended when @alu32. */
void sc_movsx(struct vscalar *dst, const struct vscalar *src, uint8_t bits, bool alu32);

/*
 * Branch outcome of "if a OP b" (OPC_JEQ .. OPC_JSLE, 64-bit or on the low
 * 32 bits when @jmp32): 1 always taken, 0 never taken, -1 either.
 */
int sc_branch(const struct vscalar *a, const struct vscalar *b, uint8_t op, bool jmp32);
/*
 * Narrow @a and @b to what holds on the branch where "a OP b" is @taken.
 * Returns false when that branch is impossible (the states contradict).
 */
bool sc_refine(struct vscalar *a, struct vscalar *b, uint8_t op, bool jmp32, bool taken);

/* Pruning: every value @cur allows, @old allows too (old's range contains cur's). */
bool sc_within(const struct vscalar *old, const struct vscalar *cur);
bool sc_equal(const struct vscalar *a, const struct vscalar *b);
/* The kernel log's form: "123", or "scalar(smin=..,umax=..,var_off=(..; ..))"'s inside. */
int sc_sprint(char *buf, size_t size, const struct vscalar *s);

#endif /* SOPS_VERIFIER_SCALAR_H */
