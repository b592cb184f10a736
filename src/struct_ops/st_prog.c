/* SPDX-License-Identifier: MIT */
/*
 * st_prog.c - struct_ops programs: the attach checks of PROG_LOAD (spec
 * section 4), program/map association (PROG_ASSOC_STRUCT_OPS, spec 2.9), the
 * host-side lookup kfuncs use, and kfuncs' implicit program argument.
 *
 * Association lives in prog->st_ops_assoc: NULL, a struct st_map, or
 * ST_ASSOC_POISON (a struct_ops program used by two maps; never cleared). It
 * changes by compare-and-swap, so the host lookup is one acquire load. A
 * non-struct_ops program holds a reference on its map until it is freed; a
 * struct_ops program holds none (its map clears the pointer when freed).
 *
 * Implicit program argument: a kfunc registered with SOPS_KF_PROG_ARG(i) is
 * resolved, per calling program, to a libffi closure that calls it with
 * argument i replaced by the program; closures are freed with the program.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ffi.h>

#include <structops/asm.h>

#include "../btf/btf_internal.h"
#include "st_internal.h"

#define OPC_CALL 0x85
#define OPC_LDDW 0x18
#define HELPER_TAIL_CALL 12

/* --- attach checks --- */

static int check_calls(struct sops_prog *prog, const struct st_desc *d, uint32_t member,
		       struct sops_log *log)
{
	const struct sops_struct_ops_verifier_ops *vops = d->st_ops->verifier_ops;
	struct sops_runtime *rt = prog->obj.rt;
	bool has_ref = false;
	int err = 0;

	for (int a = 0; a < FUNC_MODEL_MAX_ARGS; a++)
		has_ref |= d->members[member].arg_info[a] & ST_ARG_REF;
	for (uint32_t i = 0; i < prog->insn_cnt && !err; i++) {
		const struct sops_insn *in = &prog->insns[i];

		if (in->code == OPC_LDDW) {
			i++;
			continue;
		}
		if (in->code != OPC_CALL)
			continue;
		if (in->src_reg == SOPS_CALL_HELPER) {
			const char *name = sops_helper_name((uint32_t)in->imm);

			if (has_ref && in->imm == HELPER_TAIL_CALL)
				return log_err(log, -EINVAL, "tail_call is not allowed in a program with __ref arguments");
			if (vops && vops->helper_allowed &&
			    !vops->helper_allowed((uint32_t)in->imm, member, prog))
				return log_err(log, -EINVAL, "program of this type cannot use helper %s#%d",
					       name ? name : "unknown", in->imm);
			continue;
		}
		if (in->src_reg != SOPS_CALL_KFUNC || in->off)
			continue;
		pthread_mutex_lock(&rt->reg_lock);
		for (uint32_t k = 0; k < rt->kfunc_cnt; k++) {
			const struct sops_kfunc_desc *kd = &rt->kfuncs[k].d;

			if (kd->btf_id != (uint32_t)in->imm || kd->btf_fd)
				continue;
			if ((kd->st_ops_name && strcmp(kd->st_ops_name, d->st_ops->name)) ||
			    (vops && vops->kfunc_allowed && !vops->kfunc_allowed(kd->name, member, prog)))
				err = log_err(log, -EACCES, "calling kernel function %s is not allowed", kd->name);
			else if (kd->flags & SOPS_KF_SLEEPABLE && !prog->sleepable)
				err = log_err(log, -EACCES, "program must be sleepable to call sleepable kfunc %s",
					      kd->name);
			break;
		}
		pthread_mutex_unlock(&rt->reg_lock);
	}
	return err;
}

static void st_type_data_free(struct sops_prog *prog)
{
	free(prog->type_data);
	prog->type_data = NULL;
}

static int st_load_check(struct sops_prog *prog, const union sops_bpf_attr *attr, struct sops_log *log)
{
	struct st_rt *st = st_of(prog->obj.rt);
	struct sops_module *mod = NULL;
	const struct st_member *sm;
	struct st_prog_info *info;
	struct st_owner *o;
	struct st_desc *d;
	uint32_t idx = prog->expected_attach_type;
	int err;

	(void)attr;
	if (!prog->gpl)
		return log_err(log, -EINVAL, "struct ops programs must have a GPL compatible license");
	if (!prog->attach_btf_id)
		return log_err(log, -SOPS_ENOTSUPP, "struct_ops program without attach_btf_id");
	if (prog->attach_btf && !prog->attach_btf->kernel_btf)
		return log_err(log, -SOPS_ENOTSUPP, "attach_btf_obj_fd is not a kernel BTF");
	o = st_owner_of_btf(st, prog->attach_btf);
	if (!o) {
		if (prog->attach_btf)
			return log_err(log, -SOPS_ENOTSUPP, "struct_ops module %s is not found",
				       prog->attach_btf->name);
		return log_err(log, -EINVAL, "no host BTF to attach to");
	}
	if (o->mod) {
		pthread_mutex_lock(&st->lock);
		mod = o->mod;
		pthread_mutex_unlock(&st->lock);
		if (!mod || !st_module_get(mod))
			return log_err(log, -SOPS_ENOTSUPP, "struct_ops module %s is not found", o->rb->name);
	}
	d = st_find_desc_by_type(o, prog->attach_btf_id);
	if (!d) {
		err = log_err(log, -SOPS_ENOTSUPP, "attach_btf_id %u is not a supported struct",
			      prog->attach_btf_id);
		goto out;
	}
	if (idx >= d->member_cnt) {
		err = log_err(log, -EINVAL, "attach to invalid member idx %u", idx);
		goto out;
	}
	sm = &d->members[idx];
	if (sm->kind != ST_MEMBER_FUNC) {
		err = log_err(log, -EINVAL, "attach to invalid member %s(@idx %u)", sm->name, idx);
		goto out;
	}
	if (!sm->supported) {
		err = log_err(log, -SOPS_ENOTSUPP, "attach to unsupported member %s of struct %s", sm->name,
			      d->st_ops->name);
		goto out;
	}
	if (d->st_ops->check_member) {
		err = d->st_ops->check_member(d->type, sm->m, prog);
		if (err) {
			log_err(log, err, "attach to unsupported member %s of struct %s", sm->name,
				d->st_ops->name);
			goto out;
		}
	}
	err = check_calls(prog, d, idx, log);
	if (err)
		goto out;
	info = calloc(1, sizeof(*info));
	if (!info) {
		err = -ENOMEM;
		goto out;
	}
	info->desc = d;
	info->member = idx;
	prog->type_data = info;
	prog->type_data_free = st_type_data_free;
out:
	if (mod)
		st_module_put(mod);
	return err;
}

/* --- PROG_TEST_RUN (spec section 4: the bpf_dummy_ops test path) --- */

#define ST_TEST_RUN_TYPE "bpf_dummy_ops"
#define ST_TEST_STATE_MAX 4096

/*
 * Test runs of struct_ops programs exist only for the kernel's test type,
 * bpf_dummy_ops (a type of that name here, EOPNOTSUPP for others). The
 * context is the member's arguments, one u64 each: ctx_size_in must be
 * exactly 8 * their count; a zero for a pointer argument whose stub does not
 * mark it __nullable is EINVAL (the program would dereference it); a
 * non-zero first argument pointing to a struct is the caller's state,
 * copied in before the run and back out after it. retval is the program's
 * r0; the program runs once.
 */
static int st_test_run(struct sops_prog *prog, const union sops_bpf_attr *attr,
		       union sops_bpf_attr *uattr)
{
	const struct st_prog_info *info = prog->type_data;
	uint64_t args[FUNC_MODEL_MAX_ARGS] = { 0 }, regs[5] = { 0 }, ret = 0;
	struct sops_mem_region regions[2];
	const struct btf_type *proto, *t;
	const struct st_member *sm;
	const struct btf_param *p;
	const struct btf *btf;
	void *ustate = NULL, *state = NULL;
	size_t nreg = 0, state_size = 0;
	uint32_t nr;
	int err;

	if (!info || strcmp(info->desc->st_ops->name, ST_TEST_RUN_TYPE))
		return -EOPNOTSUPP;
	if (attr->test.flags || attr->test.cpu || attr->test.batch_size || attr->test.data_size_in ||
	    attr->test.data_in || attr->test.data_out || attr->test.data_size_out)
		return -EINVAL;
	sm = &info->desc->members[info->member];
	btf = info->desc->owner->ext;
	proto = btf_func_ptr_proto(btf, sm->m->type);
	if (!proto)
		return -EINVAL;
	nr = btf_vlen(proto);
	if (nr > FUNC_MODEL_MAX_ARGS || attr->test.ctx_size_in != nr * sizeof(uint64_t))
		return -EINVAL;
	if (nr && !attr->test.ctx_in)
		return -EINVAL;
	memcpy(args, (const void *)(uintptr_t)attr->test.ctx_in, nr * sizeof(uint64_t));
	p = btf_params(proto);
	for (uint32_t i = 0; i < nr; i++) {
		t = btf_skip_mods(btf, p[i].type, NULL);
		if (t && btf_is_ptr(t) && !args[i] && !(sm->arg_info[i] & ST_ARG_NULLABLE))
			return -EINVAL;
	}
	if (nr && args[0]) {
		uint32_t sid;
		const struct btf_type *st;

		t = btf_skip_mods(btf, p[0].type, NULL);
		st = t && btf_is_ptr(t) ? btf_skip_mods(btf, t->type, &sid) : NULL;
		if (st && btf_is_composite(st)) {
			long sz = btf__resolve_size(btf, sid);

			if (sz <= 0 || sz > ST_TEST_STATE_MAX)
				return -EINVAL;
			state_size = (size_t)sz;
			state = malloc(state_size);
			if (!state)
				return -ENOMEM;
			ustate = (void *)(uintptr_t)args[0];
			memcpy(state, ustate, state_size);
			args[0] = (uint64_t)(uintptr_t)state;
			regions[nreg++] = (struct sops_mem_region){ args[0], state_size, true };
		}
	}
	regions[nreg++] = (struct sops_mem_region){ (uint64_t)(uintptr_t)args, nr * sizeof(uint64_t),
						    false };
	regs[0] = (uint64_t)(uintptr_t)args;
	urcu_bp_read_lock();
	err = rt_prog_run_counted(prog, regs, regions, nreg, &ret);
	urcu_bp_read_unlock();
	if (!err) {
		if (state)
			memcpy(ustate, state, state_size);
		uattr->test.retval = (uint32_t)ret;
		uattr->test.duration = 0;
	}
	free(state);
	return err;
}

const struct rt_prog_type_ops st_prog_type_ops = {
	.load_check = st_load_check,
	.test_run = st_test_run,
};

/* --- association --- */

int st_prog_assoc(struct sops_prog *prog, struct rt_map *map, uint32_t flags)
{
	struct st_map *m = st_map_of(map);
	bool st_prog = prog->type == SOPS_BPF_PROG_TYPE_STRUCT_OPS;

	(void)flags;
	for (;;) {
		void *cur = atomic_load(&prog->st_ops_assoc);

		if (cur == m)
			return 0;
		if (cur) {
			if (!st_prog)
				return -EBUSY;
			atomic_store(&prog->st_ops_assoc, ST_ASSOC_POISON);
			return 0;
		}
		if (!st_prog)
			st_map_get_kref(m);
		if (atomic_compare_exchange_strong(&prog->st_ops_assoc, &cur, (void *)m))
			return 0;
		if (!st_prog)
			st_map_put_kref(m);
	}
}

void st_prog_disassoc_map(struct sops_prog *prog, struct st_map *m)
{
	void *cur = m;

	atomic_compare_exchange_strong(&prog->st_ops_assoc, &cur, NULL);
}

void *sops_prog_get_assoc_struct_ops(const struct sops_prog *prog)
{
	void *cur;

	if (!prog)
		return NULL;
	cur = atomic_load_explicit(&((struct sops_prog *)prog)->st_ops_assoc, memory_order_acquire);
	if (!cur || cur == ST_ASSOC_POISON)
		return NULL;
	return st_kdata(cur);
}

/* --- kfunc trampolines --- */

struct kf_tramp {
	struct kf_tramp *next;
	struct sops_prog *prog;
	sops_kfunc_fn target;
	uint32_t idx;
	void *entry;
	ffi_closure *closure;
	ffi_cif cif;
	ffi_type *args[5];
};

static void kf_handler(ffi_cif *cif, void *ret, void **args, void *user)
{
	const struct kf_tramp *t = user;
	uint64_t a[5];

	(void)cif;
	for (int i = 0; i < 5; i++)
		a[i] = *(const uint64_t *)args[i];
	a[t->idx] = (uint64_t)(uintptr_t)t->prog;
	*(ffi_arg *)ret = t->target(a[0], a[1], a[2], a[3], a[4]);
}

int st_kfunc_bind(struct sops_prog *prog, const struct sops_kfunc_desc *d, sops_kfunc_fn *fn)
{
	uint32_t idx = SOPS_KF_PROG_ARG_IDX(d->flags);
	struct kf_tramp *t;

	if (idx >= 5)
		return -EINVAL;
	for (t = prog->kfunc_tramps; t; t = t->next) {
		if (t->target == d->fn && t->idx == idx) {
			*fn = (sops_kfunc_fn)t->entry;
			return 0;
		}
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->prog = prog;
	t->target = d->fn;
	t->idx = idx;
	for (int i = 0; i < 5; i++)
		t->args[i] = &ffi_type_uint64;
	t->closure = ffi_closure_alloc(sizeof(ffi_closure), &t->entry);
	if (!t->closure || ffi_prep_cif(&t->cif, FFI_DEFAULT_ABI, 5, &ffi_type_uint64, t->args) != FFI_OK ||
	    ffi_prep_closure_loc(t->closure, &t->cif, kf_handler, t, t->entry) != FFI_OK) {
		if (t->closure)
			ffi_closure_free(t->closure);
		free(t);
		return -ENOMEM;
	}
	t->next = prog->kfunc_tramps;
	prog->kfunc_tramps = t;
	*fn = (sops_kfunc_fn)t->entry;
	return 0;
}

void st_prog_free(struct sops_prog *prog)
{
	struct kf_tramp *t = prog->kfunc_tramps, *n;
	void *cur = atomic_load(&prog->st_ops_assoc);

	if (cur && cur != ST_ASSOC_POISON &&
	    atomic_compare_exchange_strong(&prog->st_ops_assoc, &cur, NULL) &&
	    prog->type != SOPS_BPF_PROG_TYPE_STRUCT_OPS)
		st_map_put_kref(cur);
	for (; t; t = n) {
		n = t->next;
		ffi_closure_free(t->closure);
		free(t);
	}
	prog->kfunc_tramps = NULL;
	st_kfunc_unpin(prog);
}

/* --- what hooks may ask about a program --- */

const char *sops_prog_name(const struct sops_prog *prog)
{
	return prog ? prog->name : NULL;
}

bool sops_prog_is_sleepable(const struct sops_prog *prog)
{
	return prog && prog->sleepable;
}

uint32_t sops_prog_type(const struct sops_prog *prog)
{
	return prog ? prog->type : 0;
}

uint32_t sops_prog_member_idx(const struct sops_prog *prog)
{
	return prog ? prog->expected_attach_type : 0;
}

uint32_t sops_prog_attach_btf_id(const struct sops_prog *prog)
{
	return prog ? prog->attach_btf_id : 0;
}
