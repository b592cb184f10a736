/* SPDX-License-Identifier: MIT */
/*
 * core_patch.c - CO-RE relocation values and instruction patching.
 *
 * core_calc() turns a local spec and a matched target spec (or none: no
 * candidate matched) into the value the compiler put in the instruction and
 * the value the target needs, with libbpf's rules: a missing field or enum
 * value poisons the instruction unless the relocation only asks whether it
 * exists; a missing type gives 0. core_patch() then checks that the
 * instruction holds what the local view expects (so a mismatched record is
 * caught, not silently applied) and writes the new value into an ALU
 * immediate, a load/store offset (resizing the access where the value stays
 * correct: pointers and unsigned integers) or an lddw immediate.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "loader_internal.h"

#define CLASS(code) ((code) & 0x07)
#define SIZE(code) ((code) & 0x18)
#define CL_LD 0x00
#define CL_LDX 0x01
#define CL_ST 0x02
#define CL_STX 0x03
#define CL_ALU 0x04
#define CL_ALU64 0x07
#define SRC_X 0x08
#define CODE_LDDW 0x18
#define CODE_CALL 0x85
#define POISON_SIGNAL 1 /* internal: the relocation asks for poisoning */

static const __u8 size_codes[] = { [1] = 0x10, [2] = 0x08, [4] = 0x00, [8] = 0x18 };

static int size_bytes(__u8 code)
{
	switch (SIZE(code)) {
	case 0x10: return 1;
	case 0x08: return 2;
	case 0x00: return 4;
	default: return 8;
	}
}

/* A bitfield is read with the smallest aligned load of its type's size or more. */
static int bitfield_load(__u32 bit_off, __u32 bit_sz, __u32 type_sz, __u32 *byte_off, __u32 *byte_sz,
			 char *why)
{
	__u32 sz = type_sz;

	if (!sz || sz > 8 || (sz & (sz - 1))) {
		snprintf(why, CORE_WHY_LEN, "bitfield of a %u-byte type", sz);
		return -EINVAL;
	}
	for (;;) {
		__u32 off = bit_off / 8 / sz * sz;

		if (bit_off + bit_sz - off * 8 <= sz * 8) {
			*byte_off = off;
			*byte_sz = sz;
			return 0;
		}
		if (sz >= 8) {
			snprintf(why, CORE_WHY_LEN, "the bitfield cannot be read with one 64-bit load");
			return -E2BIG;
		}
		sz *= 2;
	}
}

/* The field value of @spec for @kind; *sz and *type for load/store resizing. */
static int field_value(const struct core_spec *spec, __u32 kind, __u64 *val, __u32 *sz, __u32 *type,
		       bool *validate, char *why)
{
	const struct core_acc *acc;
	const struct btf_type *t, *mt;
	__u32 byte_off, byte_sz, bit_sz, ftype;
	bool bitfield;
	__s64 s;
	int err;

	*sz = 0;
	if (kind == CORE_FIELD_EXISTS) {
		*val = spec ? 1 : 0;
		return 0;
	}
	if (!spec)
		return POISON_SIGNAL;
	acc = &spec->acc[spec->len - 1];
	if (!acc->name) {
		/* the access ends at an array element (or the root itself) */
		if (kind != CORE_FIELD_BYTE_OFFSET && kind != CORE_FIELD_BYTE_SIZE) {
			snprintf(why, CORE_WHY_LEN, "%s cannot apply to an array element", core_kind_str(kind));
			return -EINVAL;
		}
		s = btf__resolve_size(spec->btf, acc->type_id);
		if (s < 0) {
			snprintf(why, CORE_WHY_LEN, "the element type has no size");
			return -EINVAL;
		}
		if (kind == CORE_FIELD_BYTE_OFFSET) {
			*val = spec->bit_off / 8;
			*sz = (__u32)s;
			*type = acc->type_id;
		} else {
			*val = (__u64)s;
		}
		if (validate)
			*validate = true;
		return 0;
	}
	t = btf__type_by_id(spec->btf, acc->type_id);
	mt = btf_skip_mods(spec->btf, btf_members(t)[acc->idx].type, &ftype);
	if (!mt)
		return -EINVAL;
	bit_sz = btf_member_bitfield_size(t, acc->idx);
	bitfield = bit_sz > 0;
	if (bitfield) {
		err = bitfield_load((__u32)spec->bit_off, bit_sz, mt->size, &byte_off, &byte_sz, why);
		if (err)
			return err;
	} else {
		s = btf__resolve_size(spec->btf, ftype);
		if (s < 0 || s > UINT32_MAX / 8) {
			snprintf(why, CORE_WHY_LEN, "the field's type has no usable size");
			return -EINVAL;
		}
		byte_sz = (__u32)s;
		byte_off = (__u32)(spec->bit_off / 8);
		bit_sz = byte_sz * 8;
	}
	/* the compiler's bitfield offsets and sizes may legitimately differ from ours */
	if (validate)
		*validate = !bitfield;
	switch (kind) {
	case CORE_FIELD_BYTE_OFFSET:
		*val = byte_off;
		if (!bitfield) {
			*sz = byte_sz;
			*type = ftype;
		}
		return 0;
	case CORE_FIELD_BYTE_SIZE:
		*val = byte_sz;
		return 0;
	case CORE_FIELD_SIGNED:
		*val = (btf_is_any_enum(mt) && btf_kflag(mt)) ||
		       (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED));
		if (validate)
			*validate = true;
		return 0;
	case CORE_FIELD_LSHIFT_U64:
		/* little-endian: shift the field's top bit up to bit 63 */
		*val = 64 - (spec->bit_off + bit_sz - (__u64)byte_off * 8);
		return 0;
	case CORE_FIELD_RSHIFT_U64:
		*val = 64 - bit_sz;
		if (validate)
			*validate = true;
		return 0;
	default:
		snprintf(why, CORE_WHY_LEN, "unknown relocation kind %u", kind);
		return -EOPNOTSUPP;
	}
}

static int type_value(const struct core_spec *spec, __u32 kind, __u64 *val, bool *validate, char *why)
{
	__s64 s;

	if (validate)
		*validate = true;
	if (!spec) {
		*val = 0; /* a missing type reads as 0, never poisons */
		return 0;
	}
	switch (kind) {
	case CORE_TYPE_ID_TARGET:
		*val = spec->root_id;
		/* ids in the object change with linking: nothing to check */
		if (validate)
			*validate = false;
		return 0;
	case CORE_TYPE_EXISTS:
	case CORE_TYPE_MATCHES:
		*val = 1;
		return 0;
	case CORE_TYPE_SIZE:
		s = btf__resolve_size(spec->btf, spec->root_id);
		if (s < 0) {
			snprintf(why, CORE_WHY_LEN, "the type has no size");
			return -EINVAL;
		}
		*val = (__u64)s;
		return 0;
	default:
		snprintf(why, CORE_WHY_LEN, "unknown relocation kind %u", kind);
		return -EOPNOTSUPP;
	}
}

static int enumval_value(const struct core_spec *spec, __u32 kind, __u64 *val)
{
	const struct btf_type *t;
	__u32 i;

	if (kind == CORE_ENUMVAL_EXISTS) {
		*val = spec ? 1 : 0;
		return 0;
	}
	if (!spec)
		return POISON_SIGNAL;
	t = btf__type_by_id(spec->btf, spec->acc[0].type_id);
	i = spec->acc[0].idx;
	/* 32-bit enum values widen with their sign, as libbpf does (even for unsigned enums) */
	if (btf_is_enum(t))
		*val = (__u64)(__s64)btf_enum(t)[i].val;
	else
		*val = btf_enum64_value(btf_enum64(t) + i);
	return 0;
}

int core_calc(const struct core_spec *local, const struct core_spec *targ, struct core_res *res,
	      char *why)
{
	__u32 kind = local->kind;
	int err = 0;

	*res = (struct core_res){ .validate = true };
	if (core_kind_is_field(kind)) {
		err = field_value(local, kind, &res->orig_val, &res->orig_sz, &res->orig_type, &res->validate, why);
		if (!err)
			err = field_value(targ, kind, &res->new_val, &res->new_sz, &res->new_type, NULL, why);
		if (!err && res->orig_sz != res->new_sz) {
			const struct btf_type *ot = btf__type_by_id(local->btf, res->orig_type);
			const struct btf_type *nt = btf__type_by_id(targ->btf, res->new_type);

			/*
			 * A different load size keeps the value only for pointers (a
			 * narrower one zero-extends) and unsigned integers; signed ones
			 * would lose their sign, so such a load is poisoned instead.
			 */
			if (!(ot && nt && btf_is_ptr(ot) && btf_is_ptr(nt)) &&
			    !(ot && nt && btf_is_int(ot) && btf_is_int(nt) &&
			      !(btf_int_encoding(ot) & BTF_INT_SIGNED) && !(btf_int_encoding(nt) & BTF_INT_SIGNED)))
				res->bad_memsz = true;
		}
	} else if (core_kind_is_type(kind)) {
		err = type_value(local, kind, &res->orig_val, &res->validate, why);
		if (!err)
			err = type_value(targ, kind, &res->new_val, NULL, why);
	} else if (core_kind_is_enumval(kind)) {
		err = enumval_value(local, kind, &res->orig_val);
		if (!err)
			err = enumval_value(targ, kind, &res->new_val);
	} else {
		snprintf(why, CORE_WHY_LEN, "unknown relocation kind %u", kind);
		return -EOPNOTSUPP;
	}
	if (err == POISON_SIGNAL) {
		res->poison = true;
		err = 0;
	}
	return err;
}

/* libbpf's poison: `call 0xbad2310`, an unknown helper, fails only if it runs. */
static void poison(struct sops_insn *insn)
{
	*insn = (struct sops_insn){ .code = CODE_CALL, .imm = POISON_HELPER };
}

static int patch_mem(struct sops_insn *insn, const struct core_res *res, bool *poisoned, char *why)
{
	if (res->validate && (__u64)(__s64)insn->off != res->orig_val) {
		snprintf(why, CORE_WHY_LEN, "the load/store offset is %d, the local type says %llu",
			 insn->off, (unsigned long long)res->orig_val);
		return -EINVAL;
	}
	if (res->new_val > SHRT_MAX) {
		snprintf(why, CORE_WHY_LEN, "offset %llu does not fit a load/store", (unsigned long long)res->new_val);
		return -ERANGE;
	}
	if (res->bad_memsz) {
		/* reading a signed or non-integer field at another size gives a wrong value */
		*poisoned = true;
		return 0;
	}
	insn->off = (__s16)res->new_val;
	if (res->new_sz == res->orig_sz)
		return 0;
	if ((__u32)size_bytes(insn->code) != res->orig_sz) {
		snprintf(why, CORE_WHY_LEN, "the access is %d bytes, the local field %u", size_bytes(insn->code),
			 res->orig_sz);
		return -EINVAL;
	}
	if (res->new_sz > 8 || (res->new_sz & (res->new_sz - 1)) || !res->new_sz) {
		snprintf(why, CORE_WHY_LEN, "the target field is %u bytes, no load/store size", res->new_sz);
		return -EINVAL;
	}
	insn->code = (__u8)((insn->code & ~0x18) | size_codes[res->new_sz]);
	return 0;
}

static int patch_lddw(struct sops_insn *insn, size_t avail, const struct core_res *res, char *why)
{
	__u64 imm;

	if (avail < 2 || insn[0].src_reg || insn[0].off || insn[1].code || insn[1].dst_reg ||
	    insn[1].src_reg || insn[1].off) {
		snprintf(why, CORE_WHY_LEN, "the lddw is not a plain 64-bit constant");
		return -EINVAL;
	}
	imm = (__u64)(__u32)insn[0].imm | ((__u64)(__u32)insn[1].imm << 32);
	if (res->validate && imm != res->orig_val) {
		snprintf(why, CORE_WHY_LEN, "the lddw holds %llu, the local type says %llu",
			 (unsigned long long)imm, (unsigned long long)res->orig_val);
		return -EINVAL;
	}
	insn[0].imm = (__s32)(__u32)res->new_val;
	insn[1].imm = (__s32)(__u32)(res->new_val >> 32);
	return 0;
}

int core_patch(struct sops_insn *insn, size_t avail, const struct core_res *res, char *why)
{
	bool poisoned = res->poison;
	int err = 0;

	if (!poisoned) {
		switch (CLASS(insn->code)) {
		case CL_ALU:
		case CL_ALU64:
			if (insn->code & SRC_X) {
				snprintf(why, CORE_WHY_LEN, "the ALU instruction takes a register, not an immediate");
				return -EINVAL;
			}
			if (res->validate && (__u64)(__s64)insn->imm != res->orig_val) {
				snprintf(why, CORE_WHY_LEN, "the immediate is %d, the local type says %llu", insn->imm,
					 (unsigned long long)res->orig_val);
				return -EINVAL;
			}
			insn->imm = (__s32)(__u32)res->new_val;
			return 0;
		case CL_LDX:
		case CL_ST:
		case CL_STX:
			err = patch_mem(insn, res, &poisoned, why);
			break;
		case CL_LD:
			if (insn->code != CODE_LDDW) {
				snprintf(why, CORE_WHY_LEN, "opcode 0x%02x cannot carry a CO-RE value", insn->code);
				return -EINVAL;
			}
			return patch_lddw(insn, avail, res, why);
		default:
			snprintf(why, CORE_WHY_LEN, "opcode 0x%02x cannot carry a CO-RE value", insn->code);
			return -EINVAL;
		}
	}
	if (err || !poisoned)
		return err;
	/* the second slot of an lddw is poisoned too, so it never decodes as garbage */
	if (insn->code == CODE_LDDW && avail >= 2)
		poison(insn + 1);
	poison(insn);
	return 0;
}
