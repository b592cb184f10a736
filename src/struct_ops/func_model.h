/* SPDX-License-Identifier: MIT */
/*
 * func_model.h - the calling convention of one ops member, distilled from BTF (internal).
 *
 * An ops member is a C function pointer. Its BTF FUNC_PROTO says how many
 * arguments it takes, how wide each is, which are signed or passed as a struct
 * by value, and what it returns. The thunk generators (libffi in interpreter
 * mode, native code with the JIT) need exactly that: they copy each argument
 * into the u64 context array a struct_ops program reads, and narrow r0 back to
 * the member's return type.
 */
#ifndef SOPS_STRUCT_OPS_FUNC_MODEL_H
#define SOPS_STRUCT_OPS_FUNC_MODEL_H

#include <stdint.h>

#include "../util/log.h"

struct btf;

/* Arguments a member may take, and u64 context slots they may fill (the kernel's limit). */
#define FUNC_MODEL_MAX_ARGS 12

#define FMODEL_SIGNED 0x1 /* signed integer: widened by sign extension */
#define FMODEL_STRUCT 0x2 /* struct or union passed by value (at most 16 bytes) */

struct func_model {
	uint8_t nr_args;
	uint8_t ret_size; /* 0: void */
	uint8_t ret_flags;
	uint8_t arg_size[FUNC_MODEL_MAX_ARGS];
	uint8_t arg_flags[FUNC_MODEL_MAX_ARGS];
};

/*
 * func_model_from_btf - distil the FUNC_PROTO @proto_id of @btf (a pointer to
 * one is followed too). Returns 0 or -EINVAL with a message: variadic
 * functions, floating point, arrays, structs larger than 16 bytes or returned
 * by value, and more than FUNC_MODEL_MAX_ARGS context slots are not supported,
 * as in the kernel.
 */
int func_model_from_btf(const struct btf *btf, uint32_t proto_id, struct func_model *m,
			struct sops_log *log);

/* Context slots the arguments fill: one per argument, two for a 9-16 byte struct. */
unsigned int func_model_ctx_slots(const struct func_model *m);

/* @r0 narrowed to the return type and widened back as the C ABI expects. */
static inline uint64_t func_model_narrow_ret(const struct func_model *m, uint64_t r0)
{
	int sign = m->ret_flags & FMODEL_SIGNED;

	switch (m->ret_size) {
	case 0: return 0;
	case 1: return sign ? (uint64_t)(int64_t)(int8_t)r0 : (uint8_t)r0;
	case 2: return sign ? (uint64_t)(int64_t)(int16_t)r0 : (uint16_t)r0;
	case 4: return sign ? (uint64_t)(int64_t)(int32_t)r0 : (uint32_t)r0;
	default: return r0;
	}
}

#endif /* SOPS_STRUCT_OPS_FUNC_MODEL_H */
