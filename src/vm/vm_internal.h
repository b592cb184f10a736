/* SPDX-License-Identifier: MIT */
/*
 * vm_internal.h - what a prepared program looks like inside (internal).
 *
 * sops_vm__create() (vm.c) checks the bytecode (isa/check.c), resolves every
 * pseudo lddw to a constant and every call to a function address, then hands
 * the result to an engine: the interpreter (interp.c) pre-decodes it into
 * threaded ops, the JIT (jit/) compiles it. Both read only the fields below.
 */
#ifndef SOPS_VM_INTERNAL_H
#define SOPS_VM_INTERNAL_H

#include <structops/vm.h>

#include "../util/log.h"

/* Helper ids are small (the kernel has a few hundred); this bounds the callx table. */
#define VM_HELPER_ID_LIMIT 65536u

struct vm_op;     /* interp.c */
struct jit_image; /* jit/jit.h */

struct sops_vm {
	/*
	 * The slots as executed: every lddw is a plain constant (src_reg 0),
	 * helper and kfunc calls keep their encoding and find their target in
	 * call_fn[] at the same index.
	 */
	struct sops_insn *insns;
	size_t insn_cnt;
	void **call_fn;

	/* Helper functions by id, for callx (the register holds an id). */
	sops_helper_fn *helper_by_id;
	uint32_t helper_id_cnt;

	void *aux; /* last argument of every helper */
	enum sops_engine engine;
	bool checked;
	bool host_access; /* the bytecode carries the verifier's host access modes (probe.c) */
	uint64_t budget;
	sops_mem_ok_fn mem_ok; /* checked mode: last resort for an access (may be NULL) */
	void *mem_ok_ctx;
	sops_obj_ok_fn obj_ok; /* checked mode: runtime objects in helper arguments */
	/* Checked mode: name and prototype of each helper, by id (call_check.c). */
	struct sops_helper *helper_info;
	/* Checked mode: each kfunc call's argument kinds, by slot (NULL: unchecked; kfunc_check.c). */
	struct sops_kfunc_check **kfunc_checks;
	struct sops_vm_ctx_obj ctx_objs[SOPS_VM_MAX_CTX_OBJS];
	uint32_t ctx_obj_cnt;

	struct vm_op *ops; /* interpreter form; NULL for the JIT */
	struct jit_image *jit;
	sops_jit_fn jit_fn;
};

/* Why a checked or fast run stopped early (interp.c fills it). */
struct vm_fault {
	int err;     /* negative errno */
	uint32_t pc; /* slot index */
	char msg[160];
};

/*
 * The one notion of "memory the program may touch" in checked mode, shared
 * by loads/stores (interp_loop.h) and helper arguments (call_check.c):
 * [addr, addr+n) inside the live stack frames [stack_lo, stack_hi), inside
 * one allowed region (writable ones for writes), or accepted by the vm's
 * mem_ok hook (the runtime: map values).
 */
static inline int vm_mem_allowed(const struct sops_vm *vm, uint64_t addr, uint64_t n, int write,
				 uint64_t stack_lo, uint64_t stack_hi,
				 const struct sops_mem_region *regions, size_t region_cnt)
{
	if (addr >= stack_lo && n <= stack_hi - stack_lo && addr - stack_lo <= stack_hi - stack_lo - n)
		return 1;
	for (size_t i = 0; i < region_cnt; i++) {
		const struct sops_mem_region *rg = &regions[i];

		if (write && !rg->writable)
			continue;
		if (addr >= rg->start && n <= rg->size && addr - rg->start <= rg->size - n)
			return 1;
	}
	return vm->mem_ok && vm->mem_ok(vm->mem_ok_ctx, addr, n, write);
}

/* What a checked run can touch at one moment: its live stack frames, its regions, its ctx. */
struct vm_mem_view {
	uint64_t stack_lo, stack_hi;
	const struct sops_mem_region *regions;
	size_t region_cnt;
	uint64_t ctx; /* r1 at entry */
};

/*
 * call_check.c: check the arguments r[1..5] of a call to helper @id against
 * its prototype. Returns 0, or -EFAULT with @fault's message naming the
 * helper and the argument.
 */
int vm_call_check(const struct sops_vm *vm, uint32_t id, const uint64_t *r,
		  const struct vm_mem_view *mv, struct vm_fault *fault);
/* call_check.c: set up vm->helper_info from the helper table (checked vms only). */
int vm_call_check_prepare(struct sops_vm *vm, const struct sops_helper *helpers, size_t cnt,
			  struct sops_log *log);

/*
 * kfunc_check.c: the host objects of one checked run (sops_kfunc_check in
 * vm.h): n < 0 until the first kfunc call builds the set from the context.
 */
#define VM_HOST_OBJS_MAX 16
struct vm_host_objs {
	int n;
	struct {
		uint64_t v;
		const char *type;
		const char *from;   /* the kfunc that returned it (NULL: the context) */
		bool releasable;
		bool acquired;      /* must be released or returned before the run ends */
	} e[VM_HOST_OBJS_MAX];
};
/* Check kfunc call @idx's arguments r[1..5]: 0, or -EFAULT with @fault's message. */
int vm_kfunc_check(const struct sops_vm *vm, size_t idx, const uint64_t *r,
		   const struct vm_mem_view *mv, struct vm_host_objs *objs, struct vm_fault *fault);
/* After the call: drop released objects, add the returned one (r0). */
void vm_kfunc_after(const struct sops_vm *vm, size_t idx, const uint64_t *r, struct vm_host_objs *objs);
/* At the run's end with @r0: 0, or -EINVAL with @fault's message if a reference leaks. */
int vm_kfunc_exit(const struct sops_vm *vm, const struct vm_mem_view *mv, struct vm_host_objs *objs,
		  uint64_t r0, struct vm_fault *fault);
/* kfunc_check.c: record @opts' ctx objects and each kfunc call's kinds (checked vms only). */
int vm_kfunc_check_prepare(struct sops_vm *vm, const struct sops_vm_opts *opts, struct sops_log *log);
void vm_kfunc_check_release(struct sops_vm *vm);

/* The stack of the checked run this thread is in (interp.c; hi 0: none). */
struct vm_stack_bounds {
	uint64_t lo, hi;
};
extern __thread struct vm_stack_bounds vm_cur_stack;

/* interp.c: build the threaded form of @vm (sets vm->ops). */
int interp_prepare(struct sops_vm *vm, struct sops_log *log);
void interp_release(struct sops_vm *vm);

/*
 * interp.c: run @vm with r1..r5 = @args. Returns 0 and *@ret, or a negative
 * errno with @fault filled. @regions applies to checked mode only.
 */
int interp_run(const struct sops_vm *vm, const uint64_t args[5], const struct sops_mem_region *regions,
	       size_t region_cnt, uint64_t *ret, struct vm_fault *fault);

#endif /* SOPS_VM_INTERNAL_H */
