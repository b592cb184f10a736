/* SPDX-License-Identifier: MIT */
/*
 * test_btf_host.c - a host's BTF as pahole makes it, through the loader and
 * the C dump: only functions registered as kfuncs (named, or tagged
 * `bpf_kfunc`) become extern __ksym declarations, unknown names are refused
 * before anything is written; BTF errors name the type (kind and name).
 * BTF is built here with libbpf's btf__add_*() to hold exactly the case.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <linux/btf.h>
#include <structops/btf.h>

#include "test.h"

/* Serialize @b (freed) and load it; 0 or the loader's errno with its message in @log. */
static int load_built(struct btf *b, struct sops_btf **out, char *log, size_t log_size)
{
	struct sops_btf_opts opts = { .sz = sizeof(opts), .log_buf = log, .log_size = log_size };
	const void *raw;
	__u32 size;
	int err;

	raw = btf__raw_data(b, &size);
	err = raw ? sops_btf__load_mem(raw, size, &opts, out) : -ENOMEM;
	btf__free(b);
	return err;
}

/* Dump @sb as C with @kfuncs into a malloc'd string (*@text); returns the dump's errno. */
static int dump_c(const struct sops_btf *sb, const char *const *kfuncs, char **text, char *log,
		  size_t log_size)
{
	struct sops_btf_dump_opts o = { .sz = sizeof(o), .format = SOPS_BTF_DUMP_C, .kfuncs = kfuncs,
					.log_buf = log, .log_size = log_size };
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	int err;

	if (!f)
		return -ENOMEM;
	err = sops_btf__dump_opts(sb, f, &o);
	fclose(f);
	return err;
}

/* int host_kf(int x) tagged bpf_kfunc, int host_plain(int x), int host_named(int x) untagged. */
static struct btf *three_funcs(void)
{
	struct btf *b = btf__new_empty();
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int proto = btf__add_func_proto(b, i32);
	int kf;

	btf__add_func_param(b, "x", i32);
	kf = btf__add_func(b, "host_kf", BTF_FUNC_GLOBAL, proto);
	btf__add_decl_tag(b, "bpf_kfunc", kf, -1);
	btf__add_func(b, "host_plain", BTF_FUNC_GLOBAL, proto);
	btf__add_func(b, "host_named", BTF_FUNC_GLOBAL, proto);
	return b;
}

TEST(btf_host_kfuncs_tagged_and_named)
{
	const char *names[] = { "host_named", NULL };
	struct sops_btf *sb = NULL;
	char log[256] = "", *text = NULL;

	T_EQ(load_built(three_funcs(), &sb, log, sizeof(log)), 0);
	/* No names: only the tagged one; the plain host functions are not declared. */
	T_EQ(dump_c(sb, NULL, &text, log, sizeof(log)), 0);
	T_ASSERT(strstr(text, "extern int host_kf(int x) __weak __ksym;"));
	T_ASSERT(!strstr(text, "host_plain"));
	T_ASSERT(!strstr(text, "host_named"));
	free(text);
	text = NULL;
	/* Named: the tagged one and the named one, still not the other. */
	T_EQ(dump_c(sb, names, &text, log, sizeof(log)), 0);
	T_ASSERT(strstr(text, "extern int host_kf(int x) __weak __ksym;"));
	T_ASSERT(strstr(text, "extern int host_named(int x) __weak __ksym;"));
	T_ASSERT(!strstr(text, "host_plain"));
	free(text);
	sops_btf__free(sb);
}

TEST(btf_host_kfuncs_none_says_how)
{
	struct btf *b = btf__new_empty();
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	struct sops_btf *sb = NULL;
	char log[256] = "", *text = NULL;

	btf__add_func(b, "host_plain", BTF_FUNC_GLOBAL, btf__add_func_proto(b, i32));
	T_EQ(load_built(b, &sb, log, sizeof(log)), 0);
	T_EQ(dump_c(sb, NULL, &text, log, sizeof(log)), 0);
	T_ASSERT(!strstr(text, "__ksym;"));
	T_ASSERT(!strstr(text, "host_plain"));
	T_ASSERT(strstr(text, "No kfunc declarations"));
	T_ASSERT(strstr(text, "--kfuncs"));
	free(text);
	sops_btf__free(sb);
}

TEST(btf_host_kfuncs_unknown_name_refused)
{
	const char *typo[] = { "host_kf", "host_nope", NULL };
	const char *var[] = { "int", NULL }; /* a type, not a function */
	struct sops_btf_dump_opts raw = { .sz = sizeof(raw), .format = SOPS_BTF_DUMP_RAW, .kfuncs = typo };
	struct sops_btf *sb = NULL;
	char log[256] = "", *text = NULL;
	size_t len = 0;
	FILE *f;

	T_EQ(load_built(three_funcs(), &sb, log, sizeof(log)), 0);
	T_EQ(dump_c(sb, typo, &text, log, sizeof(log)), -ENOENT);
	T_ASSERT(strstr(log, "kfunc 'host_nope' is not a function of this BTF"));
	T_EQ(strlen(text), 0); /* refused before anything is written */
	free(text);
	text = NULL;
	T_EQ(dump_c(sb, var, &text, log, sizeof(log)), -ENOENT);
	free(text);
	f = open_memstream(&text, &len);
	T_ASSERT(f);
	raw.log_buf = log;
	raw.log_size = sizeof(log);
	T_EQ(sops_btf__dump_opts(sb, f, &raw), -EINVAL);
	fclose(f);
	free(text);
	T_ASSERT(strstr(log, "only in the C format"));
	sops_btf__free(sb);
}

TEST(btf_host_errors_name_the_type)
{
	struct btf *b = btf__new_empty();
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	struct sops_btf *sb = NULL;
	char log[256] = "";

	/* A member whose type does not exist: the message names the struct and the member. */
	btf__add_struct(b, "host_state", 8);
	btf__add_field(b, "a", i32, 0, 0);
	btf__add_field(b, "b", 77, 32, 0);
	T_EQ(load_built(b, &sb, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "STRUCT 'host_state'"));
	T_ASSERT(strstr(log, "member 'b'"));
	T_ASSERT(strstr(log, "refers to type id 77, which does not exist"));
}

/*
 * pahole's C11 gaps: atomic_int as a typedef of void, a member of type 0 and
 * one of a FUNC (a failed recode), a flexible array of type 0. All load, the
 * typedef as int, the members as byte arrays of their room, and the header
 * says why.
 */
TEST(btf_host_untyped_members_repaired)
{
	struct btf *b = btf__new_empty();
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int proto = btf__add_func_proto(b, i32);
	int fn = btf__add_func(b, "host_fn", BTF_FUNC_GLOBAL, proto);
	int aint = btf__add_typedef(b, "atomic_int", 0);
	int flex = btf__add_array(b, i32, 0, 0);
	struct sops_btf *sb = NULL;
	char log[256] = "", *text = NULL;
	const struct btf *lb;
	int sid, id;

	btf__add_struct(b, "host_counters", 24);
	btf__add_field(b, "hits", aint, 0, 0);
	btf__add_field(b, "state", 0, 32, 0);   /* room: 4 bytes up to 'owner' */
	btf__add_field(b, "owner", fn, 64, 0);  /* room: 8 bytes up to 'tail' */
	btf__add_field(b, "len", i32, 128, 0);
	btf__add_field(b, "tail", flex, 192, 0);
	T_EQ(load_built(b, &sb, log, sizeof(log)), 0);
	lb = sops_btf__libbpf(sb);
	id = btf__find_by_name_kind(lb, "atomic_int", BTF_KIND_TYPEDEF);
	T_ASSERT(id > 0);
	T_EQ(btf__resolve_size(lb, id), 4);
	sid = btf__find_by_name_kind(lb, "host_counters", BTF_KIND_STRUCT);
	T_ASSERT(sid > 0);
	T_EQ(btf__resolve_size(lb, btf_members(btf__type_by_id(lb, sid))[1].type), 4);
	T_EQ(btf__resolve_size(lb, btf_members(btf__type_by_id(lb, sid))[2].type), 8);
	T_EQ(dump_c(sb, NULL, &text, log, sizeof(log)), 0);
	T_ASSERT(strstr(text, "typedef int atomic_int;"));
	T_ASSERT(strstr(text, "__sops_untyped_4 state;"));
	T_ASSERT(strstr(text, "__sops_untyped_8 owner;"));
	T_ASSERT(strstr(text, "unsigned char tail[0];"));
	T_ASSERT(strstr(text, "pahole"));
	free(text);
	sops_btf__free(sb);
}

/* A member of a FUNC with no room to repair is refused, naming both types. */
TEST(btf_host_member_of_func_refused)
{
	struct btf *b = btf__new_empty();
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int fn = btf__add_func(b, "host_fn", BTF_FUNC_GLOBAL, btf__add_func_proto(b, i32));
	struct sops_btf *sb = NULL;
	char log[256] = "";

	btf__add_struct(b, "host_bad", 4);
	btf__add_field(b, "a", i32, 0, 0);
	btf__add_field(b, "f", fn, 64, 0); /* past the end */
	T_EQ(load_built(b, &sb, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "STRUCT 'host_bad' member 'f' has type"));
	T_ASSERT(strstr(log, "FUNC 'host_fn', which is not a data type"));
}

/* Split BTF without its base: the message says to give the base. */
TEST(btf_host_split_without_base)
{
	struct btf *base = btf__new_empty(), *split;
	int i32 = btf__add_int(base, "int", 4, BTF_INT_SIGNED);
	struct sops_btf *sb = NULL;
	char log[256] = "";

	split = btf__new_empty_split(base);
	btf__add_struct(split, "mod_state", 4);
	btf__add_field(split, "a", i32, 0, 0);
	T_EQ(load_built(split, &sb, log, sizeof(log)), -EINVAL);
	btf__free(base);
	T_ASSERT(strstr(log, "split BTF"));
	T_ASSERT(strstr(log, "--base"));
}

/* A struct containing itself by value: the loop is named by kind and name, both ends. */
TEST(btf_host_loop_names_the_types)
{
	struct btf *b = btf__new_empty();
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int s = btf__add_struct(b, "loop_s", 8);
	struct sops_btf *sb = NULL;
	char log[256] = "";

	btf__add_field(b, "a", i32, 0, 0);
	btf__add_field(b, "self", s, 32, 0);
	T_EQ(load_built(b, &sb, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "BTF type [2] STRUCT 'loop_s' contains itself"));
}
