/* SPDX-License-Identifier: MIT */
/*
 * cmd_struct_ops.c - `structops struct_ops list|dump FILE.o [MAP] [--btf HOST_BTF
 * [--base BASE]] [--json]`: the struct_ops maps of a BPF object, in the spirit of
 * bpftool's struct_ops commands but on an object file rather than a kernel.
 *
 * list prints one line per struct_ops map (name, struct type, link or not,
 * value size, how many members are bound to programs); dump adds each member
 * bound to a program (with the program's section and, once loaded, the member
 * it attaches to) and each data member with its value from the shadow (the
 * object's initial value). With --btf the object is first loaded against that
 * host BTF, so a type or member the host lacks fails here, and the host's
 * value type (id and size) is shown.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include <structops/btf.h>
#include <structops/object.h>

#include "commands.h"

#define SOPS_BPF_F_LINK (1u << 13) /* BPF_F_LINK: a .struct_ops.link map */

struct so_cmd {
	const char *file, *only, *btf_file, *base_file;
	bool json, dump, loaded;
	struct sops_object *obj;
	struct sops_btf *base, *host;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: structops struct_ops list FILE.o [--btf HOST_BTF [--base BASE]] [--json]\n"
		"       structops struct_ops dump FILE.o [MAP] [--btf HOST_BTF [--base BASE]] [--json]\n"
		"\n"
		"The struct_ops maps of a BPF object (SEC(\".struct_ops\") and\n"
		"SEC(\".struct_ops.link\") variables), as bpftool's struct_ops commands show\n"
		"the kernel's.\n"
		"\n"
		"list: one line per map: name, struct type, whether it attaches through a\n"
		"link (BPF_F_LINK), value size and the number of members bound to programs.\n"
		"dump: each map (or only MAP) in full: the members bound to programs (program\n"
		"name and section) and the data members with their initial values (integers\n"
		"in decimal, char arrays as strings, anything else as hex bytes).\n"
		"\n"
		"  --btf HOST_BTF  load the object against this host BTF first (raw BTF or an\n"
		"                  ELF file with .BTF): the struct types must exist there; the\n"
		"                  host's value type id and size are shown\n"
		"  --base BASE     HOST_BTF is split BTF on BASE (a module's on its host's)\n"
		"  --json          JSON: {\"maps\": [{\"name\", \"struct\", \"link\", ...}]}\n"
		"  -h, --help      this text\n"
		"\n"
		"Exit status: 0 success, 1 an unreadable object or BTF, a failed load or no\n"
		"map named MAP, 2 bad usage. With --json a failure (status 1) prints\n"
		"{\"error\": {\"errno\": N, \"name\": \"EXXX\", \"message\": \"...\"}} on stdout.\n"
		"\n"
		"example:\n"
		"  structops struct_ops dump sched.bpf.o pol --btf host.btf --json\n");
}

/* A failure, as text on stderr or a JSON error object (tool_error()). */
#define fail(c, err, ...) tool_error("struct_ops", (c)->json, (err), __VA_ARGS__)
#define fail_file(c, file, log, err) tool_error_file("struct_ops", (c)->json, (file), (log), (err))

/* The local struct type of struct_ops map @m in the object's BTF, or NULL. */
static const struct btf_type *local_type(const struct so_cmd *c, const struct sops_map *m,
					 const struct btf **btfp)
{
	const struct btf *btf = sops_btf__libbpf(sops_object__btf(c->obj));
	int id = btf ? btf__find_by_name_kind(btf, sops_map__struct_ops_type(m), BTF_KIND_STRUCT) : -1;

	*btfp = btf;
	return id > 0 ? btf__type_by_id(btf, id) : NULL;
}

static bool is_func_ptr(const struct btf *btf, uint32_t type)
{
	const struct btf_type *t = btf__type_by_id(btf, type);

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_ptr(t))
		return false;
	t = btf__type_by_id(btf, t->type);
	return t && btf_is_func_proto(t);
}

static int bound_count(const struct so_cmd *c, const struct sops_map *m)
{
	const struct btf *btf;
	const struct btf_type *t = local_type(c, m, &btf);
	int n = 0;

	for (int i = 0; t && i < btf_vlen(t); i++)
		n += sops_map__struct_ops_prog(m, btf__name_by_offset(btf, btf_members(t)[i].name_off)) != NULL;
	return n;
}

/* A data member's value: an integer, a string (char array) or hex bytes. */
static void print_value(const struct btf *btf, uint32_t type, const uint8_t *p, size_t avail, bool json)
{
	const struct btf_type *t = btf__type_by_id(btf, type);
	long long sz;

	while (t && (btf_is_mod(t) || btf_is_typedef(t) || btf_is_enum(t))) {
		if (btf_is_enum(t))
			break;
		t = btf__type_by_id(btf, t->type);
	}
	sz = btf__resolve_size(btf, type);
	if (!t || sz < 0 || (size_t)sz > avail) {
		printf(json ? "null" : "?");
		return;
	}
	if ((btf_is_int(t) || btf_is_enum(t)) && (sz == 1 || sz == 2 || sz == 4 || sz == 8)) {
		bool sign = btf_is_int(t) ? (btf_int_encoding(t) & BTF_INT_SIGNED) : btf_kflag(t);
		uint64_t u = 0;

		memcpy(&u, p, (size_t)sz); /* little endian */
		if (sign && sz < 8 && (u >> (sz * 8 - 1)) & 1)
			u |= ~0ull << (sz * 8);
		if (sign)
			printf("%lld", (long long)u);
		else
			printf("%llu", (unsigned long long)u);
		return;
	}
	if (btf_is_array(t)) {
		const struct btf_type *e = btf__type_by_id(btf, btf_array(t)->type);

		if (e && btf_is_int(e) && e->size == 1 && memchr(p, 0, (size_t)sz)) {
			printf(json ? "\"%s\"" : "\"%s\"", json ? tool_json_escape((const char *)p) : (const char *)p);
			return;
		}
	}
	printf("\"");
	for (long long i = 0; i < sz; i++)
		printf("%02x", p[i]);
	printf("\"");
}

static void dump_members(const struct so_cmd *c, struct sops_map *m)
{
	const struct btf *btf;
	const struct btf_type *t = local_type(c, m, &btf);
	size_t size = 0;
	const uint8_t *shadow = sops_map__initial_value(m, &size);
	bool first = true;

	printf(c->json ? ", \"programs\": {" : "");
	for (int i = 0; t && i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, btf_members(t)[i].name_off);
		const struct sops_program *p = sops_map__struct_ops_prog(m, name);

		if (!p)
			continue;
		if (c->json) {
			printf("%s\"%s\": ", first ? "" : ", ", tool_json_escape(name));
			printf("{\"prog\": \"%s\"", tool_json_escape(sops_program__name(p)));
			printf(", \"section\": \"%s\"}", tool_json_escape(sops_program__section_name(p)));
		} else {
			printf("    .%s = %s (section %s)\n", name, sops_program__name(p),
			       sops_program__section_name(p));
		}
		first = false;
	}
	printf(c->json ? "}, \"data\": {" : "");
	first = true;
	for (int i = 0; t && shadow && i < btf_vlen(t); i++) {
		const struct btf_member *bm = &btf_members(t)[i];
		const char *name = btf__name_by_offset(btf, bm->name_off);
		uint32_t off = btf_member_bit_offset(t, (uint32_t)i) / 8;

		if (is_func_ptr(btf, bm->type) || !name[0] || btf_member_bitfield_size(t, (uint32_t)i))
			continue;
		if (c->json)
			printf("%s\"%s\": ", first ? "" : ", ", tool_json_escape(name));
		else
			printf("    .%s = ", name);
		print_value(btf, bm->type, shadow + off, off < size ? size - off : 0, c->json);
		printf(c->json ? "" : "\n");
		first = false;
	}
	printf(c->json ? "}" : "");
}

static void print_map(const struct so_cmd *c, struct sops_map *m, bool first)
{
	bool link = sops_map__map_flags(m) & SOPS_BPF_F_LINK;

	if (c->json) {
		printf("%s\n  {\"name\": \"%s\"", first ? "" : ",", tool_json_escape(sops_map__name(m)));
		printf(", \"struct\": \"%s\", \"link\": %s, \"flags\": %u, \"value_size\": %u, \"bound\": %d",
		       tool_json_escape(sops_map__struct_ops_type(m)), link ? "true" : "false",
		       sops_map__map_flags(m), sops_map__value_size(m), bound_count(c, m));
		printf(", \"autocreate\": %s", sops_map__autocreate(m) ? "true" : "false");
		if (c->loaded && sops_map__autocreate(m))
			printf(", \"host_value_type_id\": %u", sops_map__btf_vmlinux_value_type_id(m));
	} else {
		printf("%-16s struct %-20s %-7s value %u, %d bound%s", sops_map__name(m),
		       sops_map__struct_ops_type(m), link ? "link" : "no-link", sops_map__value_size(m),
		       bound_count(c, m), sops_map__autocreate(m) ? "" : " (not created)");
		if (c->loaded && sops_map__autocreate(m))
			printf(", host value type id %u", sops_map__btf_vmlinux_value_type_id(m));
		putchar('\n');
	}
	if (c->dump)
		dump_members(c, m);
	if (c->json)
		printf("}");
}

static int print_maps(struct so_cmd *c)
{
	struct sops_map *m = NULL;
	bool first = true;

	while ((m = (struct sops_map *)sops_object__next_map(c->obj, m))) {
		if (sops_map__type(m) != SOPS_MAP_TYPE_STRUCT_OPS)
			continue;
		if (c->only && strcmp(c->only, sops_map__name(m)))
			continue;
		if (first && c->json)
			printf("{\"maps\": [");
		print_map(c, m, first);
		first = false;
	}
	if (first && c->json && !c->only)
		printf("{\"maps\": [");
	if (c->only && first) {
		fail(c, -ENOENT, "%s: no struct_ops map named '%s'", c->file, c->only);
		return 1;
	}
	if (c->json)
		printf("\n]}\n");
	return 0;
}

/* Parses argv; 0, or the exit status of a usage error or --help (-1 for 0). */
static int parse(struct so_cmd *c, int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return -1;
		} else if (!strcmp(a, "--json")) {
			c->json = true;
		} else if (!strcmp(a, "--btf") && i + 1 < argc) {
			c->btf_file = argv[++i];
		} else if (!strcmp(a, "--base") && i + 1 < argc) {
			c->base_file = argv[++i];
		} else if (a[0] != '-' && !c->file) {
			c->file = a;
		} else if (a[0] != '-' && c->dump && !c->only) {
			c->only = a;
		} else {
			fprintf(stderr, "structops struct_ops: unexpected argument '%s'\n", a);
			return 2;
		}
	}
	if (!c->file) {
		fprintf(stderr, "structops struct_ops: FILE.o missing\n");
		return 2;
	}
	if (c->base_file && !c->btf_file) {
		fprintf(stderr, "structops struct_ops: --base needs --btf (it is the base of the split HOST_BTF)\n");
		return 2;
	}
	return 0;
}

static int load_btf(struct so_cmd *c)
{
	char log[512] = "";
	struct sops_btf_opts bo = { .sz = sizeof(bo), .log_buf = log, .log_size = sizeof(log) };
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log) };
	int err;

	if (c->base_file) {
		err = sops_btf__load_file(c->base_file, &bo, &c->base);
		if (err) {
			fail_file(c, c->base_file, log, err);
			return err;
		}
		bo.base = c->base;
	}
	err = sops_btf__load_file(c->btf_file, &bo, &c->host);
	if (err) {
		fail_file(c, c->btf_file, log, err);
		return err;
	}
	lo.host_btf = c->host;
	err = sops_object__load(c->obj, &lo);
	if (err) {
		fail(c, -err > 0 && -err < 4000 ? err : -EINVAL, "%s: load: %s (%s)", c->file,
		     log[0] ? log : "failed", strerror(-err > 0 && -err < 4000 ? -err : EINVAL));
		return err;
	}
	c->loaded = true;
	return 0;
}

int cmd_struct_ops(int argc, char **argv)
{
	struct so_cmd c = { 0 };
	char log[512] = "";
	struct sops_object_open_opts oo = { .sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log) };
	int rc, err;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	c.dump = !strcmp(argv[1], "dump");
	if (!c.dump && strcmp(argv[1], "list")) {
		fprintf(stderr, "structops struct_ops: unknown subcommand '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	rc = parse(&c, argc, argv);
	if (rc)
		return rc < 0 ? 0 : rc;
	err = sops_object__open_file(c.file, &oo, &c.obj);
	if (err) {
		fail_file(&c, c.file, log, err);
		return 1;
	}
	rc = 1;
	if (c.btf_file && load_btf(&c))
		goto out;
	rc = print_maps(&c);
out:
	sops_object__close(c.obj);
	sops_btf__free(c.host); /* split BTF before its base */
	sops_btf__free(c.base);
	return rc;
}
