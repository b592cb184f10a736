/* SPDX-License-Identifier: MIT */
/*
 * test_loader.c - the object loader and the BTF wrapper on real clang-built
 * objects (tests/bpf/NAME.bpf.c, built by tests/tests.mk for cpu v3 and v4
 * next to this binary, in bpf/).
 *
 * Open: programs, maps, global data, the struct_ops shadow values. Load
 * against the test host BTF: relocated instructions, kfunc ids, struct_ops
 * attachment and kernel images, libbpf's struct_ops rules and errnos, and the
 * relocated programs run on the interpreter. Bad input never crashes, and
 * each targeted corruption of the ELF file fails with its errno and message.
 */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/btf.h>

#include <structops/btf.h>
#include <structops/object.h>
#include <structops/runtime.h>
#include <structops/vm.h>

#include "test.h"

static const char *obj_dir(void)
{
	static char dir[PATH_MAX];

	if (!dir[0])
		test_exe_path(dir, sizeof(dir), "bpf");
	return dir;
}

static int open_obj(const char *name, struct sops_object **obj, char *log, size_t log_size)
{
	char path[PATH_MAX + 64];
	struct sops_object_open_opts o = { .sz = sizeof(o), .log_buf = log, .log_size = log_size };

	snprintf(path, sizeof(path), "%s/%s", obj_dir(), name);
	return sops_object__open_file(path, &o, obj);
}

static struct sops_btf *host_btf(void)
{
	char path[PATH_MAX + 64];
	struct sops_btf *b = NULL;

	snprintf(path, sizeof(path), "%s/host.btf", obj_dir());
	sops_btf__load_file(path, NULL, &b);
	return b;
}

static const char *const cpus[] = { "loader_main.v3.o", "loader_main.v4.o" };

TEST(loader_open_main)
{
	for (int c = 0; c < 2; c++) {
		struct sops_object *obj;
		char log[256] = "";
		struct sops_program *p;
		struct sops_map *m;
		size_t sz;
		int err = open_obj(cpus[c], &obj, log, sizeof(log));

		if (err == -ENOENT)
			T_SKIP("%s/%s not built", obj_dir(), cpus[c]);
		if (err)
			T_FAIL("open %s: %d %s", cpus[c], err, log);
		T_STREQ(sops_object__license(obj), "GPL");
		T_STREQ(sops_object__name(obj), "loader_main");
		int n = 0;

		for (p = NULL; (p = sops_object__next_program(obj, p));)
			n++;
		T_EQ(n, 7);
		p = sops_object__find_program_by_name(obj, "op_a_alt");
		T_ASSERT(p);
		T_STREQ(sops_program__section_name(p), "struct_ops/op_a");
		T_EQ(sops_program__type(p), SOPS_PROG_TYPE_STRUCT_OPS);
		T_EQ(sops_program__flags(sops_object__find_program_by_name(obj, "init_impl")), SOPS_F_SLEEPABLE);
		T_EQ(sops_program__type(sops_object__find_program_by_name(obj, "sys_prog")), SOPS_PROG_TYPE_SYSCALL);
		size_t fi_cnt, li_cnt;

		sops_program__func_info(p, &fi_cnt);
		sops_program__line_info(p, &li_cnt);
		T_EQ(fi_cnt, 1);
		T_ASSERT(li_cnt > 0);

		m = sops_object__find_map_by_name(obj, "hmap");
		T_ASSERT(m);
		T_EQ(sops_map__type(m), SOPS_MAP_TYPE_HASH);
		T_EQ(sops_map__key_size(m), 4);
		T_EQ(sops_map__value_size(m), 8);
		T_EQ(sops_map__max_entries(m), 128);
		T_EQ(sops_map__map_flags(m), 1);
		T_ASSERT(sops_map__btf_key_type_id(m) > 0);
		m = sops_object__find_map_by_name(obj, "amap");
		T_EQ(sops_map__value_size(m), 24);
		T_EQ(sops_map__btf_value_type_id(m), 0);
		m = sops_object__find_map_by_name(obj, "loader_m.data");
		T_ASSERT(m);
		T_EQ(sops_map__kind(m), SOPS_MAP_DATA);
		T_EQ(*(int *)sops_map__initial_value(m, &sz), 7);
		T_ASSERT(sops_object__find_map_by_name(obj, ".data.custom"));
		T_ASSERT(sops_object__find_map_by_name(obj, ".rodata.custom"));
		/* read-only to programs, as libbpf creates .rodata (BPF_F_RDONLY_PROG) */
		T_EQ(sops_map__map_flags(sops_object__find_map_by_name(obj, ".rodata.custom")), 1u << 7);
		T_EQ(sops_map__map_flags(sops_object__find_map_by_name(obj, "loader_m.rodata")), 1u << 7);
		T_EQ(sops_map__map_flags(sops_object__find_map_by_name(obj, "loader_m.data")), 0);
		m = sops_object__find_map_by_name(obj, "loader_m.bss");
		T_EQ(sops_map__kind(m), SOPS_MAP_BSS);
		T_EQ(sops_map__value_size(m), 40);

		m = sops_object__find_map_by_name(obj, "ops1");
		T_EQ(sops_map__type(m), SOPS_MAP_TYPE_STRUCT_OPS);
		T_EQ(sops_map__map_flags(m), 0);
		T_ASSERT(sops_map__autocreate(m) && sops_map__autoattach(m));
		T_STREQ(sops_map__struct_ops_type(m), "sops_test_ops");
		T_ASSERT(sops_map__struct_ops_prog(m, "op_a") == sops_object__find_program_by_name(obj, "op_a_impl"));
		T_ASSERT(!sops_map__struct_ops_prog(m, "op_c"));
		void **shadow = sops_map__initial_value(m, &sz);

		T_EQ(sz, 64);
		T_ASSERT(shadow[2] == sops_object__find_program_by_name(obj, "op_b_impl"));
		T_EQ(*(int *)((char *)shadow + 32), 42);
		m = sops_object__find_map_by_name(obj, "ops_link");
		T_EQ(sops_map__map_flags(m), SOPS_F_LINK);
		T_ASSERT(!sops_map__autocreate(sops_object__find_map_by_name(obj, "ops_opt")));
		T_EQ(sops_map__map_flags(sops_object__find_map_by_name(obj, "ops_link_opt")), SOPS_F_LINK);
		T_EQ(sops_map__set_autoattach(sops_object__find_map_by_name(obj, "hmap"), false), -EINVAL);
		sops_object__close(obj);
	}
}

struct run_ctx {
	struct sops_object *obj;
	const struct btf *host;
};

static int resolve_lddw(void *ctx, const struct sops_insn *insn, size_t idx, uint64_t *value)
{
	struct run_ctx *rc = ctx;
	struct sops_map *m = NULL;

	for (int i = 0; i <= insn->imm; i++)
		m = sops_object__next_map(rc->obj, m);
	if (!m)
		return -ENOENT;
	if (insn->src_reg == SOPS_LD_IMM64_MAP_IDX_VALUE) {
		*value = (uint64_t)(uintptr_t)sops_map__initial_value(m, NULL) + (uint32_t)insn[1].imm;
		return 0;
	}
	*value = (uint64_t)(uintptr_t)m;
	return 0;
}

static uint64_t kfunc_add(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + b;
}

static int resolve_kfunc(void *ctx, int32_t id, int16_t slot, sops_kfunc_fn *fn)
{
	struct run_ctx *rc = ctx;

	if (slot || id != btf__find_by_name_kind(rc->host, "sops_test_kfunc", BTF_KIND_FUNC))
		return -ENOENT;
	*fn = kfunc_add;
	return 0;
}

static int run_prog(struct test_ctx *t, struct run_ctx *rc, const char *name, uint64_t r1, uint64_t *ret)
{
	struct sops_program *p = sops_object__find_program_by_name(rc->obj, name);
	char log[256] = "";
	struct sops_vm_opts vo = { .sz = sizeof(vo), .ld_imm64_resolve = resolve_lddw,
				   .kfunc_resolve = resolve_kfunc, .resolve_ctx = rc,
				   .log_buf = log, .log_size = sizeof(log) };
	struct sops_vm *vm;
	int err;

	if (!p)
		return -ENOENT;
	err = sops_vm__create(sops_program__insns(p), sops_program__insn_cnt(p), &vo, &vm);
	if (err) {
		printf("  vm create %s: %s\n", name, log);
		return err;
	}
	*ret = sops_vm__exec(vm, r1, 0);
	sops_vm__free(vm);
	return 0;
}

TEST(loader_load_main)
{
	struct sops_btf *host = host_btf();

	if (!host)
		T_SKIP("host.btf not built");
	for (int c = 0; c < 2; c++) {
		struct sops_object *obj;
		char log[256] = "";
		struct sops_object_load_opts lo = { .sz = sizeof(lo), .host_btf = host, .log_buf = log,
						    .log_size = sizeof(log) };
		int err = open_obj(cpus[c], &obj, log, sizeof(log));
		const struct btf *hb = sops_btf__libbpf(host);
		int kid = btf__find_by_name_kind(hb, "sops_test_ops", BTF_KIND_STRUCT);

		T_ASSERT(!err);
		err = sops_object__load(obj, &lo);
		if (err)
			T_FAIL("load: %d %s", err, log);
		T_EQ(sops_object__load(obj, &lo), -EBUSY);
		struct sops_program *p = sops_object__find_program_by_name(obj, "op_b_impl");

		T_EQ(sops_program__attach_btf_id(p), kid);
		T_EQ(sops_program__expected_attach_type(p), 2);
		T_STREQ(sops_program__attach_member(p), "op_b");
		T_EQ(sops_program__attach_btf_obj(p), 0);
		T_ASSERT(!sops_program__autoload(sops_object__find_program_by_name(obj, "unused_impl")));
		T_EQ(sops_program__set_autoload(p, false), -EBUSY);
		/* kfunc call and map lddw in op_b_impl */
		const struct sops_insn *in = sops_program__insns(p);
		int kfunc = 0, maps = 0, data = 0;

		for (size_t i = 0; i < sops_program__insn_cnt(p); i++) {
			if (in[i].code == 0x85 && in[i].src_reg == SOPS_CALL_KFUNC) {
				T_EQ(in[i].imm, btf__find_by_name_kind(hb, "sops_test_kfunc", BTF_KIND_FUNC));
				T_EQ(in[i].off, 0);
				kfunc++;
			}
			if (in[i].code == 0x18 && in[i].src_reg == SOPS_LD_IMM64_MAP_IDX) {
				T_EQ(in[i].imm, sops_map__index(sops_object__find_map_by_name(obj, "hmap")));
				maps++;
			}
			if (in[i].code == 0x18 && in[i].src_reg == SOPS_LD_IMM64_MAP_IDX_VALUE &&
			    in[i].imm == sops_map__index(sops_object__find_map_by_name(obj, "loader_m.bss"))) {
				T_EQ(in[i + 1].imm, 32); /* bss_var after bss_arr[4] */
				data++;
			}
		}
		T_EQ(kfunc, 1);
		T_EQ(maps, 1);
		T_EQ(data, 1);
		size_t fi_cnt;

		sops_program__func_info(p, &fi_cnt);
		T_EQ(fi_cnt, 2); /* op_b_impl and helper_sub appended */
		/* the kernel value image */
		struct sops_map *m = sops_object__find_map_by_name(obj, "ops1");
		size_t vsz;
		const char *kv = sops_map__kern_value(m, &vsz);

		T_ASSERT(kv);
		T_EQ(vsz, 128);
		T_EQ(sops_map__value_size(m), 128);
		T_EQ(sops_map__btf_vmlinux_value_type_id(m),
		     btf__find_by_name_kind(hb, "bpf_struct_ops_sops_test_ops", BTF_KIND_STRUCT));
		T_EQ(*(int *)(kv + 64 + 32), 42);
		T_STREQ(kv + 64 + 36, "one");
		T_ASSERT(!sops_map__kern_value(sops_object__find_map_by_name(obj, "ops_opt"), NULL));
		/* run the relocated programs */
		struct run_ctx rc = { obj, hb };
		uint64_t ret = 0, args[2] = { 5, 0 };

		T_EQ(run_prog(t, &rc, "sys_prog", 0, &ret), 0);
		T_EQ(ret, (1 * 2 + 7) + (2 + 5));
		T_EQ(((uint64_t *)sops_map__initial_value(sops_object__find_map_by_name(obj, "loader_m.bss"), NULL))[1], 2);
		T_EQ(run_prog(t, &rc, "op_a_impl", (uint64_t)(uintptr_t)args, &ret), 0);
		T_EQ(ret, 5 * 2 + 7 + 11);
		T_EQ(run_prog(t, &rc, "op_a_alt", (uint64_t)(uintptr_t)args, &ret), 0);
		T_EQ(ret, 5 + 5 + 3);
		sops_object__close(obj);
	}
	sops_btf__free(host);
}

static int fake_create_map(void *ctx, struct sops_map *m)
{
	return 100 + sops_map__index(m);
}

static int fake_load_prog(void *ctx, struct sops_program *p)
{
	int i = 0;

	for (struct sops_program *q = NULL; (q = sops_object__next_program(ctx, q)); i++)
		if (q == p)
			return 200 + i;
	return -ENOENT;
}

TEST(loader_load_ops_handles)
{
	struct sops_btf *host = host_btf();
	struct sops_object *obj;
	char log[256] = "";

	if (!host)
		T_SKIP("host.btf not built");
	T_ASSERT(!open_obj("loader_main.v3.o", &obj, log, sizeof(log)));
	struct sops_object_load_ops ops = { obj, fake_create_map, fake_load_prog };
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .host_btf = host, .ops = &ops,
					    .log_buf = log, .log_size = sizeof(log) };

	if (sops_object__load(obj, &lo))
		T_FAIL("load: %s", log);
	struct sops_program *p = sops_object__find_program_by_name(obj, "op_b_impl");
	const struct sops_insn *in = sops_program__insns(p);
	int seen = 0;

	for (size_t i = 0; i < sops_program__insn_cnt(p); i++)
		if (in[i].code == 0x18 && in[i].src_reg == SOPS_LD_IMM64_MAP_FD) {
			T_EQ(in[i].imm, 100 + sops_map__index(sops_object__find_map_by_name(obj, "hmap")));
			seen++;
		}
	T_EQ(seen, 1);
	T_EQ(sops_program__handle(p), 202);
	T_EQ(sops_map__handle(sops_object__find_map_by_name(obj, "ops_opt")), -1);
	const char *kv = sops_map__kern_value(sops_object__find_map_by_name(obj, "ops1"), NULL);

	T_EQ(*(uint64_t *)(kv + 64 + 16), 202); /* op_b slot holds op_b_impl's handle */
	T_EQ(*(uint64_t *)(kv + 64 + 24), 0);
	sops_object__close(obj);
	sops_btf__free(host);
}

/* Open loader_main, let @edit adjust it, load; returns the load's result. */
static int load_edited(void (*edit)(struct sops_object *), const struct sops_btf *host, char *log,
		       size_t log_size, struct sops_object **objp)
{
	struct sops_object *obj;
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .host_btf = host, .log_buf = log,
					    .log_size = log_size };
	int err = open_obj("loader_main.v3.o", &obj, log, log_size);

	if (err)
		return err;
	if (edit)
		edit(obj);
	err = sops_object__load(obj, &lo);
	if (objp)
		*objp = obj;
	else
		sops_object__close(obj);
	return err;
}

static void edit_reuse(struct sops_object *obj)
{
	struct sops_map *m = sops_object__find_map_by_name(obj, "ops_opt");
	void **shadow = sops_map__initial_value(m, NULL);

	shadow[0] = sops_object__find_program_by_name(obj, "op_a_impl");
	sops_map__set_autocreate(m, true);
}

/* op_a_impl in ops1's init slot too: the same type, another member. */
static void edit_reuse_member(struct sops_object *obj)
{
	void **shadow = sops_map__initial_value(sops_object__find_map_by_name(obj, "ops1"), NULL);

	shadow[0] = sops_object__find_program_by_name(obj, "op_a_impl");
}

static void edit_unref(struct sops_object *obj)
{
	void **shadow = sops_map__initial_value(sops_object__find_map_by_name(obj, "ops_opt"), NULL);

	shadow[0] = NULL;
}

static void edit_unbind(struct sops_object *obj)
{
	void **shadow = sops_map__initial_value(sops_object__find_map_by_name(obj, "ops1"), NULL);

	shadow[1] = NULL; /* op_a_impl now only in ops_link_opt, which is not created */
}

static void edit_foreign(struct sops_object *obj)
{
	void **shadow = sops_map__initial_value(sops_object__find_map_by_name(obj, "ops1"), NULL);

	shadow[3] = sops_object__find_program_by_name(obj, "sys_prog");
}

static void edit_opt_on(struct sops_object *obj)
{
	sops_map__set_autocreate(sops_object__find_map_by_name(obj, "ops_link_opt"), true);
}

TEST(loader_struct_ops_rules)
{
	struct sops_btf *host = host_btf();
	struct sops_object *obj;
	char log[512] = "";

	if (!host)
		T_SKIP("host.btf not built");
	/* libbpf's current words for both kinds of invalid reuse */
	T_EQ(load_edited(edit_reuse, host, log, sizeof(log), NULL), -EINVAL);
	if (!strstr(log, "struct_ops init_kern ops_opt func ptr op: invalid reuse of prog op_a_impl in sec struct_ops/op_a with type 27: attach_btf_id ") ||
	    !strstr(log, " != kern_type_id "))
		T_FAIL("log: %s", log);
	log[0] = 0;
	T_EQ(load_edited(edit_reuse_member, host, log, sizeof(log), NULL), -EINVAL);
	if (!strstr(log, "struct_ops init_kern ops1 func ptr op_a: invalid reuse of prog op_a_impl in sec struct_ops/op_a with type 27: expected_attach_type 0 != kern_member_idx 1"))
		T_FAIL("log: %s", log);
	log[0] = 0;
	T_EQ(load_edited(edit_unref, host, log, sizeof(log), NULL), -EINVAL);
	T_ASSERT(strstr(log, "isn't referenced anywhere"));
	log[0] = 0;
	T_EQ(load_edited(edit_foreign, host, log, sizeof(log), NULL), -EOPNOTSUPP);
	if (!strstr(log, "struct_ops init_kern ops1: member op_c is not a struct_ops program"))
		T_FAIL("log: %s", log);
	log[0] = 0;
	T_EQ(load_edited(edit_unbind, host, log, sizeof(log), &obj), 0);
	T_ASSERT(!sops_program__autoload(sops_object__find_program_by_name(obj, "op_a_impl")));
	sops_object__close(obj);
	T_EQ(load_edited(edit_opt_on, host, log, sizeof(log), &obj), 0);
	T_ASSERT(sops_program__autoload(sops_object__find_program_by_name(obj, "op_a_impl")));
	sops_object__close(obj);
	/* no host BTF; a host BTF without the value type (optional) */
	log[0] = 0;
	T_EQ(load_edited(NULL, NULL, log, sizeof(log), NULL), -EINVAL);
	T_ASSERT(strstr(log, "host's BTF"));
	T_ASSERT(!open_obj("loader_main.v3.o", &obj, log, sizeof(log)));
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .host_btf = sops_object__btf(obj),
					    .log_buf = log, .log_size = sizeof(log) };

	/*
	 * The object's own BTF has struct sops_test_ops but no value type: the
	 * shadow is laid out as registration synthesizes the value type (tool
	 * tests cover a host BTF without the ops struct: -ESRCH).
	 */
	log[0] = 0;
	T_EQ(sops_object__load(obj, &lo), 0);
	{
		const struct sops_map *m = sops_object__find_map_by_name(obj, "ops1");
		size_t vsz = 0;

		T_ASSERT(m && sops_map__kern_value(m, &vsz));
		T_EQ(vsz, 128);
		T_EQ(sops_map__btf_vmlinux_value_type_id(m), 0);
	}
	sops_object__close(obj);
	sops_btf__free(host);
}

TEST(loader_bad_input)
{
	char path[PATH_MAX + 64], log[256];
	struct sops_object *obj;
	uint8_t *data;
	long size;
	FILE *f;

	snprintf(path, sizeof(path), "%s/loader_main.v3.o", obj_dir());
	f = fopen(path, "rb");
	if (!f)
		T_SKIP("objects not built");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	data = malloc(size);
	T_ASSERT(data && fread(data, 1, size, f) == (size_t)size);
	fclose(f);
	struct sops_object_open_opts o = { .sz = sizeof(o), .log_buf = log, .log_size = sizeof(log) };

	log[0] = 0;
	T_EQ(sops_object__open_mem("hello", 5, &o, &obj), -EINVAL);
	T_ASSERT(log[0]);
	/* every truncation fails cleanly (or opens) */
	for (long n = 0; n < size; n += 37) {
		log[0] = 0;
		if (!sops_object__open_mem(data, n ? n : 1, &o, &obj))
			sops_object__close(obj);
		else if (!log[0])
			T_FAIL("truncated to %ld: error without a message", n);
	}
	/* byte flips across the file, including the BTF */
	srand(1);
	for (int i = 0; i < 300; i++) {
		uint8_t *copy = malloc(size);

		memcpy(copy, data, size);
		for (int k = 0; k < 4; k++)
			copy[rand() % size] ^= (uint8_t)(1 + rand() % 255);
		log[0] = 0;
		if (!sops_object__open_mem(copy, size, &o, &obj))
			sops_object__close(obj);
		else if (!log[0])
			T_FAIL("byte flips %d: error without a message", i);
		free(copy);
	}
	free(data);
}

/* ---- targeted corruptions of loader_main.v3.o (a 64-bit little-endian ELF, as on this host) ---- */

static Elf64_Shdr *shdr_named(uint8_t *img, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + eh->e_shoff);
	const char *names = (const char *)img + sh[eh->e_shstrndx].sh_offset;

	for (int i = 0; i < eh->e_shnum; i++)
		if (!strcmp(names + sh[i].sh_name, name))
			return &sh[i];
	abort(); /* the test object changed: adjust the edit */
}

static Elf64_Sym *sym_named(uint8_t *img, const char *name)
{
	Elf64_Shdr *st = shdr_named(img, ".symtab");
	Elf64_Shdr *str = (Elf64_Shdr *)(img + ((Elf64_Ehdr *)img)->e_shoff) + st->sh_link;
	Elf64_Sym *sym = (Elf64_Sym *)(img + st->sh_offset);

	for (size_t i = 0; i < st->sh_size / sizeof(*sym); i++)
		if (!strcmp((const char *)img + str->sh_offset + sym[i].st_name, name))
			return &sym[i];
	abort();
}

static Elf64_Rel *rels(uint8_t *img, const char *sec)
{
	return (Elf64_Rel *)(img + shdr_named(img, sec)->sh_offset);
}

static void ed_machine(uint8_t *img) { ((Elf64_Ehdr *)img)->e_machine = EM_X86_64; }
static void ed_legacy_maps(uint8_t *img) { shdr_named(img, ".maps")->sh_name++; /* "maps" */ }
static void ed_license(uint8_t *img) { shdr_named(img, "license")->sh_size = 3; /* "GPL" */ }
static void ed_prog_size(uint8_t *img) { shdr_named(img, "syscall")->sh_size -= 1; }
static void ed_symtab_entsize(uint8_t *img) { shdr_named(img, ".symtab")->sh_entsize = 16; }
static void ed_symtab_link(uint8_t *img) { shdr_named(img, ".symtab")->sh_link = 0; }
static void ed_rela(uint8_t *img)
{
	Elf64_Shdr *sh = shdr_named(img, ".relsyscall");

	sh->sh_type = SHT_RELA; /* one well-formed entry, or libelf refuses the data itself */
	sh->sh_entsize = sh->sh_size = sizeof(Elf64_Rela);
}
static void ed_rel_entsize(uint8_t *img) { shdr_named(img, ".relsyscall")->sh_entsize = sizeof(Elf64_Rela); }
static void ed_rel_target(uint8_t *img) { shdr_named(img, ".relsyscall")->sh_info = 9999; }
static void ed_rel_offset(uint8_t *img) { rels(img, ".relsyscall")[0].r_offset += 1; }
static void ed_rel_type(uint8_t *img) { rels(img, ".relsyscall")[0].r_info = ELF64_R_INFO(2, 99); }
static void ed_rel_sym(uint8_t *img) { rels(img, ".relsyscall")[0].r_info = ELF64_R_INFO(0xfffff, 10); }
static void ed_rel_twice(uint8_t *img) { rels(img, ".rel.text")[1].r_offset = rels(img, ".rel.text")[0].r_offset; }
static void ed_func_align(uint8_t *img) { sym_named(img, "sys_prog")->st_value = 4; }
static void ed_func_overlap(uint8_t *img) { sym_named(img, "op_a_impl")->st_size += 8; }
static void ed_func_sec(uint8_t *img) { sym_named(img, "sys_prog")->st_shndx = shdr_named(img, ".data") - (Elf64_Shdr *)(img + ((Elf64_Ehdr *)img)->e_shoff); }
static void ed_btf_nobits(uint8_t *img) { shdr_named(img, ".BTF")->sh_type = SHT_NOBITS; }
static void ed_no_btf(uint8_t *img) { shdr_named(img, ".BTF")->sh_name++; /* "BTF" */ }

TEST(loader_bad_elf)
{
	static const struct {
		void (*edit)(uint8_t *img);
		int err;
		const char *msg;
	} cases[] = {
		{ ed_machine, -EINVAL, "not a BPF object" },
		{ ed_legacy_maps, -EOPNOTSUPP, "legacy 'maps' section" },
		{ ed_license, -EINVAL, "license section is not a NUL-terminated string" },
		{ ed_prog_size, -EINVAL, "is not a whole number of instructions" },
		{ ed_symtab_entsize, -EINVAL, "symbol table: bad entry size" },
		{ ed_symtab_link, -EINVAL, "symbol table: bad entry size or string table" },
		{ ed_rela, -EINVAL, "RELA relocations are not used by BPF" },
		{ ed_rel_entsize, -EINVAL, ".relsyscall: bad entry size" },
		{ ed_rel_target, -EINVAL, "targets section 9999, which does not exist" },
		{ ed_rel_offset, -EINVAL, "relocation at offset 9 is not at an instruction" },
		{ ed_rel_type, -EINVAL, "unknown relocation type 99" },
		{ ed_rel_sym, -EINVAL, "names symbol 1048575, which does not exist" },
		{ ed_rel_twice, -EINVAL, "section .text slot 3 has two relocations" },
		{ ed_func_align, -EINVAL, "function 'sys_prog' (offset 4, size 56) does not fit section syscall" },
		{ ed_func_overlap, -EINVAL, "functions 'op_a_impl' and 'op_a_alt' overlap" },
		{ ed_func_sec, -EINVAL, "function 'sys_prog' is not in an executable section" },
		{ ed_btf_nobits, -EINVAL, ".BTF section has no data" },
		{ ed_no_btf, -EINVAL, ".BTF.ext without .BTF" },
	};
	char path[PATH_MAX + 64], log[256];
	struct sops_object_open_opts o = { .sz = sizeof(o), .log_buf = log, .log_size = sizeof(log) };
	struct sops_object *obj;
	uint8_t *data, *img;
	long size;
	FILE *f;

	snprintf(path, sizeof(path), "%s/loader_main.v3.o", obj_dir());
	f = fopen(path, "rb");
	if (!f)
		T_SKIP("objects not built");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	data = malloc(size);
	img = malloc(size);
	T_ASSERT(data && img && fread(data, 1, size, f) == (size_t)size);
	fclose(f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err;

		memcpy(img, data, size);
		cases[i].edit(img);
		log[0] = 0;
		err = sops_object__open_mem(img, size, &o, &obj);
		if (!err)
			sops_object__close(obj);
		if (err != cases[i].err || !strstr(log, cases[i].msg))
			T_FAIL("case %zu: %d \"%s\", expected %d \"%s\"", i, err, log, cases[i].err, cases[i].msg);
	}
	free(img);
	free(data);
}

TEST(btf_load_and_dump)
{
	char path[PATH_MAX + 64], log[256] = "";
	struct sops_btf *b = host_btf(), *self = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	if (!b)
		T_SKIP("host.btf not built");
	T_ASSERT(sops_btf__find(b, "sops_test_ops", BTF_KIND_STRUCT) > 0);
	T_EQ(sops_btf__find(b, "nope", BTF_KIND_STRUCT), -ENOENT);
	mem = open_memstream(&buf, &len);
	T_EQ(sops_btf__dump(b, SOPS_BTF_DUMP_C, mem), 0);
	fclose(mem);
	T_ASSERT(strstr(buf, "struct sops_test_ops {"));
	/* No kfunc named: no host function is declared as one (test_btf_host.c has the rest). */
	T_ASSERT(!strstr(buf, "sops_test_kfunc"));
	T_ASSERT(strstr(buf, "No kfunc declarations"));
	free(buf);
	mem = open_memstream(&buf, &len);
	T_EQ(sops_btf__dump(b, SOPS_BTF_DUMP_RAW, mem), 0);
	fclose(mem);
	T_ASSERT(strstr(buf, "STRUCT 'sops_test_ops' size=64 vlen=7"));
	free(buf);
	/* .BTF of an ELF file: a BPF object */
	struct sops_btf_opts bo = { .sz = sizeof(bo), .log_buf = log, .log_size = sizeof(log) };

	snprintf(path, sizeof(path), "%s/loader_main.v3.o", obj_dir());
	T_EQ(sops_btf__load_file(path, &bo, &self), 0);
	T_ASSERT(sops_btf__find(self, "ops1", BTF_KIND_VAR) > 0);
	sops_btf__free(self);
	/* an executable without .BTF */
	T_EQ(sops_btf__load_self(&bo, &self), -ENODATA);
	T_ASSERT(strstr(log, "no .BTF"));
	sops_btf__free(b);
}

TEST(btf_reject_loops)
{
	struct btf *raw = btf__new_empty();
	const void *data;
	uint32_t size;
	char log[256] = "";
	struct sops_btf_opts bo = { .sz = sizeof(bo), .log_buf = log, .log_size = sizeof(log) };
	struct sops_btf *b = NULL;

	int i = btf__add_int(raw, "int", 4, BTF_INT_SIGNED);
	int s = btf__add_struct(raw, "s", 8);

	T_ASSERT(i > 0 && s > 0);
	btf__add_field(raw, "a", i, 0, 0);
	btf__add_field(raw, "self", s, 32, 0); /* a struct containing itself */
	data = btf__raw_data(raw, &size);
	T_EQ(sops_btf__load_mem(data, size, &bo, &b), -EINVAL);
	T_ASSERT(strstr(log, "contains itself"));
	btf__free(raw);
	/* truncations of a valid BTF */
	raw = btf__new_empty();
	btf__add_int(raw, "int", 4, BTF_INT_SIGNED);
	btf__add_ptr(raw, 1);
	data = btf__raw_data(raw, &size);
	for (uint32_t n = 0; n < size; n++) {
		log[0] = 0;
		if (!sops_btf__load_mem(data, n, &bo, &b))
			sops_btf__free(b);
		else
			T_ASSERT(log[0]);
	}
	btf__free(raw);
}

/* "?" section prefix (issue 12): autoload starts off, the type still comes from the rest. */
TEST(loader_section_question_mark)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro) };
	struct sops_object_load_opts lo = { .sz = sizeof(lo) };
	struct sops_program *always, *lazy;
	struct sops_object *obj = NULL;
	struct sops_runtime *rt = NULL;
	char log[512] = "";

	T_ASSERT(!open_obj("autoload_q.v3.o", &obj, log, sizeof(log)));
	always = sops_object__find_program_by_name(obj, "always");
	lazy = sops_object__find_program_by_name(obj, "on_demand");
	T_ASSERT(always && lazy);
	T_EQ(sops_program__autoload(always), 1);
	T_EQ(sops_program__autoload(lazy), 0);
	T_EQ(sops_program__type(lazy), SOPS_PROG_TYPE_SYSCALL);
	T_ASSERT(!strcmp(sops_program__section_name(lazy), "?syscall"));
	T_EQ(sops_runtime__new(&ro, &rt), 0);
	lo.runtime = rt;
	T_EQ(sops_object__load(obj, &lo), 0);
	T_ASSERT(sops_program__handle(always) >= 0);
	T_ASSERT(sops_program__handle(lazy) < 0);
	sops_object__close(obj);
	/* turned on, it loads like any other */
	T_ASSERT(!open_obj("autoload_q.v3.o", &obj, log, sizeof(log)));
	lazy = sops_object__find_program_by_name(obj, "on_demand");
	T_EQ(sops_program__set_autoload(lazy, true), 0);
	T_EQ(sops_object__load(obj, &lo), 0);
	T_ASSERT(sops_program__handle(lazy) >= 0);
	sops_object__close(obj);
	sops_runtime__free(rt);
}
