/* SPDX-License-Identifier: MIT */
/*
 * opts.h - libbpf-style options structs with a leading size field (internal).
 *
 * A caller compiled against an older header passes a smaller sz; one compiled
 * against a newer header may pass a larger sz, which is accepted only if every
 * byte this library does not know is zero. Reading a field the caller's struct
 * does not have yields the default.
 */
#ifndef SOPS_UTIL_OPTS_H
#define SOPS_UTIL_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#define offsetofend(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

static inline bool opts_tail_zero(const void *opts, size_t known, size_t given)
{
	const unsigned char *p = opts;

	for (size_t i = known; i < given; i++)
		if (p[i])
			return false;
	return true;
}

/* Whether @opts (may be NULL) of @type is acceptable. */
#define OPTS_VALID(opts, type)                                                                     \
	(!(opts) || ((opts)->sz >= sizeof(size_t) &&                                              \
		     opts_tail_zero((opts), offsetofend(struct type, type##__last_field), (opts)->sz)))

#define OPTS_HAS(opts, field)                                                                      \
	((opts) && (opts)->sz >= offsetofend(__typeof__(*(opts)), field))
#define OPTS_GET(opts, field, def) (OPTS_HAS(opts, field) ? (opts)->field : (def))
#define OPTS_SET(opts, field, val)                                                                 \
	do {                                                                                       \
		if (OPTS_HAS(opts, field))                                                         \
			(opts)->field = (val);                                                     \
	} while (0)

#endif /* SOPS_UTIL_OPTS_H */
