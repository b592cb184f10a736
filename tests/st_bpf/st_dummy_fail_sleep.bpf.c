/* SPDX-License-Identifier: MIT */
/* st_dummy_fail_sleep.bpf.c - scenario 29: a sleepable program on test_2 (check_member refuses). */
#include "st_common.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops.s/test_2")
int BPF_PROG(test_2_sleepable, struct bpf_dummy_ops_state *state, int a1, unsigned short a2,
	     char a3, unsigned long a4)
{
	return 0;
}

SEC(".struct_ops")
struct bpf_dummy_ops dummy_sleep = {
	.test_2 = (void *)test_2_sleepable,
};
