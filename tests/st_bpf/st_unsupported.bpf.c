/* SPDX-License-Identifier: MIT */
/* st_unsupported.bpf.c - scenario 16: a program for a member whose cfi stub is NULL. */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/unsupported_ops")
void BPF_PROG(unsupported_ops)
{
}

SEC(".struct_ops.link")
struct bpf_testmod_ops testmod = {
	.unsupported_ops = (void *)unsupported_ops,
};
