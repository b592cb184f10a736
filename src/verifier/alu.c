/* SPDX-License-Identifier: MIT */
/*
 * alu.c - arithmetic: scalars through the numeric domain (scalar.c),
 * pointers by the kernel's pointer-arithmetic rules, and lddw.
 *
 * A pointer may move by a scalar (add, or subtract a scalar from it) when it
 * points at something with bounds: the stack, a map value or key, memory, or
 * the context (whose access must then still land on a constant offset). A
 * pointer that may be NULL must be tested first; a map pointer or a function
 * never moves. Any other operation on a pointer would turn an address into
 * a number the program could store or return, so it is refused, as are
 * 32-bit operations on pointers and pointer - pointer.
 *
 * Scalar copies share an id (mov64), so a bounds test on one refines the
 * others (branch.c); any other write to a register gives it a fresh start.
 */
#include <errno.h>
#include <inttypes.h>

#include "../isa/opcodes.h"
#include "verifier.h"

#define MAX_PTR_OFF (1 << 29)

static const char *op_name(uint8_t op)
{
	static const char *const names[16] = { "+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=",
					       "neg", "%=", "^=", "=", "s>>=", "endian", "?", "?" };

	return names[op >> 4];
}

static int check_ptr_moves(struct venv *env, uint32_t regno, const struct vreg *p, uint8_t op)
{
	if (p->flags & VF_MAYBE_NULL)
		return verr(env, -EACCES, "R%u pointer arithmetic on %s prohibited, null-check it first", regno,
			    vtype_name(p));
	switch (p->type) {
	case V_PTR_TO_STACK:
	case V_PTR_TO_MAP_VALUE:
	case V_PTR_TO_MAP_KEY:
	case V_PTR_TO_MEM:
	case V_PTR_TO_CTX:
	case V_PTR_TO_BTF_ID: /* accesses need a constant offset in the end (btf_ptr.c) */
		break;
	default:
		return verr(env, -EACCES, "R%u pointer arithmetic on %s prohibited", regno, vtype_name(p));
	}
	if (op != OPC_ADD && op != OPC_SUB)
		return verr(env, -EACCES, "R%u %s operator %s on pointer prohibited", regno,
			    op == OPC_AND || op == OPC_OR || op == OPC_XOR ? "bitwise" : "pointer arithmetic with",
			    op_name(op));
	return 0;
}

/* dst (pointer) op= scalar @s (op ADD or SUB; @s already checked initialised). */
static int ptr_move(struct venv *env, uint32_t regno, struct vreg *dst, const struct vscalar *s, uint8_t op)
{
	if (sc_is_const(s)) {
		int64_t d = (int64_t)sc_value(s), off = dst->off;

		off = op == OPC_ADD ? off + d : off - d;
		if (d > MAX_PTR_OFF || d < -MAX_PTR_OFF || off > MAX_PTR_OFF || off < -MAX_PTR_OFF)
			return verr(env, -EACCES, "value %" PRId64 " makes %s pointer be out of bounds", d,
				    vtype_name(dst));
		dst->off = (int32_t)off;
		return 0;
	}
	if (s->smin < -MAX_PTR_OFF || s->smax > MAX_PTR_OFF)
		return verr(env, -EACCES,
			    "R%u math between %s pointer and register with unbounded min value is not allowed",
			    regno, vtype_name(dst));
	sc_alu(&dst->v, s, op, false);
	if (dst->v.smin < -MAX_PTR_OFF || dst->v.smax > MAX_PTR_OFF)
		return verr(env, -EACCES, "R%u pointer offset out of bounds after %s", regno, op_name(op));
	return 0;
}

static int alu_src(struct venv *env, const struct sops_insn *in, struct vreg *tmp, const struct vreg **src)
{
	if (OPC_SRC(in->code) == OPC_X) {
		*src = &vregs(env)[in->src_reg];
		if ((*src)->type == V_NOT_INIT)
			return verr(env, -EACCES, "R%u !read_ok", in->src_reg);
		return 0;
	}
	vreg_scalar_const(tmp, OPC_CLASS(in->code) == OPC_ALU64 ? (uint64_t)(int64_t)in->imm
								 : (uint64_t)(uint32_t)in->imm);
	*src = tmp;
	return 0;
}

static int alu_mov(struct venv *env, const struct sops_insn *in, bool alu64)
{
	struct vreg *dst = &vregs(env)[in->dst_reg], tmp;
	const struct vreg *src;
	int err = alu_src(env, in, &tmp, &src);

	if (err)
		return err;
	if (in->off) { /* movsx */
		if (OPC_SRC(in->code) != OPC_X || (in->off != 8 && in->off != 16 && (in->off != 32 || !alu64)))
			return verr(env, -EINVAL, "invalid movsx insn");
		if (src->type != V_SCALAR)
			return verr(env, -EACCES, "R%u sign-extension mov of a pointer is not allowed", in->src_reg);
		tmp = *src;
		sc_movsx(&tmp.v, &src->v, (uint8_t)in->off, !alu64);
		tmp.id = 0;
		*dst = tmp;
		return 0;
	}
	if (alu64) {
		if (OPC_SRC(in->code) == OPC_X && src->type == V_SCALAR && !sc_is_const(&src->v)) {
			struct vreg *s = &vregs(env)[in->src_reg];

			if (!s->id)
				s->id = vnew_id(env);
			src = s;
		}
		*dst = *src;
		return 0;
	}
	if (vreg_is_ptr(src))
		return verr(env, -EACCES, "R%u partial copy of pointer", in->src_reg);
	/* A source that fits 32 bits is copied whole by a 32-bit move: it may stay linked. */
	if (OPC_SRC(in->code) == OPC_X && src->v.umax <= UINT32_MAX && !sc_is_const(&src->v)) {
		struct vreg *s = &vregs(env)[in->src_reg];

		if (!s->id)
			s->id = vnew_id(env);
		*dst = *s;
		return 0;
	}
	tmp = *src;
	sc_zext32(&tmp.v);
	tmp.id = 0;
	*dst = tmp;
	return 0;
}

static int alu_scalar(struct venv *env, const struct sops_insn *in, struct vreg *dst, const struct vreg *src,
		      bool alu64)
{
	uint8_t op = OPC_OP(in->code);
	struct vscalar s = src->v;

	if (op == OPC_DIV || op == OPC_MOD) {
		/*
		 * The kernel tracks no bounds through division: neither do we, so
		 * no path it must explore is dead here (the kernel referee test).
		 */
		vreg_scalar_unknown(dst);
		if (!alu64)
			sc_unknown_size(&dst->v, 4);
		return 0;
	}
	sc_alu(&dst->v, &s, op, !alu64);
	dst->id = 0;
	return 0;
}

int valu(struct venv *env, const struct sops_insn *in)
{
	bool alu64 = OPC_CLASS(in->code) == OPC_ALU64;
	uint8_t op = OPC_OP(in->code);
	struct vreg *regs = vregs(env), *dst = &regs[in->dst_reg], tmp;
	const struct vreg *src;
	int err;

	if (op == OPC_MOV)
		return alu_mov(env, in, alu64);
	if (dst->type == V_NOT_INIT)
		return verr(env, -EACCES, "R%u !read_ok", in->dst_reg);
	if (op == OPC_NEG || op == OPC_END) {
		if (dst->type != V_SCALAR)
			return verr(env, -EACCES, "R%u %s on pointer prohibited", in->dst_reg,
				    op == OPC_NEG ? "negation" : "byte swap");
		if (op == OPC_NEG)
			sc_neg(&dst->v, !alu64);
		else
			sc_bswap(&dst->v, (uint32_t)in->imm, alu64 || OPC_SRC(in->code) == OPC_TO_BE);
		dst->id = 0;
		return 0;
	}
	/* The kernel's rules on immediates: no division by a constant 0, shifts below the width. */
	if ((op == OPC_DIV || op == OPC_MOD) && OPC_SRC(in->code) == OPC_K && !in->imm)
		return verr(env, -EINVAL, "div by zero");
	/* The kernel's rule: an immediate shift count must be below the width. */
	if ((op == OPC_LSH || op == OPC_RSH || op == OPC_ARSH) && OPC_SRC(in->code) == OPC_K &&
	    (in->imm < 0 || in->imm >= (alu64 ? 64 : 32)))
		return verr(env, -EINVAL, "invalid shift %d", in->imm);
	err = alu_src(env, in, &tmp, &src);
	if (err)
		return err;
	if (dst->type == V_SCALAR && src->type == V_SCALAR)
		return alu_scalar(env, in, dst, src, alu64);
	if (!alu64)
		return verr(env, -EACCES, "R%u 32-bit pointer arithmetic prohibited",
			    vreg_is_ptr(dst) ? in->dst_reg : in->src_reg);
	if (vreg_is_ptr(dst) && vreg_is_ptr(src))
		return verr(env, -EACCES, "R%u pointer %s pointer prohibited", in->dst_reg, op_name(op));
	if (vreg_is_ptr(dst)) {
		if (op == OPC_SUB && dst->type == V_PTR_TO_STACK) /* the kernel's rule (write fp - k as fp + -k) */
			return verr(env, -EACCES, "R%u subtraction from stack pointer prohibited", in->dst_reg);
		err = check_ptr_moves(env, in->dst_reg, dst, op);
		return err ? err : ptr_move(env, in->dst_reg, dst, &src->v, op);
	}
	/* scalar op pointer: only scalar + pointer, which is the pointer moved */
	if (op == OPC_SUB)
		return verr(env, -EACCES, "R%u tried to subtract pointer from scalar", in->dst_reg);
	err = check_ptr_moves(env, in->src_reg, src, op);
	if (!err) {
		struct vscalar s = dst->v;

		*dst = *src;
		err = ptr_move(env, in->dst_reg, dst, &s, op);
	}
	return err;
}

int vld_imm64(struct venv *env, const struct sops_insn *in)
{
	uint32_t idx = env->insn_idx;
	struct vreg *dst = &vregs(env)[in->dst_reg];
	struct rt_map *map = env->aux[idx].map;
	int sp;

	switch (in->src_reg) {
	case SOPS_LD_IMM64_CONST:
		vreg_scalar_const(dst, (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32);
		return 0;
	case SOPS_LD_IMM64_MAP_FD:
	case SOPS_LD_IMM64_MAP_IDX:
		if (!map)
			return verr(env, -EINVAL, "fd %d is not pointing to valid bpf_map", in->imm);
		vreg_scalar_const(dst, 0);
		dst->type = V_CONST_PTR_TO_MAP;
		dst->map = map;
		return 0;
	case SOPS_LD_IMM64_MAP_VALUE:
	case SOPS_LD_IMM64_MAP_IDX_VALUE:
		if (!map)
			return verr(env, -EINVAL, "fd %d is not pointing to valid bpf_map", in->imm);
		if (!map->ops->direct_value_addr)
			return verr(env, -EINVAL, "map '%s' does not support direct value access", map->name);
		if ((uint32_t)in[1].imm >= map->value_size)
			return verr(env, -EINVAL, "invalid access to map value pointer, value_size=%u off=%u",
				    map->value_size, (uint32_t)in[1].imm);
		vreg_scalar_const(dst, 0);
		dst->type = V_PTR_TO_MAP_VALUE;
		dst->map = map;
		dst->off = in[1].imm;
		if (map->map_flags & SOPS_BPF_F_RDONLY_PROG)
			dst->flags |= VF_RDONLY;
		return 0;
	case SOPS_LD_IMM64_FUNC:
		sp = vsubprog_find(env, (uint32_t)((int64_t)idx + in->imm + 1));
		if (sp < 0)
			return verr(env, -EINVAL, "insn %u: function reference to a non-function", idx);
		vreg_scalar_const(dst, 0);
		dst->type = V_PTR_TO_FUNC;
		dst->subprog = (uint32_t)sp;
		return 0;
	default:
		return verr(env, -EINVAL, "ld_imm64 with src_reg %u (ksym) is not supported", in->src_reg);
	}
}
