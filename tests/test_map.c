/* SPDX-License-Identifier: MIT */
/*
 * test_map.c - every map type's host-side semantics: update flags, E2BIG when
 * full, ENOENT, EEXIST, key iteration, lookup-and-delete, per-CPU copies,
 * LRU eviction, read-only maps, freeze, ring buffer commands.
 */
#include <string.h>

#include "test.h"
#include "test_rt_util.h"

TEST(map_array)
{
	struct sops_runtime *rt = rt_test_new(false);
	uint32_t k, next;
	uint64_t v, out;
	int fd;

	T_ASSERT(rt);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "arr", 4, 8, 4, NULL);
	T_ASSERT(fd > 0);
	k = 2;
	v = 42;
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &out), 0);
	T_EQ(out, 0); /* zero-filled */
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, SOPS_BPF_ANY), 0);
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, SOPS_BPF_EXIST), 0);
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, SOPS_BPF_NOEXIST), -EEXIST);
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, 7), -EINVAL);
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &out), 0);
	T_EQ(out, 42);
	k = 4;
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, 0), -E2BIG);
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &out), -ENOENT);
	T_EQ(sops_map_delete_elem(rt, fd, &k), -EINVAL);
	T_EQ(sops_map_get_next_key(rt, fd, NULL, &next), 0);
	T_EQ(next, 0);
	k = 2;
	T_EQ(sops_map_get_next_key(rt, fd, &k, &next), 0);
	T_EQ(next, 3);
	k = 3;
	T_EQ(sops_map_get_next_key(rt, fd, &k, &next), -ENOENT);
	k = 100;
	T_EQ(sops_map_get_next_key(rt, fd, &k, &next), 0);
	T_EQ(next, 0);
	T_EQ(sops_map_lookup_and_delete_elem(rt, fd, &k, &out), -SOPS_ENOTSUPP);
	/* freeze: no more host writes */
	T_EQ(sops_map_freeze(rt, fd), 0);
	T_EQ(sops_map_freeze(rt, fd), -EBUSY);
	k = 0;
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, 0), -EPERM);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(map_rdonly_wronly)
{
	struct sops_runtime *rt = rt_test_new(false);
	struct sops_map_create_opts o = { .sz = sizeof(o), .map_flags = SOPS_BPF_F_RDONLY };
	uint32_t k = 0, v = 1;
	int fd;

	T_ASSERT(rt);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "ro", 4, 4, 4, &o);
	T_ASSERT(fd > 0);
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, 0), -EPERM);
	T_EQ(sops_map_delete_elem(rt, fd, &k), -EPERM);
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &v), -ENOENT);
	sops_close(rt, fd);
	o.map_flags = SOPS_BPF_F_WRONLY;
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "wo", 4, 4, 4, &o);
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, 0), 0);
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &v), -EPERM);
	T_EQ(sops_map_lookup_elem_flags(rt, fd, &k, &v, SOPS_BPF_F_LOCK), -EPERM);
	sops_close(rt, fd);
	sops_runtime__free(rt);
}

TEST(map_percpu_array)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .nr_cpus = 4 };
	struct sops_runtime *rt = NULL;
	uint64_t vals[4] = { 1, 2, 3, 4 }, out[4];
	uint32_t k = 1;
	int fd;

	T_EQ(sops_runtime__new(&ro, &rt), 0);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_PERCPU_ARRAY, "pa", 4, 8, 2, NULL);
	T_ASSERT(fd > 0);
	T_EQ(sops_map_update_elem(rt, fd, &k, vals, 0), 0);
	memset(out, 0, sizeof(out));
	T_EQ(sops_map_lookup_elem(rt, fd, &k, out), 0);
	for (int i = 0; i < 4; i++)
		T_EQ(out[i], i + 1);
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_PERCPU_ARRAY, "big", 4, 40000, 2, NULL), -E2BIG);
	sops_close(rt, fd);
	sops_runtime__free(rt);
}

static void hash_semantics(struct test_ctx *t, enum sops_bpf_map_type type)
{
	struct sops_runtime *rt = rt_test_new(false);
	uint64_t k, v, out, seen = 0;
	int fd, n = 0, err;

	T_ASSERT(rt);
	fd = sops_map_create(rt, type, "h", 8, 8, 8, NULL);
	T_ASSERT(fd > 0);
	k = 1;
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &out), -ENOENT);
	T_EQ(sops_map_delete_elem(rt, fd, &k), -ENOENT);
	v = 10;
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, SOPS_BPF_EXIST), -ENOENT);
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, SOPS_BPF_NOEXIST), 0);
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, SOPS_BPF_NOEXIST), -EEXIST);
	v = 11;
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, SOPS_BPF_EXIST), 0);
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &out), 0);
	T_EQ(out, 11);
	for (k = 2; k <= 8; k++) {
		v = k * 10;
		T_EQ(sops_map_update_elem(rt, fd, &k, &v, 0), 0);
	}
	k = 9;
	err = sops_map_update_elem(rt, fd, &k, &v, 0);
	if (type == SOPS_BPF_MAP_TYPE_HASH) {
		T_EQ(err, -E2BIG); /* full */
		/* replacing an existing key still works when full */
		k = 3;
		v = 33;
		T_EQ(sops_map_update_elem(rt, fd, &k, &v, 0), 0);
		T_EQ(sops_map_lookup_elem(rt, fd, &k, &out), 0);
		T_EQ(out, 33);
	} else {
		T_EQ(err, 0); /* LRU evicts */
		T_EQ(sops_map_lookup_elem(rt, fd, &k, &out), 0);
		k = 8; /* put it back as it was, something else goes */
		v = 80;
		sops_map_update_elem(rt, fd, &k, &v, 0);
	}
	/* iteration visits every key once */
	{
		uint64_t cur, nk;
		void *prev = NULL;

		while (sops_map_get_next_key(rt, fd, prev, &nk) == 0) {
			T_ASSERT(nk >= 1 && nk <= 9);
			T_ASSERT(!(seen & (1ull << nk)));
			seen |= 1ull << nk;
			n++;
			cur = nk;
			prev = &cur;
		}
		/* an LRU replace may evict first (the element is taken before the bucket lock) */
		T_ASSERT(n == 8 || (type == SOPS_BPF_MAP_TYPE_LRU_HASH && n == 7));
	}
	k = 2;
	if (type == SOPS_BPF_MAP_TYPE_HASH) {
		T_EQ(sops_map_lookup_and_delete_elem(rt, fd, &k, &out), 0);
		T_EQ(out, 20);
		T_EQ(sops_map_lookup_elem(rt, fd, &k, &out), -ENOENT);
		k = 100;
		v = 1;
		T_EQ(sops_map_update_elem(rt, fd, &k, &v, 0), 0); /* room again */
	}
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, 5), -EINVAL);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(map_hash)
{
	hash_semantics(t, SOPS_BPF_MAP_TYPE_HASH);
}

TEST(map_lru_hash)
{
	hash_semantics(t, SOPS_BPF_MAP_TYPE_LRU_HASH);
}

TEST(map_lru_evicts_unreferenced)
{
	struct sops_runtime *rt = rt_test_new(false);
	uint32_t k, v, out;
	int fd, present = 0;

	T_ASSERT(rt);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_LRU_HASH, "lru", 4, 4, 64, NULL);
	T_ASSERT(fd > 0);
	for (k = 0; k < 1000; k++) {
		v = k * 3;
		T_EQ(sops_map_update_elem(rt, fd, &k, &v, 0), 0);
	}
	for (k = 0; k < 1000; k++)
		if (sops_map_lookup_elem(rt, fd, &k, &out) == 0) {
			T_EQ(out, k * 3);
			present++;
		}
	T_EQ(present, 64);
	k = 999; /* the newest is kept */
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &out), 0);
	sops_close(rt, fd);
	sops_runtime__free(rt);
}

/* Updating a key that is present must not evict another one, even with the pool exhausted. */
TEST(map_lru_update_existing_keeps_others)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .nr_cpus = 4 };
	struct sops_runtime *rt = NULL;
	uint32_t k, v, out;
	int fd;

	T_EQ(sops_runtime__new(&ro, &rt), 0);
	for (int percpu = 0; percpu < 2; percpu++) {
		uint64_t big[4] = { 0 }, got[4]; /* per-CPU: one 8-byte slot per CPU */

		fd = sops_map_create(rt, percpu ? SOPS_BPF_MAP_TYPE_LRU_PERCPU_HASH : SOPS_BPF_MAP_TYPE_LRU_HASH,
				     "lru", 4, 4, 16, NULL);
		T_ASSERT(fd > 0);
		for (k = 0; k < 16; k++) {
			v = k + 100;
			big[0] = v;
			T_EQ(sops_map_update_elem(rt, fd, &k, percpu ? (void *)big : (void *)&v, 0), 0);
		}
		/* Many updates of present keys, with every flag that allows them. */
		for (int round = 0; round < 200; round++) {
			k = (uint32_t)round % 16;
			v = k + 1000 + (uint32_t)round;
			big[0] = v;
			T_EQ(sops_map_update_elem(rt, fd, &k, percpu ? (void *)big : (void *)&v,
						  round % 2 ? SOPS_BPF_EXIST : SOPS_BPF_ANY), 0);
		}
		for (k = 0; k < 16; k++) {
			/* The last round that touched k: the largest r < 200 with r % 16 == k. */
			uint32_t want = k + 1000 + (k < 8 ? 192 + k : 176 + k);

			if (percpu) {
				T_EQ(sops_map_lookup_elem(rt, fd, &k, got), 0);
				out = (uint32_t)got[0];
			} else {
				T_EQ(sops_map_lookup_elem(rt, fd, &k, &out), 0);
			}
			T_EQ(out, want);
		}
		/* BPF_EXIST on an absent key: ENOENT, and still nothing evicted. */
		k = 77;
		T_EQ(sops_map_update_elem(rt, fd, &k, percpu ? (void *)big : (void *)&v, SOPS_BPF_EXIST), -ENOENT);
		for (k = 0; k < 16; k++)
			T_EQ(sops_map_lookup_elem(rt, fd, &k, percpu ? (void *)got : (void *)&out), 0);
		sops_close(rt, fd);
	}
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(map_percpu_hash)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .nr_cpus = 3 };
	struct sops_runtime *rt = NULL;
	uint32_t vals[6] = { 1, 0, 2, 0, 3, 0 }, out[6]; /* 4-byte values, 8-byte stride */
	uint64_t k = 5;
	int fd;

	T_EQ(sops_runtime__new(&ro, &rt), 0);
	for (int lru = 0; lru < 2; lru++) {
		fd = sops_map_create(rt, lru ? SOPS_BPF_MAP_TYPE_LRU_PERCPU_HASH : SOPS_BPF_MAP_TYPE_PERCPU_HASH,
				     "ph", 8, 4, 4, NULL);
		T_ASSERT(fd > 0);
		T_EQ(sops_map_update_elem(rt, fd, &k, vals, 0), 0);
		memset(out, 0xff, sizeof(out));
		T_EQ(sops_map_lookup_elem(rt, fd, &k, out), 0);
		T_EQ(out[0], 1);
		T_EQ(out[2], 2);
		T_EQ(out[4], 3);
		T_EQ(sops_map_delete_elem(rt, fd, &k), 0);
		sops_close(rt, fd);
	}
	sops_runtime__free(rt);
}

TEST(map_ringbuf_commands)
{
	struct sops_runtime *rt = rt_test_new(false);
	uint32_t k = 0, v;
	int fd;

	T_ASSERT(rt);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096, NULL);
	T_ASSERT(fd > 0);
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &v), -SOPS_ENOTSUPP);
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, 0), -SOPS_ENOTSUPP);
	T_EQ(sops_map_get_next_key(rt, fd, NULL, &v), -SOPS_ENOTSUPP);
	T_EQ(sops_map_delete_elem(rt, fd, &k), -SOPS_ENOTSUPP);
	T_EQ(sops_map_lookup_and_delete_elem(rt, fd, &k, &v), -SOPS_ENOTSUPP);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

/* lddw MAP_VALUE: a global-data array read and written directly by the program. */
TEST(map_global_data)
{
	struct sops_runtime *rt = rt_test_new(false);
	uint32_t k = 0, ret;
	uint64_t v = 5, out;
	int fd, pfd;

	T_ASSERT(rt);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, ".data", 4, 16, 1, NULL);
	T_ASSERT(fd > 0);
	T_EQ(sops_map_update_elem(rt, fd, &k, (uint64_t[2]){ 0, 5 }, 0), 0);
	{
		struct sops_insn prog[] = { LD_MAP_VALUE(1, fd, 8), LDX_DW(0, 1, 0), ADD_IMM(0, 1),
					    STX_DW(1, 0, 0), EXIT() };

		pfd = rt_test_load(rt, prog, NINSN(prog), NULL, 0);
		T_ASSERT(pfd > 0);
		T_EQ(rt_test_run(rt, pfd, NULL, 0, &ret), 0);
		T_EQ(ret, 6);
	}
	{
		uint64_t both[2];

		T_EQ(sops_map_lookup_elem(rt, fd, &k, both), 0);
		out = both[1];
	}
	T_EQ(out, v + 1);
	{
		/* offset past the value: rejected at load */
		struct sops_insn bad[] = { LD_MAP_VALUE(1, fd, 16), MOV_IMM(0, 0), EXIT() };

		T_EQ(rt_test_load(rt, bad, NINSN(bad), NULL, 0), -EINVAL);
	}
	sops_close(rt, pfd);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

static int elem_cmd(struct sops_runtime *rt, int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union sops_bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = (uint64_t)(uintptr_t)key;
	attr.value = (uint64_t)(uintptr_t)value;
	attr.flags = flags;
	return sops_bpf(rt, cmd, &attr, sizeof(attr));
}

/* The *_ELEM commands' shared checks: flags, buffers, access modes, freezing. */
TEST(map_elem_command_errors)
{
	struct sops_runtime *rt = rt_test_new(false);
	struct sops_map_create_opts o = { .sz = sizeof(o) };
	uint32_t k = 1, v = 2;
	int fd;

	T_ASSERT(rt);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "h", 4, 4, 4, NULL);
	T_ASSERT(fd > 0);
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, 0), 0);
	/* lookups take BPF_F_LOCK only, checked before the handle */
	T_EQ(elem_cmd(rt, SOPS_BPF_MAP_LOOKUP_ELEM, 999, &k, &v, SOPS_BPF_EXIST), -EINVAL);
	T_EQ(elem_cmd(rt, SOPS_BPF_MAP_LOOKUP_AND_DELETE_ELEM, 999, &k, &v, SOPS_BPF_EXIST), -EINVAL);
	/* BPF_F_LOCK: no map here has a spin lock */
	T_EQ(sops_map_lookup_elem_flags(rt, fd, &k, &v, SOPS_BPF_F_LOCK), -EINVAL);
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, SOPS_BPF_F_LOCK), -EINVAL);
	T_EQ(elem_cmd(rt, SOPS_BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, &k, &v, SOPS_BPF_F_LOCK), -EINVAL);
	/* missing buffers */
	T_EQ(sops_map_lookup_elem(rt, fd, NULL, &v), -EFAULT);
	T_EQ(sops_map_lookup_elem(rt, fd, &k, NULL), -EFAULT);
	T_EQ(sops_map_update_elem(rt, fd, &k, NULL, 0), -EFAULT);
	T_EQ(sops_map_delete_elem(rt, fd, NULL), -EFAULT);
	T_EQ(sops_map_get_next_key(rt, fd, NULL, NULL), -EFAULT);
	T_EQ(sops_map_lookup_and_delete_elem(rt, fd, &k, NULL), -EFAULT);
	T_EQ(sops_map_lookup_and_delete_elem(rt, fd, NULL, &v), -EFAULT);
	/* frozen: host writes are EPERM, reads still work */
	T_EQ(sops_map_freeze(rt, fd), 0);
	T_EQ(sops_map_delete_elem(rt, fd, &k), -EPERM);
	T_EQ(sops_map_lookup_and_delete_elem(rt, fd, &k, &v), -EPERM);
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &v), 0);
	T_EQ(v, 2);
	sops_close(rt, fd);
	/* write-only: no iteration, no lookup_and_delete, no freeze */
	o.map_flags = SOPS_BPF_F_WRONLY;
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "wo", 4, 4, 4, &o);
	T_ASSERT(fd > 0);
	T_EQ(sops_map_get_next_key(rt, fd, NULL, &k), -EPERM);
	T_EQ(sops_map_lookup_and_delete_elem(rt, fd, &k, &v), -EPERM);
	T_EQ(sops_map_freeze(rt, fd), -EPERM);
	sops_close(rt, fd);
	/* read-only: no lookup_and_delete */
	o.map_flags = SOPS_BPF_F_RDONLY;
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "ro", 4, 4, 4, &o);
	T_ASSERT(fd > 0);
	T_EQ(sops_map_lookup_and_delete_elem(rt, fd, &k, &v), -EPERM);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}
