/* SPDX-License-Identifier: MIT */
/*
 * st_tcp_direct.bpf.c - congestion control in the kernel's style: it reads
 * and writes the socket's fields itself (the window, the threshold, its
 * private area: what the host's btf_struct_access allows) instead of
 * calling the host's Reno, and reads the ops table the socket points to (a
 * walked pointer). tests/test_st_btf.c runs it on every engine against the
 * same algorithm in C.
 */
#include "st_common.h"

char _license[] SEC("license") = "GPL";

u32 seen_key;

SEC("struct_ops")
void BPF_PROG(direct_init, struct sock *sk)
{
	sk->snd_ssthresh = 20;
	sk->ca_priv[0] = 0; /* acks counted towards the next increase */
	sk->ca_priv[1] = sk->snd_cwnd; /* the window to undo to */
}

SEC("struct_ops")
void BPF_PROG(direct_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	if (sk->snd_cwnd < sk->snd_ssthresh) {
		sk->snd_cwnd += acked; /* slow start */
		return;
	}
	sk->ca_priv[0] += acked; /* additive increase: one per window of acks */
	if (sk->ca_priv[0] >= sk->snd_cwnd) {
		sk->ca_priv[0] = 0;
		sk->snd_cwnd++;
	}
	seen_key = sk->ca_ops->key;
}

SEC("struct_ops")
__u32 BPF_PROG(direct_ssthresh, struct sock *sk)
{
	__u32 half = sk->snd_cwnd >> 1;

	return half > 2 ? half : 2;
}

SEC("struct_ops")
__u32 BPF_PROG(direct_undo_cwnd, struct sock *sk)
{
	__u32 prev = (__u32)sk->ca_priv[1];

	return sk->snd_cwnd > prev ? sk->snd_cwnd : prev;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops st_direct = {
	.init = (void *)direct_init,
	.cong_avoid = (void *)direct_cong_avoid,
	.ssthresh = (void *)direct_ssthresh,
	.undo_cwnd = (void *)direct_undo_cwnd,
	.name = "st_direct",
};
