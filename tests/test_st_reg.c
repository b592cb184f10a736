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
