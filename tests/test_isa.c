/* SPDX-License-Identifier: MIT */
/*
 * test_isa.c - instruction semantics, one table row per edge case, on every engine.
 *
 * Each row is a small program and the r0 it must return. The rows pin down what
 * the conformance suite leaves loose or does not reach: the Linux answers for
 * division by zero and INT_MIN / -1, shift-count masking, 32-bit zero extension,
 * sign extension of immediates, byte-order ops, sign-extending loads, atomics,
 * 64-bit immediates, jumps at signed/unsigned boundaries, and call frames.
 */
#include <errno.h>

#include "isa_util.h"
#include "test.h"

struct isa_case {
	const char *name;
	const char *text;
	uint64_t r0;
};

static const struct isa_case cases[] = {
	/* arithmetic and zero extension */
	{ "add32 wraps and zero-extends", "lddw %r0, 0xffffffffffffffff\nadd32 %r0, 1\nexit", 0 },
	{ "add64 imm sign-extends", "mov %r0, 0\nadd %r0, -1\nexit", 0xffffffffffffffffull },
	{ "mov32 imm zero-extends", "mov32 %r0, -1\nexit", 0xffffffffull },
	{ "mov64 0x80000000 sign-extends", "mov %r0, 0x80000000\nexit", 0xffffffff80000000ull },
	{ "sub32 borrow", "mov %r0, 0\nsub32 %r0, 1\nexit", 0xffffffffull },
	{ "mul32 keeps low bits", "lddw %r0, 0x100000003\nmov %r1, 5\nmul32 %r0, %r1\nexit", 15 },
	{ "mul64 wraps", "lddw %r0, 0x8000000000000000\nmul %r0, 2\nexit", 0 },
	{ "neg64", "mov %r0, 5\nneg %r0\nexit", (uint64_t)-5 },
	{ "neg32", "mov %r0, 5\nneg32 %r0\nexit", 0xfffffffbull },
	/* Linux division semantics */
	{ "div64 by zero reg is 0", "mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit", 0 },
	{ "div64 by zero imm is 0", "mov %r0, 7\ndiv %r0, 0\nexit", 0 },
	{ "div32 by zero is 0", "mov %r0, 7\nmov32 %r1, 0\ndiv32 %r0, %r1\nexit", 0 },
	{ "mod64 by zero keeps dividend", "mov %r0, 7\nmov %r1, 0\nmod %r0, %r1\nexit", 7 },
	{ "mod32 by zero keeps low 32 bits", "lddw %r0, 0x1234500000007\nmod32 %r0, 0\nexit", 7 },
	{ "div32 ignores divisor high bits", "mov %r0, 12\nlddw %r1, 0x100000003\ndiv32 %r0, %r1\nexit", 4 },
	{ "div32 by divisor with zero low bits", "mov %r0, 12\nlddw %r1, 0x100000000\ndiv32 %r0, %r1\nexit", 0 },
	{ "sdiv64 INT_MIN / -1", "lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit", 0x8000000000000000ull },
	{ "smod64 INT_MIN % -1", "lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit", 0 },
	{ "sdiv32 INT_MIN / -1", "mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit", 0x80000000ull },
	{ "smod32 INT_MIN % -1", "mov32 %r0, 0x80000000\nmov32 %r1, -1\nsmod32 %r0, %r1\nexit", 0 },
	{ "sdiv64 rounds toward zero", "mov %r0, -7\nsdiv %r0, 2\nexit", (uint64_t)-3 },
	{ "smod64 sign follows dividend", "mov %r0, -7\nsmod %r0, 2\nexit", (uint64_t)-1 },
	{ "sdiv64 by zero is 0", "mov %r0, -7\nsdiv %r0, 0\nexit", 0 },
	{ "smod32 by zero keeps dividend", "mov32 %r0, -7\nsmod32 %r0, 0\nexit", 0xfffffff9ull },
	/* shifts: counts are masked */
	{ "lsh64 reg count masked", "mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nexit", 2 },
	{ "lsh32 reg count masked", "mov %r0, 1\nmov %r1, 33\nlsh32 %r0, %r1\nexit", 2 },
	{ "rsh32 drops high bits first", "lddw %r0, 0xff00000010\nrsh32 %r0, 4\nexit", 1 },
	{ "arsh64 negative", "mov %r0, -16\narsh %r0, 2\nexit", (uint64_t)-4 },
	{ "arsh32 negative zero-extends", "mov32 %r0, -16\narsh32 %r0, 2\nexit", 0xfffffffcull },
	{ "rsh64 63", "mov %r0, -1\nrsh %r0, 63\nexit", 1 },
	/* movsx, byte order */
	{ "movsx8 to 64", "mov %r1, 0x80\nmovsx864 %r0, %r1\nexit", 0xffffffffffffff80ull },
	{ "movsx16 to 32", "mov %r1, 0x8000\nmovsx1632 %r0, %r1\nexit", 0xffff8000ull },
	{ "movsx32 to 64", "mov32 %r1, 0x80000000\nmovsx3264 %r0, %r1\nexit", 0xffffffff80000000ull },
	{ "be16 swaps and truncates", "lddw %r0, 0x1122334455667788\nbe16 %r0\nexit", 0x8877 },
	{ "be32", "lddw %r0, 0x1122334455667788\nbe32 %r0\nexit", 0x88776655 },
	{ "be64", "lddw %r0, 0x1122334455667788\nbe64 %r0\nexit", 0x8877665544332211ull },
	{ "le16 truncates", "lddw %r0, 0x1122334455667788\nle16 %r0\nexit", 0x7788 },
	{ "le32 truncates", "lddw %r0, 0x1122334455667788\nle32 %r0\nexit", 0x55667788 },
	{ "le64 is identity", "lddw %r0, 0x1122334455667788\nle64 %r0\nexit", 0x1122334455667788ull },
	{ "bswap16", "lddw %r0, 0x1122334455667788\nbswap16 %r0\nexit", 0x8877 },
	{ "bswap64", "lddw %r0, 0x1122334455667788\nbswap64 %r0\nexit", 0x8877665544332211ull },
	/* jumps */
	{ "jgt is unsigned", "mov %r0, 0\nmov %r1, -1\njgt %r1, 1, l\nexit\nl:\nmov %r0, 1\nexit", 1 },
	{ "jsgt is signed", "mov %r0, 0\nmov %r1, -1\njsgt %r1, 1, l\nexit\nl:\nmov %r0, 1\nexit", 0 },
	{ "jeq32 ignores high bits", "mov %r0, 0\nlddw %r1, 0x100000005\njeq32 %r1, 5, l\nexit\nl:\nmov %r0, 1\nexit", 1 },
	{ "jeq64 sees high bits", "mov %r0, 0\nlddw %r1, 0x100000005\njeq %r1, 5, l\nexit\nl:\nmov %r0, 1\nexit", 0 },
	{ "jslt32 signed low half", "mov %r0, 0\nlddw %r1, 0x7fffffff\nadd32 %r1, 1\njslt32 %r1, 0, l\nexit\nl:\nmov %r0, 1\nexit", 1 },
	{ "jset", "mov %r0, 0\nmov %r1, 6\njset %r1, 4, l\nexit\nl:\nmov %r0, 1\nexit", 1 },
	{ "jset imm sign-extends", "mov %r0, 0\nlddw %r1, 0x8000000000000000\njset %r1, -1, l\nexit\nl:\nmov %r0, 1\nexit", 1 },
	{ "gotol", "mov %r0, 1\nja32 l\nmov %r0, 2\nl:\nexit", 1 },
	{ "backward loop", "mov %r0, 0\nmov %r1, 10\nl:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, l\nexit", 55 },
	/* loads and stores on the stack */
	{ "stack byte store/load", "stb [%r10-1], 0x1ff\nldxb %r0, [%r10-1]\nexit", 0xff },
	{ "sign-extending byte load", "stb [%r10-1], 0x80\nldxsb %r0, [%r10-1]\nexit", 0xffffffffffffff80ull },
	{ "sign-extending half load", "sth [%r10-2], 0x8001\nldxsh %r0, [%r10-2]\nexit", 0xffffffffffff8001ull },
	{ "sign-extending word load", "stw [%r10-4], -2\nldxsw %r0, [%r10-4]\nexit", (uint64_t)-2 },
	{ "stdw imm sign-extends", "stdw [%r10-8], -1\nldxdw %r0, [%r10-8]\nexit", (uint64_t)-1 },
	{ "stxw stores low half", "lddw %r1, 0x1122334455667788\nstxdw [%r10-8], %r1\nmov %r2, 0\nstxw [%r10-8], %r2\nldxdw %r0, [%r10-8]\nexit", 0x1122334400000000ull },
	/* atomics */
	{ "atomic add64", "stdw [%r10-8], 5\nmov %r1, 3\nlock add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit", 8 },
	{ "atomic fetch add returns old", "stdw [%r10-8], 5\nmov %r1, 3\nlock fetch add [%r10-8], %r1\nmov %r0, %r1\nexit", 5 },
	{ "atomic fetch add32 zero-extends", "stw [%r10-8], -1\nmov %r1, 0\nlock fetch add32 [%r10-8], %r1\nmov %r0, %r1\nexit", 0xffffffffull },
	{ "atomic xchg", "stdw [%r10-8], 5\nmov %r1, 9\nlock xchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nadd %r0, %r1\nexit", 14 },
	{ "cmpxchg success", "stdw [%r10-8], 5\nmov %r0, 5\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r2, [%r10-8]\nlsh %r0, 8\nor %r0, %r2\nexit", 0x509 },
	{ "cmpxchg failure", "stdw [%r10-8], 5\nmov %r0, 4\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r2, [%r10-8]\nlsh %r0, 8\nor %r0, %r2\nexit", 0x505 },
	{ "cmpxchg32 compares low half of r0", "stw [%r10-8], 5\nlddw %r0, 0xff00000005\nmov %r1, 9\nlock cmpxchg32 [%r10-8], %r1\nldxw %r0, [%r10-8]\nexit", 9 },
	{ "atomic and/or/xor 32", "stw [%r10-4], 0xf0\nmov %r1, 0x3c\nlock and32 [%r10-4], %r1\nmov %r1, 1\nlock or32 [%r10-4], %r1\nmov %r1, 0xff\nlock xor32 [%r10-4], %r1\nldxw %r0, [%r10-4]\nexit", 0xce },
	/* 64-bit immediate */
	{ "lddw full value", "lddw %r0, 0xfedcba9876543210\nexit", 0xfedcba9876543210ull },
	/* call frames */
	{ "local call passes args and result", "mov %r1, 20\nmov %r2, 22\ncall local f\nexit\nf:\nmov %r0, %r1\nadd %r0, %r2\nexit", 42 },
	{ "local call preserves r6-r9", "mov %r6, 1\nmov %r7, 2\nmov %r8, 3\nmov %r9, 4\ncall local f\nmov %r0, %r6\nadd %r0, %r7\nadd %r0, %r8\nadd %r0, %r9\nexit\nf:\nmov %r6, 100\nmov %r7, 100\nmov %r8, 100\nmov %r9, 100\nexit", 10 },
	{ "callee has its own stack frame", "stdw [%r10-8], 7\ncall local f\nldxdw %r0, [%r10-8]\nexit\nf:\nstdw [%r10-8], 99\nexit", 7 },
	{ "caller stack reachable through pointer", "stdw [%r10-8], 7\nmov %r1, %r10\nsub %r1, 8\ncall local f\nldxdw %r0, [%r10-8]\nexit\nf:\nstdw [%r1], 99\nexit", 99 },
	{ "seven nested calls fit", "mov %r1, 6\ncall local f\nexit\nf:\nmov %r0, 0\njeq %r1, 0, out\nsub %r1, 1\ncall local f\nadd %r0, 1\nout:\nexit", 6 },
};

TEST(isa_semantics)
{
	for (int e = 0; e < ISA_ENGINE_CNT; e++) {
		struct sops_vm_opts o;

		if (!isa_engine_opts(e, &o))
			continue;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char name[160], msg[256];
			uint64_t r0 = 0;
			int err = isa_run(e, cases[i].text, NULL, 0, &r0, msg, sizeof(msg));

			snprintf(name, sizeof(name), "isa/%s/%s", isa_engine_names[e], cases[i].name);
			if (err)
				test_result(name, 0, "error %d: %s", err, msg);
			else
				test_result(name, r0 == cases[i].r0, "r0 = 0x%" PRIx64 ", expected 0x%" PRIx64,
					    r0, cases[i].r0);
		}
	}
}

TEST(isa_memory_argument)
{
	/* mem[15] starts at 0, so only the program's store can put 16 there. */
	uint8_t mem[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0 };

	for (int e = 0; e < ISA_ENGINE_CNT; e++) {
		struct sops_vm_opts o;
		uint64_t r0;

		if (!isa_engine_opts(e, &o))
			continue;
		/* r2 holds the length; a store through r1 reaches the caller's buffer. */
		T_EQ(isa_run(e, "stxb [%r1+15], %r2\nldxdw %r0, [%r1+8]\nexit", mem, sizeof(mem), &r0,
			     NULL, 0), 0);
		T_EQ(r0, 0x100f0e0d0c0b0a09ull);
		T_EQ(mem[15], 16);
		mem[15] = 0;
	}
}

TEST(isa_call_depth_limit)
{
	/* Eight frames in all, main included: a ninth must stop the program with -E2BIG. */
	static const char *prog = "mov %r1, 7\ncall local f\nexit\nf:\nmov %r0, 0\njeq %r1, 0, out\n"
				  "sub %r1, 1\ncall local f\nadd %r0, 1\nout:\nexit";
	uint64_t r0;

	for (int e = 0; e < 2; e++) {
		char msg[256];

		T_EQ(isa_run(e, prog, NULL, 0, &r0, msg, sizeof(msg)), -E2BIG);
		T_ASSERT(strstr(msg, "deeper than 8 frames"));
	}
}
