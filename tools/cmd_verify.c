/* SPDX-License-Identifier: MIT */
/*
 * cmd_verify.c - `structops prog verify FILE.o [PROG]`: what the verifier
 * says about each program of an object, like the kernel's veristat.
 *
 * The object is loaded into a fresh runtime the library's way (maps created,
 * relocations applied; with --btf, its struct_ops types registered from
 * HOST_BTF alone, through cmd_prog.c's tool_run steps). Each program is then
 * loaded again on its own with a log buffer, so the log, the verdict and the
 * statistics are exactly those PROG_LOAD produces. Exit status: 0 when every
 * program verified, 1 when any was rejected, 2 on usage or load errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include <structops/bpf.h>
#include <structops/object.h>
#include <structops/runtime.h>

#include "commands.h"

#define LOG_SIZE (16u << 20)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: structops prog verify FILE.o [PROG] [--log-level N] [--json]\n"
		"                             [--btf HOST_BTF [--base BASE] [--writable S[.M]]...\n"
		"                             [--kfunc NAME[=VALUE][:FLAG]...]...]\n"
		"\n"
		"Verifies every program of FILE.o (or only PROG) and prints, per program,\n"
		"whether the verifier accepted it, the instructions it processed, the states\n"
		"it kept (total and peak) and the time it took; for a rejected program also\n"
		"the verifier's log. --log-level 1 prints the log of every program (each\n"
		"instruction as verified), 2 adds the register state after every instruction.\n"
		"\n"
		"  PROG            only this program (the others are not loaded; it is, even\n"
		"                  when its section starts with '?', autoload off)\n"
		"  --log-level N   0 (default): the log of rejected programs only; 1: every\n"
		"                  program's log; 2: with register states\n"
		"  --btf HOST_BTF  the host's types (raw BTF or an ELF file with .BTF): struct_ops\n"
		"                  programs are verified as their member's implementation, each\n"
		"                  struct_ops type registered from HOST_BTF alone; CO-RE too\n"
		"  --base BASE     HOST_BTF is split BTF on BASE\n"
		"  --writable S[.M] struct S (or its member M) is writable by struct_ops\n"
		"                  programs (the host's btf_struct_access; default: none)\n"
		"  --kfunc NAME[:FLAG]...  the host's kfunc NAME (a FUNC of HOST_BTF) with the\n"
		"                  flags the host registers it with: acquire, release,\n"
		"                  ret_null, trusted, sleepable (see `structops prog run --help`)\n"
		"  --json          JSON: {\"file\", \"programs\": [{\"name\", \"verdict\",\n"
		"                  \"insns\", \"insn_processed\", \"total_states\", \"peak_states\",\n"
		"                  \"max_states_per_insn\", \"time_us\", rejected: \"errno\",\n"
		"                  \"reason\"; \"log\" when shown}], \"accepted\", \"rejected\"}\n"
		"  -h, --help      this text\n"
		"\n"
		"Exit status: 0 all accepted, 1 some rejected, 2 bad usage or an object that\n"
		"did not open or load (no program named PROG included). With --json such a\n"
		"failure prints {\"error\": {\"errno\": N, \"name\": \"EXXX\", \"message\": \"...\"}}\n"
		"on stdout.\n"
		"\n"
		"examples:\n"
		"  structops prog verify policy.bpf.o --log-level 1\n"
		"  structops prog verify cc.bpf.o --btf host.btf --writable sock\n");
}

struct verify_opts {
	struct tool_run r; /* FILE.o, PROG, --json, --btf, --base, --writable; the runtime */
	unsigned int log_level;
};

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n");
		else if (*s == '\t')
			printf("\\t");
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/*
 * The program's line info as PROG_LOAD takes it: records naming strings of a
 * BTF object made here for them. Returns that object's handle (or -1 with
 * no line info) and sets @o's fields.
 */
static int line_info_for(struct sops_runtime *rt, const struct sops_program *p, uint32_t **out,
			 struct sops_prog_load_opts *o)
{
	size_t cnt = 0;
	const struct sops_line_info *li = sops_program__line_info(p, &cnt);
	struct btf *btf = cnt ? btf__new_empty() : NULL;
	uint32_t *rec = cnt ? calloc(cnt, 16) : NULL, size;
	const void *raw;
	int fd = -1;

	for (size_t i = 0; btf && rec && i < cnt; i++) {
		int f = btf__add_str(btf, li[i].file ? li[i].file : "");
		int l = btf__add_str(btf, li[i].line ? li[i].line : "");

		if (f < 0 || l < 0)
			goto out;
		rec[4 * i] = li[i].insn_off;
		rec[4 * i + 1] = (uint32_t)f;
		rec[4 * i + 2] = (uint32_t)l;
		rec[4 * i + 3] = li[i].line_num << 10 | (li[i].line_col & 0x3ff);
	}
	/* BTF needs a type to be valid: one int. */
	if (!btf || !rec || btf__add_int(btf, "int", 4, BTF_INT_SIGNED) < 0)
		goto out;
	raw = btf__raw_data(btf, &size);
	fd = raw ? sops_btf_load(rt, raw, size, NULL, 0) : -1;
	if (fd < 0) {
		fd = -1;
		goto out;
	}
	o->prog_btf_fd = (uint32_t)fd;
	o->line_info = rec;
	o->line_info_cnt = (uint32_t)cnt;
	o->line_info_rec_size = 16;
	*out = rec;
	rec = NULL;
out:
	free(rec);
	btf__free(btf);
	return fd;
}

/* Load @p's relocated instructions again with a log; the verdict of that load. */
static int verify_one(struct sops_runtime *rt, struct sops_program *p, const char *license, unsigned int level,
		      char *log, struct sops_prog_verdict *v)
{
	int bo = sops_program__attach_btf_obj(p);
	struct sops_prog_load_opts o = {
		.sz = sizeof(o),
		.expected_attach_type = sops_program__expected_attach_type(p),
		.attach_btf_id = sops_program__attach_btf_id(p),
		.prog_flags = sops_program__flags(p),
		.log_buf = log,
		.log_size = LOG_SIZE,
		.log_level = level | 4, /* 4: the statistics lines */
	};
	int fd, err;

	uint32_t *lines = NULL;
	int btf_fd = -1;

	log[0] = 0;
	*v = (struct sops_prog_verdict){ .sz = sizeof(*v) };
	if (bo > 0) /* a module's type: the verdict of the object's own load (no log) */
		return sops_prog_get_verdict(rt, sops_program__handle(p), v);
	if (level)
		btf_fd = line_info_for(rt, p, &lines, &o);
	fd = sops_prog_load(rt, (enum sops_bpf_prog_type)sops_program__type(p), sops_program__name(p), license,
			    sops_program__insns(p), sops_program__insn_cnt(p), &o);
	free(lines);
	if (btf_fd >= 0)
		sops_close(rt, btf_fd);
	if (fd < 0)
		return fd;
	err = sops_prog_get_verdict(rt, fd, v);
	sops_close(rt, fd);
	return err;
}

static void print_text(const struct sops_program *p, const struct sops_prog_verdict *v, const char *log,
		       bool show_log)
{
	printf("%s: %s, %zu insns, %llu processed, %u total states, %u peak states, %llu us\n",
	       sops_program__name(p), v->verified ? "accepted" : "rejected", sops_program__insn_cnt(p),
	       (unsigned long long)v->insn_processed, v->total_states, v->peak_states,
	       (unsigned long long)(v->time_ns / 1000));
	if (!v->verified)
		printf("  reason: insn %s\n", v->reason);
	if (show_log && log[0])
		printf("%s%s", log, log[strlen(log) - 1] == '\n' ? "" : "\n");
}

static void print_json(const struct sops_program *p, const struct sops_prog_verdict *v, const char *log,
		       bool show_log, bool first)
{
	printf("%s{\"name\": ", first ? "" : ", ");
	json_str(sops_program__name(p));
	printf(", \"verdict\": \"%s\", \"insns\": %zu, \"insn_processed\": %llu, \"total_states\": %u, "
	       "\"peak_states\": %u, \"max_states_per_insn\": %u, \"time_us\": %llu",
	       v->verified ? "accepted" : "rejected", sops_program__insn_cnt(p),
	       (unsigned long long)v->insn_processed, v->total_states, v->peak_states, v->max_states_per_insn,
	       (unsigned long long)(v->time_ns / 1000));
	if (!v->verified) {
		printf(", \"errno\": %d, \"reason\": ", v->err);
		json_str(v->reason);
	}
	if (show_log) {
		printf(", \"log\": ");
		json_str(log);
	}
	printf("}");
}

static int run(struct verify_opts *vo)
{
	struct tool_run *r = &vo->r;
	char *log = malloc(LOG_SIZE);
	struct sops_program *p;
	int err, rc = 2, accepted = 0, rejected = 0;
	bool any = false;

	if (!log) {
		tool_error(r->cmd, r->json, -ENOMEM, "no memory for a %u-byte log", LOG_SIZE);
		return 2;
	}
	/* A runtime that verifies and JITs (never trusting), the object opened in it. */
	if (tool_run_open(r, 0))
		goto out;
	if (r->name) {
		/* Only PROG loads, even with autoload off ("?"); the others are not needed. */
		if (!sops_object__find_program_by_name(r->obj, r->name)) {
			tool_error(r->cmd, r->json, -ENOENT, "%s: no program named %s", r->file, r->name);
			goto out;
		}
		for (p = sops_object__next_program(r->obj, NULL); p; p = sops_object__next_program(r->obj, p))
			sops_program__set_autoload(p, !strcmp(sops_program__name(p), r->name));
		p = sops_object__find_program_by_name(r->obj, r->name);
		if (sops_program__type(p) == SOPS_PROG_TYPE_STRUCT_OPS)
			tool_run_isolate(r, p);
	}
	if (tool_run_load(r))
		goto out;
	if (r->json) {
		printf("{\"file\": ");
		json_str(r->file);
		printf(", \"programs\": [");
	}
	for (p = sops_object__next_program(r->obj, NULL); p; p = sops_object__next_program(r->obj, p)) {
		struct sops_prog_verdict v;

		if (r->name && strcmp(sops_program__name(p), r->name))
			continue;
		if (sops_program__handle(p) < 0)
			continue; /* not loaded (autoload off) */
		err = verify_one(r->rt, p, sops_object__license(r->obj), vo->log_level, log, &v);
		if (err) {
			if (r->json)
				printf("]}\n"); /* the document so far stays valid JSON */
			tool_error(r->cmd, false, err, "%s: cannot verify: %s", sops_program__name(p),
				   strerror(-err));
			goto out;
		}
		if (r->json)
			print_json(p, &v, log, vo->log_level || !v.verified, !any);
		else
			print_text(p, &v, log, vo->log_level || !v.verified);
		any = true;
		if (v.verified)
			accepted++;
		else
			rejected++;
	}
	if (r->json)
		printf("], \"accepted\": %d, \"rejected\": %d}\n", accepted, rejected);
	else
		printf("%d accepted, %d rejected\n", accepted, rejected);
	rc = rejected ? 1 : 0;
out:
	free(log);
	tool_run_free(r);
	return rc;
}

int cmd_prog_verify(int argc, char **argv)
{
	struct verify_opts vo = { .r = { .cmd = "prog verify", .repeat = 1 } };
	struct tool_run *r = &vo.r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--log-level") && i + 1 < argc) {
			char *end;
			long l = strtol(argv[++i], &end, 10);

			if (*end || l < 0 || l > 2) {
				tool_error(r->cmd, r->json, -EINVAL, "--log-level: 0, 1 or 2");
				return 2;
			}
			vo.log_level = (unsigned int)l;
		} else if (!strcmp(argv[i], "--json")) {
			r->json = true;
		} else if (!strcmp(argv[i], "--btf") && i + 1 < argc) {
			r->btf_file = argv[++i];
		} else if (!strcmp(argv[i], "--base") && i + 1 < argc) {
			r->base_file = argv[++i];
		} else if (!strcmp(argv[i], "--writable") && i + 1 < argc) {
			if (r->writable_cnt == TOOL_MAX_WRITABLE) {
				tool_error(r->cmd, r->json, -E2BIG, "at most %d --writable", TOOL_MAX_WRITABLE);
				return 2;
			}
			r->writable[r->writable_cnt++] = argv[++i];
		} else if (!strcmp(argv[i], "--kfunc") && i + 1 < argc) {
			if (r->kfunc_cnt == TOOL_MAX_KFUNCS) {
				tool_error(r->cmd, r->json, -E2BIG, "at most %d --kfunc", TOOL_MAX_KFUNCS);
				return 2;
			}
			r->kfuncs[r->kfunc_cnt++] = argv[++i];
		} else if (argv[i][0] == '-' || (r->file && r->name)) {
			tool_error(r->cmd, r->json, -EINVAL, "unexpected argument '%s'", argv[i]);
			usage(stderr);
			return 2;
		} else if (!r->file) {
			r->file = argv[i];
		} else {
			r->name = argv[i];
		}
	}
	if (!r->file) {
		tool_error(r->cmd, r->json, -EINVAL, "FILE.o missing");
		usage(stderr);
		return 2;
	}
	if (tool_run_check_usage(r))
		return 2;
	return run(&vo);
}
