/* SPDX-License-Identifier: MIT */
/*
 * helpers.c - the built-in helpers: maps, time, random, CPU and task ids,
 * spin locks, ring buffers, bpf_loop and for_each_map_elem, and the table
 * that lists them with the kernel's ids.
 *
 * Helpers run on the program's thread inside its RCU read-side section, so
 * map lookups need no lock of their own. Nothing here allocates.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../maps/ringbuf.h"
#include "helpers.h"

#define PROG(aux) ((struct sops_prog *)(aux))
#define MAP(r) ((struct rt_map *)(uintptr_t)(r))
#define BPF_MAX_LOOPS (8 * 1024 * 1024)

/* Unverified code: the map argument must be one the program declared. */
static inline bool map_arg_ok(void *aux, uint64_t r)
{
	return likely(PROG(aux)->verified) || rt_prog_uses_map(PROG(aux), MAP(r));
}

static HELPER(map_lookup_elem)
{
	struct rt_map *map = MAP(r1);

	if (unlikely(!map_arg_ok(aux, r1)) || !map->ops->lookup_elem)
		return 0;
	return (uint64_t)(uintptr_t)map->ops->lookup_elem(map, (const void *)(uintptr_t)r2);
}

static HELPER(map_update_elem)
{
	struct rt_map *map = MAP(r1);

	if (unlikely(!map_arg_ok(aux, r1)))
		return (uint64_t)-EINVAL;
	if (!map->ops->update_elem)
		return (uint64_t)-EINVAL;
	if (map->map_flags & SOPS_BPF_F_RDONLY_PROG)
		return (uint64_t)-EPERM;
	return (uint64_t)map->ops->update_elem(map, (const void *)(uintptr_t)r2,
					       (const void *)(uintptr_t)r3, r4);
}

static HELPER(map_delete_elem)
{
	struct rt_map *map = MAP(r1);

	if (unlikely(!map_arg_ok(aux, r1)))
		return (uint64_t)-EINVAL;
	if (!map->ops->delete_elem)
		return (uint64_t)-EINVAL;
	if (map->map_flags & SOPS_BPF_F_RDONLY_PROG)
		return (uint64_t)-EPERM;
	return (uint64_t)map->ops->delete_elem(map, (const void *)(uintptr_t)r2);
}

static HELPER(map_lookup_percpu_elem)
{
	struct rt_map *map = MAP(r1);

	if (unlikely(!map_arg_ok(aux, r1)) || !map->ops->lookup_percpu_elem)
		return 0;
	return (uint64_t)(uintptr_t)map->ops->lookup_percpu_elem(map, (const void *)(uintptr_t)r2,
								  (uint32_t)r3);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static HELPER(ktime_get_ns)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static HELPER(ktime_get_boot_ns)
{
	return clock_ns(CLOCK_BOOTTIME);
}

static HELPER(ktime_get_coarse_ns)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

static HELPER(get_prandom_u32)
{
	/* Per-thread xorshift, seeded from the runtime's counter: no shared state on the path. */
	static __thread uint64_t state;

	if (unlikely(!state)) {
		struct sops_runtime *rt = PROG(aux)->obj.rt;

		state = ((uint64_t)atomic_fetch_add(&rt->prandom_seed, 0x9e3779b9u) << 32) ^
			(uint64_t)syscall(SYS_gettid) ^ clock_ns(CLOCK_MONOTONIC);
		state |= 1;
	}
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t)(state >> 11);
}

static HELPER(get_smp_processor_id)
{
	return rt_cpu_mod(PROG(aux)->obj.rt->nr_cpus);
}

static HELPER(get_current_pid_tgid)
{
	return ((uint64_t)(uint32_t)getpid() << 32) | (uint32_t)syscall(SYS_gettid);
}

/* bpf_spin_lock: a 4-byte lock word inside a map value. */
static HELPER(spin_lock)
{
	rt_spin_lock((atomic_int *)(uintptr_t)r1);
	return 0;
}

static HELPER(spin_unlock)
{
	rt_spin_unlock((atomic_int *)(uintptr_t)r1);
	return 0;
}

/* --- ring buffers --- */

static inline bool ringbuf_arg_ok(void *aux, uint64_t r)
{
	return map_arg_ok(aux, r) && MAP(r)->map_type == SOPS_BPF_MAP_TYPE_RINGBUF;
}

/* Unverified code: the record must come from one of the program's ring buffers. */
static bool sample_ok(void *aux, uint64_t sample)
{
	struct sops_prog *prog = PROG(aux);

	if (likely(prog->verified))
		return true;
	for (uint32_t i = 0; i < prog->map_cnt; i++)
		if (rt_ringbuf_owns(prog->maps[i], (const void *)(uintptr_t)sample))
			return true;
	return false;
}

static HELPER(ringbuf_output)
{
	if (unlikely(!ringbuf_arg_ok(aux, r1)))
		return (uint64_t)-EINVAL;
	return (uint64_t)rt_ringbuf_output(MAP(r1), (const void *)(uintptr_t)r2, r3, r4);
}

static HELPER(ringbuf_reserve)
{
	if (unlikely(!ringbuf_arg_ok(aux, r1)))
		return 0;
	return (uint64_t)(uintptr_t)rt_ringbuf_reserve(MAP(r1), r2, r3);
}

static HELPER(ringbuf_submit)
{
	if (sample_ok(aux, r1))
		rt_ringbuf_commit((void *)(uintptr_t)r1, r2, false);
	return 0;
}

static HELPER(ringbuf_discard)
{
	if (sample_ok(aux, r1))
		rt_ringbuf_commit((void *)(uintptr_t)r1, r2, true);
	return 0;
}

static HELPER(ringbuf_query)
{
	if (unlikely(!ringbuf_arg_ok(aux, r1)))
		return 0;
	return rt_ringbuf_query(MAP(r1), r2);
}

/* --- callbacks --- */

static inline bool callback_ok(void *aux, uint64_t cb)
{
	return likely(PROG(aux)->verified) ||
	       rt_prog_owns_callback(PROG(aux), (const struct rt_callback *)(uintptr_t)cb);
}

static HELPER(loop)
{
	struct rt_callback *cb = (struct rt_callback *)(uintptr_t)r2;
	uint64_t i;

	if (r4)
		return (uint64_t)-EINVAL;
	if (r1 > BPF_MAX_LOOPS)
		return (uint64_t)-E2BIG;
	if (unlikely(!callback_ok(aux, r2)))
		return (uint64_t)-EINVAL;
	for (i = 0; i < r1; i++)
		if (rt_callback_call(cb, i, r3, 0, 0, 0))
			return i + 1;
	return i;
}

struct for_each_ctx {
	struct rt_callback *cb;
	uint64_t ctx;
};

static long for_each_cb(struct rt_map *map, void *key, void *value, void *c)
{
	struct for_each_ctx *fc = c;

	return (long)rt_callback_call(fc->cb, (uint64_t)(uintptr_t)map, (uint64_t)(uintptr_t)key,
				      (uint64_t)(uintptr_t)value, fc->ctx, 0);
}

static HELPER(for_each_map_elem)
{
	struct for_each_ctx fc = { (struct rt_callback *)(uintptr_t)r2, r3 };
	struct rt_map *map = MAP(r1);

	if (r4)
		return (uint64_t)-EINVAL;
	if (unlikely(!map_arg_ok(aux, r1) || !callback_ok(aux, r2)))
		return (uint64_t)-EINVAL;
	if (!map->ops->for_each)
		return (uint64_t)-EINVAL;
	return (uint64_t)map->ops->for_each(map, for_each_cb, &fc, 0);
}

/* The built-in table, by the kernel's helper ids (enum bpf_func_id). */
static const struct sops_helper base_helpers[] = {
	{ 1, "bpf_map_lookup_elem", map_lookup_elem },
	{ 2, "bpf_map_update_elem", map_update_elem },
	{ 3, "bpf_map_delete_elem", map_delete_elem },
	{ 4, "bpf_probe_read", rt_helper_probe_read },
	{ 5, "bpf_ktime_get_ns", ktime_get_ns },
	{ 6, "bpf_trace_printk", rt_helper_trace_printk },
	{ 7, "bpf_get_prandom_u32", get_prandom_u32 },
	{ 8, "bpf_get_smp_processor_id", get_smp_processor_id },
	{ 14, "bpf_get_current_pid_tgid", get_current_pid_tgid },
	{ 45, "bpf_probe_read_str", rt_helper_probe_read_str },
	{ 93, "bpf_spin_lock", spin_lock },
	{ 94, "bpf_spin_unlock", spin_unlock },
	{ 112, "bpf_probe_read_user", rt_helper_probe_read },
	{ 113, "bpf_probe_read_kernel", rt_helper_probe_read },
	{ 114, "bpf_probe_read_user_str", rt_helper_probe_read_str },
	{ 115, "bpf_probe_read_kernel_str", rt_helper_probe_read_str },
	{ 125, "bpf_ktime_get_boot_ns", ktime_get_boot_ns },
	{ 130, "bpf_ringbuf_output", ringbuf_output },
	{ 131, "bpf_ringbuf_reserve", ringbuf_reserve },
	{ 132, "bpf_ringbuf_submit", ringbuf_submit },
	{ 133, "bpf_ringbuf_discard", ringbuf_discard },
	{ 134, "bpf_ringbuf_query", ringbuf_query },
	{ 160, "bpf_ktime_get_coarse_ns", ktime_get_coarse_ns },
	{ 164, "bpf_for_each_map_elem", for_each_map_elem },
	{ 165, "bpf_snprintf", rt_helper_snprintf },
	{ 169, "bpf_timer_init", rt_helper_timer_init },
	{ 170, "bpf_timer_set_callback", rt_helper_timer_set_callback },
	{ 171, "bpf_timer_start", rt_helper_timer_start },
	{ 172, "bpf_timer_cancel", rt_helper_timer_cancel },
	{ 181, "bpf_loop", loop },
	{ 182, "bpf_strncmp", rt_helper_strncmp },
	{ 195, "bpf_map_lookup_percpu_elem", map_lookup_percpu_elem },
};

const struct sops_helper *rt_base_helpers(size_t *cnt)
{
	*cnt = sizeof(base_helpers) / sizeof(base_helpers[0]);
	return base_helpers;
}

bool rt_base_helper_allowed(uint32_t type, uint32_t id)
{
	/* SYSCALL and STRUCT_OPS programs get the whole base set (the kernel's base protos). */
	return true;
}
