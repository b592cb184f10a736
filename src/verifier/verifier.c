/* SPDX-License-Identifier: MIT */
/*
 * verifier.c - the verification step PROG_LOAD runs: structural rules, then
 * the data-flow verifier, then the verdict.
 *
 * Structural rules (src/isa/check.c) and call targets that do not exist are
 * always fatal: such a program cannot even run checked. Then every path of
 * the program is explored from its entry (r1 = ctx, r10 = the frame
 * pointer) by the steps in the files verifier.h lists. The exploration is
 * depth-first: a conditional jump that can go both ways continues one way
 * and leaves the other on the pending stack; a path ends at its exit, when
 * it is pruned, or when it proves impossible. The program is safe when
 * every path ended without an error within the processed-instruction budget.
 *
 * Verdict: a safe program is marked verified (prog->verified) and runs on
 * the JIT or the fast interpreter. A rejected one fails the load when the
 * runtime is strict (the kernel's behaviour, with its errno); otherwise it
 * loads and runs in the checked interpreter, and the log says why.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../isa/check.h"
#include "../isa/opcodes.h"
#include "verifier.h"

static bool helper_listed(const struct rt_verify_env *env, uint32_t id)
{
	for (size_t i = 0; i < env->helper_cnt; i++)
		if (env->helpers[i].id == id)
			return true;
	return false;
}

/* What every program must meet, verified or not (the calls must exist). */
static int check_calls(struct rt_verify_env *env)
{
	struct sops_prog *prog = env->prog;

	for (uint32_t i = 0; i < prog->insn_cnt; i++) {
		const struct sops_insn *in = &prog->insns[i];

		if (in->code == OPC_LDDW) {
			i++;
			continue;
		}
		if (in->code != OPC_CALL_INSN)
			continue;
		/* The kernel's messages: "invalid func unknown#N", EINVAL. */
		if (in->src_reg == SOPS_CALL_HELPER && !helper_listed(env, (uint32_t)in->imm)) {
			const char *only = rt_helper_st_ops_only(env->rt, (uint32_t)in->imm, prog);

			if (only)
				return log_err(env->log, -EINVAL,
					       "insn %u: helper #%d is only for struct_ops type %s", i,
					       in->imm, only);
			return log_err(env->log, -EINVAL, "insn %u: invalid func unknown#%d", i, in->imm);
		}
		/* Module kfuncs (off != 0) are resolved with fd_array when the vm is built. */
		if (in->src_reg == SOPS_CALL_KFUNC && !in->off) {
			sops_kfunc_fn fn;
			int r = rt_kfunc_resolve(prog, NULL, 0, in->imm, 0, &fn);

			if (r) {
				char msg[192];

				vkfunc_refusal(prog, in, r, msg, sizeof(msg));
				return log_err(env->log, r == -EACCES ? -EACCES : -EINVAL, "insn %u: %s", i,
					       msg);
			}
		}
	}
	return 0;
}

static int init_state(struct venv *env)
{
	struct vstate *st = vstate_new();
	struct vframe *f = vframe_new();

	if (!st || !f) {
		vstate_free(st);
		free(f);
		return -ENOMEM;
	}
	st->frame[0] = f;
	f->regs[1].type = V_PTR_TO_CTX;
	sc_const(&f->regs[1].v, 0);
	f->regs[10].type = V_PTR_TO_STACK;
	sc_const(&f->regs[10].v, 0);
	env->cur = st;
	return vbtf_entry_refs(env, st);
}

static bool pop_path(struct venv *env)
{
	struct vpending *p;

	if (!env->pending_cnt)
		return false;
	p = &env->pending[--env->pending_cnt];
	{
		/* Swap, so the frames are reused by the next push instead of copied. */
		struct vstate tmp = *env->cur;

		*env->cur = p->st;
		p->st = tmp;
	}
	env->insn_idx = p->insn;
	env->prev_insn = p->prev_insn;
	env->cur_parent = p->parent;
	env->cb_return = false;
	if (env->log_level & 3) {
		vlog(env, "from %u to %u:", p->prev_insn, p->insn);
		vlog_state(env, env->cur);
	}
	return true;
}

static int step(struct venv *env, const struct sops_insn *in)
{
	uint32_t idx = env->insn_idx;
	int err;

	switch (OPC_CLASS(in->code)) {
	case OPC_ALU:
	case OPC_ALU64:
		err = valu(env, in);
		env->insn_idx = idx + 1;
		return err;
	case OPC_LDX:
		err = vmem_ldx(env, in);
		env->insn_idx = idx + 1;
		return err;
	case OPC_ST:
	case OPC_STX:
		err = OPC_MODE(in->code) == OPC_ATOMIC ? vmem_atomic(env, in) : vmem_st(env, in);
		env->insn_idx = idx + 1;
		return err;
	case OPC_LD:
		if (in->code != OPC_LDDW)
			return verr(env, -EINVAL, "BPF_LD_[ABS|IND] instructions are not supported");
		err = vld_imm64(env, in);
		env->insn_idx = idx + 2;
		return err;
	default: /* JMP, JMP32 */
		if (OPC_OP(in->code) == OPC_EXIT)
			return vexit(env);
		if (OPC_OP(in->code) == OPC_CALL) {
			err = vcall(env, in);
			if (!err && in->src_reg != SOPS_CALL_LOCAL)
				env->insn_idx = idx + 1;
			return err;
		}
		return vbranch(env, in);
	}
}

static int explore(struct venv *env)
{
	int err;

	for (;;) {
		uint32_t idx;

		if (env->path_done) {
			vstate_path_end(env);
			env->path_done = false;
			if (!pop_path(env))
				return env->err;
		}
		idx = env->insn_idx;
		if (idx >= env->insn_cnt)
			return verr(env, -EINVAL, "invalid insn idx %u insn_cnt %u", idx, env->insn_cnt);
		if (++env->insn_processed > env->insn_limit)
			return verr(env, -E2BIG, "BPF program is too large. Processed %" PRIu64 " insn",
				    env->insn_processed);
		if (env->aux[idx].prune_point) {
			err = vstate_visit(env, idx);
			env->cb_return = false;
			if (err < 0)
				return err;
			if (err == 1) {
				vlog(env, "%u: safe\n", idx);
				env->path_done = true;
				continue;
			}
		}
		env->aux[idx].seen = true;
		vlog_insn(env, idx);
		err = step(env, &env->insns[idx]);
		if (err)
			return err;
		if ((env->log_level & 2) && !env->path_done) {
			vlog(env, "%u:", idx);
			vlog_state(env, env->cur);
		}
	}
}

static int cmp_line(const void *a, const void *b)
{
	const struct sops_line_info *x = a, *y = b;

	return x->insn_off < y->insn_off ? -1 : x->insn_off > y->insn_off;
}

/* The maps each lddw names, for the pointer kinds. */
static void note_maps(struct venv *env, const struct rt_verify_env *e)
{
	for (uint32_t i = 0; i + 1 < env->insn_cnt; i++) {
		const struct sops_insn *in = &env->insns[i];

		if (in->code != OPC_LDDW)
			continue;
		if (in->src_reg != SOPS_LD_IMM64_CONST && in->src_reg != SOPS_LD_IMM64_FUNC && e->map_of)
			env->aux[i].map = e->map_of(e->map_ctx, in);
		i++;
	}
}

/* Put the message at the end of the trace, where a reader looks (over the tail if full). */
static void finish_log(struct venv *env, const char *line)
{
	size_t n = strlen(line);

	if (!env->log_buf || env->log_size < 2)
		return;
	if (env->log_len + n + 1 >= env->log_size) {
		env->log_len = n + 1 < env->log_size ? env->log_size - n - 1 : 0;
		env->log_truncated = true;
	}
	snprintf(env->log_buf + env->log_len, env->log_size - env->log_len, "%s", line);
	env->log_len += strnlen(env->log_buf + env->log_len, env->log_size - env->log_len);
}

/* The closing statistics, as the kernel prints them; empty at log level 0. */
static void format_stats(const struct venv *env, char *line, size_t size)
{
	line[0] = 0;
	if (!env->log_level)
		return;
	snprintf(line, size,
		 "processed %" PRIu64 " insns (limit %u) max_states_per_insn %u total_states %u "
		 "peak_states %u mark_read 0\nverification time %" PRIu64 " usec\n",
		 env->insn_processed, env->insn_limit, env->max_states_per_insn, env->total_states,
		 env->peak_states, env->time_ns / 1000);
}

static void env_free(struct venv *env)
{
	vstate_free_all(env);
	for (uint32_t i = 0; i < env->pending_cap; i++)
		vstate_clear(&env->pending[i].st);
	free(env->pending);
	vstate_free(env->cur);
	free(env->aux);
	free(env->subprogs);
	free(env->lines);
	for (uint32_t i = 0; i < env->held_btf_cnt; i++)
		rt_obj_put(&env->held_btf[i]->obj);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int rt_verify(struct rt_verify_env *e)
{
	struct sops_prog *prog = e->prog;
	struct venv env = { 0 };
	uint64_t t0 = now_ns();
	int err;

	prog->verified = false;
	err = isa_check_prog(prog->insns, prog->insn_cnt, e->log);
	if (!err)
		err = check_calls(e);
	if (err)
		return err;

	env.prog = prog;
	env.rt = e->rt;
	env.helpers = e->helpers;
	env.helper_cnt = e->helper_cnt;
	env.insns = prog->insns;
	env.insn_cnt = prog->insn_cnt;
	env.fd_array = e->fd_array;
	env.fd_array_cnt = e->fd_array_cnt;
	env.log = e->log;
	env.log_level = e->log_level;
	env.insn_limit = e->insn_limit && e->insn_limit < V_INSN_LIMIT ? e->insn_limit : V_INSN_LIMIT;
	if (e->log_level && e->log && e->log->buf && e->log->size) {
		env.log_buf = e->log->buf;
		env.log_size = e->log->size;
	}
	if (e->line_cnt) {
		env.lines = malloc(e->line_cnt * sizeof(*env.lines));
		if (env.lines) {
			memcpy(env.lines, e->lines, e->line_cnt * sizeof(*env.lines));
			qsort(env.lines, e->line_cnt, sizeof(*env.lines), cmp_line);
			env.line_cnt = e->line_cnt;
		}
	}
	env.aux = calloc(prog->insn_cnt, sizeof(*env.aux));
	if (!env.aux) {
		err = -ENOMEM;
		goto out;
	}
	note_maps(&env, e);
	err = vcfg_check(&env);
	if (!err)
		err = init_state(&env);
	if (!err)
		err = explore(&env);
	if (!err && env.err)
		err = env.err;
	env.time_ns = now_ns() - t0;
out:
	e->stats.insn_processed = env.insn_processed;
	e->stats.total_states = env.total_states;
	e->stats.peak_states = env.peak_states;
	e->stats.max_states_per_insn = env.max_states_per_insn;
	e->stats.time_ns = env.time_ns ? env.time_ns : now_ns() - t0;
	if (err == -ENOMEM && !env.err) {
		env_free(&env);
		return log_err(e->log, -ENOMEM, "verifier out of memory");
	}
	if (err) {
		char stats[256], line[sizeof(env.errmsg) + sizeof(stats) + 2];

		snprintf(e->stats.reason, sizeof(e->stats.reason), "%u: %s", env.err_insn, env.errmsg);
		e->stats.err = err;
		/* one tail: a full log keeps the message as well as the statistics */
		format_stats(&env, stats, sizeof(stats));
		snprintf(line, sizeof(line), "%s\n%s", env.errmsg, stats);
		if (env.log_buf) {
			finish_log(&env, line);
			if (e->log)
				e->log->written = 1;
		}
	} else if ((err = vbtf_save_marks(&env))) {
		env_free(&env);
		return log_err(e->log, err, "verifier out of memory");
	} else {
		char stats[256];

		prog->verified = true;
		format_stats(&env, stats, sizeof(stats));
		if (env.log_buf && stats[0])
			finish_log(&env, stats);
	}
	env_free(&env);
	if (err && e->strict) {
		if (e->log && !e->log->written)
			log_err(e->log, err, "%s", env.errmsg);
		return err;
	}
	return 0;
}
