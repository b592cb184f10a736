/* SPDX-License-Identifier: MIT */
/*
 * call.c - calls and exits: helpers checked against their prototypes
 * (proto.h, the table the checked interpreter uses too), kfuncs against their
 * BTF prototypes, bpf-to-bpf calls as new frames, callbacks, references and
 * the spin lock.
 *
 * Callbacks. bpf_loop and bpf_for_each_map_elem call their function any
 * number of times while the caller waits, so the call instruction is a loop
 * head: each visit either finishes the helper (r0 some number) or enters
 * the callback in a new frame whose exit comes back to the call. Scalars
 * that change between rounds are widened to unknown, so the rounds converge,
 * and a round whose state is inside an earlier round's state at the same
 * call is pruned: the earlier round covers all it can do. The runtime bounds
 * the rounds (nr_loops, the map's entries), not the verifier. A timer's
 * callback runs later, on its own: it is verified as a separate path with a
 * fresh frame.
 *
 * References. A ring buffer record (or a KF_ACQUIRE kfunc's result) is a
 * reference the program must release (submit, discard, KF_RELEASE) exactly
 * once on every path; NULL results hold none. Releasing invalidates every
 * copy, so a second release fails as a use of an unset register.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <bpf/btf.h>

#include "../isa/opcodes.h"
#include "verifier.h"

#define ID_LOOP 181
#define ID_FOR_EACH 164
#define ID_TIMER_SET_CB 170
#define ID_SPIN_LOCK 93
#define ID_SPIN_UNLOCK 94

uint32_t vnew_id(struct venv *env)
{
	return ++env->next_id;
}

int vpush(struct venv *env, const struct vstate *st, uint32_t insn, uint32_t prev)
{
	struct vpending *p;

	if (env->pending_cnt == env->pending_cap) {
		uint32_t cap = env->pending_cap ? env->pending_cap * 2 : 64;

		if (cap > V_MAX_PENDING) /* the kernel's jump-sequence limit */
			return verr(env, -E2BIG, "The sequence of %u jumps is too complex.", env->pending_cnt);
		p = realloc(env->pending, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		memset(p + env->pending_cap, 0, (cap - env->pending_cap) * sizeof(*p));
		env->pending = p;
		env->pending_cap = cap;
	}
	p = &env->pending[env->pending_cnt];
	if (vstate_copy(&p->st, st))
		return -ENOMEM;
	p->insn = insn;
	p->prev_insn = prev;
	p->parent = env->cur_parent;
	if (env->cur_parent)
		env->cur_parent->branches++;
	env->pending_cnt++;
	if (env->pending_cnt > env->peak_pending)
		env->peak_pending = env->pending_cnt;
	return 0;
}

void vpop_drop(struct venv *env)
{
	struct vpending *p = &env->pending[--env->pending_cnt];

	if (p->parent)
		p->parent->branches--;
}

/* --- references --- */

static int acquire_ref(struct venv *env, uint32_t *id)
{
	struct vstate *st = env->cur;

	if (st->refcnt == V_MAX_REFS)
		return verr(env, -EACCES, "too many references held (%d)", V_MAX_REFS);
	*id = vnew_id(env);
	st->refs[st->refcnt++] = (struct vref){ *id, env->insn_idx, st->cb_depth };
	return 0;
}

static void invalidate(struct vreg *r, uint32_t ref)
{
	if (vreg_is_ptr(r) && r->ref_obj_id == ref)
		vreg_init_not(r);
}

void vrelease_ref(struct venv *env, uint32_t ref)
{
	struct vstate *st = env->cur;

	for (uint32_t i = 0; i < st->refcnt; i++) {
		if (st->refs[i].id == ref) {
			st->refs[i] = st->refs[--st->refcnt];
			break;
		}
	}
	for (uint32_t f = 0; f <= st->curframe; f++) {
		struct vframe *fr = st->frame[f];

		for (int r = 0; r < 11; r++)
			invalidate(&fr->regs[r], ref);
		for (int s = 0; s < V_SLOTS; s++) {
			if (fr->stack[s].type[0] != VS_SPILL || fr->stack[s].spill.ref_obj_id != ref)
				continue;
			memset(fr->stack[s].type, VS_INVALID, 8);
			vreg_init_not(&fr->stack[s].spill);
		}
	}
}

static bool ref_held(const struct vstate *st, uint32_t ref)
{
	for (uint32_t i = 0; i < st->refcnt; i++)
		if (st->refs[i].id == ref)
			return true;
	return false;
}

/* References acquired at callback depth >= @depth must be gone. */
static int check_refs(struct venv *env, uint8_t depth)
{
	const struct vstate *st = env->cur;

	for (uint32_t i = 0; i < st->refcnt; i++)
		if (st->refs[i].cb_depth >= depth)
			return verr(env, -EINVAL, "Unreleased reference id=%u alloc_insn=%u", st->refs[i].id,
				    st->refs[i].insn);
	return 0;
}

/* --- helper arguments --- */

struct vcall_meta {
	struct rt_map *map;  /* the CONST_MAP_PTR argument */
	int mem_regno;       /* the memory argument the next size argument sizes */
	bool mem_null;       /* ... which was NULL */
	uint32_t mem_kind;
	uint32_t subprog;    /* PTR_TO_FUNC */
	bool has_func;
	struct vreg cb_ctx;  /* PTR_TO_STACK(_OR_NULL): the callback's context */
	struct rt_map *timer_map;
	uint64_t alloc_size;
	uint32_t release_ref;
	struct rt_map *lock_map;
	uint32_t lock_id;
};

static const char *helper_name(const struct sops_helper *h)
{
	return h->name ? h->name : "helper";
}

static int check_map_compat(struct venv *env, const struct sops_helper *h, const struct rt_map *map)
{
	bool rb_map = map->map_type == SOPS_BPF_MAP_TYPE_RINGBUF;
	bool rb_func = h->id >= 130 && h->id <= 134;

	if (rb_map != rb_func && (rb_map || h->id == 130 || h->id == 131 || h->id == 134))
		return verr(env, -EINVAL, "cannot pass map_type %u into func %s#%u", map->map_type,
			    helper_name(h), h->id);
	if (h->id == ID_FOR_EACH && !map->ops->for_each)
		return verr(env, -EINVAL, "cannot pass map_type %u into func %s#%u", map->map_type,
			    helper_name(h), h->id);
	if ((h->id == 1 || h->id == 195) && !map->ops->lookup_elem && !map->ops->lookup_percpu_elem)
		return verr(env, -EINVAL, "cannot pass map_type %u into func %s#%u", map->map_type,
			    helper_name(h), h->id);
	return 0;
}

/* A NUL-terminated string in a frozen read-only map value (the kernel reads it at load). */
static int check_const_str(struct venv *env, uint32_t regno, const struct vreg *r)
{
	const struct rt_map *map = r->map;
	uint64_t addr;
	const char *s;
	int64_t off = r->off;

	if (r->type != V_PTR_TO_MAP_VALUE || (r->flags & VF_MAYBE_NULL))
		return verr(env, -EACCES, "R%u type=%s expected=map_value", regno, vtype_name(r));
	if (!(map->map_flags & SOPS_BPF_F_RDONLY_PROG) || !atomic_load(&map->frozen))
		return verr(env, -EACCES, "R%u does not point to a readonly map'", regno);
	if (!sc_is_const(&r->v))
		return verr(env, -EACCES, "R%u is not a constant address'", regno);
	off += (int64_t)sc_value(&r->v);
	if (off < 0 || off >= map->value_size)
		return verr(env, -EACCES, "R%u invalid access to map value, value_size=%u off=%" PRId64, regno,
			    map->value_size, off);
	if (!map->ops->direct_value_addr || map->ops->direct_value_addr((struct rt_map *)map, &addr, 0))
		return verr(env, -EACCES, "R%u direct value access on map '%s' is not allowed", regno, map->name);
	s = (const char *)(uintptr_t)addr;
	if (!memchr(s + off, 0, map->value_size - (size_t)off))
		return verr(env, -EINVAL, "string is not zero-terminated");
	return 0;
}

static int check_lock_arg(struct venv *env, const struct sops_helper *h, uint32_t regno, const struct vreg *r,
			  struct vcall_meta *m)
{
	int off;

	if (r->type != V_PTR_TO_MAP_VALUE || (r->flags & VF_MAYBE_NULL))
		return verr(env, -EACCES, "R%u type=%s expected=map_value", regno, vtype_name(r));
	if (!sc_is_const(&r->v))
		return verr(env, -EACCES,
			    "R%u doesn't have constant offset. bpf_spin_lock has to be at the constant offset",
			    regno);
	off = vmap_lock_off(r->map);
	if (off < 0)
		return verr(env, -EINVAL, "map '%s' has no valid bpf_spin_lock", r->map->name);
	if (r->off + (int64_t)sc_value(&r->v) != off)
		return verr(env, -EINVAL, "off %" PRId64 " doesn't point to 'struct bpf_spin_lock' that is at %d",
			    r->off + (int64_t)sc_value(&r->v), off);
	m->lock_map = r->map;
	m->lock_id = r->id;
	return 0;
}

static int check_timer_arg(struct venv *env, uint32_t regno, const struct vreg *r, struct vcall_meta *m)
{
	if (r->type != V_PTR_TO_MAP_VALUE || (r->flags & VF_MAYBE_NULL))
		return verr(env, -EACCES, "R%u type=%s expected=map_value", regno, vtype_name(r));
	if (r->map->timer_off < 0)
		return verr(env, -EINVAL, "map '%s' has no valid bpf_timer", r->map->name);
	if (!sc_is_const(&r->v) || r->off + (int64_t)sc_value(&r->v) != r->map->timer_off)
		return verr(env, -EINVAL, "off %d doesn't point to 'struct bpf_timer' that is at %d", r->off,
			    r->map->timer_off);
	m->timer_map = r->map;
	return 0;
}

static int check_arg(struct venv *env, const struct sops_helper *h, uint32_t a, uint32_t kind,
		     struct vcall_meta *m)
{
	uint32_t regno = a + 1, base = SOPS_ARG_BASE(kind);
	struct vreg *r = &vregs(env)[regno];
	bool maybe_null = kind & SOPS_ARG_MAYBE_NULL, is_null;

	if (base == SOPS_ARG_DONTCARE)
		return 0;
	if (r->type == V_NOT_INIT)
		return verr(env, -EACCES, "R%u !read_ok", regno);
	is_null = vreg_is_const(r, NULL) && sc_value(&r->v) == 0;
	if (maybe_null && is_null && base != SOPS_ARG_CONST_SIZE && base != SOPS_ARG_CONST_SIZE_OR_ZERO) {
		if (base == SOPS_ARG_PTR_TO_MEM) {
			m->mem_regno = (int)regno;
			m->mem_null = true;
			m->mem_kind = kind;
		}
		if (base == SOPS_ARG_PTR_TO_STACK)
			m->cb_ctx = *r;
		return 0;
	}
	switch (base) {
	case SOPS_ARG_ANYTHING:
		if (vreg_is_ptr(r))
			return verr(env, -EACCES, "R%u leaks addr into helper function", regno);
		return 0;
	case SOPS_ARG_CONST_MAP_PTR:
		if (r->type != V_CONST_PTR_TO_MAP)
			return verr(env, -EACCES, "R%u type=%s expected=map_ptr", regno, vtype_name(r));
		m->map = r->map;
		return check_map_compat(env, h, r->map);
	case SOPS_ARG_PTR_TO_MAP_KEY:
	case SOPS_ARG_PTR_TO_MAP_VALUE:
		if (!m->map)
			return verr(env, -EACCES, "invalid map_ptr to access map->%s",
				    base == SOPS_ARG_PTR_TO_MAP_KEY ? "key" : "value");
		return vmem_check_range(env, regno, r,
					base == SOPS_ARG_PTR_TO_MAP_KEY ? m->map->key_size : m->map->value_size,
					false, false);
	case SOPS_ARG_PTR_TO_MEM:
		if (!vreg_is_ptr(r) || (r->flags & VF_MAYBE_NULL))
			return verr(env, -EACCES, "R%u type=%s expected=fp, pkt, map_value, mem", regno,
				    vtype_name(r));
		m->mem_regno = (int)regno;
		m->mem_null = false;
		m->mem_kind = kind;
		return 0;
	case SOPS_ARG_CONST_SIZE:
	case SOPS_ARG_CONST_SIZE_OR_ZERO:
		if (r->type != V_SCALAR)
			return verr(env, -EACCES, "R%u type=%s expected=scalar", regno, vtype_name(r));
		if (m->mem_regno != (int)regno - 1)
			return verr(env, -EINVAL, "%s: size argument R%u has no memory argument before it",
				    helper_name(h), regno);
		if (m->mem_null) {
			if (r->v.umax)
				return verr(env, -EACCES, "R%u: NULL memory with a size that may be non-zero",
					    regno - 1);
			return 0;
		}
		return vmem_check_helper_mem(env, regno - 1, &vregs(env)[regno - 1], &r->v,
					     !(m->mem_kind & SOPS_ARG_RDONLY), m->mem_kind & SOPS_ARG_UNINIT,
					     base == SOPS_ARG_CONST_SIZE_OR_ZERO);
	case SOPS_ARG_PTR_TO_CTX:
		if (r->type != V_PTR_TO_CTX || r->off || !sc_is_const(&r->v) || sc_value(&r->v))
			return verr(env, -EACCES, "R%u type=%s expected=ctx", regno, vtype_name(r));
		return 0;
	case SOPS_ARG_PTR_TO_FUNC:
		if (r->type != V_PTR_TO_FUNC)
			return verr(env, -EACCES, "R%u type=%s expected=func", regno, vtype_name(r));
		m->subprog = r->subprog;
		m->has_func = true;
		return 0;
	case SOPS_ARG_PTR_TO_STACK:
		if (r->type != V_PTR_TO_STACK)
			return verr(env, -EACCES, "R%u type=%s expected=fp", regno, vtype_name(r));
		m->cb_ctx = *r;
		return 0;
	case SOPS_ARG_PTR_TO_SPIN_LOCK:
		return check_lock_arg(env, h, regno, r, m);
	case SOPS_ARG_PTR_TO_TIMER:
		return check_timer_arg(env, regno, r, m);
	case SOPS_ARG_PTR_TO_RINGBUF_MEM:
		if (r->type != V_PTR_TO_MEM || !(r->flags & VF_RINGBUF) || (r->flags & VF_MAYBE_NULL))
			return verr(env, -EACCES, "R%u type=%s expected=ringbuf_mem", regno, vtype_name(r));
		if (r->off || !sc_is_const(&r->v) || sc_value(&r->v))
			return verr(env, -EACCES, "R%u must have zero offset when passed to release func", regno);
		if (!r->ref_obj_id || !ref_held(env->cur, r->ref_obj_id))
			return verr(env, -EINVAL, "R%u must be referenced when passed to release function", regno);
		if (kind & SOPS_ARG_RELEASE)
			m->release_ref = r->ref_obj_id;
		return 0;
	case SOPS_ARG_PTR_TO_CONST_STR:
		return check_const_str(env, regno, r);
	case SOPS_ARG_CONST_ALLOC_SIZE_OR_ZERO:
		if (!vreg_is_const(r, &m->alloc_size))
			return verr(env, -EACCES, "R%u is not a known constant'", regno);
		if (m->alloc_size > (1U << 29))
			return verr(env, -EACCES, "R%u size %" PRIu64 " is too large", regno, m->alloc_size);
		return 0;
	case SOPS_ARG_PTR_TO_BTF_ID:
		if (r->type != V_PTR_TO_BTF_ID || (r->flags & VF_MAYBE_NULL))
			return verr(env, -EACCES, "R%u type=%s expected=ptr_", regno, vtype_name(r));
		return 0;
	default:
		return verr(env, -EINVAL, "%s: unsupported argument kind %u", helper_name(h), kind);
	}
}

static void clobber_caller_saved(struct vreg *regs)
{
	for (int i = 1; i <= 5; i++)
		vreg_init_not(&regs[i]);
}

static int set_ret(struct venv *env, const struct sops_helper *h, const struct vcall_meta *m)
{
	const struct sops_func_proto *p = h->proto;
	struct vreg *r0 = &vregs(env)[0];
	int err;

	vreg_scalar_unknown(r0);
	if (!p)
		return 0;
	switch (p->ret_type) {
	case SOPS_RET_INTEGER:
		if (h->id == 7 || h->id == 8) /* prandom_u32, smp_processor_id: 32-bit */
			sc_unknown_size(&r0->v, 4);
		return 0;
	case SOPS_RET_VOID:
		vreg_init_not(r0);
		return 0;
	case SOPS_RET_PTR_TO_MAP_VALUE_OR_NULL:
		if (!m->map)
			return verr(env, -EINVAL, "%s returns a map value but takes no map", helper_name(h));
		r0->type = V_PTR_TO_MAP_VALUE;
		sc_const(&r0->v, 0);
		r0->map = m->map;
		r0->flags = VF_MAYBE_NULL | (m->map->map_flags & SOPS_BPF_F_RDONLY_PROG ? VF_RDONLY : 0);
		r0->id = vnew_id(env);
		return 0;
	case SOPS_RET_PTR_TO_MEM_OR_NULL:
		r0->type = V_PTR_TO_MEM;
		sc_const(&r0->v, 0);
		r0->mem_size = p->ret_size;
		r0->flags = VF_MAYBE_NULL;
		r0->id = vnew_id(env);
		return 0;
	case SOPS_RET_PTR_TO_RINGBUF_MEM_OR_NULL:
		err = acquire_ref(env, &r0->ref_obj_id);
		if (err)
			return err;
		r0->type = V_PTR_TO_MEM;
		sc_const(&r0->v, 0);
		r0->mem_size = (uint32_t)m->alloc_size;
		r0->flags = VF_MAYBE_NULL | VF_RINGBUF;
		r0->id = r0->ref_obj_id;
		return 0;
	case SOPS_RET_PTR_TO_BTF_ID_OR_NULL:
		r0->type = V_PTR_TO_BTF_ID;
		sc_const(&r0->v, 0);
		r0->flags = VF_MAYBE_NULL;
		r0->id = vnew_id(env);
		return 0;
	default:
		return verr(env, -EINVAL, "%s: unsupported return kind %u", helper_name(h), p->ret_type);
	}
}

static const struct sops_helper *find_helper(const struct venv *env, uint32_t id)
{
	for (size_t i = 0; i < env->helper_cnt; i++)
		if (env->helpers[i].id == id)
			return &env->helpers[i];
	return NULL;
}

/* --- frames --- */

static int push_frame(struct venv *env, uint32_t subprog, uint32_t callsite, uint8_t cb_kind)
{
	struct vstate *st = env->cur;
	struct vframe *f;

	if (st->curframe + 1 >= V_MAX_FRAMES)
		return verr(env, -E2BIG, "the call stack of %u frames is too deep !", st->curframe + 2);
	f = vframe_new();
	if (!f)
		return -ENOMEM;
	f->callsite = callsite;
	f->subprog = subprog;
	f->cb_kind = cb_kind;
	f->regs[10].type = V_PTR_TO_STACK;
	sc_const(&f->regs[10].v, 0);
	f->regs[10].frameno = (uint8_t)(st->curframe + 1);
	free(st->frame[st->curframe + 1]);
	st->frame[++st->curframe] = f;
	return 0;
}

static int call_subprog(struct venv *env, const struct sops_insn *in)
{
	uint32_t idx = env->insn_idx, target = (uint32_t)((int64_t)idx + in->imm + 1);
	struct vreg *caller;
	int sp = vsubprog_find(env, target), err;

	if (sp < 0)
		return verr(env, -EINVAL, "insn %u: call to a non-function", idx);
	if (env->cur->lock_map)
		return verr(env, -EINVAL, "function calls are not allowed while holding a lock");
	caller = vregs(env);
	err = push_frame(env, (uint32_t)sp, idx, VCB_NONE);
	if (err)
		return err;
	for (int i = 1; i <= 5; i++)
		vregs(env)[i] = caller[i];
	vlog(env, "caller:\n");
	env->insn_idx = target;
	return vmem_check_combined_depth(env);
}

/* Enter callback @m->subprog of helper @h called at the current insn. */
static int enter_callback(struct venv *env, const struct sops_helper *h, const struct vcall_meta *m,
			  uint8_t kind)
{
	uint32_t idx = env->insn_idx;
	struct vsubprog *sp = &env->subprogs[m->subprog];
	struct vreg *regs;
	int err;

	if (env->cur->cb_depth >= V_MAX_CB_DEPTH)
		return verr(env, -E2BIG, "callbacks nested more than %d deep", V_MAX_CB_DEPTH);
	sp->is_callback = true;
	err = push_frame(env, m->subprog, idx, kind);
	if (err)
		return err;
	env->cur->cb_depth++;
	regs = vregs(env);
	vcurframe(env)->cb_ret_min = 0;
	vcurframe(env)->cb_ret_max = 1;
	if (kind == VCB_LOOP) {
		vreg_scalar_unknown(&regs[1]);
		sc_unknown_size(&regs[1].v, 4);
		regs[2] = m->cb_ctx;
	} else {
		regs[1].type = V_CONST_PTR_TO_MAP;
		sc_const(&regs[1].v, 0);
		regs[1].map = m->map;
		regs[2] = regs[1];
		regs[2].type = V_PTR_TO_MAP_KEY;
		regs[3] = regs[1];
		regs[3].type = V_PTR_TO_MAP_VALUE;
		if (m->map->map_flags & SOPS_BPF_F_RDONLY_PROG)
			regs[3].flags |= VF_RDONLY;
		regs[4] = m->cb_ctx;
	}
	vlog(env, "%s: entering callback at %u\n", helper_name(h), sp->start);
	env->insn_idx = sp->start;
	return 0;
}

/* bpf_timer_set_callback: the callback runs on its own later; verify it as a path of its own. */
static int queue_timer_callback(struct venv *env, const struct vcall_meta *m)
{
	struct vstate *st = vstate_new();
	struct vframe *f = vframe_new();
	struct rt_map *map = m->timer_map;
	int err;

	if (!st || !f) {
		vstate_free(st);
		free(f);
		return -ENOMEM;
	}
	st->frame[0] = f;
	f->subprog = m->subprog;
	f->cb_kind = VCB_TIMER;
	f->regs[10].type = V_PTR_TO_STACK;
	sc_const(&f->regs[10].v, 0);
	f->regs[1].type = V_CONST_PTR_TO_MAP;
	sc_const(&f->regs[1].v, 0);
	f->regs[1].map = map;
	f->regs[2] = f->regs[1];
	f->regs[2].type = V_PTR_TO_MAP_KEY;
	f->regs[3] = f->regs[1];
	f->regs[3].type = V_PTR_TO_MAP_VALUE;
	env->subprogs[m->subprog].is_callback = true;
	err = vpush(env, st, env->subprogs[m->subprog].start, env->insn_idx);
	vstate_free(st);
	return err;
}

static int call_helper(struct venv *env, const struct sops_insn *in)
{
	const struct sops_helper *h = find_helper(env, (uint32_t)in->imm);
	struct vcall_meta m = { .mem_regno = -1 };
	struct vstate *st = env->cur;
	int err;

	if (!h)
		return verr(env, -EINVAL, "invalid func unknown#%d", in->imm);
	if (!h->proto)
		return verr(env, -EINVAL, "%s#%u has no prototype: cannot verify its arguments", helper_name(h),
			    h->id);
	if (st->lock_map && h->id != ID_SPIN_UNLOCK)
		return verr(env, -EINVAL, "function calls are not allowed while holding a lock");
	for (uint32_t a = 0; a < 5; a++) {
		err = check_arg(env, h, a, h->proto->arg_type[a], &m);
		if (err)
			return err;
	}
	if (m.mem_regno >= 0 && !m.mem_null) {
		uint32_t next = h->proto->arg_type[m.mem_regno];

		if (m.mem_regno >= 5 || (SOPS_ARG_BASE(next) != SOPS_ARG_CONST_SIZE &&
					 SOPS_ARG_BASE(next) != SOPS_ARG_CONST_SIZE_OR_ZERO))
			return verr(env, -EINVAL, "%s: memory argument R%d has no size argument", helper_name(h),
				    m.mem_regno);
	}
	if (h->id == ID_SPIN_LOCK) {
		if (st->lock_map)
			return verr(env, -EINVAL, "Locking two bpf_spin_locks are not allowed");
		st->lock_map = m.lock_map;
		st->lock_id = m.lock_id;
		st->lock_insn = env->insn_idx;
	} else if (h->id == ID_SPIN_UNLOCK) {
		if (!st->lock_map)
			return verr(env, -EINVAL, "bpf_spin_unlock without taking a lock");
		if (st->lock_map != m.lock_map || st->lock_id != m.lock_id)
			return verr(env, -EINVAL, "bpf_spin_unlock of different lock");
		st->lock_map = NULL;
		st->lock_id = 0;
	}
	if (h->id == ID_TIMER_SET_CB && m.has_func) {
		err = queue_timer_callback(env, &m);
		if (err)
			return err;
	}
	if ((h->id == ID_LOOP || h->id == ID_FOR_EACH) && m.has_func) {
		/* A round of the callback waits; this path finishes the helper. */
		struct vstate *round = vstate_new();
		struct vstate *save = env->cur;
		uint32_t idx = env->insn_idx;

		if (!round)
			return -ENOMEM;
		err = vstate_copy(round, env->cur);
		if (!err) {
			env->cur = round;
			err = enter_callback(env, h, &m, h->id == ID_LOOP ? VCB_LOOP : VCB_FOR_EACH);
			env->cur = save;
			env->insn_idx = idx;
			if (!err)
				err = vpush(env, round, env->subprogs[m.subprog].start, idx);
		}
		vstate_free(round);
		if (err)
			return err;
	}
	if (m.release_ref)
		vrelease_ref(env, m.release_ref);
	clobber_caller_saved(vregs(env));
	return set_ret(env, h, &m);
}

/* --- kfuncs --- */

static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id, uint32_t *res)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (res)
		*res = id;
	return t;
}

/* Whether struct @id holds only scalars (the kernel passes such structs as memory). */
static bool scalar_struct(const struct btf *btf, uint32_t id, int depth)
{
	const struct btf_type *t = skip_mods(btf, id, &id);
	const struct btf_member *m;

	if (!t || depth > 8)
		return false;
	if (btf_is_int(t) || btf_is_enum(t) || btf_is_enum64(t) || btf_is_float(t))
		return true;
	if (btf_is_array(t))
		return scalar_struct(btf, btf_array(t)->type, depth + 1);
	if (!btf_is_composite(t))
		return false;
	m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++, m++)
		if (!scalar_struct(btf, m->type, depth + 1))
			return false;
	return true;
}

/* A parameter named `<x>__prog` is the kernel's implicit program argument. */
static bool is_prog_param(const struct btf *btf, const struct btf_param *p)
{
	const char *n = btf__name_by_offset(btf, p->name_off);
	size_t len = n ? strlen(n) : 0;

	return len > 6 && !strcmp(n + len - 6, "__prog");
}

/*
 * A kfunc argument that points to a struct: a trusted, non-NULL host object
 * of that type (or one that starts with it) at offset 0. Every such argument
 * is treated as the kernel treats KF_TRUSTED_ARGS: a pointer read from a
 * field could be anything, and the host function would dereference it.
 */
static int check_kfunc_obj_arg(struct venv *env, const struct sops_kfunc_desc *d, uint32_t a,
			       const struct btf *btf, uint32_t want, const struct vreg *r, uint32_t *release)
{
	const char *name = d->name ? d->name : "kfunc", *want_name;
	const struct btf_type *wt = btf__type_by_id(btf, want);
	uint32_t regno = a + 1;
	bool rel = (d->flags & SOPS_KF_RELEASE) && !*release;

	want_name = wt ? btf__name_by_offset(btf, wt->name_off) : "?";
	if (r->type != V_PTR_TO_BTF_ID)
		return verr(env, -EACCES, "arg#%u of %s expected pointer to struct %s, R%u is %s", a, name,
			    want_name, regno, vtype_name(r));
	if (r->flags & VF_MAYBE_NULL)
		return verr(env, -EACCES, "Possibly NULL pointer passed to trusted arg%u of %s", a, name);
	if (!(r->flags & VF_TRUSTED))
		return verr(env, -EACCES,
			    "R%u must be referenced or trusted: arg#%u of %s is ptr_%s read from a field",
			    regno, a, name, vbtf_type_name(r));
	if (r->off || !sc_is_const(&r->v) || sc_value(&r->v))
		return verr(env, -EACCES,
			    "R%u must have zero offset when passed to release func or trusted arg to kfunc",
			    regno);
	if (!vbtf_type_match(r->btf.btf, r->btf.id, btf, want, rel))
		return verr(env, -EACCES, "kernel function %s args#%u expected pointer to struct %s but R%u "
			    "has a pointer to struct %s", name, a, want_name, regno, vbtf_type_name(r));
	if (rel && r->ref_obj_id) {
		if (!ref_held(env->cur, r->ref_obj_id))
			return verr(env, -EINVAL, "R%u must be referenced when passed to release function", regno);
		*release = r->ref_obj_id;
	}
	return 0;
}

void vkfunc_refusal(const struct sops_prog *prog, const struct sops_insn *in, int err, char *buf, size_t n)
{
	/* Name the function where the host's BTF has it: the usual cause is a missing registration. */
	const struct btf *hb = in->off ? NULL : prog->obj.rt->host_btf;
	const struct btf_type *ft = hb ? btf__type_by_id(hb, (uint32_t)in->imm) : NULL;
	const char *fname = ft && btf_is_func(ft) ? btf__name_by_offset(hb, ft->name_off) : NULL;

	snprintf(buf, n, "%s kernel function btf_id %d%s%s%s",
		 err == -EACCES ? "calling not allowed" : "unknown", in->imm, fname ? " (" : "",
		 fname ? fname : "",
		 !fname ? "" : err == -EACCES ? ")" : ": the host registered no kfunc of that name)");
}

static int call_kfunc(struct venv *env, const struct sops_insn *in)
{
	struct sops_kfunc_desc d;
	const struct btf *btf;
	const struct btf_type *fn, *proto, *rt;
	const struct btf_param *p;
	struct vreg *regs = vregs(env);
	uint32_t release = 0;
	struct rt_btf *held = NULL;
	const char *name;
	int err;

	err = rt_kfunc_find(env->prog, env->fd_array, env->fd_array_cnt, in->imm, in->off, &d, &btf, &held);
	if (held) {
		/* Types of this BTF live in the states now: keep it until the end. */
		bool dup = false;

		for (uint32_t i = 0; i < env->held_btf_cnt; i++)
			dup |= env->held_btf[i] == held;
		if (dup || env->held_btf_cnt == V_MAX_HELD_BTF) {
			rt_obj_put(&held->obj);
			if (!dup)
				return verr(env, -E2BIG, "kfuncs of more than %d module BTFs", V_MAX_HELD_BTF);
		} else {
			env->held_btf[env->held_btf_cnt++] = held;
		}
	}
	if (err == -EINVAL)
		return verr(env, -EINVAL, "kfunc btf_id %d: fd_array[%d] is not a module BTF", in->imm, in->off);
	if (err) {
		char msg[192];

		vkfunc_refusal(env->prog, in, err, msg, sizeof(msg));
		return verr(env, err == -EACCES ? -EACCES : -EINVAL, "%s", msg);
	}
	name = d.name ? d.name : "kfunc";
	if (env->cur->lock_map)
		return verr(env, -EINVAL, "function calls are not allowed while holding a lock");
	fn = btf ? btf__type_by_id(btf, d.btf_id) : NULL;
	proto = fn && btf_is_func(fn) ? btf__type_by_id(btf, fn->type) : NULL;
	if (!proto || !btf_is_func_proto(proto))
		return verr(env, -EINVAL, "kernel function %s has no BTF prototype", name);
	if (btf_vlen(proto) > 5)
		return verr(env, -EINVAL, "kernel function %s has more than 5 arguments", name);
	p = btf_params(proto);
	for (uint32_t a = 0; a < btf_vlen(proto); a++, p++) {
		uint32_t regno = a + 1, pointee;
		const struct btf_type *t = skip_mods(btf, p->type, NULL);
		struct vreg *r = &regs[regno];

		if ((d.flags & SOPS_KF_IMPLICIT_PROG) && SOPS_KF_PROG_ARG_IDX(d.flags) == a)
			continue; /* the runtime passes the program itself */
		if (is_prog_param(btf, p))
			return verr(env, -EINVAL, "kernel function %s: arg#%u is a __prog argument but the "
				    "kfunc was not registered with SOPS_KF_PROG_ARG(%u)", name, a, a);
		if (r->type == V_NOT_INIT)
			return verr(env, -EACCES, "R%u !read_ok", regno);
		if (!t || !btf_is_ptr(t)) {
			if (vreg_is_ptr(r))
				return verr(env, -EACCES, "R%u leaks addr into kfunc %s", regno, name);
			continue;
		}
		t = skip_mods(btf, t->type, &pointee);
		if (t && btf_is_composite(t) && r->type != V_PTR_TO_BTF_ID && scalar_struct(btf, pointee, 0)) {
			/* A struct of plain data: memory of its size (stack, map value...). */
			int64_t sz = btf__resolve_size(btf, pointee);

			if (r->flags & VF_MAYBE_NULL)
				return verr(env, -EACCES, "Possibly NULL pointer passed to arg%u of %s", a, name);
			err = sz > 0 ? vmem_check_range(env, regno, r, (uint32_t)sz, true, false) : 0;
			if (err)
				return err;
			continue;
		}
		if (t && btf_is_composite(t)) {
			err = check_kfunc_obj_arg(env, &d, a, btf, pointee, r, &release);
			if (err)
				return err;
			continue;
		}
		if (!t || btf_is_void(t)) {
			/*
			 * void *: a host object of any type. Program memory has no
			 * size the kfunc would respect (the kernel wants a sized
			 * type or a __sz argument too), so it is refused.
			 */
			if (r->type == V_PTR_TO_BTF_ID && !(r->flags & VF_MAYBE_NULL))
				continue;
			return verr(env, -EACCES, "R%u type=%s: arg#%u of %s is void *, which takes a host "
				    "object (memory needs a sized pointer type)", regno, vtype_name(r), a, name);
		}
		if (!vreg_is_ptr(r) || (r->flags & VF_MAYBE_NULL))
			return verr(env, -EACCES, "R%u type=%s: arg#%u of %s expects a pointer", regno,
				    vtype_name(r), a, name);
		if (t && !btf_is_void(t)) {
			int64_t sz = btf__resolve_size(btf, pointee);

			if (sz < 0)
				return verr(env, -EINVAL, "arg#%u of %s: pointee size unknown", a, name);
			if (sz > 0) {
				err = vmem_check_range(env, regno, r, (uint32_t)sz, true, false);
				if (err)
					return err;
			}
		}
	}
	if ((d.flags & SOPS_KF_RELEASE) && !release)
		return verr(env, -EINVAL, "release kernel function %s expects refcounted PTR_TO_BTF_ID", name);
	if (release)
		vrelease_ref(env, release);
	clobber_caller_saved(regs);
	rt = skip_mods(btf, proto->type, NULL);
	if (!proto->type || !rt || btf_is_void(rt)) {
		vreg_init_not(&regs[0]);
		return 0;
	}
	vreg_scalar_unknown(&regs[0]);
	if (btf_is_ptr(rt) && skip_mods(btf, rt->type, NULL) && btf_is_composite(skip_mods(btf, rt->type, NULL))) {
		uint32_t target;

		skip_mods(btf, rt->type, &target);
		regs[0].type = V_PTR_TO_BTF_ID;
		sc_const(&regs[0].v, 0);
		regs[0].btf.btf = btf;
		regs[0].btf.id = target;
		/* Acquired objects are the host's to vouch for; others are not. */
		if (d.flags & SOPS_KF_ACQUIRE)
			regs[0].flags |= VF_TRUSTED;
		if (d.flags & SOPS_KF_RET_NULL) {
			regs[0].flags |= VF_MAYBE_NULL;
			regs[0].id = vnew_id(env);
		}
		if (d.flags & SOPS_KF_ACQUIRE) {
			err = acquire_ref(env, &regs[0].ref_obj_id);
			if (err)
				return err;
			if (regs[0].id)
				regs[0].id = regs[0].ref_obj_id;
		}
	} else if (btf_is_int(rt) || btf_is_enum(rt) || btf_is_enum64(rt)) {
		int64_t sz = btf__resolve_size(btf, proto->type);

		if (sz > 0 && sz < 8)
			sc_unknown_size(&regs[0].v, (uint8_t)sz);
	}
	return 0;
}

/*
 * The same prototype as call_kfunc() reads it, for checked runs of programs
 * the verifier did not prove (kfunc_check.c enforces it): scalars pass, a
 * pointer to a struct of plain data or to another sized type is that much
 * writable memory, a pointer to any other struct a host object of its name
 * (the first one released by a KF_RELEASE kfunc), void * any host object;
 * a returned struct pointer is a host object, a reference
 * with KF_ACQUIRE. A kfunc registered without a BTF prototype: 1, the call
 * is not checked (the host vouches for it, as for a host helper registered
 * without a prototype; docs/runtime.md).
 */
int rt_kfunc_check_spec(struct sops_prog *prog, const int *fd_array, uint32_t fd_array_cnt,
			int32_t btf_id, int16_t btf_slot, struct sops_kfunc_check *out)
{
	struct sops_kfunc_desc d;
	const struct btf *btf;
	const struct btf_type *fn, *proto, *t;
	const struct btf_param *p;
	struct rt_btf *held = NULL;
	bool released = false;
	uint32_t id;
	int err;

	err = rt_kfunc_find(prog, fd_array, fd_array_cnt, btf_id, btf_slot, &d, &btf, &held);
	if (err)
		goto out;
	err = 1;
	fn = btf ? btf__type_by_id(btf, d.btf_id) : NULL;
	proto = fn && btf_is_func(fn) ? btf__type_by_id(btf, fn->type) : NULL;
	if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) > 5)
		goto out;
	err = -EINVAL;
	/* Names come from the kfunc's BTF, which outlives the program (the host's, or a pinned module's). */
	*out = (struct sops_kfunc_check){ .name = btf__name_by_offset(btf, fn->name_off),
					  .arg_cnt = btf_vlen(proto) };
	if (!out->name || !*out->name)
		out->name = "(anon)";
	p = btf_params(proto);
	for (uint32_t a = 0; a < btf_vlen(proto); a++, p++) {
		struct sops_kfunc_arg *ka = &out->args[a];
		int64_t sz;

		t = skip_mods(btf, p->type, NULL);
		if (((d.flags & SOPS_KF_IMPLICIT_PROG) && SOPS_KF_PROG_ARG_IDX(d.flags) == a) || !t ||
		    !btf_is_ptr(t))
			continue; /* SCALAR; the runtime fills the __prog argument itself */
		t = skip_mods(btf, t->type, &id);
		if (!t || btf_is_void(t)) {
			ka->kind = SOPS_KARG_ANY_PTR;
			continue;
		}
		if (btf_is_composite(t) && !scalar_struct(btf, id, 0)) {
			ka->kind = SOPS_KARG_OBJ;
			ka->type = btf__name_by_offset(btf, t->name_off);
			if (!ka->type || !*ka->type)
				ka->type = "(anon)";
			ka->release = (d.flags & SOPS_KF_RELEASE) && !released;
			released |= ka->release;
			continue;
		}
		sz = btf__resolve_size(btf, id);
		if (sz < 0 || sz > UINT32_MAX)
			goto out;
		ka->kind = SOPS_KARG_MEM;
		ka->size = (uint32_t)sz;
	}
	t = proto->type ? skip_mods(btf, proto->type, NULL) : NULL;
	if (t && btf_is_ptr(t) && (t = skip_mods(btf, t->type, NULL)) && btf_is_composite(t)) {
		out->ret_type = btf__name_by_offset(btf, t->name_off);
		if (!out->ret_type || !*out->ret_type)
			out->ret_type = "(anon)";
		out->ret_acquired = (d.flags & SOPS_KF_ACQUIRE) != 0;
	}
	err = 0;
out:
	if (held)
		rt_obj_put(&held->obj);
	return err;
}

int vcall(struct venv *env, const struct sops_insn *in)
{
	if (OPC_SRC(in->code) == OPC_X)
		return verr(env, -EINVAL, "callx (call through a register) is not supported by the verifier");
	switch (in->src_reg) {
	case SOPS_CALL_HELPER:
		return call_helper(env, in);
	case SOPS_CALL_LOCAL:
		return call_subprog(env, in);
	case SOPS_CALL_KFUNC:
		return call_kfunc(env, in);
	default:
		return verr(env, -EINVAL, "invalid call kind %u", in->src_reg);
	}
}

/* --- exit --- */

static int check_ret_range(struct venv *env, const struct vreg *r0, int64_t lo, int64_t hi, const char *who)
{
	char b[160];

	if (r0->type != V_SCALAR || r0->v.smin < lo || r0->v.smax > hi) {
		vlog_reg(b, sizeof(b), r0);
		return verr(env, -EINVAL, "At %s the register R0 has %s should have been in [%" PRId64
			    ", %" PRId64 "]", who, b, lo, hi);
	}
	return 0;
}

int vexit(struct venv *env)
{
	struct vstate *st = env->cur;
	struct vframe *f = vcurframe(env);
	struct vreg *r0 = &f->regs[0];
	int err;

	if (st->curframe == 0 && !f->cb_kind && env->prog->type == SOPS_BPF_PROG_TYPE_STRUCT_OPS &&
	    vst_ops_ret_void(env->prog)) {
		/* A void member: whatever r0 holds is dropped by the caller. */
		if (st->lock_map)
			return verr(env, -EINVAL,
				    "BPF_EXIT instruction cannot be used inside bpf_spin_lock-ed region");
		env->path_done = true;
		return check_refs(env, 0);
	}
	if (r0->type == V_NOT_INIT)
		return verr(env, -EACCES, "R0 !read_ok");
	if (st->lock_map)
		return verr(env, -EINVAL, "BPF_EXIT instruction cannot be used inside bpf_spin_lock-ed region");
	if (f->cb_kind == VCB_TIMER) {
		err = check_ret_range(env, r0, 0, 0, "async callback return");
		if (!err)
			err = check_refs(env, 0);
		env->path_done = true;
		return err;
	}
	if (st->curframe == 0) {
		if (env->prog->type == SOPS_BPF_PROG_TYPE_STRUCT_OPS)
			err = vbtf_check_return(env, r0);
		else
			err = vreg_is_ptr(r0) ? verr(env, -EACCES, "R0 leaks addr as return value") : 0;
		if (!err)
			err = check_refs(env, 0);
		env->path_done = true;
		return err;
	}
	if (f->cb_kind) {
		err = check_ret_range(env, r0, f->cb_ret_min, f->cb_ret_max, "callback return");
		if (!err)
			err = check_refs(env, st->cb_depth);
		if (err)
			return err;
		env->insn_idx = f->callsite; /* the helper calls it again, or returns */
		env->cb_return = true;
		free(f);
		st->frame[st->curframe--] = NULL;
		st->cb_depth--;
		return 0;
	}
	/* bpf-to-bpf return */
	if (r0->type == V_PTR_TO_STACK && r0->frameno >= st->curframe)
		return verr(env, -EINVAL, "cannot return stack pointer to the caller");
	{
		struct vreg ret = *r0;
		uint32_t callsite = f->callsite;

		free(f);
		st->frame[st->curframe--] = NULL;
		f = vcurframe(env);
		f->regs[0] = ret;
		clobber_caller_saved(f->regs);
		vlog(env, "returning from callee:\n");
		env->insn_idx = callsite + 1;
	}
	return 0;
}
