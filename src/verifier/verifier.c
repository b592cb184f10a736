/* SPDX-License-Identifier: MIT */
/*
 * verifier.c - the verification step PROG_LOAD runs (the full verifier's place).
 *
 * It receives the program (type, attach point, used maps, callbacks), the
 * helper table the program may call and the runtime (for kfuncs). Today it
 * enforces the structural rules (src/isa/check.c: opcodes, registers, jump
 * targets inside their subprogram and never into an lddw, no fall-off, so a
 * reachable exit) and that every call goes to a helper or kfunc the program
 * may use (host helpers and kfuncs limited to one struct_ops type are left out
 * of the table, or refused, for programs of any other: registry.c), then
 * marks the program "not yet verified": the interpreter runs it
 * in checked mode, and the JIT only when the runtime trusts unverified code.
 * A later issue replaces the body with data-flow verification and sets
 * prog->verified.
 */
#include <errno.h>

#include "../isa/check.h"
#include "../isa/opcodes.h"
#include "../runtime/rt_internal.h"

static bool helper_listed(const struct rt_verify_env *env, uint32_t id)
{
	for (size_t i = 0; i < env->helper_cnt; i++)
		if (env->helpers[i].id == id)
			return true;
	return false;
}

int rt_verify(struct rt_verify_env *env)
{
	struct sops_prog *prog = env->prog;
	int err;

	err = isa_check_prog(prog->insns, prog->insn_cnt, env->log);
	if (err)
		return err;
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

			if (r)
				return log_err(env->log, r == -EACCES ? -EACCES : -EINVAL,
					       "insn %u: %s kernel function btf_id %d", i,
					       r == -EACCES ? "calling not allowed" : "unknown",
					       in->imm);
		}
	}
	prog->verified = false; /* structural checks only: not yet verified */
	return 0;
}
