/* SPDX-License-Identifier: MIT */
/*
 * loader_main.bpf.c - the loader tests' main BPF object: everything but CO-RE.
 *
 * Several programs per section, .text subprograms called from several
 * sections, global data in .data/.rodata/.bss/.data.NAME and .rodata.NAME, BTF-defined
 * maps, a __ksym kfunc, the license, and struct_ops maps in .struct_ops,
 * .struct_ops.link and their `?` variants. host.h is the test host's BTF
 * printed by `structops btf dump --format c`. tests/test_loader*.c assert on
 * the result of loading it.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include "host.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u32);
	__type(value, u64);
	__uint(max_entries, 128);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} hmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 24);
	__uint(max_entries, 4);
} amap SEC(".maps");

int data_var = 7;
const volatile int ro_var = 11;
u64 bss_var;
u64 bss_arr[4];
int custom_var SEC(".data.custom") = 3;
const volatile int ro_custom SEC(".rodata.custom") = 5;

static __noinline int helper_sub(int x)
{
	return x * 2 + data_var;
}

__noinline int global_sub(int x)
{
	bss_arr[1] = x;
	return x + ro_custom;
}

SEC("struct_ops/op_a")
int BPF_PROG(op_a_impl, int x)
{
	return helper_sub(x) + ro_var;
}

SEC("struct_ops/op_a")
int BPF_PROG(op_a_alt, int x)
{
	return global_sub(x) + custom_var;
}

SEC("struct_ops/op_b")
u64 BPF_PROG(op_b_impl, struct sops_test_ctx *c, int y)
{
	u32 k = y;
	u64 *v = bpf_map_lookup_elem(&hmap, &k);

	bss_var++;
	return (v ? *v : 0) + c->key + sops_test_kfunc(1, 2) + helper_sub(y);
}

SEC("struct_ops.s/init")
int BPF_PROG(init_impl)
{
	return global_sub(0);
}

SEC("struct_ops/extra")
u64 BPF_PROG(extra_impl, u64 a, u64 b)
{
	void *v = bpf_map_lookup_elem(&amap, &(u32){ 0 });

	return a + b + (v ? 1 : 0);
}

SEC("struct_ops/unused")
int BPF_PROG(unused_impl, int x)
{
	return x;
}

SEC("syscall")
int sys_prog(void *ctx)
{
	return helper_sub(1) + global_sub(2);
}

SEC(".struct_ops")
struct sops_test_ops ops1 = {
	.init = (void *)init_impl,
	.op_a = (void *)op_a_impl,
	.op_b = (void *)op_b_impl,
	.scalar = 42,
	.name = "one",
};

SEC(".struct_ops.link")
struct sops_test_ops ops_link = {
	.op_a = (void *)op_a_alt,
	.extra = (void *)extra_impl,
	.scalar = 5,
};

SEC("?.struct_ops")
struct sops_test_ops2 ops_opt = {
	.op = (void *)unused_impl,
	.pad = 9,
};

SEC("?.struct_ops.link")
struct sops_test_ops ops_link_opt = {
	.op_a = (void *)op_a_impl,
};
