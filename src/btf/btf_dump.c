/* SPDX-License-Identifier: MIT */
/*
 * btf_dump.c - `structops btf dump`: BTF as a type listing or as a C header.
 *
 * Raw: one line per type with its id, kind, name and attributes, members
 * indented below (the shape of bpftool's "format raw"). C: libbpf's btf_dump
 * emits every type in dependency order, wrapped like bpftool's vmlinux.h (an
 * include guard and preserve_access_index on every record, so programs built
 * against the header get CO-RE relocations), plus extern __ksym declarations
 * for the functions in the BTF, which BPF programs call as kfuncs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include <bpf/libbpf_common.h>

#include "btf_internal.h"

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

static void dump_printf(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/* extern declarations of the BTF's functions, callable as kfuncs. */
static int dump_kfuncs(const struct btf *btf, __u32 start, __u32 cnt, struct btf_dump *d, FILE *out)
{
	bool any = false;

	for (__u32 id = start; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = btf_name(btf, t));
		int err;

		if (!btf_is_func(t) || !*o.field_name)
			continue;
		if (!any)
			fprintf(out, "\n/* host functions, callable from BPF as kfuncs */\n");
		any = true;
		fprintf(out, "extern ");
		err = btf_dump__emit_type_decl(d, t->type, &o);
		if (err)
			return err;
		fprintf(out, " __weak __ksym;\n");
	}
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

static int dump_c(const struct btf *btf, __u32 start, __u32 cnt, FILE *out)
{
	struct btf_dump *d;
	int err = check_alignments(btf, cnt);

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
	for (__u32 id = start; id < cnt && !err; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_func(t) || btf_is_var(t) || btf_is_datasec(t) || btf_is_decl_tag(t))
			continue;
		err = btf_dump__dump_type(d, id);
	}
	if (!err)
		err = dump_kfuncs(btf, start, cnt, d, out);
	fprintf(out,
		"\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n"
		"#endif /* __STRUCTOPS_HOST_H__ */\n");
	btf_dump__free(d);
	return err;
}

int sops_btf__dump(const struct sops_btf *b, enum sops_btf_dump_format format, FILE *out)
{
	const struct btf *btf = b ? b->btf : NULL;
	__u32 start, cnt;

	if (!btf || !out)
		return -EINVAL;
	start = btf_first_own_id(btf);
	cnt = btf__type_cnt(btf);
	if (format == SOPS_BTF_DUMP_C)
		return dump_c(btf, start, cnt, out);
	if (format != SOPS_BTF_DUMP_RAW)
		return -EINVAL;
	for (__u32 id = start; id < cnt; id++)
		dump_raw_type(btf, id, btf__type_by_id(btf, id), out);
	return ferror(out) ? -EIO : 0;
}
