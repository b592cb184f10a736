/* SPDX-License-Identifier: MIT */
/*
 * cmd_prog.c - `structops prog run FILE.o PROG`: load an object into a fresh
 * runtime (the library's path: maps created, global data written, only PROG
 * loaded) and run PROG through PROG_TEST_RUN, printing its return value,
 * average duration and run statistics (run_cnt, run_time_ns, fault_cnt). Also the tool_run_* steps `map dump` shares (commands.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <structops/object.h>
#include <structops/runtime.h>

#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: structops prog run FILE.o PROG [--ctx-in HEX] [--data FILE] [--repeat N]\n"
		"                          [--interp|--jit] [--json]\n"
		"       structops prog verify FILE.o [PROG] [--log-level N] [--json]\n"
		"\n"
		"run: loads FILE.o, runs program PROG once (or N times) through PROG_TEST_RUN\n"
		"and prints its return value, average duration and the engine that ran it: a\n"
		"program the verifier proved safe runs on the JIT (the fast interpreter with\n"
		"--interp), any other in the interpreter's checked mode. --jit also runs\n"
		"unverified code on the JIT, unchecked (unsafe; said on stderr). Then the\n"
		"run statistics of those runs (counted for the command, as with the kernel's\n"
		"BPF_ENABLE_STATS): `stats: run_cnt N, run_time_ns T, fault_cnt F` (JSON:\n"
		"run_cnt, run_time_ns, fault_cnt); also printed when a checked run faults.\n"
		"verify: see `structops prog verify --help`.\n");
}

static int parse_hex(const char *s, uint8_t **out, uint32_t *len)
{
	size_t n = strlen(s);
	uint8_t *b;

	if (n % 2)
		return -EINVAL;
	b = malloc(n / 2 + 1);
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(b);
			return -EINVAL;
		}
		b[i] = (uint8_t)v;
	}
	*out = b;
	*len = (uint32_t)(n / 2);
	return 0;
}

int tool_run_arg(struct tool_run *r, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];

	if (!strcmp(arg, "--ctx-in") && *i + 1 < argc)
		r->ctx_hex = argv[++*i];
	else if (!strcmp(arg, "--repeat") && *i + 1 < argc)
		r->repeat = atol(argv[++*i]);
	else if (!strcmp(arg, "--jit") || !strcmp(arg, "--interp")) {
		r->jit = !strcmp(arg, "--jit");
		r->interp = !r->jit;
	}
	else if (!strcmp(arg, "--json"))
		r->json = true;
	else if (arg[0] == '-')
		return 0;
	else if (!r->file)
		r->file = arg;
	else if (!r->name)
		r->name = arg;
	else
		return 0;
	return 1;
}

const char *tool_json_escape(const char *s)
{
	static char buf[1024];
	size_t n = 0;

	for (; *s && n + 7 < sizeof(buf); s++) {
		if (*s == '"' || *s == '\\') {
			buf[n++] = '\\';
			buf[n++] = *s;
		} else if ((unsigned char)*s < 0x20) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\\u%04x", *s);
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = 0;
	return buf;
}

int tool_run_ctx(struct tool_run *r)
{
	if (r->ctx_hex && parse_hex(r->ctx_hex, &r->ctx, &r->ctx_len)) {
		fprintf(stderr, "structops: --ctx-in: not a hex string\n");
		return -EINVAL;
	}
	return 0;
}

int tool_run_open(struct tool_run *r, uint32_t nr_cpus)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = !r->interp, .trust_unverified = r->jit,
					.nr_cpus = nr_cpus };
	int err;

	if (r->jit)
		fprintf(stderr, "structops: --jit: running code the verifier has not proven safe\n");
	err = sops_runtime__new(&ro, &r->rt);
	if (!err)
		err = sops_object__open_file(r->file, NULL, &r->obj);
	if (err)
		fprintf(stderr, "structops: %s: %s\n", r->file, strerror(-err));
	return err;
}

int tool_run_load(struct tool_run *r)
{
	char log[4096] = "";
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .runtime = r->rt, .log_buf = log,
					    .log_size = sizeof(log) };
	int err = sops_object__load(r->obj, &lo);

	if (err)
		fprintf(stderr, "structops: loading %s: %s%s%s\n", r->file, strerror(-err),
			log[0] ? ": " : "", log);
	return err;
}

int tool_run_prog(struct tool_run *r, const char *name, const void *data, uint32_t data_len,
		  struct sops_test_run_opts *o)
{
	struct sops_program *p = sops_object__find_program_by_name(r->obj, name);
	int err;

	*o = (struct sops_test_run_opts){ .sz = sizeof(*o), .ctx_in = r->ctx, .ctx_size_in = r->ctx_len,
					  .data_in = data, .data_size_in = data_len,
					  .repeat = (int)r->repeat };
	err = sops_prog_test_run_opts(r->rt, sops_program__handle(p), o);
	if (err)
		fprintf(stderr, "structops: running %s: %s\n", name, strerror(-err));
	return err;
}

void tool_run_free(struct tool_run *r)
{
	sops_object__close(r->obj);
	sops_runtime__free(r->rt);
	free(r->ctx);
}

/* The run statistics OBJ_GET_INFO reports for @p (fault_cnt: a structops extension). */
static int get_stats(struct tool_run *r, struct sops_program *p, struct sops_bpf_prog_info *info)
{
	uint32_t len = sizeof(*info);
	int err;

	memset(info, 0, sizeof(*info));
	err = sops_prog_get_info_by_fd(r->rt, sops_program__handle(p), info, &len);
	if (err)
		fprintf(stderr, "structops: reading the statistics of %s: %s\n", r->name, strerror(-err));
	return err;
}

static void print_stats_text(const struct sops_bpf_prog_info *info)
{
	printf("stats: run_cnt %llu, run_time_ns %llu, fault_cnt %llu\n",
	       (unsigned long long)info->run_cnt, (unsigned long long)info->run_time_ns,
	       (unsigned long long)info->fault_cnt);
}

static int prog_run(int argc, char **argv)
{
	struct tool_run r = { .repeat = 1 };
	const char *data_path = NULL;
	struct sops_program *p, *target = NULL;
	struct sops_test_run_opts o;
	struct sops_bpf_prog_info stats;
	uint8_t *data = NULL;
	size_t data_len = 0;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
			data_path = argv[++i];
		} else if (!tool_run_arg(&r, argc, argv, &i)) {
			usage(stderr);
			return 2;
		}
	}
	if (!r.file || !r.name || r.repeat < 1) {
		usage(stderr);
		return 2;
	}
	if (tool_run_ctx(&r))
		return 2;
	if (data_path && tool_read_file(data_path, &data, &data_len)) {
		fprintf(stderr, "structops: cannot read %s\n", data_path);
		goto out;
	}
	if (tool_run_open(&r, 0))
		goto out;
	for (p = sops_object__next_program(r.obj, NULL); p; p = sops_object__next_program(r.obj, p)) {
		bool me = !strcmp(sops_program__name(p), r.name);

		sops_program__set_autoload(p, me);
		if (me)
			target = p;
	}
	if (!target) {
		fprintf(stderr, "structops: %s: no program named %s\n", r.file, r.name);
		goto out;
	}
	if (tool_run_load(&r))
		goto out;
	/* Counting starts here, so the statistics are those of this command's runs. */
	sops_runtime__enable_stats(r.rt, true);
	if (tool_run_prog(&r, r.name, data, (uint32_t)data_len, &o)) {
		/* Still say what ran: a checked run that faulted shows in fault_cnt. */
		if (!r.json && !get_stats(&r, target, &stats))
			print_stats_text(&stats);
		goto out;
	}
	{
		struct sops_prog_verdict v = { .sz = sizeof(v) };
		const char *engine = "?";

		if (!sops_prog_get_verdict(r.rt, sops_program__handle(target), &v))
			engine = v.checked ? "interpreter (checked)"
				 : v.engine == SOPS_ENGINE_JIT ? "jit" : "interpreter";
		if (get_stats(&r, target, &stats))
			goto out;
		if (r.json) {
			printf("{\"retval\": %u, \"duration_ns\": %u, \"engine\": \"%s\", \"verified\": %s",
			       o.retval, o.duration, engine, v.verified ? "true" : "false");
			if (!v.verified)
				printf(", \"reason\": \"%s\"", tool_json_escape(v.reason));
			printf(", \"run_cnt\": %llu, \"run_time_ns\": %llu, \"fault_cnt\": %llu}\n",
			       (unsigned long long)stats.run_cnt, (unsigned long long)stats.run_time_ns,
			       (unsigned long long)stats.fault_cnt);
		} else {
			printf("retval %u (0x%x), %u ns per run, %s, %s\n", o.retval, o.retval, o.duration,
			       engine, v.verified ? "verified" : "not verified");
			if (!v.verified && v.reason[0])
				printf("not verified: insn %s\n", v.reason);
			print_stats_text(&stats);
		}
	}
	rc = 0;
out:
	tool_run_free(&r);
	free(data);
	return rc;
}

int cmd_prog(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "run"))
		return prog_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return cmd_prog_verify(argc - 1, argv + 1);
	usage(stderr);
	return 2;
}
