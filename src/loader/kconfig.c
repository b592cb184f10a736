/* SPDX-License-Identifier: MIT */
/*
 * kconfig.c - __kconfig externs, the libbpf way: each extern variable of the
 * object's ".kconfig" DATASEC gets a slot in one read-only array map
 * ("<obj>.kconfig"), laid out at open as libbpf lays it out (by alignment,
 * then size, then name) so the object's BTF describes the map value. Load
 * fills the slots, in this order, each slot at most once:
 *
 *   1. the host's text (sops_object_open_opts.kconfig), Kconfig lines
 *      "CONFIG_NAME=value" with y/n/m, integers (strtoull base 0) or
 *      "quoted strings"; other lines and names the object lacks are ignored;
 *   2. virtual externs (LINUX_KERNEL_VERSION from uname(2),
 *      LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER);
 *   3. structops' defaults (CONFIG_HZ=1000, see docs/btf-and-programs.md);
 *
 * then a strong extern still unset fails load naming it; a __weak one reads 0.
 * There is no kernel behind structops, so the system's Kconfig
 * (/boot/config-*, /proc/config.gz) is never read. Values are checked
 * against the extern's C type with libbpf's rules and messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "loader_internal.h"

#define KCFG_LINE_MAX 4096

/* The defaults of step 3 (virtual LINUX_ externs are computed, not listed). */
static const char *const kcfg_defaults[] = {
	/* no jiffies clock in structops: a jiffy is a millisecond unless the host says otherwise */
	"CONFIG_HZ=1000",
};

static bool has_pfx(const char *s, const char *pfx)
{
	return !strncmp(s, pfx, strlen(pfx));
}

/* libbpf's classification of an extern's C type (find_kcfg_type). */
static enum kcfg_type kcfg_type_of(const struct btf *btf, __u32 id, bool *is_signed)
{
	const struct btf_type *t = btf_skip_mods(btf, id, NULL);

	*is_signed = false;
	if (!t)
		return KCFG_UNKNOWN;
	switch (btf_kind(t)) {
	case BTF_KIND_INT: {
		__u8 enc = btf_int_encoding(t);

		if (enc & BTF_INT_BOOL)
			return t->size == 1 ? KCFG_BOOL : KCFG_UNKNOWN;
		*is_signed = enc & BTF_INT_SIGNED;
		if (t->size == 1)
			return KCFG_CHAR;
		if (t->size > 8 || (t->size & (t->size - 1)))
			return KCFG_UNKNOWN;
		return KCFG_INT;
	}
	case BTF_KIND_ENUM:
		return t->size == 4 && !strcmp(btf_name(btf, t), "libbpf_tristate") ? KCFG_TRISTATE
										   : KCFG_UNKNOWN;
	case BTF_KIND_ARRAY: {
		bool s;

		if (!btf_array(t)->nelems || kcfg_type_of(btf, btf_array(t)->type, &s) != KCFG_CHAR)
			return KCFG_UNKNOWN;
		return KCFG_CHAR_ARR;
	}
	default:
		return KCFG_UNKNOWN;
	}
}

/* Whether the undefined symbol @name is weak; -ESRCH when there is none. */
static int sym_weak(struct sops_object *obj, const char *name)
{
	GElf_Sym sym;

	for (size_t i = 1; i < obj->sym_cnt; i++) {
		if (!elf_sym(obj, i, &sym))
			break;
		if (sym.st_shndx == SHN_UNDEF && !strcmp(elf_sym_name(obj, &sym), name))
			return GELF_ST_BIND(sym.st_info) == STB_WEAK;
	}
	return -ESRCH;
}

static int cmp_kcfg(const void *a, const void *b)
{
	const struct obj_kcfg *x = a, *y = b;

	if (x->align != y->align)
		return x->align > y->align ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* One variable of .kconfig into obj->kcfg. */
static int add_kcfg(struct sops_object *obj, const struct btf *btf, const struct btf_type *var)
{
	const char *name = btf_name(btf, var);
	struct obj_kcfg *k;
	__s64 size;
	int align, weak;

	if (btf_is_func(var))
		return log_err(&obj->log, -EOPNOTSUPP, "extern function %s is unsupported under .kconfig section",
			       name);
	if (!btf_is_var(var))
		return log_err(&obj->log, -EINVAL, "DATASEC .kconfig entry '%s' is a %s, not a VAR", name,
			       btf_kind_str(var));
	weak = sym_weak(obj, name);
	if (weak < 0)
		return log_err(&obj->log, -ESRCH, "failed to find extern definition for BTF var '%s'", name);
	size = btf__resolve_size(btf, var->type);
	align = btf__align_of(btf, var->type);
	if (size <= 0 || size > INT32_MAX)
		return log_err(&obj->log, size < 0 ? (int)size : -EINVAL,
			       "failed to resolve size of extern (kcfg) '%s': %lld", name, (long long)size);
	if (align <= 0)
		return log_err(&obj->log, -EINVAL, "failed to determine alignment of extern (kcfg) '%s': %d",
			       name, align);
	k = &obj->kcfg[obj->kcfg_cnt];
	memset(k, 0, sizeof(*k));
	k->name = name;
	k->var = var;
	k->weak = weak;
	k->size = (uint32_t)size;
	k->align = (uint32_t)align;
	k->type = kcfg_type_of(btf, var->type, &k->is_signed);
	if (k->type == KCFG_UNKNOWN)
		return log_err(&obj->log, -EOPNOTSUPP,
			       "extern (kcfg) '%s' type is unsupported (bool, char, integers of 1-8 bytes, enum libbpf_tristate, char arrays)",
			       name);
	obj->kcfg_cnt++;
	return 0;
}

/* The map name libbpf gives an internal map (a suffix of at least 7 characters). */
static void kcfg_map_name(const struct sops_object *obj, char *buf, size_t size)
{
	static const char sfx[] = ".kconfig";
	int pfx = 16 - (int)strlen(sfx) - 1;

	if ((size_t)pfx > strlen(obj->name))
		pfx = (int)strlen(obj->name);
	snprintf(buf, size, "%.*s%s", pfx, obj->name, sfx);
}

/* Offsets in the map value, written back into the DATASEC as libbpf does. */
static int kcfg_layout(struct sops_object *obj, struct btf_type *sec)
{
	struct btf_var_secinfo *vi = btf_var_secinfos(sec);
	uint64_t off = 0;

	qsort(obj->kcfg, obj->kcfg_cnt, sizeof(*obj->kcfg), cmp_kcfg);
	for (size_t i = 0; i < obj->kcfg_cnt; i++) {
		struct obj_kcfg *k = &obj->kcfg[i];

		off = (off + k->align - 1) / k->align * k->align;
		k->data_off = (uint32_t)off;
		off += k->size;
		if (off > INT32_MAX)
			return log_err(&obj->log, -E2BIG, ".kconfig externs take more than %d bytes", INT32_MAX);
	}
	sec->size = (__u32)off;
	for (__u16 i = 0; i < btf_vlen(sec); i++, vi++) {
		struct btf_type *var = (struct btf_type *)btf__type_by_id(obj->btf->btf, vi->type);
		const struct obj_kcfg *k = kcfg_find(obj, btf_name(obj->btf->btf, var));

		if (!k)
			return log_err(&obj->log, -ESRCH, "failed to find extern definition for BTF var '%s'",
				       btf_name(obj->btf->btf, var));
		/* as libbpf: the value is in a map now, so the runtime sees an allocated variable */
		btf_var(var)->linkage = BTF_VAR_GLOBAL_ALLOCATED;
		vi->offset = k->data_off;
		vi->size = k->size;
	}
	return 0;
}

int kconfig_open(struct sops_object *obj)
{
	const struct btf *btf = obj->btf ? obj->btf->btf : NULL;
	struct btf_type *sec;
	struct sops_map *m;
	char name[32];
	int id, err;

	id = btf ? btf__find_by_name_kind(btf, ".kconfig", BTF_KIND_DATASEC) : -ENOENT;
	if (id < 0)
		return 0;
	sec = (struct btf_type *)btf__type_by_id(btf, id);
	if (!btf_vlen(sec))
		return 0;
	obj->kcfg = calloc(btf_vlen(sec), sizeof(*obj->kcfg));
	if (!obj->kcfg)
		return log_err(&obj->log, -ENOMEM, "out of memory");
	for (__u16 i = 0; i < btf_vlen(sec); i++) {
		err = add_kcfg(obj, btf, btf__type_by_id(btf, btf_var_secinfos(sec)[i].type));
		if (err)
			return err;
	}
	err = kcfg_layout(obj, sec);
	if (err)
		return err;
	kcfg_map_name(obj, name, sizeof(name));
	m = map_add(obj, name, SOPS_MAP_KCONFIG);
	if (!m || !(m->data = calloc(1, sec->size)))
		return log_err(&obj->log, -ENOMEM, "out of memory");
	m->type = SOPS_MAP_TYPE_ARRAY;
	m->key_size = 4;
	m->value_size = sec->size;
	m->max_entries = 1;
	m->map_flags = 1u << 7; /* BPF_F_RDONLY_PROG: programs read it only */
	m->value_type_id = (uint32_t)id;
	obj->kcfg_map = m->idx;
	return 0;
}

const struct obj_kcfg *kcfg_find(const struct sops_object *obj, const char *name)
{
	for (size_t i = 0; i < obj->kcfg_cnt; i++)
		if (!strcmp(obj->kcfg[i].name, name))
			return &obj->kcfg[i];
	return NULL;
}

/* ---- values ---- */

static int set_tri(struct sops_object *obj, struct obj_kcfg *k, uint8_t *dst, char v)
{
	switch (k->type) {
	case KCFG_BOOL:
		if (v == 'm')
			return log_err(&obj->log, -EINVAL,
				       "extern (kcfg) '%s': value '%c' implies tristate or char type", k->name, v);
		*dst = v == 'y';
		break;
	case KCFG_TRISTATE: {
		/* enum libbpf_tristate: TRI_NO, TRI_YES, TRI_MODULE */
		uint32_t tri = v == 'y' ? 1 : v == 'm' ? 2 : 0;

		memcpy(dst, &tri, sizeof(tri));
		break;
	}
	case KCFG_CHAR:
		*dst = (uint8_t)v;
		break;
	default:
		return log_err(&obj->log, -EINVAL,
			       "extern (kcfg) '%s': value '%c' implies bool, tristate, or char type", k->name, v);
	}
	k->is_set = true;
	return 0;
}

static int set_str(struct sops_object *obj, struct obj_kcfg *k, uint8_t *dst, const char *v)
{
	size_t len = strlen(v);

	if (k->type != KCFG_CHAR_ARR)
		return log_err(&obj->log, -EINVAL, "extern (kcfg) '%s': value '%s' implies char array type",
			       k->name, v);
	if (len < 2 || v[len - 1] != '"')
		return log_err(&obj->log, -EINVAL, "extern (kcfg) '%s': invalid string config '%s'", k->name, v);
	len -= 2;
	/* as libbpf: a longer string is cut to the array, still NUL-terminated */
	if (len >= k->size)
		len = k->size - 1;
	memcpy(dst, v + 1, len);
	dst[len] = 0;
	k->is_set = true;
	return 0;
}

/* Whether @v fits @k's integer without loss (libbpf's rule: signed types take -2^(n-1)..2^(n-1)-1 as u64). */
static bool num_fits(const struct obj_kcfg *k, uint64_t v)
{
	unsigned bits = k->size * 8;

	if (k->size >= 8)
		return true;
	if (k->is_signed)
		return v + (1ull << (bits - 1)) < (1ull << bits);
	return !(v >> bits);
}

static int set_num(struct sops_object *obj, struct obj_kcfg *k, uint8_t *dst, uint64_t v)
{
	if (k->type != KCFG_INT && k->type != KCFG_CHAR && k->type != KCFG_BOOL)
		return log_err(&obj->log, -EINVAL,
			       "extern (kcfg) '%s': value '%llu' implies integer, char, or boolean type", k->name,
			       (unsigned long long)v);
	if (k->type == KCFG_BOOL && v > 1)
		return log_err(&obj->log, -EINVAL, "extern (kcfg) '%s': value '%llu' isn't boolean compatible",
			       k->name, (unsigned long long)v);
	if (!num_fits(k, v))
		return log_err(&obj->log, -ERANGE, "extern (kcfg) '%s': value '%llu' doesn't fit in %u bytes",
			       k->name, (unsigned long long)v, k->size);
	/* little-endian host: the low k->size bytes */
	memcpy(dst, &v, k->size);
	k->is_set = true;
	return 0;
}

static int parse_num(struct sops_object *obj, const struct obj_kcfg *k, const char *v, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(v, &end, 0);
	if (errno || end == v || *end)
		return log_err(&obj->log, errno ? -errno : -EINVAL,
			       "extern (kcfg) '%s': value '%s' isn't a valid integer", k->name, v);
	return 0;
}

/* One Kconfig line (no newline). @where names the source for messages. */
static int kcfg_line(struct sops_object *obj, char *line, const char *where)
{
	struct obj_kcfg *k;
	uint8_t *dst;
	uint64_t num;
	char *sep, *v;
	int err;

	if (!has_pfx(line, "CONFIG_"))
		return 0; /* comments ("# CONFIG_X is not set"), blank lines */
	sep = strchr(line, '=');
	if (!sep)
		return log_err(&obj->log, -EINVAL, "%s: failed to parse '%s': no separator", where, line);
	if (!sep[1])
		return log_err(&obj->log, -EINVAL, "%s: failed to parse '%s': no value", where, line);
	*sep = 0;
	k = (struct obj_kcfg *)kcfg_find(obj, line);
	*sep = '=';
	if (!k || k->is_set)
		return 0;
	dst = (uint8_t *)obj->maps[obj->kcfg_map]->data + k->data_off;
	v = sep + 1;
	switch (*v) {
	case 'y':
	case 'n':
	case 'm':
		err = set_tri(obj, k, dst, *v);
		break;
	case '"':
		err = set_str(obj, k, dst, v);
		break;
	default:
		err = parse_num(obj, k, v, &num);
		if (err)
			break;
		if (k->type != KCFG_INT && k->type != KCFG_CHAR) {
			err = log_err(&obj->log, -EINVAL, "extern (kcfg) '%s': value '%s' implies integer type",
				      k->name, v);
			break;
		}
		err = set_num(obj, k, dst, num);
		break;
	}
	if (err)
		log_prefix(&obj->log, where);
	return err;
}

/* Every line of @text, a NUL-terminated Kconfig fragment. */
static int kcfg_text(struct sops_object *obj, const char *text, const char *where)
{
	char line[KCFG_LINE_MAX];

	while (*text) {
		size_t n = strcspn(text, "\n");
		int err;

		if (n >= sizeof(line))
			return log_err(&obj->log, -E2BIG, "%s: a line of %zu bytes is longer than %d", where, n,
				       KCFG_LINE_MAX - 1);
		memcpy(line, text, n);
		line[n] = 0;
		err = kcfg_line(obj, line, where);
		if (err)
			return err;
		text += n + (text[n] == '\n');
	}
	return 0;
}

/* KERNEL_VERSION(a, b, c) of the running kernel, the patch level capped at 255; 0 when unparsable. */
static uint32_t kernel_version(void)
{
	unsigned a = 0, b = 0, c = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u.%u", &a, &b, &c) < 2)
		return 0;
	return (a << 16) + (b << 8) + (c > 255 ? 255 : c);
}

static int kcfg_virtual(struct sops_object *obj, struct obj_kcfg *k)
{
	uint8_t *dst = (uint8_t *)obj->maps[obj->kcfg_map]->data + k->data_off;
	uint64_t v;

	if (!strcmp(k->name, "LINUX_KERNEL_VERSION")) {
		v = kernel_version();
		if (!v)
			return log_err(&obj->log, -EINVAL, "extern (kcfg) '%s': failed to get kernel version",
				       k->name);
	} else if (!strcmp(k->name, "LINUX_HAS_BPF_COOKIE") ||
		   !strcmp(k->name, "LINUX_HAS_SYSCALL_WRAPPER")) {
		v = 0; /* no bpf_get_attach_cookie, no syscall probes in structops */
	} else if (!has_pfx(k->name, "LINUX_") || !k->weak) {
		return log_err(&obj->log, -EINVAL,
			       "extern (kcfg) '%s': unrecognized virtual extern (__kconfig externs are CONFIG_* or libbpf's LINUX_*)",
			       k->name);
	} else {
		return 0; /* an unknown weak LINUX_ one reads 0 */
	}
	return set_num(obj, k, dst, v);
}

int kconfig_resolve(struct sops_object *obj)
{
	struct sops_map *m;
	int err;

	if (!obj->kcfg_cnt)
		return 0;
	m = obj->maps[obj->kcfg_map];
	memset(m->data, 0, m->value_size);
	for (size_t i = 0; i < obj->kcfg_cnt; i++)
		obj->kcfg[i].is_set = false;
	if (obj->kconfig) {
		err = kcfg_text(obj, obj->kconfig, "kconfig");
		if (err)
			return err;
	}
	for (size_t i = 0; i < obj->kcfg_cnt; i++) {
		if (obj->kcfg[i].is_set || has_pfx(obj->kcfg[i].name, "CONFIG_"))
			continue;
		err = kcfg_virtual(obj, &obj->kcfg[i]);
		if (err)
			return err;
	}
	for (size_t i = 0; i < sizeof(kcfg_defaults) / sizeof(kcfg_defaults[0]); i++) {
		err = kcfg_text(obj, kcfg_defaults[i], "structops default kconfig");
		if (err)
			return err;
	}
	for (size_t i = 0; i < obj->kcfg_cnt; i++) {
		const struct obj_kcfg *k = &obj->kcfg[i];

		if (!k->is_set && !k->weak)
			return log_err(&obj->log, -ESRCH,
				       "extern '%s' (strong): not resolved (give its value in sops_object_open_opts.kconfig, or declare it __weak to read 0)",
				       k->name);
	}
	return 0;
}
