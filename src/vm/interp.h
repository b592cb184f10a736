/* SPDX-License-Identifier: MIT */
/*
 * interp.h - the threaded interpreter's program form (internal).
 *
 * interp.c translates each instruction slot into one vm_op: the address of the
 * handler that executes it (a computed-goto label), the operand already widened
 * for its width, jump distances already in ops. The loop in interp_loop.h then
 * costs a load and an indirect jump per instruction, with no decoding.
 */
#ifndef SOPS_VM_INTERP_H
#define SOPS_VM_INTERP_H

#include <stdint.h>

struct vm_op {
	const void *h; /* handler label */
	union {
		uint64_t imm; /* operand, sign- or zero-extended as the width needs */
		void *fn;     /* helper or kfunc address */
	};
	int32_t off; /* memory displacement, or distance to the target op */
	uint8_t dst;
	uint8_t src;
	uint16_t kind; /* enum vm_kind, kept for diagnostics */
};

/* Four variants of a binary op or a conditional jump: width x operand source. */
#define VM_X4(X, n) X(n##64_K) X(n##64_X) X(n##32_K) X(n##32_X)

/* Every handler the loop has. The order is free; names tie kinds to labels. */
#define VM_KINDS(X)                                                                                \
	X(INVALID)                                                                                 \
	VM_X4(X, ADD) VM_X4(X, SUB) VM_X4(X, MUL) VM_X4(X, DIV) VM_X4(X, SDIV) VM_X4(X, MOD)       \
	VM_X4(X, SMOD) VM_X4(X, OR) VM_X4(X, AND) VM_X4(X, LSH) VM_X4(X, RSH) VM_X4(X, ARSH)       \
	VM_X4(X, XOR) VM_X4(X, MOV)                                                                \
	X(NEG64) X(NEG32) X(MOVSX8_64) X(MOVSX16_64) X(MOVSX32_64) X(MOVSX8_32) X(MOVSX16_32)      \
	X(TRUNC16) X(TRUNC32) X(NOP) X(SWAP16) X(SWAP32) X(SWAP64)                                 \
	X(LDDW)                                                                                    \
	X(LDXB) X(LDXH) X(LDXW) X(LDXDW) X(LDXSB) X(LDXSH) X(LDXSW)                                \
	X(STB) X(STH) X(STW) X(STDW) X(STXB) X(STXH) X(STXW) X(STXDW)                              \
	X(PLDXB) X(PLDXH) X(PLDXW) X(PLDXDW) X(PLDXSB) X(PLDXSH) X(PLDXSW)                         \
	X(HLDXB) X(HLDXH) X(HLDXW) X(HLDXDW)                                                       \
	X(HSTB) X(HSTH) X(HSTW) X(HSTDW) X(HSTXB) X(HSTXH) X(HSTXW) X(HSTXDW)                      \
	X(AADD32) X(AOR32) X(AAND32) X(AXOR32) X(AFADD32) X(AFOR32) X(AFAND32) X(AFXOR32)          \
	X(AXCHG32) X(ACMPXCHG32)                                                                   \
	X(AADD64) X(AOR64) X(AAND64) X(AXOR64) X(AFADD64) X(AFOR64) X(AFAND64) X(AFXOR64)          \
	X(AXCHG64) X(ACMPXCHG64)                                                                   \
	X(JA)                                                                                      \
	VM_X4(X, JEQ) VM_X4(X, JNE) VM_X4(X, JGT) VM_X4(X, JGE) VM_X4(X, JLT) VM_X4(X, JLE)        \
	VM_X4(X, JSGT) VM_X4(X, JSGE) VM_X4(X, JSLT) VM_X4(X, JSLE) VM_X4(X, JSET)                 \
	X(CALL_HELPER) X(CALL_KFUNC) X(CALL_LOCAL) X(CALLX) X(EXIT)

enum vm_kind {
#define VM_ENUM(n) VM_##n,
	VM_KINDS(VM_ENUM)
#undef VM_ENUM
	VM_KIND_CNT
};

#endif /* SOPS_VM_INTERP_H */
