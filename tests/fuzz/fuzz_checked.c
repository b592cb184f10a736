/* SPDX-License-Identifier: MIT */
/*
 * fuzz_checked.c - libFuzzer harness for the checked interpreter's sandbox.
 *
 * Each input becomes a program: a prologue puts a map value, a stack pointer
 * and a map into r6, r7 and r9, then every 4 input bytes pick one piece:
 * ALU on random registers, stack loads and stores, lddw of a map, of a map
 * value or of the callback, a stack pointer or a scalar into an argument
 * register, a short forward jump, a helper call with whatever r1-r5 hold.
 * The program is loaded unverified into a runtime with three maps (so the
 * checked interpreter runs it) and run once. A helper call with an argument
 * its prototype refuses must stop the run; any crash, sanitizer report or
 * leak is a bug in the sandbox.
 *
 * Five host kfuncs typed by BTF are drawn as well (kfunc_check.c checks their
 * arguments): obj_get/obj_put acquire and release objects of a small pool,
 * obj_poke writes through one, fill writes 8 bytes through a plain-data
 * struct pointer, peek reads a void *. An object arriving where the pool has
 * none, or one released (ASan-poisoned), is a sandbox bug the kfunc itself
 * reports by aborting or ASan reports.
 *
 * bpf_spin_lock/unlock (93, 94) are drawn too: a second lock of a held lock,
 * an unlock of one not held and an exit holding one must end the run with an
 * error (the runtime's per-run lock tracking), never hang it.
 * The callback returns 1, so bpf_loop and for_each stop after one call.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <sanitizer/asan_interface.h>

#include <structops/bpf.h>
#include <structops/runtime.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PIECES 96
#define MAX_INSNS (MAX_PIECES * 3 + 16)

#define I(c, d, s, o, i) ((struct sops_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static const int32_t helper_ids[] = { 1,   2,   3,   4,   5,   6,   7,   8,   14,  45,  93,
				      94,  112, 113, 114, 115, 125, 130, 131, 132, 133, 134,
				      160, 164, 165, 169, 170, 171, 172, 181, 182, 195 };

/* BPF_ADD .. BPF_MOV without BPF_NEG (0x80), in the opcode's high nibble. */
static const uint8_t alu_ops[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0 };

struct env {
	struct sops_runtime *rt;
	struct btf *btf;
	int maps[3];
	int kf_id[5];
};

/* --- the host's kfuncs: a pool of objects handed out by reference --- */

struct fobj {
	long v;
	void *self; /* a pointer member: a host object, not plain data */
};

#define POOL 4
static struct fobj pool[POOL];
static int refs[POOL];

static int pool_idx(uint64_t p)
{
	for (int i = 0; i < POOL; i++)
		if (p == (uint64_t)(uintptr_t)&pool[i])
			return i;
	abort(); /* the sandbox let a pointer through that is no host object */
}

static uint64_t obj_get(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	int i = (int)(a % POOL);

	(void)b, (void)c, (void)d, (void)e;
	if (!refs[i]++)
		ASAN_UNPOISON_MEMORY_REGION(&pool[i], sizeof(pool[i]));
	return (uint64_t)(uintptr_t)&pool[i];
}

static uint64_t obj_put(uint64_t o, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	int i = pool_idx(o);

	(void)b, (void)c, (void)d, (void)e;
	if (refs[i] <= 0)
		abort(); /* released more often than acquired */
	if (!--refs[i])
		ASAN_POISON_MEMORY_REGION(&pool[i], sizeof(pool[i]));
	return 0;
}

static uint64_t obj_poke(uint64_t o, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)b, (void)c, (void)d, (void)e;
	pool_idx(o);
	return (uint64_t)++((struct fobj *)(uintptr_t)o)->v; /* ASan: a use after release */
}

static uint64_t fill(uint64_t p, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)b, (void)c, (void)d, (void)e;
	memset((void *)(uintptr_t)p, 0x5a, 8);
	return 8;
}

static uint64_t peek(uint64_t p, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)b, (void)c, (void)d, (void)e;
	return *(volatile const uint8_t *)(uintptr_t)p;
}

static const char *const kf_names[5] = { "obj_get", "obj_put", "obj_poke", "fill", "peek" };
static const sops_kfunc_fn kf_fns[5] = { obj_get, obj_put, obj_poke, fill, peek };
static const uint32_t kf_flags[5] = { SOPS_KF_ACQUIRE | SOPS_KF_RET_NULL, SOPS_KF_RELEASE, 0, 0, 0 };

/* int/long, struct fobj (with a pointer), struct fpair (plain), and the five kfuncs. */
static struct btf *host_btf(int kf_id[5])
{
	struct btf *b = btf__new_empty();
	int i64, pvoid, obj, pobj, pair, ppair, pr[5], ret[5];

	if (!b)
		abort();
	i64 = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	pvoid = btf__add_ptr(b, 0);
	obj = btf__add_struct(b, "fobj", 16);
	btf__add_field(b, "v", i64, 0, 0);
	btf__add_field(b, "self", pvoid, 64, 0);
	pobj = btf__add_ptr(b, obj);
	pair = btf__add_struct(b, "fpair", 8);
	btf__add_field(b, "lo", btf__add_int(b, "int", 4, BTF_INT_SIGNED), 0, 0);
	ppair = btf__add_ptr(b, pair);
	pr[0] = i64, ret[0] = pobj;  /* struct fobj *obj_get(long which) */
	pr[1] = pobj, ret[1] = 0;    /* void obj_put(struct fobj *) */
	pr[2] = pobj, ret[2] = i64;  /* long obj_poke(struct fobj *) */
	pr[3] = ppair, ret[3] = i64; /* long fill(struct fpair *) */
	pr[4] = pvoid, ret[4] = i64; /* long peek(void *) */
	for (int k = 0; k < 5; k++) {
		int proto = btf__add_func_proto(b, ret[k]);

		if (proto < 0 || btf__add_func_param(b, "a", pr[k]) < 0 ||
		    (kf_id[k] = btf__add_func(b, kf_names[k], BTF_FUNC_GLOBAL, proto)) < 0)
			abort();
	}
	return b;
}

static void quiet(void *ctx, const char *msg, size_t len)
{
}

static struct env *env(void)
{
	static struct env e;
	static int ready;

	if (!ready) {
		struct sops_runtime_opts o = { .sz = sizeof(o), .trace_fn = quiet };

		ready = 1;
		e.btf = host_btf(e.kf_id);
		o.host_btf = e.btf;
		if (sops_runtime__new(&o, &e.rt))
			abort();
		for (int k = 0; k < 5; k++) {
			struct sops_kfunc_desc d = { .sz = sizeof(d), .name = kf_names[k], .fn = kf_fns[k],
						     .btf_id = (uint32_t)e.kf_id[k], .flags = kf_flags[k] };

			if (sops_runtime__register_kfunc(e.rt, &d))
				abort();
		}
		for (int i = 0; i < POOL; i++)
			ASAN_POISON_MEMORY_REGION(&pool[i], sizeof(pool[i]));
		e.maps[0] = sops_map_create(e.rt, SOPS_BPF_MAP_TYPE_ARRAY, "arr", 4, 16, 1, NULL);
		e.maps[1] = sops_map_create(e.rt, SOPS_BPF_MAP_TYPE_HASH, "hash", 8, 8, 16, NULL);
		e.maps[2] = sops_map_create(e.rt, SOPS_BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096, NULL);
		if (e.maps[0] < 0 || e.maps[1] < 0 || e.maps[2] < 0)
			abort();
	}
	return &e;
}

/* Appends one piece chosen by the 4 bytes @b; returns the new count. */
static size_t piece(struct sops_insn *p, size_t n, const uint8_t *b, const struct env *e,
		    size_t *func_ld, size_t *func_cnt)
{
	uint8_t r = b[1] % 10, s = b[2] % 11, arg = 1 + b[1] % 5;
	int32_t imm = (int8_t)b[2] * (b[3] % 2 ? 1 : 4099);
	int16_t slot = -(int16_t)(8 * (1 + b[3] % 64));
	int m = b[2] % 3;

	switch (b[0] % 13) {
	case 0: /* ALU64 with an immediate (every binary op; not neg) */
		p[n++] = I(0x07 | alu_ops[b[3] % sizeof(alu_ops)], r, 0, 0, imm);
		break;
	case 1: /* ALU64 register form, r10 as a source too */
		p[n++] = I(0x0f | alu_ops[b[3] % sizeof(alu_ops)], r, s, 0, 0);
		break;
	case 2: /* store a register to the stack */
		p[n++] = I(0x7b, 10, s, slot, 0);
		break;
	case 3: /* load from the stack */
		p[n++] = I(0x79, r, 10, slot, 0);
		break;
	case 4: /* a map into an argument register */
		p[n++] = I(0x18, arg, 1, 0, e->maps[m]);
		p[n++] = I(0, 0, 0, 0, 0);
		break;
	case 5: /* a map value (arrays only) */
		p[n++] = I(0x18, arg, 2, 0, e->maps[0]);
		p[n++] = I(0, 0, 0, 0, b[3] % 20);
		break;
	case 6: /* a stack pointer */
		p[n++] = I(0xbf, arg, 10, 0, 0);
		p[n++] = I(0x07, arg, 0, 0, slot + (b[2] % 16));
		break;
	case 7: /* a small scalar */
		p[n++] = I(0xb7, arg, 0, 0, (int8_t)b[2]);
		break;
	case 8: /* copy one register to another */
		p[n++] = I(0xbf, arg, s, 0, 0);
		break;
	case 9: /* a short forward jump on r0 */
		p[n++] = I(0x15 | ((b[3] % 2) << 6), 0, 0, (int16_t)(b[2] % 3), 0);
		break;
	case 10: /* the callback */
		func_ld[(*func_cnt)++] = n;
		p[n++] = I(0x18, arg, 4, 0, 0); /* imm patched when the callback's place is known */
		p[n++] = I(0, 0, 0, 0, 0);
		break;
	case 11: /* a kfunc with whatever r1-r5 hold */
		p[n++] = I(0x85, 0, 2, 0, e->kf_id[b[1] % 5]);
		break;
	default: /* a helper with whatever r1-r5 hold */
		p[n++] = I(0x85, 0, 0, 0,
			   helper_ids[(b[1] | b[2] << 8) % (sizeof(helper_ids) / sizeof(helper_ids[0]))]);
		break;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct env *e = env();
	struct sops_insn p[MAX_INSNS];
	size_t n = 0, func_ld[MAX_PIECES], func_cnt = 0, cb;
	uint64_t ctx[8] = { 0 }, ret;
	int fd;

	/* Prologue: r6 a map value, r7 a stack pointer, r8 a scalar, r9 the hash map. */
	p[n++] = I(0x18, 6, 2, 0, e->maps[0]);
	p[n++] = I(0, 0, 0, 0, 0);
	p[n++] = I(0xbf, 7, 10, 0, 0);
	p[n++] = I(0x07, 7, 0, 0, -64);
	p[n++] = I(0xb7, 8, 0, 0, size > 0 ? data[0] : 0);
	p[n++] = I(0x18, 9, 1, 0, e->maps[1]);
	p[n++] = I(0, 0, 0, 0, 0);
	for (size_t i = 0; i + 4 <= size && i / 4 < MAX_PIECES; i += 4)
		n = piece(p, n, data + i, e, func_ld, &func_cnt);
	/* Epilogue: padding for the forward jumps, exit, then the callback (returns 1: stop). */
	p[n++] = I(0xb7, 0, 0, 0, 0);
	p[n++] = I(0xb7, 0, 0, 0, 0);
	p[n++] = I(0x95, 0, 0, 0, 0);
	cb = n;
	p[n++] = I(0xb7, 0, 0, 0, 1);
	p[n++] = I(0x95, 0, 0, 0, 0);
	for (size_t i = 0; i < func_cnt; i++)
		p[func_ld[i]].imm = (int32_t)(cb - func_ld[i] - 1);

	fd = sops_prog_load(e->rt, SOPS_BPF_PROG_TYPE_SYSCALL, "fuzz", "GPL", p, n, NULL);
	if (fd < 0)
		return 0; /* structurally invalid (e.g. a jump into an lddw): rejected, fine */
	/* Success, a fault (-EFAULT) or a spent budget: all fine, as long as the host lives. */
	sops_prog_run(e->rt, fd, ctx, sizeof(ctx), &ret);
	sops_close(e->rt, fd);
	/* A run that failed holding references (refused at exit) left them: the host resets. */
	for (int i = 0; i < POOL; i++) {
		if (refs[i])
			ASAN_POISON_MEMORY_REGION(&pool[i], sizeof(pool[i]));
		refs[i] = 0;
	}
	return 0;
}
