/* SPDX-License-Identifier: MIT */
/*
 * asm.c - the assembler: bpf_conformance assembly text to instruction slots.
 *
 * The syntax is the one the conformance suite's `.data` files use
 * (../shared/conformance/README.md, section 2): `mov %r0, 1`,
 * `ldxdw %r0, [%r1+8]`, `jne %r1, 0, fail`, `lock fetch add [%r10-8], %r1`,
 * `call local func1`, `lddw %r0, 0x1122334455667788`. It is what the test
 * runner, the `structops asm` command and hand-written unit tests feed to the
 * engine; the disassembler (disasm.c) goes the other way, in kernel syntax.
 *
 * Assembly is two passes over one private copy of the text: the first encodes
 * every statement and remembers label definitions and the label uses it could
 * not resolve yet (forward jumps); the second patches those uses. Nothing is
 * kept between calls, so the function is thread-safe.
 *
 * Leniencies beyond the upstream syntax, all harmless: `#` comments anywhere,
 * `label: insn` on one line, registers with or without `%`, spaces inside a
 * memory operand (`[%r1 + 8]`), commas with or without a following space.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <structops/asm.h>

#include "opcodes.h"
#include "../util/grow.h"
#include "../util/hex.h"

/* A statement has a mnemonic plus at most this many words (`lock fetch add M, R`). */
#define MAX_TOKENS 6

/* Longest mnemonic we bother to look at; anything longer is unknown anyway. */
#define MAX_MNEMONIC 16

/* How much of a user token an error message quotes. */
#define QUOTE "%.40s"

struct label {
	const char *name; /* points into the private copy of the text */
	size_t idx;       /* slot the label names */
	size_t line;
};

/* A label use waiting for pass two. */
struct fixup {
	const char *name;
	size_t idx;  /* slot of the jump or call */
	size_t line;
	bool in_imm; /* distance goes to imm (ja32, call local), else to off */
};

struct asm_ctx {
	struct sops_insn *insns;
	size_t cnt, cap;
	struct label *labels;
	size_t label_cnt, label_cap;
	struct fixup *fixups;
	size_t fixup_cnt, fixup_cap;
	/* The first `exit` also defines the label `exit`, unless one is written. */
	bool have_exit;
	size_t first_exit;
	size_t line;
	char *errbuf;
	size_t errbuf_size;
};

__attribute__((format(printf, 2, 3))) static int asm_err(struct asm_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!ctx->errbuf || !ctx->errbuf_size)
		return -EINVAL;
	if (ctx->line)
		n = snprintf(ctx->errbuf, ctx->errbuf_size, "line %zu: ", ctx->line);
	if (n < 0 || (size_t)n >= ctx->errbuf_size)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ctx->errbuf + n, ctx->errbuf_size - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int asm_nomem(struct asm_ctx *ctx)
{
	asm_err(ctx, "out of memory");
	return -ENOMEM;
}

/* Append one slot to the program being built. */
static int emit(struct asm_ctx *ctx, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
		int32_t imm)
{
	struct sops_insn *insn;

	if (util_grow((void **)&ctx->insns, &ctx->cap, ctx->cnt, 1, sizeof(*ctx->insns)))
		return asm_nomem(ctx);
	insn = &ctx->insns[ctx->cnt++];
	memset(insn, 0, sizeof(*insn));
	insn->code = code;
	insn->dst_reg = dst;
	insn->src_reg = src;
	insn->off = off;
	insn->imm = imm;
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_label_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
}

static bool is_label_char(char c)
{
	return is_label_start(c) || is_digit(c);
}

static bool valid_label(const char *s)
{
	if (!is_label_start(*s))
		return false;
	while (*++s)
		if (!is_label_char(*s))
			return false;
	return true;
}

/*
 * Parse a whole token as [+-](decimal | 0x hex) into a sign and a 64-bit
 * magnitude. Our own loop rather than strtoull: that one skips spaces, takes
 * a second sign and saturates silently, and each of those would let garbage in.
 */
static int parse_number(const char *s, bool *neg, uint64_t *mag)
{
	uint64_t v = 0;
	int base = 10, d;

	*neg = false;
	if (*s == '-' || *s == '+')
		*neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		d = hex_digit_value(*s);
		if (d < 0 || d >= base)
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	*mag = v;
	return 0;
}

/* A 32-bit immediate: -2^31 .. 2^32-1, stored as its 32-bit pattern. */
static int parse_imm32(struct asm_ctx *ctx, const char *s, int32_t *imm)
{
	uint64_t mag;
	bool neg;

	if (parse_number(s, &neg, &mag))
		return asm_err(ctx, "bad immediate '" QUOTE "'", s);
	if ((neg && mag > 0x80000000ull) || (!neg && mag > 0xffffffffull))
		return asm_err(ctx, "immediate '" QUOTE "' out of 32-bit range", s);
	*imm = (int32_t)(uint32_t)(neg ? -mag : mag);
	return 0;
}

/* A 64-bit immediate (lddw): -2^63 .. 2^64-1. */
static int parse_imm64(struct asm_ctx *ctx, const char *s, uint64_t *imm)
{
	uint64_t mag;
	bool neg;

	if (parse_number(s, &neg, &mag))
		return asm_err(ctx, "bad 64-bit immediate '" QUOTE "'", s);
	if (neg && mag > 0x8000000000000000ull)
		return asm_err(ctx, "immediate '" QUOTE "' out of 64-bit range", s);
	*imm = neg ? -mag : mag;
	return 0;
}

/*
 * A signed 16-bit offset. Hex is taken as a bit pattern (0x0..0xffff) when
 * unsigned, decimal as a value; a minus sign negates either.
 */
static int parse_off16(struct asm_ctx *ctx, const char *s, int16_t *off)
{
	bool neg, hex;
	uint64_t mag;

	if (parse_number(s, &neg, &mag))
		return asm_err(ctx, "bad offset '" QUOTE "'", s);
	hex = strchr(s, 'x') || strchr(s, 'X');
	if (neg ? mag > 0x8000 : mag > (hex ? 0xffffu : 0x7fffu))
		return asm_err(ctx, "offset '" QUOTE "' out of 16-bit range", s);
	*off = (int16_t)(uint16_t)(neg ? -mag : mag);
	return 0;
}

/* Parse `%rN` (or `rN`), N in 0..10, without leading zeros. Returns N or -1. */
static int reg_num(const char *s)
{
	if (*s == '%')
		s++;
	if (*s++ != 'r' || !is_digit(s[0]))
		return -1;
	if (!s[1])
		return s[0] - '0';
	if (s[0] == '1' && s[1] == '0' && !s[2])
		return 10;
	return -1;
}

/* An operand meant as a register (so a bad one is reported as a bad register). */
static bool looks_like_reg(const char *s)
{
	return *s == '%' || reg_num(s) >= 0;
}

static int parse_reg(struct asm_ctx *ctx, const char *s, uint8_t *reg)
{
	int r = reg_num(s);

	if (r < 0)
		return asm_err(ctx, "bad register '" QUOTE "' (expected %%r0..%%r10)", s);
	*reg = r;
	return 0;
}

/* A memory operand `[%rN]`, `[%rN+OFF]` or `[%rN-OFF]` (spaces already removed). */
static int parse_mem(struct asm_ctx *ctx, char *s, uint8_t *reg, int16_t *off)
{
	size_t len = strlen(s);
	char *sign, save;
	int err;

	if (len < 2 || s[0] != '[' || s[len - 1] != ']')
		return asm_err(ctx, "bad memory operand '" QUOTE "' (expected [%%rN+OFF])", s);
	s[len - 1] = '\0';
	s++;
	sign = strpbrk(s, "+-");
	*off = 0;
	if (sign) {
		/* Keep the sign with the number so that `-8` parses as -8. */
		save = *sign;
		*sign = '\0';
		err = parse_reg(ctx, s, reg);
		*sign = save;
		if (err)
			return err;
		if (!is_digit(sign[1]))
			return asm_err(ctx, "bad offset '" QUOTE "'", sign);
		return parse_off16(ctx, sign, off);
	}
	return parse_reg(ctx, s, reg);
}

/* Remember a label use for pass two. */
static int add_fixup(struct asm_ctx *ctx, const char *name, bool in_imm)
{
	struct fixup *f;

	if (util_grow((void **)&ctx->fixups, &ctx->fixup_cap, ctx->fixup_cnt, 1, sizeof(*f)))
		return asm_nomem(ctx);
	f = &ctx->fixups[ctx->fixup_cnt++];
	f->name = name;
	f->idx = ctx->cnt; /* the jump is the next slot emitted */
	f->line = ctx->line;
	f->in_imm = in_imm;
	return 0;
}

/*
 * A jump or call target: `+N`/`-N` (or a bare number), taken as the distance
 * from the next slot, or a label name resolved in pass two. @wide picks the
 * 32-bit imm field (ja32, call local) over the 16-bit off field.
 */
static int parse_target(struct asm_ctx *ctx, const char *s, bool wide, int32_t *dist)
{
	uint64_t mag;
	bool neg;

	*dist = 0;
	if (*s == '+' || *s == '-' || is_digit(*s)) {
		if (parse_number(s, &neg, &mag))
			return asm_err(ctx, "bad jump offset '" QUOTE "'", s);
		if (wide ? (neg ? mag > 0x80000000ull : mag > 0x7fffffffull)
			 : (neg ? mag > 0x8000 : mag > 0x7fff))
			return asm_err(ctx, "jump offset '" QUOTE "' out of %d-bit range", s,
				       wide ? 32 : 16);
		*dist = (int32_t)(neg ? -(int64_t)mag : (int64_t)mag);
		return 0;
	}
	if (!valid_label(s))
		return asm_err(ctx, "bad jump target '" QUOTE "'", s);
	return add_fixup(ctx, s, wide);
}

/* Split @base + optional `32`/`64` suffix; *@width is 32, 64, or 0 for none. */
static bool split_width(const char *mn, char *base, int *width)
{
	size_t len = strlen(mn);

	if (len >= MAX_MNEMONIC)
		return false;
	memcpy(base, mn, len + 1);
	*width = 0;
	if (len > 2 && (!strcmp(mn + len - 2, "32") || !strcmp(mn + len - 2, "64"))) {
		*width = mn[len - 2] == '3' ? 32 : 64;
		base[len - 2] = '\0';
	}
	return true;
}

static int want_operands(struct asm_ctx *ctx, const char *mn, int got, int want)
{
	if (got == want)
		return 0;
	return asm_err(ctx, "'%s' takes %d operand%s, got %d", mn, want, want == 1 ? "" : "s", got);
}

/* --- statement encoders; tok[0] is the mnemonic, tok[1..n-1] the operands --- */

struct alu_op {
	const char *name;
	uint8_t op;
	int16_t off; /* 1 selects the signed division (cpu v4) */
};

static const struct alu_op alu_ops[] = {
	{ "add", OPC_ADD, 0 }, { "sub", OPC_SUB, 0 },  { "mul", OPC_MUL, 0 },
	{ "div", OPC_DIV, 0 }, { "or", OPC_OR, 0 },    { "and", OPC_AND, 0 },
	{ "lsh", OPC_LSH, 0 }, { "rsh", OPC_RSH, 0 },  { "mod", OPC_MOD, 0 },
	{ "xor", OPC_XOR, 0 }, { "mov", OPC_MOV, 0 },  { "arsh", OPC_ARSH, 0 },
	{ "sdiv", OPC_DIV, 1 }, { "smod", OPC_MOD, 1 },
};

static int asm_alu(struct asm_ctx *ctx, char **tok, int n, const struct alu_op *op, int width)
{
	uint8_t cls = width == 32 ? OPC_ALU : OPC_ALU64;
	uint8_t dst, src;
	int32_t imm;
	int err;

	if ((err = want_operands(ctx, tok[0], n - 1, 2)) || (err = parse_reg(ctx, tok[1], &dst)))
		return err;
	if (looks_like_reg(tok[2])) {
		if ((err = parse_reg(ctx, tok[2], &src)))
			return err;
		return emit(ctx, cls | op->op | OPC_X, dst, src, op->off, 0);
	}
	if ((err = parse_imm32(ctx, tok[2], &imm)))
		return err;
	return emit(ctx, cls | op->op | OPC_K, dst, 0, op->off, imm);
}

static int asm_neg(struct asm_ctx *ctx, char **tok, int n, int width)
{
	uint8_t dst;
	int err;

	if ((err = want_operands(ctx, tok[0], n - 1, 1)) || (err = parse_reg(ctx, tok[1], &dst)))
		return err;
	return emit(ctx, (width == 32 ? OPC_ALU : OPC_ALU64) | OPC_NEG | OPC_K, dst, 0, 0, 0);
}

/* movsx<from><to>: a register move that sign-extends the low <from> bits (cpu v4). */
struct movsx_form {
	const char *name;
	uint8_t cls;
	int16_t off;
};

static const struct movsx_form movsx_forms[] = {
	{ "movsx832", OPC_ALU, 8 },	{ "movsx1632", OPC_ALU, 16 },
	{ "movsx864", OPC_ALU64, 8 },	{ "movsx1664", OPC_ALU64, 16 },
	{ "movsx3264", OPC_ALU64, 32 },
};

static int asm_movsx(struct asm_ctx *ctx, char **tok, int n, const struct movsx_form *f)
{
	uint8_t dst, src;
	int err;

	if ((err = want_operands(ctx, tok[0], n - 1, 2)) || (err = parse_reg(ctx, tok[1], &dst)) ||
	    (err = parse_reg(ctx, tok[2], &src)))
		return err;
	return emit(ctx, f->cls | OPC_MOV | OPC_X, dst, src, f->off, 0);
}

/* le16/be32/swap64/bswap16...: byte-order conversions, the width in imm. */
static int asm_endian(struct asm_ctx *ctx, char **tok, int n, uint8_t code, const char *bits)
{
	int32_t imm;
	uint8_t dst;
	int err;

	if (strcmp(bits, "16") && strcmp(bits, "32") && strcmp(bits, "64"))
		return asm_err(ctx, "unknown mnemonic '" QUOTE "'", tok[0]);
	imm = atoi(bits);
	if ((err = want_operands(ctx, tok[0], n - 1, 1)) || (err = parse_reg(ctx, tok[1], &dst)))
		return err;
	return emit(ctx, code, dst, 0, 0, imm);
}

static int asm_lddw(struct asm_ctx *ctx, char **tok, int n)
{
	uint64_t imm = 0;
	uint8_t dst;
	int err;

	if ((err = want_operands(ctx, tok[0], n - 1, 2)) || (err = parse_reg(ctx, tok[1], &dst)) ||
	    (err = parse_imm64(ctx, tok[2], &imm)))
		return err;
	if ((err = emit(ctx, OPC_LDDW, dst, 0, 0, (int32_t)(uint32_t)imm)))
		return err;
	return emit(ctx, 0, 0, 0, 0, (int32_t)(uint32_t)(imm >> 32));
}

enum mem_kind { MEM_LDX, MEM_ST, MEM_STX };

struct mem_form {
	const char *name;
	uint8_t code;
	enum mem_kind kind;
};

static const struct mem_form mem_forms[] = {
	{ "ldxb", OPC_LDX | OPC_MEM | OPC_B, MEM_LDX },
	{ "ldxh", OPC_LDX | OPC_MEM | OPC_H, MEM_LDX },
	{ "ldxw", OPC_LDX | OPC_MEM | OPC_W, MEM_LDX },
	{ "ldxdw", OPC_LDX | OPC_MEM | OPC_DW, MEM_LDX },
	{ "ldxsb", OPC_LDX | OPC_MEMSX | OPC_B, MEM_LDX },
	{ "ldxsh", OPC_LDX | OPC_MEMSX | OPC_H, MEM_LDX },
	{ "ldxsw", OPC_LDX | OPC_MEMSX | OPC_W, MEM_LDX },
	{ "stb", OPC_ST | OPC_MEM | OPC_B, MEM_ST },
	{ "sth", OPC_ST | OPC_MEM | OPC_H, MEM_ST },
	{ "stw", OPC_ST | OPC_MEM | OPC_W, MEM_ST },
	{ "stdw", OPC_ST | OPC_MEM | OPC_DW, MEM_ST },
	{ "stxb", OPC_STX | OPC_MEM | OPC_B, MEM_STX },
	{ "stxh", OPC_STX | OPC_MEM | OPC_H, MEM_STX },
	{ "stxw", OPC_STX | OPC_MEM | OPC_W, MEM_STX },
	{ "stxdw", OPC_STX | OPC_MEM | OPC_DW, MEM_STX },
};

static int asm_mem(struct asm_ctx *ctx, char **tok, int n, const struct mem_form *f)
{
	uint8_t dst, src = 0;
	int32_t imm = 0;
	int16_t off;
	int err;

	if ((err = want_operands(ctx, tok[0], n - 1, 2)))
		return err;
	switch (f->kind) {
	case MEM_LDX:
		if ((err = parse_reg(ctx, tok[1], &dst)) || (err = parse_mem(ctx, tok[2], &src, &off)))
			return err;
		break;
	case MEM_ST:
		if ((err = parse_mem(ctx, tok[1], &dst, &off)) || (err = parse_imm32(ctx, tok[2], &imm)))
			return err;
		break;
	default:
		if ((err = parse_mem(ctx, tok[1], &dst, &off)) || (err = parse_reg(ctx, tok[2], &src)))
			return err;
		break;
	}
	return emit(ctx, f->code, dst, src, off, imm);
}

/* `lock [fetch] add|or|and|xor[32] [dst+off], src`, `lock xchg|cmpxchg[32] ...`. */
static int asm_lock(struct asm_ctx *ctx, char **tok, int n)
{
	char base[MAX_MNEMONIC];
	int i = 1, width, err;
	bool fetch = false;
	int32_t imm = -1;
	uint8_t dst, src;
	int16_t off;

	if (i < n && !strcmp(tok[i], "fetch")) {
		fetch = true;
		i++;
	}
	if (i >= n)
		return asm_err(ctx, "'lock' needs an operation (add, or, and, xor, xchg, cmpxchg)");
	if (!split_width(tok[i], base, &width))
		return asm_err(ctx, "unknown atomic operation '" QUOTE "'", tok[i]);
	if (!strcmp(base, "add"))
		imm = OPC_ADD;
	else if (!strcmp(base, "or"))
		imm = OPC_OR;
	else if (!strcmp(base, "and"))
		imm = OPC_AND;
	else if (!strcmp(base, "xor"))
		imm = OPC_XOR;
	else if (!strcmp(base, "xchg"))
		imm = ATOMIC_XCHG; /* always fetches; a redundant `fetch` is fine */
	else if (!strcmp(base, "cmpxchg"))
		imm = ATOMIC_CMPXCHG;
	if (imm < 0)
		return asm_err(ctx, "unknown atomic operation '" QUOTE "'", tok[i]);
	if (fetch)
		imm |= ATOMIC_FETCH;
	i++;
	if (n - i != 2)
		return asm_err(ctx, "'lock' takes 2 operands after the operation, got %d", n - i);
	if ((err = parse_mem(ctx, tok[i], &dst, &off)) || (err = parse_reg(ctx, tok[i + 1], &src)))
		return err;
	return emit(ctx, OPC_STX | OPC_ATOMIC | (width == 32 ? OPC_W : OPC_DW), dst, src, off, imm);
}

static int asm_ja(struct asm_ctx *ctx, char **tok, int n, bool wide)
{
	int32_t dist;
	int err;

	if ((err = want_operands(ctx, tok[0], n - 1, 1)) || (err = parse_target(ctx, tok[1], wide, &dist)))
		return err;
	if (wide) /* gotol: the distance lives in imm (cpu v4) */
		return emit(ctx, OPC_JMP32 | OPC_JA, 0, 0, 0, dist);
	return emit(ctx, OPC_JMP | OPC_JA, 0, 0, (int16_t)dist, 0);
}

struct jmp_op {
	const char *name;
	uint8_t op;
};

static const struct jmp_op jmp_ops[] = {
	{ "jeq", OPC_JEQ },   { "jgt", OPC_JGT },   { "jge", OPC_JGE },   { "jset", OPC_JSET },
	{ "jne", OPC_JNE },   { "jsgt", OPC_JSGT }, { "jsge", OPC_JSGE }, { "jlt", OPC_JLT },
	{ "jle", OPC_JLE },   { "jslt", OPC_JSLT }, { "jsle", OPC_JSLE },
};

static int asm_jcc(struct asm_ctx *ctx, char **tok, int n, const struct jmp_op *op, int width)
{
	uint8_t cls = width == 32 ? OPC_JMP32 : OPC_JMP;
	uint8_t dst, src = 0, srcbit = OPC_K;
	int32_t imm = 0, dist;
	int err;

	if ((err = want_operands(ctx, tok[0], n - 1, 3)) || (err = parse_reg(ctx, tok[1], &dst)))
		return err;
	if (looks_like_reg(tok[2])) {
		if ((err = parse_reg(ctx, tok[2], &src)))
			return err;
		srcbit = OPC_X;
	} else if ((err = parse_imm32(ctx, tok[2], &imm))) {
		return err;
	}
	if ((err = parse_target(ctx, tok[3], false, &dist)))
		return err;
	return emit(ctx, cls | op->op | srcbit, dst, src, (int16_t)dist, imm);
}

/*
 * `call N`, `call helper N`: helper by id. `call local TARGET`: bpf-to-bpf
 * call, distance in imm. `call runtime N`: kfunc (src 2). `call %rX`,
 * `call helper %rX`: callx, the register in dst.
 */
static int asm_call(struct asm_ctx *ctx, char **tok, int n)
{
	const char *kind = n == 3 ? tok[1] : "helper";
	const char *arg = tok[n - 1];
	int32_t imm;
	uint8_t reg;
	int err;

	if (n != 2 && n != 3)
		return asm_err(ctx, "'call' takes a target: N, helper N, local LABEL, runtime N or %%rX");
	if (n == 2 && (!strcmp(arg, "helper") || !strcmp(arg, "local") || !strcmp(arg, "runtime")))
		return asm_err(ctx, "'call %s' needs a target", arg);
	if (!strcmp(kind, "local")) {
		if ((err = parse_target(ctx, arg, true, &imm)))
			return err;
		return emit(ctx, OPC_CALL_INSN, 0, SOPS_CALL_LOCAL, 0, imm);
	}
	if (!strcmp(kind, "helper")) {
		if (looks_like_reg(arg)) {
			if ((err = parse_reg(ctx, arg, &reg)))
				return err;
			return emit(ctx, OPC_CALLX_INSN, reg, 0, 0, 0);
		}
		if (valid_label(arg))
			return asm_err(ctx, "bad call target '" QUOTE "' (a bpf-to-bpf call is 'call local LABEL')", arg);
		if ((err = parse_imm32(ctx, arg, &imm)))
			return err;
		return emit(ctx, OPC_CALL_INSN, 0, SOPS_CALL_HELPER, 0, imm);
	}
	if (!strcmp(kind, "runtime")) {
		if ((err = parse_imm32(ctx, arg, &imm)))
			return err;
		return emit(ctx, OPC_CALL_INSN, 0, SOPS_CALL_KFUNC, 0, imm);
	}
	return asm_err(ctx, "unknown call kind '" QUOTE "' (expected helper, local or runtime)", kind);
}

static int asm_exit(struct asm_ctx *ctx, char **tok, int n)
{
	int err;

	if ((err = want_operands(ctx, tok[0], n - 1, 0)))
		return err;
	if (!ctx->have_exit) {
		ctx->have_exit = true;
		ctx->first_exit = ctx->cnt;
	}
	return emit(ctx, OPC_EXIT_INSN, 0, 0, 0, 0);
}

/* Find the encoder for the mnemonic in tok[0] and run it. */
static int asm_statement(struct asm_ctx *ctx, char **tok, int n)
{
	const char *mn = tok[0];
	char base[MAX_MNEMONIC];
	size_t i;
	int width;

	if (!strcmp(mn, "exit"))
		return asm_exit(ctx, tok, n);
	if (!strcmp(mn, "lddw"))
		return asm_lddw(ctx, tok, n);
	if (!strcmp(mn, "lock"))
		return asm_lock(ctx, tok, n);
	if (!strcmp(mn, "call"))
		return asm_call(ctx, tok, n);
	if (!strcmp(mn, "ja"))
		return asm_ja(ctx, tok, n, false);
	if (!strcmp(mn, "ja32"))
		return asm_ja(ctx, tok, n, true);
	for (i = 0; i < sizeof(mem_forms) / sizeof(mem_forms[0]); i++)
		if (!strcmp(mn, mem_forms[i].name))
			return asm_mem(ctx, tok, n, &mem_forms[i]);
	for (i = 0; i < sizeof(movsx_forms) / sizeof(movsx_forms[0]); i++)
		if (!strcmp(mn, movsx_forms[i].name))
			return asm_movsx(ctx, tok, n, &movsx_forms[i]);
	if (!strncmp(mn, "le", 2))
		return asm_endian(ctx, tok, n, OPC_ALU | OPC_END | OPC_TO_LE, mn + 2);
	if (!strncmp(mn, "be", 2))
		return asm_endian(ctx, tok, n, OPC_ALU | OPC_END | OPC_TO_BE, mn + 2);
	if (!strncmp(mn, "swap", 4))
		return asm_endian(ctx, tok, n, OPC_ALU64 | OPC_END | OPC_TO_LE, mn + 4);
	if (!strncmp(mn, "bswap", 5))
		return asm_endian(ctx, tok, n, OPC_ALU64 | OPC_END | OPC_TO_LE, mn + 5);

	if (!split_width(mn, base, &width))
		return asm_err(ctx, "unknown mnemonic '" QUOTE "'", mn);
	if (!strcmp(base, "neg"))
		return asm_neg(ctx, tok, n, width);
	for (i = 0; i < sizeof(alu_ops) / sizeof(alu_ops[0]); i++)
		if (!strcmp(base, alu_ops[i].name))
			return asm_alu(ctx, tok, n, &alu_ops[i], width);
	/* Jumps only have the 32 suffix; `jeq64` is not a thing. */
	if (width != 64)
		for (i = 0; i < sizeof(jmp_ops) / sizeof(jmp_ops[0]); i++)
			if (!strcmp(base, jmp_ops[i].name))
				return asm_jcc(ctx, tok, n, &jmp_ops[i], width);
	return asm_err(ctx, "unknown mnemonic '" QUOTE "'", mn);
}

/*
 * Split a statement into words in place: whitespace separates words, a comma
 * may follow any word but the last, and a bracketed memory operand is one word
 * with its inner spaces squeezed out.
 */
static int tokenize(struct asm_ctx *ctx, char *p, char **tok, int *ntok)
{
	bool after_comma = false;
	char *w, *end;
	int n = 0;

	for (;;) {
		while (is_space(*p))
			p++;
		if (!*p)
			break;
		if (*p == ',')
			return asm_err(ctx, "missing operand before ','");
		if (n == MAX_TOKENS)
			return asm_err(ctx, "too many operands");
		tok[n++] = p;
		if (*p == '[') {
			w = p;
			while (*p && *p != ']') {
				if (!is_space(*p))
					*w++ = *p;
				p++;
			}
			if (*p != ']')
				return asm_err(ctx, "missing ']' in memory operand");
			*w++ = *p++;
			if (*p && !is_space(*p) && *p != ',')
				return asm_err(ctx, "unexpected text after ']'");
			end = w;
		} else {
			while (*p && !is_space(*p) && *p != ',')
				p++;
			end = p;
		}
		while (is_space(*p))
			p++;
		after_comma = *p == ',';
		/* `mov , %r0`: a comma after the mnemonic means an operand is missing */
		if (after_comma && n == 1)
			return asm_err(ctx, "missing operand before ','");
		if (after_comma)
			p++;
		*end = '\0'; /* only after looking at what followed the word */
	}
	if (after_comma)
		return asm_err(ctx, "missing operand after ','");
	*ntok = n;
	return 0;
}

static int define_label(struct asm_ctx *ctx, const char *name)
{
	struct label *l;

	if (!valid_label(name))
		return asm_err(ctx, "bad label name '" QUOTE "'", name);
	if (util_grow((void **)&ctx->labels, &ctx->label_cap, ctx->label_cnt, 1, sizeof(*l)))
		return asm_nomem(ctx);
	l = &ctx->labels[ctx->label_cnt++];
	l->name = name;
	l->idx = ctx->cnt;
	l->line = ctx->line;
	return 0;
}

/* One line of source: drop the comment, take `label:` prefixes, encode the rest. */
static int asm_line(struct asm_ctx *ctx, char *line)
{
	char *tok[MAX_TOKENS], *p, *colon;
	int n = 0, err;

	if ((p = strchr(line, '#')))
		*p = '\0';
	for (;;) {
		while (is_space(*line))
			line++;
		/* A label is the first word ending in ':'. */
		for (p = line; *p && !is_space(*p) && *p != ':'; p++)
			;
		if (*p != ':')
			break;
		colon = p;
		*colon = '\0';
		if ((err = define_label(ctx, line)))
			return err;
		line = colon + 1;
	}
	if ((err = tokenize(ctx, line, tok, &n)))
		return err;
	if (!n)
		return 0;
	return asm_statement(ctx, tok, n);
}

static int cmp_label(const void *a, const void *b)
{
	const struct label *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static const struct label *find_label(const struct asm_ctx *ctx, const char *name)
{
	size_t lo = 0, hi = ctx->label_cnt, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, ctx->labels[mid].name);
		if (!c)
			return &ctx->labels[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Pass two: sort the labels (rejecting duplicates), then patch every use. */
static int resolve_labels(struct asm_ctx *ctx)
{
	const struct label *l;
	struct fixup *f;
	int64_t dist;
	size_t i, target;

	if (ctx->label_cnt > 1)
		qsort(ctx->labels, ctx->label_cnt, sizeof(*ctx->labels), cmp_label);
	for (i = 1; i < ctx->label_cnt; i++) {
		if (strcmp(ctx->labels[i - 1].name, ctx->labels[i].name))
			continue;
		ctx->line = ctx->labels[i].line;
		return asm_err(ctx, "label '" QUOTE "' already defined on line %zu",
			       ctx->labels[i].name, ctx->labels[i - 1].line);
	}
	for (i = 0; i < ctx->fixup_cnt; i++) {
		f = &ctx->fixups[i];
		ctx->line = f->line;
		l = find_label(ctx, f->name);
		if (l)
			target = l->idx;
		else if (!strcmp(f->name, "exit") && ctx->have_exit)
			target = ctx->first_exit;
		else
			return asm_err(ctx, "unknown label '" QUOTE "'", f->name);
		dist = (int64_t)target - (int64_t)f->idx - 1;
		if (f->in_imm) {
			if (dist < INT32_MIN || dist > INT32_MAX)
				return asm_err(ctx, "label '" QUOTE "' is out of 32-bit range", f->name);
			ctx->insns[f->idx].imm = (int32_t)dist;
		} else {
			if (dist < INT16_MIN || dist > INT16_MAX)
				return asm_err(ctx,
					       "label '" QUOTE "' is %lld slots away, out of 16-bit offset range",
					       f->name, (long long)dist);
			ctx->insns[f->idx].off = (int16_t)dist;
		}
	}
	return 0;
}

int sops_asm__parse(const char *text, struct sops_insn **insns, size_t *insn_cnt, char *errbuf,
		    size_t errbuf_size)
{
	struct asm_ctx ctx = { .errbuf = errbuf, .errbuf_size = errbuf_size };
	char *copy, *line, *nl;
	int err = 0;

	if (errbuf && errbuf_size)
		errbuf[0] = '\0';
	if (!text || !insns || !insn_cnt)
		return asm_err(&ctx, "no text or no output");
	copy = strdup(text);
	if (!copy)
		return asm_nomem(&ctx);
	for (line = copy; line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		ctx.line++;
		if ((err = asm_line(&ctx, line)))
			goto out;
	}
	ctx.line = 0;
	if (!ctx.cnt) {
		err = asm_err(&ctx, "no instructions");
		goto out;
	}
	err = resolve_labels(&ctx);
out:
	free(ctx.labels);
	free(ctx.fixups);
	free(copy);
	if (err) {
		free(ctx.insns);
		return err;
	}
	*insns = ctx.insns;
	*insn_cnt = ctx.cnt;
	return 0;
}
