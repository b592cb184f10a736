/* SPDX-License-Identifier: MIT */
/*
 * ksym_missing_func.bpf.c - a strong __ksym kfunc the host does not have,
 * next to a weak one (which becomes libbpf's poison call): load fails with
 * libbpf's -ESRCH and its words, naming the strong one.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern int no_such_kfunc(int x) __ksym;
extern int no_such_weak_kfunc(int x) __ksym __weak;

SEC("syscall")
int call_missing(void *ctx)
{
	if (no_such_weak_kfunc)
		return no_such_weak_kfunc(1);
	return no_such_kfunc(2);
}
