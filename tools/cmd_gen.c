/* SPDX-License-Identifier: MIT */
/*
 * cmd_gen.c - `structops gen skeleton FILE.o [--name NAME]`: a C header that
 * gives a host typed access to one BPF object, in the spirit of bpftool's
 * skeletons (the design is structops' own).
 *
 * The header defines struct NAME: the object, its programs and maps by name,
 * one link per struct_ops map, typed pointers to the global data (.bss,
 * .data, .rodata, .data.X, .rodata.X, .kconfig; the variable types come from
 * the object's BTF through libbpf's btf_dump) and to each struct_ops map's
 * shadow value (a struct laid out like the local ops struct, function slots
 * as struct sops_program *). Static inline functions open the object from
 * its ELF bytes, embedded in the header, or from a file, load it into a
 * runtime, attach and detach its struct_ops maps and destroy it all. The
 * data pointers come from sops_map__mmaped(): the initial image before
 * load, the live map value after (the bytes programs use, not a copy).
 *
 * The header is built in memory and printed only when complete, so a
 * failure leaves stdout empty.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf_common.h>

#include <structops/btf.h>
#include <structops/object.h>

#include "commands.h"

/* One member of the skeleton's maps: the map and the identifier it gets. */
struct gen_map {
	struct sops_map *map;
	char ident[64];
	const struct btf_type *sec; /* global data: the DATASEC (NULL: untyped) */
	uint32_t sec_size;
	bool st_ops;
};

struct gen {
	const char *file, *name;
	char name_buf[64], upper[64];
	uint8_t *elf;
	size_t elf_size;
	struct sops_object *obj;
	const struct btf *btf;
	struct btf_dump *dump;
	struct gen_map *maps;
	size_t map_cnt;
	FILE *out;
	/* offset checks of the struct being emitted: "struct X", then "field off" lines */
	char struct_name[200];
	char checks[4096];
	size_t checks_len;
	char *text;
	size_t text_size;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: structops gen skeleton FILE.o [--name NAME]\n"
		"\n"
		"Prints a C header (a skeleton) for the BPF object FILE.o: struct NAME with\n"
		"the object (obj), its programs (progs.P, struct sops_program *), maps\n"
		"(maps.M, struct sops_map *), one link per struct_ops map (links.M), typed\n"
		"pointers to the global variables (bss, data, rodata, data_X for .data.X,\n"
		"rodata_X, kconfig: their types from the object's BTF) and to each\n"
		"struct_ops map's shadow value (struct_ops.M: the ops struct, function slots\n"
		"holding struct sops_program *), and static inline functions:\n"
		"\n"
		"  NAME__open(), NAME__open_opts(OPTS)  the object from the ELF bytes embedded\n"
		"                                       in the header (no file at run time)\n"
		"  NAME__open_file(PATH, OPTS)          the same from a file with the same maps\n"
		"                                       and programs (a rebuilt FILE.o)\n"
		"  NAME__load(S, RT), NAME__load_opts   load into a runtime\n"
		"  NAME__attach(S), NAME__detach(S)     struct_ops maps: links made, destroyed\n"
		"  NAME__destroy(S)                     links, object and skeleton freed\n"
		"  NAME__elf_bytes(&SIZE)               the embedded object\n"
		"\n"
		"Before load the data pointers address the initial image (set .rodata and\n"
		".data there) and struct_ops.M the shadow (rebind programs, set data\n"
		"members); after load they address the live map values the programs use,\n"
		"so the host reads and writes variables directly (.rodata: before load only).\n"
		"Names that are not C identifiers (.rodata.str1.1) are left out.\n"
		"\n"
		"  --name NAME  the skeleton's name (a C identifier); default: the file name\n"
		"               without its directory and \".o\", other characters as '_'\n"
		"               (lru.bpf.o: lru_bpf)\n"
		"  -h, --help   this text\n"
		"\n"
		"Exit status: 0 success (the header on stdout), 1 a missing or unreadable\n"
		"file or one that is not a BPF object (nothing printed), 2 bad usage.\n"
		"\n"
		"example:\n"
		"  structops gen skeleton lru.bpf.o > lru.skel.h\n"
		"  cc -c host.c   # #include \"lru.skel.h\": lru_bpf__open(), __load(skel, rt), ...\n");
}

static bool is_ident(const char *s)
{
	if (!s[0] || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* The default name: the file's base name without ".o", other non-identifier characters as '_'. */
static void default_name(struct gen *g)
{
	const char *base = strrchr(g->file, '/');
	size_t n;

	base = base ? base + 1 : g->file;
	n = strlen(base);
	if (n > 2 && !strcmp(base + n - 2, ".o"))
		n -= 2;
	if (n >= sizeof(g->name_buf))
		n = sizeof(g->name_buf) - 1;
	for (size_t i = 0; i < n; i++)
		g->name_buf[i] = isalnum((unsigned char)base[i]) ? base[i] : '_';
	g->name_buf[n] = '\0';
	if (!n || isdigit((unsigned char)g->name_buf[0]))
		snprintf(g->name_buf, sizeof(g->name_buf), "obj_%.*s", (int)n, base);
	g->name = g->name_buf;
}

static void dump_printf(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/* A global data map's identifier from its DATASEC name: .bss -> bss, .data.X -> data_X. */
static bool data_ident(const char *sec, char *buf, size_t size)
{
	char *dot;

	if (sec[0] != '.' || strlen(sec) >= size)
		return false;
	snprintf(buf, size, "%s", sec + 1);
	dot = strchr(buf, '.');
	if (dot)
		*dot = '_';
	return is_ident(buf);
}

static bool ident_taken(const struct gen *g, const char *ident)
{
	static const char *const fixed[] = { "obj", "maps", "progs", "links", "struct_ops" };

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(ident, fixed[i]))
			return true;
	for (size_t i = 0; i < g->map_cnt; i++)
		if (!strcmp(g->maps[i].ident, ident))
			return true;
	return false;
}

/* The maps the skeleton names, with their identifiers; others are listed as skipped. */
static int collect_maps(struct gen *g)
{
	struct sops_map *m = NULL;
	size_t cap = 0;

	while ((m = sops_object__next_map(g->obj, m))) {
		struct gen_map gm = { .map = m };
		enum sops_map_kind kind = sops_map__kind(m);

		if (kind == SOPS_MAP_USER || kind == SOPS_MAP_STRUCT_OPS_VAR) {
			if (!is_ident(sops_map__name(m)) || strlen(sops_map__name(m)) >= sizeof(gm.ident))
				continue;
			snprintf(gm.ident, sizeof(gm.ident), "%s", sops_map__name(m));
			gm.st_ops = kind == SOPS_MAP_STRUCT_OPS_VAR;
		} else {
			uint32_t id = sops_map__btf_value_type_id(m);
			const struct btf_type *t = g->btf && id ? btf__type_by_id(g->btf, id) : NULL;

			if (!t || !btf_is_datasec(t) ||
			    !data_ident(btf__name_by_offset(g->btf, t->name_off), gm.ident, sizeof(gm.ident)))
				continue;
			gm.sec = t;
			gm.sec_size = sops_map__value_size(m);
		}
		if (ident_taken(g, gm.ident))
			continue;
		if (g->map_cnt == cap) {
			struct gen_map *bigger = realloc(g->maps, (cap ? cap * 2 : 8) * sizeof(*bigger));

			if (!bigger)
				return -ENOMEM;
			g->maps = bigger;
			cap = cap ? cap * 2 : 8;
		}
		g->maps[g->map_cnt++] = gm;
	}
	return 0;
}

/*
 * Offset checks: the host's compiler must lay each generated struct out as
 * the object's BTF says (it may not for packed or over-aligned types), so
 * every member gets a _Static_assert after its struct. Beyond the buffer,
 * members go unchecked.
 */
static void begin_struct(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->struct_name, sizeof(g->struct_name), fmt, ap);
	va_end(ap);
	g->checks_len = 0;
	g->checks[0] = '\0';
	fprintf(g->out, "\n%s {\n", g->struct_name);
}

static void check_offset(struct gen *g, const char *field, uint32_t off)
{
	int n = snprintf(g->checks + g->checks_len, sizeof(g->checks) - g->checks_len,
			 "_Static_assert(offsetof(%s, %s) == %u, \"%s: %s moved\");\n", g->struct_name,
			 field, off, g->struct_name, field);

	if (n > 0 && (size_t)n < sizeof(g->checks) - g->checks_len)
		g->checks_len += (size_t)n;
	else
		g->checks[g->checks_len] = '\0';
}

static void end_struct(struct gen *g)
{
	fprintf(g->out, "};\n");
	if (g->checks_len)
		fprintf(g->out, "#ifndef __cplusplus\n%s#endif\n", g->checks);
}

/* One field at byte @off of a generated struct, padding up to it from *@cur first. */
static int emit_field(struct gen *g, uint32_t type, const char *name, uint32_t off, uint32_t size,
		      uint32_t *cur, int *pad)
{
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = name, .indent_level = 1,
			    .strip_mods = true);
	int err;

	if (off > *cur)
		fprintf(g->out, "\tchar __pad%d[%u];\n", (*pad)++, off - *cur);
	check_offset(g, name, off);
	fprintf(g->out, "\t");
	err = btf_dump__emit_type_decl(g->dump, type, &o);
	if (err)
		return err;
	fprintf(g->out, ";\n");
	*cur = off + size;
	return 0;
}

static void emit_tail_pad(struct gen *g, uint32_t cur, uint32_t size, int pad)
{
	if (size > cur)
		fprintf(g->out, "\tchar __pad%d[%u];\n", pad, size - cur);
}

/* The types the variables of @sec use, then struct NAME__IDENT with the global variables. */
static int emit_datasec(struct gen *g, const struct gen_map *gm)
{
	const struct btf_var_secinfo *vi = btf_var_secinfos(gm->sec);
	uint32_t cur = 0;
	int pad = 0, err = 0;

	for (int i = 0; i < btf_vlen(gm->sec) && !err; i++) {
		const struct btf_type *v = btf__type_by_id(g->btf, vi[i].type);

		if (v && btf_is_var(v) && btf_var(v)->linkage != BTF_VAR_STATIC)
			err = btf_dump__dump_type(g->dump, v->type);
	}
	begin_struct(g, "struct %s__%s", g->name, gm->ident);
	for (int i = 0; i < btf_vlen(gm->sec) && !err; i++) {
		const struct btf_type *v = btf__type_by_id(g->btf, vi[i].type);

		/* static variables are private to the program; overlapping ones cannot be members */
		if (!v || !btf_is_var(v) || btf_var(v)->linkage == BTF_VAR_STATIC || vi[i].offset < cur ||
		    vi[i].offset + vi[i].size > gm->sec_size)
			continue;
		err = emit_field(g, v->type, btf__name_by_offset(g->btf, v->name_off), vi[i].offset,
				 vi[i].size, &cur, &pad);
	}
	emit_tail_pad(g, cur, gm->sec_size, pad);
	end_struct(g);
	return err;
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

/* The local ops struct of struct_ops map @gm, or NULL. */
static const struct btf_type *ops_type(const struct gen *g, const struct gen_map *gm)
{
	int id = g->btf ? btf__find_by_name_kind(g->btf, sops_map__struct_ops_type(gm->map),
						  BTF_KIND_STRUCT) : -1;

	return id > 0 ? btf__type_by_id(g->btf, id) : NULL;
}

/*
 * struct NAME__MAP__TYPE: the shadow value's layout, the local struct with
 * function pointers as struct sops_program * (what the shadow holds).
 * Bitfields and unnamed members stay padding.
 */
static int emit_shadow(struct gen *g, const struct gen_map *gm)
{
	const struct btf_type *t = ops_type(g, gm);
	uint32_t cur = 0;
	int pad = 0, err = 0;

	if (!t)
		return 0;
	for (int i = 0; i < btf_vlen(t) && !err; i++) {
		const struct btf_member *m = &btf_members(t)[i];

		if (!is_func_ptr(g->btf, m->type))
			err = btf_dump__dump_type(g->dump, m->type);
	}
	begin_struct(g, "struct %s__%s__%s", g->name, gm->ident, sops_map__struct_ops_type(gm->map));
	for (int i = 0; i < btf_vlen(t) && !err; i++) {
		const struct btf_member *m = &btf_members(t)[i];
		const char *name = btf__name_by_offset(g->btf, m->name_off);
		uint32_t bits = btf_member_bit_offset(t, (uint32_t)i), off = bits / 8;
		long long sz = btf__resolve_size(g->btf, m->type);

		if (!name[0] || bits % 8 || btf_member_bitfield_size(t, (uint32_t)i) || sz < 0 ||
		    off < cur || off + sz > t->size)
			continue;
		if (is_func_ptr(g->btf, m->type)) {
			if (off > cur)
				fprintf(g->out, "\tchar __pad%d[%u];\n", pad++, off - cur);
			check_offset(g, name, off);
			fprintf(g->out, "\tstruct sops_program *%s;\n", name);
			cur = off + 8;
			continue;
		}
		err = emit_field(g, m->type, name, off, (uint32_t)sz, &cur, &pad);
	}
	emit_tail_pad(g, cur, t->size, pad);
	end_struct(g);
	return err;
}

static void emit_prologue(struct gen *g)
{
	fprintf(g->out,
		"/* SPDX-License-Identifier: MIT */\n"
		"/*\n"
		" * %s.skel.h - the skeleton of BPF object %s, generated by\n"
		" * `structops gen skeleton`: do not edit.\n"
		" *\n"
		" * struct %s gives typed access to the object's programs, maps, global\n"
		" * variables and struct_ops shadow values; %s__open(), __load(), __attach(),\n"
		" * __detach() and __destroy() manage it (`structops gen --help`). Data\n"
		" * pointers address the initial image before load and the live map values\n"
		" * after (re-read them after load); .rodata is written before load only.\n"
		" * One skeleton belongs to one thread at a time, as its object does.\n"
		" */\n"
		"#ifndef __%s_SKEL_H__\n"
		"#define __%s_SKEL_H__\n"
		"\n"
		"#include <errno.h>\n"
		"#include <stddef.h>\n"
		"#include <stdio.h>\n"
		"#include <stdlib.h>\n"
		"#include <string.h>\n"
		"\n"
		"#include <structops/object.h>\n"
		"#include <structops/struct_ops.h>\n",
		g->name, strrchr(g->file, '/') ? strrchr(g->file, '/') + 1 : g->file, g->name, g->name,
		g->upper, g->upper);
}

/* The struct NAME declaration. */
static void emit_struct(struct gen *g)
{
	struct sops_program *p = NULL;
	bool any_st = false;

	fprintf(g->out, "\nstruct %s {\n\tstruct sops_object *obj;\n", g->name);
	if (g->map_cnt) {
		fprintf(g->out, "\tstruct {\n");
		for (size_t i = 0; i < g->map_cnt; i++)
			fprintf(g->out, "\t\tstruct sops_map *%s;\n", g->maps[i].ident);
		fprintf(g->out, "\t} maps;\n");
	}
	if (sops_object__next_program(g->obj, NULL)) {
		fprintf(g->out, "\tstruct {\n");
		while ((p = sops_object__next_program(g->obj, p)))
			if (is_ident(sops_program__name(p)))
				fprintf(g->out, "\t\tstruct sops_program *%s;\n", sops_program__name(p));
		fprintf(g->out, "\t} progs;\n");
	}
	for (size_t i = 0; i < g->map_cnt; i++)
		any_st |= g->maps[i].st_ops;
	if (any_st) {
		fprintf(g->out, "\tstruct {\n");
		for (size_t i = 0; i < g->map_cnt; i++)
			if (g->maps[i].st_ops)
				fprintf(g->out, "\t\tstruct sops_link *%s;\n", g->maps[i].ident);
		fprintf(g->out, "\t} links;\n");
	}
	for (size_t i = 0; i < g->map_cnt; i++)
		if (g->maps[i].sec)
			fprintf(g->out, "\tstruct %s__%s *%s;\n", g->name, g->maps[i].ident, g->maps[i].ident);
	if (any_st) {
		fprintf(g->out, "\tstruct {\n");
		for (size_t i = 0; i < g->map_cnt; i++)
			if (g->maps[i].st_ops && ops_type(g, &g->maps[i]))
				fprintf(g->out, "\t\tstruct %s__%s__%s *%s;\n", g->name, g->maps[i].ident,
					sops_map__struct_ops_type(g->maps[i].map), g->maps[i].ident);
			else if (g->maps[i].st_ops)
				fprintf(g->out, "\t\tvoid *%s;\n", g->maps[i].ident);
		fprintf(g->out, "\t} struct_ops;\n");
	}
	fprintf(g->out, "};\n");
}

/* NAME__elf_bytes(): the object as one string literal, 16 bytes a line. */
static void emit_elf(struct gen *g)
{
	fprintf(g->out,
		"\n/* The object's ELF bytes (%zu), so the host needs no file at run time. */\n"
		"static inline const void *%s__elf_bytes(size_t *size)\n"
		"{\n"
		"\tstatic const char data[] __attribute__((__aligned__(8))) =",
		g->elf_size, g->name);
	for (size_t i = 0; i < g->elf_size; i++) {
		if (i % 16 == 0)
			fprintf(g->out, "\n\t\t\"");
		fprintf(g->out, "\\x%02x", g->elf[i]);
		if (i % 16 == 15 || i + 1 == g->elf_size)
			fprintf(g->out, "\"");
	}
	fprintf(g->out, ";\n\n\t*size = sizeof(data) - 1;\n\treturn data;\n}\n");
}

/* NAME__bind_data(): the data and shadow pointers; at open (@check) their sizes must match. */
static void emit_bind(struct gen *g)
{
	struct sops_program *p = NULL;

	fprintf(g->out,
		"\n/* The data and shadow pointers (again after load: live values then). */\n"
		"static inline int %s__bind_data(struct %s *s, int check)\n"
		"{\n"
		"\tsize_t sz = 0;\n\n",
		g->name, g->name);
	for (size_t i = 0; i < g->map_cnt; i++) {
		const struct gen_map *gm = &g->maps[i];

		if (gm->sec) {
			fprintf(g->out, "\ts->%s = (struct %s__%s *)sops_map__mmaped(s->maps.%s, &sz);\n",
				gm->ident, g->name, gm->ident, gm->ident);
			fprintf(g->out, "\tif (check && (!s->%s || sz != %u))\n\t\treturn -EINVAL;\n",
				gm->ident, gm->sec_size);
		} else if (gm->st_ops) {
			const struct btf_type *t = ops_type(g, gm);

			fprintf(g->out, "\ts->struct_ops.%s = sops_map__initial_value(s->maps.%s, &sz);\n",
				gm->ident, gm->ident);
			if (t)
				fprintf(g->out, "\tif (check && (!s->struct_ops.%s || sz != %u))\n"
					"\t\treturn -EINVAL;\n", gm->ident, t->size);
		}
	}
	fprintf(g->out, "\t(void)sz;\n\treturn 0;\n}\n");

	fprintf(g->out,
		"\n/* Find the maps and programs by name: -ENOENT when the object lacks one (*@what). */\n"
		"static inline int %s__bind(struct %s *s, const char **what)\n"
		"{\n",
		g->name, g->name);
	for (size_t i = 0; i < g->map_cnt; i++)
		fprintf(g->out,
			"\ts->maps.%s = sops_object__find_map_by_name(s->obj, \"%s\");\n"
			"\tif (!s->maps.%s) {\n\t\t*what = \"no map '%s'\";\n\t\treturn -ENOENT;\n\t}\n",
			g->maps[i].ident, sops_map__name(g->maps[i].map), g->maps[i].ident,
			sops_map__name(g->maps[i].map));
	while ((p = sops_object__next_program(g->obj, p))) {
		const char *n = sops_program__name(p);

		if (is_ident(n))
			fprintf(g->out,
				"\ts->progs.%s = sops_object__find_program_by_name(s->obj, \"%s\");\n"
				"\tif (!s->progs.%s) {\n\t\t*what = \"no program '%s'\";\n\t\treturn -ENOENT;\n\t}\n",
				n, n, n, n);
	}
	fprintf(g->out, "\t*what = \"a value size differs\";\n\treturn %s__bind_data(s, 1);\n}\n", g->name);
}

static void emit_lifecycle(struct gen *g)
{
	const char *n = g->name;

	fprintf(g->out,
		"\n/*\n"
		" * %s__detach - destroy the links __attach() made (NULL ones skipped).\n"
		" * Returns 0 or the first sops_link__destroy() error.\n"
		" */\n"
		"static inline int %s__detach(struct %s *s)\n"
		"{\n"
		"\tint err = 0, e;\n\n"
		"\tif (!s)\n\t\treturn 0;\n",
		n, n, n);
	for (size_t i = 0; i < g->map_cnt; i++)
		if (g->maps[i].st_ops)
			fprintf(g->out,
				"\te = sops_link__destroy(s->links.%s);\n"
				"\ts->links.%s = NULL;\n"
				"\tif (e && !err)\n\t\terr = e;\n",
				g->maps[i].ident, g->maps[i].ident);
	fprintf(g->out, "\t(void)e;\n\treturn err;\n}\n");

	fprintf(g->out,
		"\n/* %s__destroy - detach, close the object (its maps and programs), free @s. NULL is fine. */\n"
		"static inline void %s__destroy(struct %s *s)\n"
		"{\n"
		"\tif (!s)\n\t\treturn;\n"
		"\t%s__detach(s);\n"
		"\tsops_object__close(s->obj);\n"
		"\tfree(s);\n"
		"}\n",
		n, n, n, n);

	fprintf(g->out,
		"\n/* Open the embedded object (@path NULL) or the file @path; object_name defaults to \"%s\". */\n"
		"static inline struct %s *%s__open_common(const char *path,\n"
		"\t\t\t\t\t\tconst struct sops_object_open_opts *opts)\n"
		"{\n"
		"\tstruct sops_object_open_opts o = { .sz = sizeof(o) };\n"
		"\tstruct %s *s;\n"
		"\tconst char *what = \"\";\n"
		"\tsize_t size = 0;\n"
		"\tconst void *elf = %s__elf_bytes(&size);\n"
		"\tint err;\n\n"
		"\tif (opts)\n"
		"\t\tmemcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));\n"
		"\to.sz = sizeof(o);\n"
		"\tif (!o.object_name)\n"
		"\t\to.object_name = \"%s\";\n"
		"\ts = (struct %s *)calloc(1, sizeof(*s));\n"
		"\tif (!s) {\n\t\terrno = ENOMEM;\n\t\treturn NULL;\n\t}\n"
		"\terr = path ? sops_object__open_file(path, &o, &s->obj)\n"
		"\t\t   : sops_object__open_mem(elf, size, &o, &s->obj);\n"
		"\tif (!err) {\n"
		"\t\terr = %s__bind(s, &what);\n"
		"\t\tif (err && o.log_buf && o.log_size)\n"
		"\t\t\tsnprintf(o.log_buf, o.log_size, \"%%s does not match skeleton %s (made from %s): %%s\",\n"
		"\t\t\t\t path ? path : \"embedded object\", what);\n"
		"\t}\n"
		"\tif (err) {\n\t\t%s__destroy(s);\n\t\terrno = -err;\n\t\treturn NULL;\n\t}\n"
		"\treturn s;\n"
		"}\n",
		sops_object__name(g->obj), n, n, n, n, sops_object__name(g->obj), n, n, n,
		strrchr(g->file, '/') ? strrchr(g->file, '/') + 1 : g->file, n);

	fprintf(g->out,
		"\n/*\n"
		" * %s__open_opts - open the embedded object: a new skeleton, or NULL with\n"
		" * errno set (the open's error; ENOENT/EINVAL: a map or program missing or\n"
		" * sized otherwise). @opts may be NULL.\n"
		" */\n"
		"static inline struct %s *%s__open_opts(const struct sops_object_open_opts *opts)\n"
		"{\n\treturn %s__open_common(NULL, opts);\n}\n"
		"\nstatic inline struct %s *%s__open(void)\n{\n\treturn %s__open_common(NULL, NULL);\n}\n"
		"\n/* %s__open_file - the same from a file with this object's maps and programs. */\n"
		"static inline struct %s *%s__open_file(const char *path,\n"
		"\t\t\t\t\t      const struct sops_object_open_opts *opts)\n"
		"{\n\treturn %s__open_common(path, opts);\n}\n",
		n, n, n, n, n, n, n, n, n, n, n);

	fprintf(g->out,
		"\n/*\n"
		" * %s__load_opts - load into @rt (sops_object__load_runtime); the data\n"
		" * pointers then address the live map values. Returns 0 or a negative errno.\n"
		" */\n"
		"static inline int %s__load_opts(struct %s *s, struct sops_runtime *rt,\n"
		"\t\t\t\t    const struct sops_object_load_opts *opts)\n"
		"{\n"
		"\tint err = sops_object__load_runtime(s->obj, rt, opts);\n\n"
		"\t%s__bind_data(s, 0);\n"
		"\treturn err;\n"
		"}\n"
		"\nstatic inline int %s__load(struct %s *s, struct sops_runtime *rt)\n"
		"{\n\treturn %s__load_opts(s, rt, NULL);\n}\n",
		n, n, n, n, n, n, n);

	fprintf(g->out,
		"\n/*\n"
		" * %s__attach - attach every created struct_ops map whose autoattach is on\n"
		" * and that has no link yet (links.M). Returns 0 or the first negative errno\n"
		" * (links made before it stay; __detach() or __destroy() frees them).\n"
		" */\n"
		"static inline int %s__attach(struct %s *s)\n"
		"{\n"
		"\tint err = 0;\n\n",
		n, n, n);
	for (size_t i = 0; i < g->map_cnt; i++)
		if (g->maps[i].st_ops)
			fprintf(g->out,
				"\tif (!err && !s->links.%s && sops_map__autoattach(s->maps.%s) &&\n"
				"\t    sops_map__handle(s->maps.%s) >= 0)\n"
				"\t\terr = sops_map__attach_struct_ops(s->maps.%s, &s->links.%s);\n",
				g->maps[i].ident, g->maps[i].ident, g->maps[i].ident, g->maps[i].ident,
				g->maps[i].ident);
	fprintf(g->out, "\t(void)s;\n\treturn err;\n}\n");
}

static int generate(struct gen *g)
{
	int err;

	for (size_t i = 0; g->name[i] && i + 1 < sizeof(g->upper); i++)
		g->upper[i] = (char)toupper((unsigned char)g->name[i]);
	err = collect_maps(g);
	if (err)
		return err;
	g->out = open_memstream(&g->text, &g->text_size);
	if (!g->out)
		return -ENOMEM;
	emit_prologue(g);
	if (g->btf) {
		g->dump = btf_dump__new(g->btf, dump_printf, g->out, NULL);
		if (!g->dump)
			return -errno ? -errno : -ENOMEM;
		fprintf(g->out, "\n/* Types of the global variables and struct_ops members (object BTF). */\n");
	}
	for (size_t i = 0; i < g->map_cnt && !err; i++)
		if (g->maps[i].sec)
			err = emit_datasec(g, &g->maps[i]);
		else if (g->maps[i].st_ops && g->btf)
			err = emit_shadow(g, &g->maps[i]);
	if (err)
		return err;
	emit_struct(g);
	emit_elf(g);
	emit_bind(g);
	emit_lifecycle(g);
	fprintf(g->out, "\n#endif /* __%s_SKEL_H__ */\n", g->upper);
	return fflush(g->out) ? -ENOMEM : 0;
}

static int skeleton(int argc, char **argv)
{
	char log[1024] = "";
	struct sops_object_open_opts oo = { .sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log) };
	struct gen g = { 0 };
	int err, ret = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--name") && i + 1 < argc) {
			g.name = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "structops gen skeleton: unknown option '%s'\n\n", argv[i]);
			usage(stderr);
			return 2;
		} else if (!g.file) {
			g.file = argv[i];
		} else {
			fprintf(stderr, "structops gen skeleton: more than one FILE ('%s')\n\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!g.file) {
		fprintf(stderr, "structops gen skeleton: FILE.o missing\n\n");
		usage(stderr);
		return 2;
	}
	if (g.name && (!is_ident(g.name) || strlen(g.name) >= sizeof(g.upper))) {
		fprintf(stderr, "structops gen skeleton: --name '%s' is not a C identifier (at most %zu characters)\n",
			g.name, sizeof(g.upper) - 1);
		return 2;
	}
	if (!g.name)
		default_name(&g);
	err = tool_read_file(g.file, &g.elf, &g.elf_size);
	if (err) {
		fprintf(stderr, "structops gen skeleton: %s: %s\n", g.file, strerror(-err));
		return 1;
	}
	err = sops_object__open_file(g.file, &oo, &g.obj);
	if (err) {
		tool_report_file_error("gen skeleton", g.file, log, err);
		goto out;
	}
	g.btf = sops_btf__libbpf(sops_object__btf(g.obj));
	err = generate(&g);
	if (g.out)
		fclose(g.out);
	g.out = NULL;
	if (err) {
		fprintf(stderr, "structops gen skeleton: %s: generating the header: %s\n", g.file,
			strerror(-err));
		goto out;
	}
	fwrite(g.text, 1, g.text_size, stdout);
	ret = fflush(stdout) ? 1 : 0;
out:
	if (g.out)
		fclose(g.out);
	btf_dump__free(g.dump);
	free(g.text);
	free(g.maps);
	free(g.elf);
	sops_object__close(g.obj);
	return ret;
}

int cmd_gen(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "skeleton"))
		return skeleton(argc - 1, argv + 1);
	fprintf(stderr, "structops gen: unknown subcommand '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
