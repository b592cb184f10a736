/* SPDX-License-Identifier: MIT */
/*
 * bpf_testmod.c - the scenario tests' module: a shared object the runtime
 * loads (sops_runtime__load_module) with its own BTF split on the test host's
 * (tests/tests.mk: cc -g -fPIC -shared, pahole --btf_base, objcopy .BTF).
 * At init it registers three struct_ops types (bpf_testmod.h describes their
 * behaviour) and one kfunc; its counters are read by the test through dlsym.
 *
 * Written for structops from the behaviour spec/struct_ops.md section 6
 * describes; it shares no code with the kernel's bpf_testmod.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include <structops/struct_ops.h>

#include "bpf_testmod.h"

#define EXPORT __attribute__((visibility("default")))
#define STUB __attribute__((visibility("default"), used, noinline))

/* Value types as the kernel's registration macro emits them (kept in BTF by the variables). */
struct bpf_struct_ops_bpf_testmod_ops {
	struct bpf_struct_ops_common_value common;
	struct bpf_testmod_ops data __attribute__((aligned(64)));
};
struct bpf_struct_ops_bpf_testmod_ops2 {
	struct bpf_struct_ops_common_value common;
	struct bpf_testmod_ops2 data __attribute__((aligned(64)));
};
struct bpf_struct_ops_bpf_testmod_multi_st_ops {
	struct bpf_struct_ops_common_value common;
	struct bpf_testmod_multi_st_ops data __attribute__((aligned(64)));
};
EXPORT struct bpf_struct_ops_bpf_testmod_ops bpf_testmod_value_btf_1;
EXPORT struct bpf_struct_ops_bpf_testmod_ops2 bpf_testmod_value_btf_2;
EXPORT struct bpf_struct_ops_bpf_testmod_multi_st_ops bpf_testmod_value_btf_3;
/*
 * Host types the ops take, held by value in a module type so that the module's
 * C header (structops btf dump --base) defines them in full, not as forwards.
 */
struct bpf_testmod_host_types {
	struct task_struct task;
	struct cgroup cgrp;
	struct bpf_struct_ops_common_value common;
};
EXPORT struct bpf_testmod_host_types bpf_testmod_host_types_anchor;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct bpf_testmod_stats stats;

/* Registered bpf_testmod_ops instances (for the invoker thread). */
#define MAX_REG 64
static struct bpf_testmod_ops *registered[MAX_REG];
/* Registered multi_st_ops instances by map id. */
static struct {
	uint32_t id;
	void *kdata;
} multi[MAX_REG];

/* --- cfi stubs: one per member BPF may implement; parameter names carry annotations --- */

STUB int bpf_testmod_ops__test_1(void)
{
	return 0;
}
STUB void bpf_testmod_ops__test_2(int a, int b)
{
}
STUB int bpf_testmod_ops__test_maybe_null(int dummy, struct task_struct *task__nullable)
{
	return 0;
}
STUB int bpf_testmod_ops__test_refcounted(int dummy, struct task_struct *task__ref)
{
	return 0;
}
STUB struct task_struct *bpf_testmod_ops__test_return_ref_kptr(int dummy,
							      struct task_struct *task__ref,
							      struct cgroup *cgrp)
{
	return NULL;
}
#define TRAMP_STUB(n)                                                                              \
	STUB int bpf_testmod_ops__tramp_##n(int v)                                                 \
	{                                                                                          \
		return v;                                                                          \
	}
TRAMP_STUB(1) TRAMP_STUB(2) TRAMP_STUB(3) TRAMP_STUB(4) TRAMP_STUB(5) TRAMP_STUB(6)
TRAMP_STUB(7) TRAMP_STUB(8) TRAMP_STUB(9) TRAMP_STUB(10) TRAMP_STUB(11) TRAMP_STUB(12)
TRAMP_STUB(13) TRAMP_STUB(14) TRAMP_STUB(15) TRAMP_STUB(16) TRAMP_STUB(17) TRAMP_STUB(18)
TRAMP_STUB(19) TRAMP_STUB(20) TRAMP_STUB(21) TRAMP_STUB(22) TRAMP_STUB(23) TRAMP_STUB(24)
TRAMP_STUB(25) TRAMP_STUB(26) TRAMP_STUB(27) TRAMP_STUB(28) TRAMP_STUB(29) TRAMP_STUB(30)
TRAMP_STUB(31) TRAMP_STUB(32) TRAMP_STUB(33) TRAMP_STUB(34) TRAMP_STUB(35) TRAMP_STUB(36)
TRAMP_STUB(37) TRAMP_STUB(38) TRAMP_STUB(39) TRAMP_STUB(40)

STUB int bpf_testmod_ops2__test_1(void)
{
	return 0;
}
STUB int bpf_testmod_multi_st_ops__test_1(struct st_ops_args *args)
{
	return 0;
}

#define T(n) .tramp_##n = bpf_testmod_ops__tramp_##n,
static const struct bpf_testmod_ops testmod_stubs = {
	.test_1 = bpf_testmod_ops__test_1,
	.test_2 = bpf_testmod_ops__test_2,
	.test_maybe_null = bpf_testmod_ops__test_maybe_null,
	.unsupported_ops = NULL, /* not for BPF */
	.test_refcounted = bpf_testmod_ops__test_refcounted,
	.test_return_ref_kptr = bpf_testmod_ops__test_return_ref_kptr,
	T(1) T(2) T(3) T(4) T(5) T(6) T(7) T(8) T(9) T(10) T(11) T(12) T(13) T(14) T(15) T(16)
	T(17) T(18) T(19) T(20) T(21) T(22) T(23) T(24) T(25) T(26) T(27) T(28) T(29) T(30)
	T(31) T(32) T(33) T(34) T(35) T(36) T(37) T(38) T(39) T(40)
};
#undef T
static const struct bpf_testmod_ops2 testmod2_stubs = { .test_1 = bpf_testmod_ops2__test_1 };
static const struct bpf_testmod_multi_st_ops multi_stubs = {
	.test_1 = bpf_testmod_multi_st_ops__test_1,
};

/* --- bpf_testmod_ops --- */

static int testmod_init(const struct btf *btf)
{
	return 0;
}

static int testmod_init_member(const struct btf_type *t, const struct btf_member *member,
			       void *kdata, const void *udata)
{
	/* `data` is the host's to copy; everything else is the runtime's. */
	if (member->offset / 8 == offsetof(struct bpf_testmod_ops, data)) {
		((struct bpf_testmod_ops *)kdata)->data = ((const struct bpf_testmod_ops *)udata)->data;
		return 1;
	}
	return 0;
}

static int testmod_reg(void *kdata, struct sops_struct_ops_link *link)
{
	struct bpf_testmod_ops *ops = kdata;
	int ret = 0, slot = -1;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_REG; i++) {
		if (!registered[i]) {
			slot = i;
			break;
		}
	}
	if (slot < 0) {
		pthread_mutex_unlock(&lock);
		return -ENOSPC;
	}
	sops_rcu_read_lock();
	if (ops->test_1) {
		ret = ops->test_1();
		stats.test_1_calls++;
		stats.last_test_1 = ret;
	}
	if (ops->test_2)
		ops->test_2(4, ops->data);
	sops_rcu_read_unlock();
	stats.last_data = ops->data;
	registered[slot] = ops;
	stats.reg_cnt++;
	pthread_mutex_unlock(&lock);
	return 0;
}

static void testmod_unreg(void *kdata, struct sops_struct_ops_link *link)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_REG; i++) {
		if (registered[i] == kdata) {
			registered[i] = NULL;
			stats.unreg_cnt++;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

/* --- bpf_testmod_ops2 --- */

static int testmod2_init_member(const struct btf_type *t, const struct btf_member *member,
				void *kdata, const void *udata)
{
	return 0;
}

static int testmod2_reg(void *kdata, struct sops_struct_ops_link *link)
{
	struct bpf_testmod_ops2 *ops = kdata;

	pthread_mutex_lock(&lock);
	if (ops->test_1) {
		sops_rcu_read_lock();
		stats.last_test_1 = ops->test_1();
		sops_rcu_read_unlock();
		stats.test_1_calls++;
	}
	stats.reg_cnt++;
	pthread_mutex_unlock(&lock);
	return 0;
}

static void testmod2_unreg(void *kdata, struct sops_struct_ops_link *link)
{
	pthread_mutex_lock(&lock);
	stats.unreg_cnt++;
	pthread_mutex_unlock(&lock);
}

/* --- bpf_testmod_multi_st_ops: registered under the map's id --- */

static int multi_reg(void *kdata, struct sops_struct_ops_link *link)
{
	struct bpf_testmod_multi_st_ops *ops = kdata;
	uint32_t id = sops_struct_ops_map_id(kdata);
	int free_slot = -1;

	if (!ops->test_1)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_REG; i++) {
		if (multi[i].kdata && multi[i].id == id) {
			pthread_mutex_unlock(&lock);
			return -EEXIST;
		}
		if (!multi[i].kdata && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0) {
		pthread_mutex_unlock(&lock);
		return -ENOSPC;
	}
	multi[free_slot].id = id;
	multi[free_slot].kdata = kdata;
	stats.multi_registered++;
	stats.reg_cnt++;
	pthread_mutex_unlock(&lock);
	return 0;
}

static void multi_unreg(void *kdata, struct sops_struct_ops_link *link)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_REG; i++) {
		if (multi[i].kdata == kdata) {
			multi[i].kdata = NULL;
			multi[i].id = 0;
			stats.multi_registered--;
			stats.unreg_cnt++;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

/*
 * The kfunc: test_1 of the map the calling program is associated with, -1 when
 * there is none (unset, poisoned, or a map never updated). @aux__prog is the
 * implicit program argument the runtime fills in.
 */
EXPORT int bpf_kfunc_multi_st_ops_test_1_assoc(struct st_ops_args *args, void *aux__prog)
{
	struct bpf_testmod_multi_st_ops *ops = sops_prog_get_assoc_struct_ops(aux__prog);

	if (!ops || !ops->test_1)
		return -1;
	return ops->test_1(args);
}

static uint64_t kf_multi_assoc(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	return (uint64_t)(int64_t)bpf_kfunc_multi_st_ops_test_1_assoc((struct st_ops_args *)r1,
								       (void *)r2);
}

static const struct sops_struct_ops testmod_st_ops = {
	.name = "bpf_testmod_ops",
	.init = testmod_init,
	.init_member = testmod_init_member,
	.reg = testmod_reg,
	.unreg = testmod_unreg,
	.cfi_stubs = &testmod_stubs,
};
static const struct sops_struct_ops testmod2_st_ops = {
	.name = "bpf_testmod_ops2",
	.init = testmod_init,
	.init_member = testmod2_init_member,
	.reg = testmod2_reg,
	.unreg = testmod2_unreg,
	.cfi_stubs = &testmod2_stubs,
};
static const struct sops_struct_ops multi_st_ops = {
	.name = "bpf_testmod_multi_st_ops",
	.init = testmod_init,
	.init_member = testmod2_init_member,
	.reg = multi_reg,
	.unreg = multi_unreg,
	.cfi_stubs = &multi_stubs,
};

/* Copies with the owner set (the descriptors must stay alive while the module is loaded). */
static struct sops_struct_ops types[3];
static int btf_fd = -1;

/* --- the invoker thread: the module calling its ops while maps come and go --- */

static pthread_t invoker;
static volatile int invoker_stop;
static int invoker_running;

static void *invoker_main(void *arg)
{
	while (!invoker_stop) {
		pthread_mutex_lock(&lock);
		sops_rcu_read_lock();
		for (int i = 0; i < MAX_REG; i++) {
			struct bpf_testmod_ops *ops = registered[i];

			if (ops && ops->test_1) {
				ops->test_1();
				stats.invokes++;
			}
		}
		sops_rcu_read_unlock();
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

EXPORT int bpf_testmod_invoker(int start)
{
	if (start && !invoker_running) {
		invoker_stop = 0;
		if (pthread_create(&invoker, NULL, invoker_main, NULL))
			return -EAGAIN;
		invoker_running = 1;
	} else if (!start && invoker_running) {
		invoker_stop = 1;
		pthread_join(invoker, NULL);
		invoker_running = 0;
	}
	return 0;
}

/* Call tramp_1..tramp_40 of every registered bpf_testmod_ops with @v; the sum of the results. */
EXPORT long bpf_testmod_call_tramps(int v)
{
	long sum = 0;

	pthread_mutex_lock(&lock);
	sops_rcu_read_lock();
	for (int i = 0; i < MAX_REG; i++) {
		struct bpf_testmod_ops *ops = registered[i];
		int (*const *slot)(int);

		if (!ops)
			continue;
		slot = &ops->tramp_1;
		for (int n = 0; n < BPF_TESTMOD_TRAMP_CNT; n++)
			if (slot[n])
				sum += slot[n](v);
	}
	sops_rcu_read_unlock();
	pthread_mutex_unlock(&lock);
	return sum;
}

EXPORT void bpf_testmod_stats(struct bpf_testmod_stats *out)
{
	pthread_mutex_lock(&lock);
	*out = stats;
	pthread_mutex_unlock(&lock);
}

EXPORT int sops_module_init(struct sops_module *mod)
{
	struct sops_runtime *rt = sops_module__runtime(mod);
	const struct btf *btf = sops_module__btf(mod);
	const struct sops_struct_ops *defs[3] = { &testmod_st_ops, &testmod2_st_ops, &multi_st_ops };
	struct sops_kfunc_desc kf = { .sz = sizeof(kf) };
	int err, id;

	memset(&stats, 0, sizeof(stats));
	for (int i = 0; i < 3; i++) {
		types[i] = *defs[i];
		types[i].owner = mod;
		err = sops_runtime__register_struct_ops(rt, &types[i], NULL);
		if (err) {
			fprintf(stderr, "bpf_testmod: registering %s: %d\n", types[i].name, err);
			return err;
		}
	}
	id = btf__find_by_name_kind(btf, "bpf_kfunc_multi_st_ops_test_1_assoc", BTF_KIND_FUNC);
	if (id < 0) {
		fprintf(stderr, "bpf_testmod: kfunc not in the module's BTF\n");
		return -ENOENT;
	}
	btf_fd = sops_module__btf_fd(mod);
	kf.name = "bpf_kfunc_multi_st_ops_test_1_assoc";
	kf.fn = kf_multi_assoc;
	kf.btf = btf;
	kf.btf_id = (uint32_t)id;
	kf.btf_fd = btf_fd > 0 ? btf_fd : 0;
	kf.flags = 0; /* the runtime sees `aux__prog` and passes the program itself (SOPS_KF_PROG_ARG(1)) */
	err = sops_runtime__register_kfunc(rt, &kf);
	if (err)
		fprintf(stderr, "bpf_testmod: registering the kfunc: %d\n", err);
	return err;
}

EXPORT void sops_module_exit(struct sops_module *mod)
{
	bpf_testmod_invoker(0);
	if (btf_fd > 0)
		sops_close(sops_module__runtime(mod), btf_fd);
	btf_fd = -1;
}
