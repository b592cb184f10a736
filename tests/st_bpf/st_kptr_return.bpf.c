/* SPDX-License-Identifier: MIT */
/*
 * st_kptr_return.bpf.c - scenario 44: the __ref argument returned by an op
 * that returns a struct pointer loads (kptr_return); the `?`-sectioned
 * variants each must fail: a kptr of another type, a non-zero scalar, a kptr
 * with a non-zero offset. The test enables one map at a time.
 */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/test_return_ref_kptr")
struct task_struct *BPF_PROG(kptr_return, int dummy, struct task_struct *task, struct cgroup *cgrp)
{
	return task;
}

SEC("struct_ops/test_return_ref_kptr")
struct task_struct *BPF_PROG(kptr_return_fail_wrong_type, int dummy, struct task_struct *task,
			     struct cgroup *cgrp)
{
	struct cgroup *c = bpf_cgroup_acquire(cgrp);

	bpf_task_release(task);
	return (struct task_struct *)c;
}

SEC("struct_ops/test_return_ref_kptr")
struct task_struct *BPF_PROG(kptr_return_fail_scalar, int dummy, struct task_struct *task,
			     struct cgroup *cgrp)
{
	bpf_task_release(task);
	return (struct task_struct *)1;
}

SEC("struct_ops/test_return_ref_kptr")
struct task_struct *BPF_PROG(kptr_return_fail_offset, int dummy, struct task_struct *task,
			     struct cgroup *cgrp)
{
	return (struct task_struct *)((char *)task + 4);
}

SEC("?.struct_ops.link")
struct bpf_testmod_ops ok = { .test_return_ref_kptr = (void *)kptr_return };
SEC("?.struct_ops.link")
struct bpf_testmod_ops fail_wrong_type = { .test_return_ref_kptr = (void *)kptr_return_fail_wrong_type };
SEC("?.struct_ops.link")
struct bpf_testmod_ops fail_scalar = { .test_return_ref_kptr = (void *)kptr_return_fail_scalar };
SEC("?.struct_ops.link")
struct bpf_testmod_ops fail_offset = { .test_return_ref_kptr = (void *)kptr_return_fail_offset };
