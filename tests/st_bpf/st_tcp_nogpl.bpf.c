/* SPDX-License-Identifier: MIT */
/* st_tcp_nogpl.bpf.c - scenario 31: a struct_ops program without a GPL-compatible license. */
#include "st_common.h"
#include "st_tcp_common.h"

char _license[] SEC("license") = "X";

SEC(".struct_ops")
struct tcp_congestion_ops tcp_nogpl = {
	.ssthresh = (void *)st_ssthresh,
	.undo_cwnd = (void *)st_undo_cwnd,
	.cong_avoid = (void *)st_cong_avoid,
	.name = "tcp_nogpl",
};
