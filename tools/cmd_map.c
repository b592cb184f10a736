/* SPDX-License-Identifier: MIT */
/*
 * cmd_map.c - `structops map dump FILE.o MAP [--run PROG]...`: load an object
 * into a fresh runtime (maps created, global data written, only the named
 * programs loaded), run each --run program in order through PROG_TEST_RUN,
 * then print every entry of map MAP (GET_NEXT_KEY, LOOKUP_ELEM) as bytes,
 * bpftool-style, in text or JSON. Per-CPU maps print one value per CPU slot of
 * the runtime. With --btf, an object's struct_ops maps are created against
 * types registered from HOST_BTF alone (cmd_prog.c's tool_run_load).
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
		"                          [--btf HOST_BTF [--base BASE] [--writable S[.M]]...\n"
		"                          [--kfunc NAME[=VALUE][:FLAG]...]...]\n"
		"                          [--interp|--jit] [--json]\n"
		"\n"
		"Loads FILE.o into a new runtime (maps created, global data written, only the\n"
		"--run programs loaded), runs each --run program in the order given through\n"
		"PROG_TEST_RUN, then prints every entry of map MAP: key and value bytes in hex\n"
		"(per-CPU maps: one value per CPU slot of the runtime), then the count.\n"
		"\n"
		"options:\n"
		"  --run PROG         run PROG first (up to 16, in order); a struct_ops program\n"
		"                     is run with `structops prog run ... --arg` instead\n"
		"  --ctx-in HEX       the context bytes of every --run\n"
		"  --repeat N         run each --run program N times (default 1)\n"
		"  --btf HOST_BTF     the host's types (raw BTF or an ELF file with .BTF): an\n"
		"                     object with struct_ops maps or CO-RE needs it; each\n"
		"                     struct_ops type is registered from HOST_BTF alone\n"
		"  --base BASE        HOST_BTF is split BTF on BASE\n"
		"  --writable S[.M]   struct S (or its member M) is writable by struct_ops\n"
		"                     programs, as `structops prog run` takes it\n"
		"  --kfunc NAME[=VALUE][:FLAG]...  a stand-in for the host's kfunc NAME, as\n"
		"                     `structops prog run` takes it\n"
		"  --interp           run verified programs on the fast interpreter, not the JIT\n"
		"  --jit              also run unverified code on the JIT (unsafe; said on stderr)\n"
		"  --json             print a JSON array of {\"key\", \"value\"} (or \"values\" per\n"
		"                     CPU); failures as {\"error\": ...}\n"
		"\n"
		"Exit status: 0 when the map was dumped, 1 when loading, a run or the dump\n"
		"failed, 2 for bad usage.\n"
		"\n"
		"example:\n"
		"  structops map dump counter.bpf.o hits --run count --repeat 3\n");
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
		tool_error("map dump", json, err, "map %s: %s (this map type has no elements to list?)",
			   sops_map__name(m), strerror(-err));
out:
	free(key);
	free(next);
	free(val);
	return err;
}

static int map_dump(int argc, char **argv)
{
	struct tool_run r = { .cmd = "map dump", .repeat = 1 };
	const char *runs[MAX_RUNS];
	struct sops_program *p;
	struct sops_map *m;
	uint32_t nr_cpus;
	int run_cnt = 0, rc = 1, k;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--run") && i + 1 < argc) {
			if (run_cnt == MAX_RUNS) {
				tool_error(r.cmd, r.json, -E2BIG, "at most %d --run", MAX_RUNS);
				return 2;
			}
			runs[run_cnt++] = argv[++i];
		} else if ((k = tool_run_arg(&r, argc, argv, &i)) <= 0) {
			if (!k)
				tool_error(r.cmd, r.json, -EINVAL, "unexpected argument '%s'", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!r.file || !r.name || r.repeat < 1 || r.repeat > 1000000000) {
		tool_error(r.cmd, r.json, -EINVAL, "%s",
			   !r.file ? "FILE.o missing" : !r.name ? "MAP missing" :
			   "--repeat must be from 1 to 1000000000");
		usage(stderr);
		return 2;
	}
	if (tool_run_check_usage(&r) || tool_run_ctx(&r))
		return 2;
	{
		/* The runtime's default, made explicit: the dump's per-CPU buffers need it. */
		long cpus = sysconf(_SC_NPROCESSORS_CONF);

		nr_cpus = cpus > 0 ? (uint32_t)cpus : 1;
	}
	if (tool_run_open(&r, nr_cpus))
		goto out;
	m = sops_object__find_map_by_name(r.obj, r.name);
	if (!m) {
		char names[512] = "";
		size_t n = 0;

		for (m = sops_object__next_map(r.obj, NULL); m && n < sizeof(names);
		     m = sops_object__next_map(r.obj, m))
			n += (size_t)snprintf(names + n, sizeof(names) - n, " %s", sops_map__name(m));
		tool_error(r.cmd, r.json, -ENOENT, "%s: no map named %s; maps:%s", r.file, r.name,
			   names[0] ? names : " none");
		goto out;
	}
	for (p = sops_object__next_program(r.obj, NULL); p; p = sops_object__next_program(r.obj, p)) {
		bool wanted = false;

		for (int i = 0; i < run_cnt; i++)
			wanted |= !strcmp(runs[i], sops_program__name(p));
		sops_program__set_autoload(p, wanted);
	}
	for (int i = 0; i < run_cnt; i++) {
		p = sops_object__find_program_by_name(r.obj, runs[i]);
		if (!p) {
			tool_error(r.cmd, r.json, -ENOENT, "%s: no program named %s", r.file, runs[i]);
			goto out;
		}
		if (sops_program__type(p) == SOPS_PROG_TYPE_STRUCT_OPS) {
			tool_error(r.cmd, r.json, -EINVAL,
				   "--run %s: a struct_ops program takes its member's arguments: run it "
				   "with `structops prog run %s %s --btf HOST_BTF --arg N=VALUE`",
				   runs[i], r.file, runs[i]);
			rc = 2;
			goto out;
		}
	}
	if (tool_run_load(&r))
		goto out;
	for (int i = 0; i < run_cnt; i++) {
		struct sops_test_run_opts o;

		if (tool_run_prog(&r, runs[i], NULL, 0, &o))
			goto out;
		if (!r.json)
			printf("ran %s: retval %u\n", runs[i], o.retval);
	}
	if (sops_map__handle(m) < 0) {
		tool_error(r.cmd, r.json, -ENOENT, "map %s was not created (autocreate is off)", r.name);
		goto out;
	}
	if (!dump(r.rt, sops_map__handle(m), m, nr_cpus, r.json))
		rc = 0;
out:
	tool_run_free(&r);
	return rc;
}

int cmd_map(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "dump"))
		return map_dump(argc - 1, argv + 1);
	fprintf(stderr, "structops map: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
