/* SPDX-License-Identifier: MIT */
/*
 * test_thunk.c - func models from BTF and the thunks built from them.
 *
 * The BTF is made in memory with libbpf's btf__add_* API. A one-instruction
 * program returns one chosen context slot, so each call shows exactly how the
 * thunk laid out the arguments; other programs check the narrowing of r0.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <structops/asm.h>

#include "jit/jit.h"
#include "struct_ops/btf_func_model.h"
#include "struct_ops/thunk.h"
#include "test.h"

struct pair {
	int a, b;
};
struct three {
	int a, b, c;
};
struct wide {
	long a, b;
};

struct test_btf {
	struct btf *btf;
	int s32, u8, s64, s8, pair, three, wide, big, ptr, flt, arr;
};

static int make_btf(struct test_btf *b)
{
	b->btf = btf__new_empty();
	if (!b->btf)
		return -ENOMEM;
	b->s32 = btf__add_int(b->btf, "int", 4, BTF_INT_SIGNED);
	b->u8 = btf__add_int(b->btf, "unsigned char", 1, 0);
	b->s64 = btf__add_int(b->btf, "long", 8, BTF_INT_SIGNED);
	b->s8 = btf__add_int(b->btf, "signed char", 1, BTF_INT_SIGNED);
	b->pair = btf__add_struct(b->btf, "pair", 8);
	btf__add_field(b->btf, "a", b->s32, 0, 0);
	btf__add_field(b->btf, "b", b->s32, 32, 0);
	b->three = btf__add_struct(b->btf, "three", 12);
	btf__add_field(b->btf, "a", b->s32, 0, 0);
	btf__add_field(b->btf, "b", b->s32, 32, 0);
	btf__add_field(b->btf, "c", b->s32, 64, 0);
	b->wide = btf__add_struct(b->btf, "wide", 16);
	btf__add_field(b->btf, "a", b->s64, 0, 0);
	btf__add_field(b->btf, "b", b->s64, 64, 0);
	b->big = btf__add_struct(b->btf, "big", 24);
	b->ptr = btf__add_ptr(b->btf, 0);
	b->flt = btf__add_float(b->btf, "double", 8);
	b->arr = btf__add_array(b->btf, b->s32, b->s32, 4);
	return 0;
}

/* A FUNC_PROTO returning @ret taking @n params of the given types. */
static int proto(struct test_btf *b, int ret, int n, const int *params)
{
	int id = btf__add_func_proto(b->btf, ret);

	for (int i = 0; i < n; i++)
		btf__add_func_param(b->btf, "", params[i]);
	return id;
}

/* Engines the thunks are tried with: interpreted (libffi thunk) and JIT'd (native thunk). */
static bool engine_ok(int e)
{
	return e == SOPS_ENGINE_INTERP || sops_jit_available();
}

static struct sops_vm *prog_on(const char *text, int engine)
{
	struct sops_vm_opts opts = { .sz = sizeof(opts), .engine = engine };
	struct sops_insn *insns;
	struct sops_vm *vm = NULL;
	size_t cnt;
	char err[128];

	if (sops_asm__parse(text, &insns, &cnt, err, sizeof(err)))
		return NULL;
	sops_vm__create(insns, cnt, &opts, &vm);
	free(insns);
	return vm;
}

/* Slot @k of the context as the program sees it, through a thunk of @m called by @call. */
typedef int (*six_fn)(int, unsigned char, long, struct pair, struct wide, struct three);

static uint64_t slot_via_thunk(int engine, const struct func_model *m, int k, int a, unsigned char b,
			       long c, struct pair d, struct wide e, struct three f)
{
	char text[64];
	struct sops_vm *vm;
	struct thunk *th;
	uint64_t v;

	snprintf(text, sizeof(text), "ldxdw %%r0, [%%r1+%d]\nexit", k * 8);
	vm = prog_on(text, engine);
	if (!vm || thunk_create(m, vm, &th, NULL)) {
		sops_vm__free(vm);
		return 0xdeadbeef;
	}
	/* the member returns int: only the low 32 bits come back, sign-extended */
	v = (uint32_t)((six_fn)thunk_entry(th))(a, b, c, d, e, f);
	thunk_free(th);
	sops_vm__free(vm);
	return v;
}

TEST(thunk_lays_out_arguments)
{
	struct test_btf b;
	struct func_model m;
	struct sops_log log = { 0 };
	struct pair d = { 7, -8 };
	struct wide e = { 0x1111222233334444, -2 };
	struct three f = { 1, 2, 3 };
	int params[6];

	T_EQ(make_btf(&b), 0);
	params[0] = b.s32, params[1] = b.u8, params[2] = b.s64;
	params[3] = b.pair, params[4] = b.wide, params[5] = b.three;
	T_EQ(func_model_from_btf(b.btf, proto(&b, b.s32, 6, params), &m, &log), 0);
	T_EQ(m.nr_args, 6);
	T_EQ(func_model_ctx_slots(&m), 8);
	T_EQ(m.arg_flags[0], FMODEL_SIGNED);
	T_EQ(m.arg_flags[3], FMODEL_STRUCT);
	for (int en = 0; en < 2; en++) {
		if (!engine_ok(en))
			continue;
		/* int -5: sign-extended in its slot; we see the low 32 bits through the int return */
		T_EQ(slot_via_thunk(en, &m, 0, -5, 200, 9, d, e, f), 0xfffffffbu);
		T_EQ(slot_via_thunk(en, &m, 1, -5, 200, 9, d, e, f), 200);
		T_EQ(slot_via_thunk(en, &m, 2, -5, 200, -9, d, e, f), (uint32_t)-9);
		T_EQ(slot_via_thunk(en, &m, 3, -5, 200, 9, d, e, f), 7); /* pair.a in the low half */
		T_EQ(slot_via_thunk(en, &m, 4, -5, 200, 9, d, e, f), 0x33334444);
		T_EQ(slot_via_thunk(en, &m, 5, -5, 200, 9, d, e, f), (uint32_t)-2); /* wide.b, in r9 */
		/* struct three needs two registers, none are left: it arrives on the stack */
		T_EQ(slot_via_thunk(en, &m, 6, -5, 200, 9, d, e, f), 1);
		T_EQ(slot_via_thunk(en, &m, 7, -5, 200, 9, d, e, f), 3); /* three.c, zero-padded */
	}
	btf__free(b.btf);
}

static void full_slots_and_narrowing(struct test_ctx *t, int en)
{
	struct test_btf b;
	struct func_model m;
	struct sops_vm *vm;
	struct thunk *th;
	int params[2];

	T_EQ(make_btf(&b), 0);
	/* long f(struct pair, long): the pair's high half is visible as a whole slot */
	params[0] = b.pair, params[1] = b.s64;
	T_EQ(func_model_from_btf(b.btf, proto(&b, b.s64, 2, params), &m, NULL), 0);
	vm = prog_on("ldxdw %r0, [%r1+0]\nldxdw %r2, [%r1+8]\nadd %r0, %r2\nexit", en);
	T_ASSERT(vm);
	T_EQ(thunk_create(&m, vm, &th, NULL), 0);
	T_EQ(((long (*)(struct pair, long))thunk_entry(th))((struct pair){ 1, 2 }, 10),
	     0x20000000bull);
	thunk_free(th);
	sops_vm__free(vm);

	/* signed char f(void) returning 0x1ff: narrowed to -1 */
	T_EQ(func_model_from_btf(b.btf, proto(&b, b.s8, 0, NULL), &m, NULL), 0);
	vm = prog_on("mov %r0, 0x1ff\nexit", en);
	T_EQ(thunk_create(&m, vm, &th, NULL), 0);
	T_EQ(((signed char (*)(void))thunk_entry(th))(), (uint64_t)-1);
	thunk_free(th);
	/* unsigned char f(void) on the same program: 0xff */
	T_EQ(func_model_from_btf(b.btf, proto(&b, b.u8, 0, NULL), &m, NULL), 0);
	T_EQ(thunk_create(&m, vm, &th, NULL), 0);
	T_EQ(((unsigned char (*)(void))thunk_entry(th))(), 0xff);
	thunk_free(th);
	/* void f(void *): runs, returns nothing */
	params[0] = b.ptr;
	T_EQ(func_model_from_btf(b.btf, proto(&b, 0, 1, params), &m, NULL), 0);
	T_EQ(m.ret_size, 0);
	T_EQ(thunk_create(&m, vm, &th, NULL), 0);
	((void (*)(void *))thunk_entry(th))(NULL);
	thunk_free(th);
	sops_vm__free(vm);
	btf__free(b.btf);
}

TEST(thunk_full_slots_and_narrowing)
{
	for (int en = 0; en < 2; en++)
		if (engine_ok(en))
			full_slots_and_narrowing(t, en);
}

typedef long (*eight_fn)(long, long, long, long, long, long, int, unsigned short);

/* Eight scalars: the last two arrive on the stack and must be widened there too. */
TEST(thunk_stack_arguments)
{
	struct test_btf b;
	struct func_model m;
	int params[8];
	int u16;

	T_EQ(make_btf(&b), 0);
	u16 = btf__add_int(b.btf, "unsigned short", 2, 0);
	for (int i = 0; i < 6; i++)
		params[i] = b.s64;
	params[6] = b.s32;
	params[7] = u16;
	T_EQ(func_model_from_btf(b.btf, proto(&b, b.s64, 8, params), &m, NULL), 0);
	for (int en = 0; en < 2; en++) {
		struct sops_vm *vm;
		struct thunk *th;

		if (!engine_ok(en))
			continue;
		/* r0 = ctx[6] (int -3, sign-extended) * 1000 + ctx[7] (u16 65535) + ctx[0] */
		vm = prog_on("ldxdw %r0, [%r1+48]\nmul %r0, 1000\nldxdw %r2, [%r1+56]\nadd %r0, %r2\n"
			     "ldxdw %r2, [%r1+0]\nadd %r0, %r2\nexit", en);
		T_ASSERT(vm);
		T_EQ(thunk_create(&m, vm, &th, NULL), 0);
		T_EQ(((eight_fn)thunk_entry(th))(5, 0, 0, 0, 0, 0, -3, 65535), (uint64_t)(-3000 + 65535 + 5));
		thunk_free(th);
		sops_vm__free(vm);
	}
	btf__free(b.btf);
}

TEST(thunk_func_model_rejects)
{
	struct test_btf b;
	struct func_model m;
	char msg[160];
	struct sops_log log = { msg, sizeof(msg), 0 };
	int params[13], id;

	T_EQ(make_btf(&b), 0);
#define REJECT(id_expr, word)                                                                      \
	do {                                                                                       \
		log.written = 0;                                                                   \
		T_EQ(func_model_from_btf(b.btf, (id_expr), &m, &log), -EINVAL);                    \
		if (!strstr(msg, word))                                                            \
			T_FAIL("message \"%s\" lacks \"%s\"", msg, word);                          \
	} while (0)
	params[0] = b.flt;
	REJECT(proto(&b, b.s32, 1, params), "kind");
	params[0] = b.arr;
	REJECT(proto(&b, b.s32, 1, params), "kind");
	params[0] = b.big;
	REJECT(proto(&b, b.s32, 1, params), "24 bytes");
	REJECT(proto(&b, b.pair, 0, NULL), "returning a struct");
	for (int i = 0; i < 13; i++)
		params[i] = b.s32;
	REJECT(proto(&b, b.s32, 13, params), "13 arguments");
	for (int i = 0; i < 7; i++)
		params[i] = b.wide;
	REJECT(proto(&b, b.s32, 7, params), "14 context slots");
	id = btf__add_func_proto(b.btf, b.s32);
	btf__add_func_param(b.btf, "", b.s32);
	btf__add_func_param(b.btf, "", 0); /* ... */
	REJECT(id, "variadic");
	REJECT(b.s32, "not a function prototype");
	REJECT(99999, "not a function prototype");
	/* A pointer to a prototype is followed. */
	params[0] = b.s32;
	id = btf__add_ptr(b.btf, proto(&b, b.s32, 1, params));
	T_EQ(func_model_from_btf(b.btf, id, &m, NULL), 0);
	T_EQ(m.nr_args, 1);
	btf__free(b.btf);
}

/*
 * The same eight-argument member, with a program that needs a real frame: it
 * uses the BPF stack, callee-saved registers and a bpf-to-bpf call, so its
 * context array is addressed from rbp and the stack arguments sit above it.
 */
TEST(thunk_entry_with_frame)
{
	static const char text[] =
		"ldxdw %r2, [%r1+48]\n"  /* -3 */
		"stxdw [%r10-8], %r2\n"
		"ldxdw %r6, [%r1+56]\n"  /* 65535, kept across the call */
		"ldxdw %r7, [%r1+0]\n"   /* 5 */
		"call local f\n"
		"ldxdw %r2, [%r10-8]\n"
		"mul %r0, %r2\n"
		"add %r0, %r6\n"
		"add %r0, %r7\n"
		"exit\n"
		"f:\n"
		"stdw [%r10-8], 1000\n"
		"ldxdw %r0, [%r10-8]\n"
		"exit\n";
	struct test_btf b;
	struct func_model m;
	int params[8];
	int u16;

	T_EQ(make_btf(&b), 0);
	u16 = btf__add_int(b.btf, "unsigned short", 2, 0);
	for (int i = 0; i < 6; i++)
		params[i] = b.s64;
	params[6] = b.s32;
	params[7] = u16;
	T_EQ(func_model_from_btf(b.btf, proto(&b, b.s64, 8, params), &m, NULL), 0);
	for (int en = 0; en < 2; en++) {
		struct sops_vm *vm;
		struct thunk *th;

		if (!engine_ok(en))
			continue;
		vm = prog_on(text, en);
		T_ASSERT(vm);
		T_EQ(thunk_create(&m, vm, &th, NULL), 0);
		for (int k = 0; k < 3; k++)
			T_EQ(((eight_fn)thunk_entry(th))(5, 1, 2, 3, 4, 6, -3, 65535),
			     (uint64_t)(-3000 + 65535 + 5));
		thunk_free(th);
		sops_vm__free(vm);
	}
	btf__free(b.btf);
}

/* A native entry image carries the blinding of the program's own image. */
TEST(thunk_entry_keeps_blinding)
{
	struct sops_vm_opts opts = { .sz = sizeof(opts), .engine = SOPS_ENGINE_JIT, .jit_blinding = true };
	const struct func_model m = { .nr_args = 1, .arg_size = { 8 }, .ret_size = 8 };
	struct sops_insn *insns;
	struct sops_vm *vm;
	struct thunk *th;
	size_t cnt;
	char err[128];

	if (!sops_jit_available())
		T_SKIP("no JIT in this build");
	T_EQ(sops_asm__parse("ldxdw %r0, [%r1+0]\nadd %r0, 0x5bd1e995\nexit", &insns, &cnt, err,
			     sizeof(err)), 0);
	T_EQ(sops_vm__create(insns, cnt, &opts, &vm), 0);
	free(insns);
	T_EQ(thunk_create(&m, vm, &th, NULL), 0);
	T_EQ(((uint64_t (*)(uint64_t))thunk_entry(th))(1), 0x5bd1e996);
	/* the constant must not appear in the entry's code */
	{
		const uint8_t *code = thunk_entry(th);
		const uint8_t k[4] = { 0x95, 0xe9, 0xd1, 0x5b };

		for (int i = 0; i < 64; i++)
			T_ASSERT(memcmp(code + i, k, 4) != 0);
	}
	thunk_free(th);
	sops_vm__free(vm);
}

struct seven {
	unsigned char b[7];
};
typedef uint64_t (*twelve_fn)(struct seven, struct seven, struct seven, struct seven, struct seven,
			      struct seven, struct seven, struct seven, struct seven, struct seven,
			      struct seven, struct seven);

/*
 * The widest model there is: twelve 7-byte structs, each masked in its own slot
 * (the longest spill code per slot), six of them from the stack. The JIT's
 * image estimate must leave room for that prologue.
 */
TEST(thunk_widest_model)
{
	struct func_model m = { .nr_args = FUNC_MODEL_MAX_ARGS, .ret_size = 8 };
	struct seven a = { { 1, 2, 3, 4, 5, 6, 7 } }, z = { { 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87 } };

	for (int i = 0; i < FUNC_MODEL_MAX_ARGS; i++) {
		m.arg_size[i] = 7;
		m.arg_flags[i] = FMODEL_STRUCT;
	}
	for (int en = 0; en < 2; en++) {
		struct sops_vm *vm;
		struct thunk *th;

		if (!engine_ok(en))
			continue;
		/* r0 = ctx[11], the last struct zero-padded; a short program, so the prologue dominates */
		vm = prog_on("ldxdw %r0, [%r1+88]\nexit", en);
		T_ASSERT(vm);
		T_EQ(thunk_create(&m, vm, &th, NULL), 0);
		T_EQ(((twelve_fn)thunk_entry(th))(a, a, a, a, a, a, a, a, a, a, a, z), 0x87868584838281ull);
		thunk_free(th);
		sops_vm__free(vm);
	}
}

TEST(thunk_rejects_bad_models)
{
	struct func_model m = { .nr_args = 13 };
	struct sops_vm *vm = prog_on("mov %r0, 0\nexit", SOPS_ENGINE_INTERP);
	struct thunk *th;

	T_ASSERT(vm);
	T_EQ(thunk_create(&m, vm, &th, NULL), -EINVAL);
	m = (struct func_model){ .nr_args = 1, .arg_size = { 9 } }; /* a 9-byte scalar */
	T_EQ(thunk_create(&m, vm, &th, NULL), -EINVAL);
	sops_vm__free(vm);
	if (!sops_jit_available())
		return;
	vm = prog_on("mov %r0, 0\nexit", SOPS_ENGINE_JIT);
	T_ASSERT(vm);
	m = (struct func_model){ .nr_args = 1, .arg_size = { 24 }, .arg_flags = { FMODEL_STRUCT } };
	T_EQ(thunk_create(&m, vm, &th, NULL), -EINVAL);
	sops_vm__free(vm);
}

/*
 * A native entry keeps the context in the argument registers when the
 * program only reads it up front (jit_entry_ctx_in_regs). Each program runs
 * through a JIT entry and an interpreter thunk; the results must agree, and
 * the analysis must pick the register form exactly where it is safe.
 */
typedef uint64_t (*three_fn)(uint64_t, int, uint64_t);

static const struct {
	const char *text;
	int prefix; /* what jit_entry_ctx_in_regs returns */
} ctx_reg_cases[] = {
	/* the benchmark's `return x + 1`: one leading load */
	{ "ldxdw %r0, [%r1+0]\nadd %r0, 1\nexit", 1 },
	/* r1 itself replaced by an argument: what follows may use it freely */
	{ "ldxdw %r2, [%r1+16]\nldxdw %r1, [%r1+0]\nmov %r0, %r1\nadd %r0, %r2\nexit", 2 },
	/* a 4-byte load of the int: the low half of its sign-extended slot */
	{ "ldxw %r0, [%r1+8]\nexit", 1 },
	{ "ldxdw %r0, [%r1+8]\nexit", 1 },
	/* never reads the context */
	{ "mov %r0, 7\nexit", 0 },
	/* r1 read after the leading loads: the array is needed */
	{ "ldxdw %r0, [%r1+0]\nldxdw %r2, [%r1+16]\nadd %r0, %r2\nmov %r3, %r1\nldxdw %r3, [%r3+8]\n"
	  "add %r0, %r3\nexit", -1 },
	/* the second load's register (rsi) was overwritten by the first (r2 = rsi) */
	{ "ldxdw %r2, [%r1+0]\nldxdw %r0, [%r1+8]\nadd %r0, %r2\nexit", -1 },
	/* a later read on one branch only */
	{ "ldxdw %r0, [%r1+0]\njeq %r0, 0, +1\nexit\nldxdw %r0, [%r1+16]\nexit", -1 },
	/* r1 overwritten on every path before the read */
	{ "ldxdw %r0, [%r1+0]\njeq %r0, 0, +2\nmov %r1, 5\nja +1\nmov %r1, 6\nadd %r0, %r1\nexit", 1 },
	/* a jump back to the leading load (never taken: unsigned r0 < 0) */
	{ "ldxdw %r0, [%r1+0]\nadd %r0, 1\njlt %r0, 0, -3\nexit", -1 },
	/* a byte load is served from the array */
	{ "ldxb %r0, [%r1+8]\nexit", -1 },
	/* an odd offset is not a slot */
	{ "ldxw %r0, [%r1+4]\nexit", -1 },
};

TEST(thunk_ctx_in_registers)
{
	const struct func_model m = { .nr_args = 3, .arg_size = { 8, 4, 8 },
				      .arg_flags = { 0, FMODEL_SIGNED, 0 }, .ret_size = 8 };
	const uint64_t in[][3] = { { 41, 0, 0 }, { 0, (uint64_t)-5, 100 }, { 3, 9, 1ull << 40 } };

	for (size_t c = 0; c < sizeof(ctx_reg_cases) / sizeof(ctx_reg_cases[0]); c++) {
		struct sops_insn *insns;
		int8_t regs[16];
		size_t cnt;
		char err[128];

		T_EQ(sops_asm__parse(ctx_reg_cases[c].text, &insns, &cnt, err, sizeof(err)), 0);
		T_EQ(jit_entry_ctx_in_regs(insns, (uint32_t)cnt, &m, regs), ctx_reg_cases[c].prefix);
		free(insns);
		if (!sops_jit_available())
			continue;
		for (size_t k = 0; k < sizeof(in) / sizeof(in[0]); k++) {
			uint64_t got[2];

			for (int en = 0; en < 2; en++) {
				struct sops_vm *vm = prog_on(ctx_reg_cases[c].text, en);
				struct thunk *th;

				T_ASSERT(vm != NULL);
				T_EQ(thunk_create(&m, vm, &th, NULL), 0);
				got[en] = ((three_fn)thunk_entry(th))(in[k][0], (int)in[k][1], in[k][2]);
				thunk_free(th);
				sops_vm__free(vm);
			}
			T_EQ(got[SOPS_ENGINE_JIT], got[SOPS_ENGINE_INTERP]);
		}
	}
	/* the register form of `return x + 1` is the C function: no frame, no store */
	if (sops_jit_available()) {
		/* mov rax, rdi; add rax, 1; ret */
		static const uint8_t want[] = { 0x48, 0x89, 0xf8, 0x48, 0x83, 0xc0, 0x01, 0xc3 };
		const struct func_model m1 = { .nr_args = 1, .arg_size = { 8 }, .ret_size = 8 };
		struct sops_vm *vm = prog_on(ctx_reg_cases[0].text, SOPS_ENGINE_JIT);
		struct thunk *th;

		T_ASSERT(vm != NULL);
		T_EQ(thunk_create(&m1, vm, &th, NULL), 0);
		T_EQ(memcmp(thunk_entry(th), want, sizeof(want)), 0);
		T_EQ(((three_fn)thunk_entry(th))(41, 0, 0), 42);
		thunk_free(th);
		sops_vm__free(vm);
	}
}
