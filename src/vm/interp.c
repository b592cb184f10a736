/* SPDX-License-Identifier: MIT */
/*
 * interp.c - the threaded interpreter: translation to vm_ops and the two loops.
 *
 * Translation picks, for each slot, the handler that does exactly its work
 * (e.g. "32-bit add of an immediate") and widens the operand once, so the loop
 * never decodes. The loop itself lives in interp_loop.h and is instantiated
 * twice: fast, for verified programs, and checked, for raw bytecode.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../isa/opcodes.h"
#include "interp.h"
#include "probe.h"
#include "vm_internal.h"

/* Signed division with the kernel's answers for x/0 and INT_MIN/-1. */
static inline uint64_t sdiv64(uint64_t a, uint64_t b)
{
	if (!b)
		return 0;
	if ((int64_t)b == -1)
		return 0 - a; /* INT64_MIN / -1 wraps to INT64_MIN */
	return (uint64_t)((int64_t)a / (int64_t)b);
}

static inline uint32_t sdiv32(uint32_t a, uint32_t b)
{
	if (!b)
		return 0;
	if ((int32_t)b == -1)
		return 0 - a;
	return (uint32_t)((int32_t)a / (int32_t)b);
}

static inline uint64_t smod64(uint64_t a, uint64_t b)
{
	if (!b)
		return a;
	if ((int64_t)b == -1)
		return 0;
	return (uint64_t)((int64_t)a % (int64_t)b);
}

static inline uint32_t smod32(uint32_t a, uint32_t b)
{
	if (!b)
		return a;
	if ((int32_t)b == -1)
		return 0;
	return (uint32_t)((int32_t)a % (int32_t)b);
}

static int __attribute__((format(printf, 5, 6)))
vm_fault(struct vm_fault *fault, int err, const struct sops_vm *vm, const struct vm_op *op,
	 const char *fmt, ...)
{
	va_list ap;

	fault->err = err;
	fault->pc = (uint32_t)(op - vm->ops);
	va_start(ap, fmt);
	vsnprintf(fault->msg, sizeof(fault->msg), fmt, ap);
	va_end(ap);
	return err;
}

#define INTERP_CHECKED 0
#define INTERP_FN interp_loop_fast
#include "interp_loop.h"
#undef INTERP_CHECKED
#undef INTERP_FN

#define INTERP_CHECKED 1
#define INTERP_FN interp_loop_checked
#include "interp_loop.h"
#undef INTERP_CHECKED
#undef INTERP_FN

/* Base kind of each binary ALU op; the four variants follow it in VM_X4 order. */
static int alu_base(uint8_t op, int16_t off)
{
	switch (op) {
	case OPC_ADD: return VM_ADD64_K;
	case OPC_SUB: return VM_SUB64_K;
	case OPC_MUL: return VM_MUL64_K;
	case OPC_DIV: return off ? VM_SDIV64_K : VM_DIV64_K;
	case OPC_MOD: return off ? VM_SMOD64_K : VM_MOD64_K;
	case OPC_OR: return VM_OR64_K;
	case OPC_AND: return VM_AND64_K;
	case OPC_LSH: return VM_LSH64_K;
	case OPC_RSH: return VM_RSH64_K;
	case OPC_ARSH: return VM_ARSH64_K;
	case OPC_XOR: return VM_XOR64_K;
	case OPC_MOV: return VM_MOV64_K;
	}
	return -1;
}

static int jcc_base(uint8_t op)
{
	switch (op) {
	case OPC_JEQ: return VM_JEQ64_K;
	case OPC_JNE: return VM_JNE64_K;
	case OPC_JGT: return VM_JGT64_K;
	case OPC_JGE: return VM_JGE64_K;
	case OPC_JLT: return VM_JLT64_K;
	case OPC_JLE: return VM_JLE64_K;
	case OPC_JSGT: return VM_JSGT64_K;
	case OPC_JSGE: return VM_JSGE64_K;
	case OPC_JSLT: return VM_JSLT64_K;
	case OPC_JSLE: return VM_JSLE64_K;
	case OPC_JSET: return VM_JSET64_K;
	}
	return -1;
}

/* Offsets inside a VM_X4 group. */
static int variant(int is32, int is_reg)
{
	return (is32 ? 2 : 0) + (is_reg ? 1 : 0);
}

/* Byte-order ops: on this host, which of truncate / swap / nothing each one is. */
static int end_kind(const struct sops_insn *in)
{
	int to_be = OPC_CLASS(in->code) == OPC_ALU && OPC_SRC(in->code) == OPC_TO_BE;
	int unconditional = OPC_CLASS(in->code) == OPC_ALU64;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	int swap = to_be || unconditional;
#else
	int swap = !to_be || unconditional;
#endif
	switch (in->imm) {
	case 16: return swap ? VM_SWAP16 : VM_TRUNC16;
	case 32: return swap ? VM_SWAP32 : VM_TRUNC32;
	default: return swap ? VM_SWAP64 : VM_NOP;
	}
}

static int alu_kind(const struct sops_insn *in, struct vm_op *op)
{
	int is32 = OPC_CLASS(in->code) == OPC_ALU, is_reg = OPC_SRC(in->code) == OPC_X;
	uint8_t o = OPC_OP(in->code);
	int base;

	if (o == OPC_NEG)
		return is32 ? VM_NEG32 : VM_NEG64;
	if (o == OPC_END)
		return end_kind(in);
	if (o == OPC_MOV && in->off) {
		switch (in->off) {
		case 8: return is32 ? VM_MOVSX8_32 : VM_MOVSX8_64;
		case 16: return is32 ? VM_MOVSX16_32 : VM_MOVSX16_64;
		default: return VM_MOVSX32_64;
		}
	}
	base = alu_base(o, in->off);
	if (base < 0)
		return -1;
	/* Immediates widen once here: sign-extended for 64-bit ops, raw 32 bits otherwise. */
	op->imm = is32 ? (uint32_t)in->imm : (uint64_t)(int64_t)in->imm;
	return base + variant(is32, is_reg);
}

static int jmp_kind(const struct sops_vm *vm, size_t idx, struct vm_op *op)
{
	const struct sops_insn *in = &vm->insns[idx];
	int is32 = OPC_CLASS(in->code) == OPC_JMP32, is_reg = OPC_SRC(in->code) == OPC_X;
	uint8_t o = OPC_OP(in->code);
	int base;

	switch (o) {
	case OPC_JA:
		op->off = (is32 ? in->imm : in->off) + 1;
		return VM_JA;
	case OPC_EXIT:
		return VM_EXIT;
	case OPC_CALL:
		if (is_reg)
			return VM_CALLX;
		if (in->src_reg == SOPS_CALL_LOCAL) {
			op->off = in->imm + 1;
			return VM_CALL_LOCAL;
		}
		op->fn = vm->call_fn[idx];
		return in->src_reg == SOPS_CALL_KFUNC ? VM_CALL_KFUNC : VM_CALL_HELPER;
	}
	base = jcc_base(o);
	if (base < 0)
		return -1;
	op->off = in->off + 1;
	op->imm = is32 ? (uint32_t)in->imm : (uint64_t)(int64_t)in->imm;
	return base + variant(is32, is_reg);
}

static int mem_kind(const struct sops_vm *vm, const struct sops_insn *in, struct vm_op *op)
{
	static const int ldx[4] = { VM_LDXW, VM_LDXH, VM_LDXB, VM_LDXDW };
	static const int ldxs[4] = { VM_LDXSW, VM_LDXSH, VM_LDXSB, -1 };
	static const int st[4] = { VM_STW, VM_STH, VM_STB, VM_STDW };
	static const int stx[4] = { VM_STXW, VM_STXH, VM_STXB, VM_STXDW };
	static const int hldx[4] = { VM_HLDXW, VM_HLDXH, VM_HLDXB, VM_HLDXDW };
	static const int pldx[4] = { VM_PLDXW, VM_PLDXH, VM_PLDXB, VM_PLDXDW };
	static const int pldxs[4] = { VM_PLDXSW, VM_PLDXSH, VM_PLDXSB, -1 };
	static const int hst[4] = { VM_HSTW, VM_HSTH, VM_HSTB, VM_HSTDW };
	static const int hstx[4] = { VM_HSTXW, VM_HSTXH, VM_HSTXB, VM_HSTXDW };
	int size = OPC_SIZE(in->code) >> 3, is64 = OPC_SIZE(in->code) == OPC_DW;
	uint8_t mode = OPC_MODE(in->code);

	op->off = in->off;
	switch (OPC_CLASS(in->code)) {
	case OPC_LDX:
		if (mode == OPC_BTF_MEM)
			return vm->host_access ? hldx[size] : -1;
		if (mode == OPC_PROBE_MEM || mode == OPC_PROBE_MEMSX)
			return vm->host_access ? (mode == OPC_PROBE_MEM ? pldx : pldxs)[size] : -1;
		return mode == OPC_MEMSX ? ldxs[size] : ldx[size];
	case OPC_ST:
		op->imm = (uint64_t)(int64_t)in->imm;
		if (mode == OPC_BTF_MEM)
			return vm->host_access ? hst[size] : -1;
		return st[size];
	case OPC_STX:
		if (mode == OPC_MEM)
			return stx[size];
		if (mode == OPC_BTF_MEM)
			return vm->host_access ? hstx[size] : -1;
		break;
	default:
		return -1;
	}
	switch (in->imm) {
	case OPC_ADD: return is64 ? VM_AADD64 : VM_AADD32;
	case OPC_OR: return is64 ? VM_AOR64 : VM_AOR32;
	case OPC_AND: return is64 ? VM_AAND64 : VM_AAND32;
	case OPC_XOR: return is64 ? VM_AXOR64 : VM_AXOR32;
	case OPC_ADD | ATOMIC_FETCH: return is64 ? VM_AFADD64 : VM_AFADD32;
	case OPC_OR | ATOMIC_FETCH: return is64 ? VM_AFOR64 : VM_AFOR32;
	case OPC_AND | ATOMIC_FETCH: return is64 ? VM_AFAND64 : VM_AFAND32;
	case OPC_XOR | ATOMIC_FETCH: return is64 ? VM_AFXOR64 : VM_AFXOR32;
	case ATOMIC_XCHG: return is64 ? VM_AXCHG64 : VM_AXCHG32;
	case ATOMIC_CMPXCHG: return is64 ? VM_ACMPXCHG64 : VM_ACMPXCHG32;
	}
	return -1;
}

/* The handler kind of slot @idx, filling the operand fields of @op. */
static int translate(const struct sops_vm *vm, size_t idx, struct vm_op *op)
{
	const struct sops_insn *in = &vm->insns[idx];

	op->dst = in->dst_reg;
	op->src = in->src_reg;
	switch (OPC_CLASS(in->code)) {
	case OPC_ALU:
	case OPC_ALU64:
		return alu_kind(in, op);
	case OPC_JMP:
	case OPC_JMP32:
		return jmp_kind(vm, idx, op);
	case OPC_LD:
		if (in->code != OPC_LDDW)
			return -1;
		op->imm = (uint64_t)(uint32_t)in[0].imm | ((uint64_t)(uint32_t)in[1].imm << 32);
		return VM_LDDW;
	default:
		return mem_kind(vm, in, op);
	}
}

int interp_prepare(struct sops_vm *vm, struct sops_log *log)
{
	const void *const *labels;
	struct vm_op *ops;

	if (vm->checked)
		interp_loop_checked(NULL, NULL, NULL, 0, NULL, NULL, &labels);
	else
		interp_loop_fast(NULL, NULL, NULL, 0, NULL, NULL, &labels);

	ops = calloc(vm->insn_cnt, sizeof(*ops));
	if (!ops)
		return log_err(log, -ENOMEM, "out of memory for %zu interpreter ops", vm->insn_cnt);
	for (size_t i = 0; i < vm->insn_cnt; i++) {
		int kind = translate(vm, i, &ops[i]);

		if (kind < 0) {
			free(ops);
			return log_err(log, -EINVAL, "insn %zu: opcode 0x%02x has no interpreter handler",
				       i, vm->insns[i].code);
		}
		ops[i].kind = (uint16_t)kind;
		ops[i].h = labels[kind];
		if (kind == VM_LDDW) {
			/* The second slot is never a jump target; make reaching it loud anyway. */
			i++;
			ops[i].kind = VM_INVALID;
			ops[i].h = labels[VM_INVALID];
		}
	}
	vm->ops = ops;
	return 0;
}

void interp_release(struct sops_vm *vm)
{
	free(vm->ops);
	vm->ops = NULL;
}

__thread struct vm_stack_bounds vm_cur_stack;

int interp_run(const struct sops_vm *vm, const uint64_t args[5], const struct sops_mem_region *regions,
	       size_t region_cnt, uint64_t *ret, struct vm_fault *fault)
{
	if (vm->checked) {
		/* The loop publishes its stack; a nested run (a callback) restores the outer's. */
		struct vm_stack_bounds saved = vm_cur_stack;
		int err = interp_loop_checked(vm, args, regions, region_cnt, ret, fault, NULL);

		vm_cur_stack = saved;
		return err;
	}
	return interp_loop_fast(vm, args, regions, region_cnt, ret, fault, NULL);
}

bool sops_vm__checked_stack(uint64_t *lo, uint64_t *hi)
{
	if (!vm_cur_stack.hi)
		return false;
	*lo = vm_cur_stack.lo;
	*hi = vm_cur_stack.hi;
	return true;
}
