/* SPDX-License-Identifier: MIT */
/*
 * st_autoload.bpf.c - libbpf's "?" program prefix on struct_ops programs,
 * in the style of the kernel's selftests (struct_ops_autocreate2.c,
 * struct_ops_module.c): every program starts with autoload off; foo and bar
 * implement test_1, testmod_1 binds bar, so load turns bar's autoload on;
 * test_3 is referenced by nothing and stays off; optional (a "?" map) binds
 * test_2 and loads it only when the map's autocreate is turned on; sleepy
 * ("?struct_ops.s") is typed like any struct_ops.s program.
 */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

int test_1_result;
int test_2_result;

SEC("?struct_ops/test_1")
int BPF_PROG(foo)
{
	test_1_result = 42;
	return 0;
}

SEC("?struct_ops/test_1")
int BPF_PROG(bar)
{
	test_1_result = 24;
	return 0;
}

SEC("?struct_ops/test_2")
void BPF_PROG(test_2, int a, int b)
{
	test_2_result = a + b;
}

SEC("?struct_ops/test_3")
int BPF_PROG(test_3, int a, int b)
{
	test_2_result = a + b + 3;
	return a + b + 3;
}

/* Sleepable, bare section name: the type still comes from what follows "?". */
SEC("?struct_ops.s")
int BPF_PROG(sleepy)
{
	return 1;
}

SEC(".struct_ops.link")
struct bpf_testmod_ops testmod_1 = {
	.test_1 = (void *)bar,
};

SEC("?.struct_ops.link")
struct bpf_testmod_ops optional = {
	.test_1 = (void *)bar,
	.test_2 = (void *)test_2,
	.data = 7,
};
