/* SPDX-License-Identifier: MIT */
/*
 * structops.c - the structops command-line tool: dispatch and shared file helpers.
 *
 * Each subcommand lives in its own tools/cmd_*.c file and is listed in the
 * table below with a one-line summary for `structops --help`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <structops/btf.h>

#include "commands.h"

#define STRUCTOPS_VERSION "0.1.0"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "plugin", cmd_plugin, "run one program by the bpf_conformance plugin protocol" },
	{ "asm", cmd_asm, "assemble conformance-syntax text into raw bytecode" },
	{ "disasm", cmd_disasm, "print raw bytecode as BPF assembly" },
	{ "bench", cmd_bench, "time raw bytecode (unverified; benchmarking only)" },
	{ "btf", cmd_btf, "list BTF or print it as a C header for BPF programs" },
	{ "object", cmd_object, "show the programs, maps and relocations of a BPF object" },
	{ "prog", cmd_prog, "run a program of a BPF object through PROG_TEST_RUN" },
	{ "map", cmd_map, "dump a map of a BPF object, optionally after running programs" },
	{ "struct_ops", cmd_struct_ops, "list or dump the struct_ops maps of a BPF object" },
	{ "gen", cmd_gen, "generate a skeleton header (typed programs, maps, variables)" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: structops [--version] [--help] COMMAND [ARGS]\n"
		"\n"
		"structops runs BPF programs in userspace: an interpreter, a JIT, and the\n"
		"struct_ops framework that lets a host expose ops tables to BPF.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n`structops COMMAND --help` describes a command.\n"
		"\n"
		"Exit status: each command's own (0 success, 1 failure, 2 bad usage); 2 for\n"
		"an unknown command.\n");
}

int tool_read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 4096, len = 0;
	uint8_t *buf;
	int err = 0;

	if (!f)
		return -errno;
	buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (len < cap) {
			if (ferror(f))
				err = -EIO;
			break;
		}
		uint8_t *bigger = cap > (SIZE_MAX >> 2) ? NULL : realloc(buf, cap * 2);

		if (!bigger) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	if (f != stdin)
		fclose(f);
	if (!buf)
		return -ENOMEM;
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0'; /* the loop stops with len < cap, so there is room */
	*data = buf;
	*size = len;
	return 0;
}

void tool_report_file_error(const char *cmd, const char *file, const char *log, int err)
{
	const char *why = strerror(-err > 0 && -err < 4000 ? -err : EINVAL);

	if (log && log[0])
		fprintf(stderr, "structops %s: %s (%s)\n", cmd, log, why);
	else
		fprintf(stderr, "structops %s: %s: %s\n", cmd, file, why);
}

void tool_error(const char *cmd, bool json, int err, const char *fmt, ...)
{
	const char *name;
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!json) {
		fprintf(stderr, "structops %s: %s\n", cmd, msg);
		return;
	}
	if (-err <= 0 || -err >= 4000)
		err = -EINVAL; /* libbpf's relocation errnos have no name */
	name = strerrorname_np(-err);
	printf("{\"error\": {\"errno\": %d, \"name\": \"%s\", ", -err, name ? name : "EINVAL");
	printf("\"message\": \"%s\"}}\n", tool_json_escape(msg));
}

void tool_error_file(const char *cmd, bool json, const char *file, const char *log, int err)
{
	int e = -err > 0 && -err < 4000 ? err : -EINVAL;

	if (log && log[0] && strstr(log, strerror(-e)))
		tool_error(cmd, json, e, "%s", log); /* the log has said it already */
	else if (log && log[0])
		tool_error(cmd, json, e, "%s (%s)", log, strerror(-e));
	else
		tool_error(cmd, json, e, "%s: %s", file, strerror(-e));
}

int tool_btf_load(struct tool_btf *b, const char *cmd, bool json, const char *btf_file,
		  const char *base_file)
{
	char log[512] = "";
	struct sops_btf_opts bo = { .sz = sizeof(bo), .log_buf = log, .log_size = sizeof(log) };
	int err;

	b->base = b->host = NULL;
	if (base_file) {
		err = sops_btf__load_file(base_file, &bo, &b->base);
		if (err) {
			tool_error_file(cmd, json, base_file, log, err);
			return err;
		}
		bo.base = b->base;
	}
	err = sops_btf__load_file(btf_file, &bo, &b->host);
	if (err) {
		tool_error_file(cmd, json, btf_file, log, err);
		tool_btf_free(b);
	}
	return err;
}

void tool_btf_free(struct tool_btf *b)
{
	sops_btf__free(b->host); /* split BTF before its base */
	sops_btf__free(b->base);
	b->base = b->host = NULL;
}

int tool_read_bytecode(const char *path, struct sops_insn **insns, size_t *insn_cnt)
{
	uint8_t *data;
	size_t size;
	int err = tool_read_file(path, &data, &size);

	if (err) {
		fprintf(stderr, "structops: %s: %s\n", path, strerror(-err));
		return err;
	}
	if (!size || size % SOPS_INSN_SIZE) {
		fprintf(stderr, "structops: %s: %zu bytes is not a whole number of 8-byte instructions\n",
			path, size);
		free(data);
		return -EINVAL;
	}
	*insns = (struct sops_insn *)data;
	*insn_cnt = size / SOPS_INSN_SIZE;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("structops %s\n", STRUCTOPS_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "structops: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
