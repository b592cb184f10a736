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

/*
 * Map, key, value and ring buffer record arguments of unverified programs are
 * checked by the checked interpreter against each helper's prototype before
 * the call (src/vm/call_check.c); verified and trusted programs call straight
 * in. What remains here holds in every mode (e.g. a map of the right type).
 */
static HELPER(map_lookup_elem)
{
	struct rt_map *map = MAP(r1);

	if (!map->ops->lookup_elem)
		return 0;
	return (uint64_t)(uintptr_t)map->ops->lookup_elem(map, (const void *)(uintptr_t)r2);
}

static HELPER(map_update_elem)
{
	struct rt_map *map = MAP(r1);

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

	if (!map->ops->delete_elem)
		return (uint64_t)-EINVAL;
	if (map->map_flags & SOPS_BPF_F_RDONLY_PROG)
		return (uint64_t)-EPERM;
	return (uint64_t)map->ops->delete_elem(map, (const void *)(uintptr_t)r2);
}

static HELPER(map_lookup_percpu_elem)
{
	struct rt_map *map = MAP(r1);

	if (!map->ops->lookup_percpu_elem)
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
	rt_run_lock((atomic_int *)(uintptr_t)r1);
	return 0;
}

static HELPER(spin_unlock)
{
	rt_run_unlock((atomic_int *)(uintptr_t)r1);
	return 0;
}

/* --- ring buffers --- */

static inline bool ringbuf_arg_ok(void *aux, uint64_t r)
{
	return MAP(r)->map_type == SOPS_BPF_MAP_TYPE_RINGBUF;
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
	rt_ringbuf_commit((void *)(uintptr_t)r1, r2, false);
	return 0;
}

static HELPER(ringbuf_discard)
{
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
	if (unlikely(!callback_ok(aux, r2)))
		return (uint64_t)-EINVAL;
	if (!map->ops->for_each)
		return (uint64_t)-EINVAL;
	return (uint64_t)map->ops->for_each(map, for_each_cb, &fc, 0);
}

/*
 * Prototypes, in the kernel's terms (its bpf_func_proto of each helper). The
 * verifier proves them at load; the checked interpreter checks them before
 * each call of unverified code.
 */
#define P(name, ret, ...) static const struct sops_func_proto name = { ret, { __VA_ARGS__ }, 0 }
#define MEM_RO (SOPS_ARG_PTR_TO_MEM | SOPS_ARG_RDONLY)
#define MEM_OUT (SOPS_ARG_PTR_TO_MEM | SOPS_ARG_UNINIT)
#define MEM_RO_OR_NULL (MEM_RO | SOPS_ARG_MAYBE_NULL)
#define MEM_OR_NULL (SOPS_ARG_PTR_TO_MEM | SOPS_ARG_MAYBE_NULL)
#define STACK_OR_NULL (SOPS_ARG_PTR_TO_STACK | SOPS_ARG_MAYBE_NULL)
#define RB_RELEASE (SOPS_ARG_PTR_TO_RINGBUF_MEM | SOPS_ARG_RELEASE)

P(p_lookup, SOPS_RET_PTR_TO_MAP_VALUE_OR_NULL, SOPS_ARG_CONST_MAP_PTR, SOPS_ARG_PTR_TO_MAP_KEY);
P(p_update, SOPS_RET_INTEGER, SOPS_ARG_CONST_MAP_PTR, SOPS_ARG_PTR_TO_MAP_KEY,
  SOPS_ARG_PTR_TO_MAP_VALUE, SOPS_ARG_ANYTHING);
P(p_delete, SOPS_RET_INTEGER, SOPS_ARG_CONST_MAP_PTR, SOPS_ARG_PTR_TO_MAP_KEY);
P(p_lookup_percpu, SOPS_RET_PTR_TO_MAP_VALUE_OR_NULL, SOPS_ARG_CONST_MAP_PTR,
  SOPS_ARG_PTR_TO_MAP_KEY, SOPS_ARG_ANYTHING);
P(p_probe_read, SOPS_RET_INTEGER, MEM_OUT, SOPS_ARG_CONST_SIZE_OR_ZERO, SOPS_ARG_ANYTHING);
P(p_void, SOPS_RET_INTEGER, 0);
P(p_printk, SOPS_RET_INTEGER, MEM_RO, SOPS_ARG_CONST_SIZE, SOPS_ARG_ANYTHING, SOPS_ARG_ANYTHING,
  SOPS_ARG_ANYTHING);
P(p_spin, SOPS_RET_VOID, SOPS_ARG_PTR_TO_SPIN_LOCK);
P(p_rb_output, SOPS_RET_INTEGER, SOPS_ARG_CONST_MAP_PTR, MEM_RO, SOPS_ARG_CONST_SIZE_OR_ZERO,
  SOPS_ARG_ANYTHING);
P(p_rb_reserve, SOPS_RET_PTR_TO_RINGBUF_MEM_OR_NULL, SOPS_ARG_CONST_MAP_PTR,
  SOPS_ARG_CONST_ALLOC_SIZE_OR_ZERO, SOPS_ARG_ANYTHING);
P(p_rb_commit, SOPS_RET_VOID, RB_RELEASE, SOPS_ARG_ANYTHING);
P(p_rb_query, SOPS_RET_INTEGER, SOPS_ARG_CONST_MAP_PTR, SOPS_ARG_ANYTHING);
P(p_for_each, SOPS_RET_INTEGER, SOPS_ARG_CONST_MAP_PTR, SOPS_ARG_PTR_TO_FUNC, STACK_OR_NULL,
  SOPS_ARG_ANYTHING);
P(p_snprintf, SOPS_RET_INTEGER, MEM_OR_NULL | SOPS_ARG_UNINIT, SOPS_ARG_CONST_SIZE_OR_ZERO,
  SOPS_ARG_PTR_TO_CONST_STR, MEM_RO_OR_NULL, SOPS_ARG_CONST_SIZE_OR_ZERO);
P(p_timer_init, SOPS_RET_INTEGER, SOPS_ARG_PTR_TO_TIMER, SOPS_ARG_CONST_MAP_PTR, SOPS_ARG_ANYTHING);
P(p_timer_set_cb, SOPS_RET_INTEGER, SOPS_ARG_PTR_TO_TIMER, SOPS_ARG_PTR_TO_FUNC);
P(p_timer_start, SOPS_RET_INTEGER, SOPS_ARG_PTR_TO_TIMER, SOPS_ARG_ANYTHING, SOPS_ARG_ANYTHING);
P(p_timer_cancel, SOPS_RET_INTEGER, SOPS_ARG_PTR_TO_TIMER);
P(p_loop, SOPS_RET_INTEGER, SOPS_ARG_ANYTHING, SOPS_ARG_PTR_TO_FUNC, STACK_OR_NULL, SOPS_ARG_ANYTHING);
P(p_strncmp, SOPS_RET_INTEGER, MEM_RO, SOPS_ARG_CONST_SIZE, SOPS_ARG_PTR_TO_CONST_STR);
#undef P

bool rt_proto_valid(uint32_t ret, const uint32_t args[5])
{
	const uint32_t known = 0xffU | SOPS_ARG_MAYBE_NULL | SOPS_ARG_RDONLY | SOPS_ARG_UNINIT |
			       SOPS_ARG_RELEASE;

	if (ret >= SOPS_RET_TYPE_CNT)
		return false;
	for (int i = 0; i < 5; i++)
		if ((args[i] & ~known) || SOPS_ARG_BASE(args[i]) >= SOPS_ARG_TYPE_CNT)
			return false;
	return true;
}

/* The built-in table, by the kernel's helper ids (enum bpf_func_id). */
static const struct sops_helper base_helpers[] = {
	{ 1, "bpf_map_lookup_elem", map_lookup_elem, &p_lookup },
	{ 2, "bpf_map_update_elem", map_update_elem, &p_update },
	{ 3, "bpf_map_delete_elem", map_delete_elem, &p_delete },
	{ 4, "bpf_probe_read", rt_helper_probe_read, &p_probe_read },
	{ 5, "bpf_ktime_get_ns", ktime_get_ns, &p_void },
	{ 6, "bpf_trace_printk", rt_helper_trace_printk, &p_printk },
	{ 7, "bpf_get_prandom_u32", get_prandom_u32, &p_void },
	{ 8, "bpf_get_smp_processor_id", get_smp_processor_id, &p_void },
	{ 14, "bpf_get_current_pid_tgid", get_current_pid_tgid, &p_void },
	{ 45, "bpf_probe_read_str", rt_helper_probe_read_str, &p_probe_read },
	{ 93, "bpf_spin_lock", spin_lock, &p_spin },
	{ 94, "bpf_spin_unlock", spin_unlock, &p_spin },
	{ 112, "bpf_probe_read_user", rt_helper_probe_read, &p_probe_read },
	{ 113, "bpf_probe_read_kernel", rt_helper_probe_read, &p_probe_read },
	{ 114, "bpf_probe_read_user_str", rt_helper_probe_read_str, &p_probe_read },
	{ 115, "bpf_probe_read_kernel_str", rt_helper_probe_read_str, &p_probe_read },
	{ 125, "bpf_ktime_get_boot_ns", ktime_get_boot_ns, &p_void },
	{ 130, "bpf_ringbuf_output", ringbuf_output, &p_rb_output },
	{ 131, "bpf_ringbuf_reserve", ringbuf_reserve, &p_rb_reserve },
	{ 132, "bpf_ringbuf_submit", ringbuf_submit, &p_rb_commit },
	{ 133, "bpf_ringbuf_discard", ringbuf_discard, &p_rb_commit },
	{ 134, "bpf_ringbuf_query", ringbuf_query, &p_rb_query },
	{ 160, "bpf_ktime_get_coarse_ns", ktime_get_coarse_ns, &p_void },
	{ 164, "bpf_for_each_map_elem", for_each_map_elem, &p_for_each },
	{ 165, "bpf_snprintf", rt_helper_snprintf, &p_snprintf },
	{ 169, "bpf_timer_init", rt_helper_timer_init, &p_timer_init },
	{ 170, "bpf_timer_set_callback", rt_helper_timer_set_callback, &p_timer_set_cb },
	{ 171, "bpf_timer_start", rt_helper_timer_start, &p_timer_start },
	{ 172, "bpf_timer_cancel", rt_helper_timer_cancel, &p_timer_cancel },
	{ 181, "bpf_loop", loop, &p_loop },
	{ 182, "bpf_strncmp", rt_helper_strncmp, &p_strncmp },
	{ 195, "bpf_map_lookup_percpu_elem", map_lookup_percpu_elem, &p_lookup_percpu },
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
