/* SPDX-License-Identifier: MIT */
/*
 * core.c - CO-RE relocations: the driver.
 *
 * For every record of .BTF.ext's CO-RE section (per executable section) this
 * finds the instruction and the function that holds it, parses the access
 * string against the object's BTF, collects candidate target types by
 * essential name and kind (the host BTF first; module BTFs only when the host
 * has none, as libbpf does with vmlinux and modules), matches each candidate,
 * insists that all matching candidates agree, and patches the working copy of
 * the section (core_patch.c). Records of programs whose autoload is off are
 * skipped, as are records of slots in no function (libbpf: a weak subprogram
 * the linker dropped).
 *
 * A relocation that cannot be resolved because the field or enum value does
 * not exist on the target poisons its instruction (it fails only if it runs);
 * malformed records, impossible instructions and ambiguous candidates fail
 * the load with a message naming the program, instruction, kind and access
 * string.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader_internal.h"

struct core_cand {
	const struct btf *btf;
	__u32 id;
};

struct cand_list {
	struct core_cand *c;
	__u32 cnt;
	bool done;
};

struct core_ctx {
	struct sops_object *obj;
	const struct btf *local;
	const struct sops_btf *host;
	const struct sops_btf *const *mods;
	size_t mod_cnt;
	struct cand_list *cache; /* by local type id, filled on first use */
	__u32 cache_cnt;
};

/* One record being applied, for messages. */
struct core_rec {
	uint32_t sec, idx, nr;
	__u32 type_id, kind;
	const char *access;
	const char *fn_name;
	bool is_prog;
	uint32_t fn_off;
};

static int rec_err(struct core_ctx *ctx, const struct core_rec *r, int err, const char *why)
{
	const struct btf_type *t = r->type_id < btf__type_cnt(ctx->local) ? btf__type_by_id(ctx->local, r->type_id)
									 : NULL;

	return log_err(&ctx->obj->log, err,
		       "%s '%s': CO-RE relocation #%u at insn %u (%s of [%u] %s, access \"%s\"): %s",
		       r->is_prog ? "program" : "subprogram", r->fn_name, r->nr, r->idx - r->fn_off,
		       core_kind_str(r->kind), r->type_id, t ? btf_name(ctx->local, t) : "?",
		       r->access ? r->access : "?", why);
}

/* Add @btf's types from @start that could be @lt (kind and essential name). */
static int add_cands(struct cand_list *l, const struct btf *lb, const struct btf_type *lt,
		     const struct btf *btf, __u32 start)
{
	const char *lname = btf_name(lb, lt);
	size_t llen = core_essential_len(lname);
	__u32 cnt = btf__type_cnt(btf);

	for (__u32 id = start; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *n = btf_name(btf, t);
		struct core_cand *arr;

		if (!core_kinds_compat(t, lt) || !*n || core_essential_len(n) != llen || strncmp(n, lname, llen))
			continue;
		arr = realloc(l->c, (l->cnt + 1) * sizeof(*arr));
		if (!arr)
			return -ENOMEM;
		l->c = arr;
		arr[l->cnt++] = (struct core_cand){ btf, id };
	}
	return 0;
}

static int find_cands(struct core_ctx *ctx, __u32 local_id, struct cand_list **out)
{
	const struct btf_type *lt = btf__type_by_id(ctx->local, local_id);
	struct cand_list *l = &ctx->cache[local_id];
	int err;

	*out = l;
	if (l->done)
		return 0;
	err = add_cands(l, ctx->local, lt, ctx->host->btf, 1);
	for (size_t i = 0; !err && !l->cnt && i < ctx->mod_cnt; i++) {
		const struct btf *m = ctx->mods[i] ? ctx->mods[i]->btf : NULL;

		/* a split module's base types are the host's, searched already */
		if (m)
			err = add_cands(l, ctx->local, lt, m, btf_first_own_id(m));
	}
	l->done = !err;
	return err;
}

/* Resolve against the candidates: the result all matching ones agree on. */
static int resolve(struct core_ctx *ctx, const struct core_rec *r, const struct core_spec *local,
		   struct core_res *res)
{
	struct core_spec cand, best;
	struct core_res cres;
	struct cand_list *l;
	char why[CORE_WHY_LEN] = "";
	char msg[2 * CORE_WHY_LEN];
	bool found = false;
	int err;

	if (r->kind == CORE_TYPE_ID_LOCAL) {
		/* the object's own id: the instruction may hold a pre-link value */
		*res = (struct core_res){ .orig_val = r->type_id, .new_val = r->type_id };
		return 0;
	}
	if (!*btf_name(ctx->local, btf__type_by_id(ctx->local, r->type_id)))
		return rec_err(ctx, r, -EINVAL, "the local type is anonymous, so it has no target to match");
	err = find_cands(ctx, r->type_id, &l);
	if (err)
		return rec_err(ctx, r, err, "out of memory");
	for (__u32 i = 0; i < l->cnt; i++) {
		err = core_spec_match(local, l->c[i].btf, l->c[i].id, &cand);
		if (err < 0) {
			snprintf(msg, sizeof(msg), "matching target type [%u] %s failed (%s)", l->c[i].id,
				 btf_name(l->c[i].btf, btf__type_by_id(l->c[i].btf, l->c[i].id)),
				 err == -E2BIG ? "nested too deep" : "malformed or looping types");
			return rec_err(ctx, r, err, msg);
		}
		if (!err)
			continue;
		err = core_calc(local, &cand, &cres, why);
		if (err)
			return rec_err(ctx, r, err, why);
		if (!found) {
			*res = cres;
			best = cand;
			found = true;
			continue;
		}
		if (cand.bit_off != best.bit_off || cres.poison != res->poison || cres.new_val != res->new_val) {
			snprintf(msg, sizeof(msg),
				 "ambiguous: target types [%u] %s and [%u] %s both match but give %s %llu and %llu",
				 best.root_id, btf_name(best.btf, btf__type_by_id(best.btf, best.root_id)), cand.root_id,
				 btf_name(cand.btf, btf__type_by_id(cand.btf, cand.root_id)),
				 cand.bit_off != best.bit_off ? "bit offsets" : "values",
				 (unsigned long long)(cand.bit_off != best.bit_off ? best.bit_off : res->new_val),
				 (unsigned long long)(cand.bit_off != best.bit_off ? cand.bit_off : cres.new_val));
			return rec_err(ctx, r, -EINVAL, msg);
		}
	}
	if (found)
		return 0;
	/* nothing matched: existence checks give 0, field and enum value reads poison */
	err = core_calc(local, NULL, res, why);
	return err ? rec_err(ctx, r, err, why) : 0;
}

static int apply_rec(struct core_ctx *ctx, struct obj_sec *s, uint32_t sec, uint32_t nr, const uint8_t *p)
{
	struct core_rec r = { .sec = sec, .nr = nr, .type_id = rd32(p + 4), .kind = rd32(p + 12) };
	uint32_t off = rd32(p), str_off = rd32(p + 8);
	const struct obj_func *f;
	struct core_spec local;
	struct core_res res;
	char why[CORE_WHY_LEN] = "";
	int err;

	if (off % SOPS_INSN_SIZE || off / SOPS_INSN_SIZE >= s->insn_cnt)
		return log_err(&ctx->obj->log, -EINVAL,
			       "section %s: CO-RE relocation #%u points at byte %u, which is not an instruction of the section",
			       s->name, nr, off);
	r.idx = off / SOPS_INSN_SIZE;
	f = obj_func_at(ctx->obj, sec, r.idx);
	if (!f || (f->prog && !f->prog->autoload))
		return 0;
	r.fn_name = f->name;
	r.fn_off = f->off;
	r.is_prog = f->prog != NULL;
	r.access = btf__name_by_offset(ctx->local, str_off);
	if (!r.access)
		return rec_err(ctx, &r, -EINVAL, "the access string offset is outside the string section");
	if (!r.type_id || r.type_id >= btf__type_cnt(ctx->local))
		return rec_err(ctx, &r, -EINVAL, "the type id is not in the object's BTF");
	if (r.kind >= CORE_KIND_CNT)
		return rec_err(ctx, &r, -EOPNOTSUPP, "unknown relocation kind");
	err = core_parse_spec(ctx->local, r.type_id, r.access, r.kind, &local, why);
	if (err)
		return rec_err(ctx, &r, err, why);
	err = resolve(ctx, &r, &local, &res);
	if (err)
		return err;
	err = core_patch(&s->insns[r.idx], s->insn_cnt - r.idx, &res, why);
	if (err)
		return rec_err(ctx, &r, err, why);
	if (f->prog)
		f->prog->core_relocs++;
	return 0;
}

/* Records of loaded code exist: a target is needed. */
static bool needs_target(const struct sops_object *obj)
{
	for (uint32_t sec = 1; sec < obj->sec_cnt; sec++) {
		uint32_t cnt, rs;

		if (obj->secs[sec].kind == SEC_PROG && btf_ext_core_recs(obj, obj->secs[sec].name, &cnt, &rs) && cnt)
			return true;
	}
	return false;
}

int core_relocate(struct sops_object *obj, const struct sops_btf *host,
		  const struct sops_btf *const *mods, size_t mod_cnt)
{
	struct core_ctx ctx = { .obj = obj, .host = host, .mods = mods, .mod_cnt = mod_cnt };
	int err = 0;

	for (size_t i = 0; i < obj->prog_cnt; i++)
		obj->progs[i]->core_relocs = 0;
	if (!obj->btf || !obj->ext || !needs_target(obj))
		return 0;
	if (!host)
		return log_err(&obj->log, -EINVAL,
			       "object '%s' has CO-RE relocations: load it with a host BTF (load_opts.host_btf)",
			       obj->name);
	ctx.local = obj->btf->btf;
	ctx.cache_cnt = btf__type_cnt(ctx.local);
	ctx.cache = calloc(ctx.cache_cnt, sizeof(*ctx.cache));
	if (!ctx.cache)
		return log_err(&obj->log, -ENOMEM, "out of memory");
	for (uint32_t sec = 1; !err && sec < obj->sec_cnt; sec++) {
		struct obj_sec *s = &obj->secs[sec];
		const uint8_t *p;
		uint32_t cnt, rs;

		if (s->kind != SEC_PROG || !s->insns)
			continue;
		p = btf_ext_core_recs(obj, s->name, &cnt, &rs);
		for (uint32_t i = 0; p && !err && i < cnt; i++, p += rs)
			err = apply_rec(&ctx, s, sec, i, p);
	}
	for (__u32 i = 0; i < ctx.cache_cnt; i++)
		free(ctx.cache[i].c);
	free(ctx.cache);
	return err;
}
