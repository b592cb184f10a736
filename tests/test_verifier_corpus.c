/* SPDX-License-Identifier: MIT */
/*
 * test_verifier_corpus.c - the verifier's verdicts, its soundness by
 * execution, and the kernel as referee.
 *
 *  - A corpus of programs with the expected verdict (and, for rejections, a
 *    piece of the message): hand-written cases per rule plus generated
 *    families (every stack offset and size, every map value offset and size,
 *    every ALU operation on every pointer kind).
 *  - Execution as oracle: every program the verifier accepts, corpus and
 *    randomly generated alike, runs in the checked interpreter on random
 *    inputs and must never fault (a fault is a soundness bug).
 *  - The kernel as referee: where bpf() works (root), the same programs are
 *    loaded into this machine's kernel as socket filters; a program that
 *    structops accepts and the kernel rejects fails the test. Skipped, saying
 *    so, where bpf() is not available.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include <structops/asm.h>

#include "test.h"
#include "test_rt_util.h"

#define MAPM 0x7777 /* placeholder imm of LD_MAP, patched with the map's handle */
#define VSZ 16      /* the corpus map: array, key 4, value 16, 4 entries */

#define ALU64_IMM(op, d, i) I(0x07 | (op), d, 0, 0, i)
#define ALU64_REG(op, d, s) I(0x0f | (op), d, s, 0, 0)
#define ALU32_IMM(op, d, i) I(0x04 | (op), d, 0, 0, i)
#define LDX(sz, d, s, o) I(0x61 | (sz), d, s, o, 0)
#define STX(sz, d, s, o) I(0x63 | (sz), d, s, o, 0)
#define ST(sz, d, o, i) I(0x62 | (sz), d, 0, o, i)
#define JMP_IMM(op, d, i, o) I(0x05 | (op), d, 0, o, i)
#define JMP_REG(op, d, s, o) I(0x0d | (op), d, s, o, 0)
/* r0 = &value of key 0 or NULL */
#define LOOKUP ST(0, 10, -4, 0), MOV_REG(2, 10), ADD_IMM(2, -4), LD_MAP(1, MAPM), CALL(1)

struct vcase {
	const char *name;
	struct sops_insn insns[48];
	size_t cnt;
	bool accept;
	const char *msg;
	bool no_kernel; /* semantics differ on purpose (docs/verifier.md) */
};

#define CASE(nm, ok, m, ...) { nm, { __VA_ARGS__ }, sizeof((struct sops_insn[]){ __VA_ARGS__ }) / sizeof(struct sops_insn), ok, m, false }
#define CASE_NK(nm, ok, m, ...) { nm, { __VA_ARGS__ }, sizeof((struct sops_insn[]){ __VA_ARGS__ }) / sizeof(struct sops_insn), ok, m, true }


/* ringbuf cases need a ringbuf map: the placeholder map is the array, so those are marked by name */

struct env {
	struct sops_runtime *strict, *checked;
	int mfd_s, mfd_c, kmfd;
	bool kernel;
	unsigned int both_acc, both_rej, ours_only, kern_only, faults;
};

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

static int kernel_map(void)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = VSZ;
	a.max_entries = 4;
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

static char klog[4096]; /* the kernel's log of the last rejection */

/* 1 the kernel accepts, 0 rejects. */
static int kernel_verdict(const struct env *e, const struct sops_insn *in, size_t cnt)
{
	struct sops_insn p[64];
	union bpf_attr a;
	int fd;

	memcpy(p, in, cnt * sizeof(*p));
	for (size_t i = 0; i < cnt; i++)
		if (p[i].code == 0x18 && p[i].src_reg == 1)
			p[i].imm = e->kmfd;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)p;
	a.insn_cnt = (uint32_t)cnt;
	a.license = (uint64_t)(uintptr_t)"GPL";
	klog[0] = 0;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a); /* no log: a full log buffer would fail the load (ENOSPC) */
	if (fd < 0) {
		a.log_level = 1;
		a.log_buf = (uint64_t)(uintptr_t)klog;
		a.log_size = sizeof(klog);
		fd = (int)sys_bpf(BPF_PROG_LOAD, &a); /* again, for the message only */
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	return 1;
}

static void patch(struct sops_insn *p, size_t cnt, int fd)
{
	for (size_t i = 0; i < cnt; i++)
		if (p[i].code == 0x18 && p[i].src_reg == 1 && (p[i].imm == MAPM || p[i].imm > 0))
			p[i].imm = fd;
}

static bool uses_ctx(const struct sops_insn *p, size_t cnt)
{
	/* r1 read before written in the main frame's first instructions: a ctx access */
	for (size_t i = 0; i < cnt; i++) {
		if (p[i].code == 0x18 && p[i].dst_reg == 1)
			return false;
		if (p[i].src_reg == 1 && p[i].code != 0x18 && p[i].code != 0x85)
			return true;
		if (p[i].dst_reg == 1 && (p[i].code & 0x07) == 0x02)
			return true;
		if (p[i].dst_reg == 1 && (p[i].code == 0xb7 || p[i].code == 0xbf))
			return false;
	}
	return false;
}

/* Verify in the strict runtime; when accepted, run checked on random inputs. Returns the verdict. */
static bool check_one(struct test_ctx *t, struct env *e, const char *name, const struct sops_insn *in,
		      size_t cnt, char *log, size_t log_size)
{
	struct sops_insn p[64];
	uint8_t ctx[64];
	int fd, cfd;

	memcpy(p, in, cnt * sizeof(*p));
	patch(p, cnt, e->mfd_s);
	log[0] = 0;
	fd = rt_test_load(e->strict, p, cnt, log, log_size);
	if (fd < 0)
		return false;
	sops_close(e->strict, fd);
	/* the oracle: checked interpreter, random ctx and map value, must not fault */
	memcpy(p, in, cnt * sizeof(*p));
	patch(p, cnt, e->mfd_c);
	cfd = rt_test_load(e->checked, p, cnt, NULL, 0);
	if (cfd < 0) {
		test_result("verifier_case", 0, "%s: verified, but the checked runtime refused it (%d)", name, cfd);
		return true;
	}
	for (int r = 0; r < 3; r++) {
		uint32_t key = 0, ret;
		uint8_t val[VSZ];
		int err;

		for (size_t i = 0; i < sizeof(ctx); i++)
			ctx[i] = (uint8_t)rand();
		for (size_t i = 0; i < VSZ; i++)
			val[i] = (uint8_t)rand();
		sops_map_update_elem(e->checked, e->mfd_c, &key, val, 0);
		err = rt_test_run(e->checked, cfd, ctx, sizeof(ctx), &ret);
		if (err && err != -EINVAL) {
			char dis[4096];
			FILE *f = fmemopen(dis, sizeof(dis), "w");

			if (f) {
				sops_disasm__dump(f, in, cnt, NULL);
				fclose(f);
			}
			e->faults++;
			test_result("verifier_case", 0, "%s: SOUNDNESS: verified program faulted (%d) in checked mode:\n%s",
				  name, err, f ? dis : "");
			break;
		}
	}
	sops_close(e->checked, cfd);
	return true;
}

static void referee(struct test_ctx *t, struct env *e, const char *name, const struct sops_insn *in, size_t cnt,
		    bool ours, bool no_kernel)
{
	int k;

	if (!e->kernel || no_kernel || uses_ctx(in, cnt))
		return;
	k = kernel_verdict(e, in, cnt);
	if (ours && k)
		e->both_acc++;
	else if (!ours && !k)
		e->both_rej++;
	else if (!ours)
		e->kern_only++;
	else {
		const char *last = klog, *p;

		e->ours_only++;
		for (p = klog; (p = strchr(p, '\n')) && p[1]; p++)
			if (strncmp(p + 1, "processed", 9) && strncmp(p + 1, "verification", 12))
				last = p + 1;
		test_result("verifier_case", 0, "%s: structops accepts what the kernel rejects: %.200s", name, last);
		if (e->ours_only <= 2) {
			sops_disasm__dump(stdout, in, cnt, NULL);
			printf("kernel log:\n%s\n", klog);
		}
	}
}

static bool env_init(struct env *e)
{
	struct sops_runtime_opts so = { .sz = sizeof(so), .verifier_strict = true, .jit = true };
	struct sops_runtime_opts co = { .sz = sizeof(co), .always_checked = true };

	memset(e, 0, sizeof(*e));
	if (sops_runtime__new(&so, &e->strict) || sops_runtime__new(&co, &e->checked))
		return false;
	sops_runtime__set_trace_sink(e->checked, NULL, NULL);
	e->mfd_s = sops_map_create(e->strict, SOPS_BPF_MAP_TYPE_ARRAY, "m", 4, VSZ, 4, NULL);
	e->mfd_c = sops_map_create(e->checked, SOPS_BPF_MAP_TYPE_ARRAY, "m", 4, VSZ, 4, NULL);
	e->kmfd = geteuid() == 0 ? kernel_map() : -1;
	e->kernel = e->kmfd >= 0;
	return e->mfd_s > 0 && e->mfd_c > 0;
}

static void env_fini(struct env *e)
{
	if (e->kmfd >= 0)
		close(e->kmfd);
	sops_runtime__free(e->strict);
	sops_runtime__free(e->checked);
}

static void quiet(void *ctx, const char *msg, size_t len)
{
}

/* Generated families with verdicts by rule. */
static unsigned int families(struct test_ctx *t, struct env *e, unsigned int *wrong)
{
	static const uint8_t sizes[4] = { 0x18, 0x00, 0x08, 0x10 }; /* dw, w, h, b */
	static const int bytes[4] = { 8, 4, 2, 1 };
	char log[512];
	unsigned int n = 0;

	/* every stack offset and size: write then read */
	for (int off = -528; off <= 8; off += 4) {
		for (int s = 0; s < 4; s++) {
			struct sops_insn p[] = { ST(sizes[s], 10, (int16_t)off, 1), LDX(sizes[s], 0, 10, (int16_t)off),
						 EXIT() };
			/* the kernel: stack accesses are always aligned to their size */
			bool want = off >= -512 && off + bytes[s] <= 0 && !(-off % bytes[s]), got;
			char name[64];

			snprintf(name, sizeof(name), "stack off %d size %d", off, bytes[s]);
			got = check_one(t, e, name, p, NINSN(p), log, sizeof(log));
			referee(t, e, name, p, NINSN(p), got, false);
			n++;
			if (got != want) {
				(*wrong)++;
				test_result("verifier_case", 0, "%s: verdict %d, want %d (%s)", name, got, want, log);
			}
		}
	}
	/* every map value offset and size */
	for (int off = -8; off <= VSZ + 8; off++) {
		for (int s = 0; s < 4; s++) {
			struct sops_insn p[] = { LOOKUP, JEQ_IMM(0, 0, 2), LDX(sizes[s], 0, 0, (int16_t)off), EXIT(),
						 MOV_IMM(0, 0), EXIT() };
			bool want = off >= 0 && off + bytes[s] <= VSZ, got;
			char name[64];

			snprintf(name, sizeof(name), "map value off %d size %d", off, bytes[s]);
			got = check_one(t, e, name, p, NINSN(p), log, sizeof(log));
			referee(t, e, name, p, NINSN(p), got, false);
			n++;
			if (got != want) {
				(*wrong)++;
				test_result("verifier_case", 0, "%s: verdict %d, want %d (%s)", name, got, want, log);
			}
		}
	}
	/* every ALU operation on a stack and a map value pointer */
	for (int op = 0; op <= 0xc0; op += 0x10) {
		if (op == 0x80)
			continue; /* neg: no source */
		for (int kind = 0; kind < 2; kind++) {
			struct sops_insn stackp[] = { MOV_REG(1, 10), ALU64_IMM(op, 1, 8), ST_DW(10, -8, 0),
						      MOV_IMM(0, 0), EXIT() };
			struct sops_insn mapp[] = { LOOKUP, JEQ_IMM(0, 0, 3), ALU64_IMM(op, 0, 8), MOV_IMM(0, 0),
						    EXIT(), MOV_IMM(0, 0), EXIT() };
			/* add, mov; sub on a map value (the kernel refuses sub on a stack pointer) */
			bool want = op == 0x00 || op == 0xb0 || (op == 0x10 && kind), got;
			char name[64];

			snprintf(name, sizeof(name), "alu %#x on %s pointer", op, kind ? "map value" : "stack");
			got = kind ? check_one(t, e, name, mapp, NINSN(mapp), log, sizeof(log))
				   : check_one(t, e, name, stackp, NINSN(stackp), log, sizeof(log));
			n++;
			if (got != want) {
				(*wrong)++;
				test_result("verifier_case", 0, "%s: verdict %d, want %d (%s)", name, got, want, log);
			}
		}
	}
	return n;
}

TEST(verifier_corpus)
{
	const struct vcase hand[] = {
	CASE("r0 unset at exit", false, "R0 !read_ok", EXIT()),
	CASE("return constant", true, NULL, MOV_IMM(0, 1), EXIT()),
	CASE("uninit register read", false, "R2 !read_ok", MOV_REG(0, 2), EXIT()),
	CASE("uninit stack read", false, "invalid read from stack", LDX_DW(0, 10, -8), EXIT()),
	CASE("stack write then read", true, NULL, ST_DW(10, -8, 5), LDX_DW(0, 10, -8), EXIT()),
	CASE("stack below frame", false, "invalid write to stack", ST_DW(10, -520, 5), MOV_IMM(0, 0), EXIT()),
	CASE("stack above fp", false, "invalid write to stack", ST_DW(10, 0, 5), MOV_IMM(0, 0), EXIT()),
	CASE("deref scalar", false, "invalid mem access 'scalar'", MOV_IMM(1, 4096), LDX_DW(0, 1, 0), EXIT()),
	CASE("lookup without null check", false, "map_value_or_null", LOOKUP, LDX_DW(0, 0, 0), EXIT()),
	CASE("lookup with null check", true, NULL, LOOKUP, JEQ_IMM(0, 0, 2), LDX_DW(0, 0, 8), EXIT(),
	     MOV_IMM(0, 0), EXIT()),
	CASE("null check refines copy", true, NULL, LOOKUP, MOV_REG(6, 0), JEQ_IMM(0, 0, 2), LDX_DW(0, 6, 0),
	     EXIT(), MOV_IMM(0, 0), EXIT()),
	CASE("map value past end", false, "invalid access to map value", LOOKUP, JEQ_IMM(0, 0, 2),
	     LDX_DW(0, 0, 12), EXIT(), MOV_IMM(0, 0), EXIT()),
	CASE("map value var offset bounded by and", true, NULL, LOOKUP, JEQ_IMM(0, 0, 5), LDX_DW(1, 0, 0),
	     ALU64_IMM(0x50, 1, 7), ALU64_REG(0x00, 0, 1), LDX(0x10, 0, 0, 0), EXIT(), MOV_IMM(0, 0), EXIT()),
	CASE("map value var offset unbounded", false, "unbounded min value", LOOKUP, JEQ_IMM(0, 0, 4),
	     LDX_DW(1, 0, 0), ALU64_REG(0x00, 0, 1), LDX(0x10, 0, 0, 0), EXIT(), MOV_IMM(0, 0), EXIT()),
	CASE("map value var offset bounded by branch", true, NULL, LOOKUP, JEQ_IMM(0, 0, 6), LDX_DW(1, 0, 0),
	     JMP_IMM(0x30, 1, 8, 3), ALU64_REG(0x00, 0, 1), LDX(0x10, 0, 0, 0), EXIT(), MOV_IMM(0, 0), EXIT()),
	CASE("map value var offset branch too loose", false, "outside of the allowed memory", LOOKUP,
	     JEQ_IMM(0, 0, 6), LDX_DW(1, 0, 0), JMP_IMM(0x30, 1, 17, 3), ALU64_REG(0x00, 0, 1),
	     LDX(0x10, 0, 0, 0), EXIT(), MOV_IMM(0, 0), EXIT()),
	CASE_NK("pointer leak into map", false, "leaks addr into map", LOOKUP, JEQ_IMM(0, 0, 2),
		STX_DW(0, 10, 0), MOV_IMM(0, 0), EXIT()),
	CASE_NK("pointer returned", false, "leaks addr as return value", MOV_REG(0, 10), EXIT()),
	CASE("pointer and", false, "on pointer prohibited", MOV_REG(1, 10), ALU64_IMM(0x50, 1, 7),
	     MOV_IMM(0, 0), EXIT()),
	CASE_NK("pointer minus pointer", false, "prohibited", MOV_REG(1, 10), MOV_REG(2, 10),
		ALU64_REG(0x10, 1, 2), MOV_REG(0, 1), EXIT()),
	CASE("32-bit pointer arithmetic", false, "32-bit pointer arithmetic", MOV_REG(1, 10),
	     ALU32_IMM(0x00, 1, 8), MOV_IMM(0, 0), EXIT()),
	CASE("map pointer arithmetic", false, "pointer arithmetic on map_ptr", LD_MAP(1, MAPM),
	     ADD_IMM(1, 8), MOV_IMM(0, 0), EXIT()),
	CASE("arithmetic on maybe-null", false, "null-check it first", LOOKUP, ADD_IMM(0, 8), MOV_IMM(0, 0),
	     EXIT()),
	CASE("bounded loop", true, NULL, MOV_IMM(0, 0), MOV_IMM(1, 0), ADD_IMM(0, 3), ADD_IMM(1, 1),
	     JMP_IMM(0xa0, 1, 100, -3), EXIT()),
	CASE("infinite loop", false, "infinite loop detected", MOV_IMM(0, 0), JA(-1)),
	CASE("unbounded loop", false, "", MOV_IMM(0, 0), ADD_IMM(0, 1), JA(-2), EXIT()),
	CASE("division by zero is defined", true, NULL, MOV_IMM(0, 7), MOV_IMM(1, 0), ALU64_REG(0x30, 0, 1),
	     EXIT()),
	CASE("modulo by zero is defined", true, NULL, MOV_IMM(0, 7), MOV_IMM(1, 0), ALU64_REG(0x90, 0, 1),
	     EXIT()),
	CASE("unreachable insn", false, "unreachable insn", MOV_IMM(0, 0), EXIT(), MOV_IMM(0, 1), EXIT()),
	CASE("spill and fill pointer", true, NULL, LOOKUP, STX_DW(10, 0, -16), LDX_DW(6, 10, -16),
	     JEQ_IMM(6, 0, 2), LDX_DW(0, 6, 0), EXIT(), MOV_IMM(0, 0), EXIT()),
	CASE("partial fill of spilled pointer", false, "", MOV_REG(1, 10), STX_DW(10, 1, -8),
	     LDX_W(0, 10, -8), EXIT()),
	CASE("partial overwrite of spilled pointer", false, "", MOV_REG(1, 10), STX_DW(10, 1, -8),
	     ST_W(10, -8, 0), MOV_IMM(0, 0), EXIT()),
	CASE("atomic add on stack", true, NULL, ST_DW(10, -8, 1), MOV_IMM(1, 2), XADD_DW(10, 1, -8),
	     LDX_DW(0, 10, -8), EXIT()),
	CASE("misaligned atomic", false, "misaligned", ST_DW(10, -16, 1), ST_DW(10, -8, 1), MOV_IMM(1, 2),
	     XADD_DW(10, 1, -12), MOV_IMM(0, 0), EXIT()),
	CASE("atomic on map value", true, NULL, LOOKUP, JEQ_IMM(0, 0, 2), MOV_IMM(1, 1), XADD_DW(0, 1, 8),
	     MOV_IMM(0, 0), EXIT()),
	CASE("helper key on uninit stack", false, "invalid indirect read from stack", MOV_REG(2, 10),
	     ADD_IMM(2, -4), LD_MAP(1, MAPM), CALL(1), MOV_IMM(0, 0), EXIT()),
	CASE("helper map arg not a map", false, "expected=map_ptr", ST(0, 10, -4, 0), MOV_REG(2, 10),
	     ADD_IMM(2, -4), MOV_IMM(1, 0), CALL(1), MOV_IMM(0, 0), EXIT()),
	CASE("update with stack value", true, NULL, ST(0, 10, -4, 0), ST_DW(10, -24, 0), ST_DW(10, -16, 0),
	     MOV_REG(2, 10), ADD_IMM(2, -4), MOV_REG(3, 10), ADD_IMM(3, -24), MOV_IMM(4, 0), LD_MAP(1, MAPM),
	     CALL(2), MOV_IMM(0, 0), EXIT()),
	CASE("update with short value", false, "invalid indirect read from stack", ST(0, 10, -4, 0),
	     ST_DW(10, -16, 0), MOV_REG(2, 10), ADD_IMM(2, -4), MOV_REG(3, 10), ADD_IMM(3, -16),
	     MOV_IMM(4, 0), LD_MAP(1, MAPM), CALL(2), MOV_IMM(0, 0), EXIT()),
	CASE("probe_read into small stack", false, "invalid", MOV_REG(1, 10), ADD_IMM(1, -8), MOV_IMM(2, 16),
	     MOV_IMM(3, 0), CALL(113), MOV_IMM(0, 0), EXIT()),
	CASE("probe_read into stack", true, NULL, MOV_REG(1, 10), ADD_IMM(1, -16), MOV_IMM(2, 16),
	     MOV_IMM(3, 0), CALL(113), MOV_IMM(0, 0), EXIT()),
	CASE("probe_read unknown size", false, "unbounded memory access", LOOKUP, JEQ_IMM(0, 0, 7),
	     LDX_DW(2, 0, 0), MOV_REG(1, 10), ADD_IMM(1, -16), MOV_IMM(3, 0), CALL(113), MOV_IMM(0, 0), EXIT(),
	     MOV_IMM(0, 0), EXIT()),
	CASE("helper clobbers r1-r5", false, "R1 !read_ok", MOV_IMM(1, 1), CALL(5), MOV_REG(0, 1), EXIT()),
	CASE("callee saved kept", true, NULL, MOV_IMM(6, 1), CALL(5), MOV_REG(0, 6), EXIT()),
	CASE("bpf-to-bpf call", true, NULL, MOV_IMM(1, 3), I(0x85, 0, 1, 0, 1), EXIT(), MOV_REG(0, 1),
	     ADD_IMM(0, 1), EXIT()),
	CASE("callee reads caller stack", true, NULL, ST_DW(10, -8, 9), MOV_REG(1, 10), ADD_IMM(1, -8),
	     I(0x85, 0, 1, 0, 1), EXIT(), LDX_DW(0, 1, 0), EXIT()),
	CASE("return callee stack", false, "cannot return stack pointer", I(0x85, 0, 1, 0, 2), MOV_IMM(0, 0),
	     EXIT(), MOV_REG(0, 10), EXIT()),
	CASE("recursion", false, "too deep", I(0x85, 0, 1, 0, 1), EXIT(), I(0x85, 0, 1, 0, -1), EXIT()),
	CASE("ringbuf reserve on an array", false, "cannot pass map_type", LD_MAP(1, MAPM), MOV_IMM(2, 8),
	     MOV_IMM(3, 0), CALL(131), MOV_IMM(0, 0), EXIT()),
	CASE("ctx write in syscall prog", true, NULL, ST_DW(1, 0, 7), MOV_IMM(0, 0), EXIT()),
	CASE("ctx variable offset", false, "variable ctx access", MOV_REG(2, 1), LDX_DW(3, 1, 0),
	     ALU64_IMM(0x50, 3, 7), ALU64_REG(0x00, 2, 3), LDX_DW(0, 2, 0), EXIT()),
	CASE("jset with known bits", true, NULL, MOV_IMM(0, 4), JMP_IMM(0x40, 0, 4, 1), LDX_DW(0, 3, 0),
	     EXIT()),
	CASE("dead branch is not checked", true, NULL, MOV_IMM(0, 0), JEQ_IMM(0, 1, 1), EXIT(),
	     LDX_DW(0, 5, 0), EXIT()),
};
	struct env e;
	char log[512];
	unsigned int n = 0, wrong = 0;

	T_ASSERT(env_init(&e));
	sops_runtime__set_trace_sink(e.checked, quiet, NULL);
	srand(1);
	for (size_t i = 0; i < sizeof(hand) / sizeof(hand[0]); i++) {
		const struct vcase *c = &hand[i];
		bool got = check_one(t, &e, c->name, c->insns, c->cnt, log, sizeof(log));

		n++;
		if (got != c->accept) {
			wrong++;
			test_result("verifier_case", 0, "%s: verdict %d, want %d: %s", c->name, got, c->accept, log);
		} else if (!got && c->msg && !strstr(log, c->msg)) {
			wrong++;
			test_result("verifier_case", 0, "%s: message '%s' lacks '%s'", c->name, log, c->msg);
		}
		if (!strstr(c->name, "ringbuf"))
			referee(t, &e, c->name, c->insns, c->cnt, got, c->no_kernel);
	}
	n += families(t, &e, &wrong);
	test_result("verifier_corpus_cases", !wrong, "%u cases, %u wrong verdicts, %u oracle faults", n, wrong,
		    e.faults);
	printf("NOTE verifier corpus: %u cases, %u wrong verdicts, %u oracle faults; kernel referee: %s %u both accept, "
	       "%u both reject, %u structops-only accept, %u kernel-only accept\n",
	       n, wrong, e.faults, e.kernel ? "" : "(skipped: no bpf())", e.both_acc, e.both_rej, e.ours_only,
	       e.kern_only);
	if (e.kernel)
		test_result("verifier_corpus_kernel", !e.ours_only,
			    "kernel referee: %u both accept, %u both reject, %u structops-only accept, %u kernel-only accept",
			    e.both_acc, e.both_rej, e.ours_only, e.kern_only);
	else
		test_result_skip("verifier_corpus_kernel", "bpf() not available (not root or no BPF): no kernel referee");
	env_fini(&e);
}

/* --- random programs: the oracle and the referee at scale --- */

static struct sops_insn gen_insn(unsigned int i, unsigned int cnt, unsigned int *extra, struct sops_insn *two)
{
	unsigned int r = (unsigned int)rand();
	uint8_t d = (uint8_t)(r % 6), s = (uint8_t)((r >> 3) % 6);
	int16_t soff = (int16_t)(-8 * (1 + (int)((r >> 6) % 4)));

	*extra = 0;
	switch (r % 14) {
	case 0: return MOV_IMM(d, (int32_t)(rand() % 64) - 8);
	case 1: return ALU64_IMM((uint8_t)(((r >> 8) % 13) << 4), d, (int32_t)(rand() % 32));
	case 2: return ALU64_REG((uint8_t)(((r >> 8) % 13) << 4) == 0x80 ? 0 : (uint8_t)(((r >> 8) % 13) << 4), d, s);
	case 3: return ALU32_IMM((uint8_t)(((r >> 8) % 13) << 4), d, (int32_t)(rand() % 40));
	case 4: return STX_DW(10, d, soff);
	case 5: return LDX_DW(d, 10, soff);
	case 6: return ST_DW(10, soff, rand() % 16);
	case 7: { /* forward jump */
		int max = (int)(cnt - i - 2);

		return JMP_IMM((uint8_t)((1 + (r >> 9) % 13) << 4) == 0x80 ? 0x10 : (uint8_t)((1 + (r >> 9) % 13) << 4),
			       d, rand() % 20, (int16_t)(max > 0 ? rand() % (max + 1) : 0));
	}
	case 8: return MOV_REG(d, s);
	case 9: /* r0 = lookup (5 slots incl. lddw: emitted by the caller) */
		*extra = 1;
		return MOV_IMM(0, 0);
	case 10: /* access through r0 after a null check (2 slots) */
		*extra = 2;
		*two = LDX((uint8_t)(r % 4 == 0 ? 0x10 : 0x18), 1, 0, (int16_t)((rand() % 24) - 4));
		return JEQ_IMM(0, 0, 1);
	case 11: return MOV_REG(d, 10);
	case 12: return ALU64_IMM(0x00, d, (int32_t)(-8 * (int)(rand() % 10)));
	default: return LDX_DW(d, s, (int16_t)((rand() % 24) - 8));
	}
}

static size_t gen_prog(struct sops_insn *p, unsigned int len)
{
	size_t n = 0;

	/* initialised registers and stack, so that most programs get past the easy rejections */
	for (uint8_t r = 0; r <= 5; r++)
		p[n++] = MOV_IMM(r, (int32_t)(rand() % 16));
	for (int k = 1; k <= 4; k++)
		p[n++] = ST_DW(10, (int16_t)(-8 * k), rand() % 8);
	for (unsigned int i = 0; i < len && n + 8 < 60;) {
		struct sops_insn two;
		unsigned int extra;
		struct sops_insn in = gen_insn((unsigned int)n, len + 8, &extra, &two);

		if (extra == 1) {
			struct sops_insn l[] = { LOOKUP };

			memcpy(p + n, l, sizeof(l));
			n += NINSN(l);
		} else if (extra == 2) {
			p[n++] = in;
			p[n++] = two;
		} else {
			p[n++] = in;
		}
		i++;
	}
	/* jumps past the end land on this tail */
	for (size_t i = 0; i < n; i++)
		if ((p[i].code & 0x07) == 0x05 && (p[i].code & 0xf0) != 0x80 && (p[i].code & 0xf0) != 0x90 &&
		    p[i].code != 0x18 && (long)i + p[i].off + 1 > (long)n)
			p[i].off = (int16_t)(n - i - 1);
	p[n++] = MOV_IMM(0, 0);
	p[n++] = EXIT();
	return n;
}

TEST(verifier_oracle_random)
{
	const char *env_n = getenv("SOPS_ORACLE_N");
	unsigned int total = env_n && atoi(env_n) > 0 ? (unsigned int)atoi(env_n) : 3000, accepted = 0;
	struct env e;
	char log[512];

	T_ASSERT(env_init(&e));
	sops_runtime__set_trace_sink(e.checked, quiet, NULL);
	srand(7);
	for (unsigned int k = 0; k < total && !t->failed; k++) {
		struct sops_insn p[64];
		size_t cnt = gen_prog(p, 4 + (unsigned int)rand() % 20);
		char name[48];
		bool got;

		snprintf(name, sizeof(name), "random program %u", k);
		got = check_one(t, &e, name, p, cnt, log, sizeof(log));
		accepted += got;
		referee(t, &e, name, p, cnt, got, false);
	}
	test_result("verifier_oracle_programs", !e.faults, "%u random programs, %u accepted, %u faults in checked mode",
		    total, accepted, e.faults);
	printf("NOTE verifier oracle: %u random programs, %u accepted, %u faults in checked mode; kernel referee: %s "
	       "%u both accept, %u both reject, %u structops-only accept, %u kernel-only accept\n",
	       total, accepted, e.faults, e.kernel ? "" : "(skipped: no bpf())", e.both_acc, e.both_rej,
	       e.ours_only, e.kern_only);
	if (e.kernel)
		test_result("verifier_oracle_kernel", !e.ours_only,
			    "kernel referee: %u both accept, %u both reject, %u structops-only accept, %u kernel-only accept",
			    e.both_acc, e.both_rej, e.ours_only, e.kern_only);
	else
		test_result_skip("verifier_oracle_kernel", "bpf() not available (not root or no BPF): no kernel referee");
	env_fini(&e);
}
