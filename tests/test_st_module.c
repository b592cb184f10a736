/* SPDX-License-Identifier: MIT */
/*
 * test_st_module.c - modules: a real shared object (tests/st_mod/st_mod.so)
 * loaded with dlopen, registering a struct_ops type against its own
 * (standalone) BTF; maps of its type take BPF_F_VTYPE_BTF_OBJ_FD and pin it
 * (unload -> EBUSY), programs name its BTF with attach_btf_obj_fd; after
 * unload the type is gone.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <linux/btf.h>
#include <structops/asm.h>
#include <structops/struct_ops.h>

#include "test.h"

struct st_mod_ctx {
	void *_Atomic cur;
	int inits, exits;
};

struct mod_ops {
	int (*op)(int x);
};

static int mod_path(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	snprintf(buf, size, "%s/st_mod/st_mod.so", dirname(exe));
	return access(buf, R_OK);
}

/* The module's BTF, standalone, written to a temporary file. */
static int write_mod_btf(char *path, size_t size)
{
	struct btf *b = btf__new_empty();
	int i32, fp, p, fd, err = 0;
	const void *raw;
	uint32_t len;

	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	fp = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "x", i32);
	p = btf__add_ptr(b, fp);
	btf__add_struct(b, "mod_ops", 8);
	btf__add_field(b, "op", p, 0, 0);
	btf__add_func(b, "mod_ops__op", BTF_FUNC_GLOBAL, fp);
	raw = btf__raw_data(b, &len);
	snprintf(path, size, "/tmp/st_mod_btf.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, raw, len) != (ssize_t)len)
		err = -1;
	if (fd >= 0)
		close(fd);
	btf__free(b);
	return err;
}

static int load_op(struct sops_runtime *rt, uint32_t type_id, int btf_fd)
{
	struct sops_prog_load_opts o = { .sz = sizeof(o), .attach_btf_id = type_id,
					 .attach_btf_obj_fd = (uint32_t)btf_fd };
	struct sops_insn *insns;
	size_t cnt;
	int fd;

	if (sops_asm__parse("ldxdw %r0, [%r1+0]\nmul %r0, 2\nexit", &insns, &cnt, NULL, 0))
		return -EINVAL;
	fd = sops_prog_load(rt, SOPS_BPF_PROG_TYPE_STRUCT_OPS, "op", "GPL", insns, cnt, &o);
	free(insns);
	return fd;
}

TEST(st_module_load_pin_unload)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro) };
	struct st_mod_ctx ctx = { 0 };
	struct sops_module_load_opts mo = { .sz = sizeof(mo), .btf_standalone = true, .ctx = &ctx };
	struct sops_map_create_opts co;
	struct sops_module *mod, *mod2, *found;
	char so[PATH_MAX], btf_path[64];
	struct sops_runtime *rt;
	uint32_t type_id, value_id;
	int mbtf, ubtf, map, prog, link;
	uint8_t v[128];

	if (mod_path(so, sizeof(so)))
		T_SKIP("%s not built", so);
	T_EQ(write_mod_btf(btf_path, sizeof(btf_path)), 0);
	mo.btf_path = btf_path;
	T_EQ(sops_runtime__new(&ro, &rt), 0);
	T_EQ(sops_runtime__load_module(rt, "/nonexistent/x.so", &mo, &mod), -ENOENT);
	T_EQ(sops_runtime__load_module(rt, so, &mo, &mod), 0);
	T_EQ(ctx.inits, 1);
	T_STREQ(sops_module__name(mod), "st_mod");
	T_EQ(sops_runtime__load_module(rt, so, &mo, &mod2), -EEXIST);
	T_EQ(sops_runtime__find_struct_ops(rt, "mod_ops", &type_id, &value_id, &found), 0);
	T_ASSERT(found == mod);
	mbtf = sops_module__btf_fd(mod);
	{
		const void *raw;
		uint32_t len;

		raw = btf__raw_data(sops_module__btf(mod), &len);
		ubtf = sops_btf_load(rt, raw, len, NULL, 0);
	}
	T_ASSERT(mbtf > 0 && ubtf > 0);
	{
		struct sops_bpf_btf_info bi;
		uint32_t blen = sizeof(bi);
		char name[32];

		memset(&bi, 0, sizeof(bi));
		bi.name = (uint64_t)(uintptr_t)name;
		bi.name_len = sizeof(name);
		T_EQ(sops_obj_get_info_by_fd(rt, mbtf, &bi, &blen), 0);
		T_STREQ(name, "st_mod");
		T_EQ(bi.kernel_btf, 1);
	}
	/* a module type without BPF_F_VTYPE_BTF_OBJ_FD: 524 (looked up in the host's BTF) */
	co = (struct sops_map_create_opts){ .sz = sizeof(co), .btf_fd = (uint32_t)ubtf,
					    .btf_vmlinux_value_type_id = value_id };
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "m", 4, 128, 1, &co), -SOPS_ENOTSUPP);
	co.map_flags = SOPS_BPF_F_VTYPE_BTF_OBJ_FD | SOPS_BPF_F_LINK;
	co.value_type_btf_obj_fd = ubtf; /* a user BTF */
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "m", 4, 128, 1, &co), -EINVAL);
	co.value_type_btf_obj_fd = mbtf;
	map = sops_map_create(rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "m", 4, 128, 1, &co);
	T_ASSERT(map > 0);
	T_EQ(sops_module__refcnt(mod), 1);
	T_EQ(sops_runtime__unload_module(rt, mod), -EBUSY);
	/* programs: the module's BTF named, else the type id means nothing in the host's */
	T_EQ(load_op(rt, type_id, 0), -EINVAL); /* no host BTF at all */
	prog = load_op(rt, type_id, mbtf);
	T_ASSERT(prog > 0);
	memset(v, 0, sizeof(v));
	memcpy(v + 64, &(uint64_t){ (uint64_t)prog }, 8);
	T_EQ(sops_map_update_elem(rt, map, &(uint32_t){ 0 }, v, 0), 0);
	link = sops_link_create(rt, map, 0, SOPS_BPF_STRUCT_OPS, NULL);
	T_ASSERT(link > 0);
	sops_rcu_read_lock();
	T_EQ(((struct mod_ops *)atomic_load(&ctx.cur))->op(21), 42);
	sops_rcu_read_unlock();
	{
		struct sops_bpf_map_info info;
		struct sops_bpf_btf_info bi;
		uint32_t len = sizeof(info), blen = sizeof(bi);

		memset(&info, 0, sizeof(info));
		memset(&bi, 0, sizeof(bi));
		T_EQ(sops_map_get_info_by_fd(rt, map, &info, &len), 0);
		T_EQ(sops_obj_get_info_by_fd(rt, mbtf, &bi, &blen), 0);
		T_EQ(info.btf_vmlinux_id, bi.id);
	}
	sops_close(rt, link);
	sops_close(rt, prog);
	T_EQ(sops_runtime__unload_module(rt, mod), -EBUSY);
	sops_close(rt, map);
	T_EQ(sops_runtime__live_objects(rt, SOPS_OBJ_MAP), 0);
	T_EQ(sops_runtime__unload_module(rt, mod), 0);
	T_EQ(ctx.exits, 1);
	/* the type went with the module */
	T_EQ(sops_runtime__find_struct_ops(rt, "mod_ops", NULL, NULL, NULL), -ENOENT);
	co.value_type_btf_obj_fd = mbtf;
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "m", 4, 128, 1, &co), -EINVAL);
	T_EQ(load_op(rt, type_id, mbtf), -SOPS_ENOTSUPP);
	/* and can come back */
	T_EQ(sops_runtime__load_module(rt, so, &mo, &mod), 0);
	T_EQ(ctx.inits, 2);
	sops_close(rt, mbtf);
	sops_close(rt, ubtf);
	sops_runtime__free(rt); /* unloads it */
	T_EQ(ctx.exits, 2);
	unlink(btf_path);
}

/* Write BTF without struct mod_ops (standalone) to a temporary file. */
static int write_empty_btf(char *path, size_t size)
{
	struct btf *b = btf__new_empty();
	const void *raw;
	uint32_t len;
	int fd, err = 0;

	btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	raw = btf__raw_data(b, &len);
	snprintf(path, size, "/tmp/st_mod_nobtf.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, raw, len) != (ssize_t)len)
		err = -1;
	if (fd >= 0)
		close(fd);
	btf__free(b);
	return err;
}

/* Module loads that fail say why, down to the registration init made. */
TEST(st_module_load_messages)
{
	char so[PATH_MAX], empty[64], good[64], log[512];
	struct st_mod_ctx ctx = { 0 };
	struct sops_module_load_opts mo = { .sz = sizeof(mo), .btf_standalone = true, .ctx = &ctx,
					    .log_buf = log, .log_size = sizeof(log) };
	struct sops_runtime *rt;
	struct sops_module *mod = NULL;

	if (mod_path(so, sizeof(so)))
		T_SKIP("st_mod.so not built");
	T_EQ(write_empty_btf(empty, sizeof(empty)), 0);
	T_EQ(write_mod_btf(good, sizeof(good)), 0);
	T_EQ(sops_runtime__new(NULL, &rt), 0);
	/* The module's registration fails in its init: the load's log has the registration's message. */
	mo.btf_path = empty;
	T_EQ(sops_runtime__load_module(rt, so, &mo, &mod), -EINVAL);
	if (!strstr(log, "module st_mod: struct_ops mod_ops: no struct mod_ops in the module's BTF"))
		T_FAIL("message: %s", log);
	T_EQ(ctx.inits, 1);
	/* Not a shared object: dlopen's reason. */
	log[0] = '\0';
	mo.btf_path = good;
	T_EQ(sops_runtime__load_module(rt, good, &mo, &mod), -EINVAL);
	if (!strstr(log, "dlopen: "))
		T_FAIL("message: %s", log);
	/* No file; no usable BTF. */
	log[0] = '\0';
	T_EQ(sops_runtime__load_module(rt, "/nonexistent/m.so", &mo, &mod), -ENOENT);
	if (!strstr(log, "module /nonexistent/m.so: No such file"))
		T_FAIL("message: %s", log);
	log[0] = '\0';
	mo.btf_path = so; /* st_mod.so has no .BTF */
	T_ASSERT(sops_runtime__load_module(rt, so, &mo, &mod) < 0);
	if (!strstr(log, "module st_mod: ") || !strstr(log, "no usable standalone BTF"))
		T_FAIL("message: %s", log);
	/* And a good load leaves the log alone. */
	log[0] = '\0';
	mo.btf_path = good;
	T_EQ(sops_runtime__load_module(rt, so, &mo, &mod), 0);
	T_EQ(log[0], 0);
	T_EQ(sops_runtime__unload_module(rt, mod), 0);
	sops_runtime__free(rt);
	unlink(empty);
	unlink(good);
}
