/* SPDX-License-Identifier: MIT */
/*
 * tnum.c - tristate numbers: which bits of a 64-bit value are known.
 *
 * A tnum (value; mask) stands for every x with x & ~mask == value: bits set
 * in mask are unknown, the others are value's. The scalar domain (scalar.c)
 * pairs one with intervals; this file only knows bits. Arithmetic follows
 * the usual carry reasoning: the unknown bits of a sum are those that an
 * unknown input bit or an uncertain carry can reach.
 */
#include <inttypes.h>
#include <stdio.h>

#include "scalar.h"

struct tnum tnum_const(uint64_t v)
{
	return (struct tnum){ .value = v, .mask = 0 };
}

struct tnum tnum_unknown(void)
{
	return (struct tnum){ .value = 0, .mask = ~0ULL };
}

struct tnum tnum_range(uint64_t min, uint64_t max)
{
	uint64_t diff = min ^ max;
	int bits;

	if (!diff)
		return tnum_const(min);
	/* Bits below the highest differing one can take any value. */
	bits = 64 - __builtin_clzll(diff);
	if (bits >= 64)
		return tnum_unknown();
	uint64_t m = (1ULL << bits) - 1;
	return (struct tnum){ .value = min & ~m, .mask = m };
}

struct tnum tnum_add(struct tnum a, struct tnum b)
{
	uint64_t sm = a.mask + b.mask, sv = a.value + b.value;
	uint64_t sigma = sm + sv, chi = sigma ^ sv;
	uint64_t mu = chi | a.mask | b.mask;

	return (struct tnum){ .value = sv & ~mu, .mask = mu };
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	uint64_t dv = a.value - b.value;
	uint64_t alpha = dv + a.mask, beta = dv - b.mask;
	uint64_t chi = alpha ^ beta, mu = chi | a.mask | b.mask;

	return (struct tnum){ .value = dv & ~mu, .mask = mu };
}

struct tnum tnum_neg(struct tnum a)
{
	return tnum_sub(tnum_const(0), a);
}

struct tnum tnum_and(struct tnum a, struct tnum b)
{
	uint64_t alpha = a.value | a.mask, beta = b.value | b.mask, v = a.value & b.value;

	return (struct tnum){ .value = v, .mask = alpha & beta & ~v };
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value, mu = a.mask | b.mask;

	return (struct tnum){ .value = v, .mask = mu & ~v };
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	uint64_t v = a.value ^ b.value, mu = a.mask | b.mask;

	return (struct tnum){ .value = v & ~mu, .mask = mu };
}

/*
 * Long multiplication: for each bit of a, add b shifted when the bit is
 * known 1, or accumulate b's possible bits as unknown when it is unknown.
 */
struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	struct tnum acc_v = tnum_const(a.value * b.value);
	struct tnum acc_m = tnum_const(0);

	while (a.value || a.mask) {
		if (a.value & 1)
			acc_m = tnum_add(acc_m, (struct tnum){ .value = 0, .mask = b.mask });
		else if (a.mask & 1)
			acc_m = tnum_add(acc_m, (struct tnum){ .value = 0, .mask = b.value | b.mask });
		a = tnum_rshift(a, 1);
		b = tnum_lshift(b, 1);
	}
	return tnum_add(acc_v, acc_m);
}

struct tnum tnum_lshift(struct tnum a, uint8_t shift)
{
	shift &= 63;
	return (struct tnum){ .value = a.value << shift, .mask = a.mask << shift };
}

struct tnum tnum_rshift(struct tnum a, uint8_t shift)
{
	shift &= 63;
	return (struct tnum){ .value = a.value >> shift, .mask = a.mask >> shift };
}

/* An unknown sign bit leaves every bit it is copied into unknown: shift the mask arithmetically too. */
struct tnum tnum_arshift(struct tnum a, uint8_t shift, uint8_t insn_bitness)
{
	if (insn_bitness == 32) {
		shift &= 31;
		return (struct tnum){ .value = (uint32_t)((int32_t)(uint32_t)a.value >> shift),
				      .mask = (uint32_t)((int32_t)(uint32_t)a.mask >> shift) };
	}
	shift &= 63;
	return (struct tnum){ .value = (uint64_t)((int64_t)a.value >> shift),
			      .mask = (uint64_t)((int64_t)a.mask >> shift) };
}

struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value, mu = a.mask & b.mask;

	return (struct tnum){ .value = v & ~mu, .mask = mu };
}

struct tnum tnum_cast(struct tnum a, uint8_t size)
{
	if (size >= 8)
		return a;
	uint64_t m = (1ULL << (size * 8)) - 1;
	return (struct tnum){ .value = a.value & m, .mask = a.mask & m };
}

struct tnum tnum_subreg(struct tnum a)
{
	return tnum_cast(a, 4);
}

struct tnum tnum_clear_subreg(struct tnum a)
{
	return tnum_lshift(tnum_rshift(a, 32), 32);
}

struct tnum tnum_with_subreg(struct tnum reg, struct tnum subreg)
{
	return tnum_or(tnum_clear_subreg(reg), tnum_subreg(subreg));
}

struct tnum tnum_const_subreg(struct tnum a, uint32_t v)
{
	return tnum_with_subreg(a, tnum_const(v));
}

bool tnum_is_const(struct tnum a)
{
	return !a.mask;
}

bool tnum_equals_const(struct tnum a, uint64_t v)
{
	return !a.mask && a.value == v;
}

bool tnum_is_unknown(struct tnum a)
{
	return !~a.mask;
}

bool tnum_in(struct tnum a, struct tnum b)
{
	if (b.mask & ~a.mask)
		return false;
	return (b.value & ~a.mask) == a.value;
}

bool tnum_is_aligned(struct tnum a, uint64_t size)
{
	if (!size)
		return true;
	return !((a.value | a.mask) & (size - 1));
}

int tnum_sprint(char *buf, size_t size, struct tnum a)
{
	if (!a.mask)
		return snprintf(buf, size, "%" PRIu64, a.value);
	return snprintf(buf, size, "(0x%" PRIx64 "; 0x%" PRIx64 ")", a.value, a.mask);
}
