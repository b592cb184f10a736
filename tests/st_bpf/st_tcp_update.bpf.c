/* SPDX-License-Identifier: MIT */
/*
 * st_tcp_update.bpf.c - scenarios 35-39: link update between algorithms of
 * one name (ca_update_1 -> ca_update_2), to another name (ca_wrong), to a
 * non-link map (ca_no_link), repeated attach of one link map, BPF_F_REPLACE.
 * Each init counts the connections it saw.
 */
#include "st_common.h"
#include "st_tcp_common.h"

char _license[] SEC("license") = "GPL";

int ca1_cnt;
int ca2_cnt;
int ca_wrong_cnt;
int ca_no_link_cnt;

SEC("struct_ops")
void BPF_PROG(ca_update_1_init, struct sock *sk)
{
	ca1_cnt++;
}

SEC("struct_ops")
void BPF_PROG(ca_update_2_init, struct sock *sk)
{
	ca2_cnt++;
}

SEC("struct_ops")
void BPF_PROG(ca_wrong_init, struct sock *sk)
{
	ca_wrong_cnt++;
}

SEC("struct_ops")
void BPF_PROG(ca_no_link_init, struct sock *sk)
{
	ca_no_link_cnt++;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops ca_update_1 = {
	.init = (void *)ca_update_1_init,
	.ssthresh = (void *)st_ssthresh,
	.undo_cwnd = (void *)st_undo_cwnd,
	.cong_avoid = (void *)st_cong_avoid,
	.name = "tcp_ca_update",
};

SEC(".struct_ops.link")
struct tcp_congestion_ops ca_update_2 = {
	.init = (void *)ca_update_2_init,
	.ssthresh = (void *)st_ssthresh,
	.undo_cwnd = (void *)st_undo_cwnd,
	.cong_avoid = (void *)st_cong_avoid,
	.name = "tcp_ca_update",
};

SEC(".struct_ops.link")
struct tcp_congestion_ops ca_wrong = {
	.init = (void *)ca_wrong_init,
	.ssthresh = (void *)st_ssthresh,
	.undo_cwnd = (void *)st_undo_cwnd,
	.cong_avoid = (void *)st_cong_avoid,
	.name = "tcp_ca_wrong",
};

SEC(".struct_ops")
struct tcp_congestion_ops ca_no_link = {
	.init = (void *)ca_no_link_init,
	.ssthresh = (void *)st_ssthresh,
	.undo_cwnd = (void *)st_undo_cwnd,
	.cong_avoid = (void *)st_cong_avoid,
	.name = "tcp_ca_no_link",
};
