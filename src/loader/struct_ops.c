/* SPDX-License-Identifier: MIT */
/*
 * struct_ops.c - .struct_ops sections as libbpf handles them
 * (../shared/spec/struct_ops.md sections 5.1 and 5.2).
 *
 * Open: each variable of .struct_ops, .struct_ops.link, ?.struct_ops and
 * ?.struct_ops.link becomes a STRUCT_OPS map whose initial value is the
 * shadow value: the local struct's bytes with each function pointer slot
 * holding the struct sops_program * that the section's relocations bind.
 * Load: the local type (flavor suffix stripped) is matched to the host's
 * value type bpf_struct_ops_<name>, member by member, building the kernel
 * value image; programs learn their attach type id and member index.
 * Every rejection uses libbpf's errno and says which map and member.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <structops/struct_ops.h>

#include "loader_internal.h"

static bool sec_is_link(const char *name)
{
	return !strcmp(name, ".struct_ops.link") || !strcmp(name, "?.struct_ops.link");
}

void st_ops_free(struct st_ops *st)
{
	if (!st)
		return;
	free(st->progs);
	free(st->kern_vdata);
	free(st->kern_func_off);
	free(st);
}

struct sops_program *st_shadow_prog(const struct sops_map *m, __u16 k)
{
	const struct btf *btf = m->obj->btf->btf;
	const struct btf_type *t = btf__type_by_id(btf, m->st->type_id);
	uint32_t off = btf_member_bit_offset(t, k) / 8;
	struct sops_program *p;

	if (!btf_func_ptr_proto(btf, btf_members(t)[k].type) || off + sizeof(p) > m->st->local_size)
		return NULL;
	memcpy(&p, (char *)m->data + off, sizeof(p));
	return p;
}

static int open_sec(struct sops_object *obj, uint32_t sec)
{
	const struct obj_sec *s = &obj->secs[sec];
	const struct btf *btf = obj->btf ? obj->btf->btf : NULL;
	const struct btf_type *ds;
	int id;

	if (!btf)
		return log_err(&obj->log, -EINVAL, "struct_ops section %s needs BTF (compile with -g)", s->name);
	id = btf__find_by_name_kind(btf, s->name, BTF_KIND_DATASEC);
	if (id < 0)
		return log_err(&obj->log, -EINVAL, "struct_ops: DATASEC %s not found", s->name);
	ds = btf__type_by_id(btf, id);
	for (__u16 i = 0; i < btf_vlen(ds); i++) {
		const struct btf_var_secinfo *vi = btf_var_secinfos(ds) + i;
		const struct btf_type *var = btf__type_by_id(btf, vi->type), *t;
		const char *vname = btf_name(btf, var);
		struct sops_map *m;
		__u32 tid;

		t = btf_is_var(var) ? btf_skip_mods(btf, var->type, &tid) : NULL;
		if (!t)
			return log_err(&obj->log, -EINVAL, "struct_ops: cannot resolve the type of variable %u of %s",
				       i, s->name);
		if (!btf_name(btf, t)[0])
			return log_err(&obj->log, -EOPNOTSUPP, "struct_ops: variable '%s' has an anonymous struct type",
				       vname);
		if (!btf_is_struct(t))
			return log_err(&obj->log, -EINVAL, "struct_ops: variable '%s' is not a struct (%s)", vname,
				       btf_kind_str(t));
		if (vi->offset > s->size || t->size > s->size - vi->offset)
			return log_err(&obj->log, -EINVAL, "struct_ops: variable '%s' lies beyond section %s",
				       vname, s->name);
		m = map_add(obj, vname, SOPS_MAP_STRUCT_OPS_VAR);
		if (!m || !(m->st = calloc(1, sizeof(*m->st))) || !(m->data = calloc(1, t->size ? t->size : 1)) ||
		    !(m->st->progs = calloc(btf_vlen(t) + 1, sizeof(*m->st->progs))))
			return log_err(&obj->log, -ENOMEM, "out of memory");
		m->type = SOPS_MAP_TYPE_STRUCT_OPS;
		m->key_size = 4;
		m->value_size = t->size;
		m->max_entries = 1;
		m->map_flags = sec_is_link(s->name) ? SOPS_F_LINK : 0;
		m->autoattach = true;
		m->autocreate = s->name[0] != '?';
		m->sec = sec;
		m->st->type_name = btf_name(btf, t);
		m->st->type_id = tid;
		m->st->sec = sec;
		m->st->sec_off = vi->offset;
		m->st->local_size = t->size;
		if (s->data)
			memcpy(m->data, s->data + vi->offset, t->size);
	}
	return 0;
}

int st_ops_open(struct sops_object *obj)
{
	for (uint32_t sec = 1; sec < obj->sec_cnt; sec++) {
		int err;

		if (obj->secs[sec].kind != SEC_STRUCT_OPS)
			continue;
		err = open_sec(obj, sec);
		if (err)
			return err;
	}
	return 0;
}

static struct sops_map *map_at(struct sops_object *obj, uint32_t sec, uint64_t off)
{
	for (size_t i = 0; i < obj->map_cnt; i++) {
		struct sops_map *m = obj->maps[i];

		if (m->st && m->st->sec == sec && off >= m->st->sec_off &&
		    off < (uint64_t)m->st->sec_off + m->st->local_size)
			return m;
	}
	return NULL;
}

static struct sops_program *prog_at(struct sops_object *obj, uint32_t sec, uint32_t off)
{
	for (size_t i = 0; i < obj->prog_cnt; i++)
		if (obj->progs[i]->sec == sec && obj->progs[i]->sec_off == off)
			return obj->progs[i];
	return NULL;
}

static int bind_reloc(struct sops_object *obj, uint32_t sec, const GElf_Rel *rel)
{
	const struct btf *btf = obj->btf->btf;
	const char *sname = obj->secs[sec].name;
	const struct btf_type *t;
	const struct btf_member *mem;
	struct sops_program *prog;
	struct sops_map *map;
	GElf_Sym sym;
	uint32_t moff;
	__u16 i;

	if (!elf_sym(obj, GELF_R_SYM(rel->r_info), &sym))
		return log_err(&obj->log, -EINVAL, "struct_ops reloc in %s: symbol %llu does not exist", sname,
			       (unsigned long long)GELF_R_SYM(rel->r_info));
	if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= obj->sec_cnt ||
	    obj->secs[sym.st_shndx].kind != SEC_PROG)
		return log_err(&obj->log, -SOPS_ERRNO__RELOC,
			       "struct_ops reloc in %s: symbol '%s' is not in a program section", sname,
			       elf_sym_name(obj, &sym));
	if (sym.st_value % SOPS_INSN_SIZE)
		return log_err(&obj->log, -SOPS_ERRNO__FORMAT,
			       "struct_ops reloc in %s: symbol '%s' is not at an instruction boundary", sname,
			       elf_sym_name(obj, &sym));
	map = map_at(obj, sec, rel->r_offset);
	if (!map)
		return log_err(&obj->log, -EINVAL, "struct_ops reloc: cannot find map at rel.r_offset %llu (section %s)",
			       (unsigned long long)rel->r_offset, sname);
	moff = (uint32_t)(rel->r_offset - map->st->sec_off);
	t = btf__type_by_id(btf, map->st->type_id);
	mem = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, mem++)
		if (btf_member_bit_offset(t, i) == moff * 8)
			break;
	if (i == btf_vlen(t))
		return log_err(&obj->log, -EINVAL, "struct_ops reloc %s: cannot find member at moff %u",
			       map->name, moff);
	if (!btf_func_ptr_proto(btf, mem->type))
		return log_err(&obj->log, -EINVAL, "struct_ops reloc %s: cannot relocate non func ptr %s",
			       map->name, btf__name_by_offset(btf, mem->name_off));
	prog = prog_at(obj, sym.st_shndx, (uint32_t)(sym.st_value / SOPS_INSN_SIZE));
	if (!prog)
		return log_err(&obj->log, -EINVAL,
			       "struct_ops reloc %s: cannot find prog at shdr_idx %u to relocate func ptr %s (%s+%llu)",
			       map->name, (unsigned)sym.st_shndx, btf__name_by_offset(btf, mem->name_off),
			       obj->secs[sym.st_shndx].name, (unsigned long long)sym.st_value);
	if (prog->type != SOPS_PROG_TYPE_STRUCT_OPS)
		return log_err(&obj->log, -EINVAL,
			       "struct_ops reloc %s: prog %s is not struct_ops BPF program (section %s)",
			       map->name, prog->name, prog->sec_name);
	map->st->progs[i] = prog;
	if (moff + sizeof(prog) <= map->st->local_size)
		memcpy((char *)map->data + moff, &prog, sizeof(prog));
	return 0;
}

int st_ops_relocs(struct sops_object *obj)
{
	for (uint32_t sec = 1; sec < obj->sec_cnt; sec++) {
		const struct obj_sec *s = &obj->secs[sec], *rs;
		Elf_Data *d;

		if (s->kind != SEC_STRUCT_OPS || !s->rel_sec)
			continue;
		rs = &obj->secs[s->rel_sec];
		d = elf_getdata(elf_getscn(obj->elf, s->rel_sec), NULL);
		for (size_t i = 0; i < rs->size / sizeof(Elf64_Rel); i++) {
			GElf_Rel rel;
			int err;

			if (!d || !gelf_getrel(d, (int)i, &rel))
				return log_err(&obj->log, -EINVAL, "section %s: relocation %zu unreadable", rs->name, i);
			err = bind_reloc(obj, sec, &rel);
			if (err)
				return err;
		}
	}
	return 0;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static bool is_obj_prog(const struct sops_object *obj, const struct sops_program *p)
{
	for (size_t i = 0; i < obj->prog_cnt; i++)
		if (obj->progs[i] == p)
			return true;
	return false;
}

static const struct btf_member *find_member(const struct btf *btf, const struct btf_type *t,
					    const char *name, __u16 *idx)
{
	for (__u16 i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, btf_members(t)[i].name_off), name)) {
			*idx = i;
			return btf_members(t) + i;
		}
	return NULL;
}

/* One local member into the kernel image (spec 5.2 step 2). */
static int init_member(struct sops_object *obj, struct sops_map *map, const struct btf *kbtf,
		       const struct btf_type *kt, __u32 kt_id, int slot, __u16 i)
{
	struct st_ops *st = map->st;
	const struct btf *btf = obj->btf->btf;
	const struct btf_type *t = btf__type_by_id(btf, st->type_id);
	const struct btf_member *lm = btf_members(t) + i, *km;
	const char *mname = btf__name_by_offset(btf, lm->name_off);
	uint32_t loff = btf_member_bit_offset(t, i) / 8, koff;
	const struct btf_type *lmt, *kmt;
	__u32 kmt_id;
	__u16 kidx;
	__s64 lsz, ksz;

	km = find_member(kbtf, kt, mname, &kidx);
	if (!km) {
		lsz = btf__resolve_size(btf, lm->type);
		if (lsz < 0)
			return log_err(&obj->log, (int)lsz, "struct_ops init_kern %s: failed to resolve the size of member %s",
				       map->name, mname);
		if (loff + lsz > st->local_size || !all_zero((char *)map->data + loff, lsz))
			return log_err(&obj->log, -EOPNOTSUPP, "struct_ops init_kern %s: Cannot find member %s in kernel BTF",
				       map->name, mname);
		if (st->progs[i]) {
			st->progs[i]->autoload = false;
			st->progs[i] = NULL;
		}
		return 0;
	}
	if (btf_member_bitfield_size(t, i) || btf_member_bitfield_size(kt, kidx))
		return log_err(&obj->log, -EOPNOTSUPP, "struct_ops init_kern %s: bitfield %s is not supported",
			       map->name, mname);
	lmt = btf_skip_mods(btf, lm->type, NULL);
	kmt = btf_skip_mods(kbtf, km->type, &kmt_id);
	if (!lmt || !kmt || btf_kind(lmt) != btf_kind(kmt))
		return log_err(&obj->log, -EOPNOTSUPP,
			       "struct_ops init_kern %s: Unmatched member type %s %u != %u(kernel)", map->name,
			       mname, lmt ? btf_kind(lmt) : 0, kmt ? btf_kind(kmt) : 0);
	koff = st->kern_data_off + btf_member_bit_offset(kt, kidx) / 8;
	if (btf_is_ptr(lmt)) {
		struct sops_program *prog;

		if (loff + sizeof(prog) > st->local_size)
			return log_err(&obj->log, -EINVAL, "struct_ops %s: member %s out of bounds", map->name, mname);
		memcpy(&prog, (char *)map->data + loff, sizeof(prog));
		if (st->progs[i] && st->progs[i] != prog)
			st->progs[i]->autoload = false;
		st->progs[i] = prog;
		if (!prog)
			return 0;
		if (!is_obj_prog(obj, prog) || prog->type != SOPS_PROG_TYPE_STRUCT_OPS)
			return log_err(&obj->log, -EOPNOTSUPP,
				       "struct_ops init_kern %s: member %s is not a struct_ops program",
				       map->name, mname);
		if (!btf_func_ptr_proto(kbtf, km->type))
			return log_err(&obj->log, -EOPNOTSUPP,
				       "struct_ops init_kern %s: kernel member %s is not a func ptr",
				       map->name, mname);
		if (!prog->attach_btf_id) {
			prog->attach_btf_id = kt_id;
			prog->expected_attach_type = kidx;
			prog->attach_btf_obj = slot;
			prog->attach_member = btf__name_by_offset(kbtf, km->name_off);
		} else if (prog->attach_btf_id != kt_id || prog->attach_btf_obj != slot) {
			/* libbpf's message; the type may also be in another BTF (host or module) */
			return log_err(&obj->log, -EINVAL,
				       "struct_ops init_kern %s func ptr %s: invalid reuse of prog %s in sec %s with type %u: attach_btf_id %u != kern_type_id %u%s",
				       map->name, mname, prog->name, prog->sec_name, prog->type, prog->attach_btf_id,
				       kt_id, prog->attach_btf_id == kt_id ? " (in another BTF)" : "");
		} else if (prog->expected_attach_type != kidx) {
			return log_err(&obj->log, -EINVAL,
				       "struct_ops init_kern %s func ptr %s: invalid reuse of prog %s in sec %s with type %u: expected_attach_type %u != kern_member_idx %u",
				       map->name, mname, prog->name, prog->sec_name, prog->type,
				       prog->expected_attach_type, kidx);
		}
		st->kern_func_off[i] = koff;
		return 0;
	}
	lsz = btf__resolve_size(btf, lm->type);
	ksz = btf__resolve_size(kbtf, km->type);
	if (lsz < 0 || ksz < 0 || lsz != ksz)
		return log_err(&obj->log, -EOPNOTSUPP, "struct_ops init_kern %s: Error in size of member %s: %lld != %lld(kernel)",
			       map->name, mname, (long long)lsz, (long long)ksz);
	if (loff + lsz > st->local_size || koff + ksz > st->kern_value_size)
		return log_err(&obj->log, -EINVAL, "struct_ops %s: member %s out of bounds", map->name, mname);
	memcpy((char *)st->kern_vdata + koff, (char *)map->data + loff, lsz);
	return 0;
}

static int init_kern(struct sops_object *obj, struct sops_map *map)
{
	struct st_ops *st = map->st;
	const struct btf *kbtf = NULL, *vbtf;
	const struct btf_type *kt, *vt, *lt;
	char name[128], vname[160];
	const char *tn = st->type_name;
	int kid, vid, slot, vslot;
	__u16 i;

	snprintf(name, sizeof(name), "%.*s", (int)core_essential_len(tn), tn);
	snprintf(vname, sizeof(vname), "bpf_struct_ops_%s", name);
	vid = find_host_type(obj, vname, BTF_KIND_STRUCT, &vbtf, &vslot);
	if (vid < 0) {
		/*
		 * The value type is optional for a host: registration synthesizes
		 * it. Lay the shadow out the same way when only the ops struct is
		 * there (no value type id to report then).
		 */
		kid = find_host_type(obj, name, BTF_KIND_STRUCT, &kbtf, &slot);
		if (kid < 0)
			return log_err(&obj->log, -ESRCH,
				       "struct_ops init_kern: struct %s is not found in kernel BTF (the host's or a module's; the value type of %s, for map %s)",
				       vname, name, map->name);
		kt = btf__type_by_id(kbtf, kid);
		vid = 0;
		st->kern_data_off = SOPS_STRUCT_OPS_DATA_ALIGN;
		st->kern_value_size = (uint32_t)((SOPS_STRUCT_OPS_DATA_ALIGN + (uint64_t)kt->size +
						  SOPS_STRUCT_OPS_DATA_ALIGN - 1) /
						 SOPS_STRUCT_OPS_DATA_ALIGN * SOPS_STRUCT_OPS_DATA_ALIGN);
		goto layout;
	}
	kbtf = vbtf;
	slot = vslot;
	kid = btf__find_by_name_kind(kbtf, name, BTF_KIND_STRUCT);
	if (kid < 0)
		return log_err(&obj->log, -ENOENT, "struct_ops init_kern: struct %s is not found in kernel BTF (the one holding %s)",
			       name, vname);
	kt = btf__type_by_id(kbtf, kid);
	vt = btf__type_by_id(kbtf, vid);
	for (i = 0; i < btf_vlen(vt); i++) {
		__u32 mid;

		btf_skip_mods(kbtf, btf_members(vt)[i].type, &mid);
		if (mid == (__u32)kid)
			break;
	}
	if (i == btf_vlen(vt))
		return log_err(&obj->log, -EINVAL, "struct_ops init_kern: struct %s data is not found in struct %s",
			       name, vname);
	st->kern_data_off = btf_member_bit_offset(vt, i) / 8;
	st->kern_value_size = vt->size;
	if (st->kern_data_off + (uint64_t)kt->size > vt->size)
		return log_err(&obj->log, -EINVAL, "struct_ops init_kern: %s does not fit in %s", name, vname);
layout:
	free(st->kern_vdata);
	free(st->kern_func_off);
	lt = btf__type_by_id(obj->btf->btf, st->type_id);
	st->kern_vdata = calloc(1, st->kern_value_size ? st->kern_value_size : 1);
	st->kern_func_off = calloc(btf_vlen(lt) + 1, sizeof(*st->kern_func_off));
	if (!st->kern_vdata || !st->kern_func_off)
		return log_err(&obj->log, -ENOMEM, "out of memory");
	st->value_type_id = (uint32_t)vid;
	st->btf_obj = slot;
	map->value_size = st->kern_value_size;
	for (i = 0; i < btf_vlen(lt); i++) {
		int err = init_member(obj, map, kbtf, kt, (__u32)kid, slot, i);

		if (err)
			return err;
	}
	return 0;
}

int st_ops_prepare(struct sops_object *obj)
{
	bool any = false;
	int err;

	for (size_t i = 0; i < obj->map_cnt; i++)
		any |= obj->maps[i]->st != NULL;
	for (size_t i = 0; i < obj->prog_cnt; i++)
		any |= obj->progs[i]->type == SOPS_PROG_TYPE_STRUCT_OPS;
	if (any && (!obj->lopts || !obj->lopts->host_btf))
		return log_err(&obj->log, -EINVAL,
			       "struct_ops maps and programs need the host's BTF (load_opts.host_btf)");
	for (size_t i = 0; i < obj->map_cnt; i++) {
		struct sops_map *m = obj->maps[i];

		if (!m->st || !m->autocreate)
			continue;
		err = init_kern(obj, m);
		if (err)
			return err;
	}
	/* autoload: referenced programs load iff a referencing map is created */
	for (size_t p = 0; p < obj->prog_cnt; p++) {
		struct sops_program *prog = obj->progs[p];
		bool referenced = false, created = false;

		if (prog->type != SOPS_PROG_TYPE_STRUCT_OPS)
			continue;
		for (size_t i = 0; i < obj->map_cnt; i++) {
			struct sops_map *m = obj->maps[i];
			const struct btf_type *lt;

			if (!m->st)
				continue;
			lt = btf__type_by_id(obj->btf->btf, m->st->type_id);
			for (__u16 k = 0; k < btf_vlen(lt); k++) {
				if (st_shadow_prog(m, k) != prog)
					continue;
				referenced = true;
				created |= m->autocreate;
			}
		}
		if (referenced)
			prog->autoload = created;
	}
	return 0;
}

void st_ops_fill_handles(struct sops_object *obj)
{
	for (size_t i = 0; i < obj->map_cnt; i++) {
		struct sops_map *m = obj->maps[i];
		const struct btf_type *lt;

		if (!m->st || !m->autocreate || !m->st->kern_vdata)
			continue;
		lt = btf__type_by_id(obj->btf->btf, m->st->type_id);
		for (__u16 k = 0; k < btf_vlen(lt); k++) {
			uint64_t h;

			if (!m->st->kern_func_off[k] || !m->st->progs[k])
				continue;
			h = (uint64_t)(int64_t)m->st->progs[k]->handle;
			memcpy((char *)m->st->kern_vdata + m->st->kern_func_off[k], &h, sizeof(h));
		}
	}
}
