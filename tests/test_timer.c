/* SPDX-License-Identifier: MIT */
/*
 * test_timer.c - bpf_timer helpers (169-172) in the runtime: callbacks run on
 * the timer thread (checked interpreter and JIT), re-arming, cancel, the
 * errnos (EINVAL, EBUSY, EPERM, EDEADLK), element deletes and overwrites,
 * the last user reference and map free cancelling timers, and a runtime
 * freed with armed and self re-arming timers.
 *
 * One program drives the helpers from its context (u64 slots):
 *   [0] init flags  [1] start ns  [2] start flags  [3] what: 1 init, 2 set_callback,
 *   4 start, 8 cancel  [4..7] their results  [8] the key (u32)
 * The value is struct elem { struct bpf_timer t; u64 runs; u64 aux; }
 * described by BTF (the runtime finds the timer there).
 */
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "test.h"
#include "test_rt_util.h"

enum { DO_INIT = 1, DO_SETCB = 2, DO_START = 4, DO_CANCEL = 8 };
enum { CB_COUNT, CB_SELF_CANCEL, CB_REARM };

struct tctx {
	uint64_t init_flags, ns, start_flags, what;
	int64_t r_init, r_setcb, r_start, r_cancel;
	uint64_t key;
};

struct elem {
	uint64_t timer[2];
	uint64_t runs;
	uint64_t aux;
};

/* BTF: [1] int, [2] u64, [3] struct bpf_timer, [4] struct elem. Returns the BTF handle. */
static int timer_btf(struct sops_runtime *rt, bool with_timer)
{
	struct btf *b = btf__new_empty();
	const void *raw;
	uint32_t size;
	int fd;

	btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	btf__add_int(b, "u64", 8, 0);
	btf__add_struct(b, with_timer ? "bpf_timer" : "not_a_timer", 16);
	btf__add_field(b, "a", 2, 0, 0);
	btf__add_field(b, "b", 2, 64, 0);
	btf__add_struct(b, "elem", 32);
	btf__add_field(b, "t", 3, 0, 0);
	btf__add_field(b, "runs", 2, 128, 0);
	btf__add_field(b, "aux", 2, 192, 0);
	raw = btf__raw_data(b, &size);
	fd = sops_btf_load(rt, raw, size, NULL, 0);
	btf__free(b);
	return fd;
}

static int timer_map(struct sops_runtime *rt, uint32_t type, uint32_t max, bool with_timer)
{
	int btf = timer_btf(rt, with_timer), fd;
	struct sops_map_create_opts o = { .sz = sizeof(o), .btf_fd = (uint32_t)btf,
					  .btf_key_type_id = 1, .btf_value_type_id = 4 };

	if (btf < 0)
		return btf;
	fd = sops_map_create(rt, type, "timers", 4, sizeof(struct elem), max, &o);
	sops_close(rt, btf);
	return fd;
}

static int timer_prog(struct sops_runtime *rt, int map, int cb)
{
	struct sops_insn insns[64] = {
		MOV_REG(6, 1), LDX_DW(1, 6, 64), STX_W(10, 1, -4), LD_MAP(1, map), MOV_REG(2, 10),
		ADD_IMM(2, -4), CALL(1), JEQ_IMM(0, 0, 33), MOV_REG(7, 0), LDX_DW(8, 6, 24),
		/* 11: init */
		MOV_REG(0, 8), I(0x57, 0, 0, 0, DO_INIT), JEQ_IMM(0, 0, 6), MOV_REG(1, 7), LD_MAP(2, map),
		LDX_DW(3, 6, 0), CALL(169), STX_DW(6, 0, 32),
		/* 20: set_callback */
		MOV_REG(0, 8), I(0x57, 0, 0, 0, DO_SETCB), JEQ_IMM(0, 0, 5), MOV_REG(1, 7), LD_FUNC(2, 19),
		CALL(170), STX_DW(6, 0, 40),
		/* 28: start */
		MOV_REG(0, 8), I(0x57, 0, 0, 0, DO_START), JEQ_IMM(0, 0, 5), MOV_REG(1, 7),
		LDX_DW(2, 6, 8), LDX_DW(3, 6, 16), CALL(171), STX_DW(6, 0, 48),
		/* 36: cancel */
		MOV_REG(0, 8), I(0x57, 0, 0, 0, DO_CANCEL), JEQ_IMM(0, 0, 3), MOV_REG(1, 7), CALL(172),
		STX_DW(6, 0, 56),
		/* 42 */
		MOV_IMM(0, 0), EXIT(),
	};
	size_t n = 44;
	char log[256];
	int fd;

	/* 44: the callback (map, key, value) */
	switch (cb) {
	case CB_SELF_CANCEL: {
		struct sops_insn c[] = { MOV_REG(6, 3), MOV_REG(1, 3), CALL(172), STX_DW(6, 0, 24),
					 MOV_REG(3, 6) };

		memcpy(insns + n, c, sizeof(c));
		n += NINSN(c);
		break;
	}
	case CB_REARM: {
		struct sops_insn c[] = { MOV_REG(6, 3), MOV_REG(1, 3), MOV_IMM(2, 0), MOV_IMM(3, 0),
					 CALL(171), MOV_REG(3, 6) };

		memcpy(insns + n, c, sizeof(c));
		n += NINSN(c);
		break;
	}
	}
	{
		struct sops_insn c[] = { LDX_DW(1, 3, 16), ADD_IMM(1, 1), STX_DW(3, 1, 16), MOV_IMM(0, 0),
					 EXIT() };

		memcpy(insns + n, c, sizeof(c));
		n += NINSN(c);
	}
	fd = rt_test_load(rt, insns, n, log, sizeof(log));
	if (fd < 0)
		fprintf(stderr, "timer prog: %d %s\n", fd, log);
	return fd;
}

static int drive(struct sops_runtime *rt, int prog, struct tctx *c)
{
	uint32_t ret;

	c->r_init = c->r_setcb = c->r_start = c->r_cancel = 99;
	return rt_test_run(rt, prog, c, sizeof(*c), &ret);
}

static uint64_t runs_of(struct sops_runtime *rt, int map, uint32_t key)
{
	struct elem v = { 0 };

	sops_map_lookup_elem(rt, map, &key, &v);
	return v.runs;
}

/* Wait up to @ms for the element's run count to reach @want. */
static bool wait_runs(struct sops_runtime *rt, int map, uint32_t key, uint64_t want, int ms)
{
	for (int i = 0; i < ms; i++) {
		if (runs_of(rt, map, key) >= want)
			return true;
		usleep(1000);
	}
	return runs_of(rt, map, key) >= want;
}

static void fires_and_rearms(struct test_ctx *t, bool jit)
{
	struct sops_runtime *rt = rt_test_new(jit);
	int map = timer_map(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, true);
	int prog = timer_prog(rt, map, CB_COUNT);
	struct tctx c = { .init_flags = CLOCK_MONOTONIC, .ns = 1000000, .what = DO_INIT | DO_SETCB | DO_START };

	T_ASSERT(map > 0 && prog > 0);
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_init, 0);
	T_EQ(c.r_setcb, 0);
	T_EQ(c.r_start, 0);
	T_ASSERT(wait_runs(rt, map, 0, 1, 2000));
	/* Initialized already: EBUSY; the same timer starts again (re-arm after firing). */
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_init, -EBUSY);
	T_EQ(c.r_start, 0);
	T_ASSERT(wait_runs(rt, map, 0, 2, 2000));
	/* Re-arm while armed: a far deadline replaced by a near one fires once, soon. */
	c.what = DO_START;
	c.ns = 10ull * 1000000000;
	T_EQ(drive(rt, prog, &c), 0);
	c.ns = 1000000;
	T_EQ(drive(rt, prog, &c), 0);
	T_ASSERT(wait_runs(rt, map, 0, 3, 2000));
	usleep(20000);
	T_EQ(runs_of(rt, map, 0), 3);
	/* Other clocks and an absolute deadline. */
	c = (struct tctx){ .init_flags = CLOCK_BOOTTIME, .ns = 1000000, .what = DO_INIT | DO_SETCB | DO_START,
			   .key = 1 };
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_init, 0);
	T_ASSERT(wait_runs(rt, map, 1, 1, 2000));
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		c = (struct tctx){ .init_flags = CLOCK_REALTIME, .what = DO_INIT | DO_SETCB | DO_START,
				   .key = 2, .start_flags = 1 /* BPF_F_TIMER_ABS */ | 2 /* CPU_PIN */,
				   .ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + 2000000 };
	}
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_init, 0);
	T_EQ(c.r_start, 0);
	T_ASSERT(wait_runs(rt, map, 2, 1, 2000));
	sops_close(rt, prog);
	sops_close(rt, map);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(helper_timer_fires_interp)
{
	fires_and_rearms(t, false);
}

TEST(helper_timer_fires_jit)
{
	if (!sops_jit_available())
		T_SKIP("no JIT");
	fires_and_rearms(t, true);
}

TEST(helper_timer_errnos)
{
	struct sops_runtime *rt = rt_test_new(false);
	int map = timer_map(rt, SOPS_BPF_MAP_TYPE_ARRAY, 2, true);
	int plain = timer_map(rt, SOPS_BPF_MAP_TYPE_ARRAY, 2, false);
	int prog = timer_prog(rt, map, CB_COUNT), pplain = timer_prog(rt, plain, CB_COUNT);
	struct tctx c = { 0 };

	T_ASSERT(map > 0 && plain > 0 && prog > 0 && pplain > 0);
	/* Not initialized: set_callback, start and cancel are EINVAL. */
	c.what = DO_SETCB | DO_START | DO_CANCEL;
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_setcb, -EINVAL);
	T_EQ(c.r_start, -EINVAL);
	T_EQ(c.r_cancel, -EINVAL);
	/* Clock ids: only MONOTONIC, REALTIME, BOOTTIME, no other flag bits. */
	c.what = DO_INIT;
	c.init_flags = 5; /* CLOCK_MONOTONIC_COARSE */
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_init, -EINVAL);
	c.init_flags = CLOCK_MONOTONIC | 16;
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_init, -EINVAL);
	/* No bpf_timer in the value's BTF: no timer argument can be valid, checked mode faults. */
	c.init_flags = CLOCK_MONOTONIC;
	T_EQ(drive(rt, pplain, &c), -EFAULT);
	/* Initialized, no callback: start is EINVAL; unknown start flags EINVAL; cancel of an idle timer 0. */
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_init, 0);
	c.what = DO_START | DO_CANCEL;
	c.ns = 1000;
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_start, -EINVAL);
	T_EQ(c.r_cancel, 0);
	c.what = DO_SETCB | DO_START;
	c.start_flags = 4;
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_setcb, 0);
	T_EQ(c.r_start, -EINVAL);
	/* Cancel an armed timer: 1, it never fires; the callback is dropped (start: EINVAL). */
	c.what = DO_START | DO_CANCEL;
	c.start_flags = 0;
	c.ns = 100000000;
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_start, 0);
	T_EQ(c.r_cancel, 1);
	c.what = DO_START;
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_start, -EINVAL);
	usleep(150000);
	T_EQ(runs_of(rt, map, 0), 0);
	/* The last user reference closed: timers freed, init is EPERM (the program still holds the map). */
	{
		struct sops_bpf_map_info info = { 0 };
		uint32_t len = sizeof(info), zero = 0;
		int again;

		T_EQ(sops_map_get_info_by_fd(rt, map, &info, &len), 0);
		c.what = DO_SETCB | DO_START;
		c.ns = 100000000;
		T_EQ(drive(rt, prog, &c), 0);
		T_EQ(c.r_start, 0);
		sops_close(rt, map);
		c.what = DO_INIT | DO_SETCB | DO_START | DO_CANCEL;
		c.key = 1;
		T_EQ(drive(rt, prog, &c), 0);
		T_EQ(c.r_init, -EPERM);
		T_EQ(c.r_setcb, -EINVAL);
		T_EQ(c.r_start, -EINVAL);
		T_EQ(c.r_cancel, -EINVAL);
		usleep(150000);
		again = sops_map_get_fd_by_id(rt, info.id);
		T_ASSERT(again > 0);
		T_EQ(runs_of(rt, again, zero), 0); /* the armed timer was cancelled with the handle */
		c.key = 0;
		c.what = DO_START;
		T_EQ(drive(rt, prog, &c), 0);
		T_EQ(c.r_start, -EINVAL); /* freed, not just disarmed */
		sops_close(rt, again);
	}
	sops_close(rt, prog);
	sops_close(rt, pplain);
	sops_close(rt, plain);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(helper_timer_self_cancel_edeadlk)
{
	struct sops_runtime *rt = rt_test_new(false);
	int map = timer_map(rt, SOPS_BPF_MAP_TYPE_ARRAY, 1, true);
	int prog = timer_prog(rt, map, CB_SELF_CANCEL);
	struct tctx c = { .init_flags = CLOCK_MONOTONIC, .ns = 1000, .what = DO_INIT | DO_SETCB | DO_START };
	struct elem v = { 0 };
	uint32_t zero = 0;

	T_ASSERT(map > 0 && prog > 0);
	T_EQ(drive(rt, prog, &c), 0);
	T_ASSERT(wait_runs(rt, map, 0, 1, 2000));
	T_EQ(sops_map_lookup_elem(rt, map, &zero, &v), 0);
	T_EQ((int64_t)v.aux, -EDEADLK);
	sops_close(rt, prog);
	sops_close(rt, map);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(helper_timer_elem_delete_update)
{
	struct sops_runtime *rt = rt_test_new(true);
	int h = timer_map(rt, SOPS_BPF_MAP_TYPE_HASH, 8, true);
	int a = timer_map(rt, SOPS_BPF_MAP_TYPE_ARRAY, 2, true);
	int ph = timer_prog(rt, h, CB_COUNT), pa = timer_prog(rt, a, CB_COUNT);
	struct tctx c = { .init_flags = CLOCK_MONOTONIC, .ns = 100000000, .what = DO_INIT | DO_SETCB | DO_START,
			  .key = 7 };
	struct elem v = { 0 };
	uint32_t k = 7;

	T_ASSERT(h > 0 && a > 0 && ph > 0 && pa > 0);
	T_EQ(sops_map_update_elem(rt, h, &k, &v, 0), 0);
	T_EQ(drive(rt, ph, &c), 0);
	T_EQ(c.r_init, 0);
	T_EQ(c.r_start, 0);
	/* Deleting the element cancels and frees its timer: re-created, the element has none. */
	T_EQ(sops_map_delete_elem(rt, h, &k), 0);
	T_EQ(sops_map_update_elem(rt, h, &k, &v, 0), 0);
	c.what = DO_CANCEL;
	T_EQ(drive(rt, ph, &c), 0);
	T_EQ(c.r_cancel, -EINVAL);
	/* A host update of an array element does the same. */
	c = (struct tctx){ .init_flags = CLOCK_MONOTONIC, .ns = 100000000,
			   .what = DO_INIT | DO_SETCB | DO_START, .key = 1 };
	T_EQ(drive(rt, pa, &c), 0);
	T_EQ(c.r_start, 0);
	k = 1;
	T_EQ(sops_map_update_elem(rt, a, &k, &v, 0), 0);
	c.what = DO_CANCEL;
	T_EQ(drive(rt, pa, &c), 0);
	T_EQ(c.r_cancel, -EINVAL);
	usleep(150000);
	T_EQ(runs_of(rt, a, 1), 0);
	/* A hash key's callback gets that key: fires on key 7 in a fresh timer. */
	c = (struct tctx){ .init_flags = CLOCK_MONOTONIC, .ns = 1000, .what = DO_INIT | DO_SETCB | DO_START,
			   .key = 7 };
	T_EQ(drive(rt, ph, &c), 0);
	T_EQ(c.r_init, 0);
	T_ASSERT(wait_runs(rt, h, 7, 1, 2000));
	sops_close(rt, ph);
	sops_close(rt, pa);
	sops_close(rt, h);
	sops_close(rt, a);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

/* Map and program closed with a timer armed: everything is freed, the callback never runs. */
TEST(helper_timer_callback_after_map_free)
{
	struct sops_runtime *rt = rt_test_new(false);
	int map = timer_map(rt, SOPS_BPF_MAP_TYPE_ARRAY, 1, true);
	int prog = timer_prog(rt, map, CB_COUNT);
	struct tctx c = { .init_flags = CLOCK_MONOTONIC, .ns = 50000000, .what = DO_INIT | DO_SETCB | DO_START };

	T_ASSERT(map > 0 && prog > 0);
	T_EQ(drive(rt, prog, &c), 0);
	T_EQ(c.r_start, 0);
	/* The timer holds the program, the program the map: the handle closing breaks the cycle. */
	sops_close(rt, prog);
	T_EQ(sops_runtime__live_objects(rt, SOPS_OBJ_PROG), 1);
	sops_close(rt, map);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	usleep(100000); /* past the deadline: under ASan a late callback would be a use after free */
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

/* A runtime freed with armed timers and a callback re-arming itself: no hang, no leak. */
TEST(helper_timer_runtime_free_armed)
{
	for (int jit = 0; jit < 2; jit++) {
		struct sops_runtime *rt = rt_test_new(jit && sops_jit_available());
		int map = timer_map(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, true);
		int prog = timer_prog(rt, map, CB_COUNT), rearm = timer_prog(rt, map, CB_REARM);
		struct tctx c = { .init_flags = CLOCK_MONOTONIC, .ns = 10ull * 1000000000,
				  .what = DO_INIT | DO_SETCB | DO_START };

		T_ASSERT(map > 0 && prog > 0 && rearm > 0);
		for (uint64_t k = 0; k < 3; k++) {
			c.key = k;
			T_EQ(drive(rt, prog, &c), 0);
			T_EQ(c.r_start, 0);
		}
		c.key = 3;
		c.ns = 0;
		T_EQ(drive(rt, rearm, &c), 0);
		T_EQ(c.r_start, 0);
		T_ASSERT(wait_runs(rt, map, 3, 100, 2000)); /* it keeps firing */
		sops_runtime__free(rt);                     /* handles still open, timers armed */
	}
}
