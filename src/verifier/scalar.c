/* SPDX-License-Identifier: MIT */
/*
 * scalar.c - the verifier's abstract domain for numbers.
 *
 * Model: a struct vscalar holds a tnum (known bits) and four intervals,
 * [smin, smax] and [umin, umax] for the 64-bit value and the same pair for
 * its low 32 bits. A concrete x is a member when it matches the tnum and
 * lies in all four intervals. Each operation computes a sound result in
 * each representation it can reason about (interval arithmetic with
 * overflow checks done in 128 bits, tnum bit arithmetic) and then sc_sync
 * lets them sharpen each other: known bits bound the ranges, a signed range
 * that does not cross the sign boundary is also the unsigned one and back,
 * 64-bit ranges whose upper halves agree bound the 32-bit ones and back,
 * and the ranges bound the tnum. Operations are written once over a width
 * (32 or 64) so the ALU32 forms reuse them on the subregister, whose result
 * is then zero-extended. Branch refinement narrows the intervals of both
 * sides and reports a contradiction when a range becomes empty.
 * Shifts use the count modulo the width and division follows BPF (x/0 = 0,
 * x%0 = x, INT_MIN/-1 = INT_MIN, INT_MIN%-1 = 0), as src/vm/interp.c does.
 */
#include <inttypes.h>
#include <stdio.h>

#include "../isa/opcodes.h"
#include "scalar.h"

typedef __int128 i128;

/* One view of a value at a width: unsigned and signed interval plus bits. */
struct bnd {
	uint64_t umin, umax;
	int64_t smin, smax;
	struct tnum t;
};

static uint64_t umax_w(int w)
{
	return w == 64 ? ~0ULL : 0xffffffffULL;
}

static int64_t smin_w(int w)
{
	return w == 64 ? INT64_MIN : INT32_MIN;
}

static int64_t smax_w(int w)
{
	return w == 64 ? INT64_MAX : INT32_MAX;
}

static void bnd_unknown(struct bnd *r, int w)
{
	r->umin = 0;
	r->umax = umax_w(w);
	r->smin = smin_w(w);
	r->smax = smax_w(w);
	r->t = w == 64 ? tnum_unknown() : tnum_range(0, 0xffffffffULL);
}

static void bnd_get(const struct vscalar *s, int w, struct bnd *b)
{
	if (w == 64) {
		*b = (struct bnd){ s->umin, s->umax, s->smin, s->smax, s->var_off };
		return;
	}
	*b = (struct bnd){ s->u32_min, s->u32_max, s->s32_min, s->s32_max, tnum_subreg(s->var_off) };
}

/* Sign-reinterpret an unsigned value of width @w. */
static int64_t as_signed(uint64_t v, int w)
{
	return w == 64 ? (int64_t)v : (int64_t)(int32_t)(uint32_t)v;
}

static uint64_t as_unsigned(int64_t v, int w)
{
	return w == 64 ? (uint64_t)v : (uint64_t)(uint32_t)v;
}

static bool bnd_is_const(const struct bnd *b)
{
	return tnum_is_const(b->t) || b->umin == b->umax;
}

static uint64_t bnd_const(const struct bnd *b)
{
	return tnum_is_const(b->t) ? b->t.value : b->umin;
}

void sc_unknown(struct vscalar *s)
{
	*s = (struct vscalar){ .var_off = tnum_unknown(), .smin = INT64_MIN, .smax = INT64_MAX,
			       .umin = 0, .umax = ~0ULL, .s32_min = INT32_MIN, .s32_max = INT32_MAX,
			       .u32_min = 0, .u32_max = UINT32_MAX };
}

void sc_const(struct vscalar *s, uint64_t v)
{
	s->var_off = tnum_const(v);
	s->smin = s->smax = (int64_t)v;
	s->umin = s->umax = v;
	s->s32_min = s->s32_max = (int32_t)(uint32_t)v;
	s->u32_min = s->u32_max = (uint32_t)v;
}

void sc_const32(struct vscalar *s, uint32_t v)
{
	sc_const(s, v);
}

bool sc_is_const(const struct vscalar *s)
{
	return tnum_is_const(s->var_off);
}

uint64_t sc_value(const struct vscalar *s)
{
	return s->var_off.value;
}

/* Known bits bound every range. */
static void sync_from_tnum(struct vscalar *s)
{
	struct tnum t = s->var_off, t32 = tnum_subreg(t);
	uint64_t sign = 1ULL << 63;
	int64_t lo, hi;

	if (s->umin < t.value)
		s->umin = t.value;
	if (s->umax > (t.value | t.mask))
		s->umax = t.value | t.mask;
	lo = (int64_t)(t.value | (t.mask & sign));
	hi = (int64_t)(t.value | (t.mask & ~sign));
	if (s->smin < lo)
		s->smin = lo;
	if (s->smax > hi)
		s->smax = hi;
	if (s->u32_min < t32.value)
		s->u32_min = (uint32_t)t32.value;
	if (s->u32_max > (t32.value | t32.mask))
		s->u32_max = (uint32_t)(t32.value | t32.mask);
	lo = (int32_t)(uint32_t)(t32.value | (t32.mask & 0x80000000ULL));
	hi = (int32_t)(uint32_t)(t32.value | (t32.mask & 0x7fffffffULL));
	if (s->s32_min < lo)
		s->s32_min = (int32_t)lo;
	if (s->s32_max > hi)
		s->s32_max = (int32_t)hi;
}

/* Signed and unsigned intervals agree when neither crosses its sign boundary. */
static void sync_signs(struct vscalar *s)
{
	if ((((int64_t)s->umin >= 0) == ((int64_t)s->umax >= 0)) && s->umin <= s->umax) {
		if (s->smin < (int64_t)s->umin)
			s->smin = (int64_t)s->umin;
		if (s->smax > (int64_t)s->umax)
			s->smax = (int64_t)s->umax;
	}
	if ((s->smin >= 0) == (s->smax >= 0) && s->smin <= s->smax) {
		if (s->umin < (uint64_t)s->smin)
			s->umin = (uint64_t)s->smin;
		if (s->umax > (uint64_t)s->smax)
			s->umax = (uint64_t)s->smax;
	}
	if (((int32_t)s->u32_min >= 0) == ((int32_t)s->u32_max >= 0) && s->u32_min <= s->u32_max) {
		if (s->s32_min < (int32_t)s->u32_min)
			s->s32_min = (int32_t)s->u32_min;
		if (s->s32_max > (int32_t)s->u32_max)
			s->s32_max = (int32_t)s->u32_max;
	}
	if ((s->s32_min >= 0) == (s->s32_max >= 0) && s->s32_min <= s->s32_max) {
		if (s->u32_min < (uint32_t)s->s32_min)
			s->u32_min = (uint32_t)s->s32_min;
		if (s->u32_max > (uint32_t)s->s32_max)
			s->u32_max = (uint32_t)s->s32_max;
	}
}

/*
 * Between 64 and 32 bits: when both ends of a 64-bit interval share their
 * upper half, the low halves run contiguously from one end to the other, so
 * they bound the subregister, and the subregister's interval, put under that
 * upper half, bounds the 64-bit one.
 */
static void sync_widths(struct vscalar *s)
{
	const uint64_t lo = 0xffffffffULL;

	if ((s->umin >> 32) == (s->umax >> 32) && s->umin <= s->umax) {
		uint64_t hi = s->umin & ~lo;

		if (s->u32_min < (uint32_t)s->umin)
			s->u32_min = (uint32_t)s->umin;
		if (s->u32_max > (uint32_t)s->umax)
			s->u32_max = (uint32_t)s->umax;
		if (s->umin < (hi | s->u32_min))
			s->umin = hi | s->u32_min;
		if (s->umax > (hi | s->u32_max))
			s->umax = hi | s->u32_max;
	}
	if (((uint64_t)s->smin >> 32) == ((uint64_t)s->smax >> 32) && s->smin <= s->smax) {
		uint64_t hi = (uint64_t)s->smin & ~lo;

		if (s->u32_min < (uint32_t)s->smin)
			s->u32_min = (uint32_t)s->smin;
		if (s->u32_max > (uint32_t)s->smax)
			s->u32_max = (uint32_t)s->smax;
		if (s->smin < (int64_t)(hi | s->u32_min))
			s->smin = (int64_t)(hi | s->u32_min);
		if (s->smax > (int64_t)(hi | s->u32_max))
			s->smax = (int64_t)(hi | s->u32_max);
	}
}

static void sync_tnum(struct vscalar *s)
{
	struct tnum r = tnum_range(s->umin, s->umax);
	struct tnum r32 = tnum_range(s->u32_min, s->u32_max);

	if (s->umin > s->umax || s->u32_min > s->u32_max)
		return;
	s->var_off = tnum_intersect(s->var_off, r);
	s->var_off = tnum_with_subreg(s->var_off, tnum_intersect(tnum_subreg(s->var_off), r32));
}

void sc_sync(struct vscalar *s)
{
	for (int i = 0; i < 3; i++) {
		sync_from_tnum(s);
		sync_signs(s);
		sync_widths(s);
		sync_signs(s);
		sync_tnum(s);
	}
}

/* Whether some representation is contradictory (no concrete member). */
static bool sc_empty(const struct vscalar *s)
{
	return s->umin > s->umax || s->smin > s->smax || s->u32_min > s->u32_max ||
	       s->s32_min > s->s32_max || (s->var_off.value & s->var_off.mask);
}

void sc_truncate(struct vscalar *s, uint8_t size)
{
	uint64_t m, umin, umax;
	int bits = size * 8;

	if (size >= 8)
		return;
	m = (1ULL << bits) - 1;
	if ((s->umin >> bits) == (s->umax >> bits)) {
		umin = s->umin & m;
		umax = s->umax & m;
	} else {
		umin = 0;
		umax = m;
	}
	if (size == 4 && umax - umin > (uint64_t)s->u32_max - s->u32_min) {
		umin = s->u32_min;
		umax = s->u32_max;
	}
	s->var_off = tnum_cast(s->var_off, size);
	s->umin = umin;
	s->umax = umax;
	s->smin = (int64_t)umin;
	s->smax = (int64_t)umax;
	if (size < 4) {
		s->u32_min = (uint32_t)umin;
		s->u32_max = (uint32_t)umax;
		s->s32_min = (int32_t)umin;
		s->s32_max = (int32_t)umax;
	}
	sc_sync(s);
}

void sc_zext32(struct vscalar *s)
{
	sc_truncate(s, 4);
}

void sc_unknown_size(struct vscalar *s, uint8_t size)
{
	sc_unknown(s);
	sc_truncate(s, size);
}

/* Sign-extend the low @bits of @s (already truncated to them) to 64 bits. */
static void sext_from(struct vscalar *s, int bits)
{
	uint64_t half = 1ULL << (bits - 1), full = half << 1;
	int64_t lo, hi;
	struct tnum t = s->var_off;

	if (s->umax < half) {
		lo = (int64_t)s->umin;
		hi = (int64_t)s->umax;
	} else if (s->umin >= half) {
		lo = (int64_t)s->umin - (int64_t)full;
		hi = (int64_t)s->umax - (int64_t)full;
	} else {
		lo = -(int64_t)half;
		hi = (int64_t)half - 1;
	}
	t = tnum_arshift(tnum_lshift(t, (uint8_t)(64 - bits)), (uint8_t)(64 - bits), 64);
	sc_unknown(s);
	s->var_off = t;
	s->smin = lo;
	s->smax = hi;
	sc_sync(s);
}

void sc_unknown_sext(struct vscalar *s, uint8_t size)
{
	sc_unknown_size(s, size);
	if (size < 8)
		sext_from(s, size * 8);
}

void sc_movsx(struct vscalar *dst, const struct vscalar *src, uint8_t bits, bool alu32)
{
	struct vscalar t = *src;

	sc_truncate(&t, bits / 8);
	if (bits < 64)
		sext_from(&t, bits);
	if (alu32)
		sc_zext32(&t);
	*dst = t;
}

/* The concrete operation, for constant folding; @w 32 or 64, values zero-extended. */
static uint64_t alu_exact(uint8_t op, bool sgn, uint64_t a, uint64_t b, int w)
{
	uint64_t m = umax_w(w), r;
	int sh = w - 1;

	a &= m;
	b &= m;
	switch (op) {
	case OPC_ADD: r = a + b; break;
	case OPC_SUB: r = a - b; break;
	case OPC_MUL: r = a * b; break;
	case OPC_OR: r = a | b; break;
	case OPC_AND: r = a & b; break;
	case OPC_XOR: r = a ^ b; break;
	case OPC_LSH: r = a << (b & sh); break;
	case OPC_RSH: r = a >> (b & sh); break;
	case OPC_ARSH: r = as_unsigned(as_signed(a, w) >> (b & sh), w); break;
	case OPC_DIV:
		if (!sgn) {
			r = b ? a / b : 0;
		} else if (!b) {
			r = 0;
		} else if (as_signed(b, w) == -1) {
			r = 0 - a;
		} else {
			r = as_unsigned(as_signed(a, w) / as_signed(b, w), w);
		}
		break;
	case OPC_MOD:
		if (!sgn) {
			r = b ? a % b : a;
		} else if (!b) {
			r = a;
		} else if (as_signed(b, w) == -1) {
			r = 0;
		} else {
			r = as_unsigned(as_signed(a, w) % as_signed(b, w), w);
		}
		break;
	default: r = 0; break;
	}
	return r & m;
}

static bool fits_u(i128 v, int w)
{
	return v >= 0 && v <= (i128)umax_w(w);
}

static bool fits_s(i128 v, int w)
{
	return v >= smin_w(w) && v <= smax_w(w);
}

static struct tnum tnum_join(struct tnum a, struct tnum b)
{
	uint64_t mu = a.mask | b.mask | (a.value ^ b.value);

	return (struct tnum){ .value = a.value & ~mu, .mask = mu };
}

/* Shift by a count in [cmin, cmax] (already below the width). */
static void shift_bnd(uint8_t op, const struct bnd *a, uint64_t cmin, uint64_t cmax, int w,
		      struct bnd *r)
{
	struct tnum t = { 0, 0 };

	for (uint64_t c = cmin; c <= cmax; c++) {
		struct tnum x;

		if (op == OPC_LSH)
			x = tnum_cast(tnum_lshift(a->t, (uint8_t)c), (uint8_t)(w / 8));
		else if (op == OPC_RSH)
			x = tnum_rshift(a->t, (uint8_t)c);
		else
			x = tnum_arshift(a->t, (uint8_t)c, (uint8_t)w);
		t = c == cmin ? x : tnum_join(t, x);
	}
	r->t = t;
	if (op == OPC_LSH) {
		if (cmax < 64 && (a->umax >> (w - 1 - cmax) >> 1) == 0) {
			r->umin = a->umin << cmin;
			r->umax = a->umax << cmax;
		}
	} else if (op == OPC_RSH) {
		r->umin = a->umin >> cmax;
		r->umax = a->umax >> cmin;
	} else {
		int64_t x1 = a->smin >> cmin, x2 = a->smin >> cmax;
		int64_t y1 = a->smax >> cmin, y2 = a->smax >> cmax;

		r->smin = x1 < x2 ? x1 : x2;
		r->smax = y1 > y2 ? y1 : y2;
	}
}

static uint64_t umin2(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* dst OP src at width @w on one view; r starts unknown and is narrowed. */
static void op_bnd(uint8_t op, bool sgn, const struct bnd *a, const struct bnd *b, int w,
		   struct bnd *r)
{
	uint8_t sz = (uint8_t)(w / 8);
	i128 lo, hi;

	bnd_unknown(r, w);
	if (bnd_is_const(a) && bnd_is_const(b)) {
		uint64_t v = alu_exact(op, sgn, bnd_const(a), bnd_const(b), w);

		*r = (struct bnd){ v, v, as_signed(v, w), as_signed(v, w), tnum_const(v) };
		return;
	}
	switch (op) {
	case OPC_ADD:
		r->t = tnum_cast(tnum_add(a->t, b->t), sz);
		lo = (i128)a->umin + b->umin;
		hi = (i128)a->umax + b->umax;
		if (fits_u(hi, w)) {
			r->umin = (uint64_t)lo;
			r->umax = (uint64_t)hi;
		}
		lo = (i128)a->smin + b->smin;
		hi = (i128)a->smax + b->smax;
		if (fits_s(lo, w) && fits_s(hi, w)) {
			r->smin = (int64_t)lo;
			r->smax = (int64_t)hi;
		}
		break;
	case OPC_SUB:
		r->t = tnum_cast(tnum_sub(a->t, b->t), sz);
		lo = (i128)a->umin - b->umax;
		hi = (i128)a->umax - b->umin;
		if (lo >= 0) {
			r->umin = (uint64_t)lo;
			r->umax = (uint64_t)hi;
		}
		lo = (i128)a->smin - b->smax;
		hi = (i128)a->smax - b->smin;
		if (fits_s(lo, w) && fits_s(hi, w)) {
			r->smin = (int64_t)lo;
			r->smax = (int64_t)hi;
		}
		break;
	case OPC_MUL: {
		r->t = tnum_cast(tnum_mul(a->t, b->t), sz);
		if (a->umax == 0 || b->umax <= umax_w(w) / a->umax) {
			r->umin = a->umin * b->umin;
			r->umax = a->umax * b->umax;
		}
		i128 p[4] = { (i128)a->smin * b->smin, (i128)a->smin * b->smax,
			      (i128)a->smax * b->smin, (i128)a->smax * b->smax };
		lo = hi = p[0];
		for (int i = 1; i < 4; i++) {
			lo = p[i] < lo ? p[i] : lo;
			hi = p[i] > hi ? p[i] : hi;
		}
		if (fits_s(lo, w) && fits_s(hi, w)) {
			r->smin = (int64_t)lo;
			r->smax = (int64_t)hi;
		}
		break;
	}
	case OPC_AND:
		r->t = tnum_and(a->t, b->t);
		r->umin = r->t.value;
		r->umax = umin2(a->umax, b->umax);
		if (a->smin >= 0 || b->smin >= 0) {
			r->smin = 0;
			r->smax = (int64_t)umin2(a->smin >= 0 ? (uint64_t)a->smax : ~0ULL,
						 b->smin >= 0 ? (uint64_t)b->smax : ~0ULL);
		}
		break;
	case OPC_OR:
		r->t = tnum_or(a->t, b->t);
		r->umin = a->umin > b->umin ? a->umin : b->umin;
		if (r->umin < r->t.value)
			r->umin = r->t.value;
		r->umax = r->t.value | r->t.mask;
		break;
	case OPC_XOR:
		r->t = tnum_xor(a->t, b->t);
		r->umin = r->t.value;
		r->umax = r->t.value | r->t.mask;
		break;
	case OPC_LSH:
	case OPC_RSH:
	case OPC_ARSH: {
		uint64_t cmin = 0, cmax = (uint64_t)w - 1;

		if (bnd_is_const(b))
			cmin = cmax = bnd_const(b) & (uint64_t)(w - 1);
		else if (b->umax < (uint64_t)w) {
			cmin = b->umin;
			cmax = b->umax;
		}
		shift_bnd(op, a, cmin, cmax, w, r);
		break;
	}
	case OPC_DIV:
		if (sgn) {
			/* |a / b| <= |a|, except INT_MIN / -1 which is INT_MIN. */
			if (a->smin > smin_w(w)) {
				int64_t m = -a->smin > a->smax ? -a->smin : a->smax;

				r->smin = -m;
				r->smax = m;
			}
			break;
		}
		r->umin = b->umin ? a->umin / b->umax : 0;
		r->umax = a->umax / (b->umin ? b->umin : 1);
		r->t = tnum_range(r->umin, r->umax);
		break;
	case OPC_MOD:
		if (sgn) {
			/* The sign of a and no larger than a; x % 0 = x; x % -1 = 0. */
			int64_t lo64 = a->smin < 0 ? a->smin : 0, hi64 = a->smax > 0 ? a->smax : 0;

			if (b->smin > 0 || b->smax < 0) {
				i128 mb = b->smin > 0 ? (i128)b->smax : -(i128)b->smin;

				if ((i128)lo64 < -(mb - 1))
					lo64 = (int64_t)-(mb - 1);
				if ((i128)hi64 > mb - 1)
					hi64 = (int64_t)(mb - 1);
			}
			r->smin = lo64;
			r->smax = hi64;
			break;
		}
		if (b->umin && a->umax < b->umin) {
			*r = *a;
			break;
		}
		r->umax = b->umin ? umin2(a->umax, b->umax - 1) : a->umax;
		r->t = tnum_range(0, r->umax);
		break;
	}
}

/* Write a width's result into @s: 64-bit, or the subregister zero-extended. */
static void bnd_put(struct vscalar *s, const struct bnd *r, int w)
{
	sc_unknown(s);
	if (w == 64) {
		s->var_off = r->t;
		s->umin = r->umin;
		s->umax = r->umax;
		s->smin = r->smin;
		s->smax = r->smax;
	} else {
		s->var_off = tnum_subreg(r->t);
		s->umin = s->u32_min = (uint32_t)r->umin;
		s->umax = s->u32_max = (uint32_t)r->umax;
		s->s32_min = (int32_t)r->smin;
		s->s32_max = (int32_t)r->smax;
		s->smin = (int64_t)s->umin;
		s->smax = (int64_t)s->umax;
	}
	sc_sync(s);
}

/* Whether the low 32 bits of the 64-bit result depend only on the inputs' low 32 bits. */
static bool low_half_closed(uint8_t op)
{
	return op == OPC_ADD || op == OPC_SUB || op == OPC_MUL || op == OPC_AND || op == OPC_OR ||
	       op == OPC_XOR;
}

static void alu(struct vscalar *dst, const struct vscalar *src, uint8_t op, bool sgn, bool alu32)
{
	struct bnd a, b, r, r32;
	struct vscalar out;

	if (alu32) {
		bnd_get(dst, 32, &a);
		bnd_get(src, 32, &b);
		op_bnd(op, sgn, &a, &b, 32, &r);
		bnd_put(dst, &r, 32);
		return;
	}
	bnd_get(dst, 64, &a);
	bnd_get(src, 64, &b);
	op_bnd(op, sgn, &a, &b, 64, &r);
	if (low_half_closed(op)) {
		bnd_get(dst, 32, &a);
		bnd_get(src, 32, &b);
		op_bnd(op, sgn, &a, &b, 32, &r32);
	}
	bnd_put(&out, &r, 64);
	if (low_half_closed(op)) {
		out.var_off = tnum_with_subreg(out.var_off,
					       tnum_intersect(tnum_subreg(out.var_off), r32.t));
		if (out.u32_min < r32.umin)
			out.u32_min = (uint32_t)r32.umin;
		if (out.u32_max > r32.umax)
			out.u32_max = (uint32_t)r32.umax;
		if (out.s32_min < r32.smin)
			out.s32_min = (int32_t)r32.smin;
		if (out.s32_max > r32.smax)
			out.s32_max = (int32_t)r32.smax;
		sc_sync(&out);
	}
	*dst = out;
}

void sc_alu(struct vscalar *dst, const struct vscalar *src, uint8_t op, bool alu32)
{
	alu(dst, src, op, false, alu32);
}

void sc_sdivmod(struct vscalar *dst, const struct vscalar *src, uint8_t op, bool alu32)
{
	alu(dst, src, op, true, alu32);
}

void sc_neg(struct vscalar *dst, bool alu32)
{
	struct vscalar zero;

	sc_const(&zero, 0);
	sc_alu(&zero, dst, OPC_SUB, alu32);
	*dst = zero;
}

static uint64_t swap_bits(uint64_t v, uint32_t bits)
{
	if (bits == 16)
		return __builtin_bswap16((uint16_t)v);
	if (bits == 32)
		return __builtin_bswap32((uint32_t)v);
	return __builtin_bswap64(v);
}

void sc_bswap(struct vscalar *dst, uint32_t bits, bool to_be)
{
	struct tnum t = dst->var_off;

	if (!to_be) {
		sc_truncate(dst, (uint8_t)(bits / 8));
		return;
	}
	sc_unknown(dst);
	dst->var_off = (struct tnum){ swap_bits(t.value, bits), swap_bits(t.mask, bits) };
	sc_sync(dst);
}

static bool bits_conflict(struct tnum a, struct tnum b)
{
	return (a.value ^ b.value) & ~a.mask & ~b.mask;
}

static int branch_bnd(const struct bnd *a, const struct bnd *b, uint8_t op)
{
	switch (op) {
	case OPC_JEQ:
		if (bnd_is_const(a) && bnd_is_const(b))
			return bnd_const(a) == bnd_const(b);
		if (a->umin > b->umax || b->umin > a->umax || a->smin > b->smax ||
		    b->smin > a->smax || bits_conflict(a->t, b->t))
			return 0;
		return -1;
	case OPC_JNE: {
		int r = branch_bnd(a, b, OPC_JEQ);

		return r < 0 ? r : !r;
	}
	case OPC_JGT: return a->umin > b->umax ? 1 : a->umax <= b->umin ? 0 : -1;
	case OPC_JGE: return a->umin >= b->umax ? 1 : a->umax < b->umin ? 0 : -1;
	case OPC_JLT: return a->umax < b->umin ? 1 : a->umin >= b->umax ? 0 : -1;
	case OPC_JLE: return a->umax <= b->umin ? 1 : a->umin > b->umax ? 0 : -1;
	case OPC_JSGT: return a->smin > b->smax ? 1 : a->smax <= b->smin ? 0 : -1;
	case OPC_JSGE: return a->smin >= b->smax ? 1 : a->smax < b->smin ? 0 : -1;
	case OPC_JSLT: return a->smax < b->smin ? 1 : a->smin >= b->smax ? 0 : -1;
	case OPC_JSLE: return a->smax <= b->smin ? 1 : a->smin > b->smax ? 0 : -1;
	case OPC_JSET:
		if (a->t.value & b->t.value)
			return 1;
		if (!((a->t.value | a->t.mask) & (b->t.value | b->t.mask)))
			return 0;
		return -1;
	}
	return -1;
}

int sc_branch(const struct vscalar *a, const struct vscalar *b, uint8_t op, bool jmp32)
{
	struct bnd x, y;
	int w = jmp32 ? 32 : 64;

	bnd_get(a, w, &x);
	bnd_get(b, w, &y);
	return branch_bnd(&x, &y, op);
}

static uint8_t negate_op(uint8_t op)
{
	switch (op) {
	case OPC_JEQ: return OPC_JNE;
	case OPC_JNE: return OPC_JEQ;
	case OPC_JGT: return OPC_JLE;
	case OPC_JLE: return OPC_JGT;
	case OPC_JGE: return OPC_JLT;
	case OPC_JLT: return OPC_JGE;
	case OPC_JSGT: return OPC_JSLE;
	case OPC_JSLE: return OPC_JSGT;
	case OPC_JSGE: return OPC_JSLT;
	case OPC_JSLT: return OPC_JSGE;
	}
	return op;
}

static void max_u(uint64_t *v, uint64_t x) { if (*v < x) *v = x; }
static void min_u(uint64_t *v, uint64_t x) { if (*v > x) *v = x; }
static void max_s(int64_t *v, int64_t x) { if (*v < x) *v = x; }
static void min_s(int64_t *v, int64_t x) { if (*v > x) *v = x; }

/* Drop a constant @c from the ends of @a's intervals (a != c). */
static void exclude_const(struct bnd *a, uint64_t c, int w)
{
	if (a->umin == c && a->umin < a->umax)
		a->umin++;
	else if (a->umax == c && a->umin < a->umax)
		a->umax--;
	if (a->smin == as_signed(c, w) && a->smin < a->smax)
		a->smin++;
	else if (a->smax == as_signed(c, w) && a->smin < a->smax)
		a->smax--;
}

/* a OP b holds: narrow both. Returns false when the relation cannot hold. */
static bool refine_bnd(struct bnd *a, struct bnd *b, uint8_t op, int w, bool jset_false)
{
	if (jset_false) {
		/* a & b == 0: bits known set in one are known clear in the other. */
		if (a->t.value & b->t.value)
			return false;
		a->t.mask &= ~b->t.value;
		b->t.mask &= ~a->t.value;
		return true;
	}
	if (branch_bnd(a, b, op) == 0)
		return false;
	switch (op) {
	case OPC_JEQ:
		if (bits_conflict(a->t, b->t))
			return false;
		max_u(&a->umin, b->umin);
		min_u(&a->umax, b->umax);
		max_s(&a->smin, b->smin);
		min_s(&a->smax, b->smax);
		a->t = tnum_intersect(a->t, b->t);
		*b = *a;
		break;
	case OPC_JNE:
		if (bnd_is_const(b))
			exclude_const(a, bnd_const(b), w);
		if (bnd_is_const(a))
			exclude_const(b, bnd_const(a), w);
		break;
	case OPC_JGT:
		max_u(&a->umin, b->umin + 1);
		min_u(&b->umax, a->umax - 1);
		break;
	case OPC_JGE:
		max_u(&a->umin, b->umin);
		min_u(&b->umax, a->umax);
		break;
	case OPC_JLT:
		return refine_bnd(b, a, OPC_JGT, w, false);
	case OPC_JLE:
		return refine_bnd(b, a, OPC_JGE, w, false);
	case OPC_JSGT:
		max_s(&a->smin, b->smin + 1);
		min_s(&b->smax, a->smax - 1);
		break;
	case OPC_JSGE:
		max_s(&a->smin, b->smin);
		min_s(&b->smax, a->smax);
		break;
	case OPC_JSLT:
		return refine_bnd(b, a, OPC_JSGT, w, false);
	case OPC_JSLE:
		return refine_bnd(b, a, OPC_JSGE, w, false);
	case OPC_JSET:
		/* Some bit of b is set in a: with a single possible bit, it is known. */
		if (bnd_is_const(b) && __builtin_popcountll(bnd_const(b)) == 1) {
			a->t.value |= bnd_const(b);
			a->t.mask &= ~bnd_const(b);
		}
		if (bnd_is_const(a) && __builtin_popcountll(bnd_const(a)) == 1) {
			b->t.value |= bnd_const(a);
			b->t.mask &= ~bnd_const(a);
		}
		break;
	}
	return true;
}

static void bnd_merge(struct vscalar *s, const struct bnd *r, int w)
{
	if (w == 64) {
		s->var_off = r->t;
		max_u(&s->umin, r->umin);
		min_u(&s->umax, r->umax);
		max_s(&s->smin, r->smin);
		min_s(&s->smax, r->smax);
	} else {
		s->var_off = tnum_with_subreg(s->var_off, r->t);
		if (s->u32_min < r->umin)
			s->u32_min = (uint32_t)r->umin;
		if (s->u32_max > r->umax)
			s->u32_max = (uint32_t)r->umax;
		if (s->s32_min < r->smin)
			s->s32_min = (int32_t)r->smin;
		if (s->s32_max > r->smax)
			s->s32_max = (int32_t)r->smax;
	}
}

bool sc_refine(struct vscalar *a, struct vscalar *b, uint8_t op, bool jmp32, bool taken)
{
	int w = jmp32 ? 32 : 64;
	bool jset_false = op == OPC_JSET && !taken;
	struct bnd x, y;

	if (!taken)
		op = negate_op(op);
	bnd_get(a, w, &x);
	bnd_get(b, w, &y);
	if (!refine_bnd(&x, &y, op, w, jset_false))
		return false;
	if ((x.t.value & x.t.mask) || (y.t.value & y.t.mask))
		return false;
	bnd_merge(a, &x, w);
	bnd_merge(b, &y, w);
	sc_sync(a);
	sc_sync(b);
	return !sc_empty(a) && !sc_empty(b);
}

bool sc_within(const struct vscalar *old, const struct vscalar *cur)
{
	return old->umin <= cur->umin && cur->umax <= old->umax && old->smin <= cur->smin &&
	       cur->smax <= old->smax && old->u32_min <= cur->u32_min &&
	       cur->u32_max <= old->u32_max && old->s32_min <= cur->s32_min &&
	       cur->s32_max <= old->s32_max && tnum_in(old->var_off, cur->var_off);
}

bool sc_equal(const struct vscalar *a, const struct vscalar *b)
{
	return sc_within(a, b) && sc_within(b, a);
}

int sc_sprint(char *buf, size_t size, const struct vscalar *s)
{
	size_t n = 0;
	int len = 0;
	const char *sep = "";

#define EMIT(...)                                                              \
	do {                                                                   \
		int k_ = snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__); \
		len += k_;                                                     \
		n = (size_t)len < size ? (size_t)len : size;                   \
		sep = ",";                                                     \
	} while (0)

	if (size)
		buf[0] = 0;
	if (sc_is_const(s))
		return snprintf(buf, size, "%" PRId64, (int64_t)s->var_off.value);
	if (s->smin != INT64_MIN)
		EMIT("%ssmin=%" PRId64, sep, s->smin);
	if (s->smax != INT64_MAX)
		EMIT("%ssmax=%" PRId64, sep, s->smax);
	if (s->umin)
		EMIT("%sumin=%" PRIu64, sep, s->umin);
	if (s->umax != ~0ULL)
		EMIT("%sumax=%" PRIu64, sep, s->umax);
	if (s->s32_min != INT32_MIN && s->s32_min != s->smin)
		EMIT("%ssmin32=%" PRId32, sep, s->s32_min);
	if (s->s32_max != INT32_MAX && s->s32_max != s->smax)
		EMIT("%ssmax32=%" PRId32, sep, s->s32_max);
	if (s->u32_min && s->u32_min != s->umin)
		EMIT("%sumin32=%" PRIu32, sep, s->u32_min);
	if (s->u32_max != UINT32_MAX && s->u32_max != s->umax)
		EMIT("%sumax32=%" PRIu32, sep, s->u32_max);
	if (!tnum_is_unknown(s->var_off)) {
		char t[48];

		tnum_sprint(t, sizeof(t), s->var_off);
		EMIT("%svar_off=%s", sep, t);
	}
#undef EMIT
	return len;
}
