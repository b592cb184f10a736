/* SPDX-License-Identifier: MIT */
/*
 * maps.c - the maps an object declares: BTF-defined maps in .maps and one
 * single-element array per global data section, plus the DATASEC fix-up.
 *
 * clang leaves DATASEC sizes and variable offsets at zero; as libbpf does,
 * they are filled in from the ELF section sizes and symbol values, so the
 * object's BTF describes the real layout. A BTF-defined map is a variable of
 * an anonymous struct whose members encode the definition: `type`,
 * `max_entries`, `map_flags`, `key_size`, `value_size`, `numa_node`,
 * `map_extra`, `pinning` as pointers to arrays whose length is the value
 * (__uint), `key` and `value` as pointers to the types (__type).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader_internal.h"

struct sops_map *map_add(struct sops_object *obj, const char *name, enum sops_map_kind kind)
{
	struct sops_map *m = calloc(1, sizeof(*m)), **arr;

	if (!m)
		return NULL;
	arr = realloc(obj->maps, (obj->map_cnt + 1) * sizeof(*arr));
	if (!arr) {
		free(m);
		return NULL;
	}
	obj->maps = arr;
	m->name = strdup(name);
	if (!m->name) {
		free(m);
		return NULL;
	}
	arr[obj->map_cnt] = m;
	m->idx = (int)obj->map_cnt++;
	m->obj = obj;
	m->kind = kind;
	m->autocreate = true;
	m->handle = -1;
	return m;
}

/* The symbol named @name defined in section @sec, or false. */
static bool find_sym(struct sops_object *obj, uint32_t sec, const char *name, GElf_Sym *sym)
{
	for (size_t i = 1; i < obj->sym_cnt; i++) {
		if (!elf_sym(obj, i, sym))
			return false;
		if (sym->st_shndx == sec && GELF_ST_TYPE(sym->st_info) == STT_OBJECT &&
		    !strcmp(elf_sym_name(obj, sym), name))
			return true;
	}
	return false;
}

static int find_sec(struct sops_object *obj, const char *name)
{
	for (size_t i = 1; i < obj->sec_cnt; i++)
		if (obj->secs[i].name && !strcmp(obj->secs[i].name, name))
			return (int)i;
	return -1;
}

int btf_fixup_datasecs(struct sops_object *obj)
{
	struct btf *btf = obj->btf->btf;
	__u32 cnt = btf__type_cnt(btf);

	for (__u32 id = 1; id < cnt; id++) {
		struct btf_type *t = (struct btf_type *)btf__type_by_id(btf, id);
		struct btf_var_secinfo *vi;
		const char *name;
		int sec;

		if (!btf_is_datasec(t))
			continue;
		name = btf_name(btf, t);
		sec = find_sec(obj, name);
		if (sec < 0) {
			if (!strcmp(name, ".ksyms") || !strcmp(name, ".kconfig"))
				continue; /* externs: no section */
			return log_err(&obj->log, -EINVAL, "BTF DATASEC '%s' has no ELF section", name);
		}
		if (obj->secs[sec].size > UINT32_MAX)
			return log_err(&obj->log, -E2BIG, "section %s is too large", name);
		t->size = (__u32)obj->secs[sec].size;
		vi = btf_var_secinfos(t);
		for (__u16 i = 0; i < btf_vlen(t); i++, vi++) {
			const struct btf_type *var = btf__type_by_id(btf, vi->type);
			const char *vname = btf_name(btf, var);
			GElf_Sym sym;

			if (!btf_is_var(var))
				return log_err(&obj->log, -EINVAL, "DATASEC '%s' entry %u is not a VAR", name, i);
			if (!find_sym(obj, sec, vname, &sym))
				return log_err(&obj->log, -EINVAL, "variable '%s' of DATASEC '%s' has no symbol",
					       vname, name);
			if (sym.st_value > t->size || vi->size > t->size - sym.st_value)
				return log_err(&obj->log, -EINVAL,
					       "variable '%s' (offset %llu, size %u) is beyond section %s",
					       vname, (unsigned long long)sym.st_value, vi->size, name);
			vi->offset = (__u32)sym.st_value;
		}
	}
	return 0;
}

/* libbpf's names: "<obj prefix of 8>.data", and custom sections as they are. */
static void data_map_name(struct sops_object *obj, const char *sec, char *buf, size_t size)
{
	int pfx = (int)strlen(obj->name);

	if (pfx > 8)
		pfx = 8;
	if (strchr(sec + 1, '.'))
		pfx = 0;
	snprintf(buf, size, "%.*s%.*s", pfx, obj->name, 15 - pfx, sec);
}

int maps_init_data(struct sops_object *obj)
{
	for (size_t i = 1; i < obj->sec_cnt; i++) {
		struct obj_sec *s = &obj->secs[i];
		struct sops_map *m;
		char name[32];
		enum sops_map_kind kind;

		if (s->kind != SEC_DATA)
			continue;
		s->map_idx = -1;
		if (!s->size)
			continue;
		/*
		 * The section becomes one array value: beyond the array's value
		 * limit (the kernel's INT_MAX) no runtime could create the map, so
		 * refuse before allocating the copy (a .bss costs no file bytes).
		 */
		if (s->size > INT32_MAX)
			return log_err(&obj->log, -E2BIG,
				       "section %s is too large (%llu bytes, at most %d in one map value)",
				       s->name, (unsigned long long)s->size, INT32_MAX);
		kind = s->sh.sh_type == SHT_NOBITS ? SOPS_MAP_BSS :
		       !strncmp(s->name, ".rodata", 7) ? SOPS_MAP_RODATA : SOPS_MAP_DATA;
		data_map_name(obj, s->name, name, sizeof(name));
		m = map_add(obj, name, kind);
		if (!m || !(m->data = calloc(1, s->size)))
			return log_err(&obj->log, -ENOMEM, "out of memory");
		if (s->data)
			memcpy(m->data, s->data, s->size);
		m->type = SOPS_MAP_TYPE_ARRAY;
		m->key_size = 4;
		m->value_size = (uint32_t)s->size;
		m->max_entries = 1;
		m->map_flags = kind == SOPS_MAP_RODATA ? (1u << 7) /* BPF_F_RDONLY_PROG */ : 0;
		m->sec = (uint32_t)i;
		s->map_idx = m->idx;
		if (obj->btf) {
			int id = btf__find_by_name_kind(obj->btf->btf, s->name, BTF_KIND_DATASEC);

			m->value_type_id = id > 0 ? (uint32_t)id : 0;
		}
	}
	return 0;
}

/* __uint(name, N): a pointer to an array of N elements. */
static int get_uint(struct sops_object *obj, const char *map, const struct btf_member *m, __u32 *val)
{
	const struct btf *btf = obj->btf->btf;
	const struct btf_type *t = btf_skip_mods(btf, m->type, NULL), *arr;

	if (!t || !btf_is_ptr(t))
		goto bad;
	arr = btf_skip_mods(btf, t->type, NULL);
	if (!arr || !btf_is_array(arr))
		goto bad;
	*val = btf_array(arr)->nelems;
	return 0;
bad:
	return log_err(&obj->log, -EINVAL, "map '%s': field '%s' is not __uint() (a pointer to an array)",
		       map, btf__name_by_offset(btf, m->name_off));
}

/* __type(name, T): a pointer to T; sets the id and the size. */
static int get_type(struct sops_object *obj, const char *map, const struct btf_member *m,
		    __u32 *id, __u32 *size)
{
	const struct btf *btf = obj->btf->btf;
	const struct btf_type *t = btf_skip_mods(btf, m->type, NULL);
	__s64 sz;

	if (!t || !btf_is_ptr(t))
		return log_err(&obj->log, -EINVAL, "map '%s': field '%s' is not __type() (a pointer)", map,
			       btf__name_by_offset(btf, m->name_off));
	sz = btf__resolve_size(btf, t->type);
	if (sz < 0 || sz > UINT32_MAX)
		return log_err(&obj->log, -EINVAL, "map '%s': cannot size the type of '%s'", map,
			       btf__name_by_offset(btf, m->name_off));
	if (*size && *size != sz)
		return log_err(&obj->log, -EINVAL, "map '%s': %s size %u conflicts with its type's size %lld",
			       map, btf__name_by_offset(btf, m->name_off), *size, (long long)sz);
	*id = t->type;
	*size = (__u32)sz;
	return 0;
}

static int parse_map_def(struct sops_object *obj, struct sops_map *map, const struct btf_type *def)
{
	const struct btf *btf = obj->btf->btf;
	const struct btf_member *m = btf_members(def);
	int err = 0;

	for (__u16 i = 0; i < btf_vlen(def) && !err; i++, m++) {
		const char *f = btf__name_by_offset(btf, m->name_off);
		__u32 v = 0, sz;

		if (!strcmp(f, "type")) {
			err = get_uint(obj, map->name, m, &map->type);
		} else if (!strcmp(f, "max_entries")) {
			err = get_uint(obj, map->name, m, &map->max_entries);
		} else if (!strcmp(f, "map_flags")) {
			err = get_uint(obj, map->name, m, &map->map_flags);
		} else if (!strcmp(f, "numa_node")) {
			err = get_uint(obj, map->name, m, &map->numa_node);
		} else if (!strcmp(f, "pinning")) {
			err = get_uint(obj, map->name, m, &map->pinning);
		} else if (!strcmp(f, "map_extra")) {
			err = get_uint(obj, map->name, m, &v);
			map->map_extra = v;
		} else if (!strcmp(f, "key_size") || !strcmp(f, "value_size")) {
			__u32 *dst = f[0] == 'k' ? &map->key_size : &map->value_size;

			err = get_uint(obj, map->name, m, &v);
			if (!err && *dst && *dst != v)
				err = log_err(&obj->log, -EINVAL, "map '%s': %s %u conflicts with %u", map->name,
					      f, v, *dst);
			*dst = v;
		} else if (!strcmp(f, "key")) {
			sz = map->key_size;
			err = get_type(obj, map->name, m, &map->key_type_id, &sz);
			map->key_size = sz;
		} else if (!strcmp(f, "value")) {
			sz = map->value_size;
			err = get_type(obj, map->name, m, &map->value_type_id, &sz);
			map->value_size = sz;
		} else if (!strcmp(f, "values") || !strcmp(f, "inner_map")) {
			err = log_err(&obj->log, -EOPNOTSUPP,
				      "map '%s': '%s' (map-in-map and prog-array initial values) is not supported",
				      map->name, f);
		} else {
			err = log_err(&obj->log, -EOPNOTSUPP, "map '%s': unknown field '%s'", map->name, f);
		}
	}
	if (!err && !map->type)
		err = log_err(&obj->log, -EINVAL, "map '%s': no map type", map->name);
	return err;
}

int maps_init_btf(struct sops_object *obj)
{
	const struct btf *btf;
	const struct btf_type *sec;
	int id;

	if (!obj->maps_sec)
		return 0;
	if (!obj->btf)
		return log_err(&obj->log, -EINVAL, ".maps section needs BTF (compile with -g)");
	btf = obj->btf->btf;
	id = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
	if (id < 0)
		return log_err(&obj->log, -EINVAL, ".maps section has no DATASEC in BTF");
	sec = btf__type_by_id(btf, id);
	for (__u16 i = 0; i < btf_vlen(sec); i++) {
		const struct btf_var_secinfo *vi = btf_var_secinfos(sec) + i;
		const struct btf_type *var = btf__type_by_id(btf, vi->type);
		const struct btf_type *def = btf_skip_mods(btf, var->type, NULL);
		const char *name = btf_name(btf, var);
		struct sops_map *m;
		int err;

		if (!def || !btf_is_struct(def))
			return log_err(&obj->log, -EINVAL, "map '%s': definition is not a struct", name);
		m = map_add(obj, name, SOPS_MAP_USER);
		if (!m)
			return log_err(&obj->log, -ENOMEM, "out of memory");
		m->sec = obj->maps_sec;
		err = parse_map_def(obj, m, def);
		if (err)
			return err;
	}
	return 0;
}
