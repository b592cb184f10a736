/* SPDX-License-Identifier: MIT */
/*
 * host_types.h - the loader tests' host types (see host_types.c): included by
 * host_types.c, from which pahole makes the test host BTF, and by the unit
 * tests, which build host-layout structs to run CO-RE programs on.
 */
#ifndef SOPS_TEST_HOST_TYPES_H
#define SOPS_TEST_HOST_TYPES_H

#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;

/* The kernel's common header of a struct_ops value. */
enum bpf_struct_ops_state { BPF_STRUCT_OPS_STATE_INIT, BPF_STRUCT_OPS_STATE_INUSE,
			    BPF_STRUCT_OPS_STATE_TOBEFREE, BPF_STRUCT_OPS_STATE_READY };
struct bpf_struct_ops_common_value {
	int refcnt;
	enum bpf_struct_ops_state state;
};

struct sops_test_ctx {
	u64 key;
	u32 hits;
	u32 flags;
};

/* A host ops table: what struct_ops programs implement. */
struct sops_test_ops {
	int (*init)(void);
	int (*op_a)(int x);
	u64 (*op_b)(struct sops_test_ctx *ctx, int y);
	void (*op_c)(struct sops_test_ctx *ctx);
	int scalar;
	char name[16];
	u64 (*extra)(u64 a, u64 b);
};

struct bpf_struct_ops_sops_test_ops {
	struct bpf_struct_ops_common_value common;
	struct sops_test_ops data __attribute__((aligned(64)));
};

/* A second ops type, smaller. */
struct sops_test_ops2 {
	int (*op)(int x);
	u64 pad;
};

struct bpf_struct_ops_sops_test_ops2 {
	struct bpf_struct_ops_common_value common;
	struct sops_test_ops2 data __attribute__((aligned(64)));
};

/*
 * CO-RE targets: the host's layout. The programs' view (tests/bpf/core.bpf.c)
 * is older: fields were added, removed, reordered, resized, bitfields moved,
 * members put into anonymous unions, enum values changed.
 */
struct core_inner {
	u64 pad;                  /* new: shifts val */
	int val;
};

struct core_s {
	u64 added_first;          /* new: shifts every field */
	int a;
	short b;                  /* program sees an int: size differs (signed) */
	unsigned short us;        /* program sees an unsigned int: loads narrow */
	unsigned int flags : 3;   /* bitfields, in another order in the program */
	int sbits : 5;
	unsigned int moved : 7;
	unsigned char c;
	long long arr[4];
	struct core_inner inner;
	unsigned long long ul;    /* program sees signed */
	union {                   /* program sees anon_i as a plain member */
		int anon_i;
		unsigned int anon_u;
	};
	int x, y;                 /* program sees these in an anonymous struct */
	struct core_inner *ptr;
};

enum core_enum { CORE_ZERO = 0, CORE_ONE = 10, CORE_TWO = 20, CORE_NEW = 30 };
enum core_enum64 { CORE_BIG = 0x1ffffffffULL };

typedef struct core_s core_s_t;

union core_u {
	int i;
	u64 l;
};

/* bpf_core_type_matches targets */
struct core_m {
	int x;
	long y;
	struct core_m *next;
};

/* Two flavors with one essential name and different layouts: ambiguous. */
struct core_amb___a {
	int x;
};
struct core_amb___b {
	long pad;
	int x;
};

/* Referenced so pahole keeps every type. */
struct sops_test_anchor {
	struct bpf_struct_ops_sops_test_ops *v1;
	struct bpf_struct_ops_sops_test_ops2 *v2;
	struct core_s *s;
	core_s_t *st;
	union core_u *u;
	enum core_enum e;
	enum core_enum64 e64;
	struct core_m *m;
	struct core_amb___a *amb_a;
	struct core_amb___b *amb_b;
};

#endif /* SOPS_TEST_HOST_TYPES_H */
