/* SPDX-License-Identifier: MIT */
/*
 * inline.c - map lookups inlined at load time (the kernel's map_gen_lookup).
 *
 * A trusted program (verified, or loaded while the runtime trusts unverified
 * code) that calls bpf_map_lookup_elem on a map whose pointer is known at the
 * call gets the call replaced by the map type's own instruction sequence
 * (rt_map_ops.gen_lookup: for arrays a bounds check and address arithmetic,
 * for hash maps on the JIT the hash and the lock-free chain walk).
 * The engines then run plain instructions instead of a helper call and an
 * indirect call through the map's ops.
 *
 * The lddw that loads the map goes too when nothing else reads r1 before the
 * call, and a hit skips the program's own NULL test right after the call.
 *
 * The map is known when the last write of r1 before the call is an lddw of a
 * map (MAP_FD or MAP_IDX) in the same straight-line stretch: between the lddw
 * and the call no instruction writes r1 or jumps, and no jump, call or
 * callback lands (a landing point could bring another r1). Anything else is
 * left to the helper, which gives the same results.
 *
 * The rewrite keeps every other instruction and moves the targets of jumps,
 * bpf-to-bpf calls and lddw FUNC across each inserted sequence, and the
 * callback slots collected at load. A jump whose offset no longer fits (16
 * bits) leaves the program as it was. The caller's extra entry points
 * (callback slots) count as landing points and are moved too. prog->insns stays as loaded (program
 * info and the tag describe what the user gave); only the engines see the
 * rewritten copy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../isa/check.h"
#include "../isa/opcodes.h"
#include "../util/grow.h"
#include "rt_internal.h"

#define HELPER_MAP_LOOKUP_ELEM 1
#define MAX_WALK 64 /* instructions between the lddw and the call */

/* A stretch of old slots replaced by new ones: a call by its sequence, or a dead lddw by nothing. */
struct site {
	uint32_t at;   /* first old slot */
	uint32_t span; /* old slots replaced: 1 (call) or 2 (lddw) */
	uint32_t len;  /* new slots */
	uint32_t seq;  /* where they start in the sequence buffer */
};

/* Growable arrays of the rewrite: the sites and, back to back, their sequences. */
struct rewrite {
	struct site *sites;
	size_t site_cnt, site_cap;
	struct sops_insn *seqs;
	size_t seq_cnt, seq_cap;
};

/* The slot a jump, local call or lddw FUNC at @i leads to, or -1 when @in has none. */
static int64_t target_of(const struct sops_insn *in, uint32_t i)
{
	if (in->code == OPC_LDDW)
		return in->src_reg == SOPS_LD_IMM64_FUNC ? (int64_t)i + in->imm + 1 : -1;
	if (isa_is_local_call(in) || isa_is_jump(in))
		return isa_jump_target(in, i);
	return -1;
}

/* Whether @in (not an lddw) may change r1. */
static bool writes_r1(const struct sops_insn *in)
{
	switch (OPC_CLASS(in->code)) {
	case OPC_ALU:
	case OPC_ALU64:
	case OPC_LDX:
		return in->dst_reg == 1;
	case OPC_STX:
		/* Fetching atomics write their source register (cmpxchg: r0). */
		return OPC_MODE(in->code) == OPC_ATOMIC && in->src_reg == 1;
	case OPC_ST:
		return false;
	default:
		return true; /* legacy packet loads, jumps, calls, exit */
	}
}

/* Whether @in (not an lddw, not a jump: inside a straight-line stretch) may read r1. */
static bool reads_r1(const struct sops_insn *in)
{
	switch (OPC_CLASS(in->code)) {
	case OPC_ALU:
	case OPC_ALU64:
		return OPC_SRC(in->code) == OPC_X && in->src_reg == 1;
	case OPC_LDX:
		return in->src_reg == 1;
	case OPC_ST:
		return in->dst_reg == 1;
	case OPC_STX:
		return in->dst_reg == 1 || in->src_reg == 1;
	default:
		return true;
	}
}

/*
 * The map whose pointer r1 holds at the call in slot @at, or NULL; *@ld_at:
 * the slot of the lddw that loads it, and *@ld_dead: nothing between reads r1,
 * so the lddw only feeds the call (which clobbers r1) and can go with it.
 * @second[i]: slot i is the second half of an lddw; @landing[i]: something jumps to i.
 */
static struct rt_map *map_at_call(const struct sops_insn *insns, uint32_t at, const bool *second,
				  const bool *landing, rt_lddw_map_fn map_of, void *ctx, uint32_t *ld_at,
				  bool *ld_dead)
{
	uint32_t pos = at, walked = 0;
	bool read = false;

	while (pos > 0 && walked++ < MAX_WALK) {
		if (landing[pos])
			return NULL;
		pos--;
		if (second[pos]) {
			const struct sops_insn *ld = &insns[pos - 1];

			pos--;
			if (ld->dst_reg != 1)
				continue;
			if (ld->src_reg != SOPS_LD_IMM64_MAP_FD && ld->src_reg != SOPS_LD_IMM64_MAP_IDX)
				return NULL;
			*ld_at = pos;
			*ld_dead = !read;
			return map_of(ctx, ld);
		}
		if (writes_r1(&insns[pos]))
			return NULL;
		read |= reads_r1(&insns[pos]);
	}
	return NULL;
}

/*
 * Sequences end with "goto +1; r0 = 0", the null path landing on the last
 * slot. When the program tests the result right after (if r0 == 0 goto X),
 * stretch the goto over that test too: a hit then skips a compare it would
 * always fail.
 */
static void skip_null_test(struct sops_insn *seq, uint32_t len, const struct sops_insn *next, bool next_lands)
{
	struct sops_insn *ja, *zero;

	if (len < 2 || next_lands || next->code != (OPC_JMP | OPC_JEQ | OPC_K) || next->dst_reg != 0 ||
	    next->imm != 0)
		return;
	ja = &seq[len - 2];
	zero = &seq[len - 1];
	if (ja->code != (OPC_JMP | OPC_JA) || ja->off != 1 || zero->code != (OPC_ALU64 | OPC_MOV | OPC_K) ||
	    zero->dst_reg != 0 || zero->imm != 0)
		return;
	ja->off = 2;
}

/* Appends a site: 0 or -ENOMEM. */
static int site_add(struct rewrite *rw, uint32_t at, uint32_t span, uint32_t len, uint32_t seq)
{
	if (util_grow((void **)&rw->sites, &rw->site_cap, rw->site_cnt, 1, sizeof(*rw->sites)))
		return -ENOMEM;
	rw->sites[rw->site_cnt++] = (struct site){ .at = at, .span = span, .len = len, .seq = seq };
	return 0;
}

/* Moves the target of the jump-like instruction @out (old slot @i, new slot @ni). */
static int retarget(struct sops_insn *out, uint32_t i, uint32_t ni, int64_t target, const uint32_t *newpos)
{
	int64_t d = (int64_t)newpos[target] - (int64_t)ni - 1;

	if (out->code == OPC_LDDW || out->code == OPC_CALL_INSN || out->code == (OPC_JMP32 | OPC_JA)) {
		if (d < INT32_MIN || d > INT32_MAX)
			return -E2BIG;
		out->imm = (int32_t)d;
		return 0;
	}
	if (d < INT16_MIN || d > INT16_MAX)
		return -E2BIG;
	out->off = (int16_t)d;
	return 0;
}

int rt_inline_map_lookups(struct sops_prog *prog, const struct sops_insn *insns, uint32_t n,
			  rt_lddw_map_fn map_of, void *ctx, uint32_t *entries, uint32_t entry_cnt, bool jit,
			  struct sops_insn **out_insns, uint32_t *out_cnt)
{
	uint32_t lookups = 0;
	uint64_t new_len = n;
	struct rewrite rw = { 0 };
	bool *second = NULL, *landing = NULL;
	uint32_t *newpos = NULL;
	struct sops_insn *out = NULL;
	int err = -ENOMEM;

	*out_insns = NULL;
	*out_cnt = 0;
	second = calloc(n + 1, sizeof(*second));
	landing = calloc(n + 1, sizeof(*landing));
	newpos = calloc(n + 1, sizeof(*newpos));
	if (!second || !landing || !newpos)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		int64_t t = target_of(&insns[i], i);

		if (t >= 0 && t <= n)
			landing[t] = true;
		if (insns[i].code == OPC_LDDW && i + 1 < n) {
			second[i + 1] = true;
			i++;
		}
	}
	for (uint32_t c = 0; c < entry_cnt; c++)
		if (entries[c] <= n)
			landing[entries[c]] = true;

	for (uint32_t i = 0; i < n; i++) {
		const struct sops_insn *in = &insns[i];
		struct sops_insn *seq;
		struct rt_map *map;
		uint32_t ld_at = 0;
		bool ld_dead = false;
		int len;

		if (second[i] || in->code != OPC_CALL_INSN || in->src_reg != SOPS_CALL_HELPER ||
		    in->imm != HELPER_MAP_LOOKUP_ELEM)
			continue;
		map = map_at_call(insns, i, second, landing, map_of, ctx, &ld_at, &ld_dead);
		if (!map || !map->ops->gen_lookup)
			continue;
		if (util_grow((void **)&rw.seqs, &rw.seq_cap, rw.seq_cnt, RT_GEN_LOOKUP_MAX, sizeof(*rw.seqs)))
			goto out;
		seq = rw.seqs + rw.seq_cnt;
		len = map->ops->gen_lookup(map, seq, jit);
		if (len <= 0 || len > RT_GEN_LOOKUP_MAX)
			continue;
		if (i + 1 < n)
			skip_null_test(seq, (uint32_t)len, &insns[i + 1], landing[i + 1]);
		/* Sites stay in slot order: the lddw lies after the previous call. */
		if ((ld_dead && site_add(&rw, ld_at, 2, 0, 0)) || site_add(&rw, i, 1, (uint32_t)len, (uint32_t)rw.seq_cnt))
			goto out;
		rw.seq_cnt += (uint32_t)len;
		new_len += (uint64_t)len - 1;
		if (ld_dead)
			new_len -= 2;
		lookups++;
	}
	err = 0;
	if (!lookups || new_len > SOPS_VM_MAX_INSNS)
		goto out;

	/* Old slot -> new slot; newpos[n] is the new length. A dropped lddw maps to what follows it. */
	for (uint32_t i = 0, s = 0, pos = 0; i <= n; i++) {
		newpos[i] = pos;
		if (s < rw.site_cnt && rw.sites[s].at == i) {
			pos += rw.sites[s].len;
			for (uint32_t k = 1; k < rw.sites[s].span; k++)
				newpos[++i] = pos;
			s++;
			continue;
		}
		pos++;
	}
	out = malloc((size_t)newpos[n] * sizeof(*out));
	if (!out) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0, s = 0; i < n; i++) {
		struct sops_insn *o = &out[newpos[i]];
		int64_t t;

		if (s < rw.site_cnt && rw.sites[s].at == i) {
			memcpy(o, rw.seqs + rw.sites[s].seq, rw.sites[s].len * sizeof(*o));
			i += rw.sites[s].span - 1;
			s++;
			continue;
		}
		*o = insns[i];
		if (second[i])
			continue;
		t = target_of(&insns[i], i);
		if (t >= 0 && t <= n && retarget(o, i, newpos[i], t, newpos)) {
			/* Out of reach after the rewrite: keep the helper calls. */
			free(out);
			out = NULL;
			goto out;
		}
	}
	for (uint32_t c = 0; c < entry_cnt; c++)
		if (entries[c] <= n)
			entries[c] = newpos[entries[c]];
	*out_insns = out;
	*out_cnt = newpos[n];
	prog->inlined_lookups = lookups;
out:
	free(rw.sites);
	free(rw.seqs);
	free(newpos);
	free(landing);
	free(second);
	return err;
}
