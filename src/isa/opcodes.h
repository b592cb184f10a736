/* SPDX-License-Identifier: MIT */
/*
 * opcodes.h - the BPF opcode fields by name (internal).
 *
 * The values are fixed by RFC 9669 and match the Linux uapi. They are kept
 * internal so that public headers never clash with <linux/bpf.h>. Every module
 * that looks inside an instruction (decoder, interpreter, JIT, disassembler,
 * assembler, verifier) includes this file and nothing else for opcode facts.
 */
#ifndef SOPS_ISA_OPCODES_H
#define SOPS_ISA_OPCODES_H

#include <stdint.h>

#include <structops/insn.h>

/* Instruction classes: the low three bits of the opcode. */
#define OPC_CLASS(code) ((code) & 0x07)
#define OPC_LD 0x00
#define OPC_LDX 0x01
#define OPC_ST 0x02
#define OPC_STX 0x03
#define OPC_ALU 0x04   /* 32-bit arithmetic */
#define OPC_JMP 0x05   /* 64-bit compares, calls, exit */
#define OPC_JMP32 0x06 /* 32-bit compares, gotol */
#define OPC_ALU64 0x07

/* Arithmetic and jump classes: operation in the high four bits, source in bit 3. */
#define OPC_OP(code) ((code) & 0xf0)
#define OPC_SRC(code) ((code) & 0x08)
#define OPC_K 0x00 /* operand is imm */
#define OPC_X 0x08 /* operand is src_reg */

#define OPC_ADD 0x00
#define OPC_SUB 0x10
#define OPC_MUL 0x20
#define OPC_DIV 0x30
#define OPC_OR 0x40
#define OPC_AND 0x50
#define OPC_LSH 0x60
#define OPC_RSH 0x70
#define OPC_NEG 0x80
#define OPC_MOD 0x90
#define OPC_XOR 0xa0
#define OPC_MOV 0xb0
#define OPC_ARSH 0xc0
#define OPC_END 0xd0 /* byte swaps; bit 3 picks big endian (ALU) */
#define OPC_TO_LE 0x00
#define OPC_TO_BE 0x08

#define OPC_JA 0x00
#define OPC_JEQ 0x10
#define OPC_JGT 0x20
#define OPC_JGE 0x30
#define OPC_JSET 0x40
#define OPC_JNE 0x50
#define OPC_JSGT 0x60
#define OPC_JSGE 0x70
#define OPC_CALL 0x80
#define OPC_EXIT 0x90
#define OPC_JLT 0xa0
#define OPC_JLE 0xb0
#define OPC_JSLT 0xc0
#define OPC_JSLE 0xd0
#define OPC_CALLX 0x08 /* BPF_CALL | BPF_X: call through a register */

/* Load/store classes: mode in the high three bits, size in bits 3-4. */
#define OPC_SIZE(code) ((code) & 0x18)
#define OPC_W 0x00  /* 4 bytes */
#define OPC_H 0x08  /* 2 bytes */
#define OPC_B 0x10  /* 1 byte */
#define OPC_DW 0x18 /* 8 bytes */
#define OPC_MODE(code) ((code) & 0xe0)
#define OPC_IMM 0x00    /* lddw */
#define OPC_ABS 0x20    /* legacy packet access, not supported */
#define OPC_IND 0x40    /* legacy packet access, not supported */
#define OPC_MEM 0x60
#define OPC_MEMSX 0x80  /* sign-extending load (cpu v4) */
#define OPC_ATOMIC 0xc0
/*
 * Internal modes the verifier writes into accepted programs (never valid in
 * bytecode a user gives; isa_check_prog_internal accepts them), the role of
 * the kernel's BPF_PROBE_MEM. They mark accesses to host objects through
 * BTF-typed pointers: engines do them without the checked interpreter's
 * region test, and a probe load that faults reads 0 (src/vm/probe.c).
 */
#define OPC_BTF_MEM 0x20     /* LDX/ST/STX through a trusted host pointer: a plain access */
#define OPC_PROBE_MEM 0x40   /* LDX through a walked pointer: zero-extending probe load */
#define OPC_PROBE_MEMSX 0xa0 /* LDX through a walked pointer: sign-extending probe load */

/* Atomic operations, in imm of an OPC_STX | OPC_ATOMIC instruction. */
#define ATOMIC_FETCH 0x01
#define ATOMIC_XCHG (0xe0 | ATOMIC_FETCH)
#define ATOMIC_CMPXCHG (0xf0 | ATOMIC_FETCH)

/* Full opcodes used often enough to name. */
#define OPC_LDDW (OPC_LD | OPC_IMM | OPC_DW)
#define OPC_CALL_INSN (OPC_JMP | OPC_CALL)
#define OPC_CALLX_INSN (OPC_JMP | OPC_CALL | OPC_X)
#define OPC_EXIT_INSN (OPC_JMP | OPC_EXIT)

/* The wire bytes of a slot, spelled out so the struct's bit-field layout never matters. */
static inline void isa_slot_bytes(const struct sops_insn *insn, uint8_t b[SOPS_INSN_SIZE])
{
	uint16_t off = (uint16_t)insn->off;
	uint32_t imm = (uint32_t)insn->imm;

	b[0] = insn->code;
	b[1] = (uint8_t)(insn->src_reg << 4 | insn->dst_reg);
	b[2] = off & 0xff;
	b[3] = off >> 8;
	for (int i = 0; i < 4; i++)
		b[4 + i] = (imm >> (8 * i)) & 0xff;
}

#endif /* SOPS_ISA_OPCODES_H */
