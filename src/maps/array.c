/* SPDX-License-Identifier: MIT */
/*
 * array.c - ARRAY and PERCPU_ARRAY maps (also the loader's global-data arrays:
 * .data, .rodata, .bss are one-element arrays read through lddw MAP_VALUE).
 *
 * Values live in one contiguous, zeroed, 8-byte-strided block allocated at
 * creation, so a lookup is a bounds check and a multiply, takes no lock and
 * never fails for a valid index; the block is also what checked mode allows
 * programs to touch. Trusted programs get that lookup inlined (gen_lookup). Updates copy in place (like the kernel, a concurrent
 * reader may see a torn value; programs use atomics or bpf_spin_lock for more).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/gen_insn.h"
#include "../runtime/rt_internal.h"

#define ARRAY_FLAGS                                                                                \
	(SOPS_BPF_F_NUMA_NODE | SOPS_BPF_F_RDONLY | SOPS_BPF_F_WRONLY | SOPS_BPF_F_RDONLY_PROG |   \
	 SOPS_BPF_F_WRONLY_PROG | SOPS_BPF_F_MMAPABLE | SOPS_BPF_F_INNER_MAP | (1U << 11))

struct rt_array {
	struct rt_map map;
	uint32_t elem_size; /* round_up(value_size, 8) */
	bool percpu;
	size_t values_size;
	char *values;
};

#define to_array(m) caa_container_of(m, struct rt_array, map)

/* The largest value (the kernel's: round_up() of it must not overflow 32 bits). */
#define ARRAY_VALUE_MAX INT32_MAX

static int array_alloc_check(const union sops_bpf_attr *attr)
{
	bool percpu = attr->map_type == SOPS_BPF_MAP_TYPE_PERCPU_ARRAY;

	if (attr->max_entries == 0 || attr->key_size != 4 || attr->value_size == 0 ||
	    attr->map_flags & ~ARRAY_FLAGS || (percpu && attr->map_flags & SOPS_BPF_F_MMAPABLE))
		return -EINVAL;
	if (attr->value_size > ARRAY_VALUE_MAX)
		return -E2BIG;
	if (percpu && ROUND_UP((uint64_t)attr->value_size, 8) > RT_PCPU_MIN_UNIT_SIZE)
		return -E2BIG;
	return 0;
}

/*
 * The value block: max_entries elements of round_up(value_size, 8) bytes,
 * times the CPU slots of a per-CPU map. The host copies one element's slots
 * at once, which must fit the 32-bit sys_value_size.
 */
static int array_layout(const union sops_bpf_attr *attr, uint32_t nr_cpus, uint64_t *values_size)
{
	bool percpu = attr->map_type == SOPS_BPF_MAP_TYPE_PERCPU_ARRAY;
	uint64_t elem = ROUND_UP((uint64_t)attr->value_size, 8), row;

	if (!rt_mul_ok(elem, percpu ? nr_cpus : 1, &row) || row > UINT32_MAX ||
	    !rt_mul_ok(row, attr->max_entries, values_size) || *values_size > SIZE_MAX / 2)
		return -E2BIG;
	return 0;
}

static int array_mem_size(const union sops_bpf_attr *attr, uint32_t nr_cpus, uint64_t *bytes)
{
	uint64_t values;
	int err = array_layout(attr, nr_cpus, &values);

	if (err)
		return err;
	return rt_add_ok(values, sizeof(struct rt_array), bytes) ? 0 : -E2BIG;
}

static int array_alloc(struct sops_runtime *rt, const union sops_bpf_attr *attr, struct rt_map **out)
{
	bool percpu = attr->map_type == SOPS_BPF_MAP_TYPE_PERCPU_ARRAY;
	uint32_t ncpu = percpu ? rt->nr_cpus : 1;
	struct rt_array *a;
	uint64_t total;
	int err;

	err = array_layout(attr, rt->nr_cpus, &total);
	if (err)
		return err;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->elem_size = (uint32_t)ROUND_UP((uint64_t)attr->value_size, 8);
	a->percpu = percpu;
	a->values_size = (size_t)total;
	a->values = rt_map_area_alloc(a->values_size);
	if (!a->values) {
		free(a);
		return -ENOMEM;
	}
	a->map.nr_cpus = ncpu;
	a->map.sys_value_size = percpu ? a->elem_size * ncpu : attr->value_size;
	*out = &a->map;
	return 0;
}

static void array_free(struct rt_map *map)
{
	struct rt_array *a = to_array(map);

	rt_map_area_free(a->values, a->values_size);
	free(a);
}

static void *array_lookup(struct rt_map *map, const void *key)
{
	struct rt_array *a = to_array(map);
	uint32_t idx = *(const uint32_t *)key;

	if (unlikely(idx >= map->max_entries))
		return NULL;
	return a->values + (size_t)idx * a->elem_size;
}

static void *percpu_array_lookup_cpu(struct rt_map *map, const void *key, uint32_t cpu)
{
	struct rt_array *a = to_array(map);
	uint32_t idx = *(const uint32_t *)key;

	if (unlikely(idx >= map->max_entries || cpu >= map->nr_cpus))
		return NULL;
	return a->values + ((size_t)idx * map->nr_cpus + cpu) * a->elem_size;
}

static void *percpu_array_lookup(struct rt_map *map, const void *key)
{
	return percpu_array_lookup_cpu(map, key, rt_cpu_slot(map));
}

static long array_update(struct rt_map *map, const void *key, const void *value, uint64_t flags)
{
	void *slot;

	if (unlikely((flags & ~(uint64_t)SOPS_BPF_F_LOCK) > SOPS_BPF_EXIST))
		return -EINVAL;
	if (unlikely(*(const uint32_t *)key >= map->max_entries))
		return -E2BIG;
	if (unlikely(flags & SOPS_BPF_NOEXIST))
		return -EEXIST; /* every element of an array always exists */
	slot = to_array(map)->percpu ? percpu_array_lookup(map, key) : array_lookup(map, key);
	memcpy(slot, value, map->value_size);
	/* An update cancels and frees the element's timer, as the kernel's. */
	rt_timer_elem_free(map, *(const uint32_t *)key);
	return 0;
}

static long array_delete(struct rt_map *map, const void *key)
{
	return -EINVAL;
}

static int percpu_sys_lookup(struct rt_map *map, const void *key, void *value, uint64_t flags)
{
	struct rt_array *a = to_array(map);
	uint32_t idx = *(const uint32_t *)key;

	if (idx >= map->max_entries)
		return -ENOENT;
	/* Each slot is copied whole (8-byte stride), as the kernel's bpf_percpu_array_copy. */
	memcpy(value, a->values + (size_t)idx * map->nr_cpus * a->elem_size,
	       (size_t)a->elem_size * map->nr_cpus);
	return 0;
}

static int percpu_sys_update(struct rt_map *map, const void *key, const void *value, uint64_t flags)
{
	struct rt_array *a = to_array(map);
	uint32_t idx = *(const uint32_t *)key;
	char *base;

	if ((flags & ~(uint64_t)SOPS_BPF_F_LOCK) > SOPS_BPF_EXIST)
		return -EINVAL;
	if (idx >= map->max_entries)
		return -E2BIG;
	if (flags & SOPS_BPF_NOEXIST)
		return -EEXIST;
	base = a->values + (size_t)idx * map->nr_cpus * a->elem_size;
	for (uint32_t c = 0; c < map->nr_cpus; c++)
		memcpy(base + (size_t)c * a->elem_size, (const char *)value + (size_t)c * a->elem_size,
		       map->value_size);
	return 0;
}

static int array_get_next_key(struct rt_map *map, const void *key, void *next_key)
{
	uint32_t idx = key ? *(const uint32_t *)key : UINT32_MAX;

	if (idx >= map->max_entries) {
		*(uint32_t *)next_key = 0;
		return 0;
	}
	if (idx == map->max_entries - 1)
		return -ENOENT;
	*(uint32_t *)next_key = idx + 1;
	return 0;
}

static int array_direct_value_addr(struct rt_map *map, uint64_t *addr, uint32_t off)
{
	if (map->max_entries != 1 || off >= map->value_size)
		return -EINVAL;
	*addr = (uint64_t)(uintptr_t)to_array(map)->values + off;
	return 0;
}

static bool array_mem_ok(struct rt_map *map, uint64_t addr, uint64_t size, bool write)
{
	struct rt_array *a = to_array(map);
	uint64_t lo = (uint64_t)(uintptr_t)a->values;

	if (write && map->map_flags & SOPS_BPF_F_RDONLY_PROG)
		return false;
	return addr >= lo && size <= a->values_size && addr - lo <= a->values_size - size;
}

static long array_for_each(struct rt_map *map,
			   long (*cb)(struct rt_map *map, void *key, void *value, void *ctx),
			   void *ctx, uint64_t flags)
{
	struct rt_array *a = to_array(map);
	/* Per-CPU: this CPU's slot, taken once for the walk (the kernel's runs without migrating). */
	uint32_t cpu = a->percpu ? rt_cpu_slot(map) : 0;
	long n = 0;

	for (uint32_t i = 0; i < map->max_entries; i++) {
		uint32_t key = i;

		n++;
		if (cb(map, &key, a->values + ((size_t)i * map->nr_cpus + cpu) * a->elem_size, ctx))
			break;
	}
	return n;
}

/*
 * Inline lookup (inline.c): r0 = *(u32 *)key; out of range -> 0, else
 * values + r0 * elem_size, with the block's address as a constant (arrays
 * never move their values).
 */
static int array_gen_lookup(struct rt_map *map, struct sops_insn *insns, bool jit)
{
	struct rt_array *a = to_array(map);
	uint32_t to_null;
	struct gen g;

	/* The 64-bit compare sign-extends its immediate: keep the bound positive. */
	if (map->max_entries > INT32_MAX || a->elem_size > INT32_MAX)
		return 0;
	gen_init(&g, insns, RT_GEN_LOOKUP_MAX);
	gen_ldx(&g, OPC_W, 0, 2, 0); /* r0 = *(u32 *)key */
	to_null = gen_jmp_imm(&g, OPC_JGE, 0, (int32_t)map->max_entries);
	gen_lookup_end(&g, (uint64_t)(uintptr_t)a->values, a->elem_size, to_null);
	return gen_done(&g);
}

static uint32_t array_elem_cnt(struct rt_map *map)
{
	return map->max_entries;
}

static bool array_elem_of(struct rt_map *map, const void *value, uint32_t *idx)
{
	struct rt_array *a = to_array(map);
	uintptr_t lo = (uintptr_t)a->values, v = (uintptr_t)value;

	if (v < lo || v - lo >= a->values_size || (v - lo) % a->elem_size)
		return false;
	*idx = (uint32_t)((v - lo) / a->elem_size);
	return true;
}

static void *array_elem_key(struct rt_map *map, uint32_t idx, void *buf)
{
	*(uint32_t *)buf = idx;
	return buf;
}

const struct rt_map_ops rt_array_ops = {
	.elem_cnt = array_elem_cnt,
	.elem_of = array_elem_of,
	.elem_key = array_elem_key,
	.alloc_check = array_alloc_check,
	.mem_size = array_mem_size,
	.alloc = array_alloc,
	.free = array_free,
	.lookup_elem = array_lookup,
	.update_elem = array_update,
	.delete_elem = array_delete,
	.get_next_key = array_get_next_key,
	.direct_value_addr = array_direct_value_addr,
	.mem_ok = array_mem_ok,
	.for_each = array_for_each,
	.gen_lookup = array_gen_lookup,
};

const struct rt_map_ops rt_percpu_array_ops = {
	.alloc_check = array_alloc_check,
	.mem_size = array_mem_size,
	.alloc = array_alloc,
	.free = array_free,
	.lookup_elem = percpu_array_lookup,
	.lookup_percpu_elem = percpu_array_lookup_cpu,
	.update_elem = array_update,
	.delete_elem = array_delete,
	.sys_lookup = percpu_sys_lookup,
	.sys_update = percpu_sys_update,
	.get_next_key = array_get_next_key,
	.mem_ok = array_mem_ok,
	.for_each = array_for_each,
};
