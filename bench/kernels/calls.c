/* SPDX-License-Identifier: MIT */
/*
 * calls.c - bpf-to-bpf calls: a loop calling a small noinline function len times.
 *
 * Measures the cost of a call and return (a new 512-byte frame, r6-r9 kept)
 * relative to a tiny body. The helper lives in the kernel's section, after the
 * entry, so the BPF call is pc-relative and needs no relocation.
 */
#define KNAME calls
#include "kernel.h"

KHELPER uint64_t calls_step(uint64_t acc, uint64_t i);

uint64_t KERNEL_FN(uint8_t *mem, uint64_t len)
{
	uint64_t acc = 1;

	for (uint64_t i = 0; i < len; i++)
		acc = calls_step(acc, i);
	return acc;
}

KHELPER uint64_t calls_step(uint64_t acc, uint64_t i)
{
	return (acc ^ i) * 31 + (acc >> 7);
}
