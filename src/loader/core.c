/* SPDX-License-Identifier: MIT */
/*
 * core.c - CO-RE relocations.
 *
 * Open gap (issue 4): relocation against the target BTF is not in this build
 * yet. Instructions keep the compiler's values, which is right only when the
 * program was compiled against the host's own layout (the workflow of
 * docs/btf-and-programs.md: a header generated from the host's BTF) and wrong
 * when the host's layout has since changed. docs/btf-and-programs.md says so.
 */
#include "loader_internal.h"

int core_relocate(struct sops_object *obj, const struct sops_btf *host,
		  const struct sops_btf *const *mods, size_t mod_cnt)
{
	return 0;
}
