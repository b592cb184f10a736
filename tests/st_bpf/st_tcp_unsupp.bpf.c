/* SPDX-License-Identifier: MIT */
/* st_tcp_unsupp.bpf.c - scenario 34: a program for get_info, which has no cfi stub. */
#include "st_common.h"
#include "st_tcp_common.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
size_t BPF_PROG(st_get_info, struct sock *sk, __u32 ext, int *attr, void *info)
{
	return 0;
}

SEC(".struct_ops")
struct tcp_congestion_ops tcp_unsupp = {
	.ssthresh = (void *)st_ssthresh,
	.undo_cwnd = (void *)st_undo_cwnd,
	.cong_avoid = (void *)st_cong_avoid,
	.get_info = (void *)st_get_info,
	.name = "tcp_unsupp",
};
