/* SPDX-License-Identifier: MIT */
/*
 * fnv1a.c - 64-bit FNV-1a hash over the buffer.
 *
 * Measures a load-xor-multiply chain per byte: one 64-bit multiply by a
 * constant that needs a 64-bit immediate (lddw on the BPF side).
 */
#define KNAME fnv1a
#include "kernel.h"

uint64_t KERNEL_FN(uint8_t *mem, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint64_t i = 0; i < len; i++) {
		h ^= mem[i];
		h *= 0x100000001b3ull;
	}
	return h;
}
