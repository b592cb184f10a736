/* SPDX-License-Identifier: MIT */
/*
 * st_sched_fail.bpf.c - sched_ops programs the verifier must refuse, one per
 * struct_ops map (all `?`: the test creates one at a time and checks the
 * message; tests/test_st_btf.c lists them).
 */
#include "st_common.h"

char _license[] SEC("license") = "GPL";

extern struct sched_task *sched_task_acquire(struct sched_task *p) __ksym;
extern void sched_task_release(struct sched_task *p) __ksym;
extern u64 sched_clock_sleepable(void) __ksym;

u64 sink;

SEC("struct_ops/enqueue")
void BPF_PROG(write_pid, struct sched_rq *rq, struct sched_task *p, u64 flags)
{
	p->pid = 1; /* only vruntime and cpu are writable */
}

SEC("struct_ops/enqueue")
void BPF_PROG(write_walked, struct sched_rq *rq, struct sched_task *p, u64 flags)
{
	p->next->vruntime = 1; /* through a pointer read from a field */
}

SEC("struct_ops/tick")
u64 BPF_PROG(read_beyond, struct sched_rq *rq)
{
	return *(u64 *)((char *)rq + 40);
}

SEC("struct_ops/select_cpu")
s32 BPF_PROG(var_off, struct sched_task *p, s32 prev_cpu, u64 wake_flags)
{
	return ((int *)p)[wake_flags & 3] & 7;
}

SEC("struct_ops/enqueue")
void BPF_PROG(arity, struct sched_rq *rq, struct sched_task *p, u64 flags, u64 extra)
{
	sink = extra; /* the member takes three arguments */
}

SEC("struct_ops/pick_next")
struct sched_task *BPF_PROG(kfunc_walked, struct sched_rq *rq, struct sched_task *prev)
{
	return sched_task_acquire(rq->curr);
}

SEC("struct_ops/stopping")
void BPF_PROG(kfunc_type, struct sched_rq *rq, struct sched_task *p)
{
	sched_task_release((struct sched_task *)rq);
	sched_task_release(p);
}

SEC("struct_ops/stopping")
void BPF_PROG(leak_ref, struct sched_rq *rq, struct sched_task *p)
{
	sink = p->pid;
}

SEC("struct_ops/select_cpu")
s32 BPF_PROG(retval, struct sched_task *p, s32 prev_cpu, u64 wake_flags)
{
	return 100;
}

SEC("struct_ops/pick_next")
struct sched_task *BPF_PROG(nullable, struct sched_rq *rq, struct sched_task *prev)
{
	sink = prev->pid;
	return NULL;
}

SEC("struct_ops/tick")
u64 BPF_PROG(sleepable_kfunc, struct sched_rq *rq)
{
	return sched_clock_sleepable();
}

SEC("struct_ops/enqueue")
void BPF_PROG(ptr_leak, struct sched_rq *rq, struct sched_task *p, u64 flags)
{
	sink = (u64)p;
}

SEC("struct_ops/pick_next")
struct sched_task *BPF_PROG(return_walked, struct sched_rq *rq, struct sched_task *prev)
{
	return rq->curr;
}

SEC("struct_ops/select_cpu")
s32 narrow_ptr(unsigned long long *ctx)
{
	return ((__u32 *)ctx)[0] & 31;
}

SEC("?.struct_ops.link") struct sched_ops fail_write_pid = { .enqueue = (void *)write_pid };
SEC("?.struct_ops.link") struct sched_ops fail_write_walked = { .enqueue = (void *)write_walked };
SEC("?.struct_ops.link") struct sched_ops fail_read_beyond = { .tick = (void *)read_beyond };
SEC("?.struct_ops.link") struct sched_ops fail_var_off = { .select_cpu = (void *)var_off };
SEC("?.struct_ops.link") struct sched_ops fail_arity = { .enqueue = (void *)arity };
SEC("?.struct_ops.link") struct sched_ops fail_kfunc_walked = { .pick_next = (void *)kfunc_walked };
SEC("?.struct_ops.link") struct sched_ops fail_kfunc_type = { .stopping = (void *)kfunc_type };
SEC("?.struct_ops.link") struct sched_ops fail_leak_ref = { .stopping = (void *)leak_ref };
SEC("?.struct_ops.link") struct sched_ops fail_retval = { .select_cpu = (void *)retval };
SEC("?.struct_ops.link") struct sched_ops fail_nullable = { .pick_next = (void *)nullable };
SEC("?.struct_ops.link") struct sched_ops fail_sleepable_kfunc = { .tick = (void *)sleepable_kfunc };
SEC("?.struct_ops.link") struct sched_ops fail_ptr_leak = { .enqueue = (void *)ptr_leak };
SEC("?.struct_ops.link") struct sched_ops fail_return_walked = { .pick_next = (void *)return_walked };
SEC("?.struct_ops.link") struct sched_ops fail_narrow_ptr = { .select_cpu = (void *)narrow_ptr };

/* For the is_valid_access hook (tests/test_st_btf.c st_btf_ctx_hook). */
SEC("struct_ops/select_cpu")
s32 BPF_PROG(reads_flags, struct sched_task *p, s32 prev_cpu, u64 wake_flags)
{
	return wake_flags & 1;
}

SEC("struct_ops/tick")
u64 BPF_PROG(reads_ext, struct sched_rq *rq)
{
	return ((struct sched_rq_ext *)rq)->load;
}

SEC("?.struct_ops.link") struct sched_ops hook_flags = { .select_cpu = (void *)reads_flags };
SEC("?.struct_ops.link") struct sched_ops hook_ext = { .tick = (void *)reads_ext };
