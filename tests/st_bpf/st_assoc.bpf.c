/* SPDX-License-Identifier: MIT */
/*
 * st_assoc.bpf.c - scenarios 1-4: two multi_st_ops maps (A returns 1234, B
 * 5678) and four syscall programs, two meant for each map, that reach "their"
 * map's test_1 through the module kfunc resolving the program's association.
 * (The kernel test pairs a syscall and a tp_btf program per map; userspace
 * has no tracepoints, so the second program of each pair is a syscall one too.)
 */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

int test_err_a;
int test_err_b;

SEC("struct_ops")
int BPF_PROG(test_1_a, struct st_ops_args *args)
{
	return MAP_A_MAGIC;
}

SEC("struct_ops")
int BPF_PROG(test_1_b, struct st_ops_args *args)
{
	return MAP_B_MAGIC;
}

static __always_inline int call_assoc(int expect, int *err)
{
	struct st_ops_args args = {};
	int ret = bpf_kfunc_multi_st_ops_test_1_assoc(&args, NULL);

	if (ret != expect)
		(*err)++;
	return ret;
}

SEC("syscall")
int syscall_prog_a(void *ctx)
{
	return call_assoc(MAP_A_MAGIC, &test_err_a);
}

SEC("syscall")
int syscall_prog_a2(void *ctx)
{
	return call_assoc(MAP_A_MAGIC, &test_err_a);
}

SEC("syscall")
int syscall_prog_b(void *ctx)
{
	return call_assoc(MAP_B_MAGIC, &test_err_b);
}

SEC("syscall")
int syscall_prog_b2(void *ctx)
{
	return call_assoc(MAP_B_MAGIC, &test_err_b);
}

SEC(".struct_ops.link")
struct bpf_testmod_multi_st_ops st_ops_map_a = {
	.test_1 = (void *)test_1_a,
};

SEC(".struct_ops.link")
struct bpf_testmod_multi_st_ops st_ops_map_b = {
	.test_1 = (void *)test_1_b,
};
