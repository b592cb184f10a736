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
 */
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

void jit_entry_spill(struct jit_buf *b, const struct func_model *m, int base, int32_t ctx_off,
		     int32_t args_off)
{
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
