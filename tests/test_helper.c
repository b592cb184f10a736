/* SPDX-License-Identifier: MIT */
/*
 * test_helper.c - the helpers: ring buffers (several producers, one
 * consumer), bpf_loop, for_each_map_elem, trace_printk into a sink, snprintf,
 * strncmp, probe_read's safe copy, spin locks, time and ids, and helpers and
 * kfuncs a host registers.
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "../src/helpers/helpers.h"
#include "test.h"
#include "test_rt_util.h"

/* --- ring buffer: 4 producer threads running a program, a consumer polling --- */

struct rb_state {
	uint64_t sum, cnt;
};

static int rb_sample(void *ctx, void *data, size_t size)
{
	struct rb_state *s = ctx;

	if (size != 8)
		return -EINVAL;
	s->sum += *(uint64_t *)data;
	s->cnt++;
	return 0;
}

struct producer {
	struct sops_runtime *rt;
	int pfd, tid, errors;
	long n;
};

static void *rb_producer(void *p)
{
	struct producer *a = p;

	for (long i = 0; i < a->n; i++) {
		uint64_t v = (uint64_t)a->tid * 1000000 + (uint64_t)i, r = 0;

		do {
			if (sops_prog_run(a->rt, a->pfd, &v, sizeof(v), &r))
				a->errors++;
		} while (!r); /* full: wait for the consumer */
	}
	return NULL;
}

static void ringbuf_test(struct test_ctx *t, bool jit)
{
	struct sops_runtime *rt = rt_test_new(jit);
	struct rb_state st = { 0 };
	struct sops_ring_buffer *rb;
	struct producer prods[4];
	pthread_t th[4];
	uint64_t expect_sum = 0, expect_cnt = 0;
	long n = rt_test_mt_ops() / 20;
	int fd, pfd;

	T_ASSERT(rt);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 16384, NULL);
	T_ASSERT(fd > 0);
	{
		struct sops_insn prog[] = {
			MOV_REG(6, 1), LD_MAP(1, fd), MOV_IMM(2, 8), MOV_IMM(3, 0), CALL(131),
			JEQ_IMM(0, 0, 6), LDX_DW(1, 6, 0), STX_DW(0, 1, 0), MOV_REG(1, 0),
			MOV_IMM(2, 0), CALL(132), MOV_IMM(0, 1), EXIT(),
		};
		char log[256];

		pfd = rt_test_load(rt, prog, NINSN(prog), log, sizeof(log));
		if (pfd < 0)
			T_FAIL("load %d: %s", pfd, log);
	}
	rb = sops_ring_buffer__new(rt, fd, rb_sample, &st, NULL);
	T_ASSERT(rb);
	T_ASSERT(sops_ring_buffer__epoll_fd(rb) >= 0);
	for (int i = 0; i < 4; i++) {
		prods[i] = (struct producer){ rt, pfd, i, 0, n };
		pthread_create(&th[i], NULL, rb_producer, &prods[i]);
		for (long j = 0; j < n; j++)
			expect_sum += (uint64_t)i * 1000000 + (uint64_t)j;
		expect_cnt += (uint64_t)n;
	}
	while (st.cnt < expect_cnt) {
		int got = sops_ring_buffer__poll(rb, 10);

		T_ASSERT(got >= 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		T_EQ(prods[i].errors, 0);
	}
	T_EQ(sops_ring_buffer__consume(rb), 0);
	T_EQ(st.cnt, expect_cnt);
	T_EQ(st.sum, expect_sum);
	sops_ring_buffer__free(rb);
	sops_close(rt, pfd);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(helper_ringbuf_producers_interp)
{
	ringbuf_test(t, false);
}

TEST(helper_ringbuf_producers_jit)
{
	if (!sops_jit_available())
		T_SKIP("no JIT");
	ringbuf_test(t, true);
}

TEST(helper_ringbuf_discard_query_output)
{
	struct sops_runtime *rt = rt_test_new(false);
	struct rb_state st = { 0 };
	struct sops_ring_buffer *rb;
	uint32_t ret;
	int fd, pfd;

	T_ASSERT(rt);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096, NULL);
	{
		/* reserve+discard one, output one (8 bytes from the stack), return AVAIL_DATA */
		struct sops_insn prog[] = {
			LD_MAP(1, fd), MOV_IMM(2, 16), MOV_IMM(3, 0), CALL(131), JEQ_IMM(0, 0, 3),
			MOV_REG(1, 0), MOV_IMM(2, 0), CALL(133),
			ST_DW(10, -8, 77), LD_MAP(1, fd), MOV_REG(2, 10), ADD_IMM(2, -8), MOV_IMM(3, 8),
			MOV_IMM(4, 0), CALL(130),
			LD_MAP(1, fd), MOV_IMM(2, 0), CALL(134), EXIT(),
		};
		char log[256];

		pfd = rt_test_load(rt, prog, NINSN(prog), log, sizeof(log));
		if (pfd < 0)
			T_FAIL("load %d: %s", pfd, log);
	}
	T_EQ(rt_test_run(rt, pfd, NULL, 0, &ret), 0);
	T_EQ(ret, 24 + 16); /* discarded record (8+16) + output record (8+8) */
	rb = sops_ring_buffer__new(rt, fd, rb_sample, &st, NULL);
	T_EQ(sops_ring_buffer__consume(rb), 1);
	T_EQ(st.sum, 77);
	T_EQ(sops_ring_buffer__new(rt, pfd, rb_sample, &st, NULL) == NULL, 1);
	T_EQ(errno, EINVAL);
	sops_ring_buffer__free(rb);
	sops_close(rt, pfd);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

/* --- callbacks --- */

static void loop_test(struct test_ctx *t, bool jit)
{
	struct sops_runtime *rt = rt_test_new(jit);
	uint32_t k = 0, ret;
	uint64_t v;
	int fd, pfd, hfd;

	T_ASSERT(rt);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "acc", 4, 8, 1, NULL);
	{
		struct sops_insn prog[] = {
			LD_MAP(1, fd), ST_W(10, -4, 0), MOV_REG(2, 10), ADD_IMM(2, -4), CALL(1),
			JEQ_IMM(0, 0, 6), MOV_REG(3, 0), MOV_IMM(1, 10), LD_FUNC(2, 4), MOV_IMM(4, 0),
			CALL(181), EXIT(),
			/* callback(index, ctx): *ctx += index; continue */
			LDX_DW(3, 2, 0), ADD_REG(3, 1), STX_DW(2, 3, 0), MOV_IMM(0, 0), EXIT(),
		};
		char log[256];

		pfd = rt_test_load(rt, prog, NINSN(prog), log, sizeof(log));
		if (pfd < 0)
			T_FAIL("load %d: %s", pfd, log);
	}
	T_EQ(rt_test_run(rt, pfd, NULL, 0, &ret), 0);
	T_EQ(ret, 10);
	T_EQ(sops_map_lookup_elem(rt, fd, &k, &v), 0);
	T_EQ(v, 45);

	/* for_each over a hash: callback(map, key, value, ctx) returns 0, count is returned */
	hfd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "h", 4, 8, 16, NULL);
	for (k = 0; k < 5; k++) {
		v = k;
		sops_map_update_elem(rt, hfd, &k, &v, 0);
	}
	{
		struct sops_insn prog[] = {
			LD_MAP(1, hfd), LD_FUNC(2, 5), MOV_IMM(3, 0), MOV_IMM(4, 0), CALL(164), EXIT(),
			/* callback: value *= 10 */
			LDX_DW(1, 3, 0), I(0x27, 1, 0, 0, 10), STX_DW(3, 1, 0), MOV_IMM(0, 0), EXIT(),
		};
		int p2 = rt_test_load(rt, prog, NINSN(prog), NULL, 0);

		T_ASSERT(p2 > 0);
		T_EQ(rt_test_run(rt, p2, NULL, 0, &ret), 0);
		T_EQ(ret, 5);
		k = 3;
		T_EQ(sops_map_lookup_elem(rt, hfd, &k, &v), 0);
		T_EQ(v, 30);
		sops_close(rt, p2);
	}
	sops_close(rt, hfd);
	sops_close(rt, pfd);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(helper_loop_for_each_interp)
{
	loop_test(t, false);
}

TEST(helper_loop_for_each_jit)
{
	if (!sops_jit_available())
		T_SKIP("no JIT");
	loop_test(t, true);
}

/* --- printing and strings --- */

static char sink_buf[256];

static void sink(void *ctx, const char *msg, size_t len)
{
	int *calls = ctx;

	(*calls)++;
	snprintf(sink_buf, sizeof(sink_buf), "%.*s", (int)len, msg);
}

TEST(helper_trace_printk_sink)
{
	struct sops_runtime *rt = rt_test_new(false);
	int calls = 0, pfd;
	uint32_t ret;
	/* "v=%d s\n\0" */
	struct sops_insn prog[] = {
		LD_IMM64(1, 0x000a732064253d76ull), STX_DW(10, 1, -8), MOV_REG(1, 10), ADD_IMM(1, -8),
		MOV_IMM(2, 8), MOV_IMM(3, -42), CALL(6), EXIT(),
	};

	T_ASSERT(rt);
	sops_runtime__set_trace_sink(rt, sink, &calls);
	pfd = rt_test_load(rt, prog, NINSN(prog), NULL, 0);
	T_ASSERT(pfd > 0);
	T_EQ(rt_test_run(rt, pfd, NULL, 0, &ret), 0);
	T_EQ(calls, 1);
	T_STREQ(sink_buf, "v=-42 s\n");
	T_EQ(ret, 8);
	sops_close(rt, pfd);
	sops_runtime__free(rt);
}

TEST(helper_snprintf_strncmp)
{
	struct sops_prog prog;
	char out[32];
	const char *str = "abc";
	uint64_t args[4] = { 7, (uint64_t)(uintptr_t)str, 0xff, 'Z' };
	uint64_t r;

	memset(&prog, 0, sizeof(prog));
	r = rt_helper_snprintf((uintptr_t)out, sizeof(out), (uintptr_t)"%u-%s-%05x%c%%", (uintptr_t)args,
			       sizeof(args), &prog);
	T_STREQ(out, "7-abc-000ffZ%");
	T_EQ(r, 14);
	r = rt_helper_snprintf((uintptr_t)out, 4, (uintptr_t)"%d", (uintptr_t)args, 8, &prog);
	T_STREQ(out, "7");
	T_EQ((int64_t)rt_helper_snprintf((uintptr_t)out, 4, (uintptr_t)"%d %d", (uintptr_t)args, 8, &prog),
	     -EINVAL); /* too few args */
	T_EQ((int64_t)rt_helper_snprintf((uintptr_t)out, 4, (uintptr_t)"%q", (uintptr_t)args, 8, &prog),
	     -EINVAL);
	T_EQ((int64_t)rt_helper_strncmp((uintptr_t)"abcd", 3, (uintptr_t)"abcx", 0, 0, &prog), 0);
	T_EQ((int64_t)rt_helper_strncmp((uintptr_t)"abcd", 4, (uintptr_t)"abcx", 0, 0, &prog), -1);
	T_EQ((int64_t)rt_helper_strncmp((uintptr_t)"b", 2, (uintptr_t)"a", 0, 0, &prog), 1);
	/* %s of a bad pointer prints a marker, never crashes */
	args[1] = 16;
	rt_helper_snprintf((uintptr_t)out, sizeof(out), (uintptr_t)"%s", (uintptr_t)&args[1], 8, &prog);
	T_STREQ(out, "(fault)");
}

TEST(helper_probe_read_faults)
{
	struct sops_prog prog;
	char dst[16];
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_ASSERT(m != MAP_FAILED);
	memset(&prog, 0, sizeof(prog));
	T_EQ(rt_helper_probe_read((uintptr_t)dst, 6, (uintptr_t)"hello", 0, 0, &prog), 0);
	T_STREQ(dst, "hello");
	memset(dst, 1, sizeof(dst));
	T_EQ((int64_t)rt_helper_probe_read((uintptr_t)dst, 8, 8, 0, 0, &prog), -EFAULT);
	T_EQ(dst[0], 0); /* zeroed on fault, as the kernel */
	/* a string ending right before an unmapped page */
	munmap(m + pg, pg);
	memcpy(m + pg - 3, "hi", 3);
	T_EQ((int64_t)rt_helper_probe_read_str((uintptr_t)dst, 16, (uintptr_t)(m + pg - 3), 0, 0, &prog), 3);
	T_STREQ(dst, "hi");
	T_EQ((int64_t)rt_helper_probe_read_str((uintptr_t)dst, 16, (uintptr_t)(m + pg), 0, 0, &prog), -EFAULT);
	munmap(m, pg);
}

/* --- misc helpers through programs --- */

TEST(helper_time_ids_random_spinlock)
{
	struct sops_runtime *rt = rt_test_new(false);
	uint32_t ret, k = 0;
	uint64_t v[2];
	int fd, pfd;

	T_ASSERT(rt);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "l", 4, 16, 1, NULL);
	{
		/* lock value[0]; value[1] = ktime_ns != 0 && pid_tgid>>32 == getpid(); unlock */
		struct sops_insn prog[] = {
			LD_MAP(1, fd), ST_W(10, -4, 0), MOV_REG(2, 10), ADD_IMM(2, -4), CALL(1),
			JEQ_IMM(0, 0, 14), MOV_REG(6, 0), MOV_REG(1, 6), CALL(93),
			CALL(5), JEQ_IMM(0, 0, 7), CALL(125), JEQ_IMM(0, 0, 5), CALL(14),
			I(0x77, 0, 0, 0, 32), STX_DW(6, 0, 8), CALL(7), CALL(8),
			MOV_REG(1, 6), CALL(94), MOV_IMM(0, 1), EXIT(),
		};
		char log[256];

		pfd = rt_test_load(rt, prog, NINSN(prog), log, sizeof(log));
		if (pfd < 0)
			T_FAIL("load %d: %s", pfd, log);
	}
	T_EQ(rt_test_run(rt, pfd, NULL, 0, &ret), 0);
	T_EQ(ret, 1);
	T_EQ(sops_map_lookup_elem(rt, fd, &k, v), 0);
	T_EQ(v[0], 0); /* unlocked */
	T_EQ(v[1], (uint64_t)getpid());
	sops_close(rt, pfd);
	sops_close(rt, fd);
	sops_runtime__free(rt);
}

/* --- host helpers and kfuncs --- */

static uint64_t host_add(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, void *aux)
{
	return a + b + (aux != NULL);
}

static uint64_t kf_mul(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a * b;
}

TEST(helper_host_registered)
{
	struct sops_runtime *rt = rt_test_new(false);
	struct sops_helper_desc hd = { .sz = sizeof(hd), .id = 10000, .name = "host_add", .fn = host_add,
				       .arg_type = { SOPS_ARG_ANYTHING, SOPS_ARG_ANYTHING } };
	struct sops_kfunc_desc kd = { .sz = sizeof(kd), .name = "kf_mul", .fn = kf_mul, .btf_id = 500,
				      .flags = SOPS_KF_TRUSTED_ARGS };
	struct sops_insn p1[] = { MOV_IMM(1, 40), MOV_IMM(2, 1), CALL(10000), EXIT() };
	struct sops_insn p2[] = { MOV_IMM(1, 6), MOV_IMM(2, 7), I(0x85, 0, 2, 0, 500), EXIT() };
	struct sops_insn p3[] = { MOV_IMM(1, 6), MOV_IMM(2, 7), I(0x85, 0, 2, 0, 501), EXIT() };
	uint32_t ret;
	int fd;

	T_ASSERT(rt);
	T_EQ(rt_test_load(rt, p1, NINSN(p1), NULL, 0), -EINVAL); /* not registered yet */
	T_EQ(sops_runtime__register_helper(rt, &hd), 0);
	T_EQ(sops_runtime__register_helper(rt, &hd), -EEXIST);
	fd = rt_test_load(rt, p1, NINSN(p1), NULL, 0);
	T_ASSERT(fd > 0);
	T_EQ(rt_test_run(rt, fd, NULL, 0, &ret), 0);
	T_EQ(ret, 42);
	sops_close(rt, fd);

	T_EQ(sops_runtime__register_kfunc(rt, &kd), 0);
	T_EQ(sops_runtime__register_kfunc(rt, &kd), -EEXIST);
	T_EQ(sops_runtime__find_kfunc_id(rt, "kf_mul"), 500);
	T_EQ(sops_runtime__find_kfunc_id(rt, "nope"), -ENOENT);
	fd = rt_test_load(rt, p2, NINSN(p2), NULL, 0);
	T_ASSERT(fd > 0);
	T_EQ(rt_test_run(rt, fd, NULL, 0, &ret), 0);
	T_EQ(ret, 42);
	sops_close(rt, fd);
	T_EQ(rt_test_load(rt, p3, NINSN(p3), NULL, 0), -EINVAL);
	/* a kfunc for another program type: not allowed */
	kd.btf_id = 502;
	kd.prog_types = SOPS_PROG_TYPE_BIT(SOPS_BPF_PROG_TYPE_STRUCT_OPS);
	T_EQ(sops_runtime__register_kfunc(rt, &kd), 0);
	p3[2].imm = 502;
	T_EQ(rt_test_load(rt, p3, NINSN(p3), NULL, 0), -EACCES);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

/* Unverified code passing a bogus map pointer to a helper gets EFAULT, not a crash. */
TEST(helper_checked_bad_map_arg)
{
	struct sops_runtime *rt = rt_test_new(false);
	struct sops_insn prog[] = { MOV_IMM(1, 0x1000), MOV_REG(2, 10), ADD_IMM(2, -8), ST_DW(10, -8, 0),
				    CALL(1), EXIT() };
	uint32_t ret = 1;
	int fd;

	T_ASSERT(rt);
	fd = rt_test_load(rt, prog, NINSN(prog), NULL, 0);
	T_ASSERT(fd > 0);
	/* The call never happens: the argument check stops the run (tests/test_redteam.c has more). */
	T_EQ(rt_test_run(rt, fd, NULL, 0, &ret), -EFAULT);
	sops_close(rt, fd);
	sops_runtime__free(rt);
}

/* --- helpers and kfuncs limited to one struct_ops type (st_ops_name) --- */

static uint64_t host_seven(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, void *aux)
{
	return 7;
}

static uint64_t kf_eight(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return 8;
}

/* A stand-in STRUCT_OPS program type: no attach checks, the generic test run. */
static const struct rt_prog_type_ops fake_st_ops_type = { 0 };

static int load_st_ops(struct sops_runtime *rt, uint32_t attach_btf_id, const struct sops_insn *insns,
		       size_t cnt, char *log, size_t log_size)
{
	struct sops_prog_load_opts o = { .sz = sizeof(o), .log_buf = log, .log_size = (uint32_t)log_size,
					 .attach_btf_id = attach_btf_id };

	return sops_prog_load(rt, SOPS_BPF_PROG_TYPE_STRUCT_OPS, "st", "GPL", insns, cnt, &o);
}

TEST(helper_st_ops_name_filter)
{
	struct btf *btf = btf__new_empty();
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .host_btf = btf };
	struct sops_runtime *rt = NULL;
	struct sops_helper_desc hd = { .sz = sizeof(hd), .id = 10001, .name = "host_seven", .fn = host_seven,
				       .st_ops_name = "ops_a" };
	struct sops_kfunc_desc kd = { .sz = sizeof(kd), .name = "kf_eight", .fn = kf_eight, .btf_id = 600,
				      .st_ops_name = "ops_a" };
	struct sops_insn ph[] = { CALL(10001), EXIT() };
	struct sops_insn pk[] = { I(0x85, 0, 2, 0, 600), EXIT() };
	int id_a, id_b, id_int, fd;
	uint32_t ret;
	char log[256];

	T_ASSERT(btf);
	id_int = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	id_a = btf__add_struct(btf, "ops_a", 8);
	id_b = btf__add_struct(btf, "ops_b", 8);
	T_ASSERT(id_int > 0 && id_a > 0 && id_b > 0);
	T_EQ(sops_runtime__new(&ro, &rt), 0);
	T_EQ(rt_register_prog_type(rt, SOPS_BPF_PROG_TYPE_STRUCT_OPS, &fake_st_ops_type), 0);
	T_EQ(sops_runtime__register_helper(rt, &hd), 0);
	T_EQ(sops_runtime__register_kfunc(rt, &kd), 0);

	/* The struct type named: helper and kfunc are there. */
	fd = load_st_ops(rt, (uint32_t)id_a, ph, NINSN(ph), log, sizeof(log));
	if (fd < 0)
		T_FAIL("ops_a helper load %d: %s", fd, log);
	T_EQ(rt_test_run(rt, fd, NULL, 0, &ret), 0);
	T_EQ(ret, 7);
	sops_close(rt, fd);
	fd = load_st_ops(rt, (uint32_t)id_a, pk, NINSN(pk), log, sizeof(log));
	if (fd < 0)
		T_FAIL("ops_a kfunc load %d: %s", fd, log);
	T_EQ(rt_test_run(rt, fd, NULL, 0, &ret), 0);
	T_EQ(ret, 8);
	sops_close(rt, fd);

	/* Another struct type: refused, with the reason. */
	T_EQ(load_st_ops(rt, (uint32_t)id_b, ph, NINSN(ph), log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "only for struct_ops type ops_a"));
	T_EQ(load_st_ops(rt, (uint32_t)id_b, pk, NINSN(pk), log, sizeof(log)), -EACCES);
	T_ASSERT(strstr(log, "not allowed"));
	/* attach_btf_id that is no struct (or none): no struct type, refused too. */
	T_EQ(load_st_ops(rt, (uint32_t)id_int, ph, NINSN(ph), log, sizeof(log)), -EINVAL);
	/* Not a struct_ops program at all. */
	T_EQ(rt_test_load(rt, ph, NINSN(ph), NULL, 0), -EINVAL);
	T_EQ(rt_test_load(rt, pk, NINSN(pk), NULL, 0), -EACCES);

	/* Overriding a built-in helper for one struct type leaves the built-in to the others. */
	hd.id = 7; /* bpf_get_prandom_u32 */
	T_EQ(sops_runtime__register_helper(rt, &hd), 0);
	{
		struct sops_insn pr[] = { CALL(7), EXIT() };
		uint32_t seven = 0;

		fd = load_st_ops(rt, (uint32_t)id_a, pr, NINSN(pr), log, sizeof(log));
		T_ASSERT(fd > 0);
		T_EQ(rt_test_run(rt, fd, NULL, 0, &ret), 0);
		T_EQ(ret, 7);
		sops_close(rt, fd);
		fd = load_st_ops(rt, (uint32_t)id_b, pr, NINSN(pr), log, sizeof(log));
		T_ASSERT(fd > 0);
		/* The built-in random helper: not always 7 over a few runs. */
		for (int i = 0; i < 8; i++) {
			T_EQ(rt_test_run(rt, fd, NULL, 0, &ret), 0);
			seven += ret == 7;
		}
		T_ASSERT(seven < 8);
		sops_close(rt, fd);
	}
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
	btf__free(btf);
}
