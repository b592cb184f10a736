/* SPDX-License-Identifier: MIT */
/*
 * cmd_prog.c - `structops prog run FILE.o PROG`: load an object into a fresh
 * runtime (the library's path: maps created, global data written, only PROG
 * loaded) and run PROG through PROG_TEST_RUN, printing its return value and
 * average duration.
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
		"\n"
		"Loads FILE.o, runs program PROG once (or N times) through PROG_TEST_RUN and\n"
		"prints its return value and average duration. --jit runs the program in the\n"
		"JIT although the verifier has not proven it safe (said on stderr); the default\n"
		"is the interpreter's checked mode.\n");
}

int tool_load_object(struct sops_object *obj, const char *file, struct sops_runtime *rt)
{
	char log[4096] = "";
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .runtime = rt, .log_buf = log,
					    .log_size = sizeof(log) };
	int err = sops_object__load(obj, &lo);

	if (err)
		fprintf(stderr, "structops: loading %s: %s%s%s\n", file, strerror(-err), log[0] ? ": " : "",
			log);
	return err;
}

int tool_parse_hex(const char *s, uint8_t **out, uint32_t *len)
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

static int prog_run(int argc, char **argv)
{
	const char *file = NULL, *name = NULL, *data_path = NULL, *ctx_hex = NULL;
	bool jit = false, json = false;
	struct sops_object *obj = NULL;
	struct sops_runtime *rt = NULL;
	struct sops_program *p, *target = NULL;
	uint8_t *ctx = NULL, *data = NULL;
	uint32_t ctx_len = 0;
	size_t data_len = 0;
	long repeat = 1;
	int err, rc = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--ctx-in") && i + 1 < argc) {
			ctx_hex = argv[++i];
		} else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
			data_path = argv[++i];
		} else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) {
			repeat = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--jit")) {
			jit = true;
		} else if (!strcmp(argv[i], "--interp")) {
			jit = false;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (argv[i][0] == '-') {
			usage(stderr);
			return 2;
		} else if (!file) {
			file = argv[i];
		} else if (!name) {
			name = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!file || !name || repeat < 1) {
		usage(stderr);
		return 2;
	}
	if (ctx_hex && tool_parse_hex(ctx_hex, &ctx, &ctx_len)) {
		fprintf(stderr, "structops: --ctx-in: not a hex string\n");
		return 2;
	}
	if (data_path && tool_read_file(data_path, &data, &data_len)) {
		fprintf(stderr, "structops: cannot read %s\n", data_path);
		goto out;
	}
	if (jit)
		fprintf(stderr, "structops: --jit: running code the verifier has not proven safe\n");
	{
		struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = jit, .trust_unverified = jit };

		err = sops_runtime__new(&ro, &rt);
	}
	if (!err)
		err = sops_object__open_file(file, NULL, &obj);
	if (err) {
		fprintf(stderr, "structops: %s: %s\n", file, strerror(-err));
		goto out;
	}
	for (p = sops_object__next_program(obj, NULL); p; p = sops_object__next_program(obj, p)) {
		bool me = !strcmp(sops_program__name(p), name);

		sops_program__set_autoload(p, me);
		if (me)
			target = p;
	}
	if (!target) {
		fprintf(stderr, "structops: %s: no program named %s\n", file, name);
		goto out;
	}
	if (tool_load_object(obj, file, rt))
		goto out;
	{
		struct sops_test_run_opts o = { .sz = sizeof(o), .ctx_in = ctx, .ctx_size_in = ctx_len,
						.data_in = data, .data_size_in = (uint32_t)data_len,
						.repeat = (int)repeat };

		err = sops_prog_test_run_opts(rt, sops_program__handle(target), &o);
		if (err) {
			fprintf(stderr, "structops: running %s: %s\n", name, strerror(-err));
			goto out;
		}
		if (json)
			printf("{\"retval\": %u, \"duration_ns\": %u}\n", o.retval, o.duration);
		else
			printf("retval %u (0x%x), %u ns per run\n", o.retval, o.retval, o.duration);
	}
	rc = 0;
out:
	sops_object__close(obj);
	sops_runtime__free(rt);
	free(ctx);
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
	usage(stderr);
	return 2;
}
