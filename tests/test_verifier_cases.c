/* SPDX-License-Identifier: MIT */
/*
 * test_verifier_cases.c - the verifier's corpus: small programs with the
 * verdict the kernel's semantics give them and, for rejections, a piece of
 * the message. Every accepted program also runs in an always-checked runtime
 * on random ctx bytes and random map contents and must never fault (the
 * execution oracle).
 *
 * Programs name their maps by placeholder fds (MAPFD(k)); the runner creates
 * the maps in each runtime and patches the real fds in. Cases marked
 * PRECISE need the precise scalar domain (bounds from branches, masks).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "test_rt_util.h"

#define MAPFD(k) (0x7ff00000 + (k))
enum { M_ARRAY, M_HASH, M_RDONLY, M_RINGBUF, M_GLOBAL, M_CNT };

#define ALU64_IMM(op, d, i) I(0x07 | (op), d, 0, 0, i)
#define ALU64_REG(op, d, s) I(0x0f | (op), d, s, 0, 0)
#define ALU32_IMM(op, d, i) I(0x04 | (op), d, 0, 0, i)
#define ALU32_REG(op, d, s) I(0x0c | (op), d, s, 0, 0)
#define LDX_B(d, s, o) I(0x71, d, s, o, 0)
#define STX_B(d, s, o) I(0x73, d, s, o, 0)
#define ST_B(d, o, i) I(0x72, d, 0, o, i)
#define JGT_IMM(d, i, o) I(0x25, d, 0, o, i)
#define JA_BACK(o) I(0x05, 0, 0, o, 0)
#define CALL_LOCAL(o) I(0x85, 0, 1, 0, o)
/* a lookup of key 0 in map k: r0 = value or NULL */
#define LOOKUP(k) ST_DW(10, -8, 0), MOV_REG(2, 10), ADD_IMM(2, -8), LD_MAP(1, MAPFD(k)), CALL(1)

struct vcase {
	const char *name;
	struct sops_insn insns[48];
	bool ok;
	const char *msg; /* a substring of the rejection */
	bool precise;    /* needs the precise scalar domain */
};

#define ACCEPT(n, ...) { .name = n, .insns = { __VA_ARGS__ }, .ok = true }
#define ACCEPTP(n, ...) { .name = n, .insns = { __VA_ARGS__ }, .ok = true, .precise = true }
#define REJECT(n, m, ...) { .name = n, .insns = { __VA_ARGS__ }, .msg = m }

static const struct vcase cases[] = {
	/* registers and r0 */
	ACCEPT("r0_set", MOV_IMM(0, 0), EXIT()),
	REJECT("r0_uninit", "R0 !read_ok", EXIT()),
	REJECT("r2_uninit_read", "R2 !read_ok", MOV_REG(0, 2), EXIT()),
	REJECT("r3_uninit_add", "R3 !read_ok", MOV_IMM(0, 0), ADD_REG(0, 3), EXIT()),
	REJECT("r0_ptr_leak", "R0 leaks addr as return value", MOV_REG(0, 10), EXIT()),
	REJECT("r0_ctx_leak", "R0 leaks addr as return value", MOV_REG(0, 1), EXIT()),
	/* stack */
	ACCEPT("stack_store_load", ST_DW(10, -8, 5), LDX_DW(0, 10, -8), EXIT()),
	REJECT("stack_uninit_read", "invalid read from stack", LDX_DW(0, 10, -8), EXIT()),
	REJECT("stack_above_fp", "invalid write to stack", ST_DW(10, 0, 1), MOV_IMM(0, 0), EXIT()),
	REJECT("stack_below_512", "invalid write to stack", ST_DW(10, -520, 1), MOV_IMM(0, 0), EXIT()),
	ACCEPT("stack_at_512", ST_DW(10, -512, 1), LDX_DW(0, 10, -512), EXIT()),
	REJECT("stack_partial_read", "invalid read from stack", ST_W(10, -8, 1), LDX_DW(0, 10, -8), EXIT()),
	ACCEPT("stack_spill_fill_ptr", STX_DW(10, 1, -8), LDX_DW(2, 10, -8), LDX_B(0, 2, 0), EXIT()),
	REJECT("stack_partial_ptr_fill", "invalid size of register fill",
	       STX_DW(10, 1, -8), LDX_W(0, 10, -8), EXIT()),
	/* the kernel turns the slot into misc and rejects the deref; structops refuses the store */
	REJECT("stack_corrupt_spill_then_deref", "corrupt spilled pointer",
	       STX_DW(10, 1, -8), ST_B(10, -8, 0), LDX_DW(2, 10, -8), LDX_B(0, 2, 0), EXIT()),
	/* pointer arithmetic */
	ACCEPT("ptr_stack_add_const", MOV_REG(2, 10), ADD_IMM(2, -16), ST_DW(2, 0, 1), LDX_DW(0, 2, 0), EXIT()),
	REJECT("ptr_32bit_add", "32-bit pointer arithmetic prohibited",
	       MOV_REG(2, 10), ALU32_IMM(0x00, 2, -8), MOV_IMM(0, 0), EXIT()),
	REJECT("ptr_mul", "on pointer prohibited", MOV_REG(2, 10), ALU64_IMM(0x20, 2, 2), MOV_IMM(0, 0), EXIT()),
	REJECT("ptr_plus_ptr", "pointer += pointer prohibited", MOV_REG(2, 10), ADD_REG(2, 1), MOV_IMM(0, 0), EXIT()),
	REJECT("scalar_minus_ptr", "tried to subtract pointer from scalar",
	       MOV_IMM(2, 0), ALU64_REG(0x10, 2, 10), MOV_IMM(0, 0), EXIT()),
	REJECT("ptr_deref_scalar", "invalid mem access 'scalar'", MOV_IMM(2, 0), LDX_DW(0, 2, 0), EXIT()),
	/* ctx */
	ACCEPT("ctx_read", LDX_W(0, 1, 0), EXIT()),
	ACCEPT("ctx_write", ST_W(1, 4, 7), MOV_IMM(0, 0), EXIT()),
	/* map values */
	REJECT("map_no_null_check", "invalid mem access 'map_value_or_null'", LOOKUP(M_ARRAY), LDX_DW(0, 0, 0), EXIT()),
	ACCEPT("map_null_checked", LOOKUP(M_ARRAY), JEQ_IMM(0, 0, 1), LDX_DW(0, 0, 0), EXIT()),
	ACCEPT("map_copy_refined", LOOKUP(M_ARRAY), MOV_REG(3, 0), JEQ_IMM(0, 0, 2), LDX_DW(0, 3, 0), EXIT(),
	       MOV_IMM(0, 0), EXIT()),
	REJECT("map_value_oob_const", "invalid access to map value",
	       LOOKUP(M_ARRAY), JEQ_IMM(0, 0, 1), LDX_DW(0, 0, 64), EXIT()),
	REJECT("map_value_neg", "invalid access to map value",
	       LOOKUP(M_ARRAY), JEQ_IMM(0, 0, 1), LDX_DW(0, 0, -8), EXIT()),
	ACCEPTP("map_value_var_and", LOOKUP(M_ARRAY), JEQ_IMM(0, 0, 6), MOV_REG(6, 0), CALL(7),
	        ALU64_IMM(0x50, 0, 7), ADD_REG(6, 0), LDX_B(0, 6, 0), EXIT(), MOV_IMM(0, 0), EXIT()),
	ACCEPTP("map_value_var_branch", LOOKUP(M_ARRAY), JEQ_IMM(0, 0, 6), MOV_REG(6, 0), CALL(7),
	        JGT_IMM(0, 63, 3), ADD_REG(6, 0), LDX_B(0, 6, 0), EXIT(), MOV_IMM(0, 0), EXIT()),
	REJECT("map_value_var_branch_off_by_one", "",
	       LOOKUP(M_ARRAY), JEQ_IMM(0, 0, 6), MOV_REG(6, 0), CALL(7),
	       JGT_IMM(0, 64, 3), ADD_REG(6, 0), LDX_B(0, 6, 0), EXIT(), MOV_IMM(0, 0), EXIT()),
	REJECT("map_value_var_unbounded", "unbounded",
	       LOOKUP(M_ARRAY), JEQ_IMM(0, 0, 5), MOV_REG(6, 0), CALL(7), ADD_REG(6, 0), LDX_B(0, 6, 0), EXIT(),
	       MOV_IMM(0, 0), EXIT()),
	REJECT("map_ptr_leak_store", "leaks addr into map",
	       LOOKUP(M_ARRAY), JEQ_IMM(0, 0, 1), STX_DW(0, 10, 0), MOV_IMM(0, 0), EXIT()),
	REJECT("rdonly_map_write", "write into map forbidden",
	       LOOKUP(M_RDONLY), JEQ_IMM(0, 0, 1), ST_DW(0, 0, 1), MOV_IMM(0, 0), EXIT()),
	ACCEPT("rdonly_map_read", LOOKUP(M_RDONLY), JEQ_IMM(0, 0, 1), LDX_DW(0, 0, 0), EXIT()),
	ACCEPT("lddw_map_value", LD_MAP_VALUE(1, MAPFD(M_GLOBAL), 8), LDX_DW(0, 1, 0), EXIT()),
	REJECT("lddw_map_value_oob", "invalid access to map value pointer",
	       LD_MAP_VALUE(1, MAPFD(M_GLOBAL), 64), MOV_IMM(0, 0), EXIT()),
	/* direct value access needs a single-element array, as in the kernel */
	REJECT("lddw_map_value_multi", "direct access needs an array of one element", LD_MAP_VALUE(1, MAPFD(M_ARRAY), 0), MOV_IMM(0, 0), EXIT()),
	ACCEPT("lddw_rodata_read", LD_MAP_VALUE(1, MAPFD(M_RDONLY), 0), LDX_DW(0, 1, 56), EXIT()),
	REJECT("lddw_rodata_write", "write into map forbidden",
	       LD_MAP_VALUE(1, MAPFD(M_RDONLY), 0), ST_DW(1, 0, 1), MOV_IMM(0, 0), EXIT()),
	/* helpers */
	REJECT("helper_unknown", "invalid func", CALL(100000), EXIT()),
	REJECT("lookup_key_uninit", "invalid indirect read from stack",
	       MOV_REG(2, 10), ADD_IMM(2, -8), LD_MAP(1, MAPFD(M_ARRAY)), CALL(1), MOV_IMM(0, 0), EXIT()),
	REJECT("lookup_key_scalar", "expected=fp", LD_MAP(1, MAPFD(M_ARRAY)), MOV_IMM(2, 0), CALL(1),
	       MOV_IMM(0, 0), EXIT()),
	REJECT("lookup_map_scalar", "expected=map_ptr", MOV_IMM(1, 0), ST_DW(10, -8, 0), MOV_REG(2, 10),
	       ADD_IMM(2, -8), CALL(1), MOV_IMM(0, 0), EXIT()),
	/* division */
	ACCEPT("div_by_zero_reg", MOV_IMM(0, 5), MOV_IMM(2, 0), ALU64_REG(0x30, 0, 2), EXIT()),
	ACCEPT("mod_by_zero_reg", MOV_IMM(0, 5), MOV_IMM(2, 0), ALU64_REG(0x90, 0, 2), EXIT()),
	/* control flow */
	REJECT("unreachable", "unreachable insn", MOV_IMM(0, 0), EXIT(), MOV_IMM(0, 1), EXIT()),
	REJECT("jump_out_of_range", "jump", MOV_IMM(0, 0), JA(5), EXIT()),
	REJECT("infinite_loop", "infinite loop detected", MOV_IMM(0, 0), JEQ_IMM(0, 0, -1), EXIT()),
	ACCEPT("bounded_loop", MOV_IMM(0, 0), ADD_IMM(0, 1), JGT_IMM(0, 9, 1), JA_BACK(-3), EXIT()),
	/* bpf-to-bpf calls */
	ACCEPT("call_local", CALL_LOCAL(1), EXIT(), MOV_IMM(0, 3), EXIT()),
	REJECT("call_return_stack_ptr", "cannot return stack pointer",
	       CALL_LOCAL(2), MOV_IMM(0, 0), EXIT(), MOV_REG(0, 10), ADD_IMM(0, -8), EXIT()),
	ACCEPT("call_pass_stack_ptr", ST_DW(10, -8, 4), MOV_REG(1, 10), ADD_IMM(1, -8), CALL_LOCAL(1), EXIT(),
	       LDX_DW(0, 1, 0), EXIT()),
	REJECT("call_recursion", "", CALL_LOCAL(-1), EXIT()),
	/* atomics */
	ACCEPT("atomic_add_stack", ST_DW(10, -8, 1), MOV_IMM(2, 2), XADD_DW(10, 2, -8), LDX_DW(0, 10, -8), EXIT()),
	REJECT("atomic_misaligned", "misaligned", ST_DW(10, -16, 1), ST_DW(10, -8, 1), MOV_IMM(2, 2),
	       XADD_DW(10, 2, -12), MOV_IMM(0, 0), EXIT()),
	ACCEPT("atomic_add_map", LOOKUP(M_ARRAY), JEQ_IMM(0, 0, 2), MOV_IMM(2, 1), XADD_DW(0, 2, 8),
	       MOV_IMM(0, 0), EXIT()),
	/* ringbuf */
	REJECT("ringbuf_leak", "Unreleased reference",
	       LD_MAP(1, MAPFD(M_RINGBUF)), MOV_IMM(2, 8), MOV_IMM(3, 0), CALL(131), MOV_IMM(0, 0), EXIT()),
	ACCEPT("ringbuf_submit", LD_MAP(1, MAPFD(M_RINGBUF)), MOV_IMM(2, 8), MOV_IMM(3, 0), CALL(131),
	       JEQ_IMM(0, 0, 4), ST_DW(0, 0, 1), MOV_REG(1, 0), MOV_IMM(2, 0), CALL(132), MOV_IMM(0, 0), EXIT()),
	/* the kernel makes R6 an unknown scalar, structops NOT_INIT: both reject the store */
	REJECT("ringbuf_use_after_submit", "R6",
	       LD_MAP(1, MAPFD(M_RINGBUF)), MOV_IMM(2, 8), MOV_IMM(3, 0), CALL(131), JEQ_IMM(0, 0, 6),
	       MOV_REG(6, 0), MOV_REG(1, 0), MOV_IMM(2, 0), CALL(132), ST_DW(6, 0, 1), MOV_IMM(0, 0), EXIT()),
};

static int map_fds[M_CNT];

static int make_maps(struct sops_runtime *rt)
{
	struct sops_map_create_opts ro = { .sz = sizeof(ro), .map_flags = SOPS_BPF_F_RDONLY_PROG };
	uint8_t val[64];

	map_fds[M_ARRAY] = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "arr", 4, 64, 4, NULL);
	map_fds[M_HASH] = sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "hash", 8, 64, 16, NULL);
	map_fds[M_RDONLY] = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "rodata", 4, 64, 1, &ro);
	map_fds[M_RINGBUF] = sops_map_create(rt, SOPS_BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096, NULL);
	map_fds[M_GLOBAL] = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "data", 4, 64, 1, NULL);
	for (int i = 0; i < M_CNT; i++)
		if (map_fds[i] < 0)
			return map_fds[i];
	for (uint32_t k = 0; k < 4; k++) {
		for (size_t b = 0; b < sizeof(val); b++)
			val[b] = (uint8_t)rand();
		sops_map_update_elem(rt, map_fds[M_ARRAY], &k, val, 0);
	}
	return 0;
}

static void patch(struct sops_insn *p, uint32_t cnt)
{
	for (uint32_t i = 0; i < cnt; i++)
		if (p[i].code == 0x18 && (uint32_t)p[i].imm >= MAPFD(0) && (uint32_t)p[i].imm < MAPFD(M_CNT))
			p[i].imm = map_fds[p[i].imm - MAPFD(0)];
}

/* Programs end with their last non-zero slot (an exit). */
static uint32_t case_len(const struct vcase *c)
{
	uint32_t n = NINSN(c->insns);

	while (n && !c->insns[n - 1].code)
		n--;
	return n;
}

/* Load in a strict runtime; 1 accepted, 0 rejected (log in @log). */
static int run_case(const struct vcase *c, char *log, size_t log_size, char *why, size_t why_size)
{
	struct sops_runtime_opts o = { .sz = sizeof(o), .verifier_strict = true, .always_checked = true };
	struct sops_runtime *rt = NULL;
	struct sops_insn p[48];
	uint32_t cnt;
	int fd, ret = -1;

	if (sops_runtime__new(&o, &rt))
		return snprintf(why, why_size, "runtime"), -1;
	if (make_maps(rt)) {
		snprintf(why, why_size, "maps");
		goto out;
	}
	cnt = case_len(c);
	memcpy(p, c->insns, cnt * sizeof(p[0]));
	patch(p, cnt);
	log[0] = 0;
	fd = rt_test_load(rt, p, cnt, log, log_size);
	if (fd < 0) {
		ret = 0;
		goto out;
	}
	ret = 1;
	/* the oracle: random ctx bytes, never a fault */
	for (int r = 0; r < 4; r++) {
		uint8_t ctx[64];
		uint32_t rv;
		int err;

		for (size_t b = 0; b < sizeof(ctx); b++)
			ctx[b] = (uint8_t)rand();
		err = rt_test_run(rt, fd, ctx, sizeof(ctx), &rv);
		if (err) {
			snprintf(why, why_size, "accepted program faulted in checked mode: %d", err);
			ret = -1;
			break;
		}
	}
out:
	sops_runtime__free(rt);
	return ret;
}

/* Check one generated case and count it. */
static void family_case(struct vcase *c, char *log, size_t log_size)
{
	char name[160], why[256] = "";
	int r = run_case(c, log, log_size, why, sizeof(why));

	snprintf(name, sizeof(name), "verifier_corpus/%s", c->name);
	if (r < 0) {
		test_result(name, 0, "%s", why);
		return;
	}
	test_result(name, c->ok ? r == 1 : r == 0 && strstr(log, c->msg) != NULL,
		    "expected %s %s, got %s; log: %.300s", c->ok ? "accept" : "reject", c->ok ? "" : c->msg,
		    r ? "accept" : "reject", log);
}

/*
 * Families: every ALU op (64- and 32-bit, immediate 3) on a scalar and on
 * each pointer kind. Pointers allow only 64-bit add/sub of a constant (and
 * mov, which overwrites them); a maybe-NULL pointer allows no arithmetic.
 */
static int run_families(char *log, size_t log_size)
{
	static const struct { uint8_t op; const char *name; } ops[] = {
		{ 0x00, "add" }, { 0x10, "sub" }, { 0x20, "mul" }, { 0x30, "div" }, { 0x40, "or" },
		{ 0x50, "and" }, { 0x60, "lsh" }, { 0x70, "rsh" }, { 0x90, "mod" }, { 0xa0, "xor" },
		{ 0xb0, "mov" }, { 0xc0, "arsh" },
	};
	static const char *kinds[] = { "scalar", "ctx", "stack", "map_value", "map_value_or_null" };
	static char names[2 * NINSN(ops) * NINSN(kinds)][64];
	int n = 0;

	for (int w = 0; w < 2; w++)
		for (size_t o = 0; o < NINSN(ops); o++)
			for (size_t k = 0; k < NINSN(kinds); k++) {
				struct vcase c = { 0 };
				struct sops_insn *p = c.insns;
				uint8_t code = (w ? 0x04 : 0x07) | ops[o].op;
				bool ptr = k != 0, mov = ops[o].op == 0xb0;
				bool addsub = ops[o].op == 0x00 || ops[o].op == 0x10;
				int i = 0;

				if (k >= 3) {
					struct sops_insn l[] = { LOOKUP(M_ARRAY) };

					memcpy(p, l, sizeof(l));
					i = NINSN(l);
				}
				if (k == 3)
					p[i++] = JNE_IMM(0, 0, 2), p[i++] = MOV_IMM(0, 0), p[i++] = EXIT();
				p[i++] = k == 0 ? MOV_IMM(6, 5) : k == 1 ? MOV_REG(6, 1) : k == 2 ? MOV_REG(6, 10)
										   : MOV_REG(6, 0);
				p[i++] = I(code, 6, 0, 0, 3);
				p[i++] = MOV_IMM(0, 0);
				p[i++] = EXIT();
				snprintf(names[n], sizeof(names[n]), "alu%d_%s_%s", w ? 32 : 64, ops[o].name, kinds[k]);
				c.name = names[n++];
				/* the kernel refuses subtraction from a stack pointer (fp - k is fp + -k) */
				c.ok = !ptr || mov || (!w && addsub && k != 4 && !(k == 2 && ops[o].op == 0x10));
				c.msg = w ? "32-bit pointer arithmetic prohibited" : "prohibited";
				family_case(&c, log, log_size);
			}
	return 0;
}

TEST(verifier_cases)
{
	static char log[65536];
	int precise_fail = 0;

	srand(1);
	for (size_t i = 0; i < NINSN(cases); i++) {
		const struct vcase *c = &cases[i];
		char name[128], why[256] = "";
		int r = run_case(c, log, sizeof(log), why, sizeof(why));
		int ok;

		snprintf(name, sizeof(name), "verifier_corpus/%s%s", c->name, c->precise ? " (precise)" : "");
		if (r < 0) {
			test_result(name, 0, "%s", why);
			continue;
		}
		ok = c->ok ? r == 1 : r == 0 && strstr(log, c->msg) != NULL;
		if (!ok && c->precise)
			precise_fail++;
		test_result(name, ok, "expected %s%s%s, got %s; log: %.300s", c->ok ? "accept" : "reject",
			    c->ok ? "" : " with ", c->ok ? "" : c->msg, r ? "accept" : "reject", log);
	}
	precise_fail += run_families(log, sizeof(log));
	if (precise_fail)
		printf("verifier_corpus: %d failure(s) in cases that need the precise scalar domain\n",
		       precise_fail);
}

/*
 * A trace longer than the log buffer keeps its end: the rejection's message
 * and the statistics, as the kernel's rotating log does (the message used
 * to be overwritten by the statistics when the buffer was full).
 */
TEST(verifier_log_full_keeps_message)
{
	struct sops_runtime_opts o = { .sz = sizeof(o), .verifier_strict = true };
	struct sops_insn p[210];
	char log[512];
	struct sops_prog_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log),
					  .log_level = 1 };
	struct sops_runtime *rt;
	size_t n = 0;
	int fd;

	T_ASSERT(!sops_runtime__new(&o, &rt));
	p[n++] = MOV_IMM(0, 0);
	while (n < 200)
		p[n++] = ADD_IMM(0, 1);
	p[n++] = LDX_DW(0, 10, -8);
	p[n++] = EXIT();
	fd = sops_prog_load(rt, SOPS_BPF_PROG_TYPE_SYSCALL, "t", "GPL", p, n, &lo);
	sops_runtime__free(rt);
	if (fd != -EACCES)
		T_FAIL("load: %d, expected -EACCES", fd);
	if (!strstr(log, "invalid read from stack") || !strstr(log, "processed 201 insns"))
		T_FAIL("the message or the statistics were lost; the log's end: %s", log + strlen(log) / 2);
}

/* sops_runtime_opts.verifier_insn_limit: a host may give the verifier less than the kernel's 1M. */
TEST(verifier_insn_limit_option)
{
	struct sops_runtime_opts o = { .sz = sizeof(o), .verifier_strict = true, .verifier_insn_limit = 1000 };
	/* r0 counts to 400 in a loop: 1203 instructions to verify, no state to prune */
	struct sops_insn p[] = { MOV_IMM(0, 0), ADD_IMM(0, 1), JGT_IMM(0, 399, 1), JA_BACK(-3), EXIT() };
	char log[512];
	struct sops_prog_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log),
					  .log_level = 1 };
	struct sops_runtime *rt = NULL, *bad = NULL;
	int small, dflt, over;

	over = sops_runtime__new(&(struct sops_runtime_opts){ .sz = sizeof(o), .verifier_insn_limit = 1000001 }, &bad);
	T_ASSERT(!sops_runtime__new(&o, &rt));
	small = sops_prog_load(rt, SOPS_BPF_PROG_TYPE_SYSCALL, "t", "GPL", p, NINSN(p), &lo);
	sops_runtime__free(rt);
	if (over != -EINVAL || bad)
		T_FAIL("a limit above the kernel's: %d, expected -EINVAL", over);
	if (small != -E2BIG || !strstr(log, "Processed 1001 insn") || !strstr(log, "(limit 1000)"))
		T_FAIL("limit 1000: %d; log: %s", small, log);
	o.verifier_insn_limit = 0;
	T_ASSERT(!sops_runtime__new(&o, &rt));
	dflt = sops_prog_load(rt, SOPS_BPF_PROG_TYPE_SYSCALL, "t", "GPL", p, NINSN(p), NULL);
	sops_runtime__free(rt);
	if (dflt < 0)
		T_FAIL("the default limit refused it: %d", dflt);
}
