/* SPDX-License-Identifier: MIT */
/*
 * cmd_asm.c - `structops asm` and `structops disasm`: text to raw bytecode and back.
 *
 * `asm` reads the bpf_conformance assembly syntax (sops_asm__parse) and writes
 * raw bytecode: 8-byte little-endian slots, the format `structops bench
 * --prog`, `structops disasm` and the library's sops_vm__create() take.
 * `disasm` prints raw bytecode in kernel/llvm-objdump syntax with slot indexes
 * (sops_disasm__dump). Both take `-` for stdin/stdout.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <structops/asm.h>
#include <structops/vm.h>

#include "../src/isa/opcodes.h"
#include "commands.h"

static void asm_usage(FILE *out)
{
	fprintf(out,
		"usage: structops asm FILE.s [-o FILE.bin]\n"
		"\n"
		"Assembles BPF assembly in the bpf_conformance syntax into raw bytecode:\n"
		"one 8-byte little-endian slot per instruction (two for lddw).\n"
		"\n"
		"  mov %%r0, 1              ldxdw %%r0, [%%r1+8]      stxw [%%r10-8], %%r1\n"
		"  jne %%r1, 0, label       ja +2                   lddw %%r1, 0x1122334455667788\n"
		"  lock fetch add [%%r1], %%r2                       call 1   call local fn   call %%r2\n"
		"  label:                  # comment               exit\n"
		"\n"
		"FILE.s may be - for stdin.\n"
		"  -o FILE.bin  where to write the bytecode (- for stdout, the default\n"
		"               when stdout is not a terminal)\n"
		"  -h, --help   this text\n"
		"\n"
		"Exit status: 0 success, 1 an unreadable file or a syntax error (the line\n"
		"and the reason on stderr), 2 bad usage.\n"
		"\n"
		"example:\n"
		"  printf 'mov %%%%r0, 42\\nexit\\n' | structops asm - -o prog.bin\n");
}

static void disasm_usage(FILE *out)
{
	fprintf(out,
		"usage: structops disasm FILE.bin [--raw] [--jited [--blind]]\n"
		"\n"
		"Prints raw bytecode (8-byte little-endian slots) as BPF assembly in the\n"
		"syntax of llvm-objdump and the kernel verifier log, one instruction a\n"
		"line with its slot index. FILE.bin may be - for stdin.\n"
		"\n"
		"  --raw        also print each instruction's bytes in hex\n"
		"  --jited      compile with the JIT and print each BPF instruction followed\n"
		"               by its x86-64 code (decoded by objdump from binutils; hex\n"
		"               bytes without it). Helper and kfunc calls go to stand-in\n"
		"               stubs and pseudo lddw to 0, so any bytecode can be shown.\n"
		"  --blind      with --jited: compile with constant blinding\n"
		"  -h, --help   this text\n"
		"\n"
		"Exit status: 0 success, 1 an unreadable file, bytecode that is not a whole\n"
		"number of slots, or no JIT for --jited; 2 bad usage.\n"
		"\n"
		"example:\n"
		"  structops disasm prog.bin --raw\n");
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

/* Write slots in their wire format, independent of the host's struct layout. */
static int write_bytecode(FILE *f, const struct sops_insn *insns, size_t cnt)
{
	uint8_t b[SOPS_INSN_SIZE];

	for (size_t i = 0; i < cnt; i++) {
		isa_slot_bytes(&insns[i], b);
		if (fwrite(b, 1, sizeof(b), f) != sizeof(b))
			return -EIO;
	}
	return 0;
}

static int save_bytecode(const char *path, const struct sops_insn *insns, size_t cnt)
{
	bool to_stdout = !strcmp(path, "-");
	FILE *f = to_stdout ? stdout : fopen(path, "wb");
	int err;

	if (!f) {
		err = errno;
		fprintf(stderr, "structops asm: %s: %s\n", path, strerror(err));
		return -err;
	}
	err = write_bytecode(f, insns, cnt);
	if (to_stdout) {
		if (fflush(f))
			err = -EIO;
	} else if (fclose(f)) {
		err = -EIO;
	}
	if (err)
		fprintf(stderr, "structops asm: %s: write failed: %s\n", path, strerror(-err));
	return err;
}

int cmd_asm(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	struct sops_insn *insns = NULL;
	char errbuf[256];
	size_t size, cnt;
	uint8_t *text;
	int err, i;

	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			asm_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
			if (++i == argc) {
				fprintf(stderr, "structops asm: %s needs a file name\n", argv[i - 1]);
				return 2;
			}
			out = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "structops asm: unknown option '%s'\n", argv[i]);
			asm_usage(stderr);
			return 2;
		} else if (in) {
			fprintf(stderr, "structops asm: more than one input file ('%s', '%s')\n", in,
				argv[i]);
			return 2;
		} else {
			in = argv[i];
		}
	}
	if (!in) {
		fprintf(stderr, "structops asm: no input file\n\n");
		asm_usage(stderr);
		return 2;
	}
	if (!out) {
		/* Bytecode on a terminal is noise and can upset it; ask for -o instead. */
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "structops asm: stdout is a terminal; give -o FILE.bin (or -o -)\n");
			return 1;
		}
		out = "-";
	}

	err = tool_read_file(in, &text, &size);
	if (err) {
		fprintf(stderr, "structops asm: %s: %s\n", in, strerror(-err));
		return 1;
	}
	/* tool_read_file NUL-terminates; an embedded NUL would silently cut the text. */
	if (memchr(text, '\0', size)) {
		fprintf(stderr, "structops asm: %s: contains a NUL byte; not assembly text\n", in);
		free(text);
		return 1;
	}
	err = sops_asm__parse((const char *)text, &insns, &cnt, errbuf, sizeof(errbuf));
	free(text);
	if (err) {
		fprintf(stderr, "structops asm: %s: %s\n", in, errbuf[0] ? errbuf : strerror(-err));
		return 1;
	}
	err = save_bytecode(out, insns, cnt);
	free(insns);
	return err ? 1 : 0;
}

int cmd_disasm(int argc, char **argv)
{
	struct sops_disasm_opts opts = { .sz = sizeof(opts), .show_index = 1 };
	struct sops_insn *insns;
	const char *in = NULL;
	bool jited = false, blind = false;
	size_t cnt;
	int err, i;

	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			disasm_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--raw")) {
			opts.show_raw = 1;
		} else if (!strcmp(argv[i], "--jited")) {
			jited = true;
		} else if (!strcmp(argv[i], "--blind")) {
			blind = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "structops disasm: unknown option '%s'\n", argv[i]);
			disasm_usage(stderr);
			return 2;
		} else if (in) {
			fprintf(stderr, "structops disasm: more than one input file ('%s', '%s')\n", in,
				argv[i]);
			return 2;
		} else {
			in = argv[i];
		}
	}
	if (!in) {
		fprintf(stderr, "structops disasm: no input file\n\n");
		disasm_usage(stderr);
		return 2;
	}
	if (blind && !jited) {
		fprintf(stderr, "structops disasm: --blind only applies with --jited\n");
		return 2;
	}
	if (jited && !sops_jit_available()) {
		fprintf(stderr, "structops disasm: JIT not available\n");
		return 1;
	}
	if (tool_read_bytecode(in, &insns, &cnt))
		return 1; /* it said why */
	if (jited) {
		err = tool_disasm_jited(stdout, insns, cnt, blind);
		free(insns);
		return err ? 1 : 0;
	}
	err = sops_disasm__dump(stdout, insns, cnt, &opts);
	free(insns);
	if (err == -EINVAL) {
		fprintf(stderr, "structops disasm: %s: the last instruction is an lddw cut off after its first slot\n",
			in);
		return 1;
	}
	if (err) {
		fprintf(stderr, "structops disasm: %s: %s\n", in, strerror(-err));
		return 1;
	}
	return 0;
}
