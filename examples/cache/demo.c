/* SPDX-License-Identifier: MIT */
/*
 * demo.c - `make demo`: a cache whose eviction policy is swapped live from
 * one BPF program set to another while worker threads hammer it.
 *
 *   1. A structops runtime (JIT unless --interp) with the host's BTF, embedded
 *      in this executable by the build (pahole + objcopy).
 *   2. The cache registers `struct cache_policy_ops` as a struct_ops type.
 *   3. Policy 1 (policies/lru.bpf.o) is loaded and attached through a link;
 *      the cache is warmed up. Both policies come from their skeletons
 *      (lru.skel.h, lfu.skel.h: `structops gen skeleton`, made by the build),
 *      which embed the objects, so the demo reads no file unless --policies.
 *   4. Worker threads run a skewed workload (Zipf reads + a one-pass scan).
 *   5. After --ops requests, policy 2 (lfu.bpf.o) is loaded and the link is
 *      updated to it while the workers keep running; --ops more requests.
 *   6. Report: per phase (requests are attributed to the policy generation
 *      that served them) the hit ratio; the link update's latency; the cost
 *      of one op call, BPF and native C, measured on a separate quiet cache.
 *
 * Exits 1 when anything fails (a load, an attach, a wrong cached value, a
 * bad victim, a phase without requests).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <structops/btf.h>
#include <structops/object.h>
#include <structops/runtime.h>
#include <structops/struct_ops.h>

#include "cache.h"
#include "cache_struct_ops.h"
#include "lfu.skel.h"
#include "lru.skel.h"
#include "native_policy.h"
#include "workload.h"

#define NR_GENS 4 /* policy generations a worker counts separately: 0 none, 1, 2, later */

struct config {
	uint32_t threads;
	uint64_t ops_per_phase;
	uint32_t shards, slots;
	uint64_t keys;
	double theta;
	uint32_t scan_pct;
	uint64_t seed;
	uint32_t bench_iters;
	bool jit;
	bool trusted;   /* --trust-unverified: the unsafe escape hatch, for comparison only */
	uint32_t swaps; /* --swaps: link updates to time after phase 2 */
	const char *policy[2]; /* --policies files; NULL: the skeletons' embedded objects */
	const char *btf_path;
};

/* What the workers share with the main thread. */
struct shared {
	struct cache *cache;
	const struct zipf *zipf;
	const struct config *cfg;
	atomic_bool stop;
	atomic_uint_fast64_t progress; /* requests done, in batches */
};

struct worker {
	pthread_t thread;
	struct shared *sh;
	uint32_t id;
	uint64_t ops[NR_GENS], hits[NR_GENS];
	uint64_t corrupt;
};

/* Policy 1 is LRU, policy 2 LFU: each through its skeleton. */
static const char *const policy_file[2] = { "lru.bpf.o", "lfu.bpf.o" };

/* A policy loaded into a runtime: its skeleton, and the object and struct_ops map in it. */
struct policy {
	struct lru_bpf *lru; /* policy 1 */
	struct lfu_bpf *lfu; /* policy 2 */
	struct sops_object *obj;
	struct sops_map *map;
	const char *path;
	double load_ms;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static struct cache_value value_of(uint64_t key)
{
	return (struct cache_value){ { key * 0x9e3779b97f4a7c15ull, ~key } };
}

/* One request: read, fill on a miss. Returns whether it hit; *@gen: the policy that served it. */
static bool request(struct cache *c, uint64_t key, uint64_t *gen, uint64_t *corrupt)
{
	struct cache_value v, want = value_of(key);

	if (cache_get(c, key, &v, gen)) {
		if (memcmp(&v, &want, sizeof(v)))
			(*corrupt)++;
		return true;
	}
	cache_put(c, key, &want, NULL);
	return false;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct stream s;

	stream_init(&s, sh->zipf, sh->cfg->scan_pct, sh->cfg->seed, w->id);
	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		for (int i = 0; i < 64; i++) {
			uint64_t gen = 0;
			bool hit = request(sh->cache, stream_next(&s), &gen, &w->corrupt);

			gen = gen < NR_GENS ? gen : NR_GENS - 1;
			w->ops[gen]++;
			w->hits[gen] += hit;
		}
		atomic_fetch_add_explicit(&sh->progress, 64, memory_order_relaxed);
	}
	return NULL;
}

static void wait_progress(struct shared *sh, uint64_t target)
{
	const struct timespec tick = { 0, 200 * 1000 };

	while (atomic_load_explicit(&sh->progress, memory_order_relaxed) < target)
		nanosleep(&tick, NULL);
}

/* --- loading policies --- */

static void policy_free(struct policy *p)
{
	lru_bpf__destroy(p->lru);
	lfu_bpf__destroy(p->lfu);
	memset(p, 0, sizeof(*p));
}

/* Policy @i (0: LRU, 1: LFU) from its skeleton: the embedded object, or the file @path. */
static int policy_load(struct sops_runtime *rt, int i, const char *path, struct policy *p)
{
	char log[2048] = "";
	struct sops_object_open_opts oo = { .sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log) };
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log) };
	double t0 = now_ns();
	int err;

	memset(p, 0, sizeof(*p));
	p->path = path ? path : policy_file[i];
	if (i == 0) {
		p->lru = path ? lru_bpf__open_file(path, &oo) : lru_bpf__open_opts(&oo);
		err = p->lru ? lru_bpf__load_opts(p->lru, rt, &lo) : -errno;
		if (p->lru) {
			p->obj = p->lru->obj;
			p->map = p->lru->maps.lru;
		}
	} else {
		p->lfu = path ? lfu_bpf__open_file(path, &oo) : lfu_bpf__open_opts(&oo);
		err = p->lfu ? lfu_bpf__load_opts(p->lfu, rt, &lo) : -errno;
		if (p->lfu) {
			p->obj = p->lfu->obj;
			p->map = p->lfu->maps.lfu;
		}
	}
	if (err) {
		fprintf(stderr, "demo: loading %s: %s\n%s%s", p->path, strerror(-err), log,
			log[0] ? "\n" : "");
		policy_free(p);
		return err;
	}
	p->load_ms = (now_ns() - t0) / 1e6;
	/* Programs the verifier could not prove safe run checked (slower): say which and why. */
	for (struct sops_program *pg = sops_object__next_program(p->obj, NULL); pg;
	     pg = sops_object__next_program(p->obj, pg)) {
		struct sops_prog_verdict v = { .sz = sizeof(v) };

		if (sops_program__handle(pg) >= 0 && !sops_prog_get_verdict(rt, sops_program__handle(pg), &v) &&
		    !v.verified)
			fprintf(stderr, "demo: %s: %s is not verified, runs checked: insn %s\n", path,
				sops_program__name(pg), v.reason);
	}
	return 0;
}

static const char *policy_name(const struct policy *p)
{
	return sops_map__name(p->map);
}

static int load_host_btf(const struct config *cfg, struct sops_btf **btf)
{
	int err = cfg->btf_path ? sops_btf__load_file(cfg->btf_path, NULL, btf)
				: sops_btf__load_self(NULL, btf);

	if (err)
		fprintf(stderr, "demo: host BTF (%s): %s\n",
			cfg->btf_path ? cfg->btf_path : "embedded .BTF section", strerror(-err));
	return err;
}

/* A runtime with the host's BTF, the engine chosen, the cache's struct_ops type registered. */
static int runtime_setup(const struct config *cfg, const struct sops_btf *btf, struct cache *c,
			 struct sops_struct_ops *st, struct sops_runtime **rt)
{
	/*
	 * No trust_unverified: the policies are verified, so they run on the
	 * JIT; one the verifier rejected would run checked (policy_load says so).
	 */
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = cfg->jit, .host_btf = sops_btf__libbpf(btf),
					.trust_unverified = cfg->trusted };
	int err = sops_runtime__new(&ro, rt);

	if (err) {
		fprintf(stderr, "demo: runtime: %s\n", strerror(-err));
		return err;
	}
	err = cache_struct_ops_register(*rt, c, st);
	if (err) {
		fprintf(stderr, "demo: registering struct cache_policy_ops: %s\n", strerror(-err));
		sops_runtime__free(*rt);
		*rt = NULL;
	}
	return err;
}

/* Attach @p's struct_ops map; the link (*@link) belongs to @p's skeleton. */
static int policy_attach(struct policy *p, struct sops_link **link)
{
	int err = p->lru ? lru_bpf__attach(p->lru) : lfu_bpf__attach(p->lfu);

	*link = p->lru ? p->lru->links.lru : p->lfu->links.lfu;
	return err;
}

/* Destroy the link policy_attach() made (after link updates it may serve another map). */
static int policy_detach(struct policy *p)
{
	return p->lru ? lru_bpf__detach(p->lru) : lfu_bpf__detach(p->lfu);
}

/* --- the cost of one op call --- */

struct op_cost {
	double access_ns, victim_ns;
};

/* Fill the 1-shard bench cache, then time its current policy. */
static int bench_current(struct cache *c, uint32_t iters, struct op_cost *out)
{
	struct cache_value v = value_of(0);
	int err;

	for (uint64_t k = 1; k <= 2ull * cache_slots_per_shard(c); k++)
		cache_put(c, k, &v, NULL);
	err = cache_bench_ops(c, iters, &out->access_ns, &out->victim_ns);
	if (err)
		fprintf(stderr, "demo: timing op calls: %s\n", strerror(-err));
	return err;
}

/*
 * Time both BPF policies (through their thunks, swapped by a link update as in
 * the main run) and their C twins on a quiet one-shard cache in a second
 * runtime, so that the main cache's policy state is not disturbed.
 */
static int bench_costs(const struct config *cfg, const struct sops_btf *btf,
		       struct op_cost bpf[2], struct op_cost native[2])
{
	struct cache_opts co = { .nr_shards = 1, .slots_per_shard = cfg->slots };
	struct sops_struct_ops st;
	struct sops_runtime *rt = NULL;
	struct policy p[2] = { 0 };
	struct sops_link *link = NULL;
	struct cache *c = NULL;
	int err;

	err = cache_new(&co, &c);
	if (!err)
		err = runtime_setup(cfg, btf, c, &st, &rt);
	if (!err)
		err = policy_load(rt, 0, cfg->policy[0], &p[0]);
	if (!err)
		err = policy_load(rt, 1, cfg->policy[1], &p[1]);
	if (!err)
		err = policy_attach(&p[0], &link);
	if (!err)
		err = bench_current(c, cfg->bench_iters, &bpf[0]);
	if (!err)
		err = sops_link__update_map(link, p[1].map);
	if (!err)
		err = bench_current(c, cfg->bench_iters, &bpf[1]);
	if (p[0].obj)
		policy_detach(&p[0]);
	if (!err)
		err = cache_policy_attach(c, &native_lru_ops);
	if (!err)
		err = bench_current(c, cfg->bench_iters, &native[0]);
	if (!err)
		err = cache_policy_replace(c, &native_lfu_ops, &native_lru_ops);
	if (!err)
		err = bench_current(c, cfg->bench_iters, &native[1]);
	cache_policy_detach(c, &native_lfu_ops);
	if (err)
		fprintf(stderr, "demo: measuring op calls failed: %s\n", strerror(-err));
	policy_free(&p[0]);
	policy_free(&p[1]);
	sops_runtime__free(rt);
	cache_free(c);
	return err;
}

/* --- the main run --- */

struct run_result {
	uint64_t ops[NR_GENS], hits[NR_GENS], corrupt;
	double phase_s[2];
	double swap_us;
	double swaps_median_us, swaps_p99_us, swaps_max_us; /* --swaps */
	uint64_t swaps_bad_victims; /* victims the cache refused during the swap series */
	uint32_t workers_saw_both;
	struct cache_stats stats;
	double load_ms[2];
	char names[2][CACHE_POLICY_NAME_LEN];
};

static void warm_up(struct cache *c, const struct config *cfg, const struct zipf *z)
{
	struct stream s;
	uint64_t gen, corrupt = 0;

	stream_init(&s, z, cfg->scan_pct, cfg->seed, UINT32_MAX);
	for (uint64_t i = 0; i < 4ull * cfg->shards * cfg->slots; i++)
		request(c, stream_next(&s), &gen, &corrupt);
}

static int start_workers(struct worker *w, uint32_t n, struct shared *sh)
{
	for (uint32_t i = 0; i < n; i++) {
		w[i].sh = sh;
		w[i].id = i;
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i])) {
			fprintf(stderr, "demo: cannot start worker %u\n", i);
			atomic_store(&sh->stop, true);
			while (i--)
				pthread_join(w[i].thread, NULL);
			return -EAGAIN;
		}
	}
	return 0;
}

static void stop_workers(struct worker *w, uint32_t n, struct shared *sh, struct run_result *r)
{
	atomic_store(&sh->stop, true);
	for (uint32_t i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		for (int g = 0; g < NR_GENS; g++) {
			r->ops[g] += w[i].ops[g];
			r->hits[g] += w[i].hits[g];
		}
		r->corrupt += w[i].corrupt;
		r->workers_saw_both += w[i].ops[1] && w[i].ops[2];
	}
}

/* Phases 1 and 2 with the live swap in between; workers run throughout. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * --swaps N: with the workers still running, switch the link between the two
 * (already built) policy maps N times and time each LINK_UPDATE: the host's
 * update() callback publishes the new binding and retires the old one with
 * call_rcu, so no update waits for the workers.
 */
static int swap_series(struct sops_link *link, const struct policy p[2], uint32_t n,
		       struct run_result *r)
{
	double *lat = calloc(n, sizeof(*lat));
	int err = 0;

	if (!lat)
		return -ENOMEM;
	for (uint32_t i = 0; i < n && !err; i++) {
		double t0 = now_ns();

		err = sops_link__update_map(link, p[i % 2 == 0 ? 0 : 1].map);
		lat[i] = (now_ns() - t0) / 1e3;
		usleep(50); /* let the workers run under each policy */
	}
	if (err) {
		fprintf(stderr, "demo: link update during the swap series: %s\n", strerror(-err));
	} else {
		qsort(lat, n, sizeof(*lat), cmp_double);
		r->swaps_median_us = lat[n / 2];
		r->swaps_p99_us = lat[(size_t)((n - 1) * 0.99)];
		r->swaps_max_us = lat[n - 1];
	}
	free(lat);
	return err;
}

static int run_phases(struct sops_runtime *rt, struct cache *c, const struct config *cfg,
		      const struct zipf *z, struct run_result *r)
{
	struct shared sh = { .cache = c, .zipf = z, .cfg = cfg };
	struct worker *w = calloc(cfg->threads, sizeof(*w));
	struct policy p[2] = { 0 };
	struct sops_link *link = NULL;
	uint64_t after = 0;
	double t0, t1;
	int err;

	if (!w)
		return -ENOMEM;
	err = policy_load(rt, 0, cfg->policy[0], &p[0]);
	if (!err) {
		err = policy_attach(&p[0], &link);
		if (err)
			fprintf(stderr, "demo: attaching %s: %s\n", policy_name(&p[0]), strerror(-err));
	}
	if (err)
		goto out;
	r->load_ms[0] = p[0].load_ms;
	cache_policy_name(c, r->names[0], sizeof(r->names[0]));
	warm_up(c, cfg, z);
	err = start_workers(w, cfg->threads, &sh);
	if (err)
		goto out;
	t0 = now_ns();
	wait_progress(&sh, cfg->ops_per_phase);

	/* The live swap: load policy 2 and update the link, workers running. */
	err = policy_load(rt, 1, cfg->policy[1], &p[1]);
	if (!err) {
		t1 = now_ns();
		err = sops_link__update_map(link, p[1].map);
		r->swap_us = (now_ns() - t1) / 1e3;
		after = atomic_load(&sh.progress);
		if (err)
			fprintf(stderr, "demo: link update to %s: %s\n", policy_name(&p[1]),
				strerror(-err));
	}
	r->phase_s[0] = (now_ns() - t0) / 1e9;
	if (!err) {
		r->load_ms[1] = p[1].load_ms;
		cache_policy_name(c, r->names[1], sizeof(r->names[1]));
		t0 = now_ns();
		wait_progress(&sh, after + cfg->ops_per_phase);
		r->phase_s[1] = (now_ns() - t0) / 1e9;
	}
	if (!err && cfg->swaps) {
		struct cache_stats end;

		/* The phases' figures stop here; the series is timed on its own. */
		cache_stats(c, &r->stats);
		err = swap_series(link, p, cfg->swaps, r);
		stop_workers(w, cfg->threads, &sh, r);
		cache_stats(c, &end);
		r->swaps_bad_victims = end.bad_victims - r->stats.bad_victims;
	} else {
		stop_workers(w, cfg->threads, &sh, r);
		cache_stats(c, &r->stats);
	}
out:
	if (link) {
		int derr = policy_detach(&p[0]);

		if (derr && !err)
			err = derr;
	}
	policy_free(&p[0]);
	policy_free(&p[1]);
	free(w);
	return err;
}

/* --- report --- */

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void print_header(const struct config *cfg)
{
	printf("structops cache demo: a sharded in-memory cache (%u shards x %u slots = %u entries)\n"
	       "whose eviction policy is a struct_ops type implemented by BPF programs.\n\n",
	       cfg->shards, cfg->slots, cfg->shards * cfg->slots);
	printf("engine     %s%s\n", cfg->jit ? "JIT (x86-64), programs entered natively"
					 : "interpreter (fast mode), ops through libffi thunks",
	       cfg->trusted ? " (--trust-unverified: UNSAFE, for comparison)" : "");
	printf("workload   %u worker threads; Zipf(%.2f) reads over %llu keys, %u%% one-pass scan; "
	       "seed %llu\n",
	       cfg->threads, cfg->theta, (unsigned long long)cfg->keys, cfg->scan_pct,
	       (unsigned long long)cfg->seed);
	printf("policies   1: %s   2: %s\n\n", base_name(cfg->policy[0] ? cfg->policy[0] : policy_file[0]),
	       base_name(cfg->policy[1] ? cfg->policy[1] : policy_file[1]));
}

static void print_run(const struct config *cfg, const struct run_result *r)
{
	printf("phase  policy  requests   hits       hit ratio  Mreq/s\n");
	for (int i = 0; i < 2; i++) {
		uint64_t ops = r->ops[i + 1], hits = r->hits[i + 1];

		printf("%-6d %-7s %-10llu %-10llu %-10.4f %.2f\n", i + 1, r->names[i],
		       (unsigned long long)ops, (unsigned long long)hits, ratio(hits, ops),
		       r->phase_s[i] > 0 ? ops / r->phase_s[i] / 1e6 : 0.0);
	}
	printf("\nlive swap  link update %s -> %s: %.1f us with %u workers running\n"
	       "           (sops_link__update_map: map update, which builds the thunks, then LINK_UPDATE)\n",
	       r->names[0], r->names[1], r->swap_us, cfg->threads);
	printf("           %u of %u workers served requests under both policies; %s loaded in "
	       "%.1f ms while they ran\n",
	       r->workers_saw_both, cfg->threads, r->names[1], r->load_ms[1]);
	printf("           %llu evictions, %llu shard adoptions, %llu bad victims, %llu wrong values\n",
	       (unsigned long long)r->stats.evictions, (unsigned long long)r->stats.adoptions,
	       (unsigned long long)r->stats.bad_victims, (unsigned long long)r->corrupt);
	if (cfg->swaps)
		printf("           %u more link updates lru <-> lfu, %u workers calling: median %.1f us, "
		       "p99 %.1f us, max %.1f us\n"
		       "           (victims refused by the cache because a policy switched back to kept\n"
		       "           stale state: %llu; the cache's fallback evicted instead)\n",
		       cfg->swaps, cfg->threads, r->swaps_median_us, r->swaps_p99_us, r->swaps_max_us,
		       (unsigned long long)r->swaps_bad_victims);
}

static void print_costs(const struct config *cfg, const char *names[2], const struct op_cost bpf[2],
			const struct op_cost native[2])
{
	printf("\ncost per op call, ns (1-shard cache, %u calls each, %s):\n", cfg->bench_iters,
	       cfg->jit ? "JIT" : "interpreter");
	printf("policy  on_access  pick_victim   native C: on_access  pick_victim\n");
	for (int i = 0; i < 2; i++)
		printf("%-7s %-10.1f %-13.1f           %-10.1f %.1f\n", names[i], bpf[i].access_ns,
		       bpf[i].victim_ns, native[i].access_ns, native[i].victim_ns);
}

/* The checks that make the exit status: every phase ran, values were right, victims valid. */
static int check_run(const struct config *cfg, const struct run_result *r)
{
	int bad = 0;

	for (int i = 1; i <= 2; i++) {
		double hr = ratio(r->hits[i], r->ops[i]);

		if (!r->ops[i] || hr < 0.0 || hr > 1.0) {
			fprintf(stderr, "demo: phase %d: %llu requests, hit ratio %f\n", i,
				(unsigned long long)r->ops[i], hr);
			bad = 1;
		}
	}
	if (r->corrupt || r->stats.bad_victims) {
		fprintf(stderr, "demo: %llu wrong values, %llu bad victims\n",
			(unsigned long long)r->corrupt, (unsigned long long)r->stats.bad_victims);
		bad = 1;
	}
	/* Generation 3 and later exist only when --swaps switched the policy again. */
	if (r->ops[0] || (r->ops[3] && !cfg->swaps)) {
		fprintf(stderr, "demo: requests served without the expected policy\n");
		bad = 1;
	}
	return bad ? -EINVAL : 0;
}

/* Why the second policy did better or worse, for the two policies of the demo. */
static void print_verdict(const struct config *cfg, const struct run_result *r)
{
	printf("\n%s: %.1f%% hits, %s: %.1f%%.\n", r->names[0], 100 * ratio(r->hits[1], r->ops[1]),
	       r->names[1], 100 * ratio(r->hits[2], r->ops[2]));
	if (strcmp(r->names[0], "lru") || strcmp(r->names[1], "lfu"))
		return;
	printf("Most keys that miss are not read again for a long time: the scan's (%u%% of the\n"
	       "requests) and most of Zipf's long tail. LRU keeps each for a full trip down its\n"
	       "list and evicts hot keys to make room; LFU gives each a count of 1 and evicts it\n"
	       "first, so the hot keys stay.\n",
	       cfg->scan_pct);
}

/* --- options --- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: demo [--quick] [--interp] [--trust-unverified] [--threads N] [--ops N] [--seed S]\n"
		"            [--swaps N] [--policies FIRST.o SECOND.o] [--btf HOST.btf]\n"
		"\n"
		"Runs a cache whose eviction policy is a BPF struct_ops map: --ops requests\n"
		"(per phase) with the first policy, a live link update to the second while the\n"
		"worker threads keep running, --ops more; prints hit ratios, the update latency\n"
		"and the cost of an op call. --quick: a short run (tests). --interp: no JIT.\n"
		"--trust-unverified: run the policies as trusted code, as before the verifier\n"
		"(unsafe; only to compare op-call costs with the verified run).\n"
		"--swaps N: after phase 2, N more link updates between the two policies while\n"
		"the workers run; prints the median and p99 update latency (make bench).\n"
		"The policies are lru.bpf.o and lfu.bpf.o, embedded in the executable by their\n"
		"skeletons; --policies loads rebuilt ones (the same maps and programs) from\n"
		"files instead. The host BTF defaults to the one embedded in the executable.\n");
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (!strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--quick")) {
			cfg->ops_per_phase = 1000000;
			cfg->bench_iters = 200000;
		} else if (!strcmp(a, "--interp")) {
			cfg->jit = false;
		} else if (!strcmp(a, "--trust-unverified")) {
			cfg->trusted = true;
		} else if (!strcmp(a, "--threads") && more) {
			cfg->threads = (uint32_t)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(a, "--ops") && more) {
			cfg->ops_per_phase = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(a, "--swaps") && more) {
			cfg->swaps = (uint32_t)strtoul(argv[++i], NULL, 0);
			if (cfg->swaps > 1000000) {
				usage(stderr);
				return -EINVAL;
			}
		} else if (!strcmp(a, "--seed") && more) {
			cfg->seed = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(a, "--btf") && more) {
			cfg->btf_path = argv[++i];
		} else if (!strcmp(a, "--policies") && i + 2 < argc) {
			cfg->policy[0] = argv[++i];
			cfg->policy[1] = argv[++i];
		} else {
			usage(stderr);
			return -EINVAL;
		}
	}
	if (!cfg->threads || cfg->threads > 64 || !cfg->ops_per_phase) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg = { .threads = 4, .ops_per_phase = 3000000, .shards = 16, .slots = 512,
			      .keys = 1000000, .theta = 0.99, .scan_pct = 25, .seed = 42,
			      .bench_iters = 1000000, .jit = true };
	struct op_cost bpf[2], native[2];
	struct run_result r = { 0 };
	struct sops_struct_ops st;
	struct sops_runtime *rt = NULL;
	struct sops_btf *btf = NULL;
	struct cache *c = NULL;
	struct zipf z;
	int err;

	if (parse_args(argc, argv, &cfg))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	print_header(&cfg);

	err = zipf_init(&z, cfg.keys, cfg.theta);
	if (!err)
		err = load_host_btf(&cfg, &btf);
	if (!err) {
		struct cache_opts co = { .nr_shards = cfg.shards, .slots_per_shard = cfg.slots };

		err = cache_new(&co, &c);
	}
	if (!err)
		err = runtime_setup(&cfg, btf, c, &st, &rt);
	if (!err)
		err = run_phases(rt, c, &cfg, &z, &r);
	if (!err) {
		print_run(&cfg, &r);
		err = check_run(&cfg, &r);
	}
	if (!err) {
		const char *names[2] = { r.names[0], r.names[1] };

		err = bench_costs(&cfg, btf, bpf, native);
		if (!err)
			print_costs(&cfg, names, bpf, native);
	}
	sops_runtime__free(rt);
	cache_free(c);
	sops_btf__free(btf);
	if (err) {
		printf("\ndemo FAILED: %s\n", strerror(-err));
		return 1;
	}
	print_verdict(&cfg, &r);
	return 0;
}
