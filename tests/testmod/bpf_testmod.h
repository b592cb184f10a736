/* SPDX-License-Identifier: MIT */
/*
 * bpf_testmod.h - the test module's types (tests/testmod/bpf_testmod.c), in
 * the role of the kernel's bpf_testmod: three struct_ops types registered by
 * a shared object the runtime loads, and the kfuncs that go with them.
 *
 *  bpf_testmod_ops: reg calls test_1() then test_2(4, data); init_member
 *    copies `data`; unsupported_ops has a NULL cfi stub; a __nullable and a
 *    __ref argument; a kptr-returning op; tramp_1..tramp_40 so that a map
 *    with a program in every slot needs many thunks. No update, no validate.
 *  bpf_testmod_ops2: one op; a different struct type for the reuse and
 *    link-update checks.
 *  bpf_testmod_multi_st_ops: reg requires test_1 and registers the map under
 *    its id (EEXIST for an id already registered); the kfunc
 *    bpf_kfunc_multi_st_ops_test_1_assoc() calls test_1 of the map the
 *    calling program is associated with, -1 when there is none.
 *
 * The test reaches the module's counters through dlsym (bpf_testmod_stats()).
 */
#ifndef SOPS_TEST_BPF_TESTMOD_H
#define SOPS_TEST_BPF_TESTMOD_H

#include "st_host.h"

struct st_ops_args {
	int a;
	int b;
};

#define BPF_TESTMOD_TRAMP(n) int (*tramp_##n)(int v);

struct bpf_testmod_ops {
	int (*test_1)(void);
	void (*test_2)(int a, int b);
	int (*test_maybe_null)(int dummy, struct task_struct *task);
	void (*unsupported_ops)(void);
	int (*test_refcounted)(int dummy, struct task_struct *task);
	struct task_struct *(*test_return_ref_kptr)(int dummy, struct task_struct *task,
						    struct cgroup *cgrp);
	int data; /* followed by 4 bytes of padding: the zero-hole check sees them */
	BPF_TESTMOD_TRAMP(1) BPF_TESTMOD_TRAMP(2) BPF_TESTMOD_TRAMP(3) BPF_TESTMOD_TRAMP(4)
	BPF_TESTMOD_TRAMP(5) BPF_TESTMOD_TRAMP(6) BPF_TESTMOD_TRAMP(7) BPF_TESTMOD_TRAMP(8)
	BPF_TESTMOD_TRAMP(9) BPF_TESTMOD_TRAMP(10) BPF_TESTMOD_TRAMP(11) BPF_TESTMOD_TRAMP(12)
	BPF_TESTMOD_TRAMP(13) BPF_TESTMOD_TRAMP(14) BPF_TESTMOD_TRAMP(15) BPF_TESTMOD_TRAMP(16)
	BPF_TESTMOD_TRAMP(17) BPF_TESTMOD_TRAMP(18) BPF_TESTMOD_TRAMP(19) BPF_TESTMOD_TRAMP(20)
	BPF_TESTMOD_TRAMP(21) BPF_TESTMOD_TRAMP(22) BPF_TESTMOD_TRAMP(23) BPF_TESTMOD_TRAMP(24)
	BPF_TESTMOD_TRAMP(25) BPF_TESTMOD_TRAMP(26) BPF_TESTMOD_TRAMP(27) BPF_TESTMOD_TRAMP(28)
	BPF_TESTMOD_TRAMP(29) BPF_TESTMOD_TRAMP(30) BPF_TESTMOD_TRAMP(31) BPF_TESTMOD_TRAMP(32)
	BPF_TESTMOD_TRAMP(33) BPF_TESTMOD_TRAMP(34) BPF_TESTMOD_TRAMP(35) BPF_TESTMOD_TRAMP(36)
	BPF_TESTMOD_TRAMP(37) BPF_TESTMOD_TRAMP(38) BPF_TESTMOD_TRAMP(39) BPF_TESTMOD_TRAMP(40)
};
#define BPF_TESTMOD_TRAMP_CNT 40

struct bpf_testmod_ops2 {
	int (*test_1)(void);
};

struct bpf_testmod_multi_st_ops {
	int (*test_1)(struct st_ops_args *args);
};

/* Module-side counters, for the test (dlsym "bpf_testmod_stats"). */
struct bpf_testmod_stats {
	long reg_cnt;       /* successful reg of any type */
	long unreg_cnt;
	long test_1_calls;  /* test_1 calls made by reg */
	int last_test_1;    /* what test_1 returned in the last reg */
	int last_data;      /* data passed to test_2 in the last reg */
	long invokes;       /* ops calls made by the invoker thread */
	long multi_registered; /* multi_st_ops maps registered now */
};
typedef void (*bpf_testmod_stats_fn)(struct bpf_testmod_stats *out);
/* Start/stop a thread that calls test_1 of every registered bpf_testmod_ops in a loop. */
typedef int (*bpf_testmod_invoker_fn)(int start);
/* Call tramp_1..tramp_40 of every registered bpf_testmod_ops; the sum of what they return. */
typedef long (*bpf_testmod_call_tramps_fn)(int v);

#endif /* SOPS_TEST_BPF_TESTMOD_H */
