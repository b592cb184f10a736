/* SPDX-License-Identifier: MIT */
/*
 * test_st_stress.c - concurrency: host threads call an op in a tight loop
 * (inside their own RCU read-side sections, as the contract says) while
 * another thread switches the link between two maps thousands of times, and
 * links are created and detached meanwhile. Every call must return the value
 * of one of the two programs; nothing may crash or trip the sanitizers
 * (freed thunks, kdata or JIT images would).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "test.h"
#include "test_st_util.h"

#define CALLERS 3
#define SWAPS 3000

struct stress {
	struct st_fix *f;
	atomic_bool stop;
	atomic_long calls, bad;
};

static void *caller(void *arg)
{
	struct stress *s = arg;

	while (!atomic_load(&s->stop)) {
		int r = st_call_test_1(s->f);

		if (r != 1 && r != 2 && r != -1000)
			atomic_fetch_add(&s->bad, 1);
		atomic_fetch_add(&s->calls, 1);
	}
	return NULL;
}

static int ready_map(struct st_fix *f, const char *text)
{
	uint8_t v[TST_VALUE_SIZE];
	int fd = st_create(f, f->value_id, TST_VALUE_SIZE, SOPS_BPF_F_LINK);
	int p = st_load(f, f->ops_id, 0, text, "GPL", 0, NULL, 0);
	int err;

	if (fd < 0 || p < 0)
		return -1;
	st_value(v, p, 0, 0, 0);
	err = sops_map_update_elem(f->rt, fd, &(uint32_t){ 0 }, v, 0);
	sops_close(f->rt, p);
	return err ? -1 : fd;
}

static void stress(struct test_ctx *t, bool jit)
{
	pthread_t th[CALLERS];
	struct stress s = { 0 };
	struct st_fix f;
	int a, b, l, failures = 0;

	T_EQ(st_fix_init(&f, jit, true), 0);
	s.f = &f;
	a = ready_map(&f, "mov %r0, 1\nexit");
	b = ready_map(&f, "mov %r0, 2\nexit");
	T_ASSERT(a > 0 && b > 0);
	l = sops_link_create(f.rt, a, 0, SOPS_BPF_STRUCT_OPS, NULL);
	T_ASSERT(l > 0);
	for (int i = 0; i < CALLERS; i++)
		pthread_create(&th[i], NULL, caller, &s);
	while (atomic_load(&s.calls) < 1000)
		sched_yield();
	for (int i = 0; i < SWAPS; i++) {
		failures += sops_link_update(f.rt, l, i % 2 ? a : b, NULL) != 0;
		/* now and then: detach, and attach a fresh link (maps stay READY) */
		if (i % 500 == 499) {
			failures += sops_link_detach(f.rt, l) != 0;
			sops_close(f.rt, l);
			l = sops_link_create(f.rt, a, 0, SOPS_BPF_STRUCT_OPS, NULL);
			failures += l < 0;
			i++; /* the link is on a again */
		}
	}
	/* each swap also freed nothing: maps stay; a last round with fresh maps each time */
	for (int i = 0; i < 200; i++) {
		int m = ready_map(&f, i % 2 ? "mov %r0, 1\nexit" : "mov %r0, 2\nexit");

		failures += m < 0 || sops_link_update(f.rt, l, m, NULL) != 0;
		sops_close(f.rt, m); /* the link holds it; the previous map is freed after a grace period */
	}
	atomic_store(&s.stop, true);
	for (int i = 0; i < CALLERS; i++)
		pthread_join(th[i], NULL);
	T_EQ(failures, 0);
	T_EQ(atomic_load(&s.bad), 0);
	T_ASSERT(atomic_load(&s.calls) > 0);
	sops_close(f.rt, l);
	sops_close(f.rt, a);
	sops_close(f.rt, b);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_MAP), 0);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_LINK), 0);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_PROG), 0);
	st_fix_fini(&f);
}

TEST(st_stress_link_update_interp)
{
	stress(t, false);
}

TEST(st_stress_link_update_jit)
{
	if (!sops_jit_available())
		T_SKIP("no JIT on this machine");
	stress(t, true);
}
