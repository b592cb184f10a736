/* SPDX-License-Identifier: MIT */
/*
 * cmd_btf.c - `structops btf dump FILE [--format raw|c] [--base FILE] [--kfuncs LIST]`.
 *
 * Lists the types of a BTF file (raw BTF from pahole, or an ELF file with a
 * .BTF section: a host executable, a module, a BPF object), or prints the C
 * header BPF programs include to see the host's types (like vmlinux.h).
 * Wraps sops_btf__load_file() and sops_btf__dump_opts(). The kfuncs to
 * declare come from --kfuncs (names, or @FILE of names), as the host's build
 * knows which functions it registers and the BTF does not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <structops/btf.h>

#include "commands.h"

static void btf_usage(FILE *out)
{
	fprintf(out,
		"usage: structops btf dump FILE [--format raw|c] [--base BASE] [--kfuncs LIST]\n"
		"\n"
		"Prints the BTF in FILE: raw BTF (pahole --btf_encode_detached) or any ELF\n"
		"file with a .BTF section (a host executable, a module, a BPF object).\n"
		"\n"
		"  --format raw  one line per type: id, kind, name, attributes (default)\n"
		"  --format c    a C header with every type, for BPF programs to include\n"
		"                (like bpftool's vmlinux.h; records get preserve_access_index\n"
		"                so CO-RE applies)\n"
		"  -f FMT        the same as --format\n"
		"  --base BASE   FILE is split BTF (a module's) on top of BASE (the host's)\n"
		"  --kfuncs LIST with --format c: declare these functions as extern __ksym\n"
		"                kfuncs (the ones the host registers with\n"
		"                sops_runtime__register_kfunc); LIST is NAME[,NAME...] or\n"
		"                @FILE (names separated by commas, spaces or newlines,\n"
		"                # starts a comment); may be repeated. Functions with a\n"
		"                bpf_kfunc decl tag are declared too, no other function is;\n"
		"                without either the header says how to get them\n"
		"  -h, --help    this text\n"
		"\n"
		"Exit status: 0 success, 1 an unreadable or invalid BTF (the type and the\n"
		"reason on stderr), a header past the output limit, an unknown --kfuncs\n"
		"name; 2 bad usage.\n"
		"\n"
		"examples:\n"
		"  structops btf dump host.btf\n"
		"  structops btf dump --format c host.btf --kfuncs host_kfunc_add > host.h\n"
		"  structops btf dump --format c module.btf --base host.btf > module.h\n");
}

/* A growing NULL-terminated list of kfunc names; they point into the texts in @bufs, which it owns. */
struct name_list {
	char **names;
	size_t cnt;
	char **bufs;
	size_t buf_cnt;
};

static int list_push(struct name_list *l, char *name)
{
	char **n = realloc(l->names, (l->cnt + 2) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	l->names = n;
	n[l->cnt++] = name;
	n[l->cnt] = NULL;
	return 0;
}

/* Split @text (owned by @l from now on) at commas and white space, dropping # comments. */
static int list_add_text(struct name_list *l, char *text)
{
	char **b = realloc(l->bufs, (l->buf_cnt + 1) * sizeof(*b));
	char *save = NULL;

	if (!b) {
		free(text);
		return -ENOMEM;
	}
	l->bufs = b;
	b[l->buf_cnt++] = text;
	for (char *p = text; (p = strchr(p, '#'));)
		while (*p && *p != '\n')
			*p++ = ' ';
	for (char *tok = strtok_r(text, ", \t\r\n", &save); tok; tok = strtok_r(NULL, ", \t\r\n", &save))
		if (list_push(l, tok))
			return -ENOMEM;
	return 0;
}

static int list_add_arg(struct name_list *l, const char *arg)
{
	uint8_t *data;
	size_t size;
	char *text;
	int err;

	if (arg[0] != '@') {
		text = strdup(arg);
		return text ? list_add_text(l, text) : -ENOMEM;
	}
	err = tool_read_file(arg + 1, &data, &size);
	if (err) {
		fprintf(stderr, "structops btf: --kfuncs %s: %s\n", arg, strerror(-err));
		return err;
	}
	text = realloc(data, size + 1);
	if (!text) {
		free(data);
		return -ENOMEM;
	}
	text[size] = '\0';
	return list_add_text(l, text);
}

static void list_free(struct name_list *l)
{
	for (size_t i = 0; i < l->buf_cnt; i++)
		free(l->bufs[i]);
	free(l->bufs);
	free(l->names);
}

/* Load FILE (on BASE when given) and dump it; 0 or 1 (the message printed). */
static int load_and_dump(const char *file, const char *base_file, enum sops_btf_dump_format fmt,
			 const struct name_list *kfuncs)
{
	struct sops_btf *base = NULL, *btf = NULL;
	char log[512] = "";
	struct sops_btf_opts opts = { .sz = sizeof(opts), .log_buf = log, .log_size = sizeof(log) };
	struct sops_btf_dump_opts dopts = {
		.sz = sizeof(dopts), .format = fmt, .kfuncs = (const char *const *)kfuncs->names,
		.log_buf = log, .log_size = sizeof(log),
	};
	int err;

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
		goto out;
	}
	err = sops_btf__dump_opts(btf, stdout, &dopts);
	if (err == -E2BIG)
		fprintf(stderr,
			"structops btf: %s: the dump would exceed its output limit (64 bytes per byte of BTF + 1 MiB; "
			"huge struct padding or anonymous types nested many times)\n", file);
	else if (err)
		fprintf(stderr, "structops btf: %s: %s (%s)\n", file, log[0] ? log : "dump failed",
			strerror(-err));
out:
	sops_btf__free(btf);
	sops_btf__free(base);
	return err ? 1 : 0;
}

int cmd_btf(int argc, char **argv)
{
	enum sops_btf_dump_format fmt = SOPS_BTF_DUMP_RAW;
	const char *file = NULL, *base_file = NULL;
	struct name_list kfuncs = { 0 };
	int ret = 2;

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
			ret = 0;
			goto out;
		} else if ((!strcmp(a, "--format") || !strcmp(a, "-f")) && i + 1 < argc) {
			a = argv[++i];
			if (!strcmp(a, "raw")) {
				fmt = SOPS_BTF_DUMP_RAW;
			} else if (!strcmp(a, "c")) {
				fmt = SOPS_BTF_DUMP_C;
			} else {
				fprintf(stderr, "structops btf: unknown format '%s' (raw or c)\n", a);
				goto out;
			}
		} else if (!strcmp(a, "--base") && i + 1 < argc) {
			base_file = argv[++i];
		} else if (!strcmp(a, "--kfuncs") && i + 1 < argc) {
			if (list_add_arg(&kfuncs, argv[++i])) {
				ret = 1;
				goto out;
			}
		} else if (a[0] == '-' || file) {
			fprintf(stderr, "structops btf: unexpected argument '%s'\n", a);
			btf_usage(stderr);
			goto out;
		} else {
			file = a;
		}
	}
	if (!file) {
		btf_usage(stderr);
		goto out;
	}
	if (kfuncs.buf_cnt && fmt != SOPS_BTF_DUMP_C) {
		fprintf(stderr, "structops btf: --kfuncs needs --format c (kfuncs are declared in the C header)\n");
		goto out;
	}
	ret = load_and_dump(file, base_file, fmt, &kfuncs);
out:
	list_free(&kfuncs);
	return ret;
}
