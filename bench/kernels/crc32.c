/* SPDX-License-Identifier: MIT */
/*
 * crc32.c - CRC-32 (IEEE, reflected, poly 0xEDB88320) computed bit by bit, no table.
 *
 * Measures byte loads, 32-bit ALU and masking in a tight inner loop of eight
 * steps per byte: the branch-free bit step (mask from the low bit) keeps it
 * pure data flow.
 */
#define KNAME crc32
#include "kernel.h"

uint64_t KERNEL_FN(uint8_t *mem, uint64_t len)
{
	uint32_t crc = 0xffffffffu;

	for (uint64_t i = 0; i < len; i++) {
		crc ^= mem[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return crc ^ 0xffffffffu;
}
