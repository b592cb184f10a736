/* SPDX-License-Identifier: MIT */
/*
 * st_module.bpf.c - scenarios 8, 12-15, 17 and the code-derived ones: a
 * bpf_testmod_ops map whose reg runs test_1 then test_2(4, data). test_3 is
 * referenced by no map: as is, load fails ("isn't referenced anywhere");
 * tests edit the shadow value (test_2 slot := test_3, data := 13) first.
 */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

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

SEC("struct_ops/test_3")
int BPF_PROG(test_3, int a, int b)
{
	test_2_result = a + b + 3;
	return a + b + 3;
}

SEC(".struct_ops.link")
struct bpf_testmod_ops testmod_1 = {
	.test_1 = (void *)test_1,
	.test_2 = (void *)test_2,
	.data = 0x1,
};

/* A non-link map of the same type, for the registration-by-update paths. */
SEC("?.struct_ops")
struct bpf_testmod_ops testmod_nolink = {
	.test_1 = (void *)test_1,
	.data = 0x2,
};
