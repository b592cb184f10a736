/* SPDX-License-Identifier: MIT */
/*
 * test_st_reg.c - type registration (spec 2.10), errno by errno, against BTF
 * built in memory; value types synthesized or taken from the BTF.
 */
#include <errno.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include "test.h"
#include "test_st_util.h"

static int fail_init(const struct btf *btf)
{
	(void)btf;
	return 1;
}

static int bad_stub(int a, long b)
{
	(void)a;
	(void)b;
	return 0;
}

/* A runtime on @btf; returns it or NULL. */
static struct sops_runtime *rt_on(struct btf *btf)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .host_btf = btf };
	struct sops_runtime *rt = NULL;

	sops_runtime__new(&ro, &rt);
	return rt;
}

TEST(st_reg_errnos)
{
	struct sops_struct_ops ops, ops_b;
	struct tst_host host = { 0 };
	struct sops_runtime *rt;
	struct tst_ops stubs;
	uint32_t tid, vid;
	int ops_id, ops2_id;
	struct btf *btf;
	char longname[140];

	/* no host BTF */
	T_EQ(sops_runtime__new(NULL, &rt), 0);
	st_fix_ops(&ops, &host);
	T_EQ(sops_runtime__register_struct_ops(rt, &ops, NULL), -ENOENT);
	T_EQ(sops_runtime__host_btf_fd(rt), -ENOENT);
	sops_runtime__free(rt);

	btf = st_fix_btf(&ops_id, &ops2_id);
	rt = rt_on(btf);
	T_ASSERT(rt);
	T_EQ(sops_runtime__register_struct_ops(rt, NULL, NULL), -EINVAL);
	/* name too long, no stubs, no struct of that name */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ops.name = longname;
	T_EQ(sops_runtime__register_struct_ops(rt, &ops, NULL), -EINVAL);
	ops.name = "tst_ops";
	ops.cfi_stubs = NULL;
	T_EQ(sops_runtime__register_struct_ops(rt, &ops, NULL), -EINVAL);
	st_fix_ops(&ops, &host);
	ops.name = "no_such_ops";
	T_EQ(sops_runtime__register_struct_ops(rt, &ops, NULL), -EINVAL);
	/* init failing -> EINVAL */
	st_fix_ops(&ops, &host);
	ops.init = fail_init;
	T_EQ(sops_runtime__register_struct_ops(rt, &ops, NULL), -EINVAL);
	/* a BTF that is not the owner's */
	st_fix_ops(&ops, &host);
	{
		struct btf *other = btf__new_empty();

		T_EQ(sops_runtime__register_struct_ops(rt, &ops, other), -EINVAL);
		btf__free(other);
	}
	/* the owner's BTF named explicitly is fine */
	T_EQ(sops_runtime__register_struct_ops(rt, &ops, btf), 0);
	T_EQ(sops_runtime__register_struct_ops(rt, &ops, NULL), -EEXIST);
	/* a second st_ops of the same name registers too (duplicates are not detected) */
	ops_b = ops;
	T_EQ(sops_runtime__register_struct_ops(rt, &ops_b, NULL), 0);
	T_EQ(sops_runtime__find_struct_ops(rt, "tst_ops", &tid, &vid, NULL), 0);
	T_EQ(tid, ops_id);
	/* the synthesized value type is in the host's BTF object */
	{
		int fd = sops_runtime__host_btf_fd(rt);
		struct sops_bpf_btf_info bi;
		uint32_t blen = sizeof(bi);
		char name[16];

		T_ASSERT(fd > 0);
		memset(&bi, 0, sizeof(bi));
		bi.name = (uint64_t)(uintptr_t)name;
		bi.name_len = sizeof(name);
		T_EQ(sops_obj_get_info_by_fd(rt, fd, &bi, &blen), 0);
		T_STREQ(name, "vmlinux");
		sops_close(rt, fd);
	}
	T_EQ(sops_runtime__find_struct_ops(rt, "nope", NULL, NULL, NULL), -ENOENT);
	sops_runtime__free(rt);

	/* stubs without BTF FUNCs: ENOENT; argument count mismatch: EINVAL */
	{
		struct btf *b = btf__new_empty();
		int i32, fp0, fp1, p0;

		i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
		fp0 = btf__add_func_proto(b, i32);
		fp1 = btf__add_func_proto(b, i32);
		btf__add_func_param(b, "x", i32);
		p0 = btf__add_ptr(b, fp0);
		btf__add_struct(b, "one_ops", 8);
		btf__add_field(b, "f", p0, 0, 0);
		rt = rt_on(b);
		memset(&stubs, 0, sizeof(stubs)); /* only bytes 0..7 matter: one_ops.f */
		memcpy(&stubs, &(void *){ (void *)bad_stub }, sizeof(void *));
		st_fix_ops(&ops, &host);
		ops.name = "one_ops";
		ops.cfi_stubs = &stubs;
		T_EQ(sops_runtime__register_struct_ops(rt, &ops, NULL), -ENOENT);
		sops_runtime__free(rt);
		/* now a FUNC by the naming convention, with one parameter too many */
		btf__add_func(b, "one_ops__f", BTF_FUNC_GLOBAL, fp1);
		rt = rt_on(b);
		T_EQ(sops_runtime__register_struct_ops(rt, &ops, NULL), -EINVAL);
		sops_runtime__free(rt);
		btf__free(b);
	}
	/* a value type in the BTF with the wrong shape: EINVAL; bitfield member: EOPNOTSUPP */
	{
		struct btf *b = btf__new_empty();
		int i32, fp0, p0, ops_t;

		i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
		fp0 = btf__add_func_proto(b, i32);
		p0 = btf__add_ptr(b, fp0);
		ops_t = btf__add_struct(b, "two_ops", 8);
		btf__add_field(b, "f", p0, 0, 0);
		btf__add_struct(b, "bpf_struct_ops_two_ops", 72);
		btf__add_field(b, "data", ops_t, 0, 0); /* no common header */
		btf__add_func(b, "two_ops__f", BTF_FUNC_GLOBAL, fp0);
		btf__add_struct(b, "bits_ops", 8);
		btf__add_field(b, "a", i32, 0, 3);
		btf__add_field(b, "f", p0, 0, 0);
		rt = rt_on(b);
		memset(&stubs, 0, sizeof(stubs));
		memcpy(&stubs, &(void *){ (void *)bad_stub }, sizeof(void *));
		st_fix_ops(&ops, &host);
		ops.name = "two_ops";
		ops.cfi_stubs = &stubs;
		T_EQ(sops_runtime__register_struct_ops(rt, &ops, NULL), -EINVAL);
		ops.name = "bits_ops";
		T_EQ(sops_runtime__register_struct_ops(rt, &ops, NULL), -EOPNOTSUPP);
		sops_runtime__free(rt);
		btf__free(b);
	}
	btf__free(btf);
}

/* Register @ops through the opts API; the errno, with the message in @log. */
static int reg_log(struct sops_runtime *rt, const struct sops_struct_ops *ops, const struct btf *btf,
		   char *log, size_t size)
{
	struct sops_struct_ops_reg_opts o = { .sz = sizeof(o), .btf = btf, .log_buf = log, .log_size = size };

	log[0] = '\0';
	return sops_runtime__register_struct_ops_opts(rt, ops, &o);
}

#define T_LOG(log, want)                                                                           \
	do {                                                                                       \
		if (!strstr((log), (want)))                                                        \
			T_FAIL("message \"%s\" lacks \"%s\"", (log), (want));                      \
	} while (0)

/* One ops struct `<name>` { int (*f)(struct tst_state *<param>) } with its stub FUNC <name>__f. */
static struct btf *one_member_btf(const char *name, const char *param, bool ptr_param)
{
	struct btf *b = btf__new_empty();
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int st = btf__add_struct(b, "tst_state", 4), pst, mp, sp, pmp;
	char fn[64];

	btf__add_field(b, "val", i32, 0, 0);
	pst = btf__add_ptr(b, st);
	mp = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "s", pst);
	sp = btf__add_func_proto(b, i32);
	btf__add_func_param(b, param, ptr_param ? pst : i32);
	pmp = btf__add_ptr(b, mp); /* before the struct: adding a type ends its member list */
	btf__add_struct(b, name, 8);
	btf__add_field(b, "f", pmp, 0, 0);
	snprintf(fn, sizeof(fn), "%s__f", name);
	btf__add_func(b, fn, BTF_FUNC_GLOBAL, sp);
	return b;
}

TEST(st_reg_messages)
{
	struct sops_struct_ops ops;
	struct tst_host host = { 0 };
	struct sops_runtime *rt;
	struct tst_ops stubs;
	char log[512], longname[140];
	int ops_id, ops2_id;
	struct btf *btf, *b;

	T_EQ(sops_runtime__new(NULL, &rt), 0);
	st_fix_ops(&ops, &host);
	T_EQ(reg_log(rt, &ops, NULL, log, sizeof(log)), -ENOENT);
	T_LOG(log, "struct_ops tst_ops: the runtime has no host BTF");
	sops_runtime__free(rt);

	btf = st_fix_btf(&ops_id, &ops2_id);
	rt = rt_on(btf);
	T_ASSERT(rt);
	T_EQ(reg_log(rt, NULL, NULL, log, sizeof(log)), -EINVAL);
	T_LOG(log, "invalid arguments");
	{
		struct { struct sops_struct_ops_reg_opts o; long future; } big = { { .sz = sizeof(big) }, 1 };

		T_EQ(sops_runtime__register_struct_ops_opts(rt, &ops, &big.o), -EINVAL);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ops.name = longname;
	T_EQ(reg_log(rt, &ops, NULL, log, sizeof(log)), -EINVAL);
	T_LOG(log, "name is too long");
	st_fix_ops(&ops, &host);
	ops.cfi_stubs = NULL;
	T_EQ(reg_log(rt, &ops, NULL, log, sizeof(log)), -EINVAL);
	T_LOG(log, "struct_ops tst_ops: no cfi_stubs");
	st_fix_ops(&ops, &host);
	ops.name = "no_such_ops";
	T_EQ(reg_log(rt, &ops, NULL, log, sizeof(log)), -EINVAL);
	T_LOG(log, "struct_ops no_such_ops: no struct no_such_ops in the host's BTF");
	st_fix_ops(&ops, &host);
	ops.init = fail_init;
	T_EQ(reg_log(rt, &ops, NULL, log, sizeof(log)), -EINVAL);
	T_LOG(log, "struct_ops tst_ops: init() failed");
	st_fix_ops(&ops, &host);
	b = btf__new_empty();
	T_EQ(reg_log(rt, &ops, b, log, sizeof(log)), -EINVAL);
	T_LOG(log, "btf is not the host's BTF");
	btf__free(b);
	T_EQ(reg_log(rt, &ops, NULL, log, sizeof(log)), 0);
	T_EQ(log[0], 0);
	T_EQ(reg_log(rt, &ops, NULL, log, sizeof(log)), -EEXIST);
	T_LOG(log, "struct_ops tst_ops: already registered");
	sops_runtime__free(rt);
	btf__free(btf);

	/* The stub: missing, wrong arity, unknown suffix, an annotation on a non-pointer. */
	memset(&stubs, 0, sizeof(stubs));
	memcpy(&stubs, &(void *){ (void *)bad_stub }, sizeof(void *));
	st_fix_ops(&ops, &host);
	ops.cfi_stubs = &stubs;
	{
		static const struct {
			const char *name, *param;
			bool ptr;
			int err;
			const char *want;
		} cases[] = {
			{ "m_ok", "s__nullable", true, 0, "" },
			{ "m_ref", "s__ref", true, 0, "" },
			{ "m_arena", "s__arena__nullable", true, -EINVAL,
			  "struct_ops m_arena: member 'f': stub 'm_arena__f' parameter 0 's__arena__nullable': "
			  "unknown annotation suffix '__arena__nullable' (known: __nullable, __ref)" },
			{ "m_typo", "s__nulable", true, -EINVAL, "unknown annotation suffix '__nulable'" },
			{ "m_int", "s__nullable", false, -EINVAL,
			  "member 'f': stub 'm_int__f' parameter 0 's__nullable': __nullable needs a pointer "
			  "to the struct" },
			{ "m_plain", "__s", true, 0, "" }, /* leading underscores are the name's */
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			b = one_member_btf(cases[i].name, cases[i].param, cases[i].ptr);
			rt = rt_on(b);
			T_ASSERT(rt);
			ops.name = cases[i].name;
			if (reg_log(rt, &ops, NULL, log, sizeof(log)) != cases[i].err)
				T_FAIL("case %s: \"%s\"", cases[i].name, log);
			T_LOG(log, cases[i].want);
			sops_runtime__free(rt);
			btf__free(b);
		}
	}
	/* No stub FUNC: ENOENT naming the member and the name looked for; arity differs: EINVAL. */
	{
		int i32, fp0, fp1, p0;

		b = btf__new_empty();
		i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
		fp0 = btf__add_func_proto(b, i32);
		fp1 = btf__add_func_proto(b, i32);
		btf__add_func_param(b, "x", i32);
		p0 = btf__add_ptr(b, fp0);
		btf__add_struct(b, "one_ops", 8);
		btf__add_field(b, "f", p0, 0, 0);
		rt = rt_on(b);
		ops.name = "one_ops";
		T_EQ(reg_log(rt, &ops, NULL, log, sizeof(log)), -ENOENT);
		T_LOG(log, "struct_ops one_ops: member 'f': no BTF FUNC for its stub (looked for 'one_ops__f')");
		sops_runtime__free(rt);
		btf__add_func(b, "one_ops__f", BTF_FUNC_GLOBAL, fp1);
		rt = rt_on(b);
		T_EQ(reg_log(rt, &ops, NULL, log, sizeof(log)), -EINVAL);
		T_LOG(log, "member 'f': stub 'one_ops__f' has 1 parameters, the member 0");
		sops_runtime__free(rt);
		btf__free(b);
	}
	/* Value type of the wrong shape; a bitfield member. */
	{
		int i32, p0, ops_t, fp0;

		b = btf__new_empty();
		i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
		fp0 = btf__add_func_proto(b, i32);
		p0 = btf__add_ptr(b, fp0);
		ops_t = btf__add_struct(b, "two_ops", 8);
		btf__add_field(b, "f", p0, 0, 0);
		btf__add_struct(b, "bpf_struct_ops_two_ops", 72);
		btf__add_field(b, "data", ops_t, 0, 0);
		btf__add_func(b, "two_ops__f", BTF_FUNC_GLOBAL, fp0);
		btf__add_struct(b, "bits_ops", 8);
		btf__add_field(b, "a", i32, 0, 3);
		btf__add_field(b, "f", p0, 0, 0);
		rt = rt_on(b);
		ops.name = "two_ops";
		T_EQ(reg_log(rt, &ops, NULL, log, sizeof(log)), -EINVAL);
		T_LOG(log, "struct_ops two_ops: value type is not a struct of 2 members");
		ops.name = "bits_ops";
		T_EQ(reg_log(rt, &ops, NULL, log, sizeof(log)), -EOPNOTSUPP);
		T_LOG(log, "struct_ops bits_ops: member 'a': is a bitfield");
		sops_runtime__free(rt);
		btf__free(b);
	}
}

static uint64_t kf_any(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)b, (void)c, (void)d, (void)e;
	return a;
}

TEST(st_reg_kfunc_messages)
{
	int ops_id, ops2_id;
	struct btf *btf = st_fix_btf(&ops_id, &ops2_id);
	struct sops_runtime *rt = rt_on(btf);
	char log[256] = "";
	struct sops_kfunc_desc d = { .sz = sizeof(d), .name = "kf_a", .fn = kf_any, .btf_id = 1,
				     .log_buf = log, .log_size = sizeof(log) };

	T_ASSERT(rt);
	d.fn = NULL;
	T_EQ(sops_runtime__register_kfunc(rt, &d), -EINVAL);
	T_LOG(log, "kfunc kf_a: no function (fn)");
	d.fn = kf_any;
	d.btf_id = 0;
	log[0] = '\0';
	T_EQ(sops_runtime__register_kfunc(rt, &d), -EINVAL);
	T_LOG(log, "kfunc kf_a: no btf_id");
	d.btf_id = 1;
	d.btf_fd = 999;
	log[0] = '\0';
	T_EQ(sops_runtime__register_kfunc(rt, &d), -EINVAL);
	T_LOG(log, "kfunc kf_a: btf_fd 999 is not a BTF handle");
	d.btf_fd = 0;
	log[0] = '\0';
	T_EQ(sops_runtime__register_kfunc(rt, &d), 0);
	T_EQ(log[0], 0);
	d.name = "kf_b";
	T_EQ(sops_runtime__register_kfunc(rt, &d), -EEXIST);
	T_LOG(log, "kfunc kf_b: BTF id 1 of that BTF is already registered (as kf_a)");
	d.name = NULL;
	log[0] = '\0';
	T_EQ(sops_runtime__register_kfunc(rt, &d), -EINVAL);
	T_LOG(log, "kfunc: no name");
	sops_runtime__free(rt);
	btf__free(btf);
}
