/* SPDX-License-Identifier: MIT */
/*
 * btf_ptr.c - pointers to host objects typed by BTF: a struct_ops program's
 * context typed by its member's prototype, loads and stores through host
 * structs, the return value rules of struct_ops members, and type matching
 * for kfunc arguments (spec section 4).
 *
 * The context of a struct_ops program is the member's C arguments, one u64
 * slot each. A pointer to a struct argument reads as V_PTR_TO_BTF_ID of
 * that struct, trusted (the host passes live objects); a stub parameter
 * named `__nullable` makes it maybe-NULL, one named `__ref` makes it a
 * reference the program holds from entry and must release or return. Other
 * pointers read as scalars, as in the kernel.
 *
 * Loads through a BTF pointer are checked against the struct's layout: the
 * offset must be constant and inside the struct, and must not run past the
 * member it starts in. A pointer-to-struct member read whole gives a pointer
 * of that type, but not a trusted one: nothing vouches for what a field
 * holds, so loads through it become probe loads (OPC_PROBE_MEM), which read
 * 0 where the address faults (src/vm/probe.c), the kernel's PROBE_MEM rule.
 * Writes go only through trusted pointers and only where the type's
 * btf_struct_access hook allows them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include "../isa/opcodes.h"
#include "../struct_ops/st_internal.h"
#include "verifier.h"

#define MAX_WALK_DEPTH 16

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

static const char *type_name(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf ? btf__type_by_id(btf, id) : NULL;
	const char *n = t ? btf__name_by_offset(btf, t->name_off) : NULL;

	return n && *n ? n : "(anon)";
}

const char *vbtf_type_name(const struct vreg *r)
{
	return r->btf.btf && r->btf.id ? type_name(r->btf.btf, r->btf.id) : "";
}

/* --- the struct_ops member --- */

const struct btf_type *vst_ops_proto(const struct sops_prog *prog, const struct btf **out)
{
	const struct btf *btf = prog->attach_btf ? prog->attach_btf->btf : prog->obj.rt->host_btf;
	const struct btf_type *t;
	const struct btf_member *m;

	if (!btf || !prog->attach_btf_id)
		return NULL;
	t = btf__type_by_id(btf, prog->attach_btf_id);
	if (!t || !btf_is_struct(t) || prog->expected_attach_type >= btf_vlen(t))
		return NULL;
	m = btf_members(t) + prog->expected_attach_type;
	t = skip_mods(btf, m->type, NULL);
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return NULL;
	*out = btf;
	return t;
}

/* The registered member the program implements (its annotations), or NULL (no registration). */
static const struct st_member *st_member(const struct sops_prog *prog)
{
	const struct st_prog_info *info = prog->type_data;

	if (prog->type != SOPS_BPF_PROG_TYPE_STRUCT_OPS || !info || !info->desc ||
	    info->member >= info->desc->member_cnt)
		return NULL;
	return &info->desc->members[info->member];
}

static const struct sops_struct_ops_verifier_ops *st_vops(const struct sops_prog *prog)
{
	const struct st_prog_info *info = prog->type_data;

	if (prog->type != SOPS_BPF_PROG_TYPE_STRUCT_OPS || !info || !info->desc)
		return NULL;
	return info->desc->st_ops->verifier_ops;
}

static const char *member_name(const struct sops_prog *prog)
{
	const struct st_member *sm = st_member(prog);

	return sm && sm->name ? sm->name : "?";
}

static const char *st_name(const struct sops_prog *prog)
{
	const struct st_prog_info *info = prog->type_data;

	return info && info->desc ? info->desc->st_ops->name : "?";
}

static uint8_t arg_info(const struct sops_prog *prog, uint32_t arg)
{
	const struct st_member *sm = st_member(prog);

	return sm && arg < FUNC_MODEL_MAX_ARGS ? sm->arg_info[arg] : 0;
}

/* The struct a pointer type points to (its id in *@sid), or NULL for other pointees. */
static const struct btf_type *ptr_to_struct(const struct btf *btf, const struct btf_type *ptr, uint32_t *sid)
{
	const struct btf_type *t = skip_mods(btf, ptr->type, sid);

	return t && btf_is_composite(t) ? t : NULL;
}

static void make_btf_ptr(struct vreg *r, const struct btf *btf, uint32_t id, uint8_t flags)
{
	vreg_scalar_unknown(r);
	r->type = V_PTR_TO_BTF_ID;
	sc_const(&r->v, 0);
	r->off = 0;
	r->flags = flags;
	r->btf.btf = btf;
	r->btf.id = id;
}

static void make_scalar(struct vreg *r, uint32_t size, bool sext)
{
	vreg_scalar_unknown(r);
	if (sext)
		sc_unknown_sext(&r->v, (uint8_t)size);
	else
		sc_unknown_size(&r->v, (uint8_t)size);
}

int vbtf_ctx_access(struct venv *env, const struct vreg *r, int64_t off, uint32_t size, bool write,
		    struct vreg *dst, bool sext)
{
	const struct sops_struct_ops_verifier_ops *vops = st_vops(env->prog);
	struct sops_prog *prog = env->prog;
	struct sops_ctx_access_info info = { .sz = sizeof(info) };
	const struct btf_type *proto, *t;
	const struct btf *btf;
	uint32_t arg, nargs, asz = 8;
	int64_t tsz;

	(void)r;
	proto = vst_ops_proto(prog, &btf);
	if (!proto)
		return verr(env, -EACCES, "struct_ops program has no member prototype for ctx access");
	nargs = btf_vlen(proto);
	if (write)
		return verr(env, -EACCES, "write to struct_ops ctx is not allowed (off=%" PRId64 ")", off);
	if (off < 0 || off >= 8 * FUNC_MODEL_MAX_ARGS || (off % 8) + size > 8)
		return verr(env, -EACCES, "invalid bpf_context access off=%" PRId64 " size=%u", off, size);
	arg = (uint32_t)(off / 8);
	if (arg >= nargs)
		return verr(env, -EACCES,
			    "func '%s' doesn't have %u-th argument: member %s of struct %s takes %u",
			    prog->name, arg + 1, member_name(prog), st_name(prog), nargs);
	t = skip_mods(btf, btf_params(proto)[arg].type, NULL);
	if (!t)
		return verr(env, -EACCES, "func '%s' arg%u has no type", prog->name, arg);
	info.arg = arg;
	info.size = size;
	if (btf_is_ptr(t)) {
		uint32_t sid;

		if (ptr_to_struct(btf, t, &sid)) {
			if (off % 8 || size != 8)
				return verr(env, -EACCES,
					    "func '%s' arg%u type %s is a pointer: it is read whole (off=%" PRId64
					    " size=%u)", prog->name, arg, type_name(btf, sid), off, size);
			info.btf_id = sid;
			info.nullable = arg_info(prog, arg) & ST_ARG_NULLABLE;
		}
	} else if (btf_is_int(t) || btf_is_enum(t) || btf_is_enum64(t)) {
		tsz = btf__resolve_size(btf, btf_params(proto)[arg].type);
		if (tsz > 0 && tsz < 8)
			asz = (uint32_t)tsz;
	} else if (!btf_is_composite(t) && !btf_is_float(t)) {
		return verr(env, -EACCES, "func '%s' arg%u type %s is not a struct", prog->name, arg,
			    btf_kind(t) < NR_BTF_KINDS ? "of this kind" : "unknown");
	}
	if (vops && vops->is_valid_access && !vops->is_valid_access((int)off, (int)size, false, prog, &info))
		return verr(env, -EACCES, "invalid bpf_context access off=%" PRId64 " size=%u (refused by %s)",
			    off, size, st_name(prog));
	if (!info.btf_id) {
		/* An integer argument holds no more than its C type's bytes. */
		make_scalar(dst, !sext && !(off % 8) && asz < size ? asz : size, sext);
		return 0;
	}
	if (!btf__type_by_id(btf, info.btf_id) || !btf_is_composite(btf__type_by_id(btf, info.btf_id)))
		return verr(env, -EACCES, "func '%s' arg%u: the %s hook gave type id %u, not a struct",
			    prog->name, arg, st_name(prog), info.btf_id);
	make_btf_ptr(dst, btf, info.btf_id, VF_TRUSTED);
	if (info.nullable) {
		dst->flags |= VF_MAYBE_NULL;
		dst->id = vnew_id(env);
	}
	if (arg < 5 && env->arg_ref[arg])
		dst->ref_obj_id = env->arg_ref[arg];
	return 0;
}

size_t rt_prog_ctx_objs(const struct sops_prog *prog, struct sops_vm_ctx_obj *out)
{
	const struct btf *btf;
	const struct btf_type *proto = vst_ops_proto(prog, &btf);
	size_t n = 0;

	if (!proto)
		return 0;
	for (uint32_t a = 0; a < btf_vlen(proto) && n < SOPS_VM_MAX_CTX_OBJS; a++) {
		const struct btf_type *t = skip_mods(btf, btf_params(proto)[a].type, NULL);
		uint32_t sid;

		if (!t || !btf_is_ptr(t) || !ptr_to_struct(btf, t, &sid))
			continue;
		out[n++] = (struct sops_vm_ctx_obj){ .slot = a, .type = type_name(btf, sid),
						     .ref = (arg_info(prog, a) & ST_ARG_REF) != 0 };
	}
	return n;
}

int vbtf_entry_refs(struct venv *env, struct vstate *st)
{
	const struct btf_type *proto;
	const struct btf *btf;

	if (env->prog->type != SOPS_BPF_PROG_TYPE_STRUCT_OPS)
		return 0;
	proto = vst_ops_proto(env->prog, &btf);
	for (uint32_t a = 0; proto && a < btf_vlen(proto) && a < 5; a++) {
		if (!(arg_info(env->prog, a) & ST_ARG_REF))
			continue;
		if (st->refcnt == V_MAX_REFS)
			return verr(env, -EACCES, "too many references held (%d)", V_MAX_REFS);
		env->arg_ref[a] = vnew_id(env);
		st->refs[st->refcnt++] = (struct vref){ env->arg_ref[a], 0, 0 };
	}
	return 0;
}

/* --- loads and stores through host objects --- */

static void mark_insn(struct venv *env, uint8_t kind)
{
	struct vinsn *aux = &env->aux[env->insn_idx];

	if (aux->btf_mem < kind)
		aux->btf_mem = kind;
}

/*
 * Walk struct @id for a read of [@off, @off + @size): fills @dst with what
 * the read gives (a scalar, or a pointer for a whole pointer-to-struct
 * member). 0 or -EACCES with the kernel's messages.
 */
static int walk_read(struct venv *env, const struct btf *btf, uint32_t id, uint32_t off, uint32_t size,
		     bool sext, struct vreg *dst)
{
	for (int depth = 0; depth < MAX_WALK_DEPTH; depth++) {
		const struct btf_type *t = skip_mods(btf, id, &id);
		const struct btf_member *m;
		bool found = false;

		if (!t)
			break;
		if (btf_is_array(t)) {
			const struct btf_array *a = btf_array(t);
			int64_t esz = btf__resolve_size(btf, a->type);

			if (esz <= 0 || off / (uint64_t)esz >= a->nelems)
				break;
			off %= (uint32_t)esz;
			if (off + size > esz)
				return verr(env, -EACCES, "access beyond the end of an array element of %s "
					    "(off %u size %u)", type_name(btf, a->type), off, size);
			id = a->type;
			continue;
		}
		if (!btf_is_composite(t)) {
			if (btf_is_ptr(t) && !off && size == 8) {
				uint32_t sid;

				if (ptr_to_struct(btf, t, &sid)) {
					make_btf_ptr(dst, btf, sid, 0);
					return 0;
				}
			}
			make_scalar(dst, size, sext);
			return 0;
		}
		m = btf_members(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++, m++) {
			uint32_t moff = btf_member_bit_offset(t, i) / 8;
			int64_t msz = btf_member_bitfield_size(t, i)
					      ? (btf_member_bit_offset(t, i) % 8 + btf_member_bitfield_size(t, i) + 7) / 8
					      : btf__resolve_size(btf, m->type);

			if (msz < 0 || off < moff || off >= moff + (uint64_t)msz)
				continue;
			if (off + size > moff + (uint64_t)msz) {
				if (btf_is_union(t))
					continue; /* another member may be wide enough */
				return verr(env, -EACCES,
					    "access beyond the end of member %s (mend:%" PRId64 ") in struct %s "
					    "with off %u size %u",
					    btf__name_by_offset(btf, m->name_off), moff + msz,
					    type_name(btf, id), off, size);
			}
			if (btf_member_bitfield_size(t, i)) {
				make_scalar(dst, size, sext);
				return 0;
			}
			off -= moff;
			id = m->type;
			found = true;
			break;
		}
		if (!found) {
			/* Padding between members: bytes of the object, nothing typed. */
			make_scalar(dst, size, sext);
			return 0;
		}
	}
	return verr(env, -EACCES, "struct %s: access off=%u size=%u cannot be typed", type_name(btf, id),
		    off, size);
}

int vbtf_access(struct venv *env, uint32_t regno, const struct vreg *r, int32_t off, uint32_t size,
		bool write, const struct vreg *val, struct vreg *dst, bool sext)
{
	const struct sops_struct_ops_verifier_ops *vops = st_vops(env->prog);
	const struct btf *btf = r->btf.btf;
	int64_t o = (int64_t)r->off + off, ssz;
	int err;

	(void)val;
	if (!btf || !r->btf.id)
		return verr(env, -EACCES, "R%u invalid mem access 'ptr_' (no BTF type)", regno);
	if (!sc_is_const(&r->v) || sc_value(&r->v)) {
		char v[96];

		sc_sprint(v, sizeof(v), &r->v);
		return verr(env, -EACCES, "R%u is ptr_%s invalid variable offset: off=%d, var_off=%s", regno,
			    vbtf_type_name(r), r->off, v);
	}
	if (o < 0)
		return verr(env, -EACCES, "R%u is ptr_%s invalid negative access: off=%" PRId64, regno,
			    vbtf_type_name(r), o);
	ssz = btf__resolve_size(btf, r->btf.id);
	if (ssz < 0 || o + size > ssz)
		return verr(env, -EACCES, "access beyond struct %s at off %" PRId64 " size %u",
			    vbtf_type_name(r), o, size);
	if (write) {
		if (!(r->flags & VF_TRUSTED))
			return verr(env, -EACCES,
				    "R%u is an untrusted ptr_%s (read from a field): only read is supported",
				    regno, vbtf_type_name(r));
		if (!vops || !vops->btf_struct_access)
			return verr(env, -EACCES, "only read is supported");
		err = vops->btf_struct_access(btf, r->btf.id, (int)o, (int)size, env->prog);
		if (err)
			return verr(env, err < 0 ? err : -EACCES,
				    "write to struct %s at off %" PRId64 " size %u is not allowed by %s",
				    vbtf_type_name(r), o, size, st_name(env->prog));
		mark_insn(env, VBTF_TRUSTED);
		return 0;
	}
	err = walk_read(env, btf, r->btf.id, (uint32_t)o, size, sext, dst);
	if (err)
		return err;
	mark_insn(env, r->flags & VF_TRUSTED ? VBTF_TRUSTED : VBTF_PROBE);
	return 0;
}

/* --- return values --- */

int vbtf_check_return(struct venv *env, const struct vreg *r0)
{
	const struct btf_type *proto, *rt;
	const struct btf *btf;
	uint32_t sid;

	proto = vst_ops_proto(env->prog, &btf);
	rt = proto ? skip_mods(btf, proto->type, NULL) : NULL;
	if (!rt || !btf_is_ptr(rt) || !ptr_to_struct(btf, rt, &sid)) {
		const struct sops_struct_ops_verifier_ops *vops = st_vops(env->prog);
		int64_t lo, hi;

		int64_t rsz = rt ? btf__resolve_size(btf, proto->type) : 8, vmin, vmax;

		if (vreg_is_ptr(r0))
			return verr(env, -EACCES, "R0 leaks addr as return value");
		/* The caller sees the return type's width: an int member returns the low 32 bits. */
		vmin = rsz == 4 ? r0->v.s32_min : r0->v.smin;
		vmax = rsz == 4 ? r0->v.s32_max : r0->v.smax;
		if (vops && vops->retval_range &&
		    !vops->retval_range(env->prog->expected_attach_type, env->prog, &lo, &hi) &&
		    (vmin < lo || vmax > hi)) {
			char b[160];

			vlog_reg(b, sizeof(b), r0);
			return verr(env, -EINVAL,
				    "At program exit the register R0 has %s should have been in [%" PRId64
				    ", %" PRId64 "]: the range member %s of struct %s allows", b, lo, hi,
				    member_name(env->prog), st_name(env->prog));
		}
		return 0;
	}
	/* A pointer to a struct: an unmodified reference of exactly that type, or NULL. */
	if (r0->type == V_PTR_TO_BTF_ID && r0->ref_obj_id) {
		if (!vbtf_type_match(r0->btf.btf, r0->btf.id, btf, sid, true))
			return verr(env, -EINVAL,
				    "At program exit the register R0 is ptr_%s, member %s of struct %s "
				    "returns struct %s *", vbtf_type_name(r0), member_name(env->prog),
				    st_name(env->prog), type_name(btf, sid));
		if (r0->off || !sc_is_const(&r0->v) || sc_value(&r0->v))
			return verr(env, -EINVAL,
				    "At program exit the register R0 has a non-zero offset (%d): return "
				    "the referenced pointer unmodified", r0->off);
		/* Returned: the host takes the reference over (NULL or not). */
		vrelease_ref(env, r0->ref_obj_id);
		return 0;
	}
	if (vreg_is_ptr(r0))
		return verr(env, -EINVAL,
			    "At program exit the register R0 is %s: member %s of struct %s returns a "
			    "referenced struct %s * or NULL", vtype_name(r0), member_name(env->prog),
			    st_name(env->prog), type_name(btf, sid));
	if (r0->type != V_SCALAR || !sc_is_const(&r0->v) || sc_value(&r0->v))
		return verr(env, -EINVAL,
			    "At program exit the register R0 should have been in [0, 0]: member %s returns "
			    "a pointer, only a referenced struct %s * or NULL may be returned",
			    member_name(env->prog), type_name(btf, sid));
	return 0;
}

/* --- type matching --- */

static bool same_type(const struct btf *a, uint32_t ida, const struct btf *b, uint32_t idb)
{
	const struct btf_type *ta, *tb;
	const char *na, *nb;

	if (a == b)
		return ida == idb;
	/* Different BTF objects (a module's, the host's): the same kind and name. */
	ta = btf__type_by_id(a, ida);
	tb = btf__type_by_id(b, idb);
	if (!ta || !tb || btf_kind(ta) != btf_kind(tb))
		return false;
	na = btf__name_by_offset(a, ta->name_off);
	nb = btf__name_by_offset(b, tb->name_off);
	return na && nb && *na && !strcmp(na, nb) && btf__resolve_size(a, ida) == btf__resolve_size(b, idb);
}

bool vbtf_type_match(const struct btf *btf, uint32_t id, const struct btf *want_btf, uint32_t want_id,
		     bool strict)
{
	for (int depth = 0; depth < MAX_WALK_DEPTH; depth++) {
		const struct btf_type *t;

		skip_mods(btf, id, &id);
		skip_mods(want_btf, want_id, &want_id);
		if (same_type(btf, id, want_btf, want_id))
			return true;
		if (strict)
			return false;
		/* A struct whose first member is the wanted type is one (the kernel's rule). */
		t = btf__type_by_id(btf, id);
		if (!t || !btf_is_struct(t) || !btf_vlen(t) || btf_member_bit_offset(t, 0))
			return false;
		id = btf_members(t)->type;
	}
	return false;
}

/* --- after verification --- */

int vbtf_save_marks(struct venv *env)
{
	struct sops_prog *prog = env->prog;
	uint32_t i;

	free(prog->btf_mem);
	prog->btf_mem = NULL;
	for (i = 0; i < env->insn_cnt && !env->aux[i].btf_mem; i++)
		;
	if (i == env->insn_cnt)
		return 0;
	prog->btf_mem = calloc(env->insn_cnt, 1);
	if (!prog->btf_mem)
		return -ENOMEM;
	for (i = 0; i < env->insn_cnt; i++)
		prog->btf_mem[i] = env->aux[i].btf_mem;
	return 0;
}
