/* SPDX-License-Identifier: MIT */
/*
 * reloc.c - relocation records of executable sections, externs, and the
 * linking of each program: subprograms appended, calls, maps, global data
 * and kfuncs patched into the final instructions (the output is described in
 * include/structops/object.h).
 *
 * Records follow libbpf's classification: a call through a symbol must reach
 * .text; an lddw may name a function, a map in .maps, global data, or an
 * extern; anything else is an error naming the section and slot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader_internal.h"

#define R_BPF_64_64 1
#define R_BPF_64_32 10
#define CODE_CALL 0x85
#define CODE_LDDW 0x18

static int cmp_reloc(const void *a, const void *b)
{
	const struct obj_reloc *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return x->insn_idx < y->insn_idx ? -1 : x->insn_idx > y->insn_idx;
}

static const struct obj_reloc *find_reloc(const struct sops_object *obj, uint32_t sec, uint32_t idx)
{
	struct obj_reloc key = { .sec = sec, .insn_idx = idx };

	return obj->reloc_cnt ? bsearch(&key, obj->relocs, obj->reloc_cnt, sizeof(key), cmp_reloc)
			      : NULL;
}

static int find_extern_btf(struct sops_object *obj, const char *name, struct obj_extern *ext)
{
	const struct btf *btf = obj->btf ? obj->btf->btf : NULL;
	__u32 cnt = btf ? btf__type_cnt(btf) : 0;

	for (__u32 id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *sec = btf_name(btf, t);

		if (!btf_is_datasec(t) || (strcmp(sec, ".ksyms") && strcmp(sec, ".kconfig")))
			continue;
		for (__u16 i = 0; i < btf_vlen(t); i++) {
			const struct btf_type *v = btf__type_by_id(btf, btf_var_secinfos(t)[i].type);

			if (strcmp(btf_name(btf, v), name))
				continue;
			ext->is_func = btf_is_func(v);
			ext->kconfig = !strcmp(sec, ".kconfig");
			if (ext->kconfig) {
				const struct obj_kcfg *k = kcfg_find(obj, name);

				/* kconfig_open refused what it could not lay out */
				if (!k)
					return log_err(&obj->log, -EINVAL, "extern '%s' is not in the .kconfig map",
						       name);
				ext->kcfg_idx = (int)(k - obj->kcfg);
			}
			return 0;
		}
	}
	return log_err(&obj->log, -ENOENT,
		       "failed to find BTF for extern '%s': %d (declare it __ksym or __kconfig, compile with -g)",
		       name, -ENOENT);
}

/* The extern for undefined symbol @sym, added on first use. */
static int get_extern(struct sops_object *obj, const GElf_Sym *sym)
{
	const char *name = elf_sym_name(obj, sym);
	struct obj_extern *arr;
	int err;

	for (size_t i = 0; i < obj->extern_cnt; i++)
		if (!strcmp(obj->externs[i].name, name))
			return (int)i;
	arr = realloc(obj->externs, (obj->extern_cnt + 1) * sizeof(*arr));
	if (!arr)
		return log_err(&obj->log, -ENOMEM, "out of memory");
	obj->externs = arr;
	memset(&arr[obj->extern_cnt], 0, sizeof(*arr));
	arr[obj->extern_cnt].name = name;
	arr[obj->extern_cnt].weak = GELF_ST_BIND(sym->st_info) == STB_WEAK;
	err = find_extern_btf(obj, name, &arr[obj->extern_cnt]);
	if (err)
		return err;
	return (int)obj->extern_cnt++;
}

static int map_by_sym(struct sops_object *obj, const char *name)
{
	for (size_t i = 0; i < obj->map_cnt; i++)
		if (obj->maps[i]->kind == SOPS_MAP_USER && !strcmp(obj->maps[i]->name, name))
			return (int)i;
	return -1;
}

static int record(struct sops_object *obj, uint32_t sec, const GElf_Rel *rel, struct obj_reloc *r)
{
	struct obj_sec *s = &obj->secs[sec];
	const char *sname;
	uint32_t idx;
	GElf_Sym sym;
	struct sops_insn *insn;

	if (rel->r_offset % SOPS_INSN_SIZE || rel->r_offset / SOPS_INSN_SIZE >= s->insn_cnt)
		return log_err(&obj->log, -EINVAL, "section %s: relocation at offset %llu is not at an instruction",
			       s->name, (unsigned long long)rel->r_offset);
	idx = (uint32_t)(rel->r_offset / SOPS_INSN_SIZE);
	insn = &s->insns[idx];
	if (!elf_sym(obj, GELF_R_SYM(rel->r_info), &sym))
		return log_err(&obj->log, -EINVAL, "section %s: relocation at slot %u names symbol %llu, which does not exist",
			       s->name, idx, (unsigned long long)GELF_R_SYM(rel->r_info));
	sname = elf_sym_name(obj, &sym);
	memset(r, 0, sizeof(*r));
	r->sec = sec;
	r->insn_idx = idx;
	switch (GELF_R_TYPE(rel->r_info)) {
	case R_BPF_64_64:
	case R_BPF_64_32:
		break;
	default:
		return log_err(&obj->log, -EINVAL, "section %s slot %u: unknown relocation type %llu",
			       s->name, idx, (unsigned long long)GELF_R_TYPE(rel->r_info));
	}
	if (sym.st_shndx == SHN_UNDEF) {
		if (!*sname)
			return log_err(&obj->log, -EINVAL, "section %s slot %u: relocation against an unnamed undefined symbol",
				       s->name, idx);
		int e = get_extern(obj, &sym);

		if (e < 0)
			return e;
		r->ext_idx = e;
		if (insn->code == CODE_CALL) {
			if (!obj->externs[e].is_func)
				return log_err(&obj->log, -EINVAL, "section %s slot %u: call of extern '%s', which is not a function",
					       s->name, idx, sname);
			r->kind = RELO_EXTERN_FUNC;
			return 0;
		}
		if (insn->code != CODE_LDDW || idx + 1 >= s->insn_cnt)
			return log_err(&obj->log, -EINVAL, "section %s slot %u: extern '%s' used by an instruction that is not lddw",
				       s->name, idx, sname);
		r->kind = RELO_EXTERN_VAR;
		return 0;
	}
	if (sym.st_shndx >= obj->sec_cnt)
		return log_err(&obj->log, -EINVAL, "section %s slot %u: symbol '%s' in section %u, which does not exist",
			       s->name, idx, sname, sym.st_shndx);
	struct obj_sec *t = &obj->secs[sym.st_shndx];

	if (insn->code == CODE_CALL) {
		if (insn->src_reg != SOPS_CALL_LOCAL || t->kind != SEC_PROG || strcmp(t->name, ".text"))
			return log_err(&obj->log, -EINVAL, "section %s slot %u: bad call relocation against '%s' in section %s",
				       s->name, idx, sname, t->name);
		if (sym.st_value % SOPS_INSN_SIZE)
			return log_err(&obj->log, -EINVAL, "section %s slot %u: call target '%s' is not at an instruction",
				       s->name, idx, sname);
		r->kind = RELO_CALL;
		r->tgt_sec = sym.st_shndx;
		r->sym_off = (uint32_t)sym.st_value;
		return 0;
	}
	if (insn->code != CODE_LDDW || idx + 1 >= s->insn_cnt)
		return log_err(&obj->log, -EINVAL, "section %s slot %u: relocation against '%s' on an instruction that is neither call nor lddw",
			       s->name, idx, sname);
	switch (t->kind) {
	case SEC_PROG:
		r->kind = RELO_SUBPROG_ADDR;
		r->tgt_sec = sym.st_shndx;
		r->sym_off = (uint32_t)sym.st_value;
		return 0;
	case SEC_MAPS:
		r->kind = RELO_MAP;
		r->map_idx = map_by_sym(obj, sname);
		if (r->map_idx < 0)
			return log_err(&obj->log, -EINVAL, "section %s slot %u: '%s' is not a map in .maps",
				       s->name, idx, sname);
		return 0;
	case SEC_DATA:
		r->kind = RELO_DATA;
		r->map_idx = t->map_idx;
		r->sym_off = (uint32_t)sym.st_value;
		if (r->map_idx < 0 || sym.st_value > t->size)
			return log_err(&obj->log, -EINVAL, "section %s slot %u: '%s' is outside section %s",
				       s->name, idx, sname, t->name);
		return 0;
	default:
		return log_err(&obj->log, -EINVAL, "section %s slot %u: bad relocation against '%s' in section %s",
			       s->name, idx, sname, t->name);
	}
}

int reloc_collect(struct sops_object *obj)
{
	for (uint32_t sec = 1; sec < obj->sec_cnt; sec++) {
		struct obj_sec *s = &obj->secs[sec], *rs;
		size_t n;
		Elf_Data *d;

		if (s->kind != SEC_PROG || !s->rel_sec)
			continue;
		rs = &obj->secs[s->rel_sec];
		n = rs->size / sizeof(Elf64_Rel);
		struct obj_reloc *arr = realloc(obj->relocs, (obj->reloc_cnt + n + 1) * sizeof(*arr));

		if (!arr)
			return log_err(&obj->log, -ENOMEM, "out of memory");
		obj->relocs = arr;
		d = elf_getdata(elf_getscn(obj->elf, s->rel_sec), NULL);
		for (size_t i = 0; i < n; i++) {
			GElf_Rel rel;
			int err;

			if (!d || !gelf_getrel(d, (int)i, &rel))
				return log_err(&obj->log, -EINVAL, "section %s: relocation %zu unreadable", rs->name, i);
			err = record(obj, sec, &rel, &arr[obj->reloc_cnt]);
			if (err)
				return err;
			obj->reloc_cnt++;
		}
	}
	if (obj->reloc_cnt)
		qsort(obj->relocs, obj->reloc_cnt, sizeof(*obj->relocs), cmp_reloc);
	for (size_t i = 1; i < obj->reloc_cnt; i++)
		if (!cmp_reloc(&obj->relocs[i - 1], &obj->relocs[i]))
			return log_err(&obj->log, -EINVAL, "section %s slot %u has two relocations",
				       obj->secs[obj->relocs[i].sec].name, obj->relocs[i].insn_idx);
	return 0;
}

int find_host_type(struct sops_object *obj, const char *name, int kind, const struct btf **btf,
		   int *slot)
{
	const struct sops_object_load_opts *o = obj->lopts;
	int id;

	if (o && o->host_btf) {
		id = btf__find_by_name_kind(o->host_btf->btf, name, kind);
		if (id > 0) {
			*btf = o->host_btf->btf;
			*slot = 0;
			return id;
		}
	}
	for (size_t i = 0; o && i < o->module_btf_cnt; i++) {
		const struct sops_btf *m = o->module_btfs[i];

		id = m ? btf__find_by_name_kind(m->btf, name, kind) : -1;
		/* split module BTF finds base types too: only its own count */
		if (id > 0 && (__u32)id >= btf_first_own_id(m->btf)) {
			*btf = m->btf;
			*slot = (int)i + 1;
			return id;
		}
	}
	return -ENOENT;
}

int externs_resolve(struct sops_object *obj)
{
	for (size_t i = 0; i < obj->extern_cnt; i++) {
		struct obj_extern *e = &obj->externs[i];
		char name[128];
		const struct btf *btf;
		int slot, id;

		if (e->kconfig)
			continue; /* a value in the .kconfig map (kconfig_resolve) */
		snprintf(name, sizeof(name), "%.*s", (int)core_essential_len(e->name), e->name);
		id = find_host_type(obj, name, e->is_func ? BTF_KIND_FUNC : BTF_KIND_VAR, &btf, &slot);
		if (id < 0 && e->weak) {
			e->host_id = 0; /* calls become libbpf's poison, as for a missing weak kfunc */
			continue;
		}
		if (id < 0 && e->is_func)
			return log_err(&obj->log, -ESRCH,
				       "extern (func ksym) '%s': not found in kernel or module BTFs (the host's or a module's)",
				       name);
		if (id < 0)
			return log_err(&obj->log, -ESRCH,
				       "extern (var ksym) '%s': not found in kernel BTF (the host's or a module's)", name);
		e->host_id = id;
		e->btf_slot = (int16_t)slot;
	}
	return 0;
}

/* ---- linking ---- */

struct seg {
	uint32_t func; /* index in obj->funcs */
	uint32_t pos;  /* first final slot */
};

struct link {
	struct sops_insn *insns;
	size_t cnt;
	struct seg *segs;
	size_t seg_cnt;
};

static int find_func(const struct sops_object *obj, uint32_t sec, uint32_t idx)
{
	const struct obj_func *f = obj_func_at(obj, sec, idx);

	return f ? (int)(f - obj->funcs) : -1;
}

static int append(struct sops_object *obj, struct link *l, uint32_t func)
{
	const struct obj_func *f = &obj->funcs[func];
	struct sops_insn *ni;
	struct seg *ns;

	if (l->cnt + f->cnt > SOPS_MAX_INSNS_LINKED)
		return log_err(&obj->log, -E2BIG, "program too large after linking");
	ni = realloc(l->insns, (l->cnt + f->cnt) * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	l->insns = ni;
	ns = realloc(l->segs, (l->seg_cnt + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	l->segs = ns;
	memcpy(ni + l->cnt, obj->secs[f->sec].insns + f->off, f->cnt * sizeof(*ni));
	ns[l->seg_cnt++] = (struct seg){ func, (uint32_t)l->cnt };
	l->cnt += f->cnt;
	return 0;
}

/* The final slot of (sec, idx), appending its function when needed. */
static int target_pos(struct sops_object *obj, struct link *l, const char *pname, uint32_t sec,
		      int64_t idx, uint32_t *pos)
{
	int fi = idx >= 0 && idx <= UINT32_MAX ? find_func(obj, sec, (uint32_t)idx) : -1;
	int err;

	if (fi < 0)
		return log_err(&obj->log, -EINVAL, "program '%s': call or function reference to slot %lld of section %s, which is in no function",
			       pname, (long long)idx, obj->secs[sec].name);
	for (size_t i = 0; i < l->seg_cnt; i++)
		if (l->segs[i].func == (uint32_t)fi) {
			*pos = l->segs[i].pos + (uint32_t)idx - obj->funcs[fi].off;
			return 0;
		}
	err = append(obj, l, (uint32_t)fi);
	if (err)
		return err == -ENOMEM ? log_err(&obj->log, err, "out of memory") : err;
	*pos = l->segs[l->seg_cnt - 1].pos + (uint32_t)idx - obj->funcs[fi].off;
	return 0;
}

static bool use_handles(const struct sops_object *obj)
{
	return obj->lopts && obj->lopts->ops && obj->lopts->ops->create_map;
}

/*
 * libbpf turns such an lddw into a poisoned call and lets the verifier fail
 * the program only if it can reach it; structops refuses the load at once,
 * with the words libbpf's log then shows.
 */
static int not_created(struct sops_object *obj, const struct sops_program *prog,
		       const struct sops_map *map)
{
	return log_err(&obj->log, -EINVAL,
		       "prog '%s': BPF map '%s' is referenced but wasn't created (its autocreate is off)",
		       prog->name, map->name);
}

/* An lddw of a __kconfig extern: the address of its slot in the .kconfig map, as global data. */
static int apply_kconfig(struct sops_object *obj, struct sops_program *prog, struct sops_insn *insn,
			 const struct obj_kcfg *k)
{
	struct sops_map *map = obj->maps[obj->kcfg_map];

	if (!map->autocreate)
		return not_created(obj, prog, map);
	insn[1].imm = insn[0].imm + (int32_t)k->data_off;
	insn->src_reg = use_handles(obj) ? SOPS_LD_IMM64_MAP_VALUE : SOPS_LD_IMM64_MAP_IDX_VALUE;
	insn->imm = use_handles(obj) ? map->handle : map->idx;
	return 0;
}

static int apply(struct sops_object *obj, struct sops_program *prog, struct link *l, uint32_t pos,
		 const struct seg *sg)
{
	const struct obj_func *f = &obj->funcs[sg->func];
	uint32_t sidx = f->off + (pos - sg->pos);
	const struct obj_reloc *r = find_reloc(obj, f->sec, sidx);
	struct sops_insn *insn = &l->insns[pos];
	struct sops_map *map;
	uint32_t tpos;
	int err;

	if (!r) {
		if (insn->code == CODE_CALL && insn->src_reg == SOPS_CALL_LOCAL) {
			err = target_pos(obj, l, prog->name, f->sec, (int64_t)sidx + insn->imm + 1, &tpos);
			if (err)
				return err;
			l->insns[pos].imm = (int32_t)(tpos - pos - 1);
		}
		return 0;
	}
	if (insn->code == CODE_LDDW && pos + 1 >= l->cnt)
		return log_err(&obj->log, -EINVAL, "program '%s': lddw at slot %u is cut by the end of its function",
			       prog->name, pos);
	prog->relocs_applied++;
	switch (r->kind) {
	case RELO_CALL:
		err = target_pos(obj, l, prog->name, r->tgt_sec,
				 (int64_t)(r->sym_off / SOPS_INSN_SIZE) + insn->imm + 1, &tpos);
		if (err)
			return err;
		insn = &l->insns[pos];
		insn->imm = (int32_t)(tpos - pos - 1);
		return 0;
	case RELO_SUBPROG_ADDR:
		err = target_pos(obj, l, prog->name, r->tgt_sec,
				 ((int64_t)r->sym_off + insn->imm) / SOPS_INSN_SIZE, &tpos);
		if (err)
			return err;
		insn = &l->insns[pos];
		insn->src_reg = SOPS_LD_IMM64_FUNC;
		insn->imm = (int32_t)(tpos - pos - 1);
		return 0;
	case RELO_MAP:
	case RELO_DATA:
		map = obj->maps[r->map_idx];
		if (!map->autocreate)
			return not_created(obj, prog, map);
		if (r->kind == RELO_DATA) {
			insn[1].imm = insn[0].imm + (int32_t)r->sym_off;
			insn->src_reg = use_handles(obj) ? SOPS_LD_IMM64_MAP_VALUE : SOPS_LD_IMM64_MAP_IDX_VALUE;
		} else {
			insn->src_reg = use_handles(obj) ? SOPS_LD_IMM64_MAP_FD : SOPS_LD_IMM64_MAP_IDX;
		}
		insn->imm = use_handles(obj) ? map->handle : map->idx;
		return 0;
	case RELO_EXTERN_FUNC:
		if (!obj->externs[r->ext_idx].host_id) {
			insn->src_reg = SOPS_CALL_HELPER;
			insn->imm = POISON_HELPER;
			insn->off = 0;
			return 0;
		}
		insn->src_reg = SOPS_CALL_KFUNC;
		insn->imm = obj->externs[r->ext_idx].host_id;
		insn->off = obj->externs[r->ext_idx].btf_slot;
		return 0;
	case RELO_EXTERN_VAR:
		if (obj->externs[r->ext_idx].kconfig)
			return apply_kconfig(obj, prog, insn, &obj->kcfg[obj->externs[r->ext_idx].kcfg_idx]);
		insn->src_reg = SOPS_LD_IMM64_BTF_ID;
		insn->imm = obj->externs[r->ext_idx].host_id;
		insn[1].imm = obj->externs[r->ext_idx].btf_slot;
		return 0;
	}
	return 0;
}

int prog_relocate(struct sops_object *obj, struct sops_program *prog)
{
	struct link l = { 0 };
	int fi = find_func(obj, prog->sec, prog->sec_off);
	int err;

	if (fi < 0)
		return log_err(&obj->log, -EINVAL, "program '%s' has no function", prog->name);
	err = append(obj, &l, (uint32_t)fi);
	for (uint32_t pos = 0; !err && pos < l.cnt; pos++) {
		size_t s = l.seg_cnt - 1;

		while (l.segs[s].pos > pos)
			s--;
		struct seg sg = l.segs[s];

		err = apply(obj, prog, &l, pos, &sg);
		if (!err && l.insns[pos].code == CODE_LDDW)
			pos++;
	}
	for (size_t s = 0; !err && s < l.seg_cnt; s++) {
		const struct obj_func *f = &obj->funcs[l.segs[s].func];

		err = btf_ext_add_prog_info(obj, prog, f->sec, f->off, f->cnt, l.segs[s].pos);
	}
	if (err) {
		free(l.insns);
		free(l.segs);
		return err == -ENOMEM ? log_err(&obj->log, err, "out of memory") : err;
	}
	free(prog->insns);
	prog->insns = l.insns;
	prog->insn_cnt = l.cnt;
	free(l.segs);
	return 0;
}
