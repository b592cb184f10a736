/* SPDX-License-Identifier: MIT */
/*
 * thunk_ffi.c - ops-member thunks built from libffi closures; see thunk.h.
 *
 * libffi does the ABI work both ways: it receives the host's call in the
 * member's native signature (including small structs by value) and hands the
 * handler an array of argument addresses. The handler only has to lay those
 * out as the kernel's trampolines do: one u64 per argument, widened by
 * signedness, and struct bytes copied verbatim over one or two slots.
 *
 * A checked-mode program (unverified, checked interpreter) may only touch
 * memory it is given: it runs with the context array as a read-only region
 * (the kernel's struct_ops contexts are read-only too); a fault returns 0.
 * Other engines take the direct path. Neither allocates. A thunk of a loaded
 * program also counts each call in the program's run statistics while they
 * are on (two clock reads and two relaxed adds; one relaxed load when off).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ffi.h>

#include "../runtime/rt_internal.h"
#include "thunk.h"

/* An ffi description of a struct argument: u64 words, then single bytes. */
struct ffi_struct_arg {
	ffi_type type;
	ffi_type *elements[17];
};

struct ffi_thunk {
	struct thunk base;
	ffi_closure *closure;
	const struct sops_vm *prog;
	struct sops_prog *owner; /* whose run statistics calls add to; NULL: none */
	bool checked;
	struct func_model model;
	ffi_cif cif;
	ffi_type *arg_types[FUNC_MODEL_MAX_ARGS];
	struct ffi_struct_arg structs[FUNC_MODEL_MAX_ARGS];
};

static ffi_type *int_type(uint8_t size, uint8_t flags)
{
	int sign = flags & FMODEL_SIGNED;

	switch (size) {
	case 1: return sign ? &ffi_type_sint8 : &ffi_type_uint8;
	case 2: return sign ? &ffi_type_sint16 : &ffi_type_uint16;
	case 4: return sign ? &ffi_type_sint32 : &ffi_type_uint32;
	default: return sign ? &ffi_type_sint64 : &ffi_type_uint64;
	}
}

/*
 * Only integers and pointers may sit in an ops struct argument (the BTF check
 * refuses floats), so the SysV classification of any such struct is the same
 * as that of u64 words followed by bytes of the same total size.
 */
static ffi_type *struct_type(struct ffi_struct_arg *s, uint8_t size)
{
	int n = 0;

	for (int i = 0; i < size / 8; i++)
		s->elements[n++] = &ffi_type_uint64;
	for (int i = 0; i < size % 8; i++)
		s->elements[n++] = &ffi_type_uint8;
	s->elements[n] = NULL;
	s->type.size = 0;
	s->type.alignment = 0;
	s->type.type = FFI_TYPE_STRUCT;
	s->type.elements = s->elements;
	return &s->type;
}

static uint64_t widen(const void *p, uint8_t size, uint8_t flags)
{
	int sign = flags & FMODEL_SIGNED;

	switch (size) {
	case 1: return sign ? (uint64_t)(int64_t)*(const int8_t *)p : *(const uint8_t *)p;
	case 2: return sign ? (uint64_t)(int64_t)*(const int16_t *)p : *(const uint16_t *)p;
	case 4: return sign ? (uint64_t)(int64_t)*(const int32_t *)p : *(const uint32_t *)p;
	default: return *(const uint64_t *)p;
	}
}

static void thunk_handler(ffi_cif *cif, void *ret, void **args, void *user)
{
	const struct ffi_thunk *t = user;
	const struct func_model *m = &t->model;
	uint64_t ctx[FUNC_MODEL_MAX_ARGS];
	unsigned int slot = 0;
	/* Tested per call: a relaxed load, nothing next to the interpreter's cost. */
	bool stats = t->owner && rt_stats_on(t->owner->obj.rt);
	uint64_t r0, start = stats ? rt_now_ns() : 0;

	for (int i = 0; i < m->nr_args; i++) {
		if (m->arg_flags[i] & FMODEL_STRUCT) {
			unsigned int words = (m->arg_size[i] + 7) / 8;

			ctx[slot + words - 1] = 0; /* a partial last word reads as zero-padded */
			memcpy(&ctx[slot], args[i], m->arg_size[i]);
			slot += words;
		} else {
			ctx[slot++] = widen(args[i], m->arg_size[i], m->arg_flags[i]);
		}
	}
	if (t->checked) {
		struct sops_mem_region region = { (uint64_t)(uintptr_t)ctx, slot * sizeof(uint64_t), false };
		const uint64_t a[5] = { (uint64_t)(uintptr_t)ctx };
		uint64_t rv = 0;

		/* A fault returns 0 to the host, and is counted and logged (never silent). */
		r0 = rt_vm_run_op(t->prog, a, &region, 1, &rv) ? 0 : rv;
	} else {
		r0 = sops_vm__exec(t->prog, (uint64_t)(uintptr_t)ctx, 0);
	}
	if (stats)
		rt_prog_stats_add(t->owner, 1, rt_now_ns() - start);
	if (m->ret_size)
		*(ffi_arg *)ret = (ffi_arg)func_model_narrow_ret(m, r0);
}

static void ffi_thunk_release(struct thunk *base)
{
	struct ffi_thunk *t = (struct ffi_thunk *)base;

	ffi_closure_free(t->closure);
	free(t);
}

int thunk_create_ffi(const struct func_model *m, const struct sops_vm *prog, struct sops_prog *owner,
		     struct thunk **out, struct sops_log *log)
{
	ffi_type *rtype = m->ret_size ? int_type(m->ret_size, m->ret_flags) : &ffi_type_void;
	struct ffi_thunk *t;

	if (!func_model_valid(m))
		return log_err(log, -EINVAL, "function model has too many or too wide arguments");
	t = calloc(1, sizeof(*t));
	if (!t)
		return log_err(log, -ENOMEM, "out of memory for a thunk");
	t->prog = prog;
	t->owner = owner;
	t->checked = sops_vm__checked(prog);
	t->model = *m;
	for (int i = 0; i < m->nr_args; i++)
		t->arg_types[i] = m->arg_flags[i] & FMODEL_STRUCT
					  ? struct_type(&t->structs[i], m->arg_size[i])
					  : int_type(m->arg_size[i], m->arg_flags[i]);
	if (ffi_prep_cif(&t->cif, FFI_DEFAULT_ABI, m->nr_args, rtype, t->arg_types) != FFI_OK) {
		free(t);
		return log_err(log, -EINVAL, "libffi cannot describe this function model");
	}
	t->closure = ffi_closure_alloc(sizeof(ffi_closure), &t->base.entry);
	if (!t->closure) {
		free(t);
		return log_err(log, -ENOMEM, "libffi cannot allocate a closure");
	}
	if (ffi_prep_closure_loc(t->closure, &t->cif, thunk_handler, t, t->base.entry) != FFI_OK) {
		ffi_closure_free(t->closure);
		free(t);
		return log_err(log, -EINVAL, "libffi cannot prepare the closure");
	}
	t->base.release = ffi_thunk_release;
	*out = &t->base;
	return 0;
}

int thunk_create_prog(const struct func_model *m, struct sops_prog *prog, struct thunk **out,
		      struct sops_log *log)
{
	/* Decided once, here: the native entry has no room for counting. */
	if (sops_vm__jit_fn(prog->vm) && !rt_stats_on(prog->obj.rt))
		return thunk_create_jit(m, prog->vm, out, log);
	return thunk_create_ffi(m, prog->vm, prog, out, log);
}
