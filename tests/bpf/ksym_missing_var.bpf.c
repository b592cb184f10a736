/* SPDX-License-Identifier: MIT */
/*
 * ksym_missing_var.bpf.c - a strong __ksym variable the host does not have:
 * load fails with libbpf's -ESRCH and its words.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern const int no_such_var __ksym;

SEC("syscall")
int read_missing(void *ctx)
{
	return no_such_var;
}
