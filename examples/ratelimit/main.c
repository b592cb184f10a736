/* SPDX-License-Identifier: MIT */
/*
 * main.c - the rate limiter example end to end, the host author's path of
 * docs/struct_ops.md: load the host's BTF (made by scripts/host-btf.sh from
 * ratelimit_host.o), make a runtime on it (JIT, verifier_strict: a program
 * the verifier rejects fails to load; no trust_unverified), register the
 * ops type and the kfunc, load the clang-built policy, attach it, call
 * admit() for a fixed series of requests and check every decision.
 *
 *   ratelimit HOST.btf POLICY.bpf.o
 *
 * Exits 0 when every decision and the program's verdict are as expected,
 * 1 (with the first mismatch on stderr) otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <structops/btf.h>
#include <structops/struct_ops.h>

#include "ratelimit.h"

struct step {
	struct rl_request req;
	int want; /* 1 admitted, 0 refused */
};

/* Budgets (rl_budget): client 1 has 3, client 2 has 5, others 0. */
static const struct step steps[] = {
	{ { 1, 1 }, 1 }, { { 1, 1 }, 1 }, { { 2, 2 }, 1 }, { { 1, 1 }, 1 }, { { 1, 1 }, 0 },
	{ { 2, 2 }, 1 }, { { 2, 2 }, 0 }, { { 2, 1 }, 1 }, { { 3, 1 }, 0 }, { { 2, 1 }, 0 },
};

/* The verdict of the policy's admit program: it must be verified and on the JIT. */
static int check_verdict(struct sops_runtime *rt, struct sops_object *obj)
{
	struct sops_program *p = sops_object__find_program_by_name(obj, "budget_admit");
	struct sops_prog_verdict v = { .sz = sizeof(v) };
	int err = p ? sops_prog_get_verdict(rt, sops_program__handle(p), &v) : -ENOENT;

	if (err) {
		fprintf(stderr, "ratelimit: verdict of budget_admit: %s\n", strerror(-err));
		return err;
	}
	printf("program    budget_admit: %s, %s, %llu insns processed\n",
	       v.verified ? "verified" : "NOT verified", v.engine == SOPS_ENGINE_JIT ? "JIT" : "interpreter",
	       (unsigned long long)v.insn_processed);
	if (!v.verified || v.engine != SOPS_ENGINE_JIT) {
		fprintf(stderr, "ratelimit: FAIL: the policy must run verified on the JIT (%s)\n", v.reason);
		return -EINVAL;
	}
	return 0;
}

/* Every request through the live ops table, inside a read-side section as the guide says. */
static int run_steps(void)
{
	int bad = 0;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct rl_request req = steps[i].req;
		struct ratelimit_ops *ops;
		int got;

		sops_rcu_read_lock();
		ops = ratelimit_live();
		got = ops ? ops->admit(&req) : -1;
		sops_rcu_read_unlock();
		printf("request %2zu client %llu cost %u: %s\n", i + 1, (unsigned long long)req.client, req.cost,
		       got == 1 ? "admitted" : got == 0 ? "refused" : "no policy");
		if (got != steps[i].want) {
			fprintf(stderr, "ratelimit: FAIL: request %zu: got %d, want %d\n", i + 1, got,
				steps[i].want);
			bad++;
		}
	}
	return bad ? -EINVAL : 0;
}

static int run(const char *btf_path, const char *obj_path)
{
	char log[512] = "";
	struct sops_btf_opts bo = { .sz = sizeof(bo), .log_buf = log, .log_size = sizeof(log) };
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log) };
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = true, .verifier_strict = true };
	struct sops_runtime *rt = NULL;
	struct sops_object *obj = NULL;
	struct sops_link *link = NULL;
	struct sops_btf *btf = NULL;
	struct ratelimit_ops *ops;
	int err;

	err = sops_btf__load_file(btf_path, &bo, &btf);
	if (err) {
		fprintf(stderr, "ratelimit: host BTF: %s\n", log);
		return err;
	}
	ro.host_btf = sops_btf__libbpf(btf);
	err = sops_runtime__new(&ro, &rt);
	if (err) {
		fprintf(stderr, "ratelimit: runtime: %s\n", strerror(-err));
		goto out;
	}
	err = ratelimit_register(rt, sops_btf__libbpf(btf), log, sizeof(log));
	if (err) {
		fprintf(stderr, "ratelimit: registration: %s (%s)\n", log, strerror(-err));
		goto out;
	}
	err = sops_object__open_file(obj_path, NULL, &obj);
	if (!err)
		err = sops_object__load_runtime(obj, rt, &lo);
	if (err) {
		fprintf(stderr, "ratelimit: %s: %s (%s)\n", obj_path, log, strerror(-err));
		goto out;
	}
	err = check_verdict(rt, obj);
	if (err)
		goto out;
	err = sops_map__attach_struct_ops(sops_object__find_map_by_name(obj, "budget"), &link);
	if (err) {
		fprintf(stderr, "ratelimit: attach: %s\n", strerror(-err));
		goto out;
	}
	sops_rcu_read_lock();
	ops = ratelimit_live();
	printf("policy     %s attached\n", ops ? ops->name : "(none)");
	sops_rcu_read_unlock();
	err = run_steps();
	sops_link__destroy(link);
	if (!err && ratelimit_live()) {
		fprintf(stderr, "ratelimit: FAIL: the policy is still live after detach\n");
		err = -EINVAL;
	}
out:
	sops_object__close(obj);
	sops_runtime__free(rt);
	sops_btf__free(btf);
	return err;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s HOST.btf POLICY.bpf.o\n", argv[0]);
		return 2;
	}
	if (run(argv[1], argv[2]))
		return 1;
	printf("ratelimit: all %zu decisions as expected\n", sizeof(steps) / sizeof(steps[0]));
	return 0;
}
