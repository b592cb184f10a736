/* SPDX-License-Identifier: MIT */
/*
 * cfg.c - the program's shape before any state is tracked: subprograms,
 * reachability, prune points and static register liveness.
 *
 * Subprograms start at slot 0, at every bpf-to-bpf call target and at every
 * function an lddw FUNC names (callbacks); each ends where the next begins.
 * src/isa/check.c already proved that jumps stay inside their subprogram.
 * Every slot must be reachable from the entry through jumps, calls and
 * callback references (the kernel's "unreachable insn"). Back-edges are
 * allowed: loops are proven bounded by exploration (verifier.c), as the
 * kernel does for privileged programs.
 *
 * Liveness: a backward data-flow pass computes, for each instruction, the
 * registers some path reads before writing them. Pruning (state.c) compares
 * only those, so a dead register that differs does not stop a prune.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../isa/check.h"
#include "../isa/opcodes.h"
#include "verifier.h"

#define R(n) (1U << (n))
#define ARGS_MASK (R(1) | R(2) | R(3) | R(4) | R(5))
#define CALLER_SAVED (R(0) | ARGS_MASK)

static int add_subprog(struct venv *env, uint32_t start)
{
	struct vsubprog *s;

	for (uint32_t i = 0; i < env->subprog_cnt; i++)
		if (env->subprogs[i].start == start)
			return 0;
	s = realloc(env->subprogs, (env->subprog_cnt + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	env->subprogs = s;
	memset(&s[env->subprog_cnt], 0, sizeof(*s));
	s[env->subprog_cnt++].start = start;
	return 0;
}

static int cmp_subprog(const void *a, const void *b)
{
	const struct vsubprog *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

uint32_t vsubprog_of(const struct venv *env, uint32_t insn)
{
	uint32_t lo = 0, hi = env->subprog_cnt;

	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;

		if (env->subprogs[mid].start <= insn)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

int vsubprog_find(const struct venv *env, uint32_t start)
{
	uint32_t i = vsubprog_of(env, start);

	return env->subprogs[i].start == start ? (int)i : -1;
}

static bool is_func_lddw(const struct sops_insn *in)
{
	return in->code == OPC_LDDW && in->src_reg == SOPS_LD_IMM64_FUNC;
}

static int find_subprogs(struct venv *env)
{
	int err = add_subprog(env, 0);

	for (uint32_t i = 0; i < env->insn_cnt && !err; i++) {
		const struct sops_insn *in = &env->insns[i];

		if (isa_is_local_call(in) || is_func_lddw(in)) {
			long t = (long)i + in->imm + 1;

			if (t < 0 || t >= (long)env->insn_cnt)
				return verr(env, -EINVAL, "insn %u: call to out of range insn %ld", i, t);
			err = add_subprog(env, (uint32_t)t);
		}
		if (in->code == OPC_LDDW)
			i++;
	}
	if (err)
		return err;
	qsort(env->subprogs, env->subprog_cnt, sizeof(*env->subprogs), cmp_subprog);
	for (uint32_t i = 0; i < env->subprog_cnt; i++)
		env->subprogs[i].end = i + 1 < env->subprog_cnt ? env->subprogs[i + 1].start : env->insn_cnt;
	return 0;
}

/* Successors of @i inside its subprogram: up to two. Returns their count. */
static int successors(const struct venv *env, uint32_t i, uint32_t succ[2])
{
	const struct sops_insn *in = &env->insns[i];
	uint8_t cls = OPC_CLASS(in->code);
	int n = 0;

	if (in->code == OPC_LDDW)
		succ[n++] = i + 2;
	else if ((cls == OPC_JMP || cls == OPC_JMP32) && OPC_OP(in->code) == OPC_EXIT)
		return 0;
	else if (isa_is_jump(in)) {
		long t = isa_jump_target(in, i);

		succ[n++] = (uint32_t)t;
		if (OPC_OP(in->code) != OPC_JA)
			succ[n++] = i + 1;
	} else
		succ[n++] = i + 1;
	return n;
}

static int check_reachable(struct venv *env)
{
	uint32_t *work = malloc(env->insn_cnt * sizeof(*work) * 2 + 8), top = 0;
	uint8_t *seen = calloc(env->insn_cnt, 1);
	int err = 0;

	if (!work || !seen) {
		err = -ENOMEM;
		goto out;
	}
	work[top++] = 0;
	seen[0] = 1;
	while (top) {
		uint32_t i = work[--top], succ[3];
		const struct sops_insn *in = &env->insns[i];
		int n = successors(env, i, succ);

		if (isa_is_local_call(in) || is_func_lddw(in))
			succ[n++] = (uint32_t)((long)i + in->imm + 1);
		for (int k = 0; k < n; k++) {
			if (succ[k] >= env->insn_cnt || seen[succ[k]])
				continue;
			seen[succ[k]] = 1;
			work[top++] = succ[k];
		}
	}
	for (uint32_t i = 0; i < env->insn_cnt; i++) {
		if (!seen[i]) {
			err = verr(env, -EINVAL, "unreachable insn %u", i);
			break;
		}
		if (env->insns[i].code == OPC_LDDW)
			i++;
	}
out:
	free(work);
	free(seen);
	return err;
}

/* Registers @i reads and writes. */
static void use_def(const struct venv *env, uint32_t i, uint16_t *use, uint16_t *def)
{
	const struct sops_insn *in = &env->insns[i];
	uint8_t cls = OPC_CLASS(in->code), op = OPC_OP(in->code);

	*use = *def = 0;
	switch (cls) {
	case OPC_LD:
		*def = R(in->dst_reg);
		break;
	case OPC_LDX:
		*use = R(in->src_reg);
		*def = R(in->dst_reg);
		break;
	case OPC_ST:
		*use = R(in->dst_reg);
		break;
	case OPC_STX:
		*use = R(in->dst_reg) | R(in->src_reg);
		if (OPC_MODE(in->code) == OPC_ATOMIC) {
			if (in->imm & ATOMIC_FETCH)
				*def = R(in->src_reg);
			if (in->imm == ATOMIC_CMPXCHG) {
				*use |= R(0);
				*def = R(0);
			}
		}
		break;
	case OPC_ALU:
	case OPC_ALU64:
		*def = R(in->dst_reg);
		if (op != OPC_MOV)
			*use = R(in->dst_reg);
		if (OPC_SRC(in->code) == OPC_X && op != OPC_NEG && op != OPC_END)
			*use |= R(in->src_reg);
		break;
	case OPC_JMP:
	case OPC_JMP32:
		if (op == OPC_EXIT) {
			*use = R(0);
		} else if (op == OPC_CALL) {
			const struct sops_func_proto *p = NULL;

			*use = ARGS_MASK;
			*def = CALLER_SAVED;
			if (in->src_reg == SOPS_CALL_HELPER) {
				for (size_t h = 0; h < env->helper_cnt; h++)
					if (env->helpers[h].id == (uint32_t)in->imm)
						p = env->helpers[h].proto;
				if (p) {
					*use = 0;
					for (int a = 0; a < 5; a++)
						if (p->arg_type[a])
							*use |= R(a + 1);
				}
			}
			if (OPC_SRC(in->code) == OPC_X)
				*use |= R(in->dst_reg);
		} else if (op != OPC_JA) {
			*use = R(in->dst_reg);
			if (OPC_SRC(in->code) == OPC_X)
				*use |= R(in->src_reg);
		}
		break;
	}
}

static int compute_liveness(struct venv *env)
{
	uint8_t *second = calloc(env->insn_cnt, 1);
	bool changed = true;

	if (!second)
		return -ENOMEM;
	for (uint32_t i = 0; i + 1 < env->insn_cnt; i++)
		if (env->insns[i].code == OPC_LDDW)
			second[++i] = 1;
	while (changed) {
		changed = false;
		for (uint32_t i = env->insn_cnt; i-- > 0;) {
			uint32_t succ[2];
			uint16_t use, def, out = 0, in;
			int n;

			if (second[i])
				continue;
			n = successors(env, i, succ);
			for (int k = 0; k < n; k++)
				if (succ[k] < env->insn_cnt)
					out |= env->aux[succ[k]].live_in;
			use_def(env, i, &use, &def);
			in = use | (out & ~def);
			if (in != env->aux[i].live_in) {
				env->aux[i].live_in = in;
				changed = true;
			}
		}
	}
	free(second);
	return 0;
}

static void mark_prune_points(struct venv *env)
{
	for (uint32_t i = 0; i < env->insn_cnt; i++) {
		const struct sops_insn *in = &env->insns[i];

		if (in->code == OPC_LDDW) {
			i++;
			continue;
		}
		if (isa_is_jump(in)) {
			long t = isa_jump_target(in, i);

			if (t >= 0 && t < (long)env->insn_cnt)
				env->aux[t].prune_point = true;
			if (OPC_OP(in->code) != OPC_JA && i + 1 < env->insn_cnt)
				env->aux[i + 1].prune_point = true;
		}
		if (OPC_CLASS(in->code) == OPC_JMP && OPC_OP(in->code) == OPC_CALL) {
			env->aux[i].prune_point = true;
			env->aux[i].cb_call = in->src_reg == SOPS_CALL_HELPER && (in->imm == 181 || in->imm == 164);
		}
	}
}

int vcfg_check(struct venv *env)
{
	int err;

	err = find_subprogs(env);
	if (!err)
		err = check_reachable(env);
	if (err)
		return err;
	err = compute_liveness(env);
	if (!err)
		mark_prune_points(env);
	return err;
}
