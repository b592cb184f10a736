/* SPDX-License-Identifier: MIT */
/*
 * st_sched.bpf.c - a scheduler-shaped policy for the host's sched_ops
 * (tests/test_st_btf.c): it reads tasks and run queues through its
 * arguments, writes a task's vruntime and cpu (the fields the host's
 * btf_struct_access allows), walks pointers the host may leave stale
 * (rq->curr->group->parent), checks a __nullable previous task, releases
 * the __ref task it is handed, and returns a referenced task from pick_next.
 * Every program must verify: the test runs them on every engine.
 */
#include "st_common.h"

char _license[] SEC("license") = "GPL";

extern struct sched_task *sched_task_acquire(struct sched_task *p) __ksym;
extern void sched_task_release(struct sched_task *p) __ksym;
extern s32 sched_pick_idle_cpu(struct sched_rq *rq) __ksym;

u64 enqueued;
u64 last_shares;
int stopped_pid;

SEC("struct_ops/select_cpu")
s32 BPF_PROG(pol_select_cpu, struct sched_task *p, s32 prev_cpu, u64 wake_flags)
{
	/* Heavy tasks stay where they were; the rest go to cpu weight % 8. */
	if (p->weight >= 1024 && prev_cpu >= 0 && prev_cpu <= 63)
		return prev_cpu;
	if (wake_flags & 1)
		return -1;
	return p->weight & 7;
}

SEC("struct_ops/enqueue")
void BPF_PROG(pol_enqueue, struct sched_rq *rq, struct sched_task *p, u64 flags)
{
	u64 w = p->weight ? p->weight : 1;

	p->vruntime += (1024 * 10) / w;
	p->cpu = rq->cpu;
	enqueued += 1 + rq->nr_running;
}

SEC("struct_ops/pick_next")
struct sched_task *BPF_PROG(pol_pick_next, struct sched_rq *rq, struct sched_task *prev)
{
	if (!prev || prev->weight < 100)
		return NULL;
	return sched_task_acquire(prev);
}

SEC("struct_ops/stopping")
void BPF_PROG(pol_stopping, struct sched_rq *rq, struct sched_task *p)
{
	stopped_pid = p->pid;
	if (sched_pick_idle_cpu(rq) < 0)
		p->cpu = -1;
	sched_task_release(p);
}

SEC("struct_ops/tick")
u64 BPF_PROG(pol_tick, struct sched_rq *rq)
{
	struct sched_task *curr = rq->curr;
	struct sched_group *g, *parent;
	u64 shares;

	/* Walked pointers: the host may leave any of them stale; a bad one reads 0. */
	g = curr->group;
	parent = g->parent;
	shares = (u64)g->shares + parent->shares + curr->next->weight;
	last_shares = shares;
	return shares + rq->clock;
}

SEC(".struct_ops.link")
struct sched_ops pol = {
	.select_cpu = (void *)pol_select_cpu,
	.enqueue = (void *)pol_enqueue,
	.pick_next = (void *)pol_pick_next,
	.stopping = (void *)pol_stopping,
	.tick = (void *)pol_tick,
	.name = "pol",
};
