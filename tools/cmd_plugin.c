/* SPDX-License-Identifier: MIT */
/*
 * cmd_plugin.c - `structops plugin`: the bpf_conformance plugin protocol.
 *
 * The conformance runner starts the plugin once per test, with the program as
 * hex bytes on stdin and the input memory as one hex argument; the plugin prints
 * r0 in hex. The bytecode has never been verified, so the interpreter runs it in
 * checked mode: the memory argument is the only region it may touch besides its
 * stack, and an instruction budget guarantees the plugin never hangs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <structops/vm.h>

#include "commands.h"
#include "util/hex.h"

#define PLUGIN_DEFAULT_BUDGET 100000000ull

static void plugin_usage(FILE *out)
{
	fprintf(out,
		"usage: structops plugin [--interp|--jit] [--budget N] [MEMHEX]\n"
		"\n"
		"Runs one BPF program by the bpf_conformance plugin protocol: the program\n"
		"arrives on stdin as hex bytes (\"b7 00 00 00 2a 00 00 00 95 ...\"), MEMHEX is\n"
		"the input memory in the same form, r1 points to a writable copy of it and\n"
		"r2 holds its length. On success r0 is printed in hex. Options and MEMHEX\n"
		"may come in any order.\n"
		"\n"
		"  --interp     the interpreter in checked mode (default): every memory access\n"
		"               is bounds-checked and the run has an instruction budget\n"
		"  --jit        the JIT (runs the unverified bytecode natively, unchecked)\n"
		"  --budget N   checked mode: stop after N instructions (default %llu)\n"
		"\n"
		"Helper #5 is bpf_ktime_get_ns, as in Linux; it returns normally, which is\n"
		"what the conformance tests that call helper 5 rely on.\n"
		"  -h, --help   this text\n"
		"\n"
		"Exit status: 0 success, 1 a failed run (bad bytecode, a fault or the\n"
		"budget in checked mode, no JIT; the reason on stderr), 2 bad usage.\n"
		"\n"
		"example:\n"
		"  echo 'b7 00 00 00 2a 00 00 00 95 00 00 00 00 00 00 00' | structops plugin\n",
		PLUGIN_DEFAULT_BUDGET);
}

/* Parses whitespace-separated two-digit hex bytes. Returns 0 or -EINVAL. */
static int parse_hex_bytes(const char *text, uint8_t **out, size_t *out_len)
{
	size_t len = 0, cap = strlen(text) / 2 + 1;
	uint8_t *buf = malloc(cap);
	const char *p = text;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		int hi, lo;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		hi = hex_digit_value(p[0]);
		lo = hi < 0 ? -1 : hex_digit_value(p[1]);
		if (lo < 0 || (p[2] && !strchr(" \t\n\r", p[2]))) {
			free(buf);
			return -EINVAL;
		}
		buf[len++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

static uint64_t helper_ktime_get_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				    uint64_t r5, void *aux)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const struct sops_helper plugin_helpers[] = {
	{ 5, "bpf_ktime_get_ns", helper_ktime_get_ns, NULL },
};

static int run_program(const uint8_t *code, size_t code_len, uint8_t *mem, size_t mem_len,
		       enum sops_engine engine, uint64_t budget)
{
	char log[256] = "", fault[256] = "";
	struct sops_vm_opts opts = {
		.sz = sizeof(opts),
		.engine = engine,
		.checked = engine == SOPS_ENGINE_INTERP,
		.insn_budget = budget,
		.helpers = plugin_helpers,
		.helper_cnt = sizeof(plugin_helpers) / sizeof(plugin_helpers[0]),
		.log_buf = log,
		.log_size = sizeof(log),
	};
	struct sops_mem_region region = { (uintptr_t)mem, mem_len, true };
	struct sops_vm_run_opts run = {
		.sz = sizeof(run),
		.args = { mem_len ? (uintptr_t)mem : 0, mem_len },
		.regions = &region,
		.region_cnt = mem_len ? 1 : 0,
		.fault_buf = fault,
		.fault_size = sizeof(fault),
	};
	struct sops_insn *insns;
	struct sops_vm *vm;
	int err;

	if (!code_len || code_len % SOPS_INSN_SIZE) {
		fprintf(stderr, "structops plugin: program of %zu bytes is not whole 8-byte instructions\n",
			code_len);
		return 1;
	}
	/* Copy into an aligned array: the input buffer has no alignment promise. */
	insns = malloc(code_len);
	if (!insns) {
		fprintf(stderr, "structops plugin: out of memory\n");
		return 1;
	}
	memcpy(insns, code, code_len);
	if (engine == SOPS_ENGINE_JIT)
		fprintf(stderr, "structops plugin: running unverified bytecode in the JIT\n");
	err = sops_vm__create(insns, code_len / SOPS_INSN_SIZE, &opts, &vm);
	free(insns);
	if (err) {
		fprintf(stderr, "structops plugin: %s\n", log[0] ? log : strerror(-err));
		return 1;
	}
	err = sops_vm__run(vm, &run);
	sops_vm__free(vm);
	if (err) {
		fprintf(stderr, "structops plugin: program stopped: %s\n", fault[0] ? fault : strerror(-err));
		return 1;
	}
	printf("%" PRIx64 "\n", run.retval);
	return 0;
}

int cmd_plugin(int argc, char **argv)
{
	enum sops_engine engine = SOPS_ENGINE_INTERP;
	uint64_t budget = PLUGIN_DEFAULT_BUDGET;
	uint8_t *code = NULL, *mem = NULL, *input = NULL;
	size_t code_len = 0, mem_len = 0, input_len = 0;
	const char *memhex = NULL;
	int ret = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			plugin_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--interp")) {
			engine = SOPS_ENGINE_INTERP;
		} else if (!strcmp(argv[i], "--jit")) {
			engine = SOPS_ENGINE_JIT;
		} else if (!strcmp(argv[i], "--budget") && i + 1 < argc) {
			char *end;

			errno = 0;
			budget = strtoull(argv[++i], &end, 0);
			if (errno || *end || !budget) {
				fprintf(stderr, "structops plugin: --budget needs a positive number\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--elf")) {
			fprintf(stderr, "structops plugin: --elf is not supported; send raw bytecode\n");
			return 2;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr, "structops plugin: unknown option '%s'\n", argv[i]);
			plugin_usage(stderr);
			return 2;
		} else if (memhex) {
			fprintf(stderr, "structops plugin: more than one memory argument\n");
			return 2;
		} else {
			memhex = argv[i];
		}
	}
	if (engine == SOPS_ENGINE_JIT && !sops_jit_available()) {
		fprintf(stderr, "structops plugin: JIT not available\n");
		return 1;
	}
	if (memhex && parse_hex_bytes(memhex, &mem, &mem_len)) {
		fprintf(stderr, "structops plugin: memory argument is not hex bytes\n");
		goto out;
	}
	if (tool_read_file("-", &input, &input_len)) {
		fprintf(stderr, "structops plugin: cannot read the program from stdin\n");
		goto out;
	}
	if (strlen((char *)input) != input_len || parse_hex_bytes((char *)input, &code, &code_len)) {
		fprintf(stderr, "structops plugin: stdin is not a program in hex bytes\n");
		goto out;
	}
	ret = run_program(code, code_len, mem, mem_len, engine, budget);
out:
	free(input);
	free(code);
	free(mem);
	return ret;
}
