/* SPDX-License-Identifier: MIT */
/*
 * st_skel.bpf.c - global data for sops_map__mmaped() (tests/test_skel.c):
 * .bss, .data and .rodata variables a SEC("syscall") program reads and
 * writes, so the test sees whether host and program share the same bytes.
 */
#include "st_common.h"

char _license[] SEC("license") = "GPL";

int in_bss;              /* the host writes it after load */
int out_bss;             /* the program writes it */
int in_data = 5;         /* .data, set by the host before load */
const volatile int ro = 1; /* .rodata, set by the host before load */

SEC("syscall")
int skel_run(void *ctx)
{
	out_bss += 1;
	return in_bss + in_data * 10 + ro * 100;
}
