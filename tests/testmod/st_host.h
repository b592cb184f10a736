/* SPDX-License-Identifier: MIT */
/*
 * st_host.h - the types of the scenario tests' host application, the role
 * vmlinux plays for the kernel's selftests (docs/struct_ops-scenarios.md).
 *
 * Two built-in struct_ops subsystems live in the host:
 *  - tcp_congestion_ops: a subsystem of the same shape as the kernel's TCP
 *    congestion control (a registry of algorithms by name, validate, update,
 *    init_member for name/flags, check_member, a per-member helper rule),
 *    driven by a simulated socket (struct sock) instead of real traffic;
 *  - bpf_dummy_ops: the test-run subsystem (reg always fails; programs are
 *    exercised through PROG_TEST_RUN).
 * and the object types module ops take as arguments (task_struct, cgroup).
 *
 * tests/tests.mk makes the host BTF from st_host.c (cc -g, pahole); the BPF
 * test programs see these types through `structops btf dump --format c`.
 */
#ifndef SOPS_TEST_ST_HOST_H
#define SOPS_TEST_ST_HOST_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;
typedef int32_t s32;

/* The common header of every struct_ops value (the kernel's layout). */
enum bpf_struct_ops_state {
	BPF_STRUCT_OPS_STATE_INIT,
	BPF_STRUCT_OPS_STATE_INUSE,
	BPF_STRUCT_OPS_STATE_TOBEFREE,
	BPF_STRUCT_OPS_STATE_READY,
};
struct bpf_struct_ops_common_value {
	int refcnt;
	enum bpf_struct_ops_state state;
};

/* Objects passed to ops (module ops use them too): reference counted. */
struct task_struct {
	int pid;
	int refs;
	u64 cookie;
};
struct cgroup {
	int level;
	int refs;
};

/* --- the congestion-control-shaped subsystem --- */

#define TCP_CA_NAME_MAX 16

struct sock {
	u32 snd_cwnd;
	u32 snd_ssthresh;
	u32 ca_state;
	u32 opt_value; /* written by the bpf_setsockopt analogue */
	u64 acked_total;
	u64 ca_priv[8];
	const struct tcp_congestion_ops *ca_ops;
};

struct tcp_congestion_ops {
	u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, u32 ack, u32 acked);
	void (*set_state)(struct sock *sk, u8 new_state);
	void (*cwnd_event)(struct sock *sk, int ev);
	void (*in_ack_event)(struct sock *sk, u32 flags);
	u32 (*min_tso_segs)(struct sock *sk);
	void (*cong_control)(struct sock *sk, u32 ack, int flag);
	u32 (*undo_cwnd)(struct sock *sk);
	u32 (*sndbuf_expand)(struct sock *sk);
	size_t (*get_info)(struct sock *sk, u32 ext, int *attr, void *info); /* not for BPF */
	void (*init)(struct sock *sk);
	void (*release)(struct sock *sk);
	u32 key;
	u32 flags;
	char name[TCP_CA_NAME_MAX];
};

struct bpf_struct_ops_tcp_congestion_ops {
	struct bpf_struct_ops_common_value common;
	struct tcp_congestion_ops data __attribute__((aligned(64)));
};

/* setsockopt analogue: option numbers of the host helper (id 49, bpf_setsockopt). */
#define ST_SOL_TCP 6
#define ST_TCP_CWND_CLAMP 100

/* --- the test-run subsystem --- */

struct bpf_dummy_ops_state {
	int val;
};

struct bpf_dummy_ops {
	int (*test_1)(struct bpf_dummy_ops_state *cb);
	int (*test_2)(struct bpf_dummy_ops_state *cb, int a1, unsigned short a2, char a3,
		      unsigned long a4);
	int (*test_sleepable)(struct bpf_dummy_ops_state *cb);
};

struct bpf_struct_ops_bpf_dummy_ops {
	struct bpf_struct_ops_common_value common;
	struct bpf_dummy_ops data __attribute__((aligned(64)));
};

/*
 * --- a scheduler-shaped subsystem (sched_ext in miniature) ---
 * Programs read tasks and run queues through their arguments, write only
 * vruntime and cpu of a task, walk pointers (rq->curr->group->parent) that
 * the host may leave stale, get a __nullable previous task, must release a
 * __ref task and may return a referenced task.
 */
struct sched_group {
	int id;
	int shares;
	struct sched_group *parent;
	signed char nice; /* narrow and signed fields: every probe load width */
	u8 bits;
	short prio;
	u16 mask;
};

struct sched_task {
	int pid;
	int weight;
	u64 vruntime;
	int refs;
	int cpu;
	struct sched_task *next;
	struct sched_group *group;
};

struct sched_rq {
	int cpu;
	int nr_running;
	u64 clock;
	struct sched_task *curr;
	struct sched_task *queue;
};

/* What a host may really pass for a run queue: retyped by its is_valid_access hook (mode 2). */
struct sched_rq_ext {
	struct sched_rq rq;
	u64 load;
};

#define SCHED_NAME_MAX 16
#define SCHED_MAX_CPU 63

struct sched_ops {
	s32 (*select_cpu)(struct sched_task *p, s32 prev_cpu, u64 wake_flags); /* in [-1, 63] */
	void (*enqueue)(struct sched_rq *rq, struct sched_task *p, u64 flags);
	struct sched_task *(*pick_next)(struct sched_rq *rq, struct sched_task *prev); /* prev nullable */
	void (*stopping)(struct sched_rq *rq, struct sched_task *p); /* p: a reference to release */
	u64 (*tick)(struct sched_rq *rq);
	char name[SCHED_NAME_MAX];
};

struct bpf_struct_ops_sched_ops {
	struct bpf_struct_ops_common_value common;
	struct sched_ops data __attribute__((aligned(64)));
};

/* Host kfuncs (FUNCs in the host BTF; st_host.c registers them). */
struct sched_task *sched_task_acquire(struct sched_task *p);
void sched_task_release(struct sched_task *p);
s32 sched_pick_idle_cpu(struct sched_rq *rq);
u64 sched_clock_sleepable(void);
struct task_struct *bpf_task_acquire(struct task_struct *p);
void bpf_task_release(struct task_struct *p);
struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp);
void bpf_cgroup_release(struct cgroup *cgrp);
int bpf_dummy_sleepable_kfunc(int x);
u32 tcp_reno_ssthresh(struct sock *sk);
u32 tcp_reno_undo_cwnd(struct sock *sk);
void tcp_reno_cong_avoid(struct sock *sk, u32 ack, u32 acked);

#endif /* SOPS_TEST_ST_HOST_H */
