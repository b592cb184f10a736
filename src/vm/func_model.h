/* SPDX-License-Identifier: MIT */
/*
 * func_model.h - a native C calling convention a program can be entered with (internal).
 *
 * A struct_ops program implements one ops member: the host calls it as a C
 * function with that member's signature, and the program reads the arguments
 * from a u64 context array (one slot per argument, two for a 9-16 byte struct
 * by value, small integers widened by their signedness) and returns r0
 * narrowed to the member's return type. This struct says how: the JIT
 * compiles entries with it (jit_entry.c), the libffi thunks build closures
 * from it, and struct_ops distils it from BTF (struct_ops/btf_func_model.c).
 */
#ifndef SOPS_VM_FUNC_MODEL_H
#define SOPS_VM_FUNC_MODEL_H

#include <stdint.h>

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

/* Context slots the arguments fill: one per argument, two for a 9-16 byte struct. */
static inline unsigned int func_model_ctx_slots(const struct func_model *m)
{
	unsigned int slots = 0;

	for (int i = 0; i < m->nr_args; i++)
		slots += (m->arg_size[i] + 7u) / 8u;
	return slots;
}

/* Whether @m is within the limits every consumer assumes. */
static inline int func_model_valid(const struct func_model *m)
{
	if (m->nr_args > FUNC_MODEL_MAX_ARGS || func_model_ctx_slots(m) > FUNC_MODEL_MAX_ARGS)
		return 0;
	for (int i = 0; i < m->nr_args; i++)
		if (!m->arg_size[i] || m->arg_size[i] > ((m->arg_flags[i] & FMODEL_STRUCT) ? 16 : 8))
			return 0;
	return m->ret_size <= 8;
}

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

#endif /* SOPS_VM_FUNC_MODEL_H */
