/* SPDX-License-Identifier: MIT */
/*
 * test_btf_depth.c - BTF validation against reference chains that would
 * exhaust a recursive walker's stack (libbpf's btf_dump among them).
 *
 * The hostile BTF is built in memory with libbpf's btf__add_* API, serialized
 * and loaded through sops_btf__load_mem(), which must refuse it with -EINVAL
 * and a message, while ordinary self-referencing structs stay valid.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/btf.h>
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

TEST(btf_depth_pointer_chain_rejected)
{
	struct btf *b = btf__new_empty();
	char log[256] = "";
	int id;

	T_ASSERT(b);
	id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	for (int i = 0; i < 20000; i++)
		id = btf__add_ptr(b, id); /* int ************...: 20000 levels */
	T_EQ(load_built(b, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "deeper than"));
	btf__free(b);
}

TEST(btf_depth_typedef_and_proto_chain_rejected)
{
	struct btf *b = btf__new_empty();
	char log[256] = "";
	int id;

	T_ASSERT(b);
	id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	for (int i = 0; i < 5000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "t%d", i);
		id = btf__add_func_proto(b, id); /* returns the previous level */
		id = btf__add_typedef(b, name, btf__add_ptr(b, id));
	}
	T_EQ(load_built(b, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "deeper than"));
	btf__free(b);
}

TEST(btf_depth_pointer_loop_rejected)
{
	struct btf *b = btf__new_empty();
	char log[256] = "";
	int ptr, td;

	T_ASSERT(b);
	/* typedef T *T: a loop with no named struct to stop at */
	ptr = btf__add_ptr(b, 2);
	td = btf__add_typedef(b, "T", ptr);
	T_EQ(td, 2);
	T_EQ(load_built(b, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "refers to itself"));
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
