/* SPDX-License-Identifier: MIT */
/*
 * cmd_verify.c - `structops prog verify FILE.o [PROG]`: what the verifier
 * says about each program of an object, like the kernel's veristat.
 *
 * The object is loaded into a fresh runtime the library's way (maps created,
 * relocations applied). Each program is then verified again on its own in a
 * strict runtime setting with a log buffer, so the log, the verdict and the
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
		"\n"
		"Verifies every program of FILE.o (or only PROG) and prints, per program,\n"
		"whether the verifier accepted it, the instructions it processed, the states\n"
		"it kept (total and peak) and the time it took; for a rejected program also\n"
		"the verifier's log. --log-level 1 prints the log of every program (each\n"
		"instruction as verified), 2 adds the register state after every instruction.\n"
		"\n"
		"  PROG            only this program (it is verified even when its section\n"
		"                  starts with '?', autoload off)\n"
		"  --log-level N   0 (default): the log of rejected programs only; 1: every\n"
		"                  program's log; 2: with register states\n"
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
		"example:\n"
		"  structops prog verify policy.bpf.o --log-level 1\n");
}

struct verify_opts {
	const char *file, *name;
	unsigned int log_level;
	bool json;
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

static int run(const struct verify_opts *vo)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = true };
	char *log = malloc(LOG_SIZE), errlog[4096] = "";
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .log_buf = errlog, .log_size = sizeof(errlog) };
	struct sops_runtime *rt = NULL;
	struct sops_object *obj = NULL;
	struct sops_program *p;
	int err, rc = 2, accepted = 0, rejected = 0;
	bool any = false;

	if (!log) {
		tool_error("prog verify", vo->json, -ENOMEM, "no memory for a %u-byte log", LOG_SIZE);
		return 2;
	}
	err = sops_runtime__new(&ro, &rt);
	if (!err)
		err = sops_object__open_file(vo->file, NULL, &obj);
	if (err) {
		tool_error("prog verify", vo->json, err, "%s: %s", vo->file, strerror(-err));
		goto out;
	}
	lo.runtime = rt;
	if (vo->name) { /* a program named on the command line loads even with autoload off ("?") */
		p = sops_object__find_program_by_name(obj, vo->name);
		if (!p) {
			tool_error("prog verify", vo->json, -ENOENT, "%s: no program named %s", vo->file, vo->name);
			goto out;
		}
		sops_program__set_autoload(p, true);
	}
	err = sops_object__load(obj, &lo);
	if (err) {
		tool_error("prog verify", vo->json, err, "loading %s: %s%s%s", vo->file, strerror(-err),
			   errlog[0] ? ": " : "", errlog);
		goto out;
	}
	if (vo->json) {
		printf("{\"file\": ");
		json_str(vo->file);
		printf(", \"programs\": [");
	}
	for (p = sops_object__next_program(obj, NULL); p; p = sops_object__next_program(obj, p)) {
		struct sops_prog_verdict v;

		if (vo->name && strcmp(sops_program__name(p), vo->name))
			continue;
		if (sops_program__handle(p) < 0)
			continue; /* not loaded (autoload off) */
		err = verify_one(rt, p, sops_object__license(obj), vo->log_level, log, &v);
		if (err) {
			fprintf(stderr, "structops: %s: cannot verify: %s\n", sops_program__name(p), strerror(-err));
			goto out;
		}
		if (vo->json)
			print_json(p, &v, log, vo->log_level || !v.verified, !any);
		else
			print_text(p, &v, log, vo->log_level || !v.verified);
		any = true;
		if (v.verified)
			accepted++;
		else
			rejected++;
	}
	if (vo->json)
		printf("], \"accepted\": %d, \"rejected\": %d}\n", accepted, rejected);
	else
		printf("%d accepted, %d rejected\n", accepted, rejected);
	rc = rejected ? 1 : 0;
out:
	free(log);
	sops_object__close(obj);
	sops_runtime__free(rt);
	return rc;
}

int cmd_prog_verify(int argc, char **argv)
{
	struct verify_opts vo = { 0 };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--log-level") && i + 1 < argc) {
			char *end;
			long l = strtol(argv[++i], &end, 10);

			if (*end || l < 0 || l > 2) {
				fprintf(stderr, "structops: --log-level: 0, 1 or 2\n");
				return 2;
			}
			vo.log_level = (unsigned int)l;
		} else if (!strcmp(argv[i], "--json")) {
			vo.json = true;
		} else if (argv[i][0] == '-') {
			usage(stderr);
			return 2;
		} else if (!vo.file) {
			vo.file = argv[i];
		} else if (!vo.name) {
			vo.name = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!vo.file) {
		usage(stderr);
		return 2;
	}
	return run(&vo);
}
