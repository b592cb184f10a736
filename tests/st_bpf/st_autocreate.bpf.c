/* SPDX-License-Identifier: MIT */
/*
 * st_autocreate.bpf.c - scenarios 18 and 19: testmod_1's local type has a
 * member the module's type lacks, with a program bound to it (load fails
 * ENOTSUP, "struct_ops init_kern"); with that map's autocreate and the
 * program's autoload off, testmod_2 loads and attaches (test_1 sets 42).
 */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

struct bpf_testmod_ops___wrong {
	int (*test_1)(void);
	void (*test_2)(int a, int b);
	int (*wrong_op)(void);
	int data;
};

int test_1_result;

SEC("struct_ops/test_1")
int BPF_PROG(test_1)
{
	test_1_result = 42;
	return 0;
}

SEC("struct_ops/wrong_op")
int BPF_PROG(wrong_op)
{
	return 0;
}

SEC(".struct_ops.link")
struct bpf_testmod_ops___wrong testmod_1 = {
	.test_1 = (void *)test_1,
	.wrong_op = (void *)wrong_op,
};

SEC(".struct_ops.link")
struct bpf_testmod_ops testmod_2 = {
	.test_1 = (void *)test_1,
};
