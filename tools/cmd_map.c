/* SPDX-License-Identifier: MIT */
/*
 * cmd_map.c - `structops map dump FILE.o MAP [--run PROG]...`: load an object
 * into a fresh runtime (maps created, global data written, only the named
 * programs loaded), run each --run program once in order through
 * PROG_TEST_RUN, then print every entry of map MAP (GET_NEXT_KEY, LOOKUP_ELEM)
 * as bytes, bpftool-style, in text or JSON. Per-CPU maps print one value per
 * CPU slot of the runtime.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <structops/object.h>
#include <structops/runtime.h>

#include "commands.h"

#define MAX_RUNS 16

static void usage(FILE *out)
{
	fprintf(out,
		"usage: structops map dump FILE.o MAP [--run PROG]... [--ctx-in HEX] [--repeat N]\n"
		"                          [--interp|--jit] [--json]\n"
		"\n"
		"Loads FILE.o into a new runtime, runs each --run program (in the order given,\n"
		"N times each, with the --ctx-in context) through PROG_TEST_RUN, then prints\n"
		"every entry of map MAP: key and value bytes in hex (per-CPU maps: one value\n"
		"per CPU slot). --jit runs unverified code in the JIT (said on stderr).\n");
}

static bool is_percpu(uint32_t type)
{
	return type == SOPS_BPF_MAP_TYPE_PERCPU_HASH || type == SOPS_BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == SOPS_BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static void print_bytes(const uint8_t *b, uint32_t n, bool json)
{
	for (uint32_t i = 0; i < n; i++) {
		if (json)
			printf("%s\"0x%02x\"", i ? "," : "", b[i]);
		else
			printf("%s%02x", i ? " " : "", b[i]);
	}
}

/* Prints every entry of @fd. Returns 0 or -errno (with a message). */
static int dump(struct sops_runtime *rt, int fd, const struct sops_map *m, uint32_t nr_cpus, bool json)
{
	uint32_t ks = sops_map__key_size(m), vs = sops_map__value_size(m);
	bool percpu = is_percpu(sops_map__type(m));
	uint32_t stride = (vs + 7) / 8 * 8, vbuf_size = percpu ? stride * nr_cpus : vs;
	uint8_t *key = calloc(1, ks), *next = calloc(1, ks), *val = calloc(1, vbuf_size);
	bool first = true;
	long n = 0;
	int err;

	if (!key || !next || !val) {
		err = -ENOMEM;
		goto out;
	}
	if (json)
		printf("[");
	for (err = sops_map_get_next_key(rt, fd, NULL, next); !err;
	     err = sops_map_get_next_key(rt, fd, key, next)) {
		memcpy(key, next, ks);
		err = sops_map_lookup_elem(rt, fd, key, val);
		if (err == -ENOENT)
			continue; /* deleted meanwhile */
		if (err)
			break;
		n++;
		if (json) {
			printf("%s{\"key\":[", first ? "" : ",");
			print_bytes(key, ks, true);
			if (!percpu) {
				printf("],\"value\":[");
				print_bytes(val, vs, true);
				printf("]}");
			} else {
				printf("],\"values\":[");
				for (uint32_t c = 0; c < nr_cpus; c++) {
					printf("%s{\"cpu\":%u,\"value\":[", c ? "," : "", c);
					print_bytes(val + (size_t)c * stride, vs, true);
					printf("]}");
				}
				printf("]}");
			}
		} else {
			printf("key: ");
			print_bytes(key, ks, false);
			if (!percpu) {
				printf("  value: ");
				print_bytes(val, vs, false);
				printf("\n");
			} else {
				printf("\n");
				for (uint32_t c = 0; c < nr_cpus; c++) {
					printf("  value (CPU %02u): ", c);
					print_bytes(val + (size_t)c * stride, vs, false);
					printf("\n");
				}
			}
		}
		first = false;
	}
	if (err == -ENOENT)
		err = 0; /* past the last key */
	if (json)
		printf("]\n");
	else if (!err)
		printf("Found %ld element%s\n", n, n == 1 ? "" : "s");
	if (err)
		fprintf(stderr, "structops: map %s: %s (this map type has no elements to list?)\n",
			sops_map__name(m), strerror(-err));
out:
	free(key);
	free(next);
	free(val);
	return err;
}

static int map_dump(int argc, char **argv)
{
	const char *file = NULL, *name = NULL, *ctx_hex = NULL, *runs[MAX_RUNS];
	bool jit = false, json = false;
	struct sops_object *obj = NULL;
	struct sops_runtime *rt = NULL;
	struct sops_program *p;
	struct sops_map *m;
	uint8_t *ctx = NULL;
	uint32_t ctx_len = 0, nr_cpus;
	int run_cnt = 0, err, rc = 1;
	long repeat = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--run") && i + 1 < argc) {
			if (run_cnt == MAX_RUNS) {
				fprintf(stderr, "structops: at most %d --run\n", MAX_RUNS);
				return 2;
			}
			runs[run_cnt++] = argv[++i];
		} else if (!strcmp(argv[i], "--ctx-in") && i + 1 < argc) {
			ctx_hex = argv[++i];
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
	if (!file || !name || repeat < 1 || repeat > 1000000000) {
		usage(stderr);
		return 2;
	}
	if (ctx_hex && tool_parse_hex(ctx_hex, &ctx, &ctx_len)) {
		fprintf(stderr, "structops: --ctx-in: not a hex string\n");
		return 2;
	}
	if (jit)
		fprintf(stderr, "structops: --jit: running code the verifier has not proven safe\n");
	{
		long cpus = sysconf(_SC_NPROCESSORS_CONF);
		struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = jit, .trust_unverified = jit };

		nr_cpus = cpus > 0 ? (uint32_t)cpus : 1;
		ro.nr_cpus = nr_cpus;
		err = sops_runtime__new(&ro, &rt);
	}
	if (!err)
		err = sops_object__open_file(file, NULL, &obj);
	if (err) {
		fprintf(stderr, "structops: %s: %s\n", file, strerror(-err));
		goto out;
	}
	m = sops_object__find_map_by_name(obj, name);
	if (!m) {
		fprintf(stderr, "structops: %s: no map named %s; maps:", file, name);
		for (m = sops_object__next_map(obj, NULL); m; m = sops_object__next_map(obj, m))
			fprintf(stderr, " %s", sops_map__name(m));
		fprintf(stderr, "\n");
		goto out;
	}
	for (p = sops_object__next_program(obj, NULL); p; p = sops_object__next_program(obj, p)) {
		bool wanted = false;

		for (int r = 0; r < run_cnt; r++)
			wanted |= !strcmp(runs[r], sops_program__name(p));
		sops_program__set_autoload(p, wanted);
	}
	for (int r = 0; r < run_cnt; r++) {
		if (!sops_object__find_program_by_name(obj, runs[r])) {
			fprintf(stderr, "structops: %s: no program named %s\n", file, runs[r]);
			goto out;
		}
	}
	if (tool_load_object(obj, file, rt))
		goto out;
	for (int r = 0; r < run_cnt; r++) {
		struct sops_test_run_opts o = { .sz = sizeof(o), .ctx_in = ctx, .ctx_size_in = ctx_len,
						.repeat = (int)repeat };

		p = sops_object__find_program_by_name(obj, runs[r]);
		err = sops_prog_test_run_opts(rt, sops_program__handle(p), &o);
		if (err) {
			fprintf(stderr, "structops: running %s: %s\n", runs[r], strerror(-err));
			goto out;
		}
		if (!json)
			printf("ran %s: retval %u\n", runs[r], o.retval);
	}
	if (sops_map__handle(m) < 0) {
		fprintf(stderr, "structops: map %s was not created\n", name);
		goto out;
	}
	if (!dump(rt, sops_map__handle(m), m, nr_cpus, json))
		rc = 0;
out:
	sops_object__close(obj);
	sops_runtime__free(rt);
	free(ctx);
	return rc;
}

int cmd_map(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "dump"))
		return map_dump(argc - 1, argv + 1);
	usage(stderr);
	return 2;
}
