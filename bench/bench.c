/* SPDX-License-Identifier: MIT */
/*
 * bench.c - the harness behind `make bench`: each kernel, natively and on every engine.
 *
 *   bench DIR [--samples N] [--target-ms MS] [KERNEL...]
 *
 * DIR holds the kernels as raw BPF bytecode (DIR/NAME.bin, built by bench.mk).
 * The same kernels are linked in natively twice, compiled by gcc (gcc_NAME) and
 * by clang (clang_NAME), in their own translation units so nothing of them can
 * be inlined into the timing loops here. For every kernel the harness:
 *  1. loads the bytecode into an interpreter vm (fast mode) and, when this build
 *     has a JIT, into a JIT vm; a checked-mode vm runs it once first, so broken
 *     bytecode stops with a message instead of crashing the fast engines;
 *  2. runs every engine once untimed and compares r0 with native gcc: any
 *     difference prints MISMATCH and the harness exits 1;
 *  3. per engine, picks a repeat count that makes one sample last about
 *     --target-ms, takes --samples samples and keeps the median time per run.
 * It prints one row per kernel and the median interpreter/native and JIT/native
 * ratios over the suite, program preparation times, the ops-member call, and
 * map lookups against native tables (bench_maps.c; select it as "maps").
 * Exit: 0 fine, 1 mismatch or engine failure, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <structops/vm.h>

#include "bench_maps.h"
#include "bench_st.h"
#include "bench_verify.h"
#include "struct_ops/thunk.h"

typedef uint64_t (*kernel_fn)(uint8_t *mem, uint64_t len);

/* The native kernels (bench/kernels/NAME.c built with KPREFIX=gcc_ and clang_). */
#define DECLARE_KERNEL(name)                                                                       \
	uint64_t gcc_##name(uint8_t *mem, uint64_t len);                                           \
	uint64_t clang_##name(uint8_t *mem, uint64_t len);
DECLARE_KERNEL(add_loop)
DECLARE_KERNEL(crc32)
DECLARE_KERNEL(fnv1a)
DECLARE_KERNEL(sort)
DECLARE_KERNEL(callback)
DECLARE_KERNEL(calls)

/* One kernel: its name (the .bin and the symbols), both natives, its buffer size. */
struct kernel {
	const char *name;
	kernel_fn gcc;
	kernel_fn clang;
	/* Bytes of mem, passed as r2 too; for add_loop and calls it is the loop count. */
	uint64_t len;
};

#define KERNEL(name, len) { #name, gcc_##name, clang_##name, len }
static const struct kernel kernels[] = {
	KERNEL(add_loop, 4096),
	KERNEL(crc32, 1024),
	KERNEL(fnv1a, 4096),
	KERNEL(sort, 1024), /* 128 u32 of input, 128 of scratch */
	KERNEL(callback, 8),
	KERNEL(calls, 1024),
};
#define KERNEL_CNT (sizeof(kernels) / sizeof(kernels[0]))

/* The columns: how each engine is called. */
enum engine_kind { ENG_GCC, ENG_CLANG, ENG_INTERP, ENG_JIT, ENG_CNT };
static const char *const engine_names[ENG_CNT] = { "gcc", "clang", "interp", "jit" };

/* What one engine runs for one kernel. */
struct runner {
	enum engine_kind kind;
	kernel_fn native;         /* ENG_GCC, ENG_CLANG */
	const struct sops_vm *vm; /* ENG_INTERP, and ENG_JIT without a native entry */
	sops_jit_fn jit;          /* ENG_JIT */
};

struct options {
	const char *dir;
	int samples;
	double target_ns; /* wanted length of one sample */
	char **only;      /* kernel names to run; all when only_cnt is 0 */
	int only_cnt;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The repeat loops, one per kind so each pays only its own call. noinline keeps
 * them out of the calibration code; the empty asm with a memory clobber makes
 * every result "used" and every call's memory effects visible, so no call can
 * be merged, hoisted or dropped.
 */
static __attribute__((noinline)) void repeat_native(kernel_fn fn_arg, uint8_t *mem, uint64_t len, uint64_t reps)
{
	/* Read through a volatile: even a specializing compiler cannot know the callee. */
	kernel_fn volatile fn_slot = fn_arg;
	kernel_fn fn = fn_slot;

	for (uint64_t i = 0; i < reps; i++) {
		uint64_t r = fn(mem, len);

		__asm__ volatile("" : : "r"(r) : "memory");
	}
}

static __attribute__((noinline)) void repeat_interp(const struct sops_vm *vm, uint8_t *mem, uint64_t len,
						     uint64_t reps)
{
	for (uint64_t i = 0; i < reps; i++) {
		uint64_t r = sops_vm__exec(vm, (uint64_t)(uintptr_t)mem, len);

		__asm__ volatile("" : : "r"(r) : "memory");
	}
}

static __attribute__((noinline)) void repeat_jit(sops_jit_fn fn_arg, uint8_t *mem, uint64_t len, uint64_t reps)
{
	sops_jit_fn volatile fn_slot = fn_arg;
	sops_jit_fn fn = fn_slot;

	for (uint64_t i = 0; i < reps; i++) {
		uint64_t r = fn((uint64_t)(uintptr_t)mem, len, 0, 0, 0);

		__asm__ volatile("" : : "r"(r) : "memory");
	}
}

/* Runs @r once and returns r0. */
static uint64_t run_once(const struct runner *r, uint8_t *mem, uint64_t len)
{
	switch (r->kind) {
	case ENG_GCC:
	case ENG_CLANG:
		return r->native(mem, len);
	case ENG_JIT:
		if (r->jit)
			return r->jit((uint64_t)(uintptr_t)mem, len, 0, 0, 0);
		return sops_vm__exec(r->vm, (uint64_t)(uintptr_t)mem, len);
	default:
		return sops_vm__exec(r->vm, (uint64_t)(uintptr_t)mem, len);
	}
}

/* Wall time of @reps runs of @r, in ns. */
static uint64_t time_reps(const struct runner *r, uint8_t *mem, uint64_t len, uint64_t reps)
{
	uint64_t t0 = now_ns();

	if (r->kind == ENG_GCC || r->kind == ENG_CLANG)
		repeat_native(r->native, mem, len, reps);
	else if (r->kind == ENG_JIT && r->jit)
		repeat_jit(r->jit, mem, len, reps);
	else
		repeat_interp(r->vm, mem, len, reps);
	return now_ns() - t0;
}

/* A repeat count that makes one sample last about @target_ns (at least 1/2 of it). */
static uint64_t calibrate(const struct runner *r, uint8_t *mem, uint64_t len, double target_ns)
{
	uint64_t reps = 1;

	for (;;) {
		uint64_t t = time_reps(r, mem, len, reps);

		if ((double)t >= target_ns / 2 || reps >= (1ull << 40)) {
			/* Scale to the target from a measurement long enough to trust. */
			double scaled = (double)reps * target_ns / (double)(t ? t : 1);

			return scaled < 1 ? 1 : (uint64_t)scaled;
		}
		/* Grow fast while runs are too short to time, never more than 100x. */
		reps *= (t * 100 < target_ns) ? 100 : 2;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median ns per run of @r over @samples samples. */
static double measure(const struct runner *r, uint8_t *mem, uint64_t len, const struct options *o)
{
	double per_run[64];
	uint64_t reps = calibrate(r, mem, len, o->target_ns);

	for (int s = 0; s < o->samples; s++)
		per_run[s] = (double)time_reps(r, mem, len, reps) / (double)reps;
	return median(per_run, o->samples);
}

/* Reads DIR/NAME.bin. Returns 0, the slots (free() them) and their count, or -errno. */
static int read_bin(const char *dir, const char *name, struct sops_insn **insns, size_t *cnt)
{
	char path[4096];
	FILE *f;
	long size;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		err = -errno;
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return err;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "bench: %s: cannot get its size\n", path);
		fclose(f);
		return -EIO;
	}
	if (size == 0 || size % SOPS_INSN_SIZE) {
		fprintf(stderr, "bench: %s: %ld bytes, not a whole number of instructions\n", path, size);
		fclose(f);
		return -EINVAL;
	}
	*insns = malloc((size_t)size);
	if (!*insns) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(*insns, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "bench: %s: short read\n", path);
		free(*insns);
		err = -EIO;
	}
	fclose(f);
	*cnt = (size_t)size / SOPS_INSN_SIZE;
	return err;
}

/* Deterministic pseudo-random contents (xorshift64), the same on every run. */
static void fill_mem(uint8_t *mem, uint64_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (uint64_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		mem[i] = (uint8_t)(x >> 24);
	}
}

static int create_vm(const struct sops_insn *insns, size_t cnt, enum sops_engine engine, bool checked,
		     struct sops_vm **vm, char *log, size_t log_size)
{
	struct sops_vm_opts opts;

	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.engine = engine;
	opts.checked = checked;
	opts.log_buf = log;
	opts.log_size = log_size;
	log[0] = '\0';
	return sops_vm__create(insns, cnt, &opts, vm);
}

/*
 * Runs the bytecode once in checked mode with mem as its only region: a wrong
 * .bin then fails here with the interpreter's message, not in a fast engine.
 */
static int checked_run(const char *name, const struct sops_insn *insns, size_t cnt, uint8_t *mem, uint64_t len,
		       uint64_t *r0)
{
	struct sops_mem_region region = { (uint64_t)(uintptr_t)mem, len, true };
	struct sops_vm_run_opts run;
	struct sops_vm *vm = NULL;
	char msg[512];
	int err;

	err = create_vm(insns, cnt, SOPS_ENGINE_INTERP, true, &vm, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "bench: %s: checked vm: %s (%d)\n", name, msg, err);
		return err;
	}
	memset(&run, 0, sizeof(run));
	run.sz = sizeof(run);
	run.args[0] = (uint64_t)(uintptr_t)mem;
	run.args[1] = len;
	run.regions = &region;
	run.region_cnt = 1;
	run.fault_buf = msg;
	run.fault_size = sizeof(msg);
	msg[0] = '\0';
	err = sops_vm__run(vm, &run);
	if (err)
		fprintf(stderr, "bench: %s: checked run stopped at insn %u: %s (%d)\n", name, run.fault_pc, msg, err);
	*r0 = run.retval;
	sops_vm__free(vm);
	return err;
}

/* One row of results: ns per run per engine, negative when the engine is absent. */
struct row {
	double ns[ENG_CNT];
};

/* Prepares, checks and times one kernel. Returns 0, or 1 on mismatch or failure. */
static int bench_kernel(const struct kernel *k, const struct options *o, struct row *row)
{
	struct sops_vm *interp = NULL, *jit = NULL;
	struct runner runners[ENG_CNT];
	struct sops_insn *insns = NULL;
	size_t cnt = 0;
	uint8_t *mem;
	uint64_t want, got;
	char log[512];
	int ret = 1, err;

	for (int e = 0; e < ENG_CNT; e++)
		row->ns[e] = -1;
	/* Cache-line aligned, so u64 loads are aligned for every engine alike. */
	mem = aligned_alloc(64, (k->len + 63) / 64 * 64);
	if (!mem || read_bin(o->dir, k->name, &insns, &cnt))
		goto out;
	fill_mem(mem, k->len, k->len);

	want = k->gcc(mem, k->len);
	if (checked_run(k->name, insns, cnt, mem, k->len, &got))
		goto out;
	if (got != want) {
		printf("MISMATCH %s: checked interpreter r0=0x%" PRIx64 ", native gcc r0=0x%" PRIx64 "\n", k->name,
		       got, want);
		goto out;
	}
	err = create_vm(insns, cnt, SOPS_ENGINE_INTERP, false, &interp, log, sizeof(log));
	if (err) {
		fprintf(stderr, "bench: %s: interpreter: %s (%d)\n", k->name, log, err);
		goto out;
	}
	/* The JIT column appears by itself once this build has a working JIT. */
	if (sops_jit_available() && create_vm(insns, cnt, SOPS_ENGINE_JIT, false, &jit, log, sizeof(log))) {
		fprintf(stderr, "bench: %s: JIT available but refused the kernel: %s\n", k->name, log);
		jit = NULL;
	}

	runners[ENG_GCC] = (struct runner){ .kind = ENG_GCC, .native = k->gcc };
	runners[ENG_CLANG] = (struct runner){ .kind = ENG_CLANG, .native = k->clang };
	runners[ENG_INTERP] = (struct runner){ .kind = ENG_INTERP, .vm = interp };
	runners[ENG_JIT] = (struct runner){ .kind = ENG_JIT, .vm = jit, .jit = jit ? sops_vm__jit_fn(jit) : NULL };

	/* The untimed warm-up doubles as the correctness check. */
	for (int e = 0; e < ENG_CNT; e++) {
		if (e == ENG_JIT && !jit)
			continue;
		got = run_once(&runners[e], mem, k->len);
		if (got != want) {
			printf("MISMATCH %s: %s r0=0x%" PRIx64 ", native gcc r0=0x%" PRIx64 "\n", k->name,
			       engine_names[e], got, want);
			goto out;
		}
	}
	for (int e = 0; e < ENG_CNT; e++) {
		if (e == ENG_JIT && !jit)
			continue;
		row->ns[e] = measure(&runners[e], mem, k->len, o);
	}
	/* Repeated runs must not have changed the answer (sort rewrites its scratch). */
	if (run_once(&runners[ENG_INTERP], mem, k->len) != want) {
		printf("MISMATCH %s: interpreter r0 changed after repeated runs\n", k->name);
		goto out;
	}
	ret = 0;
out:
	sops_vm__free(interp);
	sops_vm__free(jit);
	free(insns);
	free(mem);
	return ret;
}

static void print_ns(double ns)
{
	if (ns < 0)
		printf(" %10s", "n/a");
	else
		printf(" %10.1f", ns);
}

static void print_ratio(double num, double den)
{
	if (num < 0 || den <= 0)
		printf(" %10s", "n/a");
	else
		printf(" %9.2fx", num / den);
}

static void print_header(void)
{
	printf("%-10s %6s %10s %10s %10s %10s %10s %10s\n", "kernel", "len", "gcc ns", "clang ns", "interp ns",
	       "jit ns", "interp/gcc", "jit/gcc");
}

static void print_row(const struct kernel *k, const struct row *r)
{
	printf("%-10s %6" PRIu64, k->name, k->len);
	for (int e = 0; e < ENG_CNT; e++)
		print_ns(r->ns[e]);
	print_ratio(r->ns[ENG_INTERP], r->ns[ENG_GCC]);
	print_ratio(r->ns[ENG_JIT], r->ns[ENG_GCC]);
	printf("\n");
	fflush(stdout);
}

/* Prints the median of engine/gcc over the rows that have the engine. */
static void print_median_ratio(const char *label, const struct row *rows, int n, enum engine_kind e, const char *goal)
{
	double ratios[KERNEL_CNT];
	int cnt = 0;

	for (int i = 0; i < n; i++)
		if (rows[i].ns[e] >= 0 && rows[i].ns[ENG_GCC] > 0)
			ratios[cnt++] = rows[i].ns[e] / rows[i].ns[ENG_GCC];
	if (!cnt)
		printf("median %s/gcc: n/a\n", label);
	else
		printf("median %s/gcc: %.2fx over %d kernels%s\n", label, median(ratios, cnt), cnt, goal);
}

static int usage(void)
{
	fprintf(stderr, "usage: bench DIR [--samples N (1-63, default 7)] [--target-ms MS (default 25)] "
			"[KERNEL...]\n");
	return 2;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	o->samples = 7;
	o->target_ns = 25e6;
	o->only = calloc((size_t)argc, sizeof(*o->only));
	if (!o->only)
		return -1;
	for (int i = 1; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
			long v = strtol(argv[++i], &end, 10);

			if (*end || v < 1 || v > 63)
				return -1;
			o->samples = (int)v;
		} else if (!strcmp(argv[i], "--target-ms") && i + 1 < argc) {
			double v = strtod(argv[++i], &end);

			if (*end || !(v > 0 && v <= 10000))
				return -1;
			o->target_ns = v * 1e6;
		} else if (argv[i][0] == '-') {
			return -1;
		} else if (!o->dir) {
			o->dir = argv[i];
		} else {
			o->only[o->only_cnt++] = argv[i];
		}
	}
	return o->dir ? 0 : -1;
}

static bool selected(const struct options *o, const char *name)
{
	if (!o->only_cnt)
		return true;
	for (int i = 0; i < o->only_cnt; i++)
		if (!strcmp(o->only[i], name))
			return true;
	return false;
}

/*
 * A 100-slot program of the usual mix (loads, ALU with immediates, stack
 * stores, a forward branch, a short loop): the size the JIT's compile-time
 * goal is stated for.
 */
static void build_prog100(struct sops_insn *p)
{
	static const struct sops_insn body[8] = {
		{ 0x79, 2, 6, 0, 0 },          /* r2 = *(u64 *)(r6 + 0) */
		{ 0x0f, 0, 2, 0, 0 },          /* r0 += r2 */
		{ 0x27, 0, 0, 0, 31 },         /* r0 *= 31 */
		{ 0xa7, 0, 0, 0, 0x5bd1e995 }, /* r0 ^= K */
		{ 0x7b, 10, 0, -8, 0 },        /* *(u64 *)(r10 - 8) = r0 */
		{ 0x25, 0, 0, 1, 1000 },       /* if r0 > 1000 goto +1 */
		{ 0x07, 0, 0, 0, 1 },          /* r0 += 1 */
		{ 0x77, 0, 0, 0, 3 },          /* r0 >>= 3 */
	};
	size_t n = 0;

	p[n++] = (struct sops_insn){ 0xb7, 0, 0, 0, 0 }; /* r0 = 0 */
	p[n++] = (struct sops_insn){ 0xbf, 6, 1, 0, 0 }; /* r6 = r1 */
	while (n + 8 <= 94) {
		memcpy(&p[n], body, sizeof(body));
		n += 8;
	}
	p[n++] = (struct sops_insn){ 0xb7, 3, 0, 0, 4 };  /* r3 = 4 */
	p[n++] = (struct sops_insn){ 0x07, 0, 0, 0, 7 };  /* loop: r0 += 7 */
	p[n++] = (struct sops_insn){ 0x17, 3, 0, 0, 1 };  /* r3 -= 1 */
	p[n++] = (struct sops_insn){ 0x55, 3, 0, -3, 0 }; /* if r3 != 0 goto loop */
	while (n < 99)
		p[n++] = (struct sops_insn){ 0x07, 0, 0, 0, 1 };
	p[n++] = (struct sops_insn){ 0x95, 0, 0, 0, 0 };  /* exit */
}

/* Best time of sops_vm__create + free over several rounds, in microseconds, or < 0. */
static double time_create(const struct sops_insn *insns, size_t cnt, enum sops_engine engine)
{
	enum { ROUNDS = 5, PER_ROUND = 200 };
	double best = 1e30;
	char log[256];

	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < PER_ROUND; i++) {
			struct sops_vm *vm;

			if (create_vm(insns, cnt, engine, false, &vm, log, sizeof(log))) {
				fprintf(stderr, "bench: preparing a %zu-slot program: %s\n", cnt, log);
				return -1;
			}
			sops_vm__free(vm);
		}
		double per = (double)(now_ns() - t0) / PER_ROUND / 1000.0;
		if (per < best)
			best = per;
	}
	return best;
}

/*
 * Preparation cost through the public API: sops_vm__create() (check, resolve,
 * then pre-decode or compile, map, seal) plus free, for the 100-slot program
 * and for each kernel. The JIT's share includes two system calls (mmap,
 * mprotect) and the unmap, a fixed cost of several microseconds.
 */
static int bench_compile(const struct options *o)
{
	struct sops_insn prog[100];
	double interp, jit;

	build_prog100(prog);
	printf("\nprogram preparation, sops_vm__create + free (best of 5 x 200):\n");
	printf("%-10s %6s %12s %12s\n", "program", "slots", "interp us", "jit us");
	interp = time_create(prog, 100, SOPS_ENGINE_INTERP);
	jit = sops_jit_available() ? time_create(prog, 100, SOPS_ENGINE_JIT) : 0;
	if (interp < 0 || jit < 0)
		return -1;
	printf("%-10s %6d %12.2f %12.2f   (JIT goal: under 20 us)\n", "synthetic", 100, interp, jit);
	for (size_t k = 0; k < KERNEL_CNT; k++) {
		struct sops_insn *insns;
		size_t cnt;

		if (!selected(o, kernels[k].name) || read_bin(o->dir, kernels[k].name, &insns, &cnt))
			continue;
		interp = time_create(insns, cnt, SOPS_ENGINE_INTERP);
		jit = sops_jit_available() ? time_create(insns, cnt, SOPS_ENGINE_JIT) : 0;
		free(insns);
		if (interp < 0 || jit < 0)
			return -1;
		printf("%-10s %6zu %12.2f %12.2f\n", kernels[k].name, cnt, interp, jit);
	}
	return 0;
}

/* The host's own version of the one-line op, for the thunk comparison. */
static __attribute__((noinline)) uint64_t native_op(uint64_t x)
{
	return x + 1;
}

typedef uint64_t (*op_fn)(uint64_t);

static __attribute__((noinline)) uint64_t call_op_loop(op_fn fn_arg, uint64_t reps)
{
	op_fn volatile fn = fn_arg;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < reps; i++) {
		sum += fn(i);
		__asm__ volatile("" : "+r"(sum));
	}
	return sum;
}

static double time_op(op_fn fn, uint64_t reps, int samples)
{
	double per[64];

	if (samples > 64)
		samples = 64;
	call_op_loop(fn, reps / 10 + 1); /* warm-up */
	for (int s = 0; s < samples; s++) {
		uint64_t t0 = now_ns();

		call_op_loop(fn, reps);
		per[s] = (double)(now_ns() - t0) / (double)reps;
	}
	return median(per, samples);
}

/*
 * The struct_ops call path: a host calls `u64 op(u64 x)` through a function
 * pointer. Natively that pointer is native_op; with structops it is the thunk
 * of an ops member whose program is the callback kernel (`return ctx[0] + 1`),
 * JIT'd (native thunk) or interpreted (libffi thunk).
 */
static int bench_thunk(const struct options *o)
{
	const struct func_model m = { .nr_args = 1, .arg_size = { 8 }, .ret_size = 8 };
	const uint64_t reps = 20u << 20;
	struct sops_insn *insns;
	double native, via[2] = { 0, 0 };
	size_t cnt;
	char log[256];

	if (!selected(o, "callback") || read_bin(o->dir, "callback", &insns, &cnt))
		return 0;
	native = time_op(native_op, reps, o->samples);
	for (int e = 0; e < 2; e++) {
		enum sops_engine engine = e ? SOPS_ENGINE_JIT : SOPS_ENGINE_INTERP;
		struct sops_vm *vm;
		struct thunk *th;

		if (e && !sops_jit_available())
			continue;
		if (create_vm(insns, cnt, engine, false, &vm, log, sizeof(log)) ||
		    thunk_create(&m, vm, &th, NULL)) {
			fprintf(stderr, "bench: cannot build the callback thunk: %s\n", log);
			free(insns);
			return -1;
		}
		if (((op_fn)thunk_entry(th))(41) != 42) {
			printf("bench: MISMATCH: thunk(41) != 42\n");
			thunk_free(th);
			sops_vm__free(vm);
			free(insns);
			return -1;
		}
		via[e] = time_op((op_fn)thunk_entry(th), e ? reps : reps / 8, o->samples);
		thunk_free(th);
		sops_vm__free(vm);
	}
	free(insns);
	printf("\nops member call, u64 op(u64) through a function pointer (median ns/call):\n");
	printf("  native indirect call      %8.2f\n", native);
	printf("  thunk -> interpreter      %8.2f   %6.2fx (libffi thunk)\n", via[0], via[0] / native);
	if (via[1] > 0)
		printf("  thunk -> JIT              %8.2f   %6.2fx (goal: at most 1.5x)\n", via[1], via[1] / native);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct row rows[KERNEL_CNT];
	int n = 0, failed = 0;

	if (parse_args(argc, argv, &o)) {
		free(o.only);
		return usage();
	}
	for (int i = 0; i < o.only_cnt; i++) {
		bool known = false;

		/* the map lookup part (bench_maps.c), the verifier part (bench_verify.c) */
		known = !strcmp(o.only[i], "maps") || !strcmp(o.only[i], "verify") ||
			!strcmp(o.only[i], "st_call");
		for (size_t k = 0; k < KERNEL_CNT; k++)
			known |= !strcmp(kernels[k].name, o.only[i]);
		if (!known) {
			fprintf(stderr, "bench: no kernel named %s\n", o.only[i]);
			free(o.only);
			return 2;
		}
	}

	printf("structops bench: median of %d samples of ~%.0f ms each; JIT %s\n", o.samples, o.target_ns / 1e6,
	       sops_jit_available() ? "available" : "not available");
	print_header();
	for (size_t k = 0; k < KERNEL_CNT; k++) {
		if (!selected(&o, kernels[k].name))
			continue;
		if (bench_kernel(&kernels[k], &o, &rows[n])) {
			failed = 1;
			break;
		}
		print_row(&kernels[k], &rows[n]);
		n++;
	}
	if (!failed) {
		print_median_ratio("interp", rows, n, ENG_INTERP, " (goal: at most 15x)");
		print_median_ratio("jit", rows, n, ENG_JIT, " (goal: at most 1.3x)");
		if (bench_compile(&o) || bench_thunk(&o))
			failed = 1;
		if (!failed && selected(&o, "maps") && bench_maps(o.dir, o.samples, o.target_ns))
			failed = 1;
		if (!failed && selected(&o, "verify") && bench_verify())
			failed = 1;
		if (!failed && selected(&o, "st_call") && bench_st_call(o.samples))
			failed = 1;
	}
	if (failed) {
		printf("bench: FAILED (see above)\n");
	}
	free(o.only);
	return failed;
}
