/* SPDX-License-Identifier: MIT */
/*
 * grow.h - room in a growable array (internal; shared by the assembler and
 * the load-time rewrite of map lookups). Capacity doubles, starting at 16.
 */
#ifndef SOPS_UTIL_GROW_H
#define SOPS_UTIL_GROW_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * Make room for @more items of @elem_size bytes after the @cnt in use in
 * *@arr (capacity *@cap). -ENOMEM, with the array untouched, when that
 * cannot be allocated or its size would overflow.
 */
static inline int util_grow(void **arr, size_t *cap, size_t cnt, size_t more, size_t elem_size)
{
	size_t new_cap;
	void *p;

	if (more > SIZE_MAX - cnt)
		return -ENOMEM;
	if (cnt + more <= *cap)
		return 0;
	new_cap = *cap ? *cap : 16;
	while (new_cap < cnt + more) {
		if (new_cap > SIZE_MAX / 2 / elem_size)
			return -ENOMEM;
		new_cap *= 2;
	}
	p = realloc(*arr, new_cap * elem_size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = new_cap;
	return 0;
}

#endif /* SOPS_UTIL_GROW_H */
