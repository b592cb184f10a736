/* SPDX-License-Identifier: MIT */
/*
 * thunk_jit.c - native ops-member entries for JIT'd programs; see thunk.h.
 *
 * For a JIT'd program the "thunk" is the program itself, compiled a second
 * time with the member's calling convention as its entry (jit/jit_entry.c):
 * the prologue stores the arguments into a context array in the program's own
 * frame and every exit narrows r0. The host's indirect call lands directly in
 * the program, so an ops call costs one call, a store per argument word and
 * the program (not even the stores when the program reads its arguments only
 * up front: see jit_entry.c). The second image honours the first one's constant blinding.
 */
#include <errno.h>
#include <stdlib.h>

#include "../jit/jit.h"
#include "../vm/vm_internal.h"
#include "thunk.h"

struct jit_thunk {
	struct thunk base;
	struct jit_image *img;
};

static void jit_thunk_release(struct thunk *base)
{
	struct jit_thunk *t = (struct jit_thunk *)base;

	jit_image_free(t->img);
	free(t);
}

int thunk_create_jit(const struct func_model *m, const struct sops_vm *prog, struct thunk **out,
		     struct sops_log *log)
{
	struct jit_opts opts = { .native_entry = m };
	struct jit_thunk *t;
	int err;

	if (!prog->jit)
		return log_err(log, -EINVAL, "a native entry needs a JIT'd program");
	if (!func_model_valid(m))
		return log_err(log, -EINVAL, "function model has too many or too wide arguments");
	opts.blinding = jit_image_blinded(prog->jit);
	t = calloc(1, sizeof(*t));
	if (!t)
		return log_err(log, -ENOMEM, "out of memory for a thunk");
	err = jit_compile(prog, &opts, log, &t->img);
	if (err) {
		free(t);
		return err;
	}
	t->base.entry = (void *)jit_image_entry(t->img);
	t->base.release = jit_thunk_release;
	*out = &t->base;
	return 0;
}

int thunk_create(const struct func_model *m, const struct sops_vm *prog, struct thunk **out,
		 struct sops_log *log)
{
	if (prog->jit)
		return thunk_create_jit(m, prog, out, log);
	return thunk_create_ffi(m, prog, NULL, out, log);
}
