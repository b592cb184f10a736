/* SPDX-License-Identifier: MIT */
/* isa_util.c - assemble-and-run helpers shared by the ISA and vm tests. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <structops/asm.h>

#include "isa_util.h"

const char *const isa_engine_names[ISA_ENGINE_CNT] = { "interp", "checked", "jit" };

bool isa_engine_opts(int engine, struct sops_vm_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->checked = engine == 1;
	opts->engine = engine == 2 ? SOPS_ENGINE_JIT : SOPS_ENGINE_INTERP;
	return engine != 2 || sops_jit_available();
}

int isa_run(int engine, const char *text, void *mem, size_t mem_len, uint64_t *r0, char *msg,
	    size_t msg_size)
{
	char log[256] = "";
	struct sops_vm_opts opts;
	struct sops_mem_region region = { (uintptr_t)mem, mem_len, true };
	struct sops_vm_run_opts run = { .sz = sizeof(run), .args = { (uintptr_t)mem, mem_len },
					.regions = &region, .region_cnt = mem ? 1 : 0,
					.fault_buf = msg, .fault_size = msg_size };
	struct sops_insn *insns;
	struct sops_vm *vm;
	size_t cnt;
	int err;

	if (msg && msg_size)
		msg[0] = '\0';
	isa_engine_opts(engine, &opts);
	err = sops_asm__parse(text, &insns, &cnt, log, sizeof(log));
	if (!err) {
		opts.log_buf = log;
		opts.log_size = sizeof(log);
		err = sops_vm__create(insns, cnt, &opts, &vm);
		free(insns);
	}
	if (err) {
		if (msg)
			snprintf(msg, msg_size, "%s", log);
		return err;
	}
	err = sops_vm__run(vm, &run);
	*r0 = run.retval;
	sops_vm__free(vm);
	return err;
}
