/* SPDX-License-Identifier: MIT */
/*
 * thunk.h - native entry points for ops members (internal).
 *
 * A struct_ops value handed to the host holds real C function pointers. Each
 * one is a thunk: called with the member's own signature, it copies the
 * arguments into a u64 context array (one slot per argument, two for a 9-16
 * byte struct by value, small integers widened by their signedness), runs the
 * member's program with r1 = that array, and returns r0 narrowed to the
 * member's return type. The call path allocates nothing and takes no lock.
 *
 * Two generators exist: libffi closures, which work with any engine (used in
 * interpreter mode), and native code for JIT'd programs.
 */
#ifndef SOPS_STRUCT_OPS_THUNK_H
#define SOPS_STRUCT_OPS_THUNK_H

#include <structops/vm.h>

#include "func_model.h"

struct thunk;

/*
 * thunk_create_ffi - a libffi closure with @m's signature that runs @prog.
 * @prog must outlive the thunk. Returns 0 and *@out, or -ENOMEM/-EINVAL.
 */
int thunk_create_ffi(const struct func_model *m, const struct sops_vm *prog, struct thunk **out,
		     struct sops_log *log);

/* The function pointer to store in the ops table. */
void *thunk_entry(const struct thunk *t);

/* Release @t; no thread may be inside it or about to call it (wait a grace period first). */
void thunk_free(struct thunk *t);

#endif /* SOPS_STRUCT_OPS_THUNK_H */
