/* SPDX-License-Identifier: MIT */
/*
 * structops/object.h - BPF objects built by clang: open, inspect, adjust, load.
 *
 * The libbpf object model for userspace: a struct sops_object is one ELF file
 * from `clang -target bpf` (libbpf conventions: SEC(), BTF-defined maps,
 * global data, __ksym, CO-RE, .struct_ops); its programs and maps are
 * iterated and adjusted between open and load as with libbpf's bpf_object.
 *
 * Open parses the ELF (libelf) and the object's BTF (libbpf's BTF API):
 * programs by section (struct_ops, struct_ops.s, syscall; .text functions are
 * subprograms), maps (.maps, global data sections, .struct_ops*), relocation
 * records, .BTF.ext func/line info and CO-RE records. Load resolves all of it
 * against a host BTF (and module BTFs) and produces final instructions:
 *
 *   - bpf-to-bpf calls: subprograms are appended after each program that
 *     calls them, call imm = slot distance (src_reg SOPS_CALL_LOCAL);
 *     lddw of a function: src_reg SOPS_LD_IMM64_FUNC, imm = slot distance.
 *   - lddw of a map: src_reg SOPS_LD_IMM64_MAP_IDX, imm = sops_map__index(),
 *     or, when the load ops create maps, SOPS_LD_IMM64_MAP_FD, imm = handle.
 *   - lddw of global data: src_reg SOPS_LD_IMM64_MAP_IDX_VALUE (or
 *     SOPS_LD_IMM64_MAP_VALUE with a handle), imm as above, the second slot's
 *     imm = byte offset into the map value.
 *   - kfunc calls: src_reg SOPS_CALL_KFUNC, imm = the function's BTF id,
 *     off = 0 for the host BTF, i + 1 for load_opts.module_btfs[i].
 *   - CO-RE: the patched immediates/offsets; an instruction whose relocation
 *     cannot be resolved becomes `call 0xbad2310` (libbpf's poison).
 *
 * Thread safety: an object and its programs and maps belong to one thread at
 * a time (no internal locking); distinct objects are independent.
 */
#ifndef STRUCTOPS_OBJECT_H
#define STRUCTOPS_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btf.h"
#include "insn.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sops_object;
struct sops_program;
struct sops_runtime;
struct sops_map;

/* Program types (the kernel's enum bpf_prog_type values). */
enum sops_prog_type {
	SOPS_PROG_TYPE_UNSPEC = 0,
	SOPS_PROG_TYPE_STRUCT_OPS = 27,
	SOPS_PROG_TYPE_SYSCALL = 31,
};

/* Map types used by objects (the kernel's enum bpf_map_type values). */
enum sops_map_type_id {
	SOPS_MAP_TYPE_HASH = 1,
	SOPS_MAP_TYPE_ARRAY = 2,
	SOPS_MAP_TYPE_STRUCT_OPS = 26,
};

/*
 * libbpf's own error codes, returned (negated) where libbpf returns them:
 * a struct_ops relocation against a symbol outside a program section
 * (RELOC) or not at an instruction boundary (FORMAT).
 */
#define SOPS_ERRNO__RELOC 4002
#define SOPS_ERRNO__FORMAT 4003

/* Program flag (the kernel's BPF_F_SLEEPABLE) and struct_ops map flag (BPF_F_LINK). */
#define SOPS_F_SLEEPABLE (1u << 4)
#define SOPS_F_LINK (1u << 13)

/* What a map is to the object. */
enum sops_map_kind {
	SOPS_MAP_USER = 0,       /* BTF-defined map in .maps */
	SOPS_MAP_DATA,           /* .data, .data.NAME */
	SOPS_MAP_RODATA,         /* .rodata, .rodata.NAME */
	SOPS_MAP_BSS,            /* .bss */
	SOPS_MAP_STRUCT_OPS_VAR, /* a variable in .struct_ops[.link] */
	SOPS_MAP_KCONFIG,        /* __kconfig externs ("<obj>.kconfig", read-only) */
};

/* Options of sops_object__open_*(). Zero-initialize, set sz. */
struct sops_object_open_opts {
	size_t sz;
	/* Object name (prefix of global data map names); default: file name up to its first '.'. */
	const char *object_name;
	/* On failure, a NUL-terminated message naming the problem. */
	char *log_buf;
	size_t log_size;
	/*
	 * Values of __kconfig externs, as libbpf's open option `kconfig`: Kconfig
	 * lines "CONFIG_NAME=value" (y, n, m; integers, decimal, 0x hex or 0
	 * octal; "quoted strings"), separated by newlines; other lines and names
	 * the object does not use are ignored. They take precedence over
	 * structops' defaults (CONFIG_HZ=1000; LINUX_KERNEL_VERSION from uname,
	 * LINUX_HAS_BPF_COOKIE and LINUX_HAS_SYSCALL_WRAPPER false, which the
	 * text cannot change). Parsed at load; the text is copied at open. NULL:
	 * the defaults only (the system's Kconfig is never read).
	 */
	const char *kconfig;
};
#define sops_object_open_opts__last_field kconfig

/*
 * sops_object__open_file / sops_object__open_mem - parse a BPF ELF object.
 *
 * Returns 0 and *@obj, or a negative errno with a message in opts->log_buf:
 * -EINVAL malformed ELF/BTF/relocations (the message names the section and
 * offset), -ENOTSUP (= -EOPNOTSUPP) unsupported features (anonymous struct_ops
 * type, unknown map fields, a __kconfig extern of a type other than bool,
 * char, integer, enum libbpf_tristate or char array), -ENOMEM, or an open(2)
 * error. open_mem copies @data (and opts->kconfig). Thread-safe (no shared
 * state).
 */
SOPS_API int sops_object__open_file(const char *path, const struct sops_object_open_opts *opts,
				    struct sops_object **obj);
SOPS_API int sops_object__open_mem(const void *data, size_t size,
				   const struct sops_object_open_opts *opts, struct sops_object **obj);

/*
 * sops_object__close - free @obj and its programs and maps (NULL is fine).
 * An object loaded into a runtime (.runtime) also closes its handles there,
 * as libbpf closes its fds: maps and programs nothing else holds (links,
 * registrations, other handles, programs using a map) are freed.
 */
SOPS_API void sops_object__close(struct sops_object *obj);

/* The object's name, its license string ("" when none), its BTF (NULL when none). */
SOPS_API const char *sops_object__name(const struct sops_object *obj);
SOPS_API const char *sops_object__license(const struct sops_object *obj);
SOPS_API const struct sops_btf *sops_object__btf(const struct sops_object *obj);

/* Iterate programs/maps in object order: pass NULL first, then the previous one. */
SOPS_API struct sops_program *sops_object__next_program(const struct sops_object *obj,
							 const struct sops_program *prev);
SOPS_API struct sops_map *sops_object__next_map(const struct sops_object *obj,
						 const struct sops_map *prev);
/* Find by name; NULL when absent. */
SOPS_API struct sops_program *sops_object__find_program_by_name(const struct sops_object *obj,
								 const char *name);
SOPS_API struct sops_map *sops_object__find_map_by_name(const struct sops_object *obj,
							 const char *name);

/*
 * Callbacks through which load hands maps and programs to a runtime. Each
 * returns a handle (>= 0) or a negative errno that fails the load. Maps are
 * created first (a struct_ops map sees its kernel value image, program slots
 * still empty), then programs are loaded with their final instructions, then
 * the handles of the programs are written into the struct_ops images. Any
 * callback may be NULL: then handles stay -1 and relocations use map indexes.
 */
struct sops_object_load_ops {
	void *ctx;
	int (*create_map)(void *ctx, struct sops_map *map);
	int (*load_prog)(void *ctx, struct sops_program *prog);
};

/* Options of sops_object__load(). Zero-initialize, set sz. */
struct sops_object_load_opts {
	size_t sz;
	/* The host's BTF: struct_ops types, kfuncs, CO-RE target. */
	const struct sops_btf *host_btf;
	/* Modules' BTF (split on host_btf or standalone), searched after the host's. */
	const struct sops_btf *const *module_btfs;
	size_t module_btf_cnt;
	const struct sops_object_load_ops *ops;
	char *log_buf;
	size_t log_size;
	/*
	 * Load into this runtime (struct_ops.h): with no @ops the library creates
	 * the maps and loads the programs there itself; host_btf/module_btfs
	 * default to the runtime's. NULL: the callbacks above only.
	 */
	struct sops_runtime *runtime;
};
#define sops_object_load_opts__last_field runtime

/*
 * sops_object__load - resolve and relocate everything (libbpf's load order,
 * spec section 5.2), then hand maps and programs to opts->ops.
 * Messages use libbpf's words where libbpf has one for the case ("prog
 * 'p': failed to load: -EINVAL", "map 'm': failed to create: -EINVAL",
 * "extern (func ksym) 'f': not found in kernel or module BTFs", the
 * "struct_ops init_kern" ones), often with structops' detail appended.
 *
 * Returns 0, or a negative errno with a message: -ESRCH (a struct_ops type
 * not found in any BTF), -ENOTSUP (struct_ops member rules), -EINVAL (bad
 * relocation, program reuse, unreferenced struct_ops program, missing
 * host BTF, a used map whose autocreate is off), -ESRCH (a strong __ksym
 * function or variable not in any BTF, as libbpf), -ENOENT (an extern
 * without BTF), -EBUSY (loaded already),
 * or a callback's error. __kconfig externs: -ESRCH for a strong one no value
 * was given for, -EINVAL for an unparsable line, a value that does not suit
 * the extern's type or an unknown LINUX_* one, -ERANGE for a number too
 * large for it. Not thread-safe for one object.
 */
SOPS_API int sops_object__load(struct sops_object *obj, const struct sops_object_load_opts *opts);

/* Programs. All getters are thread-safe while nobody modifies the object. */
SOPS_API const char *sops_program__name(const struct sops_program *prog);
SOPS_API const char *sops_program__section_name(const struct sops_program *prog);
SOPS_API enum sops_prog_type sops_program__type(const struct sops_program *prog);
/* Program flags: SOPS_F_SLEEPABLE for struct_ops.s programs. */
SOPS_API uint32_t sops_program__flags(const struct sops_program *prog);
SOPS_API bool sops_program__autoload(const struct sops_program *prog);
/* -EBUSY after load. */
SOPS_API int sops_program__set_autoload(struct sops_program *prog, bool autoload);
/*
 * Relocations load applied to @prog's instructions: map, global-data,
 * subprogram and kfunc relocations, and separately CO-RE relocations. Both are
 * 0 before load. Thread-safe (reads only).
 */
SOPS_API size_t sops_program__relocs_applied(const struct sops_program *prog);
SOPS_API size_t sops_program__core_relocs(const struct sops_program *prog);

/* Instructions: the program's own before load; after load the final ones (subprograms appended). */
SOPS_API const struct sops_insn *sops_program__insns(const struct sops_program *prog);
SOPS_API size_t sops_program__insn_cnt(const struct sops_program *prog);
/*
 * struct_ops attachment, set at load: the host BTF id of the struct type,
 * the member index (the kernel's expected_attach_type), the BTF it is in
 * (0: host, i + 1: module_btfs[i]) and the member's name. 0 / NULL before.
 */
SOPS_API uint32_t sops_program__attach_btf_id(const struct sops_program *prog);
SOPS_API uint32_t sops_program__expected_attach_type(const struct sops_program *prog);
SOPS_API int sops_program__attach_btf_obj(const struct sops_program *prog);
SOPS_API const char *sops_program__attach_member(const struct sops_program *prog);
/* The handle load_prog returned, or -1. */
SOPS_API int sops_program__handle(const struct sops_program *prog);

/*
 * BTF.ext records of the final instructions (valid after load; before load,
 * of the program's own instructions): func_info (insn_off, type_id in the
 * object's BTF) and line_info (insn_off, file and line text, line, column).
 */
struct sops_func_info {
	uint32_t insn_off;
	uint32_t type_id;
};
struct sops_line_info {
	uint32_t insn_off;
	const char *file;
	const char *line;
	uint32_t line_num;
	uint32_t line_col;
};
SOPS_API const struct sops_func_info *sops_program__func_info(const struct sops_program *prog,
							      size_t *cnt);
SOPS_API const struct sops_line_info *sops_program__line_info(const struct sops_program *prog,
							      size_t *cnt);

/* Maps. */
SOPS_API const char *sops_map__name(const struct sops_map *map);
SOPS_API enum sops_map_kind sops_map__kind(const struct sops_map *map);
/* Index in the object (what SOPS_LD_IMM64_MAP_IDX refers to). */
SOPS_API int sops_map__index(const struct sops_map *map);
SOPS_API uint32_t sops_map__type(const struct sops_map *map);
SOPS_API uint32_t sops_map__key_size(const struct sops_map *map);
SOPS_API uint32_t sops_map__value_size(const struct sops_map *map);
SOPS_API uint32_t sops_map__max_entries(const struct sops_map *map);
SOPS_API uint32_t sops_map__map_flags(const struct sops_map *map);
/* Key and value type ids in the object's BTF (0 when only sizes were given). */
SOPS_API uint32_t sops_map__btf_key_type_id(const struct sops_map *map);
SOPS_API uint32_t sops_map__btf_value_type_id(const struct sops_map *map);
SOPS_API bool sops_map__autocreate(const struct sops_map *map);
/* -EBUSY after load. */
SOPS_API int sops_map__set_autocreate(struct sops_map *map, bool autocreate);
/* struct_ops maps only: whether attach should run for it (-EINVAL for other maps). */
SOPS_API bool sops_map__autoattach(const struct sops_map *map);
SOPS_API int sops_map__set_autoattach(struct sops_map *map, bool autoattach);
/*
 * The initial value: global data bytes, or for a struct_ops map the shadow
 * value (the local struct with each function pointer slot holding a
 * struct sops_program * or NULL; edit it before load to rebind or unbind
 * programs and to change scalars). NULL for other maps.
 */
SOPS_API void *sops_map__initial_value(struct sops_map *map, size_t *size);
/*
 * sops_map__mmaped - the memory of a global data map (.bss, .data, .rodata,
 * .data.NAME, .rodata.NAME, .kconfig), as libbpf's bpf_map__initial_value()
 * and mmap() of the map together: before load the initial image (what load
 * copies into the map: set variables there), after load into a runtime the
 * live map value itself, the very bytes the programs read and write (a
 * pointer into the runtime's map, not a copy), until the object is closed.
 * The pointer changes at load: fetch it again afterwards. *@size (when
 * @size is not NULL): the value size. NULL for other maps, a map not created
 * (autocreate off) and an object loaded through sops_object_load_ops
 * callbacks only (its maps live elsewhere).
 *
 * .rodata and .kconfig are BPF_F_RDONLY_PROG maps frozen at load: programs
 * only read them and the verifier may have folded their values into the
 * code, so the host writes them before load only (writes after load are
 * not seen reliably). The host may read and write .bss and .data at any
 * time; programs run concurrently with it, so it synchronizes as it would
 * with another thread (atomics), as with a kernel BPF_F_MMAPABLE map.
 * Thread-safe: reads only; the memory itself is shared as said.
 */
SOPS_API void *sops_map__mmaped(const struct sops_map *map, size_t *size);
/* Replace the initial value (@size must equal the value size); -EBUSY after load. */
SOPS_API int sops_map__set_initial_value(struct sops_map *map, const void *data, size_t size);
/* struct_ops: the local struct type name as written in the object ("" otherwise). */
SOPS_API const char *sops_map__struct_ops_type(const struct sops_map *map);
/*
 * struct_ops, after load: the kernel value image (the host's value type:
 * common header then data, function slots holding program handles once
 * programs are loaded), its BTF id and the BTF (0 host, i + 1 module).
 * When the host's BTF has no `struct bpf_struct_ops_<name>` (it is optional:
 * registration synthesizes it), the image is laid out the same way (data at
 * SOPS_STRUCT_OPS_DATA_ALIGN) and the value type id reads 0.
 */
SOPS_API const void *sops_map__kern_value(const struct sops_map *map, size_t *size);
SOPS_API uint32_t sops_map__btf_vmlinux_value_type_id(const struct sops_map *map);
SOPS_API int sops_map__btf_obj(const struct sops_map *map);
/* struct_ops: the program bound to local member @name (shadow value), or NULL. */
SOPS_API struct sops_program *sops_map__struct_ops_prog(const struct sops_map *map, const char *member);
/* The handle create_map returned, or -1. */
SOPS_API int sops_map__handle(const struct sops_map *map);

#ifdef __cplusplus
}
#endif
#endif /* STRUCTOPS_OBJECT_H */
