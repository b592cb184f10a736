/* SPDX-License-Identifier: MIT */
/*
 * branch.c - jumps: which way a conditional jump can go, what each way
 * teaches about its operands, and NULL tests of pointers.
 *
 * When the operands' states decide the outcome, only that way is explored
 * (a loop whose condition becomes known ends this way). Otherwise both are:
 * the fall-through continues at once and the target waits on the pending
 * stack, each with its operands narrowed to what the comparison implies,
 * and with every scalar copy of a narrowed register (same id) narrowed too.
 * A test of a maybe-NULL pointer against 0 makes it, and every copy, either
 * the scalar 0 or a valid pointer; a NULL ring buffer record holds no
 * reference any more.
 */
#include <errno.h>
#include <string.h>

#include "../isa/check.h"
#include "../isa/opcodes.h"
#include "verifier.h"

/* Copy @v into every scalar with id @id (registers and spills of every frame). */
static void sync_linked(struct vstate *st, uint32_t id, const struct vscalar *v)
{
	if (!id)
		return;
	for (uint32_t f = 0; f <= st->curframe; f++) {
		struct vframe *fr = st->frame[f];

		for (int r = 0; r < 11; r++)
			if (fr->regs[r].type == V_SCALAR && fr->regs[r].id == id)
				fr->regs[r].v = *v;
		for (int s = 0; s < V_SLOTS; s++)
			if (fr->stack[s].type[0] == VS_SPILL && fr->stack[s].spill.type == V_SCALAR &&
			    fr->stack[s].spill.id == id)
				fr->stack[s].spill.v = *v;
	}
}

static void drop_ref(struct vstate *st, uint32_t id)
{
	for (uint32_t i = 0; i < st->refcnt; i++) {
		if (st->refs[i].id != id)
			continue;
		st->refs[i] = st->refs[--st->refcnt];
		return;
	}
}

static void mark_one(struct vreg *r, uint32_t id, bool is_null, struct vstate *st)
{
	if (!vreg_is_ptr(r) || r->id != id || !(r->flags & VF_MAYBE_NULL))
		return;
	if (is_null) {
		if (r->ref_obj_id)
			drop_ref(st, r->ref_obj_id);
		vreg_scalar_const(r, 0);
		return;
	}
	r->flags &= ~VF_MAYBE_NULL;
}

void vmark_null(struct venv *env, struct vstate *st, uint32_t id, bool is_null)
{
	if (!id)
		return;
	for (uint32_t f = 0; f <= st->curframe; f++) {
		struct vframe *fr = st->frame[f];

		for (int r = 0; r < 11; r++)
			mark_one(&fr->regs[r], id, is_null, st);
		for (int s = 0; s < V_SLOTS; s++)
			if (fr->stack[s].type[0] == VS_SPILL)
				mark_one(&fr->stack[s].spill, id, is_null, st);
	}
}

/* Apply the outcome @taken of "dst op src" to state @st; false: that way is impossible. */
static bool refine(struct venv *env, struct vstate *st, const struct sops_insn *in, bool taken)
{
	struct vframe *fr = st->frame[st->curframe];
	struct vreg *dst = &fr->regs[in->dst_reg], imm, *src;
	uint8_t op = OPC_OP(in->code);
	bool jmp32 = OPC_CLASS(in->code) == OPC_JMP32;

	if (OPC_SRC(in->code) == OPC_X) {
		src = &fr->regs[in->src_reg];
	} else {
		vreg_scalar_const(&imm, jmp32 ? (uint64_t)(uint32_t)in->imm : (uint64_t)(int64_t)in->imm);
		src = &imm;
	}
	/* NULL tests: "ptr == 0" / "ptr != 0" on a maybe-NULL pointer. */
	if (!jmp32 && (op == OPC_JEQ || op == OPC_JNE)) {
		struct vreg *p = NULL, *z = NULL;

		if (vreg_is_ptr(dst) && (dst->flags & VF_MAYBE_NULL))
			p = dst, z = src;
		else if (vreg_is_ptr(src) && (src->flags & VF_MAYBE_NULL))
			p = src, z = dst;
		if (p && vreg_is_const(z, NULL) && sc_value(&z->v) == 0) {
			bool is_null = (op == OPC_JEQ) == taken;

			vmark_null(env, st, p->id, is_null);
			return true;
		}
	}
	if (dst->type != V_SCALAR || src->type != V_SCALAR)
		return true;
	if (dst == src) /* r1 op r1: nothing to learn, and refining one copy would confuse the other */
		return true;
	if (!sc_refine(&dst->v, &src->v, op, jmp32, taken))
		return false;
	sync_linked(st, dst->id, &dst->v);
	if (src != &imm)
		sync_linked(st, src->id, &src->v);
	return true;
}

/* 1 always, 0 never, -1 either. */
static int outcome(const struct vreg *dst, const struct vreg *src, uint8_t op, bool jmp32)
{
	if (dst->type == V_SCALAR && src->type == V_SCALAR)
		return sc_branch(&dst->v, &src->v, op, jmp32);
	/* A valid (not NULL) pointer is never 0. */
	if (!jmp32 && (op == OPC_JEQ || op == OPC_JNE)) {
		const struct vreg *p = vreg_is_ptr(dst) ? dst : vreg_is_ptr(src) ? src : NULL;
		const struct vreg *z = p == dst ? src : dst;

		/* A pointer read from a host struct's field may well be NULL. */
		if (p && !(p->flags & VF_MAYBE_NULL) && p->type != V_PTR_TO_FUNC &&
		    !(p->type == V_PTR_TO_BTF_ID && !(p->flags & VF_TRUSTED)) &&
		    vreg_is_const(z, NULL) && sc_value(&z->v) == 0)
			return op == OPC_JNE;
	}
	return -1;
}

int vbranch(struct venv *env, const struct sops_insn *in)
{
	uint32_t idx = env->insn_idx, target = (uint32_t)isa_jump_target(in, idx);
	struct vreg *regs = vregs(env), imm;
	const struct vreg *src;
	uint8_t op = OPC_OP(in->code);
	bool jmp32 = OPC_CLASS(in->code) == OPC_JMP32;
	int o, err;

	if (op == OPC_JA) {
		env->insn_idx = target;
		return 0;
	}
	if (regs[in->dst_reg].type == V_NOT_INIT)
		return verr(env, -EACCES, "R%u !read_ok", in->dst_reg);
	if (OPC_SRC(in->code) == OPC_X) {
		src = &regs[in->src_reg];
		if (src->type == V_NOT_INIT)
			return verr(env, -EACCES, "R%u !read_ok", in->src_reg);
	} else {
		vreg_scalar_const(&imm, jmp32 ? (uint64_t)(uint32_t)in->imm : (uint64_t)(int64_t)in->imm);
		src = &imm;
	}
	o = outcome(&regs[in->dst_reg], src, op, jmp32);
	if (o == 1) {
		env->insn_idx = target;
		return 0;
	}
	if (o == 0) {
		env->insn_idx = idx + 1;
		return 0;
	}
	/* Both ways: the target waits (narrowed), the fall-through goes on (narrowed). */
	err = vpush(env, env->cur, target, idx);
	if (err)
		return err;
	if (!refine(env, &env->pending[env->pending_cnt - 1].st, in, true))
		vpop_drop(env); /* the jump can never be taken this way */
	if (!refine(env, env->cur, in, false)) {
		env->path_done = true; /* this way is impossible */
		return 0;
	}
	env->insn_idx = idx + 1;
	return 0;
}
