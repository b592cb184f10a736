/* SPDX-License-Identifier: MIT */
/*
 * test_skel.c - sops_map__mmaped(), what generated skeletons build on
 * (tests/st_bpf/st_skel.bpf.c): before load it is the initial image (the
 * host's writes there reach the map), after load the live map value, shared
 * with the program both ways; NULL for maps that are not global data and
 * for an object loaded through callbacks only. tests/tool_gen.sh covers the
 * generated header itself.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include <structops/bpf.h>
#include <structops/btf.h>
#include <structops/object.h>
#include <structops/runtime.h>
#include <structops/struct_ops.h>

#include "test.h"

/* Byte offset of variable @var in DATASEC @sec of @obj's BTF, or -1. */
static int var_off(struct sops_object *obj, const char *sec, const char *var)
{
	const struct btf *btf = sops_btf__libbpf(sops_object__btf(obj));
	int id = btf ? btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC) : -1;
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++) {
		const struct btf_var_secinfo *vi = &btf_var_secinfos(t)[i];

		if (!strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, vi->type)->name_off), var))
			return (int)vi->offset;
	}
	return -1;
}

static void test_file(char *buf, size_t n, const char *dir, const char *name)
{
	char d[PATH_MAX];

	test_exe_path(d, sizeof(d), dir);
	snprintf(buf, n, "%s/%s", d, name);
}

static struct sops_map *map_of_kind(struct sops_object *obj, enum sops_map_kind kind)
{
	for (struct sops_map *m = sops_object__next_map(obj, NULL); m; m = sops_object__next_map(obj, m))
		if (sops_map__kind(m) == kind)
			return m;
	return NULL;
}

static int run(struct sops_runtime *rt, struct sops_object *obj, uint32_t *retval)
{
	struct sops_test_run_opts o = { .sz = sizeof(o) };
	struct sops_program *p = sops_object__find_program_by_name(obj, "skel_run");
	int err = p ? sops_prog_test_run_opts(rt, sops_program__handle(p), &o) : -ENOENT;

	*retval = o.retval;
	return err;
}

TEST(skel_mmaped_shares_global_data)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro) };
	struct sops_runtime *rt = NULL;
	struct sops_object *obj = NULL;
	struct sops_map *bss, *data, *rodata;
	char *live;
	int *in_bss, *out_bss, in_off, out_off;
	char path[PATH_MAX + 64];
	int *pdata, *pro;
	size_t size = 0;
	uint32_t ret = 0;

	test_file(path, sizeof(path), "st", "st_skel.v3.o");
	T_EQ(sops_object__open_file(path, NULL, &obj), 0);
	bss = map_of_kind(obj, SOPS_MAP_BSS);
	data = map_of_kind(obj, SOPS_MAP_DATA);
	rodata = map_of_kind(obj, SOPS_MAP_RODATA);
	T_ASSERT(bss && data && rodata);
	in_off = var_off(obj, ".bss", "in_bss");
	out_off = var_off(obj, ".bss", "out_bss");
	T_ASSERT(in_off >= 0 && out_off >= 0);

	/* Before load: the initial image, the same bytes as sops_map__initial_value(). */
	pdata = sops_map__mmaped(data, &size);
	T_ASSERT(pdata == sops_map__initial_value(data, NULL));
	T_EQ(size, sizeof(int));
	T_EQ(*pdata, 5);
	pro = sops_map__mmaped(rodata, NULL);
	T_ASSERT(pro);
	T_EQ(*pro, 1);
	*pdata = 7; /* the host sets .data and .rodata before load */
	*pro = 3;

	T_EQ(sops_runtime__new(&ro, &rt), 0);
	T_EQ(sops_object__load_runtime(obj, rt, NULL), 0);

	/* After load: the live values, which the program uses. */
	live = sops_map__mmaped(bss, &size);
	T_ASSERT(live);
	T_EQ(size, 2 * sizeof(int));
	T_ASSERT((void *)live != sops_map__initial_value(bss, NULL));
	in_bss = (int *)(live + in_off);
	out_bss = (int *)(live + out_off);
	*in_bss = 4;
	T_EQ(run(rt, obj, &ret), 0);
	T_EQ(ret, 4 + 7 * 10 + 3 * 100);
	T_EQ(*out_bss, 1); /* the program's write, read without a copy */
	T_EQ(run(rt, obj, &ret), 0);
	T_EQ(*out_bss, 2);
	pdata = sops_map__mmaped(data, NULL);
	T_ASSERT(pdata && *pdata == 7);
	*pdata = 1; /* .data may change at any time */
	T_EQ(run(rt, obj, &ret), 0);
	T_EQ(ret, 4 + 10 + 300);
	pro = sops_map__mmaped(rodata, NULL);
	T_ASSERT(pro && *pro == 3);

	T_ASSERT(!sops_map__mmaped(NULL, NULL));
	sops_object__close(obj);
	sops_runtime__free(rt);
}

static int fake_create(void *ctx, struct sops_map *map)
{
	return 1;
}

static int fake_load(void *ctx, struct sops_program *prog)
{
	return 1;
}

TEST(skel_mmaped_null_cases)
{
	struct sops_object_load_ops ops = { .create_map = fake_create, .load_prog = fake_load };
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .ops = &ops };
	struct sops_object *obj = NULL;
	char path[PATH_MAX + 64];

	/* struct_ops and BTF-defined maps are not global data. */
	test_file(path, sizeof(path), "st", "st_dummy.v3.o");
	T_EQ(sops_object__open_file(path, NULL, &obj), 0);
	T_ASSERT(!sops_map__mmaped(map_of_kind(obj, SOPS_MAP_STRUCT_OPS_VAR), NULL));
	sops_object__close(obj);
	obj = NULL;

	/* Loaded through callbacks: the maps live elsewhere, so no memory to give. */
	test_file(path, sizeof(path), "st", "st_skel.v3.o");
	T_EQ(sops_object__open_file(path, NULL, &obj), 0);
	T_EQ(sops_object__load(obj, &lo), 0);
	T_ASSERT(!sops_map__mmaped(map_of_kind(obj, SOPS_MAP_BSS), NULL));
	sops_object__close(obj);
}
