/* SPDX-License-Identifier: MIT */
/*
 * test_core.c - CO-RE relocations on real clang-built objects
 * (tests/bpf/core.bpf.c, core_amb.bpf.c for cpu v3 and v4) against the test
 * host BTF, whose layouts differ from the programs' view
 * (tests/bpf/host_types.h), plus a module's split BTF (core_module.c).
 *
 * The relocated programs run on the interpreter over host-layout structs and
 * their results are compared with what the C compiler says about the host
 * types. Then: poisoned instructions, ambiguity, autoload, hostile records
 * (out of range, bad access strings, wrong instructions), and the matching
 * rules on synthetic BTF (pointer cycles, flavors, access-string parsing).
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/btf.h>

#include <structops/btf.h>
#include <structops/object.h>
#include <structops/vm.h>

#include "bpf/host_types.h"
#include "loader/loader_internal.h"
#include "test.h"

#define POISON_RET 0xdeadull

static const char *const objs[] = { "core.v3.o", "core.v4.o" };

struct core_io {
	struct core_s *s;
	uint64_t out[32];
};

static const char *obj_dir(void)
{
	static char dir[PATH_MAX];

	if (!dir[0])
		test_exe_path(dir, sizeof(dir), "bpf");
	return dir;
}

static void *read_file(const char *name, size_t *size)
{
	char path[PATH_MAX + 64];
	uint8_t *data;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", obj_dir(), name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = malloc(n ? n : 1);
	if (data && fread(data, 1, n, f) != (size_t)n) {
		free(data);
		data = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return data;
}

/* The test host's BTF and its module's split BTF on it. */
struct hosts {
	struct sops_btf *host, *mod;
};

static int hosts_load(struct hosts *h)
{
	char path[PATH_MAX + 64];
	struct sops_btf_opts bo = { .sz = sizeof(bo) };

	memset(h, 0, sizeof(*h));
	snprintf(path, sizeof(path), "%s/host.btf", obj_dir());
	if (sops_btf__load_file(path, NULL, &h->host))
		return -ENOENT;
	bo.base = h->host;
	snprintf(path, sizeof(path), "%s/core_mod.btf", obj_dir());
	if (sops_btf__load_file(path, &bo, &h->mod)) {
		sops_btf__free(h->host);
		return -ENOENT;
	}
	return 0;
}

static void hosts_free(struct hosts *h)
{
	sops_btf__free(h->mod);
	sops_btf__free(h->host);
}

/* Open @data and load it against the hosts (module too when @with_mod). */
static int load_mem(const void *data, size_t size, const struct hosts *h, bool with_mod,
		    struct sops_object **obj, char *log, size_t log_size)
{
	struct sops_object_open_opts oo = { .sz = sizeof(oo), .log_buf = log, .log_size = log_size };
	const struct sops_btf *mods[1] = { h ? h->mod : NULL };
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .host_btf = h ? h->host : NULL,
					    .module_btfs = mods, .module_btf_cnt = with_mod,
					    .log_buf = log, .log_size = log_size };
	int err;

	log[0] = 0;
	err = sops_object__open_mem(data, size, &oo, obj);
	if (err)
		return err;
	err = sops_object__load(*obj, &lo);
	if (err) {
		sops_object__close(*obj);
		*obj = NULL;
	}
	return err;
}

static uint64_t probe_read(uint64_t dst, uint64_t size, uint64_t src, uint64_t r4, uint64_t r5, void *aux)
{
	memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, size);
	return 0;
}

static const struct sops_helper helpers[] = {
	{ 113, "bpf_probe_read_kernel", probe_read, NULL },
};

/*
 * Run program @name of @obj on @io; returns r0, or ~0 when it cannot run.
 * The vm refuses helper ids as large as the poison's (a verifier would refuse
 * a reachable one), so each poisoned slot becomes `r0 = POISON_RET` here: a
 * program that reaches one returns POISON_RET from its next exit.
 */
static uint64_t run(struct sops_object *obj, const char *name, struct core_io *io)
{
	struct sops_program *p = sops_object__find_program_by_name(obj, name);
	char log[256] = "";
	struct sops_vm_opts vo = { .sz = sizeof(vo), .helpers = helpers, .helper_cnt = 1,
				   .log_buf = log, .log_size = sizeof(log) };
	struct sops_insn *ins;
	struct sops_vm *vm = NULL;
	size_t n;
	int err;
	uint64_t r;

	if (!p)
		return ~0ull;
	n = sops_program__insn_cnt(p);
	ins = malloc(n * sizeof(*ins));
	memcpy(ins, sops_program__insns(p), n * sizeof(*ins));
	for (size_t i = 0; i < n; i++)
		if (ins[i].code == 0x85 && !ins[i].src_reg && ins[i].imm == POISON_HELPER)
			ins[i] = (struct sops_insn){ .code = 0xb7, .imm = POISON_RET };
	err = sops_vm__create(ins, n, &vo, &vm);
	free(ins);
	if (err) {
		printf("  %s: cannot run: %s\n", name, log);
		return ~0ull;
	}
	r = sops_vm__exec(vm, (uint64_t)(uintptr_t)io, 0);
	sops_vm__free(vm);
	return r;
}

static void fill_host(struct core_s *s, struct core_inner *in)
{
	memset(s, 0, sizeof(*s));
	s->added_first = 0x1111;
	s->a = -7;
	s->b = -3;
	s->us = 0xfedc;
	s->flags = 5;
	s->sbits = -9;
	s->moved = 99;
	s->c = 200;
	for (int i = 0; i < 4; i++)
		s->arr[i] = 1000 + i;
	s->inner.pad = 1;
	s->inner.val = 4242;
	s->ul = 0x8000000000000001ull;
	s->anon_i = -12345;
	s->x = 31;
	s->y = 32;
	in->pad = 2;
	in->val = 555;
	s->ptr = in;
}

/* Load core.vN.o against host and module; NULL (and a skip) when not built. */
static struct sops_object *load_core(struct test_ctx *t, int c, const struct hosts *h, bool with_mod)
{
	struct sops_object *obj = NULL;
	char log[512];
	size_t size;
	void *data = read_file(objs[c], &size);
	int err;

	if (!data)
		return NULL;
	err = load_mem(data, size, h, with_mod, &obj, log, sizeof(log));
	free(data);
	if (err)
		test_fail(t, __FILE__, __LINE__, "load %s: %d %s", objs[c], err, log);
	return obj;
}

#define CORE_SETUP()                                                                               \
	struct hosts h;                                                                            \
	if (hosts_load(&h))                                                                        \
		T_SKIP("test host BTF not built in %s", obj_dir())

/* One test's checks on object objs[@c], loaded against the hosts with the module. */
typedef void (*core_body)(struct test_ctx *t, int c, struct sops_object *obj, const struct hosts *h);

/* Run @body on each of objs[], stopping at the first that is not built or fails. */
static void each_core_obj(struct test_ctx *t, core_body body)
{
	CORE_SETUP();
	for (int c = 0; c < 2 && !t->failed; c++) {
		struct sops_object *obj = load_core(t, c, &h, true);

		if (!obj)
			break;
		body(t, c, obj, &h);
		sops_object__close(obj);
	}
	hosts_free(&h);
}

static void core_fields_run_body(struct test_ctx *t, int c, struct sops_object *obj, const struct hosts *h)
{
	struct core_inner in;
	struct core_s s;
	struct core_io io = { .s = &s };

	fill_host(&s, &in);
	T_EQ(run(obj, "core_fields", &io), 0);
	T_EQ(io.out[0], (uint64_t)(int64_t)-7);
	T_EQ(io.out[1], 0xfedc);            /* 4-byte load narrowed to 2 */
	T_EQ(io.out[2], 4242);
	T_EQ(io.out[3], 1002);
	T_EQ(io.out[4], 555);
	T_EQ(io.out[5], (uint64_t)(int64_t)-12345); /* through the host's anonymous union */
	T_EQ(io.out[6], 32);                /* out of the program's anonymous struct */
	T_EQ(io.out[7], 200);
	T_EQ(io.out[8], offsetof(struct core_s, inner) + offsetof(struct core_inner, val));
	T_EQ(io.out[9], 2);
	T_EQ(io.out[10], 32);
	T_EQ(io.out[11], 0);
	T_EQ(io.out[12], 1);
	T_EQ(io.out[13], 0);                /* unsigned on the host */
	T_EQ(io.out[14], 1);
	T_EQ(io.out[15], 8);
	T_EQ(io.out[16], offsetof(struct core_s, arr) + 24);
	T_EQ(io.out[17], 77);               /* the poisoned read is dead code */
	T_EQ(io.out[18], 0x8000000000000001ull);
	T_EQ(io.out[19], 1001);
	T_ASSERT(sops_program__core_relocs(sops_object__find_program_by_name(obj, "core_fields")) >= 20);
}

TEST(core_fields_run)
{
	each_core_obj(t, core_fields_run_body);
}

static void core_fields_insns_body(struct test_ctx *t, int c, struct sops_object *obj, const struct hosts *h)
{
	const struct sops_program *p;
	const struct sops_insn *in;
	bool narrowed = false, a_off = false;

	p = sops_object__find_program_by_name(obj, "core_fields");
	in = sops_program__insns(p);
	for (size_t i = 0; i < sops_program__insn_cnt(p); i++) {
		/* ldxh at offsetof(us): the compiler emitted ldxw at the local offset 8 */
		if (in[i].code == 0x69 && in[i].off == offsetof(struct core_s, us))
			narrowed = true;
		/* ldxw (v3) or ldxsw (v4) of a, from local offset 0 */
		if ((in[i].code == 0x61 || in[i].code == 0x81) && in[i].off == offsetof(struct core_s, a))
			a_off = true;
	}
	T_ASSERT(narrowed);
	T_ASSERT(a_off);
}

TEST(core_fields_insns)
{
	each_core_obj(t, core_fields_insns_body);
}

static void core_bitfields_run_body(struct test_ctx *t, int c, struct sops_object *obj, const struct hosts *h)
{
	struct core_inner in;
	struct core_s s;
	struct core_io io = { .s = &s };

	fill_host(&s, &in);
	T_EQ(run(obj, "core_bitfields", &io), 0);
	T_EQ(io.out[0], 5);
	T_EQ(io.out[1], (uint64_t)(int64_t)-9);
	T_EQ(io.out[2], 99);
	T_EQ(io.out[3], (uint64_t)(int64_t)-9);
	T_EQ(io.out[4], 99);
	/* host: flags:3 sbits:5 moved:7 in the u32 after us (byte 16): bits 8..14 of it */
	T_EQ(io.out[5], 64 - (16 * 8 + 8 + 7 - 16 * 8));
	T_EQ(io.out[6], 64 - 7);
	T_EQ(io.out[7], 1);
	T_EQ(io.out[8], 4);
	T_EQ(io.out[9], 16);
	/* the same field, flags, changed in memory: the read follows */
	s.moved = 3;
	s.flags = 2;
	T_EQ(run(obj, "core_bitfields", &io), 0);
	T_EQ(io.out[0], 2);
	T_EQ(io.out[2], 3);
}

TEST(core_bitfields_run)
{
	each_core_obj(t, core_bitfields_run_body);
}

static void core_types_run_body(struct test_ctx *t, int c, struct sops_object *obj, const struct hosts *h)
{
	const struct btf *hb = sops_btf__libbpf(h->host), *ob;
	struct core_io io = { 0 };

	ob = sops_btf__libbpf(sops_object__btf(obj));
	T_EQ(run(obj, "core_types", &io), 0);
	T_EQ(io.out[0], 1);
	T_EQ(io.out[1], 0);
	T_EQ(io.out[2], sizeof(struct core_s));
	T_EQ(io.out[3], btf__find_by_name_kind(hb, "core_s", BTF_KIND_STRUCT));
	T_EQ(io.out[4], btf__find_by_name_kind(ob, "core_s", BTF_KIND_STRUCT));
	T_EQ(io.out[5], 1);
	T_EQ(io.out[6], 0);
	T_EQ(io.out[7], 1);
	T_EQ(io.out[8], 0);
	T_EQ(io.out[9], btf__find_by_name_kind(hb, "core_s", BTF_KIND_STRUCT));
	T_EQ(io.out[10], sizeof(union core_u));
	T_EQ(io.out[11], 1); /* found in the module */
	T_EQ(io.out[12], btf__find_by_name_kind(sops_btf__libbpf(h->mod), "core_mod", BTF_KIND_STRUCT));
	T_ASSERT(io.out[12] >= btf__type_cnt(hb)); /* a split id, past the host's */
	T_EQ(io.out[13], sizeof(core_s_t));
}

TEST(core_types_run)
{
	each_core_obj(t, core_types_run_body);
}

static void core_enums_run_body(struct test_ctx *t, int c, struct sops_object *obj, const struct hosts *h)
{
	struct core_io io = { 0 };

	T_EQ(run(obj, "core_enums", &io), 0);
	T_EQ(io.out[0], 1);
	T_EQ(io.out[1], CORE_TWO);
	T_EQ(io.out[2], 0);
	T_EQ(io.out[3], CORE_BIG);
	T_EQ(io.out[4], CORE_NEW); /* CORE_NEW___v2: flavor stripped */
	T_EQ(io.out[5], 5);
	T_EQ(io.out[6], 0);
}

TEST(core_enums_run)
{
	each_core_obj(t, core_enums_run_body);
}

static void core_flavor_and_module_body(struct test_ctx *t, int c, struct sops_object *obj,
					const struct hosts *h)
{
	struct core_inner in;
	struct core_s s;
	struct core_io io = { .s = &s };
	struct { int m1, m2; } mod = { 1, 2 };
	const struct sops_program *p;
	struct sops_object *nomod;
	int poisoned = 0;
	uint64_t r0;

	fill_host(&s, &in);
	T_EQ(run(obj, "core_flavor", &io), 0);
	T_EQ(io.out[0], (uint64_t)(int64_t)-7);
	T_EQ(io.out[1], (uint64_t)(int64_t)-7);
	T_EQ(io.out[2], 0);
	T_EQ(io.out[3], 1);
	T_EQ(io.out[4], offsetof(struct core_s, a));
	io.s = (void *)&mod;
	T_EQ(run(obj, "core_module", &io), 0);
	T_EQ(io.out[0], 4);
	T_EQ(io.out[1], 2);

	/* without the module: core_mod does not exist, its accesses are poisoned */
	nomod = load_core(t, c, h, false);
	if (!nomod)
		return;
	memset(&io, 0, sizeof(io));
	p = sops_object__find_program_by_name(nomod, "core_module");
	for (size_t k = 0; k < sops_program__insn_cnt(p); k++)
		poisoned += sops_program__insns(p)[k].imm == POISON_HELPER;
	r0 = run(nomod, "core_types", &io);
	sops_object__close(nomod);
	T_EQ(poisoned, 2); /* the offset and the load of m2 */
	T_EQ(r0, 0);
	T_EQ(io.out[11], 0);
	T_EQ(io.out[12], 0);
}

TEST(core_flavor_and_module)
{
	each_core_obj(t, core_flavor_and_module_body);
}

static void core_poison_body(struct test_ctx *t, int c, struct sops_object *obj, const struct hosts *h)
{
	const char *names[] = { "core_poison_missing", "core_poison_size" };
	struct core_inner in;
	struct core_s s;
	struct core_io io = { .s = &s };

	fill_host(&s, &in);
	for (int i = 0; i < 2; i++) {
		const struct sops_program *p = sops_object__find_program_by_name(obj, names[i]);
		const struct sops_insn *ins = sops_program__insns(p);
		int poisoned = 0;

		for (size_t k = 0; k < sops_program__insn_cnt(p); k++)
			poisoned += ins[k].code == 0x85 && ins[k].src_reg == 0 && ins[k].imm == POISON_HELPER &&
				    !ins[k].dst_reg && !ins[k].off;
		T_EQ(poisoned, 1);
		T_EQ(run(obj, names[i], &io), POISON_RET);
	}
}

TEST(core_poison)
{
	each_core_obj(t, core_poison_body);
}

TEST(core_ambiguous)
{
	CORE_SETUP();
	for (int c = 0; c < 2; c++) {
		const char *name = c ? "core_amb.v4.o" : "core_amb.v3.o";
		struct sops_object_open_opts oo = { .sz = sizeof(oo) };
		struct sops_object_load_opts lo = { .sz = sizeof(lo), .host_btf = h.host };
		struct sops_object *obj;
		char log[512];
		size_t size;
		void *data = read_file(name, &size);

		if (!data)
			T_SKIP("%s not built", name);
		T_EQ(load_mem(data, size, &h, true, &obj, log, sizeof(log)), -EINVAL);
		T_ASSERT(strstr(log, "ambiguous"));
		T_ASSERT(strstr(log, "core_amb_prog"));
		T_ASSERT(strstr(log, "field_byte_offset"));
		T_ASSERT(strstr(log, "\"0:0\""));
		T_ASSERT(strstr(log, "core_amb___a") && strstr(log, "core_amb___b"));
		/* autoload off: its relocations are not even looked at */
		T_EQ(sops_object__open_mem(data, size, &oo, &obj), 0);
		sops_program__set_autoload(sops_object__find_program_by_name(obj, "core_amb_prog"), false);
		T_EQ(sops_object__load(obj, &lo), 0);
		sops_object__close(obj);
		free(data);
	}
	hosts_free(&h);
}

TEST(core_needs_host)
{
	struct sops_object *obj;
	char log[256];
	size_t size;
	void *data = read_file(objs[0], &size);

	if (!data)
		T_SKIP("objects not built");
	T_EQ(load_mem(data, size, NULL, false, &obj, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "host BTF"));
	free(data);
}

/* ---- hostile records ---- */

/* The CO-RE records of section "syscall" inside @img (a copy of an object). */
struct recs {
	uint8_t *first; /* first record */
	uint32_t cnt, rec_size;
	uint8_t *text;  /* the section's instructions */
	size_t text_size;
};

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static int find_recs(uint8_t *img, size_t size, const struct btf **btf_out, struct sops_object **objp,
		     struct recs *r)
{
	struct sops_object_open_opts oo = { .sz = sizeof(oo) };
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	uint8_t *ext = NULL;
	Elf *elf;

	memset(r, 0, sizeof(*r));
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)img, size);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		gelf_getshdr(scn, &sh);
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, ".BTF.ext"))
			ext = img + sh.sh_offset;
		if (n && !strcmp(n, "syscall")) {
			r->text = img + sh.sh_offset;
			r->text_size = sh.sh_size;
		}
	}
	elf_end(elf);
	if (!ext || !r->text || sops_object__open_mem(img, size, &oo, objp))
		return -EINVAL;
	*btf_out = sops_btf__libbpf(sops_object__btf(*objp));
	{
		uint32_t hdr = rd32(ext + 4), off = rd32(ext + 24), len = rd32(ext + 28);
		uint8_t *p = ext + hdr + off, *end = p + len;

		r->rec_size = rd32(p);
		p += 4;
		while (p < end) {
			const char *sec = btf__name_by_offset(*btf_out, rd32(p));
			uint32_t n = rd32(p + 4);

			if (sec && !strcmp(sec, "syscall")) {
				r->first = p + 8;
				r->cnt = n;
				return 0;
			}
			p += 8 + (size_t)n * r->rec_size;
		}
	}
	return -ENOENT;
}

/* Load the mutated @img: the errno, and the message when it fails. */
static int try_load(const uint8_t *img, size_t size, const struct hosts *h, char *log, size_t log_size)
{
	struct sops_object *obj;
	int err = load_mem(img, size, h, true, &obj, log, log_size);

	if (!err)
		sops_object__close(obj);
	return err;
}

TEST(core_bad_records)
{
	CORE_SETUP();
	struct sops_object *obj = NULL;
	const struct btf *ob;
	struct recs r;
	char log[512];
	size_t size;
	uint8_t *orig = read_file(objs[0], &size), *img;
	int deep = -1, exists = -1, typerel = -1;

	if (!orig)
		T_SKIP("objects not built");
	img = malloc(size);
	memcpy(img, orig, size);
	T_EQ(find_recs(img, size, &ob, &obj, &r), 0);
	T_ASSERT(r.cnt > 10 && r.rec_size >= 16);
	for (uint32_t i = 0; i < r.cnt; i++) {
		uint8_t *p = r.first + i * r.rec_size;
		const char *acc = btf__name_by_offset(ob, rd32(p + 8));
		uint32_t kind = rd32(p + 12);

		if (deep < 0 && kind == 0 && strchr(acc, ':') && strchr(strchr(acc, ':') + 1, ':') == NULL &&
		    atoi(strchr(acc, ':') + 1) >= 3)
			deep = (int)i;
		if (exists < 0 && kind == 2)
			exists = (int)i;
		if (typerel < 0 && kind == 8)
			typerel = (int)i;
	}
	T_ASSERT(deep >= 0 && exists >= 0 && typerel >= 0);

#define MUTATE(idx, field, val, want, text)                                                        \
	do {                                                                                       \
		memcpy(img, orig, size);                                                           \
		wr32(r.first + (idx) * r.rec_size + (field), (val));                               \
		T_EQ(try_load(img, size, &h, log, sizeof(log)), want);                             \
		if (!strstr(log, text))                                                            \
			T_FAIL("message \"%s\" lacks \"%s\"", log, text);                          \
	} while (0)

	MUTATE(0, 4, 0xffffff, -EINVAL, "type id is not in the object's BTF");
	MUTATE(0, 4, 0, -EINVAL, "type id");
	MUTATE(0, 12, 99, -EOPNOTSUPP, "unknown relocation kind");
	MUTATE(0, 0, 3, -EINVAL, "not an instruction");
	MUTATE(0, 0, 0x7ffffff8, -EINVAL, "not an instruction");
	MUTATE(0, 8, 0x0fffffff, -EINVAL, "access string offset");
	/* a struct name as access string */
	MUTATE(deep, 8, btf__type_by_id(ob, rd32(r.first + deep * r.rec_size + 4))->name_off, -EINVAL,
	       "where a number belongs");
	/* a field access on a type with fewer members: core_inner has one */
	MUTATE(deep, 4, btf__find_by_name_kind(ob, "core_inner", BTF_KIND_STRUCT), -EINVAL,
	       "out of range");
	/* a type relocation with a field access string */
	MUTATE(typerel, 8, rd32(r.first + deep * r.rec_size + 8), -EINVAL, "must be \"0\"");
	/* an enum relocation on a struct */
	MUTATE(deep, 12, 11, -EINVAL, "enum");
	/* a field relocation on the wrong instruction: the last slot of the section is an exit */
	MUTATE(0, 0, (uint32_t)(r.text_size - 8), -EINVAL, "cannot carry");
	/* the instruction does not hold what the local type implies */
	{
		uint32_t off = rd32(r.first + exists * r.rec_size);
		struct sops_insn *ins = (struct sops_insn *)(r.text + off);

		memcpy(img, orig, size);
		T_EQ(ins->imm, 1);
		ins = (struct sops_insn *)(img + (r.text - img) + off);
		ins->imm = 5;
		T_EQ(try_load(img, size, &h, log, sizeof(log)), -EINVAL);
		T_ASSERT(strstr(log, "the immediate is 5") && strstr(log, "field_exists") &&
			 strstr(log, "program 'core_"));
	}
	/* random records: a clean error or a load, never a crash */
	srand(7);
	for (int k = 0; k < 400; k++) {
		memcpy(img, orig, size);
		for (int m = 0; m < 3; m++) {
			uint8_t *p = r.first + (rand() % r.cnt) * r.rec_size + 4 * (rand() % 4);
			uint32_t v = rd32(p);

			switch (rand() % 4) {
			case 0: v ^= 1u << (rand() % 32); break;
			case 1: v = rand() % 64; break;
			case 2: v += 8; break;
			default: v = rd32(r.first + (rand() % r.cnt) * r.rec_size + 8); break;
			}
			wr32(p, v);
		}
		log[0] = 0;
		if (try_load(img, size, &h, log, sizeof(log)) && !log[0])
			T_FAIL("mutation %d failed without a message", k);
	}
	sops_object__close(obj);
	free(img);
	free(orig);
	hosts_free(&h);
}

/* ---- matching rules on synthetic BTF ---- */

TEST(core_essential_names)
{
	T_EQ(core_essential_len("task_struct___v2"), 11);
	T_EQ(core_essential_len("core_s"), 6);
	T_EQ(core_essential_len("a___b___c"), 5);
	T_EQ(core_essential_len("a____b"), 6);
	T_EQ(core_essential_len("___x"), 4);
	T_EQ(core_essential_len("x___"), 4);
	T_EQ(core_essential_len(""), 0);
}

TEST(core_access_strings)
{
	struct btf *b = btf__new_empty();
	struct core_spec spec;
	char why[CORE_WHY_LEN];
	char big[400] = "0";
	int i32, s, arr;

	T_ASSERT(b);
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	s = btf__add_struct(b, "s", 8);
	btf__add_field(b, "a", i32, 0, 0);
	btf__add_field(b, "b", i32, 32, 0);
	arr = btf__add_array(b, i32, i32, 3);
	T_ASSERT(arr > 0);
	T_EQ(core_parse_spec(b, s, "0:1", CORE_FIELD_BYTE_OFFSET, &spec, why), 0);
	T_EQ(spec.bit_off, 32);
	T_EQ(spec.len, 2);
	T_EQ(core_parse_spec(b, s, "1:0", CORE_FIELD_BYTE_OFFSET, &spec, why), 0);
	T_EQ(spec.bit_off, 64);
	T_EQ(core_parse_spec(b, arr, "0:2", CORE_FIELD_BYTE_OFFSET, &spec, why), 0);
	T_EQ(spec.bit_off, 64);
	const char *bad[] = { "", ":", "0:", "0::1", "x", "0:a", "99999999999", "0:2", "0:0:0", "0:-1", "0 1" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = 0;
		if (!core_parse_spec(b, s, bad[i], CORE_FIELD_BYTE_OFFSET, &spec, why))
			T_FAIL("access string \"%s\" accepted", bad[i]);
		T_ASSERT(why[0]);
	}
	T_EQ(core_parse_spec(b, arr, "0:3", CORE_FIELD_BYTE_OFFSET, &spec, why), -EINVAL);
	for (int i = 0; i < 70; i++)
		strcat(big, ":0");
	T_EQ(core_parse_spec(b, arr, big, CORE_FIELD_BYTE_OFFSET, &spec, why), -E2BIG);
	T_EQ(core_parse_spec(b, s, "0:1", CORE_TYPE_SIZE, &spec, why), -EINVAL);
	T_EQ(core_parse_spec(b, s, "0", CORE_TYPE_SIZE, &spec, why), 0);
	T_EQ(core_parse_spec(b, s, "0", CORE_ENUMVAL_VALUE, &spec, why), -EINVAL);
	/* huge element index: the offset would overflow */
	T_EQ(core_parse_spec(b, s, "2147483647", CORE_FIELD_BYTE_OFFSET, &spec, why), -EINVAL);
	btf__free(b);
}

TEST(core_type_loops)
{
	struct btf *b = btf__new_empty();
	int i32, p1, p2, td, st, ptr_st;

	T_ASSERT(b);
	/* p1 -> p2 -> p1: a pointer cycle, legal BTF that must not hang the matcher */
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	p1 = btf__add_ptr(b, i32 + 2);
	p2 = btf__add_ptr(b, p1);
	T_EQ(p2, i32 + 2);
	td = btf__add_typedef(b, "loop_t", p1);
	st = btf__add_struct(b, "node", 8);
	ptr_st = btf__add_ptr(b, st);
	btf__add_field(b, "next", ptr_st, 0, 0);
	T_ASSERT(td > 0 && ptr_st > 0);
	T_EQ(core_types_compat(b, td, b, td), -EINVAL);
	T_EQ(core_types_match(b, td, b, td), -EINVAL);
	/* a self-referencing struct is fine: composites behind pointers match by kind */
	T_EQ(core_types_compat(b, st, b, st), 1);
	T_EQ(core_types_match(b, st, b, st), 1);
	T_EQ(core_types_compat(b, st, b, td), 0);
	btf__free(b);
}

TEST(core_match_rules)
{
	struct btf *l = btf__new_empty(), *tb = btf__new_empty();
	int li, lu, ls, le, ti, tl, ts, te, tanon, tfwd, lptr;

	T_ASSERT(l && tb);
	li = btf__add_int(l, "int", 4, BTF_INT_SIGNED);
	lu = btf__add_int(l, "unsigned int", 4, 0);
	ls = btf__add_struct(l, "s___local", 4);
	btf__add_field(l, "x", li, 0, 0);
	le = btf__add_enum(l, "e", 4);
	btf__add_enum_value(l, "A", 1);
	lptr = btf__add_ptr(l, ls);
	ti = btf__add_int(tb, "int", 4, BTF_INT_SIGNED);
	tl = btf__add_int(tb, "long", 8, BTF_INT_SIGNED);
	ts = btf__add_struct(tb, "s", 16);
	btf__add_field(tb, "y", tl, 0, 0);
	btf__add_field(tb, "x", ti, 64, 0);
	te = btf__add_enum(tb, "e___v1", 4);
	btf__add_enum_value(tb, "B", 2);
	btf__add_enum_value(tb, "A", 7);
	tanon = btf__add_struct(tb, "", 4);
	btf__add_field(tb, "x", ti, 0, 0);
	tfwd = btf__add_struct(tb, "s___nox", 4);
	btf__add_field(tb, "z", ti, 0, 0);
	T_ASSERT(lu > 0 && tanon > 0 && tfwd > 0 && lptr > 0);
	T_EQ(core_types_match(l, ls, tb, ts), 1);    /* subset of members, same types */
	T_EQ(core_types_match(l, le, tb, te), 1);
	T_EQ(core_types_match(l, ls, tb, tanon), 0); /* anonymous target, named local */
	T_EQ(core_types_match(l, li, tb, tl), 0);    /* int sizes differ */
	T_EQ(core_types_match(l, lu, tb, ti), 0);    /* signedness differs */
	T_EQ(core_types_compat(l, li, tb, tl), 1);   /* any two ints are compatible */
	T_EQ(core_types_compat(l, ls, tb, te), 0);
	{
		struct core_spec ls_spec, out;
		char why[CORE_WHY_LEN];

		T_EQ(core_parse_spec(l, ls, "0:0", CORE_FIELD_BYTE_OFFSET, &ls_spec, why), 0);
		T_EQ(core_spec_match(&ls_spec, tb, ts, &out), 1);
		T_EQ(out.bit_off, 64);
		T_EQ(core_spec_match(&ls_spec, tb, tfwd, &out), 0);
		T_EQ(core_parse_spec(l, le, "0", CORE_ENUMVAL_VALUE, &ls_spec, why), 0);
		T_EQ(core_spec_match(&ls_spec, tb, te, &out), 1);
		T_EQ(out.acc[0].idx, 1);
	}
	btf__free(l);
	btf__free(tb);
}
