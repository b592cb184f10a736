/* SPDX-License-Identifier: MIT */
/* st_dummy_fail_kfunc.bpf.c - scenario 30: a non-sleepable program calling a sleepable kfunc. */
#include "st_common.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/test_1")
int BPF_PROG(test_1_calls_sleepable, struct bpf_dummy_ops_state *state)
{
	return bpf_dummy_sleepable_kfunc(1);
}

SEC(".struct_ops")
struct bpf_dummy_ops dummy_kfunc = {
	.test_1 = (void *)test_1_calls_sleepable,
};
