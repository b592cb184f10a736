/* SPDX-License-Identifier: MIT */
/*
 * test_btf_depth.c - BTF validation against reference chains that would
 * exhaust a recursive walker's stack (libbpf's btf_dump among them), and
 * against the dangling references and names libbpf itself lets through.
 *
 * The hostile BTF is built in memory with libbpf's btf__add_* API, serialized
 * and loaded through sops_btf__load_mem(), which must refuse it with -EINVAL
 * and a message, while ordinary self-referencing structs stay valid.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <linux/btf.h>
#include <structops/btf.h>

#include "test.h"

static int load_built(struct btf *b, char *log, size_t log_size)
{
	struct sops_btf_opts opts = { .sz = sizeof(opts), .log_buf = log, .log_size = log_size };
	struct sops_btf *out = NULL;
	const void *raw;
	__u32 size;
	int err;

	raw = btf__raw_data(b, &size);
	if (!raw)
		return -ENOMEM;
	err = sops_btf__load_mem(raw, size, &opts, &out);
	if (!err) {
		/* a BTF that validates must also dump without trouble */
		FILE *null = fopen("/dev/null", "w");

		if (null) {
			err = sops_btf__dump(out, SOPS_BTF_DUMP_C, null);
			fclose(null);
		}
	}
	sops_btf__free(out);
	return err;
}

/* @b must be refused with -EINVAL and a message containing @why; frees @b. */
static void expect_rejected(struct test_ctx *t, struct btf *b, const char *why)
{
	char log[256] = "";
	int err = load_built(b, log, sizeof(log));

	btf__free(b);
	T_EQ(err, -EINVAL);
	if (!strstr(log, why))
		T_FAIL("message \"%s\" lacks \"%s\"", log, why);
}

TEST(btf_depth_pointer_chain_rejected)
{
	struct btf *b = btf__new_empty();
	int id;

	T_ASSERT(b);
	id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	for (int i = 0; i < 20000; i++)
		id = btf__add_ptr(b, id); /* int ************...: 20000 levels */
	expect_rejected(t, b, "deeper than");
}

TEST(btf_depth_typedef_and_proto_chain_rejected)
{
	struct btf *b = btf__new_empty();
	int id;

	T_ASSERT(b);
	id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	for (int i = 0; i < 5000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "t%d", i);
		id = btf__add_func_proto(b, id); /* returns the previous level */
		id = btf__add_typedef(b, name, btf__add_ptr(b, id));
	}
	expect_rejected(t, b, "deeper than");
}

TEST(btf_depth_pointer_loop_rejected)
{
	struct btf *b = btf__new_empty();
	int ptr, td;

	T_ASSERT(b);
	/* typedef T *T: a loop with no named struct to stop at */
	ptr = btf__add_ptr(b, 2);
	td = btf__add_typedef(b, "T", ptr);
	T_EQ(td, 2);
	expect_rejected(t, b, "refers to itself");
}

TEST(btf_reject_dangling_refs)
{
	struct btf *b = btf__new_empty();
	int i32, s;

	T_ASSERT(b);
	/*
	 * A member of type void (pahole's encoding of an _Atomic member) is
	 * given a byte array of its room at load (test_btf_host.c); one that
	 * lies past the struct's end has no room to tell, and stays an error.
	 */
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	s = btf__add_struct(b, "s", 8);
	btf__add_field(b, "a", i32, 0, 0);
	btf__add_field(b, "x", 0, 64, 0);
	T_ASSERT(s > 0);
	expect_rejected(t, b, "is void where a type is required");
	/* a pointer to a type id past the end */
	b = btf__new_empty();
	T_ASSERT(b);
	T_ASSERT(btf__add_int(b, "int", 4, BTF_INT_SIGNED) > 0);
	T_ASSERT(btf__add_ptr(b, 77) > 0);
	expect_rejected(t, b, "refers to type id 77, which does not exist");
	/* an array whose index type is void */
	b = btf__new_empty();
	T_ASSERT(b);
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	T_ASSERT(btf__add_array(b, 0, i32, 2) > 0);
	expect_rejected(t, b, "is void where a type is required");
}

TEST(btf_reject_bad_name_offset)
{
	struct btf *b = btf__new_empty();
	struct sops_btf_opts opts = { .sz = sizeof(opts) };
	struct sops_btf *out = NULL;
	char log[256] = "";
	const struct btf_header *hdr;
	const void *raw;
	uint8_t copy[256];
	__u32 size, bad = 0xfffff;

	T_ASSERT(b);
	T_ASSERT(btf__add_int(b, "int", 4, BTF_INT_SIGNED) > 0);
	raw = btf__raw_data(b, &size);
	T_ASSERT(raw && size <= sizeof(copy));
	memcpy(copy, raw, size);
	hdr = (const struct btf_header *)copy;
	/* the int's name_off, the first field of the first type record */
	memcpy(copy + hdr->hdr_len + hdr->type_off, &bad, sizeof(bad));
	opts.log_buf = log;
	opts.log_size = sizeof(log);
	T_EQ(sops_btf__load_mem(copy, size, &opts, &out), -EINVAL);
	T_ASSERT(strstr(log, "name offset 1048575 is outside the strings"));
	btf__free(b);
}

TEST(btf_depth_ordinary_types_pass)
{
	struct btf *b = btf__new_empty();
	char log[256] = "";
	int i32, node, node_ptr, td, list, arr;

	T_ASSERT(b);
	/* struct node { struct node *next; int v; }; typedef struct node node_t; */
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	node = btf__add_struct(b, "node", 16);
	node_ptr = btf__add_ptr(b, node);
	btf__add_field(b, "next", node_ptr, 0, 0);
	btf__add_field(b, "v", i32, 64, 0);
	td = btf__add_typedef(b, "node_t", node);
	/* struct list { node_t *head; node_t items[4]; int (*cmp)(node_t *, node_t *); } */
	arr = btf__add_array(b, i32, td, 4);
	list = btf__add_struct(b, "list", 8 + 64 + 8);
	btf__add_field(b, "head", btf__add_ptr(b, td), 0, 0);
	btf__add_field(b, "items", arr, 64, 0);
	{
		int proto = btf__add_func_proto(b, i32);

		btf__add_func_param(b, "a", btf__add_ptr(b, td));
		btf__add_func_param(b, "b", btf__add_ptr(b, td));
		btf__add_field(b, "cmp", btf__add_ptr(b, proto), 8 * (8 + 64), 0);
	}
	T_ASSERT(list > 0);
	T_EQ(load_built(b, log, sizeof(log)), 0);
	btf__free(b);
}

TEST(btf_load_sysfs_style_file)
{
	/* The kernel's BTF arrives from sysfs in pieces; skip when this machine has none. */
	struct sops_btf_opts opts = { .sz = sizeof(opts) };
	struct sops_btf *btf = NULL;

	if (access("/sys/kernel/btf/vmlinux", R_OK))
		T_SKIP("/sys/kernel/btf/vmlinux is not readable here");
	T_EQ(sops_btf__load_file("/sys/kernel/btf/vmlinux", &opts, &btf), 0);
	T_ASSERT(sops_btf__find(btf, "task_struct", BTF_KIND_STRUCT) > 0);
	sops_btf__free(btf);
}
