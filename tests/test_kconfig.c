/* SPDX-License-Identifier: MIT */
/*
 * test_kconfig.c - __kconfig externs (src/loader/kconfig.c) on clang-built
 * objects in the style of the kernel's test_core_extern (tests/bpf/kconfig*.bpf.c):
 * the .kconfig map and its layout, values from sops_object_open_opts.kconfig
 * with libbpf's parsing rules, structops' defaults, weak externs reading 0,
 * a strong one nobody gives failing load by name, and every refusal of a
 * line or value with its errno and message. Programs run on the JIT with the
 * strict verifier, so the verifier accepts reads of the frozen read-only map.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/btf.h>

#include <structops/bpf.h>
#include <structops/btf.h>
#include <structops/object.h>
#include <structops/runtime.h>

#include "test.h"

/* tests/bpf/kconfig.bpf.c's struct kconfig_out */
struct kconfig_out {
	uint64_t kern_ver, has_cookie, unknown_virtual, hz, bool_val, tristate_val, char_val,
		ushort_val;
	int64_t int_val, schar_val;
	uint64_t ulong_val;
	char str_val[8];
	uint64_t missing_val;
};

static int kc_open(const char *file, const char *kconfig, struct sops_object **obj, char *log,
		   size_t log_size)
{
	struct sops_object_open_opts o = { .sz = sizeof(o), .log_buf = log, .log_size = log_size,
					   .kconfig = kconfig };
	char dir[PATH_MAX], path[PATH_MAX + 64];

	test_exe_path(dir, sizeof(dir), "bpf");
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	log[0] = 0;
	return sops_object__open_file(path, &o, obj);
}

static struct sops_runtime *kc_runtime(void)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = true, .verifier_strict = true };
	struct sops_runtime *rt = NULL;

	return sops_runtime__new(&ro, &rt) ? NULL : rt;
}

static int kc_load(struct sops_object *obj, struct sops_runtime *rt, char *log, size_t log_size)
{
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = log_size,
					    .runtime = rt };

	log[0] = 0;
	return sops_object__load(obj, &lo);
}

static struct sops_map *map_of_kind(struct sops_object *obj, enum sops_map_kind kind)
{
	struct sops_map *m = NULL;

	while ((m = sops_object__next_map(obj, m)))
		if (sops_map__kind(m) == kind)
			return m;
	return NULL;
}

/*
 * Open kconfig.v3/v4.o with @kconfig, load it, run the program and read
 * what it saw. 0, or the open/load error with its message in @log.
 */
static int kc_run(int cpu, const char *kconfig, struct kconfig_out *out, char *log, size_t log_size)
{
	struct sops_runtime *rt = kc_runtime();
	struct sops_object *obj = NULL;
	uint64_t ret = 1;
	uint32_t zero = 0;
	int err;

	if (!rt)
		return -ENOMEM;
	err = kc_open(cpu == 3 ? "kconfig.v3.o" : "kconfig.v4.o", kconfig, &obj, log, log_size);
	if (!err)
		err = kc_load(obj, rt, log, log_size);
	if (!err)
		err = sops_prog_run(rt, sops_program__handle(sops_object__find_program_by_name(obj, "read_kconfig")),
				    NULL, 0, &ret);
	if (!err && ret)
		err = -EIO;
	if (!err)
		err = sops_map_lookup_elem(rt, sops_map__handle(map_of_kind(obj, SOPS_MAP_BSS)), &zero, out);
	sops_object__close(obj);
	sops_runtime__free(rt);
	return err;
}

static uint32_t uname_version(void)
{
	unsigned a = 0, b = 0, c = 0;
	struct utsname u;

	uname(&u);
	sscanf(u.release, "%u.%u.%u", &a, &b, &c);
	return (a << 16) + (b << 8) + (c > 255 ? 255 : c);
}

/* Open: the .kconfig map, libbpf's name and layout, read-only; no values before load. */
TEST(kconfig_open_map_layout)
{
	struct sops_object *obj = NULL;
	const struct btf_var_secinfo *vi;
	const struct btf_type *sec;
	const struct btf *btf;
	struct sops_map *m;
	char log[512];
	size_t sz = 0;
	int id;

	T_EQ(kc_open("kconfig.v3.o", NULL, &obj, log, sizeof(log)), 0);
	m = map_of_kind(obj, SOPS_MAP_KCONFIG);
	T_ASSERT(m);
	/* libbpf: 7 characters of the object name, then ".kconfig" */
	T_STREQ(sops_map__name(m), "kconfig.kconfig");
	T_EQ(sops_map__type(m), SOPS_MAP_TYPE_ARRAY);
	T_EQ(sops_map__map_flags(m), SOPS_BPF_F_RDONLY_PROG);
	T_EQ(sops_map__key_size(m), 4);
	T_EQ(sops_map__max_entries(m), 1);
	T_ASSERT(sops_map__initial_value(m, &sz) && sz == sops_map__value_size(m));
	/* the values come from load only */
	T_EQ(sops_map__set_initial_value(m, sops_map__initial_value(m, NULL), sz), -EINVAL);
	btf = sops_btf__libbpf(sops_object__btf(obj));
	id = btf__find_by_name_kind(btf, ".kconfig", BTF_KIND_DATASEC);
	T_ASSERT(id > 0 && (uint32_t)id == sops_map__btf_value_type_id(m));
	sec = btf__type_by_id(btf, id);
	T_EQ(sec->size, sops_map__value_size(m));
	T_EQ(btf_vlen(sec), 13);
	/* libbpf's order: by alignment (largest first), then size, then name */
	static const struct {
		const char *name;
		uint32_t off;
	} want[] = {
		{ "CONFIG_HZ", 0 }, { "CONFIG_MISSING", 8 }, { "CONFIG_ULONG", 16 },
		{ "CONFIG_INT", 24 }, { "CONFIG_TRISTATE", 28 }, { "LINUX_KERNEL_VERSION", 32 },
		{ "LINUX_UNKNOWN_VIRTUAL", 36 }, { "CONFIG_USHORT", 40 }, { "CONFIG_BOOL", 42 },
		{ "CONFIG_CHAR", 43 }, { "CONFIG_SCHAR", 44 }, { "LINUX_HAS_BPF_COOKIE", 45 },
		{ "CONFIG_STR", 46 },
	};
	T_EQ(sec->size, 54);
	vi = btf_var_secinfos(sec);
	for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		int i;

		for (i = 0; i < btf_vlen(sec); i++)
			if (!strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, vi[i].type)->name_off),
				    want[w].name))
				break;
		if (i == btf_vlen(sec))
			T_FAIL("%s not in .kconfig", want[w].name);
		const struct btf_type *v = btf__type_by_id(btf, vi[i].type);

		if (vi[i].offset != want[w].off)
			T_FAIL("%s at %u, expected %u", want[w].name, vi[i].offset, want[w].off);
		/* the runtime sees allocated variables, as libbpf rewrites them */
		T_EQ(btf_var(v)->linkage, BTF_VAR_GLOBAL_ALLOCATED);
		T_EQ(vi[i].size, btf__resolve_size(btf, v->type));
	}
	sops_object__close(obj);
}

/* No text: the defaults, the virtual externs, and 0 for every weak one. */
TEST(kconfig_defaults)
{
	for (int cpu = 3; cpu <= 4; cpu++) {
		struct kconfig_out out;
		char log[512];
		int err;

		memset(&out, 0xa5, sizeof(out));
		err = kc_run(cpu, NULL, &out, log, sizeof(log));
		if (err)
			T_FAIL("v%d: %d %s", cpu, err, log);
		T_EQ(out.kern_ver, uname_version());
		T_ASSERT(out.kern_ver > 0);
		T_EQ(out.has_cookie, 0);
		T_EQ(out.unknown_virtual, 0);
		T_EQ(out.hz, 1000);
		T_EQ(out.bool_val, 0);
		T_EQ(out.tristate_val, 0);
		T_EQ(out.char_val, 0);
		T_EQ(out.ushort_val, 0);
		T_EQ(out.int_val, 0);
		T_EQ(out.ulong_val, 0);
		T_EQ(out.missing_val, 0);
		T_EQ(out.str_val[0], 0);
	}
}

/* The host's text: every kind of value, comments and unknown names ignored, CONFIG_HZ overridden. */
TEST(kconfig_host_values)
{
	static const char text[] = "# a Kconfig fragment\n"
				   "CONFIG_HZ=250\n"
				   "CONFIG_BOOL=y\n"
				   "CONFIG_TRISTATE=m\n"
				   "CONFIG_CHAR=m\n"
				   "CONFIG_USHORT=0xffff\n"
				   "CONFIG_INT=-123\n"
				   "CONFIG_SCHAR=-128\n"
				   "CONFIG_ULONG=0777\n"
				   "CONFIG_STR=\"abcdefghij\"\n"
				   "\n"
				   "# CONFIG_MISSING is not set\n"
				   "CONFIG_NOT_IN_THE_OBJECT=whatever\n"
				   "CONFIG_INT=5\n"; /* the first value wins, as in libbpf */
	for (int cpu = 3; cpu <= 4; cpu++) {
		struct kconfig_out out;
		char log[512];
		int err = kc_run(cpu, text, &out, log, sizeof(log));

		if (err)
			T_FAIL("v%d: %d %s", cpu, err, log);
		T_EQ(out.hz, 250);
		T_EQ(out.bool_val, 1);
		T_EQ(out.tristate_val, 2); /* TRI_MODULE */
		T_EQ(out.char_val, 'm');
		T_EQ(out.ushort_val, 0xffff);
		T_EQ(out.int_val, -123);
		T_EQ(out.schar_val, -128);
		T_EQ(out.ulong_val, 0777);
		/* longer than the array: cut, NUL-terminated (libbpf's rule) */
		T_STREQ(out.str_val, "abcdefg");
		T_EQ(out.missing_val, 0);
		T_EQ(out.kern_ver, uname_version());
	}
	/* y for a tristate, n for a bool, a number for a char, no trailing newline */
	{
		struct kconfig_out out;
		char log[512];
		int err = kc_run(3, "CONFIG_TRISTATE=y\nCONFIG_BOOL=n\nCONFIG_CHAR=65\nCONFIG_STR=\"\"", &out,
				 log, sizeof(log));

		if (err)
			T_FAIL("%d %s", err, log);
		T_EQ(out.tristate_val, 1);
		T_EQ(out.bool_val, 0);
		T_EQ(out.char_val, 'A');
		T_EQ(out.str_val[0], 0);
	}
	/* the values are in the frozen map: user space cannot rewrite them */
	{
		struct sops_runtime *rt = kc_runtime();
		struct sops_object *obj = NULL;
		uint8_t val[256] = { 0 };
		uint32_t zero = 0;
		char log[512];

		T_ASSERT(rt);
		T_EQ(kc_open("kconfig.v4.o", "CONFIG_INT=7", &obj, log, sizeof(log)), 0);
		T_EQ(kc_load(obj, rt, log, sizeof(log)), 0);
		struct sops_map *m = map_of_kind(obj, SOPS_MAP_KCONFIG);

		T_ASSERT(m && sops_map__handle(m) >= 0 && sops_map__value_size(m) <= sizeof(val));
		T_EQ(sops_map_lookup_elem(rt, sops_map__handle(m), &zero, val), 0);
		T_ASSERT(!memcmp(val, sops_map__initial_value(m, NULL), sops_map__value_size(m)));
		T_ASSERT(sops_map_update_elem(rt, sops_map__handle(m), &zero, val, 0) < 0);
		sops_object__close(obj);
		sops_runtime__free(rt);
	}
}

/* Each bad line or value: load fails with libbpf's errno and a message naming the extern. */
TEST(kconfig_bad_values)
{
	static const struct {
		const char *text;
		int err;
		const char *msg;
	} cases[] = {
		{ "CONFIG_INT\n", -EINVAL, "kconfig: failed to parse 'CONFIG_INT': no separator" },
		{ "CONFIG_INT=\n", -EINVAL, "kconfig: failed to parse 'CONFIG_INT=': no value" },
		{ "CONFIG_BOOL=m", -EINVAL, "extern (kcfg) 'CONFIG_BOOL': value 'm' implies tristate or char type" },
		{ "CONFIG_INT=y", -EINVAL, "extern (kcfg) 'CONFIG_INT': value 'y' implies bool, tristate, or char type" },
		{ "CONFIG_INT=\"x\"", -EINVAL, "extern (kcfg) 'CONFIG_INT': value '\"x\"' implies char array type" },
		{ "CONFIG_STR=\"open", -EINVAL, "extern (kcfg) 'CONFIG_STR': invalid string config '\"open'" },
		{ "CONFIG_INT=12abc", -EINVAL, "extern (kcfg) 'CONFIG_INT': value '12abc' isn't a valid integer" },
		{ "CONFIG_ULONG=99999999999999999999", -ERANGE, "'CONFIG_ULONG': value '99999999999999999999' isn't a valid integer" },
		{ "CONFIG_TRISTATE=1", -EINVAL, "extern (kcfg) 'CONFIG_TRISTATE': value '1' implies integer type" },
		/* as libbpf: a bool takes y or n, not a number */
		{ "CONFIG_BOOL=1", -EINVAL, "extern (kcfg) 'CONFIG_BOOL': value '1' implies integer type" },
		{ "CONFIG_USHORT=65536", -ERANGE, "extern (kcfg) 'CONFIG_USHORT': value '65536' doesn't fit in 2 bytes" },
		{ "CONFIG_SCHAR=128", -ERANGE, "extern (kcfg) 'CONFIG_SCHAR': value '128' doesn't fit in 1 bytes" },
		{ "CONFIG_INT=0x80000000", -ERANGE, "extern (kcfg) 'CONFIG_INT': value '2147483648' doesn't fit in 4 bytes" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kconfig_out out;
		char log[512];
		int err = kc_run(3, cases[i].text, &out, log, sizeof(log));

		if (err != cases[i].err || !strstr(log, cases[i].msg))
			T_FAIL("'%s': %d '%s', expected %d '%s'", cases[i].text, err, log, cases[i].err,
			       cases[i].msg);
	}
	/* a line longer than the parser's buffer is refused, not cut */
	{
		size_t n = 5000;
		char *big = malloc(n + 1), log[512];
		struct kconfig_out out;
		int err;

		T_ASSERT(big);
		memset(big, 'x', n);
		memcpy(big, "CONFIG_STR=", 11);
		big[n] = 0;
		err = kc_run(3, big, &out, log, sizeof(log));
		free(big);
		if (err != -E2BIG || !strstr(log, "kconfig: a line of 5000 bytes is longer than 4095"))
			T_FAIL("%d '%s'", err, log);
	}
}

/* A strong extern structops has no value for fails load naming it; given one, it loads. */
TEST(kconfig_strong_missing)
{
	struct sops_runtime *rt = kc_runtime();
	struct sops_object *obj = NULL;
	char log[512];
	int err;

	T_ASSERT(rt);
	T_EQ(kc_open("kconfig_strong.v3.o", NULL, &obj, log, sizeof(log)), 0);
	err = kc_load(obj, rt, log, sizeof(log));
	T_EQ(err, -ESRCH);
	if (!strstr(log, "extern 'CONFIG_BPF_SYSCALL' (strong): not resolved"))
		T_FAIL("log: %s", log);
	sops_object__close(obj);
	/* the same object with the value given */
	T_EQ(kc_open("kconfig_strong.v4.o", "CONFIG_BPF_SYSCALL=y\n", &obj, log, sizeof(log)), 0);
	err = kc_load(obj, rt, log, sizeof(log));
	if (err)
		T_FAIL("load: %d %s", err, log);
	{
		uint64_t ret = 1;
		uint32_t zero = 0;
		uint8_t on = 0;

		T_EQ(sops_prog_run(rt, sops_program__handle(sops_object__find_program_by_name(obj, "read_strong")),
				   NULL, 0, &ret), 0);
		T_EQ(sops_map_lookup_elem(rt, sops_map__handle(map_of_kind(obj, SOPS_MAP_BSS)), &zero, &on), 0);
		T_EQ(on, 1);
	}
	sops_object__close(obj);
	/* the .kconfig map turned off: a program using it cannot load */
	T_EQ(kc_open("kconfig_strong.v3.o", "CONFIG_BPF_SYSCALL=n", &obj, log, sizeof(log)), 0);
	T_EQ(sops_map__set_autocreate(map_of_kind(obj, SOPS_MAP_KCONFIG), false), 0);
	err = kc_load(obj, rt, log, sizeof(log));
	T_EQ(err, -EINVAL);
	if (!strstr(log, "prog 'read_strong': BPF map 'kconfig.kconfig' is referenced but wasn't created"))
		T_FAIL("log: %s", log);
	sops_object__close(obj);
	sops_runtime__free(rt);
}

/* A strong LINUX_ extern libbpf does not know, and a type libbpf cannot fill. */
TEST(kconfig_unknown_virtual_and_type)
{
	struct sops_runtime *rt = kc_runtime();
	struct sops_object *obj = NULL;
	char log[512];
	int err;

	T_ASSERT(rt);
	/* the host's text cannot set LINUX_ externs (only CONFIG_ lines count) */
	T_EQ(kc_open("kconfig_virtual.v3.o", "LINUX_NO_SUCH_THING=1\n", &obj, log, sizeof(log)), 0);
	err = kc_load(obj, rt, log, sizeof(log));
	T_EQ(err, -EINVAL);
	if (!strstr(log, "extern (kcfg) 'LINUX_NO_SUCH_THING': unrecognized virtual extern"))
		T_FAIL("log: %s", log);
	sops_object__close(obj);
	obj = NULL;
	err = kc_open("kconfig_badtype.v3.o", NULL, &obj, log, sizeof(log));
	T_EQ(err, -EOPNOTSUPP);
	T_ASSERT(!obj);
	if (!strstr(log, "extern (kcfg) 'CONFIG_PAIR' type is unsupported"))
		T_FAIL("log: %s", log);
	sops_runtime__free(rt);
}

/* Without a runtime (index relocations): the lddw names the .kconfig map and the slot. */
TEST(kconfig_relocation_by_index)
{
	struct sops_object_load_opts lo = { .sz = sizeof(lo) };
	struct sops_object *obj = NULL;
	const struct sops_insn *in;
	struct sops_map *m;
	size_t n, found = 0;
	char log[512];

	T_EQ(kc_open("kconfig_strong.v3.o", "CONFIG_BPF_SYSCALL=y", &obj, log, sizeof(log)), 0);
	lo.log_buf = log;
	lo.log_size = sizeof(log);
	if (sops_object__load(obj, &lo))
		T_FAIL("load: %s", log);
	m = map_of_kind(obj, SOPS_MAP_KCONFIG);
	in = sops_program__insns(sops_object__find_program_by_name(obj, "read_strong"));
	n = sops_program__insn_cnt(sops_object__find_program_by_name(obj, "read_strong"));
	for (size_t i = 0; i + 1 < n; i++)
		if (in[i].code == 0x18 && in[i].src_reg == SOPS_LD_IMM64_MAP_IDX_VALUE &&
		    in[i].imm == sops_map__index(m) && in[i + 1].imm == 0)
			found++;
	T_EQ(found, 1);
	T_EQ(*(uint8_t *)sops_map__initial_value(m, NULL), 1);
	sops_object__close(obj);
}
