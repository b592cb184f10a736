/* SPDX-License-Identifier: MIT */
/* st_refcounted.bpf.c - scenario 43: a __ref argument released: loads. */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/test_refcounted")
int BPF_PROG(refcounted, int dummy, struct task_struct *task)
{
	bpf_task_release(task);
	return 0;
}

SEC(".struct_ops.link")
struct bpf_testmod_ops testmod_ref = {
	.test_refcounted = (void *)refcounted,
};
