/* SPDX-License-Identifier: MIT */
/*
 * vm.c - preparing a program for execution and running it (structops/vm.h).
 *
 * The data path through this file:
 *   bytecode --isa_check_prog--> resolve pseudo lddw and calls --> engine
 *   (interp_prepare: threaded ops, or the JIT: native code) --> run/exec.
 * Everything an engine needs is settled here, so engines never call back
 * into resolvers and never fail at run time for reasons known at load time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../isa/check.h"
#include "../isa/opcodes.h"
#include "../jit/jit.h"
#include "../util/opts.h"
#include "interp.h"
#include "probe.h"
#include "vm_internal.h"

static int build_helper_table(struct sops_vm *vm, const struct sops_vm_opts *opts,
			      struct sops_log *log)
{
	const struct sops_helper *helpers = OPTS_GET(opts, helpers, NULL);
	size_t cnt = OPTS_GET(opts, helper_cnt, 0);
	uint32_t max_id = 0;

	if (cnt && !helpers)
		return log_err(log, -EINVAL, "helper_cnt is %zu but helpers is NULL", cnt);
	for (size_t i = 0; i < cnt; i++) {
		if (helpers[i].id >= VM_HELPER_ID_LIMIT || !helpers[i].fn)
			return log_err(log, -EINVAL, "helper table entry %zu: id %u out of range or no function",
				       i, helpers[i].id);
		if (helpers[i].id + 1 > max_id)
			max_id = helpers[i].id + 1;
	}
	if (!max_id)
		return 0;
	vm->helper_by_id = calloc(max_id, sizeof(*vm->helper_by_id));
	if (!vm->helper_by_id)
		return log_err(log, -ENOMEM, "out of memory for the helper table");
	vm->helper_id_cnt = max_id;
	for (size_t i = 0; i < cnt; i++) {
		if (vm->helper_by_id[helpers[i].id])
			return log_err(log, -EINVAL, "helper id %u appears twice", helpers[i].id);
		vm->helper_by_id[helpers[i].id] = helpers[i].fn;
	}
	return 0;
}

/* Turns every pseudo lddw into a constant and gives every call its target address. */
static int resolve(struct sops_vm *vm, const struct sops_vm_opts *opts, struct sops_log *log)
{
	sops_ld_imm64_resolve_fn ld_resolve = OPTS_GET(opts, ld_imm64_resolve, NULL);
	sops_kfunc_resolve_fn kf_resolve = OPTS_GET(opts, kfunc_resolve, NULL);
	void *rctx = OPTS_GET(opts, resolve_ctx, NULL);
	int err;

	vm->call_fn = calloc(vm->insn_cnt, sizeof(*vm->call_fn));
	if (!vm->call_fn)
		return log_err(log, -ENOMEM, "out of memory for %zu call slots", vm->insn_cnt);

	for (size_t i = 0; i < vm->insn_cnt; i++) {
		struct sops_insn *in = &vm->insns[i];

		if (in->code == OPC_LDDW) {
			uint64_t val;

			if (in->src_reg != SOPS_LD_IMM64_CONST) {
				if (!ld_resolve)
					return log_err(log, -EINVAL, "insn %zu: pseudo lddw (src_reg=%u) needs a loader to resolve it",
						       i, in->src_reg);
				err = ld_resolve(rctx, in, i, &val);
				if (err)
					return log_err(log, err < 0 ? err : -EINVAL,
						       "insn %zu: cannot resolve pseudo lddw (src_reg=%u, imm=%d)",
						       i, in->src_reg, in->imm);
				in[0].src_reg = SOPS_LD_IMM64_CONST;
				in[0].imm = (int32_t)(uint32_t)val;
				in[1].imm = (int32_t)(uint32_t)(val >> 32);
			}
			i++;
			continue;
		}
		if (in->code != OPC_CALL_INSN)
			continue;
		if (in->src_reg == SOPS_CALL_HELPER) {
			uint32_t id = (uint32_t)in->imm;

			if (id >= vm->helper_id_cnt || !vm->helper_by_id[id])
				return log_err(log, -ENOENT, "insn %zu: call to unknown helper #%d", i, in->imm);
			vm->call_fn[i] = (void *)vm->helper_by_id[id];
		} else if (in->src_reg == SOPS_CALL_KFUNC) {
			sops_kfunc_fn fn = NULL;

			if (!kf_resolve)
				return log_err(log, -EINVAL, "insn %zu: kfunc call (btf id %d) needs a resolver",
					       i, in->imm);
			err = kf_resolve(rctx, in->imm, in->off, &fn);
			if (err || !fn)
				return log_err(log, err < 0 ? err : -ENOENT,
					       "insn %zu: cannot resolve kfunc with btf id %d", i, in->imm);
			vm->call_fn[i] = (void *)fn;
		}
	}
	return 0;
}

/* The JIT's entry point into vm creation: compile to native code (src/jit/). */
static int vm_prepare_jit(struct sops_vm *vm, const struct sops_vm_opts *opts, struct sops_log *log)
{
	struct jit_opts jopts = {
		.blinding = OPTS_GET(opts, jit_blinding, false),
		.perf_map_name = OPTS_GET(opts, perf_map_name, NULL),
	};
	int err;

	err = jit_compile(vm, &jopts, log, &vm->jit);
	if (err)
		return err;
	vm->jit_fn = jit_image_entry(vm->jit);
	return 0;
}

bool sops_jit_available(void)
{
	return jit_supported();
}

int sops_vm__create(const struct sops_insn *insns, size_t insn_cnt, const struct sops_vm_opts *opts,
		    struct sops_vm **out)
{
	struct sops_log log = { OPTS_GET(opts, log_buf, NULL), OPTS_GET(opts, log_size, 0), 0 };
	struct sops_vm *vm;
	int err;

	if (log.buf && log.size)
		log.buf[0] = '\0';
	if (!out)
		return log_err(&log, -EINVAL, "no place to store the vm");
	*out = NULL;
	if (!OPTS_VALID(opts, sops_vm_opts))
		return log_err(&log, -EINVAL, "invalid opts: bad sz or unknown non-zero fields");
	if (!insns || !insn_cnt)
		return log_err(&log, -EINVAL, "empty program");
	if (insn_cnt > SOPS_VM_MAX_INSNS)
		return log_err(&log, -E2BIG, "%zu instructions; the limit is %u", insn_cnt,
			       SOPS_VM_MAX_INSNS);
	if (OPTS_GET(opts, engine, SOPS_ENGINE_INTERP) != SOPS_ENGINE_INTERP &&
	    OPTS_GET(opts, engine, SOPS_ENGINE_INTERP) != SOPS_ENGINE_JIT)
		return log_err(&log, -EINVAL, "unknown engine %d", (int)opts->engine);
	if (OPTS_GET(opts, checked, false) && OPTS_GET(opts, engine, 0) == SOPS_ENGINE_JIT)
		return log_err(&log, -EINVAL, "checked mode is an interpreter mode; the JIT runs verified code only");

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return log_err(&log, -ENOMEM, "out of memory");
	vm->insn_cnt = insn_cnt;
	vm->engine = OPTS_GET(opts, engine, SOPS_ENGINE_INTERP);
	vm->checked = OPTS_GET(opts, checked, false);
	vm->budget = OPTS_GET(opts, insn_budget, 0) ?: SOPS_VM_DEFAULT_BUDGET;
	vm->aux = OPTS_GET(opts, aux, NULL);
	vm->mem_ok = OPTS_GET(opts, mem_ok, NULL);
	vm->mem_ok_ctx = OPTS_GET(opts, mem_ok_ctx, NULL);
	vm->obj_ok = OPTS_GET(opts, obj_ok, NULL);
	vm->host_access = OPTS_GET(opts, host_access, false);
	vm->insns = malloc(insn_cnt * sizeof(*insns));
	if (!vm->insns) {
		err = log_err(&log, -ENOMEM, "out of memory for %zu instructions", insn_cnt);
		goto fail;
	}
	memcpy(vm->insns, insns, insn_cnt * sizeof(*insns));

	err = vm->host_access ? isa_check_prog_internal(vm->insns, insn_cnt, &log)
			      : isa_check_prog(vm->insns, insn_cnt, &log);
	if (!err && vm->host_access && (err = sops_probe_init()))
		log_err(&log, err, "cannot install the probe load fault handler");
	if (err)
		goto fail;
	err = build_helper_table(vm, opts, &log);
	if (!err)
		err = vm_call_check_prepare(vm, OPTS_GET(opts, helpers, NULL),
					    OPTS_GET(opts, helper_cnt, 0), &log);
	if (err)
		goto fail;
	err = resolve(vm, opts, &log);
	if (!err)
		err = vm_kfunc_check_prepare(vm, opts, &log);
	if (err)
		goto fail;
	if (vm->engine == SOPS_ENGINE_JIT)
		err = vm_prepare_jit(vm, opts, &log);
	else
		err = interp_prepare(vm, &log);
	if (err)
		goto fail;
	*out = vm;
	return 0;
fail:
	sops_vm__free(vm);
	return err;
}

void sops_vm__free(struct sops_vm *vm)
{
	if (!vm)
		return;
	interp_release(vm);
	/*
	 * JIT code is unmapped here: the caller guarantees no thread still runs
	 * it. The struct_ops layer must wait for an RCU grace period (no reader
	 * can still be inside the code) before it lets this run.
	 */
	jit_image_free(vm->jit);
	free(vm->call_fn);
	free(vm->helper_by_id);
	free(vm->helper_info);
	vm_kfunc_check_release(vm);
	free(vm->insns);
	free(vm);
}

int sops_vm__run(const struct sops_vm *vm, struct sops_vm_run_opts *opts)
{
	const struct sops_mem_region *regions;
	struct vm_fault fault = { 0 };
	uint64_t args[5] = { 0 }, ret = 0;
	size_t region_cnt;
	int err;

	if (!vm || !opts || !OPTS_VALID(opts, sops_vm_run_opts))
		return -EINVAL;
	if (OPTS_HAS(opts, args))
		memcpy(args, opts->args, sizeof(args));
	regions = OPTS_GET(opts, regions, NULL);
	region_cnt = OPTS_GET(opts, region_cnt, 0);
	if (region_cnt && !regions)
		return -EINVAL;

	if (vm->jit_fn) {
		ret = vm->jit_fn(args[0], args[1], args[2], args[3], args[4]);
		err = 0;
	} else {
		err = interp_run(vm, args, regions, region_cnt, &ret, &fault);
	}
	if (err) {
		OPTS_SET(opts, fault_pc, fault.pc);
		if (OPTS_GET(opts, fault_buf, NULL) && OPTS_GET(opts, fault_size, 0))
			log_buf_printf(opts->fault_buf, opts->fault_size, "insn %u: %s", fault.pc,
				       fault.msg);
		return err;
	}
	OPTS_SET(opts, retval, ret);
	return 0;
}

uint64_t sops_vm__exec(const struct sops_vm *vm, uint64_t r1, uint64_t r2)
{
	uint64_t args[5] = { r1, r2, 0, 0, 0 }, ret;
	struct vm_fault fault;

	if (vm->jit_fn)
		return vm->jit_fn(r1, r2, 0, 0, 0);
	if (interp_run(vm, args, NULL, 0, &ret, &fault))
		return 0;
	return ret;
}

sops_jit_fn sops_vm__jit_fn(const struct sops_vm *vm)
{
	return vm ? vm->jit_fn : NULL;
}

const void *sops_vm__jit_image(const struct sops_vm *vm, size_t *size)
{
	if (size)
		*size = 0;
	return vm ? jit_image_code(vm->jit, size) : NULL;
}

enum sops_engine sops_vm__engine(const struct sops_vm *vm)
{
	return vm->engine;
}

bool sops_vm__checked(const struct sops_vm *vm)
{
	return vm->checked;
}

const struct sops_insn *sops_vm__insns(const struct sops_vm *vm, size_t *insn_cnt)
{
	if (insn_cnt)
		*insn_cnt = vm->insn_cnt;
	return vm->insns;
}
