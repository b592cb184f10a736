/* SPDX-License-Identifier: MIT */
/* st_refcounted_fail_leak.bpf.c - scenario 43: a __ref argument neither released nor returned. */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/test_refcounted")
int BPF_PROG(refcounted_leak, int dummy, struct task_struct *task)
{
	return 0;
}

SEC(".struct_ops.link")
struct bpf_testmod_ops testmod_ref_leak = {
	.test_refcounted = (void *)refcounted_leak,
};
