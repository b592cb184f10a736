/* SPDX-License-Identifier: MIT */
/*
 * jit_entry.c - entering a JIT'd program with a native C calling convention.
 *
 * When jit_opts.native_entry is set, the main function's prologue receives
 * the arguments of an ops member (System V: integer words in rdi, rsi, rdx,
 * rcx, r8, r9; a 9-16 byte struct needs two free registers or goes whole to
 * the stack, where a later scalar may still take the register it left; stack
 * arguments in 8-byte slots above the return address) and stores them into a
 * u64 context array inside its own frame, widened or masked as the kernel's
 * trampolines do, then points BPF r1 at it. Every exit narrows r0 to the
 * member's return type. The host thus calls the program directly: no thunk,
 * no second call, and the context array costs one store per argument word.
 *
 * The context array sits in main's reserved stack, just below the BPF stack;
 * it is addressed from rbp when main keeps a frame, from rsp otherwise.
 *
 * Most callbacks read their arguments once, up front, and never look at r1
 * again. For them (jit_entry_ctx_in_regs) the array is not built at all: the
 * leading loads are served from the argument registers, so the store-to-load
 * round trip through memory, the frame and the lea disappear from every call.
 */
#include <stdlib.h>

#include "../isa/check.h"
#include "../isa/opcodes.h"
#include "jit.h"
#include "x86.h"

static const int arg_regs[6] = { X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8, X86_R9 };

/* Widen the low @size bytes of @reg to 64 bits, by sign or zero extension. */
static void emit_widen(struct jit_buf *b, int reg, uint8_t size, bool sign)
{
	switch (size) {
	case 1:
		if (sign)
			x86_rm(b, X86_W | X86_BYTE, X86_OP2(0x0f, 0xbe), reg, reg, false, 0);
		else
			x86_rm(b, X86_BYTE, X86_OP2(0x0f, 0xb6), reg, reg, false, 0);
		break;
	case 2:
		x86_rm(b, sign ? X86_W : 0, X86_OP2(0x0f, sign ? 0xbf : 0xb7), reg, reg, false, 0);
		break;
	case 4:
		if (sign)
			x86_rm(b, X86_W, X86_OP1(0x63), reg, reg, false, 0); /* movsxd */
		else
			x86_mov_rr(b, false, reg, reg);
		break;
	case 8:
		break;
	default: /* 3, 5, 6 or 7 bytes of a struct: keep them, clear the rest */
		x86_mov_ri(b, true, X86_R11, (int64_t)((1ull << (8 * size)) - 1));
		x86_alu_rr(b, true, X86_AND, reg, X86_R11);
		break;
	}
}

/*
 * Which x86 register holds context slot @slot at entry (after the spill's
 * widening), or -1 for a slot passed on the stack.
 */
static int slot_register(const struct func_model *m, unsigned int want)
{
	unsigned int slot = 0, next_reg = 0;

	for (int i = 0; i < m->nr_args; i++) {
		unsigned int words = (m->arg_size[i] + 7u) / 8u;
		bool in_regs = next_reg + words <= 6;

		if (want < slot + words)
			return in_regs ? arg_regs[next_reg + (want - slot)] : -1;
		slot += words;
		if (in_regs)
			next_reg += words;
	}
	return -1;
}

void jit_entry_spill(struct jit_buf *b, const struct func_model *m, int base, int32_t ctx_off,
		     int32_t args_off)
{
	if (ctx_off == JIT_ENTRY_CTX_IN_REGS) {
		/* Only the widening: the leading loads read the registers themselves. */
		unsigned int next_reg = 0;

		for (int i = 0; i < m->nr_args; i++) {
			bool is_struct = m->arg_flags[i] & FMODEL_STRUCT;
			unsigned int words = (m->arg_size[i] + 7u) / 8u;

			if (next_reg + words > 6)
				continue;
			for (unsigned int w = 0; w < words; w++) {
				unsigned int left = m->arg_size[i] - 8 * w;

				emit_widen(b, arg_regs[next_reg + w], (uint8_t)(left > 8 ? 8 : left),
					   !is_struct && (m->arg_flags[i] & FMODEL_SIGNED));
			}
			next_reg += words;
		}
		return;
	}

	unsigned int slot = 0, next_reg = 0;
	int32_t stack_off = args_off;

	for (int i = 0; i < m->nr_args; i++) {
		bool is_struct = m->arg_flags[i] & FMODEL_STRUCT;
		bool sign = !is_struct && (m->arg_flags[i] & FMODEL_SIGNED);
		unsigned int words = (m->arg_size[i] + 7u) / 8u;
		bool in_regs = next_reg + words <= 6;

		for (unsigned int w = 0; w < words; w++) {
			unsigned int left = m->arg_size[i] - 8 * w;
			uint8_t bytes = (uint8_t)(left > 8 ? 8 : left);
			int reg = X86_RAX; /* BPF r0: free until the program sets it */

			if (in_regs)
				reg = arg_regs[next_reg + w];
			else
				x86_rm(b, X86_W, X86_OP1(0x8b), reg, base, true,
				       stack_off + 8 * (int32_t)w);
			emit_widen(b, reg, bytes, sign);
			x86_rm(b, X86_W, X86_OP1(0x89), reg, base, true,
			       ctx_off + 8 * (int32_t)slot++);
		}
		if (in_regs)
			next_reg += words;
		else
			stack_off += 8 * (int32_t)words;
	}
	/* lea rdi, [base + ctx_off]: BPF r1 = the context array */
	x86_rm(b, X86_W, X86_OP1(0x8d), X86_RDI, base, true, ctx_off);
}

/*
 * Per context slot: a load from the stack (REX, opcode, ModRM, SIB, disp32: 8
 * bytes), a widening (at most movabs r11 + and: 13) and a store (8); then the
 * lea of rdi (8).
 */
size_t jit_entry_spill_max(const struct func_model *m)
{
	return 29 * (size_t)func_model_ctx_slots(m) + 8;
}

void jit_entry_narrow(struct jit_buf *b, const struct func_model *m)
{
	if (m->ret_size && m->ret_size < 8)
		emit_widen(b, X86_RAX, m->ret_size, m->ret_flags & FMODEL_SIGNED);
}

/* ---- keeping the context in the argument registers ---- */

static bool is_alu(uint8_t cls)
{
	return cls == OPC_ALU || cls == OPC_ALU64;
}

/* Whether @in reads BPF register @r (calls read r1-r5, their arguments). */
static bool insn_reads(const struct sops_insn *in, int r)
{
	uint8_t cls = OPC_CLASS(in->code), op = OPC_OP(in->code);
	bool x = OPC_SRC(in->code) == OPC_X;

	if (is_alu(cls)) {
		if (op == OPC_END || op == OPC_NEG)
			return in->dst_reg == r;
		if (op == OPC_MOV)
			return x && in->src_reg == r;
		return in->dst_reg == r || (x && in->src_reg == r);
	}
	switch (cls) {
	case OPC_LDX:
		return in->src_reg == r;
	case OPC_ST:
		return in->dst_reg == r;
	case OPC_STX:
		return in->dst_reg == r || in->src_reg == r;
	case OPC_LD:
		return in->code != OPC_LDDW; /* legacy packet loads: assume everything */
	default: /* jumps */
		if (in->code == OPC_CALL_INSN)
			return r >= 1 && r <= 5;
		if (in->code == OPC_CALLX_INSN)
			return (r >= 1 && r <= 5) || in->dst_reg == r;
		if (in->code == OPC_EXIT_INSN)
			return r == 0;
		if (op == OPC_JA)
			return false;
		return in->dst_reg == r || (x && in->src_reg == r);
	}
}

/* Whether @in (which does not read @r) replaces BPF register @r's value. */
static bool insn_writes(const struct sops_insn *in, int r)
{
	uint8_t cls = OPC_CLASS(in->code);

	if (in->code == OPC_CALL_INSN || in->code == OPC_CALLX_INSN)
		return r >= 1 && r <= 5; /* caller-saved: gone after any call */
	if (is_alu(cls) || cls == OPC_LDX || in->code == OPC_LDDW)
		return in->dst_reg == r;
	return false;
}

/* A leading ctx load the prologue can serve from a register: its slot's register, or -1. */
static int leading_load_reg(const struct sops_insn *in, const struct func_model *m)
{
	uint8_t size = OPC_SIZE(in->code);

	if (in->code != (OPC_LDX | OPC_MEM | size) || in->src_reg != 1)
		return -1;
	if ((size != OPC_DW && size != OPC_W) || in->off < 0 || in->off % 8)
		return -1;
	if ((unsigned int)in->off / 8 >= func_model_ctx_slots(m))
		return -1;
	return slot_register(m, (unsigned int)in->off / 8);
}

static int x86_of_bpf(int r)
{
	static const int map[6] = { X86_RAX, X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8 };

	return r >= 0 && r < 6 ? map[r] : -1;
}

int jit_entry_ctx_in_regs(const struct sops_insn *insns, uint32_t end, const struct func_model *m,
			  int8_t *load_reg)
{
	uint32_t prefix = 0, clobbered = 0; /* x86 registers the leading loads wrote */
	bool ctx_live = true, *live = NULL;
	uint32_t *work = NULL, nwork = 0;
	int ret = -1;

	/* The leading loads, while r1 still holds the context. */
	for (; prefix < end && ctx_live; prefix++) {
		int src = leading_load_reg(&insns[prefix], m), dst;

		if (src < 0 || (clobbered & (1u << src)))
			break;
		load_reg[prefix] = (int8_t)src;
		dst = x86_of_bpf(insns[prefix].dst_reg);
		if (dst >= 0)
			clobbered |= 1u << dst;
		if (insns[prefix].dst_reg == 1)
			ctx_live = false;
	}
	/* A jump back into them would find the registers changed. */
	for (uint32_t i = 0; i < end; i++) {
		if (isa_is_jump(&insns[i]) && isa_jump_target(&insns[i], i) < (long)prefix)
			return -1;
		if (insns[i].code == OPC_LDDW)
			i++;
	}
	if (!ctx_live)
		return (int)prefix;

	/*
	 * Past them, r1 must never be read while it may still hold the
	 * context: a forward flow over main's slots, marking where it may.
	 */
	live = calloc(end + 1, sizeof(*live));
	work = malloc((end + 1) * sizeof(*work));
	if (!live || !work)
		goto out;
	live[prefix] = true;
	work[nwork++] = prefix;
	while (nwork) {
		uint32_t i = work[--nwork], next[2];
		const struct sops_insn *in;
		int nnext = 0;

		if (i >= end)
			goto out; /* fell off main: the JIT refuses it anyway */
		in = &insns[i];
		if (insn_reads(in, 1))
			goto out;
		if (insn_writes(in, 1) || in->code == OPC_EXIT_INSN)
			continue;
		if (isa_is_jump(in)) {
			long t = isa_jump_target(in, i);

			if (t < 0 || t >= (long)end)
				goto out;
			next[nnext++] = (uint32_t)t;
			if (OPC_OP(in->code) == OPC_JA)
				goto push;
		}
		next[nnext++] = i + (in->code == OPC_LDDW ? 2 : 1);
push:
		for (int k = 0; k < nnext; k++) {
			if (live[next[k]])
				continue;
			live[next[k]] = true;
			work[nwork++] = next[k];
		}
	}
	ret = (int)prefix;
out:
	free(live);
	free(work);
	return ret;
}
