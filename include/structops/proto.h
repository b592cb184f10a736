/* SPDX-License-Identifier: MIT */
/*
 * structops/proto.h - what a helper takes and returns: the prototype table
 * shared by the verifier and the checked interpreter.
 *
 * Every helper (built-in or host-registered) has one struct sops_func_proto.
 * The verifier (src/verifier/) proves at load time that each call passes
 * arguments of these kinds; the checked interpreter, which runs code nobody
 * verified, checks the same kinds at run time before the helper is entered.
 * One table, two consumers, so the two can never disagree about what a
 * helper may touch.
 *
 * An argument kind is a base kind (low byte) plus modifier bits, as in the
 * kernel's enum bpf_arg_type: SOPS_ARG_PTR_TO_MEM | SOPS_ARG_RDONLY is memory
 * the helper only reads, SOPS_ARG_PTR_TO_MEM | SOPS_ARG_UNINIT memory it
 * fills (the program need not have initialised it), SOPS_ARG_MAYBE_NULL lets
 * the program pass 0 instead.
 */
#ifndef STRUCTOPS_PROTO_H
#define STRUCTOPS_PROTO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Argument kinds (the base part; see the modifier bits below). */
enum sops_arg_type {
	SOPS_ARG_DONTCARE = 0,   /* argument not used */
	SOPS_ARG_ANYTHING,       /* any initialised scalar */
	SOPS_ARG_PTR_TO_MEM,     /* memory of the size the next argument gives */
	SOPS_ARG_CONST_SIZE,     /* size (> 0) of the memory the previous argument points to */
	SOPS_ARG_PTR_TO_CTX,     /* the program's context */
	SOPS_ARG_CONST_MAP_PTR,  /* a map the program declared (lddw of a map) */
	SOPS_ARG_PTR_TO_MAP_KEY, /* key_size bytes of the preceding map argument */
	SOPS_ARG_PTR_TO_MAP_VALUE, /* value_size bytes of the preceding map argument */
	SOPS_ARG_PTR_TO_FUNC,    /* a callback subprogram (lddw of a function) */
	SOPS_ARG_PTR_TO_BTF_ID,  /* a host object described in BTF */
	SOPS_ARG_CONST_SIZE_OR_ZERO, /* like CONST_SIZE, but 0 is allowed */
	SOPS_ARG_PTR_TO_SPIN_LOCK,   /* the struct bpf_spin_lock of a map value */
	SOPS_ARG_PTR_TO_TIMER,       /* the struct bpf_timer of a map value */
	SOPS_ARG_PTR_TO_RINGBUF_MEM, /* a ring buffer record the program holds */
	SOPS_ARG_PTR_TO_CONST_STR,   /* NUL-terminated string in read-only map data */
	SOPS_ARG_PTR_TO_STACK,       /* the program's stack (callback context) */
	SOPS_ARG_CONST_ALLOC_SIZE_OR_ZERO, /* size of memory the helper returns */
	SOPS_ARG_TYPE_CNT,
};

/* Modifier bits of an argument kind. */
#define SOPS_ARG_MAYBE_NULL (1U << 8) /* 0 is accepted as well */
#define SOPS_ARG_RDONLY (1U << 9)     /* the helper only reads the memory */
#define SOPS_ARG_UNINIT (1U << 10)    /* the helper writes it; may be uninitialised */
#define SOPS_ARG_RELEASE (1U << 11)   /* the helper releases the reference passed */
#define SOPS_ARG_BASE(t) ((uint32_t)(t) & 0xffU)

/* Return kinds. */
enum sops_ret_type {
	SOPS_RET_INTEGER = 0,
	SOPS_RET_VOID,
	SOPS_RET_PTR_TO_MAP_VALUE_OR_NULL, /* value of the map argument, or NULL */
	SOPS_RET_PTR_TO_MEM_OR_NULL,       /* ret_size bytes of memory, or NULL */
	SOPS_RET_PTR_TO_BTF_ID_OR_NULL,
	/* A ring buffer record of the CONST_ALLOC_SIZE_OR_ZERO argument's size, or NULL (a reference). */
	SOPS_RET_PTR_TO_RINGBUF_MEM_OR_NULL,
	SOPS_RET_TYPE_CNT,
};

/* A helper's prototype. */
struct sops_func_proto {
	enum sops_ret_type ret_type;
	uint32_t arg_type[5]; /* enum sops_arg_type | SOPS_ARG_* modifiers */
	uint32_t ret_size;    /* SOPS_RET_PTR_TO_MEM_OR_NULL: bytes the pointer reaches */
};

#ifdef __cplusplus
}
#endif

#endif /* STRUCTOPS_PROTO_H */
