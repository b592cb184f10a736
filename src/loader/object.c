/* SPDX-License-Identifier: MIT */
/*
 * object.c - the public object API: open, iterate, adjust, load, close.
 *
 * Open runs the parsing steps of elf.c, maps.c, struct_ops.c, btf_ext.c and
 * reloc.c in libbpf's order; load runs spec 5.2's order: struct_ops against
 * the host BTF, autoload adjustment, CO-RE, externs, map creation, program
 * linking and relocation, program loading, struct_ops program handles.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader_internal.h"
#include "util/file.h"
#include "util/opts.h"

static void prog_free(struct sops_program *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->sec_name);
	free(p->insns);
	free(p->func_info);
	free(p->line_info);
	free(p);
}

void sops_object__close(struct sops_object *obj)
{
	if (!obj)
		return;
	if (obj->rt)
		st_object_close(obj); /* the handles it made in the runtime */
	for (size_t i = 0; i < obj->prog_cnt; i++)
		prog_free(obj->progs[i]);
	for (size_t i = 0; i < obj->map_cnt; i++) {
		st_ops_free(obj->maps[i]->st);
		free(obj->maps[i]->data);
		free(obj->maps[i]->name);
		free(obj->maps[i]);
	}
	for (size_t i = 0; obj->secs && i < obj->sec_cnt; i++)
		free(obj->secs[i].insns);
	free(obj->progs);
	free(obj->maps);
	free(obj->secs);
	free(obj->funcs);
	free(obj->relocs);
	free(obj->externs);
	free(obj->kcfg);
	free(obj->kconfig);
	btf_ext_free(obj->ext);
	if (obj->rt_priv_free)
		obj->rt_priv_free(obj->rt_priv);
	sops_btf__free(obj->btf);
	if (obj->elf)
		elf_end(obj->elf);
	free(obj->image);
	free(obj->name);
	free(obj->license);
	free(obj);
}

static int open_steps(struct sops_object *obj)
{
	const struct obj_sec *bs;
	int err;

	err = elf_open(obj);
	if (err)
		return err;
	if (obj->btf_sec) {
		bs = &obj->secs[obj->btf_sec];
		if (!bs->data)
			return log_err(&obj->log, -EINVAL, ".BTF section has no data");
		err = btf_parse_raw(bs->data, bs->size, NULL, &obj->log, &obj->btf);
		if (err)
			return err;
		err = btf_fixup_datasecs(obj);
		if (err)
			return err;
	}
	err = btf_ext_open(obj);
	if (err)
		return err;
	err = maps_init_btf(obj) ?: maps_init_data(obj) ?: kconfig_open(obj) ?: st_ops_open(obj);
	if (err)
		return err;
	err = reloc_collect(obj) ?: st_ops_relocs(obj);
	if (err)
		return err;
	for (size_t i = 0; i < obj->prog_cnt; i++) {
		struct sops_program *p = obj->progs[i];

		if (btf_ext_add_prog_info(obj, p, p->sec, p->sec_off, p->sec_cnt, 0))
			return log_err(&obj->log, -ENOMEM, "out of memory");
	}
	return 0;
}

int sops_object__open_mem(const void *data, size_t size, const struct sops_object_open_opts *opts,
			  struct sops_object **objp)
{
	struct sops_log log = { OPTS_GET(opts, log_buf, NULL), OPTS_GET(opts, log_size, 0), 0 };
	const char *name = OPTS_GET(opts, object_name, NULL);
	const char *kconfig = OPTS_GET(opts, kconfig, NULL);
	struct sops_object *obj;
	int err;

	if (!OPTS_VALID(opts, sops_object_open_opts) || !objp || (!data && size))
		return log_err(&log, -EINVAL, "invalid arguments");
	if (!size)
		return log_err(&log, -EINVAL, "empty object");
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return log_err(&log, -ENOMEM, "out of memory");
	obj->log = log;
	obj->image = malloc(size);
	obj->name = strdup(name ? name : "obj");
	obj->license = strdup("");
	obj->kconfig = kconfig ? strdup(kconfig) : NULL;
	if (!obj->image || !obj->name || !obj->license || (kconfig && !obj->kconfig)) {
		err = log_err(&obj->log, -ENOMEM, "out of memory");
		goto fail;
	}
	memcpy(obj->image, data, size);
	obj->image_size = size;
	err = open_steps(obj);
	if (err)
		goto fail;
	obj->log = (struct sops_log){ 0 };
	*objp = obj;
	return 0;
fail:
	sops_object__close(obj);
	return err;
}

int sops_object__open_file(const char *path, const struct sops_object_open_opts *opts,
			   struct sops_object **obj)
{
	struct sops_log log = { OPTS_GET(opts, log_buf, NULL), OPTS_GET(opts, log_size, 0), 0 };
	struct sops_object_open_opts o = { .sz = sizeof(o) };
	char name[64];
	const char *base;
	uint8_t *buf = NULL;
	size_t size = 0;
	int fd, err;

	if (!OPTS_VALID(opts, sops_object_open_opts) || !path || !obj)
		return log_err(&log, -EINVAL, "invalid arguments");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_err(&log, -errno, "%s: %s", path, strerror(errno));
	err = read_whole_fd(fd, path, 1u << 30, &buf, &size, &log);
	if (!err) {
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
		o.object_name = OPTS_GET(opts, object_name, NULL) ?: name;
		o.log_buf = log.buf;
		o.log_size = log.size;
		o.kconfig = OPTS_GET(opts, kconfig, NULL);
		err = sops_object__open_mem(buf, size, &o, obj);
		/* open_mem wrote its message into the same buffer: say which file */
		log.written = err && log.buf && log.size && log.buf[0];
		if (err)
			log_prefix(&log, path);
	}
	free(buf);
	close(fd);
	return err;
}

static int load_steps(struct sops_object *obj, const struct sops_object_load_opts *o)
{
	const struct sops_object_load_ops *ops = o ? o->ops : NULL;
	char ebuf[LOG_ERRSTR_LEN];
	int err;

	err = st_ops_prepare(obj);
	if (err)
		return err;
	err = core_relocate(obj, o ? o->host_btf : NULL, o ? o->module_btfs : NULL,
			    o ? o->module_btf_cnt : 0);
	if (err)
		return err;
	err = kconfig_resolve(obj) ?: externs_resolve(obj);
	if (err)
		return err;
	for (size_t i = 0; i < obj->prog_cnt; i++) {
		struct sops_program *p = obj->progs[i];

		if (!p->autoload)
			continue;
		if (p->type == SOPS_PROG_TYPE_UNSPEC)
			return log_err(&obj->log, -EOPNOTSUPP,
				       "program '%s': section '%s' is not a known program type (struct_ops, struct_ops.s, syscall); turn its autoload off",
				       p->name, p->sec_name);
		if (p->type == SOPS_PROG_TYPE_STRUCT_OPS && !p->attach_btf_id)
			return log_err(&obj->log, -EINVAL,
				       "prog '%s': SEC(\"struct_ops\") program isn't referenced anywhere, did you forget to use it?",
				       p->name);
	}
	for (size_t i = 0; ops && ops->create_map && i < obj->map_cnt; i++) {
		struct sops_map *m = obj->maps[i];
		int h;

		if (!m->autocreate)
			continue;
		h = ops->create_map(ops->ctx, m);
		if (h < 0)
			return log_err(&obj->log, h, "map '%s': failed to create: %s", m->name,
				       log_errstr(h, ebuf));
		m->handle = h;
	}
	for (size_t i = 0; i < obj->prog_cnt; i++) {
		struct sops_program *p = obj->progs[i];

		if (!p->autoload)
			continue;
		free(p->func_info);
		free(p->line_info);
		p->func_info = NULL;
		p->line_info = NULL;
		p->func_info_cnt = p->line_info_cnt = 0;
		p->relocs_applied = 0;
		err = prog_relocate(obj, p);
		if (err)
			return err;
		if (ops && ops->load_prog) {
			int h = ops->load_prog(ops->ctx, p);

			if (h < 0)
				return log_err(&obj->log, h, "prog '%s': failed to load: %s", p->name,
					       log_errstr(h, ebuf));
			p->handle = h;
		}
	}
	st_ops_fill_handles(obj);
	return 0;
}

int sops_object__load(struct sops_object *obj, const struct sops_object_load_opts *opts)
{
	struct sops_log log = { OPTS_GET(opts, log_buf, NULL), OPTS_GET(opts, log_size, 0), 0 };
	int err;

	if (!obj || !OPTS_VALID(opts, sops_object_load_opts))
		return log_err(&log, -EINVAL, "invalid arguments");
	if (OPTS_GET(opts, runtime, NULL) && !OPTS_GET(opts, ops, NULL) && !obj->loaded) {
		return st_object_load(obj, opts);
	}
	if (obj->loaded)
		return log_err(&log, -EBUSY, "object '%s' is loaded already", obj->name);
	obj->log = log;
	obj->lopts = opts;
	err = load_steps(obj, opts);
	obj->lopts = NULL;
	obj->log = (struct sops_log){ 0 };
	obj->loaded = true; /* a failed load cannot be retried, as in libbpf */
	return err;
}

const char *sops_object__name(const struct sops_object *obj) { return obj->name; }
const char *sops_object__license(const struct sops_object *obj) { return obj->license; }
const struct sops_btf *sops_object__btf(const struct sops_object *obj) { return obj->btf; }

struct sops_program *sops_object__next_program(const struct sops_object *obj,
						const struct sops_program *prev)
{
	size_t i = prev ? (size_t)prev->idx + 1 : 0;

	return obj && i < obj->prog_cnt ? obj->progs[i] : NULL;
}

struct sops_map *sops_object__next_map(const struct sops_object *obj, const struct sops_map *prev)
{
	size_t i = prev ? (size_t)prev->idx + 1 : 0;

	return obj && i < obj->map_cnt ? obj->maps[i] : NULL;
}

struct sops_program *sops_object__find_program_by_name(const struct sops_object *obj, const char *name)
{
	for (size_t i = 0; obj && name && i < obj->prog_cnt; i++)
		if (!strcmp(obj->progs[i]->name, name))
			return obj->progs[i];
	return NULL;
}

struct sops_map *sops_object__find_map_by_name(const struct sops_object *obj, const char *name)
{
	for (size_t i = 0; obj && name && i < obj->map_cnt; i++)
		if (!strcmp(obj->maps[i]->name, name))
			return obj->maps[i];
	return NULL;
}

const char *sops_program__name(const struct sops_program *p) { return p->name; }
const char *sops_program__section_name(const struct sops_program *p) { return p->sec_name; }
enum sops_prog_type sops_program__type(const struct sops_program *p) { return p->type; }
uint32_t sops_program__flags(const struct sops_program *p) { return p->flags; }
bool sops_program__autoload(const struct sops_program *p) { return p->autoload; }
const struct sops_insn *sops_program__insns(const struct sops_program *p) { return p->insns; }
size_t sops_program__insn_cnt(const struct sops_program *p) { return p->insn_cnt; }
uint32_t sops_program__attach_btf_id(const struct sops_program *p) { return p->attach_btf_id; }
uint32_t sops_program__expected_attach_type(const struct sops_program *p) { return p->expected_attach_type; }
int sops_program__attach_btf_obj(const struct sops_program *p) { return p->attach_btf_obj; }
const char *sops_program__attach_member(const struct sops_program *p) { return p->attach_member; }
int sops_program__handle(const struct sops_program *p) { return p->handle; }

int sops_program__set_autoload(struct sops_program *p, bool autoload)
{
	if (p->obj->loaded)
		return -EBUSY;
	p->autoload = autoload;
	return 0;
}

const struct sops_func_info *sops_program__func_info(const struct sops_program *p, size_t *cnt)
{
	*cnt = p->func_info_cnt;
	return p->func_info;
}

const struct sops_line_info *sops_program__line_info(const struct sops_program *p, size_t *cnt)
{
	*cnt = p->line_info_cnt;
	return p->line_info;
}

/* Number of relocations applied to @p's final instructions (for `object show`). */
size_t sops_program__relocs_applied(const struct sops_program *p)
{
	return p->relocs_applied;
}

/* CO-RE relocations applied to @p's own slots (core.c counts them). */
size_t sops_program__core_relocs(const struct sops_program *p)
{
	return p->core_relocs;
}

const char *sops_map__name(const struct sops_map *m) { return m->name; }
enum sops_map_kind sops_map__kind(const struct sops_map *m) { return m->kind; }
int sops_map__index(const struct sops_map *m) { return m->idx; }
uint32_t sops_map__type(const struct sops_map *m) { return m->type; }
uint32_t sops_map__key_size(const struct sops_map *m) { return m->key_size; }
uint32_t sops_map__value_size(const struct sops_map *m) { return m->value_size; }
uint32_t sops_map__max_entries(const struct sops_map *m) { return m->max_entries; }
uint32_t sops_map__map_flags(const struct sops_map *m) { return m->map_flags; }
uint32_t sops_map__btf_key_type_id(const struct sops_map *m) { return m->key_type_id; }
uint32_t sops_map__btf_value_type_id(const struct sops_map *m) { return m->value_type_id; }
bool sops_map__autocreate(const struct sops_map *m) { return m->autocreate; }
bool sops_map__autoattach(const struct sops_map *m) { return m->st && m->autoattach; }
int sops_map__handle(const struct sops_map *m) { return m->handle; }

int sops_map__set_autocreate(struct sops_map *m, bool autocreate)
{
	if (m->obj->loaded)
		return -EBUSY;
	m->autocreate = autocreate;
	return 0;
}

int sops_map__set_autoattach(struct sops_map *m, bool autoattach)
{
	if (!m->st)
		return -EINVAL;
	m->autoattach = autoattach;
	return 0;
}

void *sops_map__initial_value(struct sops_map *m, size_t *size)
{
	if (!m->data)
		return NULL;
	if (size)
		*size = m->st ? m->st->local_size : m->value_size;
	return m->data;
}

int sops_map__set_initial_value(struct sops_map *m, const void *data, size_t size)
{
	size_t have;

	if (m->obj->loaded)
		return -EBUSY;
	/* as libbpf: .kconfig values come from load, not from the caller */
	if (!m->data || !data || m->kind == SOPS_MAP_KCONFIG)
		return -EINVAL;
	have = m->st ? m->st->local_size : m->value_size;
	if (size != have)
		return -EINVAL;
	memcpy(m->data, data, size);
	return 0;
}

const char *sops_map__struct_ops_type(const struct sops_map *m) { return m->st ? m->st->type_name : ""; }

const void *sops_map__kern_value(const struct sops_map *m, size_t *size)
{
	if (!m->st || !m->st->kern_vdata)
		return NULL;
	if (size)
		*size = m->st->kern_value_size;
	return m->st->kern_vdata;
}

uint32_t sops_map__btf_vmlinux_value_type_id(const struct sops_map *m)
{
	return m->st ? m->st->value_type_id : 0;
}

int sops_map__btf_obj(const struct sops_map *m) { return m->st ? m->st->btf_obj : 0; }

struct sops_program *sops_map__struct_ops_prog(const struct sops_map *m, const char *member)
{
	const struct btf *btf;
	const struct btf_type *t;

	if (!m->st || !member)
		return NULL;
	btf = m->obj->btf->btf;
	t = btf__type_by_id(btf, m->st->type_id);
	for (__u16 i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, btf_members(t)[i].name_off), member))
			return st_shadow_prog(m, i);
	return NULL;
}
