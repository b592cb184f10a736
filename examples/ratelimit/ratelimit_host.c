/* SPDX-License-Identifier: MIT */
/*
 * ratelimit_host.c - the host side of the rate limiter: struct ratelimit_ops
 * as a struct_ops type, its CFI stub, the kfunc policies call, and the
 * registration. This one translation unit holds every type BPF sees, and is
 * compiled with -g: scripts/host-btf.sh turns its object into the host's BTF
 * (examples/examples.mk), and docs/struct_ops.md quotes it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/btf.h>
#include <structops/struct_ops.h>

#include "ratelimit.h"

/*
 * The CFI stub of member admit, exported under the name the registration
 * looks for in BTF: <struct>__<member>. Its parameter names could carry
 * annotations (`req__nullable`: the program must check for NULL).
 */
int ratelimit_ops__admit(struct rl_request *req);
__attribute__((noinline, used)) int ratelimit_ops__admit(struct rl_request *req)
{
	return 1;
}

static const struct ratelimit_ops stubs = { .admit = ratelimit_ops__admit };

/* A kfunc: each client's budget, which the policy spends. */
u64 rl_budget(u64 client);
__attribute__((noinline, used)) u64 rl_budget(u64 client)
{
	return client == 1 ? 3 : client == 2 ? 5 : 0;
}

static uint64_t kf_budget(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	return rl_budget(r1);
}

/* The live ops table; a plain pointer read and written with the __atomic builtins. */
static struct ratelimit_ops *live;

struct ratelimit_ops *ratelimit_live(void)
{
	return __atomic_load_n(&live, __ATOMIC_ACQUIRE);
}

static int rl_reg(void *kdata, struct sops_struct_ops_link *link)
{
	struct ratelimit_ops *none = NULL;

	/* reg is the place for run-time conflicts: one policy at a time. */
	return __atomic_compare_exchange_n(&live, &none, kdata, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)
		       ? 0 : -EBUSY;
}

static void rl_unreg(void *kdata, struct sops_struct_ops_link *link)
{
	struct ratelimit_ops *cur = kdata;

	__atomic_compare_exchange_n(&live, &cur, NULL, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static int rl_init_member(const struct btf_type *t, const struct btf_member *m, void *kdata,
			  const void *udata)
{
	/* Scalars are the host's to copy (1); function pointers are structops' (0). */
	if (btf_member_bit_offset(t, m - btf_members(t)) == offsetof(struct ratelimit_ops, name) * 8) {
		memcpy(((struct ratelimit_ops *)kdata)->name, ((const struct ratelimit_ops *)udata)->name,
		       sizeof(((struct ratelimit_ops *)kdata)->name));
		return 1;
	}
	return 0;
}

static int rl_init(const struct btf *btf)
{
	return 0;
}

static struct sops_struct_ops rl_st_ops = {
	.name = "ratelimit_ops",
	.init = rl_init,
	.init_member = rl_init_member,
	.reg = rl_reg,
	.unreg = rl_unreg,
	.cfi_stubs = &stubs,
};

int ratelimit_register(struct sops_runtime *rt, const struct btf *host_btf, char *log, size_t log_size)
{
	struct sops_struct_ops_reg_opts ro = { .sz = sizeof(ro), .log_buf = log, .log_size = log_size };
	struct sops_kfunc_desc kd = {
		.sz = sizeof(kd), .name = "rl_budget", .fn = kf_budget,
		.prog_types = SOPS_PROG_TYPE_BIT(SOPS_BPF_PROG_TYPE_STRUCT_OPS),
		.log_buf = log, .log_size = log_size,
	};
	int err = sops_runtime__register_struct_ops_opts(rt, &rl_st_ops, &ro), id;

	if (err)
		return err;
	/* A kfunc is registered by its FUNC's id in the host's BTF. */
	id = btf__find_by_name_kind(host_btf, "rl_budget", BTF_KIND_FUNC);
	if (id <= 0) {
		snprintf(log, log_size, "kfunc rl_budget: no FUNC in the host's BTF");
		return -ENOENT;
	}
	kd.btf_id = (uint32_t)id;
	return sops_runtime__register_kfunc(rt, &kd);
}
