/* SPDX-License-Identifier: MIT */
/*
 * test_st_scenarios.c - the struct_ops acceptance tests: every scenario of
 * spec section 6 that applies in userspace, one sub-result each
 * ("scn/NN-name"), against a test host (tests/testmod/st_host.c, the vmlinux
 * role: tcp_congestion_ops-shaped subsystem, bpf_dummy_ops) and a test module
 * loaded as a real shared object (tests/testmod/bpf_testmod.c, the
 * bpf_testmod role). BPF programs: tests/st_bpf/, built by tests/tests.mk next
 * to this binary in st/. docs/struct_ops-scenarios.md maps scenario numbers to
 * results and argues the ones that do not apply.
 */
#if __has_include(<structops/struct_ops.h>)
/* Messages are cut to MSGSZ on purpose. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include <structops/bpf.h>
#include <structops/btf.h>
#include <structops/object.h>
#include <structops/runtime.h>
#include <structops/struct_ops.h>

#include "test.h"
#include "testmod/bpf_testmod.h"
#include "testmod/st_host_api.h"

#define MSGSZ 512
#define MAP_A_MAGIC 1234
#define MAP_B_MAGIC 5678
#define LOGSZ 4096

/* Fail the scenario with a message (and the line). Every scenario function has `msg` and `out:`. */
#define CK(cond, fmt, ...)                                                                         \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			snprintf(msg, MSGSZ, "line %d: " fmt, __LINE__, ##__VA_ARGS__);            \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

/*
 * A rule the data-flow verifier enforces: the load must fail and its log must
 * carry the verifier's message @want (the runtime is strict: a rejection
 * fails the load).
 */
static void verifier_rule(const char *name, int load_err, const char *log, const char *want,
			  const char *what)
{
	test_result(name, load_err && strstr(log, want), "%s: load %d, log '%s', expected '%s'", what,
		    load_err, log, want);
}

struct env;
static void s22_verifier(struct env *e);
static struct env *env_new(bool with_module);
static void env_free(struct env *e);

/*
 * Sub-result @name: scenario @call, which sees `e` (a fresh environment, with
 * the test module when @with_module) and `msg` (its failure message).
 */
#define SCN(with_module, name, call)                                                               \
	do {                                                                                       \
		char msg[MSGSZ] = "";                                                              \
		struct env *e = env_new(with_module);                                              \
		test_result(name, call, "%s", msg);                                                \
		env_free(e);                                                                       \
	} while (0)

struct bpf_struct_ops_bpf_testmod_ops {
	struct bpf_struct_ops_common_value common;
	struct bpf_testmod_ops data __attribute__((aligned(64)));
};
struct bpf_struct_ops_bpf_testmod_ops2 {
	struct bpf_struct_ops_common_value common;
	struct bpf_testmod_ops2 data __attribute__((aligned(64)));
};

static bool rt_mem_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

/* --- environment: host BTF, runtime with the host's types, the module --- */

struct env {
	struct sops_runtime *rt;
	struct sops_btf *host;
	struct sops_module *mod;
	void *dl; /* our own dlopen of the module, for its counters */
	bpf_testmod_stats_fn stats;
	bpf_testmod_invoker_fn invoker;
	bpf_testmod_call_tramps_fn call_tramps;
	char err[MSGSZ];
};

static const char *st_dir(void)
{
	static char dir[PATH_MAX];

	if (!dir[0])
		test_exe_path(dir, sizeof(dir), "st");
	return dir;
}

static void st_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", st_dir(), name);
}

static bool g_jit = true;     /* engine of the current pass */
static const char *g_cpu = "v3"; /* object flavour of the current pass */

static void env_free(struct env *e)
{
	if (!e)
		return;
	if (e->mod && e->invoker)
		e->invoker(0);
	if (e->mod)
		sops_runtime__unload_module(e->rt, e->mod);
	if (e->dl)
		dlclose(e->dl);
	sops_runtime__free(e->rt);
	sops_btf__free(e->host);
	free(e);
}

static struct env *env_new(bool with_module)
{
	struct env *e = calloc(1, sizeof(*e));
	char path[PATH_MAX + 64];
	struct sops_runtime_opts ro = { .sz = sizeof(ro) };
	int err;

	if (!e)
		return NULL;
	st_path(path, sizeof(path), "st_host.btf");
	err = sops_btf__load_file(path, NULL, &e->host);
	if (err) {
		snprintf(e->err, MSGSZ, "host BTF %s: %d", path, err);
		return e;
	}
	ro.host_btf = sops_btf__libbpf(e->host);
	ro.jit = g_jit;
	/* Every scenario program must verify: a rejection fails its load. */
	ro.verifier_strict = true;
	err = sops_runtime__new(&ro, &e->rt);
	if (err) {
		snprintf(e->err, MSGSZ, "runtime: %d", err);
		return e;
	}
	err = st_host_register(e->rt, sops_btf__libbpf(e->host));
	if (err) {
		snprintf(e->err, MSGSZ, "host registration: %d", err);
		return e;
	}
	if (!with_module)
		return e;
	st_path(path, sizeof(path), "bpf_testmod.so");
	err = sops_runtime__load_module(e->rt, path, NULL, &e->mod);
	if (err) {
		snprintf(e->err, MSGSZ, "load module %s: %d", path, err);
		e->mod = NULL;
		return e;
	}
	e->dl = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (e->dl) {
		e->stats = (bpf_testmod_stats_fn)dlsym(e->dl, "bpf_testmod_stats");
		e->invoker = (bpf_testmod_invoker_fn)dlsym(e->dl, "bpf_testmod_invoker");
		e->call_tramps = (bpf_testmod_call_tramps_fn)dlsym(e->dl, "bpf_testmod_call_tramps");
	}
	if (!e->stats || !e->invoker || !e->call_tramps)
		snprintf(e->err, MSGSZ, "module symbols not found (%s)", dlerror());
	return e;
}

static struct bpf_testmod_stats mstats(struct env *e)
{
	struct bpf_testmod_stats s = { 0 };

	if (e->stats)
		e->stats(&s);
	return s;
}

static int obj_open(const char *name, struct sops_object **obj)
{
	char path[PATH_MAX + 64], file[128];

	snprintf(file, sizeof(file), "%s.%s.o", name, g_cpu);
	st_path(path, sizeof(path), file);
	return sops_object__open_file(path, NULL, obj);
}

static int obj_load(struct env *e, struct sops_object *obj, char *log)
{
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = LOGSZ };

	log[0] = 0;
	return sops_object__load_runtime(obj, e->rt, &lo);
}

static struct sops_program *prog_of(struct sops_object *obj, const char *name)
{
	return sops_object__find_program_by_name(obj, name);
}

static struct sops_map *map_of(struct sops_object *obj, const char *name)
{
	return sops_object__find_map_by_name(obj, name);
}

/* Read the object's .bss into @buf. */
static int bss_read(struct env *e, struct sops_object *obj, void *buf, size_t size)
{
	struct sops_map *m = NULL;
	uint32_t zero = 0;
	char tmp[256];

	while ((m = sops_object__next_map(obj, m)))
		if (sops_map__kind(m) == SOPS_MAP_BSS)
			break;
	if (!m || sops_map__value_size(m) > sizeof(tmp) || sops_map__handle(m) < 0)
		return -ENOENT;
	if (sops_map_lookup_elem(e->rt, sops_map__handle(m), &zero, tmp))
		return -EIO;
	memcpy(buf, tmp, size < sops_map__value_size(m) ? size : sops_map__value_size(m));
	return 0;
}

/* Open and load @name with no edits; returns the load error, the object in *@obj. */
static int open_load(struct env *e, const char *name, struct sops_object **obj, char *log)
{
	int err = obj_open(name, obj);

	if (err) {
		snprintf(log, LOGSZ, "open %s: %d", name, err);
		*obj = NULL;
		return err;
	}
	return obj_load(e, *obj, log);
}

#define ENV_OK(e) (e && e->rt && !e->err[0])

/* ------------------------------------------------------------------------------------------ */
/* Association: scenarios 1-7                                                                 */

static bool s01_04(struct env *e, int which, char *msg)
{
	struct sops_object *obj = NULL;
	struct sops_link *la = NULL, *lb = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e ? e->err : "");
	err = open_load(e, "st_assoc", &obj, log);
	CK(!err, "load st_assoc: %d %s", err, log);
	struct sops_map *ma = map_of(obj, "st_ops_map_a"), *mb = map_of(obj, "st_ops_map_b");
	struct sops_program *pa = prog_of(obj, "syscall_prog_a"), *pa2 = prog_of(obj, "syscall_prog_a2");
	struct sops_program *pb = prog_of(obj, "syscall_prog_b"), *pb2 = prog_of(obj, "syscall_prog_b2");
	struct sops_program *t1a = prog_of(obj, "test_1_a");

	/* 1: a struct_ops program cannot be associated explicitly. */
	err = sops_program__assoc_struct_ops(t1a, ma, NULL);
	CK(err == -EINVAL, "assoc struct_ops prog: %d, expected -EINVAL", err);
	if (which == 1)
		goto pass;
	/* 2: two programs per map. */
	CK(!(err = sops_program__assoc_struct_ops(pa, ma, NULL)), "assoc a: %d", err);
	CK(!(err = sops_program__assoc_struct_ops(pa2, ma, NULL)), "assoc a2: %d", err);
	CK(!(err = sops_program__assoc_struct_ops(pb, mb, NULL)), "assoc b: %d", err);
	CK(!(err = sops_program__assoc_struct_ops(pb2, mb, NULL)), "assoc b2: %d", err);
	if (which == 2)
		goto pass;
	/* 3: no re-targeting; same map again is fine. */
	err = sops_program__assoc_struct_ops(pa2, mb, NULL);
	CK(err == -EBUSY, "re-assoc with B: %d, expected -EBUSY", err);
	CK(!(err = sops_program__assoc_struct_ops(pa2, ma, NULL)), "re-assoc with A: %d", err);
	if (which == 3)
		goto pass;
	/* 4: attach both, each program reaches its own map. */
	CK(!(err = sops_map__attach_struct_ops(ma, &la)), "attach A: %d", err);
	CK(!(err = sops_map__attach_struct_ops(mb, &lb)), "attach B: %d", err);
	struct {
		struct sops_program *p;
		uint64_t want;
	} runs[] = { { pa, MAP_A_MAGIC }, { pa2, MAP_A_MAGIC }, { pb, MAP_B_MAGIC }, { pb2, MAP_B_MAGIC } };
	for (size_t i = 0; i < 4; i++) {
		uint64_t ret = 0;

		err = sops_prog_run(e->rt, sops_program__handle(runs[i].p), NULL, 0, &ret);
		CK(!err && (int)ret == (int)runs[i].want, "run %s: err %d ret %d, expected %d",
		   sops_program__name(runs[i].p), err, (int)ret, (int)runs[i].want);
	}
	int cnt[2] = { -1, -1 };
	CK(!bss_read(e, obj, cnt, sizeof(cnt)), "bss");
	CK(cnt[0] == 0 && cnt[1] == 0, "error counters %d %d", cnt[0], cnt[1]);
pass:
	ok = true;
out:
	sops_link__destroy(la);
	sops_link__destroy(lb);
	sops_object__close(obj);
	return ok;
}

static bool s05(struct env *e, char *msg)
{
	struct sops_object *obj = NULL;
	struct sops_link *la = NULL, *lb = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e ? e->err : "");
	err = open_load(e, "st_assoc_reuse", &obj, log);
	CK(!err, "load: %d %s", err, log);
	struct sops_map *ma = map_of(obj, "st_ops_map_a"), *mb = map_of(obj, "st_ops_map_b");
	CK(!(err = sops_program__assoc_struct_ops(prog_of(obj, "syscall_prog_a"), ma, NULL)), "assoc a: %d", err);
	CK(!(err = sops_program__assoc_struct_ops(prog_of(obj, "syscall_prog_b"), mb, NULL)), "assoc b: %d", err);
	CK(!(err = sops_map__attach_struct_ops(ma, &la)), "attach A: %d", err);
	CK(!(err = sops_map__attach_struct_ops(mb, &lb)), "attach B: %d", err);
	const char *names[] = { "syscall_prog_a", "syscall_prog_b" };
	for (int i = 0; i < 2; i++) {
		uint64_t ret = 0;

		err = sops_prog_run(e->rt, sops_program__handle(prog_of(obj, names[i])), NULL, 0, &ret);
		CK(!err && (int)ret == MAP_A_MAGIC, "run %s: err %d ret %d", names[i], err, (int)ret);
	}
	int v[2] = { -1, -1 }; /* test_err, inner_calls */
	CK(!bss_read(e, obj, v, sizeof(v)), "bss");
	CK(v[0] == 0, "test_err %d: the poisoned program's kfunc call did not return -1", v[0]);
	CK(v[1] == 2, "inner_calls %d, expected 2", v[1]);
	ok = true;
out:
	sops_link__destroy(la);
	sops_link__destroy(lb);
	sops_object__close(obj);
	return ok;
}

static bool s06_07(struct env *e, int which, char *msg)
{
	struct sops_object *obj = NULL;
	struct sops_link *l = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err, bss_fd = -1, timer_fd = -1;

	CK(ENV_OK(e), "env: %s", e ? e->err : "");
	err = open_load(e, "st_assoc_timer", &obj, log);
	CK(!err, "load: %d %s", err, log);
	struct sops_map *m = map_of(obj, "st_ops_map");
	struct sops_program *sp = prog_of(obj, "syscall_prog");
	CK(!(err = sops_program__assoc_struct_ops(sp, m, NULL)), "assoc: %d", err);
	CK(!(err = sops_map__attach_struct_ops(m, &l)), "attach: %d", err);
	struct st_ops_args args = { .a = 0, .b = which == 7 };
	uint64_t ret = 0;
	err = sops_prog_run(e->rt, sops_program__handle(sp), &args, sizeof(args), &ret);
	CK(!err && (int)ret == MAP_A_MAGIC, "syscall run: err %d ret %d", err, (int)ret);
	int v[2] = { 0, -2 }; /* timer_cb_run, timer_ret */
	if (which == 6) {
		for (int i = 0; i < 200 && !v[0]; i++) {
			usleep(5000);
			CK(!bss_read(e, obj, v, sizeof(v)), "bss");
		}
		CK(v[0] == 1 && v[1] == MAP_A_MAGIC, "timer ran %d times, kfunc returned %d", v[0], v[1]);
	} else {
		/*
		 * Keep the .bss reachable and a user reference on timer_map (the
		 * kernel test keeps its skeleton's: the last one closing would
		 * cancel the timer), then tear down: link, syscall program and
		 * struct_ops map go, the struct_ops program is disassociated.
		 */
		struct sops_map *b = NULL;
		while ((b = sops_object__next_map(obj, b)))
			if (sops_map__kind(b) == SOPS_MAP_BSS)
				break;
		struct sops_bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);
		CK(b && !sops_map_get_info_by_fd(e->rt, sops_map__handle(b), &info, &len), "bss info");
		bss_fd = sops_map_get_fd_by_id(e->rt, info.id);
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		CK(!sops_map_get_info_by_fd(e->rt, sops_map__handle(map_of(obj, "timer_map")), &info, &len),
		   "timer_map info");
		timer_fd = sops_map_get_fd_by_id(e->rt, info.id);
		CK(timer_fd > 0, "timer_map by id: %d", timer_fd);
		sops_link__destroy(l);
		l = NULL;
		sops_object__close(obj);
		obj = NULL;
		uint32_t zero = 0;
		char val[16] = { 0 };
		for (int i = 0; i < 200; i++) {
			usleep(5000);
			CK(!sops_map_lookup_elem(e->rt, bss_fd, &zero, val), "bss lookup");
			memcpy(v, val, sizeof(v));
			if (v[0])
				break;
		}
		CK(v[0] == 1 && v[1] == -1, "timer ran %d times, kfunc returned %d (expected -1)", v[0], v[1]);
	}
	ok = true;
out:
	if (bss_fd > 0)
		sops_close(e->rt, bss_fd);
	if (timer_fd > 0)
		sops_close(e->rt, timer_fd);
	sops_link__destroy(l);
	sops_object__close(obj);
	return ok;
}

TEST(scn_association)
{
	SCN(true, "scn/01-assoc-struct-ops-prog-einval", s01_04(e, 1, msg));
	SCN(true, "scn/02-assoc-two-progs-per-map", s01_04(e, 2, msg));
	SCN(true, "scn/03-assoc-retarget-ebusy", s01_04(e, 3, msg));
	SCN(true, "scn/04-assoc-kfunc-reaches-own-map", s01_04(e, 4, msg));
	SCN(true, "scn/05-assoc-reuse-poisoned", s05(e, msg));
	SCN(true, "scn/06-assoc-timer-callback", s06_07(e, 6, msg));
	SCN(true, "scn/07-assoc-timer-after-teardown", s06_07(e, 7, msg));
}

/* ------------------------------------------------------------------------------------------ */
/* Module types: scenarios 8-17                                                               */

/* st_module with test_2's slot pointing at test_3 and data = 13 (the usual edit). */
static int module_edit(struct sops_object *obj, bool null_test_2)
{
	size_t sz = 0;
	struct bpf_testmod_ops *sh = sops_map__initial_value(map_of(obj, "testmod_1"), &sz);

	if (!sh || sz < sizeof(*sh) - sizeof(void *) * BPF_TESTMOD_TRAMP_CNT)
		return -EINVAL;
	sh->data = 13;
	if (null_test_2) {
		sh->test_2 = NULL;
		return sops_program__set_autoload(prog_of(obj, "test_3"), false);
	}
	sh->test_2 = (void *)prog_of(obj, "test_3");
	return 0;
}

static bool btf_name_is(struct env *e, uint32_t btf_id, const char *want, char *got, size_t n)
{
	struct sops_bpf_btf_info bi = { 0 };
	uint32_t len = sizeof(bi);
	int fd = sops_btf_get_fd_by_id(e->rt, btf_id);
	bool ok;

	got[0] = 0;
	if (fd < 0)
		return false;
	bi.name = (uint64_t)(uintptr_t)got;
	bi.name_len = (uint32_t)n;
	ok = !sops_obj_get_info_by_fd(e->rt, fd, &bi, &len) && !strcmp(got, want);
	sops_close(e->rt, fd);
	return ok;
}

static bool s08(struct env *e, char *msg)
{
	struct sops_object *obj = NULL;
	struct sops_link *l = NULL;
	char log[LOGSZ], name[64];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	CK(!obj_open("st_module", &obj), "open");
	CK(!module_edit(obj, false), "shadow edit");
	err = obj_load(e, obj, log);
	CK(!err, "load: %d %s", err, log);
	CK(!sops_program__autoload(prog_of(obj, "test_2")), "test_2 still autoloaded");
	struct sops_map *m = map_of(obj, "testmod_1");
	struct sops_bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	CK(!(err = sops_map_get_info_by_fd(e->rt, sops_map__handle(m), &info, &len)), "map info: %d", err);
	CK(btf_name_is(e, info.btf_vmlinux_id, "bpf_testmod", name, sizeof(name)),
	   "btf_vmlinux_id %u names \"%s\", expected \"bpf_testmod\"", info.btf_vmlinux_id, name);
	CK(!(err = sops_map__attach_struct_ops(m, &l)), "attach: %d", err);
	int r[2] = { 0, 0 };
	CK(!bss_read(e, obj, r, sizeof(r)), "bss");
	CK((unsigned)r[0] == 0xdeadbeef, "test_1_result 0x%x", r[0]);
	CK(r[1] == 20, "test_2_result %d, expected 20 (test_3(4, 13))", r[1]);
	CK(mstats(e).last_data == 13, "module saw data %d", mstats(e).last_data);
	ok = true;
out:
	sops_link__destroy(l);
	sops_object__close(obj);
	return ok;
}

/* Flavors object with only map @map_name created; @edit may change its shadow. */
struct bpf_testmod_ops___zeroed {
	int (*test_1)(void);
	void (*test_2)(int a, int b);
	int data;
	int zeroed;
	void (*zeroed_op)(int a);
};

static int flavors(struct env *e, const char *map_name, int edit, struct sops_object **objp,
		   struct sops_link **l, char *log)
{
	struct sops_object *obj;
	struct sops_map *m = NULL;
	int err = obj_open("st_module_flavors", objp);

	if (err)
		return err;
	obj = *objp;
	while ((m = sops_object__next_map(obj, m)))
		if (sops_map__kind(m) == SOPS_MAP_STRUCT_OPS_VAR)
			sops_map__set_autocreate(m, !strcmp(sops_map__name(m), map_name));
	m = map_of(obj, map_name);
	if (edit == 1 || edit == 2) {
		size_t sz = 0;
		struct bpf_testmod_ops___zeroed *sh = sops_map__initial_value(m, &sz);

		if (!sh)
			return -EINVAL;
		if (edit == 1)
			sh->zeroed = 1;
		else
			sh->zeroed_op = (void *)prog_of(obj, "zeroed_op_impl");
	}
	if (edit != 2)
		sops_program__set_autoload(prog_of(obj, "zeroed_op_impl"), false);
	err = obj_load(e, obj, log);
	if (err || !l)
		return err;
	return sops_map__attach_struct_ops(m, l);
}

static bool s09_11(struct env *e, int which, char *msg)
{
	struct sops_object *obj = NULL;
	struct sops_link *l = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err, r[2] = { 0, 0 };

	CK(ENV_OK(e), "env: %s", e->err);
	if (which == 9) {
		err = flavors(e, "testmod_v2", 0, &obj, &l, log);
		CK(!err, "___v2 map: load/attach %d %s", err, log);
		CK(!bss_read(e, obj, r, sizeof(r)) && (unsigned)r[0] == 0xdeadbeef, "test_1 did not run");
	} else if (which == 10) {
		err = flavors(e, "testmod_zeroed", 0, &obj, NULL, log);
		CK(!err, "zero local-only members: load %d %s", err, log);
		sops_object__close(obj), obj = NULL;
		err = flavors(e, "testmod_zeroed", 1, &obj, NULL, log);
		CK(err, "non-zero local-only `zeroed` loaded");
		sops_object__close(obj), obj = NULL;
		err = flavors(e, "testmod_zeroed", 2, &obj, NULL, log);
		CK(err, "non-NULL local-only `zeroed_op` loaded");
	} else {
		err = flavors(e, "testmod_incompatible", 0, &obj, &l, log);
		CK(!err, "incompatible prototype: load/attach %d %s", err, log);
		CK(!bss_read(e, obj, r, sizeof(r)) && r[1] == 77, "test_2 result %d, expected 77", r[1]);
	}
	ok = true;
out:
	sops_link__destroy(l);
	sops_object__close(obj);
	return ok;
}

static bool s12(struct env *e, char *msg)
{
	struct sops_object *obj = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	CK(!obj_open("st_module", &obj), "open");
	CK(!module_edit(obj, true), "shadow edit");
	err = obj_load(e, obj, log);
	CK(!err, "load: %d %s", err, log);
	CK(!sops_program__autoload(prog_of(obj, "test_2")), "test_2 still autoloaded");
	CK(sops_program__handle(prog_of(obj, "test_2")) < 0, "test_2 has a handle");
	ok = true;
out:
	sops_object__close(obj);
	return ok;
}

static bool s13(struct env *e, char *msg)
{
	struct sops_object *obj = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	err = open_load(e, "st_module", &obj, log);
	CK(err == -EINVAL && strstr(log, "isn't referenced anywhere"), "unreferenced test_3: %d \"%s\"", err, log);
	sops_object__close(obj), obj = NULL;
	CK(!obj_open("st_module", &obj), "open");
	CK(!module_edit(obj, false), "shadow edit");
	err = obj_load(e, obj, log);
	CK(!err, "test_3 bound through the shadow: load %d %s", err, log);
	ok = true;
out:
	sops_object__close(obj);
	return ok;
}

struct stress_arg {
	struct env *e;
	int cycles;
	int fails;
	char msg[MSGSZ];
};

static void *stress_thread(void *p)
{
	struct stress_arg *a = p;

	for (int i = 0; i < a->cycles; i++) {
		struct sops_object *obj = NULL;
		struct sops_link *l = NULL;
		char log[LOGSZ];
		int err = obj_open("st_module", &obj);

		if (!err)
			err = module_edit(obj, false);
		if (!err)
			err = obj_load(a->e, obj, log);
		if (!err)
			err = sops_map__attach_struct_ops(map_of(obj, "testmod_1"), &l);
		if (err && !a->fails++)
			snprintf(a->msg, MSGSZ, "cycle %d: %d %s", i, err, log);
		sops_link__destroy(l);
		sops_object__close(obj);
	}
	return NULL;
}

static bool s14(struct env *e, char *msg)
{
	struct stress_arg a[2] = { { .e = e, .cycles = 25 }, { .e = e, .cycles = 25 } };
	pthread_t th[2];
	bool ok = false;

	CK(ENV_OK(e), "env: %s", e->err);
	CK(!e->invoker(1), "invoker");
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, stress_thread, &a[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	e->invoker(0);
	CK(!a[0].fails && !a[1].fails, "%d+%d failed cycles: %s%s", a[0].fails, a[1].fails, a[0].msg, a[1].msg);
	CK(mstats(e).reg_cnt == 50 && mstats(e).unreg_cnt == 50, "reg %ld unreg %ld", mstats(e).reg_cnt,
	   mstats(e).unreg_cnt);
	ok = true;
out:
	return ok;
}

static bool s15_17(struct env *e, int which, char *msg)
{
	struct sops_object *obj = NULL;
	struct sops_link *l = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err, ep = -1, fd2 = -1;

	CK(ENV_OK(e), "env: %s", e->err);
	CK(!obj_open("st_module", &obj), "open");
	CK(!module_edit(obj, false), "shadow edit");
	err = obj_load(e, obj, log);
	CK(!err, "load: %d %s", err, log);
	struct sops_map *m = map_of(obj, "testmod_1");
	CK(!(err = sops_map__attach_struct_ops(m, &l)), "attach: %d", err);
	if (which == 15) {
		int pfd = sops_link__poll_fd(l);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLHUP | EPOLLET }, out[2];

		CK(pfd >= 0, "poll fd: %d", pfd);
		ep = epoll_create1(0);
		CK(ep >= 0 && !epoll_ctl(ep, EPOLL_CTL_ADD, pfd, &ev), "epoll");
		CK(epoll_wait(ep, out, 2, 0) == 0, "readable before detach");
		CK(!(err = sops_link_detach(e->rt, sops_link__fd(l))), "detach: %d", err);
		CK(epoll_wait(ep, out, 2, 100) == 1, "no event after detach");
		/* the kernel's link poll mask: EPOLLHUP alone */
		CK(out[0].events == EPOLLHUP, "events 0x%x after detach, expected EPOLLHUP", out[0].events);
		CK(epoll_wait(ep, out, 2, 50) == 0, "event reported twice");
		CK(mstats(e).unreg_cnt == 1, "unreg not called");
	} else {
		/* The "opened pin": a second handle on the link, by id. */
		struct sops_bpf_link_info li = { 0 };
		uint32_t len = sizeof(li);

		CK(!sops_link_get_info_by_fd(e->rt, sops_link__fd(l), &li, &len), "link info");
		fd2 = sops_link_get_fd_by_id(e->rt, li.id);
		CK(fd2 > 0, "link by id: %d", fd2);
		err = sops_link_update(e->rt, fd2, sops_map__handle(m), NULL);
		CK(err == -EOPNOTSUPP, "update to the same map: %d, expected -EOPNOTSUPP (no update)", err);
	}
	ok = true;
out:
	if (ep >= 0)
		close(ep);
	if (fd2 > 0)
		sops_close(e->rt, fd2);
	sops_link__destroy(l);
	sops_object__close(obj);
	return ok;
}

static bool s16(struct env *e, char *msg)
{
	struct sops_object *obj = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	err = open_load(e, "st_unsupported", &obj, log);
	CK(err && strstr(log, "attach to unsupported member unsupported_ops of struct bpf_testmod_ops"),
	   "load: %d \"%s\"", err, log);
	ok = true;
out:
	sops_object__close(obj);
	return ok;
}

TEST(scn_module)
{
	SCN(true, "scn/08-module-type-shadow-edits", s08(e, msg));
	SCN(true, "scn/09-module-flavored-type-name", s09_11(e, 9, msg));
	SCN(true, "scn/10-module-local-only-members", s09_11(e, 10, msg));
	SCN(true, "scn/11-module-local-prototype-differs", s09_11(e, 11, msg));
	SCN(true, "scn/12-module-shadow-slot-nulled", s12(e, msg));
	SCN(true, "scn/13-module-unreferenced-prog", s13(e, msg));
	SCN(true, "scn/14-module-stress-attach-destroy", s14(e, msg));
	SCN(true, "scn/15-module-link-detach-poll", s15_17(e, 15, msg));
	SCN(true, "scn/16-module-unsupported-member", s16(e, msg));
	SCN(true, "scn/17-module-link-update-no-update-op", s15_17(e, 17, msg));
}

/* ------------------------------------------------------------------------------------------ */
/* libbpf rules and argument annotations: scenarios 18-22                                     */

static bool s18_19(struct env *e, int which, char *msg)
{
	struct sops_object *obj = NULL;
	struct sops_link *l = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	if (which == 18) {
		err = open_load(e, "st_autocreate", &obj, log);
		CK(err == -ENOTSUP && strstr(log, "struct_ops init_kern"), "load: %d \"%s\"", err, log);
	} else {
		CK(!obj_open("st_autocreate", &obj), "open");
		CK(!sops_map__set_autocreate(map_of(obj, "testmod_1"), false), "autocreate");
		CK(!sops_program__set_autoload(prog_of(obj, "wrong_op"), false), "autoload");
		err = obj_load(e, obj, log);
		CK(!err, "load: %d %s", err, log);
		CK(!(err = sops_map__attach_struct_ops(map_of(obj, "testmod_2"), &l)), "attach: %d", err);
		int r = 0;
		CK(!bss_read(e, obj, &r, sizeof(r)) && r == 42, "test_1_result %d, expected 42", r);
	}
	ok = true;
out:
	sops_link__destroy(l);
	sops_object__close(obj);
	return ok;
}

static bool s20(struct env *e, char *msg)
{
	struct sops_object *obj = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	err = open_load(e, "st_bad_reuse", &obj, log);
	CK(err == -EINVAL && strstr(log, "struct_ops"), "load: %d \"%s\"", err, log);
	ok = true;
out:
	sops_object__close(obj);
	return ok;
}

static bool s21(struct env *e, char *msg)
{
	struct sops_object *obj = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	err = open_load(e, "st_maybe_null", &obj, log);
	CK(!err, "load: %d %s", err, log);
	ok = true;
out:
	sops_object__close(obj);
	return ok;
}

static bool s22(struct env *e, char *msg)
{
	struct sops_object *obj = NULL;
	struct sops_map *m = NULL;
	bool ok = false;
	int err, maps = 0;

	CK(ENV_OK(e), "env: %s", e->err);
	/* What the selftest checks: maps of an object only opened cannot be attached. */
	CK(!obj_open("st_maybe_null", &obj), "open");
	while ((m = sops_object__next_map(obj, m))) {
		struct sops_link *l = NULL;

		if (sops_map__kind(m) != SOPS_MAP_STRUCT_OPS_VAR)
			continue;
		maps++;
		err = sops_map__attach_struct_ops(m, &l);
		sops_link__destroy(l);
		CK(err, "attach of an unloaded map succeeded");
	}
	CK(maps == 1, "%d struct_ops maps", maps);
	sops_object__close(obj), obj = NULL;
	/* Its intent (an unchecked deref of a __nullable argument is refused): s22_verifier(). */
	ok = true;
out:
	sops_object__close(obj);
	return ok;
}

TEST(scn_libbpf_rules)
{
	struct env *env;

	SCN(true, "scn/18-autocreate-member-missing-enotsup", s18_19(e, 18, msg));
	SCN(true, "scn/19-autocreate-off-other-map-attaches", s18_19(e, 19, msg));
	SCN(true, "scn/20-bad-reuse-two-types", s20(e, msg));
	SCN(true, "scn/21-nullable-checked-loads", s21(e, msg));
	SCN(true, "scn/22-unloaded-maps-attach-fails", s22(e, msg));
	env = env_new(true);
	s22_verifier(env);
	env_free(env);
}

/* ------------------------------------------------------------------------------------------ */
/* bpf_dummy_ops: scenarios 23-30                                                             */

static int dummy_run(struct env *e, struct sops_object *obj, const char *prog, void *ctx,
		     uint32_t ctx_size, uint32_t *retval)
{
	struct sops_test_run_opts o = { .sz = sizeof(o), .ctx_in = ctx, .ctx_size_in = ctx_size };
	int err = sops_prog_test_run_opts(e->rt, sops_program__handle(prog_of(obj, prog)), &o);

	*retval = o.retval;
	return err;
}

static bool s23_28(struct env *e, int which, char *msg)
{
	struct sops_object *obj = NULL;
	struct sops_link *l = NULL;
	char log[LOGSZ];
	bool ok = false;
	uint32_t ret = 0;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	err = open_load(e, "st_dummy", &obj, log);
	CK(!err, "load: %d %s", err, log);
	if (which == 23) {
		err = sops_map__attach_struct_ops(map_of(obj, "dummy_1"), &l);
		CK(err == -EOPNOTSUPP, "attach: %d, expected -EOPNOTSUPP", err);
	} else if (which == 24) {
		uint64_t args[1] = { 0 };

		err = dummy_run(e, obj, "test_1", args, sizeof(args), &ret);
		CK(!err && ret == 0xf2f3f4f5, "test_run: %d retval 0x%x", err, ret);
	} else if (which == 25) {
		struct bpf_dummy_ops_state st = { .val = 0xbeef };
		uint64_t args[1] = { (uint64_t)(uintptr_t)&st };

		err = dummy_run(e, obj, "test_1", args, sizeof(args), &ret);
		CK(!err && ret == 0xbeef, "test_run: %d retval 0x%x", err, ret);
		CK(st.val == 0x5a, "state.val 0x%x after the run, expected 0x5a", st.val);
	} else if (which == 26) {
		struct bpf_dummy_ops_state st = { 0 };
		uint64_t args[5] = { (uint64_t)(uintptr_t)&st, (uint64_t)(int64_t)-100, 0x8a5f, 'c',
				     0x1234567887654321ULL };
		uint64_t seen[5] = { 0 };

		err = dummy_run(e, obj, "test_2", args, sizeof(args), &ret);
		CK(!err, "test_run: %d", err);
		CK(!bss_read(e, obj, seen, sizeof(seen)), "bss");
		for (int i = 1; i < 5; i++)
			CK(seen[i] == args[i], "arg %d: 0x%llx, expected 0x%llx", i,
			   (unsigned long long)seen[i], (unsigned long long)args[i]);
	} else if (which == 27) {
		struct bpf_dummy_ops_state st = { .val = 7 };
		uint64_t args[1] = { (uint64_t)(uintptr_t)&st };

		err = dummy_run(e, obj, "test_sleepable", args, sizeof(args), &ret);
		CK(!err && ret == 7, "test_run: %d retval %u", err, ret);
	} else {
		uint64_t args[1] = { 0 }, two[2] = { 0, 0 };

		/* Spec 4: ctx_size_in must be 8 * the member's arguments. */
		err = dummy_run(e, obj, "test_1", two, sizeof(two), &ret);
		CK(err == -EINVAL, "test_1 with a 16-byte ctx: %d, expected -EINVAL", err);
		err = dummy_run(e, obj, "test_sleepable", args, sizeof(args), &ret);
		CK(err == -EINVAL, "test_run with NULL non-nullable arg: %d, expected -EINVAL", err);
		/* Test runs are for bpf_dummy_ops programs only (spec 4). */
		sops_object__close(obj);
		obj = NULL;
		err = open_load(e, "st_tcp_update", &obj, log);
		CK(!err, "load st_tcp_update: %d %s", err, log);
		err = dummy_run(e, obj, "ca_update_1_init", args, sizeof(args), &ret);
		CK(err == -EOPNOTSUPP, "tcp_congestion_ops test_run: %d, expected -EOPNOTSUPP", err);
	}
	ok = true;
out:
	sops_link__destroy(l);
	sops_object__close(obj);
	return ok;
}

static bool s_load_fails(struct env *e, const char *name, const char *want_log, char *msg)
{
	struct sops_object *obj = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	err = open_load(e, name, &obj, log);
	CK(err && strstr(log, want_log), "load %s: %d \"%s\", expected a failure with \"%s\"", name, err,
	   log, want_log);
	ok = true;
out:
	sops_object__close(obj);
	return ok;
}

TEST(scn_dummy_ops)
{
	SCN(false, "scn/23-dummy-attach-eopnotsupp", s23_28(e, 23, msg));
	SCN(false, "scn/24-dummy-test-run-null-state", s23_28(e, 24, msg));
	SCN(false, "scn/25-dummy-test-run-state", s23_28(e, 25, msg));
	SCN(false, "scn/26-dummy-test-run-five-args", s23_28(e, 26, msg));
	SCN(false, "scn/27-dummy-sleepable-test-run", s23_28(e, 27, msg));
	SCN(false, "scn/28-dummy-sleepable-null-einval", s23_28(e, 28, msg));
	SCN(true, "scn/29-dummy-sleepable-on-test_2",
	    s_load_fails(e, "st_dummy_fail_sleep",
			 "attach to unsupported member test_2 of struct bpf_dummy_ops", msg));
	SCN(true, "scn/30-dummy-sleepable-kfunc",
	    s_load_fails(e, "st_dummy_fail_kfunc", "program must be sleepable to call sleepable kfunc", msg));
}

/* ------------------------------------------------------------------------------------------ */
/* Congestion-control-shaped subsystem: scenarios 31-39                                       */

static bool s33(struct env *e, char *msg)
{
	struct sops_object *obj = NULL;
	struct sops_link *l = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	err = open_load(e, "st_tcp_incompl", &obj, log);
	CK(!err, "load: %d %s", err, log);
	err = sops_map__attach_struct_ops(map_of(obj, "tcp_incompl"), &l);
	CK(err == -EINVAL, "attach: %d, expected -EINVAL from validate", err);
	CK(!st_tcp_registered("tcp_incompl"), "registered anyway");
	ok = true;
out:
	sops_link__destroy(l);
	sops_object__close(obj);
	return ok;
}

static int tcp_counts(struct env *e, struct sops_object *obj, int c[4])
{
	memset(c, 0, 4 * sizeof(int));
	return bss_read(e, obj, c, 4 * sizeof(int));
}

static bool s35_39(struct env *e, int which, char *msg)
{
	struct sops_object *obj = NULL;
	struct sops_link *l = NULL, *l2 = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err, c[4];
	struct sock sk;

	CK(ENV_OK(e), "env: %s", e->err);
	err = open_load(e, "st_tcp_update", &obj, log);
	CK(!err, "load: %d %s", err, log);
	struct sops_map *m1 = map_of(obj, "ca_update_1"), *m2 = map_of(obj, "ca_update_2");
	CK(!(err = sops_map__attach_struct_ops(m1, &l)), "attach ca_update_1: %d", err);
	CK(!st_tcp_traffic("tcp_ca_update", 5, &sk), "traffic");
	CK(sk.snd_cwnd == 15, "cwnd %u after 5 acks from 10", sk.snd_cwnd);
	CK(!tcp_counts(e, obj, c) && c[0] == 1 && c[1] == 0, "counts %d %d after ca_update_1", c[0], c[1]);
	if (which == 35) {
		CK(!(err = sops_link__update_map(l, m2)), "update to ca_update_2: %d", err);
		CK(!st_tcp_traffic("tcp_ca_update", 1, NULL), "traffic");
		CK(!tcp_counts(e, obj, c) && c[0] == 1 && c[1] == 1, "counts %d %d after update", c[0], c[1]);
	} else if (which == 36) {
		err = sops_link__update_map(l, map_of(obj, "ca_wrong"));
		CK(err == -EINVAL, "update to another name: %d, expected -EINVAL", err);
		CK(!st_tcp_traffic("tcp_ca_update", 1, NULL), "traffic");
		CK(!tcp_counts(e, obj, c) && c[0] == 2 && c[2] == 0, "counts %d wrong %d", c[0], c[2]);
	} else if (which == 37) {
		CK(!(err = sops_map__attach_struct_ops(map_of(obj, "ca_no_link"), &l2)), "attach ca_no_link: %d", err);
		err = sops_link__update_map(l, map_of(obj, "ca_no_link"));
		CK(err == -EINVAL, "update to a non-link map: %d, expected -EINVAL", err);
		CK(!st_tcp_traffic("tcp_ca_update", 1, NULL), "traffic");
		CK(!tcp_counts(e, obj, c) && c[0] == 2, "ca1 count %d", c[0]);
	} else if (which == 38) {
		CK(!(err = sops_link__destroy(l)), "destroy: %d", err);
		l = NULL;
		CK(!st_tcp_registered("tcp_ca_update"), "still registered after destroy");
		CK(!(err = sops_map__attach_struct_ops(m1, &l)), "attach again: %d", err);
		CK(!st_tcp_traffic("tcp_ca_update", 1, NULL), "traffic");
		CK(!tcp_counts(e, obj, c) && c[0] == 2, "ca1 count %d", c[0]);
	} else {
		size_t sz = 0;
		const void *img = sops_map__kern_value(m2, &sz);
		uint32_t zero = 0;
		struct sops_link_update_opts uo = { .sz = sizeof(uo), .flags = SOPS_BPF_F_REPLACE };

		CK(img, "kernel image of ca_update_2");
		CK(!(err = sops_map_update_elem(e->rt, sops_map__handle(m2), &zero, img, 0)), "update ca_update_2: %d", err);
		uo.old_map_fd = (uint32_t)sops_map__handle(m2);
		err = sops_link_update(e->rt, sops_link__fd(l), sops_map__handle(m2), &uo);
		CK(err == -EPERM, "replace with the wrong old map: %d, expected -EPERM", err);
		uo.old_map_fd = (uint32_t)sops_map__handle(m1);
		err = sops_link_update(e->rt, sops_link__fd(l), sops_map__handle(m2), &uo);
		CK(!err, "replace with the right old map: %d", err);
		CK(!st_tcp_traffic("tcp_ca_update", 1, NULL), "traffic");
		CK(!tcp_counts(e, obj, c) && c[0] == 1 && c[1] == 1, "counts %d %d after replace", c[0], c[1]);
	}
	ok = true;
out:
	sops_link__destroy(l2);
	sops_link__destroy(l);
	sops_object__close(obj);
	return ok;
}

TEST(scn_tcp_ca)
{
	SCN(false, "scn/31-tcp-ca-non-gpl",
	    s_load_fails(e, "st_tcp_nogpl", "struct ops programs must have a GPL compatible license", msg));
	SCN(false, "scn/32-tcp-ca-setsockopt-in-release",
	    s_load_fails(e, "st_tcp_rel_setsockopt", "program of this type cannot use helper bpf_setsockopt", msg));
	SCN(false, "scn/33-tcp-ca-incomplete-attach-fails", s33(e, msg));
	SCN(false, "scn/34-tcp-ca-unsupported-get_info",
	    s_load_fails(e, "st_tcp_unsupp", "attach to unsupported member get_info", msg));
	SCN(false, "scn/35-tcp-ca-update-same-name", s35_39(e, 35, msg));
	SCN(false, "scn/36-tcp-ca-update-wrong-name", s35_39(e, 36, msg));
	SCN(false, "scn/37-tcp-ca-update-to-non-link-map", s35_39(e, 37, msg));
	SCN(false, "scn/38-tcp-ca-multi-links", s35_39(e, 38, msg));
	SCN(false, "scn/39-tcp-ca-link-replace", s35_39(e, 39, msg));
}

/* ------------------------------------------------------------------------------------------ */
/* Registration, many thunks, references: scenarios 41-44                                     */

static bool s41(struct env *unused, char *msg)
{
	char path[PATH_MAX + 64];
	struct sops_module *mod = NULL;
	struct env *e = env_new(false); /* this module alone */
	void *dl = NULL;
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	st_path(path, sizeof(path), "bpf_test_no_cfi.so");
	err = sops_runtime__load_module(e->rt, path, NULL, &mod);
	dl = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	int *res = dl ? dlsym(dl, "bpf_test_no_cfi_results") : NULL;
	CK(!err, "load module: %d (registrations gave %d / %d, expected -EINVAL / 0)", err,
	   res ? res[0] : 1, res ? res[1] : 1);
	CK(res && res[0] == -EINVAL && res[1] == 0, "registrations %d / %d", res ? res[0] : 1, res ? res[1] : 1);
	if (dl)
		dlclose(dl), dl = NULL;
	err = sops_runtime__unload_module(e->rt, mod);
	mod = NULL;
	CK(!err, "unload: %d", err);
	ok = true;
out:
	if (dl)
		dlclose(dl);
	if (mod)
		sops_runtime__unload_module(e->rt, mod);
	env_free(e);
	return ok;
}

static bool s42(struct env *e, char *msg)
{
	struct sops_object *obj = NULL;
	struct sops_link *l = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	err = open_load(e, "st_multi_pages", &obj, log);
	CK(!err, "load: %d %s", err, log);
	CK(!(err = sops_map__attach_struct_ops(map_of(obj, "multi_pages"), &l)), "attach: %d", err);
	long sum = e->call_tramps(100);
	CK(sum == 40 * 100 + 820, "sum of tramp_1..40(100) = %ld, expected %d", sum, 40 * 100 + 820);
	ok = true;
out:
	sops_link__destroy(l);
	sops_object__close(obj);
	return ok;
}

/* Scenario 22's intent: an unchecked dereference of a __nullable argument is refused. */
static void s22_verifier(struct env *e)
{
	struct sops_object *obj = NULL;
	char log[LOGSZ];

	if (!ENV_OK(e))
		return;
	verifier_rule("scn/22b-nullable-deref-rejected", open_load(e, "st_maybe_null_fail", &obj, log),
		      log, "R1 invalid mem access 'trusted_ptr_or_null_'",
		      "an unchecked dereference of a __nullable argument");
	sops_object__close(obj);
}

static bool s43(struct env *e, char *msg)
{
	struct sops_object *obj = NULL;
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	err = open_load(e, "st_refcounted", &obj, log);
	CK(!err, "releasing the __ref argument: load %d %s", err, log);
	sops_object__close(obj), obj = NULL;
	err = open_load(e, "st_refcounted_fail_leak", &obj, log);
	verifier_rule("scn/43b-leaked-ref-rejected", err, log, "Unreleased reference id=",
		      "a program leaking its __ref argument");
	ok = true;
out:
	sops_object__close(obj);
	return ok;
}

static int kptr_variant(struct env *e, const char *map_name, char *log)
{
	struct sops_object *obj = NULL;
	struct sops_map *m = NULL;
	int err = obj_open("st_kptr_return", &obj);

	if (err)
		return err;
	while ((m = sops_object__next_map(obj, m)))
		if (sops_map__kind(m) == SOPS_MAP_STRUCT_OPS_VAR)
			sops_map__set_autocreate(m, !strcmp(sops_map__name(m), map_name));
	err = obj_load(e, obj, log);
	sops_object__close(obj);
	return err;
}

static bool s44(struct env *e, char *msg)
{
	const char *fails[] = { "fail_wrong_type", "fail_scalar", "fail_offset" };
	const char *want[] = { "R0 is ptr_cgroup", "R0 should have been in [0, 0]", "non-zero offset (4)" };
	char log[LOGSZ];
	bool ok = false;
	int err;

	CK(ENV_OK(e), "env: %s", e->err);
	err = kptr_variant(e, "ok", log);
	CK(!err, "returning the __ref kptr: load %d %s", err, log);
	for (int i = 0; i < 3; i++) {
		char name[64];

		snprintf(name, sizeof(name), "scn/44b-kptr-return-%s-rejected", fails[i]);
		err = kptr_variant(e, fails[i], log);
		verifier_rule(name, err, log, want[i], fails[i]);
	}
	ok = true;
out:
	return ok;
}

TEST(scn_registration_refs)
{
	SCN(true, "scn/41-register-without-cfi-stubs", s41(e, msg));
	SCN(true, "scn/42-multi-pages-40-programs", s42(e, msg));
	SCN(true, "scn/43-refcounted-arg-release-or-leak", s43(e, msg));
	SCN(true, "scn/44-kptr-return", s44(e, msg));
}

/* ------------------------------------------------------------------------------------------ */
/* Code-derived scenarios 45-52, through the bpf() layer                                      */

struct raw {
	struct env *e;
	int mod_btf_fd;   /* module BTF handle */
	int user_btf_fd;  /* a user BTF (any BTF loaded with BTF_LOAD) */
	uint32_t t_type, t_value;   /* bpf_testmod_ops */
	uint32_t t2_type, t2_value; /* bpf_testmod_ops2 */
	uint32_t ca_type, ca_value; /* tcp_congestion_ops (host) */
};

static int raw_init(struct env *e, struct raw *r, char *msg)
{
	char path[PATH_MAX + 64];
	static char buf[1 << 20];
	FILE *f;
	size_t n;
	int err;

	memset(r, 0, sizeof(*r));
	r->e = e;
	r->mod_btf_fd = sops_module__btf_fd(e->mod);
	if (r->mod_btf_fd <= 0)
		return snprintf(msg, MSGSZ, "module BTF handle: %d", r->mod_btf_fd), -1;
	st_path(path, sizeof(path), "st_host.btf");
	f = fopen(path, "rb");
	if (!f)
		return snprintf(msg, MSGSZ, "open %s", path), -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	r->user_btf_fd = sops_btf_load(e->rt, buf, n, NULL, 0);
	if (r->user_btf_fd <= 0)
		return snprintf(msg, MSGSZ, "BTF_LOAD: %d", r->user_btf_fd), -1;
	if ((err = sops_runtime__find_struct_ops(e->rt, "bpf_testmod_ops", &r->t_type, &r->t_value, NULL)) ||
	    (err = sops_runtime__find_struct_ops(e->rt, "bpf_testmod_ops2", &r->t2_type, &r->t2_value, NULL)) ||
	    (err = sops_runtime__find_struct_ops(e->rt, "tcp_congestion_ops", &r->ca_type, &r->ca_value, NULL)))
		return snprintf(msg, MSGSZ, "find_struct_ops: %d", err), -1;
	return 0;
}

static void raw_fini(struct raw *r)
{
	if (r->mod_btf_fd > 0)
		sops_close(r->e->rt, r->mod_btf_fd);
	if (r->user_btf_fd > 0)
		sops_close(r->e->rt, r->user_btf_fd);
}

/* A bpf_testmod_ops (or ops2 with @ops2) map; @link: BPF_F_LINK. */
static int raw_map(struct raw *r, bool ops2, bool link)
{
	struct sops_map_create_opts o = { .sz = sizeof(o) };

	o.btf_fd = (uint32_t)r->user_btf_fd;
	o.btf_vmlinux_value_type_id = ops2 ? r->t2_value : r->t_value;
	o.value_type_btf_obj_fd = r->mod_btf_fd;
	o.map_flags = SOPS_BPF_F_VTYPE_BTF_OBJ_FD | (link ? SOPS_BPF_F_LINK : 0);
	return sops_map_create(r->e->rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "raw", 4,
			       ops2 ? sizeof(struct bpf_struct_ops_bpf_testmod_ops2)
				    : sizeof(struct bpf_struct_ops_bpf_testmod_ops),
			       1, &o);
}

static int raw_ca_map(struct raw *r, bool link)
{
	struct sops_map_create_opts o = { .sz = sizeof(o) };

	o.btf_fd = (uint32_t)r->user_btf_fd;
	o.btf_vmlinux_value_type_id = r->ca_value;
	o.map_flags = link ? SOPS_BPF_F_LINK : 0;
	return sops_map_create(r->e->rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "raw_ca", 4,
			       sizeof(struct bpf_struct_ops_tcp_congestion_ops), 1, &o);
}

/* A struct_ops program `r0 = @ret; exit` for member @idx of type @type_id (module BTF when @mod). */
static int raw_prog(struct raw *r, uint32_t type_id, uint32_t idx, bool mod, int ret)
{
	struct sops_insn insns[2] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = ret },
		{ .code = 0x95 },
	};
	struct sops_prog_load_opts o = { .sz = sizeof(o) };

	o.expected_attach_type = idx;
	o.attach_btf_id = type_id;
	o.attach_btf_obj_fd = mod ? (uint32_t)r->mod_btf_fd : 0;
	return sops_prog_load(r->e->rt, SOPS_BPF_PROG_TYPE_STRUCT_OPS, "raw", "GPL", insns, 2, &o);
}

static int raw_syscall_prog(struct raw *r)
{
	struct sops_insn insns[2] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },
		{ .code = 0x95 },
	};

	return sops_prog_load(r->e->rt, SOPS_BPF_PROG_TYPE_SYSCALL, "sys", "GPL", insns, 2, NULL);
}

/* A bpf_testmod_ops value with @prog in test_1 (member 0). */
static void tval(struct bpf_struct_ops_bpf_testmod_ops *v, int prog)
{
	memset(v, 0, sizeof(*v));
	if (prog > 0)
		v->data.test_1 = (int (*)(void))(uintptr_t)prog;
}

static uint32_t prog_id(struct raw *r, int fd)
{
	struct sops_bpf_prog_info pi = { 0 };
	uint32_t len = sizeof(pi);

	return sops_prog_get_info_by_fd(r->e->rt, fd, &pi, &len) ? 0 : pi.id;
}

static bool s45_52(struct env *e, int which, char *msg)
{
	struct raw r = { .e = e };
	struct bpf_struct_ops_bpf_testmod_ops v, out;
	uint32_t zero = 0, one = 1;
	int err, m = -1, m2 = -1, p = -1, p2 = -1, lk = -1, lk2 = -1, arr = -1, hbtf = -1;
	bool ok = false;

	CK(ENV_OK(e), "env: %s", e->err);
	if (raw_init(e, &r, msg))
		goto out_nofini;
	p = raw_prog(&r, r.t_type, 0, true, 5);
	CK(p > 0, "struct_ops program for test_1: %d", p);
	switch (which) {
	case 45:
		m = raw_map(&r, false, false);
		CK(m > 0, "map create: %d", m);
		memset(&out, 0xff, sizeof(out));
		CK(!(err = sops_map_lookup_elem(e->rt, m, &zero, &out)), "lookup: %d", err);
		CK(rt_mem_zero(&out, sizeof(out)), "lookup before update not all zero");
		err = sops_map_lookup_elem(e->rt, m, &one, &out);
		CK(err == -ENOENT, "lookup key 1: %d, expected -ENOENT", err);
		break;
	case 46:
		m = raw_map(&r, false, false);
		CK(m > 0, "map create: %d", m);
		tval(&v, p);
		CK((err = sops_map_update_elem(e->rt, m, &one, &v, 0)) == -E2BIG, "key 1: %d", err);
		CK((err = sops_map_update_elem(e->rt, m, &zero, &v, 1)) == -EINVAL, "flags 1: %d", err);
		v.common.state = 1;
		CK((err = sops_map_update_elem(e->rt, m, &zero, &v, 0)) == -EINVAL, "state 1: %d", err);
		tval(&v, p), v.common.refcnt = 1;
		CK((err = sops_map_update_elem(e->rt, m, &zero, &v, 0)) == -EINVAL, "refcnt 1: %d", err);
		tval(&v, p), ((char *)&v)[sizeof(v.common) + 1] = 1;
		CK((err = sops_map_update_elem(e->rt, m, &zero, &v, 0)) == -EINVAL, "padding after common: %d", err);
		tval(&v, p), ((char *)&v.data.data)[4] = 1;
		CK((err = sops_map_update_elem(e->rt, m, &zero, &v, 0)) == -EINVAL, "padding after data: %d", err);
		tval(&v, 0), v.data.test_2 = (void (*)(int, int))(uintptr_t)p;
		CK((err = sops_map_update_elem(e->rt, m, &zero, &v, 0)) == -EINVAL, "member index mismatch: %d", err);
		p2 = raw_prog(&r, r.t2_type, 0, true, 1);
		CK(p2 > 0, "ops2 program: %d", p2);
		tval(&v, p2);
		CK((err = sops_map_update_elem(e->rt, m, &zero, &v, 0)) == -EINVAL, "attach_btf_id mismatch: %d", err);
		tval(&v, p);
		CK(!(err = sops_map_update_elem(e->rt, m, &zero, &v, 0)), "valid update after all that: %d", err);
		break;
	case 47: {
		struct bpf_struct_ops_tcp_congestion_ops cv;
		int ps = raw_prog(&r, r.ca_type, 0, false, 2), pu = raw_prog(&r, r.ca_type, 7, false, 3),
		    pc = raw_prog(&r, r.ca_type, 1, false, 0);

		m = raw_map(&r, false, false);
		m2 = raw_map(&r, false, true);
		CK(m > 0 && m2 > 0, "map create: %d %d", m, m2);
		tval(&v, p);
		CK(!(err = sops_map_update_elem(e->rt, m, &zero, &v, 0)), "non-link update: %d", err);
		CK((err = sops_map_update_elem(e->rt, m, &zero, &v, 0)) == -EBUSY, "INUSE again: %d", err);
		CK(!(err = sops_map_update_elem(e->rt, m2, &zero, &v, 0)), "link update: %d", err);
		CK((err = sops_map_update_elem(e->rt, m2, &zero, &v, 0)) == -EBUSY, "READY again: %d", err);
		/* validate refuses (no cong_avoid): map back to INIT, then a corrected update works. */
		CK(ps > 0 && pu > 0 && pc > 0, "tcp programs: %d %d %d", ps, pu, pc);
		arr = raw_ca_map(&r, true);
		CK(arr > 0, "tcp map: %d", arr);
		memset(&cv, 0, sizeof(cv));
		cv.data.ssthresh = (u32(*)(struct sock *))(uintptr_t)ps;
		cv.data.undo_cwnd = (u32(*)(struct sock *))(uintptr_t)pu;
		strcpy(cv.data.name, "raw_ca");
		CK((err = sops_map_update_elem(e->rt, arr, &zero, &cv, 0)) == -EINVAL, "validate: %d", err);
		struct bpf_struct_ops_tcp_congestion_ops cout;
		memset(&cout, 0xff, sizeof(cout));
		CK(!sops_map_lookup_elem(e->rt, arr, &zero, &cout) && rt_mem_zero(&cout, sizeof(cout)),
		   "map not reset to INIT after a failed update");
		cv.data.cong_avoid = (void (*)(struct sock *, u32, u32))(uintptr_t)pc;
		CK(!(err = sops_map_update_elem(e->rt, arr, &zero, &cv, 0)), "corrected update: %d", err);
		sops_close(e->rt, ps), sops_close(e->rt, pu), sops_close(e->rt, pc);
		break;
	}
	case 48: {
		long unreg0;

		m = raw_map(&r, false, false);
		m2 = raw_map(&r, false, true);
		CK(m > 0 && m2 > 0, "map create: %d %d", m, m2);
		CK((err = sops_map_delete_elem(e->rt, m, &zero)) == -ENOENT, "delete never-updated: %d", err);
		tval(&v, p);
		CK(!(err = sops_map_update_elem(e->rt, m, &zero, &v, 0)), "update: %d", err);
		unreg0 = mstats(e).unreg_cnt;
		CK(!(err = sops_map_delete_elem(e->rt, m, &zero)), "delete: %d", err);
		CK(mstats(e).unreg_cnt == unreg0 + 1, "unreg not called by delete");
		CK((err = sops_map_delete_elem(e->rt, m, &zero)) == -EINPROGRESS, "delete again: %d", err);
		CK((err = sops_map_update_elem(e->rt, m, &zero, &v, 0)) == -EBUSY, "update after delete: %d", err);
		CK(!(err = sops_map_update_elem(e->rt, m2, &zero, &v, 0)), "link map update: %d", err);
		CK((err = sops_map_delete_elem(e->rt, m2, &zero)) == -EOPNOTSUPP, "delete link map: %d", err);
		break;
	}
	case 49: {
		uint32_t id = prog_id(&r, p);

		m = raw_map(&r, false, false);
		m2 = raw_map(&r, false, true);
		CK(m > 0 && m2 > 0 && id, "map create: %d %d, prog id %u", m, m2, id);
		tval(&v, p);
		v.data.data = 9;
		CK(!(err = sops_map_update_elem(e->rt, m, &zero, &v, 0)), "update: %d", err);
		CK(!sops_map_update_elem(e->rt, m2, &zero, &v, 0), "link map update");
		CK(!sops_map_lookup_elem(e->rt, m, &zero, &out), "lookup");
		CK((uint32_t)(uintptr_t)out.data.test_1 == id, "test_1 slot %lu, expected prog id %u",
		   (unsigned long)(uintptr_t)out.data.test_1, id);
		CK(out.data.data == 9, "data %d", out.data.data);
		CK(out.common.state == 1 && out.common.refcnt == 1, "INUSE map: state %d refcnt %d",
		   (int)out.common.state, out.common.refcnt);
		CK(!sops_map_lookup_elem(e->rt, m2, &zero, &out), "lookup link map");
		CK(out.common.state == 3 && out.common.refcnt == 0, "READY map: state %d refcnt %d",
		   (int)out.common.state, out.common.refcnt);
		lk = sops_link_create(e->rt, m2, 0, SOPS_BPF_STRUCT_OPS, NULL);
		CK(lk > 0, "link create: %d", lk);
		CK(!sops_map_lookup_elem(e->rt, m2, &zero, &out), "lookup link map");
		CK(out.common.state == 3 && out.common.refcnt == 1, "READY map with a link: state %d refcnt %d",
		   (int)out.common.state, out.common.refcnt);
		break;
	}
	case 50: {
		struct sops_map_create_opts ao = { .sz = sizeof(ao) };
		struct bpf_struct_ops_tcp_congestion_ops cv;
		int ps = raw_prog(&r, r.ca_type, 0, false, 2), pu = raw_prog(&r, r.ca_type, 7, false, 3),
		    pc = raw_prog(&r, r.ca_type, 1, false, 0);

		m = raw_map(&r, false, false);
		m2 = raw_map(&r, false, true);
		arr = sops_map_create(e->rt, SOPS_BPF_MAP_TYPE_ARRAY, "arr", 4, 8, 1, &ao);
		CK(m > 0 && m2 > 0 && arr > 0, "map create: %d %d %d", m, m2, arr);
		tval(&v, p);
		CK(!sops_map_update_elem(e->rt, m, &zero, &v, 0), "non-link update");
		CK((err = sops_link_create(e->rt, m, 0, SOPS_BPF_STRUCT_OPS, NULL)) == -EINVAL, "link on non-link map: %d", err);
		CK((err = sops_link_create(e->rt, m2, 0, SOPS_BPF_STRUCT_OPS, NULL)) == -EINVAL, "link on INIT map: %d", err);
		CK((err = sops_link_create(e->rt, arr, 0, SOPS_BPF_STRUCT_OPS, NULL)) == -EINVAL, "link on array: %d", err);
		CK(!sops_map_update_elem(e->rt, m2, &zero, &v, 0), "link map update");
		lk = sops_link_create(e->rt, m2, 0, SOPS_BPF_STRUCT_OPS, NULL);
		CK(lk > 0, "link create: %d", lk);
		CK((err = sops_link_update(e->rt, lk, m2, NULL)) == -EOPNOTSUPP, "update without update op: %d", err);
		/* A READY map of a type that has update, but another type. */
		CK(ps > 0 && pu > 0 && pc > 0, "tcp programs");
		memset(&cv, 0, sizeof(cv));
		cv.data.ssthresh = (u32(*)(struct sock *))(uintptr_t)ps;
		cv.data.undo_cwnd = (u32(*)(struct sock *))(uintptr_t)pu;
		cv.data.cong_avoid = (void (*)(struct sock *, u32, u32))(uintptr_t)pc;
		strcpy(cv.data.name, "raw_ca50");
		sops_close(e->rt, arr);
		arr = raw_ca_map(&r, true);
		CK(arr > 0 && !sops_map_update_elem(e->rt, arr, &zero, &cv, 0), "tcp link map");
		CK((err = sops_link_update(e->rt, lk, arr, NULL)) == -EINVAL, "update to another type: %d", err);
		CK(!(err = sops_link_detach(e->rt, lk)), "detach: %d", err);
		CK(!(err = sops_link_detach(e->rt, lk)), "detach again: %d", err);
		CK((err = sops_link_update(e->rt, lk, arr, NULL)) == -ENOLINK, "update after detach: %d", err);
		sops_close(e->rt, ps), sops_close(e->rt, pu), sops_close(e->rt, pc);
		break;
	}
	case 51: {
		struct sops_map_create_opts o = { .sz = sizeof(o) };
		uint32_t vs = sizeof(struct bpf_struct_ops_bpf_testmod_ops);
		int task_id = btf__find_by_name_kind(sops_module__btf(e->mod), "st_ops_args", BTF_KIND_STRUCT);

#define MC(ks, vsz, me) sops_map_create(e->rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "m51", ks, vsz, me, &o)
		o.btf_fd = (uint32_t)r.user_btf_fd;
		o.btf_vmlinux_value_type_id = r.t_value;
		o.value_type_btf_obj_fd = r.mod_btf_fd;
		o.map_flags = SOPS_BPF_F_VTYPE_BTF_OBJ_FD;
		CK((err = MC(8, vs, 1)) == -EINVAL, "key_size 8: %d", err);
		CK((err = MC(4, vs, 2)) == -EINVAL, "max_entries 2: %d", err);
		o.map_flags |= SOPS_BPF_F_RDONLY;
		CK((err = MC(4, vs, 1)) == -EINVAL, "unknown flag: %d", err);
		o.map_flags &= ~SOPS_BPF_F_RDONLY;
		o.btf_vmlinux_value_type_id = 0;
		CK((err = MC(4, vs, 1)) == -EINVAL, "value type id 0: %d", err);
		o.btf_vmlinux_value_type_id = (uint32_t)task_id;
		CK(task_id > 0 && (err = MC(4, vs, 1)) == SOPS_ENOTSUPP * -1, "unknown value type id: %d", err);
		o.btf_vmlinux_value_type_id = r.t_value;
		CK((err = MC(4, vs + 8, 1)) == -EINVAL, "wrong value_size: %d", err);
		hbtf = sops_runtime__host_btf_fd(e->rt);
		CK(hbtf > 0, "host BTF handle: %d", hbtf);
		o.btf_fd = (uint32_t)hbtf;
		CK((err = MC(4, vs, 1)) == -EACCES, "kernel BTF as btf_fd: %d", err);
		o.btf_fd = (uint32_t)r.user_btf_fd;
		o.value_type_btf_obj_fd = hbtf;
		CK((err = MC(4, vs, 1)) == -EINVAL, "VTYPE_BTF_OBJ_FD with the host BTF: %d", err);
		o.value_type_btf_obj_fd = r.mod_btf_fd;
		m = MC(4, vs, 1);
		CK(m > 0, "valid create: %d", m);
#undef MC
		break;
	}
	case 52: {
		struct sops_map_create_opts ao = { .sz = sizeof(ao) };
		struct sops_prog_assoc_struct_ops_opts so = { .sz = sizeof(so), .flags = 1 };
		long maps_before;

		p2 = raw_syscall_prog(&r);
		m = raw_map(&r, false, true);
		arr = sops_map_create(e->rt, SOPS_BPF_MAP_TYPE_ARRAY, "arr", 4, 8, 1, &ao);
		CK(p2 > 0 && m > 0 && arr > 0, "setup: %d %d %d", p2, m, arr);
		CK((err = sops_prog_assoc_struct_ops(e->rt, p2, m, &so)) == -EINVAL, "flags 1: %d", err);
		CK((err = sops_prog_assoc_struct_ops(e->rt, p2, arr, NULL)) == -EINVAL, "array map: %d", err);
		CK((err = sops_prog_assoc_struct_ops(e->rt, 9999, m, NULL)) == -EBADF, "bad prog: %d", err);
		CK(!(err = sops_prog_assoc_struct_ops(e->rt, p2, m, NULL)), "assoc: %d", err);
		maps_before = sops_runtime__live_objects(e->rt, SOPS_OBJ_MAP);
		sops_close(e->rt, m), m = -1;
		CK(sops_runtime__live_objects(e->rt, SOPS_OBJ_MAP) == maps_before,
		   "map freed although an associated program holds it");
		sops_close(e->rt, p2), p2 = -1;
		CK(sops_runtime__live_objects(e->rt, SOPS_OBJ_MAP) == maps_before - 1,
		   "map not freed with the program that held it");
		break;
	}
	}
	ok = true;
out:
	raw_fini(&r);
out_nofini:
	for (int *fd = (int[]){ lk, lk2, m, m2, p, p2, arr, hbtf }, i = 0; i < 8; i++)
		if (fd[i] > 0)
			sops_close(e->rt, fd[i]);
	return ok;
}

TEST(scn_bpf_layer)
{
	static const char *names[] = {
		"scn/45-lookup-before-update",   "scn/46-update-checks-errnos",
		"scn/47-update-busy-and-reset",  "scn/48-delete-non-link-and-link",
		"scn/49-lookup-prog-ids-state",  "scn/50-link-create-update-detach",
		"scn/51-map-create-checks",      "scn/52-assoc-syscall-checks-lifetime",
	};
	for (int i = 0; i < 8; i++)
		SCN(true, names[i], s45_52(e, 45 + i, msg));
}

/*
 * sops_object__close() of an object loaded into a runtime closes its handles
 * (as libbpf closes its fds): with links gone, no map, program or link is
 * left, and the BTF objects are back to the runtime's own (host, module).
 * The timer object closes with an armed 500 ms timer: it is cancelled with
 * the last user reference on its map.
 */
TEST(st_object_close_drops_handles)
{
	static const char *const names[] = { "st_dummy", "st_tcp_update", "st_assoc_timer", "st_maybe_null" };
	struct env *e = env_new(true);
	char log[LOGSZ];

	T_ASSERT(ENV_OK(e));
	long btfs = sops_runtime__live_objects(e->rt, SOPS_OBJ_BTF);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct sops_object *obj = NULL;
		struct sops_link *l = NULL;
		int err = open_load(e, names[i], &obj, log);

		if (err)
			T_FAIL("%s: %d %s", names[i], err, log);
		T_ASSERT(sops_runtime__live_objects(e->rt, SOPS_OBJ_MAP) > 0);
		if (!strcmp(names[i], "st_assoc_timer")) {
			struct sops_program *sp = prog_of(obj, "syscall_prog");
			struct st_ops_args args = { .b = 1 };
			uint64_t ret = 0;

			T_EQ(sops_program__assoc_struct_ops(sp, map_of(obj, "st_ops_map"), NULL), 0);
			T_EQ(sops_map__attach_struct_ops(map_of(obj, "st_ops_map"), &l), 0);
			T_EQ(sops_prog_run(e->rt, sops_program__handle(sp), &args, sizeof(args), &ret), 0);
			T_EQ((int)ret, MAP_A_MAGIC);
			sops_link__destroy(l);
		}
		sops_object__close(obj);
		T_EQ(sops_runtime__live_objects(e->rt, SOPS_OBJ_MAP), 0);
		T_EQ(sops_runtime__live_objects(e->rt, SOPS_OBJ_PROG), 0);
		T_EQ(sops_runtime__live_objects(e->rt, SOPS_OBJ_LINK), 0);
		T_EQ(sops_runtime__live_objects(e->rt, SOPS_OBJ_BTF), btfs);
	}
	env_free(e);
}

/*
 * A loaded program calling a module's kfunc pins the module (the kernel's
 * module reference for kfunc BTF): unload is EBUSY until the program is
 * freed; unload then unregisters the module's kfuncs, and the object no
 * longer loads.
 */
TEST(st_module_kfunc_pins_module)
{
	struct env *e = env_new(true);
	struct sops_object *obj = NULL;
	char log[LOGSZ];
	long base;
	int err;

	T_ASSERT(ENV_OK(e) && e->mod);
	base = sops_module__refcnt(e->mod);
	T_ASSERT(sops_runtime__find_kfunc_id(e->rt, "bpf_kfunc_multi_st_ops_test_1_assoc") > 0);
	err = open_load(e, "st_assoc", &obj, log);
	if (err)
		T_FAIL("load st_assoc: %d %s", err, log);
	/* Its maps pin the module too: count the programs' references alone. */
	T_ASSERT(sops_module__refcnt(e->mod) > base);
	T_EQ(sops_runtime__unload_module(e->rt, e->mod), -EBUSY);
	sops_object__close(obj);
	obj = NULL;
	T_EQ(sops_runtime__live_objects(e->rt, SOPS_OBJ_PROG), 0);
	T_EQ(sops_module__refcnt(e->mod), base);
	T_EQ(sops_runtime__unload_module(e->rt, e->mod), 0);
	e->mod = NULL;
	T_EQ(sops_runtime__find_kfunc_id(e->rt, "bpf_kfunc_multi_st_ops_test_1_assoc"), -ENOENT);
	T_ASSERT(open_load(e, "st_assoc", &obj, log) != 0);
	sops_object__close(obj);
	env_free(e);
}

/* Only a syscall program that calls the module's kfunc: the program alone pins the module. */
TEST(st_module_kfunc_prog_ref)
{
	struct env *e = env_new(true);
	struct sops_object *obj = NULL;
	struct sops_program *p;
	char log[LOGSZ];
	long base;
	int err;

	T_ASSERT(ENV_OK(e) && e->mod);
	base = sops_module__refcnt(e->mod);
	T_EQ(obj_open("st_assoc_timer", &obj), 0);
	for (p = sops_object__next_program(obj, NULL); p; p = sops_object__next_program(obj, p))
		sops_program__set_autoload(p, !strcmp(sops_program__name(p), "syscall_prog"));
	sops_map__set_autocreate(map_of(obj, "st_ops_map"), false);
	{
		struct sops_object_load_opts lo = { .sz = sizeof(lo), .runtime = e->rt, .log_buf = log,
						    .log_size = sizeof(log) };

		err = sops_object__load(obj, &lo);
	}
	if (err)
		T_FAIL("load: %d %s", err, log);
	T_EQ(sops_module__refcnt(e->mod), base + 1);
	T_EQ(sops_runtime__unload_module(e->rt, e->mod), -EBUSY);
	sops_object__close(obj);
	T_EQ(sops_runtime__live_objects(e->rt, SOPS_OBJ_PROG), 0);
	T_EQ(sops_module__refcnt(e->mod), base);
	T_EQ(sops_runtime__unload_module(e->rt, e->mod), 0);
	e->mod = NULL;
	env_free(e);
}

#else /* no struct_ops.h yet */
#include "test.h"

TEST(scn_missing_core)
{
	T_SKIP("structops/struct_ops.h is missing: the struct_ops acceptance scenarios cannot build");
}
#endif
