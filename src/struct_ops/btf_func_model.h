/* SPDX-License-Identifier: MIT */
/*
 * btf_func_model.h - an ops member's calling convention, distilled from BTF (internal).
 *
 * An ops member is a C function pointer. Its BTF FUNC_PROTO says how many
 * arguments it takes, how wide each is, which are signed or passed as a struct
 * by value, and what it returns: exactly a struct func_model (vm/func_model.h),
 * which the thunks and the JIT's native entries are built from.
 */
#ifndef SOPS_STRUCT_OPS_BTF_FUNC_MODEL_H
#define SOPS_STRUCT_OPS_BTF_FUNC_MODEL_H

#include <stdint.h>

#include "../util/log.h"
#include "../vm/func_model.h"

struct btf;

/*
 * func_model_from_btf - distil the FUNC_PROTO @proto_id of @btf (a pointer to
 * one is followed too). Returns 0 or -EINVAL with a message: variadic
 * functions, floating point, arrays, structs larger than 16 bytes or returned
 * by value, and more than FUNC_MODEL_MAX_ARGS context slots are not supported,
 * as in the kernel.
 */
int func_model_from_btf(const struct btf *btf, uint32_t proto_id, struct func_model *m,
			struct sops_log *log);

#endif /* SOPS_STRUCT_OPS_BTF_FUNC_MODEL_H */
