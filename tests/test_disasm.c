/* SPDX-License-Identifier: MIT */
/*
 * test_disasm.c - unit tests of the disassembler (src/isa/disasm.c) and of the
 * helper name table (src/isa/helper_names.c).
 *
 * Each instruction form is built by hand from literal bytes and must print
 * exactly as llvm-objdump / the kernel verifier log would. Then the edge
 * cases (cut-off lddw, bad indexes, tiny buffers, invalid encodings), the
 * dump options, and a round trip over the conformance suite: everything the
 * assembler produces must disassemble, and two different encodings must never
 * print the same text.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <structops/asm.h>

#include "conformance.h"
#include "test.h"

#define I(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }

struct form {
	struct sops_insn insn[2]; /* a second slot only for lddw */
	const char *text;
};

static const struct form forms[] = {
	/* loads and stores */
	{ { I(0x79, 0, 1, 8, 0) }, "r0 = *(u64 *)(r1 + 8)" },
	{ { I(0x61, 3, 10, -4, 0) }, "r3 = *(u32 *)(r10 - 4)" },
	{ { I(0x69, 3, 1, 0, 0) }, "r3 = *(u16 *)(r1 + 0)" },
	{ { I(0x71, 3, 1, 32767, 0) }, "r3 = *(u8 *)(r1 + 32767)" },
	{ { I(0x71, 3, 1, -32768, 0) }, "r3 = *(u8 *)(r1 - 32768)" },
	{ { I(0x91, 0, 1, -2, 0) }, "r0 = *(s8 *)(r1 - 2)" },
	{ { I(0x89, 0, 1, 2, 0) }, "r0 = *(s16 *)(r1 + 2)" },
	{ { I(0x81, 0, 1, 4, 0) }, "r0 = *(s32 *)(r1 + 4)" },
	{ { I(0x63, 10, 1, -8, 0) }, "*(u32 *)(r10 - 8) = r1" },
	{ { I(0x7b, 10, 1, -16, 0) }, "*(u64 *)(r10 - 16) = r1" },
	{ { I(0x73, 2, 3, 1, 0) }, "*(u8 *)(r2 + 1) = r3" },
	{ { I(0x6a, 10, 0, -8, 5) }, "*(u16 *)(r10 - 8) = 5" },
	{ { I(0x62, 10, 0, -8, -1) }, "*(u32 *)(r10 - 8) = -1" },
	{ { I(0x7a, 1, 0, 0, 7) }, "*(u64 *)(r1 + 0) = 7" },
	{ { I(0x72, 1, 0, 0, 255) }, "*(u8 *)(r1 + 0) = 255" },
	/* ALU */
	{ { I(0x0f, 0, 1, 0, 0) }, "r0 += r1" },
	{ { I(0x04, 0, 0, 0, 5) }, "w0 += 5" },
	{ { I(0x07, 0, 0, 0, -5) }, "r0 += -5" },
	{ { I(0x1f, 2, 3, 0, 0) }, "r2 -= r3" },
	{ { I(0x27, 2, 0, 0, 3) }, "r2 *= 3" },
	{ { I(0x3f, 0, 1, 0, 0) }, "r0 /= r1" },
	{ { I(0x3f, 0, 1, 1, 0) }, "r0 s/= r1" },
	{ { I(0x34, 0, 0, 1, -3) }, "w0 s/= -3" },
	{ { I(0x9f, 0, 1, 0, 0) }, "r0 %= r1" },
	{ { I(0x9f, 0, 1, 1, 0) }, "r0 s%= r1" },
	{ { I(0x9c, 0, 1, 1, 0) }, "w0 s%= w1" },
	{ { I(0x4f, 0, 1, 0, 0) }, "r0 |= r1" },
	{ { I(0x54, 0, 0, 0, 255) }, "w0 &= 255" },
	{ { I(0x67, 0, 0, 0, 3) }, "r0 <<= 3" },
	{ { I(0x77, 0, 0, 0, 3) }, "r0 >>= 3" },
	{ { I(0xc7, 0, 0, 0, 3) }, "r0 s>>= 3" },
	{ { I(0xcc, 0, 1, 0, 0) }, "w0 s>>= w1" },
	{ { I(0xa7, 0, 0, 0, -1) }, "r0 ^= -1" },
	{ { I(0xb7, 0, 0, 0, 42) }, "r0 = 42" },
	{ { I(0xb4, 0, 0, 0, -1) }, "w0 = -1" },
	{ { I(0xbf, 6, 1, 0, 0) }, "r6 = r1" },
	{ { I(0xbc, 6, 1, 0, 0) }, "w6 = w1" },
	{ { I(0x87, 0, 0, 0, 0) }, "r0 = -r0" },
	{ { I(0x84, 3, 0, 0, 0) }, "w3 = -w3" },
	{ { I(0xbc, 0, 1, 8, 0) }, "w0 = (s8)w1" },
	{ { I(0xbc, 0, 1, 16, 0) }, "w0 = (s16)w1" },
	{ { I(0xbf, 0, 1, 8, 0) }, "r0 = (s8)r1" },
	{ { I(0xbf, 0, 1, 16, 0) }, "r0 = (s16)r1" },
	{ { I(0xbf, 0, 1, 32, 0) }, "r0 = (s32)r1" },
	{ { I(0xdc, 0, 0, 0, 16) }, "r0 = be16 r0" },
	{ { I(0xdc, 0, 0, 0, 64) }, "r0 = be64 r0" },
	{ { I(0xd4, 0, 0, 0, 32) }, "r0 = le32 r0" },
	{ { I(0xd7, 0, 0, 0, 64) }, "r0 = bswap64 r0" },
	{ { I(0xd7, 4, 0, 0, 16) }, "r4 = bswap16 r4" },
	/* jumps */
	{ { I(0x25, 1, 0, 3, 5) }, "if r1 > 0x5 goto +3" },
	{ { I(0x15, 1, 0, 0, 0) }, "if r1 == 0x0 goto +0" },
	{ { I(0x55, 1, 0, -1, -5) }, "if r1 != -0x5 goto -1" },
	{ { I(0x35, 1, 0, 1, 0x7fffffff) }, "if r1 >= 0x7fffffff goto +1" },
	{ { I(0x65, 1, 0, 1, INT32_MIN) }, "if r1 s> -0x80000000 goto +1" },
	{ { I(0xce, 1, 2, -4, 0) }, "if w1 s< w2 goto -4" },
	{ { I(0x45, 1, 0, 1, 1) }, "if r1 & 0x1 goto +1" },
	{ { I(0x4d, 1, 2, 1, 0) }, "if r1 & r2 goto +1" },
	{ { I(0x7d, 1, 2, 1, 0) }, "if r1 s>= r2 goto +1" },
	{ { I(0xa5, 1, 0, 1, 16) }, "if r1 < 0x10 goto +1" },
	{ { I(0xbd, 1, 2, 1, 0) }, "if r1 <= r2 goto +1" },
	{ { I(0xd6, 1, 0, 1, 2) }, "if w1 s<= 0x2 goto +1" },
	{ { I(0x1e, 1, 2, 1, 0) }, "if w1 == w2 goto +1" },
	{ { I(0x05, 0, 0, 3, 0) }, "goto +3" },
	{ { I(0x05, 0, 0, -32768, 0) }, "goto -32768" },
	{ { I(0x06, 0, 0, 0, 70000) }, "gotol +70000" },
	{ { I(0x06, 0, 0, 0, -2) }, "gotol -2" },
	/* calls */
	{ { I(0x85, 0, 0, 0, 1) }, "call bpf_map_lookup_elem#1" },
	{ { I(0x85, 0, 0, 0, 5) }, "call bpf_ktime_get_ns#5" },
	{ { I(0x85, 0, 0, 0, 123456) }, "call #123456" },
	{ { I(0x85, 0, 0, 0, -1) }, "call #-1" },
	{ { I(0x85, 0, 1, 0, 5) }, "call pc+5" },
	{ { I(0x85, 0, 1, 0, -7) }, "call pc-7" },
	{ { I(0x85, 0, 2, 0, 4242) }, "call kfunc#4242" },
	{ { I(0x8d, 2, 0, 0, 0) }, "callx r2" },
	{ { I(0x95, 0, 0, 0, 0) }, "exit" },
	/* lddw */
	{ { I(0x18, 1, 0, 0, 0x1234), I(0, 0, 0, 0, 0) }, "r1 = 0x1234 ll" },
	{ { I(0x18, 0, 0, 0, 0x55667788), I(0, 0, 0, 0, 0x11223344) }, "r0 = 0x1122334455667788 ll" },
	{ { I(0x18, 0, 0, 0, -1), I(0, 0, 0, 0, -1) }, "r0 = 0xffffffffffffffff ll" },
	{ { I(0x18, 0, 0, 0, 0), I(0, 0, 0, 0, 0) }, "r0 = 0x0 ll" },
	{ { I(0x18, 1, 1, 0, 3), I(0, 0, 0, 0, 0) }, "r1 = map[fd:3] ll" },
	{ { I(0x18, 1, 2, 0, 3), I(0, 0, 0, 0, 16) }, "r1 = map[fd:3][0]+16 ll" },
	{ { I(0x18, 1, 3, 0, 42), I(0, 0, 0, 0, 0) }, "r1 = btf_id(42) ll" },
	{ { I(0x18, 1, 4, 0, 5), I(0, 0, 0, 0, 0) }, "r1 = subprog[+5] ll" },
	{ { I(0x18, 1, 4, 0, -3), I(0, 0, 0, 0, 0) }, "r1 = subprog[-3] ll" },
	{ { I(0x18, 1, 5, 0, 0), I(0, 0, 0, 0, 0) }, "r1 = map[idx:0] ll" },
	{ { I(0x18, 1, 6, 0, 0), I(0, 0, 0, 0, 8) }, "r1 = map[idx:0][0]+8 ll" },
	/* atomics */
	{ { I(0xdb, 1, 2, 8, 0x00) }, "lock *(u64 *)(r1 + 8) += r2" },
	{ { I(0xdb, 1, 2, -8, 0x40) }, "lock *(u64 *)(r1 - 8) |= r2" },
	{ { I(0xdb, 1, 2, 8, 0x50) }, "lock *(u64 *)(r1 + 8) &= r2" },
	{ { I(0xdb, 1, 2, 8, 0xa0) }, "lock *(u64 *)(r1 + 8) ^= r2" },
	{ { I(0xc3, 1, 2, 8, 0x00) }, "lock *(u32 *)(r1 + 8) += w2" },
	{ { I(0xc3, 1, 2, 8, 0xa0) }, "lock *(u32 *)(r1 + 8) ^= w2" },
	{ { I(0xdb, 1, 2, 0, 0x01) }, "r2 = atomic64_fetch_add((u64 *)(r1 + 0), r2)" },
	{ { I(0xdb, 1, 2, 0, 0x41) }, "r2 = atomic64_fetch_or((u64 *)(r1 + 0), r2)" },
	{ { I(0xdb, 1, 2, 0, 0x51) }, "r2 = atomic64_fetch_and((u64 *)(r1 + 0), r2)" },
	{ { I(0xdb, 1, 2, 0, 0xa1) }, "r2 = atomic64_fetch_xor((u64 *)(r1 + 0), r2)" },
	{ { I(0xc3, 1, 2, 0, 0x51) }, "w2 = atomic_fetch_and((u32 *)(r1 + 0), w2)" },
	{ { I(0xc3, 1, 2, 0, 0x01) }, "w2 = atomic_fetch_add((u32 *)(r1 + 0), w2)" },
	{ { I(0xdb, 1, 2, 0, 0xe1) }, "r2 = atomic64_xchg((u64 *)(r1 + 0), r2)" },
	{ { I(0xc3, 1, 2, -4, 0xe1) }, "w2 = atomic_xchg((u32 *)(r1 - 4), w2)" },
	{ { I(0xdb, 1, 2, 0, 0xf1) }, "r0 = atomic64_cmpxchg((u64 *)(r1 + 0), r0, r2)" },
	{ { I(0xc3, 1, 2, 0, 0xf1) }, "w0 = atomic_cmpxchg((u32 *)(r1 + 0), w0, w2)" },
	/* encodings with no meaning */
	{ { I(0x00, 0, 0, 0, 0) }, "invalid opcode 0x00" },
	{ { I(0xff, 0, 0, 0, 0) }, "invalid opcode 0xff" },
	{ { I(0x8f, 0, 0, 0, 0) }, "invalid opcode 0x8f" },	/* neg with X */
	{ { I(0xdf, 0, 0, 0, 64) }, "invalid opcode 0xdf" },	/* bswap with X */
	{ { I(0xd4, 0, 0, 0, 8) }, "invalid opcode 0xd4" },	/* le8 */
	{ { I(0xe7, 0, 0, 0, 0) }, "invalid opcode 0xe7" },	/* ALU op 0xe */
	{ { I(0xf4, 0, 0, 0, 0) }, "invalid opcode 0xf4" },	/* ALU op 0xf */
	{ { I(0x3f, 0, 1, 2, 0) }, "invalid opcode 0x3f" },	/* div with off 2 */
	{ { I(0xbf, 0, 1, 7, 0) }, "invalid opcode 0xbf" },	/* movsx from 7 bits */
	{ { I(0xbc, 0, 1, 32, 0) }, "invalid opcode 0xbc" },	/* 32-bit movsx from 32 */
	{ { I(0x0d, 0, 0, 0, 0) }, "invalid opcode 0x0d" },	/* ja with X */
	{ { I(0x0e, 0, 0, 0, 0) }, "invalid opcode 0x0e" },	/* gotol with X */
	{ { I(0x86, 0, 0, 0, 1) }, "invalid opcode 0x86" },	/* call in JMP32 */
	{ { I(0x96, 0, 0, 0, 0) }, "invalid opcode 0x96" },	/* exit in JMP32 */
	{ { I(0x9d, 0, 0, 0, 0) }, "invalid opcode 0x9d" },	/* exit with X */
	{ { I(0xe5, 0, 0, 0, 0) }, "invalid opcode 0xe5" },	/* JMP op 0xe */
	{ { I(0x85, 0, 3, 0, 0) }, "invalid opcode 0x85" },	/* call kind 3 */
	{ { I(0x99, 0, 1, 0, 0) }, "invalid opcode 0x99" },	/* ldxsdw */
	{ { I(0xa1, 0, 1, 0, 0) }, "invalid opcode 0xa1" },	/* ldx with mode 0xa0 */
	{ { I(0xc2, 0, 1, 0, 0) }, "invalid opcode 0xc2" },	/* st atomic */
	{ { I(0xd3, 0, 1, 0, 0) }, "invalid opcode 0xd3" },	/* atomic byte */
	{ { I(0xdb, 1, 2, 0, 0x10) }, "invalid opcode 0xdb" },	/* atomic sub */
	{ { I(0xdb, 1, 2, 0, 0xe0) }, "invalid opcode 0xdb" },	/* xchg without fetch */
	{ { I(0x10, 0, 0, 0, 0) }, "invalid opcode 0x10" },	/* ld imm byte */
	/* legacy packet loads: printed, never run */
	{ { I(0x20, 0, 0, 0, 12) }, "r0 = *(u32 *)skb[12]" },
	{ { I(0x50, 0, 7, 0, 2) }, "r0 = *(u8 *)skb[r7 + 2]" },
	{ { I(0x38, 0, 0, 0, 0) }, "invalid opcode 0x38" },	/* ld abs dw */
};

TEST(disasm_prints_every_form)
{
	char buf[128];
	int ret;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const struct form *f = &forms[i];
		int want = f->insn[0].code == 0x18 ? 2 : 1;

		memset(buf, 'X', sizeof(buf));
		ret = sops_disasm__insn(f->insn, 2, 0, buf, sizeof(buf));
		if (ret != want)
			T_FAIL("'%s': returned %d, expected %d", f->text, ret, want);
		if (strcmp(buf, f->text))
			T_FAIL("printed \"%s\", expected \"%s\"", buf, f->text);
	}
}

TEST(disasm_kfunc_with_btf_object)
{
	struct sops_insn in[] = { I(0x85, 0, 2, 3, 77) };
	char buf[64];

	T_EQ(sops_disasm__insn(in, 1, 0, buf, sizeof(buf)), 1);
	T_STREQ(buf, "call kfunc#77 (btf obj 3)");
}

TEST(disasm_edge_cases)
{
	struct sops_insn prog[] = { I(0xb7, 0, 0, 0, 1), I(0x18, 1, 0, 0, 5) };
	char buf[64], tiny[6];

	/* An lddw in the last slot is cut off. */
	T_EQ(sops_disasm__insn(prog, 2, 1, buf, sizeof(buf)), -EINVAL);
	T_ASSERT(strstr(buf, "cut off"));
	/* Index past the end, no instructions. */
	T_EQ(sops_disasm__insn(prog, 2, 2, buf, sizeof(buf)), -EINVAL);
	T_STREQ(buf, "");
	T_EQ(sops_disasm__insn(NULL, 0, 0, buf, sizeof(buf)), -EINVAL);
	/* Small buffers truncate, always terminated; no buffer is fine too. */
	T_EQ(sops_disasm__insn(prog, 2, 0, tiny, sizeof(tiny)), 1);
	T_STREQ(tiny, "r0 = ");
	T_EQ(sops_disasm__insn(prog, 2, 0, tiny, 1), 1);
	T_STREQ(tiny, "");
	T_EQ(sops_disasm__insn(prog, 2, 0, NULL, 0), 1);
	T_EQ(sops_disasm__insn(prog, 1, 0, buf, sizeof(buf)), 1);
	/* An lddw whose pseudo kind is unknown still spans two slots. */
	{
		struct sops_insn bad[] = { I(0x18, 1, 9, 0, 0), I(0, 0, 0, 0, 0) };

		T_EQ(sops_disasm__insn(bad, 2, 0, buf, sizeof(buf)), 2);
		T_STREQ(buf, "r1 = <invalid lddw src 9> ll");
	}
}

TEST(disasm_helper_names)
{
	T_STREQ(sops_helper_name(1), "bpf_map_lookup_elem");
	T_STREQ(sops_helper_name(2), "bpf_map_update_elem");
	T_STREQ(sops_helper_name(3), "bpf_map_delete_elem");
	T_STREQ(sops_helper_name(6), "bpf_trace_printk");
	T_STREQ(sops_helper_name(14), "bpf_get_current_pid_tgid");
	T_STREQ(sops_helper_name(130), "bpf_ringbuf_output");
	T_ASSERT(sops_helper_name(0) == NULL); /* BPF_FUNC_unspec has no callable name */
	T_ASSERT(sops_helper_name(100000) == NULL);
	T_ASSERT(sops_helper_name(UINT32_MAX) == NULL);
}

/* Run sops_disasm__dump into a string. */
static int dump_to_string(const struct sops_insn *in, size_t cnt,
			  const struct sops_disasm_opts *opts, char **out)
{
	size_t len;
	FILE *f = open_memstream(out, &len);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = sops_disasm__dump(f, in, cnt, opts);
	fclose(f);
	return ret;
}

TEST(disasm_dump_options)
{
	struct sops_insn prog[] = {
		I(0xb7, 0, 0, 0, 5),
		I(0x18, 1, 0, 0, 0x1234),
		I(0, 0, 0, 0, 0),
		I(0x95, 0, 0, 0, 0),
	};
	struct sops_disasm_opts plain = { .sz = sizeof(plain) };
	struct sops_disasm_opts idx = { .sz = sizeof(idx), .show_index = 1 };
	struct sops_disasm_opts raw = { .sz = sizeof(raw), .show_index = 1, .show_raw = 1 };
	char *s = NULL;
	int ret;

	ret = dump_to_string(prog, 4, &plain, &s);
	T_EQ(ret, 0);
	T_STREQ(s, "r0 = 5\nr1 = 0x1234 ll\nexit\n");
	free(s);

	ret = dump_to_string(prog, 4, NULL, &s);
	T_EQ(ret, 0);
	T_STREQ(s, "r0 = 5\nr1 = 0x1234 ll\nexit\n");
	free(s);

	ret = dump_to_string(prog, 4, &idx, &s);
	T_EQ(ret, 0);
	T_STREQ(s, "   0: r0 = 5\n   1: r1 = 0x1234 ll\n   3: exit\n");
	free(s);

	ret = dump_to_string(prog, 4, &raw, &s);
	T_EQ(ret, 0);
	T_STREQ(s, "   0: b7 00 00 00 05 00 00 00\tr0 = 5\n"
		   "   1: 18 01 00 00 34 12 00 00 00 00 00 00 00 00 00 00\tr1 = 0x1234 ll\n"
		   "   3: 95 00 00 00 00 00 00 00\texit\n");
	free(s);

	/* An older caller's struct ends before show_raw: whatever lies past its sz is not read. */
	{
		struct sops_disasm_opts old = { .sz = offsetof(struct sops_disasm_opts, show_raw),
						.show_index = 1, .show_raw = 1 };

		ret = dump_to_string(prog, 4, &old, &s);
		T_EQ(ret, 0);
		T_STREQ(s, "   0: r0 = 5\n   1: r1 = 0x1234 ll\n   3: exit\n");
		free(s);
	}

	/* A cut-off lddw is printed, then reported. */
	ret = dump_to_string(prog, 2, &idx, &s);
	T_EQ(ret, -EINVAL);
	T_ASSERT(strstr(s, "   0: r0 = 5\n   1: lddw cut off"));
	free(s);

	/* Invalid opcodes take one slot and the dump goes on. */
	{
		struct sops_insn junk[] = { I(0xff, 0, 0, 0, 0), I(0x95, 0, 0, 0, 0) };

		ret = dump_to_string(junk, 2, &plain, &s);
		T_EQ(ret, 0);
		T_STREQ(s, "invalid opcode 0xff\nexit\n");
		free(s);
	}
	T_EQ(sops_disasm__dump(NULL, prog, 4, &plain), -EINVAL);
}

/* Every slot pattern must disassemble without crashing; spot-check none overflows. */
TEST(disasm_every_opcode_byte)
{
	struct sops_insn in[2] = { I(0, 0, 0, 0, 0), I(0, 0, 0, 0, 0) };
	char buf[128];
	int ret;

	for (int code = 0; code < 256; code++) {
		for (int regs = 0; regs < 256; regs += 17) {
			in[0] = (struct sops_insn)I(code, regs & 15, regs >> 4, -1, INT32_MIN);
			ret = sops_disasm__insn(in, 2, 0, buf, sizeof(buf));
			if (ret != 1 && ret != 2)
				T_FAIL("opcode 0x%02x returned %d", code, ret);
			if (!buf[0] || strlen(buf) >= sizeof(buf) - 1)
				T_FAIL("opcode 0x%02x printed \"%s\"", code, buf);
		}
	}
}

/* --- round trip over the conformance suite (read with tests/conformance.c) --- */

struct seen {
	char *text;
	uint64_t enc[2];
	char *file;
};

static int cmp_seen(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int c = strcmp(x->text, y->text);

	if (c)
		return c;
	if (x->enc[0] != y->enc[0])
		return x->enc[0] < y->enc[0] ? -1 : 1;
	return x->enc[1] < y->enc[1] ? -1 : x->enc[1] > y->enc[1];
}

static uint64_t slot_word(const struct sops_insn *in)
{
	return in->code | (uint64_t)(in->src_reg << 4 | in->dst_reg) << 8 |
	       (uint64_t)(uint16_t)in->off << 16 | (uint64_t)(uint32_t)in->imm << 32;
}

/*
 * Assemble every file's asm section and disassemble every instruction: no
 * slot may be invalid, and no two different encodings may print the same.
 */
TEST(disasm_conformance_roundtrip)
{
	const char *dir = conf_dir();
	size_t seen_cnt = 0, seen_cap = 0;
	char path[4096], rname[300], err[256], buf[128];
	struct seen *seen = NULL, *bigger;
	char **names;
	int n = conf_list(dir, &names);

	if (n < 0) {
		test_result_skip("disasm_conformance_roundtrip", "no conformance folder at %s", dir);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct sops_insn *in = NULL;
		struct conf_test ct;
		char why[300] = "";
		size_t cnt = 0, k;
		int ret = 0;

		snprintf(rname, sizeof(rname), "disasm:%s", names[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (conf_parse(path, &ct)) {
			test_result(rname, 0, "cannot read %s", path);
			continue;
		}
		if (sops_asm__parse(ct.asm_text ? ct.asm_text : "", &in, &cnt, err, sizeof(err))) {
			test_result(rname, 0, "cannot assemble: %s", err);
			conf_test_free(&ct);
			continue;
		}
		for (k = 0; k < cnt; k += ret) {
			ret = sops_disasm__insn(in, cnt, k, buf, sizeof(buf));
			if (ret < 0 || !buf[0] || strstr(buf, "invalid")) {
				snprintf(why, sizeof(why), "slot %zu: %d \"%s\"", k, ret, buf);
				break;
			}
			if (seen_cnt == seen_cap) {
				seen_cap = seen_cap ? seen_cap * 2 : 1024;
				bigger = realloc(seen, seen_cap * sizeof(*seen));
				if (!bigger)
					break;
				seen = bigger;
			}
			seen[seen_cnt].text = strdup(buf);
			if (!seen[seen_cnt].text)
				break;
			seen[seen_cnt].enc[0] = slot_word(&in[k]);
			seen[seen_cnt].enc[1] = ret == 2 ? slot_word(&in[k + 1]) : 0;
			seen[seen_cnt].file = names[i];
			seen_cnt++;
		}
		test_result(rname, !why[0], "%s", why);
		free(in);
		conf_test_free(&ct);
	}

	/* Two different encodings printing the same text would mean lost information. */
	qsort(seen, seen_cnt, sizeof(*seen), cmp_seen);
	for (size_t i = 1; i < seen_cnt; i++) {
		if (strcmp(seen[i - 1].text, seen[i].text) ||
		    (seen[i - 1].enc[0] == seen[i].enc[0] && seen[i - 1].enc[1] == seen[i].enc[1]))
			continue;
		test_result("disasm:distinct_texts", 0,
			    "\"%s\" prints for 0x%016llx (%s) and 0x%016llx (%s)", seen[i].text,
			    (unsigned long long)seen[i - 1].enc[0], seen[i - 1].file,
			    (unsigned long long)seen[i].enc[0], seen[i].file);
		break;
	}
	for (size_t i = 0; i < seen_cnt; i++)
		free(seen[i].text);
	free(seen);
	conf_free_names(names, n);
	if (!n)
		T_SKIP("no .data files in %s", dir);
}
