/* SPDX-License-Identifier: MIT */
/* st_maybe_null.bpf.c - scenario 21: a __nullable argument read after a NULL check. */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

int pid_seen;

SEC("struct_ops/test_maybe_null")
int BPF_PROG(test_maybe_null, int dummy, struct task_struct *task)
{
	if (task)
		pid_seen = task->pid;
	return 0;
}

SEC(".struct_ops.link")
struct bpf_testmod_ops testmod_1 = {
	.test_maybe_null = (void *)test_maybe_null,
};
