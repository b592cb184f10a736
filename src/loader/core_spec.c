/* SPDX-License-Identifier: MIT */
/*
 * core_spec.c - CO-RE access specs and type matching (libbpf's rules).
 *
 * A relocation names a local type and an access string: "0:1:2" means
 * element 0 of the root type, then member 1, then member (or element) 2,
 * with typedefs and modifiers skipped between steps. Parsing it against the
 * object's BTF gives the local spec; matching it against a candidate type of
 * the target BTF (the host's or a module's) gives the target spec, following
 * members by name (anonymous members of the target are searched through),
 * array elements by index, enumerators by name (without ___flavor).
 *
 * Both BTFs were validated on load (btf_validate()), so every type id they
 * mention exists and no by-value chain loops; pointers may still form cycles,
 * hence the depth limits of the recursive comparisons.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "loader_internal.h"

#define CORE_MAX_DEPTH 32 /* nesting of pointers, arrays and prototypes compared */

static const char *const kind_names[CORE_KIND_CNT] = {
	[CORE_FIELD_BYTE_OFFSET] = "field_byte_offset",
	[CORE_FIELD_BYTE_SIZE] = "field_byte_size",
	[CORE_FIELD_EXISTS] = "field_exists",
	[CORE_FIELD_SIGNED] = "field_signed",
	[CORE_FIELD_LSHIFT_U64] = "field_lshift_u64",
	[CORE_FIELD_RSHIFT_U64] = "field_rshift_u64",
	[CORE_TYPE_ID_LOCAL] = "type_id_local",
	[CORE_TYPE_ID_TARGET] = "type_id_target",
	[CORE_TYPE_EXISTS] = "type_exists",
	[CORE_TYPE_SIZE] = "type_size",
	[CORE_ENUMVAL_EXISTS] = "enumval_exists",
	[CORE_ENUMVAL_VALUE] = "enumval_value",
	[CORE_TYPE_MATCHES] = "type_matches",
};

const char *core_kind_str(__u32 kind)
{
	return kind < CORE_KIND_CNT ? kind_names[kind] : "unknown";
}

bool core_kind_is_field(__u32 kind)
{
	return kind <= CORE_FIELD_RSHIFT_U64;
}

bool core_kind_is_type(__u32 kind)
{
	return (kind >= CORE_TYPE_ID_LOCAL && kind <= CORE_TYPE_SIZE) || kind == CORE_TYPE_MATCHES;
}

bool core_kind_is_enumval(__u32 kind)
{
	return kind == CORE_ENUMVAL_EXISTS || kind == CORE_ENUMVAL_VALUE;
}

/*
 * The length of @name without its flavor: "task_struct___v2" -> 11. A flavor
 * separator is the last "___" with a character other than '_' on each side,
 * so "a____b" and a trailing "___" are not flavors.
 */
size_t core_essential_len(const char *name)
{
	long n = (long)strlen(name);

	for (long i = n - 4; i >= 1; i--)
		if (name[i - 1] != '_' && !strncmp(name + i, "___", 3) && name[i + 3] != '_')
			return (size_t)i;
	return (size_t)n;
}

/* Same essential name (flavors ignored on both sides). */
static bool essential_eq(const char *a, const char *b)
{
	size_t la = core_essential_len(a), lb = core_essential_len(b);

	return la == lb && !strncmp(a, b, la);
}

/* Kinds a relocation may map onto each other: equal, or enum with enum64. */
bool core_kinds_compat(const struct btf_type *a, const struct btf_type *b)
{
	return btf_kind(a) == btf_kind(b) || (btf_is_any_enum(a) && btf_is_any_enum(b));
}

static const char *enum_name(const struct btf *btf, const struct btf_type *t, __u32 i)
{
	const char *s = btf__name_by_offset(btf, btf_is_enum(t) ? btf_enum(t)[i].name_off
							       : btf_enum64(t)[i].name_off);

	return s ? s : "";
}

/*
 * An array with no elements as the last member of a struct is a flexible
 * array: any index into it is fine. @prev is the accessor that reached it.
 */
static bool is_flex_array(const struct btf *btf, const struct core_acc *prev, const struct btf_array *a)
{
	const struct btf_type *t;

	if (!prev->name || a->nelems)
		return false;
	t = btf__type_by_id(btf, prev->type_id);
	return t && btf_is_composite(t) && prev->idx + 1 == btf_vlen(t);
}

/* Parse "N:N:..." into spec->raw. */
static int parse_raw(const char *str, struct core_spec *spec, char *why)
{
	const char *p = str;

	if (!str || !*str || *str == ':') {
		snprintf(why, CORE_WHY_LEN, "the access string is empty or malformed");
		return -EINVAL;
	}
	while (*p) {
		__u64 v = 0;

		if (*p < '0' || *p > '9') {
			snprintf(why, CORE_WHY_LEN, "the access string has '%c' where a number belongs", *p);
			return -EINVAL;
		}
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (__u64)(*p++ - '0');
			if (v > INT32_MAX) {
				snprintf(why, CORE_WHY_LEN, "an access index is out of range");
				return -EINVAL;
			}
		}
		if (spec->raw_len == CORE_SPEC_MAX) {
			snprintf(why, CORE_WHY_LEN, "the access string has more than %d indices", CORE_SPEC_MAX);
			return -E2BIG;
		}
		spec->raw[spec->raw_len++] = (__u32)v;
		if (*p == ':' && !*++p) {
			snprintf(why, CORE_WHY_LEN, "the access string ends with ':'");
			return -EINVAL;
		}
		if (*p && *p != ':' && (*p < '0' || *p > '9')) {
			snprintf(why, CORE_WHY_LEN, "the access string has '%c' where ':' belongs", *p);
			return -EINVAL;
		}
	}
	return 0;
}

/* bit_off += idx * size * 8, refusing offsets a u32 cannot hold (libbpf's width). */
static int add_elems(struct core_spec *spec, __u32 idx, __s64 size, char *why)
{
	__u64 add;

	if (size < 0) {
		snprintf(why, CORE_WHY_LEN, "an accessed type has no size");
		return -EINVAL;
	}
	if (idx && (__u64)size > (UINT32_MAX / 8) / idx) {
		snprintf(why, CORE_WHY_LEN, "the field's offset overflows");
		return -EINVAL;
	}
	add = (__u64)idx * (__u64)size * 8;
	spec->bit_off += add;
	if (spec->bit_off > UINT32_MAX) {
		snprintf(why, CORE_WHY_LEN, "the field's offset overflows");
		return -EINVAL;
	}
	return 0;
}

static int parse_enumval(const struct btf *btf, __u32 id, struct core_spec *spec, char *why)
{
	const struct btf_type *t = btf_skip_mods(btf, id, &id);
	const char *name;

	if (!t || !btf_is_any_enum(t) || spec->raw_len != 1 || spec->raw[0] >= btf_vlen(t)) {
		snprintf(why, CORE_WHY_LEN, "an enum value relocation needs an enum and one enumerator index");
		return -EINVAL;
	}
	name = enum_name(btf, t, spec->raw[0]);
	if (!*name) {
		snprintf(why, CORE_WHY_LEN, "enumerator %u has no name", spec->raw[0]);
		return -EINVAL;
	}
	spec->acc[0] = (struct core_acc){ id, spec->raw[0], name };
	spec->len = 1;
	return 0;
}

/* One step of a field access from type @id (modifiers not yet skipped). */
static int parse_step(const struct btf *btf, __u32 *id, __u32 idx, struct core_spec *spec, char *why)
{
	const struct btf_type *t = btf_skip_mods(btf, *id, id);
	const struct btf_member *m;
	const struct btf_array *a;
	const char *name;
	bool flex;

	if (!t) {
		snprintf(why, CORE_WHY_LEN, "a type on the access path does not resolve");
		return -EINVAL;
	}
	if (btf_is_composite(t)) {
		if (idx >= btf_vlen(t)) {
			snprintf(why, CORE_WHY_LEN, "member index %u is out of range of [%u] %s (%u members)",
				 idx, *id, btf_name(btf, t), btf_vlen(t));
			return -EINVAL;
		}
		m = btf_members(t) + idx;
		spec->bit_off += btf_member_bit_offset(t, idx);
		if (m->name_off) {
			name = btf__name_by_offset(btf, m->name_off);
			if (!name || !*name) {
				snprintf(why, CORE_WHY_LEN, "member %u of [%u] has a bad name", idx, *id);
				return -EINVAL;
			}
			spec->acc[spec->len++] = (struct core_acc){ *id, idx, name };
		}
		*id = m->type;
		return 0;
	}
	if (btf_is_array(t)) {
		a = btf_array(t);
		t = btf_skip_mods(btf, a->type, id);
		if (!t) {
			snprintf(why, CORE_WHY_LEN, "an array element type does not resolve");
			return -EINVAL;
		}
		flex = is_flex_array(btf, &spec->acc[spec->len - 1], a);
		if (!flex && idx >= a->nelems) {
			snprintf(why, CORE_WHY_LEN, "element index %u is out of range of an array of %u",
				 idx, a->nelems);
			return -EINVAL;
		}
		spec->acc[spec->len++] = (struct core_acc){ *id, idx, NULL };
		return add_elems(spec, idx, btf__resolve_size(btf, *id), why);
	}
	snprintf(why, CORE_WHY_LEN, "index %u reaches [%u] %s of kind %s, which has no members or elements",
		 idx, *id, btf_name(btf, t), btf_kind_str(t));
	return -EINVAL;
}

int core_parse_spec(const struct btf *btf, __u32 id, const char *str, enum core_kind kind,
		    struct core_spec *spec, char *why)
{
	int err;

	memset(spec, 0, sizeof(*spec));
	spec->btf = btf;
	spec->root_id = id;
	spec->kind = kind;
	err = parse_raw(str, spec, why);
	if (err)
		return err;
	if (core_kind_is_type(kind)) {
		if (spec->raw_len != 1 || spec->raw[0]) {
			snprintf(why, CORE_WHY_LEN, "a type relocation's access string must be \"0\"");
			return -EINVAL;
		}
		return 0;
	}
	if (core_kind_is_enumval(kind))
		return parse_enumval(btf, id, spec, why);
	if (!btf_skip_mods(btf, id, &id)) {
		snprintf(why, CORE_WHY_LEN, "the root type does not resolve");
		return -EINVAL;
	}
	spec->acc[0] = (struct core_acc){ id, spec->raw[0], NULL };
	spec->len = 1;
	err = add_elems(spec, spec->raw[0], btf__resolve_size(btf, id), why);
	for (int i = 1; !err && i < spec->raw_len; i++)
		err = parse_step(btf, &id, spec->raw[i], spec, why);
	return err;
}

/*
 * May a field of local type @lid be read as target type @tid? Structs and
 * unions always (their members are matched separately); scalars by kind;
 * enums and forward declarations by essential name (anonymous matches any);
 * arrays by element.
 */
static int fields_compat(const struct btf *lb, __u32 lid, const struct btf *tb, __u32 tid)
{
	for (int depth = 0; depth < CORE_MAX_DEPTH; depth++) {
		const struct btf_type *lt = btf_skip_mods(lb, lid, &lid);
		const struct btf_type *tt = btf_skip_mods(tb, tid, &tid);

		if (!lt || !tt)
			return -EINVAL;
		if (btf_is_composite(lt) && btf_is_composite(tt))
			return 1;
		if (!core_kinds_compat(lt, tt))
			return 0;
		switch (btf_kind(lt)) {
		case BTF_KIND_PTR:
		case BTF_KIND_FLOAT:
			return 1;
		case BTF_KIND_FWD:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64: {
			const char *ln = btf_name(lb, lt), *tn = btf_name(tb, tt);

			return !*ln || !*tn || essential_eq(ln, tn);
		}
		case BTF_KIND_INT:
			/* old bitfield-as-int encodings are refused; any two ints are otherwise fine */
			return !btf_int_offset(lt) && !btf_int_offset(tt);
		case BTF_KIND_ARRAY:
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		default:
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Find the member named like @lacc's in target composite @tid, searching
 * anonymous members depth first; the raw indices and bit offset of the path
 * are pushed onto @spec as it goes and popped when a branch fails.
 */
static int match_member(const struct btf *lb, const struct core_acc *lacc, const struct btf *tb,
			__u32 tid, struct core_spec *spec, __u32 *next_id)
{
	const struct btf_type *lt = btf__type_by_id(lb, lacc->type_id);
	const struct btf_member *lm = btf_members(lt) + lacc->idx;
	const struct btf_type *tt = btf_skip_mods(tb, tid, &tid);
	int found;

	if (!tt)
		return -EINVAL;
	if (!btf_is_composite(tt))
		return 0;
	for (__u16 i = 0; i < btf_vlen(tt); i++) {
		const struct btf_member *m = btf_members(tt) + i;
		__u32 bit = btf_member_bit_offset(tt, i);
		const char *tn = btf__name_by_offset(tb, m->name_off);

		if (spec->raw_len == CORE_SPEC_MAX)
			return -E2BIG;
		spec->bit_off += bit;
		spec->raw[spec->raw_len++] = i;
		if (!tn || !*tn) {
			found = match_member(lb, lacc, tb, m->type, spec, next_id);
			if (found)
				return found;
		} else if (!strcmp(lacc->name, tn)) {
			spec->acc[spec->len++] = (struct core_acc){ tid, i, tn };
			*next_id = m->type;
			found = fields_compat(lb, lm->type, tb, m->type);
			if (found <= 0)
				spec->len--;
			return found;
		}
		spec->bit_off -= bit;
		spec->raw_len--;
	}
	return 0;
}

static int match_enumval(const struct core_spec *local, const struct btf *tb, __u32 tid,
			 struct core_spec *out)
{
	const struct btf_type *t = btf_skip_mods(tb, tid, &tid);

	if (!t || !btf_is_any_enum(t))
		return 0;
	for (__u16 i = 0; i < btf_vlen(t); i++) {
		const char *n = enum_name(tb, t, i);

		if (!essential_eq(local->acc[0].name, n))
			continue;
		out->acc[0] = (struct core_acc){ tid, i, n };
		out->len = 1;
		out->raw[0] = i;
		out->raw_len = 1;
		return 1;
	}
	return 0;
}

/* One array-element step of the target spec (i > 0: find the array first). */
static int match_elem(const struct core_spec *local, int i, const struct btf *tb, __u32 *tid,
		      struct core_spec *out)
{
	const struct btf_type *t = btf_skip_mods(tb, *tid, tid);
	const struct core_acc *la = &local->acc[i];
	__s64 sz;

	if (!t)
		return -EINVAL;
	if (i > 0) {
		const struct btf_array *a;

		if (!btf_is_array(t))
			return 0;
		a = btf_array(t);
		if (!is_flex_array(tb, &out->acc[out->len - 1], a) && la->idx >= a->nelems)
			return 0;
		if (!btf_skip_mods(tb, a->type, tid))
			return -EINVAL;
	}
	if (out->raw_len == CORE_SPEC_MAX)
		return -E2BIG;
	out->acc[out->len++] = (struct core_acc){ *tid, la->idx, NULL };
	out->raw[out->raw_len++] = la->idx;
	sz = btf__resolve_size(tb, *tid);
	if (sz < 0)
		return -EINVAL;
	if (la->idx && (__u64)sz > (UINT32_MAX / 8) / la->idx)
		return 0; /* cannot be the same field at any offset libbpf could encode */
	out->bit_off += (__u64)la->idx * (__u64)sz * 8;
	return out->bit_off > UINT32_MAX ? 0 : 1;
}

int core_spec_match(const struct core_spec *local, const struct btf *tb, __u32 tid,
		    struct core_spec *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	out->btf = tb;
	out->root_id = tid;
	out->kind = local->kind;
	if (core_kind_is_type(local->kind))
		return local->kind == CORE_TYPE_MATCHES ? core_types_match(local->btf, local->root_id, tb, tid)
							: core_types_compat(local->btf, local->root_id, tb, tid);
	if (core_kind_is_enumval(local->kind))
		return match_enumval(local, tb, tid, out);
	if (!core_kind_is_field(local->kind))
		return -EINVAL;
	for (int i = 0; i < local->len; i++) {
		if (local->acc[i].name) {
			if (!btf_skip_mods(tb, tid, &tid))
				return -EINVAL;
			r = match_member(local->btf, &local->acc[i], tb, tid, out, &tid);
		} else {
			r = match_elem(local, i, tb, &tid, out);
		}
		if (r <= 0)
			return r;
	}
	return 1;
}

/*
 * Type-based compatibility (TYPE_EXISTS, TYPE_SIZE, TYPE_ID_TARGET): the
 * names already matched; kinds must agree down through pointers, arrays and
 * prototypes; composites and enums match by kind alone.
 */
static int types_compat(const struct btf *lb, __u32 lid, const struct btf *tb, __u32 tid, int level)
{
	for (int depth = 0; depth < CORE_MAX_DEPTH; depth++) {
		const struct btf_type *lt = btf_skip_mods(lb, lid, &lid);
		const struct btf_type *tt = btf_skip_mods(tb, tid, &tid);

		if (!lt || !tt)
			return -EINVAL;
		if (!core_kinds_compat(lt, tt))
			return 0;
		switch (btf_kind(lt)) {
		case BTF_KIND_UNKN:
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
		case BTF_KIND_FWD:
			return 1;
		case BTF_KIND_INT:
			return !btf_int_offset(lt) && !btf_int_offset(tt);
		case BTF_KIND_PTR:
			lid = lt->type;
			tid = tt->type;
			continue;
		case BTF_KIND_ARRAY:
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		case BTF_KIND_FUNC_PROTO:
			if (btf_vlen(lt) != btf_vlen(tt))
				return 0;
			for (__u16 i = 0; i < btf_vlen(lt); i++) {
				int r;

				if (level <= 0)
					return -EINVAL;
				r = types_compat(lb, btf_params(lt)[i].type, tb, btf_params(tt)[i].type, level - 1);
				if (r <= 0)
					return r;
			}
			lid = lt->type;
			tid = tt->type;
			continue;
		default:
			return 0;
		}
	}
	return -EINVAL; /* deeper than any sane type: a pointer cycle */
}

int core_types_compat(const struct btf *lb, __u32 lid, const struct btf *tb, __u32 tid)
{
	const struct btf_type *lt = btf__type_by_id(lb, lid), *tt = btf__type_by_id(tb, tid);

	if (!lt || !tt)
		return -EINVAL;
	if (!core_kinds_compat(lt, tt))
		return 0;
	return types_compat(lb, lid, tb, tid, CORE_MAX_DEPTH);
}

/* TYPE_MATCHES names: an anonymous target matches only an anonymous local. */
static bool names_match(const struct btf *lb, __u32 loff, const struct btf *tb, __u32 toff)
{
	const char *ln = btf__name_by_offset(lb, loff), *tn = btf__name_by_offset(tb, toff);

	ln = ln ? ln : "";
	tn = tn ? tn : "";
	if (!*tn)
		return !*ln;
	return essential_eq(ln, tn);
}

/* Every local enumerator has a namesake in the target, and the sizes agree. */
static int enums_match(const struct btf *lb, const struct btf_type *lt, const struct btf *tb,
		       const struct btf_type *tt)
{
	if (lt->size != tt->size || btf_vlen(lt) > btf_vlen(tt))
		return 0;
	for (__u16 i = 0; i < btf_vlen(lt); i++) {
		__u32 loff = btf_is_enum(lt) ? btf_enum(lt)[i].name_off : btf_enum64(lt)[i].name_off;
		bool found = false;

		for (__u16 j = 0; j < btf_vlen(tt) && !found; j++)
			found = names_match(lb, loff, tb, btf_is_enum(tt) ? btf_enum(tt)[j].name_off
									  : btf_enum64(tt)[j].name_off);
		if (!found)
			return 0;
	}
	return 1;
}

static int types_match(const struct btf *lb, __u32 lid, const struct btf *tb, __u32 tid,
		       bool behind_ptr, int level);

/* Every local member has a same-named target member whose type matches. */
static int composites_match(const struct btf *lb, const struct btf_type *lt, const struct btf *tb,
			    const struct btf_type *tt, bool behind_ptr, int level)
{
	if (btf_vlen(lt) > btf_vlen(tt))
		return 0;
	for (__u16 i = 0; i < btf_vlen(lt); i++) {
		const struct btf_member *lm = btf_members(lt) + i;
		bool found = false;

		for (__u16 j = 0; j < btf_vlen(tt) && !found; j++) {
			const struct btf_member *tm = btf_members(tt) + j;
			int r;

			if (!names_match(lb, lm->name_off, tb, tm->name_off))
				continue;
			r = types_match(lb, lm->type, tb, tm->type, behind_ptr, level - 1);
			if (r < 0)
				return r;
			found = r > 0;
		}
		if (!found)
			return 0;
	}
	return 1;
}

/*
 * TYPE_MATCHES, stricter than compatibility: names (without flavors) after
 * typedefs, int sizes and signedness, array lengths, prototypes, and for
 * composites every local member present in the target. Behind a pointer a
 * struct or union matches by kind alone (or a forward declaration of it).
 */
static int types_match(const struct btf *lb, __u32 lid, const struct btf *tb, __u32 tid,
		       bool behind_ptr, int level)
{
	if (level <= 0)
		return -EINVAL;
	for (int depth = 0; depth < CORE_MAX_DEPTH; depth++) {
		const struct btf_type *lt = btf_skip_mods(lb, lid, &lid);
		const struct btf_type *tt = btf_skip_mods(tb, tid, &tid);
		int lk, tk;

		if (!lt || !tt)
			return -EINVAL;
		if (!names_match(lb, lt->name_off, tb, tt->name_off))
			return 0;
		lk = btf_kind(lt);
		tk = btf_kind(tt);
		switch (lk) {
		case BTF_KIND_UNKN:
			return tk == BTF_KIND_UNKN;
		case BTF_KIND_FWD:
			if (tk == BTF_KIND_FWD)
				return btf_kflag(lt) == btf_kflag(tt);
			if (!behind_ptr)
				return 0;
			/* a forward's kflag says union (1) or struct (0) */
			return (tk == BTF_KIND_STRUCT && !btf_kflag(lt)) || (tk == BTF_KIND_UNION && btf_kflag(lt));
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			return btf_is_any_enum(tt) ? enums_match(lb, lt, tb, tt) : 0;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			if (behind_ptr)
				return lk == tk || (tk == BTF_KIND_FWD && btf_kflag(tt) == (lk == BTF_KIND_UNION));
			return lk == tk ? composites_match(lb, lt, tb, tt, behind_ptr, level) : 0;
		case BTF_KIND_INT:
			return tk == lk && lt->size == tt->size &&
			       (btf_int_encoding(lt) & BTF_INT_SIGNED) == (btf_int_encoding(tt) & BTF_INT_SIGNED);
		case BTF_KIND_PTR:
			if (tk != lk)
				return 0;
			behind_ptr = true;
			lid = lt->type;
			tid = tt->type;
			continue;
		case BTF_KIND_ARRAY:
			if (tk != lk || btf_array(lt)->nelems != btf_array(tt)->nelems)
				return 0;
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		case BTF_KIND_FUNC_PROTO:
			if (tk != lk || btf_vlen(lt) != btf_vlen(tt))
				return 0;
			for (__u16 i = 0; i < btf_vlen(lt); i++) {
				int r = types_match(lb, btf_params(lt)[i].type, tb, btf_params(tt)[i].type,
						    behind_ptr, level - 1);

				if (r <= 0)
					return r;
			}
			lid = lt->type;
			tid = tt->type;
			continue;
		default:
			return 0;
		}
	}
	return -EINVAL;
}

int core_types_match(const struct btf *lb, __u32 lid, const struct btf *tb, __u32 tid)
{
	return types_match(lb, lid, tb, tid, false, CORE_MAX_DEPTH);
}
