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
 * interpreter mode, and for JIT'd programs while run statistics are on: they
 * count), and, for JIT'd programs, the program compiled again with the
 * member's calling convention as its entry (no separate thunk code).
 */
#ifndef SOPS_STRUCT_OPS_THUNK_H
#define SOPS_STRUCT_OPS_THUNK_H

#include <structops/vm.h>

#include "../util/log.h"
#include "../vm/func_model.h"

struct sops_prog; /* runtime/rt_internal.h */

/* What every thunk is: its entry point and how to release it. */
struct thunk {
	void *entry;
	void (*release)(struct thunk *t);
};

/*
 * thunk_create - a thunk with @m's signature that runs @prog: native code when
 * @prog is JIT'd (thunk_jit.c), a libffi closure otherwise (thunk_ffi.c).
 * @prog must outlive the thunk. Returns 0 and *@out, or a negative errno.
 */
int thunk_create(const struct func_model *m, const struct sops_vm *prog, struct thunk **out,
		 struct sops_log *log);

/*
 * thunk_create_ffi - the libffi form for any engine. @owner: the loaded
 * program whose run statistics each call adds to while its runtime has them
 * on (tested per call); NULL: never counted.
 */
int thunk_create_ffi(const struct func_model *m, const struct sops_vm *prog, struct sops_prog *owner,
		     struct thunk **out, struct sops_log *log);
int thunk_create_jit(const struct func_model *m, const struct sops_vm *prog, struct thunk **out,
		     struct sops_log *log);

/*
 * thunk_create_prog - the thunk of a struct_ops map member bound to loaded
 * program @prog (st_map.c). As thunk_create, except that while @prog's runtime
 * has run statistics on, a JIT'd program gets a counting libffi thunk (which
 * enters the JIT code by its usual entry) instead of its native entry: the
 * native entry stays a bare call, so it cannot count, and the choice holds
 * for the thunk's life (runtime.h). Interpreter thunks always count while
 * stats are on.
 */
int thunk_create_prog(const struct func_model *m, struct sops_prog *prog, struct thunk **out,
		      struct sops_log *log);

/* The function pointer to store in the ops table. */
static inline void *thunk_entry(const struct thunk *t)
{
	return t->entry;
}

/* Release @t (NULL is fine); no thread may be inside it or about to call it (wait a grace period first). */
static inline void thunk_free(struct thunk *t)
{
	if (t)
		t->release(t);
}

#endif /* SOPS_STRUCT_OPS_THUNK_H */
