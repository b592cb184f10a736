/* SPDX-License-Identifier: MIT */
/*
 * kfunc_check.c - the checked interpreter's kfunc-argument check and the
 * host objects of a run (sops_kfunc_check in structops/vm.h).
 *
 * call_check.c checks helper arguments by the helpers' prototypes; kfuncs
 * have BTF prototypes instead, which the runtime turns into one
 * sops_kfunc_check per call site at creation. The difference that matters is
 * host objects: a kfunc taking `struct task *` dereferences it, so code
 * nobody verified must not hand it an integer it made up. The vm cannot know
 * the host's objects, but it knows where they come from: the context the
 * host passed (its pointer arguments, sops_vm_opts.ctx_objs) and the kfuncs
 * that returned them during this run. Each checked run keeps that set
 * (struct vm_host_objs, on the interpreter's frame: nothing is allocated);
 * an object argument must be in it with the struct name the kfunc expects,
 * a releasing kfunc takes it out (a second release, or a use after it, is
 * refused), and an acquired one still held when the run ends fails the run
 * instead of leaking quietly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../isa/opcodes.h"
#include "../util/opts.h"
#include "vm_internal.h"

static int check_spec(const struct sops_kfunc_check *c, size_t idx, struct sops_log *log)
{
	if (!c->name || c->arg_cnt > 5)
		return log_err(log, -EINVAL, "insn %zu: kfunc check without a name or with %u arguments",
			       idx, c->arg_cnt);
	for (uint32_t i = 0; i < c->arg_cnt; i++) {
		const struct sops_kfunc_arg *a = &c->args[i];

		if (a->kind > SOPS_KARG_ANY_PTR || (a->kind == SOPS_KARG_OBJ && !a->type) ||
		    (a->release && a->kind != SOPS_KARG_OBJ))
			return log_err(log, -EINVAL, "insn %zu: kfunc %s arg%u: bad kind %u", idx, c->name,
				       i + 1, a->kind);
	}
	return 0;
}

int vm_kfunc_check_prepare(struct sops_vm *vm, const struct sops_vm_opts *opts, struct sops_log *log)
{
	sops_kfunc_check_resolve_fn resolve = OPTS_GET(opts, kfunc_check_resolve, NULL);
	const struct sops_vm_ctx_obj *objs = OPTS_GET(opts, ctx_objs, NULL);
	size_t obj_cnt = OPTS_GET(opts, ctx_obj_cnt, 0);
	void *rctx = OPTS_GET(opts, resolve_ctx, NULL);

	if (!vm->checked)
		return 0;
	if (obj_cnt > SOPS_VM_MAX_CTX_OBJS || (obj_cnt && !objs))
		return log_err(log, -EINVAL, "%zu context objects (at most %d)", obj_cnt, SOPS_VM_MAX_CTX_OBJS);
	for (size_t i = 0; i < obj_cnt; i++) {
		if (!objs[i].type)
			return log_err(log, -EINVAL, "context object %zu has no type", i);
		vm->ctx_objs[i] = objs[i];
	}
	vm->ctx_obj_cnt = (uint32_t)obj_cnt;
	if (!resolve)
		return 0;
	for (size_t i = 0; i < vm->insn_cnt; i++) {
		const struct sops_insn *in = &vm->insns[i];
		struct sops_kfunc_check c = { 0 };
		int err;

		if (in->code == OPC_LDDW) {
			i++;
			continue;
		}
		if (in->code != OPC_CALL_INSN || in->src_reg != SOPS_CALL_KFUNC)
			continue;
		if (!vm->kfunc_checks) {
			vm->kfunc_checks = calloc(vm->insn_cnt, sizeof(*vm->kfunc_checks));
			if (!vm->kfunc_checks)
				return log_err(log, -ENOMEM, "out of memory for the kfunc checks");
		}
		err = resolve(rctx, in->imm, in->off, &c);
		if (err == 1)
			continue; /* nothing known: the caller vouches for this kfunc */
		if (err)
			return log_err(log, err < 0 ? err : -EINVAL,
				       "insn %zu: no argument kinds for kfunc with btf id %d", i, in->imm);
		err = check_spec(&c, i, log);
		if (err)
			return err;
		vm->kfunc_checks[i] = malloc(sizeof(c));
		if (!vm->kfunc_checks[i])
			return log_err(log, -ENOMEM, "out of memory for the kfunc checks");
		*vm->kfunc_checks[i] = c;
	}
	return 0;
}

void vm_kfunc_check_release(struct sops_vm *vm)
{
	if (!vm->kfunc_checks)
		return;
	for (size_t i = 0; i < vm->insn_cnt; i++)
		free(vm->kfunc_checks[i]);
	free(vm->kfunc_checks);
	vm->kfunc_checks = NULL;
}

static int __attribute__((format(printf, 4, 5)))
kfault(struct vm_fault *fault, const struct sops_kfunc_check *c, int arg, const char *fmt, ...)
{
	int n = arg ? snprintf(fault->msg, sizeof(fault->msg), "kfunc %s arg%d ", c->name, arg)
		    : snprintf(fault->msg, sizeof(fault->msg), "kfunc %s ", c->name);
	va_list ap;

	if (n < 0 || (size_t)n >= sizeof(fault->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(fault->msg + n, sizeof(fault->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	fault->err = -EFAULT;
	return -EFAULT;
}

/* The context's objects, read from the ctx array the run was entered with. */
static void objs_build(const struct sops_vm *vm, const struct vm_mem_view *mv, struct vm_host_objs *objs)
{
	objs->n = 0;
	for (uint32_t i = 0; i < vm->ctx_obj_cnt; i++) {
		const struct sops_vm_ctx_obj *o = &vm->ctx_objs[i];
		uint64_t addr = mv->ctx + (uint64_t)o->slot * 8, v;

		/* The slot must be memory of the run (the ctx array is one of its regions). */
		if (!mv->ctx || !vm_mem_allowed(vm, addr, 8, 0, mv->stack_lo, mv->stack_hi, mv->regions,
						mv->region_cnt))
			continue;
		memcpy(&v, (const void *)(uintptr_t)addr, 8);
		if (!v)
			continue; /* a NULL __nullable argument */
		objs->e[objs->n].v = v;
		objs->e[objs->n].type = o->type;
		objs->e[objs->n].from = NULL;
		/* A __ref argument is a reference the program holds: released or returned, as the verifier wants. */
		objs->e[objs->n].releasable = o->ref;
		objs->e[objs->n].acquired = o->ref;
		objs->n++;
	}
}

static int obj_find(const struct vm_host_objs *objs, uint64_t v)
{
	for (int i = 0; i < objs->n; i++)
		if (objs->e[i].v == v)
			return i;
	return -1;
}

int vm_kfunc_check(const struct sops_vm *vm, size_t idx, const uint64_t *r,
		   const struct vm_mem_view *mv, struct vm_host_objs *objs, struct vm_fault *fault)
{
	const struct sops_kfunc_check *c = vm->kfunc_checks ? vm->kfunc_checks[idx] : NULL;

	if (!c)
		return 0;
	if (objs->n < 0)
		objs_build(vm, mv, objs);
	for (uint32_t i = 0; i < c->arg_cnt; i++) {
		const struct sops_kfunc_arg *a = &c->args[i];
		uint64_t v = r[i + 1];
		int k;

		switch (a->kind) {
		case SOPS_KARG_SCALAR:
			break;
		case SOPS_KARG_MEM:
			if (a->size && !vm_mem_allowed(vm, v, a->size, 1, mv->stack_lo, mv->stack_hi,
						       mv->regions, mv->region_cnt))
				return kfault(fault, c, (int)i + 1,
					      "(memory, %u bytes written) points outside the program's writable "
					      "memory (0x%" PRIx64 ")", a->size, v);
			break;
		case SOPS_KARG_ANY_PTR:
			/* Not program memory: the kfunc would not know its size (the verifier's rule). */
			if (obj_find(objs, v) < 0)
				return kfault(fault, c, (int)i + 1,
					      "(void *) is not a host object of this run (0x%" PRIx64 ")", v);
			break;
		case SOPS_KARG_OBJ:
			k = obj_find(objs, v);
			if (k < 0)
				return kfault(fault, c, (int)i + 1,
					      "(struct %s *) is not an object the host passed to this run or a "
					      "kfunc returned (0x%" PRIx64 ")", a->type, v);
			if (strcmp(objs->e[k].type, a->type))
				return kfault(fault, c, (int)i + 1,
					      "expects a struct %s, 0x%" PRIx64 " is a struct %s", a->type, v,
					      objs->e[k].type);
			if (a->release && !objs->e[k].releasable)
				return kfault(fault, c, (int)i + 1,
					      "releases struct %s 0x%" PRIx64 ", which the program holds no "
					      "reference to", a->type, v);
			break;
		}
	}
	if (c->ret_type && objs->n == VM_HOST_OBJS_MAX)
		return kfault(fault, c, 0, "would return a host object, but the run holds %d already",
			      VM_HOST_OBJS_MAX);
	return 0;
}

void vm_kfunc_after(const struct sops_vm *vm, size_t idx, const uint64_t *r, struct vm_host_objs *objs)
{
	const struct sops_kfunc_check *c = vm->kfunc_checks ? vm->kfunc_checks[idx] : NULL;

	if (!c)
		return;
	for (uint32_t i = 0; i < c->arg_cnt; i++) {
		int k;

		if (!c->args[i].release || (k = obj_find(objs, r[i + 1])) < 0)
			continue;
		objs->e[k] = objs->e[--objs->n]; /* released: no longer usable */
	}
	if (c->ret_type && r[0] && objs->n < VM_HOST_OBJS_MAX) {
		objs->e[objs->n].v = r[0];
		objs->e[objs->n].type = c->ret_type;
		objs->e[objs->n].from = c->name;
		objs->e[objs->n].releasable = c->ret_acquired;
		objs->e[objs->n].acquired = c->ret_acquired;
		objs->n++;
	}
}

int vm_kfunc_exit(const struct sops_vm *vm, const struct vm_mem_view *mv, struct vm_host_objs *objs,
		  uint64_t r0, struct vm_fault *fault)
{
	bool refs = false;

	if (objs->n < 0) {
		/* No kfunc ran: only a __ref argument can be held. */
		for (uint32_t i = 0; i < vm->ctx_obj_cnt; i++)
			refs |= vm->ctx_objs[i].ref;
		if (!refs)
			return 0;
		objs_build(vm, mv, objs);
	}
	for (int i = 0; i < objs->n; i++) {
		if (!objs->e[i].acquired || objs->e[i].v == r0)
			continue;
		fault->err = -EINVAL;
		snprintf(fault->msg, sizeof(fault->msg),
			 "exit holding a reference to struct %s 0x%" PRIx64 " %s%s (release it or return it)",
			 objs->e[i].type, objs->e[i].v, objs->e[i].from ? "from kfunc " : "passed as a __ref argument",
			 objs->e[i].from ? objs->e[i].from : "");
		return -EINVAL;
	}
	return 0;
}
