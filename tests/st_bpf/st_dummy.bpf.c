/* SPDX-License-Identifier: MIT */
/*
 * st_dummy.bpf.c - scenarios 23-28: bpf_dummy_ops (host type; reg always
 * fails) exercised through PROG_TEST_RUN. test_1's state is __nullable.
 */
#include "st_common.h"

char _license[] SEC("license") = "GPL";

__u64 test_2_args[5];

SEC("struct_ops/test_1")
int BPF_PROG(test_1, struct bpf_dummy_ops_state *state)
{
	int ret;

	if (!state)
		return 0xf2f3f4f5;
	ret = state->val;
	state->val = 0x5a;
	return ret;
}

SEC("struct_ops/test_2")
int BPF_PROG(test_2, struct bpf_dummy_ops_state *state, int a1, unsigned short a2, char a3,
	     unsigned long a4)
{
	/*
	 * The kernel's selftest stores the pointer itself (allowed there for
	 * privileged loaders); structops never lets a pointer into a map.
	 */
	test_2_args[0] = state->val;
	test_2_args[1] = a1;
	test_2_args[2] = a2;
	test_2_args[3] = a3;
	test_2_args[4] = a4;
	return 0;
}

SEC("struct_ops.s/test_sleepable")
int BPF_PROG(test_sleepable, struct bpf_dummy_ops_state *state)
{
	return state->val;
}

SEC(".struct_ops")
struct bpf_dummy_ops dummy_1 = {
	.test_1 = (void *)test_1,
	.test_2 = (void *)test_2,
	.test_sleepable = (void *)test_sleepable,
};
