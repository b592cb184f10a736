/* SPDX-License-Identifier: MIT */
/*
 * structops/insn.h - the BPF instruction as structops stores and exchanges it.
 *
 * One instruction is one 8-byte slot with the layout RFC 9669 and the Linux uapi
 * define (`struct bpf_insn`), so arrays of either type can be passed to structops
 * without conversion. A 64-bit immediate load (lddw) takes two slots.
 *
 * Opcode constants are not exported here on purpose: a host that builds bytecode
 * by hand can include <linux/bpf.h>, whose values are the same; structops keeps its
 * own copy internal so the two headers never collide.
 */
#ifndef STRUCTOPS_INSN_H
#define STRUCTOPS_INSN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the library's exported functions; everything else stays hidden. */
#ifdef SOPS_BUILD
#define SOPS_API __attribute__((visibility("default")))
#else
#define SOPS_API
#endif

/* One instruction slot: opcode, destination and source register, offset, immediate. */
struct sops_insn {
	uint8_t code;      /* class | size/op | mode/source */
	uint8_t dst_reg:4; /* destination register, r0..r10 */
	uint8_t src_reg:4; /* source register, or a pseudo kind for lddw and call */
	int16_t off;       /* signed offset: memory displacement or jump distance */
	int32_t imm;       /* signed immediate */
};

/* Size of one slot in bytes; bytecode lengths are always a multiple of it. */
#define SOPS_INSN_SIZE 8

/* Registers: r0 return value, r1-r5 arguments, r6-r9 callee-saved, r10 frame pointer. */
#define SOPS_MAX_REG 11

/* Stack bytes per BPF frame and the deepest chain of bpf-to-bpf calls. */
#define SOPS_STACK_SIZE 512
#define SOPS_MAX_CALL_FRAMES 8

/*
 * Pseudo kinds carried in src_reg of the first lddw slot. The loader (or the
 * caller's resolver) turns each into a plain 64-bit constant before execution.
 */
enum sops_ld_imm64_kind {
	SOPS_LD_IMM64_CONST = 0,     /* plain constant: imm | next.imm << 32 */
	SOPS_LD_IMM64_MAP_FD = 1,    /* imm = map handle; value = the map */
	SOPS_LD_IMM64_MAP_VALUE = 2, /* imm = map handle, next.imm = offset into value */
	SOPS_LD_IMM64_BTF_ID = 3,    /* imm = BTF type id of a host object */
	SOPS_LD_IMM64_FUNC = 4,      /* imm = slot distance to a subprogram */
	SOPS_LD_IMM64_MAP_IDX = 5,   /* imm = index into the program's map array */
	SOPS_LD_IMM64_MAP_IDX_VALUE = 6,
};

/* Kinds carried in src_reg of a call instruction (opcode 0x85). */
enum sops_call_kind {
	SOPS_CALL_HELPER = 0, /* imm = helper id */
	SOPS_CALL_LOCAL = 1,  /* imm = slot distance to a subprogram */
	SOPS_CALL_KFUNC = 2,  /* imm = BTF id of the function, off = BTF object slot */
};

/*
 * sops_insn_is_lddw - whether @insn starts a two-slot 64-bit immediate load.
 * Thread-safe (pure).
 */
static inline int sops_insn_is_lddw(const struct sops_insn *insn)
{
	return insn->code == 0x18;
}

#ifdef __cplusplus
}
#endif
#endif /* STRUCTOPS_INSN_H */
