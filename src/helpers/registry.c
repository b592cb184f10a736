/* SPDX-License-Identifier: MIT */
/*
 * registry.c - helpers and kfuncs a host registers, and the per-program tables
 * built from them at load.
 *
 * A program's helper table is the built-in set plus the host's helpers whose
 * program-type mask and struct_ops type match it (a host helper with a
 * built-in id replaces the built-in one). kfunc calls are resolved by the BTF
 * object the instruction names (insn.off indexes fd_array, 0 is the host's
 * BTF) and the FUNC's BTF id (insn.imm). The prototypes and flags stay with
 * the entries for the verifier; today's verification step checks only that a
 * call target exists and is allowed.
 *
 * A helper or kfunc registered with st_ops_name is offered only to STRUCT_OPS
 * programs attaching to that struct type. The type is the name of the
 * program's attach_btf_id in its attach BTF (attach_btf_obj_fd's, or the
 * host's BTF when none is given): the same type the struct_ops layer checks
 * the program against in its load_check, which runs before the table is
 * built. Programs of other types never get such entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include <structops/struct_ops.h>

#include "../vm/vm_internal.h"

#include "../runtime/rt_internal.h"
#include "../util/log.h"
#include "../util/opts.h"

static char *dup_or_null(const char *s, bool *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*fail = true;
	return d;
}

int sops_runtime__register_helper(struct sops_runtime *rt, const struct sops_helper_desc *desc)
{
	struct rt_helper_entry *h;
	bool fail = false;
	int err = 0;

	if (!rt || !desc || !OPTS_VALID(desc, sops_helper_desc) || !desc->fn || !desc->id ||
	    desc->id >= VM_HELPER_ID_LIMIT)
		return -EINVAL;
	if (!rt_proto_valid(desc->ret_type, desc->arg_type))
		return -EINVAL;
	pthread_mutex_lock(&rt->reg_lock);
	for (uint32_t i = 0; i < rt->helper_cnt; i++) {
		if (rt->helpers[i].d.id == desc->id) {
			err = -EEXIST;
			goto out;
		}
	}
	h = realloc(rt->helpers, (rt->helper_cnt + 1) * sizeof(*h));
	if (!h) {
		err = -ENOMEM;
		goto out;
	}
	rt->helpers = h;
	h = &rt->helpers[rt->helper_cnt];
	memset(h, 0, sizeof(*h));
	memcpy(&h->d, desc, desc->sz < sizeof(h->d) ? desc->sz : sizeof(h->d));
	h->name = dup_or_null(desc->name, &fail);
	h->st_ops_name = dup_or_null(OPTS_GET(desc, st_ops_name, NULL), &fail);
	/* Its own allocation: program tables point at it while rt->helpers grows. */
	h->proto = calloc(1, sizeof(*h->proto));
	if (fail || !h->proto) {
		free(h->name);
		free(h->st_ops_name);
		free(h->proto);
		err = -ENOMEM;
		goto out;
	}
	h->d.name = h->name;
	h->d.st_ops_name = h->st_ops_name;
	h->proto->ret_type = h->d.ret_type;
	h->proto->ret_size = OPTS_GET(desc, ret_size, 0);
	memcpy(h->proto->arg_type, h->d.arg_type, sizeof(h->proto->arg_type));
	rt->helper_cnt++;
out:
	pthread_mutex_unlock(&rt->reg_lock);
	return err;
}

/*
 * The kernel's `__prog` parameters (KF_IMPLICIT_ARGS): a parameter of the
 * kfunc's BTF prototype whose name ends in `__prog` receives the calling
 * program, so the flag is set from the name when the host did not set it.
 */
static uint32_t implicit_prog_flag(const struct btf *btf, uint32_t btf_id, uint32_t flags)
{
	const struct btf_type *fn = btf ? btf__type_by_id(btf, btf_id) : NULL;
	const struct btf_type *proto = fn && btf_is_func(fn) ? btf__type_by_id(btf, fn->type) : NULL;
	const struct btf_param *p;

	if ((flags & SOPS_KF_IMPLICIT_PROG) || !proto || !btf_is_func_proto(proto))
		return flags;
	p = btf_params(proto);
	for (uint16_t i = 0; i < btf_vlen(proto) && i < 5; i++, p++) {
		const char *n = btf__name_by_offset(btf, p->name_off);
		size_t len = n ? strlen(n) : 0;

		if (len > 6 && !strcmp(n + len - 6, "__prog"))
			return flags | SOPS_KF_PROG_ARG(i);
	}
	return flags;
}

int sops_runtime__register_kfunc(struct sops_runtime *rt, const struct sops_kfunc_desc *desc)
{
	struct rt_btf *btf = NULL;
	struct rt_kfunc_entry *k;
	bool fail = false;
	int err = 0;

	struct sops_log log = { NULL, 0, 0 };

	if (desc && desc->sz >= offsetofend(struct sops_kfunc_desc, log_size))
		log = (struct sops_log){ desc->log_buf, desc->log_size, 0 };
	if (!rt || !desc || !OPTS_VALID(desc, sops_kfunc_desc))
		return log_err(&log, -EINVAL, "kfunc: invalid arguments (no runtime or desc, or unknown fields set)");
	if (!desc->name)
		return log_err(&log, -EINVAL, "kfunc: no name");
	if (!desc->fn || !desc->btf_id)
		return log_err(&log, -EINVAL, "kfunc %s: no %s", desc->name,
			       !desc->fn ? "function (fn)" : "btf_id (the FUNC's id in its BTF)");
	if (OPTS_GET(desc, btf_fd, 0)) {
		struct rt_obj *o;

		if (rt_handle_get(rt, desc->btf_fd, SOPS_OBJ_BTF, &o))
			return log_err(&log, -EINVAL, "kfunc %s: btf_fd %d is not a BTF handle of this runtime",
				       desc->name, desc->btf_fd);
		btf = caa_container_of(o, struct rt_btf, obj);
	}
	pthread_mutex_lock(&rt->reg_lock);
	for (uint32_t i = 0; i < rt->kfunc_cnt; i++) {
		if (rt->kfuncs[i].d.btf_id == desc->btf_id && rt->kfuncs[i].btf == btf) {
			err = log_err(&log, -EEXIST, "kfunc %s: BTF id %u of that BTF is already registered (as %s)",
				      desc->name, desc->btf_id, rt->kfuncs[i].name);
			goto out;
		}
	}
	k = realloc(rt->kfuncs, (rt->kfunc_cnt + 1) * sizeof(*k));
	if (!k) {
		err = log_err(&log, -ENOMEM, "kfunc %s: out of memory", desc->name);
		goto out;
	}
	rt->kfuncs = k;
	k = &rt->kfuncs[rt->kfunc_cnt];
	memset(k, 0, sizeof(*k));
	memcpy(&k->d, desc, desc->sz < sizeof(k->d) ? desc->sz : sizeof(k->d));
	k->name = dup_or_null(desc->name, &fail);
	k->st_ops_name = dup_or_null(OPTS_GET(desc, st_ops_name, NULL), &fail);
	if (fail) {
		free(k->name);
		free(k->st_ops_name);
		err = log_err(&log, -ENOMEM, "kfunc %s: out of memory", desc->name);
		goto out;
	}
	k->d.name = k->name;
	k->d.log_buf = NULL; /* the caller's, valid only during this call */
	k->d.log_size = 0;
	k->d.st_ops_name = k->st_ops_name;
	k->d.flags = implicit_prog_flag(btf ? btf->btf : k->d.btf ? k->d.btf : rt->host_btf, k->d.btf_id,
					k->d.flags);
	k->btf = btf;
	btf = NULL;
	rt->kfunc_cnt++;
out:
	pthread_mutex_unlock(&rt->reg_lock);
	if (btf)
		rt_obj_put(&btf->obj);
	return err;
}

void rt_kfuncs_unregister_btf(struct sops_runtime *rt, struct rt_btf *btf)
{
	uint32_t n = 0;

	if (!btf)
		return;
	pthread_mutex_lock(&rt->reg_lock);
	for (uint32_t i = 0; i < rt->kfunc_cnt; i++) {
		struct rt_kfunc_entry *k = &rt->kfuncs[i];

		if (k->btf != btf) {
			rt->kfuncs[n++] = *k;
			continue;
		}
		free(k->name);
		free(k->st_ops_name);
		rt_obj_put(&k->btf->obj);
	}
	rt->kfunc_cnt = n;
	pthread_mutex_unlock(&rt->reg_lock);
}

void rt_kfuncs_free(struct sops_runtime *rt)
{
	for (uint32_t i = 0; i < rt->kfunc_cnt; i++) {
		free(rt->kfuncs[i].name);
		free(rt->kfuncs[i].st_ops_name);
		if (rt->kfuncs[i].btf)
			rt_obj_put(&rt->kfuncs[i].btf->obj);
	}
	free(rt->kfuncs);
	rt->kfuncs = NULL;
	rt->kfunc_cnt = 0;
}

int sops_runtime__find_kfunc_id(struct sops_runtime *rt, const char *name)
{
	int id = -ENOENT;

	pthread_mutex_lock(&rt->reg_lock);
	for (uint32_t i = 0; i < rt->kfunc_cnt; i++)
		if (!strcmp(rt->kfuncs[i].name, name)) {
			id = (int)rt->kfuncs[i].d.btf_id;
			break;
		}
	pthread_mutex_unlock(&rt->reg_lock);
	return id;
}

static bool type_matches(uint64_t mask, uint32_t type)
{
	return !mask || (type < 64 && mask & (1ULL << type));
}

const char *rt_prog_st_ops_type(const struct sops_prog *prog)
{
	const struct btf *btf = prog->attach_btf ? prog->attach_btf->btf : prog->obj.rt->host_btf;
	const struct btf_type *t;
	const char *name;

	if (prog->type != SOPS_BPF_PROG_TYPE_STRUCT_OPS || !btf || !prog->attach_btf_id)
		return NULL;
	t = btf__type_by_id(btf, prog->attach_btf_id);
	if (!t || !btf_is_struct(t))
		return NULL;
	name = btf__name_by_offset(btf, t->name_off);
	return name && *name ? name : NULL;
}

/* Whether an entry limited to struct_ops type @only (NULL: not limited) is for @st_type. */
static bool st_ops_matches(const char *only, const char *st_type)
{
	return !only || (st_type && !strcmp(only, st_type));
}

const char *rt_helper_st_ops_only(struct sops_runtime *rt, uint32_t id, const struct sops_prog *prog)
{
	const char *st_type = rt_prog_st_ops_type(prog), *only = NULL;

	pthread_mutex_lock(&rt->reg_lock);
	for (uint32_t j = 0; j < rt->helper_cnt; j++) {
		const struct sops_helper_desc *d = &rt->helpers[j].d;

		if (d->id == id && type_matches(d->prog_types, prog->type) &&
		    !st_ops_matches(d->st_ops_name, st_type))
			only = d->st_ops_name;
	}
	pthread_mutex_unlock(&rt->reg_lock);
	return only;
}

int rt_helpers_for_prog(struct sops_runtime *rt, const struct sops_prog *prog,
			struct sops_helper **out, size_t *out_cnt)
{
	size_t base_cnt, n = 0;
	const struct sops_helper *base = rt_base_helpers(&base_cnt);
	const char *st_type = rt_prog_st_ops_type(prog);
	struct sops_helper *t;

	pthread_mutex_lock(&rt->reg_lock);
	t = calloc(base_cnt + rt->helper_cnt, sizeof(*t));
	if (!t) {
		pthread_mutex_unlock(&rt->reg_lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < base_cnt; i++) {
		bool replaced = false;

		for (uint32_t j = 0; j < rt->helper_cnt; j++)
			replaced |= rt->helpers[j].d.id == base[i].id &&
				    type_matches(rt->helpers[j].d.prog_types, prog->type) &&
				    st_ops_matches(rt->helpers[j].d.st_ops_name, st_type);
		if (!replaced && rt_base_helper_allowed(prog->type, base[i].id))
			t[n++] = base[i];
	}
	for (uint32_t j = 0; j < rt->helper_cnt; j++) {
		const struct sops_helper_desc *d = &rt->helpers[j].d;

		if (!type_matches(d->prog_types, prog->type) || !st_ops_matches(d->st_ops_name, st_type))
			continue;
		t[n++] = (struct sops_helper){ d->id, d->name, d->fn, rt->helpers[j].proto };
	}
	pthread_mutex_unlock(&rt->reg_lock);
	*out = t;
	*out_cnt = n;
	return 0;
}

int rt_kfunc_find(struct sops_prog *prog, const int *fd_array, uint32_t fd_array_cnt, int32_t btf_id,
		  int16_t btf_slot, struct sops_kfunc_desc *desc, const struct btf **btf, struct rt_btf **held)
{
	struct sops_runtime *rt = prog->obj.rt;
	const char *st_type = rt_prog_st_ops_type(prog);
	struct rt_btf *mod = NULL;
	int err = -ENOENT;

	*held = NULL;
	if (btf_slot < 0)
		return -EINVAL;
	if (btf_slot) {
		struct rt_obj *o;

		if (!fd_array || (fd_array_cnt && (uint32_t)btf_slot >= fd_array_cnt) || !fd_array[btf_slot] ||
		    rt_handle_get(rt, fd_array[btf_slot], SOPS_OBJ_BTF, &o))
			return -EINVAL;
		mod = caa_container_of(o, struct rt_btf, obj);
	}
	pthread_mutex_lock(&rt->reg_lock);
	for (uint32_t i = 0; i < rt->kfunc_cnt; i++) {
		const struct sops_kfunc_desc *d = &rt->kfuncs[i].d;

		if (d->btf_id != (uint32_t)btf_id || rt->kfuncs[i].btf != mod)
			continue;
		if (!type_matches(d->prog_types, prog->type) || !st_ops_matches(d->st_ops_name, st_type)) {
			err = -EACCES;
			break;
		}
		/* Registered kfuncs stay while their BTF does: the caller holds it (@held). */
		*desc = *d;
		*btf = mod ? mod->btf : d->btf ? d->btf : rt->host_btf;
		err = 0;
		break;
	}
	pthread_mutex_unlock(&rt->reg_lock);
	if (err && mod)
		rt_obj_put(&mod->obj);
	else
		*held = mod;
	return err;
}

int rt_kfunc_resolve(struct sops_prog *prog, const int *fd_array, uint32_t fd_array_cnt,
		     int32_t btf_id, int16_t btf_slot, sops_kfunc_fn *fn)
{
	struct sops_runtime *rt = prog->obj.rt;
	const char *st_type = rt_prog_st_ops_type(prog);
	struct rt_btf *btf = NULL, *pin = NULL;
	int err = -EINVAL;

	if (btf_slot < 0)
		return -EINVAL;
	if (btf_slot) {
		struct rt_obj *o;

		if (!fd_array || (fd_array_cnt && (uint32_t)btf_slot >= fd_array_cnt))
			return -EINVAL;
		/* Matched by BTF object: handle numbers differ between holders. */
		if (!fd_array[btf_slot] || rt_handle_get(rt, fd_array[btf_slot], SOPS_OBJ_BTF, &o))
			return -EINVAL;
		btf = caa_container_of(o, struct rt_btf, obj);
	}
	pthread_mutex_lock(&rt->reg_lock);
	for (uint32_t i = 0; i < rt->kfunc_cnt; i++) {
		const struct sops_kfunc_desc *d = &rt->kfuncs[i].d;

		if (d->btf_id != (uint32_t)btf_id || rt->kfuncs[i].btf != btf)
			continue;
		/* The kernel: a kfunc not in the program type's set is "calling kernel function is not allowed". */
		if (!type_matches(d->prog_types, prog->type) || !st_ops_matches(d->st_ops_name, st_type)) {
			err = -EACCES;
			break;
		}
		*fn = d->fn;
		err = 0;
		if (d->flags & SOPS_KF_IMPLICIT_PROG)
			err = rt->hooks.kfunc_bind ? rt->hooks.kfunc_bind(prog, d, fn) : -EINVAL;
		pin = btf;
		break;
	}
	pthread_mutex_unlock(&rt->reg_lock);
	/* A module's kfunc: the program pins the module (its code must stay). */
	if (!err && pin && rt->hooks.kfunc_pin)
		err = rt->hooks.kfunc_pin(prog, pin);
	if (btf)
		rt_obj_put(&btf->obj);
	return err;
}
