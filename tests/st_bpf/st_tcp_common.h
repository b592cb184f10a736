/* SPDX-License-Identifier: MIT */
/* st_tcp_common.h - a minimal Reno written for the congestion-control-shaped test subsystem. */
#ifndef ST_TCP_COMMON_H
#define ST_TCP_COMMON_H

SEC("struct_ops")
__u32 BPF_PROG(st_ssthresh, struct sock *sk)
{
	return tcp_reno_ssthresh(sk);
}

SEC("struct_ops")
__u32 BPF_PROG(st_undo_cwnd, struct sock *sk)
{
	return tcp_reno_undo_cwnd(sk);
}

#ifndef ST_TCP_NO_CONG_AVOID
SEC("struct_ops")
void BPF_PROG(st_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	tcp_reno_cong_avoid(sk, ack, acked);
}
#endif

#endif
