/* SPDX-License-Identifier: MIT */
/*
 * bpf_test_no_cfi.c - a module that registers one struct_ops type twice:
 * first without cfi_stubs, which must fail with -EINVAL, then with them,
 * which must succeed. Its init succeeds only if both outcomes are right, so
 * loading and unloading it is the test (scenario 41).
 */
#include <errno.h>
#include <stddef.h>

#include <structops/struct_ops.h>

#include "st_host.h"

#define EXPORT __attribute__((visibility("default")))
#define STUB __attribute__((visibility("default"), used, noinline))

struct bpf_test_no_cfi_ops {
	void (*fn_1)(void);
	void (*fn_2)(void);
};

STUB void bpf_test_no_cfi_ops__fn_1(void)
{
}
STUB void bpf_test_no_cfi_ops__fn_2(void)
{
}

static const struct bpf_test_no_cfi_ops stubs = {
	.fn_1 = bpf_test_no_cfi_ops__fn_1,
	.fn_2 = bpf_test_no_cfi_ops__fn_2,
};

/* Keeps the ops struct in the module's DWARF, hence its BTF. */
EXPORT struct bpf_test_no_cfi_ops bpf_test_no_cfi_anchor;

static int no_init(const struct btf *btf)
{
	return 0;
}
static int no_init_member(const struct btf_type *t, const struct btf_member *m, void *kdata,
			  const void *udata)
{
	return 0;
}
static int no_reg(void *kdata, struct sops_struct_ops_link *link)
{
	return 0;
}
static void no_unreg(void *kdata, struct sops_struct_ops_link *link)
{
}

static struct sops_struct_ops without_stubs, with_stubs;

/* Outcome of each registration, for the test (dlsym). */
EXPORT int bpf_test_no_cfi_results[2];

EXPORT int sops_module_init(struct sops_module *mod)
{
	struct sops_runtime *rt = sops_module__runtime(mod);
	struct sops_struct_ops base = {
		.name = "bpf_test_no_cfi_ops",
		.init = no_init,
		.init_member = no_init_member,
		.reg = no_reg,
		.unreg = no_unreg,
		.owner = mod,
	};

	without_stubs = base;
	with_stubs = base;
	with_stubs.cfi_stubs = &stubs;
	bpf_test_no_cfi_results[0] = sops_runtime__register_struct_ops(rt, &without_stubs, NULL);
	bpf_test_no_cfi_results[1] = sops_runtime__register_struct_ops(rt, &with_stubs, NULL);
	if (bpf_test_no_cfi_results[0] != -EINVAL || bpf_test_no_cfi_results[1] != 0)
		return -EINVAL;
	return 0;
}

EXPORT void sops_module_exit(struct sops_module *mod)
{
}
