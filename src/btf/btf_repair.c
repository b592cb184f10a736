/* SPDX-License-Identifier: MIT */
/*
 * btf_repair.c - what pahole leaves out of a C11 host's BTF, put back at load.
 *
 * pahole (1.24, Debian 12's) does not encode DW_TAG_atomic_type: every type
 * it reaches through `_Atomic` becomes type id 0, void. A host that includes
 * <stdatomic.h> (or links libstructops.a built with -g, whose internals use
 * it) then has BTF where
 *
 *   - the C11 typedefs (atomic_int, atomic_bool, ...) are typedefs of void,
 *     and members of those types have no size;
 *   - a member declared `_Atomic T x` directly has type 0, or, where pahole
 *     failed to recode its DWARF reference ("couldn't find ... type for
 *     ... (member)"), an id that happens to be there, often a FUNC: a kind
 *     no member can have;
 *   - a flexible array `_Atomic T x[]` has element type 0.
 *
 * None of these can be laid out or dumped as C, and one of them anywhere in
 * the file made the whole BTF unusable. The C11 typedefs have fixed meanings
 * (C11 7.17.6; LP64 sizes), so they get their plain integer type back. For
 * the others the type is unknown, but the layout is not: such a member
 * becomes `__sops_untyped_N`, a typedef of an N-byte array (N up to the next
 * member, or the struct's end), and such an array's element an unsigned
 * char. The dumped header says so where those typedefs appear. Only the
 * BTF's own types are touched (split BTF: the base was repaired when it was
 * loaded); ids are kept, new types are appended.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "btf_internal.h"

/* C11's atomic typedefs and the plain types they stand for, on LP64. */
static const struct {
	const char *name, *plain;
	unsigned int size, enc;
} c11_atomics[] = {
	{ "atomic_bool", "_Bool", 1, BTF_INT_BOOL },
	{ "atomic_char", "char", 1, BTF_INT_SIGNED | BTF_INT_CHAR },
	{ "atomic_schar", "signed char", 1, BTF_INT_SIGNED },
	{ "atomic_uchar", "unsigned char", 1, 0 },
	{ "atomic_short", "short int", 2, BTF_INT_SIGNED },
	{ "atomic_ushort", "short unsigned int", 2, 0 },
	{ "atomic_int", "int", 4, BTF_INT_SIGNED },
	{ "atomic_uint", "unsigned int", 4, 0 },
	{ "atomic_long", "long int", 8, BTF_INT_SIGNED },
	{ "atomic_ulong", "long unsigned int", 8, 0 },
	{ "atomic_llong", "long long int", 8, BTF_INT_SIGNED },
	{ "atomic_ullong", "long long unsigned int", 8, 0 },
	{ "atomic_char16_t", "short unsigned int", 2, 0 },
	{ "atomic_char32_t", "unsigned int", 4, 0 },
	{ "atomic_wchar_t", "int", 4, BTF_INT_SIGNED },
	{ "atomic_intptr_t", "long int", 8, BTF_INT_SIGNED },
	{ "atomic_uintptr_t", "long unsigned int", 8, 0 },
	{ "atomic_size_t", "long unsigned int", 8, 0 },
	{ "atomic_ptrdiff_t", "long int", 8, BTF_INT_SIGNED },
	{ "atomic_intmax_t", "long int", 8, BTF_INT_SIGNED },
	{ "atomic_uintmax_t", "long unsigned int", 8, 0 },
};

/* An INT named @name of @size bytes: the BTF's own (or its base's), else a new one. */
static int find_or_add_int(struct btf *btf, const char *name, unsigned int size, unsigned int enc)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_INT);

	if (id > 0 && btf__type_by_id(btf, id)->size == size)
		return id;
	return btf__add_int(btf, name, size, enc);
}

/* `typedef unsigned char __sops_untyped_N[N]`, shared by every member of that size. */
static int untyped(struct btf *btf, __u32 size)
{
	char name[48];
	int id, u8, u32, arr;

	snprintf(name, sizeof(name), SOPS_BTF_UNTYPED_PREFIX "%u", size);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id > 0)
		return id;
	u8 = find_or_add_int(btf, "unsigned char", 1, 0);
	u32 = find_or_add_int(btf, "unsigned int", 4, 0);
	if (u8 < 0 || u32 < 0)
		return -ENOMEM;
	arr = btf__add_array(btf, u32, u8, size);
	return arr < 0 ? arr : btf__add_typedef(btf, name, arr);
}

/* Whether a member of type @id has no usable type: void, or a kind that is no data type. */
static bool untyped_member(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	return !id || (t && (btf_is_func(t) || btf_is_func_proto(t) || btf_is_var(t) ||
			     btf_is_datasec(t) || btf_is_decl_tag(t)));
}

/* Bytes from member @i to the next member (or the end of @t); 0 when unknown. */
static __u32 member_room(const struct btf_type *t, __u16 i)
{
	__u32 off = btf_member_bit_offset(t, i), end = t->size * 8;

	if (btf_member_bitfield_size(t, i) || off % 8 || off >= end)
		return 0;
	if (btf_is_union(t))
		return (end - off) / 8;
	for (__u16 j = 0; j < btf_vlen(t); j++) {
		__u32 o = btf_member_bit_offset(t, j);

		if (o > off && o < end)
			end = o;
	}
	return (end - off) / 8;
}

/*
 * The type records are libbpf's, writable once btf__add_*() made the BTF
 * modifiable (which every repair below does first); libbpf has no setter
 * for an existing record's type. Pointers are taken after each addition.
 */
static struct btf_type *writable(struct btf *btf, __u32 id)
{
	return (struct btf_type *)btf__type_by_id(btf, id);
}

static int repair_typedef(struct btf *btf, __u32 id)
{
	const char *name = btf_name(btf, btf__type_by_id(btf, id));

	for (size_t k = 0; k < sizeof(c11_atomics) / sizeof(c11_atomics[0]); k++) {
		int plain;

		if (strcmp(name, c11_atomics[k].name))
			continue;
		plain = find_or_add_int(btf, c11_atomics[k].plain, c11_atomics[k].size, c11_atomics[k].enc);
		if (plain < 0)
			return plain;
		writable(btf, id)->type = (__u32)plain;
		return 1;
	}
	return 0; /* another typedef of void (glibc's _IO_lock_t): valid as it is */
}

static int repair_members(struct btf *btf, __u32 id)
{
	int n = 0;

	for (__u16 i = 0; i < btf_vlen(btf__type_by_id(btf, id)); i++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		__u32 room = member_room(t, i);
		int u;

		if (!untyped_member(btf, btf_members(t)[i].type) || !room)
			continue; /* typed, or no room to tell a layout: validation reports it */
		u = untyped(btf, room);
		if (u < 0)
			return u;
		btf_members(writable(btf, id))[i].type = (__u32)u;
		n++;
	}
	return n;
}

int btf_repair_untyped(struct btf *btf)
{
	__u32 start = btf_first_own_id(btf), cnt = btf__type_cnt(btf);
	int n = 0, r;

	/* Only ids below the original count: the types added here need no repair. */
	for (__u32 id = start; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		r = 0;
		if (btf_is_typedef(t) && !t->type) {
			r = repair_typedef(btf, id);
		} else if (btf_is_composite(t)) {
			r = repair_members(btf, id);
		} else if (btf_is_array(t) && !btf_array(t)->type && !btf_array(t)->nelems) {
			r = find_or_add_int(btf, "unsigned char", 1, 0);
			if (r > 0) {
				btf_array(writable(btf, id))->type = (__u32)r;
				r = 1;
			}
		}
		if (r < 0)
			return r;
		n += r;
	}
	return n;
}
