/* SPDX-License-Identifier: MIT */
/*
 * jit_x86.c - translate a prepared BPF program to x86-64 machine code.
 *
 * Register mapping (the kernel's, chosen so a helper call needs no moves:
 * BPF r1-r5 already sit in the SysV argument registers and r0 in rax):
 *
 *   r0 rax  r1 rdi  r2 rsi  r3 rdx  r4 rcx  r5 r8
 *   r6 rbx  r7 r13  r8 r14  r9 r15  (callee-saved, as BPF r6-r9 must be)
 *   r10 rbp (frame pointer)    AX (hidden, blinding) r10
 *   r9  the helpers' 6th argument (aux), and a scratch register elsewhere
 *   r11 scratch                 r12 call-depth counter (only when needed)
 *
 * Frame of one BPF function (main program or subprogram):
 *
 *     return address
 *     saved rbp          <- rbp = BPF r10 (only if the function needs a frame)
 *     BPF stack          (only the bytes the function touches, 8-aligned)
 *     saved rbx/r13/r14/r15/r12 (only those the function uses)
 *                        <- rsp, 16-byte aligned at every call
 *
 * Code generation runs in passes over the slots. Pass 0 assumes every jump
 * needs rel32; each later pass sizes jumps from the previous pass's offsets,
 * so sizes only shrink, and the loop stops at the first pass whose total size
 * equals the previous one (then every offset equals the previous one, so the
 * code just written is exact). All passes write straight into the final
 * mapping, whose address is known up front so direct calls can be sized.
 *
 * Call depth: the kernel verifier bounds bpf-to-bpf nesting statically, and
 * so do we when we can: if the call graph is acyclic and no deeper than
 * SOPS_MAX_CALL_FRAMES, no check is emitted at all. Otherwise (recursion in
 * unverified bytecode) r12 counts the depth and a call past the limit jumps
 * to the abort stub, which unwinds to the main frame and returns 0 - the
 * interpreter's "stopped" result - instead of running off the native stack.
 * The same stub serves callx with an unknown helper id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../isa/check.h"
#include "../isa/opcodes.h"
#include "../vm/probe.h"
#include "../vm/vm_internal.h"
#include "jit.h"
#include "x86.h"

/* Worst-case bytes for one slot's translation (the longest, blinded div or callx, is ~60). */
#define JIT_MAX_INSN_BYTES 128
/* Worst case for one prologue (a native entry's spill is counted apart), and for the abort stub. */
#define JIT_MAX_PROLOGUE_BYTES 64
#define JIT_MAX_PASSES 40

/* The hidden register blinding loads constants into; never a bytecode register. */
#define BPF_REG_AX 11

static const uint8_t reg_map[12] = {
	X86_RAX, X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8,
	X86_RBX, X86_R13, X86_R14, X86_R15, X86_RBP, X86_R10,
};

/* x86 callee-saved registers that BPF r6-r9 (and the depth counter) live in, in push order. */
static const uint8_t callee_saved[] = { X86_RBX, X86_R13, X86_R14, X86_R15, X86_R12 };

struct jit_image {
	bool blinded;
	uint8_t *code;
	size_t map_size; /* bytes mapped (page multiple) */
	size_t size;     /* bytes of code */
	uint32_t *offs;  /* code offset of each slot; UINT32_MAX for lddw's second slot */
	size_t insn_cnt;
};

struct jit_func {
	uint32_t start, end; /* slot range [start, end) */
	uint32_t stack;      /* bytes reserved below rbp (incl. alignment pad) */
	uint32_t saved;      /* bit n set: x86 register n is pushed */
	uint32_t nsaved;
	bool frame;          /* push rbp; mov rbp, rsp */
	bool calls;          /* makes any call: rsp must be 16-aligned */
	bool local_calls;
	bool callx;
	int depth;           /* call-graph analysis: -1 unvisited, -2 in progress */
	uint32_t entry, prev_entry;
};

struct jit_ctx {
	const struct sops_vm *vm;
	const struct sops_insn *insns;
	size_t insn_cnt;
	struct sops_log *log;

	struct jit_func *funcs;
	size_t func_cnt;
	uint32_t *func_of; /* function index of each slot */

	/* Code offsets: this pass and the previous one (start and end of each slot). */
	uint32_t *start, *end, *prev_start, *prev_end;
	uint32_t abort_off, prev_abort_off;
	bool first_pass;

	bool depth_counter; /* r12 counts bpf-to-bpf depth */
	bool need_abort;    /* the abort stub is emitted */
	bool blind;
	uint64_t key;

	const struct func_model *native; /* main's native entry, or NULL */
	int ctx_base;                    /* its context array: [ctx_base + ctx_off] */
	int32_t ctx_off;
	int32_t args_off;                /* its first stack argument: [ctx_base + args_off] */
	int ctx_prefix;                  /* leading loads served from registers, or -1 (array) */
	int8_t *ctx_load_reg;            /* x86 register each of them reads */

	uint8_t *base; /* the mapping; code is written here */
	size_t cap;
	struct jit_buf b;
};

bool jit_supported(void)
{
#if defined(__x86_64__)
	return true;
#else
	return false;
#endif
}

/* ---- analysis ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Split the program into functions: slot 0 and every bpf-to-bpf call target. */
static int find_funcs(struct jit_ctx *ctx)
{
	size_t n = ctx->insn_cnt, cnt = 1;
	uint32_t *starts;

	starts = malloc(sizeof(*starts) * (n + 1));
	if (!starts)
		return -ENOMEM;
	starts[0] = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sops_insn *in = &ctx->insns[i];

		if (isa_is_local_call(in)) {
			long t = isa_jump_target(in, i);

			if (t <= 0 || t >= (long)n) {
				free(starts);
				return log_err(ctx->log, -EINVAL, "jit: call at slot %zu targets slot %ld",
					       i, t);
			}
			starts[cnt++] = (uint32_t)t;
		}
		if (sops_insn_is_lddw(in))
			i++;
	}
	qsort(starts, cnt, sizeof(*starts), cmp_u32);

	ctx->funcs = calloc(cnt, sizeof(*ctx->funcs));
	if (!ctx->funcs) {
		free(starts);
		return -ENOMEM;
	}
	for (size_t k = 0; k < cnt; k++) {
		if (k && starts[k] == starts[k - 1])
			continue;
		ctx->funcs[ctx->func_cnt++].start = starts[k];
	}
	for (size_t f = 0; f < ctx->func_cnt; f++) {
		ctx->funcs[f].end = f + 1 < ctx->func_cnt ? ctx->funcs[f + 1].start : (uint32_t)n;
		ctx->funcs[f].depth = -1;
		for (uint32_t i = ctx->funcs[f].start; i < ctx->funcs[f].end; i++)
			ctx->func_of[i] = (uint32_t)f;
	}
	free(starts);
	return 0;
}

/* Bytes of stack an access [r10 + off, +size) needs, or 512 for anything odd. */
static uint32_t stack_need(int16_t off)
{
	if (off >= 0 || off < -SOPS_STACK_SIZE)
		return SOPS_STACK_SIZE;
	return (uint32_t)-off;
}

static void mark_reg(struct jit_func *fn, int reg)
{
	if (reg >= 6 && reg <= 9)
		fn->saved |= 1u << reg_map[reg];
}

/* Registers, stack bytes and calls of one function; checks its control flow stays inside. */
static int scan_func(struct jit_ctx *ctx, struct jit_func *fn)
{
	uint32_t stack = 0;
	bool uses_fp = false;
	uint32_t last = fn->start;

	for (uint32_t i = fn->start; i < fn->end; i++) {
		const struct sops_insn *in = &ctx->insns[i];
		uint8_t cls = OPC_CLASS(in->code);

		last = i;
		if (in->code == OPC_CALL_INSN) {
			fn->calls = true;
			if (in->src_reg == SOPS_CALL_LOCAL)
				fn->local_calls = true;
			continue;
		}
		if (in->code == OPC_CALLX_INSN) {
			fn->calls = fn->callx = true;
			mark_reg(fn, in->dst_reg);
			continue;
		}
		if (in->code == OPC_EXIT_INSN)
			continue;
		mark_reg(fn, in->dst_reg);
		mark_reg(fn, in->src_reg);
		if (isa_is_jump(in)) {
			long t = isa_jump_target(in, i);

			if (t < fn->start || t >= fn->end)
				return log_err(ctx->log, -EINVAL,
					       "jit: jump at slot %u leaves its function", i);
		}
		/* r10 as a memory base with a known offset: reserve just that much. */
		if ((cls == OPC_LDX && in->src_reg == 10) ||
		    ((cls == OPC_ST || cls == OPC_STX) && in->dst_reg == 10)) {
			uint32_t need = stack_need(in->off);

			uses_fp = true;
			if (need > stack)
				stack = need;
			if (cls == OPC_STX && in->src_reg == 10)
				stack = SOPS_STACK_SIZE;
		} else if (in->dst_reg == 10 || in->src_reg == 10) {
			/* The frame pointer escapes (pointer arithmetic, passed to a helper). */
			uses_fp = true;
			stack = SOPS_STACK_SIZE;
		}
		if (sops_insn_is_lddw(in))
			i++, last = i;
	}
	/* Falling off a function's end would run into the next one's prologue. */
	{
		const struct sops_insn *in = &ctx->insns[last];
		bool ok = in->code == OPC_EXIT_INSN || in->code == (OPC_JMP | OPC_JA) ||
			  in->code == (OPC_JMP32 | OPC_JA);

		if (!ok)
			return log_err(ctx->log, -EINVAL,
				       "jit: function at slot %u does not end in exit or ja", fn->start);
	}
	fn->stack = (stack + 7) & ~7u;
	fn->frame = uses_fp;
	return 0;
}

/* Longest call chain from @f (in frames), or -1 when a cycle is reachable. */
static int call_depth(struct jit_ctx *ctx, size_t f)
{
	struct jit_func *fn = &ctx->funcs[f];
	int best = 1;

	if (fn->depth == -2)
		return -1;
	if (fn->depth >= 0)
		return fn->depth;
	fn->depth = -2;
	for (uint32_t i = fn->start; i < fn->end; i++) {
		const struct sops_insn *in = &ctx->insns[i];

		if (isa_is_local_call(in)) {
			int d = call_depth(ctx, ctx->func_of[isa_jump_target(in, i)]);

			if (d < 0)
				return -1; /* leave depth at -2: the graph has a cycle */
			if (d + 1 > best)
				best = d + 1;
		}
		if (sops_insn_is_lddw(in))
			i++;
	}
	fn->depth = best;
	return best;
}

static int analyze(struct jit_ctx *ctx)
{
	int err, depth;

	err = find_funcs(ctx);
	if (err)
		return err;
	for (size_t f = 0; f < ctx->func_cnt; f++) {
		err = scan_func(ctx, &ctx->funcs[f]);
		if (err)
			return err;
	}

	/*
	 * A runtime depth counter is needed when the static bound fails
	 * (recursion, or deeper than the limit), and when a subprogram uses
	 * callx: its abort must know how many frames to unwind.
	 */
	depth = call_depth(ctx, 0);
	ctx->depth_counter = depth < 0 || depth > SOPS_MAX_CALL_FRAMES;
	for (size_t f = 1; f < ctx->func_cnt; f++)
		if (ctx->funcs[f].callx)
			ctx->depth_counter = true;
	ctx->need_abort = ctx->depth_counter || ctx->funcs[0].callx;

	/*
	 * An abort unwinds past the subprograms' epilogues, so main saves every
	 * callee-saved register any function touches and restores them itself.
	 */
	if (ctx->depth_counter)
		for (size_t f = 1; f < ctx->func_cnt; f++)
			ctx->funcs[0].saved |= ctx->funcs[f].saved;
	/*
	 * A native entry keeps its context array in main's frame, just below
	 * the BPF stack, unless the program only reads it up front.
	 */
	ctx->ctx_prefix = -1;
	if (ctx->native) {
		ctx->ctx_load_reg = malloc(ctx->funcs[0].end * sizeof(*ctx->ctx_load_reg) + 1);
		if (!ctx->ctx_load_reg)
			return -ENOMEM;
		ctx->ctx_prefix = jit_entry_ctx_in_regs(ctx->insns, ctx->funcs[0].end, ctx->native,
							ctx->ctx_load_reg);
	}
	if (ctx->native && ctx->ctx_prefix < 0) {
		ctx->funcs[0].stack += 8 * func_model_ctx_slots(ctx->native);
		ctx->ctx_off = -(int32_t)ctx->funcs[0].stack;
	}
	for (size_t f = 0; f < ctx->func_cnt; f++) {
		struct jit_func *fn = &ctx->funcs[f];
		uint32_t total;

		/* The abort stub walks saved rbp links: every frame on the way needs one. */
		if (fn->callx || (ctx->depth_counter && fn->local_calls) || (f == 0 && ctx->need_abort))
			fn->frame = true;
		if (f == 0 && ctx->depth_counter)
			fn->saved |= 1u << X86_R12;
		fn->nsaved = (uint32_t)__builtin_popcount(fn->saved);
		/* return address + saved rbp + stack + pushes must be a multiple of 16 at a call */
		total = 8 + (fn->frame ? 8 : 0) + fn->stack + 8 * fn->nsaved;
		if (fn->calls && (total & 15))
			fn->stack += 8;
	}
	if (ctx->native && ctx->ctx_prefix >= 0) {
		ctx->ctx_off = JIT_ENTRY_CTX_IN_REGS;
	} else if (ctx->native) {
		const struct jit_func *fn = &ctx->funcs[0];

		if (fn->frame) {
			ctx->ctx_base = X86_RBP;
			ctx->args_off = 16; /* saved rbp, return address */
		} else {
			/* No frame: address from rsp, past the pushes, at the top of the reserved area. */
			uint32_t area = 8 * func_model_ctx_slots(ctx->native);

			ctx->ctx_base = X86_RSP;
			ctx->ctx_off = (int32_t)(8 * fn->nsaved + fn->stack - area);
			ctx->args_off = (int32_t)(8 * fn->nsaved + fn->stack + 8);
		}
	}
	return 0;
}

/* ---- emission helpers ---- */

static void emit_prologue(struct jit_ctx *ctx, const struct jit_func *fn, bool is_main)
{
	struct jit_buf *b = &ctx->b;

	if (fn->frame) {
		x86_push(b, X86_RBP);
		x86_mov_rr(b, true, X86_RBP, X86_RSP);
	}
	if (fn->stack)
		x86_alu_ri(b, true, X86_SUB, X86_RSP, (int32_t)fn->stack);
	for (size_t k = 0; k < sizeof(callee_saved); k++)
		if (fn->saved & (1u << callee_saved[k]))
			x86_push(b, callee_saved[k]);
	if (is_main && ctx->depth_counter)
		x86_alu_rr(b, false, X86_XOR, X86_R12, X86_R12);
	if (is_main && ctx->native)
		jit_entry_spill(b, ctx->native, ctx->ctx_base, ctx->ctx_off, ctx->args_off);
}

/* Pops and return; rsp must point at the saved registers. */
static void emit_epilogue_tail(struct jit_ctx *ctx, const struct jit_func *fn)
{
	struct jit_buf *b = &ctx->b;

	if (ctx->native && fn == &ctx->funcs[0])
		jit_entry_narrow(b, ctx->native);

	for (int k = (int)sizeof(callee_saved) - 1; k >= 0; k--)
		if (fn->saved & (1u << callee_saved[k]))
			x86_pop(b, callee_saved[k]);
	if (fn->frame) {
		x86_b(b, 0xc9); /* leave: rsp = rbp, pop rbp */
	} else if (fn->stack) {
		x86_alu_ri(b, true, X86_ADD, X86_RSP, (int32_t)fn->stack);
	}
	x86_ret(b);
}

/*
 * The abort stub: unwind r12 frames by following the saved rbp links (every
 * function that can reach here keeps a frame), restore main's rsp from its
 * rbp, and leave through main's epilogue with r0 = 0.
 */
static void emit_abort_stub(struct jit_ctx *ctx)
{
	const struct jit_func *fn = &ctx->funcs[0];
	struct jit_buf *b = &ctx->b;

	x86_alu_rr(b, false, X86_XOR, X86_RAX, X86_RAX);
	if (ctx->depth_counter) {
		size_t loop;

		x86_rr(b, 0, X86_OP1(0x85), X86_R12, X86_R12); /* test r12d, r12d */
		x86_jcc8(b, X86_CC_E, 9);
		loop = b->len;
		x86_rm(b, X86_W, X86_OP1(0x8b), X86_RBP, X86_RBP, true, 0); /* mov rbp, [rbp] (4) */
		x86_rm(b, 0, X86_OP1(0xff), 1, X86_R12, false, 0);         /* dec r12d (3) */
		x86_jcc8(b, X86_CC_NE, (int8_t)(loop - (b->len + 2)));     /* (2) */
	}
	/* lea rsp, [rbp - (stack + pushes)] */
	x86_rm(b, X86_W, X86_OP1(0x8d), X86_RSP, X86_RBP, true,
	       -(int32_t)(fn->stack + 8 * fn->nsaved));
	emit_epilogue_tail(ctx, fn);
}

/* A jump to slot @t from the end of the current slot @i (the jump is last in its slot). */
static void emit_jump(struct jit_ctx *ctx, size_t i, int64_t t, int cc)
{
	struct jit_buf *b = &ctx->b;
	int64_t rel = 0;
	bool short_ok = false;

	if (!ctx->first_pass) {
		rel = (int64_t)ctx->prev_start[t] - (int64_t)ctx->prev_end[i];
		short_ok = x86_is_imm8(rel);
	}
	if (cc < 0) {
		if (short_ok)
			x86_jmp8(b, (int8_t)rel);
		else
			x86_jmp32(b, (int32_t)rel);
	} else {
		if (short_ok)
			x86_jcc8(b, (enum x86_cc)cc, (int8_t)rel);
		else
			x86_jcc32(b, (enum x86_cc)cc, (int32_t)rel);
	}
}

/*
 * A rel32 to a code offset @target_prev (previous pass) from inside slot @i:
 * the displacement field ends at (current length) which maps to the same
 * place in the previous pass as long as the slot's earlier bytes keep their
 * size - they do, everything before such a branch is fixed-size.
 */
static int32_t rel_from_here(struct jit_ctx *ctx, size_t i, uint32_t target_prev, size_t insn_len)
{
	size_t slot_start = ctx->start[i];
	int64_t here_prev = (int64_t)ctx->prev_start[i] + (int64_t)(ctx->b.len + insn_len - slot_start);

	if (ctx->first_pass)
		return 0;
	return (int32_t)((int64_t)target_prev - here_prev);
}

static void emit_jcc_abort(struct jit_ctx *ctx, size_t i, enum x86_cc cc)
{
	x86_jcc32(&ctx->b, cc, rel_from_here(ctx, i, ctx->prev_abort_off, X86_JCC32_LEN));
}

/* call a host function: rel32 when the whole image can reach it, else through r11. */
static void emit_host_call(struct jit_ctx *ctx, const void *fn)
{
	struct jit_buf *b = &ctx->b;
	int64_t lo = (int64_t)((uintptr_t)fn - (uintptr_t)ctx->base);
	int64_t hi = lo - (int64_t)ctx->cap;

	if (x86_is_simm32(lo) && x86_is_simm32(hi)) {
		int64_t here = (int64_t)(b->len + X86_CALL32_LEN);

		x86_call32(b, (int32_t)(lo - here));
	} else {
		x86_mov_ri(b, true, X86_R11, (int64_t)(uintptr_t)fn);
		x86_call_r(b, X86_R11);
	}
}

/* dst = sext(imm) through AX without the constant appearing in the code. */
static void emit_blinded_imm(struct jit_ctx *ctx, int32_t imm)
{
	struct jit_buf *b = &ctx->b;
	uint32_t k = (uint32_t)ctx->key;

	/* mov r10, simm32(imm ^ k); xor r10, simm32(k): sign extension commutes with xor */
	x86_rm(b, X86_W, X86_OP1(0xc7), 0, X86_R10, false, 0);
	x86_imm32(b, (uint32_t)imm ^ k);
	x86_rm(b, X86_W, X86_OP1(0x81), X86_XOR, X86_R10, false, 0);
	x86_imm32(b, k);
}

static void emit_blinded_imm64(struct jit_ctx *ctx, int dst, uint64_t v)
{
	struct jit_buf *b = &ctx->b;

	x86_b(b, 0x49), x86_b(b, 0xba), x86_imm64(b, v ^ ctx->key); /* movabs r10, v ^ key */
	x86_b(b, 0x49), x86_b(b, 0xbb), x86_imm64(b, ctx->key);     /* movabs r11, key */
	x86_alu_rr(b, true, X86_XOR, X86_R10, X86_R11);
	x86_mov_rr(b, true, dst, X86_R10);
}

/* ---- ALU ---- */

static void emit_zext(struct jit_buf *b, int d)
{
	x86_mov_rr(b, false, d, d);
}

static void emit_movsx(struct jit_buf *b, bool w64, int d, int s, int16_t bits)
{
	unsigned f = w64 ? X86_W : 0;

	switch (bits) {
	case 8:
		x86_rm(b, f | X86_BYTE, X86_OP2(0x0f, 0xbe), d, s, false, 0);
		break;
	case 16:
		x86_rm(b, f, X86_OP2(0x0f, 0xbf), d, s, false, 0);
		break;
	default: /* 32: movsxd (only the 64-bit form exists in BPF) */
		if (w64)
			x86_rm(b, X86_W, X86_OP1(0x63), d, s, false, 0);
		else
			x86_mov_rr(b, false, d, s);
		break;
	}
}

/* Shift by register: x86 only shifts by cl, and cl is BPF r4. */
static void emit_shift_reg(struct jit_buf *b, bool w64, enum x86_shift op, int d, int s)
{
	if (s == X86_RCX) {
		x86_shift_cl(b, w64, op, d);
		return;
	}
	x86_mov_rr(b, true, X86_R11, X86_RCX); /* keep BPF r4 */
	x86_mov_rr(b, false, X86_RCX, s);
	if (d == X86_RCX) {
		/* the value to shift is r4's old content, now in r11 */
		x86_shift_cl(b, w64, op, X86_R11);
		x86_mov_rr(b, true, X86_RCX, X86_R11);
		return;
	}
	x86_shift_cl(b, w64, op, d);
	x86_mov_rr(b, true, X86_RCX, X86_R11);
}

/*
 * Division and modulo. x86 div faults on a zero divisor and idiv on
 * INT_MIN / -1, where BPF defines x/0 = 0, x%0 = x, INT_MIN/-1 = INT_MIN and
 * INT_MIN%-1 = 0; both cases are branched around. The divisor goes to r11,
 * rax/rdx (BPF r0/r3) are saved in r9 and on the stack unless they are the
 * destination.
 */
static void emit_divmod(struct jit_ctx *ctx, bool w64, bool is_mod, bool is_signed, int d,
			int s, bool k_form, int32_t imm)
{
	struct jit_buf *b = &ctx->b;
	unsigned f = w64 ? X86_W : 0;
	size_t jz_at = 0, jm1_at = 0, jdone1 = 0, jdone2 = 0;
	bool check_zero = true, check_m1 = is_signed;

	if (k_form) {
		/* Known divisor: settle the special cases now. */
		if (imm == 0) {
			if (!is_mod)
				x86_alu_rr(b, false, X86_XOR, d, d);
			else if (!w64)
				emit_zext(b, d);
			return;
		}
		if (is_signed && imm == -1) {
			if (is_mod)
				x86_alu_rr(b, false, X86_XOR, d, d);
			else
				x86_rm(b, f, X86_OP1(0xf7), 3, d, false, 0); /* neg: INT_MIN stays */
			return;
		}
		check_zero = check_m1 = false;
		x86_mov_ri(b, w64, X86_R11, imm);
	} else {
		x86_mov_rr(b, w64, X86_R11, s);
	}

	if (check_zero) {
		x86_rr(b, w64 ? X86_W : 0, X86_OP1(0x85), X86_R11, X86_R11); /* test */
		jz_at = b->len;
		x86_jcc8(b, X86_CC_E, 0);
	}
	if (check_m1) {
		x86_alu_ri(b, w64, X86_CMP, X86_R11, -1);
		jm1_at = b->len;
		x86_jcc8(b, X86_CC_E, 0);
	}

	if (d != X86_RAX)
		x86_mov_rr(b, true, X86_R9, X86_RAX);
	if (d != X86_RDX)
		x86_push(b, X86_RDX);
	if (d != X86_RAX)
		x86_mov_rr(b, true, X86_RAX, d);
	if (is_signed) {
		if (w64)
			x86_b(b, 0x48);
		x86_b(b, 0x99); /* cqo / cdq */
	} else {
		x86_alu_rr(b, false, X86_XOR, X86_RDX, X86_RDX);
	}
	x86_rm(b, f, X86_OP1(0xf7), is_signed ? 7 : 6, X86_R11, false, 0);
	x86_mov_rr(b, true, X86_R11, is_mod ? X86_RDX : X86_RAX);
	if (d != X86_RDX)
		x86_pop(b, X86_RDX);
	if (d != X86_RAX)
		x86_mov_rr(b, true, X86_RAX, X86_R9);
	x86_mov_rr(b, true, d, X86_R11);

	if (!check_zero && !check_m1)
		return;
	jdone1 = b->len;
	x86_jmp8(b, 0);

	/* divisor 0: x/0 = 0, x%0 = x */
	if (check_zero) {
		b->p[jz_at + 1] = (uint8_t)(b->len - (jz_at + 2));
		if (!is_mod)
			x86_alu_rr(b, false, X86_XOR, d, d);
		else if (!w64)
			emit_zext(b, d);
	}
	if (check_m1) {
		jdone2 = b->len;
		x86_jmp8(b, 0);
		/* divisor -1: x/-1 = -x (INT_MIN stays), x%-1 = 0 */
		b->p[jm1_at + 1] = (uint8_t)(b->len - (jm1_at + 2));
		if (is_mod)
			x86_alu_rr(b, false, X86_XOR, d, d);
		else
			x86_rm(b, f, X86_OP1(0xf7), 3, d, false, 0);
		b->p[jdone2 + 1] = (uint8_t)(b->len - (jdone2 + 2));
	}
	b->p[jdone1 + 1] = (uint8_t)(b->len - (jdone1 + 2));
}

static void emit_end(struct jit_buf *b, const struct sops_insn *in, int d)
{
	bool to_be = OPC_CLASS(in->code) == OPC_ALU64 || OPC_SRC(in->code) == OPC_TO_BE;

	switch (in->imm) {
	case 16:
		if (to_be) {
			x86_rm(b, X86_P66, X86_OP1(0xc1), X86_ROR, d, false, 0); /* ror r16, 8 */
			x86_b(b, 8);
		}
		x86_rm(b, 0, X86_OP2(0x0f, 0xb7), d, d, false, 0); /* movzx r32, r16 */
		break;
	case 32:
		if (to_be) {
			if (d & 8)
				x86_b(b, 0x41);
			x86_b(b, 0x0f), x86_b(b, (uint8_t)(0xc8 | (d & 7)));
		} else {
			emit_zext(b, d);
		}
		break;
	default: /* 64 */
		if (to_be) {
			x86_b(b, (uint8_t)(0x48 | ((d & 8) ? 1 : 0)));
			x86_b(b, 0x0f), x86_b(b, (uint8_t)(0xc8 | (d & 7)));
		}
		break;
	}
}

static int emit_alu(struct jit_ctx *ctx, size_t i, const struct sops_insn *in)
{
	struct jit_buf *b = &ctx->b;
	bool w64 = OPC_CLASS(in->code) == OPC_ALU64;
	bool k = OPC_SRC(in->code) == OPC_K;
	int d = reg_map[in->dst_reg], s = reg_map[in->src_reg];
	int32_t imm = in->imm;
	uint8_t op = OPC_OP(in->code);
	static const int8_t group1[16] = {
		[OPC_ADD >> 4] = X86_ADD, [OPC_SUB >> 4] = X86_SUB, [OPC_OR >> 4] = X86_OR,
		[OPC_AND >> 4] = X86_AND, [OPC_XOR >> 4] = X86_XOR,
	};

	switch (op) {
	case OPC_ADD:
	case OPC_SUB:
	case OPC_OR:
	case OPC_AND:
	case OPC_XOR:
		if (!k)
			x86_alu_rr(b, w64, (enum x86_alu)group1[op >> 4], d, s);
		else if (imm == 0 && op != OPC_AND) {
			if (!w64)
				emit_zext(b, d); /* identity, but 32-bit ops still zero-extend */
		} else
			x86_alu_ri(b, w64, (enum x86_alu)group1[op >> 4], d, imm);
		break;
	case OPC_MUL:
		if (!k) {
			x86_rm(b, w64 ? X86_W : 0, X86_OP2(0x0f, 0xaf), d, s, false, 0);
		} else if (x86_is_imm8(imm)) {
			x86_rm(b, w64 ? X86_W : 0, X86_OP1(0x6b), d, d, false, 0);
			x86_b(b, (uint8_t)imm);
		} else {
			x86_rm(b, w64 ? X86_W : 0, X86_OP1(0x69), d, d, false, 0);
			x86_imm32(b, (uint32_t)imm);
		}
		break;
	case OPC_DIV:
	case OPC_MOD:
		emit_divmod(ctx, w64, op == OPC_MOD, in->off == 1, d, s, k, imm);
		break;
	case OPC_NEG:
		x86_rm(b, w64 ? X86_W : 0, X86_OP1(0xf7), 3, d, false, 0);
		break;
	case OPC_MOV:
		if (k)
			x86_mov_ri(b, w64, d, imm);
		else if (in->off)
			emit_movsx(b, w64, d, s, in->off);
		else if (!w64 || d != s)
			x86_mov_rr(b, w64, d, s);
		break;
	case OPC_LSH:
	case OPC_RSH:
	case OPC_ARSH: {
		enum x86_shift sh = op == OPC_LSH ? X86_SHL : op == OPC_RSH ? X86_SHR : X86_SAR;

		if (!k) {
			emit_shift_reg(b, w64, sh, d, s);
		} else {
			uint8_t cnt = (uint8_t)(imm & (w64 ? 63 : 31));

			if (cnt)
				x86_shift_ri(b, w64, sh, d, cnt);
			else if (!w64)
				emit_zext(b, d);
		}
		break;
	}
	case OPC_END:
		emit_end(b, in, d);
		break;
	default:
		return log_err(ctx->log, -EINVAL, "jit: unknown ALU opcode 0x%02x at slot %zu",
			       in->code, i);
	}
	return 0;
}

/* ---- memory ---- */

static void emit_ldx(struct jit_buf *b, const struct sops_insn *in)
{
	int d = reg_map[in->dst_reg], s = reg_map[in->src_reg];
	bool sx = OPC_MODE(in->code) == OPC_MEMSX;

	switch (OPC_SIZE(in->code)) {
	case OPC_B:
		x86_rm(b, sx ? X86_W : 0, X86_OP2(0x0f, sx ? 0xbe : 0xb6), d, s, true, in->off);
		break;
	case OPC_H:
		x86_rm(b, sx ? X86_W : 0, X86_OP2(0x0f, sx ? 0xbf : 0xb7), d, s, true, in->off);
		break;
	case OPC_W:
		x86_rm(b, sx ? X86_W : 0, X86_OP1(sx ? 0x63 : 0x8b), d, s, true, in->off);
		break;
	default:
		x86_rm(b, X86_W, X86_OP1(0x8b), d, s, true, in->off);
		break;
	}
}

/*
 * A probe load (probe.c): r11 = src + off; call the stub that loads through
 * r11 (a faulting load leaves 0 there); dst = r11. The far form calls
 * through r10 (the blinding register, free outside blinded instructions).
 */
static void emit_probe_ldx(struct jit_ctx *ctx, const struct sops_insn *in)
{
	static void (*const zx[4])(void) = { sops_probe_jit_u32, sops_probe_jit_u16, sops_probe_jit_u8,
					     sops_probe_jit_u64 };
	static void (*const sx[4])(void) = { sops_probe_jit_s32, sops_probe_jit_s16, sops_probe_jit_s8, NULL };
	struct jit_buf *b = &ctx->b;
	int size = OPC_SIZE(in->code) >> 3;
	void (*stub)(void) = OPC_MODE(in->code) == OPC_PROBE_MEMSX ? sx[size] : zx[size];
	int64_t lo = (int64_t)((uintptr_t)stub - (uintptr_t)ctx->base);
	int64_t hi = lo - (int64_t)ctx->cap;

	x86_rm(b, X86_W, X86_OP1(0x8d), X86_R11, reg_map[in->src_reg], true, in->off);
	if (x86_is_simm32(lo) && x86_is_simm32(hi)) {
		x86_call32(b, (int32_t)(lo - (int64_t)(b->len + X86_CALL32_LEN)));
	} else {
		x86_mov_ri(b, true, X86_R10, (int64_t)(uintptr_t)stub);
		x86_call_r(b, X86_R10);
	}
	x86_mov_rr(b, true, reg_map[in->dst_reg], X86_R11);
}

static void emit_st(struct jit_buf *b, const struct sops_insn *in)
{
	int d = reg_map[in->dst_reg];

	switch (OPC_SIZE(in->code)) {
	case OPC_B:
		x86_rm(b, 0, X86_OP1(0xc6), 0, d, true, in->off);
		x86_b(b, (uint8_t)in->imm);
		break;
	case OPC_H:
		x86_rm(b, X86_P66, X86_OP1(0xc7), 0, d, true, in->off);
		x86_imm16(b, (uint16_t)in->imm);
		break;
	case OPC_W:
		x86_rm(b, 0, X86_OP1(0xc7), 0, d, true, in->off);
		x86_imm32(b, (uint32_t)in->imm);
		break;
	default:
		x86_rm(b, X86_W, X86_OP1(0xc7), 0, d, true, in->off);
		x86_imm32(b, (uint32_t)in->imm);
		break;
	}
}

static void emit_stx(struct jit_buf *b, const struct sops_insn *in, int s)
{
	int d = reg_map[in->dst_reg];

	switch (OPC_SIZE(in->code)) {
	case OPC_B:
		x86_rm(b, X86_BYTE, X86_OP1(0x88), s, d, true, in->off);
		break;
	case OPC_H:
		x86_rm(b, X86_P66, X86_OP1(0x89), s, d, true, in->off);
		break;
	case OPC_W:
		x86_rm(b, 0, X86_OP1(0x89), s, d, true, in->off);
		break;
	default:
		x86_rm(b, X86_W, X86_OP1(0x89), s, d, true, in->off);
		break;
	}
}

static int emit_atomic(struct jit_ctx *ctx, size_t i, const struct sops_insn *in)
{
	struct jit_buf *b = &ctx->b;
	bool w64 = OPC_SIZE(in->code) == OPC_DW;
	unsigned f = w64 ? X86_W : 0;
	int d = reg_map[in->dst_reg], s = reg_map[in->src_reg];
	int32_t op = in->imm;
	static const uint8_t rmw[16] = {
		[OPC_ADD >> 4] = 0x01, [OPC_OR >> 4] = 0x09, [OPC_AND >> 4] = 0x21,
		[OPC_XOR >> 4] = 0x31,
	};
	static const int8_t group1[16] = {
		[OPC_OR >> 4] = X86_OR, [OPC_AND >> 4] = X86_AND, [OPC_XOR >> 4] = X86_XOR,
	};

	if (OPC_SIZE(in->code) != OPC_W && OPC_SIZE(in->code) != OPC_DW)
		goto bad;
	switch (op) {
	case OPC_ADD:
	case OPC_OR:
	case OPC_AND:
	case OPC_XOR:
		x86_rm(b, f | X86_LOCK, X86_OP1(rmw[op >> 4]), s, d, true, in->off);
		return 0;
	case OPC_ADD | ATOMIC_FETCH:
		x86_rm(b, f | X86_LOCK, X86_OP2(0x0f, 0xc1), s, d, true, in->off); /* xadd */
		return 0;
	case ATOMIC_XCHG:
		x86_rm(b, f, X86_OP1(0x87), s, d, true, in->off); /* xchg with memory locks itself */
		return 0;
	case ATOMIC_CMPXCHG:
		x86_rm(b, f | X86_LOCK, X86_OP2(0x0f, 0xb1), s, d, true, in->off);
		/* a successful 32-bit cmpxchg leaves rax's upper half alone: zero it */
		if (!w64)
			emit_zext(b, X86_RAX);
		return 0;
	case OPC_OR | ATOMIC_FETCH:
	case OPC_AND | ATOMIC_FETCH:
	case OPC_XOR | ATOMIC_FETCH: {
		/* No x86 fetch-or/and/xor: a cmpxchg loop with rax as the expected value. */
		int base = d == X86_RAX ? X86_R9 : d;
		int val = s == X86_RAX ? X86_R9 : s;
		size_t loop;

		x86_mov_rr(b, true, X86_R9, X86_RAX);
		x86_rm(b, f, X86_OP1(0x8b), X86_RAX, base, true, in->off);
		loop = b->len;
		x86_mov_rr(b, true, X86_R11, X86_RAX);
		x86_alu_rr(b, w64, (enum x86_alu)group1[(op & 0xf0) >> 4], X86_R11, val);
		x86_rm(b, f | X86_LOCK, X86_OP2(0x0f, 0xb1), X86_R11, base, true, in->off);
		x86_jcc8(b, X86_CC_NE, (int8_t)(loop - (b->len + 2)));
		x86_mov_rr(b, true, X86_R11, X86_RAX);
		x86_mov_rr(b, true, X86_RAX, X86_R9);
		x86_mov_rr(b, w64, s, X86_R11);
		return 0;
	}
	default:
		break;
	}
bad:
	return log_err(ctx->log, -EINVAL, "jit: unknown atomic 0x%02x/0x%x at slot %zu", in->code,
		       (unsigned)op, i);
}

/* ---- jumps and calls ---- */

static int jcc_of(uint8_t op)
{
	switch (op) {
	case OPC_JEQ: return X86_CC_E;
	case OPC_JNE: return X86_CC_NE;
	case OPC_JSET: return X86_CC_NE;
	case OPC_JGT: return X86_CC_A;
	case OPC_JGE: return X86_CC_AE;
	case OPC_JLT: return X86_CC_B;
	case OPC_JLE: return X86_CC_BE;
	case OPC_JSGT: return X86_CC_G;
	case OPC_JSGE: return X86_CC_GE;
	case OPC_JSLT: return X86_CC_L;
	case OPC_JSLE: return X86_CC_LE;
	default: return -1;
	}
}

static int emit_cond_jump(struct jit_ctx *ctx, size_t i, const struct sops_insn *in)
{
	struct jit_buf *b = &ctx->b;
	bool w64 = OPC_CLASS(in->code) == OPC_JMP;
	int d = reg_map[in->dst_reg], s = reg_map[in->src_reg];
	uint8_t op = OPC_OP(in->code);
	int cc = jcc_of(op);
	int64_t t = isa_jump_target(in, i);

	if (cc < 0)
		return log_err(ctx->log, -EINVAL, "jit: unknown jump 0x%02x at slot %zu", in->code, i);
	if (OPC_SRC(in->code) == OPC_X) {
		if (op == OPC_JSET)
			x86_rr(b, w64 ? X86_W : 0, X86_OP1(0x85), s, d); /* test */
		else
			x86_alu_rr(b, w64, X86_CMP, d, s);
	} else if (op == OPC_JSET) {
		x86_rm(b, w64 ? X86_W : 0, X86_OP1(0xf7), 0, d, false, 0); /* test r, imm32 */
		x86_imm32(b, (uint32_t)in->imm);
	} else if (in->imm == 0) {
		x86_rr(b, w64 ? X86_W : 0, X86_OP1(0x85), d, d); /* test r, r == cmp r, 0 */
	} else {
		x86_alu_ri(b, w64, X86_CMP, d, in->imm);
	}
	emit_jump(ctx, i, t, cc);
	return 0;
}

static int emit_call(struct jit_ctx *ctx, size_t i, const struct sops_insn *in)
{
	struct jit_buf *b = &ctx->b;
	const struct sops_vm *vm = ctx->vm;

	if (in->src_reg == SOPS_CALL_LOCAL) {
		uint32_t f = ctx->func_of[isa_jump_target(in, i)];

		if (ctx->depth_counter) {
			/* this frame is number r12 + 1; the callee's must not pass the limit */
			x86_alu_ri(b, false, X86_CMP, X86_R12, SOPS_MAX_CALL_FRAMES - 1);
			emit_jcc_abort(ctx, i, X86_CC_AE);
			x86_rm(b, 0, X86_OP1(0xff), 0, X86_R12, false, 0); /* inc r12d */
		}
		x86_call32(b, rel_from_here(ctx, i, ctx->funcs[f].prev_entry, X86_CALL32_LEN));
		if (ctx->depth_counter)
			x86_rm(b, 0, X86_OP1(0xff), 1, X86_R12, false, 0); /* dec r12d */
		return 0;
	}
	if (!vm->call_fn || !vm->call_fn[i])
		return log_err(ctx->log, -EINVAL, "jit: call at slot %zu has no resolved target", i);
	if (in->src_reg == SOPS_CALL_HELPER)
		x86_mov_ri(b, true, X86_R9, (int64_t)(uintptr_t)vm->aux);
	emit_host_call(ctx, vm->call_fn[i]);
	return 0;
}

/* callx: the register holds a helper id; unknown ids stop the program with r0 = 0. */
static void emit_callx(struct jit_ctx *ctx, size_t i, const struct sops_insn *in)
{
	struct jit_buf *b = &ctx->b;
	const struct sops_vm *vm = ctx->vm;

	x86_mov_rr(b, true, X86_R11, reg_map[in->dst_reg]);
	x86_rm(b, X86_W, X86_OP1(0x81), X86_CMP, X86_R11, false, 0); /* fixed size: imm32 */
	x86_imm32(b, vm->helper_by_id ? vm->helper_id_cnt : 0);
	emit_jcc_abort(ctx, i, X86_CC_AE);
	x86_b(b, 0x49), x86_b(b, 0xba), x86_imm64(b, (uint64_t)(uintptr_t)vm->helper_by_id);
	/* mov r11, [r10 + r11*8] */
	x86_b(b, 0x4f), x86_b(b, 0x8b), x86_b(b, 0x1c), x86_b(b, 0xda);
	x86_rr(b, X86_W, X86_OP1(0x85), X86_R11, X86_R11);
	emit_jcc_abort(ctx, i, X86_CC_E);
	x86_b(b, 0x49), x86_b(b, 0xb9), x86_imm64(b, (uint64_t)(uintptr_t)vm->aux); /* movabs r9 */
	x86_call_r(b, X86_R11);
}

/* ---- blinding ---- */

/*
 * With blinding on, an instruction with an immediate operand becomes the
 * register form with the hidden register AX (x86 r10) as source, after AX
 * is loaded through emit_blinded_imm(). The register forms mean the same:
 * AX holds sext(imm), exactly the value the immediate form uses.
 */
static bool blind_rewrite(const struct sops_insn *in, struct sops_insn *out)
{
	uint8_t cls = OPC_CLASS(in->code), op = OPC_OP(in->code);

	*out = *in;
	switch (cls) {
	case OPC_ALU:
	case OPC_ALU64:
		if (OPC_SRC(in->code) != OPC_K || op == OPC_END || op == OPC_NEG)
			return false;
		out->code |= OPC_X;
		break;
	case OPC_JMP:
	case OPC_JMP32:
		if (OPC_SRC(in->code) != OPC_K || op == OPC_JA || op == OPC_CALL || op == OPC_EXIT)
			return false;
		out->code |= OPC_X;
		break;
	case OPC_ST:
		if (OPC_MODE(in->code) != OPC_MEM)
			return false;
		out->code = (uint8_t)(OPC_STX | OPC_MEM | OPC_SIZE(in->code));
		break;
	default:
		return false;
	}
	out->src_reg = BPF_REG_AX;
	out->imm = 0;
	return true;
}

/* ---- one slot ---- */

static int emit_insn(struct jit_ctx *ctx, size_t i, const struct sops_insn *in)
{
	struct jit_buf *b = &ctx->b;
	struct sops_insn blinded;
	bool host = ctx->vm->host_access;

	if (ctx->blind && blind_rewrite(in, &blinded)) {
		emit_blinded_imm(ctx, in->imm);
		in = &blinded;
	}

	switch (OPC_CLASS(in->code)) {
	case OPC_ALU:
	case OPC_ALU64:
		return emit_alu(ctx, i, in);
	case OPC_LDX:
		if ((long)i < ctx->ctx_prefix) {
			/* a leading context load of a native entry: the argument's register */
			bool w64 = OPC_SIZE(in->code) == OPC_DW;
			int d = reg_map[in->dst_reg], s = ctx->ctx_load_reg[i];

			if (d != s || !w64)
				x86_mov_rr(b, w64, d, s);
			return 0;
		}
		/* The verifier's host access modes (opcodes.h): a trusted one is a plain load. */
		if (host && (OPC_MODE(in->code) == OPC_PROBE_MEM || OPC_MODE(in->code) == OPC_PROBE_MEMSX)) {
			emit_probe_ldx(ctx, in);
			return 0;
		}
		if (OPC_MODE(in->code) != OPC_MEM && OPC_MODE(in->code) != OPC_MEMSX &&
		    !(host && OPC_MODE(in->code) == OPC_BTF_MEM))
			break;
		emit_ldx(b, in);
		return 0;
	case OPC_ST:
		if (OPC_MODE(in->code) != OPC_MEM && !(host && OPC_MODE(in->code) == OPC_BTF_MEM))
			break;
		emit_st(b, in);
		return 0;
	case OPC_STX:
		if (OPC_MODE(in->code) == OPC_ATOMIC)
			return emit_atomic(ctx, i, in);
		if (OPC_MODE(in->code) != OPC_MEM && !(host && OPC_MODE(in->code) == OPC_BTF_MEM))
			break;
		emit_stx(b, in, reg_map[in->src_reg]);
		return 0;
	case OPC_LD:
		if (in->code != OPC_LDDW)
			break;
		{
			uint64_t v = (uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32;

			if (ctx->blind)
				emit_blinded_imm64(ctx, reg_map[in->dst_reg], v);
			else
				x86_mov_ri(b, true, reg_map[in->dst_reg], (int64_t)v);
		}
		return 0;
	case OPC_JMP:
	case OPC_JMP32:
		if (in->code == OPC_EXIT_INSN) {
			emit_epilogue_tail(ctx, &ctx->funcs[ctx->func_of[i]]);
			return 0;
		}
		if (in->code == OPC_CALL_INSN)
			return emit_call(ctx, i, in);
		if (in->code == OPC_CALLX_INSN) {
			emit_callx(ctx, i, in);
			return 0;
		}
		if (OPC_OP(in->code) == OPC_JA) {
			int64_t t = isa_jump_target(in, i);

			if (t != (int64_t)i + 1)
				emit_jump(ctx, i, t, -1);
			return 0;
		}
		return emit_cond_jump(ctx, i, in);
	}
	return log_err(ctx->log, -EINVAL, "jit: cannot translate opcode 0x%02x at slot %zu", in->code, i);
}

/* One pass over the whole program; returns the code size or a negative errno. */
static long emit_pass(struct jit_ctx *ctx)
{
	struct jit_buf *b = &ctx->b;
	int err;

	b->p = ctx->base;
	b->len = 0;
	for (size_t f = 0; f < ctx->func_cnt; f++) {
		struct jit_func *fn = &ctx->funcs[f];

		fn->entry = (uint32_t)b->len;
		emit_prologue(ctx, fn, f == 0);
		for (size_t i = fn->start; i < fn->end; i++) {
			const struct sops_insn *in = &ctx->insns[i];

			ctx->start[i] = (uint32_t)b->len;
			if (b->len + JIT_MAX_INSN_BYTES > ctx->cap)
				return log_err(ctx->log, -E2BIG, "jit: image estimate too small");
			err = emit_insn(ctx, i, in);
			if (err)
				return err;
			if (sops_insn_is_lddw(in)) {
				i++;
				ctx->start[i] = ctx->end[i - 1] = (uint32_t)b->len;
			}
			ctx->end[i] = (uint32_t)b->len;
		}
	}
	ctx->abort_off = (uint32_t)b->len;
	if (ctx->need_abort)
		emit_abort_stub(ctx);
	return (long)b->len;
}

static void swap_offsets(struct jit_ctx *ctx)
{
	uint32_t *t;

	t = ctx->prev_start, ctx->prev_start = ctx->start, ctx->start = t;
	t = ctx->prev_end, ctx->prev_end = ctx->end, ctx->end = t;
	ctx->prev_abort_off = ctx->abort_off;
	for (size_t f = 0; f < ctx->func_cnt; f++)
		ctx->funcs[f].prev_entry = ctx->funcs[f].entry;
}

/* Where to place the image (jit_mem.c): near a host function it calls, else near this library. */
static const void *placement_target(const struct sops_vm *vm)
{
	for (size_t i = 0; vm->call_fn && i < vm->insn_cnt; i++)
		if (vm->call_fn[i])
			return vm->call_fn[i];
	return (const void *)(uintptr_t)jit_compile;
}

static void perf_entries(struct jit_ctx *ctx, const struct jit_opts *opts, const struct jit_image *img)
{
	char suffix[32];

	for (size_t f = 0; f < ctx->func_cnt; f++) {
		const struct jit_func *fn = &ctx->funcs[f];
		uint32_t end = f + 1 < ctx->func_cnt ? ctx->funcs[f + 1].entry : (uint32_t)img->size;

		if (f)
			snprintf(suffix, sizeof(suffix), "_sub%u", fn->start);
		jit_perf_add(opts, img->code + fn->entry, end - fn->entry, f ? suffix : NULL);
	}
}

int jit_compile(const struct sops_vm *vm, const struct jit_opts *opts, struct sops_log *log,
		struct jit_image **out)
{
	struct jit_ctx ctx = { .vm = vm, .insns = vm->insns, .insn_cnt = vm->insn_cnt, .log = log };
	struct jit_image *img = NULL;
	size_t n = vm->insn_cnt, map_size = 0;
	uint32_t *offs = NULL;
	long size = 0, prev_size = -1;
	int err, pass;

	*out = NULL;
	if (!jit_supported())
		return log_err(log, -EOPNOTSUPP, "JIT not available on this machine");
	if (!n)
		return log_err(log, -EINVAL, "jit: empty program");

	/* one block: func_of + 4 offset arrays */
	offs = malloc(sizeof(uint32_t) * (n + 1) * 5);
	if (!offs)
		return -ENOMEM;
	ctx.func_of = offs;
	ctx.start = offs + (n + 1);
	ctx.end = offs + 2 * (n + 1);
	ctx.prev_start = offs + 3 * (n + 1);
	ctx.prev_end = offs + 4 * (n + 1);
	if (opts && opts->blinding) {
		ctx.blind = true;
		ctx.key = jit_blind_key();
	}
	if (opts && opts->native_entry) {
		if (!func_model_valid(opts->native_entry)) {
			err = log_err(log, -EINVAL, "jit: native entry has too many or too wide arguments");
			goto out;
		}
		ctx.native = opts->native_entry;
	}

	err = analyze(&ctx);
	if (err)
		goto out;

	ctx.cap = n * JIT_MAX_INSN_BYTES + (ctx.func_cnt + 1) * JIT_MAX_PROLOGUE_BYTES +
		  (ctx.native ? jit_entry_spill_max(ctx.native) : 0);
	map_size = jit_mem_round(ctx.cap);
	ctx.base = jit_mem_alloc(map_size, placement_target(vm));
	if (!ctx.base) {
		err = log_err(log, -ENOMEM, "jit: cannot map %zu bytes", map_size);
		goto out;
	}

	ctx.first_pass = true;
	for (pass = 0; pass < JIT_MAX_PASSES; pass++) {
		size = emit_pass(&ctx);
		if (size < 0) {
			err = (int)size;
			goto out;
		}
		if (size == prev_size)
			break;
		prev_size = size;
		swap_offsets(&ctx);
		ctx.first_pass = false;
	}
	if (pass == JIT_MAX_PASSES) {
		err = log_err(log, -EINVAL, "jit: code size did not converge");
		goto out;
	}

	img = calloc(1, sizeof(*img));
	if (!img) {
		err = -ENOMEM;
		goto out;
	}
	img->offs = malloc(sizeof(uint32_t) * n);
	if (!img->offs) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		img->offs[i] = ctx.start[i];
		if (sops_insn_is_lddw(&ctx.insns[i]) && i + 1 < n)
			img->offs[++i] = UINT32_MAX;
	}
	img->insn_cnt = n;
	img->size = (size_t)size;
	img->blinded = ctx.blind;
	/* Shrink to the pages used, then drop write permission before anyone can run it. */
	map_size = jit_mem_trim(ctx.base, map_size, img->size);
	img->code = ctx.base;
	img->map_size = map_size;
	ctx.base = NULL;
	err = jit_mem_seal(img->code, img->map_size);
	if (err) {
		err = log_err(log, err, "jit: cannot make code executable");
		goto out;
	}
	if (jit_perf_enabled(opts))
		perf_entries(&ctx, opts, img);
	*out = img;
	img = NULL;
out:
	jit_image_free(img);
	jit_mem_free(ctx.base, map_size);
	free(ctx.funcs);
	free(ctx.ctx_load_reg);
	free(offs);
	return err;
}

sops_jit_fn jit_image_entry(const struct jit_image *img)
{
	return img ? (sops_jit_fn)(void *)img->code : NULL;
}

const void *jit_image_code(const struct jit_image *img, size_t *size)
{
	if (!img)
		return NULL;
	if (size)
		*size = img->size;
	return img->code;
}

long jit_image_insn_offset(const struct jit_image *img, size_t idx)
{
	if (!img || idx >= img->insn_cnt || img->offs[idx] == UINT32_MAX)
		return -1;
	return img->offs[idx];
}

bool jit_image_blinded(const struct jit_image *img)
{
	return img && img->blinded;
}

void jit_image_free(struct jit_image *img)
{
	if (!img)
		return;
	jit_mem_free(img->code, img->map_size);
	free(img->offs);
	free(img);
}
