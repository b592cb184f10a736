/* SPDX-License-Identifier: MIT */
/*
 * test_st_compat.c - programs written for the kernel load unchanged (issue
 * 12): objects in the style of the kernel's selftests loaded into a runtime
 * with the test host (tests/testmod/st_host.c) and the test module
 * (tests/testmod/bpf_testmod.c), and what libbpf does with them.
 *
 *   - "?" struct_ops programs (tests/st_bpf/st_autoload.bpf.c): autoload
 *     starts off; a program a created struct_ops map references loads anyway,
 *     one referenced by nothing stays off, and turning it on by hand makes
 *     load fail as libbpf does ("isn't referenced anywhere").
 *   - __kconfig externs in a struct_ops program (tests/st_bpf/st_kconfig.bpf.c):
 *     the host's kconfig text and structops' defaults reach it once attached.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <structops/bpf.h>
#include <structops/btf.h>
#include <structops/object.h>
#include <structops/runtime.h>
#include <structops/struct_ops.h>

#include "test.h"
#include "testmod/st_host_api.h"

#define LOGSZ 4096

/* A runtime with the test host's types and the test module loaded. */
struct compat_env {
	struct sops_runtime *rt;
	struct sops_btf *host;
	struct sops_module *mod;
};

static void st_file(char *buf, size_t n, const char *name)
{
	char dir[PATH_MAX];

	test_exe_path(dir, sizeof(dir), "st");
	snprintf(buf, n, "%s/%s", dir, name);
}

static void env_fini(struct compat_env *e)
{
	if (e->mod)
		sops_runtime__unload_module(e->rt, e->mod);
	sops_runtime__free(e->rt);
	sops_btf__free(e->host);
	memset(e, 0, sizeof(*e));
}

/* 0, or a negative errno with what failed in @why. */
static int env_init(struct compat_env *e, char *why, size_t why_size)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = true, .verifier_strict = true };
	char path[PATH_MAX + 64];
	int err;

	memset(e, 0, sizeof(*e));
	st_file(path, sizeof(path), "st_host.btf");
	err = sops_btf__load_file(path, NULL, &e->host);
	if (err) {
		snprintf(why, why_size, "host BTF %s: %d", path, err);
		return err;
	}
	ro.host_btf = sops_btf__libbpf(e->host);
	err = sops_runtime__new(&ro, &e->rt);
	if (!err)
		err = st_host_register(e->rt, sops_btf__libbpf(e->host));
	if (err) {
		snprintf(why, why_size, "runtime: %d", err);
		return err;
	}
	st_file(path, sizeof(path), "bpf_testmod.so");
	err = sops_runtime__load_module(e->rt, path, NULL, &e->mod);
	if (err) {
		e->mod = NULL;
		snprintf(why, why_size, "module %s: %d", path, err);
	}
	return err;
}

static int compat_open_kconfig(const char *file, const char *kconfig, struct sops_object **obj)
{
	struct sops_object_open_opts o = { .sz = sizeof(o), .kconfig = kconfig };
	char path[PATH_MAX + 64];

	st_file(path, sizeof(path), file);
	return sops_object__open_file(path, &o, obj);
}

static int compat_open(const char *file, struct sops_object **obj)
{
	return compat_open_kconfig(file, NULL, obj);
}

static int compat_load(struct compat_env *e, struct sops_object *obj, char *log)
{
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = LOGSZ };

	log[0] = 0;
	return sops_object__load_runtime(obj, e->rt, &lo);
}

/* The first int of the object's .bss (test_1_result), or -1. */
static int bss_int(struct compat_env *e, struct sops_object *obj, int idx)
{
	struct sops_map *m = NULL;
	uint32_t zero = 0;
	int v[16];

	while ((m = sops_object__next_map(obj, m)))
		if (sops_map__kind(m) == SOPS_MAP_BSS)
			break;
	if (!m || sops_map__value_size(m) > sizeof(v) || (size_t)idx >= sops_map__value_size(m) / 4)
		return -1;
	if (sops_map_lookup_elem(e->rt, sops_map__handle(m), &zero, v))
		return -1;
	return v[idx];
}

static const char *const autoload_objs[] = { "st_autoload.v3.o", "st_autoload.v4.o" };

#define PROG(name) sops_object__find_program_by_name(obj, name)
#define MAP(name) sops_object__find_map_by_name(obj, name)

/* As written: bar is bound by testmod_1 (created), so it loads although its section says "?". */
TEST(st_compat_qmark_referenced_loads)
{
	for (int c = 0; c < 2; c++) {
		struct sops_object *obj = NULL;
		struct sops_link *l = NULL;
		struct compat_env e;
		char log[LOGSZ], why[PATH_MAX + 128];
		int err;

		if (env_init(&e, why, sizeof(why))) {
			env_fini(&e);
			T_FAIL("%s", why);
		}
		err = compat_open(autoload_objs[c], &obj);
		if (err) {
			env_fini(&e);
			T_FAIL("open %s: %d", autoload_objs[c], err);
		}
		/* open: every program has its autoload off */
		T_ASSERT(PROG("foo") && PROG("bar") && PROG("test_2") && PROG("test_3"));
		T_ASSERT(!sops_program__autoload(PROG("foo")) && !sops_program__autoload(PROG("bar")));
		T_ASSERT(!sops_program__autoload(PROG("test_3")));
		T_EQ(sops_program__type(PROG("bar")), SOPS_PROG_TYPE_STRUCT_OPS);
		T_STREQ(sops_program__section_name(PROG("bar")), "?struct_ops/test_1");
		T_EQ(sops_program__type(PROG("sleepy")), SOPS_PROG_TYPE_STRUCT_OPS);
		T_EQ(sops_program__flags(PROG("sleepy")), SOPS_F_SLEEPABLE);
		T_ASSERT(!sops_program__autoload(PROG("sleepy")));
		T_ASSERT(!sops_map__autocreate(MAP("optional")));
		err = compat_load(&e, obj, log);
		if (err)
			T_FAIL("%s: load %d: %s", autoload_objs[c], err, log);
		T_ASSERT(sops_program__autoload(PROG("bar")) && sops_program__handle(PROG("bar")) >= 0);
		T_ASSERT(!sops_program__autoload(PROG("foo")) && sops_program__handle(PROG("foo")) < 0);
		/* test_2 is bound only by a map that is not created; test_3 by nothing */
		T_ASSERT(!sops_program__autoload(PROG("test_2")) && sops_program__handle(PROG("test_2")) < 0);
		T_ASSERT(!sops_program__autoload(PROG("test_3")) && sops_program__handle(PROG("test_3")) < 0);
		T_ASSERT(sops_program__handle(PROG("sleepy")) < 0);
		T_EQ(sops_map__attach_struct_ops(MAP("testmod_1"), &l), 0);
		/* the module's reg() calls test_1 */
		T_EQ(bss_int(&e, obj, 0), 24);
		sops_link__destroy(l);
		sops_object__close(obj);
		env_fini(&e);
	}
}

/* The object API decides before load: rebinding the slot moves autoload from bar to foo. */
TEST(st_compat_qmark_rebind_before_load)
{
	for (int c = 0; c < 2; c++) {
		struct sops_object *obj = NULL;
		struct sops_link *l = NULL;
		struct sops_program **slot;
		struct compat_env e;
		char log[LOGSZ], why[PATH_MAX + 128];
		size_t sz = 0;
		int err;

		if (env_init(&e, why, sizeof(why))) {
			env_fini(&e);
			T_FAIL("%s", why);
		}
		T_EQ(compat_open(autoload_objs[c], &obj), 0);
		slot = sops_map__initial_value(MAP("testmod_1"), &sz);
		T_ASSERT(slot && sz >= sizeof(*slot) && slot[0] == PROG("bar"));
		slot[0] = PROG("foo"); /* test_1 is the first member */
		err = compat_load(&e, obj, log);
		if (err)
			T_FAIL("load %d: %s", err, log);
		T_ASSERT(sops_program__autoload(PROG("foo")) && sops_program__handle(PROG("foo")) >= 0);
		T_ASSERT(!sops_program__autoload(PROG("bar")) && sops_program__handle(PROG("bar")) < 0);
		T_EQ(sops_map__attach_struct_ops(MAP("testmod_1"), &l), 0);
		T_EQ(bss_int(&e, obj, 0), 42);
		sops_link__destroy(l);
		sops_object__close(obj);
		env_fini(&e);
	}
}

/* A "?" map turned on brings its "?" programs with it; reg() runs test_2(4, data). */
TEST(st_compat_qmark_map_autocreate_on)
{
	struct sops_object *obj = NULL;
	struct sops_link *l = NULL;
	struct compat_env e;
	char log[LOGSZ], why[PATH_MAX + 128];
	int err;

	if (env_init(&e, why, sizeof(why))) {
		env_fini(&e);
		T_FAIL("%s", why);
	}
	T_EQ(compat_open("st_autoload.v3.o", &obj), 0);
	T_EQ(sops_map__set_autocreate(MAP("optional"), true), 0);
	T_EQ(sops_map__set_autocreate(MAP("testmod_1"), false), 0);
	err = compat_load(&e, obj, log);
	if (err)
		T_FAIL("load %d: %s", err, log);
	T_ASSERT(sops_program__handle(PROG("bar")) >= 0 && sops_program__handle(PROG("test_2")) >= 0);
	T_ASSERT(sops_program__handle(PROG("test_3")) < 0);
	T_ASSERT(sops_map__handle(MAP("testmod_1")) < 0);
	T_EQ(sops_map__attach_struct_ops(MAP("optional"), &l), 0);
	T_EQ(bss_int(&e, obj, 0), 24);
	T_EQ(bss_int(&e, obj, 1), 4 + 7);
	sops_link__destroy(l);
	sops_object__close(obj);
	env_fini(&e);
}

/* Turning on a "?" program no map binds fails load with libbpf's message. */
TEST(st_compat_qmark_unreferenced_on_fails)
{
	struct sops_object *obj = NULL;
	struct compat_env e;
	char log[LOGSZ], why[PATH_MAX + 128];
	int err;

	if (env_init(&e, why, sizeof(why))) {
		env_fini(&e);
		T_FAIL("%s", why);
	}
	T_EQ(compat_open("st_autoload.v4.o", &obj), 0);
	T_EQ(sops_program__set_autoload(PROG("test_3"), true), 0);
	err = compat_load(&e, obj, log);
	T_EQ(err, -EINVAL);
	if (!strstr(log, "prog 'test_3': SEC(\"struct_ops\") program isn't referenced anywhere"))
		T_FAIL("log: %s", log);
	/* a failed load cannot be retried, as in libbpf */
	T_EQ(sops_program__set_autoload(PROG("test_3"), false), -EBUSY);
	sops_object__close(obj);
	env_fini(&e);
}

/* A struct_ops program sees the host's CONFIG_HZ (or structops' default) through the module. */
TEST(st_compat_kconfig_struct_ops)
{
	static const struct {
		const char *text;
		int hz_10, feature;
	} runs[] = {
		{ NULL, 100, 0 },                                    /* CONFIG_HZ=1000 default, weak one 0 */
		{ "CONFIG_HZ=250\nCONFIG_ST_FEATURE=m\n", 25, 2 }, /* TRI_MODULE */
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct sops_object *obj = NULL;
		struct sops_link *l = NULL;
		struct compat_env e;
		char log[LOGSZ], why[PATH_MAX + 128];
		int err;

		if (env_init(&e, why, sizeof(why))) {
			env_fini(&e);
			T_FAIL("%s", why);
		}
		T_EQ(compat_open_kconfig(i ? "st_kconfig.v4.o" : "st_kconfig.v3.o", runs[i].text, &obj), 0);
		err = compat_load(&e, obj, log);
		if (err)
			T_FAIL("load %d: %s", err, log);
		T_EQ(sops_map__attach_struct_ops(MAP("kc_ops"), &l), 0);
		/* the module's reg() calls test_1 */
		T_EQ(bss_int(&e, obj, 0), runs[i].hz_10);
		T_EQ(bss_int(&e, obj, 1), 1);
		T_EQ(bss_int(&e, obj, 2), runs[i].feature);
		sops_link__destroy(l);
		sops_object__close(obj);
		env_fini(&e);
	}
}
