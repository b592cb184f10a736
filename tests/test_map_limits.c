/* SPDX-License-Identifier: MIT */
/*
 * test_map_limits.c - map creation under hostile sizes: every size product
 * (value rounding, entries, per-CPU slots, element headers) refused with
 * E2BIG instead of wrapping, zero sizes with EINVAL, the runtime's map memory
 * limit (sops_runtime_opts.map_mem_limit) with ENOMEM and its release when
 * maps are freed, including from several threads, and big maps that cost
 * address space but not memory until used.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "test_rt_util.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static struct sops_runtime *rt_limits(size_t limit, uint32_t nr_cpus)
{
	struct sops_runtime_opts o = { .sz = sizeof(o), .map_mem_limit = limit, .nr_cpus = nr_cpus };
	struct sops_runtime *rt = NULL;

	return sops_runtime__new(&o, &rt) ? NULL : rt;
}

static int mk(struct sops_runtime *rt, enum sops_bpf_map_type type, uint32_t key, uint32_t value,
	      uint32_t entries)
{
	return sops_map_create(rt, type, "m", key, value, entries, NULL);
}

/* Wait for closed maps' deferred frees, which release their memory. */
static void settle(struct sops_runtime *rt)
{
	sops_runtime__live_objects(rt, SOPS_OBJ_MAP);
}

/* Resident set of this process in bytes (0 when /proc is missing). */
static uint64_t rss_bytes(void)
{
	unsigned long long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * (uint64_t)sysconf(_SC_PAGESIZE);
}

TEST(map_limits_array_value_overflow)
{
	struct sops_runtime *rt = rt_limits(0, 2);
	uint32_t k = 0;
	uint64_t v = 7;
	int fd;

	T_ASSERT(rt);
	/* round_up(0xffffffff, 8) wraps 32 bits to 0: the old tiny allocation. */
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 0xffffffffu, 1), -E2BIG);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 0xfffffff9u, 1), -E2BIG);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, (uint32_t)INT32_MAX + 1, 1), -E2BIG);
	/* The largest value the type accepts is still more than the whole default limit. */
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, INT32_MAX, 1), -E2BIG);
	/* entries * value: 8 * 2^32-1 = 32 GiB */
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 8, 0xffffffffu), -E2BIG);
	/* value rounded up to 8 before multiplying: 2^27 entries of 1 byte are 1 GiB, not 128 MiB */
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 1, 1u << 27), -E2BIG);
	fd = mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 1, 1u << 26);
	T_ASSERT(fd > 0);
	sops_close(rt, fd);
	/* Nothing was charged by the refusals: a normal map works and copies its size. */
	fd = mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 8, 4);
	T_ASSERT(fd > 0);
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, 0), 0);
	v = 0;
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &v), 0);
	T_EQ(v, 7);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(map_limits_zero_and_bad_sizes)
{
	struct sops_runtime *rt = rt_limits(0, 2);

	T_ASSERT(rt);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 0, 1), -EINVAL);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 8, 0), -EINVAL);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 8, 8, 1), -EINVAL);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_PERCPU_ARRAY, 4, 0, 1), -EINVAL);
	for (int ti = 0; ti < 4; ti++) {
		static const enum sops_bpf_map_type types[] = {
			SOPS_BPF_MAP_TYPE_HASH, SOPS_BPF_MAP_TYPE_PERCPU_HASH, SOPS_BPF_MAP_TYPE_LRU_HASH,
			SOPS_BPF_MAP_TYPE_LRU_PERCPU_HASH,
		};

		T_EQ(mk(rt, types[ti], 0, 8, 1), -EINVAL);
		T_EQ(mk(rt, types[ti], 8, 0, 1), -EINVAL);
		T_EQ(mk(rt, types[ti], 8, 8, 0), -EINVAL);
		/* keys live on the program's stack: at most 512 bytes */
		T_EQ(mk(rt, types[ti], 513, 8, 1), -E2BIG);
		T_EQ(mk(rt, types[ti], 0xffffffffu, 8, 1), -E2BIG);
		T_EQ(mk(rt, types[ti], 8, 0xffffffffu, 1), -E2BIG);
	}
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(map_limits_hash_products)
{
	struct sops_runtime *rt = rt_limits(0, 2);
	int fd;

	T_ASSERT(rt);
	/* An element must fit the kernel's largest kmalloc (4 MiB) with its key and header. */
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_HASH, 8, 4 * MiB, 1), -E2BIG);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_HASH, 8, 4 * MiB - 512, 1), -E2BIG);
	fd = mk(rt, SOPS_BPF_MAP_TYPE_HASH, 8, 4 * MiB - 1024, 1);
	T_ASSERT(fd > 0);
	sops_close(rt, fd);
	/* max_entries over 2^31, and totals of many GiB (buckets, headers, values) */
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_HASH, 8, 8, 0xffffffffu), -E2BIG);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_HASH, 8, 8, (1u << 31) + 1), -E2BIG);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_HASH, 8, 8, 1u << 31), -E2BIG);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_LRU_HASH, 512, 8, 1u << 30), -E2BIG);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_HASH, 8, 1 * MiB, 4096), -E2BIG);
	/* a reasonable map of 2^18 entries still works */
	fd = mk(rt, SOPS_BPF_MAP_TYPE_HASH, 8, 8, 1u << 18);
	T_ASSERT(fd > 0);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(map_limits_percpu_products)
{
	/* A host claiming 2^20 CPUs: value * nr_cpus must not wrap the 32-bit host copy size. */
	struct sops_runtime *rt = rt_limits(0, 1u << 20);
	int fd;

	T_ASSERT(rt);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32 * KiB, 1), -E2BIG);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_PERCPU_HASH, 8, 32 * KiB, 1), -E2BIG);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_LRU_PERCPU_HASH, 8, 32 * KiB, 1), -E2BIG);
	/* 4 KiB * 2^20 = 4 GiB: one over the 32-bit copy size */
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4 * KiB, 1), -E2BIG);
	/* 8 bytes * 2^20 CPUs = 8 MiB per element: fine once, over the limit 200 times */
	fd = mk(rt, SOPS_BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1);
	T_ASSERT(fd > 0);
	sops_close(rt, fd);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 200), -E2BIG);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_PERCPU_HASH, 8, 8, 200), -E2BIG);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);

	/* The per-CPU unit size counts the value rounded up to 8. */
	rt = rt_limits(0, 2);
	T_ASSERT(rt);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32 * KiB + 1, 1), -E2BIG);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_PERCPU_HASH, 8, 32 * KiB + 1, 1), -E2BIG);
	fd = mk(rt, SOPS_BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32 * KiB, 1);
	T_ASSERT(fd > 0);
	sops_close(rt, fd);
	fd = mk(rt, SOPS_BPF_MAP_TYPE_PERCPU_HASH, 8, 32 * KiB, 1);
	T_ASSERT(fd > 0);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(map_limits_ringbuf)
{
	struct sops_runtime *rt = rt_limits(8 * MiB, 2);
	long pg = sysconf(_SC_PAGESIZE);
	int a, b;

	T_ASSERT(rt);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_RINGBUF, 0, 0, 0), -EINVAL);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_RINGBUF, 0, 0, 3 * (uint32_t)pg), -EINVAL); /* not 2^n */
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_RINGBUF, 0, 0, (uint32_t)pg / 2), -EINVAL); /* not pages */
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_RINGBUF, 4, 0, (uint32_t)pg), -EINVAL);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_RINGBUF, 0, 4, (uint32_t)pg), -EINVAL);
	/* 2 GiB: the largest size there is, more than this runtime's whole limit */
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_RINGBUF, 0, 0, 1u << 31), -E2BIG);
	/* 4 MiB of data plus the meta pages: one fits the 8 MiB limit, a second does not */
	a = mk(rt, SOPS_BPF_MAP_TYPE_RINGBUF, 0, 0, 4 * MiB);
	T_ASSERT(a > 0);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_RINGBUF, 0, 0, 4 * MiB), -ENOMEM);
	b = mk(rt, SOPS_BPF_MAP_TYPE_RINGBUF, 0, 0, 2 * MiB);
	T_ASSERT(b > 0);
	sops_close(rt, a);
	settle(rt);
	a = mk(rt, SOPS_BPF_MAP_TYPE_RINGBUF, 0, 0, 4 * MiB);
	T_ASSERT(a > 0);
	sops_close(rt, a);
	sops_close(rt, b);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(map_limits_cap)
{
	struct sops_runtime *rt = rt_limits(4 * MiB, 2);
	int a, b, c;

	T_ASSERT(rt);
	/* One map larger than the whole limit: E2BIG, whatever else lives. */
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 1 * MiB, 5), -E2BIG);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_HASH, 8, 64 * KiB, 64), -E2BIG); /* 128 elements with spares */
	a = mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 1 * MiB, 2);
	T_ASSERT(a > 0);
	/* 2 MiB more (plus headers) does not fit beside it: ENOMEM, and it charged nothing. */
	for (int i = 0; i < 100; i++)
		T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 1 * MiB, 2), -ENOMEM);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_HASH, 8, 16 * KiB, 64), -ENOMEM);
	c = mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 1 * MiB, 1);
	T_ASSERT(c > 0);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 1 * MiB, 1), -ENOMEM);
	/* Closing gives the memory back once the map is freed. */
	sops_close(rt, a);
	settle(rt);
	b = mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 1 * MiB, 2);
	T_ASSERT(b > 0);
	sops_close(rt, b);
	sops_close(rt, c);
	settle(rt);
	/* Everything released: nearly the whole limit in one hash map. */
	a = mk(rt, SOPS_BPF_MAP_TYPE_HASH, 8, 24 * KiB, 64);
	T_ASSERT(a > 0);
	sops_close(rt, a);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

/* An older caller's opts (without map_mem_limit) get the default limit of 1 GiB. */
TEST(map_limits_default_and_lazy)
{
	struct sops_runtime_opts o = { .sz = offsetof(struct sops_runtime_opts, map_mem_limit) };
	struct sops_runtime *rt = NULL;
	uint64_t before, after;
	uint32_t k = 1000;
	uint8_t *v = malloc(1 * MiB);
	int fd;

	T_ASSERT(v);
	T_EQ(sops_runtime__new(&o, &rt), 0);
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 1 * MiB, 1024), -E2BIG); /* 1 GiB + header */
	/* 1023 MiB of values: created without touching them. */
	before = rss_bytes();
	fd = mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 1 * MiB, 1023);
	T_ASSERT(fd > 0);
	after = rss_bytes();
	if (before && after > before + 64 * MiB)
		T_FAIL("creating a 1023 MiB array made %llu MiB resident",
		       (unsigned long long)((after - before) / MiB));
	T_EQ(mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 1 * MiB, 2), -ENOMEM);
	/* The untouched values read as zero and take writes. */
	memset(v, 0xab, 1 * MiB);
	T_EQ(sops_map_lookup_elem(rt, fd, &k, v), 0);
	T_EQ(v[0] | v[1 * MiB - 1], 0);
	v[5] = 9;
	T_EQ(sops_map_update_elem(rt, fd, &k, v, 0), 0);
	v[5] = 0;
	T_EQ(sops_map_lookup_elem(rt, fd, &k, v), 0);
	T_EQ(v[5], 9);
	free(v);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

/* Threads create and free maps against one limit; no charge is lost or leaked. */
struct mt_arg {
	struct sops_runtime *rt;
	long ok, nomem, other;
};

static void *mt_worker(void *p)
{
	struct mt_arg *a = p;

	for (int i = 0; i < 200; i++) {
		int fd = mk(a->rt, i & 1 ? SOPS_BPF_MAP_TYPE_HASH : SOPS_BPF_MAP_TYPE_ARRAY, i & 1 ? 8 : 4,
			    64 * KiB, 4);

		if (fd > 0) {
			a->ok++;
			sops_close(a->rt, fd);
		} else if (fd == -ENOMEM) {
			a->nomem++;
		} else {
			a->other++;
		}
	}
	return NULL;
}

TEST(map_limits_threads)
{
	struct sops_runtime *rt = rt_limits(16 * MiB, 2);
	struct mt_arg args[4];
	pthread_t th[4];
	long ok = 0;
	int fd;

	T_ASSERT(rt);
	for (int i = 0; i < 4; i++) {
		args[i] = (struct mt_arg){ .rt = rt };
		T_EQ(pthread_create(&th[i], NULL, mt_worker, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		T_EQ(args[i].other, 0);
		ok += args[i].ok;
	}
	T_ASSERT(ok > 0);
	settle(rt);
	/* With every map freed the whole limit is back: 15 MiB in one map fits. */
	fd = mk(rt, SOPS_BPF_MAP_TYPE_ARRAY, 4, 1 * MiB, 15);
	T_ASSERT(fd > 0);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}
