/* TEMPORARY stub of the scalar domain: constants exact, everything else unknown. */
#include <stdio.h>
#include <string.h>

#include "../isa/opcodes.h"
#include "scalar.h"

struct tnum tnum_const(uint64_t v) { return (struct tnum){ v, 0 }; }
struct tnum tnum_unknown(void) { return (struct tnum){ 0, ~0ULL }; }
bool tnum_is_const(struct tnum a) { return !a.mask; }
bool tnum_is_aligned(struct tnum a, uint64_t size) { return !((a.value | a.mask) & (size - 1)); }
void sc_unknown(struct vscalar *s)
{
	s->var_off = tnum_unknown();
	s->smin = INT64_MIN; s->smax = INT64_MAX; s->umin = 0; s->umax = UINT64_MAX;
	s->s32_min = INT32_MIN; s->s32_max = INT32_MAX; s->u32_min = 0; s->u32_max = UINT32_MAX;
}
void sc_const(struct vscalar *s, uint64_t v)
{
	s->var_off = tnum_const(v);
	s->smin = s->smax = (int64_t)v; s->umin = s->umax = v;
	s->s32_min = s->s32_max = (int32_t)v; s->u32_min = s->u32_max = (uint32_t)v;
}
void sc_const32(struct vscalar *s, uint32_t v) { sc_const(s, v); }
bool sc_is_const(const struct vscalar *s) { return tnum_is_const(s->var_off); }
uint64_t sc_value(const struct vscalar *s) { return s->var_off.value; }
void sc_unknown_size(struct vscalar *s, uint8_t size)
{
	sc_unknown(s);
	if (size < 8) {
		s->umax = (1ULL << (size * 8)) - 1; s->smin = 0; s->smax = (int64_t)s->umax;
		s->var_off.mask = s->umax;
		if (size < 4) { s->u32_max = (uint32_t)s->umax; s->s32_min = 0; s->s32_max = (int32_t)s->umax; }
	}
}
void sc_unknown_sext(struct vscalar *s, uint8_t size) { sc_unknown(s); }
void sc_zext32(struct vscalar *s)
{
	if (sc_is_const(s)) sc_const(s, (uint32_t)sc_value(s)); else sc_unknown_size(s, 4);
}
void sc_truncate(struct vscalar *s, uint8_t size)
{
	if (size >= 8) return;
	if (sc_is_const(s)) sc_const(s, sc_value(s) & ((1ULL << (size * 8)) - 1)); else sc_unknown_size(s, size);
}
void sc_sync(struct vscalar *s) {}
static uint64_t cop(uint64_t a, uint64_t b, uint8_t op, bool alu32)
{
	unsigned sh = alu32 ? (b & 31) : (b & 63);
	if (alu32) { a = (uint32_t)a; b = (uint32_t)b; }
	switch (op) {
	case OPC_ADD: a += b; break; case OPC_SUB: a -= b; break; case OPC_MUL: a *= b; break;
	case OPC_DIV: a = b ? a / b : 0; break; case OPC_MOD: a = b ? a % b : a; break;
	case OPC_OR: a |= b; break; case OPC_AND: a &= b; break; case OPC_XOR: a ^= b; break;
	case OPC_LSH: a <<= sh; break; case OPC_RSH: a >>= sh; break;
	case OPC_ARSH: a = alu32 ? (uint32_t)((int32_t)a >> sh) : (uint64_t)((int64_t)a >> sh); break;
	}
	return alu32 ? (uint32_t)a : a;
}
void sc_alu(struct vscalar *d, const struct vscalar *s, uint8_t op, bool alu32)
{
	if (sc_is_const(d) && sc_is_const(s)) { sc_const(d, cop(sc_value(d), sc_value(s), op, alu32)); return; }
	if (op == OPC_AND && sc_is_const(s) && sc_value(s) < (1ULL << 40)) {
		uint64_t m = sc_value(s);
		sc_unknown(d); d->umax = m; d->smin = 0; d->smax = (int64_t)m; d->var_off.mask = m;
		if (m <= UINT32_MAX) { d->u32_max = (uint32_t)m; if (m <= INT32_MAX) { d->s32_min = 0; d->s32_max = (int32_t)m; } }
		return;
	}
	if (alu32) sc_unknown_size(d, 4); else sc_unknown(d);
}
void sc_sdivmod(struct vscalar *d, const struct vscalar *s, uint8_t op, bool alu32) { if (alu32) sc_unknown_size(d, 4); else sc_unknown(d); }
void sc_neg(struct vscalar *d, bool alu32) { if (sc_is_const(d)) sc_const(d, alu32 ? (uint32_t)-sc_value(d) : -sc_value(d)); else if (alu32) sc_unknown_size(d, 4); else sc_unknown(d); }
void sc_bswap(struct vscalar *d, uint32_t bits, bool to_be) { sc_unknown(d); }
void sc_movsx(struct vscalar *d, const struct vscalar *s, uint8_t bits, bool alu32) { sc_unknown(d); }
int sc_branch(const struct vscalar *a, const struct vscalar *b, uint8_t op, bool jmp32)
{
	uint64_t x, y;
	if (!sc_is_const(a) || !sc_is_const(b)) {
		if (!jmp32 && (op == OPC_JLT || op == OPC_JGE) && a->umax < b->umin) return op == OPC_JLT;
		if (!jmp32 && (op == OPC_JGT || op == OPC_JLE) && a->umax <= b->umin) return op == OPC_JLE;
		return -1;
	}
	x = sc_value(a); y = sc_value(b);
	if (jmp32) { x = (uint32_t)x; y = (uint32_t)y; }
	switch (op) {
	case OPC_JEQ: return x == y; case OPC_JNE: return x != y;
	case OPC_JGT: return x > y; case OPC_JGE: return x >= y; case OPC_JLT: return x < y; case OPC_JLE: return x <= y;
	case OPC_JSET: return !!(x & y);
	case OPC_JSGT: return jmp32 ? (int32_t)x > (int32_t)y : (int64_t)x > (int64_t)y;
	case OPC_JSGE: return jmp32 ? (int32_t)x >= (int32_t)y : (int64_t)x >= (int64_t)y;
	case OPC_JSLT: return jmp32 ? (int32_t)x < (int32_t)y : (int64_t)x < (int64_t)y;
	case OPC_JSLE: return jmp32 ? (int32_t)x <= (int32_t)y : (int64_t)x <= (int64_t)y;
	}
	return -1;
}
bool sc_refine(struct vscalar *a, struct vscalar *b, uint8_t op, bool jmp32, bool taken)
{
	int o = sc_branch(a, b, op, jmp32);
	if (o >= 0) return o == (int)taken;
	if (jmp32 || !sc_is_const(b)) return true;
	if ((op == OPC_JEQ && taken) || (op == OPC_JNE && !taken)) { sc_const(a, sc_value(b)); return true; }
	if (((op == OPC_JLT && taken) || (op == OPC_JGE && !taken)) && sc_value(b) > 0 && a->umax > sc_value(b) - 1) {
		uint64_t m = sc_value(b) - 1; a->umax = m; if (m <= INT64_MAX) { a->smin = 0; a->smax = (int64_t)m; }
		if (m <= UINT32_MAX) { a->u32_max = (uint32_t)m; a->u32_min = 0; } if (m <= INT32_MAX) { a->s32_min = 0; a->s32_max = (int32_t)m; }
		a->var_off = tnum_unknown(); return true;
	}
	if (((op == OPC_JLE && taken) || (op == OPC_JGT && !taken)) && a->umax > sc_value(b)) {
		uint64_t m = sc_value(b); a->umax = m; if (m <= INT64_MAX) { a->smin = 0; a->smax = (int64_t)m; }
		if (m <= UINT32_MAX) { a->u32_max = (uint32_t)m; a->u32_min = 0; } if (m <= INT32_MAX) { a->s32_min = 0; a->s32_max = (int32_t)m; }
		return true;
	}
	return true;
}
bool sc_within(const struct vscalar *o, const struct vscalar *c)
{
	if (sc_is_const(o)) return sc_is_const(c) && sc_value(o) == sc_value(c);
	return o->umin <= c->umin && o->umax >= c->umax && o->smin <= c->smin && o->smax >= c->smax &&
	       o->u32_min <= c->u32_min && o->u32_max >= c->u32_max && o->s32_min <= c->s32_min && o->s32_max >= c->s32_max &&
	       (o->var_off.mask == ~0ULL || (!(c->var_off.mask & ~o->var_off.mask) && ((c->var_off.value ^ o->var_off.value) & ~o->var_off.mask) == 0));
}
bool sc_equal(const struct vscalar *a, const struct vscalar *b) { return !memcmp(a, b, sizeof(*a)); }
int sc_sprint(char *buf, size_t size, const struct vscalar *s)
{
	if (sc_is_const(s)) return snprintf(buf, size, "%lld", (long long)sc_value(s));
	return snprintf(buf, size, "umin=%llu,umax=%llu", (unsigned long long)s->umin, (unsigned long long)s->umax);
}
