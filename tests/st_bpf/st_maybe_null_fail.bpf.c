/* SPDX-License-Identifier: MIT */
/* st_maybe_null_fail.bpf.c - scenario 22 (intent): a __nullable argument dereferenced unchecked. */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

int pid_seen;

SEC("struct_ops/test_maybe_null")
int BPF_PROG(test_maybe_null_bad, int dummy, struct task_struct *task)
{
	pid_seen = task->pid;
	return 0;
}

SEC(".struct_ops.link")
struct bpf_testmod_ops testmod_1 = {
	.test_maybe_null = (void *)test_maybe_null_bad,
};
