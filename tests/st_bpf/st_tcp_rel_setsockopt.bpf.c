/* SPDX-License-Identifier: MIT */
/* st_tcp_rel_setsockopt.bpf.c - scenario 32: bpf_setsockopt in `release` (refused there). */
#include "st_common.h"
#include "st_tcp_common.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
void BPF_PROG(st_release, struct sock *sk)
{
	int v = 5;

	bpf_setsockopt(sk, 6, 100, &v, sizeof(v));
}

SEC(".struct_ops")
struct tcp_congestion_ops tcp_rel_setsockopt = {
	.ssthresh = (void *)st_ssthresh,
	.undo_cwnd = (void *)st_undo_cwnd,
	.cong_avoid = (void *)st_cong_avoid,
	.release = (void *)st_release,
	.name = "tcp_rel_sso",
};
