/* SPDX-License-Identifier: MIT */
/*
 * test_asm.c - unit tests of the assembler (src/isa/asm.c).
 *
 * Every statement form of the conformance syntax table
 * (../shared/conformance/README.md, section 2) is checked against the bytes the
 * table prescribes, written out here as literal numbers rather than through
 * opcodes.h, so a wrong constant there cannot hide a wrong encoding. Then
 * labels, every error path, hostile text, and the 313 conformance files
 * (slot counts against MANIFEST.tsv, lddw.data against its `-- raw` words).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <structops/asm.h>

#include "conformance.h"
#include "test.h"

struct enc {
	const char *text;
	uint8_t code, dst, src;
	int16_t off;
	int32_t imm;
};

/* Assemble @text; on success the caller frees *insns. Message in @err. */
static int assemble(const char *text, struct sops_insn **insns, size_t *cnt, char *err, size_t size)
{
	*insns = NULL;
	*cnt = 0;
	return sops_asm__parse(text, insns, cnt, err, size);
}

/* Whether a slot has exactly these fields. */
static bool slot_eq(const struct sops_insn *in, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
		    int32_t imm)
{
	return in->code == code && in->dst_reg == dst && in->src_reg == src && in->off == off &&
	       in->imm == imm;
}

#define T_SLOT(in, c, d, s, o, i)                                                                  \
	do {                                                                                       \
		const struct sops_insn *s_ = (in);                                                 \
		if (!slot_eq(s_, (c), (d), (s), (o), (i)))                                         \
			T_FAIL("%s: got code 0x%02x dst %u src %u off %d imm %d, expected code "   \
			       "0x%02x dst %u src %u off %d imm %d",                               \
			       #in, s_->code, s_->dst_reg, s_->src_reg, s_->off, s_->imm, (c), (d),  \
			       (s), (o), (i));                                                     \
	} while (0)

/* Assemble a one-statement program and check it gives exactly one slot @e. */
static int check_enc(const struct enc *e, char *why, size_t size)
{
	struct sops_insn *insns;
	char err[256];
	size_t cnt;
	int ret = assemble(e->text, &insns, &cnt, err, sizeof(err));

	if (ret) {
		snprintf(why, size, "'%s' failed: %d %s", e->text, ret, err);
		return -1;
	}
	if (cnt != 1 || !slot_eq(&insns[0], e->code, e->dst, e->src, e->off, e->imm)) {
		snprintf(why, size,
			 "'%s': %zu slot(s), code 0x%02x dst %u src %u off %d imm %d; expected code 0x%02x "
			 "dst %u src %u off %d imm %d",
			 e->text, cnt, insns[0].code, insns[0].dst_reg, insns[0].src_reg, insns[0].off,
			 insns[0].imm, e->code, e->dst, e->src, e->off, e->imm);
		free(insns);
		return -1;
	}
	free(insns);
	return 0;
}

/* Literal rows straight from the README table. */
static const struct enc literal_encodings[] = {
	{ "mov %r0, 1", 0xb7, 0, 0, 0, 1 },
	{ "mov %r0, %r1", 0xbf, 0, 1, 0, 0 },
	{ "mov32 %r2, -1", 0xb4, 2, 0, 0, -1 },
	{ "mov %r0, 0x80000000", 0xb7, 0, 0, 0, INT32_MIN },
	{ "mov %r0, 0xffffffff", 0xb7, 0, 0, 0, -1 },
	{ "mov %r0, 4294967295", 0xb7, 0, 0, 0, -1 },
	{ "mov %r0, -2147483648", 0xb7, 0, 0, 0, INT32_MIN },
	{ "add64 %r10, %r9", 0x0f, 10, 9, 0, 0 },
	{ "arsh32 %r1, 3", 0xc4, 1, 0, 0, 3 },
	{ "neg %r3", 0x87, 3, 0, 0, 0 },
	{ "neg64 %r3", 0x87, 3, 0, 0, 0 },
	{ "neg32 %r3", 0x84, 3, 0, 0, 0 },
	{ "sdiv %r0, %r1", 0x3f, 0, 1, 1, 0 },
	{ "sdiv %r0, -3", 0x37, 0, 0, 1, -3 },
	{ "sdiv32 %r0, %r1", 0x3c, 0, 1, 1, 0 },
	{ "sdiv64 %r0, 7", 0x37, 0, 0, 1, 7 },
	{ "smod %r0, %r1", 0x9f, 0, 1, 1, 0 },
	{ "smod32 %r0, 5", 0x94, 0, 0, 1, 5 },
	{ "smod64 %r0, %r2", 0x9f, 0, 2, 1, 0 },
	{ "movsx832 %r0, %r1", 0xbc, 0, 1, 8, 0 },
	{ "movsx1632 %r0, %r1", 0xbc, 0, 1, 16, 0 },
	{ "movsx864 %r0, %r1", 0xbf, 0, 1, 8, 0 },
	{ "movsx1664 %r0, %r1", 0xbf, 0, 1, 16, 0 },
	{ "movsx3264 %r0, %r1", 0xbf, 0, 1, 32, 0 },
	{ "le16 %r0", 0xd4, 0, 0, 0, 16 },
	{ "le32 %r1", 0xd4, 1, 0, 0, 32 },
	{ "le64 %r2", 0xd4, 2, 0, 0, 64 },
	{ "be16 %r0", 0xdc, 0, 0, 0, 16 },
	{ "be32 %r1", 0xdc, 1, 0, 0, 32 },
	{ "be64 %r2", 0xdc, 2, 0, 0, 64 },
	{ "swap16 %r0", 0xd7, 0, 0, 0, 16 },
	{ "swap32 %r0", 0xd7, 0, 0, 0, 32 },
	{ "swap64 %r0", 0xd7, 0, 0, 0, 64 },
	{ "bswap16 %r3", 0xd7, 3, 0, 0, 16 },
	{ "bswap32 %r3", 0xd7, 3, 0, 0, 32 },
	{ "bswap64 %r3", 0xd7, 3, 0, 0, 64 },
	{ "ldxb %r0, [%r1+8]", 0x71, 0, 1, 8, 0 },
	{ "ldxh %r0, [%r1-2]", 0x69, 0, 1, -2, 0 },
	{ "ldxw %r0, [%r1]", 0x61, 0, 1, 0, 0 },
	{ "ldxdw %r9, [%r10-512]", 0x79, 9, 10, -512, 0 },
	{ "ldxb %r0, [%r0+0x1]", 0x71, 0, 0, 1, 0 },
	{ "ldxdw %r0, [%r1+0xffff]", 0x79, 0, 1, -1, 0 },
	{ "ldxdw %r0, [%r1+32767]", 0x79, 0, 1, 32767, 0 },
	{ "ldxdw %r0, [%r1-32768]", 0x79, 0, 1, -32768, 0 },
	{ "ldxdw %r0, [ %r1 + 8 ]", 0x79, 0, 1, 8, 0 },
	{ "ldxsb %r0, [%r10-1]", 0x91, 0, 10, -1, 0 },
	{ "ldxsh %r0, [%r10-2]", 0x89, 0, 10, -2, 0 },
	{ "ldxsw %r0, [%r10-4]", 0x81, 0, 10, -4, 0 },
	{ "stb [%r10-1], 0xff", 0x72, 10, 0, -1, 255 },
	{ "sth [%r1], 0x1234", 0x6a, 1, 0, 0, 0x1234 },
	{ "stw [%r1+4], -5", 0x62, 1, 0, 4, -5 },
	{ "stdw [%r10-8], 0x11223344", 0x7a, 10, 0, -8, 0x11223344 },
	{ "stxb [%r1+2], %r3", 0x73, 1, 3, 2, 0 },
	{ "stxh [%r1+2], %r3", 0x6b, 1, 3, 2, 0 },
	{ "stxw [%r1+2], %r3", 0x63, 1, 3, 2, 0 },
	{ "stxdw [%r10-8], %r3", 0x7b, 10, 3, -8, 0 },
	{ "lock add [%r10-8], %r1", 0xdb, 10, 1, -8, 0x00 },
	{ "lock or [%r10-8], %r1", 0xdb, 10, 1, -8, 0x40 },
	{ "lock and [%r10-8], %r1", 0xdb, 10, 1, -8, 0x50 },
	{ "lock xor [%r10-8], %r1", 0xdb, 10, 1, -8, 0xa0 },
	{ "lock fetch add [%r10-8], %r1", 0xdb, 10, 1, -8, 0x01 },
	{ "lock fetch or [%r10-8], %r1", 0xdb, 10, 1, -8, 0x41 },
	{ "lock fetch and [%r10-8], %r1", 0xdb, 10, 1, -8, 0x51 },
	{ "lock fetch xor [%r10-8], %r1", 0xdb, 10, 1, -8, 0xa1 },
	{ "lock add32 [%r1], %r2", 0xc3, 1, 2, 0, 0x00 },
	{ "lock or32 [%r1], %r2", 0xc3, 1, 2, 0, 0x40 },
	{ "lock and32 [%r1], %r2", 0xc3, 1, 2, 0, 0x50 },
	{ "lock xor32 [%r1], %r2", 0xc3, 1, 2, 0, 0xa0 },
	{ "lock fetch add32 [%r1], %r2", 0xc3, 1, 2, 0, 0x01 },
	{ "lock fetch or32 [%r1], %r2", 0xc3, 1, 2, 0, 0x41 },
	{ "lock fetch and32 [%r1], %r2", 0xc3, 1, 2, 0, 0x51 },
	{ "lock fetch xor32 [%r1], %r2", 0xc3, 1, 2, 0, 0xa1 },
	{ "lock xchg [%r10-8], %r1", 0xdb, 10, 1, -8, 0xe1 },
	{ "lock xchg32 [%r10-8], %r1", 0xc3, 10, 1, -8, 0xe1 },
	{ "lock cmpxchg [%r10-8], %r1", 0xdb, 10, 1, -8, 0xf1 },
	{ "lock cmpxchg32 [%r10-8], %r1", 0xc3, 10, 1, -8, 0xf1 },
	{ "ja +3", 0x05, 0, 0, 3, 0 },
	{ "ja -1", 0x05, 0, 0, -1, 0 },
	{ "ja32 +70000", 0x06, 0, 0, 0, 70000 },
	{ "ja32 -2", 0x06, 0, 0, 0, -2 },
	{ "jeq %r1, 5, +3", 0x15, 1, 0, 3, 5 },
	{ "jsge %r1, 0xffffffff, +1", 0x75, 1, 0, 1, -1 },
	{ "jslt32 %r1, %r2, -4", 0xce, 1, 2, -4, 0 },
	{ "call 1", 0x85, 0, 0, 0, 1 },
	{ "call helper 5", 0x85, 0, 0, 0, 5 },
	{ "call runtime 42", 0x85, 0, 2, 0, 42 },
	{ "call local +5", 0x85, 0, 1, 0, 5 },
	{ "call %r2", 0x8d, 2, 0, 0, 0 },
	{ "call helper %r7", 0x8d, 7, 0, 0, 0 },
	{ "exit", 0x95, 0, 0, 0, 0 },
	/* Leniencies: no space after a comma, registers without %, comments. */
	{ "add %r0,%r1", 0x0f, 0, 1, 0, 0 },
	{ "  add r0 , r1   # comment", 0x0f, 0, 1, 0, 0 },
	{ "mov %r0, 1\r", 0xb7, 0, 0, 0, 1 },
};

TEST(asm_encodes_table_literals)
{
	char why[512];

	for (size_t i = 0; i < sizeof(literal_encodings) / sizeof(literal_encodings[0]); i++)
		if (check_enc(&literal_encodings[i], why, sizeof(why)))
			T_FAIL("%s", why);
}

/* ALU: every operation, both operand kinds, every width suffix. */
TEST(asm_encodes_every_alu_op)
{
	static const struct {
		const char *name;
		uint8_t op;
	} ops[] = {
		{ "add", 0x00 }, { "sub", 0x10 }, { "mul", 0x20 }, { "div", 0x30 },
		{ "or", 0x40 },	 { "and", 0x50 }, { "lsh", 0x60 }, { "rsh", 0x70 },
		{ "mod", 0x90 }, { "xor", 0xa0 }, { "mov", 0xb0 }, { "arsh", 0xc0 },
	};
	static const struct {
		const char *suffix;
		uint8_t cls;
	} widths[] = { { "", 0x07 }, { "32", 0x04 }, { "64", 0x07 } };
	char text[64], why[512];
	struct enc e;

	for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		for (size_t w = 0; w < 3; w++) {
			snprintf(text, sizeof(text), "%s%s %%r3, %%r4", ops[o].name, widths[w].suffix);
			e = (struct enc){ text, ops[o].op | widths[w].cls | 0x08, 3, 4, 0, 0 };
			if (check_enc(&e, why, sizeof(why)))
				T_FAIL("%s", why);
			snprintf(text, sizeof(text), "%s%s %%r5, -7", ops[o].name, widths[w].suffix);
			e = (struct enc){ text, ops[o].op | widths[w].cls, 5, 0, 0, -7 };
			if (check_enc(&e, why, sizeof(why)))
				T_FAIL("%s", why);
		}
	}
}

/* Conditional jumps: every condition, register and immediate, 64 and 32 bit. */
TEST(asm_encodes_every_jump)
{
	static const struct {
		const char *cc;
		uint8_t op;
	} ccs[] = {
		{ "eq", 0x10 },	 { "gt", 0x20 },  { "ge", 0x30 },  { "set", 0x40 },
		{ "ne", 0x50 },	 { "sgt", 0x60 }, { "sge", 0x70 }, { "lt", 0xa0 },
		{ "le", 0xb0 },	 { "slt", 0xc0 }, { "sle", 0xd0 },
	};
	char text[64], why[512];
	struct enc e;

	for (size_t c = 0; c < sizeof(ccs) / sizeof(ccs[0]); c++) {
		for (int w = 0; w < 2; w++) {
			uint8_t cls = w ? 0x06 : 0x05;

			snprintf(text, sizeof(text), "j%s%s %%r1, %%r2, +7", ccs[c].cc, w ? "32" : "");
			e = (struct enc){ text, ccs[c].op | cls | 0x08, 1, 2, 7, 0 };
			if (check_enc(&e, why, sizeof(why)))
				T_FAIL("%s", why);
			snprintf(text, sizeof(text), "j%s%s %%r9, -3, -2", ccs[c].cc, w ? "32" : "");
			e = (struct enc){ text, ccs[c].op | cls, 9, 0, -2, -3 };
			if (check_enc(&e, why, sizeof(why)))
				T_FAIL("%s", why);
		}
	}
}

TEST(asm_lddw_two_slots)
{
	struct sops_insn *in;
	char err[256];
	size_t cnt;

	T_EQ(assemble("lddw %r1, 0x1122334455667788\nexit", &in, &cnt, err, sizeof(err)), 0);
	T_EQ(cnt, 3);
	T_SLOT(&in[0], 0x18, 1, 0, 0, 0x55667788);
	T_SLOT(&in[1], 0x00, 0, 0, 0, 0x11223344);
	T_SLOT(&in[2], 0x95, 0, 0, 0, 0);
	free(in);

	T_EQ(assemble("lddw %r0, -1", &in, &cnt, err, sizeof(err)), 0);
	T_EQ(cnt, 2);
	T_SLOT(&in[0], 0x18, 0, 0, 0, -1);
	T_SLOT(&in[1], 0x00, 0, 0, 0, -1);
	free(in);

	T_EQ(assemble("lddw %r0, 2147483648", &in, &cnt, err, sizeof(err)), 0);
	T_SLOT(&in[0], 0x18, 0, 0, 0, INT32_MIN);
	T_SLOT(&in[1], 0x00, 0, 0, 0, 0);
	free(in);

	T_EQ(assemble("lddw %r0, 0xFFFFFFFFFFFFFFFF", &in, &cnt, err, sizeof(err)), 0);
	T_SLOT(&in[1], 0x00, 0, 0, 0, -1);
	free(in);

	T_EQ(assemble("lddw %r0, 18446744073709551615\nlddw %r2, -9223372036854775808", &in, &cnt,
		      err, sizeof(err)),
	     0);
	T_EQ(cnt, 4);
	T_SLOT(&in[1], 0x00, 0, 0, 0, -1);
	T_SLOT(&in[2], 0x18, 2, 0, 0, 0);
	T_SLOT(&in[3], 0x00, 0, 0, 0, INT32_MIN);
	free(in);
}

TEST(asm_labels_forward_and_backward)
{
	static const char *text = "start:\n"
				  "  mov %r0, 0\n"     /* 0 */
				  "  jeq %r0, 0, fwd\n" /* 1 -> 4: off 2 */
				  "  ja start\n"       /* 2 -> 0: off -3 */
				  "  mov %r0, 1\n"     /* 3 */
				  "fwd: back2: mov %r0, 2\n" /* 4 */
				  "  jne32 %r0, %r1, back2\n" /* 5 -> 4: off -2 */
				  "  ja32 start\n"     /* 6 -> 0: imm -7 */
				  "  ja +0\n"          /* 7 */
				  "  exit\n";
	struct sops_insn *in;
	char err[256];
	size_t cnt;

	if (assemble(text, &in, &cnt, err, sizeof(err)))
		T_FAIL("%s", err);
	T_EQ(cnt, 9);
	T_SLOT(&in[1], 0x15, 0, 0, 2, 0);
	T_SLOT(&in[2], 0x05, 0, 0, -3, 0);
	T_SLOT(&in[5], 0x5e, 0, 1, -2, 0);
	T_SLOT(&in[6], 0x06, 0, 0, 0, -7);
	T_SLOT(&in[7], 0x05, 0, 0, 0, 0);
	free(in);
}

/* An lddw takes two slots, so label distances across it count two. */
TEST(asm_labels_count_lddw_as_two)
{
	static const char *text = "ja over\n"		/* 0 */
				  "lddw %r0, 1\n"	/* 1, 2 */
				  "lddw %r1, 2\n"	/* 3, 4 */
				  "over: jeq %r0, 1, -5\n" /* 5 */
				  "call local fn\n"	/* 6 */
				  "exit\n"		/* 7 */
				  "fn: lddw %r0, 3\n"	/* 8 */
				  "exit\n";		/* 10 */
	struct sops_insn *in;
	char err[256];
	size_t cnt;

	if (assemble(text, &in, &cnt, err, sizeof(err)))
		T_FAIL("%s", err);
	T_EQ(cnt, 11);
	T_SLOT(&in[0], 0x05, 0, 0, 4, 0);
	T_SLOT(&in[5], 0x15, 0, 0, -5, 1);
	T_SLOT(&in[6], 0x85, 0, 1, 0, 1);
	free(in);
}

/* The first `exit` defines the label `exit`, unless the program writes its own. */
TEST(asm_implicit_exit_label)
{
	struct sops_insn *in;
	char err[256];
	size_t cnt;

	if (assemble("jne %r1, 0, exit\nmov %r0, 1\nexit\nmov %r0, 2\nexit\n", &in, &cnt, err,
		     sizeof(err)))
		T_FAIL("%s", err);
	T_SLOT(&in[0], 0x55, 1, 0, 1, 0);
	free(in);

	/* Used before the exit statement is seen: still resolved (pass two). */
	if (assemble("ja exit\nlddw %r0, 5\nexit\n", &in, &cnt, err, sizeof(err)))
		T_FAIL("%s", err);
	T_SLOT(&in[0], 0x05, 0, 0, 2, 0);
	free(in);

	/* An explicit `exit:` label wins over the implicit one. */
	if (assemble("ja exit\nexit\nexit: mov %r0, 1\nexit\n", &in, &cnt, err, sizeof(err)))
		T_FAIL("%s", err);
	T_SLOT(&in[0], 0x05, 0, 0, 1, 0);
	free(in);
}

TEST(asm_comments_and_blank_lines)
{
	struct sops_insn *in;
	char err[256];
	size_t cnt;

	if (assemble("# header\n\n   \n\tmov %r0, 1 # trailing\n#exit\n\r\nexit", &in, &cnt, err,
		     sizeof(err)))
		T_FAIL("%s", err);
	T_EQ(cnt, 2);
	free(in);
}

struct bad {
	const char *text;
	const char *msg; /* must appear in the error message */
};

static const struct bad bad_inputs[] = {
	{ "foo %r0, 1", "line 1: unknown mnemonic 'foo'" },
	{ "exit\nmovv %r0, 1", "line 2: unknown mnemonic" },
	{ "mov %r11, 1", "bad register '%r11'" },
	{ "mov %r0, %r01", "bad register" },
	{ "mov %x0, 1", "bad register" },
	{ "ldxw %r0, [%r12+0]", "bad register" },
	{ "call %r11", "bad register" },
	{ "mov %r0", "'mov' takes 2 operands, got 1" },
	{ "mov", "takes 2 operands, got 0" },
	{ "neg %r0, 1", "takes 1 operand, got 2" },
	{ "exit %r0", "takes 0 operands" },
	{ "jeq %r0, 1", "takes 3 operands" },
	{ "ldxw %r0", "takes 2 operands" },
	{ "mov %r0, 0x100000000", "out of 32-bit range" },
	{ "mov %r0, 4294967296", "out of 32-bit range" },
	{ "mov %r0, -2147483649", "out of 32-bit range" },
	{ "mov %r0, 12abc", "bad immediate '12abc'" },
	{ "mov %r0, 0x", "bad immediate" },
	{ "mov %r0, --1", "bad immediate" },
	{ "mov %r0, 99999999999999999999999", "bad immediate" },
	{ "lddw %r0, 0x10000000000000000", "bad 64-bit immediate" },
	{ "lddw %r0, -9223372036854775809", "out of 64-bit range" },
	{ "ldxw %r0, [%r1+32768]", "out of 16-bit range" },
	{ "ldxw %r0, [%r1-32769]", "out of 16-bit range" },
	{ "ldxw %r0, [%r1+0x10000]", "out of 16-bit range" },
	{ "ldxw %r0, [%r1+]", "bad offset" },
	{ "ldxw %r0, [%r1+x]", "bad offset" },
	{ "ldxw %r0, [%r1+8", "missing ']'" },
	{ "ldxw %r0, [%r1+8]x", "after ']'" },
	{ "ldxw %r0, %r1", "bad memory operand" },
	{ "stxw %r1, %r2", "bad memory operand" },
	{ "stw [%r1], %r2", "bad immediate" },
	{ "ja +32768", "out of 16-bit range" },
	{ "ja -32769", "out of 16-bit range" },
	{ "ja32 +2147483648", "out of 32-bit range" },
	{ "ja 1x", "bad jump offset" },
	{ "ja @here", "bad jump target" },
	{ "ja nowhere\nexit", "line 1: unknown label 'nowhere'" },
	{ "exit\ncall local nowhere", "line 2: unknown label" },
	{ "a: exit\na: exit", "line 2: label 'a' already defined on line 1" },
	{ "1abc: exit", "bad label name" },
	{ ": exit", "bad label name" },
	{ "", "no instructions" },
	{ "# nothing\n\n  \nlabel:\n", "no instructions" },
	{ "mov %r0, 1,", "missing operand after ','" },
	{ "mov , %r0", "missing operand before ','" },
	{ "mov %r0,, 1", "missing operand before ','" },
	{ "add %r0, %r1, %r2, %r3, %r4, %r5, %r6", "too many operands" },
	{ "lock", "needs an operation" },
	{ "lock fetch", "needs an operation" },
	{ "lock foo [%r1], %r2", "unknown atomic operation 'foo'" },
	{ "lock add [%r1]", "takes 2 operands after the operation" },
	{ "call func1", "bad call target" },
	{ "call weird 5", "unknown call kind" },
	{ "call", "'call' takes a target" },
	{ "call helper", "'call helper' needs a target" },
	{ "call local", "'call local' needs a target" },
	{ "le8 %r0", "unknown mnemonic" },
	{ "bswap %r0", "unknown mnemonic" },
	{ "movsx3232 %r0, %r1", "unknown mnemonic" },
	{ "jeq64 %r0, 0, +1", "unknown mnemonic" },
	{ "averyveryverylongmnemonic %r0", "unknown mnemonic" },
	{ "MOV %r0, 1", "unknown mnemonic" },
	{ "mov %r0, 1\nmov %r0, 2\nldxw %r0, [%r1", "line 3: missing ']'" },
};

TEST(asm_errors_have_line_and_reason)
{
	struct sops_insn *in;
	char err[256];
	size_t cnt;
	int ret;

	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		memset(err, 'X', sizeof(err));
		in = NULL;
		ret = assemble(bad_inputs[i].text, &in, &cnt, err, sizeof(err));
		if (ret != -EINVAL) {
			free(in);
			T_FAIL("'%s': returned %d, expected -EINVAL", bad_inputs[i].text, ret);
		}
		if (!memchr(err, '\0', sizeof(err)))
			T_FAIL("'%s': message not NUL-terminated", bad_inputs[i].text);
		if (!strstr(err, bad_inputs[i].msg))
			T_FAIL("'%s': message \"%s\" lacks \"%s\"", bad_inputs[i].text, err,
			       bad_inputs[i].msg);
		/* Only "no instructions" is about the whole text, not one line. */
		if (strcmp(bad_inputs[i].msg, "no instructions") && strncmp(err, "line ", 5))
			T_FAIL("'%s': message \"%s\" names no line", bad_inputs[i].text, err);
	}
}

/* A jump to a label more than 32767 slots away does not fit in off. */
TEST(asm_error_label_out_of_range)
{
	size_t n = 40000, len = n * 11 + 64;
	char *text = malloc(len), *p = text, err[256];
	struct sops_insn *in;
	size_t cnt;
	int ret;

	T_ASSERT(text);
	p += sprintf(p, "ja far\n");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "mov %%r0, 1\n");
	sprintf(p, "far: exit\n");
	ret = assemble(text, &in, &cnt, err, sizeof(err));
	T_EQ(ret, -EINVAL);
	T_ASSERT(strstr(err, "line 1: label 'far' is 40000 slots away, out of 16-bit offset range"));

	/* The same distance fits the 32-bit imm of ja32 and call local. */
	p = text;
	p += sprintf(p, "call local far\n");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "mov %%r0, 1\n");
	sprintf(p, "far: exit\n");
	ret = assemble(text, &in, &cnt, err, sizeof(err));
	free(text);
	T_EQ(ret, 0);
	T_SLOT(&in[0], 0x85, 0, 1, 0, 40000);
	free(in);
}

TEST(asm_error_buffers)
{
	struct sops_insn *in = NULL;
	char small[8];
	size_t cnt;

	/* No buffer at all, or a tiny one: still -EINVAL, never an overflow. */
	T_EQ(sops_asm__parse("bogus", &in, &cnt, NULL, 0), -EINVAL);
	T_EQ(sops_asm__parse("bogus", &in, &cnt, small, sizeof(small)), -EINVAL);
	T_EQ(strlen(small), sizeof(small) - 1);
	T_EQ(sops_asm__parse("bogus", &in, &cnt, small, 1), -EINVAL);
	T_EQ(small[0], 0);
	T_EQ(sops_asm__parse(NULL, &in, &cnt, small, sizeof(small)), -EINVAL);
	T_EQ(sops_asm__parse("exit", NULL, &cnt, NULL, 0), -EINVAL);
	T_EQ(sops_asm__parse("exit", &in, NULL, NULL, 0), -EINVAL);
	T_ASSERT(in == NULL);
	/* On success the buffer holds an empty string. */
	T_EQ(sops_asm__parse("exit", &in, &cnt, small, sizeof(small)), 0);
	T_EQ(small[0], 0);
	free(in);
}

/* A tiny deterministic PRNG (xorshift64), state on the caller's stack. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Must return 0 or -EINVAL for anything, with a terminated message; never crash. */
static int hostile_one(const char *text)
{
	struct sops_insn *in = NULL;
	char err[128];
	size_t cnt = 0;
	int ret = sops_asm__parse(text, &in, &cnt, err, sizeof(err));

	if (ret == 0) {
		free(in);
		return cnt ? 0 : -1;
	}
	return ret == -EINVAL && memchr(err, '\0', sizeof(err)) ? 0 : -1;
}

TEST(asm_hostile_random_bytes)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;
	char buf[512];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = rnd(&s) % (sizeof(buf) - 1);

		for (size_t i = 0; i < len; i++) {
			char c = (char)(rnd(&s) % 255 + 1); /* no NUL inside */
			buf[i] = c;
		}
		buf[len] = '\0';
		if (hostile_one(buf))
			T_FAIL("random text #%d gave an unexpected result", iter);
	}
}

/* Soup of real tokens: reaches much deeper into the parser than random bytes. */
TEST(asm_hostile_token_soup)
{
	static const char *const words[] = {
		"mov",	 "add32", "lddw", "ldxdw", "stw",   "stxb", "lock",	  "fetch", "xchg32",
		"cmpxchg", "call", "local", "helper", "runtime", "ja",	"ja32",	  "jeq",   "jsle32",
		"exit",	 "neg",	 "be16", "swap64", "movsx832", "%r0", "%r10", "%r11",   "r3",
		",",	 "[%r1+8]", "[%r10-0x8]", "[", "]", "[%r1+", "0x", "-", "+3", "-32769",
		"0xffffffffffffffff", "l1:", "l1", "exit:", "#", ":", "\n", "\t", "\r\n", "1",
		"99999999999999999999", "sdiv64", "smod", "le64", "[%r1-]", "[]", "%",
	};
	size_t nw = sizeof(words) / sizeof(words[0]);
	uint64_t s = 0x123456789abcdefull;
	char buf[1024];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 0, k = 1 + rnd(&s) % 24;

		buf[0] = '\0';
		for (size_t i = 0; i < k; i++) {
			const char *w = words[rnd(&s) % nw];
			const char *sep = rnd(&s) % 3 ? " " : "";

			len += snprintf(buf + len, sizeof(buf) - len, "%s%s", w, sep);
			if (len >= sizeof(buf) - 1)
				break;
		}
		if (hostile_one(buf))
			T_FAIL("token soup #%d gave an unexpected result: %s", iter, buf);
	}
}

TEST(asm_hostile_long_lines)
{
	size_t n = 1 << 20;
	char *text = malloc(n + 64);

	T_ASSERT(text);
	/* One huge word as mnemonic, label, operand, memory operand, number. */
	memset(text, 'a', n);
	text[n] = '\0';
	T_ASSERT(!hostile_one(text));
	text[n - 1] = ':';
	T_ASSERT(!hostile_one(text));
	memcpy(text, "mov %r0, ", 9);
	text[n - 1] = '1';
	T_ASSERT(!hostile_one(text));
	memcpy(text, "ldxw %r0, [", 11);
	T_ASSERT(!hostile_one(text));
	text[n - 1] = ']';
	T_ASSERT(!hostile_one(text));
	memset(text, '9', n);
	memcpy(text, "ja +", 4);
	T_ASSERT(!hostile_one(text));
	/* Many short lines of nothing but commas and spaces. */
	for (size_t i = 0; i < n; i++)
		text[i] = i % 7 == 6 ? '\n' : (i % 2 ? ',' : ' ');
	T_ASSERT(!hostile_one(text));
	free(text);
}

/* --- the conformance files (read with tests/conformance.c) --- */

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(len + 1);
		if (buf && fread(buf, 1, len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			buf[len] = '\0';
		}
	}
	fclose(f);
	return buf;
}

/* Slot count per file from MANIFEST.tsv (column `insns`), or -1 when unknown. */
static long manifest_insns(const char *manifest, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = manifest;

	while (p && *p) {
		if (!strncmp(p, name, nlen) && p[nlen] == '\t') {
			/* test cpu groups mem_bytes insns ...: skip four tab-separated fields */
			const char *q = p;

			for (int f = 0; f < 4 && q; f++) {
				q = strchr(q, '\t');
				if (q)
					q++;
			}
			return q ? strtol(q, NULL, 10) : -1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/*
 * Every file's asm section assembles, to the slot count MANIFEST.tsv records
 * and, where the file has a `-- raw` section (lddw.data), to exactly its words.
 */
TEST(asm_conformance_files)
{
	const char *dir = conf_dir();
	char path[4096], rname[300], err[256];
	char **names, *manifest;
	int n = conf_list(dir, &names);

	if (n < 0) {
		test_result_skip("asm_conformance_files", "no conformance folder at %s", dir);
		return;
	}
	snprintf(path, sizeof(path), "%s/../MANIFEST.tsv", dir);
	manifest = read_text(path);
	for (int i = 0; i < n; i++) {
		struct conf_test ct;
		struct sops_insn *in = NULL;
		size_t cnt = 0, k;
		long want;

		snprintf(rname, sizeof(rname), "asm:%s", names[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (conf_parse(path, &ct)) {
			test_result(rname, 0, "cannot read %s", path);
			continue;
		}
		if (sops_asm__parse(ct.asm_text ? ct.asm_text : "", &in, &cnt, err, sizeof(err))) {
			test_result(rname, 0, "does not assemble: %s", err);
		} else if (manifest && (want = manifest_insns(manifest, names[i])) >= 0 &&
			   (size_t)want != cnt) {
			test_result(rname, 0, "%zu slots, MANIFEST.tsv says %ld", cnt, want);
		} else {
			for (k = 0; k < ct.raw_cnt && k < cnt; k++)
				if (!slot_eq(&in[k], ct.raw[k].code, ct.raw[k].dst_reg, ct.raw[k].src_reg,
					     ct.raw[k].off, ct.raw[k].imm))
					break;
			test_result(rname, !ct.raw_cnt || (k == ct.raw_cnt && k == cnt),
				    "differs from its raw section at slot %zu", k);
		}
		free(in);
		conf_test_free(&ct);
	}
	free(manifest);
	conf_free_names(names, n);
	if (!n)
		T_SKIP("no .data files in %s", dir);
}
