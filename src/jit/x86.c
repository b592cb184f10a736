/* SPDX-License-Identifier: MIT */
/*
 * x86.c - the x86-64 encoder behind x86.h: prefixes, REX, ModRM/SIB and the
 * short forms of moves, group-1 arithmetic and shifts.
 *
 * Encoding facts used here (Intel SDM vol. 2, ch. 2):
 *  - REX is 0100WRXB; it must follow the legacy prefixes (0x66, 0xf0) and
 *    directly precede the opcode. Any REX turns byte registers 4-7 into
 *    spl/bpl/sil/dil instead of ah/ch/dh/bh, so byte forms need one.
 *  - r/m 100 (rsp, r12) as a memory base needs a SIB byte; r/m 101 with
 *    mod 00 means rip-relative, so rbp and r13 need an explicit disp8 of 0.
 */
#include "x86.h"

void x86_rm(struct jit_buf *b, unsigned flags, uint32_t op, int reg, int rm, bool mem, int32_t disp)
{
	uint8_t rex = 0x40;
	int nop = (int)(op >> 24);

	if (flags & X86_LOCK)
		x86_b(b, 0xf0);
	if (flags & X86_P66)
		x86_b(b, 0x66);
	if (flags & X86_W)
		rex |= 0x08;
	if (reg & 8)
		rex |= 0x04;
	if (rm & 8)
		rex |= 0x01;
	if (rex != 0x40 || ((flags & X86_BYTE) && ((reg >= 4 && reg < 8) || (!mem && rm >= 4 && rm < 8))))
		x86_b(b, rex);
	for (int i = nop - 1; i >= 0; i--)
		x86_b(b, (uint8_t)(op >> (8 * i)));

	reg &= 7;
	if (!mem) {
		x86_b(b, (uint8_t)(0xc0 | reg << 3 | (rm & 7)));
		return;
	}
	if (disp == 0 && (rm & 7) != X86_RBP) {
		x86_b(b, (uint8_t)(reg << 3 | (rm & 7)));
		if ((rm & 7) == X86_RSP)
			x86_b(b, 0x24);
	} else if (x86_is_imm8(disp)) {
		x86_b(b, (uint8_t)(0x40 | reg << 3 | (rm & 7)));
		if ((rm & 7) == X86_RSP)
			x86_b(b, 0x24);
		x86_b(b, (uint8_t)disp);
	} else {
		x86_b(b, (uint8_t)(0x80 | reg << 3 | (rm & 7)));
		if ((rm & 7) == X86_RSP)
			x86_b(b, 0x24);
		x86_imm32(b, (uint32_t)disp);
	}
}

void x86_mov_rr(struct jit_buf *b, bool w64, int dst, int src)
{
	x86_rr(b, w64 ? X86_W : 0, X86_OP1(0x89), src, dst);
}

void x86_mov_ri(struct jit_buf *b, bool w64, int dst, int64_t imm)
{
	if (!w64)
		imm = (uint32_t)imm;
	if (imm == 0) {
		/* xor r32, r32: shortest zeroing idiom; clears the upper half too. */
		x86_alu_rr(b, false, X86_XOR, dst, dst);
	} else if (imm > 0 && imm <= UINT32_MAX) {
		/* mov r32, imm32 (b8+r) zero-extends: 5 or 6 bytes. */
		if (dst & 8)
			x86_b(b, 0x41);
		x86_b(b, (uint8_t)(0xb8 | (dst & 7)));
		x86_imm32(b, (uint32_t)imm);
	} else if (x86_is_simm32(imm)) {
		/* mov r/m64, imm32 sign-extends: 7 bytes. */
		x86_rm(b, X86_W, X86_OP1(0xc7), 0, dst, false, 0);
		x86_imm32(b, (uint32_t)imm);
	} else {
		/* movabs r64, imm64. */
		x86_b(b, (uint8_t)(0x48 | ((dst & 8) ? 1 : 0)));
		x86_b(b, (uint8_t)(0xb8 | (dst & 7)));
		x86_imm64(b, (uint64_t)imm);
	}
}

void x86_alu_ri(struct jit_buf *b, bool w64, enum x86_alu op, int dst, int32_t imm)
{
	unsigned f = w64 ? X86_W : 0;

	if (x86_is_imm8(imm)) {
		x86_rm(b, f, X86_OP1(0x83), op, dst, false, 0);
		x86_b(b, (uint8_t)imm);
	} else if (dst == X86_RAX) {
		/* The accumulator form saves the ModRM byte. */
		if (w64)
			x86_b(b, 0x48);
		x86_b(b, (uint8_t)(op << 3 | 0x05));
		x86_imm32(b, (uint32_t)imm);
	} else {
		x86_rm(b, f, X86_OP1(0x81), op, dst, false, 0);
		x86_imm32(b, (uint32_t)imm);
	}
}

void x86_alu_rr(struct jit_buf *b, bool w64, enum x86_alu op, int dst, int src)
{
	x86_rr(b, w64 ? X86_W : 0, X86_OP1((uint32_t)(op << 3 | 0x01)), src, dst);
}

void x86_shift_ri(struct jit_buf *b, bool w64, enum x86_shift op, int dst, uint8_t count)
{
	unsigned f = w64 ? X86_W : 0;

	if (count == 1) {
		x86_rm(b, f, X86_OP1(0xd1), op, dst, false, 0);
	} else {
		x86_rm(b, f, X86_OP1(0xc1), op, dst, false, 0);
		x86_b(b, count);
	}
}

void x86_shift_cl(struct jit_buf *b, bool w64, enum x86_shift op, int dst)
{
	x86_rm(b, w64 ? X86_W : 0, X86_OP1(0xd3), op, dst, false, 0);
}

void x86_push(struct jit_buf *b, int reg)
{
	if (reg & 8)
		x86_b(b, 0x41);
	x86_b(b, (uint8_t)(0x50 | (reg & 7)));
}

void x86_pop(struct jit_buf *b, int reg)
{
	if (reg & 8)
		x86_b(b, 0x41);
	x86_b(b, (uint8_t)(0x58 | (reg & 7)));
}
