/* SPDX-License-Identifier: MIT */
/*
 * add_loop.c - a dependent-add loop: len iterations of a chain of adds and a shift.
 *
 * Measures raw dispatch cost: each iteration is a handful of ALU instructions,
 * each depending on the last, plus the loop compare and branch. The shift
 * keeps compilers from turning the loop into a closed form. mem is unused.
 */
#define KNAME add_loop
#include "kernel.h"

uint64_t KERNEL_FN(uint8_t *mem, uint64_t len)
{
	uint64_t acc = 1;

	for (uint64_t i = 0; i < len; i++)
		acc = acc + (acc >> 5) + i;
	return acc;
}
