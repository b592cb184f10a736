/* SPDX-License-Identifier: MIT */
/*
 * st_mod.c - a minimal structops module for tests/test_st_module.c: it
 * registers one struct_ops type, `struct mod_ops { int (*op)(int x); }`,
 * whose BTF the test writes (standalone) and names in the load options.
 * The test's context (sops_module__ctx) receives the kdata reg() is given
 * and counts init/exit calls.
 */
#include <stdatomic.h>

#include <structops/struct_ops.h>

#define EXPORT __attribute__((visibility("default")))

struct mod_ops {
	int (*op)(int x);
};

struct st_mod_ctx {
	void *_Atomic cur;
	int inits, exits;
};

EXPORT int mod_ops__op(int x)
{
	(void)x;
	return 0;
}

static const struct mod_ops stubs = { .op = mod_ops__op };

static int mod_reg(void *kdata, struct sops_struct_ops_link *link)
{
	struct st_mod_ctx *ctx = sops_struct_ops_priv(kdata);
	void *none = NULL;

	(void)link;
	return atomic_compare_exchange_strong(&ctx->cur, &none, kdata) ? 0 : -17;
}

static void mod_unreg(void *kdata, struct sops_struct_ops_link *link)
{
	struct st_mod_ctx *ctx = sops_struct_ops_priv(kdata);

	(void)link;
	atomic_compare_exchange_strong(&ctx->cur, &kdata, NULL);
}

static int mod_init(const struct btf *btf)
{
	(void)btf;
	return 0;
}

static int mod_init_member(const struct btf_type *t, const struct btf_member *m, void *kdata,
			   const void *udata)
{
	(void)t;
	(void)m;
	(void)kdata;
	(void)udata;
	return 0;
}

static struct sops_struct_ops ops = {
	.name = "mod_ops",
	.init = mod_init,
	.init_member = mod_init_member,
	.reg = mod_reg,
	.unreg = mod_unreg,
	.cfi_stubs = &stubs,
};

EXPORT int sops_module_init(struct sops_module *mod)
{
	struct st_mod_ctx *ctx = sops_module__ctx(mod);

	ctx->inits++;
	ops.owner = mod;
	ops.priv = ctx;
	return sops_runtime__register_struct_ops(sops_module__runtime(mod), &ops, NULL);
}

EXPORT void sops_module_exit(struct sops_module *mod)
{
	struct st_mod_ctx *ctx = sops_module__ctx(mod);

	ctx->exits++;
}
