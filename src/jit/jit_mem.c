/* SPDX-License-Identifier: MIT */
/*
 * jit_mem.c - executable memory for JIT images.
 *
 * An image is written while its pages are read+write and only then turned
 * read+exec (W^X): no page is ever writable and executable at once, so a
 * stray write can never plant code. Each image has its own mapping, which
 * keeps freeing trivial (munmap) and leaves no shared allocator state.
 *
 * Placement: helpers and kfuncs are called directly (call rel32) when the
 * whole image lies within +-2 GiB of the target. The caller passes a target
 * as @near; we ask the kernel for an address a little below it. It is only
 * a hint (no MAP_FIXED): if that range is taken, the kernel picks another
 * address and the translator falls back to indirect calls.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jit.h"

/* How far below the hint target to ask for the image: well inside rel32 reach. */
#define JIT_NEAR_GAP (256ul << 20)

size_t jit_mem_round(size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (size + pg - 1) & ~(pg - 1);
}

void *jit_mem_alloc(size_t size, const void *near)
{
	void *hint = NULL, *mem;

	if (near && (uintptr_t)near > JIT_NEAR_GAP + (1ul << 32))
		hint = (void *)(((uintptr_t)near - JIT_NEAR_GAP) & ~(uintptr_t)0xffff);
	mem = mmap(hint, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
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
