/* SPDX-License-Identifier: MIT */
/*
 * test_map_mt.c - maps under many threads: 2 to 8 threads x 10^6 operations
 * (SOPS_TEST_MT_OPS overrides, e.g. under ASan) on HASH and LRU_HASH maps,
 * with results checked exactly against per-thread models, plus a shared
 * counter incremented through lookups and a program run from many threads.
 */
#include <pthread.h>
#include <string.h>

#include "test.h"
#include "test_rt_util.h"

#define KEYS_PER_THREAD 512

struct mt_arg {
	struct sops_runtime *rt;
	int fd;
	int tid;
	long ops;
	int errors;
	uint64_t model[KEYS_PER_THREAD]; /* 0 = absent */
};

/* Each thread owns keys tid<<32 | i: insert, overwrite, delete, look up; check every answer. */
static void *mt_worker(void *p)
{
	struct mt_arg *a = p;
	uint64_t x = 0x9e3779b97f4a7c15ull * (a->tid + 1);

	for (long n = 0; n < a->ops; n++) {
		uint32_t i;
		uint64_t key, val, out;
		int op, err;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		i = (uint32_t)(x % KEYS_PER_THREAD);
		op = (int)((x >> 32) % 4);
		key = ((uint64_t)a->tid << 32) | i;
		switch (op) {
		case 0:
		case 1:
			val = (x | 1) & 0xffffffffffffull;
			err = sops_map_update_elem(a->rt, a->fd, &key, &val, 0);
			if (err)
				a->errors++;
			else
				a->model[i] = val;
			break;
		case 2:
			err = sops_map_delete_elem(a->rt, a->fd, &key);
			if (err != (a->model[i] ? 0 : -ENOENT))
				a->errors++;
			a->model[i] = 0;
			break;
		default:
			err = sops_map_lookup_elem(a->rt, a->fd, &key, &out);
			if (a->model[i] ? (err || out != a->model[i]) : err != -ENOENT)
				a->errors++;
		}
	}
	return NULL;
}

static void mt_map_test(struct test_ctx *t, enum sops_bpf_map_type type, int nthreads)
{
	struct sops_runtime *rt = rt_test_new(false);
	struct mt_arg *args = calloc(nthreads, sizeof(*args));
	pthread_t th[8];
	long ops = rt_test_mt_ops();
	int fd;

	T_ASSERT(rt && args);
	/* room for every key: an LRU must then never evict */
	fd = sops_map_create(rt, type, "mt", 8, 8, nthreads * KEYS_PER_THREAD, NULL);
	T_ASSERT(fd > 0);
	for (int i = 0; i < nthreads; i++) {
		args[i] = (struct mt_arg){ .rt = rt, .fd = fd, .tid = i, .ops = ops };
		pthread_create(&th[i], NULL, mt_worker, &args[i]);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < nthreads; i++) {
		T_EQ(args[i].errors, 0);
		for (uint32_t k = 0; k < KEYS_PER_THREAD; k++) {
			uint64_t key = ((uint64_t)i << 32) | k, out = 0;
			int err = sops_map_lookup_elem(rt, fd, &key, &out);

			if (args[i].model[k]) {
				T_EQ(err, 0);
				T_EQ(out, args[i].model[k]);
			} else {
				T_EQ(err, -ENOENT);
			}
		}
	}
	free(args);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(map_mt_hash_2)
{
	mt_map_test(t, SOPS_BPF_MAP_TYPE_HASH, 2);
}

TEST(map_mt_hash_8)
{
	mt_map_test(t, SOPS_BPF_MAP_TYPE_HASH, 8);
}

TEST(map_mt_lru_4)
{
	mt_map_test(t, SOPS_BPF_MAP_TYPE_LRU_HASH, 4);
}

TEST(map_mt_lru_8)
{
	mt_map_test(t, SOPS_BPF_MAP_TYPE_LRU_HASH, 8);
}

/* An LRU far smaller than the key space: updates never fail, contents stay consistent. */
struct evict_arg {
	struct sops_runtime *rt;
	int fd, tid, errors;
	long ops;
};

static void *evict_worker(void *p)
{
	struct evict_arg *a = p;

	for (long n = 0; n < a->ops; n++) {
		uint64_t key = ((uint64_t)a->tid << 32) | (uint64_t)(n % 4096), val = key * 7, out;

		if (sops_map_update_elem(a->rt, a->fd, &key, &val, 0))
			a->errors++;
		if (sops_map_lookup_elem(a->rt, a->fd, &key, &out) == 0 && out != key * 7)
			a->errors++;
	}
	return NULL;
}

TEST(map_mt_lru_evicting)
{
	struct sops_runtime *rt = rt_test_new(false);
	struct evict_arg args[4];
	pthread_t th[4];
	int fd, count = 0;
	uint64_t cur, nk;
	void *prev = NULL;

	T_ASSERT(rt);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_LRU_HASH, "ev", 8, 8, 1000, NULL);
	T_ASSERT(fd > 0);
	for (int i = 0; i < 4; i++) {
		args[i] = (struct evict_arg){ rt, fd, i, 0, rt_test_mt_ops() / 4 };
		pthread_create(&th[i], NULL, evict_worker, &args[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++)
		T_EQ(args[i].errors, 0);
	while (sops_map_get_next_key(rt, fd, prev, &nk) == 0) {
		uint64_t out;

		T_EQ(sops_map_lookup_elem(rt, fd, &nk, &out), 0);
		T_EQ(out, nk * 7);
		count++;
		cur = nk;
		prev = &cur;
	}
	T_EQ(count, 1000);
	sops_close(rt, fd);
	sops_runtime__free(rt);
}

/* Programs on many threads incrementing one value atomically: the sum is exact. */
struct prog_arg {
	struct sops_runtime *rt;
	int pfd, errors;
	long runs;
};

static void *prog_worker(void *p)
{
	struct prog_arg *a = p;

	for (long n = 0; n < a->runs; n++) {
		uint64_t r;

		if (sops_prog_run(a->rt, a->pfd, NULL, 0, &r) || !r)
			a->errors++;
	}
	return NULL;
}

static void mt_prog_counter(struct test_ctx *t, enum sops_bpf_map_type type, bool jit)
{
	struct sops_runtime *rt = rt_test_new(jit);
	struct prog_arg args[6];
	pthread_t th[6];
	uint64_t k = 1, v = 0;
	long runs = rt_test_mt_ops() / 10;
	int fd, pfd;

	T_ASSERT(rt);
	fd = sops_map_create(rt, type, "c", 8, 8, 16, NULL);
	T_EQ(sops_map_update_elem(rt, fd, &k, &v, 0), 0);
	{
		struct sops_insn prog[] = { LD_MAP(1, fd), ST_DW(10, -8, 1), MOV_REG(2, 10), ADD_IMM(2, -8),
					    CALL(1), JEQ_IMM(0, 0, 3), MOV_IMM(1, 1), XADD_DW(0, 1, 0),
					    MOV_IMM(0, 1), EXIT() };

		pfd = rt_test_load(rt, prog, NINSN(prog), NULL, 0);
		T_ASSERT(pfd > 0);
	}
	for (int i = 0; i < 6; i++) {
		args[i] = (struct prog_arg){ rt, pfd, 0, runs };
		pthread_create(&th[i], NULL, prog_worker, &args[i]);
	}
	for (int i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 6; i++)
		T_EQ(args[i].errors, 0);
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &v), 0);
	T_EQ(v, 6 * runs);
	sops_close(rt, pfd);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(map_mt_prog_hash_interp)
{
	mt_prog_counter(t, SOPS_BPF_MAP_TYPE_HASH, false);
}

TEST(map_mt_prog_lru_jit)
{
	if (!sops_jit_available())
		T_SKIP("no JIT");
	mt_prog_counter(t, SOPS_BPF_MAP_TYPE_LRU_HASH, true);
}
