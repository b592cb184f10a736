/* SPDX-License-Identifier: MIT */
/* st_bad_reuse.bpf.c - scenario 20: one program bound in maps of two different struct types. */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/test_1")
int BPF_PROG(test_1)
{
	return 0;
}

SEC(".struct_ops.link")
struct bpf_testmod_ops testmod_1 = {
	.test_1 = (void *)test_1,
};

SEC(".struct_ops.link")
struct bpf_testmod_ops2 testmod_2 = {
	.test_1 = (void *)test_1,
};
