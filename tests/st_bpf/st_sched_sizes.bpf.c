/* SPDX-License-Identifier: MIT */
/*
 * st_sched_sizes.bpf.c - probe loads of every width, signed and unsigned,
 * through a walked pointer (rq->curr->group); built for cpu v4, whose
 * sign-extending loads the verifier turns into sign-extending probe loads.
 */
#include "st_common.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops/tick")
u64 BPF_PROG(sizes_tick, struct sched_rq *rq)
{
	struct sched_group *g = rq->curr->group;

	return (__s64)g->nice + (__s64)g->prio + g->bits + g->mask + (__s64)g->shares + g->id;
}

SEC(".struct_ops.link")
struct sched_ops sizes = { .tick = (void *)sizes_tick };
