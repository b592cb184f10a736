/* SPDX-License-Identifier: MIT */
/*
 * check.c - structural validity of BPF bytecode (see check.h).
 *
 * Each rule here is one RFC 9669 requirement or one of the kernel's checks that
 * runs before its verifier walks the program. Reserved fields must be zero so
 * that a later ISA extension cannot be misread as an old instruction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "opcodes.h"

#define BAD(log, idx, ...) bad_insn(log, idx, __VA_ARGS__)

static int __attribute__((format(printf, 3, 4))) bad_insn(struct sops_log *log, size_t idx,
							  const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return log_err(log, -EINVAL, "insn %zu: %s", idx, msg);
}

bool isa_is_local_call(const struct sops_insn *insn)
{
	return insn->code == OPC_CALL_INSN && insn->src_reg == SOPS_CALL_LOCAL;
}

long isa_jump_target(const struct sops_insn *insn, size_t idx)
{
	/* gotol and local calls carry the distance in imm, other jumps in off. */
	if (insn->code == (OPC_JMP32 | OPC_JA) || isa_is_local_call(insn))
		return (long)idx + 1 + insn->imm;
	return (long)idx + 1 + insn->off;
}

static int check_regs(const struct sops_insn *in, size_t idx, bool writes_dst, bool reads_src,
		      struct sops_log *log)
{
	if (in->dst_reg >= SOPS_MAX_REG)
		return BAD(log, idx, "invalid register r%u", in->dst_reg);
	if (writes_dst && in->dst_reg == 10)
		return BAD(log, idx, "frame pointer r10 is read-only");
	if (reads_src && in->src_reg >= SOPS_MAX_REG)
		return BAD(log, idx, "invalid register r%u", in->src_reg);
	if (!reads_src && in->src_reg)
		return BAD(log, idx, "reserved src_reg field is %u, must be 0", in->src_reg);
	return 0;
}

static int check_alu(const struct sops_insn *in, size_t idx, struct sops_log *log)
{
	bool is64 = OPC_CLASS(in->code) == OPC_ALU64;
	bool x = OPC_SRC(in->code) == OPC_X;
	uint8_t op = OPC_OP(in->code);

	switch (op) {
	case OPC_NEG:
		if (x || in->imm || in->off)
			return BAD(log, idx, "neg takes no operand: src, off and imm must be 0");
		return check_regs(in, idx, true, false, log);
	case OPC_END:
		if (is64 && x)
			return BAD(log, idx, "invalid opcode 0x%02x", in->code);
		if (in->imm != 16 && in->imm != 32 && in->imm != 64)
			return BAD(log, idx, "byte swap width must be 16, 32 or 64, not %d", in->imm);
		if (in->off)
			return BAD(log, idx, "reserved off field is %d, must be 0", in->off);
		return check_regs(in, idx, true, false, log);
	case OPC_DIV:
	case OPC_MOD:
		/* off = 1 selects the signed variant (cpu v4). */
		if (in->off != 0 && in->off != 1)
			return BAD(log, idx, "division off must be 0 (unsigned) or 1 (signed), not %d",
				   in->off);
		break;
	case OPC_MOV:
		/* off = 8/16/32 selects movsx (cpu v4); 32 only makes sense in 64-bit mov. */
		if (in->off && (!x || !(in->off == 8 || in->off == 16 || (is64 && in->off == 32))))
			return BAD(log, idx, "invalid movsx width %d", in->off);
		break;
	case OPC_ADD: case OPC_SUB: case OPC_MUL: case OPC_OR: case OPC_AND:
	case OPC_LSH: case OPC_RSH: case OPC_XOR: case OPC_ARSH:
		if (in->off)
			return BAD(log, idx, "reserved off field is %d, must be 0", in->off);
		break;
	default:
		return BAD(log, idx, "invalid opcode 0x%02x", in->code);
	}
	if (x && in->imm)
		return BAD(log, idx, "reserved imm field is %d, must be 0", in->imm);
	return check_regs(in, idx, true, x, log);
}

static int check_jmp(const struct sops_insn *insns, size_t idx, struct sops_log *log)
{
	const struct sops_insn *in = &insns[idx];
	bool is32 = OPC_CLASS(in->code) == OPC_JMP32;
	bool x = OPC_SRC(in->code) == OPC_X;

	switch (OPC_OP(in->code)) {
	case OPC_JA:
		if (x || in->dst_reg || in->src_reg || (is32 ? in->off : in->imm))
			return BAD(log, idx, "reserved fields of %s must be 0", is32 ? "gotol" : "ja");
		return 0;
	case OPC_CALL:
		if (is32)
			break;
		if (x) {
			/* callx: the register (in dst) holds a helper id. */
			if (in->src_reg || in->off || in->imm)
				return BAD(log, idx, "callx takes only a register");
			return check_regs(in, idx, false, false, log);
		}
		if (in->dst_reg)
			return BAD(log, idx, "reserved dst_reg field of call is %u, must be 0", in->dst_reg);
		if (in->src_reg > SOPS_CALL_KFUNC)
			return BAD(log, idx, "invalid call kind src_reg=%u", in->src_reg);
		if (in->off && in->src_reg != SOPS_CALL_KFUNC)
			return BAD(log, idx, "reserved off field of call is %d, must be 0", in->off);
		return 0;
	case OPC_EXIT:
		if (is32 || x)
			break;
		if (in->dst_reg || in->src_reg || in->off || in->imm)
			return BAD(log, idx, "reserved fields of exit must be 0");
		return 0;
	case OPC_JEQ: case OPC_JGT: case OPC_JGE: case OPC_JSET: case OPC_JNE:
	case OPC_JSGT: case OPC_JSGE: case OPC_JLT: case OPC_JLE: case OPC_JSLT: case OPC_JSLE:
		if (x && in->imm)
			return BAD(log, idx, "reserved imm field is %d, must be 0", in->imm);
		return check_regs(in, idx, false, x, log);
	}
	return BAD(log, idx, "invalid opcode 0x%02x", in->code);
}

static int check_lddw(const struct sops_insn *insns, size_t cnt, size_t idx, struct sops_log *log)
{
	const struct sops_insn *in = &insns[idx], *next;

	if (idx + 1 >= cnt)
		return BAD(log, idx, "lddw is missing its second slot");
	next = in + 1;
	if (next->code || next->dst_reg || next->src_reg || next->off)
		return BAD(log, idx, "second slot of lddw must hold only the high 32 bits");
	if (in->off)
		return BAD(log, idx, "reserved off field of lddw is %d, must be 0", in->off);
	if (in->src_reg > SOPS_LD_IMM64_MAP_IDX_VALUE)
		return BAD(log, idx, "invalid lddw pseudo kind src_reg=%u", in->src_reg);
	if (in->dst_reg >= SOPS_MAX_REG)
		return BAD(log, idx, "invalid register r%u", in->dst_reg);
	if (in->dst_reg == 10)
		return BAD(log, idx, "frame pointer r10 is read-only");
	return 0;
}

/* The verifier's access modes for host objects (opcodes.h), in programs it accepted. */
static bool internal_mode(uint8_t cls, uint8_t mode, uint8_t size)
{
	if (cls == OPC_LDX)
		return mode == OPC_BTF_MEM || mode == OPC_PROBE_MEM ||
		       (mode == OPC_PROBE_MEMSX && size != OPC_DW);
	return (cls == OPC_ST || cls == OPC_STX) && mode == OPC_BTF_MEM;
}

static int check_mem(const struct sops_insn *in, size_t idx, bool internal, struct sops_log *log)
{
	uint8_t cls = OPC_CLASS(in->code), mode = OPC_MODE(in->code), size = OPC_SIZE(in->code);

	if (internal && internal_mode(cls, mode, size))
		mode = cls == OPC_LDX && mode == OPC_PROBE_MEMSX ? OPC_MEMSX : OPC_MEM;
	switch (cls) {
	case OPC_LDX:
		if (mode != OPC_MEM && !(mode == OPC_MEMSX && size != OPC_DW))
			break;
		if (in->imm)
			return BAD(log, idx, "reserved imm field of a load must be 0");
		return check_regs(in, idx, true, true, log);
	case OPC_ST:
		if (mode != OPC_MEM)
			break;
		return check_regs(in, idx, false, false, log);
	case OPC_STX:
		if (mode == OPC_MEM) {
			if (in->imm)
				return BAD(log, idx, "reserved imm field of a store must be 0");
			return check_regs(in, idx, false, true, log);
		}
		if (mode != OPC_ATOMIC)
			break;
		if (size != OPC_W && size != OPC_DW)
			return BAD(log, idx, "atomics operate on 32 or 64 bits only");
		switch (in->imm) {
		case OPC_ADD: case OPC_OR: case OPC_AND: case OPC_XOR:
		case OPC_ADD | ATOMIC_FETCH: case OPC_OR | ATOMIC_FETCH:
		case OPC_AND | ATOMIC_FETCH: case OPC_XOR | ATOMIC_FETCH:
		case ATOMIC_XCHG: case ATOMIC_CMPXCHG:
			return check_regs(in, idx, false, true, log);
		}
		return BAD(log, idx, "invalid atomic operation 0x%x", (unsigned)in->imm);
	}
	if (mode == OPC_ABS || mode == OPC_IND)
		return BAD(log, idx, "legacy packet access (opcode 0x%02x) is not supported",
			   in->code);
	return BAD(log, idx, "invalid opcode 0x%02x", in->code);
}

static int check_insn(const struct sops_insn *insns, size_t cnt, size_t idx, bool internal,
		      struct sops_log *log)
{
	const struct sops_insn *in = &insns[idx];

	switch (OPC_CLASS(in->code)) {
	case OPC_ALU:
	case OPC_ALU64:
		return check_alu(in, idx, log);
	case OPC_JMP:
	case OPC_JMP32:
		return check_jmp(insns, idx, log);
	case OPC_LD:
		if (in->code == OPC_LDDW)
			return check_lddw(insns, cnt, idx, log);
		return check_mem(in, idx, internal, log);
	default:
		return check_mem(in, idx, internal, log);
	}
}

int isa_check_insn(const struct sops_insn *insns, size_t cnt, size_t idx, struct sops_log *log)
{
	return check_insn(insns, cnt, idx, false, log);
}

/* Whether control can continue from @in to the next slot. */
static bool falls_through(const struct sops_insn *in)
{
	if (in->code == OPC_EXIT_INSN || in->code == (OPC_JMP | OPC_JA) ||
	    in->code == (OPC_JMP32 | OPC_JA))
		return false;
	return true;
}

bool isa_is_jump(const struct sops_insn *in)
{
	uint8_t cls = OPC_CLASS(in->code), op = OPC_OP(in->code);

	return (cls == OPC_JMP || cls == OPC_JMP32) && op != OPC_CALL && op != OPC_EXIT;
}

/*
 * Marks subprogram starts: slot 0 and every target of a local call or of a
 * function-address lddw. Fails on a target outside the program or inside an lddw.
 */
static int mark_subprogs(const struct sops_insn *insns, size_t cnt, const bool *lddw_tail,
			 bool *starts, struct sops_log *log)
{
	starts[0] = true;
	for (size_t i = 0; i < cnt; i++) {
		const struct sops_insn *in = &insns[i];
		long t;

		if (isa_is_local_call(in))
			t = isa_jump_target(in, i);
		else if (in->code == OPC_LDDW && in->src_reg == SOPS_LD_IMM64_FUNC)
			t = (long)i + 1 + in->imm;
		else
			continue;
		if (t < 0 || (size_t)t >= cnt || lddw_tail[t])
			return BAD(log, i, "call target %ld is outside the program", t);
		starts[t] = true;
	}
	return 0;
}

static int check_prog(const struct sops_insn *insns, size_t cnt, bool internal, struct sops_log *log)
{
	bool *lddw_tail = NULL, *starts = NULL;
	size_t i, sub_start = 0, sub_end = 0;
	int err = 0;

	if (!insns || !cnt)
		return log_err(log, -EINVAL, "empty program");
	lddw_tail = calloc(cnt, sizeof(*lddw_tail));
	starts = calloc(cnt + 1, sizeof(*starts));
	if (!lddw_tail || !starts) {
		err = log_err(log, -ENOMEM, "out of memory checking %zu instructions", cnt);
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		err = check_insn(insns, cnt, i, internal, log);
		if (err)
			goto out;
		if (insns[i].code == OPC_LDDW)
			lddw_tail[++i] = true;
	}
	err = mark_subprogs(insns, cnt, lddw_tail, starts, log);
	if (err)
		goto out;
	starts[cnt] = true;

	for (i = 0; i < cnt; i++) {
		const struct sops_insn *in = &insns[i];
		size_t last = i + (in->code == OPC_LDDW);

		if (starts[i]) {
			sub_start = i;
			for (sub_end = i + 1; !starts[sub_end]; sub_end++)
				;
		}
		if (isa_is_jump(in)) {
			long t = isa_jump_target(in, i);

			if (t < (long)sub_start || t >= (long)sub_end || lddw_tail[t]) {
				err = BAD(log, i, "jump to %ld leaves its subprogram [%zu, %zu) or lands inside an lddw",
					  t, sub_start, sub_end);
				goto out;
			}
		}
		if (starts[last + 1] && falls_through(in)) {
			err = BAD(log, i, "%s falls off its end: the last instruction must be exit or a jump",
				  last + 1 == cnt ? "the program" : "a subprogram");
			goto out;
		}
		i = last;
	}
out:
	free(lddw_tail);
	free(starts);
	return err;
}

int isa_check_prog(const struct sops_insn *insns, size_t cnt, struct sops_log *log)
{
	return check_prog(insns, cnt, false, log);
}

int isa_check_prog_internal(const struct sops_insn *insns, size_t cnt, struct sops_log *log)
{
	return check_prog(insns, cnt, true, log);
}
