/* SPDX-License-Identifier: MIT */
/*
 * test_st_btf.c - struct_ops programs verified against their member's BTF
 * (src/verifier/btf_ptr.c) and the probe loads behind walked pointers
 * (src/vm/probe.c), with the host's sched_ops subsystem (tests/testmod).
 *
 *   st_btf_sched_engines  tests/st_bpf/st_sched.bpf.c verifies and runs on
 *                         the JIT, the fast interpreter and the checked
 *                         interpreter with the same results, including a
 *                         host that leaves garbage, NULL, unmapped and
 *                         non-canonical pointers where the program walks
 *   st_btf_tcp_direct     congestion control reading and writing the socket
 *                         itself, on every engine, against the same C
 *   st_btf_sched_rejects  every program of st_sched_fail.bpf.c is refused
 *                         with its message
 *   st_btf_probe_reads    the probe readers, and a fault elsewhere still
 *                         kills the process (the handler chains)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <structops/btf.h>
#include <structops/object.h>
#include <structops/runtime.h>
#include <structops/struct_ops.h>

#include "test.h"
#include "testmod/st_host.h"
#include "testmod/st_host_api.h"
#include "vm/probe.h"

#define LOGSZ 8192

enum engine { ENG_JIT, ENG_INTERP, ENG_CHECKED, ENG_CNT };
static const char *const engine_names[ENG_CNT] = { "jit", "interp", "checked" };

struct env {
	struct sops_btf *host;
	struct sops_runtime *rt;
};

static void st_path(char *buf, size_t n, const char *name)
{
	char dir[PATH_MAX - 256];

	test_exe_path(dir, sizeof(dir), "st");
	snprintf(buf, n, "%s/%s", dir, name);
}

static void env_fini(struct env *e)
{
	sops_runtime__free(e->rt);
	sops_btf__free(e->host);
	memset(e, 0, sizeof(*e));
}

static int env_init(struct env *e, enum engine eng)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro) };
	char path[PATH_MAX + 64];
	int err;

	memset(e, 0, sizeof(*e));
	st_path(path, sizeof(path), "st_host.btf");
	err = sops_btf__load_file(path, NULL, &e->host);
	if (err)
		return err;
	ro.host_btf = sops_btf__libbpf(e->host);
	ro.jit = eng == ENG_JIT;
	ro.always_checked = eng == ENG_CHECKED;
	ro.verifier_strict = true; /* a rejection fails the load */
	err = sops_runtime__new(&ro, &e->rt);
	if (!err)
		err = st_host_register(e->rt, sops_btf__libbpf(e->host));
	if (err)
		env_fini(e);
	return err;
}

static int load_cpu(struct env *e, const char *name, const char *cpu, const char *only,
		    struct sops_object **obj, char *log);

/* Open tests/st_bpf/@name (cpu v3), with only struct_ops map @only created (NULL: all). */
static int load(struct env *e, const char *name, const char *only, struct sops_object **obj, char *log)
{
	return load_cpu(e, name, "v3", only, obj, log);
}

static int load_cpu(struct env *e, const char *name, const char *cpu, const char *only,
		    struct sops_object **obj, char *log)
{
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = LOGSZ };
	char path[PATH_MAX + 64], file[128];
	struct sops_map *m = NULL;
	int err;

	log[0] = 0;
	snprintf(file, sizeof(file), "%s.%s.o", name, cpu);
	st_path(path, sizeof(path), file);
	err = sops_object__open_file(path, NULL, obj);
	if (err) {
		snprintf(log, LOGSZ, "open %s: %d", path, err);
		*obj = NULL;
		return err;
	}
	while (only && (m = sops_object__next_map(*obj, m)))
		if (sops_map__kind(m) == SOPS_MAP_STRUCT_OPS_VAR)
			sops_map__set_autocreate(m, !strcmp(sops_map__name(m), only));
	return sops_object__load_runtime(*obj, e->rt, &lo);
}

/* The host objects one round of calls sees. */
struct world {
	struct sched_group g0, g1;
	struct sched_task t1, t2;
	struct sched_rq rq;
};

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->g0 = (struct sched_group){ .id = 0, .shares = 7 };
	w->g1 = (struct sched_group){ .id = 1, .shares = 100, .parent = &w->g0 };
	w->t2 = (struct sched_task){ .pid = 11, .weight = 50 };
	w->t1 = (struct sched_task){ .pid = 10, .weight = 2048, .next = &w->t2, .group = &w->g1 };
	w->rq = (struct sched_rq){ .cpu = 3, .nr_running = 2, .clock = 1000, .curr = &w->t1, .queue = &w->t2 };
}

#define NRES 16

/* Drive every op; @res gets what each call returned or left behind. */
static int drive(const struct sched_ops *ops, uint64_t *res, char *msg, size_t msz)
{
	struct world w;
	void *page;
	int n = 0;

	world_init(&w);
	res[n++] = (uint64_t)(int64_t)ops->select_cpu(&w.t1, 5, 0);
	res[n++] = (uint64_t)(int64_t)ops->select_cpu(&w.t2, 5, 0);
	res[n++] = (uint64_t)(int64_t)ops->select_cpu(&w.t2, 5, 1);
	ops->enqueue(&w.rq, &w.t2, 0);
	res[n++] = w.t2.vruntime;
	res[n++] = (uint64_t)(int64_t)w.t2.cpu;
	res[n++] = ops->pick_next(&w.rq, &w.t1) == &w.t1 && w.t1.refs == 1;
	res[n++] = ops->pick_next(&w.rq, NULL) == NULL;
	res[n++] = ops->pick_next(&w.rq, &w.t2) == NULL && w.t2.refs == 0;
	w.t1.refs = 1; /* the reference stopping() receives */
	ops->stopping(&w.rq, &w.t1);
	res[n++] = w.t1.refs == 0 && w.t1.cpu == -1;
	res[n++] = ops->tick(&w.rq);
	/* Stale pointers where the program walks: each bad load reads 0. */
	w.rq.curr = (struct sched_task *)(uintptr_t)0xdead000;
	res[n++] = ops->tick(&w.rq);
	w.rq.curr = NULL;
	res[n++] = ops->tick(&w.rq);
	w.rq.curr = &w.t1;
	w.t1.group = (struct sched_group *)(uintptr_t)0x8000000000000010ull; /* non-canonical */
	res[n++] = ops->tick(&w.rq);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		snprintf(msg, msz, "mmap: %s", strerror(errno));
		return -1;
	}
	munmap(page, 4096);
	w.t1.group = page; /* freed memory */
	res[n++] = ops->tick(&w.rq);
	return n;
}

/* What every engine must give. */
static const uint64_t expect[] = {
	5, 2, (uint64_t)-1, 10240 / 50, 3, 1, 1, 1, 1,
	100 + 7 + 50 + 1000, /* g1.shares + g0.shares + t2.weight + clock */
	1000, 1000,          /* garbage and NULL curr: every walked load is 0 */
	50 + 1000,           /* non-canonical group */
	50 + 1000,           /* unmapped group */
};

static int run_engine(enum engine eng, uint64_t *res, char *msg, size_t msz)
{
	static const char *const progs[] = { "pol_select_cpu", "pol_enqueue", "pol_pick_next",
					     "pol_stopping", "pol_tick" };
	struct sops_object *obj = NULL;
	struct sops_link *link = NULL;
	const struct sched_ops *ops;
	char *log = malloc(LOGSZ);
	struct env e;
	int n = -1, err;

	if (!log || (err = env_init(&e, eng))) {
		snprintf(msg, msz, "environment: %d", log ? err : -ENOMEM);
		free(log);
		return -1;
	}
	err = load(&e, "st_sched", NULL, &obj, log);
	if (err) {
		snprintf(msg, msz, "load: %d %s", err, log);
		goto out;
	}
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct sops_prog_verdict v = { .sz = sizeof(v) };
		struct sops_program *p = sops_object__find_program_by_name(obj, progs[i]);

		err = p ? sops_prog_get_verdict(e.rt, sops_program__handle(p), &v) : -ENOENT;
		if (err || !v.verified || v.checked != (eng == ENG_CHECKED) ||
		    (eng == ENG_JIT && v.engine != SOPS_ENGINE_JIT)) {
			snprintf(msg, msz, "%s: verdict %d verified %d checked %d engine %d (%s)", progs[i], err,
				 v.verified, v.checked, v.engine, v.reason);
			goto out;
		}
	}
	err = sops_map__attach_struct_ops(sops_object__find_map_by_name(obj, "pol"), &link);
	if (err) {
		snprintf(msg, msz, "attach: %d", err);
		goto out;
	}
	sops_rcu_read_lock();
	ops = st_sched_current();
	n = ops ? drive(ops, res, msg, msz) : -1;
	sops_rcu_read_unlock();
	if (!ops)
		snprintf(msg, msz, "the host has no sched_ops after attach");
	for (size_t i = 0; n > 0 && i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct sops_prog_verdict v = { .sz = sizeof(v) };

		sops_prog_get_verdict(e.rt, sops_program__handle(sops_object__find_program_by_name(obj, progs[i])),
				      &v);
		if (v.fault_cnt) {
			snprintf(msg, msz, "%s faulted %llu times", progs[i], (unsigned long long)v.fault_cnt);
			n = -1;
		}
	}
out:
	sops_link__destroy(link);
	sops_object__close(obj);
	env_fini(&e);
	free(log);
	return n;
}

TEST(st_btf_sched_engines)
{
	for (int eng = 0; eng < ENG_CNT; eng++) {
		uint64_t res[NRES] = { 0 };
		char msg[512] = "", name[64];
		int n = run_engine(eng, res, msg, sizeof(msg));
		bool ok = n == (int)(sizeof(expect) / sizeof(expect[0]));

		for (int i = 0; ok && i < n; i++) {
			if (res[i] != expect[i]) {
				snprintf(msg, sizeof(msg), "result %d: %llu, expected %llu", i,
					 (unsigned long long)res[i], (unsigned long long)expect[i]);
				ok = false;
			}
		}
		snprintf(name, sizeof(name), "st_btf_sched_engines/%s", engine_names[eng]);
		test_result(name, ok, "%s", msg[0] ? msg : "wrong number of results");
	}
}

/* st_tcp_direct.bpf.c's algorithm in C, over st_tcp_traffic()'s connection. */
static void direct_native(int acks, struct sock *sk)
{
	memset(sk, 0, sizeof(*sk));
	sk->snd_cwnd = 10;
	sk->snd_ssthresh = 20;
	sk->ca_priv[1] = 10;
	for (int i = 0; i < acks; i++) {
		if (sk->snd_cwnd < sk->snd_ssthresh) {
			sk->snd_cwnd += 1;
		} else if (++sk->ca_priv[0] >= sk->snd_cwnd) {
			sk->ca_priv[0] = 0;
			sk->snd_cwnd++;
		}
		sk->acked_total++;
	}
	sk->snd_ssthresh = sk->snd_cwnd >> 1 > 2 ? sk->snd_cwnd >> 1 : 2;
}

TEST(st_btf_tcp_direct)
{
	struct sock want;

	direct_native(200, &want);
	for (int eng = 0; eng < ENG_CNT; eng++) {
		struct sops_object *obj = NULL;
		struct sops_link *link = NULL;
		struct sock got;
		char *log = malloc(LOGSZ), name[64], msg[512] = "";
		struct env e;
		int err = log ? env_init(&e, eng) : -ENOMEM;
		bool ok = false;

		snprintf(name, sizeof(name), "st_btf_tcp_direct/%s", engine_names[eng]);
		if (err) {
			test_result(name, 0, "environment: %d", err);
			free(log);
			continue;
		}
		err = load(&e, "st_tcp_direct", NULL, &obj, log);
		if (!err)
			err = sops_map__attach_struct_ops(sops_object__find_map_by_name(obj, "st_direct"), &link);
		if (!err)
			err = st_tcp_traffic("st_direct", 200, &got);
		if (err)
			snprintf(msg, sizeof(msg), "load/attach/traffic: %d %s", err, log);
		else if (got.snd_cwnd != want.snd_cwnd || got.snd_ssthresh != want.snd_ssthresh ||
			 got.ca_priv[0] != want.ca_priv[0])
			snprintf(msg, sizeof(msg), "cwnd %u ssthresh %u cnt %llu, expected %u %u %llu", got.snd_cwnd,
				 got.snd_ssthresh, (unsigned long long)got.ca_priv[0], want.snd_cwnd,
				 want.snd_ssthresh, (unsigned long long)want.ca_priv[0]);
		else
			ok = true;
		test_result(name, ok, "%s", msg);
		sops_link__destroy(link);
		sops_object__close(obj);
		env_fini(&e);
		free(log);
	}
}

TEST(st_btf_sched_rejects)
{
	static const struct {
		const char *map, *want;
	} cases[] = {
		{ "fail_write_pid", "write to struct sched_task at off 0 size 4 is not allowed by sched_ops" },
		{ "fail_write_walked", "is an untrusted ptr_sched_task (read from a field): only read is supported" },
		{ "fail_read_beyond", "access beyond struct sched_rq at off 40 size 8" },
		{ "fail_var_off", "is ptr_sched_task invalid variable offset" },
		{ "fail_arity", "doesn't have 4-th argument: member enqueue of struct sched_ops takes 3" },
		{ "fail_kfunc_walked", "must be referenced or trusted: arg#0 of sched_task_acquire" },
		{ "fail_kfunc_type", "sched_task_release args#0 expected pointer to struct sched_task but R1 has a "
				     "pointer to struct sched_rq" },
		{ "fail_leak_ref", "Unreleased reference id=" },
		{ "fail_retval", "should have been in [-1, 63]: the range member select_cpu of struct sched_ops" },
		{ "fail_nullable", "invalid mem access 'trusted_ptr_or_null_'" },
		{ "fail_sleepable_kfunc", "program must be sleepable to call sleepable kfunc sched_clock_sleepable" },
		{ "fail_ptr_leak", "leaks addr into map" },
		{ "fail_return_walked", "member pick_next of struct sched_ops returns a referenced struct sched_task *" },
		{ "fail_narrow_ptr", "is a pointer: it is read whole" },
	};
	struct env e;
	char *log = malloc(LOGSZ);
	int err = log ? env_init(&e, ENG_JIT) : -ENOMEM;

	if (err) {
		test_result("st_btf_sched_rejects", 0, "environment: %d", err);
		free(log);
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sops_object *obj = NULL;
		char name[96];

		err = load(&e, "st_sched_fail", cases[i].map, &obj, log);
		snprintf(name, sizeof(name), "st_btf_sched_rejects/%s", cases[i].map);
		test_result(name, err && strstr(log, cases[i].want), "load %d, log '%s', expected '%s'", err,
			    log, cases[i].want);
		sops_object__close(obj);
	}
	env_fini(&e);
	free(log);
}

/* Probe loads of every width and signedness through a walked pointer, on every engine. */
TEST(st_btf_probe_widths)
{
	for (int eng = 0; eng < ENG_CNT; eng++) {
		struct sops_object *obj = NULL;
		struct sops_link *link = NULL;
		char *log = malloc(LOGSZ), name[64], msg[512] = "";
		const struct sched_ops *ops;
		struct world w;
		struct env e;
		int err = log ? env_init(&e, eng) : -ENOMEM;
		uint64_t got[2] = { 0, 0 };

		snprintf(name, sizeof(name), "st_btf_probe_widths/%s", engine_names[eng]);
		if (err) {
			test_result(name, 0, "environment: %d", err);
			free(log);
			continue;
		}
		err = load_cpu(&e, "st_sched_sizes", "v4", NULL, &obj, log);
		if (!err)
			err = sops_map__attach_struct_ops(sops_object__find_map_by_name(obj, "sizes"), &link);
		world_init(&w);
		w.g1.nice = -3;
		w.g1.prio = -300;
		w.g1.bits = 200;
		w.g1.mask = 60000;
		if (!err) {
			sops_rcu_read_lock();
			ops = st_sched_current();
			got[0] = ops ? ops->tick(&w.rq) : 0;
			w.t1.group = NULL;
			got[1] = ops ? ops->tick(&w.rq) : 1;
			sops_rcu_read_unlock();
		}
		if (err)
			snprintf(msg, sizeof(msg), "load/attach: %d %s", err, log);
		test_result(name, !err && got[0] == (uint64_t)(-3 - 300 + 200 + 60000 + 100 + 1) && got[1] == 0,
			    "%s tick %lld and %lld, expected %d and 0", msg, (long long)got[0], (long long)got[1],
			    -3 - 300 + 200 + 60000 + 100 + 1);
		sops_link__destroy(link);
		sops_object__close(obj);
		env_fini(&e);
		free(log);
	}
}

/* The type's is_valid_access hook: refusing an argument, retyping one. */
TEST(st_btf_ctx_hook)
{
	static const struct {
		int mode;
		const char *map, *want; /* NULL: loads */
	} cases[] = {
		{ 0, "hook_flags", NULL },
		{ 1, "hook_flags", "invalid bpf_context access off=16 size=8 (refused by sched_ops)" },
		{ 0, "hook_ext", "access beyond struct sched_rq at off 32 size 8" },
		{ 2, "hook_ext", NULL },
	};
	char *log = malloc(LOGSZ);

	for (size_t i = 0; log && i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sops_object *obj = NULL;
		struct env e;
		char name[96];
		int err;

		snprintf(name, sizeof(name), "st_btf_ctx_hook/%s-mode%d", cases[i].map, cases[i].mode);
		st_sched_set_ctx_hook(cases[i].mode);
		err = env_init(&e, ENG_JIT);
		if (!err)
			err = load(&e, "st_sched_fail", cases[i].map, &obj, log);
		else
			snprintf(log, LOGSZ, "environment: %d", err);
		if (cases[i].want)
			test_result(name, err && strstr(log, cases[i].want), "load %d, log '%s', expected '%s'", err,
				    log, cases[i].want);
		else
			test_result(name, !err, "load %d: %s", err, log);
		sops_object__close(obj);
		if (e.rt)
			env_fini(&e);
	}
	st_sched_set_ctx_hook(0);
	free(log);
}

TEST(st_btf_probe_reads)
{
	uint64_t v = 0x1122334455667788ull;
	void *page;
	pid_t pid;
	int status = 0;

	test_result("st_btf_probe_reads/init", sops_probe_init() == 0, "sops_probe_init failed");
	test_result("st_btf_probe_reads/valid",
		    sops_probe_read_u64((uintptr_t)&v) == v && sops_probe_read_u32((uintptr_t)&v) == 0x55667788 &&
			    sops_probe_read_u16((uintptr_t)&v) == 0x7788 && sops_probe_read_u8((uintptr_t)&v) == 0x88,
		    "a valid read gave the wrong value");
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	test_result("st_btf_probe_reads/faults",
		    sops_probe_read_u64(0) == 0 && sops_probe_read_u32(8) == 0 &&
			    (page == MAP_FAILED || sops_probe_read_u64((uintptr_t)page) == 0) &&
			    sops_probe_read_u16((uintptr_t)0x8000000000000000ull) == 0,
		    "a faulting read did not give 0");
	if (page != MAP_FAILED)
		munmap(page, 4096);
	/* A fault outside the probe loads is still the host's crash. */
	pid = fork();
	if (pid == 0) {
		volatile uintptr_t addr = 16; /* not NULL: sanitizers would stop first */
		volatile int *bad = (volatile int *)addr;

		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, 2); /* a sanitizer's report of this fault is expected */
		sops_probe_init(); /* installed in the parent already: inherited */
		(void)*bad;
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	/* Killed by the default action, or ended by a handler installed before ours (ASan's). */
	test_result("st_btf_probe_reads/chains",
		    pid > 0 && ((WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) ||
				(WIFEXITED(status) && WEXITSTATUS(status) != 0)),
		    "a NULL dereference outside probe loads ended with status 0x%x", status);
}
