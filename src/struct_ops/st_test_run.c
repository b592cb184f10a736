/* SPDX-License-Identifier: MIT */
/*
 * st_test_run.c - sops_prog_test_run_struct_ops: a struct_ops program run
 * against its member's prototype with caller-given arguments, the
 * generalisation of the kernel's bpf_dummy_ops test run (st_prog.c keeps
 * that one for PROG_TEST_RUN) to every type and every pointer argument.
 *
 * The context is the kernel's u64 args[]. Each pointer-to-struct argument
 * the verifier typed as a trusted pointer is backed by a private copy of
 * the caller's buffer, at least sizeof(struct) bytes, so the memory the
 * verifier assumed is there; the copies go back to the caller after the
 * run. Every other argument is a scalar and passed through.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../btf/btf_internal.h"
#include "../util/log.h"
#include "../util/opts.h"
#include "st_internal.h"

#define ST_TEST_BUF_MAX (64u << 20) /* as the generic test run's data limit */

struct run_arg {
	void *copy;   /* the run's buffer (NULL: scalar or NULL pointer) */
	size_t size;
};

/* The struct argument @i points to (its size in *@size), or 0 for arguments the verifier reads as scalars. */
static uint32_t arg_struct(const struct btf *btf, const struct btf_param *p, long *size)
{
	const struct btf_type *t = btf_skip_mods(btf, p->type, NULL);
	uint32_t sid = 0;

	if (!t || !btf_is_ptr(t))
		return 0;
	t = btf_skip_mods(btf, t->type, &sid);
	if (!t || !btf_is_composite(t))
		return 0;
	*size = btf__resolve_size(btf, sid);
	return sid;
}

/* Checks argument @i and makes its copy. 0 or -errno with a message. */
static int prepare_arg(const struct btf *btf, const struct st_member *sm, const struct btf_param *p,
		       uint32_t i, uint64_t *slot, const struct sops_struct_ops_arg_buf *buf,
		       struct run_arg *ra, struct sops_log *log)
{
	const char *pname = btf__name_by_offset(btf, p->name_off);
	long need = 0;
	uint32_t sid = arg_struct(btf, p, &need);
	const char *sname = sid ? btf__name_by_offset(btf, btf__type_by_id(btf, sid)->name_off) : "";

	if (!pname)
		pname = "";
	if (!sid) {
		if (buf && buf->data)
			return log_err(log, -EINVAL, "arg %u '%s' is not a pointer to a struct: it takes no buffer",
				       i, pname);
		return 0;
	}
	if (!buf || !buf->data) {
		if (*slot)
			return log_err(log, -EINVAL,
				       "arg %u '%s' (struct %s *): a pointer argument needs a buffer, not a raw "
				       "address", i, pname, sname);
		if (!(sm->arg_info[i] & ST_ARG_NULLABLE))
			return log_err(log, -EINVAL,
				       "arg %u '%s' (struct %s *) is NULL, but member %s does not mark it "
				       "__nullable", i, pname, sname, sm->name);
		return 0;
	}
	if (need <= 0 || buf->size < (size_t)need)
		return log_err(log, -EINVAL, "arg %u '%s': buffer of %zu bytes, struct %s needs %ld", i, pname,
			       buf->size, sname, need);
	if (buf->size > ST_TEST_BUF_MAX)
		return log_err(log, -EINVAL, "arg %u '%s': buffer of %zu bytes (at most %u)", i, pname,
			       buf->size, ST_TEST_BUF_MAX);
	/* Aligned as a host object would be, so the JIT's loads and stores see the usual layout. */
	ra->copy = aligned_alloc(16, (buf->size + 15) / 16 * 16);
	if (!ra->copy)
		return log_err(log, -ENOMEM, "out of memory");
	memcpy(ra->copy, buf->data, buf->size);
	ra->size = buf->size;
	*slot = (uint64_t)(uintptr_t)ra->copy;
	return 0;
}

static int run(struct sops_prog *prog, const struct st_prog_info *info,
	       struct sops_struct_ops_test_run_opts *opts, struct sops_log *log)
{
	const struct st_member *sm = &info->desc->members[info->member];
	const struct btf *btf = info->desc->owner->ext;
	const struct btf_type *proto = btf_func_ptr_proto(btf, sm->m->type);
	struct sops_mem_region regions[FUNC_MODEL_MAX_ARGS + 1];
	struct run_arg ra[FUNC_MODEL_MAX_ARGS] = { 0 };
	uint64_t args[FUNC_MODEL_MAX_ARGS] = { 0 }, regs[5] = { 0 }, ret = 0, start, elapsed;
	int repeat = opts->repeat > 0 ? opts->repeat : 1, err = 0, runs;
	uint32_t nr, nreg = 0;
	bool stats;

	if (!proto)
		return log_err(log, -EINVAL, "member %s has no prototype", sm->name);
	nr = btf_vlen(proto);
	if (nr > FUNC_MODEL_MAX_ARGS || opts->args_size != nr * sizeof(uint64_t))
		return log_err(log, -EINVAL,
			       "ctx of %u bytes: member %s of struct %s takes %u argument%s (%u bytes of u64 args[])",
			       opts->args_size, sm->name, info->desc->st_ops->name, nr, nr == 1 ? "" : "s",
			       nr * 8);
	if (nr && !opts->args)
		return log_err(log, -EINVAL, "args is NULL");
	if (opts->buf_cnt > nr || (opts->buf_cnt && !opts->bufs))
		return log_err(log, -EINVAL, "%u buffers for %u arguments", opts->buf_cnt, nr);
	memcpy(args, opts->args, nr * sizeof(uint64_t));
	for (uint32_t i = 0; i < nr && !err; i++) {
		err = prepare_arg(btf, sm, btf_params(proto) + i, i, &args[i],
				  i < opts->buf_cnt ? &opts->bufs[i] : NULL, &ra[i], log);
		if (!err && ra[i].copy)
			regions[nreg++] = (struct sops_mem_region){ args[i], ra[i].size, true };
	}
	if (err)
		goto out;
	/* The context itself is read-only, as the verifier treats it. */
	regions[nreg++] = (struct sops_mem_region){ (uint64_t)(uintptr_t)args, nr * sizeof(uint64_t), false };
	regs[0] = (uint64_t)(uintptr_t)args;
	stats = rt_stats_on(prog->obj.rt);
	start = rt_now_ns();
	urcu_bp_read_lock();
	for (runs = 0; runs < repeat && !err; runs++)
		err = rt_prog_run(prog, regs, regions, nreg, &ret);
	urcu_bp_read_unlock();
	elapsed = rt_now_ns() - start;
	/* Counted as PROG_TEST_RUN counts: only with stats on, the faulting run included. */
	if (stats)
		rt_prog_stats_add(prog, (uint64_t)runs, elapsed);
	if (err) {
		log_err(log, err, "program %s faulted (checked run)", prog->name);
		goto out;
	}
	for (uint32_t i = 0; i < nr; i++)
		if (ra[i].copy)
			memcpy(opts->bufs[i].data, ra[i].copy, ra[i].size);
	opts->retval = ret;
	elapsed /= (uint64_t)repeat;
	opts->duration = elapsed > UINT32_MAX ? UINT32_MAX : (uint32_t)elapsed;
out:
	for (uint32_t i = 0; i < FUNC_MODEL_MAX_ARGS; i++)
		free(ra[i].copy);
	return err;
}

int sops_prog_test_run_struct_ops(struct sops_runtime *rt, int prog_fd,
				  struct sops_struct_ops_test_run_opts *opts)
{
	struct sops_log log = { OPTS_GET(opts, log_buf, NULL), OPTS_GET(opts, log_size, 0), 0 };
	const struct st_prog_info *info;
	struct sops_prog *prog;
	struct rt_obj *o;
	int err;

	if (!rt || !opts || !OPTS_VALID(opts, sops_struct_ops_test_run_opts))
		return log_err(&log, -EINVAL, "invalid arguments (no runtime or opts, or bad opts)");
	err = rt_handle_get(rt, prog_fd, SOPS_OBJ_PROG, &o);
	if (err)
		return log_err(&log, err, "handle %d is not a program", prog_fd);
	prog = caa_container_of(o, struct sops_prog, obj);
	info = prog->type_data;
	if (prog->type != SOPS_BPF_PROG_TYPE_STRUCT_OPS || !info || !info->desc)
		err = log_err(&log, -EINVAL, "program %s is not a struct_ops program loaded for a member",
			      prog->name);
	else
		err = run(prog, info, opts, &log);
	rt_obj_put(o);
	return err;
}
