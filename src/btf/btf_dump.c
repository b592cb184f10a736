/* SPDX-License-Identifier: MIT */
/*
 * btf_dump.c - `structops btf dump`: BTF as a type listing or as a C header.
 *
 * Raw: one line per type with its id, kind, name and attributes, members
 * indented below (the shape of bpftool's "format raw"). C: libbpf's btf_dump
 * emits every type in dependency order, wrapped like bpftool's vmlinux.h (an
 * include guard and preserve_access_index on every record, so programs built
 * against the header get CO-RE relocations), plus extern __ksym declarations
 * of the functions registered as kfuncs: BTF alone cannot say which host
 * functions those are, so the caller names them (sops_btf_dump_opts.kfuncs,
 * `--kfuncs`), and FUNCs with a `bpf_kfunc` decl tag (the kernel's marking)
 * count too. Other functions are left out.
 *
 * Output is bounded by SOPS_BTF_DUMP_MAX of the input's size. A few bytes of
 * BTF can describe a huge C text: libbpf writes a `long: 64;` line per 8
 * bytes of a gap between members (an 87-byte BTF made 369 MB), and inlines an
 * anonymous struct or function prototype at every use, which nesting makes
 * exponential. dump_c() first estimates the C text from the types (est_*)
 * and refuses what would be too long before libbpf runs; every dump also
 * writes through a counting stream that stops at the limit.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf_common.h>

#include "btf_internal.h"
#include "util/opts.h"

static const char *int_enc(const struct btf_type *t)
{
	__u8 e = btf_int_encoding(t);

	if (e & BTF_INT_SIGNED)
		return "SIGNED";
	if (e & BTF_INT_CHAR)
		return "CHAR";
	if (e & BTF_INT_BOOL)
		return "BOOL";
	return "(none)";
}

static void dump_raw_type(const struct btf *btf, __u32 id, const struct btf_type *t, FILE *out)
{
	__u16 vlen = btf_vlen(t);

	fprintf(out, "[%u] %s '%s'", id, btf_kind_str(t), btf_name(btf, t));
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		fprintf(out, " size=%u bits_offset=%u nr_bits=%u encoding=%s\n", t->size,
			btf_int_offset(t), btf_int_bits(t), int_enc(t));
		break;
	case BTF_KIND_FLOAT:
		fprintf(out, " size=%u\n", t->size);
		break;
	case BTF_KIND_PTR:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_TYPE_TAG:
		fprintf(out, " type_id=%u\n", t->type);
		break;
	case BTF_KIND_ARRAY:
		fprintf(out, " type_id=%u index_type_id=%u nr_elems=%u\n", btf_array(t)->type,
			btf_array(t)->index_type, btf_array(t)->nelems);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		fprintf(out, " size=%u vlen=%u\n", t->size, vlen);
		for (__u16 i = 0; i < vlen; i++) {
			const struct btf_member *m = btf_members(t) + i;
			__u32 bits = btf_member_bitfield_size(t, i);

			fprintf(out, "\t'%s' type_id=%u bits_offset=%u", btf__name_by_offset(btf, m->name_off),
				m->type, btf_member_bit_offset(t, i));
			if (bits)
				fprintf(out, " bitfield_size=%u", bits);
			fputc('\n', out);
		}
		break;
	case BTF_KIND_ENUM:
		fprintf(out, " encoding=%s size=%u vlen=%u\n", btf_kflag(t) ? "SIGNED" : "UNSIGNED",
			t->size, vlen);
		for (__u16 i = 0; i < vlen; i++)
			fprintf(out, "\t'%s' val=%d\n", btf__name_by_offset(btf, btf_enum(t)[i].name_off),
				btf_enum(t)[i].val);
		break;
	case BTF_KIND_ENUM64:
		fprintf(out, " encoding=%s size=%u vlen=%u\n", btf_kflag(t) ? "SIGNED" : "UNSIGNED",
			t->size, vlen);
		for (__u16 i = 0; i < vlen; i++)
			fprintf(out, "\t'%s' val=%" PRIu64 "\n",
				btf__name_by_offset(btf, btf_enum64(t)[i].name_off),
				(uint64_t)btf_enum64_value(btf_enum64(t) + i));
		break;
	case BTF_KIND_FWD:
		fprintf(out, " fwd_kind=%s\n", btf_kflag(t) ? "union" : "struct");
		break;
	case BTF_KIND_FUNC:
		fprintf(out, " type_id=%u linkage=%s\n", t->type,
			vlen == BTF_FUNC_STATIC ? "static" : vlen == BTF_FUNC_GLOBAL ? "global" : "extern");
		break;
	case BTF_KIND_FUNC_PROTO:
		fprintf(out, " ret_type_id=%u vlen=%u\n", t->type, vlen);
		for (__u16 i = 0; i < vlen; i++)
			fprintf(out, "\t'%s' type_id=%u\n",
				btf__name_by_offset(btf, btf_params(t)[i].name_off), btf_params(t)[i].type);
		break;
	case BTF_KIND_VAR:
		fprintf(out, " type_id=%u linkage=%s\n", t->type,
			btf_var(t)->linkage == BTF_VAR_STATIC ? "static" :
			btf_var(t)->linkage == BTF_VAR_GLOBAL_ALLOCATED ? "global" : "extern");
		break;
	case BTF_KIND_DATASEC:
		fprintf(out, " size=%u vlen=%u\n", t->size, vlen);
		for (__u16 i = 0; i < vlen; i++) {
			const struct btf_var_secinfo *vi = btf_var_secinfos(t) + i;

			fprintf(out, "\ttype_id=%u offset=%u size=%u\n", vi->type, vi->offset, vi->size);
		}
		break;
	case BTF_KIND_DECL_TAG:
		fprintf(out, " type_id=%u component_idx=%d\n", t->type, btf_decl_tag(t)->component_idx);
		break;
	default:
		fputc('\n', out);
	}
}

/* --- output limit --- */

/* A stream that passes writes to @out until @limit bytes, then fails them. */
struct capped {
	FILE *out;
	size_t written, limit;
	bool over;
};

static ssize_t capped_write(void *cookie, const char *buf, size_t size)
{
	struct capped *c = cookie;

	if (c->over || size > c->limit - c->written) {
		c->over = true;
		errno = E2BIG;
		return -1;
	}
	c->written += size;
	return (ssize_t)fwrite(buf, 1, size, c->out) == (ssize_t)size ? (ssize_t)size : -1;
}

/* The input's bytes: @btf's own raw data and its base's (a C dump declares base types too). */
static size_t input_size(const struct btf *btf)
{
	size_t total = 0;

	for (; btf; btf = btf__base_btf(btf)) {
		__u32 size = 0;

		if (btf__raw_data(btf, &size))
			total += size;
	}
	return total;
}

/*
 * Estimated bytes of C for type @id used by reference (named types: their
 * name; anonymous structs, unions, enums, prototypes and declarator chains:
 * their whole inline text), saturating at @e->limit + 1. Memoized; depth is
 * bounded by btf_validate's chain limit, and a type met again while its own
 * text is being estimated (an anonymous struct reached from itself through a
 * pointer) counts as unbounded, since libbpf would inline it forever.
 */
struct est {
	const struct btf *btf;
	uint64_t *memo;  /* cost + 2; 1: in progress; 0: not yet */
	uint64_t limit;
};

static uint64_t sat_add(uint64_t a, uint64_t b, uint64_t cap)
{
	return a + b < a || a + b > cap ? cap : a + b;
}

static uint64_t est_name(const struct btf *btf, __u32 off)
{
	return strlen(btf__name_by_offset(btf, off) ?: "") + 1;
}

static uint64_t est_ref(struct est *e, __u32 id);

/* The body of a struct or union: members, and the padding lines libbpf writes for gaps. */
static uint64_t est_body(struct est *e, const struct btf_type *t)
{
	uint64_t cap = e->limit + 1, n = 16, end = 0;
	bool is_struct = btf_is_struct(t);

	for (__u16 i = 0; i < btf_vlen(t) && n < cap; i++) {
		const struct btf_member *m = btf_members(t) + i;
		uint64_t off = btf_member_bit_offset(t, i);

		if (is_struct && off > end)
			n = sat_add(n, (off - end) / 64 * 12 + 36, cap); /* "\tlong: 64;\n" per 8 bytes */
		n = sat_add(n, est_ref(e, m->type) + est_name(e->btf, m->name_off) + 8, cap);
		end = off + 8; /* at least a byte further on */
	}
	if (is_struct && (uint64_t)t->size * 8 > end)
		n = sat_add(n, ((uint64_t)t->size * 8 - end) / 64 * 12 + 36, cap);
	return n;
}

static uint64_t est_inline(struct est *e, __u32 id, const struct btf_type *t)
{
	uint64_t cap = e->limit + 1, n;

	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return *btf_name(e->btf, t) ? est_name(e->btf, t->name_off) + 8 : est_body(e, t);
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		if (*btf_name(e->btf, t))
			return est_name(e->btf, t->name_off) + 6;
		n = 16;
		for (__u16 i = 0; i < btf_vlen(t) && n < cap; i++)
			n = sat_add(n, est_name(e->btf, btf_is_enum(t) ? btf_enum(t)[i].name_off :
								       btf_enum64(t)[i].name_off) + 28, cap);
		return n;
	case BTF_KIND_PTR:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return sat_add(est_ref(e, t->type), 12, cap);
	case BTF_KIND_ARRAY:
		return sat_add(est_ref(e, btf_array(t)->type), 14, cap);
	case BTF_KIND_FUNC_PROTO:
		n = sat_add(est_ref(e, t->type), 8, cap);
		for (__u16 i = 0; i < btf_vlen(t) && n < cap; i++)
			n = sat_add(n, est_ref(e, btf_params(t)[i].type) +
					       est_name(e->btf, btf_params(t)[i].name_off) + 2, cap);
		return n;
	default: /* int, float, typedef, fwd and the rest: by name */
		return est_name(e->btf, t->name_off) + 8;
	}
}

static uint64_t est_ref(struct est *e, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(e->btf, id);
	uint64_t n;

	if (!id || !t)
		return 5; /* "void" */
	if (e->memo[id] == 1)
		return e->limit + 1;
	if (e->memo[id])
		return e->memo[id] - 2;
	e->memo[id] = 1;
	n = est_inline(e, id, t);
	e->memo[id] = n + 2;
	return n;
}

/* The estimated size of the C dump of types [@start, @cnt), saturating at @limit + 1. */
static int est_c_dump(const struct btf *btf, __u32 start, __u32 cnt, uint64_t limit, uint64_t *total)
{
	struct est e = { btf, calloc(cnt ? cnt : 1, sizeof(*e.memo)), limit };
	uint64_t n = 1024;

	if (!e.memo)
		return -ENOMEM;
	for (__u32 id = start; id < cnt && n <= limit; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_composite(t) && *btf_name(btf, t))
			n = sat_add(n, est_body(&e, t), limit + 1); /* its definition */
		else if (btf_is_typedef(t) || btf_is_func(t))
			n = sat_add(n, est_ref(&e, t->type) + est_name(btf, t->name_off) + 24, limit + 1);
		else
			n = sat_add(n, est_ref(&e, id), limit + 1);
	}
	free(e.memo);
	*total = n;
	return 0;
}

static void dump_printf(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/* Whether FUNC @id carries a `bpf_kfunc` decl tag (what the kernel's pahole writes for kfuncs). */
static bool has_kfunc_tag(const struct btf *btf, __u32 start, __u32 cnt, __u32 id)
{
	for (__u32 i = start; i < cnt; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);

		if (btf_is_decl_tag(t) && t->type == id && btf_decl_tag(t)->component_idx == -1 &&
		    !strcmp(btf_name(btf, t), "bpf_kfunc"))
			return true;
	}
	return false;
}

static bool in_list(const char *const *names, const char *name)
{
	for (; names && *names; names++)
		if (!strcmp(*names, name))
			return true;
	return false;
}

/*
 * Every name of @names must be a FUNC of @btf's own types: a misspelt kfunc
 * would otherwise vanish from the header and surface as a compile error in
 * some program far away. Checked before anything is written.
 */
static int check_kfunc_names(const struct btf *btf, __u32 start, const char *const *names,
			     struct sops_log *log)
{
	for (; names && *names; names++) {
		int id = btf__find_by_name_kind(btf, *names, BTF_KIND_FUNC);

		if (id <= 0 || (__u32)id < start)
			return log_err(log, -ENOENT,
				       "kfunc '%s' is not a function of this BTF (%s)", *names,
				       id > 0 ? "it is in the base BTF: dump the base for it"
					      : "no FUNC of that name; check the name and that the host is built with -g");
	}
	return 0;
}

/*
 * extern declarations of the functions registered as kfuncs: those named in
 * @names and those tagged `bpf_kfunc`. Other host functions are not callable
 * from programs, so declaring them would only invite load failures.
 */
static int dump_kfuncs(const struct btf *btf, __u32 start, __u32 cnt, const char *const *names,
		       struct btf_dump *d, FILE *out)
{
	bool any = false;

	for (__u32 id = start; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = btf_name(btf, t));
		int err;

		if (!btf_is_func(t) || !*o.field_name)
			continue;
		if (!in_list(names, o.field_name) && !has_kfunc_tag(btf, start, cnt, id))
			continue;
		if (!any)
			fprintf(out, "\n/* kfuncs: host functions registered for BPF programs to call */\n");
		any = true;
		fprintf(out, "extern ");
		err = btf_dump__emit_type_decl(d, t->type, &o);
		if (err)
			return err;
		fprintf(out, " __weak __ksym;\n");
	}
	if (!any)
		fprintf(out,
			"\n/*\n * No kfunc declarations: none was named and no function carries a\n"
			" * `bpf_kfunc` decl tag. Name the functions the host registers with\n"
			" * sops_runtime__register_kfunc(): `structops btf dump --format c --kfuncs\n"
			" * NAME[,NAME...]` (or --kfuncs @FILE), sops_btf_dump_opts.kfuncs in the API.\n"
			" */\n");
	return 0;
}

/*
 * libbpf's btf_dump divides by alignments: refuse BTF where a sized type or a
 * member has none (only hostile BTF does), instead of crashing in libbpf.
 */
static int check_alignments(const struct btf *btf, __u32 cnt)
{
	for (__u32 id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if ((btf_is_int(t) || btf_is_float(t) || btf_is_any_enum(t)) && !t->size)
			return -EINVAL;
		if (!btf_is_composite(t))
			continue;
		if (btf_vlen(t) && btf__align_of(btf, id) <= 0)
			return -EINVAL;
		for (__u16 i = 0; i < btf_vlen(t); i++) {
			__u32 mid = btf_members(t)[i].type;
			const struct btf_type *mt = btf_skip_mods(btf, mid, &mid);

			if (!mt || (!btf_is_array(mt) && btf__align_of(btf, mid) <= 0))
				return -EINVAL;
		}
	}
	return 0;
}

/* Whether the loader had to give members a stand-in type (btf_repair.c). */
static bool has_untyped(const struct btf *btf, __u32 cnt)
{
	size_t n = strlen(SOPS_BTF_UNTYPED_PREFIX);

	for (__u32 id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_typedef(t) && !strncmp(btf_name(btf, t), SOPS_BTF_UNTYPED_PREFIX, n))
			return true;
	}
	return false;
}

static int dump_c(const struct btf *btf, __u32 start, __u32 cnt, size_t limit,
		  const char *const *kfuncs, FILE *out)
{
	struct btf_dump *d;
	uint64_t est;
	int err;

	/* First: libbpf's alignment walk below is itself exponential on nested anonymous types. */
	err = est_c_dump(btf, start, cnt, limit, &est);
	if (err)
		return err;
	if (est > limit)
		return -E2BIG;
	err = check_alignments(btf, cnt);
	if (err)
		return err;
	d = btf_dump__new(btf, dump_printf, out, NULL);
	if (!d)
		return errno ? -errno : -ENOMEM;
	fprintf(out,
		"/* Generated by `structops btf dump --format c`: the host's types for BPF programs. */\n"
		"#ifndef __STRUCTOPS_HOST_H__\n#define __STRUCTOPS_HOST_H__\n\n"
		"#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
		"#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
		"#endif\n\n"
		"#ifndef __ksym\n#define __ksym __attribute__((section(\".ksyms\")))\n#endif\n"
		"#ifndef __weak\n#define __weak __attribute__((weak))\n#endif\n\n");
	if (has_untyped(btf, cnt))
		fprintf(out,
			"/*\n * Members of type " SOPS_BTF_UNTYPED_PREFIX "N had no type in the BTF: pahole\n"
			" * (1.24) cannot encode C11 _Atomic types. They are N-byte arrays here, so the\n"
			" * layout is right but the type is lost: declare exposed members with plain\n"
			" * types and use the __atomic builtins (docs/btf-and-programs.md).\n */\n\n");
	for (__u32 id = start; id < cnt && !err; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_func(t) || btf_is_var(t) || btf_is_datasec(t) || btf_is_decl_tag(t))
			continue;
		err = btf_dump__dump_type(d, id);
	}
	if (!err)
		err = dump_kfuncs(btf, start, cnt, kfuncs, d, out);
	fprintf(out,
		"\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n"
		"#endif /* __STRUCTOPS_HOST_H__ */\n");
	btf_dump__free(d);
	return err;
}

static int dump(const struct btf *btf, enum sops_btf_dump_format format, size_t limit,
		const char *const *kfuncs, FILE *out)
{
	__u32 start = btf_first_own_id(btf), cnt = btf__type_cnt(btf);

	if (format == SOPS_BTF_DUMP_C)
		return dump_c(btf, start, cnt, limit, kfuncs, out);
	for (__u32 id = start; id < cnt && !ferror(out); id++)
		dump_raw_type(btf, id, btf__type_by_id(btf, id), out);
	return 0;
}

int sops_btf__dump_opts(const struct sops_btf *b, FILE *out, const struct sops_btf_dump_opts *opts)
{
	struct sops_log log = { OPTS_GET(opts, log_buf, NULL), OPTS_GET(opts, log_size, 0), 0 };
	enum sops_btf_dump_format format = OPTS_GET(opts, format, SOPS_BTF_DUMP_RAW);
	const char *const *kfuncs = OPTS_GET(opts, kfuncs, NULL);
	const struct btf *btf = b ? b->btf : NULL;
	cookie_io_functions_t io = { .write = capped_write };
	struct capped c = { .out = out };
	FILE *f;
	int err;

	if (!OPTS_VALID(opts, sops_btf_dump_opts))
		return log_err(&log, -EINVAL, "invalid options (unknown fields set)");
	if (!btf || !out || (format != SOPS_BTF_DUMP_C && format != SOPS_BTF_DUMP_RAW))
		return log_err(&log, -EINVAL, "invalid arguments (no BTF, no output or unknown format %d)",
			       (int)format);
	if (kfuncs && format != SOPS_BTF_DUMP_C)
		return log_err(&log, -EINVAL, "kfuncs are declared only in the C format");
	err = check_kfunc_names(btf, btf_first_own_id(btf), kfuncs, &log);
	if (err)
		return err;
	c.limit = SOPS_BTF_DUMP_MAX(input_size(btf));
	f = fopencookie(&c, "w", io);
	if (!f)
		return log_err(&log, -ENOMEM, "out of memory");
	err = dump(btf, format, c.limit, kfuncs, f);
	if (fclose(f) && !err)
		err = c.over ? -E2BIG : -EIO;
	if (!err && c.over)
		err = -E2BIG;
	if (!err && ferror(out))
		err = -EIO;
	if (err == -E2BIG)
		log_err(&log, err, "the dump would exceed its output limit of %zu bytes", c.limit);
	else if (err)
		log_err(&log, err, "dump failed");
	return err;
}

int sops_btf__dump(const struct sops_btf *b, enum sops_btf_dump_format format, FILE *out)
{
	struct sops_btf_dump_opts opts = { .sz = sizeof(opts), .format = format };

	return sops_btf__dump_opts(b, out, &opts);
}
