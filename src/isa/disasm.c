/* SPDX-License-Identifier: MIT */
/*
 * disasm.c - the disassembler: instruction slots to text in the syntax of
 * llvm-objdump and of the kernel verifier log (`r0 = *(u64 *)(r1 + 8)`,
 * `if r1 > 0x5 goto +3`, `call bpf_map_lookup_elem#1`).
 *
 * It serves `structops disasm`, verifier and checked-mode messages, and test
 * failure output, so it must print *anything*: an opcode byte it does not know,
 * or a known one whose selector field (the off of sdiv/movsx, the imm of an
 * endian or atomic op, the src of a call or lddw) has no meaning, prints as
 * `invalid opcode 0x..`. Other reserved fields are not its business; the
 * structural checker (check.c) rejects them.
 *
 * The assembler (asm.c) reads a different syntax, the conformance suite's; the
 * two meet only in tests that assemble, disassemble and compare.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <structops/asm.h>

#include "opcodes.h"
#include "../util/opts.h"

/* Longest line sops_disasm__dump() produces, raw bytes included, with margin. */
#define LINE_MAX_LEN 192

/* Assignment operators of the ALU operations, by OPC_OP(code) >> 4. */
static const char *const alu_ops[16] = {
	[OPC_ADD >> 4] = "+=", [OPC_SUB >> 4] = "-=",	[OPC_MUL >> 4] = "*=",
	[OPC_DIV >> 4] = "/=", [OPC_OR >> 4] = "|=",	[OPC_AND >> 4] = "&=",
	[OPC_LSH >> 4] = "<<=", [OPC_RSH >> 4] = ">>=", [OPC_MOD >> 4] = "%=",
	[OPC_XOR >> 4] = "^=", [OPC_MOV >> 4] = "=",	[OPC_ARSH >> 4] = "s>>=",
};

/* Comparison operators of the conditional jumps, by OPC_OP(code) >> 4. */
static const char *const jmp_ops[16] = {
	[OPC_JEQ >> 4] = "==", [OPC_JGT >> 4] = ">",	[OPC_JGE >> 4] = ">=",
	[OPC_JSET >> 4] = "&", [OPC_JNE >> 4] = "!=",	[OPC_JSGT >> 4] = "s>",
	[OPC_JSGE >> 4] = "s>=", [OPC_JLT >> 4] = "<",	[OPC_JLE >> 4] = "<=",
	[OPC_JSLT >> 4] = "s<", [OPC_JSLE >> 4] = "s<=",
};

/* Access type names by OPC_SIZE(code) >> 3, unsigned and sign-extending. */
static const char *const size_u[4] = { "u32", "u16", "u8", "u64" };
static const char *const size_s[4] = { "s32", "s16", "s8", "s64" };

static int print_invalid(const struct sops_insn *insn, char *buf, size_t size)
{
	snprintf(buf, size, "invalid opcode 0x%02x", insn->code);
	return 1;
}

/* `(r1 + 8)` / `(r10 - 8)`: the sign apart so that -32768 prints right. */
static void fmt_addr(char *buf, size_t size, unsigned int reg, int16_t off)
{
	int o = off;

	snprintf(buf, size, "(r%u %c %d)", reg, o < 0 ? '-' : '+', o < 0 ? -o : o);
}

/* A compare immediate in hex, the kernel's way: `0x5`, `-0x5`. */
static void fmt_hex_imm(char *buf, size_t size, int32_t imm)
{
	int64_t v = imm;

	snprintf(buf, size, "%s0x%" PRIx64, v < 0 ? "-" : "", (uint64_t)(v < 0 ? -v : v));
}

static int print_alu(const struct sops_insn *insn, char *buf, size_t size)
{
	bool is64 = OPC_CLASS(insn->code) == OPC_ALU64;
	char r = is64 ? 'r' : 'w';
	unsigned int op = OPC_OP(insn->code), dst = insn->dst_reg, src = insn->src_reg;
	bool x = OPC_SRC(insn->code) == OPC_X;
	const char *sym = alu_ops[op >> 4];

	switch (op) {
	case OPC_NEG:
		if (x)
			return print_invalid(insn, buf, size);
		snprintf(buf, size, "%c%u = -%c%u", r, dst, r, dst);
		return 1;
	case OPC_END:
		if (insn->imm != 16 && insn->imm != 32 && insn->imm != 64)
			return print_invalid(insn, buf, size);
		if (is64) { /* ALU64 END is the unconditional swap; only the K form exists */
			if (x)
				return print_invalid(insn, buf, size);
			snprintf(buf, size, "r%u = bswap%d r%u", dst, insn->imm, dst);
		} else {
			snprintf(buf, size, "r%u = %s%d r%u", dst, x ? "be" : "le", insn->imm, dst);
		}
		return 1;
	case OPC_DIV:
	case OPC_MOD:
		/* off picks the signed variant (cpu v4) */
		if (insn->off != 0 && insn->off != 1)
			return print_invalid(insn, buf, size);
		if (insn->off)
			sym = op == OPC_DIV ? "s/=" : "s%=";
		break;
	case OPC_MOV:
		/* off on a register move picks the sign-extended width (cpu v4) */
		if (!x || !insn->off)
			break;
		if (insn->off != 8 && insn->off != 16 && (insn->off != 32 || !is64))
			return print_invalid(insn, buf, size);
		snprintf(buf, size, "%c%u = (s%d)%c%u", r, dst, insn->off, r, src);
		return 1;
	default:
		if (!sym)
			return print_invalid(insn, buf, size);
		break;
	}
	if (x)
		snprintf(buf, size, "%c%u %s %c%u", r, dst, sym, r, src);
	else
		snprintf(buf, size, "%c%u %s %d", r, dst, sym, insn->imm);
	return 1;
}

static int print_call(const struct sops_insn *insn, char *buf, size_t size)
{
	const char *name;

	switch (insn->src_reg) {
	case SOPS_CALL_HELPER:
		name = insn->imm >= 0 ? sops_helper_name((uint32_t)insn->imm) : NULL;
		if (name)
			snprintf(buf, size, "call %s#%d", name, insn->imm);
		else
			snprintf(buf, size, "call #%d", insn->imm);
		return 1;
	case SOPS_CALL_LOCAL:
		snprintf(buf, size, "call pc%+d", insn->imm);
		return 1;
	case SOPS_CALL_KFUNC:
		/* off names the BTF object the id belongs to; 0 is the host's own */
		if (insn->off)
			snprintf(buf, size, "call kfunc#%d (btf obj %d)", insn->imm, insn->off);
		else
			snprintf(buf, size, "call kfunc#%d", insn->imm);
		return 1;
	default:
		return print_invalid(insn, buf, size);
	}
}

static int print_jmp(const struct sops_insn *insn, char *buf, size_t size)
{
	bool is32 = OPC_CLASS(insn->code) == OPC_JMP32;
	char r = is32 ? 'w' : 'r';
	unsigned int op = OPC_OP(insn->code);
	bool x = OPC_SRC(insn->code) == OPC_X;
	const char *sym = jmp_ops[op >> 4];
	char imm[24];

	switch (op) {
	case OPC_JA:
		if (x)
			return print_invalid(insn, buf, size);
		if (is32) /* gotol: the long jump keeps its distance in imm */
			snprintf(buf, size, "gotol %+d", insn->imm);
		else
			snprintf(buf, size, "goto %+d", insn->off);
		return 1;
	case OPC_CALL:
		if (is32)
			return print_invalid(insn, buf, size);
		if (x) {
			snprintf(buf, size, "callx r%u", insn->dst_reg);
			return 1;
		}
		return print_call(insn, buf, size);
	case OPC_EXIT:
		if (is32 || x)
			return print_invalid(insn, buf, size);
		snprintf(buf, size, "exit");
		return 1;
	default:
		if (!sym)
			return print_invalid(insn, buf, size);
		break;
	}
	if (x) {
		snprintf(buf, size, "if %c%u %s %c%u goto %+d", r, insn->dst_reg, sym, r, insn->src_reg,
			 insn->off);
	} else {
		fmt_hex_imm(imm, sizeof(imm), insn->imm);
		snprintf(buf, size, "if %c%u %s %s goto %+d", r, insn->dst_reg, sym, imm, insn->off);
	}
	return 1;
}

/* The two-slot 64-bit load: a constant, or a pseudo value the loader fills in. */
static int print_lddw(const struct sops_insn *insn, char *buf, size_t size)
{
	const struct sops_insn *next = insn + 1;
	unsigned int dst = insn->dst_reg;
	uint64_t v = (uint32_t)insn->imm | (uint64_t)(uint32_t)next->imm << 32;

	switch (insn->src_reg) {
	case SOPS_LD_IMM64_CONST:
		snprintf(buf, size, "r%u = 0x%" PRIx64 " ll", dst, v);
		break;
	case SOPS_LD_IMM64_MAP_FD:
		snprintf(buf, size, "r%u = map[fd:%d] ll", dst, insn->imm);
		break;
	case SOPS_LD_IMM64_MAP_VALUE:
		snprintf(buf, size, "r%u = map[fd:%d][0]+%u ll", dst, insn->imm, (uint32_t)next->imm);
		break;
	case SOPS_LD_IMM64_BTF_ID:
		snprintf(buf, size, "r%u = btf_id(%d) ll", dst, insn->imm);
		break;
	case SOPS_LD_IMM64_FUNC:
		snprintf(buf, size, "r%u = subprog[%+d] ll", dst, insn->imm);
		break;
	case SOPS_LD_IMM64_MAP_IDX:
		snprintf(buf, size, "r%u = map[idx:%d] ll", dst, insn->imm);
		break;
	case SOPS_LD_IMM64_MAP_IDX_VALUE:
		snprintf(buf, size, "r%u = map[idx:%d][0]+%u ll", dst, insn->imm, (uint32_t)next->imm);
		break;
	default:
		/* Still two slots: the second one is data, not an instruction. */
		snprintf(buf, size, "r%u = <invalid lddw src %u> ll", dst, insn->src_reg);
		break;
	}
	return 2;
}

/* Legacy packet loads (LD_ABS/LD_IND): printed for completeness, never run. */
static int print_ld(const struct sops_insn *insn, char *buf, size_t size)
{
	unsigned int sz = OPC_SIZE(insn->code) >> 3;

	switch (OPC_MODE(insn->code)) {
	case OPC_ABS:
		if (OPC_SIZE(insn->code) == OPC_DW)
			return print_invalid(insn, buf, size);
		snprintf(buf, size, "r0 = *(%s *)skb[%d]", size_u[sz], insn->imm);
		return 1;
	case OPC_IND:
		if (OPC_SIZE(insn->code) == OPC_DW)
			return print_invalid(insn, buf, size);
		snprintf(buf, size, "r0 = *(%s *)skb[r%u + %d]", size_u[sz], insn->src_reg, insn->imm);
		return 1;
	default:
		return print_invalid(insn, buf, size);
	}
}

static int print_ldx(const struct sops_insn *insn, char *buf, size_t size)
{
	unsigned int sz = OPC_SIZE(insn->code) >> 3;
	char addr[32];

	fmt_addr(addr, sizeof(addr), insn->src_reg, insn->off);
	switch (OPC_MODE(insn->code)) {
	case OPC_MEM:
		snprintf(buf, size, "r%u = *(%s *)%s", insn->dst_reg, size_u[sz], addr);
		return 1;
	case OPC_MEMSX:
		if (OPC_SIZE(insn->code) == OPC_DW)
			return print_invalid(insn, buf, size);
		snprintf(buf, size, "r%u = *(%s *)%s", insn->dst_reg, size_s[sz], addr);
		return 1;
	default:
		return print_invalid(insn, buf, size);
	}
}

static int print_st(const struct sops_insn *insn, char *buf, size_t size)
{
	char addr[32];

	if (OPC_MODE(insn->code) != OPC_MEM)
		return print_invalid(insn, buf, size);
	fmt_addr(addr, sizeof(addr), insn->dst_reg, insn->off);
	snprintf(buf, size, "*(%s *)%s = %d", size_u[OPC_SIZE(insn->code) >> 3], addr, insn->imm);
	return 1;
}

/* Atomic read-modify-write: `lock ... += r2`, or the fetch forms as calls. */
static int print_atomic(const struct sops_insn *insn, char *buf, size_t size)
{
	bool is64 = OPC_SIZE(insn->code) == OPC_DW;
	char r = is64 ? 'r' : 'w';
	const char *ty = is64 ? "u64" : "u32", *fn = is64 ? "atomic64" : "atomic";
	unsigned int src = insn->src_reg;
	const char *name, *sym;
	char addr[32];

	if (!is64 && OPC_SIZE(insn->code) != OPC_W)
		return print_invalid(insn, buf, size);
	fmt_addr(addr, sizeof(addr), insn->dst_reg, insn->off);
	switch (insn->imm) {
	case ATOMIC_XCHG:
		snprintf(buf, size, "%c%u = %s_xchg((%s *)%s, %c%u)", r, src, fn, ty, addr, r, src);
		return 1;
	case ATOMIC_CMPXCHG:
		snprintf(buf, size, "%c0 = %s_cmpxchg((%s *)%s, %c0, %c%u)", r, fn, ty, addr, r, r, src);
		return 1;
	}
	switch (insn->imm & ~ATOMIC_FETCH) {
	case OPC_ADD:
		name = "add", sym = "+=";
		break;
	case OPC_OR:
		name = "or", sym = "|=";
		break;
	case OPC_AND:
		name = "and", sym = "&=";
		break;
	case OPC_XOR:
		name = "xor", sym = "^=";
		break;
	default:
		return print_invalid(insn, buf, size);
	}
	if (insn->imm & ATOMIC_FETCH)
		snprintf(buf, size, "%c%u = %s_fetch_%s((%s *)%s, %c%u)", r, src, fn, name, ty, addr, r,
			 src);
	else
		snprintf(buf, size, "lock *(%s *)%s %s %c%u", ty, addr, sym, r, src);
	return 1;
}

static int print_stx(const struct sops_insn *insn, char *buf, size_t size)
{
	char addr[32];

	switch (OPC_MODE(insn->code)) {
	case OPC_MEM:
		fmt_addr(addr, sizeof(addr), insn->dst_reg, insn->off);
		snprintf(buf, size, "*(%s *)%s = r%u", size_u[OPC_SIZE(insn->code) >> 3], addr,
			 insn->src_reg);
		return 1;
	case OPC_ATOMIC:
		return print_atomic(insn, buf, size);
	default:
		return print_invalid(insn, buf, size);
	}
}

int sops_disasm__insn(const struct sops_insn *insns, size_t insn_cnt, size_t idx, char *buf,
		      size_t size)
{
	char dummy[1];
	const struct sops_insn *insn;

	/* Formatting into a scratch byte keeps every path below free of NULL checks. */
	if (!buf || !size) {
		buf = dummy;
		size = sizeof(dummy);
	}
	buf[0] = '\0';
	if (!insns || idx >= insn_cnt)
		return -EINVAL;
	insn = &insns[idx];
	switch (OPC_CLASS(insn->code)) {
	case OPC_LD:
		if (insn->code != OPC_LDDW)
			return print_ld(insn, buf, size);
		if (idx + 1 >= insn_cnt) {
			snprintf(buf, size, "lddw cut off: second slot missing");
			return -EINVAL;
		}
		return print_lddw(insn, buf, size);
	case OPC_LDX:
		return print_ldx(insn, buf, size);
	case OPC_ST:
		return print_st(insn, buf, size);
	case OPC_STX:
		return print_stx(insn, buf, size);
	case OPC_ALU:
	case OPC_ALU64:
		return print_alu(insn, buf, size);
	default: /* OPC_JMP, OPC_JMP32 */
		return print_jmp(insn, buf, size);
	}
}

/* Raw bytes the way llvm-objdump shows them: a two-slot lddw on one line. */
static void print_raw(FILE *out, const struct sops_insn *insns, size_t idx, int slots)
{
	uint8_t b[SOPS_INSN_SIZE];

	for (int s = 0; s < slots; s++) {
		isa_slot_bytes(&insns[idx + s], b);
		for (int i = 0; i < SOPS_INSN_SIZE; i++)
			fprintf(out, "%s%02x", s || i ? " " : "", b[i]);
	}
	fputc('\t', out);
}

int sops_disasm__dump(FILE *out, const struct sops_insn *insns, size_t insn_cnt,
		      const struct sops_disasm_opts *opts)
{
	/* Fields past an older caller's sz read as zero. */
	int show_index = OPTS_GET(opts, show_index, 0), show_raw = OPTS_GET(opts, show_raw, 0), n = 0;
	char line[LINE_MAX_LEN];
	size_t idx;

	if (!out || (!insns && insn_cnt))
		return -EINVAL;
	for (idx = 0; idx < insn_cnt; idx += n) {
		n = sops_disasm__insn(insns, insn_cnt, idx, line, sizeof(line));
		if (show_index)
			fprintf(out, "%4zu: ", idx);
		if (show_raw)
			print_raw(out, insns, idx, n > 0 ? n : 1);
		fprintf(out, "%s\n", line);
		if (n < 0)
			return n;
	}
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}
