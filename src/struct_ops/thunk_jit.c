/* SPDX-License-Identifier: MIT */
/*
 * thunk_jit.c - native ops-member thunks for JIT'd programs; see thunk.h.
 *
 * The generated code does what a kernel struct_ops trampoline does, minus the
 * bookkeeping a kernel needs:
 *
 *     sub  rsp, FRAME            ; the u64 context array, keeping rsp 16-aligned
 *     mov  [rsp + 8*k], arg      ; per argument word, widened or masked first
 *     mov  rdi, rsp              ; BPF r1 = ctx
 *     call <program image>       ; rel32 when in reach (we map near it)
 *     movsx/movzx rax            ; narrow r0 to the member's return type
 *     add  rsp, FRAME
 *     ret
 *
 * Arguments arrive by the System V rules: integer words in rdi, rsi, rdx, rcx,
 * r8, r9 in order; a 9-16 byte struct needs two free registers or goes whole
 * to the stack (a later scalar may still take the register it left); stack
 * arguments take 8-byte slots above the return address.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../jit/jit.h"
#include "../jit/x86.h"
#include "thunk.h"

struct jit_thunk {
	struct thunk base;
	void *mem;
	size_t size;
};

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
	default: /* 3, 5, 6, 7 bytes of a struct: keep them, clear the rest */
		x86_mov_ri(b, true, X86_R11, (int64_t)((1ull << (8 * size)) - 1));
		x86_alu_rr(b, true, X86_AND, reg, X86_R11);
		break;
	}
}

/* Emits the thunk body for @m calling @target. Returns the code length. */
static size_t emit_thunk(uint8_t *code, const struct func_model *m, uint64_t target)
{
	struct jit_buf b = { code, 0 };
	unsigned int slots = func_model_ctx_slots(m), slot = 0, next_reg = 0;
	int32_t frame = (int32_t)(8 * (slots ? slots : 1)), stack_off = 0;

	/* At entry rsp is 8 mod 16; after sub it must be 0 mod 16 for the call. */
	if (frame % 16 == 0)
		frame += 8;
	x86_alu_ri(&b, true, X86_SUB, X86_RSP, frame);

	for (int i = 0; i < m->nr_args; i++) {
		bool is_struct = m->arg_flags[i] & FMODEL_STRUCT;
		bool sign = m->arg_flags[i] & FMODEL_SIGNED;
		unsigned int words = (m->arg_size[i] + 7) / 8;
		bool in_regs = next_reg + words <= 6;

		for (unsigned int w = 0; w < words; w++) {
			uint8_t bytes = is_struct ? (uint8_t)(m->arg_size[i] - 8 * w) : m->arg_size[i];
			int reg;

			if (bytes > 8)
				bytes = 8;
			if (in_regs) {
				reg = arg_regs[next_reg + w];
			} else {
				/* above our frame and the return address */
				reg = X86_RAX;
				x86_rm(&b, X86_W, X86_OP1(0x8b), reg, X86_RSP, true,
				       frame + 8 + stack_off + 8 * (int32_t)w);
			}
			emit_widen(&b, reg, bytes, !is_struct && sign);
			x86_rm(&b, X86_W, X86_OP1(0x89), reg, X86_RSP, true, (int32_t)(8 * slot++));
		}
		if (in_regs)
			next_reg += words;
		else
			stack_off += 8 * (int32_t)words;
	}

	x86_mov_rr(&b, true, X86_RDI, X86_RSP);
	{
		int64_t rel = (int64_t)target - (int64_t)((uintptr_t)code + b.len + X86_CALL32_LEN);

		if (x86_is_simm32(rel)) {
			x86_call32(&b, (int32_t)rel);
		} else {
			x86_mov_ri(&b, true, X86_RAX, (int64_t)target);
			x86_call_r(&b, X86_RAX);
		}
	}
	if (m->ret_size && m->ret_size < 8)
		emit_widen(&b, X86_RAX, m->ret_size, m->ret_flags & FMODEL_SIGNED);
	x86_alu_ri(&b, true, X86_ADD, X86_RSP, frame);
	x86_ret(&b);
	return b.len;
}

static void jit_thunk_release(struct thunk *base)
{
	struct jit_thunk *t = (struct jit_thunk *)base;

	jit_mem_free(t->mem, t->size);
	free(t);
}

/* Worst case: 12 words of (load + mask + store) plus frame, call and return. */
#define THUNK_MAX_BYTES 512

int thunk_create_jit(const struct func_model *m, const struct sops_vm *prog, struct thunk **out,
		     struct sops_log *log)
{
	sops_jit_fn target = sops_vm__jit_fn(prog);
	struct jit_thunk *t;
	int err;

	if (!target)
		return log_err(log, -EINVAL, "a native thunk needs a JIT'd program");
	if (m->nr_args > FUNC_MODEL_MAX_ARGS || func_model_ctx_slots(m) > FUNC_MODEL_MAX_ARGS)
		return log_err(log, -EINVAL, "function model has too many arguments");
	t = calloc(1, sizeof(*t));
	if (!t)
		return log_err(log, -ENOMEM, "out of memory for a thunk");
	t->size = jit_mem_round(THUNK_MAX_BYTES);
	t->mem = jit_mem_alloc(t->size, (const void *)target);
	if (!t->mem) {
		free(t);
		return log_err(log, -ENOMEM, "cannot map memory for a thunk");
	}
	emit_thunk(t->mem, m, (uint64_t)(uintptr_t)target);
	err = jit_mem_seal(t->mem, t->size);
	if (err) {
		jit_mem_free(t->mem, t->size);
		free(t);
		return log_err(log, err, "cannot make a thunk executable");
	}
	t->base.entry = t->mem;
	t->base.release = jit_thunk_release;
	*out = &t->base;
	return 0;
}

int thunk_create(const struct func_model *m, const struct sops_vm *prog, struct thunk **out,
		 struct sops_log *log)
{
	if (sops_vm__jit_fn(prog))
		return thunk_create_jit(m, prog, out, log);
	return thunk_create_ffi(m, prog, out, log);
}
