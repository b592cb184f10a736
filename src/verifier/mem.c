/* SPDX-License-Identifier: MIT */
/*
 * mem.c - loads, stores and atomics, by the kind of pointer they go through.
 *
 * An access of @size bytes at ptr + insn.off is allowed when every offset
 * the pointer's variable part permits keeps the whole access inside its
 * object: the stack frame (512 bytes below its frame pointer), the context
 * (the program type's rules), a map value or key, or memory a helper
 * returned (a ring buffer record). The stack is tracked per byte: a full,
 * aligned 8-byte store of a register spills it with all it is known to be,
 * narrower stores make bytes "misc" (or "zero" for a known 0); reading a
 * byte never written is an error, as is taking apart a spilled pointer.
 *
 * Pointers never leave the program as numbers: storing one anywhere but the
 * stack is refused (the kernel's rule for unprivileged programs), so a
 * plugin cannot learn or forge host addresses through its maps.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <bpf/btf.h>

#include "../isa/opcodes.h"
#include "verifier.h"

#define MAX_VAR_OFF (1LL << 29) /* the kernel's BPF_MAX_VAR_OFF */
#define CTX_SYSCALL_MAX 65535   /* syscall programs: ctx up to U16_MAX bytes */

static uint8_t access_size(uint8_t code)
{
	switch (OPC_SIZE(code)) {
	case OPC_B: return 1;
	case OPC_H: return 2;
	case OPC_W: return 4;
	default: return 8;
	}
}

struct vstack_slot *vmem_stack_slot(struct vstate *st, uint32_t frameno, int32_t off)
{
	/* off in [-512, -1]: slot (-off - 1) / 8 */
	return &st->frame[frameno]->stack[(-off - 1) / 8];
}

/* Byte @off (< 0) of frame @frameno: its type, and the slot it is in. */
static uint8_t *stack_byte(struct vstate *st, uint32_t frameno, int32_t off, struct vstack_slot **slot)
{
	struct vstack_slot *s = vmem_stack_slot(st, frameno, off);

	if (slot)
		*slot = s;
	return &s->type[(off + V_STACK_SIZE) % 8];
}

void vmem_update_depth(struct venv *env, uint32_t frameno, int32_t off)
{
	struct vframe *f = env->cur->frame[frameno];
	uint32_t d = (uint32_t)(-off + 7) & ~7U;
	struct vsubprog *sp = &env->subprogs[f->subprog];

	if (d > f->depth)
		f->depth = (uint16_t)d;
	if (d > sp->stack_depth)
		sp->stack_depth = (uint16_t)d;
}

/* The kernel's limit on the stack of a whole call chain (each frame rounded to 32 bytes). */
int vmem_check_combined_depth(struct venv *env)
{
	uint32_t total = 0;

	for (uint32_t f = 0; f <= env->cur->curframe; f++) {
		uint32_t d = env->cur->frame[f]->depth;

		total += d ? (d + 31) & ~31U : 32;
	}
	if (total > V_MAX_COMBINED_STACK)
		return verr(env, -EACCES, "combined stack size of %u calls is %u. Too large",
			    env->cur->curframe + 1, total);
	return 0;
}

/* The range [lo, hi) of offsets an access through @r at @off of @size may touch. */
static void access_range(const struct vreg *r, int32_t off, uint32_t size, int64_t *lo, int64_t *hi)
{
	*lo = (int64_t)r->off + off + r->v.smin;
	*hi = (int64_t)r->off + off + r->v.smax + size;
}

static int check_var_bounded(struct venv *env, uint32_t regno, const struct vreg *r)
{
	if (r->v.smin < -MAX_VAR_OFF || r->v.smax > MAX_VAR_OFF)
		return verr(env, -EACCES,
			    "R%u unbounded memory access, make sure to bounds check any such access", regno);
	return 0;
}

/* --- stack --- */

static int stack_bounds(struct venv *env, uint32_t regno, const struct vreg *r, int32_t off,
			uint32_t size, bool write, bool aligned, int64_t *lo, int64_t *hi)
{
	int err = check_var_bounded(env, regno, r);

	if (err)
		return err;
	access_range(r, off, size, lo, hi);
	/* As in the kernel, stack accesses are always aligned to their size. */
	if (aligned && (((r->off + off) & (int32_t)(size - 1)) || !tnum_is_aligned(r->v.var_off, size)))
		return verr(env, -EACCES, "misaligned stack access off %d+%d size %u", r->off, off, size);
	if (*lo < -V_STACK_SIZE || *hi > 0 || size == 0) {
		if (sc_is_const(&r->v))
			return verr(env, -EACCES, "invalid %s stack R%u off=%" PRId64 " size=%u",
				    write ? "write to" : "read from", regno, *lo, size);
		return verr(env, -EACCES,
			    "invalid variable-offset %s stack R%u var_off smin=%" PRId64 " smax=%" PRId64
			    " off=%d size=%u",
			    write ? "write to" : "read from", regno, r->v.smin, r->v.smax, r->off + off, size);
	}
	return 0;
}

/* Whether any byte of [lo, hi) in frame @fn is part of a spilled pointer. */
static bool touches_spilled_ptr(struct vstate *st, uint32_t fn, int64_t lo, int64_t hi)
{
	for (int64_t o = lo; o < hi; o++) {
		struct vstack_slot *s;
		uint8_t *b = stack_byte(st, fn, (int32_t)o, &s);

		if (*b == VS_SPILL && s->spill.type != V_SCALAR)
			return true;
	}
	return false;
}

/* A store of @size bytes at fixed offset @o of frame @fn; @val NULL: unknown scalar bytes. */
static int stack_write_fixed(struct venv *env, uint32_t fn, int32_t o, uint32_t size, const struct vreg *val,
			     uint32_t regno_val)
{
	struct vstate *st = env->cur;
	bool zero = val && vreg_is_const(val, NULL) && sc_value(&val->v) == 0;

	if (val && val->type == V_PTR_TO_STACK && val->frameno > fn)
		return verr(env, -EACCES, "cannot spill pointers to stack into stack frame of the caller");
	if (size == 8 && !(o % 8) && val) {
		struct vstack_slot *s = vmem_stack_slot(st, fn, o);

		s->spill = *val;
		memset(s->type, VS_SPILL, 8);
		return 0;
	}
	if (val && vreg_is_ptr(val))
		return verr(env, -EACCES, "R%u partial copy of pointer to the stack is not allowed", regno_val);
	if (touches_spilled_ptr(st, fn, o, (int64_t)o + size))
		return verr(env, -EACCES, "attempt to corrupt spilled pointer on stack");
	for (int32_t b = o; b < o + (int32_t)size; b++) {
		struct vstack_slot *s;
		uint8_t *t = stack_byte(st, fn, b, &s);

		if (*t == VS_SPILL) /* a spilled scalar taken apart: the rest is some number */
			for (int k = 0; k < 8; k++)
				if (s->type[k] == VS_SPILL)
					s->type[k] = VS_MISC;
		*t = zero ? VS_ZERO : VS_MISC;
	}
	return 0;
}

static int stack_write(struct venv *env, uint32_t regno, const struct vreg *r, int32_t off, uint32_t size,
		       const struct vreg *val, uint32_t regno_val)
{
	struct vstate *st = env->cur;
	int64_t lo, hi;
	int err = stack_bounds(env, regno, r, off, size, true, true, &lo, &hi);

	if (err)
		return err;
	vmem_update_depth(env, r->frameno, (int32_t)lo);
	err = vmem_check_combined_depth(env);
	if (err)
		return err;
	if (sc_is_const(&r->v))
		return stack_write_fixed(env, r->frameno, (int32_t)lo, size, val, regno_val);
	/* Variable offset: each byte may or may not be written. */
	if (val && vreg_is_ptr(val))
		return verr(env, -EACCES, "R%u variable-offset stack write of a pointer is not allowed", regno_val);
	if (touches_spilled_ptr(st, r->frameno, lo, hi))
		return verr(env, -EACCES, "attempt to corrupt spilled pointer on stack");
	for (int64_t b = lo; b < hi; b++) {
		struct vstack_slot *s;
		uint8_t *t = stack_byte(st, r->frameno, (int32_t)b, &s);

		if (*t == VS_SPILL) {
			for (int k = 0; k < 8; k++)
				if (s->type[k] == VS_SPILL)
					s->type[k] = VS_MISC;
		} else if (*t == VS_ZERO) {
			*t = VS_MISC;
		}
	}
	return 0;
}

/* Read @size bytes at fixed offset @o of frame @fn into @dst (NULL: only check they are set). */
static int stack_read_fixed(struct venv *env, uint32_t fn, int32_t o, uint32_t size, struct vreg *dst,
			    bool sext)
{
	struct vstate *st = env->cur;
	struct vstack_slot *s = vmem_stack_slot(st, fn, o);
	bool all_zero = true, spill_whole = !(o % 8) && size == 8 && s->type[0] == VS_SPILL;

	if (spill_whole) {
		for (int k = 0; k < 8; k++)
			spill_whole &= s->type[k] == VS_SPILL;
	}
	if (spill_whole) {
		if (dst)
			*dst = s->spill;
		return 0;
	}
	for (int32_t b = o; b < o + (int32_t)size; b++) {
		struct vstack_slot *bs;
		uint8_t t = *stack_byte(st, fn, b, &bs);

		if (t == VS_INVALID)
			return verr(env, -EACCES, "invalid read from stack off %d+%d size %u",
				    o - (o % 8 + 8) % 8, (o % 8 + 8) % 8, size);
		if (t == VS_SPILL && bs->spill.type != V_SCALAR)
			return verr(env, -EACCES, "invalid size of register fill");
		if (t != VS_ZERO)
			all_zero = false;
	}
	if (!dst)
		return 0;
	if (all_zero) {
		vreg_scalar_const(dst, 0);
		return 0;
	}
	/* The low bytes of a spilled scalar keep what is known of them. */
	if (!(o % 8) && s->type[0] == VS_SPILL && s->spill.type == V_SCALAR && !sext) {
		bool from_spill = true;

		for (uint32_t k = 0; k < size; k++)
			from_spill &= s->type[k] == VS_SPILL;
		if (from_spill) {
			*dst = s->spill;
			sc_truncate(&dst->v, (uint8_t)size);
			dst->id = 0;
			return 0;
		}
	}
	vreg_scalar_unknown(dst);
	if (sext)
		sc_unknown_sext(&dst->v, (uint8_t)size);
	else
		sc_unknown_size(&dst->v, (uint8_t)size);
	return 0;
}

static int stack_read(struct venv *env, uint32_t regno, const struct vreg *r, int32_t off, uint32_t size,
		      struct vreg *dst, bool sext)
{
	int64_t lo, hi;
	int err = stack_bounds(env, regno, r, off, size, false, true, &lo, &hi);

	if (err)
		return err;
	if (sc_is_const(&r->v))
		return stack_read_fixed(env, r->frameno, (int32_t)lo, size, dst, sext);
	for (int64_t b = lo; b < hi; b++) {
		struct vstack_slot *s;
		uint8_t t = *stack_byte(env->cur, r->frameno, (int32_t)b, &s);

		if (t == VS_INVALID)
			return verr(env, -EACCES,
				    "invalid variable-offset read from stack R%u var_off smin=%" PRId64
				    " smax=%" PRId64 " size=%u",
				    regno, r->v.smin, r->v.smax, size);
		if (t == VS_SPILL && s->spill.type != V_SCALAR)
			return verr(env, -EACCES, "R%u variable-offset read of a spilled pointer", regno);
	}
	if (dst) {
		vreg_scalar_unknown(dst);
		if (sext)
			sc_unknown_sext(&dst->v, (uint8_t)size);
		else
			sc_unknown_size(&dst->v, (uint8_t)size);
	}
	return 0;
}

/* --- context --- */

bool vst_ops_ret_void(const struct sops_prog *prog)
{
	const struct btf *btf;
	const struct btf_type *t = vst_ops_proto(prog, &btf);

	return t && !t->type;
}

static int ctx_access(struct venv *env, uint32_t regno, const struct vreg *r, int32_t off, uint32_t size,
		      bool write, struct vreg *dst, bool sext)
{
	struct sops_prog *prog = env->prog;
	int64_t o = (int64_t)r->off + off;

	if (!sc_is_const(&r->v) || sc_value(&r->v))
		return verr(env, -EACCES, "variable ctx access var_off=(0x%" PRIx64 "; 0x%" PRIx64 ") disallowed",
			    r->v.var_off.value, r->v.var_off.mask);
	if (prog->type == SOPS_BPF_PROG_TYPE_SYSCALL) {
		if (o < 0 || o + size > CTX_SYSCALL_MAX)
			goto bad;
		if ((uint32_t)(o + size) > prog->max_ctx_offset)
			prog->max_ctx_offset = (uint32_t)(o + size);
		return 0;
	}
	if (prog->type == SOPS_BPF_PROG_TYPE_STRUCT_OPS) {
		struct vreg tmp;

		(void)regno;
		return vbtf_ctx_access(env, r, o, size, write, dst ? dst : &tmp, sext);
	}
bad:
	return verr(env, -EACCES, "invalid bpf_context access off=%" PRId64 " size=%u", o, size);
}

/* --- objects with a size: map values and keys, memory --- */

static int sized_access(struct venv *env, uint32_t regno, const struct vreg *r, int32_t off, uint32_t size,
			uint32_t obj_size, const char *what)
{
	int64_t lo, hi;
	int err;

	if (r->v.smin < 0 && !sc_is_const(&r->v))
		return verr(env, -EACCES,
			    "R%u min value is negative, either use unsigned index or do a if (index >=0) check.",
			    regno);
	err = check_var_bounded(env, regno, r);
	if (err)
		return err;
	access_range(r, off, size, &lo, &hi);
	if (lo < 0 || hi > obj_size) {
		if (!sc_is_const(&r->v) && lo >= 0)
			return verr(env, -EACCES,
				    "R%u max value is outside of the allowed memory range", regno);
		return verr(env, -EACCES, "invalid access to %s, %s_size=%u off=%" PRId64 " size=%u", what,
			    !strcmp(what, "memory") ? "mem" : strcmp(what, "map key") ? "value" : "key",
			    obj_size, lo < 0 ? lo : hi - size, size);
	}
	return 0;
}

/* Offset of a special field (bpf_spin_lock, bpf_timer) in @map's value, or -1. */
static int map_field_off(const struct rt_map *map, const char *type_name)
{
	const struct btf *btf = map->btf ? map->btf->btf : NULL;
	const struct btf_type *t;
	const struct btf_member *m;

	if (!btf || !map->btf_value_type_id)
		return -1;
	t = btf__type_by_id(btf, map->btf_value_type_id);
	if (!t || !btf_is_struct(t))
		return -1;
	m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++, m++) {
		const struct btf_type *mt = btf__type_by_id(btf, m->type);
		const char *n = mt ? btf__name_by_offset(btf, mt->name_off) : NULL;

		if (mt && btf_is_struct(mt) && n && !strcmp(n, type_name))
			return (int)(btf_member_bit_offset(t, i) / 8);
	}
	return -1;
}

int vmap_lock_off(const struct rt_map *map)
{
	return map_field_off(map, "bpf_spin_lock");
}

static int map_value_access(struct venv *env, uint32_t regno, const struct vreg *r, int32_t off,
			    uint32_t size, bool write)
{
	const struct rt_map *map = r->map;
	int64_t lo, hi;
	int err, f;

	if (write && ((r->flags & VF_RDONLY) || (map->map_flags & SOPS_BPF_F_RDONLY_PROG))) {
		access_range(r, off, size, &lo, &hi);
		return verr(env, -EACCES, "write into map forbidden, value_size=%u off=%" PRId64 " size=%u",
			    map->value_size, lo, size);
	}
	err = sized_access(env, regno, r, off, size, map->value_size, "map value");
	if (err)
		return err;
	access_range(r, off, size, &lo, &hi);
	f = map_field_off(map, "bpf_spin_lock");
	if (f >= 0 && lo < f + 4 && hi > f)
		return verr(env, -EACCES, "bpf_spin_lock cannot be accessed directly by load/store");
	f = map->timer_off >= 0 ? map->timer_off : map_field_off(map, "bpf_timer");
	if (f >= 0 && lo < f + 16 && hi > f)
		return verr(env, -EACCES, "bpf_timer cannot be accessed directly by load/store");
	return 0;
}

/*
 * A load at a constant offset of a frozen read-only map (.rodata) reads a
 * constant, as in the kernel: the program can never see another value.
 */
static bool rodata_const(const struct vreg *r, int32_t off, uint32_t size, struct vreg *dst)
{
	struct rt_map *map = r->map;
	uint64_t addr, v = 0;
	int64_t o = (int64_t)r->off + off;

	if (!(map->map_flags & SOPS_BPF_F_RDONLY_PROG) || !atomic_load(&map->frozen) ||
	    !sc_is_const(&r->v) || !map->ops->direct_value_addr)
		return false;
	o += (int64_t)sc_value(&r->v);
	if (o < 0 || o + size > map->value_size || map->ops->direct_value_addr(map, &addr, 0))
		return false;
	memcpy(&v, (const uint8_t *)(uintptr_t)addr + o, size); /* little endian */
	vreg_scalar_const(dst, v);
	return true;
}

/*
 * The access at @r + @off of @size bytes. @write with @val the stored value
 * (NULL: an immediate or an atomic's result); @dst receives a load.
 */
static int check_access(struct venv *env, uint32_t regno, int32_t off, uint32_t size, bool write,
			const struct vreg *val, uint32_t val_regno, struct vreg *dst, bool sext)
{
	struct vreg *r = &vregs(env)[regno];
	int err = 0;

	if (r->type == V_NOT_INIT)
		return verr(env, -EACCES, "R%u !read_ok", regno);
	if (r->flags & VF_MAYBE_NULL || r->type == V_SCALAR || r->type == V_CONST_PTR_TO_MAP ||
	    r->type == V_PTR_TO_FUNC)
		return verr(env, -EACCES, "R%u invalid mem access '%s'", regno, vtype_name(r));
	if (r->type == V_PTR_TO_STACK) {
		struct vreg copy = *r; /* the register may be the destination too */

		if (write)
			return stack_write(env, regno, &copy, off, size, val, val_regno);
		return stack_read(env, regno, &copy, off, size, dst, sext);
	}
	if (write && val && vreg_is_ptr(val))
		return verr(env, -EACCES, "R%u leaks addr into %s", val_regno,
			    r->type == V_PTR_TO_MAP_VALUE ? "map" : r->type == V_PTR_TO_CTX ? "ctx" : "mem");
	switch (r->type) {
	case V_PTR_TO_CTX:
		err = ctx_access(env, regno, r, off, size, write, dst, sext);
		if (err || env->prog->type == SOPS_BPF_PROG_TYPE_STRUCT_OPS)
			return err; /* typed by the member (btf_ptr.c) */
		break;
	case V_PTR_TO_BTF_ID:
		return vbtf_access(env, regno, r, off, size, write, val, dst, sext);
	case V_PTR_TO_MAP_VALUE:
		err = map_value_access(env, regno, r, off, size, write);
		break;
	case V_PTR_TO_MAP_KEY:
		if (write)
			return verr(env, -EACCES, "R%u cannot write into map key", regno);
		err = sized_access(env, regno, r, off, size, r->map->key_size, "map key");
		break;
	case V_PTR_TO_MEM:
		if (write && (r->flags & VF_RDONLY))
			return verr(env, -EACCES, "R%u cannot write into rdonly mem", regno);
		err = sized_access(env, regno, r, off, size, r->mem_size, "memory");
		break;
	default:
		return verr(env, -EACCES, "R%u invalid mem access '%s'", regno, vtype_name(r));
	}
	if (err || !dst)
		return err;
	if (r->type == V_PTR_TO_MAP_VALUE && !sext && rodata_const(r, off, size, dst))
		return 0;
	vreg_scalar_unknown(dst);
	if (sext)
		sc_unknown_sext(&dst->v, (uint8_t)size);
	else
		sc_unknown_size(&dst->v, (uint8_t)size);
	return 0;
}

int vmem_ldx(struct venv *env, const struct sops_insn *in)
{
	struct vreg dst;
	int err;

	err = check_access(env, in->src_reg, in->off, access_size(in->code), false, NULL, 0, &dst,
			   OPC_MODE(in->code) == OPC_MEMSX);
	if (err)
		return err;
	vregs(env)[in->dst_reg] = dst;
	return 0;
}

int vmem_st(struct venv *env, const struct sops_insn *in)
{
	struct vreg imm, *val;
	uint32_t vr = 0;

	if (OPC_CLASS(in->code) == OPC_STX) {
		vr = in->src_reg;
		val = &vregs(env)[vr];
		if (val->type == V_NOT_INIT)
			return verr(env, -EACCES, "R%u !read_ok", vr);
	} else {
		vreg_scalar_const(&imm, (uint64_t)(int64_t)in->imm);
		val = &imm;
	}
	if (val == &imm && access_size(in->code) < 8)
		sc_truncate(&imm.v, access_size(in->code));
	return check_access(env, in->dst_reg, in->off, access_size(in->code), true, val, vr, NULL, false);
}

static bool known_atomic(int32_t imm)
{
	switch (imm & ~ATOMIC_FETCH) {
	case OPC_ADD:
	case OPC_OR:
	case OPC_AND:
	case OPC_XOR:
		return true;
	default:
		return imm == ATOMIC_XCHG || imm == ATOMIC_CMPXCHG;
	}
}

int vmem_atomic(struct venv *env, const struct sops_insn *in)
{
	uint32_t size = access_size(in->code);
	struct vreg *regs = vregs(env), *ptr = &regs[in->dst_reg], *val = &regs[in->src_reg];
	struct vreg old;
	int64_t lo, hi;
	int err;

	if (size != 4 && size != 8)
		return verr(env, -EINVAL, "invalid atomic operand size");
	if (!known_atomic(in->imm))
		return verr(env, -EINVAL, "BPF_ATOMIC uses invalid atomic opcode %02x", in->imm);
	if (val->type == V_NOT_INIT)
		return verr(env, -EACCES, "R%u !read_ok", in->src_reg);
	if (vreg_is_ptr(val))
		return verr(env, -EACCES, "R%u leaks addr into mem", in->src_reg);
	if (in->imm == ATOMIC_CMPXCHG && regs[0].type != V_SCALAR)
		return verr(env, -EACCES, regs[0].type == V_NOT_INIT ? "R0 !read_ok" : "R0 leaks addr into mem");
	if (ptr->type == V_PTR_TO_CTX || ptr->type == V_PTR_TO_MAP_KEY)
		return verr(env, -EACCES, "BPF_ATOMIC stores into R%u %s is not allowed", in->dst_reg,
			    vtype_name(ptr));
	/* The checked interpreter faults a misaligned atomic: so does the verifier. */
	if (vreg_is_ptr(ptr) && !(ptr->flags & VF_MAYBE_NULL)) {
		access_range(ptr, in->off, size, &lo, &hi);
		if (!tnum_is_aligned(ptr->v.var_off, size) || ((ptr->off + in->off) % (int32_t)size))
			return verr(env, -EACCES, "misaligned %s access off %d size %u",
				    ptr->type == V_PTR_TO_STACK ? "stack" : "value", ptr->off + in->off, size);
	}
	/* Read (the old value must be initialised), then write an unknown result. */
	err = check_access(env, in->dst_reg, in->off, size, false, NULL, 0, &old, false);
	if (!err)
		err = check_access(env, in->dst_reg, in->off, size, true, NULL, 0, NULL, false);
	if (err)
		return err;
	if (in->imm == ATOMIC_CMPXCHG) {
		vreg_scalar_unknown(&regs[0]);
		sc_unknown_size(&regs[0].v, (uint8_t)size);
	} else if (in->imm & ATOMIC_FETCH) {
		vreg_scalar_unknown(val);
		sc_unknown_size(&val->v, (uint8_t)size);
	}
	return 0;
}

/* --- helper memory arguments --- */

int vmem_check_range(struct venv *env, uint32_t regno, const struct vreg *r, uint32_t size, bool write,
		     bool uninit)
{
	struct vscalar s;

	sc_const(&s, size);
	return vmem_check_helper_mem(env, regno, r, &s, write, uninit, false);
}

int vmem_check_helper_mem(struct venv *env, uint32_t regno, const struct vreg *r, const struct vscalar *size,
			  bool write, bool uninit, bool zero_ok)
{
	struct vreg copy = *r;
	uint64_t max = size->umax;
	int err;

	if (size->smin < 0 && !zero_ok)
		return verr(env, -EACCES, "R%u min value is negative, either use unsigned or 'var &= const'",
			    regno + 1);
	if (max == 0) {
		if (zero_ok)
			return 0;
		return verr(env, -EACCES, "R%u invalid zero-sized read", regno + 1);
	}
	if (max >= (1U << 29))
		return verr(env, -EACCES,
			    "R%u unbounded memory access, use 'var &= const' or 'if (var < const)'", regno + 1);
	if (size->umin == 0 && !zero_ok)
		return verr(env, -EACCES, "R%u invalid zero-sized read", regno + 1);
	if (r->type == V_PTR_TO_STACK) {
		int64_t lo, hi;

		err = stack_bounds(env, regno, &copy, 0, (uint32_t)max, write, false, &lo, &hi);
		if (err)
			return err;
		vmem_update_depth(env, r->frameno, (int32_t)lo);
		for (int64_t b = lo; b < hi; b++) {
			struct vstack_slot *s;
			uint8_t *t = stack_byte(env->cur, r->frameno, (int32_t)b, &s);

			if (!uninit && *t == VS_INVALID)
				return verr(env, -EACCES,
					    "invalid indirect read from stack R%u off %" PRId64 "+%" PRId64
					    " size %" PRIu64,
					    regno, lo, b - lo, max);
			if (*t == VS_SPILL && s->spill.type != V_SCALAR) {
				if (write)
					return verr(env, -EACCES, "attempt to corrupt spilled pointer on stack");
				return verr(env, -EACCES, "R%u leaks addr into helper function", regno);
			}
		}
		if (write) {
			/* What the helper writes is some number; bytes it may skip keep their state. */
			for (int64_t b = lo; b < hi; b++) {
				struct vstack_slot *s;
				uint8_t *t = stack_byte(env->cur, r->frameno, (int32_t)b, &s);

				if (*t == VS_SPILL)
					for (int k = 0; k < 8; k++)
						if (s->type[k] == VS_SPILL)
							s->type[k] = VS_MISC;
				if (size->umin == max && sc_is_const(&r->v))
					*t = VS_MISC;
				else if (*t == VS_ZERO)
					*t = VS_MISC;
			}
		}
		return 0;
	}
	if (r->type == V_NOT_INIT)
		return verr(env, -EACCES, "R%u !read_ok", regno);
	if (r->flags & VF_MAYBE_NULL || !vreg_is_ptr(r) || r->type == V_CONST_PTR_TO_MAP ||
	    r->type == V_PTR_TO_FUNC || r->type == V_PTR_TO_BTF_ID)
		return verr(env, -EACCES, "R%u type=%s expected=fp, pkt, map_value, mem", regno, vtype_name(r));
	if (r->type == V_PTR_TO_CTX && write && env->prog->type != SOPS_BPF_PROG_TYPE_SYSCALL)
		return verr(env, -EACCES, "R%u helper writes into the read-only ctx", regno);
	err = check_access(env, regno, 0, (uint32_t)max, false, NULL, 0, NULL, false);
	if (!err && write)
		err = check_access(env, regno, 0, (uint32_t)max, true, NULL, 0, NULL, false);
	return err;
}
