/* SPDX-License-Identifier: MIT */
/*
 * test_btf_dump_limit.c - `btf dump` output stays within SOPS_BTF_DUMP_MAX of
 * the input: small BTF that libbpf would expand into hundreds of megabytes
 * (padding gaps, trailing padding) or exponentially (anonymous structs and
 * prototypes inlined at every use, an anonymous struct reached from itself)
 * is refused with -E2BIG before anything is written; a raw dump whose names
 * repeat a long string stops at the limit; ordinary BTF dumps in full.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/btf.h>
#include <linux/btf.h>
#include <structops/btf.h>

#include "test.h"

struct dump_res {
	int err;
	size_t out_len;
	size_t in_len;
	double secs;
	char head[128];
};

/* Serialize @b, load it and dump it in @format into memory; frees @b. */
static int dump_built(struct btf *b, enum sops_btf_dump_format format, struct dump_res *r)
{
	struct sops_btf_opts opts = { .sz = sizeof(opts) };
	struct sops_btf *sb = NULL;
	struct timespec t0, t1;
	const void *raw;
	char *buf = NULL;
	size_t len = 0;
	__u32 size;
	FILE *f;
	int err;

	memset(r, 0, sizeof(*r));
	raw = btf__raw_data(b, &size);
	err = raw ? sops_btf__load_mem(raw, size, &opts, &sb) : -ENOMEM;
	btf__free(b);
	if (err)
		return err;
	r->in_len = size;
	f = open_memstream(&buf, &len);
	if (!f) {
		sops_btf__free(sb);
		return -ENOMEM;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r->err = sops_btf__dump(sb, format, f);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fclose(f);
	r->out_len = len;
	r->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	snprintf(r->head, sizeof(r->head), "%s", buf ? buf : "");
	free(buf);
	sops_btf__free(sb);
	return 0;
}

/* @b (freed) must dump in C with -E2BIG, writing nothing, at once. */
static void expect_c_refused(struct test_ctx *t, struct btf *b)
{
	struct dump_res r;

	T_EQ(dump_built(b, SOPS_BTF_DUMP_C, &r), 0);
	T_EQ(r.err, -E2BIG);
	T_EQ(r.out_len, 0);
	if (r.secs > 2.0)
		T_FAIL("refusing took %.1f s", r.secs);
}

TEST(btf_dump_limit_member_gap)
{
	/* An 87-byte BTF: 256 MiB between two members, 33 million `long: 64;` lines before. */
	struct btf *b = btf__new_empty();
	int i, s;

	T_ASSERT(b);
	i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	s = btf__add_struct(b, "s", 0x10000000);
	T_ASSERT(i > 0 && s > 0);
	T_EQ(btf__add_field(b, "a", i, 0, 0), 0);
	T_EQ(btf__add_field(b, "b", i, 0x7fffffe0, 0), 0);
	expect_c_refused(t, b);
}

TEST(btf_dump_limit_trailing_padding)
{
	struct btf *b = btf__new_empty();
	int i, s;

	T_ASSERT(b);
	i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	s = btf__add_struct(b, "s", 0x0fffffff);
	T_ASSERT(i > 0 && s > 0);
	T_EQ(btf__add_field(b, "a", i, 0, 0), 0);
	expect_c_refused(t, b);
}

TEST(btf_dump_limit_raw_of_padding_is_small)
{
	/* The same BTF in raw form is one line per record: it dumps. */
	struct btf *b = btf__new_empty();
	struct dump_res r;
	int i, s;

	T_ASSERT(b);
	i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	s = btf__add_struct(b, "s", 0x10000000);
	T_ASSERT(i > 0 && s > 0);
	T_EQ(btf__add_field(b, "a", i, 0, 0), 0);
	T_EQ(btf__add_field(b, "b", i, 0x7fffffe0, 0), 0);
	T_EQ(dump_built(b, SOPS_BTF_DUMP_RAW, &r), 0);
	T_EQ(r.err, 0);
	T_ASSERT(r.out_len > 0 && r.out_len < 1024);
	T_ASSERT(strstr(r.head, "STRUCT 's'"));
}

/* @levels anonymous structs, each with two members of the next: 2^levels leaves inline. */
static struct btf *nested_anon(int levels)
{
	struct btf *b = btf__new_empty();
	int prev, id;

	if (!b)
		return NULL;
	prev = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	for (int l = 0; l < levels; l++) {
		id = btf__add_struct(b, NULL, 8);
		if (id < 0 || btf__add_field(b, "a", prev, 0, 0) || btf__add_field(b, "b", prev, 32, 0))
			goto fail;
		prev = id;
	}
	id = btf__add_struct(b, "top", 8);
	if (id < 0 || btf__add_field(b, "t", prev, 0, 0))
		goto fail;
	return b;
fail:
	btf__free(b);
	return NULL;
}

TEST(btf_dump_limit_nested_anon_structs)
{
	struct btf *b = nested_anon(40);

	T_ASSERT(b);
	expect_c_refused(t, b); /* 2^40 members: libbpf would never finish */
}

TEST(btf_dump_limit_nested_protos)
{
	/* Prototypes are inlined too: f(g*, g*) where g(h*, h*) ... 40 deep. */
	struct btf *b = btf__new_empty();
	int prev, ptr;

	T_ASSERT(b);
	prev = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	T_ASSERT(prev > 0);
	for (int l = 0; l < 40; l++) {
		int proto = btf__add_func_proto(b, prev);

		T_ASSERT(proto > 0);
		T_EQ(btf__add_func_param(b, "x", prev), 0);
		T_EQ(btf__add_func_param(b, "y", prev), 0);
		ptr = btf__add_ptr(b, proto);
		T_ASSERT(ptr > 0);
		prev = ptr;
	}
	T_ASSERT(btf__add_typedef(b, "fn_t", prev) > 0);
	expect_c_refused(t, b);
}

TEST(btf_dump_limit_anon_struct_reaching_itself)
{
	/* typedef struct { <itself> *next; } node_t: libbpf would inline it forever. */
	struct btf *b = btf__new_empty();
	int s, p;

	T_ASSERT(b);
	s = btf__add_struct(b, NULL, 8);
	T_ASSERT(s > 0);
	p = s + 1;
	T_EQ(btf__add_field(b, "next", p, 0, 0), 0);
	T_EQ(btf__add_ptr(b, s), p);
	T_ASSERT(btf__add_typedef(b, "node_t", s) > 0);
	expect_c_refused(t, b);
}

TEST(btf_dump_limit_ordinary_dumps)
{
	/* Modest nesting (2^6 leaves) and ordinary padding dump in full, within the limit. */
	struct btf *b = nested_anon(6);
	struct dump_res r;
	int i, s;

	T_ASSERT(b);
	i = btf__find_by_name(b, "int");
	s = btf__add_struct(b, "padded", 64);
	T_ASSERT(i > 0 && s > 0);
	T_EQ(btf__add_field(b, "a", i, 0, 0), 0);
	T_EQ(btf__add_field(b, "b", i, 256, 0), 0);
	T_EQ(dump_built(b, SOPS_BTF_DUMP_C, &r), 0);
	T_EQ(r.err, 0);
	T_ASSERT(r.out_len > 0 && r.out_len <= SOPS_BTF_DUMP_MAX(r.in_len));
}

TEST(btf_dump_limit_raw_long_names)
{
	/*
	 * Raw: 1000 members all named by one 60000-character string are ~72 KB
	 * of BTF and 60 MB of listing; the dump stops at the limit.
	 */
	struct btf *b = btf__new_empty();
	char *name = malloc(60001);
	struct dump_res r;
	int i, s;

	T_ASSERT(b && name);
	memset(name, 'n', 60000);
	name[60000] = 0;
	i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	s = btf__add_struct(b, "s", 4);
	T_ASSERT(i > 0 && s > 0);
	for (int m = 0; m < 1000; m++)
		T_EQ(btf__add_field(b, name, i, 0, 0), 0);
	free(name);
	T_EQ(dump_built(b, SOPS_BTF_DUMP_RAW, &r), 0);
	T_EQ(r.err, -E2BIG);
	T_ASSERT(r.out_len <= SOPS_BTF_DUMP_MAX(r.in_len));
	T_ASSERT(r.out_len >= SOPS_BTF_DUMP_MAX(r.in_len) / 2);
}
