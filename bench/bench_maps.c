/* SPDX-License-Identifier: MIT */
/*
 * bench_maps.c - map lookups from BPF programs against native C, in the same
 * run (issue 5's targets: hash lookup from a JIT'd program within 2x of an
 * open-addressing C hash table, array lookup within 1.2x of a native index).
 *
 * DIR/maps.bpf.o (bench/maps/maps.bpf.c, built by bench.mk) is loaded the way
 * `structops prog run` loads objects: sops_object__load() into a runtime
 * (sops_object_load_opts.runtime: its maps created, its programs loaded). The runtime's
 * maps are then filled with the same keys and values as the native tables
 * (bench/maps/maps_native.c). Engines, each its own runtime:
 *   jit         trusted + JIT: array and hash lookups are inlined at load (inline.c)
 *   jit-helper  the same, inlining off: every lookup is a helper call
 *   interp      trusted fast interpreter (arrays inlined, hashes through the helper)
 * Every engine's sum is checked against the native loop's (and the native
 * loops against the sums computed from maps.h) before timing; a difference
 * prints MISMATCH and fails the suite. Times are medians over samples of
 * about target_ns, divided per lookup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <structops/object.h>
#include <structops/runtime.h>

#include "bench_maps.h"
#include "maps/maps_native.h"
#include "runtime/rt_internal.h"

enum mb_engine { MB_NATIVE, MB_JIT, MB_JIT_HELPER, MB_INTERP, MB_ENG_CNT };
static const char *const mb_names[MB_ENG_CNT] = { "native", "jit", "jit-helper", "interp" };

enum mb_kind { MB_HASH, MB_ARRAY, MB_KIND_CNT };
static const char *const mb_progs[MB_KIND_CNT] = { "hash_lookup", "array_lookup" };

/* One engine's runtime with the object loaded and the maps filled. */
struct mb_loaded {
	struct sops_runtime *rt;
	struct sops_object *obj;
	int prog_fd[MB_KIND_CNT];
};

/* What the timing loop runs. */
struct mb_runner {
	enum mb_engine eng;
	enum mb_kind kind;
	const struct mb_loaded *ld;
	const struct oa_table *oa;
	const uint64_t *values;
};

static uint64_t mb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void mb_unload(struct mb_loaded *ld)
{
	sops_object__close(ld->obj);
	sops_runtime__free(ld->rt);
	memset(ld, 0, sizeof(*ld));
}

/* A runtime for @eng with DIR/maps.bpf.o loaded and both maps filled. */
static int mb_load(const char *dir, enum mb_engine eng, struct mb_loaded *ld)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .trust_unverified = true, .jit = eng != MB_INTERP };
	char path[4096], log[1024] = "";
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log) };
	int err;

	memset(ld, 0, sizeof(*ld));
	snprintf(path, sizeof(path), "%s/maps.bpf.o", dir);
	err = sops_runtime__new(&ro, &ld->rt);
	if (err)
		goto fail;
	/* Internal knob: the helper-call baseline of the same JIT. */
	atomic_store(&ld->rt->no_inline, eng == MB_JIT_HELPER);
	err = sops_object__open_file(path, NULL, &ld->obj);
	if (err)
		goto fail;
	lo.runtime = ld->rt; /* the library creates the maps and loads the programs there */
	err = sops_object__load(ld->obj, &lo);
	if (err) {
		fprintf(stderr, "bench: maps: %s\n", log);
		goto fail;
	}
	for (int k = 0; k < MB_KIND_CNT; k++) {
		struct sops_program *p = sops_object__find_program_by_name(ld->obj, mb_progs[k]);

		ld->prog_fd[k] = p ? sops_program__handle(p) : -1;
		if (ld->prog_fd[k] < 0) {
			err = -ENOENT;
			goto fail;
		}
	}
	for (const char *const *name = (const char *const[]){ "hmap", "amap", NULL }; *name; name++) {
		struct sops_map *m = sops_object__find_map_by_name(ld->obj, *name);
		int fd = m ? sops_map__handle(m) : -1;

		if (fd < 0) {
			err = -ENOENT;
			goto fail;
		}
		for (uint32_t k = 0; k < MB_ENTRIES; k++) {
			uint64_t v = MB_VALUE(k);

			err = sops_map_update_elem(ld->rt, fd, &k, &v, 0);
			if (err)
				goto fail;
		}
	}
	return 0;
fail:
	fprintf(stderr, "bench: maps: %s (%s): %s\n", path, mb_names[eng], strerror(-err));
	mb_unload(ld);
	return -1;
}

/* @reps runs of @r; the last run's sum in *@sum. Returns 0 or -1. */
static __attribute__((noinline)) int mb_run(const struct mb_runner *r, uint64_t reps, uint64_t *sum)
{
	if (r->eng == MB_NATIVE) {
		/* Through volatile slots: the compiler cannot see which loop runs. */
		uint64_t (*volatile hash_fn)(const struct oa_table *) = native_hash_lookups;
		uint64_t (*volatile array_fn)(const uint64_t *, uint32_t) = native_array_lookups;
		uint64_t s = 0;

		for (uint64_t i = 0; i < reps; i++) {
			s = r->kind == MB_HASH ? hash_fn(r->oa) : array_fn(r->values, MB_ENTRIES);
			__asm__ volatile("" : : "r"(s) : "memory");
		}
		*sum = s;
		return 0;
	}
	{
		struct mb_ctx ctx = { 0 };
		struct sops_test_run_opts o = { .sz = sizeof(o), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
						.ctx_out = &ctx, .ctx_size_out = sizeof(ctx),
						.repeat = (int)reps };
		int err = sops_prog_test_run_opts(r->ld->rt, r->ld->prog_fd[r->kind], &o);

		if (err) {
			fprintf(stderr, "bench: maps: %s on %s: %s\n", mb_progs[r->kind], mb_names[r->eng],
				strerror(-err));
			return -1;
		}
		*sum = ctx.sum;
		return 0;
	}
}

static int mb_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median ns per lookup over @samples samples of about @target_ns, or < 0. */
static double mb_measure(const struct mb_runner *r, int samples, double target_ns)
{
	double per[64];
	uint64_t reps = 1, sum, t;

	for (;;) { /* calibrate */
		uint64_t t0 = mb_now_ns();

		if (mb_run(r, reps, &sum))
			return -1;
		t = mb_now_ns() - t0;
		if ((double)t >= target_ns / 2 || reps >= (1u << 30))
			break;
		reps *= (t * 100 < target_ns) ? 10 : 2;
	}
	reps = (uint64_t)((double)reps * target_ns / (double)(t ? t : 1));
	if (reps < 1)
		reps = 1;
	if (reps > INT32_MAX)
		reps = INT32_MAX;
	for (int s = 0; s < samples && s < 64; s++) {
		uint64_t t0 = mb_now_ns();

		if (mb_run(r, reps, &sum))
			return -1;
		per[s] = (double)(mb_now_ns() - t0) / (double)reps / MB_LOOKUPS;
	}
	qsort(per, (size_t)samples, sizeof(*per), mb_cmp);
	return samples % 2 ? per[samples / 2] : (per[samples / 2 - 1] + per[samples / 2]) / 2;
}

int bench_maps(const char *dir, int samples, double target_ns)
{
	static const char *const goals[MB_KIND_CNT] = { "at most 2x", "at most 1.2x" };
	struct mb_loaded ld[MB_ENG_CNT];
	struct oa_table oa = { 0 };
	uint64_t *values = NULL, want = 0;
	double ns[MB_KIND_CNT][MB_ENG_CNT];
	int ret = -1;

	memset(ld, 0, sizeof(ld));
	values = calloc(MB_ENTRIES, sizeof(*values));
	if (!values || oa_init(&oa, MB_ENTRIES))
		goto out;
	for (uint32_t k = 0; k < MB_ENTRIES; k++) {
		values[k] = MB_VALUE(k);
		if (oa_insert(&oa, k, MB_VALUE(k)))
			goto out;
	}
	for (uint32_t i = 0; i < MB_LOOKUPS; i++)
		if (MB_KEY(i) < MB_ENTRIES)
			want += MB_VALUE(MB_KEY(i));
	for (int e = MB_JIT; e < MB_ENG_CNT; e++) {
		if (e != MB_INTERP && !sops_jit_available())
			continue;
		if (mb_load(dir, (enum mb_engine)e, &ld[e]))
			goto out;
	}
	/* Untimed first runs: every engine's sum must be the expected one. */
	for (int k = 0; k < MB_KIND_CNT; k++) {
		for (int e = 0; e < MB_ENG_CNT; e++) {
			struct mb_runner r = { (enum mb_engine)e, (enum mb_kind)k, &ld[e], &oa, values };
			uint64_t sum;

			ns[k][e] = -1;
			if (e != MB_NATIVE && !ld[e].rt)
				continue;
			if (mb_run(&r, 1, &sum))
				goto out;
			if (sum != want) {
				printf("MISMATCH maps %s: %s sum %llu, expected %llu\n", mb_progs[k], mb_names[e],
				       (unsigned long long)sum, (unsigned long long)want);
				goto out;
			}
		}
	}
	for (int k = 0; k < MB_KIND_CNT; k++)
		for (int e = 0; e < MB_ENG_CNT; e++) {
			struct mb_runner r = { (enum mb_engine)e, (enum mb_kind)k, &ld[e], &oa, values };

			if (e != MB_NATIVE && !ld[e].rt)
				continue;
			ns[k][e] = mb_measure(&r, samples, target_ns);
			if (ns[k][e] < 0)
				goto out;
		}
	printf("\nmap lookups from BPF programs vs native C (%d lookups per run, %d of %d keys present;"
	       " median ns per lookup):\n",
	       MB_LOOKUPS, MB_ENTRIES, MB_KEYSPACE);
	printf("%-8s %10s %10s %12s %10s %12s %12s\n", "map", "native ns", "jit ns", "jit-helper ns",
	       "interp ns", "jit/native", "goal");
	for (int k = 0; k < MB_KIND_CNT; k++) {
		printf("%-8s", k == MB_HASH ? "hash" : "array");
		for (int e = 0; e < MB_ENG_CNT; e++) {
			if (ns[k][e] < 0)
				printf(" %*s", e == MB_JIT_HELPER ? 12 : 10, "n/a");
			else
				printf(" %*.2f", e == MB_JIT_HELPER ? 12 : 10, ns[k][e]);
		}
		if (ns[k][MB_JIT] > 0)
			printf(" %11.2fx %12s\n", ns[k][MB_JIT] / ns[k][MB_NATIVE], goals[k]);
		else
			printf(" %12s %12s\n", "n/a", goals[k]);
	}
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "bench: maps: failed\n");
	for (int e = 0; e < MB_ENG_CNT; e++)
		if (ld[e].rt)
			mb_unload(&ld[e]);
	oa_free(&oa);
	free(values);
	return ret;
}
