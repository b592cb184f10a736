/* SPDX-License-Identifier: MIT */
/*
 * sort.c - insertion sort of SORT_N u32, then a position-weighted checksum.
 *
 * mem holds the input (SORT_N u32) followed by a scratch area of the same
 * size. Each run copies the input into the scratch area and sorts that, so
 * every run does the same work however often it repeats. Measures 32-bit loads
 * and stores, data-dependent branches and a nested loop. Returns 0 when len is
 * too short for input and scratch.
 */
#define KNAME sort
#include "kernel.h"

#define SORT_N 128

uint64_t KERNEL_FN(uint8_t *mem, uint64_t len)
{
	const uint32_t *in = (const uint32_t *)mem;
	uint32_t *a = (uint32_t *)mem + SORT_N;
	uint64_t sum = 0;

	if (len < 2 * SORT_N * sizeof(uint32_t))
		return 0;
	for (int i = 0; i < SORT_N; i++)
		a[i] = in[i];
	for (int i = 1; i < SORT_N; i++) {
		uint32_t v = a[i];
		int j = i;

		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
	/* Weighted by position, so a wrong order changes the result. */
	for (int i = 0; i < SORT_N; i++)
		sum += (uint64_t)a[i] * (uint64_t)(i + 1);
	return sum;
}
