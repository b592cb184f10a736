/* SPDX-License-Identifier: MIT */
/*
 * st_module_flavors.bpf.c - scenarios 9-11: local views of bpf_testmod_ops.
 * Every map is optional (`?`): a test turns on the one it needs.
 *  testmod_v2: a ___v2 flavored type name (the flavor is cut at load);
 *  testmod_zeroed: members the module's type lacks (`zeroed`, `zeroed_op`),
 *    fine while zero/NULL, refused otherwise;
 *  testmod_incompatible: test_2 with another prototype (libbpf does not compare).
 */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

struct bpf_testmod_ops___v2 {
	int (*test_1)(void);
	void (*test_2)(int a, int b);
	int data;
};

struct bpf_testmod_ops___zeroed {
	int (*test_1)(void);
	void (*test_2)(int a, int b);
	int data;
	int zeroed;
	void (*zeroed_op)(int a);
};

struct bpf_testmod_ops___incompatible {
	int (*test_1)(void);
	int (*test_2)(int *a);
	int data;
};

int test_1_result;
int test_2_result;

SEC("struct_ops/test_1")
int BPF_PROG(test_1)
{
	test_1_result = 0xdeadbeef;
	return 0;
}

SEC("struct_ops/test_2")
void BPF_PROG(test_2, int a, int b)
{
	test_2_result = a + b;
}

SEC("struct_ops/test_2")
int BPF_PROG(test_2_incompat, int *a)
{
	test_2_result = 77;
	return 0;
}

/* For the zeroed_op slot; referenced by no map unless a test binds it. */
SEC("struct_ops/zeroed_op")
void BPF_PROG(zeroed_op_impl, int a)
{
}

SEC("?.struct_ops.link")
struct bpf_testmod_ops___v2 testmod_v2 = {
	.test_1 = (void *)test_1,
	.test_2 = (void *)test_2,
	.data = 1,
};

SEC("?.struct_ops.link")
struct bpf_testmod_ops___zeroed testmod_zeroed = {
	.test_1 = (void *)test_1,
	.data = 2,
};

SEC("?.struct_ops.link")
struct bpf_testmod_ops___incompatible testmod_incompatible = {
	.test_1 = (void *)test_1,
	.test_2 = (void *)test_2_incompat,
	.data = 3,
};
