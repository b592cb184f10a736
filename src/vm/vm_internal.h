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
	uint64_t budget;
	sops_mem_ok_fn mem_ok; /* checked mode: last resort for an access (may be NULL) */
	void *mem_ok_ctx;

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
