/* SPDX-License-Identifier: MIT */
/*
 * jit_mem.c - executable memory for JIT images.
 *
 * An image is written while its pages are read+write and only then turned
 * read+exec (W^X): no page is ever writable and executable at once, so a
 * stray write can never plant code. Each image has its own mapping, which
 * keeps freeing trivial (munmap) and leaves no shared allocator state.
 *
 * Placement: images go a little below @near (a helper the image calls, or
 * the library's own text), for two reasons. Helpers and kfuncs are called
 * directly (call rel32) when the whole image lies within +-2 GiB of the
 * target. And on the x86 cores we measured, an indirect call whose target is
 * more than 4 GiB away from the caller costs about 0.7 ns more than a near
 * one (2.0 vs 1.35 ns for a one-line function, the same bytes at both
 * places): callers in this library and in a host that links it statically
 * reach a near image at native speed.
 *
 * A plain mmap hint is honoured only when exactly that range is free, so a
 * second image asking for the same place would land far away. Each image
 * instead probes a few pseudo-random page-aligned spots in a window below
 * @near with MAP_FIXED_NOREPLACE (which never replaces a mapping; kernels
 * before 4.17 treat it as a hint, and a reply elsewhere is given back), then
 * takes any address. No state is kept between calls. A target in the low
 * 4.5 GiB (a non-PIE executable) leaves no room below: any address then.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "jit.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The window below @near that images are placed in: well inside rel32 reach. */
#define JIT_NEAR_MIN (32ul << 20)
#define JIT_NEAR_SPAN (448ul << 20)
#define JIT_NEAR_TRIES 8

size_t jit_mem_round(size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (size + pg - 1) & ~(pg - 1);
}

/* A mapping of @size bytes exactly at @at, or NULL when that range is taken. */
static void *map_at(uintptr_t at, size_t size)
{
	void *mem = mmap((void *)at, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0);

	if (mem == MAP_FAILED)
		return NULL;
	if ((uintptr_t)mem != at) { /* an old kernel took the flag as a hint */
		munmap(mem, size);
		return NULL;
	}
	return mem;
}

void *jit_mem_alloc(size_t size, const void *near)
{
	uintptr_t top = (uintptr_t)near, pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	struct timespec ts;
	uint64_t x;
	void *mem;

	/* Stateless spread: the clock and the call's own stack address pick the spots. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = ((uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&ts ^ size) | 1;
	for (int i = 0; near && top > JIT_NEAR_MIN + JIT_NEAR_SPAN + size + (1ul << 32) && i < JIT_NEAR_TRIES; i++) {
		uintptr_t below;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		below = JIT_NEAR_MIN + (uintptr_t)(x % JIT_NEAR_SPAN) + size;
		mem = map_at((top - below) & ~(pg - 1), size);
		if (mem)
			return mem;
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return mem == MAP_FAILED ? NULL : mem;
}

int jit_mem_seal(void *mem, size_t size)
{
	return mprotect(mem, size, PROT_READ | PROT_EXEC) ? -errno : 0;
}

/* Give back the pages past @used (the mapping was sized for the worst case); returns the bytes still mapped. */
size_t jit_mem_trim(void *mem, size_t mapped, size_t used)
{
	size_t keep = jit_mem_round(used ? used : 1);

	if (keep >= mapped)
		return mapped;
	munmap((uint8_t *)mem + keep, mapped - keep);
	return keep;
}

void jit_mem_free(void *mem, size_t size)
{
	if (mem)
		munmap(mem, size);
}
