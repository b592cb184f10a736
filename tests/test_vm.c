/* SPDX-License-Identifier: MIT */
/*
 * test_vm.c - the engine API: structural rejection, resolvers, helpers, checked
 * mode faults, options validation and concurrent runs.
 *
 * Programs are written as raw slots here, so each test controls every field.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <structops/vm.h>

#include "isa_util.h"
#include "test.h"

#define I(code, dst, src, off, imm) { (code), (dst), (src), (off), (imm) }
#define EXIT I(0x95, 0, 0, 0, 0)
#define MOV_K(dst, imm) I(0xb7, dst, 0, 0, imm)

static int create(const struct sops_insn *insns, size_t cnt, struct sops_vm_opts *opts,
		  struct sops_vm **vm, char *log, size_t log_size)
{
	opts->sz = sizeof(*opts);
	opts->log_buf = log;
	opts->log_size = log_size;
	return sops_vm__create(insns, cnt, opts, vm);
}

/* Each row: a program the structural rules must refuse, and a word the message must contain. */
static const struct {
	const char *name;
	struct sops_insn insns[4];
	size_t cnt;
	const char *msg;
} rejects[] = {
	{ "unknown opcode", { I(0xff, 0, 0, 0, 0), EXIT }, 2, "invalid opcode" },
	{ "alu reserved off", { I(0x07, 0, 0, 1, 0), EXIT }, 2, "reserved off" },
	{ "alu imm with src", { I(0x07, 0, 1, 0, 0), EXIT }, 2, "reserved src_reg" },
	{ "alu reg with imm", { I(0x0f, 0, 1, 0, 5), EXIT }, 2, "reserved imm" },
	{ "bad register", { I(0xb7, 11, 0, 0, 0), EXIT }, 2, "invalid register" },
	{ "write to r10", { I(0xb7, 10, 0, 0, 0), EXIT }, 2, "read-only" },
	{ "load into r10", { I(0x79, 10, 1, 0, 0), EXIT }, 2, "read-only" },
	{ "div off 2", { I(0x37, 0, 0, 2, 1), EXIT }, 2, "division off" },
	{ "movsx 32 in 32-bit mov", { I(0xbc, 0, 1, 32, 0), EXIT }, 2, "movsx" },
	{ "movsx from imm", { I(0xb7, 0, 0, 8, 0), EXIT }, 2, "movsx" },
	{ "byte swap width 8", { I(0xdc, 0, 0, 0, 8), EXIT }, 2, "width" },
	{ "bswap reg form", { I(0xdf, 0, 0, 0, 16), EXIT }, 2, "invalid opcode" },
	{ "neg with imm", { I(0x87, 0, 0, 0, 1), EXIT }, 2, "neg" },
	{ "exit with fields", { I(0x95, 1, 0, 0, 0) }, 1, "exit" },
	{ "jump past end", { I(0x05, 0, 0, 5, 0), EXIT }, 2, "leaves its subprogram" },
	{ "jump before start", { I(0x05, 0, 0, -2, 0), EXIT }, 2, "leaves its subprogram" },
	{ "jump into lddw", { I(0x05, 0, 0, 1, 0), I(0x18, 0, 0, 0, 1), I(0, 0, 0, 0, 0), EXIT }, 4, "lddw" },
	{ "truncated lddw", { MOV_K(0, 0), I(0x18, 0, 0, 0, 1) }, 2, "second slot" },
	{ "lddw second slot opcode", { I(0x18, 0, 0, 0, 1), I(0x18, 0, 0, 0, 0), EXIT }, 3, "second slot" },
	{ "lddw bad pseudo kind", { I(0x18, 0, 7, 0, 1), I(0, 0, 0, 0, 0), EXIT }, 3, "pseudo" },
	{ "falls off the end", { MOV_K(0, 0) }, 1, "falls off" },
	{ "conditional jump last", { MOV_K(0, 0), I(0x15, 0, 0, -2, 0) }, 2, "falls off" },
	{ "call target outside", { I(0x85, 0, 1, 0, 9), EXIT }, 2, "call target" },
	{ "subprogram falls into next", { I(0x85, 0, 1, 0, 1), EXIT, MOV_K(0, 0), I(0x85, 0, 1, 0, -4) }, 4, "falls off" },
	{ "jump across subprograms", { I(0x85, 0, 1, 0, 1), I(0x05, 0, 0, 1, 0), EXIT, EXIT }, 4, "leaves its subprogram" },
	{ "call kind 3", { I(0x85, 0, 3, 0, 0), EXIT }, 2, "call kind" },
	{ "legacy packet load", { I(0x20, 0, 0, 0, 0), EXIT }, 2, "legacy" },
	{ "atomic on bytes", { I(0xd3, 10, 1, -8, 0), EXIT }, 2, "32 or 64" },
	{ "unknown atomic op", { I(0xdb, 10, 1, -8, 0x10), EXIT }, 2, "atomic" },
	{ "sign-extending 64-bit load", { I(0x99, 0, 1, 0, 0), EXIT }, 2, "invalid opcode" },
	{ "ja with imm", { I(0x05, 0, 0, 0, 1), EXIT }, 2, "ja" },
	{ "gotol with off", { I(0x06, 0, 0, 1, 0), EXIT }, 2, "gotol" },
	{ "jmp32 call", { I(0x86, 0, 0, 0, 1), EXIT }, 2, "invalid opcode" },
};

TEST(vm_rejects_malformed_bytecode)
{
	for (size_t i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		struct sops_vm_opts opts = { 0 };
		struct sops_vm *vm = (void *)1;
		char log[256] = "", name[128];
		int err = create(rejects[i].insns, rejects[i].cnt, &opts, &vm, log, sizeof(log));

		snprintf(name, sizeof(name), "vm/reject/%s", rejects[i].name);
		test_result(name, err == -EINVAL && !vm && strstr(log, rejects[i].msg),
			    "err %d, vm %p, log \"%s\" (want -EINVAL and \"%s\")", err, (void *)vm, log,
			    rejects[i].msg);
	}
}

TEST(vm_rejects_bad_arguments)
{
	struct sops_insn prog[] = { MOV_K(0, 1), EXIT };
	struct sops_vm_opts opts = { .sz = sizeof(opts) };
	struct {
		struct sops_vm_opts o;
		uint64_t future_field;
	} bigger = { .o = { .sz = sizeof(bigger) }, .future_field = 1 };
	struct sops_vm *vm;
	char log[256];

	T_EQ(sops_vm__create(NULL, 2, &opts, &vm), -EINVAL);
	T_EQ(sops_vm__create(prog, 0, &opts, &vm), -EINVAL);
	T_EQ(sops_vm__create(prog, 2, &opts, NULL), -EINVAL);
	T_EQ(sops_vm__create(prog, (size_t)SOPS_VM_MAX_INSNS + 1, &opts, &vm), -E2BIG);
	opts.sz = 3;
	T_EQ(sops_vm__create(prog, 2, &opts, &vm), -EINVAL);
	/* A newer caller's struct is fine only while the fields we don't know are zero. */
	T_EQ(sops_vm__create(prog, 2, &bigger.o, &vm), -EINVAL);
	bigger.future_field = 0;
	T_EQ(sops_vm__create(prog, 2, &bigger.o, &vm), 0);
	sops_vm__free(vm);
	opts = (struct sops_vm_opts){ .engine = 7 };
	T_EQ(create(prog, 2, &opts, &vm, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "engine"));
	opts = (struct sops_vm_opts){ .engine = SOPS_ENGINE_JIT, .checked = true };
	T_EQ(create(prog, 2, &opts, &vm, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "checked"));
	/* NULL opts mean defaults */
	T_EQ(sops_vm__create(prog, 2, NULL, &vm), 0);
	T_EQ(sops_vm__exec(vm, 0, 0), 1);
	sops_vm__free(vm);
	sops_vm__free(NULL);
}

static uint64_t h_sum(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, void *aux)
{
	return a + b + c + d + e + *(uint64_t *)aux;
}

static uint64_t h_one(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, void *aux)
{
	return 1;
}

TEST(vm_helpers)
{
	uint64_t aux_val = 1000;
	struct sops_helper helpers[] = { { 7, "sum", h_sum, NULL }, { 3, "one", h_one, NULL } };
	struct sops_insn prog[] = { MOV_K(1, 1), MOV_K(2, 2), MOV_K(3, 3), MOV_K(4, 4), MOV_K(5, 5),
				    I(0x85, 0, 0, 0, 7), EXIT };
	struct sops_insn callx[] = { MOV_K(2, 3), I(0x8d, 2, 0, 0, 0), EXIT };
	struct sops_insn callx_bad[] = { MOV_K(2, 4), I(0x8d, 2, 0, 0, 0), EXIT };
	struct sops_vm_opts opts;
	struct sops_vm *vm;
	char log[256], fault[256];

	for (int e = 0; e < ISA_ENGINE_CNT; e++) {
		struct sops_vm_run_opts run = { .sz = sizeof(run), .fault_buf = fault, .fault_size = sizeof(fault) };

		if (!isa_engine_opts(e, &opts))
			continue;
		opts.helpers = helpers;
		opts.helper_cnt = 2;
		opts.aux = &aux_val;
		T_EQ(create(prog, 7, &opts, &vm, log, sizeof(log)), 0);
		T_EQ(sops_vm__run(vm, &run), 0);
		T_EQ(run.retval, 1015);
		sops_vm__free(vm);

		T_EQ(create(callx, 3, &opts, &vm, log, sizeof(log)), 0);
		T_EQ(sops_vm__run(vm, &run), 0);
		T_EQ(run.retval, 1);
		sops_vm__free(vm);
		if (e == 2)
			continue; /* the JIT's answer to a bad callx is its own (documented) */
		T_EQ(create(callx_bad, 3, &opts, &vm, log, sizeof(log)), 0);
		T_EQ(sops_vm__run(vm, &run), -ENOENT);
		T_EQ(run.fault_pc, 1);
		T_ASSERT(strstr(fault, "unknown helper id 4"));
		sops_vm__free(vm);
	}
	/* Unknown helper ids fail at creation, not at run time. */
	opts = (struct sops_vm_opts){ .helpers = helpers, .helper_cnt = 1 };
	prog[5].imm = 3;
	T_EQ(create(prog, 7, &opts, &vm, log, sizeof(log)), -ENOENT);
	T_ASSERT(strstr(log, "unknown helper #3"));
	/* Broken helper tables */
	struct sops_helper dup[] = { { 7, "a", h_one, NULL }, { 7, "b", h_one, NULL } };
	struct sops_helper nofn[] = { { 7, "a", NULL, NULL } };
	struct sops_helper huge[] = { { 1u << 20, "a", h_one, NULL } };
	opts = (struct sops_vm_opts){ .helpers = dup, .helper_cnt = 2 };
	T_EQ(create(prog, 7, &opts, &vm, log, sizeof(log)), -EINVAL);
	opts = (struct sops_vm_opts){ .helpers = nofn, .helper_cnt = 1 };
	T_EQ(create(prog, 7, &opts, &vm, log, sizeof(log)), -EINVAL);
	opts = (struct sops_vm_opts){ .helpers = huge, .helper_cnt = 1 };
	T_EQ(create(prog, 7, &opts, &vm, log, sizeof(log)), -EINVAL);
	opts = (struct sops_vm_opts){ .helpers = NULL, .helper_cnt = 1 };
	T_EQ(create(prog, 7, &opts, &vm, log, sizeof(log)), -EINVAL);
}

static uint64_t kf_mul(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a * b;
}

static int kf_resolve(void *ctx, int32_t btf_id, int16_t slot, sops_kfunc_fn *fn)
{
	if (btf_id != 42 || slot != 1)
		return -ESRCH;
	*fn = kf_mul;
	return 0;
}

static int ld_resolve(void *ctx, const struct sops_insn *insn, size_t idx, uint64_t *value)
{
	if (insn->src_reg != SOPS_LD_IMM64_MAP_VALUE)
		return -EOPNOTSUPP;
	*value = (uintptr_t)ctx + (uint32_t)insn[1].imm;
	return 0;
}

TEST(vm_resolvers)
{
	uint64_t data[2] = { 5, 6 };
	struct sops_insn kprog[] = { MOV_K(1, 6), MOV_K(2, 7), I(0x85, 0, 2, 1, 42), EXIT };
	/* r1 = &data + 8 (map value pseudo lddw); r0 = *r1 */
	struct sops_insn lprog[] = { I(0x18, 1, 2, 0, 3), I(0, 0, 0, 0, 8), I(0x79, 0, 1, 0, 0), EXIT };
	struct sops_vm_opts opts;
	struct sops_vm *vm;
	char log[256];

	for (int e = 0; e < ISA_ENGINE_CNT; e++) {
		if (!isa_engine_opts(e, &opts) || e == 1)
			continue;
		opts.kfunc_resolve = kf_resolve;
		opts.ld_imm64_resolve = ld_resolve;
		opts.resolve_ctx = data;
		T_EQ(create(kprog, 4, &opts, &vm, log, sizeof(log)), 0);
		T_EQ(sops_vm__exec(vm, 0, 0), 42);
		sops_vm__free(vm);
		T_EQ(create(lprog, 4, &opts, &vm, log, sizeof(log)), 0);
		T_EQ(sops_vm__exec(vm, 0, 0), 6);
		/* The executed copy carries the resolved constant, src_reg 0. */
		size_t n;
		const struct sops_insn *x = sops_vm__insns(vm, &n);
		T_EQ(n, 4);
		T_EQ(x[0].src_reg, 0);
		sops_vm__free(vm);
	}
	/* Failing or missing resolvers stop creation with a message. */
	opts = (struct sops_vm_opts){ .kfunc_resolve = kf_resolve };
	kprog[2].imm = 43;
	T_EQ(create(kprog, 4, &opts, &vm, log, sizeof(log)), -ESRCH);
	T_ASSERT(strstr(log, "kfunc"));
	opts = (struct sops_vm_opts){ 0 };
	T_EQ(create(kprog, 4, &opts, &vm, log, sizeof(log)), -EINVAL);
	T_EQ(create(lprog, 4, &opts, &vm, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "pseudo lddw"));
	lprog[0].src_reg = SOPS_LD_IMM64_BTF_ID;
	opts = (struct sops_vm_opts){ .ld_imm64_resolve = ld_resolve };
	T_EQ(create(lprog, 4, &opts, &vm, log, sizeof(log)), -EOPNOTSUPP);
}

static int run_checked(const struct sops_insn *insns, size_t cnt, uint64_t budget,
		       const struct sops_mem_region *regions, size_t nreg, uint64_t r1,
		       uint32_t *pc, char *fault, size_t fault_size)
{
	struct sops_vm_opts opts = { .checked = true, .insn_budget = budget };
	struct sops_vm_run_opts run = { .sz = sizeof(run), .args = { r1 }, .regions = regions,
					.region_cnt = nreg, .fault_buf = fault, .fault_size = fault_size };
	struct sops_vm *vm;
	char log[256];
	int err = create(insns, cnt, &opts, &vm, log, sizeof(log));

	if (err)
		return 1000 + err;
	err = sops_vm__run(vm, &run);
	*pc = run.fault_pc;
	sops_vm__free(vm);
	return err;
}

TEST(vm_checked_mode_faults)
{
	uint64_t buf[2] = { 0 };
	struct sops_mem_region rw = { (uintptr_t)buf, sizeof(buf), true };
	struct sops_mem_region ro = { (uintptr_t)buf, sizeof(buf), false };
	struct sops_insn load16[] = { MOV_K(0, 0), I(0x79, 0, 1, 16, 0), EXIT };  /* r0 = *(u64 *)(r1 + 16) */
	struct sops_insn load8[] = { MOV_K(0, 0), I(0x79, 0, 1, 8, 0), EXIT };
	struct sops_insn store[] = { I(0x7a, 1, 0, 0, 1), EXIT };                 /* *(u64 *)r1 = 1 */
	struct sops_insn above_stack[] = { I(0x7a, 10, 0, 0, 1), EXIT };
	struct sops_insn below_stack[] = { I(0x7a, 10, 0, -520, 1), EXIT };
	struct sops_insn misaligned[] = { MOV_K(2, 1), I(0xdb, 1, 2, 4, 0), EXIT };
	struct sops_insn loop[] = { I(0x05, 0, 0, -1, 0) };
	struct sops_insn wrap[] = { I(0x79, 0, 1, 8, 0), EXIT };
	char fault[256];
	uint32_t pc;

	T_EQ(run_checked(load8, 3, 0, &rw, 1, (uintptr_t)buf, &pc, fault, sizeof(fault)), 0);
	T_EQ(run_checked(load16, 3, 0, &rw, 1, (uintptr_t)buf, &pc, fault, sizeof(fault)), -EFAULT);
	T_EQ(pc, 1);
	T_ASSERT(strstr(fault, "8-byte read"));
	T_EQ(run_checked(store, 2, 0, &ro, 1, (uintptr_t)buf, &pc, fault, sizeof(fault)), -EFAULT);
	T_ASSERT(strstr(fault, "write"));
	T_EQ(run_checked(store, 2, 0, &rw, 1, (uintptr_t)buf, &pc, fault, sizeof(fault)), 0);
	T_EQ(buf[0], 1);
	T_EQ(run_checked(above_stack, 2, 0, NULL, 0, 0, &pc, fault, sizeof(fault)), -EFAULT);
	T_EQ(run_checked(below_stack, 2, 0, NULL, 0, 0, &pc, fault, sizeof(fault)), -EFAULT);
	T_EQ(run_checked(misaligned, 3, 0, &rw, 1, (uintptr_t)buf, &pc, fault, sizeof(fault)), -EFAULT);
	T_ASSERT(strstr(fault, "misaligned"));
	T_EQ(run_checked(loop, 1, 1000, NULL, 0, 0, &pc, fault, sizeof(fault)), -ETIME);
	T_ASSERT(strstr(fault, "budget of 1000"));
	/* An address that wraps around the top of the address space is not "inside". */
	T_EQ(run_checked(wrap, 2, 0, &rw, 1, (uint64_t)-4, &pc, fault, sizeof(fault)), -EFAULT);
	/* A run with a region count but no regions is refused. */
	struct sops_vm_run_opts bad = { .sz = sizeof(bad), .region_cnt = 1 };
	struct sops_vm *vm;
	struct sops_vm_opts opts = { 0 };
	T_EQ(create(load8, 3, &opts, &vm, fault, sizeof(fault)), 0);
	T_EQ(sops_vm__run(vm, &bad), -EINVAL);
	bad.sz = 1;
	T_EQ(sops_vm__run(vm, &bad), -EINVAL);
	T_EQ(sops_vm__run(vm, NULL), -EINVAL);
	sops_vm__free(vm);
}

TEST(vm_budget_is_exact)
{
	/* Three instructions run; a budget of three passes and of two stops at the third. */
	struct sops_insn prog[] = { MOV_K(0, 1), I(0x07, 0, 0, 0, 1), EXIT };
	char fault[128];
	uint32_t pc;

	T_EQ(run_checked(prog, 3, 3, NULL, 0, 0, &pc, fault, sizeof(fault)), 0);
	T_EQ(run_checked(prog, 3, 2, NULL, 0, 0, &pc, fault, sizeof(fault)), -ETIME);
	T_EQ(pc, 2);
}

struct thread_arg {
	struct sops_vm *vm;
	int bad;
};

static void *hammer(void *p)
{
	struct thread_arg *a = p;

	for (uint64_t i = 0; i < 20000; i++)
		if (sops_vm__exec(a->vm, i, 0) != i * 3 + 1)
			a->bad++;
	return NULL;
}

TEST(vm_concurrent_runs)
{
	/* r0 = r1 * 3 + 1 through the stack and a local call: threads share the vm only. */
	struct sops_insn prog[] = {
		I(0x7b, 10, 1, -8, 0), I(0x85, 0, 1, 0, 2), I(0x79, 1, 10, -8, 0), EXIT,
		I(0x79, 0, 10, 504, 0), I(0x27, 0, 0, 0, 3), I(0x07, 0, 0, 0, 1), EXIT,
	};
	struct sops_vm_opts opts = { 0 };
	struct thread_arg args[4];
	pthread_t th[4];
	struct sops_vm *vm;
	char log[256];

	T_EQ(create(prog, 8, &opts, &vm, log, sizeof(log)), 0);
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ vm, 0 };
		T_EQ(pthread_create(&th[i], NULL, hammer, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		T_EQ(args[i].bad, 0);
	}
	sops_vm__free(vm);
}
