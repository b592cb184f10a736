/* SPDX-License-Identifier: MIT */
/*
 * cmd_btf.c - `structops btf dump FILE [--format raw|c] [--base FILE]`.
 *
 * Lists the types of a BTF file (raw BTF from pahole, or an ELF file with a
 * .BTF section: a host executable, a module, a BPF object), or prints the C
 * header BPF programs include to see the host's types (like vmlinux.h).
 * Wraps sops_btf__load_file() and sops_btf__dump().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <structops/btf.h>

#include "commands.h"

static void btf_usage(FILE *out)
{
	fprintf(out,
		"usage: structops btf dump FILE [--format raw|c] [--base BASE]\n"
		"\n"
		"Prints the BTF in FILE: raw BTF (pahole --btf_encode_detached) or any ELF\n"
		"file with a .BTF section (a host executable, a module, a BPF object).\n"
		"\n"
		"  --format raw  one line per type: id, kind, name, attributes (default)\n"
		"  --format c    a C header with every type, for BPF programs to include\n"
		"                (like bpftool's vmlinux.h; records get preserve_access_index\n"
		"                so CO-RE applies; functions become extern __ksym kfuncs)\n"
		"  -f FMT        the same as --format\n"
		"  --base BASE   FILE is split BTF (a module's) on top of BASE (the host's)\n"
		"  -h, --help    this text\n");
}

int cmd_btf(int argc, char **argv)
{
	enum sops_btf_dump_format fmt = SOPS_BTF_DUMP_RAW;
	const char *file = NULL, *base_file = NULL;
	struct sops_btf *base = NULL, *btf = NULL;
	char log[512] = "";
	int err;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		btf_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "dump")) {
		fprintf(stderr, "structops btf: unknown subcommand '%s'\n", argv[1]);
		btf_usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			btf_usage(stdout);
			return 0;
		} else if ((!strcmp(a, "--format") || !strcmp(a, "-f")) && i + 1 < argc) {
			a = argv[++i];
			if (!strcmp(a, "raw")) {
				fmt = SOPS_BTF_DUMP_RAW;
			} else if (!strcmp(a, "c")) {
				fmt = SOPS_BTF_DUMP_C;
			} else {
				fprintf(stderr, "structops btf: unknown format '%s' (raw or c)\n", a);
				return 2;
			}
		} else if (!strcmp(a, "--base") && i + 1 < argc) {
			base_file = argv[++i];
		} else if (a[0] == '-' || file) {
			fprintf(stderr, "structops btf: unexpected argument '%s'\n", a);
			btf_usage(stderr);
			return 2;
		} else {
			file = a;
		}
	}
	if (!file) {
		btf_usage(stderr);
		return 2;
	}
	struct sops_btf_opts opts = { .sz = sizeof(opts), .log_buf = log, .log_size = sizeof(log) };

	if (base_file) {
		err = sops_btf__load_file(base_file, &opts, &base);
		if (err) {
			tool_report_file_error("btf", base_file, log, err);
			return 1;
		}
		opts.base = base;
	}
	err = sops_btf__load_file(file, &opts, &btf);
	if (err) {
		tool_report_file_error("btf", file, log, err);
		sops_btf__free(base);
		return 1;
	}
	err = sops_btf__dump(btf, fmt, stdout);
	if (err == -E2BIG)
		fprintf(stderr,
			"structops btf: %s: the dump would exceed its output limit (64 bytes per byte of BTF + 1 MiB; "
			"huge struct padding or anonymous types nested many times)\n", file);
	else if (err)
		fprintf(stderr, "structops btf: dump failed: %s\n", strerror(-err));
	sops_btf__free(btf);
	sops_btf__free(base);
	return err ? 1 : 0;
}
