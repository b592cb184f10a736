/* SPDX-License-Identifier: MIT */
/*
 * structops/btf.h - BTF, the type information of hosts, modules and BPF objects.
 *
 * A host application describes its types the way the kernel does: with BTF made
 * by pahole from its DWARF (docs/btf-and-programs.md). structops reads that BTF
 * through libbpf's BTF API (struct btf from <bpf/btf.h>) and adds what it
 * needs on top: loading from a file, from memory or from the .BTF section of
 * an ELF file (the host's own executable, a module's shared object), split BTF
 * of a module on top of its host's, a validation pass that makes hostile input
 * safe to walk, and the two dumps of `structops btf dump`.
 *
 * A struct sops_btf owns its libbpf struct btf; sops_btf__libbpf() hands it out
 * for direct use with libbpf's btf__*() functions.
 *
 * Thread safety: a sops_btf is immutable after loading; any number of threads
 * may read it at once. Loading and freeing touch no shared state.
 */
#ifndef STRUCTOPS_BTF_H
#define STRUCTOPS_BTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "insn.h"

#ifdef __cplusplus
extern "C" {
#endif

struct btf; /* libbpf's, <bpf/btf.h> */
struct sops_btf;

/* Options of the sops_btf__load_*() functions. Zero-initialize, set sz. */
struct sops_btf_opts {
	size_t sz;
	/* Load split BTF on top of this base (a module's BTF on its host's). */
	const struct sops_btf *base;
	/* On failure, a NUL-terminated message naming the problem. */
	char *log_buf;
	size_t log_size;
};
#define sops_btf_opts__last_field log_size

/*
 * sops_btf__load_file - load BTF from @path: a raw BTF file (pahole
 * --btf_encode_detached) or an ELF file with a .BTF section (the format is
 * recognized by its magic). "-" is not accepted.
 *
 * Returns 0 and *@btf, or a negative errno: -ENOENT and the like from opening
 * the file, -ENODATA for an ELF file without .BTF, -EINVAL for malformed BTF
 * (bad header, offsets, sizes, type ids or reference loops), -ENOMEM.
 * Thread-safe.
 */
SOPS_API int sops_btf__load_file(const char *path, const struct sops_btf_opts *opts,
				 struct sops_btf **btf);

/*
 * sops_btf__load_mem - the same from @size bytes at @data (raw BTF or an ELF
 * image); the bytes are copied. Thread-safe.
 */
SOPS_API int sops_btf__load_mem(const void *data, size_t size, const struct sops_btf_opts *opts,
				struct sops_btf **btf);

/*
 * sops_btf__load_self - the .BTF section of the running executable
 * (/proc/self/exe), for a host that embedded its BTF with objcopy.
 * Thread-safe.
 */
SOPS_API int sops_btf__load_self(const struct sops_btf_opts *opts, struct sops_btf **btf);

/* sops_btf__free - release @btf (NULL is fine). Split BTF loaded on it must go first. */
SOPS_API void sops_btf__free(struct sops_btf *btf);

/* The libbpf struct btf inside @btf, valid until sops_btf__free(). Thread-safe. */
SOPS_API const struct btf *sops_btf__libbpf(const struct sops_btf *btf);

/* The base @btf was loaded on, or NULL. Thread-safe. */
SOPS_API const struct sops_btf *sops_btf__base(const struct sops_btf *btf);

/*
 * sops_btf__find - the id of the type named @name of BTF kind @kind
 * (BTF_KIND_STRUCT etc. from <linux/btf.h>; split BTF searches its base too).
 * Returns the id or -ENOENT. Thread-safe.
 */
SOPS_API int sops_btf__find(const struct sops_btf *btf, const char *name, int kind);

/* Format of sops_btf__dump(). */
enum sops_btf_dump_format {
	SOPS_BTF_DUMP_RAW = 0, /* one line per type, bpftool's "format raw" */
	SOPS_BTF_DUMP_C = 1,   /* a C header for BPF programs, like vmlinux.h */
};

/*
 * The most output sops_btf__dump() writes for BTF of @size bytes (its own
 * plus its base's): a few hundred bytes of C per type record, never a
 * BTF that expands (huge padding gaps, anonymous types inlined many times).
 */
#define SOPS_BTF_DUMP_MAX(size) (64 * (size_t)(size) + ((size_t)1 << 20))

/*
 * sops_btf__dump - print @btf to @out. For split BTF only its own types are
 * listed (raw) or declared (C; base types they use are declared too).
 * Returns 0 or a negative errno: -E2BIG when the output would exceed
 * SOPS_BTF_DUMP_MAX (a C dump is refused before anything is written; a raw
 * dump stops at the limit). Thread-safe for distinct @out.
 */
SOPS_API int sops_btf__dump(const struct sops_btf *btf, enum sops_btf_dump_format format, FILE *out);

/* Options of sops_btf__dump_opts(). Zero-initialize, set sz. */
struct sops_btf_dump_opts {
	size_t sz;
	enum sops_btf_dump_format format;
	/*
	 * C format: the functions to declare as `extern ... __weak __ksym`
	 * kfuncs, by name, NULL-terminated: the ones the host registers with
	 * sops_runtime__register_kfunc(). Each must be a FUNC of the BTF's own
	 * types (-ENOENT otherwise). FUNCs carrying a `bpf_kfunc` decl tag are
	 * declared too. Other functions are not: the header then says how to
	 * get them. NULL: only the tagged ones. Must be NULL for the raw format.
	 */
	const char *const *kfuncs;
	/* One message naming the problem when the dump fails. */
	char *log_buf;
	size_t log_size;
};
#define sops_btf_dump_opts__last_field log_size

/*
 * sops_btf__dump_opts - sops_btf__dump() with options (@opts may be NULL: raw
 * format). Errors as sops_btf__dump(), plus -ENOENT for a kfunc name that is
 * not a function of @btf and -EINVAL for kfuncs with the raw format; both
 * are reported before anything is written. Thread-safe for distinct @out.
 */
SOPS_API int sops_btf__dump_opts(const struct sops_btf *btf, FILE *out,
				 const struct sops_btf_dump_opts *opts);

#ifdef __cplusplus
}
#endif
#endif /* STRUCTOPS_BTF_H */
