/* SPDX-License-Identifier: MIT */
/*
 * st_assoc_reuse.bpf.c - scenario 5: one struct_ops program in two maps, so
 * its association is poisoned: the kfunc it calls finds no map (-1). Syscall
 * programs associated explicitly with either map still reach test_1 (1234).
 */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

int test_err;
int inner_calls;

SEC("struct_ops")
int BPF_PROG(test_1_reuse, struct st_ops_args *args)
{
	/* a == 1: called by a syscall program through the kfunc; look ourselves up. */
	if (args && args->a == 1) {
		struct st_ops_args inner = { .a = 2 };

		inner_calls++;
		if (bpf_kfunc_multi_st_ops_test_1_assoc(&inner, NULL) != -1)
			test_err++;
	}
	return MAP_A_MAGIC;
}

static __always_inline int call_assoc(void)
{
	struct st_ops_args args = { .a = 1 };
	int ret = bpf_kfunc_multi_st_ops_test_1_assoc(&args, NULL);

	if (ret != MAP_A_MAGIC)
		test_err++;
	return ret;
}

SEC("syscall")
int syscall_prog_a(void *ctx)
{
	return call_assoc();
}

SEC("syscall")
int syscall_prog_b(void *ctx)
{
	return call_assoc();
}

SEC(".struct_ops.link")
struct bpf_testmod_multi_st_ops st_ops_map_a = {
	.test_1 = (void *)test_1_reuse,
};

SEC(".struct_ops.link")
struct bpf_testmod_multi_st_ops st_ops_map_b = {
	.test_1 = (void *)test_1_reuse,
};
