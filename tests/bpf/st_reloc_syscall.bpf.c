/* SPDX-License-Identifier: MIT */
/*
 * st_reloc_syscall.bpf.c - a struct_ops map whose op_a slot names a
 * SEC("syscall") program: open fails in libbpf's words ("struct_ops reloc
 * ops_bad: prog not_an_op is not struct_ops BPF program"), -EINVAL.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include "host.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("syscall")
int not_an_op(void *ctx)
{
	return 0;
}

SEC(".struct_ops")
struct sops_test_ops ops_bad = {
	.op_a = (void *)not_an_op,
};
