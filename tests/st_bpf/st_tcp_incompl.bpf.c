/* SPDX-License-Identifier: MIT */
/* st_tcp_incompl.bpf.c - scenario 33: neither cong_avoid nor cong_control (validate refuses). */
#define ST_TCP_NO_CONG_AVOID
#include "st_common.h"
#include "st_tcp_common.h"

char _license[] SEC("license") = "GPL";

SEC(".struct_ops")
struct tcp_congestion_ops tcp_incompl = {
	.ssthresh = (void *)st_ssthresh,
	.undo_cwnd = (void *)st_undo_cwnd,
	.name = "tcp_incompl",
};
