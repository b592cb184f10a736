/* SPDX-License-Identifier: MIT */
/*
 * fuzz_verifier.c - libFuzzer harness for the verifier's soundness.
 *
 * Each input becomes a program of the verifier's whole vocabulary: ALU64 and
 * ALU32 of every operation (cpu v4's signed division, sign-extending moves
 * and byte swaps included), loads, stores and atomics of every width through
 * any register, map lookups, forward and backward jumps between pieces (so
 * bounded and unbounded loops), bpf-to-bpf calls, bpf_loop with a callback
 * reaching the caller's stack, ring buffer records and plain helper calls
 * with whatever the argument registers hold. Every 4 input bytes pick a piece.
 *
 * The program is loaded into two runtimes that refuse what the verifier
 * rejects (verifier_strict): one runs verified programs on the JIT, the other
 * runs every program in the checked interpreter (always_checked). The verdict
 * itself must never crash or hang (libFuzzer's -timeout). A program both
 * verify is then run on both, three times with different contexts and map
 * values; it is a soundness bug, reported by abort() with the disassembly,
 * when
 *  - the checked interpreter stops it with a fault (the verifier let an
 *    unsafe access, call or lock misuse through),
 *  - the two engines disagree on the return value or on the array map's
 *    bytes after the run (a pointer leaked into r0 or a map, or a rewrite the
 *    verifier made that the engines read differently),
 *  - one runtime verifies it and the other does not.
 * Helpers whose results differ between runs (time, random numbers, the CPU)
 * and for_each over the hash map (its order depends on the map's seed) turn
 * the comparison off for that program; the fault check stays.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <structops/bpf.h>
#include <structops/asm.h>
#include <structops/runtime.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PIECES 80
#define MAX_INSNS (MAX_PIECES * 8 + 32) /* 8: the longest piece */
#define CTX_SIZE 64
#define VAL_SIZE 32

#define I(c, d, s, o, i) ((struct sops_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* Helpers drawn with whatever r1-r5 hold; the first four make runs differ. */
static const int32_t helpers[] = { 5, 7, 8, 125, 1, 2, 3, 4, 6, 14, 112, 113, 130, 131, 132, 133, 164, 181, 182 };
#define NONDET_HELPERS 4

static const uint8_t alu_ops[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
				   0x80, 0x90, 0xa0, 0xb0, 0xc0 };
static const uint8_t jmp_ops[] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0 };
static const uint8_t sizes[] = { 0x18, 0x00, 0x08, 0x10 }; /* DW, W, H, B */
static const int32_t atomic_ops[] = { 0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1 };

/* The two runtimes, with their maps created in the same order (same fds). */
struct side {
	struct sops_runtime *rt;
	int arr, hash, rb;
};

static struct side jit_side, chk_side;
static unsigned long n_progs, n_verified, n_compared;

/* Printed at exit: how much of the input reached the oracle (tool_fuzz_verifier.sh reads it). */
static void stats(void)
{
	fprintf(stderr, "fuzz_verifier: %lu programs, %lu verified, %lu of them compared across engines\n",
		n_progs, n_verified, n_compared);
}

/* The last fault the runtime reported ("prog 'fuzz' stopped: ..."); trace_printk output is dropped. */
static char last_fault[512];

static void sink(void *ctx, const char *msg, size_t len)
{
	(void)ctx;
	if (len > 5 && !strncmp(msg, "prog '", 6))
		snprintf(last_fault, sizeof(last_fault), "%.*s", (int)len, msg);
}

static void side_init(struct side *s, bool checked)
{
	/*
	 * A tenth of the kernel's instruction budget: a loop that runs to the
	 * limit with nothing to prune costs seconds under the sanitizers, and
	 * the rules the fuzzer checks do not change with the limit.
	 */
	struct sops_runtime_opts o = { .sz = sizeof(o), .trace_fn = sink, .verifier_strict = true,
				       .jit = !checked, .always_checked = checked, .verifier_insn_limit = 100000 };

	if (sops_runtime__new(&o, &s->rt))
		abort();
	s->arr = sops_map_create(s->rt, SOPS_BPF_MAP_TYPE_ARRAY, "arr", 4, VAL_SIZE, 1, NULL);
	s->hash = sops_map_create(s->rt, SOPS_BPF_MAP_TYPE_HASH, "hash", 8, 8, 16, NULL);
	s->rb = sops_map_create(s->rt, SOPS_BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096, NULL);
	if (s->arr < 0 || s->hash < 0 || s->rb < 0)
		abort();
}

static void sides(void)
{
	static int ready;

	if (ready)
		return;
	ready = 1;
	atexit(stats);
	side_init(&jit_side, false);
	side_init(&chk_side, true);
	if (jit_side.arr != chk_side.arr || jit_side.hash != chk_side.hash || jit_side.rb != chk_side.rb)
		abort();
}

/* The program under construction: pieces, and the jumps and calls to patch once laid out. */
struct gen {
	struct sops_insn p[MAX_INSNS];
	size_t n;
	size_t start[MAX_PIECES + 1]; /* first insn of each piece; [pieces] = the tail */
	size_t pieces;
	struct {
		size_t at;
		int target; /* piece index, or -1 sub, -2 callback */
	} fix[MAX_PIECES * 2];
	size_t fix_cnt;
	bool nondet;
};

static void emit(struct gen *g, struct sops_insn in)
{
	g->p[g->n++] = in;
}

static void patch_later(struct gen *g, int target)
{
	g->fix[g->fix_cnt].at = g->n;
	g->fix[g->fix_cnt++].target = target;
}

/* Appends the piece chosen by the 4 bytes @b. */
static void piece(struct gen *g, const uint8_t *b)
{
	uint8_t d = b[1] % 10, s = (b[1] >> 4) % 11, arg = 1 + b[1] % 5;
	uint8_t sz = sizes[b[3] & 3];
	int32_t imm = (b[3] & 4) ? (int8_t)b[2] : (int32_t)((uint32_t)b[2] << 24 | b[2]);
	int16_t off = (int16_t)((int8_t)b[2] % 40);
	int16_t slot = (int16_t)(-8 * (1 + b[2] % 8) + (b[3] & 8 ? (b[3] >> 4) % 8 : 0));
	int cur = (int)g->pieces;

	switch (b[0] % 24) {
	case 0: /* ALU64, immediate (every op; div and mod by zero are defined) */
		emit(g, I(0x07 | alu_ops[b[3] % sizeof(alu_ops)], d, 0, 0, imm));
		break;
	case 1: /* ALU64, register, r10 among the sources */
		emit(g, I(0x0f | alu_ops[b[3] % sizeof(alu_ops)], d, s, 0, 0));
		break;
	case 2: /* ALU32, immediate */
		emit(g, I(0x04 | alu_ops[b[3] % sizeof(alu_ops)], d, 0, 0, imm));
		break;
	case 3: /* ALU32, register */
		emit(g, I(0x0c | alu_ops[b[3] % sizeof(alu_ops)], d, s, 0, 0));
		break;
	case 4: /* a store of a register to the stack */
		emit(g, I(0x63 | sz, 10, s, slot, 0));
		break;
	case 5: /* a load from the stack */
		emit(g, I(0x61 | sz, d, 10, slot, 0));
		break;
	case 6: /* a store of an immediate to the stack */
		emit(g, I(0x62 | sz, 10, 0, slot, imm));
		break;
	case 7: /* a load through any register */
		emit(g, I(0x61 | sz, d, s, off, 0));
		break;
	case 8: /* a store through any register */
		emit(g, I(0x63 | sz, d, s, off, 0));
		break;
	case 9: /* the array's value through a lookup, NULL-checked or not */
		emit(g, I(0x62, 10, 0, -4, b[2] % 2)); /* key 0 or a missing key */
		emit(g, I(0x18, 1, 1, 0, jit_side.arr));
		emit(g, I(0, 0, 0, 0, 0));
		emit(g, I(0xbf, 2, 10, 0, 0));
		emit(g, I(0x07, 2, 0, 0, -4));
		emit(g, I(0x85, 0, 0, 0, 1));
		if (b[3] & 1)
			emit(g, I(0x15, 0, 0, 1, 0)), emit(g, I(0xbf, d, 0, 0, 0));
		break;
	case 10: /* a conditional jump forward to a later piece */
		patch_later(g, cur + 1 + b[2] % 4);
		emit(g, (b[3] & 1) ? I((b[3] & 2 ? 0x06 : 0x05) | jmp_ops[b[2] % sizeof(jmp_ops)], d, 0, 0,
				      (int8_t)b[3] >> 2)
				   : I((b[3] & 2 ? 0x0e : 0x0d) | jmp_ops[b[2] % sizeof(jmp_ops)], d, s, 0, 0));
		break;
	case 11: /* a conditional jump back to this or an earlier piece: a loop */
		patch_later(g, cur - b[2] % 3 < 0 ? 0 : cur - b[2] % 3);
		emit(g, (b[3] & 1) ? I(0x05 | jmp_ops[b[2] % sizeof(jmp_ops)], d, 0, 0, (int8_t)b[3] >> 2)
				   : I(0x0d | jmp_ops[b[2] % sizeof(jmp_ops)], d, s, 0, 0));
		break;
	case 12: /* an atomic on the stack or through a register */
		emit(g, I(0xc3 | (b[3] & 1 ? 0x18 : 0x00), b[3] & 2 ? 10 : d, s, b[3] & 2 ? slot : off,
			  atomic_ops[b[2] % (sizeof(atomic_ops) / sizeof(atomic_ops[0]))]));
		break;
	case 13: /* bounds by masking */
		emit(g, I(0x57, d, 0, 0, (1 << (b[2] % 12)) - 1));
		break;
	case 14: /* a register copy, or the frame pointer */
		emit(g, I(0xbf, d, b[3] & 1 ? 10 : s, 0, 0));
		break;
	case 15: /* cpu v4: a sign-extending move, a signed div/mod, a byte swap, a sign-extending load */
		switch (b[3] % 4) {
		case 0:
			emit(g, I(b[3] & 4 ? 0xbc : 0xbf, d, s, (int16_t)(8 << (b[2] % 3)), 0));
			break;
		case 1:
			emit(g, I((b[3] & 4 ? 0x3f : 0x9f), d, s, 1, 0));
			break;
		case 2:
			emit(g, I(0xd7, d, 0, 0, 16 << (b[2] % 3)));
			break;
		default:
			emit(g, I(0x81 | sizes[1 + b[2] % 3], d, s, off, 0));
			break;
		}
		break;
	case 16: /* a map value directly (lddw of a map value, offset 0-35) */
		emit(g, I(0x18, arg, 2, 0, jit_side.arr));
		emit(g, I(0, 0, 0, 0, b[2] % 36));
		break;
	case 17: /* a map into an argument register */
		emit(g, I(0x18, arg, 1, 0, b[2] % 3 == 0 ? jit_side.arr : b[2] % 3 == 1 ? jit_side.hash : jit_side.rb));
		emit(g, I(0, 0, 0, 0, 0));
		break;
	case 18: /* a stack pointer or a small scalar into an argument register */
		if (b[3] & 1) {
			emit(g, I(0xbf, arg, 10, 0, 0));
			emit(g, I(0x07, arg, 0, 0, slot));
		} else {
			emit(g, I(0xb7, arg, 0, 0, (int8_t)b[2]));
		}
		break;
	case 19: /* the callback into an argument register */
		patch_later(g, -2);
		emit(g, I(0x18, arg, 4, 0, 0));
		emit(g, I(0, 0, 0, 0, 0));
		break;
	case 20: /* a bpf-to-bpf call: the subprogram reads through r1 and returns it plus r2 */
		patch_later(g, -1);
		emit(g, I(0x85, 0, 1, 0, 0));
		break;
	case 21: /* a ring buffer record reserved, maybe written, submitted or discarded */
		emit(g, I(0x18, 1, 1, 0, jit_side.rb));
		emit(g, I(0, 0, 0, 0, 0));
		emit(g, I(0xb7, 2, 0, 0, 8 * (1 + b[2] % 3)));
		emit(g, I(0xb7, 3, 0, 0, 0));
		emit(g, I(0x85, 0, 0, 0, 131));
		emit(g, I(0xbf, d < 6 ? 6 + d % 4 : d, 0, 0, 0));
		break;
	case 22: /* bpf_loop(r1, callback, r3 = a stack pointer, 0) */
		emit(g, I(0xb7, 1, 0, 0, b[2] % 4));
		patch_later(g, -2);
		emit(g, I(0x18, 2, 4, 0, 0));
		emit(g, I(0, 0, 0, 0, 0));
		emit(g, I(0xbf, 3, 10, 0, 0));
		emit(g, I(0x07, 3, 0, 0, slot));
		emit(g, I(0xb7, 4, 0, 0, 0));
		emit(g, I(0x85, 0, 0, 0, 181));
		break;
	default: { /* a helper with whatever r1-r5 hold */
		size_t h = (size_t)(b[1] | b[2] << 8) % (sizeof(helpers) / sizeof(helpers[0]));

		g->nondet |= h < NONDET_HELPERS || helpers[h] == 164;
		emit(g, I(0x85, 0, 0, 0, helpers[h]));
		break;
	}
	}
}

/* Lays the program out: prologue, pieces, tail, the subprogram and the callback. */
static void build(struct gen *g, const uint8_t *data, size_t size)
{
	uint8_t flags = size ? data[0] : 0;
	bool want_sub = false, want_cb = false;
	size_t sub, cb;

	g->n = g->pieces = g->fix_cnt = 0;
	g->nondet = false;
	/* r6 a map value, r7 a stack pointer, r8 a scalar, r9 the hash map; r1 stays the context */
	emit(g, I(0x18, 6, 2, 0, jit_side.arr));
	emit(g, I(0, 0, 0, 0, 0));
	emit(g, I(0xbf, 7, 10, 0, 0));
	emit(g, I(0x07, 7, 0, 0, -64));
	emit(g, I(0xb7, 8, 0, 0, size > 1 ? data[1] : 0));
	emit(g, I(0x18, 9, 1, 0, jit_side.hash));
	emit(g, I(0, 0, 0, 0, 0));
	if (flags & 1) /* an initialised stack, so more programs get past the first load */
		for (int k = 1; k <= 8; k++)
			emit(g, I(0x7a, 10, 0, (int16_t)(-8 * k), k));
	if (flags & 2)
		for (uint8_t r = 0; r <= 5; r++)
			if (r != 1)
				emit(g, I(0xb7, r, 0, 0, r));
	for (size_t i = 2; i + 4 <= size && g->pieces < MAX_PIECES; i += 4) {
		g->start[g->pieces] = g->n;
		piece(g, data + i);
		g->pieces++;
	}
	g->start[g->pieces] = g->n;
	emit(g, I(0xb7, 0, 0, 0, 0));
	emit(g, I(0x95, 0, 0, 0, 0));
	/* the subprogram: r0 = *(u8 *)(r1 + 0) + r2 (or just r2 when the flag says so) */
	/* (each laid out only when called: unreachable code is refused) */
	for (size_t i = 0; i < g->fix_cnt; i++)
		want_sub |= g->fix[i].target == -1, want_cb |= g->fix[i].target == -2;
	sub = g->n;
	if (want_sub) {
		if (flags & 4)
			emit(g, I(0x71, 0, 1, 0, 0));
		else
			emit(g, I(0xb7, 0, 0, 0, 0));
		emit(g, I(0x0f, 0, 2, 0, 0));
		emit(g, I(0x95, 0, 0, 0, 0));
	}
	/* the callback (index, ctx): reads and bumps a byte of its ctx, stops after the first call */
	cb = g->n;
	if (want_cb) {
		if (flags & 8) {
			emit(g, I(0x71, 3, 2, 0, 0));
			emit(g, I(0x07, 3, 0, 0, 1));
			emit(g, I(0x73, 2, 3, 0, 0));
		}
		emit(g, I(0xb7, 0, 0, 0, flags & 16 ? 0 : 1));
		emit(g, I(0x95, 0, 0, 0, 0));
	}
	for (size_t i = 0; i < g->fix_cnt; i++) {
		int t = g->fix[i].target;
		size_t to = t == -1 ? sub : t == -2 ? cb : g->start[(size_t)t > g->pieces ? g->pieces : (size_t)t];

		g->p[g->fix[i].at].off = 0;
		if (t == -1)
			g->p[g->fix[i].at].imm = (int32_t)(to - g->fix[i].at - 1);
		else if (t == -2)
			g->p[g->fix[i].at].imm = (int32_t)(to - g->fix[i].at - 1);
		else
			g->p[g->fix[i].at].off = (int16_t)((long)to - (long)g->fix[i].at - 1);
	}
}

static void report(const struct gen *g, const char *what, int err, const char *msg)
{
	fprintf(stderr, "SOUNDNESS: %s (%d) %s\n", what, err, msg ? msg : "");
	sops_disasm__dump(stderr, g->p, g->n, NULL);
	abort();
}

static uint64_t mix(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Loads into @s: 1 verified (*@fd its handle), 0 rejected. */
static int load(const struct side *s, const struct gen *g, int *fd)
{
	static char log[4096];
	struct sops_prog_load_opts o = { .sz = sizeof(o), .log_buf = log, .log_size = sizeof(log), .log_level = 1 };
	bool show = getenv("SOPS_FUZZ_VERIFIER_LOG") && s == &jit_side; /* debugging: every verdict's log */
	const char *raw = s == &jit_side ? getenv("SOPS_FUZZ_VERIFIER_RAW") : NULL;

	if (raw) { /* debugging: the program's instructions, raw, for other tools to load */
		FILE *f = fopen(raw, "wb");

		if (f) {
			fwrite(g->p, sizeof(g->p[0]), g->n, f);
			fclose(f);
		}
	}

	*fd = sops_prog_load(s->rt, SOPS_BPF_PROG_TYPE_SYSCALL, "fuzz", "GPL", g->p, g->n, show ? &o : NULL);
	if (show) {
		sops_disasm__dump(stderr, g->p, g->n, NULL);
		fprintf(stderr, "%s: %d\n%s\n", *fd >= 0 ? "verified" : "rejected", *fd, log);
	}
	return *fd >= 0;
}

static int run(const struct side *s, int fd, uint8_t ctx[CTX_SIZE], const uint8_t val[VAL_SIZE],
	       uint32_t *ret, uint8_t out[VAL_SIZE], char *fault, size_t fault_size)
{
	struct sops_test_run_opts o = { .sz = sizeof(o), .ctx_in = ctx, .ctx_size_in = CTX_SIZE };
	int err;

	last_fault[0] = 0;
	uint32_t k = 0;

	if (sops_map_update_elem(s->rt, s->arr, &k, val, 0))
		abort();
	err = sops_prog_test_run_opts(s->rt, fd, &o);
	*ret = o.retval;
	if (sops_map_lookup_elem(s->rt, s->arr, &k, out))
		abort();
	snprintf(fault, fault_size, "%s", err ? last_fault : "");
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gen g;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int jfd, cfd, jv, cv;

	sides();
	build(&g, data, size);
	jv = load(&jit_side, &g, &jfd);
	cv = load(&chk_side, &g, &cfd);
	if (jv != cv)
		report(&g, "the two runtimes' verdicts differ", jv ? cfd : jfd, NULL);
	n_progs++;
	if (!jv)
		return 0;
	n_verified++;
	n_compared += !g.nondet;
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 0x100000001b3ull;
	for (int r = 0; r < 3; r++) {
		uint8_t ctx_j[CTX_SIZE], ctx_c[CTX_SIZE], val[VAL_SIZE], out_j[VAL_SIZE], out_c[VAL_SIZE];
		char fault[256];
		uint32_t ret_j, ret_c;
		int ej, ec;

		for (size_t i = 0; i < CTX_SIZE; i++)
			ctx_j[i] = (uint8_t)mix(&seed);
		for (size_t i = 0; i < sizeof(val); i++)
			((uint8_t *)val)[i] = (uint8_t)mix(&seed);
		memcpy(ctx_c, ctx_j, sizeof(ctx_c));
		ec = run(&chk_side, cfd, ctx_c, val, &ret_c, out_c, fault, sizeof(fault));
		if (ec)
			report(&g, "a verified program faulted in the checked interpreter", ec, fault);
		ej = run(&jit_side, jfd, ctx_j, val, &ret_j, out_j, fault, sizeof(fault));
		if (ej)
			report(&g, "a verified program failed on the JIT", ej, fault);
		if (!g.nondet && ret_j != ret_c)
			report(&g, "the JIT and the checked interpreter return different values", 0, NULL);
		if (!g.nondet && memcmp(out_j, out_c, sizeof(out_j)))
			report(&g, "the JIT and the checked interpreter leave different map values", 0, NULL);
	}
	sops_close(jit_side.rt, jfd);
	sops_close(chk_side.rt, cfd);
	return 0;
}
