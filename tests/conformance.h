/* SPDX-License-Identifier: MIT */
/*
 * conformance.h - reading bpf_conformance .data files (test support).
 *
 * The format is described in ../shared/conformance/README.md, section 1. The
 * in-process runner (test_conformance.c) and the plugin-protocol driver
 * (test_plugin.c) both use this reader.
 */
#ifndef SOPS_TESTS_CONFORMANCE_H
#define SOPS_TESTS_CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>

#include <structops/insn.h>

struct conf_test {
	char name[256];
	char *asm_text;      /* the asm section, one statement a line */
	uint8_t *mem;        /* the mem section, or NULL */
	size_t mem_len;
	struct sops_insn *raw; /* the raw section (overrides asm), or NULL */
	size_t raw_cnt;
	uint64_t result;
	int has_result;
};

/* The folder of .data files: $STRUCTOPS_CONFORMANCE_DIR or ../shared/conformance/tests. */
const char *conf_dir(void);

/* Sorted names of the .data files in @dir. Returns the count (names: free with conf_free_names), or -errno. */
int conf_list(const char *dir, char ***names);
void conf_free_names(char **names, int cnt);

/* Parse one file. Returns 0 or -errno; conf_test_free() releases it. */
int conf_parse(const char *path, struct conf_test *t);
void conf_test_free(struct conf_test *t);

/* Assemble (or take the raw section of) a test. Returns 0 and a malloc'd array, or -errno. */
int conf_program(const struct conf_test *t, struct sops_insn **insns, size_t *cnt, char *err,
		 size_t err_size);

#endif /* SOPS_TESTS_CONFORMANCE_H */
