/* SPDX-License-Identifier: MIT */
/*
 * test_run.c - PROG_TEST_RUN.
 *
 * The generic run (SYSCALL programs, and any type without its own test_run):
 * ctx_in is copied into a context buffer and data_in into a data buffer; the
 * program runs @repeat times (at least once) with r1 = ctx, r2 = data,
 * r3 = data size, inside an RCU read-side section; retval is the last run's
 * r0 and duration the average in ns. ctx_out and data_out receive the
 * buffers afterwards; a buffer too small gets what fits and the command
 * returns ENOSPC with the full size reported, as the kernel's
 * bpf_test_finish. With run statistics on, every repetition counts in the
 * program's run_cnt and the loop's time in run_time_ns. (The kernel's SYSCALL test run accepts only ctx_in; the
 * data and repeat inputs are structops extensions the issue asks for.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_internal.h"

#define CTX_MAX 65535 /* the kernel's U16_MAX for syscall program contexts */
#define DATA_MAX (64u << 20)

static void copy_back(uint64_t uptr, uint32_t *usize, const void *buf, uint32_t len, bool *nospc)
{
	uint32_t room = *usize;

	if (!uptr)
		return;
	if (room < len)
		*nospc = true;
	memcpy((void *)(uintptr_t)uptr, buf, room < len ? room : len);
	*usize = len;
}

static int generic_test_run(struct sops_prog *prog, union sops_bpf_attr *attr)
{
	struct sops_mem_region regions[2];
	uint64_t args[5] = { 0 }, ret = 0, start, elapsed;
	uint32_t repeat = attr->test.repeat ? attr->test.repeat : 1, nreg = 0, runs;
	void *ctx = NULL, *data = NULL;
	bool nospc = false, stats;
	int err = 0;

	if (attr->test.flags || attr->test.cpu || attr->test.batch_size)
		return -EINVAL;
	if (attr->test.ctx_size_in > CTX_MAX || attr->test.data_size_in > DATA_MAX)
		return -EINVAL;
	if ((attr->test.ctx_size_in && !attr->test.ctx_in) ||
	    (attr->test.data_size_in && !attr->test.data_in))
		return -EINVAL;
	/* The verifier let the program read max_ctx_offset ctx bytes unchecked: they must exist. */
	if (attr->test.ctx_size_in < prog->max_ctx_offset)
		return -EINVAL;
	if (attr->test.ctx_size_in) {
		ctx = malloc(attr->test.ctx_size_in);
		if (!ctx)
			return -ENOMEM;
		memcpy(ctx, (const void *)(uintptr_t)attr->test.ctx_in, attr->test.ctx_size_in);
		regions[nreg++] = (struct sops_mem_region){ (uint64_t)(uintptr_t)ctx,
							    attr->test.ctx_size_in, true };
	}
	if (attr->test.data_size_in) {
		data = malloc(attr->test.data_size_in);
		if (!data) {
			free(ctx);
			return -ENOMEM;
		}
		memcpy(data, (const void *)(uintptr_t)attr->test.data_in, attr->test.data_size_in);
		regions[nreg++] = (struct sops_mem_region){ (uint64_t)(uintptr_t)data,
							    attr->test.data_size_in, true };
	}
	args[0] = (uint64_t)(uintptr_t)ctx;
	args[1] = (uint64_t)(uintptr_t)data;
	args[2] = attr->test.data_size_in;

	stats = rt_stats_on(prog->obj.rt);
	start = rt_now_ns();
	urcu_bp_read_lock();
	for (runs = 0; runs < repeat && !err; runs++)
		err = rt_prog_run(prog, args, regions, nreg, &ret);
	urcu_bp_read_unlock();
	elapsed = rt_now_ns() - start;
	/*
	 * One add for the whole loop, not two clock reads per repetition: the
	 * same totals, and duration is not inflated by the counting. The run
	 * that faulted (the last one) ran too.
	 */
	if (stats)
		rt_prog_stats_add(prog, runs, elapsed);
	if (err)
		goto out;
	attr->test.retval = (uint32_t)ret;
	attr->test.duration = (uint32_t)(elapsed / repeat > UINT32_MAX ? UINT32_MAX : elapsed / repeat);
	if (ctx)
		copy_back(attr->test.ctx_out, &attr->test.ctx_size_out, ctx, attr->test.ctx_size_in, &nospc);
	if (data)
		copy_back(attr->test.data_out, &attr->test.data_size_out, data, attr->test.data_size_in,
			  &nospc);
	if (nospc)
		err = -ENOSPC;
out:
	free(ctx);
	free(data);
	return err;
}

int rt_cmd_prog_test_run(struct sops_runtime *rt, union sops_bpf_attr *attr)
{
	const struct rt_prog_type_ops *tops;
	struct sops_prog *prog;
	struct rt_obj *o;
	int err;

	err = rt_handle_get(rt, (int)attr->test.prog_fd, SOPS_OBJ_PROG, &o);
	if (err)
		return err;
	prog = caa_container_of(o, struct sops_prog, obj);
	/* Sizes without buffers, or buffers without sizes, are the caller's mistake (kernel). */
	if ((attr->test.ctx_size_out && !attr->test.ctx_out) ||
	    (attr->test.data_size_out && !attr->test.data_out)) {
		err = -EINVAL;
		goto out;
	}
	tops = rt_prog_type_lookup(rt, prog->type);
	if (tops && tops->test_run)
		err = tops->test_run(prog, attr, attr);
	else
		err = generic_test_run(prog, attr);
out:
	rt_obj_put(o);
	return err;
}
