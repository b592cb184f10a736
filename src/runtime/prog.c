/* SPDX-License-Identifier: MIT */
/*
 * prog.c - PROG_LOAD, program objects, callbacks, running, program info.
 *
 * Load: check the attr in the kernel's order, collect the maps the program
 * names (lddw MAP_FD/MAP_VALUE by handle, MAP_IDX* through fd_array) and the
 * subprograms it passes to helpers (lddw FUNC), let the program type check
 * its attach point, run the verification step, then build the engine:
 *   verified or trusted -> JIT if enabled, else fast interpreter,
 *                                      with map lookups inlined (inline.c);
 *   otherwise                       -> checked interpreter (maps' value memory
 *                                      allowed through the vm's mem_ok hook).
 *
 * Callbacks: a helper such as bpf_loop receives a subprogram. Engines start at
 * slot 0, so each callback gets its own vm over [call target; exit; program],
 * whose first slot calls the subprogram with r1..r5 as given.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/btf.h>

#include <structops/object.h>

#include "../helpers/helpers.h"
#include "../isa/opcodes.h"
#include "../util/opts.h"
#include "../vm/vm_internal.h"
#include "rt_internal.h"

#define LICENSE_MAX 128
#define KNOWN_PROG_FLAGS                                                                           \
	(SOPS_BPF_F_STRICT_ALIGNMENT | SOPS_BPF_F_ANY_ALIGNMENT | (1U << 2) | (1U << 3) |           \
	 SOPS_BPF_F_SLEEPABLE)

struct rt_callback {
	struct sops_prog *prog;
	uint32_t target; /* slot of the subprogram in the program */
	struct sops_vm *vm;
	sops_jit_fn fn;
};

/* What the lddw and kfunc resolvers need while the vms are built. */
struct load_ctx {
	struct sops_prog *prog;
	const int *fd_array;
	uint32_t fd_array_cnt;
	int *map_fds; /* handle of prog->maps[i] as the program named it */
	uint32_t base; /* slots prepended (callback vms) */
};

static bool license_is_gpl(const char *l)
{
	static const char *const gpl[] = { "GPL", "GPL v2", "GPL and additional rights",
					   "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL" };

	for (size_t i = 0; i < sizeof(gpl) / sizeof(gpl[0]); i++)
		if (!strcmp(l, gpl[i]))
			return true;
	return false;
}

static void callback_free(struct rt_callback *cb)
{
	if (!cb)
		return;
	sops_vm__free(cb->vm);
	free(cb);
}

static void prog_obj_free(struct rt_obj *obj)
{
	struct sops_prog *prog = caa_container_of(obj, struct sops_prog, obj);
	struct sops_runtime *rt = obj->rt;

	if (rt->hooks.prog_free)
		rt->hooks.prog_free(prog);
	if (prog->type_data_free)
		prog->type_data_free(prog);
	sops_vm__free(prog->vm);
	for (uint32_t i = 0; i < prog->cb_cnt; i++)
		callback_free(prog->cbs[i]);
	free(prog->cbs);
	for (uint32_t i = 0; i < prog->map_cnt; i++)
		rt_obj_put(&prog->maps[i]->obj);
	free(prog->maps);
	if (prog->attach_btf)
		rt_obj_put(&prog->attach_btf->obj);
	if (prog->btf)
		rt_obj_put(&prog->btf->obj);
	free(prog->insns);
	free(prog->btf_mem);
	free(prog);
}

bool rt_prog_uses_map(const struct sops_prog *prog, const struct rt_map *map)
{
	for (uint32_t i = 0; i < prog->map_cnt; i++)
		if (prog->maps[i] == map)
			return true;
	return false;
}

bool rt_prog_owns_callback(const struct sops_prog *prog, const struct rt_callback *cb)
{
	for (uint32_t i = 0; i < prog->cb_cnt; i++)
		if (prog->cbs[i] == cb)
			return true;
	return false;
}

bool rt_prog_mem_ok(void *ctx, uint64_t addr, uint64_t size, bool write)
{
	struct sops_prog *prog = ctx;

	for (uint32_t i = 0; i < prog->map_cnt; i++) {
		struct rt_map *m = prog->maps[i];

		if (m->ops->mem_ok && m->ops->mem_ok(m, addr, size, write))
			/* .rodata and BPF_F_RDONLY_PROG maps: programs only read them. */
			return !write || !(m->map_flags & SOPS_BPF_F_RDONLY_PROG);
	}
	return false;
}

/* Adds the map behind handle @fd to the program's used maps (once). */
static int add_map(struct load_ctx *lc, int fd, struct sops_log *log)
{
	struct sops_prog *prog = lc->prog;
	struct rt_map **maps;
	struct rt_obj *o;
	int *fds, err;

	for (uint32_t i = 0; i < prog->map_cnt; i++)
		if (lc->map_fds[i] == fd)
			return 0;
	err = rt_handle_get(prog->obj.rt, fd, SOPS_OBJ_MAP, &o);
	if (err)
		return log_err(log, err, "fd %d is not pointing to valid bpf_map", fd);
	maps = realloc(prog->maps, (prog->map_cnt + 1) * sizeof(*maps));
	fds = maps ? realloc(lc->map_fds, (prog->map_cnt + 1) * sizeof(*fds)) : NULL;
	if (maps)
		prog->maps = maps;
	if (!fds) {
		rt_obj_put(o);
		return -ENOMEM;
	}
	lc->map_fds = fds;
	prog->maps[prog->map_cnt] = caa_container_of(o, struct rt_map, obj);
	lc->map_fds[prog->map_cnt++] = fd;
	return 0;
}

static struct rt_map *map_of_fd(struct load_ctx *lc, int fd)
{
	for (uint32_t i = 0; i < lc->prog->map_cnt; i++)
		if (lc->map_fds[i] == fd)
			return lc->prog->maps[i];
	return NULL;
}

static int fd_of_idx(struct load_ctx *lc, int32_t idx, int *fd)
{
	if (!lc->fd_array || idx < 0 || (lc->fd_array_cnt && (uint32_t)idx >= lc->fd_array_cnt))
		return -EINVAL;
	*fd = lc->fd_array[idx];
	return 0;
}

/*
 * A map value named by lddw (global data): the map must give its value's
 * address (an array of one element), and the offset must lie in the value.
 * Said in the kernel's words, before the program is prepared.
 */
static int check_direct_value(struct load_ctx *lc, int fd, uint32_t off, struct sops_log *log)
{
	struct rt_map *map = map_of_fd(lc, fd);
	uint64_t addr;

	if (!map)
		return -EBADF;
	if (!map->ops->direct_value_addr)
		return log_err(log, -EINVAL, "no direct value access support for this map type");
	if (map->ops->direct_value_addr(map, &addr, off))
		return log_err(log, -EINVAL, "invalid access to map value pointer, value_size=%u off=%u%s",
			       map->value_size, off,
			       map->max_entries != 1 ? " (direct access needs an array of one element)" : "");
	return 0;
}

/* First pass: maps and callback targets. */
static int collect_refs(struct load_ctx *lc, struct sops_log *log)
{
	struct sops_prog *prog = lc->prog;
	int err;

	for (uint32_t i = 0; i < prog->insn_cnt; i++) {
		const struct sops_insn *in = &prog->insns[i];
		int fd;

		if (in->code != OPC_LDDW)
			continue;
		if (i + 1 >= prog->insn_cnt)
			break; /* the structural check reports it */
		switch (in->src_reg) {
		case SOPS_LD_IMM64_MAP_FD:
		case SOPS_LD_IMM64_MAP_VALUE:
			err = add_map(lc, in->imm, log);
			if (!err && in->src_reg == SOPS_LD_IMM64_MAP_VALUE)
				err = check_direct_value(lc, in->imm, (uint32_t)in[1].imm, log);
			break;
		case SOPS_LD_IMM64_MAP_IDX:
		case SOPS_LD_IMM64_MAP_IDX_VALUE:
			err = fd_of_idx(lc, in->imm, &fd);
			if (err)
				return log_err(log, err, "insn %u: map index %d outside fd_array", i, in->imm);
			err = add_map(lc, fd, log);
			if (!err && in->src_reg == SOPS_LD_IMM64_MAP_IDX_VALUE)
				err = check_direct_value(lc, fd, (uint32_t)in[1].imm, log);
			break;
		case SOPS_LD_IMM64_FUNC: {
			int64_t target = (int64_t)i + in->imm + 1;
			struct rt_callback **cbs, *cb;
			bool seen = false;

			if (target <= 0 || target >= prog->insn_cnt)
				return log_err(log, -EINVAL, "insn %u: callback target %lld out of range", i,
					       (long long)target);
			for (uint32_t c = 0; c < prog->cb_cnt; c++)
				seen |= prog->cbs[c]->target == (uint32_t)target;
			err = 0;
			if (seen)
				break;
			cbs = realloc(prog->cbs, (prog->cb_cnt + 1) * sizeof(*cbs));
			if (!cbs)
				return -ENOMEM;
			prog->cbs = cbs;
			cb = calloc(1, sizeof(*cb));
			if (!cb)
				return -ENOMEM;
			cb->prog = prog;
			cb->target = (uint32_t)target;
			prog->cbs[prog->cb_cnt++] = cb;
			break;
		}
		default:
			err = 0;
		}
		if (err)
			return err;
		i++;
	}
	return 0;
}

static int ld_imm64_resolve(void *ctx, const struct sops_insn *insn, size_t idx, uint64_t *value)
{
	struct load_ctx *lc = ctx;
	struct rt_map *map;
	int fd = insn->imm;

	switch (insn->src_reg) {
	case SOPS_LD_IMM64_MAP_IDX:
	case SOPS_LD_IMM64_MAP_IDX_VALUE:
		if (fd_of_idx(lc, insn->imm, &fd))
			return -EINVAL;
		/* fall through */
	case SOPS_LD_IMM64_MAP_FD:
	case SOPS_LD_IMM64_MAP_VALUE:
		map = map_of_fd(lc, fd);
		if (!map)
			return -EBADF;
		if (insn->src_reg == SOPS_LD_IMM64_MAP_FD || insn->src_reg == SOPS_LD_IMM64_MAP_IDX) {
			*value = (uint64_t)(uintptr_t)map;
			return 0;
		}
		if (!map->ops->direct_value_addr)
			return -EINVAL;
		return map->ops->direct_value_addr(map, value, (uint32_t)insn[1].imm);
	case SOPS_LD_IMM64_FUNC: {
		uint32_t target = (uint32_t)((int64_t)idx - lc->base + insn->imm + 1);

		for (uint32_t c = 0; c < lc->prog->cb_cnt; c++)
			if (lc->prog->cbs[c]->target == target) {
				*value = (uint64_t)(uintptr_t)lc->prog->cbs[c];
				return 0;
			}
		return -EINVAL;
	}
	default:
		return -EINVAL; /* BTF_ID: no kernel objects to point at */
	}
}

static int kfunc_check_resolve(void *ctx, int32_t btf_id, int16_t btf_slot, struct sops_kfunc_check *out)
{
	struct load_ctx *lc = ctx;

	return rt_kfunc_check_spec(lc->prog, lc->fd_array, lc->fd_array_cnt, btf_id, btf_slot, out);
}

static int kfunc_resolve(void *ctx, int32_t btf_id, int16_t btf_slot, sops_kfunc_fn *fn)
{
	struct load_ctx *lc = ctx;

	return rt_kfunc_resolve(lc->prog, lc->fd_array, lc->fd_array_cnt, btf_id, btf_slot, fn);
}

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The kernel's tag is a SHA-1 of the instructions; ours is a 64-bit FNV-1a of them. */
static void compute_tag(struct sops_prog *prog)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p = (const unsigned char *)prog->insns;

	for (size_t i = 0; i < prog->insn_cnt * sizeof(struct sops_insn); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	memcpy(prog->tag, &h, sizeof(prog->tag));
}

static struct rt_map *lddw_map(void *ctx, const struct sops_insn *ld)
{
	struct load_ctx *lc = ctx;
	int fd = ld->imm;

	if ((ld->src_reg == SOPS_LD_IMM64_MAP_IDX || ld->src_reg == SOPS_LD_IMM64_MAP_IDX_VALUE) &&
	    fd_of_idx(lc, ld->imm, &fd))
		return NULL;
	return map_of_fd(lc, fd);
}

/*
 * The verifier's marks of accesses to host objects (prog->btf_mem), written
 * into a copy of the instructions as the internal modes of opcodes.h.
 */
static struct sops_insn *host_access_insns(const struct sops_prog *prog)
{
	struct sops_insn *out = malloc(prog->insn_cnt * sizeof(*out));

	if (!out)
		return NULL;
	memcpy(out, prog->insns, prog->insn_cnt * sizeof(*out));
	for (uint32_t i = 0; i < prog->insn_cnt; i++) {
		uint8_t code = out[i].code, mode = OPC_MODE(code);

		if (!prog->btf_mem[i])
			continue;
		if (OPC_CLASS(code) == OPC_LDX && (prog->btf_mem[i] == 2 || mode == OPC_MEMSX))
			/* No trusted sign-extending mode: through a trusted pointer a probe never faults. */
			mode = mode == OPC_MEMSX ? OPC_PROBE_MEMSX : OPC_PROBE_MEM;
		else
			mode = OPC_BTF_MEM;
		out[i].code = (uint8_t)((code & ~0xe0) | mode);
	}
	return out;
}

/*
 * The engines' instructions: prog->insns, with the host access modes of a
 * verified program, and (trusted programs) map lookups inlined (inline.c),
 * the callback slots moved along. *@insns is prog->insns when nothing
 * changed; otherwise *@owned is set and the caller frees it.
 */
static int engine_insns(struct load_ctx *lc, bool trusted, bool jit, const struct sops_insn **insns,
			uint32_t *cnt, struct sops_insn **owned)
{
	struct sops_prog *prog = lc->prog;
	struct sops_insn *host = NULL, *inl = NULL;
	uint32_t *entries = NULL;
	int err;

	*insns = prog->insns;
	*cnt = prog->insn_cnt;
	*owned = NULL;
	if (prog->btf_mem && prog->verified) {
		host = host_access_insns(prog);
		if (!host)
			return -ENOMEM;
		*insns = *owned = host;
	}
	if (!trusted || atomic_load(&prog->obj.rt->no_inline))
		return 0;
	if (prog->cb_cnt) {
		entries = malloc(prog->cb_cnt * sizeof(*entries));
		if (!entries)
			return -ENOMEM;
		for (uint32_t c = 0; c < prog->cb_cnt; c++)
			entries[c] = prog->cbs[c]->target;
	}
	err = rt_inline_map_lookups(prog, *insns, prog->insn_cnt, lddw_map, lc, entries, prog->cb_cnt, jit,
				    &inl, cnt);
	if (!err && inl) {
		free(host);
		*insns = *owned = inl;
		for (uint32_t c = 0; c < prog->cb_cnt; c++)
			prog->cbs[c]->target = entries[c];
	} else {
		*cnt = prog->insn_cnt;
	}
	free(entries);
	return err;
}

static int build_vms(struct load_ctx *lc, const struct sops_helper *helpers, size_t helper_cnt,
		     char *log_buf, size_t log_size)
{
	struct sops_prog *prog = lc->prog;
	struct sops_runtime *rt = prog->obj.rt;
	bool trusted = (prog->verified && !rt->always_checked) || atomic_load(&rt->trust_unverified);
	bool jit = trusted && atomic_load(&rt->jit) && sops_jit_available();
	struct sops_vm_opts opts = {
		.sz = sizeof(opts),
		.engine = jit ? SOPS_ENGINE_JIT : SOPS_ENGINE_INTERP,
		.checked = !trusted,
		.helpers = helpers,
		.helper_cnt = helper_cnt,
		.kfunc_resolve = kfunc_resolve,
		.ld_imm64_resolve = ld_imm64_resolve,
		.resolve_ctx = lc,
		.aux = prog,
		.log_buf = log_buf,
		.log_size = log_size,
		.mem_ok = rt_prog_mem_ok,
		.mem_ok_ctx = prog,
		.obj_ok = rt_prog_obj_ok,
		.host_access = prog->btf_mem && prog->verified,
		.kfunc_check_resolve = kfunc_check_resolve,
	};
	struct sops_vm_ctx_obj ctx_objs[SOPS_VM_MAX_CTX_OBJS];
	const struct sops_insn *insns;
	struct sops_insn *tramp, *owned;
	uint32_t cnt;
	int err;

	/* Checked runs check kfunc arguments against the host objects the context holds. */
	opts.ctx_objs = ctx_objs;
	opts.ctx_obj_cnt = trusted ? 0 : rt_prog_ctx_objs(prog, ctx_objs);
	err = engine_insns(lc, trusted, jit, &insns, &cnt, &owned);
	if (err)
		return err;
	lc->base = 0;
	err = sops_vm__create(insns, cnt, &opts, &prog->vm);
	if (err || !prog->cb_cnt) {
		free(owned);
		return err;
	}
	tramp = calloc(cnt + 2, sizeof(*tramp));
	if (!tramp) {
		free(owned);
		return -ENOMEM;
	}
	memcpy(tramp + 2, insns, cnt * sizeof(*tramp));
	free(owned);
	lc->base = 2;
	opts.ctx_obj_cnt = 0; /* a callback's r1 is the helper's (an index, a map), not the context */
	for (uint32_t c = 0; c < prog->cb_cnt && !err; c++) {
		struct rt_callback *cb = prog->cbs[c];

		tramp[0] = (struct sops_insn){ .code = OPC_CALL_INSN, .src_reg = SOPS_CALL_LOCAL,
					       .imm = (int32_t)cb->target + 1 };
		tramp[1] = (struct sops_insn){ .code = OPC_EXIT_INSN };
		err = sops_vm__create(tramp, cnt + 2, &opts, &cb->vm);
		if (!err)
			cb->fn = sops_vm__jit_fn(cb->vm);
	}
	free(tramp);
	return err;
}

/*
 * A checked run and everything it calls back (bpf_loop, for_each_map_elem)
 * share one context on the running thread: the first fault of any callback
 * (which stops the whole run with that errno and message), the callback
 * budget and depth, and the spin lock held. Only checked runs have one:
 * verified programs never fault, and their callbacks are plain calls.
 */
struct rt_run {
	struct rt_run *outer;
	const struct sops_mem_region *regions; /* the outermost run's (a context buffer) */
	size_t region_cnt;
	int err;
	char msg[RT_FAULT_MSG_MAX];
	uint64_t callbacks;  /* callback runs left */
	uint32_t depth;      /* callbacks inside callbacks */
	atomic_int *lock;    /* the bpf_spin_lock held */
};

static __thread struct rt_run *cur_run;

#define RT_RUN_CALLBACKS (1ull << 20) /* callback runs per checked run: nested loops end */
#define RT_RUN_DEPTH 8

static void run_fault(struct rt_run *run, int err, const char *fmt, const char *what)
{
	if (run->err)
		return;
	run->err = err;
	snprintf(run->msg, sizeof(run->msg), fmt, what);
}

/* One run of @vm (entered natively through @fn when it was JIT'd): 0 or the run's -errno. */
static int vm_run(struct sops_prog *prog, const struct sops_vm *vm, sops_jit_fn fn,
		  const uint64_t args[5], const struct sops_mem_region *regions, size_t region_cnt,
		  uint64_t *retval)
{
	char fault[RT_FAULT_MSG_MAX] = "";
	struct sops_vm_run_opts ro = { .sz = sizeof(ro), .regions = regions, .region_cnt = region_cnt,
				       .fault_buf = fault, .fault_size = sizeof(fault) };
	struct rt_run run = { .regions = regions, .region_cnt = region_cnt, .callbacks = RT_RUN_CALLBACKS };
	bool outermost = !cur_run && sops_vm__checked(vm);
	int err;

	if (fn) {
		*retval = fn(args[0], args[1], args[2], args[3], args[4]);
		return 0;
	}
	memcpy(ro.args, args, sizeof(ro.args));
	if (outermost)
		cur_run = &run;
	err = sops_vm__run(vm, &ro);
	if (outermost) {
		cur_run = NULL;
		if (!err && run.lock) {
			run_fault(&run, -EINVAL, "%s", "exit with a bpf_spin_lock held (released)");
		}
		if (run.lock)
			rt_spin_unlock(run.lock);
		if (!err && run.err) {
			err = run.err; /* a callback faulted: the whole run fails with it */
			snprintf(fault, sizeof(fault), "%s", run.msg);
		}
	}
	if (!err)
		*retval = ro.retval;
	else if (fault[0])
		rt_prog_report_fault(prog, fault);
	return err;
}

/* Run callback @cb in the current checked run: its caller's stack and regions are reachable. */
static int callback_run_checked(struct rt_callback *cb, const uint64_t args[5], uint64_t *ret)
{
	struct rt_run *run = cur_run;
	struct sops_mem_region regions[9];
	char fault[RT_FAULT_MSG_MAX] = "";
	struct sops_vm_run_opts ro = { .sz = sizeof(ro), .fault_buf = fault, .fault_size = sizeof(fault) };
	uint64_t lo, hi;
	size_t n = 0;
	int err;

	if (run->err)
		return run->err; /* an earlier callback faulted: stop */
	if (!run->callbacks--) {
		run_fault(run, -ETIME, "%s", "callback budget spent (nested bpf_loop or for_each_map_elem)");
		return -ETIME;
	}
	if (run->depth >= RT_RUN_DEPTH) {
		run_fault(run, -E2BIG, "%s", "callbacks nested too deep");
		return -E2BIG;
	}
	if (sops_vm__checked_stack(&lo, &hi))
		regions[n++] = (struct sops_mem_region){ lo, hi - lo, true };
	for (size_t i = 0; i < run->region_cnt && n < 9; i++)
		regions[n++] = run->regions[i];
	ro.regions = regions;
	ro.region_cnt = n;
	memcpy(ro.args, args, sizeof(ro.args));
	run->depth++;
	err = sops_vm__run(cb->vm, &ro);
	run->depth--;
	if (err) {
		run_fault(run, err, "callback: %s", fault[0] ? fault : "fault");
		return err;
	}
	*ret = ro.retval;
	return 0;
}

int rt_run_lock(atomic_int *lock)
{
	struct rt_run *run = cur_run;

	if (!run) {
		rt_spin_lock(lock);
		return 0;
	}
	if (run->lock) {
		run_fault(run, -EDEADLK, "%s", "bpf_spin_lock while a lock is held");
		return -EDEADLK;
	}
	/* Bounded: a lock some other run holds for ever cannot hang this one. */
	for (uint64_t spins = 0;; spins++) {
		int exp = 0;

		if (atomic_compare_exchange_weak_explicit(lock, &exp, 1, memory_order_acquire,
							  memory_order_relaxed))
			break;
		if (spins > (1u << 26)) {
			run_fault(run, -ETIME, "%s", "bpf_spin_lock: lock not released in time");
			return -ETIME;
		}
	}
	run->lock = lock;
	return 0;
}

int rt_run_unlock(atomic_int *lock)
{
	struct rt_run *run = cur_run;

	if (!run) {
		rt_spin_unlock(lock);
		return 0;
	}
	if (run->lock != lock) {
		run_fault(run, -EINVAL, "%s", "bpf_spin_unlock of a lock not held");
		return -EINVAL;
	}
	run->lock = NULL;
	rt_spin_unlock(lock);
	return 0;
}

uint64_t rt_callback_call(struct rt_callback *cb, uint64_t r1, uint64_t r2, uint64_t r3,
			  uint64_t r4, uint64_t r5)
{
	const uint64_t args[5] = { r1, r2, r3, r4, r5 };
	uint64_t ret;

	if (cur_run && !cb->fn)
		return callback_run_checked(cb, args, &ret) ? 1 : ret; /* 1 stops the iteration */
	if (vm_run(cb->prog, cb->vm, cb->fn, args, NULL, 0, &ret))
		return 1; /* a faulting callback stops the iteration */
	return ret;
}

int rt_callback_call_mem(struct rt_callback *cb, const uint64_t args[5],
			 const struct sops_mem_region *regions, size_t region_cnt, uint64_t *retval)
{
	return vm_run(cb->prog, cb->vm, cb->fn, args, regions, region_cnt, retval);
}

struct sops_prog *rt_callback_prog(const struct rt_callback *cb)
{
	return cb->prog;
}

int rt_vm_run_op(const struct sops_vm *vm, const uint64_t args[5], const struct sops_mem_region *regions,
		 size_t region_cnt, uint64_t *retval)
{
	return vm_run((struct sops_prog *)vm->aux, vm, NULL, args, regions, region_cnt, retval);
}

int rt_prog_run(struct sops_prog *prog, const uint64_t args[5], const struct sops_mem_region *regions,
		size_t region_cnt, uint64_t *retval)
{
	return vm_run(prog, prog->vm, sops_vm__jit_fn(prog->vm), args, regions, region_cnt, retval);
}

int rt_prog_run_counted(struct sops_prog *prog, const uint64_t args[5],
			const struct sops_mem_region *regions, size_t region_cnt, uint64_t *retval)
{
	uint64_t start;
	int err;

	if (!rt_stats_on(prog->obj.rt))
		return rt_prog_run(prog, args, regions, region_cnt, retval);
	start = rt_now_ns();
	err = rt_prog_run(prog, args, regions, region_cnt, retval);
	rt_prog_stats_add(prog, 1, rt_now_ns() - start); /* a run that faulted ran too */
	return err;
}

/* PROG_LOAD's line_info records (the kernel's bpf_line_info) with the strings of prog_btf. */
static int line_info_get(struct sops_prog *prog, const union sops_bpf_attr *attr,
			 struct sops_line_info **out, uint32_t *cnt)
{
	const uint8_t *rec = (const uint8_t *)(uintptr_t)attr->line_info;
	struct sops_line_info *l;

	*out = NULL;
	*cnt = 0;
	if (!rec || !attr->line_info_cnt || !prog->btf)
		return 0;
	if (attr->line_info_rec_size < 16 || attr->line_info_cnt > prog->insn_cnt)
		return -EINVAL;
	l = calloc(attr->line_info_cnt, sizeof(*l));
	if (!l)
		return -ENOMEM;
	for (uint32_t i = 0; i < attr->line_info_cnt; i++, rec += attr->line_info_rec_size) {
		uint32_t f[4];

		memcpy(f, rec, sizeof(f));
		l[i].insn_off = f[0];
		l[i].file = btf__name_by_offset(prog->btf->btf, f[1]);
		l[i].line = btf__name_by_offset(prog->btf->btf, f[2]);
		l[i].line_num = f[3] >> 10;
		l[i].line_col = f[3] & 0x3ff;
	}
	*out = l;
	*cnt = attr->line_info_cnt;
	return 0;
}

static int get_btf(struct sops_runtime *rt, uint32_t fd, struct rt_btf **out)
{
	struct rt_obj *o;
	int err = rt_handle_get(rt, (int)fd, SOPS_OBJ_BTF, &o);

	if (!err)
		*out = caa_container_of(o, struct rt_btf, obj);
	return err;
}

int rt_cmd_prog_load(struct sops_runtime *rt, union sops_bpf_attr *attr)
{
	struct sops_log log = { (char *)(uintptr_t)attr->log_buf, attr->log_size, 0 };
	const struct rt_prog_type_ops *tops = rt_prog_type_lookup(rt, attr->prog_type);
	const char *license = (const char *)(uintptr_t)attr->license;
	struct load_ctx lc = { 0 };
	struct sops_helper *helpers = NULL;
	struct sops_line_info *lines = NULL;
	size_t helper_cnt = 0;
	struct sops_prog *prog;
	int err, fd;

	if (attr->prog_type != SOPS_BPF_PROG_TYPE_SYSCALL && !tops)
		return -EINVAL;
	if (attr->prog_flags & ~KNOWN_PROG_FLAGS)
		return -EINVAL;
	if ((attr->log_level && (!log.buf || log.size < 128)) || (!log.buf && log.size) ||
	    attr->log_level > 31)
		return -EINVAL;
	if (attr->prog_token_fd || attr->prog_ifindex || attr->core_relo_cnt)
		return -EINVAL;
	if (!attr->insn_cnt)
		return -EINVAL;
	if (attr->insn_cnt > SOPS_VM_MAX_INSNS)
		return -E2BIG;
	if (!attr->insns)
		return -EFAULT;
	if (!license || !memchr(license, '\0', LICENSE_MAX))
		return -EINVAL;
	if (!memchr(attr->prog_name, '\0', sizeof(attr->prog_name)))
		return -EINVAL;
	if (log.buf && log.size)
		log.buf[0] = '\0';

	prog = calloc(1, sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	prog->type = attr->prog_type;
	prog->expected_attach_type = attr->expected_attach_type;
	prog->attach_btf_id = attr->attach_btf_id;
	prog->prog_flags = attr->prog_flags;
	prog->sleepable = attr->prog_flags & SOPS_BPF_F_SLEEPABLE;
	prog->gpl = license_is_gpl(license);
	memcpy(prog->name, attr->prog_name, sizeof(prog->name));
	prog->insn_cnt = attr->insn_cnt;
	prog->insns = malloc(attr->insn_cnt * sizeof(struct sops_insn));
	err = prog->insns ? rt_obj_init(rt, &prog->obj, SOPS_OBJ_PROG, prog_obj_free) : -ENOMEM;
	if (err) {
		free(prog->insns);
		free(prog);
		return err;
	}
	memcpy(prog->insns, (const void *)(uintptr_t)attr->insns, attr->insn_cnt * sizeof(struct sops_insn));
	prog->load_time = now_ns(CLOCK_BOOTTIME);

	if (attr->attach_btf_obj_fd) {
		err = get_btf(rt, attr->attach_btf_obj_fd, &prog->attach_btf);
		if (err)
			goto fail;
	}
	if (attr->prog_btf_fd) {
		err = get_btf(rt, attr->prog_btf_fd, &prog->btf);
		if (err)
			goto fail;
	}
	lc.prog = prog;
	lc.fd_array = (const int *)(uintptr_t)attr->fd_array;
	lc.fd_array_cnt = attr->fd_array_cnt;
	err = collect_refs(&lc, &log);
	if (err)
		goto fail;
	if (tops && tops->load_check) {
		err = tops->load_check(prog, attr, &log);
		if (err)
			goto fail;
	}
	err = rt_helpers_for_prog(rt, prog, &helpers, &helper_cnt);
	if (err)
		goto fail;
	{
		struct rt_verify_env env = {
			.prog = prog,
			.helpers = helpers,
			.helper_cnt = helper_cnt,
			.rt = rt,
			.log = &log,
			.log_level = attr->log_level,
			.strict = atomic_load(&rt->verifier_strict),
			.insn_limit = rt->verifier_insn_limit,
			.map_of = lddw_map,
			.map_ctx = &lc,
			.fd_array = lc.fd_array,
			.fd_array_cnt = lc.fd_array_cnt,
		};

		err = line_info_get(prog, attr, &lines, &env.line_cnt);
		env.lines = lines;
		if (!err)
			err = rt_verify(&env);
		prog->vstats = env.stats;
		free(lines);
		if (err)
			goto fail;
	}
	{
		/* The vm's messages go apart: the verifier's log is already in the buffer. */
		char vmlog[256] = "";

		err = build_vms(&lc, helpers, helper_cnt, vmlog, sizeof(vmlog));
		if (err) {
			log_err(&log, err, "%s", vmlog);
			goto fail;
		}
	}
	compute_tag(prog);
	free(helpers);
	free(lc.map_fds);
	fd = rt_handle_install(rt, &prog->obj);
	if (fd < 0)
		rt_obj_put(&prog->obj);
	return fd;
fail:
	free(helpers);
	free(lc.map_fds);
	/* Never published: free at once (drops the maps and BTFs it took). */
	rt_obj_abort(&prog->obj);
	return err;
}

int sops_prog_run(struct sops_runtime *rt, int prog_fd, void *ctx, size_t ctx_size, uint64_t *retval)
{
	struct sops_mem_region region = { (uint64_t)(uintptr_t)ctx, ctx_size, true };
	uint64_t args[5] = { (uint64_t)(uintptr_t)ctx, 0, 0, 0, 0 }, ret = 0;
	struct sops_prog *prog;
	struct rt_obj *o;
	int err;

	if (!rt)
		return -EINVAL;
	err = rt_handle_get(rt, prog_fd, SOPS_OBJ_PROG, &o);
	if (err)
		return err;
	prog = caa_container_of(o, struct sops_prog, obj);
	if ((ctx ? ctx_size : 0) < prog->max_ctx_offset) {
		rt_obj_put(o);
		return -EINVAL; /* the verifier let it read that much ctx unchecked */
	}
	urcu_bp_read_lock();
	err = rt_prog_run_counted(prog, args, &region, ctx && ctx_size ? 1 : 0, &ret);
	urcu_bp_read_unlock();
	rt_obj_put(o);
	if (!err && retval)
		*retval = ret;
	return err;
}

int sops_prog_get_verdict(struct sops_runtime *rt, int prog_fd, struct sops_prog_verdict *v)
{
	struct sops_prog_verdict out = { .sz = sizeof(out) };
	struct sops_prog *prog;
	struct rt_obj *o;
	int err;

	if (!rt || !v || !OPTS_VALID(v, sops_prog_verdict))
		return -EINVAL;
	err = rt_handle_get(rt, prog_fd, SOPS_OBJ_PROG, &o);
	if (err)
		return err;
	prog = caa_container_of(o, struct sops_prog, obj);
	out.verified = prog->verified;
	out.checked = sops_vm__checked(prog->vm);
	out.engine = sops_vm__engine(prog->vm);
	out.err = prog->vstats.err;
	memcpy(out.reason, prog->vstats.reason, sizeof(out.reason));
	out.insn_processed = prog->vstats.insn_processed;
	out.total_states = prog->vstats.total_states;
	out.peak_states = prog->vstats.peak_states;
	out.max_states_per_insn = prog->vstats.max_states_per_insn;
	out.time_ns = prog->vstats.time_ns;
	out.fault_cnt = atomic_load(&prog->fault_cnt);
	rt_obj_put(o);
	memcpy(v, &out, v->sz < sizeof(out) ? v->sz : sizeof(out));
	v->sz = v->sz < sizeof(out) ? v->sz : sizeof(out);
	return 0;
}

static void copy_out(uint64_t dst, uint32_t room, const void *src, size_t len)
{
	if (dst && room)
		memcpy((void *)(uintptr_t)dst, src, room < len ? room : len);
}

int rt_prog_fill_info(struct sops_prog *prog, void *uinfo, uint32_t *info_len)
{
	struct sops_bpf_prog_info info;
	uint32_t len = *info_len < sizeof(info) ? *info_len : sizeof(info);
	size_t jit_len = 0;
	const void *jit = sops_vm__jit_image(prog->vm, &jit_len);
	uint32_t ids[64];

	memset(&info, 0, sizeof(info));
	memcpy(&info, uinfo, len); /* the caller's buffers and their sizes */
	copy_out(info.xlated_prog_insns, info.xlated_prog_len, prog->insns,
		 prog->insn_cnt * sizeof(struct sops_insn));
	copy_out(info.jited_prog_insns, info.jited_prog_len, jit, jit ? jit_len : 0);
	for (uint32_t i = 0; i < prog->map_cnt && i < 64; i++)
		ids[i] = prog->maps[i]->obj.id;
	copy_out(info.map_ids, info.nr_map_ids * 4, ids, (prog->map_cnt < 64 ? prog->map_cnt : 64) * 4);

	info.type = prog->type;
	info.id = prog->obj.id;
	memcpy(info.tag, prog->tag, sizeof(info.tag));
	info.xlated_prog_len = prog->insn_cnt * sizeof(struct sops_insn);
	info.jited_prog_len = (uint32_t)jit_len;
	info.load_time = prog->load_time;
	info.nr_map_ids = prog->map_cnt;
	memcpy(info.name, prog->name, sizeof(info.name));
	info.gpl_compatible = prog->gpl;
	info.btf_id = prog->btf ? prog->btf->obj.id : 0;
	info.run_time_ns = atomic_load(&prog->run_time_ns);
	info.run_cnt = atomic_load(&prog->run_cnt);
	info.fault_cnt = atomic_load(&prog->fault_cnt);
	info.verified_insns = (uint32_t)prog->vstats.insn_processed;
	info.attach_btf_obj_id = prog->attach_btf ? prog->attach_btf->obj.id : 0;
	info.attach_btf_id = prog->attach_btf_id;
	memcpy(uinfo, &info, len);
	*info_len = len;
	return 0;
}
