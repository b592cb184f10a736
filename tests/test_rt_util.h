/* SPDX-License-Identifier: MIT */
/*
 * test_rt_util.h - instruction builders and runtime helpers for the runtime,
 * map and helper tests (tests/test_rt_*.c, test_map*.c, test_helper*.c).
 */
#ifndef SOPS_TEST_RT_UTIL_H
#define SOPS_TEST_RT_UTIL_H

#include <errno.h>
#include <stdlib.h>

#include <structops/bpf.h>
#include <structops/runtime.h>

#define I(c, d, s, o, i) ((struct sops_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_IMM(d, i) I(0xb7, d, 0, 0, i)
#define MOV_REG(d, s) I(0xbf, d, s, 0, 0)
#define ADD_IMM(d, i) I(0x07, d, 0, 0, i)
#define ADD_REG(d, s) I(0x0f, d, s, 0, 0)
#define LD_MAP(d, fd) I(0x18, d, 1, 0, fd), I(0, 0, 0, 0, 0)
#define LD_MAP_VALUE(d, fd, off) I(0x18, d, 2, 0, fd), I(0, 0, 0, 0, off)
#define LD_FUNC(d, delta) I(0x18, d, 4, 0, delta), I(0, 0, 0, 0, 0)
#define LD_IMM64(d, v) I(0x18, d, 0, 0, (int32_t)(uint32_t)(v)), I(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))
#define ST_W(d, o, i) I(0x62, d, 0, o, i)
#define ST_DW(d, o, i) I(0x7a, d, 0, o, i)
#define STX_W(d, s, o) I(0x63, d, s, o, 0)
#define STX_DW(d, s, o) I(0x7b, d, s, o, 0)
#define LDX_W(d, s, o) I(0x61, d, s, o, 0)
#define LDX_DW(d, s, o) I(0x79, d, s, o, 0)
#define XADD_DW(d, s, o) I(0xdb, d, s, o, 0)
#define JEQ_IMM(d, i, o) I(0x15, d, 0, o, i)
#define JNE_IMM(d, i, o) I(0x55, d, 0, o, i)
#define JA(o) I(0x05, 0, 0, o, 0)
#define CALL(id) I(0x85, 0, 0, 0, id)
#define EXIT() I(0x95, 0, 0, 0, 0)
#define NINSN(a) (sizeof(a) / sizeof((a)[0]))

/* Ops count for the multi-threaded tests: 10^6 unless SOPS_TEST_MT_OPS says otherwise. */
static inline long rt_test_mt_ops(void)
{
	const char *e = getenv("SOPS_TEST_MT_OPS");

	return e && atol(e) > 0 ? atol(e) : 1000000;
}

static inline struct sops_runtime *rt_test_new(bool jit)
{
	struct sops_runtime_opts o = { .sz = sizeof(o), .jit = jit, .trust_unverified = jit };
	struct sops_runtime *rt = NULL;

	return sops_runtime__new(&o, &rt) ? NULL : rt;
}

static inline int rt_test_load(struct sops_runtime *rt, const struct sops_insn *insns, size_t cnt,
			       char *log, size_t log_size)
{
	struct sops_prog_load_opts o = { .sz = sizeof(o), .log_buf = log, .log_size = (uint32_t)log_size };

	return sops_prog_load(rt, SOPS_BPF_PROG_TYPE_SYSCALL, "test", "GPL", insns, cnt, log ? &o : NULL);
}

static inline int rt_test_run(struct sops_runtime *rt, int fd, void *ctx, uint32_t ctx_size,
			      uint32_t *retval)
{
	struct sops_test_run_opts o = { .sz = sizeof(o), .ctx_in = ctx, .ctx_size_in = ctx_size,
					.ctx_out = ctx, .ctx_size_out = ctx_size };
	int err = sops_prog_test_run_opts(rt, fd, &o);

	*retval = o.retval;
	return err;
}

#endif /* SOPS_TEST_RT_UTIL_H */
