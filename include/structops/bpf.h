/* SPDX-License-Identifier: MIT */
/*
 * structops/bpf.h - the bpf() command layer: the kernel's numbers and attribute
 * layouts, one command entry point, and libbpf-shaped low-level wrappers.
 *
 * Everything here mirrors the Linux uapi (<linux/bpf.h>) under a SOPS_ prefix:
 * the same command numbers, map and program type numbers, flag values and
 * `union bpf_attr` field layouts, so code written against libbpf's bpf.h ports
 * by renaming. Only the commands and fields structops implements are listed;
 * the attribute union still has the kernel's size for them, and bytes past a
 * command's last field must be zero (EINVAL), as in the kernel.
 *
 * Handles play the role of file descriptors: small non-negative integers,
 * local to one runtime instance (struct sops_runtime, see runtime.h). Closing a
 * handle drops one reference on its object.
 *
 * The wrappers return a handle or 0 on success, or a negative errno and set
 * errno (libbpf's convention, the LIBBPF_STRICT mode).
 */
#ifndef STRUCTOPS_BPF_H
#define STRUCTOPS_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "insn.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sops_runtime;

/* enum bpf_cmd: the kernel's command numbers (those structops implements). */
enum sops_bpf_cmd {
	SOPS_BPF_MAP_CREATE = 0,
	SOPS_BPF_MAP_LOOKUP_ELEM = 1,
	SOPS_BPF_MAP_UPDATE_ELEM = 2,
	SOPS_BPF_MAP_DELETE_ELEM = 3,
	SOPS_BPF_MAP_GET_NEXT_KEY = 4,
	SOPS_BPF_PROG_LOAD = 5,
	SOPS_BPF_PROG_TEST_RUN = 10,
	SOPS_BPF_PROG_GET_NEXT_ID = 11,
	SOPS_BPF_MAP_GET_NEXT_ID = 12,
	SOPS_BPF_PROG_GET_FD_BY_ID = 13,
	SOPS_BPF_MAP_GET_FD_BY_ID = 14,
	SOPS_BPF_OBJ_GET_INFO_BY_FD = 15,
	SOPS_BPF_BTF_LOAD = 18,
	SOPS_BPF_BTF_GET_FD_BY_ID = 19,
	SOPS_BPF_MAP_LOOKUP_AND_DELETE_ELEM = 21,
	SOPS_BPF_MAP_FREEZE = 22,
	SOPS_BPF_BTF_GET_NEXT_ID = 23,
	SOPS_BPF_LINK_CREATE = 28,
	SOPS_BPF_LINK_UPDATE = 29,
	SOPS_BPF_LINK_GET_FD_BY_ID = 30,
	SOPS_BPF_LINK_GET_NEXT_ID = 31,
	SOPS_BPF_LINK_DETACH = 34,
	SOPS_BPF_PROG_ASSOC_STRUCT_OPS = 38,
};

/* enum bpf_map_type (implemented ones; others give EINVAL at MAP_CREATE). */
enum sops_bpf_map_type {
	SOPS_BPF_MAP_TYPE_UNSPEC = 0,
	SOPS_BPF_MAP_TYPE_HASH = 1,
	SOPS_BPF_MAP_TYPE_ARRAY = 2,
	SOPS_BPF_MAP_TYPE_PERCPU_HASH = 5,
	SOPS_BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	SOPS_BPF_MAP_TYPE_LRU_HASH = 9,
	SOPS_BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
	SOPS_BPF_MAP_TYPE_STRUCT_OPS = 26,
	SOPS_BPF_MAP_TYPE_RINGBUF = 27,
	SOPS_BPF_MAP_TYPE_MAX = 40, /* size of the per-runtime map type table */
};

/* enum bpf_prog_type (implemented ones). */
enum sops_bpf_prog_type {
	SOPS_BPF_PROG_TYPE_UNSPEC = 0,
	SOPS_BPF_PROG_TYPE_STRUCT_OPS = 27,
	SOPS_BPF_PROG_TYPE_SYSCALL = 31,
	SOPS_BPF_PROG_TYPE_MAX = 40,
};

/* enum bpf_attach_type: the one structops links use. */
#define SOPS_BPF_STRUCT_OPS 44
/* enum bpf_link_type */
#define SOPS_BPF_LINK_TYPE_STRUCT_OPS 9

/* Map update flags. */
#define SOPS_BPF_ANY 0
#define SOPS_BPF_NOEXIST 1
#define SOPS_BPF_EXIST 2
#define SOPS_BPF_F_LOCK 4

/* Map creation flags. */
#define SOPS_BPF_F_NO_PREALLOC (1U << 0)
#define SOPS_BPF_F_NO_COMMON_LRU (1U << 1)
#define SOPS_BPF_F_NUMA_NODE (1U << 2)
#define SOPS_BPF_F_RDONLY (1U << 3)
#define SOPS_BPF_F_WRONLY (1U << 4)
#define SOPS_BPF_F_ZERO_SEED (1U << 6)
#define SOPS_BPF_F_RDONLY_PROG (1U << 7)
#define SOPS_BPF_F_WRONLY_PROG (1U << 8)
#define SOPS_BPF_F_MMAPABLE (1U << 10)
#define SOPS_BPF_F_INNER_MAP (1U << 12)
#define SOPS_BPF_F_LINK (1U << 13)
#define SOPS_BPF_F_VTYPE_BTF_OBJ_FD (1U << 15)

/* Program load flags. */
#define SOPS_BPF_F_STRICT_ALIGNMENT (1U << 0)
#define SOPS_BPF_F_ANY_ALIGNMENT (1U << 1)
#define SOPS_BPF_F_SLEEPABLE (1U << 4)

/* Link update flags. */
#define SOPS_BPF_F_REPLACE (1U << 2)

/* Ring buffer helper flags and record header bits (the kernel's values). */
#define SOPS_BPF_RB_NO_WAKEUP (1ULL << 0)
#define SOPS_BPF_RB_FORCE_WAKEUP (1ULL << 1)
#define SOPS_BPF_RB_AVAIL_DATA 0
#define SOPS_BPF_RB_RING_SIZE 1
#define SOPS_BPF_RB_CONS_POS 2
#define SOPS_BPF_RB_PROD_POS 3
#define SOPS_BPF_RINGBUF_BUSY_BIT (1U << 31)
#define SOPS_BPF_RINGBUF_DISCARD_BIT (1U << 30)
#define SOPS_BPF_RINGBUF_HDR_SZ 8

#define SOPS_BPF_OBJ_NAME_LEN 16U
#define SOPS_BPF_TAG_SIZE 8

/* The kernel's ENOTSUPP (not in userspace errno.h), used where the kernel returns it. */
#define SOPS_ENOTSUPP 524

/*
 * union bpf_attr, the members for the commands above, with the kernel's layout
 * (fields of newer kernels included: value_type_btf_obj_fd, log_true_size,
 * prog_assoc_struct_ops, ...). Pointers travel as u64, as in the kernel.
 */
union sops_bpf_attr {
	struct { /* MAP_CREATE */
		uint32_t map_type;
		uint32_t key_size;
		uint32_t value_size;
		uint32_t max_entries;
		uint32_t map_flags;
		uint32_t inner_map_fd;
		uint32_t numa_node;
		char map_name[SOPS_BPF_OBJ_NAME_LEN];
		uint32_t map_ifindex;
		uint32_t btf_fd;
		uint32_t btf_key_type_id;
		uint32_t btf_value_type_id;
		uint32_t btf_vmlinux_value_type_id;
		uint64_t map_extra;
		int32_t value_type_btf_obj_fd;
		int32_t map_token_fd;
	};

	struct { /* MAP_*_ELEM, MAP_GET_NEXT_KEY, MAP_FREEZE */
		uint32_t map_fd;
		uint64_t key __attribute__((aligned(8)));
		union {
			uint64_t value;
			uint64_t next_key;
		};
		uint64_t flags;
	};

	struct { /* PROG_LOAD */
		uint32_t prog_type;
		uint32_t insn_cnt;
		uint64_t insns;
		uint64_t license;
		uint32_t log_level;
		uint32_t log_size;
		uint64_t log_buf;
		uint32_t kern_version;
		uint32_t prog_flags;
		char prog_name[SOPS_BPF_OBJ_NAME_LEN];
		uint32_t prog_ifindex;
		uint32_t expected_attach_type;
		uint32_t prog_btf_fd;
		uint32_t func_info_rec_size;
		uint64_t func_info;
		uint32_t func_info_cnt;
		uint32_t line_info_rec_size;
		uint64_t line_info;
		uint32_t line_info_cnt;
		uint32_t attach_btf_id;
		union {
			uint32_t attach_prog_fd;
			uint32_t attach_btf_obj_fd;
		};
		uint32_t core_relo_cnt;
		uint64_t fd_array;
		uint64_t core_relos;
		uint32_t core_relo_rec_size;
		uint32_t log_true_size;
		int32_t prog_token_fd;
		uint32_t fd_array_cnt;
	};

	struct { /* PROG_TEST_RUN */
		uint32_t prog_fd;
		uint32_t retval;
		uint32_t data_size_in;
		uint32_t data_size_out;
		uint64_t data_in;
		uint64_t data_out;
		uint32_t repeat;
		uint32_t duration;
		uint32_t ctx_size_in;
		uint32_t ctx_size_out;
		uint64_t ctx_in;
		uint64_t ctx_out;
		uint32_t flags;
		uint32_t cpu;
		uint32_t batch_size;
	} test;

	struct { /* *_GET_NEXT_ID, *_GET_FD_BY_ID */
		union {
			uint32_t start_id;
			uint32_t prog_id;
			uint32_t map_id;
			uint32_t btf_id;
			uint32_t link_id;
		};
		uint32_t next_id;
		uint32_t open_flags;
	};

	struct { /* OBJ_GET_INFO_BY_FD */
		uint32_t bpf_fd;
		uint32_t info_len;
		uint64_t info;
	} info;

	struct { /* BTF_LOAD */
		uint64_t btf;
		uint64_t btf_log_buf;
		uint32_t btf_size;
		uint32_t btf_log_size;
		uint32_t btf_log_level;
		uint32_t btf_log_true_size;
		uint32_t btf_flags;
		int32_t btf_token_fd;
	};

	struct { /* LINK_CREATE */
		union {
			uint32_t prog_fd;
			uint32_t map_fd;
		};
		union {
			uint32_t target_fd;
			uint32_t target_ifindex;
		};
		uint32_t attach_type;
		uint32_t flags;
		union {
			uint32_t target_btf_id;
			struct {
				uint64_t iter_info;
				uint32_t iter_info_len;
			};
			struct {
				uint64_t bpf_cookie;
			} perf_event;
			struct {
				uint32_t flags;
				uint32_t cnt;
				uint64_t syms;
				uint64_t addrs;
				uint64_t cookies;
			} kprobe_multi;
			struct {
				uint64_t path;
				uint64_t offsets;
				uint64_t ref_ctr_offsets;
				uint64_t cookies;
				uint32_t cnt;
				uint32_t flags;
				uint32_t pid;
			} uprobe_multi;
		};
	} link_create;

	struct { /* LINK_UPDATE */
		uint32_t link_fd;
		union {
			uint32_t new_prog_fd;
			uint32_t new_map_fd;
		};
		uint32_t flags;
		union {
			uint32_t old_prog_fd;
			uint32_t old_map_fd;
		};
	} link_update;

	struct { /* LINK_DETACH */
		uint32_t link_fd;
	} link_detach;

	struct { /* PROG_ASSOC_STRUCT_OPS */
		uint32_t map_fd;
		uint32_t prog_fd;
		uint32_t flags;
	} prog_assoc_struct_ops;
} __attribute__((aligned(8)));

/* struct bpf_map_info */
struct sops_bpf_map_info {
	uint32_t type;
	uint32_t id;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
	char name[SOPS_BPF_OBJ_NAME_LEN];
	uint32_t ifindex;
	uint32_t btf_vmlinux_value_type_id;
	uint64_t netns_dev;
	uint64_t netns_ino;
	uint32_t btf_id;
	uint32_t btf_key_type_id;
	uint32_t btf_value_type_id;
	uint32_t btf_vmlinux_id;
	uint64_t map_extra;
} __attribute__((aligned(8)));

/*
 * struct bpf_prog_info (fields structops fills: type, id, tag, lengths, insns,
 * maps, name, run statistics), plus fault_cnt at the end (structops only).
 */
struct sops_bpf_prog_info {
	uint32_t type;
	uint32_t id;
	uint8_t tag[SOPS_BPF_TAG_SIZE];
	uint32_t jited_prog_len;
	uint32_t xlated_prog_len;
	uint64_t jited_prog_insns;
	uint64_t xlated_prog_insns;
	uint64_t load_time;
	uint32_t created_by_uid;
	uint32_t nr_map_ids;
	uint64_t map_ids;
	char name[SOPS_BPF_OBJ_NAME_LEN];
	uint32_t ifindex;
	uint32_t gpl_compatible : 1;
	uint32_t : 31;
	uint64_t netns_dev;
	uint64_t netns_ino;
	uint32_t nr_jited_ksyms;
	uint32_t nr_jited_func_lens;
	uint64_t jited_ksyms;
	uint64_t jited_func_lens;
	uint32_t btf_id;
	uint32_t func_info_rec_size;
	uint64_t func_info;
	uint32_t nr_func_info;
	uint32_t nr_line_info;
	uint64_t line_info;
	uint64_t jited_line_info;
	uint32_t nr_jited_line_info;
	uint32_t line_info_rec_size;
	uint32_t jited_line_info_rec_size;
	uint32_t nr_prog_tags;
	uint64_t prog_tags;
	uint64_t run_time_ns;
	uint64_t run_cnt;
	uint64_t recursion_misses;
	uint32_t verified_insns;
	uint32_t attach_btf_obj_id;
	uint32_t attach_btf_id;
	uint32_t : 32;
	/*
	 * structops extension (the kernel's struct ends above, at 232 bytes):
	 * runs of the program in checked mode that faulted (test runs, host
	 * runs, op calls), counted whether or not run statistics are on. A
	 * caller passing the kernel's info_len simply does not get it.
	 */
	uint64_t fault_cnt;
} __attribute__((aligned(8)));

/* struct bpf_btf_info */
struct sops_bpf_btf_info {
	uint64_t btf;
	uint32_t btf_size;
	uint32_t id;
	uint64_t name;
	uint32_t name_len;
	uint32_t kernel_btf;
} __attribute__((aligned(8)));

/* struct bpf_link_info (the struct_ops member of its union, padded to the kernel's size). */
struct sops_bpf_link_info {
	uint32_t type;
	uint32_t id;
	uint32_t prog_id;
	union {
		struct {
			uint32_t map_id;
		} struct_ops;
		uint64_t _pad[8];
	};
} __attribute__((aligned(8)));

/*
 * sops_bpf - the command entry point, the kernel's bpf(cmd, attr, size).
 *
 * @size may be smaller than sizeof(union sops_bpf_attr) (missing fields read as
 * zero) or larger (the extra bytes must be zero, else -E2BIG). Bytes past the
 * command's last field must be zero (-EINVAL). Returns a handle for commands
 * that create one, 0 for the others, or a negative errno (errno is NOT set: this
 * is the raw layer; the wrappers below set it).
 *
 * Thread-safe: any number of threads may issue commands on one runtime.
 */
SOPS_API int sops_bpf(struct sops_runtime *rt, int cmd, union sops_bpf_attr *attr, unsigned int size);

/* --- libbpf-shaped wrappers (tools/lib/bpf/bpf.h), all thread-safe --- */

struct sops_map_create_opts {
	size_t sz;
	uint32_t btf_fd;
	uint32_t btf_key_type_id;
	uint32_t btf_value_type_id;
	uint32_t btf_vmlinux_value_type_id;
	uint32_t inner_map_fd;
	uint32_t map_flags;
	uint64_t map_extra;
	uint32_t numa_node;
	uint32_t map_ifindex;
	int32_t value_type_btf_obj_fd;
	uint32_t token_fd;
};
#define sops_map_create_opts__last_field token_fd

/* Create a map; returns its handle or a negative errno. */
SOPS_API int sops_map_create(struct sops_runtime *rt, enum sops_bpf_map_type map_type,
			     const char *map_name, uint32_t key_size, uint32_t value_size,
			     uint32_t max_entries, const struct sops_map_create_opts *opts);
SOPS_API int sops_map_update_elem(struct sops_runtime *rt, int fd, const void *key,
				  const void *value, uint64_t flags);
SOPS_API int sops_map_lookup_elem(struct sops_runtime *rt, int fd, const void *key, void *value);
SOPS_API int sops_map_lookup_elem_flags(struct sops_runtime *rt, int fd, const void *key,
					void *value, uint64_t flags);
SOPS_API int sops_map_lookup_and_delete_elem(struct sops_runtime *rt, int fd, const void *key,
					     void *value);
SOPS_API int sops_map_delete_elem(struct sops_runtime *rt, int fd, const void *key);
SOPS_API int sops_map_get_next_key(struct sops_runtime *rt, int fd, const void *key,
				   void *next_key);
SOPS_API int sops_map_freeze(struct sops_runtime *rt, int fd);

struct sops_prog_load_opts {
	size_t sz;
	int attempts; /* unused, libbpf compatibility */
	uint32_t expected_attach_type;
	uint32_t prog_btf_fd;
	uint32_t prog_flags;
	uint32_t prog_ifindex;
	uint32_t kern_version;
	uint32_t attach_btf_id;
	uint32_t attach_prog_fd;
	uint32_t attach_btf_obj_fd;
	const int *fd_array;
	uint32_t fd_array_cnt;
	uint32_t log_level;
	uint32_t log_size;
	char *log_buf;
	uint32_t log_true_size; /* out */
	uint32_t token_fd;
	/* .BTF.ext line info (the kernel's bpf_line_info records) for the verifier's log. */
	const void *line_info;
	uint32_t line_info_cnt;
	uint32_t line_info_rec_size;
};
#define sops_prog_load_opts__last_field line_info_rec_size

/* Load a program from @insn_cnt instruction slots; returns its handle or a negative errno. */
SOPS_API int sops_prog_load(struct sops_runtime *rt, enum sops_bpf_prog_type prog_type,
			    const char *prog_name, const char *license,
			    const struct sops_insn *insns, size_t insn_cnt,
			    struct sops_prog_load_opts *opts);

struct sops_test_run_opts {
	size_t sz;
	const void *data_in;
	void *data_out;
	uint32_t data_size_in;
	uint32_t data_size_out; /* in: room in data_out; out: bytes produced */
	const void *ctx_in;
	void *ctx_out;
	uint32_t ctx_size_in;
	uint32_t ctx_size_out; /* in: room in ctx_out; out: bytes produced */
	uint32_t retval;       /* out */
	int repeat;
	uint32_t duration; /* out: average ns per run */
	uint32_t flags;
	uint32_t cpu;
	uint32_t batch_size;
};
#define sops_test_run_opts__last_field batch_size

/* Run a program through PROG_TEST_RUN; returns 0 (retval in opts) or a negative errno. */
SOPS_API int sops_prog_test_run_opts(struct sops_runtime *rt, int prog_fd,
				     struct sops_test_run_opts *opts);

SOPS_API int sops_btf_load(struct sops_runtime *rt, const void *btf_data, size_t btf_size,
			   char *log_buf, uint32_t log_size);

/* GET_NEXT_ID / GET_FD_BY_ID families. */
SOPS_API int sops_prog_get_next_id(struct sops_runtime *rt, uint32_t start_id, uint32_t *next_id);
SOPS_API int sops_map_get_next_id(struct sops_runtime *rt, uint32_t start_id, uint32_t *next_id);
SOPS_API int sops_btf_get_next_id(struct sops_runtime *rt, uint32_t start_id, uint32_t *next_id);
SOPS_API int sops_link_get_next_id(struct sops_runtime *rt, uint32_t start_id, uint32_t *next_id);
SOPS_API int sops_prog_get_fd_by_id(struct sops_runtime *rt, uint32_t id);
SOPS_API int sops_map_get_fd_by_id(struct sops_runtime *rt, uint32_t id);
SOPS_API int sops_btf_get_fd_by_id(struct sops_runtime *rt, uint32_t id);
SOPS_API int sops_link_get_fd_by_id(struct sops_runtime *rt, uint32_t id);

/* OBJ_GET_INFO_BY_FD: @info_len in: room, out: bytes written. */
SOPS_API int sops_obj_get_info_by_fd(struct sops_runtime *rt, int fd, void *info,
				     uint32_t *info_len);
SOPS_API int sops_map_get_info_by_fd(struct sops_runtime *rt, int fd,
				     struct sops_bpf_map_info *info, uint32_t *info_len);
SOPS_API int sops_prog_get_info_by_fd(struct sops_runtime *rt, int fd,
				      struct sops_bpf_prog_info *info, uint32_t *info_len);
SOPS_API int sops_link_get_info_by_fd(struct sops_runtime *rt, int fd,
				      struct sops_bpf_link_info *info, uint32_t *info_len);

struct sops_link_create_opts {
	size_t sz;
	uint32_t flags;
	uint32_t target_btf_id;
};
#define sops_link_create_opts__last_field target_btf_id

/* For attach_type SOPS_BPF_STRUCT_OPS, @prog_fd is the struct_ops map's handle (as libbpf). */
SOPS_API int sops_link_create(struct sops_runtime *rt, int prog_fd, int target_fd,
			      uint32_t attach_type, const struct sops_link_create_opts *opts);

struct sops_link_update_opts {
	size_t sz;
	uint32_t flags;
	uint32_t old_prog_fd;
	uint32_t old_map_fd;
};
#define sops_link_update_opts__last_field old_map_fd

SOPS_API int sops_link_update(struct sops_runtime *rt, int link_fd, int new_prog_fd,
			      const struct sops_link_update_opts *opts);
SOPS_API int sops_link_detach(struct sops_runtime *rt, int link_fd);

struct sops_prog_assoc_struct_ops_opts {
	size_t sz;
	uint32_t flags;
};
#define sops_prog_assoc_struct_ops_opts__last_field flags

SOPS_API int sops_prog_assoc_struct_ops(struct sops_runtime *rt, int prog_fd, int map_fd,
					struct sops_prog_assoc_struct_ops_opts *opts);

/* Drop the reference @fd holds and free the handle number (close(2)). -EBADF if not open. */
SOPS_API int sops_close(struct sops_runtime *rt, int fd);

#ifdef __cplusplus
}
#endif
#endif /* STRUCTOPS_BPF_H */
