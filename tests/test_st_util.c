/* SPDX-License-Identifier: MIT */
/*
 * test_st_util.c - the fixture of the struct_ops unit tests; see test_st_util.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/btf.h>
#include <structops/asm.h>

#include "test_st_util.h"

/* Stubs: found in BTF by the naming convention <struct>__<member>. */
static int tst_ops__test_1(void) { return 0; }
static int tst_ops__test_2(int a, long b) { (void)a; (void)b; return 0; }
static int tst_ops__test_3(struct tst_state *st) { (void)st; return 0; }
static int tst_ops2__op(void) { return 0; }
static int tst_ops3__op(void) { return 0; }

static const struct tst_ops tst_stubs = {
	.test_1 = tst_ops__test_1,
	.test_2 = tst_ops__test_2,
	.test_3 = tst_ops__test_3,
};
static const struct tst_ops2 tst_stubs2 = { .op = tst_ops2__op };
static const struct tst_ops2 tst_stubs3 = { .op = tst_ops3__op };

struct btf *st_fix_btf(int *ops_id, int *ops2_id)
{
	struct btf *b = btf__new_empty();
	int i32, i64, chr, state, pstate, fp1, fp2, fp3, sp3, arr, id, p1, p2, p3;

	if (!b)
		return NULL;
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	i64 = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	chr = btf__add_int(b, "char", 1, 0);
	state = btf__add_struct(b, "tst_state", 4);
	btf__add_field(b, "val", i32, 0, 0);
	pstate = btf__add_ptr(b, state);
	fp1 = btf__add_func_proto(b, i32);
	fp2 = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "a", i32);
	btf__add_func_param(b, "b", i64);
	fp3 = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "st", pstate);
	sp3 = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "st__nullable", pstate);
	arr = btf__add_array(b, i32, chr, 16);
	p1 = btf__add_ptr(b, fp1);
	p2 = btf__add_ptr(b, fp2);
	p3 = btf__add_ptr(b, fp3);
	id = btf__add_struct(b, "tst_ops", sizeof(struct tst_ops));
	btf__add_field(b, "test_1", p1, 0, 0);
	btf__add_field(b, "test_2", p2, 64, 0);
	btf__add_field(b, "test_3", p3, 128, 0);
	btf__add_field(b, "unsupported", p1, 192, 0);
	btf__add_field(b, "data", i32, 256, 0);
	btf__add_field(b, "name", arr, 288, 0);
	*ops_id = id;
	id = btf__add_struct(b, "tst_ops2", sizeof(struct tst_ops2));
	btf__add_field(b, "op", p1, 0, 0);
	*ops2_id = id;
	id = btf__add_struct(b, "tst_ops3", sizeof(struct tst_ops2));
	btf__add_field(b, "op", p1, 0, 0);
	btf__add_func(b, "tst_ops3__op", BTF_FUNC_STATIC, fp1);
	btf__add_func(b, "tst_ops__test_1", BTF_FUNC_STATIC, fp1);
	btf__add_func(b, "tst_ops__test_2", BTF_FUNC_STATIC, fp2);
	btf__add_func(b, "tst_ops__test_3", BTF_FUNC_STATIC, sp3);
	btf__add_func(b, "tst_ops2__op", BTF_FUNC_STATIC, fp1);
	return b;
}

/* --- the host subsystem --- */

static struct tst_host *host_of(const void *kdata)
{
	return sops_struct_ops_priv(kdata);
}

static int h_init(const struct btf *btf)
{
	(void)btf;
	return 0;
}

static int h_check_member(const struct btf_type *t, const struct btf_member *m, const struct sops_prog *prog)
{
	(void)t;
	(void)m;
	(void)prog;
	return 0;
}

static int h_init_member(const struct btf_type *t, const struct btf_member *m, void *kdata, const void *udata)
{
	uint32_t off = btf_member_bit_offset(t, (uint32_t)(m - btf_members(t))) / 8;

	if (off == 32 && host_of(kdata)->init_member_err)
		return host_of(kdata)->init_member_err;
	if (off == 32 || off == 36) { /* data, name: copied */
		size_t n = off == 32 ? sizeof(int) : 16;

		memcpy((char *)kdata + off, (const char *)udata + off, n);
		return 1;
	}
	return 0;
}

static int h_reg(void *kdata, struct sops_struct_ops_link *link)
{
	struct tst_host *h = host_of(kdata);
	void *expected = NULL;

	(void)link;
	if (h->reg_err)
		return h->reg_err;
	if (!atomic_compare_exchange_strong(&h->cur, &expected, kdata))
		return -EEXIST;
	atomic_fetch_add(&h->reg_cnt, 1);
	return 0;
}

static void h_unreg(void *kdata, struct sops_struct_ops_link *link)
{
	struct tst_host *h = host_of(kdata);
	void *expected = kdata;

	(void)link;
	atomic_compare_exchange_strong(&h->cur, &expected, NULL);
	atomic_fetch_add(&h->unreg_cnt, 1);
}

static int h_update(void *kdata, void *old, struct sops_struct_ops_link *link)
{
	struct tst_host *h = host_of(kdata);

	(void)link;
	if (h->update_err)
		return h->update_err;
	if (!atomic_compare_exchange_strong(&h->cur, &old, kdata))
		return -EINVAL;
	atomic_fetch_add(&h->update_cnt, 1);
	return 0;
}

static int h_validate(void *kdata)
{
	struct tst_host *h = host_of(kdata);

	atomic_fetch_add(&h->validate_cnt, 1);
	return h->validate_err;
}

static bool h_helper_allowed(uint32_t id, uint32_t member, const struct sops_prog *prog)
{
	(void)member;
	(void)prog;
	(void)id;
	return true;
}

static const struct sops_struct_ops_verifier_ops h_vops = { .helper_allowed = h_helper_allowed };

void st_fix_ops(struct sops_struct_ops *ops, struct tst_host *host)
{
	memset(ops, 0, sizeof(*ops));
	ops->name = "tst_ops";
	ops->verifier_ops = &h_vops;
	ops->init = h_init;
	ops->check_member = h_check_member;
	ops->init_member = h_init_member;
	ops->reg = h_reg;
	ops->unreg = h_unreg;
	ops->update = h_update;
	ops->validate = h_validate;
	ops->cfi_stubs = &tst_stubs;
	ops->priv = host;
}

int st_fix_register(struct st_fix *f)
{
	int err;

	st_fix_ops(&f->ops, &f->host);
	f->ops2 = f->ops;
	f->ops2.name = "tst_ops2";
	f->ops2.validate = NULL;
	f->ops2.init_member = NULL;
	f->ops2.cfi_stubs = &tst_stubs2;
	f->ops3 = f->ops2;
	f->ops3.name = "tst_ops3";
	f->ops3.update = NULL;
	f->ops3.cfi_stubs = &tst_stubs3;
	err = sops_runtime__register_struct_ops(f->rt, &f->ops, NULL);
	if (!err)
		err = sops_runtime__register_struct_ops(f->rt, &f->ops2, NULL);
	if (!err)
		err = sops_runtime__register_struct_ops(f->rt, &f->ops3, NULL);
	if (!err)
		err = sops_runtime__find_struct_ops(f->rt, "tst_ops3", (uint32_t *)&f->ops3_id, &f->value3_id,
						    NULL);
	if (!err)
		err = sops_runtime__find_struct_ops(f->rt, "tst_ops", NULL, &f->value_id, NULL);
	if (!err)
		err = sops_runtime__find_struct_ops(f->rt, "tst_ops2", NULL, &f->value2_id, NULL);
	return err;
}

int st_fix_init(struct st_fix *f, bool jit, bool trust)
{
	/* Programs are verified: @jit runs them on the JIT, !@trust in the checked interpreter. */
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = jit, .always_checked = !trust && !jit };
	const void *raw;
	uint32_t size;
	int err;

	memset(f, 0, sizeof(*f));
	f->btf = st_fix_btf(&f->ops_id, &f->ops2_id);
	if (!f->btf)
		return -ENOMEM;
	ro.host_btf = f->btf;
	err = sops_runtime__new(&ro, &f->rt);
	if (err)
		return err;
	raw = btf__raw_data(f->btf, &size);
	f->user_btf = sops_btf_load(f->rt, raw, size, NULL, 0);
	if (f->user_btf < 0)
		return f->user_btf;
	return st_fix_register(f);
}

void st_fix_fini(struct st_fix *f)
{
	sops_runtime__free(f->rt);
	btf__free(f->btf);
	f->rt = NULL;
	f->btf = NULL;
}

int st_load(struct st_fix *f, int type_id, uint32_t member, const char *text, const char *license,
	    uint32_t prog_flags, char *log, size_t log_size)
{
	struct sops_prog_load_opts o = { .sz = sizeof(o), .expected_attach_type = member,
					 .attach_btf_id = (uint32_t)type_id, .prog_flags = prog_flags,
					 .log_buf = log, .log_size = (uint32_t)log_size,
					 .log_level = log ? 1 : 0 };
	struct sops_insn *insns;
	size_t cnt;
	int fd;

	if (sops_asm__parse(text, &insns, &cnt, NULL, 0))
		return -EINVAL;
	fd = sops_prog_load(f->rt, SOPS_BPF_PROG_TYPE_STRUCT_OPS, "st_prog", license, insns, cnt, &o);
	free(insns);
	return fd;
}

int st_load_syscall(struct st_fix *f, const char *text)
{
	struct sops_insn *insns;
	size_t cnt;
	int fd;

	if (sops_asm__parse(text, &insns, &cnt, NULL, 0))
		return -EINVAL;
	fd = sops_prog_load(f->rt, SOPS_BPF_PROG_TYPE_SYSCALL, "sys_prog", "GPL", insns, cnt, NULL);
	free(insns);
	return fd;
}

int st_create(struct st_fix *f, uint32_t value_id, uint32_t value_size, uint32_t flags)
{
	struct sops_map_create_opts o = { .sz = sizeof(o), .btf_fd = (uint32_t)f->user_btf,
					  .btf_vmlinux_value_type_id = value_id, .map_flags = flags };

	return sops_map_create(f->rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "st_map", 4, value_size, 1, &o);
}

void st_value(uint8_t v[TST_VALUE_SIZE], int p1, int p2, int p3, int data)
{
	uint64_t s;

	memset(v, 0, TST_VALUE_SIZE);
	s = (uint64_t)p1;
	memcpy(v + TST_DATA_OFF + 0, &s, 8);
	s = (uint64_t)p2;
	memcpy(v + TST_DATA_OFF + 8, &s, 8);
	s = (uint64_t)p3;
	memcpy(v + TST_DATA_OFF + 16, &s, 8);
	memcpy(v + TST_DATA_OFF + 32, &data, 4);
}

int st_call_test_1(struct st_fix *f)
{
	struct tst_ops *ops;
	int r = -1000;

	sops_rcu_read_lock();
	ops = atomic_load(&f->host.cur);
	if (ops && ops->test_1)
		r = ops->test_1();
	sops_rcu_read_unlock();
	return r;
}
