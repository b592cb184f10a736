/* SPDX-License-Identifier: MIT */
/*
 * test_conformance.c - the 313 bpf_conformance programs, run in-process.
 *
 * Every file is assembled, then run by each engine this build has: the
 * interpreter in fast mode, the interpreter in checked mode, and the JIT when
 * available. Each (engine, file) pair counts as one result, named
 * conformance/<engine>/<file>. When the data folder is absent the runner says
 * so and skips; everything else still runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <structops/vm.h>

#include "conformance.h"
#include "test.h"

static uint64_t helper5(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, void *aux)
{
	/* Linux's helper 5 is ktime_get_ns; the tests only need it to return. */
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec;
}

static const struct sops_helper helpers[] = { { 5, "bpf_ktime_get_ns", helper5, NULL } };

struct engine_mode {
	const char *name;
	enum sops_engine engine;
	bool checked;
};

static const struct engine_mode modes[] = {
	{ "interp", SOPS_ENGINE_INTERP, false },
	{ "checked", SOPS_ENGINE_INTERP, true },
	{ "jit", SOPS_ENGINE_JIT, false },
};

static void run_one(const struct engine_mode *m, const struct conf_test *ct,
		    const struct sops_insn *insns, size_t cnt)
{
	char name[300], log[256] = "", fault[256] = "";
	struct sops_vm_opts opts = {
		.sz = sizeof(opts), .engine = m->engine, .checked = m->checked,
		.helpers = helpers, .helper_cnt = 1, .log_buf = log, .log_size = sizeof(log),
	};
	uint8_t *mem = NULL;
	struct sops_mem_region region;
	struct sops_vm_run_opts run = { .sz = sizeof(run), .fault_buf = fault, .fault_size = sizeof(fault) };
	struct sops_vm *vm;
	int err;

	snprintf(name, sizeof(name), "conformance/%s/%s", m->name, ct->name);
	err = sops_vm__create(insns, cnt, &opts, &vm);
	if (err) {
		test_result(name, 0, "create: %d (%s)", err, log);
		return;
	}
	if (ct->mem_len) {
		mem = malloc(ct->mem_len);
		memcpy(mem, ct->mem, ct->mem_len);
		region = (struct sops_mem_region){ (uintptr_t)mem, ct->mem_len, true };
		run.args[0] = (uintptr_t)mem;
		run.args[1] = ct->mem_len;
		run.regions = &region;
		run.region_cnt = 1;
	}
	err = sops_vm__run(vm, &run);
	if (err)
		test_result(name, 0, "run: %d (%s)", err, fault);
	else
		test_result(name, run.retval == ct->result, "r0 = 0x%" PRIx64 ", expected 0x%" PRIx64,
			    run.retval, ct->result);
	free(mem);
	sops_vm__free(vm);
}

TEST(conformance_suite)
{
	const char *dir = conf_dir();
	char **names, path[4096];
	int cnt = conf_list(dir, &names);

	if (cnt <= 0)
		T_SKIP("conformance data not found in %s (set STRUCTOPS_CONFORMANCE_DIR)", dir);
	for (int i = 0; i < cnt; i++) {
		struct conf_test ct;
		struct sops_insn *insns = NULL;
		size_t n = 0;
		char err[256] = "";

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (conf_parse(path, &ct)) {
			test_result(names[i], 0, "cannot read %s", path);
			continue;
		}
		if (!ct.has_result) {
			test_result_skip(names[i], "no result section");
		} else if (conf_program(&ct, &insns, &n, err, sizeof(err))) {
			test_result(names[i], 0, "does not assemble: %s", err);
		} else {
			for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
				if (modes[m].engine == SOPS_ENGINE_JIT && !sops_jit_available())
					continue;
				run_one(&modes[m], &ct, insns, n);
			}
		}
		free(insns);
		conf_test_free(&ct);
	}
	if (!sops_jit_available())
		printf("SKIP conformance/jit: this build has no JIT\n");
	conf_free_names(names, cnt);
}
