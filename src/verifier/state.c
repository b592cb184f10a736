/* SPDX-License-Identifier: MIT */
/*
 * state.c - verifier states: allocation and copies, the comparison that
 * prunes a path, and the explored-state lists kept at prune points.
 *
 * Pruning is sound when the state being explored is contained in a state
 * whose every continuation was already proven safe: a register the old state
 * never initialised was never read on the way (or that path would have
 * failed), a stack byte it never wrote likewise, a scalar range inside the
 * old range behaves as one of the old values, and pointers must be the same
 * kind with the same fixed offset and ids that correspond one to one.
 * Registers dead at the prune point (cfg.c's liveness) are not compared.
 *
 * A snapshot counts the paths through it that are still being explored
 * (branches); only complete snapshots (0) may prune. A path that reaches a
 * snapshot of its own ancestry in exactly the same state loops forever.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "verifier.h"

void vreg_init_not(struct vreg *r)
{
	memset(r, 0, sizeof(*r));
	sc_unknown(&r->v);
	r->type = V_NOT_INIT;
}

void vreg_scalar_unknown(struct vreg *r)
{
	memset(r, 0, sizeof(*r));
	r->type = V_SCALAR;
	sc_unknown(&r->v);
}

void vreg_scalar_const(struct vreg *r, uint64_t v)
{
	memset(r, 0, sizeof(*r));
	r->type = V_SCALAR;
	sc_const(&r->v, v);
}

bool vreg_is_ptr(const struct vreg *r)
{
	return r->type != V_NOT_INIT && r->type != V_SCALAR;
}

bool vreg_is_const(const struct vreg *r, uint64_t *v)
{
	if (r->type != V_SCALAR || !sc_is_const(&r->v))
		return false;
	if (v)
		*v = sc_value(&r->v);
	return true;
}

struct vframe *vframe_new(void)
{
	struct vframe *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	for (int i = 0; i < 11; i++)
		vreg_init_not(&f->regs[i]);
	return f;
}

struct vstate *vstate_new(void)
{
	return calloc(1, sizeof(struct vstate));
}

void vstate_clear(struct vstate *st)
{
	for (uint32_t i = 0; i < V_MAX_FRAMES; i++) {
		free(st->frame[i]);
		st->frame[i] = NULL;
	}
}

void vstate_free(struct vstate *st)
{
	if (!st)
		return;
	vstate_clear(st);
	free(st);
}

static size_t frame_bytes(const struct vframe *f, bool snap)
{
	size_t slots = snap ? ((size_t)f->depth + 7) / 8 : V_SLOTS;

	return offsetof(struct vframe, stack) + (slots > V_SLOTS ? V_SLOTS : slots) * sizeof(f->stack[0]);
}

/*
 * Full frames keep every slot from depth/8 on VS_INVALID, so a copy moves
 * only the slots in use and resets the ones the destination used beyond.
 */
static int copy_state(struct vstate *dst, const struct vstate *src, bool snap)
{
	struct vframe *keep[V_MAX_FRAMES];

	memcpy(keep, dst->frame, sizeof(keep));
	for (uint32_t i = 0; i < V_MAX_FRAMES; i++) {
		size_t from, to;

		if (i > src->curframe || !src->frame[i]) {
			free(keep[i]);
			keep[i] = NULL;
			continue;
		}
		if (!keep[i]) {
			/* A snapshot's frame is cut after its slots in use: smaller, and never read beyond. */
			keep[i] = snap ? malloc(frame_bytes(src->frame[i], true)) : calloc(1, sizeof(struct vframe));
			if (!keep[i]) {
				memcpy(dst->frame, keep, sizeof(keep));
				return -ENOMEM;
			}
		}
		from = ((size_t)src->frame[i]->depth + 7) / 8;
		to = snap ? from : ((size_t)keep[i]->depth + 7) / 8;
		memcpy(keep[i], src->frame[i], frame_bytes(src->frame[i], true));
		for (size_t k = from; k < to && k < V_SLOTS; k++)
			memset(keep[i]->stack[k].type, VS_INVALID, 8);
	}
	*dst = *src;
	memcpy(dst->frame, keep, sizeof(keep));
	return 0;
}

int vstate_copy(struct vstate *dst, const struct vstate *src)
{
	return copy_state(dst, src, false);
}

int vstate_copy_snap(struct vstate *dst, const struct vstate *src)
{
	return copy_state(dst, src, true);
}

/* --- comparison --- */

#define IDMAP_MAX (2 * V_MAX_REFS + 2 * 11 * V_MAX_FRAMES + 2 * V_SLOTS * V_MAX_FRAMES)

struct idmap {
	uint32_t old[IDMAP_MAX], cur[IDMAP_MAX];
	uint32_t cnt;
};

/* Ids must correspond one to one between the two states. */
static bool ids_match(struct idmap *m, uint32_t old, uint32_t cur)
{
	if (!old || !cur)
		return old == cur;
	for (uint32_t i = 0; i < m->cnt; i++) {
		if (m->old[i] == old)
			return m->cur[i] == cur;
		if (m->cur[i] == cur)
			return false;
	}
	if (m->cnt == IDMAP_MAX)
		return false;
	m->old[m->cnt] = old;
	m->cur[m->cnt++] = cur;
	return true;
}

static bool same_target(const struct vreg *a, const struct vreg *b)
{
	switch (a->type) {
	case V_PTR_TO_STACK:
		return a->frameno == b->frameno;
	case V_CONST_PTR_TO_MAP:
	case V_PTR_TO_MAP_VALUE:
	case V_PTR_TO_MAP_KEY:
		return a->map == b->map;
	case V_PTR_TO_MEM:
		return a->mem_size == b->mem_size;
	case V_PTR_TO_FUNC:
		return a->subprog == b->subprog;
	case V_PTR_TO_BTF_ID:
		return a->btf.btf == b->btf.btf && a->btf.id == b->btf.id;
	default:
		return true;
	}
}

static bool reg_within(const struct vreg *old, const struct vreg *cur, struct idmap *m)
{
	if (old->type == V_NOT_INIT)
		return true;
	if (cur->type != old->type)
		return false;
	/*
	 * A scalar linked to copies (id) had them narrowed along with it on the
	 * old path: the current one must be linked the same way.
	 */
	if (old->type == V_SCALAR)
		return sc_within(&old->v, &cur->v) && (!old->id || ids_match(m, old->id, cur->id));
	return old->flags == cur->flags && old->off == cur->off && same_target(old, cur) &&
	       sc_within(&old->v, &cur->v) && ids_match(m, old->id, cur->id) &&
	       ids_match(m, old->ref_obj_id, cur->ref_obj_id);
}

static bool slot_within(const struct vstack_slot *old, const struct vstack_slot *cur, struct idmap *m)
{
	bool spill_checked = false;

	for (int k = 0; k < 8; k++) {
		uint8_t o = old->type[k], c = cur->type[k];

		if (o == VS_INVALID)
			continue;
		if (o == VS_MISC) {
			if (c == VS_MISC || c == VS_ZERO || (c == VS_SPILL && cur->spill.type == V_SCALAR))
				continue;
			return false;
		}
		if (o == VS_ZERO) {
			if (c == VS_ZERO)
				continue;
			return false;
		}
		/* o == VS_SPILL */
		if (c != VS_SPILL)
			return false;
		if (!spill_checked) {
			if (!reg_within(&old->spill, &cur->spill, m))
				return false;
			spill_checked = true;
		}
	}
	return true;
}

/* Registers of frame @f that matter after @idx. */
static uint16_t frame_live(const struct venv *env, const struct vstate *st, uint32_t f, uint32_t idx)
{
	const struct vframe *callee;

	if (f == st->curframe)
		return env->aux[idx].live_in;
	callee = st->frame[f + 1];
	if (callee->cb_kind)
		return env->aux[callee->callsite].live_in; /* the helper call runs again */
	return env->aux[callee->callsite + 1].live_in & 0x3c0; /* r6-r9 survive the call */
}

bool vstate_within(struct venv *env, const struct vstate *old, const struct vstate *cur, uint32_t idx)
{
	struct idmap *m = env->idmap;
	bool ok = false;

	if (!m) {
		m = env->idmap = malloc(sizeof(*m));
		if (!m)
			return false;
	}
	m->cnt = 0;
	if (old->curframe != cur->curframe || old->refcnt != cur->refcnt ||
	    old->cb_depth != cur->cb_depth || old->lock_map != cur->lock_map)
		goto out;
	if (!ids_match(m, old->lock_id, cur->lock_id))
		goto out;
	for (uint32_t i = 0; i < old->refcnt; i++)
		if (!ids_match(m, old->refs[i].id, cur->refs[i].id))
			goto out;
	for (uint32_t f = 0; f <= old->curframe; f++) {
		const struct vframe *of = old->frame[f], *cf = cur->frame[f];
		uint16_t live = frame_live(env, cur, f, idx);

		if (of->callsite != cf->callsite || of->cb_kind != cf->cb_kind)
			goto out;
		for (int r = 0; r < 10; r++)
			if ((live & (1U << r)) && !reg_within(&of->regs[r], &cf->regs[r], m))
				goto out;
		/* Slots below the old frame's deepest access were never written there. */
		for (int s = 0; s < (of->depth + 7) / 8 && s < V_SLOTS; s++)
			if (!slot_within(&of->stack[s], &cf->stack[s], m))
				goto out;
	}
	ok = true;
out:
	return ok;
}

static bool reg_equal(const struct vreg *a, const struct vreg *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == V_NOT_INIT)
		return true;
	return a->flags == b->flags && a->off == b->off && same_target(a, b) && sc_equal(&a->v, &b->v) &&
	       a->id == b->id && a->ref_obj_id == b->ref_obj_id;
}

bool vstate_equal(const struct vstate *a, const struct vstate *b)
{
	if (a->curframe != b->curframe || a->refcnt != b->refcnt || a->lock_map != b->lock_map ||
	    a->lock_id != b->lock_id || a->cb_depth != b->cb_depth)
		return false;
	for (uint32_t f = 0; f <= a->curframe; f++) {
		const struct vframe *x = a->frame[f], *y = b->frame[f];

		if (x->callsite != y->callsite || x->depth != y->depth)
			return false;
		for (int r = 0; r < 10; r++)
			if (!reg_equal(&x->regs[r], &y->regs[r]))
				return false;
		for (int s = 0; s < (x->depth + 7) / 8 && s < V_SLOTS; s++) {
			if (memcmp(x->stack[s].type, y->stack[s].type, 8))
				return false;
			if (x->stack[s].type[0] == VS_SPILL && !reg_equal(&x->stack[s].spill, &y->stack[s].spill))
				return false;
		}
	}
	return true;
}

/* --- explored lists --- */

static bool is_ancestor(const struct venv *env, const struct vsnap *s)
{
	for (const struct vsnap *p = env->cur_parent; p; p = p->parent)
		if (p == s)
			return true;
	return false;
}

static struct vsnap *snap_add(struct venv *env, uint32_t idx)
{
	struct vinsn *a = &env->aux[idx];
	struct vsnap *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (vstate_copy_snap(&s->st, env->cur)) {
		vstate_clear(&s->st);
		free(s);
		return NULL;
	}
	s->insn = idx;
	s->parent = env->cur_parent;
	s->branches = 1;
	s->next_free = env->all_snaps;
	env->all_snaps = s;
	env->total_states++;
	env->cur_states++;
	if (env->cur_states > env->peak_states)
		env->peak_states = env->cur_states;
	/* The explored list itself is a small array of pointers per insn. */
	if (a->explored_cnt < V_MAX_STATES_PER_INSN) {
		struct vsnap **list = a->explored;
		struct vsnap **n = realloc(list, (a->explored_cnt + 1) * sizeof(*n));

		if (!n)
			return NULL;
		n[a->explored_cnt++] = s;
		a->explored = n;
	} else {
		/* Full: replace a complete one (pruning power only, never soundness). */
		struct vsnap **list = a->explored;

		for (uint32_t i = 0; i < a->explored_cnt; i++) {
			if (!list[i]->branches) {
				list[i] = s;
				break;
			}
		}
	}
	if (a->explored_cnt > env->max_states_per_insn)
		env->max_states_per_insn = a->explored_cnt;
	return s;
}

int vstate_visit(struct venv *env, uint32_t idx)
{
	struct vinsn *a = &env->aux[idx];
	struct vsnap **list = a->explored;
	bool round = env->cb_return && a->cb_call;
	struct vsnap *s;

	if (round) {
		/* Widen against the latest round here on this path, so rounds converge. */
		for (s = env->cur_parent; s; s = s->parent) {
			if (s->insn == idx) {
				vstate_widen(env->cur, &s->st);
				break;
			}
		}
	}
	for (uint32_t i = 0; i < a->explored_cnt; i++) {
		s = list[i];
		/*
		 * A callback round inside an unfinished one: the helper bounds the
		 * rounds, so the earlier round's exploration covers this one.
		 */
		if (round && vstate_within(env, &s->st, env->cur, idx))
			return 1;
		if (!s->branches) {
			if (vstate_within(env, &s->st, env->cur, idx)) {
				s->hit++;
				return 1;
			}
			/* A state that keeps failing to prune only costs time: drop it from the list. */
			if (++s->miss > 3 * s->hit + 16) {
				list[i--] = list[--a->explored_cnt];
				continue;
			}
		} else if (vstate_equal(&s->st, env->cur) && is_ancestor(env, s)) {
			return verr(env, -EINVAL, "infinite loop detected at insn %u", idx);
		}
	}
	if (env->total_states >= V_MAX_TOTAL_STATES)
		return 0; /* memory bound: prune less from here on (never unsound) */
	/*
	 * A snapshot costs a copy of the state: take one only when the path did
	 * some work since the last (the kernel's heuristic), and always at
	 * callback loop heads. Fewer snapshots only mean fewer prunes.
	 */
	if (!a->cb_call && env->insn_processed - env->last_snap_processed < 8)
		return 0;
	env->last_snap_processed = env->insn_processed;
	s = snap_add(env, idx);
	if (!s)
		return -ENOMEM;
	env->cur_parent = s;
	return 0;
}

void vstate_path_end(struct venv *env)
{
	for (struct vsnap *s = env->cur_parent; s; s = s->parent) {
		if (--s->branches)
			break;
		env->cur_states--;
	}
}

void vstate_free_all(struct venv *env)
{
	struct vsnap *s = env->all_snaps, *n;

	while (s) {
		n = s->next_free;
		vstate_clear(&s->st);
		free(s);
		s = n;
	}
	env->all_snaps = NULL;
	free(env->idmap);
	env->idmap = NULL;
	for (uint32_t i = 0; env->aux && i < env->insn_cnt; i++) {
		free(env->aux[i].explored);
		env->aux[i].explored = NULL;
	}
}

static void widen_reg(struct vreg *cur, const struct vreg *old)
{
	if (cur->type == V_SCALAR && old->type == V_SCALAR && !sc_equal(&cur->v, &old->v))
		vreg_scalar_unknown(cur);
}

void vstate_widen(struct vstate *cur, const struct vstate *old)
{
	uint32_t n = cur->curframe < old->curframe ? cur->curframe : old->curframe;

	for (uint32_t f = 0; f <= n; f++) {
		struct vframe *c = cur->frame[f];
		const struct vframe *o = old->frame[f];

		for (int r = 0; r < 10; r++)
			widen_reg(&c->regs[r], &o->regs[r]);
		/* @old is a snapshot: only its slots in use exist (deeper ones never changed). */
		for (int s = 0; s < (o->depth + 7) / 8 && s < V_SLOTS; s++) {
			struct vstack_slot *cs = &c->stack[s];
			const struct vstack_slot *os = &o->stack[s];

			if (cs->type[0] == VS_SPILL && os->type[0] == VS_SPILL)
				widen_reg(&cs->spill, &os->spill);
			else if (memcmp(cs->type, os->type, 8))
				for (int k = 0; k < 8; k++)
					if (cs->type[k] == VS_ZERO && os->type[k] != VS_ZERO)
						cs->type[k] = VS_MISC;
		}
	}
}
