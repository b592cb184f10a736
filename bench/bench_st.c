/* SPDX-License-Identifier: MIT */
/*
 * bench_st.c - the struct_ops op call end to end: a host registers
 * `struct bench_ops { u64 (*op)(u64 x); }` (its BTF built in memory), a
 * one-line program `return x + 1` is loaded through PROG_LOAD (so the
 * verifier decides how it runs), put into a struct_ops map and registered;
 * the host then calls ops->op(x) through the kdata it got in reg(). Timed
 * side by side with a native indirect call to the same function, for a
 * verified program on the JIT, the same program forced through
 * trust_unverified (the old way), the fast interpreter, and the JIT with
 * run statistics on (what counting each call costs).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include <structops/asm.h>
#include <structops/runtime.h>
#include <structops/struct_ops.h>

#include "bench_st.h"

struct bench_ops {
	uint64_t (*op)(uint64_t x);
};

/* The stub, found in BTF by the convention <struct>__<member>. */
static uint64_t bench_ops__op(uint64_t x)
{
	return x;
}

static const struct bench_ops stubs = { .op = bench_ops__op };

static __attribute__((noinline)) uint64_t native_plus_one(uint64_t x)
{
	return x + 1;
}

static int b_init(const struct btf *btf)
{
	(void)btf;
	return 0;
}

static int b_init_member(const struct btf_type *t, const struct btf_member *m, void *kdata, const void *udata)
{
	(void)t, (void)m, (void)kdata, (void)udata;
	return 0;
}

static int b_reg(void *kdata, struct sops_struct_ops_link *link)
{
	(void)link;
	*(void **)sops_struct_ops_priv(kdata) = kdata;
	return 0;
}

static void b_unreg(void *kdata, struct sops_struct_ops_link *link)
{
	(void)link;
	*(void **)sops_struct_ops_priv(kdata) = NULL;
}

static struct btf *make_btf(void)
{
	struct btf *b = btf__new_empty();
	int u64, fp, p;

	if (!b)
		return NULL;
	u64 = btf__add_int(b, "unsigned long", 8, 0);
	fp = btf__add_func_proto(b, u64);
	btf__add_func_param(b, "x", u64);
	p = btf__add_ptr(b, fp);
	btf__add_struct(b, "bench_ops", sizeof(struct bench_ops));
	btf__add_field(b, "op", p, 0, 0);
	btf__add_func(b, "bench_ops__op", BTF_FUNC_STATIC, fp);
	return b;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef uint64_t (*op_fn)(uint64_t);

static __attribute__((noinline)) uint64_t call_loop(op_fn fn_arg, uint64_t reps)
{
	op_fn volatile fn = fn_arg;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < reps; i++) {
		sum += fn(i);
		__asm__ volatile("" : "+r"(sum));
	}
	return sum;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double time_fn(op_fn fn, uint64_t reps, int samples)
{
	double per[64];

	if (samples > 64)
		samples = 64;
	if (samples < 1)
		samples = 1;
	call_loop(fn, reps / 10 + 1);
	for (int s = 0; s < samples; s++) {
		uint64_t t0 = now_ns();

		call_loop(fn, reps);
		per[s] = (double)(now_ns() - t0) / (double)reps;
	}
	qsort(per, (size_t)samples, sizeof(per[0]), cmp_d);
	return per[samples / 2];
}

/* M_STATS_JIT: verified on the JIT with run statistics on (a counting thunk: their cost). */
enum mode { M_VERIFIED_JIT, M_TRUSTED_JIT, M_VERIFIED_INTERP, M_STATS_JIT, M_CNT };

/* Build a runtime in @mode, register, load, attach; time the op. *@verified: the verifier's verdict. */
static int run_mode(enum mode mode, struct btf *btf, int samples, double *ns, bool *verified)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .host_btf = btf, .jit = mode != M_VERIFIED_INTERP,
					.trust_unverified = mode == M_TRUSTED_JIT,
					.enable_stats = mode == M_STATS_JIT };
	struct sops_struct_ops ops = { .name = "bench_ops", .init = b_init, .init_member = b_init_member,
				       .reg = b_reg, .unreg = b_unreg, .cfi_stubs = &stubs };
	struct sops_prog_verdict v = { .sz = sizeof(v) };
	struct sops_map_create_opts co = { .sz = sizeof(co) };
	char log[512] = "";
	struct sops_prog_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log) };
	const struct bench_ops *kdata = NULL;
	struct sops_runtime *rt = NULL;
	uint32_t type_id, value_id, zero = 0;
	struct sops_insn *insns = NULL;
	uint8_t value[128] = { 0 };
	int pfd = -1, mfd = -1, err;
	size_t cnt;
	uint64_t fd64;

	ops.priv = &kdata;
	err = sops_runtime__new(&ro, &rt);
	if (!err)
		err = sops_runtime__register_struct_ops(rt, &ops, NULL);
	if (!err)
		err = sops_runtime__find_struct_ops(rt, "bench_ops", &type_id, &value_id, NULL);
	if (!err)
		err = sops_asm__parse("ldxdw %r0, [%r1+0]\nadd %r0, 1\nexit", &insns, &cnt, NULL, 0);
	if (err)
		goto out;
	lo.attach_btf_id = type_id;
	pfd = err = sops_prog_load(rt, SOPS_BPF_PROG_TYPE_STRUCT_OPS, "plus_one", "GPL", insns, cnt, &lo);
	if (err < 0)
		goto out;
	{
		uint32_t size;
		const void *raw = btf__raw_data(btf, &size);

		/* MAP_CREATE wants a user BTF handle beside the value type id of the host's. */
		err = sops_btf_load(rt, raw, size, NULL, 0);
		if (err < 0)
			goto out;
		co.btf_fd = (uint32_t)err;
	}
	co.btf_vmlinux_value_type_id = value_id;
	mfd = err = sops_map_create(rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "bench_ops", 4, sizeof(value), 1, &co);
	if (err < 0)
		goto out;
	fd64 = (uint64_t)pfd;
	memcpy(value + 64, &fd64, 8); /* data follows the common header, cache-line aligned */
	err = sops_map_update_elem(rt, mfd, &zero, value, 0);
	if (err)
		goto out;
	err = sops_prog_get_verdict(rt, pfd, &v);
	if (err)
		goto out;
	*verified = v.verified;
	sops_rcu_read_lock();
	if (!kdata || kdata->op(41) != 42) {
		sops_rcu_read_unlock();
		fprintf(stderr, "bench: struct_ops op(41) did not return 42\n");
		err = -EINVAL;
		goto out;
	}
	*ns = time_fn(kdata->op, mode >= M_VERIFIED_INTERP ? 1u << 20 : 20u << 20, samples);
	sops_rcu_read_unlock();
	sops_map_delete_elem(rt, mfd, &zero);
out:
	if (err < 0)
		fprintf(stderr, "bench: struct_ops op call setup failed: %s %s\n", strerror(-err), log);
	if (mfd >= 0)
		sops_close(rt, mfd);
	if (pfd >= 0)
		sops_close(rt, pfd);
	free(insns);
	sops_runtime__free(rt);
	return err < 0 ? -1 : 0;
}

int bench_st_call(int samples)
{
	static const char *const names[M_CNT] = { "verified, JIT", "trust_unverified, JIT",
						  "verified, interpreter", "verified, JIT, stats on" };
	struct btf *btf = make_btf();
	double native, ns[M_CNT] = { 0 };
	bool verified[M_CNT] = { false };
	int err = 0;

	if (!btf)
		return -1;
	native = time_fn(native_plus_one, 20u << 20, samples);
	for (int m = 0; m < M_CNT && !err; m++) {
		if (m != M_VERIFIED_INTERP && !sops_jit_available())
			continue;
		err = run_mode(m, btf, samples, &ns[m], &verified[m]);
	}
	btf__free(btf);
	if (err)
		return -1;
	printf("\nstruct_ops op call end to end, u64 op(u64) via kdata (median ns/call):\n");
	printf("  native indirect call      %8.2f\n", native);
	for (int m = 0; m < M_CNT; m++) {
		if (ns[m] <= 0)
			continue;
		printf("  %-24s  %8.2f   %6.2fx%s%s\n", names[m], ns[m], ns[m] / native,
		       m == M_VERIFIED_JIT ? " (goal: at most 1.1x)" : "", verified[m] ? "" : " [NOT VERIFIED]");
	}
	if (!verified[M_VERIFIED_JIT] && ns[M_VERIFIED_JIT] > 0) {
		printf("bench: the one-line struct_ops program did not verify\n");
		return -1;
	}
	return 0;
}
