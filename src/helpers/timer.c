/* SPDX-License-Identifier: MIT */
/*
 * timer.c - bpf_timer: the helpers bpf_timer_init/set_callback/start/cancel
 * (ids 169-172), the per-runtime timer thread that runs their callbacks, and
 * the timers' lifetime rules.
 *
 * A struct bpf_timer is a 16-byte field of a map value, found at map creation
 * in the value's BTF (map->timer_off). Its bytes are never trusted: a timer is
 * identified by its map and element slot (rt_map_ops.elem_of), and the state
 * (struct rt_timer) lives in a per-map table of slots, so a program or a host
 * update that scribbles over the field cannot forge a pointer. The helpers
 * find the map among the calling program's maps.
 *
 * Rules, as the kernel's:
 *  - init: clock CLOCK_MONOTONIC, CLOCK_REALTIME or CLOCK_BOOTTIME in flags,
 *    no other bits (EINVAL); already initialized: EBUSY; the map has no user
 *    reference (handle) left: EPERM.
 *  - set_callback: not initialized: EINVAL; no user reference: EPERM. The
 *    timer holds a reference on the callback's program.
 *  - start: flags other than BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN, not
 *    initialized or no callback: EINVAL. Starting an armed timer re-arms it.
 *  - cancel: not initialized: EINVAL; from the timer's own callback: EDEADLK;
 *    else disarms, drops the callback's program (start needs a new
 *    set_callback), waits for a running callback and returns 1 if the timer
 *    was armed, 0 if not.
 *  - a map element deleted or overwritten (helpers and host commands), the
 *    map's last handle closed, or the map freed: its timers are cancelled
 *    and freed (a callback running at that moment finishes first, it holds
 *    a reference on the map and the program).
 *
 * Callbacks run on one thread per runtime (started at the first init, a
 * condvar-timed loop on CLOCK_MONOTONIC), one at a time, inside an RCU
 * read-side section, with (map, key, value) as r1-r3; checked programs may
 * read the key (array keys are a u32 on the thread's stack). Deadlines on
 * CLOCK_REALTIME/BOOTTIME are converted to CLOCK_MONOTONIC when the timer is
 * started (a later clock step does not move them). CPU pinning is accepted
 * and has no effect. Everything takes the runtime's timer lock; the timers'
 * fast path is not the op call's, and init allocates, as the kernel's does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/btf.h>

#include "helpers.h"

#define PROG(aux) ((struct sops_prog *)(aux))
#define TIMER_ABS (1ULL << 0)     /* BPF_F_TIMER_ABS */
#define TIMER_CPU_PIN (1ULL << 1) /* BPF_F_TIMER_CPU_PIN */
#define MAX_CLOCKS 16

struct rt_timer {
	struct rt_map *map; /* not held: the map frees its timers first */
	uint32_t idx;
	void *value;
	clockid_t clock;
	struct sops_prog *prog; /* held while a callback is set */
	struct rt_callback *cb;
	uint64_t deadline; /* CLOCK_MONOTONIC ns, while armed */
	bool armed, dying;
	struct rt_timer *prev, *next; /* armed list */
};

struct rt_map_timers {
	uint32_t cnt;
	struct rt_timer *slot[];
};

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --- the armed list (under the lock) --- */

static void disarm(struct rt_timer_base *b, struct rt_timer *t)
{
	if (!t->armed)
		return;
	if (t->prev)
		t->prev->next = t->next;
	else
		b->armed = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
	t->armed = false;
}

static void arm(struct rt_timer_base *b, struct rt_timer *t, uint64_t deadline)
{
	struct rt_timer **pp = &b->armed, *prev = NULL;

	disarm(b, t);
	while (*pp && (*pp)->deadline <= deadline) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	t->deadline = deadline;
	t->prev = prev;
	t->next = *pp;
	if (*pp)
		(*pp)->prev = t;
	*pp = t;
	t->armed = true;
	if (b->armed == t)
		pthread_cond_signal(&b->wake);
}

/*
 * Take @t off its element and free it, or leave it to the thread if its
 * callback runs now. Returns the program reference the caller must drop
 * (outside the lock).
 */
static struct sops_prog *timer_detach(struct rt_timer_base *b, struct rt_timer *t)
{
	struct sops_prog *prog = t->prog;

	disarm(b, t);
	t->prog = NULL;
	t->cb = NULL;
	if (b->running == t)
		t->dying = true;
	else
		free(t);
	return prog;
}

static void prog_put(struct sops_prog *prog)
{
	if (prog)
		rt_obj_put(&prog->obj);
}

/* --- the thread --- */

static void run_one(struct rt_timer_base *b, struct rt_timer *t)
{
	struct rt_map *map = t->map;
	struct sops_prog *prog = t->prog;
	struct rt_callback *cb = t->cb;
	uint64_t keybuf[1] = { 0 }, ret;
	void *key;

	/* A map whose count reached zero is being freed: it will free this timer. */
	if (!prog || !rt_obj_get_not_zero(&map->obj))
		return;
	rt_obj_get(&prog->obj);
	b->running = t;
	b->cb_seq++;
	key = map->ops->elem_key(map, t->idx, keybuf);
	{
		uint64_t args[5] = { (uint64_t)(uintptr_t)map, (uint64_t)(uintptr_t)key,
				     (uint64_t)(uintptr_t)t->value, 0, 0 };
		struct sops_mem_region key_region = { (uint64_t)(uintptr_t)key, map->key_size, false };

		pthread_mutex_unlock(&b->lock);
		urcu_bp_read_lock();
		rt_callback_call_mem(cb, args, &key_region, 1, &ret);
		urcu_bp_read_unlock();
		pthread_mutex_lock(&b->lock);
	}
	b->running = NULL;
	b->cb_done++;
	if (t->dying)
		free(t);
	pthread_cond_broadcast(&b->done);
	pthread_mutex_unlock(&b->lock);
	rt_obj_put(&prog->obj);
	rt_obj_put(&map->obj);
	pthread_mutex_lock(&b->lock);
}

static void *timer_thread(void *arg)
{
	struct rt_timer_base *b = arg;

	pthread_mutex_lock(&b->lock);
	while (!b->stopping) {
		struct rt_timer *t = b->armed;
		uint64_t now = now_ns(CLOCK_MONOTONIC);

		if (!t) {
			pthread_cond_wait(&b->wake, &b->lock);
		} else if (t->deadline > now) {
			struct timespec ts = { (time_t)(t->deadline / 1000000000ull),
					       (long)(t->deadline % 1000000000ull) };

			pthread_cond_timedwait(&b->wake, &b->lock, &ts);
		} else {
			disarm(b, t);
			run_one(b, t);
		}
	}
	pthread_mutex_unlock(&b->lock);
	urcu_bp_unregister_thread();
	return NULL;
}

/* Under the lock. */
static int start_thread(struct rt_timer_base *b)
{
	if (b->started)
		return 0;
	if (b->stopping)
		return -EPERM; /* the runtime is being freed */
	if (pthread_create(&b->thread, NULL, timer_thread, b))
		return -EAGAIN;
	b->started = true;
	return 0;
}

void rt_timers_init(struct sops_runtime *rt)
{
	struct rt_timer_base *b = &rt->timers;
	pthread_condattr_t ca;

	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&b->done, NULL);
}

void rt_timers_stop(struct sops_runtime *rt)
{
	struct rt_timer_base *b = &rt->timers;
	bool join;

	pthread_mutex_lock(&b->lock);
	b->stopping = true;
	join = b->started;
	b->started = false;
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->lock);
	if (join)
		pthread_join(b->thread, NULL);
}

void rt_timers_fini(struct sops_runtime *rt)
{
	struct rt_timer_base *b = &rt->timers;

	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->wake);
	pthread_cond_destroy(&b->done);
}

/* --- map side --- */

void rt_timer_elem_free(struct rt_map *map, uint32_t idx)
{
	struct rt_timer_base *b = &map->obj.rt->timers;
	struct sops_prog *prog = NULL;

	if (likely(!atomic_load_explicit(&map->has_timers, memory_order_acquire)))
		return;
	pthread_mutex_lock(&b->lock);
	if (map->timers && idx < map->timers->cnt && map->timers->slot[idx]) {
		prog = timer_detach(b, map->timers->slot[idx]);
		map->timers->slot[idx] = NULL;
	}
	pthread_mutex_unlock(&b->lock);
	prog_put(prog);
}

void rt_timers_map_release(struct rt_map *map)
{
	struct rt_timer_base *b = &map->obj.rt->timers;
	struct rt_map_timers *mt;

	if (!atomic_load(&map->has_timers))
		return;
	pthread_mutex_lock(&b->lock);
	mt = map->timers;
	for (uint32_t i = 0; mt && i < mt->cnt; i++) {
		if (mt->slot[i]) {
			/* The put only queues the program's free (call_rcu): safe under the lock. */
			prog_put(timer_detach(b, mt->slot[i]));
			mt->slot[i] = NULL;
		}
	}
	pthread_mutex_unlock(&b->lock);
}

void rt_map_timers_free(struct rt_map *map)
{
	rt_timers_map_release(map);
	free(map->timers);
	map->timers = NULL;
}

static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

void rt_map_find_timer(struct rt_map *map)
{
	const struct btf_type *t, *mt;
	const struct btf_member *m;
	const struct btf *btf;

	map->timer_off = -1;
	if (!map->btf || !map->btf_value_type_id || !map->ops->elem_of)
		return;
	btf = map->btf->btf;
	t = skip_mods(btf, map->btf_value_type_id);
	if (!t || !btf_is_struct(t))
		return;
	m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++, m++) {
		uint32_t bits = btf_member_bit_offset(t, i);

		mt = skip_mods(btf, m->type);
		if (!mt || !btf_is_struct(mt) || mt->size != 16 || bits % 64 ||
		    strcmp(btf__name_by_offset(btf, mt->name_off), "bpf_timer"))
			continue;
		if (bits / 8 + 16 <= map->value_size)
			map->timer_off = (int32_t)(bits / 8);
		return;
	}
}

/* --- helpers --- */

/* The map of the program's whose value holds the timer at @addr, and its slot. */
static struct rt_map *timer_owner(struct sops_prog *prog, uint64_t addr, uint32_t *idx)
{
	for (uint32_t i = 0; i < prog->map_cnt; i++) {
		struct rt_map *m = prog->maps[i];

		if (m->timer_off >= 0 && addr >= (uint64_t)m->timer_off &&
		    m->ops->elem_of(m, (const void *)(uintptr_t)(addr - (uint64_t)m->timer_off), idx))
			return m;
	}
	return NULL;
}

/* The timer at @addr (under the lock), or NULL when not initialized. */
static struct rt_timer *timer_of(struct sops_prog *prog, uint64_t addr, struct rt_map **mapp)
{
	uint32_t idx;
	struct rt_map *map = timer_owner(prog, addr, &idx);

	if (mapp)
		*mapp = map;
	if (!map || !map->timers || idx >= map->timers->cnt)
		return NULL;
	return map->timers->slot[idx];
}

HELPER(rt_helper_timer_init)
{
	struct rt_map *map = (struct rt_map *)(uintptr_t)r2;
	struct sops_prog *prog = PROG(aux);
	struct rt_timer_base *b = &prog->obj.rt->timers;
	clockid_t clock = (clockid_t)(r3 & (MAX_CLOCKS - 1));
	struct rt_timer *t;
	uint32_t idx;
	long err = 0;

	if (r3 >= MAX_CLOCKS ||
	    (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME && clock != CLOCK_BOOTTIME))
		return (uint64_t)-EINVAL;
	/* timer_owner looks only at the program's maps, so @map is one of them. */
	if (!map || timer_owner(prog, r1, &idx) != map)
		return (uint64_t)-EINVAL; /* the verifier's "timer is not in this map" */
	pthread_mutex_lock(&b->lock);
	if (!map->timers) {
		uint32_t cnt = map->ops->elem_cnt(map);

		map->timers = calloc(1, sizeof(*map->timers) + (size_t)cnt * sizeof(map->timers->slot[0]));
		if (!map->timers) {
			err = -ENOMEM;
			goto out;
		}
		map->timers->cnt = cnt;
		atomic_store_explicit(&map->has_timers, true, memory_order_release);
	}
	if (map->timers->slot[idx]) {
		err = -EBUSY;
		goto out;
	}
	if (!atomic_load(&map->usercnt)) {
		err = -EPERM;
		goto out;
	}
	err = start_thread(b);
	if (err)
		goto out;
	t = calloc(1, sizeof(*t));
	if (!t) {
		err = -ENOMEM;
		goto out;
	}
	t->map = map;
	t->idx = idx;
	t->value = (void *)(uintptr_t)(r1 - (uint64_t)map->timer_off);
	t->clock = clock;
	map->timers->slot[idx] = t;
out:
	pthread_mutex_unlock(&b->lock);
	return (uint64_t)err;
}

HELPER(rt_helper_timer_set_callback)
{
	struct rt_callback *cb = (struct rt_callback *)(uintptr_t)r2;
	struct sops_prog *prog = PROG(aux), *put = NULL, *cb_prog;
	struct rt_timer_base *b = &prog->obj.rt->timers;
	struct rt_map *map;
	struct rt_timer *t;
	long err = 0;

	if (unlikely(!prog->verified && !rt_prog_owns_callback(prog, cb)))
		return (uint64_t)-EINVAL;
	cb_prog = rt_callback_prog(cb);
	pthread_mutex_lock(&b->lock);
	t = timer_of(prog, r1, &map);
	if (!t) {
		err = -EINVAL;
	} else if (!atomic_load(&map->usercnt)) {
		err = -EPERM;
	} else {
		if (t->prog != cb_prog) {
			if (!rt_obj_get_not_zero(&cb_prog->obj)) {
				err = -EINVAL;
				goto out;
			}
			put = t->prog;
			t->prog = cb_prog;
		}
		t->cb = cb;
	}
out:
	pthread_mutex_unlock(&b->lock);
	prog_put(put);
	return (uint64_t)err;
}

HELPER(rt_helper_timer_start)
{
	struct sops_prog *prog = PROG(aux);
	struct rt_timer_base *b = &prog->obj.rt->timers;
	struct rt_timer *t;
	long err = 0;

	if (r3 & ~(TIMER_ABS | TIMER_CPU_PIN))
		return (uint64_t)-EINVAL;
	pthread_mutex_lock(&b->lock);
	t = timer_of(prog, r1, NULL);
	if (!t || !t->prog) {
		err = -EINVAL;
	} else {
		uint64_t mono = now_ns(CLOCK_MONOTONIC), deadline;

		if (r3 & TIMER_ABS) {
			uint64_t now = t->clock == CLOCK_MONOTONIC ? mono : now_ns(t->clock);

			deadline = r2 > now ? mono + (r2 - now) : mono;
		} else {
			deadline = r2 > UINT64_MAX - mono ? UINT64_MAX : mono + r2;
		}
		arm(b, t, deadline);
	}
	pthread_mutex_unlock(&b->lock);
	return (uint64_t)err;
}

HELPER(rt_helper_timer_cancel)
{
	struct sops_prog *prog = PROG(aux), *put = NULL;
	struct rt_timer_base *b = &prog->obj.rt->timers;
	struct rt_timer *t;
	long ret;

	pthread_mutex_lock(&b->lock);
	t = timer_of(prog, r1, NULL);
	if (!t) {
		ret = -EINVAL;
	} else if (b->running == t && b->started && pthread_equal(pthread_self(), b->thread)) {
		ret = -EDEADLK;
	} else {
		ret = t->armed;
		disarm(b, t);
		put = t->prog;
		t->prog = NULL;
		t->cb = NULL;
		if (b->running == t) {
			/* Another thread runs its callback: wait for it to finish. */
			uint64_t seq = b->cb_seq;

			while (b->cb_done < seq)
				pthread_cond_wait(&b->done, &b->lock);
		}
	}
	pthread_mutex_unlock(&b->lock);
	prog_put(put);
	return (uint64_t)ret;
}
