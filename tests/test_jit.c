/* SPDX-License-Identifier: MIT */
/*
 * test_jit.c - the x86-64 JIT beyond plain semantics (which the conformance
 * suite and test_jit_diff.c cover): the code it emits, the native calling
 * contract (callee-saved registers, stack alignment at helper calls), the
 * stops (call depth, callx to an unknown id), W^X, image placement near the
 * library, constant blinding, perf map entries, and compile time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <structops/asm.h>
#include <structops/vm.h>

#include "../src/jit/jit.h"
#include "../src/vm/vm_internal.h"
#include "test.h"

/* Assemble @text and create a vm on @engine; returns 0 or the error. */
static int jit_make(const char *text, struct sops_vm_opts *opts, struct sops_vm **vm)
{
	struct sops_insn *insns;
	size_t cnt;
	char log[256] = "";
	int err;

	err = sops_asm__parse(text, &insns, &cnt, log, sizeof(log));
	if (err) {
		printf("  asm: %s\n", log);
		return err;
	}
	opts->sz = sizeof(*opts);
	opts->log_buf = log;
	opts->log_size = sizeof(log);
	err = sops_vm__create(insns, cnt, opts, vm);
	free(insns);
	if (err)
		printf("  create: %s\n", log);
	return err;
}

static int run_both(const char *text, struct sops_vm_opts *base, uint64_t r1, uint64_t r2,
		    uint64_t *jit_r0, int *interp_err, uint64_t *interp_r0)
{
	struct sops_vm_opts opts = *base;
	struct sops_vm_run_opts run = { .sz = sizeof(run), .args = { r1, r2 } };
	struct sops_vm *vm;
	int err;

	opts.engine = SOPS_ENGINE_INTERP;
	err = jit_make(text, &opts, &vm);
	if (err)
		return err;
	*interp_err = sops_vm__run(vm, &run);
	*interp_r0 = run.retval;
	sops_vm__free(vm);

	opts = *base;
	opts.engine = SOPS_ENGINE_JIT;
	err = jit_make(text, &opts, &vm);
	if (err)
		return err;
	*jit_r0 = sops_vm__jit_fn(vm)(r1, r2, 0, 0, 0);
	sops_vm__free(vm);
	return 0;
}

TEST(jit_available)
{
	T_ASSERT(sops_jit_available());
}

/* The one-line callback compiles to exactly what gcc -O2 would write: no prologue. */
TEST(jit_code_one_line_callback)
{
	static const uint8_t want[] = { 0x48, 0x8b, 0x07, 0x48, 0x83, 0xc0, 0x01, 0xc3 };
	struct sops_vm_opts opts = { .engine = SOPS_ENGINE_JIT };
	struct sops_vm *vm;
	const void *code;
	size_t size;
	uint64_t ctx = 41;

	T_EQ(jit_make("ldxdw %r0, [%r1]\nadd %r0, 1\nexit\n", &opts, &vm), 0);
	code = sops_vm__jit_image(vm, &size);
	T_ASSERT(code);
	T_EQ(size, sizeof(want));
	T_ASSERT(!memcmp(code, want, sizeof(want)));
	T_EQ(sops_vm__exec(vm, (uintptr_t)&ctx, 0), 42);
	T_EQ(jit_image_insn_offset(vm->jit, 1), 3);
	sops_vm__free(vm);
}

/* Short forms: a 32-bit op needs no zero-extension move; a short loop uses rel8 jumps. */
TEST(jit_code_short_forms)
{
	struct sops_vm_opts opts = { .engine = SOPS_ENGINE_JIT };
	struct sops_vm *vm;
	size_t size;

	/* mov32 r0, r1 (2) ; add32 r0, 1 (3) ; ret (1) */
	T_EQ(jit_make("mov32 %r0, %r1\nadd32 %r0, 1\nexit\n", &opts, &vm), 0);
	T_ASSERT(sops_vm__jit_image(vm, &size));
	T_EQ(size, 6);
	T_EQ(sops_vm__exec(vm, 0xffffffffffffffffull, 0), 0);
	sops_vm__free(vm);

	/* r0 = sum 1..r1: xor(2) mov(3)? loop: add(3) sub(4) jne rel8(2) ret */
	T_EQ(jit_make("mov %r0, 0\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit\n",
		      &opts, &vm), 0);
	T_ASSERT(sops_vm__jit_image(vm, &size));
	T_ASSERT(size <= 2 + 3 + 4 + 3 + 2 + 1);
	T_EQ(sops_vm__exec(vm, 100, 0), 5050);
	sops_vm__free(vm);
}

static bool within_2g(uintptr_t a, uintptr_t b)
{
	return (a > b ? a - b : b - a) < (1ul << 31);
}

/*
 * Images land within rel32 reach of the library (jit_mem.c), also many at
 * once (a plain mmap hint would place only the first one there); an
 * allocation with no usable target or one too low to place below still
 * succeeds, anywhere.
 */
TEST(jit_placement_near_library)
{
	struct sops_vm_opts opts = { .engine = SOPS_ENGINE_JIT };
	uintptr_t lib = (uintptr_t)sops_vm__create;
	struct sops_vm *vm[64];
	int near = 0;
	void *mem;

	for (int i = 0; i < 64; i++) {
		T_EQ(jit_make("mov %r0, 7\nexit\n", &opts, &vm[i]), 0);
		near += within_2g((uintptr_t)sops_vm__jit_image(vm[i], NULL), lib);
		T_EQ(sops_vm__exec(vm[i], 0, 0), 7);
	}
	for (int i = 0; i < 64; i++)
		sops_vm__free(vm[i]);
	/*
	 * The window is hundreds of MiB of mostly free address space: all 64 fit.
	 * A library in the low 4.5 GiB (a non-PIE executable) is not placed below.
	 */
	if (lib > (5ul << 30))
		T_EQ(near, 64);
	else
		printf("INFO jit_placement_near_library: library at %#lx, too low to place images below\n",
		       (unsigned long)lib);
	for (uintptr_t target = 0; target < 2; target++) {
		mem = jit_mem_alloc(4096, target ? (const void *)(uintptr_t)0x10000 : NULL);
		T_ASSERT(mem);
		memset(mem, 0xc3, 4096);
		jit_mem_free(mem, 4096);
	}
}

/* The image's pages are read+exec, never writable. */
TEST(jit_wx)
{
	struct sops_vm_opts opts = { .engine = SOPS_ENGINE_JIT };
	struct sops_vm *vm;
	char line[512];
	uintptr_t code;
	FILE *f;
	int found = 0;

	T_EQ(jit_make("mov %r0, 7\nexit\n", &opts, &vm), 0);
	code = (uintptr_t)sops_vm__jit_image(vm, NULL);
	f = fopen("/proc/self/maps", "r");
	T_ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perm[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 || code < lo || code >= hi)
			continue;
		found = 1;
		if (strcmp(perm, "r-xp") != 0) {
			fclose(f);
			sops_vm__free(vm);
			T_FAIL("image mapped %s", perm);
		}
	}
	fclose(f);
	sops_vm__free(vm);
	T_ASSERT(found);
}

/*
 * Call JIT code with sentinels in every callee-saved register and check them
 * afterwards: *@bad gets a bit per clobbered register. Written in assembly
 * because C cannot name the registers.
 */
uint64_t jit_call_sentinel(sops_jit_fn fn, uint64_t r1, uint64_t r2, int *bad);
__asm__(".text\n"
	".p2align 4\n"
	"jit_call_sentinel:\n"
	"	push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"	push %rcx\n" /* bad; 7 pushes + return address: rsp is 16-aligned */
	"	mov %rdi, %rax\n mov %rsi, %rdi\n mov %rdx, %rsi\n"
	"	xor %edx, %edx\n xor %ecx, %ecx\n xor %r8d, %r8d\n"
	"	movabs $0x1111111111111111, %rbx\n movabs $0x2222222222222222, %rbp\n"
	"	movabs $0x3333333333333333, %r12\n movabs $0x4444444444444444, %r13\n"
	"	movabs $0x5555555555555555, %r14\n movabs $0x6666666666666666, %r15\n"
	"	call *%rax\n"
	"	pop %rcx\n xor %edx, %edx\n"
	"	movabs $0x1111111111111111, %r11\n cmp %r11, %rbx\n setne %dl\n"
	"	movabs $0x2222222222222222, %r11\n cmp %r11, %rbp\n setne %r10b\n shl $1, %r10b\n or %r10b, %dl\n"
	"	movabs $0x3333333333333333, %r11\n cmp %r11, %r12\n setne %r10b\n shl $2, %r10b\n or %r10b, %dl\n"
	"	movabs $0x4444444444444444, %r11\n cmp %r11, %r13\n setne %r10b\n shl $3, %r10b\n or %r10b, %dl\n"
	"	movabs $0x5555555555555555, %r11\n cmp %r11, %r14\n setne %r10b\n shl $4, %r10b\n or %r10b, %dl\n"
	"	movabs $0x6666666666666666, %r11\n cmp %r11, %r15\n setne %r10b\n shl $5, %r10b\n or %r10b, %dl\n"
	"	mov %edx, (%rcx)\n"
	"	pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
	"	ret\n");

static int misaligned_calls;

/* A helper that checks the stack alignment of its call and returns r1 + r2 + *aux. */
static uint64_t h_check(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, void *aux)
{
	/* frame address = rsp at entry - 8: 16-aligned iff the call site was */
	if ((uintptr_t)__builtin_frame_address(0) & 15)
		__atomic_add_fetch(&misaligned_calls, 1, __ATOMIC_RELAXED);
	return r1 + r2 + (aux ? *(uint64_t *)aux : 0);
}

static const char prog_frames[] =
	/* main: uses r6-r9 and the stack, calls a helper and a subprogram */
	"mov %r6, %r1\n"
	"mov %r7, 7\n"
	"mov %r8, 8\n"
	"mov %r9, 9\n"
	"stxdw [%r10-8], %r6\n"
	"mov %r1, 1\n"
	"mov %r2, 2\n"
	"call 1\n"              /* 1 + 2 + 100 */
	"mov %r1, %r0\n"
	"call local sub\n"
	"ldxdw %r1, [%r10-8]\n"
	"add %r0, %r1\n"
	"add %r0, %r6\n"
	"add %r0, %r7\n"
	"add %r0, %r8\n"
	"add %r0, %r9\n"
	"exit\n"
	/* sub: clobbers r6 and r9, its own stack, a helper from an odd push count */
	"sub:\n"
	"mov %r6, 1000\n"
	"mov %r9, 2000\n"
	"stdw [%r10-16], 5\n"
	"mov %r2, %r6\n"
	"call 1\n"              /* r1 + 1000 + 100 */
	"ldxdw %r1, [%r10-16]\n"
	"add %r0, %r1\n"
	"add %r0, %r9\n"
	"exit\n";

TEST(jit_native_contract)
{
	uint64_t aux = 100;
	struct sops_helper helpers[] = { { 1, "check", h_check, NULL } };
	struct sops_vm_opts opts = { .engine = SOPS_ENGINE_JIT, .helpers = helpers, .helper_cnt = 1,
				     .aux = &aux };
	struct sops_vm *vm;
	uint64_t r0, ir0;
	int bad = -1, ierr;

	misaligned_calls = 0;
	T_EQ(jit_make(prog_frames, &opts, &vm), 0);
	r0 = jit_call_sentinel(sops_vm__jit_fn(vm), 50, 0, &bad);
	sops_vm__free(vm);
	T_EQ(bad, 0);
	T_EQ(misaligned_calls, 0);
	/* 103 -> sub: 103 + 1000 + 100 + 5 + 2000 = 3208; + 50 + 50 + 7 + 8 + 9 */
	T_EQ(r0, 3208 + 50 + 50 + 7 + 8 + 9);
	T_EQ(run_both(prog_frames, &opts, 50, 0, &r0, &ierr, &ir0), 0);
	T_EQ(ierr, 0);
	T_EQ(ir0, r0);
}

/* Recursion: r0 = depth reached. Frames = main + (n + 1) sub frames. */
static const char prog_recurse[] =
	"call local sub\n"
	"exit\n"
	"sub:\n"
	"mov %r0, 0\n"
	"jeq %r1, 0, out\n"
	"sub %r1, 1\n"
	"call local sub\n"
	"add %r0, 1\n"
	"out:\n"
	"exit\n";

TEST(jit_call_depth_limit)
{
	struct sops_vm_opts opts = { 0 };
	uint64_t r0, ir0;
	int ierr, bad = -1;
	struct sops_vm *vm;

	/* n = 6: 8 frames, the most allowed: both engines finish */
	T_EQ(run_both(prog_recurse, &opts, 6, 0, &r0, &ierr, &ir0), 0);
	T_EQ(ierr, 0);
	T_EQ(ir0, 6);
	T_EQ(r0, 6);
	/* n = 7: one frame too many: the interpreter stops with -E2BIG, the JIT returns 0 */
	T_EQ(run_both(prog_recurse, &opts, 7, 0, &r0, &ierr, &ir0), 0);
	T_EQ(ierr, -E2BIG);
	T_EQ(r0, 0);
	/* unbounded recursion unwinds cleanly, leaving the caller's registers intact */
	opts.engine = SOPS_ENGINE_JIT;
	T_EQ(jit_make(prog_recurse, &opts, &vm), 0);
	T_EQ(jit_call_sentinel(sops_vm__jit_fn(vm), 1000000, 0, &bad), 0);
	T_EQ(bad, 0);
	T_EQ(jit_call_sentinel(sops_vm__jit_fn(vm), 3, 0, &bad), 3);
	T_EQ(bad, 0);
	sops_vm__free(vm);
}

/* callx with an unknown id stops the program with r0 = 0, from any depth. */
TEST(jit_callx)
{
	uint64_t aux = 100;
	struct sops_helper helpers[] = { { 1, "check", h_check, NULL }, { 3, "check3", h_check, NULL } };
	struct sops_vm_opts opts = { .engine = SOPS_ENGINE_JIT, .helpers = helpers, .helper_cnt = 2,
				     .aux = &aux };
	static const char prog[] =
		"mov %r6, %r1\n"
		"mov %r1, 5\n"
		"mov %r2, 6\n"
		"call %r6\n"
		"exit\n";
	static const char prog_sub[] =
		"mov %r6, 77\n"
		"call local sub\n"
		"add %r0, %r6\n"
		"exit\n"
		"sub:\n"
		"mov %r7, %r1\n"
		"stdw [%r10-8], 1\n"
		"call local sub2\n"
		"add %r0, %r7\n"
		"exit\n"
		"sub2:\n"
		"mov %r2, 6\n"
		"call %r1\n"
		"exit\n";
	struct sops_vm *vm;
	int bad = -1;

	misaligned_calls = 0;
	T_EQ(jit_make(prog, &opts, &vm), 0);
	T_EQ(jit_call_sentinel(sops_vm__jit_fn(vm), 1, 0, &bad), 111);
	T_EQ(jit_call_sentinel(sops_vm__jit_fn(vm), 3, 0, &bad), 111);
	T_EQ(jit_call_sentinel(sops_vm__jit_fn(vm), 2, 0, &bad), 0);
	T_EQ(jit_call_sentinel(sops_vm__jit_fn(vm), 4, 0, &bad), 0);
	T_EQ(jit_call_sentinel(sops_vm__jit_fn(vm), (uint64_t)-1, 0, &bad), 0);
	T_EQ(bad, 0);
	sops_vm__free(vm);

	T_EQ(jit_make(prog_sub, &opts, &vm), 0);
	/* r1 = id 1: r0 = 1 + 6 + 100 + 1 + 77 */
	T_EQ(jit_call_sentinel(sops_vm__jit_fn(vm), 1, 0, &bad), 185);
	T_EQ(bad, 0);
	T_EQ(jit_call_sentinel(sops_vm__jit_fn(vm), 9, 0, &bad), 0);
	T_EQ(bad, 0);
	T_EQ(misaligned_calls, 0);
	sops_vm__free(vm);
}

static uint64_t kf_sum5(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + 10 * b + 100 * c + 1000 * d + 10000 * e;
}

static int kf_resolve(void *ctx, int32_t btf_id, int16_t slot, sops_kfunc_fn *fn)
{
	*fn = kf_sum5;
	return 0;
}

TEST(jit_kfunc_five_args)
{
	struct sops_vm_opts opts = { .engine = SOPS_ENGINE_JIT, .kfunc_resolve = kf_resolve };
	struct sops_vm *vm;

	T_EQ(jit_make("mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\n"
		      "call runtime 9\nexit\n", &opts, &vm), 0);
	T_EQ(sops_vm__exec(vm, 0, 0), 54321);
	sops_vm__free(vm);
}

/* Corner cases where x86 and BPF disagree unless the JIT takes care. */
TEST(jit_x86_corner_cases)
{
	static const struct {
		const char *text;
		uint64_t r1, r2;
	} cases[] = {
		/* 32-bit shift by a register holding 0 still zero-extends */
		{ "mov %r0, %r1\nlsh32 %r0, %r2\nexit\n", 0xffffffff12345678ull, 0 },
		{ "mov %r0, %r1\nrsh32 %r0, %r2\nexit\n", 0xffffffff12345678ull, 32 },
		{ "mov %r0, %r1\narsh32 %r0, %r2\nexit\n", 0xffffffff82345678ull, 0 },
		/* shift where the count or the value is BPF r4 (rcx) */
		{ "mov %r4, %r1\nlsh %r4, %r2\nmov %r0, %r4\nexit\n", 3, 65 },
		{ "mov %r4, %r2\nmov %r0, %r1\nrsh %r0, %r4\nadd %r0, %r4\nexit\n", 1 << 20, 3 },
		{ "mov %r4, %r1\nlsh32 %r4, %r4\nmov %r0, %r4\nexit\n", 0xff00000003ull, 0 },
		/* division with r0 / r3 (rax / rdx) as destination or source */
		{ "mov %r3, %r1\ndiv %r3, %r2\nmov %r0, %r3\nexit\n", 1000, 7 },
		{ "mov %r0, %r1\nmov %r3, 5\nmod %r0, %r3\nadd %r0, %r3\nexit\n", 1003, 0 },
		{ "mov %r0, %r2\nmov %r3, %r1\nsdiv %r3, %r0\nmov %r0, %r3\nexit\n", 0x8000000000000000ull, -1 },
		{ "mov %r0, %r2\nmov %r3, %r1\nsmod32 %r3, %r0\nmov %r0, %r3\nexit\n", 0x80000000ull, -1 },
		{ "mov %r3, 9\nmov %r0, %r1\ndiv32 %r0, %r2\nadd %r0, %r3\nexit\n", 0xffffffff00000064ull, 0x100000000ull },
		{ "mov %r0, %r1\nmod32 %r0, %r2\nexit\n", 0xffffffff00000064ull, 0x100000000ull },
		/* byte registers that need a REX prefix (sil, dil) */
		{ "stxb [%r10-1], %r2\nstxb [%r10-2], %r1\nldxh %r0, [%r10-2]\nexit\n", 0x1234, 0x5678 },
		{ "movsx864 %r0, %r2\nexit\n", 0, 0x80 },
		{ "movsx832 %r0, %r1\nexit\n", 0, 0xff },
		/* 32-bit cmpxchg success leaves rax zero-extended */
		{ "stw [%r10-4], 5\nlddw %r0, 0xffffffff00000005\nmov %r2, 9\n"
		  "lock cmpxchg32 [%r10-4], %r2\nldxw %r1, [%r10-4]\nlsh %r1, 32\nor %r0, %r1\nexit\n", 0, 0 },
		/* fetch-or with r0 as the value and as the address */
		{ "stdw [%r10-8], 3\nmov %r0, 12\nmov %r1, %r10\nadd %r1, -8\n"
		  "lock fetch or [%r1], %r0\nldxdw %r1, [%r10-8]\nlsh %r1, 8\nor %r0, %r1\nexit\n", 0, 0 },
		{ "stdw [%r10-8], 3\nmov %r0, %r10\nadd %r0, -8\nmov %r2, 12\n"
		  "lock fetch xor [%r0], %r2\nldxdw %r1, [%r10-8]\nlsh %r1, 8\nor %r2, %r1\nmov %r0, %r2\nexit\n", 0, 0 },
		/* r7 (r13) as a memory base needs an explicit displacement */
		{ "mov %r7, %r10\nstdw [%r7-8], 99\nldxdw %r0, [%r7-8]\nexit\n", 0, 0 },
		/* be16 on a register above r7 */
		{ "mov %r9, %r1\nbe16 %r9\nmov %r0, %r9\nexit\n", 0xffff1234, 0 },
	};
	struct sops_vm_opts opts = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t r0, ir0;
		int ierr;

		T_EQ(run_both(cases[i].text, &opts, cases[i].r1, cases[i].r2, &r0, &ierr, &ir0), 0);
		T_EQ(ierr, 0);
		if (r0 != ir0)
			T_FAIL("case %zu: jit 0x%" PRIx64 ", interpreter 0x%" PRIx64, i, r0, ir0);
	}
}

static bool contains(const void *hay, size_t n, const void *needle, size_t m)
{
	return memmem(hay, n, needle, m) != NULL;
}

TEST(jit_blinding)
{
	static const char prog[] =
		"lddw %r0, 0x1122334455667788\n"
		"mov %r1, 0x12345678\n"
		"add %r0, %r1\n"
		"add32 %r1, 0x2468ace0\n"
		"stw [%r10-4], 0x13579bdf\n"
		"ldxw %r2, [%r10-4]\n"
		"add %r0, %r2\n"
		"xor %r0, %r1\n"
		"jeq %r2, 0x13579bdf, +1\n"
		"mov %r0, 0\n"
		"div %r0, 0x7fffff\n"
		"lsh %r0, 3\n"
		"exit\n";
	static const uint8_t c1[] = { 0x78, 0x56, 0x34, 0x12 }, c2[] = { 0xe0, 0xac, 0x68, 0x24 },
			     c3[] = { 0xdf, 0x9b, 0x57, 0x13 }, c4[] = { 0x88, 0x77, 0x66, 0x55 };
	struct sops_vm_opts opts = { .engine = SOPS_ENGINE_JIT };
	struct sops_vm *plain, *blind;
	const void *code;
	size_t size;

	T_EQ(jit_make(prog, &opts, &plain), 0);
	opts.jit_blinding = true;
	T_EQ(jit_make(prog, &opts, &blind), 0);
	T_EQ(sops_vm__exec(plain, 0, 0), sops_vm__exec(blind, 0, 0));
	code = sops_vm__jit_image(plain, &size);
	T_ASSERT(contains(code, size, c1, 4) && contains(code, size, c3, 4));
	code = sops_vm__jit_image(blind, &size);
	T_ASSERT(!contains(code, size, c1, 4));
	T_ASSERT(!contains(code, size, c2, 4));
	T_ASSERT(!contains(code, size, c3, 4));
	T_ASSERT(!contains(code, size, c4, 4));
	sops_vm__free(plain);
	sops_vm__free(blind);
}

TEST(jit_perf_map)
{
	struct sops_vm_opts opts = { .engine = SOPS_ENGINE_JIT, .perf_map_name = "sops_test_perfmap" };
	struct sops_vm *vm;
	char path[64], line[256], want[128];
	FILE *f;
	int found = 0;

	T_EQ(jit_make("call local f\nexit\nf:\nmov %r0, 3\nexit\n", &opts, &vm), 0);
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	snprintf(want, sizeof(want), "%lx ", (unsigned long)(uintptr_t)sops_vm__jit_image(vm, NULL));
	f = fopen(path, "r");
	T_ASSERT(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)) && strstr(line, " sops_test_perfmap\n"))
			found |= 1;
		if (strstr(line, " sops_test_perfmap_sub2\n"))
			found |= 2;
	}
	fclose(f);
	sops_vm__free(vm);
	unlink(path);
	T_EQ(found, 3);
}
