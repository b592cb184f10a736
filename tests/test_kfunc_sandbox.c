/* SPDX-License-Identifier: MIT */
/*
 * test_kfunc_sandbox.c - kfunc arguments in checked mode (issue 14, item 1;
 * src/vm/kfunc_check.c): code nobody verified calls host kfuncs typed by
 * BTF. Host objects must be ones the run was given (the struct_ops
 * context's pointer arguments) or a kfunc returned, of the struct the
 * kfunc expects; releases take them away (use after release and double
 * release are refused); a reference still held at exit fails the run;
 * memory arguments must be writable program memory of the pointee's size.
 * Each hostile call ends the run with an errno and a message naming the
 * kfunc and the argument, before the kfunc runs; the controls do the same
 * things legitimately and succeed. Everything runs in the checked
 * interpreter (always_checked), the legitimate programs also verified on
 * the JIT.
 *
 * The host BTF, built with btf__add_*:
 *   struct tr_task { int pid; int pad; void *next; }                (an object)
 *   struct tr_cgrp { long id; void *up; }                           (an object)
 *   struct tr_pair { int a; int b; }                                (plain data)
 *   int kf_pid(struct tr_task *t);      struct tr_task *kf_acquire(void);
 *   void kf_release(struct tr_task *t); int kf_fill(struct tr_pair *p);
 *   long kf_void(void *p);              long kf_cgrp_id(struct tr_cgrp *c);
 *   struct tr_kops { int (*run)(struct tr_task *t, long x);
 *                    int (*rel)(struct tr_task *t); };   stub tr_kops__rel(t__ref)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include <structops/asm.h>
#include <structops/runtime.h>
#include <structops/struct_ops.h>

#include "test.h"

struct tr_task {
	int pid;
	int pad;
	void *next;
};

struct tr_pair {
	int a, b;
};

/* The host's side: one task it hands out by reference, counted. */
static struct tr_task host_task = { .pid = 99 };
static int host_refs;
static int kf_ran;

static uint64_t kf_pid(uint64_t t, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)b, (void)c, (void)d, (void)e;
	kf_ran++;
	return (uint64_t)((const struct tr_task *)(uintptr_t)t)->pid;
}

static uint64_t kf_acquire(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	host_refs++;
	return (uint64_t)(uintptr_t)&host_task;
}

static uint64_t kf_release(uint64_t t, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)b, (void)c, (void)d, (void)e;
	if ((struct tr_task *)(uintptr_t)t == &host_task)
		host_refs--;
	return 0;
}

static uint64_t kf_fill(uint64_t p, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	struct tr_pair *pr = (struct tr_pair *)(uintptr_t)p;

	(void)b, (void)c, (void)d, (void)e;
	pr->a = 1;
	pr->b = 2;
	return 3;
}

static uint64_t kf_void(uint64_t p, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)b, (void)c, (void)d, (void)e;
	return p ? 1 : 0;
}

static uint64_t kf_cgrp_id(uint64_t p, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	(void)b, (void)c, (void)d, (void)e;
	kf_ran++;
	return (uint64_t)*(const long *)(uintptr_t)p;
}

enum { KF_PID, KF_ACQUIRE, KF_RELEASE, KF_FILL, KF_VOID, KF_CGRP, KF_CNT };
static const char *const kf_names[KF_CNT] = { "kf_pid", "kf_acquire", "kf_release",
					      "kf_fill", "kf_void", "kf_cgrp_id" };
static const sops_kfunc_fn kf_fns[KF_CNT] = { kf_pid, kf_acquire, kf_release,
					      kf_fill, kf_void, kf_cgrp_id };
static const uint32_t kf_flags[KF_CNT] = { 0, SOPS_KF_ACQUIRE | SOPS_KF_RET_NULL, SOPS_KF_RELEASE,
					   0, 0, 0 };

struct kfix {
	struct btf *btf;
	struct sops_runtime *rt;
	int ops_id;
	int kf_id[KF_CNT];
	char trace[4096]; /* the runtime's trace sink: where fault messages go */
	size_t tlen;
};

static void sink(void *ctx, const char *msg, size_t len)
{
	struct kfix *f = ctx;

	if (len > sizeof(f->trace) - 1 - f->tlen)
		len = sizeof(f->trace) - 1 - f->tlen;
	memcpy(f->trace + f->tlen, msg, len);
	f->tlen += len;
	f->trace[f->tlen] = '\0';
}

static int add_kfunc(struct btf *b, const char *name, int ret, int param_type, const char *param)
{
	int proto = btf__add_func_proto(b, ret);

	if (proto < 0 || (param && btf__add_func_param(b, param, param_type) < 0))
		return -1;
	return btf__add_func(b, name, BTF_FUNC_GLOBAL, proto);
}

static struct btf *kfix_btf(struct kfix *f)
{
	struct btf *b = btf__new_empty();
	int i32, i64, task, ptask, cgrp, pcgrp, pair, ppair, pvoid, run, prun, rel, prel, stub;

	if (!b)
		return NULL;
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	i64 = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	pvoid = btf__add_ptr(b, 0);
	/* Fields follow their struct (libbpf adds them to the last type); the links are void *. */
	task = btf__add_struct(b, "tr_task", 16);
	btf__add_field(b, "pid", i32, 0, 0);
	btf__add_field(b, "pad", i32, 32, 0);
	btf__add_field(b, "next", pvoid, 64, 0);
	ptask = btf__add_ptr(b, task);
	cgrp = btf__add_struct(b, "tr_cgrp", 16);
	btf__add_field(b, "id", i64, 0, 0);
	btf__add_field(b, "up", pvoid, 64, 0);
	pcgrp = btf__add_ptr(b, cgrp);
	pair = btf__add_struct(b, "tr_pair", 8);
	btf__add_field(b, "a", i32, 0, 0);
	btf__add_field(b, "b", i32, 32, 0);
	ppair = btf__add_ptr(b, pair);
	f->kf_id[KF_PID] = add_kfunc(b, "kf_pid", i32, ptask, "t");
	f->kf_id[KF_ACQUIRE] = add_kfunc(b, "kf_acquire", ptask, 0, NULL);
	f->kf_id[KF_RELEASE] = add_kfunc(b, "kf_release", 0, ptask, "t");
	f->kf_id[KF_FILL] = add_kfunc(b, "kf_fill", i32, ppair, "p");
	f->kf_id[KF_VOID] = add_kfunc(b, "kf_void", i64, pvoid, "p");
	f->kf_id[KF_CGRP] = add_kfunc(b, "kf_cgrp_id", i64, pcgrp, "c");
	run = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "t", ptask);
	btf__add_func_param(b, "x", i64);
	prun = btf__add_ptr(b, run);
	rel = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "t", ptask);
	prel = btf__add_ptr(b, rel);
	/* The stub's parameter name marks rel's argument a reference the program must drop. */
	stub = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "t__ref", ptask);
	f->ops_id = btf__add_struct(b, "tr_kops", 16);
	if (btf__add_field(b, "run", prun, 0, 0) < 0 || btf__add_field(b, "rel", prel, 64, 0) < 0 ||
	    btf__add_func(b, "tr_kops__rel", BTF_FUNC_GLOBAL, stub) < 0) {
		btf__free(b);
		return NULL;
	}
	for (int k = 0; k < KF_CNT; k++) {
		if (f->kf_id[k] < 0) {
			btf__free(b);
			return NULL;
		}
	}
	return b;
}

static int kfix_init(struct kfix *f, bool checked)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = !checked, .always_checked = checked,
					.trace_fn = sink, .trace_ctx = f };
	int err;

	memset(f, 0, sizeof(*f));
	f->btf = kfix_btf(f);
	if (!f->btf)
		return -ENOMEM;
	ro.host_btf = f->btf;
	err = sops_runtime__new(&ro, &f->rt);
	if (!err)
		err = sops_runtime__register_struct_ops_btf(f->rt, NULL, "tr_kops", NULL);
	for (int k = 0; k < KF_CNT && !err; k++) {
		struct sops_kfunc_desc d = { .sz = sizeof(d), .name = kf_names[k], .fn = kf_fns[k],
					     .btf_id = (uint32_t)f->kf_id[k], .flags = kf_flags[k] };

		err = sops_runtime__register_kfunc(f->rt, &d);
	}
	return err;
}

static void kfix_fini(struct kfix *f)
{
	sops_runtime__free(f->rt);
	btf__free(f->btf);
}

/*
 * Load @text as tr_kops.run; `call N` with N >= 1000 calls kfunc N - 1000
 * (KF_*), patched into a kfunc call here. The program's handle, or -errno.
 */
static int kload_member(struct kfix *f, uint32_t member, const char *text)
{
	char log[4096] = "";
	struct sops_prog_load_opts o = { .sz = sizeof(o), .attach_btf_id = (uint32_t)f->ops_id,
					 .expected_attach_type = member,
					 .log_buf = log, .log_size = sizeof(log), .log_level = 1 };
	struct sops_insn *insns;
	size_t cnt;
	int fd;

	if (sops_asm__parse(text, &insns, &cnt, NULL, 0))
		return -EINVAL;
	for (size_t i = 0; i < cnt; i++) {
		if (insns[i].code == 0x85 && insns[i].imm >= 1000 && insns[i].imm < 1000 + KF_CNT) {
			insns[i].src_reg = 2; /* BPF_PSEUDO_KFUNC_CALL */
			insns[i].imm = f->kf_id[insns[i].imm - 1000];
		}
	}
	fd = sops_prog_load(f->rt, SOPS_BPF_PROG_TYPE_STRUCT_OPS, "kprog", "GPL", insns, cnt, &o);
	if (fd < 0)
		fprintf(stderr, "kload: %d: %s\n", fd, log);
	free(insns);
	return fd;
}

static int kload(struct kfix *f, const char *text)
{
	return kload_member(f, 0, text);
}

/* Run @fd with a task buffer (pid @pid) as argument 0 and 5 as argument 1 (run; rel: 0 only). */
static int krun_args(struct kfix *f, int fd, int pid, uint32_t nargs, uint64_t *ret, char *log,
		     size_t log_size)
{
	struct tr_task t = { .pid = pid };
	uint64_t args[2] = { 0, 5 };
	struct sops_struct_ops_arg_buf bufs[1] = { { &t, sizeof(t) } };
	struct sops_struct_ops_test_run_opts o = { .sz = sizeof(o), .args = args, .args_size = nargs * 8,
						   .bufs = bufs, .buf_cnt = 1, .log_buf = log,
						   .log_size = log_size };
	int err;

	log[0] = 0;
	err = sops_prog_test_run_struct_ops(f->rt, fd, &o);
	*ret = o.retval;
	return err;
}

static int krun(struct kfix *f, int fd, int pid, uint64_t *ret, char *log, size_t log_size)
{
	return krun_args(f, fd, pid, 2, ret, log, log_size);
}

#define RUN_OK(f, text, want)                                                                      \
	do {                                                                                       \
		char log_[512];                                                                    \
		uint64_t ret_ = 0;                                                                 \
		int fd_ = kload(f, text);                                                          \
		T_ASSERT(fd_ > 0);                                                                 \
		T_EQ(krun(f, fd_, 7, &ret_, log_, sizeof(log_)), 0);                               \
		T_EQ(ret_, (uint64_t)(want));                                                      \
		sops_close((f)->rt, fd_);                                                          \
	} while (0)

/* @text fails its checked run with @err; the runtime's trace sink holds @msg. */
static void run_fails(struct test_ctx *t, struct kfix *f, const char *text, int err, const char *msg)
{
	char log[512];
	uint64_t ret = 0;
	int fd = kload(f, text), before = kf_ran;

	T_ASSERT(fd > 0);
	f->tlen = 0;
	f->trace[0] = 0;
	T_EQ(krun(f, fd, 7, &ret, log, sizeof(log)), err);
	if (!strstr(f->trace, msg))
		T_FAIL("the fault message '%s' is not in the trace: %s", msg, f->trace);
	T_EQ(kf_ran, before); /* refused before the kfunc ran */
	sops_close(f->rt, fd);
}

#define CTX_TASK "ldxdw %r1, [%r1+0]\n"

TEST(kfunc_sandbox_objects)
{
	struct kfix f;

	T_EQ(kfix_init(&f, true), 0);
	/* controls: the context's object, and one a kfunc acquired, then released */
	RUN_OK(&f, CTX_TASK "call 1000\nexit", 7);
	RUN_OK(&f, "call 1001\njeq %r0, 0, out\nmov %r6, %r0\nmov %r1, %r6\ncall 1000\nmov %r7, %r0\n"
		   "mov %r1, %r6\ncall 1002\nmov %r0, %r7\nout:\nexit", 99);
	T_EQ(host_refs, 0);
	RUN_OK(&f, CTX_TASK "call 1004\nexit", 1); /* void *: a host object */
	/* forged pointers: an integer, program memory, the context array itself */
	run_fails(t, &f, "mov %r1, 0x4141\ncall 1000\nexit", -EFAULT,
		  "kfunc kf_pid arg1 (struct tr_task *) is not an object the host passed to this run or "
		  "a kfunc returned (0x4141)");
	run_fails(t, &f, "stdw [%r10-16], 0\nmov %r1, %r10\nadd %r1, -16\ncall 1000\nexit", -EFAULT,
		  "kfunc kf_pid arg1 (struct tr_task *) is not an object");
	run_fails(t, &f, "call 1000\nexit", -EFAULT, "kfunc kf_pid arg1 (struct tr_task *) is not an object");
	/* an object at an offset is not the object */
	run_fails(t, &f, CTX_TASK "add %r1, 8\ncall 1000\nexit", -EFAULT, "is not an object the host passed");
	/* type confusion: a task where a cgroup is expected */
	run_fails(t, &f, CTX_TASK "call 1005\nexit", -EFAULT,
		  "kfunc kf_cgrp_id arg1 expects a struct tr_cgrp, 0x");
	kfix_fini(&f);
}

TEST(kfunc_sandbox_references)
{
	struct kfix f;

	T_EQ(kfix_init(&f, true), 0);
	host_refs = 0;
	/* use after release */
	run_fails(t, &f, "call 1001\njeq %r0, 0, out\nmov %r6, %r0\nmov %r1, %r6\ncall 1002\nmov %r1, %r6\n"
		      "call 1000\nout:\nexit", -EFAULT, "kfunc kf_pid arg1 (struct tr_task *) is not an object");
	T_EQ(host_refs, 0);
	/* double release */
	kf_ran = 0;
	run_fails(t, &f, "call 1001\njeq %r0, 0, out\nmov %r6, %r0\nmov %r1, %r6\ncall 1002\nmov %r1, %r6\n"
		      "call 1002\nout:\nexit", -EFAULT, "kfunc kf_release arg1 (struct tr_task *) is not an object");
	T_EQ(host_refs, 0);
	/* releasing what the program holds no reference to: the context's task */
	run_fails(t, &f, CTX_TASK "call 1002\nexit", -EFAULT,
		  "kfunc kf_release arg1 releases struct tr_task 0x");
	/* a reference held at exit fails the run (the host's count shows the leak) */
	{
		char log[512];
		uint64_t ret;
		int fd = kload(&f, "call 1001\nmov %r0, 0\nexit");

		T_ASSERT(fd > 0);
		f.tlen = 0;
		T_EQ(krun(&f, fd, 7, &ret, log, sizeof(log)), -EINVAL);
		T_ASSERT(strstr(f.trace, "exit holding a reference to struct tr_task 0x"));
		T_ASSERT(strstr(f.trace, "from kfunc kf_acquire (release it or return it)"));
		T_EQ(host_refs, 1);
		host_refs = 0;
		sops_close(f.rt, fd);
	}
	/* a __ref argument (member rel): released once is right; kept, or released twice, is not */
	{
		static const char *const progs[3] = { CTX_TASK "call 1002\nmov %r0, 0\nexit",
						      "mov %r0, 0\nexit",
						      CTX_TASK "mov %r6, %r1\ncall 1002\nmov %r1, %r6\n"
						      "call 1002\nmov %r0, 0\nexit" };
		static const int want[3] = { 0, -EINVAL, -EFAULT };
		static const char *const msg[3] = { "", "passed as a __ref argument (release it or return it)",
						    "kfunc kf_release arg1 (struct tr_task *) is not an object" };

		for (int k = 0; k < 3; k++) {
			char log[512];
			uint64_t ret;
			int fd = kload_member(&f, 1, progs[k]);

			T_ASSERT(fd > 0);
			f.tlen = 0;
			f.trace[0] = 0;
			T_EQ(krun_args(&f, fd, 7, 1, &ret, log, sizeof(log)), want[k]);
			if (!strstr(f.trace, msg[k]))
				T_FAIL("__ref case %d: '%s' not in the trace: %s", k, msg[k], f.trace);
			sops_close(f.rt, fd);
		}
	}
	/* returning the reference hands it to the host: not a leak */
	RUN_OK(&f, "call 1001\nexit", (uint64_t)(uintptr_t)&host_task);
	T_EQ(host_refs, 1);
	host_refs = 0;
	kfix_fini(&f);
}

TEST(kfunc_sandbox_memory)
{
	struct kfix f;

	T_EQ(kfix_init(&f, true), 0);
	/* control: a plain-data struct on the stack, written by the kfunc */
	RUN_OK(&f, "stdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -8\ncall 1003\nldxw %r0, [%r10-4]\nexit", 2);
	run_fails(t, &f, "mov %r1, 0x4141\ncall 1003\nexit", -EFAULT,
		  "kfunc kf_fill arg1 (memory, 8 bytes written) points outside the program's writable memory "
		  "(0x4141)");
	/* 8 bytes from fp-4 cross the top of the stack */
	run_fails(t, &f, "mov %r1, %r10\nadd %r1, -4\ncall 1003\nexit", -EFAULT,
		  "kfunc kf_fill arg1 (memory, 8 bytes written) points outside");
	/* the context array is read-only */
	run_fails(t, &f, "call 1003\nexit", -EFAULT, "kfunc kf_fill arg1 (memory, 8 bytes written)");
	run_fails(t, &f, "mov %r1, 0x4141\ncall 1004\nexit", -EFAULT,
		  "kfunc kf_void arg1 (void *) is not a host object of this run (0x4141)");
	/* program memory is no host object either: the kfunc would not know its size */
	run_fails(t, &f, "stdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -8\ncall 1004\nexit", -EFAULT,
		  "kfunc kf_void arg1 (void *) is not a host object of this run");
	kfix_fini(&f);
}

/* The same legitimate programs verified and on the JIT: nothing changes there. */
TEST(kfunc_sandbox_verified_control)
{
	struct kfix f;

	T_EQ(kfix_init(&f, false), 0);
	RUN_OK(&f, CTX_TASK "call 1000\nexit", 7);
	RUN_OK(&f, "call 1001\njeq %r0, 0, out\nmov %r6, %r0\nmov %r1, %r6\ncall 1000\nmov %r7, %r0\n"
		   "mov %r1, %r6\ncall 1002\nmov %r0, %r7\nout:\nexit", 99);
	T_EQ(host_refs, 0);
	/* the verifier refuses program memory behind void * (it would run checked, and be refused) */
	{
		struct sops_prog_verdict v = { .sz = sizeof(v) };
		int fd = kload(&f, "stdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -8\ncall 1004\nexit");

		T_ASSERT(fd > 0);
		T_EQ(sops_prog_get_verdict(f.rt, fd, &v), 0);
		T_ASSERT(!v.verified && v.checked);
		if (!strstr(v.reason, "arg#0 of kf_void is void *, which takes a host object"))
			T_FAIL("verdict: %s", v.reason);
		sops_close(f.rt, fd);
	}
	kfix_fini(&f);
}
