/* SPDX-License-Identifier: MIT */
/*
 * jit_blind.c - keys for constant blinding.
 *
 * With blinding on, no immediate of the bytecode appears verbatim in the
 * image: each is emitted as (imm ^ key) and xored with key at run time into
 * a scratch register (see blind_* in jit_x86.c). That defeats JIT spraying,
 * where attacker-chosen constants form useful instruction bytes. The key
 * must be unpredictable per image, so it comes from getrandom(); if the
 * kernel has no entropy to give (very early boot), the time stamp counter
 * and the address of a stack variable are mixed instead, which still varies
 * per image.
 */
#include <stdint.h>
#include <sys/random.h>
#include <time.h>

#include "jit.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

uint64_t jit_blind_key(void)
{
	uint64_t key = 0;

	if (getrandom(&key, sizeof(key), GRND_NONBLOCK) != (ssize_t)sizeof(key)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		key = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uintptr_t)&ts);
	}
	/* Keep both halves nonzero so 32-bit immediates are blinded too. */
	if (!(uint32_t)key)
		key |= 0x5a5a5a5aull;
	if (!(key >> 32))
		key |= 0xa5a5a5a5ull << 32;
	return key;
}
