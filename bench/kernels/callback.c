/* SPDX-License-Identifier: MIT */
/*
 * callback.c - the one-line callback: return ctx[0] + 1, ctx being a u64 array.
 *
 * Measures the fixed cost of entering and leaving a program: the body is two
 * instructions, so what the table shows is call overhead (the native side is
 * called through a function pointer the compiler cannot see through; the
 * engines through their entry points). This is the shape of most struct_ops
 * callbacks.
 */
#define KNAME callback
#include "kernel.h"

uint64_t KERNEL_FN(uint8_t *mem, uint64_t len)
{
	const uint64_t *ctx = (const uint64_t *)mem;

	return ctx[0] + 1;
}
