/* SPDX-License-Identifier: MIT */
/*
 * bench_verify.c - the verifier part of `make bench`: how long verification
 * takes, side by side with the Linux verifier on the same programs.
 *
 * Programs, generated here so both verifiers see exactly the same bytes:
 *   typical   ~300 instructions: stack work, two map lookups with NULL tests,
 *             a few branches (the size of a struct_ops policy op)
 *   diamonds  200 if/else diamonds in a row (pruning keeps this linear)
 *   loop      a bounded loop of 256 rounds (proven by exploration)
 *   straight  100,000 instructions of arithmetic (raw speed)
 * structops verifies each in a strict runtime (sops_prog_get_verdict gives the
 * instructions processed and the time); the kernel, when bpf() works here,
 * loads the same program as a socket filter with log level 4 (statistics) and
 * reports its own "verification time". Output: per program, instructions
 * processed, the time of each verifier, the instructions per second of ours,
 * and the ratio kernel/structops.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include <structops/bpf.h>
#include <structops/runtime.h>

#include "bench_verify.h"

#define I(c, d, s, o, i) ((struct sops_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MAP_MARK 0x7777

struct gen {
	struct sops_insn *p;
	size_t n, cap;
};

static void emit(struct gen *g, struct sops_insn in)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		g->p = realloc(g->p, g->cap * sizeof(*g->p));
		if (!g->p)
			abort();
	}
	g->p[g->n++] = in;
}

/* r0 = lookup(map, &key at fp-8); if (r0) r6 += *(u64 *)(r0 + 0) */
static void emit_lookup(struct gen *g)
{
	emit(g, I(0x7a, 10, 0, -8, 0));           /* *(u64 *)(fp - 8) = 0 */
	emit(g, I(0xbf, 2, 10, 0, 0));            /* r2 = fp */
	emit(g, I(0x07, 2, 0, 0, -8));            /* r2 += -8 */
	emit(g, I(0x18, 1, 1, 0, MAP_MARK));      /* r1 = map */
	emit(g, I(0, 0, 0, 0, 0));
	emit(g, I(0x85, 0, 0, 0, 1));             /* call bpf_map_lookup_elem */
	emit(g, I(0x15, 0, 0, 2, 0));             /* if r0 == 0 goto +2 */
	emit(g, I(0x79, 1, 0, 0, 0));             /* r1 = *(u64 *)(r0 + 0) */
	emit(g, I(0x0f, 6, 1, 0, 0));             /* r6 += r1 */
}

static void gen_typical(struct gen *g)
{
	emit(g, I(0xb7, 6, 0, 0, 0));
	for (int i = 0; i < 20; i++) {
		emit(g, I(0x7a, 10, 0, -16 - 8 * (i % 8), i));
		emit(g, I(0x79, 3, 10, -16 - 8 * (i % 8), 0));
		emit(g, I(0x0f, 6, 3, 0, 0));
		emit(g, I(0x57, 6, 0, 0, 0xffff));
		emit(g, I(0x25, 6, 0, 2, 1000));      /* if r6 > 1000 goto +2 */
		emit(g, I(0x07, 6, 0, 0, 3));
		emit(g, I(0x05, 0, 0, 1, 0));         /* goto +1 */
		emit(g, I(0x17, 6, 0, 0, 1));
		for (int k = 0; k < 4; k++)
			emit(g, I(0x27, 6, 0, 0, 3 + k));
	}
	emit_lookup(g);
	emit_lookup(g);
	emit(g, I(0xbf, 0, 6, 0, 0));
	emit(g, I(0x95, 0, 0, 0, 0));
}

static void gen_diamonds(struct gen *g)
{
	emit(g, I(0xb7, 6, 0, 0, 0));
	emit(g, I(0xb7, 7, 0, 0, 0));
	emit_lookup(g);
	for (int i = 0; i < 200; i++) {
		emit(g, I(0x55, 6, 0, 2, i)); /* if r6 != i goto +2 */
		emit(g, I(0xb7, 7, 0, 0, 1));
		emit(g, I(0x05, 0, 0, 1, 0));
		emit(g, I(0xb7, 7, 0, 0, 2));
	}
	emit(g, I(0xbf, 0, 7, 0, 0));
	emit(g, I(0x95, 0, 0, 0, 0));
}

static void gen_loop(struct gen *g)
{
	emit(g, I(0xb7, 6, 0, 0, 0));             /* i = 0 */
	emit(g, I(0xb7, 7, 0, 0, 0));             /* acc = 0 */
	emit(g, I(0xbf, 1, 6, 0, 0));             /* L: r1 = i */
	emit(g, I(0x27, 1, 0, 0, 7));
	emit(g, I(0x0f, 7, 1, 0, 0));
	emit(g, I(0xaf, 7, 6, 0, 0));
	emit(g, I(0x07, 6, 0, 0, 1));             /* i++ */
	emit(g, I(0xa5, 6, 0, -6, 256));          /* if i < 256 goto L */
	emit(g, I(0xbf, 0, 7, 0, 0));
	emit(g, I(0x95, 0, 0, 0, 0));
}

static void gen_straight(struct gen *g)
{
	emit(g, I(0xb7, 0, 0, 0, 1));
	for (int i = 0; i < 100000 - 2; i++)
		emit(g, I(i % 3 ? 0x07 : 0x27, 0, 0, 0, i % 3 ? i : 3));
	emit(g, I(0x95, 0, 0, 0, 0));
}

static void patch_map(struct gen *g, int fd)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->p[i].code == 0x18 && g->p[i].src_reg == 1 && g->p[i].imm == MAP_MARK)
			g->p[i].imm = fd;
}

/* structops: 0 and the time (ns) and instructions processed, or -errno. */
static int ours(const struct gen *g, double *ns, uint64_t *processed)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .verifier_strict = true, .jit = true };
	struct sops_runtime *rt = NULL;
	struct gen c = *g;
	char log[512] = "";
	struct sops_prog_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log) };
	struct sops_prog_verdict v = { .sz = sizeof(v) };
	double best = 1e30;
	int err, mfd, fd;

	err = sops_runtime__new(&ro, &rt);
	if (err)
		return err;
	mfd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "m", 4, 8, 4, NULL);
	c.p = malloc(g->n * sizeof(*c.p));
	if (mfd < 0 || !c.p) {
		sops_runtime__free(rt);
		free(c.p);
		return mfd < 0 ? mfd : -ENOMEM;
	}
	memcpy(c.p, g->p, g->n * sizeof(*c.p));
	patch_map(&c, mfd);
	for (int r = 0; r < 5; r++) {
		fd = sops_prog_load(rt, SOPS_BPF_PROG_TYPE_SYSCALL, "bench", "GPL", c.p, c.n, &lo);
		if (fd < 0) {
			fprintf(stderr, "bench verify: rejected: %s\n", log);
			err = fd;
			break;
		}
		err = sops_prog_get_verdict(rt, fd, &v);
		sops_close(rt, fd);
		if (err)
			break;
		if (v.time_ns < best)
			best = (double)v.time_ns;
		*processed = v.insn_processed;
	}
	*ns = best;
	free(c.p);
	sops_runtime__free(rt);
	return err;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* The kernel: 0 and its reported verification time, or -errno (no bpf(), rejected). */
static int kernel(const struct gen *g, double *ns, uint64_t *processed)
{
	union bpf_attr a;
	struct gen c = *g;
	char *log = malloc(1 << 20), *p;
	double best = 1e30;
	int mfd, fd, err = 0;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 4;
	mfd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	c.p = malloc(g->n * sizeof(*c.p));
	if (mfd < 0 || !c.p || !log) {
		err = mfd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	memcpy(c.p, g->p, g->n * sizeof(*c.p));
	patch_map(&c, mfd);
	for (int r = 0; r < 5; r++) {
		memset(&a, 0, sizeof(a));
		a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
		a.insns = (uint64_t)(uintptr_t)c.p;
		a.insn_cnt = (uint32_t)c.n;
		a.license = (uint64_t)(uintptr_t)"GPL";
		a.log_level = 4;
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = 1 << 20;
		log[0] = 0;
		fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
		if (fd < 0) {
			err = -errno;
			break;
		}
		close(fd);
		p = strstr(log, "verification time ");
		if (p && strtod(p + 18, NULL) * 1000 < best)
			best = strtod(p + 18, NULL) * 1000;
		p = strstr(log, "processed ");
		if (p)
			*processed = strtoull(p + 10, NULL, 10);
	}
	*ns = best;
out:
	if (mfd >= 0)
		close(mfd);
	free(c.p);
	free(log);
	return err;
}

int bench_verify(void)
{
	static const struct {
		const char *name;
		void (*gen)(struct gen *g);
	} progs[] = {
		{ "typical", gen_typical },
		{ "diamonds", gen_diamonds },
		{ "loop", gen_loop },
		{ "straight", gen_straight },
	};
	int failed = 0;

	printf("\nverification (best of 5; kernel: its own \"verification time\", same program as a socket filter):\n");
	printf("%-9s %7s %10s %12s %12s %14s %12s %9s\n", "program", "insns", "processed", "structops", "kernel",
	       "ours insn/s", "kernel proc", "kern/ours");
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct gen g = { 0 };
		uint64_t pr = 0, kpr = 0;
		double ns = 0, kns = 0;
		int kerr;

		progs[i].gen(&g);
		if (ours(&g, &ns, &pr)) {
			failed = 1;
			free(g.p);
			continue;
		}
		kerr = kernel(&g, &kns, &kpr);
		printf("%-9s %7zu %10" PRIu64 " %9.1f us ", progs[i].name, g.n, pr, ns / 1e3);
		if (kerr)
			printf("%12s %14.3g %12s %9s  (kernel: %s)\n", "-", pr / (ns / 1e9), "-", "-", strerror(-kerr));
		else
			printf("%9.1f us %14.3g %12" PRIu64 " %8.2fx\n", kns / 1e3, pr / (ns / 1e9), kpr, kns / ns);
		free(g.p);
	}
	return failed ? -1 : 0;
}
