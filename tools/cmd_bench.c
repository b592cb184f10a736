/* SPDX-License-Identifier: MIT */
/*
 * cmd_bench.c - `structops bench`: time raw bytecode on the interpreter or the JIT.
 *
 * Loads X.bin (entry at slot 0) into a fast-mode vm or a JIT vm, makes one
 * writable copy of X.mem, runs the program once untimed and prints its r0, then
 * prints the wall time of S samples of N runs each. It is the command-line
 * counterpart of the suite in bench/ (which drives the library directly); use it
 * to time your own bytecode, or to compare engines from a script.
 *
 * There is no verifier in this path and the fast engines do no checks: the
 * program touches host memory directly. That is what makes the numbers honest,
 * and why the help says to give it trusted bytecode only.
 *
 * Exit status: 0 success, 1 run-time failure (unreadable file, bytecode the vm
 * rejects, JIT not available), 2 usage error (unknown option, missing --prog,
 * repeat or samples not a positive integer).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <structops/vm.h>

#include "commands.h"

struct bench_args {
	bool jit;
	const char *prog;
	const char *mem;
	uint64_t repeat;
	uint64_t samples;
};

static void bench_help(FILE *out)
{
	fprintf(out,
		"usage: structops bench [--interp|--jit] --prog X.bin [--mem X.mem] [--repeat N] [--samples S]\n"
		"\n"
		"Times raw BPF bytecode. X.bin holds the instructions (8 bytes each, entry at the\n"
		"first); the program runs with r1 = a writable copy of X.mem and r2 = its length\n"
		"(r1 = 0 and r2 = 0 without --mem, or when X.mem is empty).\n"
		"\n"
		"Prints r0=0x<hex> from one untimed warm-up run, then S lines ns=<int>: the wall\n"
		"time of each sample of N runs (the whole sample, not per run). Loading and JIT\n"
		"compilation happen before any timing.\n"
		"\n"
		"  --interp      the threaded interpreter in fast mode (default)\n"
		"  --jit         the x86-64 JIT; exits 1 if this build or machine has none\n"
		"                (of --interp and --jit, the last one given wins)\n"
		"  --prog FILE   the bytecode (required)\n"
		"  --mem FILE    the memory the program gets in r1; copied ONCE, so whatever a\n"
		"                run writes there is what the next run (and sample) sees\n"
		"  --repeat N    runs per sample, N >= 1 (default 1)\n"
		"  --samples S   samples, S >= 1 (default 1)\n"
		"  -h, --help    this text\n"
		"\n"
		"WARNING: this runs UNVERIFIED bytecode with NO checks: no verifier, no bounds,\n"
		"no instruction budget. A wrong program can crash this process or corrupt its\n"
		"memory. It is a benchmarking tool only: give it trusted bytecode only (for\n"
		"untrusted bytecode, use the checked interpreter, as `structops plugin` does).\n"
		"\n"
		"Exit status: 0 success, 1 failure (unreadable file, bytecode rejected, JIT not\n"
		"available), 2 usage error.\n"
		"\n"
		"example:\n"
		"  structops bench --jit --prog fib.bin --repeat 1000 --samples 5\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "structops bench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: structops bench [--interp|--jit] --prog X.bin [--mem X.mem] [--repeat N] "
		"[--samples S]\n(see structops bench --help)\n");
	return 2;
}

/* A positive decimal count; 0, signs, junk and overflow are rejected. */
static bool parse_count(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x == 0)
		return false;
	*v = x;
	return true;
}

/*
 * Takes an option's value from "--opt=VALUE" or from the next argument. Returns
 * the value, or NULL when @arg is not @opt. A missing value is a usage error,
 * reported through *@missing.
 */
static const char *opt_value(const char *opt, int argc, char **argv, int *i, bool *missing)
{
	size_t n = strlen(opt);
	const char *arg = argv[*i];

	if (strncmp(arg, opt, n))
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

/* Returns 0, 2 for a usage error, or -1 when --help was shown. */
static int parse_bench_args(int argc, char **argv, struct bench_args *a)
{
	a->repeat = 1;
	a->samples = 1;
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			bench_help(stdout);
			return -1;
		} else if (!strcmp(argv[i], "--interp")) {
			a->jit = false;
		} else if (!strcmp(argv[i], "--jit")) {
			a->jit = true;
		} else if ((v = opt_value("--prog", argc, argv, &i, &missing))) {
			a->prog = v;
		} else if ((v = opt_value("--mem", argc, argv, &i, &missing))) {
			a->mem = v;
		} else if ((v = opt_value("--repeat", argc, argv, &i, &missing))) {
			if (!parse_count(v, &a->repeat))
				return usage_error("--repeat wants a positive integer, not '%s'", v);
		} else if ((v = opt_value("--samples", argc, argv, &i, &missing))) {
			if (!parse_count(v, &a->samples))
				return usage_error("--samples wants a positive integer, not '%s'", v);
		} else if (missing) {
			return usage_error("%s needs a value", argv[i]);
		} else {
			return usage_error("unknown argument '%s'", argv[i]);
		}
	}
	if (!a->prog)
		return usage_error("%s", "--prog X.bin is required");
	return 0;
}

/* Reads --mem into a 64-byte aligned buffer (aligned like the suite's), or none. */
static int load_mem(const char *path, uint8_t **mem, uint64_t *len)
{
	uint8_t *data = NULL;
	size_t size = 0;
	int err;

	*mem = NULL;
	*len = 0;
	if (!path)
		return 0;
	err = tool_read_file(path, &data, &size);
	if (err) {
		fprintf(stderr, "structops bench: %s: %s\n", path, strerror(-err));
		return 1;
	}
	if (size) {
		*mem = aligned_alloc(64, (size + 63) / 64 * 64);
		if (!*mem) {
			fprintf(stderr, "structops bench: out of memory for %s\n", path);
			free(data);
			return 1;
		}
		memcpy(*mem, data, size);
		*len = size;
	}
	free(data);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The timed loops. noinline keeps each a self-contained loop; the empty asm
 * marks every r0 as used and every run's memory effects as visible.
 */
static __attribute__((noinline)) void loop_exec(const struct sops_vm *vm, uint64_t r1, uint64_t r2, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r0 = sops_vm__exec(vm, r1, r2);

		__asm__ volatile("" : : "r"(r0) : "memory");
	}
}

static __attribute__((noinline)) void loop_jit(sops_jit_fn fn, uint64_t r1, uint64_t r2, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r0 = fn(r1, r2, 0, 0, 0);

		__asm__ volatile("" : : "r"(r0) : "memory");
	}
}

static int create_engine(const struct bench_args *a, const struct sops_insn *insns, size_t cnt,
			 struct sops_vm **vm)
{
	struct sops_vm_opts opts;
	char log[512] = "";
	int err;

	if (a->jit && !sops_jit_available()) {
		fprintf(stderr, "structops bench: JIT not available\n");
		return 1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.engine = a->jit ? SOPS_ENGINE_JIT : SOPS_ENGINE_INTERP;
	opts.log_buf = log;
	opts.log_size = sizeof(log);
	err = sops_vm__create(insns, cnt, &opts, vm);
	if (err == -EOPNOTSUPP && a->jit) {
		fprintf(stderr, "structops bench: JIT not available%s%s\n", log[0] ? ": " : "", log);
		return 1;
	}
	if (err) {
		fprintf(stderr, "structops bench: %s: %s\n", a->prog, log[0] ? log : strerror(-err));
		return 1;
	}
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_args a = { 0 };
	struct sops_insn *insns = NULL;
	struct sops_vm *vm = NULL;
	sops_jit_fn jit_fn = NULL;
	size_t cnt = 0;
	uint8_t *mem = NULL;
	uint64_t len = 0, r1;
	int ret;

	ret = parse_bench_args(argc, argv, &a);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (tool_read_bytecode(a.prog, &insns, &cnt)) {
		ret = 1;
		goto out;
	}
	ret = load_mem(a.mem, &mem, &len);
	if (ret)
		goto out;
	ret = create_engine(&a, insns, cnt, &vm);
	if (ret)
		goto out;
	if (a.jit)
		jit_fn = sops_vm__jit_fn(vm);
	r1 = (uint64_t)(uintptr_t)mem;

	printf("r0=0x%" PRIx64 "\n", jit_fn ? jit_fn(r1, len, 0, 0, 0) : sops_vm__exec(vm, r1, len));
	fflush(stdout);
	for (uint64_t s = 0; s < a.samples; s++) {
		uint64_t t0 = now_ns();

		if (jit_fn)
			loop_jit(jit_fn, r1, len, a.repeat);
		else
			loop_exec(vm, r1, len, a.repeat);
		printf("ns=%" PRIu64 "\n", now_ns() - t0);
	}
	ret = fflush(stdout) ? 1 : 0;
out:
	sops_vm__free(vm);
	free(mem);
	free(insns);
	return ret;
}
