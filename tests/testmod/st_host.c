/* SPDX-License-Identifier: MIT */
/*
 * st_host.c - the scenario tests' host application (the role of vmlinux):
 * two built-in struct_ops subsystems and the host kfuncs and helper their
 * programs use. Linked into the unit test binary; compiled once more with -g
 * for pahole, which makes the host BTF the runtime and the BPF programs see.
 *
 * tcp_congestion_ops: algorithms registered by name (reg: EEXIST for a name
 * in use), switched by link update only to an algorithm of the same name
 * (update: EINVAL otherwise), validated statically (ssthresh, undo_cwnd and
 * one of cong_avoid/cong_control required), name and flags copied by
 * init_member, get_info not implementable, bpf_setsockopt (host helper 49)
 * refused in `release`. "Traffic" is a simulated connection: init, a number
 * of acks through cong_avoid or cong_control, release.
 *
 * bpf_dummy_ops: reg always fails (EOPNOTSUPP); programs run through
 * PROG_TEST_RUN; sleepable programs only on test_sleepable; a sleepable
 * kfunc for the "non-sleepable caller" check.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include <structops/runtime.h>
#include <structops/struct_ops.h>

#include "st_host.h"
#include "st_host_api.h"

#define STUB __attribute__((used, noinline))

/* Keep the value types and the argument types in the host's DWARF (hence BTF). */
struct bpf_struct_ops_tcp_congestion_ops st_host_btf_anchor_tcp;
struct bpf_struct_ops_bpf_dummy_ops st_host_btf_anchor_dummy;
struct sock st_host_btf_anchor_sock;
struct task_struct st_host_btf_anchor_task;
struct cgroup st_host_btf_anchor_cgroup;

/* --- host kfuncs --- */

struct task_struct *bpf_task_acquire(struct task_struct *p)
{
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	return p;
}
void bpf_task_release(struct task_struct *p)
{
	__atomic_sub_fetch(&p->refs, 1, __ATOMIC_RELAXED);
}
struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp)
{
	__atomic_add_fetch(&cgrp->refs, 1, __ATOMIC_RELAXED);
	return cgrp;
}
void bpf_cgroup_release(struct cgroup *cgrp)
{
	__atomic_sub_fetch(&cgrp->refs, 1, __ATOMIC_RELAXED);
}
int bpf_dummy_sleepable_kfunc(int x)
{
	return x + 1;
}
u32 tcp_reno_ssthresh(struct sock *sk)
{
	return sk->snd_cwnd / 2 > 2 ? sk->snd_cwnd / 2 : 2;
}
u32 tcp_reno_undo_cwnd(struct sock *sk)
{
	return sk->snd_cwnd;
}
void tcp_reno_cong_avoid(struct sock *sk, u32 ack, u32 acked)
{
	sk->snd_cwnd += acked;
}

#define KF(name, body)                                                                             \
	static uint64_t kf_##name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5) \
	{                                                                                          \
		body;                                                                              \
	}
KF(task_acquire, return (uint64_t)(uintptr_t)bpf_task_acquire((void *)(uintptr_t)r1))
KF(task_release, bpf_task_release((void *)(uintptr_t)r1); return 0)
KF(cgroup_acquire, return (uint64_t)(uintptr_t)bpf_cgroup_acquire((void *)(uintptr_t)r1))
KF(cgroup_release, bpf_cgroup_release((void *)(uintptr_t)r1); return 0)
KF(dummy_sleepable, return (uint64_t)(int64_t)bpf_dummy_sleepable_kfunc((int)r1))
KF(reno_ssthresh, return tcp_reno_ssthresh((void *)(uintptr_t)r1))
KF(reno_undo_cwnd, return tcp_reno_undo_cwnd((void *)(uintptr_t)r1))
KF(reno_cong_avoid, tcp_reno_cong_avoid((void *)(uintptr_t)r1, (u32)r2, (u32)r3); return 0)

/* --- tcp_congestion_ops --- */

u32 tcp_congestion_ops__ssthresh(struct sock *sk);
void tcp_congestion_ops__cong_avoid(struct sock *sk, u32 ack, u32 acked);
void tcp_congestion_ops__set_state(struct sock *sk, u8 new_state);
void tcp_congestion_ops__cwnd_event(struct sock *sk, int ev);
void tcp_congestion_ops__in_ack_event(struct sock *sk, u32 flags);
u32 tcp_congestion_ops__min_tso_segs(struct sock *sk);
void tcp_congestion_ops__cong_control(struct sock *sk, u32 ack, int flag);
u32 tcp_congestion_ops__undo_cwnd(struct sock *sk);
u32 tcp_congestion_ops__sndbuf_expand(struct sock *sk);
void tcp_congestion_ops__init(struct sock *sk);
void tcp_congestion_ops__release(struct sock *sk);

STUB u32 tcp_congestion_ops__ssthresh(struct sock *sk) { return 0; }
STUB void tcp_congestion_ops__cong_avoid(struct sock *sk, u32 ack, u32 acked) {}
STUB void tcp_congestion_ops__set_state(struct sock *sk, u8 new_state) {}
STUB void tcp_congestion_ops__cwnd_event(struct sock *sk, int ev) {}
STUB void tcp_congestion_ops__in_ack_event(struct sock *sk, u32 flags) {}
STUB u32 tcp_congestion_ops__min_tso_segs(struct sock *sk) { return 0; }
STUB void tcp_congestion_ops__cong_control(struct sock *sk, u32 ack, int flag) {}
STUB u32 tcp_congestion_ops__undo_cwnd(struct sock *sk) { return 0; }
STUB u32 tcp_congestion_ops__sndbuf_expand(struct sock *sk) { return 0; }
STUB void tcp_congestion_ops__init(struct sock *sk) {}
STUB void tcp_congestion_ops__release(struct sock *sk) {}

static const struct tcp_congestion_ops tcp_ca_stubs = {
	.ssthresh = tcp_congestion_ops__ssthresh,
	.cong_avoid = tcp_congestion_ops__cong_avoid,
	.set_state = tcp_congestion_ops__set_state,
	.cwnd_event = tcp_congestion_ops__cwnd_event,
	.in_ack_event = tcp_congestion_ops__in_ack_event,
	.min_tso_segs = tcp_congestion_ops__min_tso_segs,
	.cong_control = tcp_congestion_ops__cong_control,
	.undo_cwnd = tcp_congestion_ops__undo_cwnd,
	.sndbuf_expand = tcp_congestion_ops__sndbuf_expand,
	.get_info = NULL, /* not for BPF */
	.init = tcp_congestion_ops__init,
	.release = tcp_congestion_ops__release,
};

#define TCP_CA_MAX 32
#define TCP_CA_RELEASE_IDX 11 /* member index of `release` in struct tcp_congestion_ops */
#define TCP_CONG_MASK 0x3u

static pthread_mutex_t tcp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tcp_congestion_ops *tcp_cas[TCP_CA_MAX];

static struct tcp_congestion_ops **tcp_ca_find_locked(const char *name)
{
	for (int i = 0; i < TCP_CA_MAX; i++)
		if (tcp_cas[i] && !strncmp(tcp_cas[i]->name, name, TCP_CA_NAME_MAX))
			return &tcp_cas[i];
	return NULL;
}

static int tcp_ca_init(const struct btf *btf)
{
	return 0;
}

static int tcp_ca_init_member(const struct btf_type *t, const struct btf_member *member,
			      void *kdata, const void *udata)
{
	const struct tcp_congestion_ops *u = udata;
	struct tcp_congestion_ops *k = kdata;
	size_t off = member->offset / 8;

	if (off == offsetof(struct tcp_congestion_ops, name)) {
		size_t n = strnlen(u->name, sizeof(u->name));

		if (!n || n == sizeof(u->name))
			return -EINVAL;
		memcpy(k->name, u->name, sizeof(k->name));
		return 1;
	}
	if (off == offsetof(struct tcp_congestion_ops, flags)) {
		if (u->flags & ~TCP_CONG_MASK)
			return -EINVAL;
		k->flags = u->flags;
		return 1;
	}
	return 0;
}

static int tcp_ca_validate(void *kdata)
{
	const struct tcp_congestion_ops *ca = kdata;

	if (!ca->ssthresh || !ca->undo_cwnd || !(ca->cong_avoid || ca->cong_control))
		return -EINVAL;
	return 0;
}

static int tcp_ca_reg(void *kdata, struct sops_struct_ops_link *link)
{
	int err = -ENOSPC;

	pthread_mutex_lock(&tcp_lock);
	if (tcp_ca_find_locked(((struct tcp_congestion_ops *)kdata)->name)) {
		err = -EEXIST;
	} else {
		for (int i = 0; i < TCP_CA_MAX; i++) {
			if (!tcp_cas[i]) {
				tcp_cas[i] = kdata;
				err = 0;
				break;
			}
		}
	}
	pthread_mutex_unlock(&tcp_lock);
	return err;
}

static void tcp_ca_unreg(void *kdata, struct sops_struct_ops_link *link)
{
	pthread_mutex_lock(&tcp_lock);
	for (int i = 0; i < TCP_CA_MAX; i++)
		if (tcp_cas[i] == kdata)
			tcp_cas[i] = NULL;
	pthread_mutex_unlock(&tcp_lock);
}

static int tcp_ca_update(void *kdata, void *old_kdata, struct sops_struct_ops_link *link)
{
	struct tcp_congestion_ops *ca = kdata, *old = old_kdata;
	int err = -ENOENT;

	if (strncmp(ca->name, old->name, TCP_CA_NAME_MAX))
		return -EINVAL;
	pthread_mutex_lock(&tcp_lock);
	for (int i = 0; i < TCP_CA_MAX; i++) {
		if (tcp_cas[i] == old) {
			tcp_cas[i] = ca;
			err = 0;
			break;
		}
	}
	pthread_mutex_unlock(&tcp_lock);
	return err;
}

static bool tcp_ca_helper_allowed(uint32_t helper_id, uint32_t member_idx, const struct sops_prog *prog)
{
	/* Like the kernel's tcp_ca: setsockopt is refused in release. */
	return !(helper_id == 49 && member_idx == TCP_CA_RELEASE_IDX);
}

/*
 * Like the kernel's tcp_ca: programs may write the congestion state of the
 * socket (the window, the threshold, the private area), nothing else.
 */
static int tcp_ca_btf_struct_access(const struct btf *btf, uint32_t type_id, int off, int size,
				    const struct sops_prog *prog)
{
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;
	size_t end = (size_t)off + (size_t)size;

	if (!name || strcmp(name, "sock"))
		return -EACCES;
	if ((off >= (int)offsetof(struct sock, snd_cwnd) && end <= offsetof(struct sock, snd_ssthresh) + 4) ||
	    (off >= (int)offsetof(struct sock, ca_priv) && end <= offsetof(struct sock, ca_priv) + sizeof(u64) * 8))
		return 0;
	return -EACCES;
}

static const struct sops_struct_ops_verifier_ops tcp_ca_verifier_ops = {
	.helper_allowed = tcp_ca_helper_allowed,
	.btf_struct_access = tcp_ca_btf_struct_access,
};

static const struct sops_struct_ops tcp_ca_st_ops = {
	.name = "tcp_congestion_ops",
	.verifier_ops = &tcp_ca_verifier_ops,
	.init = tcp_ca_init,
	.init_member = tcp_ca_init_member,
	.reg = tcp_ca_reg,
	.unreg = tcp_ca_unreg,
	.update = tcp_ca_update,
	.validate = tcp_ca_validate,
	.cfi_stubs = &tcp_ca_stubs,
};

/* bpf_setsockopt analogue (helper 49) for congestion-control programs. */
static uint64_t st_setsockopt(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			      void *aux)
{
	struct sock *sk = (struct sock *)(uintptr_t)r1;

	if (!sk || (int)r2 != ST_SOL_TCP || (int)r3 != ST_TCP_CWND_CLAMP || r5 != 4 || !r4)
		return (uint64_t)-EINVAL;
	memcpy(&sk->opt_value, (void *)(uintptr_t)r4, 4);
	return 0;
}

int st_tcp_traffic(const char *ca_name, int acks, struct sock *out)
{
	struct tcp_congestion_ops **slot, *ca;
	struct sock sk;

	memset(&sk, 0, sizeof(sk));
	pthread_mutex_lock(&tcp_lock);
	slot = tcp_ca_find_locked(ca_name);
	if (!slot) {
		pthread_mutex_unlock(&tcp_lock);
		return -ENOENT;
	}
	ca = *slot;
	sk.snd_cwnd = 10;
	sk.snd_ssthresh = 0x7fffffff;
	sk.ca_ops = ca;
	sops_rcu_read_lock();
	if (ca->init)
		ca->init(&sk);
	for (int i = 0; i < acks; i++) {
		if (ca->cong_control)
			ca->cong_control(&sk, (u32)i, 0);
		else
			ca->cong_avoid(&sk, (u32)i, 1);
		sk.acked_total++;
	}
	sk.snd_ssthresh = ca->ssthresh(&sk);
	if (ca->release)
		ca->release(&sk);
	sops_rcu_read_unlock();
	pthread_mutex_unlock(&tcp_lock);
	if (out)
		*out = sk;
	return 0;
}

int st_tcp_registered(const char *ca_name)
{
	int found;

	pthread_mutex_lock(&tcp_lock);
	found = tcp_ca_find_locked(ca_name) != NULL;
	pthread_mutex_unlock(&tcp_lock);
	return found;
}

/* --- bpf_dummy_ops --- */

int bpf_dummy_ops__test_1(struct bpf_dummy_ops_state *cb__nullable);
int bpf_dummy_ops__test_2(struct bpf_dummy_ops_state *cb, int a1, unsigned short a2, char a3,
			  unsigned long a4);
int bpf_dummy_ops__test_sleepable(struct bpf_dummy_ops_state *cb);

STUB int bpf_dummy_ops__test_1(struct bpf_dummy_ops_state *cb__nullable) { return 0; }
STUB int bpf_dummy_ops__test_2(struct bpf_dummy_ops_state *cb, int a1, unsigned short a2,
			       char a3, unsigned long a4) { return 0; }
STUB int bpf_dummy_ops__test_sleepable(struct bpf_dummy_ops_state *cb) { return 0; }

static const struct bpf_dummy_ops dummy_stubs = {
	.test_1 = bpf_dummy_ops__test_1,
	.test_2 = bpf_dummy_ops__test_2,
	.test_sleepable = bpf_dummy_ops__test_sleepable,
};

static int dummy_init_member(const struct btf_type *t, const struct btf_member *member,
			     void *kdata, const void *udata)
{
	return 0;
}

static int dummy_check_member(const struct btf_type *t, const struct btf_member *member,
			      const struct sops_prog *prog)
{
	if (member->offset / 8 == offsetof(struct bpf_dummy_ops, test_sleepable))
		return 0;
	return sops_prog_is_sleepable(prog) ? -EINVAL : 0;
}

static int dummy_reg(void *kdata, struct sops_struct_ops_link *link)
{
	return -EOPNOTSUPP;
}

static void dummy_unreg(void *kdata, struct sops_struct_ops_link *link)
{
}

/* The kernel's bpf_dummy_ops: programs may write the test state they get. */
static int dummy_btf_struct_access(const struct btf *btf, uint32_t type_id, int off, int size,
				   const struct sops_prog *prog)
{
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;

	return name && !strcmp(name, "bpf_dummy_ops_state") &&
			       (size_t)off + (size_t)size <= sizeof(struct bpf_dummy_ops_state)
		       ? 0
		       : -EACCES;
}

static const struct sops_struct_ops_verifier_ops dummy_verifier_ops = {
	.btf_struct_access = dummy_btf_struct_access,
};

static const struct sops_struct_ops dummy_st_ops = {
	.name = "bpf_dummy_ops",
	.verifier_ops = &dummy_verifier_ops,
	.init = tcp_ca_init,
	.check_member = dummy_check_member,
	.init_member = dummy_init_member,
	.reg = dummy_reg,
	.unreg = dummy_unreg,
	.cfi_stubs = &dummy_stubs,
};

/* --- sched_ops --- */

struct sched_ops st_host_btf_anchor_sched;
struct sched_rq_ext st_host_btf_anchor_sched_rq_ext;
static int sched_ctx_mode;
static const struct btf *st_host_btf; /* the last registration's (tests run one at a time) */
struct bpf_struct_ops_sched_ops st_host_btf_anchor_sched_value;
/* Plain, with __atomic builtins: an _Atomic type would end up in the host's BTF. */
static const struct sched_ops *sched_cur;

struct sched_task *sched_task_acquire(struct sched_task *p)
{
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	return p;
}
void sched_task_release(struct sched_task *p)
{
	__atomic_sub_fetch(&p->refs, 1, __ATOMIC_RELAXED);
}
s32 sched_pick_idle_cpu(struct sched_rq *rq)
{
	return rq->nr_running ? -1 : rq->cpu;
}
u64 sched_clock_sleepable(void)
{
	return 42;
}
KF(sched_acquire, return (uint64_t)(uintptr_t)sched_task_acquire((void *)(uintptr_t)r1))
KF(sched_release, sched_task_release((void *)(uintptr_t)r1); return 0)
KF(sched_idle, return (uint64_t)(int64_t)sched_pick_idle_cpu((void *)(uintptr_t)r1))
KF(sched_clock, return sched_clock_sleepable())

s32 sched_ops__select_cpu(struct sched_task *p, s32 prev_cpu, u64 wake_flags);
void sched_ops__enqueue(struct sched_rq *rq, struct sched_task *p, u64 flags);
struct sched_task *sched_ops__pick_next(struct sched_rq *rq, struct sched_task *prev__nullable);
void sched_ops__stopping(struct sched_rq *rq, struct sched_task *p__ref);
u64 sched_ops__tick(struct sched_rq *rq);

STUB s32 sched_ops__select_cpu(struct sched_task *p, s32 prev_cpu, u64 wake_flags) { return 0; }
STUB void sched_ops__enqueue(struct sched_rq *rq, struct sched_task *p, u64 flags) {}
STUB struct sched_task *sched_ops__pick_next(struct sched_rq *rq, struct sched_task *prev__nullable)
{
	return NULL;
}
STUB void sched_ops__stopping(struct sched_rq *rq, struct sched_task *p__ref) {}
STUB u64 sched_ops__tick(struct sched_rq *rq) { return 0; }

static const struct sched_ops sched_stubs = {
	.select_cpu = sched_ops__select_cpu,
	.enqueue = sched_ops__enqueue,
	.pick_next = sched_ops__pick_next,
	.stopping = sched_ops__stopping,
	.tick = sched_ops__tick,
};

const struct sched_ops *st_sched_current(void)
{
	return __atomic_load_n(&sched_cur, __ATOMIC_ACQUIRE);
}

static int sched_init_member(const struct btf_type *t, const struct btf_member *member, void *kdata,
			     const void *udata)
{
	if (member->offset / 8 != offsetof(struct sched_ops, name))
		return 0;
	memcpy((char *)kdata + offsetof(struct sched_ops, name),
	       (const char *)udata + offsetof(struct sched_ops, name), SCHED_NAME_MAX);
	return 1;
}

static int sched_reg(void *kdata, struct sops_struct_ops_link *link)
{
	const struct sched_ops *none = NULL;

	return __atomic_compare_exchange_n(&sched_cur, &none, kdata, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE) ? 0 : -EEXIST;
}

static void sched_unreg(void *kdata, struct sops_struct_ops_link *link)
{
	const struct sched_ops *cur = kdata;

	__atomic_compare_exchange_n(&sched_cur, &cur, NULL, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* Programs may set a task's vruntime and cpu; everything else is read-only. */
static int sched_btf_struct_access(const struct btf *btf, uint32_t type_id, int off, int size,
				   const struct sops_prog *prog)
{
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;
	size_t end = (size_t)off + (size_t)size;

	if (!name || strcmp(name, "sched_task"))
		return -EACCES;
	if (off >= (int)offsetof(struct sched_task, vruntime) && end <= offsetof(struct sched_task, vruntime) + 8)
		return 0;
	if (off >= (int)offsetof(struct sched_task, cpu) && end <= offsetof(struct sched_task, cpu) + 4)
		return 0;
	return -EACCES;
}

static int sched_retval_range(uint32_t member_idx, const struct sops_prog *prog, int64_t *lo, int64_t *hi)
{
	if (member_idx != 0) /* select_cpu */
		return 1;
	*lo = -1;
	*hi = SCHED_MAX_CPU;
	return 0;
}

void st_sched_set_ctx_hook(int mode)
{
	__atomic_store_n(&sched_ctx_mode, mode, __ATOMIC_RELAXED);
}

static uint32_t btf_id_of(const struct sops_prog *prog, const char *name)
{
	(void)prog;
	return st_host_btf ? (uint32_t)btf__find_by_name_kind(st_host_btf, name, BTF_KIND_STRUCT) : 0;
}

static bool sched_is_valid_access(int off, int size, bool write, const struct sops_prog *prog,
				  struct sops_ctx_access_info *info)
{
	int mode = __atomic_load_n(&sched_ctx_mode, __ATOMIC_RELAXED);

	if (mode == 1 && sops_prog_member_idx(prog) == 0 && info->arg == 2)
		return false; /* select_cpu's wake_flags are not for programs */
	if (mode == 2 && sops_prog_member_idx(prog) == 4 && info->arg == 0) {
		int32_t id = (int32_t)btf_id_of(prog, "sched_rq_ext");

		if (id <= 0)
			return false;
		info->btf_id = (uint32_t)id; /* a sched_rq_ext starts with its sched_rq */
	}
	return true;
}

static const struct sops_struct_ops_verifier_ops sched_verifier_ops = {
	.is_valid_access = sched_is_valid_access,
	.btf_struct_access = sched_btf_struct_access,
	.retval_range = sched_retval_range,
};

static const struct sops_struct_ops sched_st_ops = {
	.name = "sched_ops",
	.verifier_ops = &sched_verifier_ops,
	.init = tcp_ca_init,
	.init_member = sched_init_member,
	.reg = sched_reg,
	.unreg = sched_unreg,
	.cfi_stubs = &sched_stubs,
};

/* --- registration --- */

static int reg_kfunc(struct sops_runtime *rt, const struct btf *btf, const char *name,
		     sops_kfunc_fn fn, uint32_t flags)
{
	struct sops_kfunc_desc d = { .sz = sizeof(d), .name = name, .fn = fn, .flags = flags };
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);

	if (id < 0)
		return -ENOENT;
	d.btf_id = (uint32_t)id;
	return sops_runtime__register_kfunc(rt, &d);
}

int st_host_register(struct sops_runtime *rt, const struct btf *host_btf)
{
	st_host_btf = host_btf;
	struct sops_helper_desc h = {
		.sz = sizeof(h),
		.id = 49,
		.name = "bpf_setsockopt",
		.fn = st_setsockopt,
		.ret_type = SOPS_RET_INTEGER,
		.arg_type = { SOPS_ARG_PTR_TO_BTF_ID, SOPS_ARG_ANYTHING, SOPS_ARG_ANYTHING,
			      SOPS_ARG_PTR_TO_MEM, SOPS_ARG_CONST_SIZE },
		.prog_types = SOPS_PROG_TYPE_BIT(SOPS_BPF_PROG_TYPE_STRUCT_OPS),
		.st_ops_name = "tcp_congestion_ops",
	};
	int err;

	err = sops_runtime__register_struct_ops(rt, &tcp_ca_st_ops, NULL);
	if (!err)
		err = sops_runtime__register_struct_ops(rt, &dummy_st_ops, NULL);
	if (!err)
		err = sops_runtime__register_struct_ops(rt, &sched_st_ops, NULL);
	if (!err)
		err = sops_runtime__register_helper(rt, &h);
	if (!err)
		err = reg_kfunc(rt, host_btf, "bpf_task_acquire", kf_task_acquire,
				SOPS_KF_ACQUIRE | SOPS_KF_RET_NULL | SOPS_KF_TRUSTED_ARGS);
	if (!err)
		err = reg_kfunc(rt, host_btf, "bpf_task_release", kf_task_release, SOPS_KF_RELEASE);
	if (!err)
		err = reg_kfunc(rt, host_btf, "bpf_cgroup_acquire", kf_cgroup_acquire,
				SOPS_KF_ACQUIRE | SOPS_KF_RET_NULL | SOPS_KF_TRUSTED_ARGS);
	if (!err)
		err = reg_kfunc(rt, host_btf, "bpf_cgroup_release", kf_cgroup_release, SOPS_KF_RELEASE);
	if (!err)
		err = reg_kfunc(rt, host_btf, "bpf_dummy_sleepable_kfunc", kf_dummy_sleepable,
				SOPS_KF_SLEEPABLE);
	if (!err)
		err = reg_kfunc(rt, host_btf, "tcp_reno_ssthresh", kf_reno_ssthresh, 0);
	if (!err)
		err = reg_kfunc(rt, host_btf, "tcp_reno_undo_cwnd", kf_reno_undo_cwnd, 0);
	if (!err)
		err = reg_kfunc(rt, host_btf, "tcp_reno_cong_avoid", kf_reno_cong_avoid, 0);
	if (!err)
		err = reg_kfunc(rt, host_btf, "sched_task_acquire", kf_sched_acquire,
				SOPS_KF_ACQUIRE | SOPS_KF_RET_NULL | SOPS_KF_TRUSTED_ARGS);
	if (!err)
		err = reg_kfunc(rt, host_btf, "sched_task_release", kf_sched_release, SOPS_KF_RELEASE);
	if (!err)
		err = reg_kfunc(rt, host_btf, "sched_pick_idle_cpu", kf_sched_idle, SOPS_KF_TRUSTED_ARGS);
	if (!err)
		err = reg_kfunc(rt, host_btf, "sched_clock_sleepable", kf_sched_clock, SOPS_KF_SLEEPABLE);
	return err;
}
