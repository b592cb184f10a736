/* SPDX-License-Identifier: MIT */
/*
 * btf_internal.h - BTF helpers shared by src/btf and src/loader (internal).
 *
 * struct sops_btf wraps a libbpf struct btf. Everything that walks BTF from an
 * untrusted file first runs btf_validate(), which guarantees that every type id
 * a type refers to exists, every name offset resolves, and no chain of by-value
 * references (typedef, modifiers, arrays, members, vars) loops; the walkers
 * below may then follow references without further checks except depth limits.
 */
#ifndef SOPS_BTF_INTERNAL_H
#define SOPS_BTF_INTERNAL_H

#include <bpf/btf.h>
#include <linux/btf.h>

#include <structops/btf.h>

#include "util/log.h"

struct sops_btf {
	struct btf *btf;
	const struct sops_btf *base;
};

/* Check @btf's own types (ids from its base's count); see above. 0 or -EINVAL. */
int btf_validate(const struct btf *btf, struct sops_log *log);

/*
 * Put back what pahole leaves out of C11 hosts' BTF (btf_repair.c): C11
 * atomic typedefs of void get their integer types, members of type 0 become
 * SOPS_BTF_UNTYPED_PREFIX "N" (N-byte arrays). Returns how many were
 * repaired or -ENOMEM. Run before btf_validate().
 */
#define SOPS_BTF_UNTYPED_PREFIX "__sops_untyped_"
int btf_repair_untyped(struct btf *btf);

/* Wrap an already validated libbpf btf (ownership moves). NULL on -ENOMEM (btf freed). */
struct sops_btf *btf_wrap(struct btf *btf, const struct sops_btf *base);

/* Parse @size bytes of raw BTF (copied) on @base (may be NULL), then validate. */
int btf_parse_raw(const void *data, size_t size, const struct sops_btf *base, struct sops_log *log,
		  struct sops_btf **out);

/* The first type id @btf itself holds: 1, or its base's type count for split BTF. */
static inline __u32 btf_first_own_id(const struct btf *btf)
{
	const struct btf *base = btf__base_btf(btf);

	return base ? btf__type_cnt(base) : 1;
}

/* Follow typedefs and modifiers (const, volatile, restrict, type tags) from @id. */
const struct btf_type *btf_skip_mods(const struct btf *btf, __u32 id, __u32 *res_id);

/* The name of @t, "" when anonymous or when the offset does not resolve. */
const char *btf_name(const struct btf *btf, const struct btf_type *t);

/* Name of a BTF kind ("STRUCT", ...) or "UNKNOWN". */
const char *btf_kind_str(const struct btf_type *t);

/* The function pointer's prototype when @id (modifiers skipped) is one, else NULL. */
const struct btf_type *btf_func_ptr_proto(const struct btf *btf, __u32 id);

#endif /* SOPS_BTF_INTERNAL_H */
