/* SPDX-License-Identifier: MIT */
/*
 * st_btf_type.c - struct_ops types registered from BTF alone
 * (sops_runtime__register_struct_ops_btf): no host code behind them, so a
 * tool or a unit test can load, verify and test-run struct_ops programs
 * written for a host it does not run.
 *
 * The library builds the struct sops_struct_ops a host would write: cfi
 * stubs are a placeholder in every function-pointer slot (the registry then
 * looks for the conventional `<type>__<member>` FUNC and, for these types
 * only, goes on without annotations when the BTF has none), callbacks that
 * only count registrations, and a btf_struct_access hook that allows the
 * stores the caller listed. Each type lives until the runtime is freed
 * (st_btf_types_free from st_runtime_fini).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../btf/btf_internal.h"
#include "../util/log.h"
#include "../util/opts.h"
#include "st_internal.h"

/* One writable range: struct @sname, bytes [off, off + size) (whole struct: size 0). */
struct st_btf_writable {
	char *sname;
	char *member; /* NULL: the whole struct */
};

struct st_btf_type {
	struct sops_struct_ops ops; /* first: ops.priv leads back here too */
	struct sops_struct_ops_verifier_ops vops;
	struct st_btf_type *next;   /* st->btf_types */
	atomic_long regs;           /* reg() minus unreg() */
	struct st_btf_writable *writable;
	size_t writable_cnt;
	void *stubs;                /* the placeholder cfi stubs, sized as the struct */
	char name[];
};

/*
 * The placeholder every stub slot points to. It is never called (a program
 * or nothing occupies a slot); its address only says "BPF may implement
 * this member". Being static, dladdr() names no symbol at it, so the
 * registry falls back to the `<type>__<member>` convention.
 */
static int st_btf_stub(void)
{
	return 0;
}

static int btf_init(const struct btf *btf)
{
	(void)btf;
	return 0;
}

/* Data members are the user's to set (a host would check them); function slots the runtime's. */
static int btf_init_member(const struct btf_type *t, const struct btf_member *member, void *kdata,
			   const void *udata)
{
	const struct st_desc *d = st_map_of_kdata(kdata)->desc;
	const struct st_member *sm = &d->members[member - btf_members(t)];

	if (sm->kind != ST_MEMBER_DATA)
		return 0;
	memcpy((char *)kdata + sm->off, (const char *)udata + sm->off, sm->size);
	return 1;
}

static struct st_btf_type *type_of(const void *kdata)
{
	return sops_struct_ops_priv(kdata);
}

static int btf_reg(void *kdata, struct sops_struct_ops_link *link)
{
	(void)link;
	atomic_fetch_add(&type_of(kdata)->regs, 1);
	return 0;
}

static void btf_unreg(void *kdata, struct sops_struct_ops_link *link)
{
	(void)link;
	atomic_fetch_sub(&type_of(kdata)->regs, 1);
}

static int btf_update(void *kdata, void *old_kdata, struct sops_struct_ops_link *link)
{
	(void)kdata;
	(void)old_kdata;
	(void)link;
	return 0; /* the count is unchanged: one registration moved to another map */
}

/* The registered type a program being verified belongs to (set by the attach checks). */
static const struct st_btf_type *prog_type(const struct sops_prog *prog)
{
	const struct st_prog_info *info = prog->type_data;

	return info && info->desc ? info->desc->st_ops->priv : NULL;
}

static bool range_allowed(const struct btf *btf, const struct btf_type *t,
			  const struct st_btf_writable *w, int off, int size)
{
	if (!w->member)
		return true; /* the verifier already bounded the access by the struct */
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		const struct btf_member *m = btf_members(t) + i;
		const char *n = btf__name_by_offset(btf, m->name_off);
		long msz, moff = (long)btf_member_bit_offset(t, i) / 8;

		if (!n || strcmp(n, w->member) || btf_member_bitfield_size(t, i))
			continue;
		msz = btf__resolve_size(btf, m->type);
		return msz > 0 && off >= moff && (long)off + size <= moff + msz;
	}
	return false;
}

/* The role of a host's btf_struct_access: stores only where the caller said. */
static int btf_struct_access(const struct btf *btf, uint32_t type_id, int off, int size,
			     const struct sops_prog *prog)
{
	const struct st_btf_type *bt = prog_type(prog);
	const struct btf_type *t = btf_skip_mods(btf, type_id, NULL);
	const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;

	if (!bt || !name)
		return -EACCES;
	for (size_t i = 0; i < bt->writable_cnt; i++)
		if (!strcmp(bt->writable[i].sname, name) &&
		    range_allowed(btf, t, &bt->writable[i], off, size))
			return 0;
	return -EACCES;
}

static void type_free(struct st_btf_type *bt)
{
	if (!bt)
		return;
	for (size_t i = 0; i < bt->writable_cnt; i++)
		free(bt->writable[i].sname); /* member points into the same allocation */
	free(bt->writable);
	free(bt->stubs);
	free(bt);
}

/* "STRUCT" or "STRUCT.MEMBER", both names non-empty. */
static int parse_writable(struct st_btf_type *bt, const char *const *w, size_t cnt, struct sops_log *log)
{
	if (cnt && !w)
		return log_err(log, -EINVAL, "writable_cnt %zu without writable", cnt);
	bt->writable = calloc(cnt ? cnt : 1, sizeof(*bt->writable));
	if (!bt->writable)
		return log_err(log, -ENOMEM, "out of memory");
	for (size_t i = 0; i < cnt; i++) {
		char *s = w[i] ? strdup(w[i]) : NULL, *dot;

		if (w[i] && !s)
			return log_err(log, -ENOMEM, "out of memory");
		bt->writable[bt->writable_cnt++].sname = s;
		dot = s ? strchr(s, '.') : NULL;
		if (dot) {
			*dot = 0;
			bt->writable[i].member = dot + 1;
		}
		if (!s || !s[0] || (dot && (!dot[1] || strchr(dot + 1, '.'))))
			return log_err(log, -EINVAL, "writable entry %zu '%s': not STRUCT or STRUCT.MEMBER",
				       i, w[i] ? w[i] : "(null)");
	}
	return 0;
}

/* Placeholder stubs in each function-pointer slot of struct @name. */
static int make_stubs(struct st_btf_type *bt, const struct btf *btf, struct sops_log *log)
{
	int id = btf__find_by_name_kind(btf, bt->name, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	int (*stub)(void) = st_btf_stub;

	if (!t)
		return log_err(log, -EINVAL, "no struct %s in the BTF", bt->name);
	bt->stubs = calloc(1, t->size ? t->size : 1);
	if (!bt->stubs)
		return log_err(log, -ENOMEM, "out of memory");
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		const struct btf_member *m = btf_members(t) + i;
		uint32_t off = btf_member_bit_offset(t, i) / 8;

		if (btf_member_bitfield_size(t, i) || off + sizeof(stub) > t->size ||
		    !btf_func_ptr_proto(btf, m->type))
			continue;
		memcpy((char *)bt->stubs + off, &stub, sizeof(stub));
	}
	return 0;
}

bool st_btf_type_stubs_optional(const struct sops_struct_ops *st_ops)
{
	return st_ops->init == btf_init;
}

int sops_runtime__register_struct_ops_btf(struct sops_runtime *rt, const struct btf *btf,
					  const char *type_name,
					  const struct sops_struct_ops_btf_opts *opts)
{
	struct sops_log log = { OPTS_GET(opts, log_buf, NULL), OPTS_GET(opts, log_size, 0), 0 };
	struct sops_struct_ops_reg_opts ro = { .sz = sizeof(ro), .btf = btf, .log_buf = log.buf,
					       .log_size = log.size };
	struct st_btf_type *bt;
	struct st_rt *st;
	int err;

	if (!rt || !type_name || !type_name[0] || !OPTS_VALID(opts, sops_struct_ops_btf_opts))
		return log_err(&log, -EINVAL, "invalid arguments (no runtime or type name, or bad opts)");
	st = st_of(rt);
	if (!btf)
		btf = rt->host_btf;
	if (!btf)
		return log_err(&log, -ENOENT, "struct_ops %s: the runtime has no host BTF", type_name);
	/* The registry tells types apart by descriptor; two of one name would be ambiguous. */
	if (!sops_runtime__find_struct_ops(rt, type_name, NULL, NULL, NULL))
		return log_err(&log, -EEXIST, "struct_ops %s: already registered", type_name);
	bt = calloc(1, sizeof(*bt) + strlen(type_name) + 1);
	if (!bt)
		return log_err(&log, -ENOMEM, "out of memory");
	strcpy(bt->name, type_name);
	err = parse_writable(bt, OPTS_GET(opts, writable, NULL), OPTS_GET(opts, writable_cnt, 0), &log);
	if (!err)
		err = make_stubs(bt, btf, &log);
	if (err) {
		log_prefix(&log, "struct_ops");
		type_free(bt);
		return err;
	}
	bt->vops.btf_struct_access = btf_struct_access;
	bt->ops = (struct sops_struct_ops){
		.name = bt->name, .verifier_ops = &bt->vops, .init = btf_init,
		.init_member = btf_init_member, .reg = btf_reg, .unreg = btf_unreg,
		.update = btf_update, .cfi_stubs = bt->stubs, .priv = bt,
	};
	err = sops_runtime__register_struct_ops_opts(rt, &bt->ops, &ro);
	if (err) {
		type_free(bt);
		return err;
	}
	pthread_mutex_lock(&st->lock);
	bt->next = st->btf_types;
	st->btf_types = bt;
	pthread_mutex_unlock(&st->lock);
	return 0;
}

long sops_runtime__struct_ops_btf_regs(struct sops_runtime *rt, const char *type_name)
{
	struct st_btf_type *bt;
	long n = -ENOENT;
	struct st_rt *st;

	if (!rt || !type_name)
		return -EINVAL;
	st = st_of(rt);
	pthread_mutex_lock(&st->lock);
	for (bt = st->btf_types; bt; bt = bt->next)
		if (!strcmp(bt->name, type_name))
			n = atomic_load(&bt->regs);
	pthread_mutex_unlock(&st->lock);
	return n;
}

void st_btf_types_free(struct st_rt *st)
{
	struct st_btf_type *bt = st->btf_types, *n;

	for (; bt; bt = n) {
		n = bt->next;
		type_free(bt);
	}
	st->btf_types = NULL;
}
