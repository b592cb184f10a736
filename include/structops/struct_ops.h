/* SPDX-License-Identifier: MIT */
/*
 * structops/struct_ops.h - a host application extended by BPF programs: the
 * kernel's struct_ops framework in userspace.
 *
 * The flow, host -> type -> map -> link -> op call:
 *
 *   1. Type. The host (or a module it loads) describes an ops table, a C
 *      struct of function pointers such as
 *          struct cache_ops { int (*pick)(struct cache *c); void (*hit)(...); };
 *      with a struct sops_struct_ops (name "cache_ops", callbacks reg/unreg/...,
 *      cfi_stubs: one stub function per member BPF may implement) and registers
 *      it: sops_runtime__register_struct_ops(). The type is looked up in the
 *      host's BTF (a module's own BTF for module types), its value type
 *      `struct bpf_struct_ops_cache_ops` = { common header, data } is found
 *      there or synthesized, and a calling convention is distilled per member.
 *   2. Map. A BPF object (clang, SEC(".struct_ops.link")) or a caller of the
 *      bpf() layer creates a BPF_MAP_TYPE_STRUCT_OPS map of that value type and
 *      loads one STRUCT_OPS program per member it implements (attach_btf_id =
 *      the type's BTF id, expected_attach_type = the member index). Updating
 *      the map (key 0) with the program handles in the function slots builds
 *      kdata: an instance of struct cache_ops whose function pointers are
 *      native thunks that run the programs (JIT'd: the program itself with the
 *      member's C calling convention as entry; interpreted: libffi closures).
 *   3. Link. A BPF_F_LINK map is registered with the host through a link
 *      (LINK_CREATE -> st_ops->reg(kdata, link)); the link can later be
 *      switched to another map of the same type (LINK_UPDATE ->
 *      st_ops->update(new, old, link)) and detached (st_ops->unreg). A map
 *      without BPF_F_LINK is registered by its update itself and unregistered
 *      by deleting its element.
 *   4. Op call. The host keeps the kdata pointer reg() gave it and calls
 *      `ops->pick(c)` like any C function pointer, from any thread, inside its
 *      own sops_rcu_read_lock() section (see "Liveness" below).
 *
 * The high-level calls at the end of this header wrap 2-3 in libbpf's style:
 * sops_object__load() into a runtime, sops_map__attach_struct_ops(),
 * sops_link__update_map(), sops_link__destroy().
 *
 * Semantics: those of the Linux kernel (../shared/spec/struct_ops.md), check
 * by check with the kernel's errnos; docs/struct_ops.md lists every
 * deliberate deviation.
 *
 * Liveness (docs/struct_ops.md, "RCU and liveness"): a kdata pointer, its
 * thunks, and the programs and JIT images behind them stay valid until an RCU
 * grace period (liburcu-bp, sops_rcu_*) after the unreg()/update() that took
 * them away from the host. The host must therefore call ops inside
 * sops_rcu_read_lock()/sops_rcu_read_unlock() (nestable, no thread
 * registration) and must not use a kdata after unreg() returned except inside
 * a read-side section that began before. Op calls take no lock and allocate
 * nothing. A JIT'd program's native entry has no room to take the read lock
 * itself, which is why the caller does.
 *
 * Errors: negative errno returns (libbpf style); functions returning pointers
 * return NULL and set errno. Where the kernel returns its internal ENOTSUPP,
 * structops returns SOPS_ENOTSUPP (524), as the kernel does to userspace.
 */
#ifndef STRUCTOPS_STRUCT_OPS_H
#define STRUCTOPS_STRUCT_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf.h"
#include "object.h"
#include "runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

struct btf;        /* libbpf's */
struct btf_type;   /* <linux/btf.h> */
struct btf_member; /* <linux/btf.h> */
struct sops_prog;  /* a loaded program (runtime side) */
struct sops_module;
struct sops_struct_ops_link; /* the runtime-side link reg/unreg/update receive (NULL: non-link map) */

/* The kernel's limit on members of an ops struct. */
#define SOPS_STRUCT_OPS_MAX_MEMBERS 64
/* Prefix of value type names: struct bpf_struct_ops_<name>. */
#define SOPS_STRUCT_OPS_VALUE_PREFIX "bpf_struct_ops_"
/* Longest ops name + prefix (the kernel's KSYM_SYMBOL_LEN-derived 128). */
#define SOPS_STRUCT_OPS_NAME_MAX 128

/*
 * A member of type `struct module *` or `struct sops_module *` in an ops
 * struct is the owner slot: user values must leave it zero and kdata gets
 * this sentinel (the kernel's BPF_MODULE_OWNER): a host that pins the owner
 * of an ops table it received calls sops_struct_ops_get(kdata) instead.
 */
#define SOPS_STRUCT_OPS_MODULE_OWNER ((void *)(uintptr_t)(0xeB9FUL << 2))

/* enum bpf_struct_ops_state: common.state as lookup reports it. */
enum sops_struct_ops_state {
	SOPS_STRUCT_OPS_STATE_INIT = 0,
	SOPS_STRUCT_OPS_STATE_INUSE = 1,
	SOPS_STRUCT_OPS_STATE_TOBEFREE = 2,
	SOPS_STRUCT_OPS_STATE_READY = 3,
};

/* struct bpf_struct_ops_common_value: the header of every value type. */
struct sops_struct_ops_common_value {
	int32_t refcnt; /* lookup: references the runtime holds (registration, links) */
	uint32_t state; /* enum sops_struct_ops_state */
};

/*
 * SOPS_STRUCT_OPS_VALUE_TYPE(name) - define `struct bpf_struct_ops_<name>`,
 * the value type of ops struct `struct <name>`, as the kernel's
 * register_bpf_struct_ops() macro does, plus an unused variable so that the
 * compiler keeps the type in DWARF and pahole puts it into the host's BTF.
 * Optional: registration synthesizes the value type when the BTF lacks it.
 * Use at file scope, after `struct <name>` is complete.
 */
/*
 * Where `struct <name>` sits in its value type: after the common header, at
 * a cache-line boundary, as in the kernel's value types. Registration (and
 * the object loader, when the host's BTF leaves the value type out) lays a
 * synthesized `struct bpf_struct_ops_<name>` out this way; the value's size
 * is the data's end rounded up to the same boundary.
 */
#define SOPS_STRUCT_OPS_DATA_ALIGN 64

#define SOPS_STRUCT_OPS_VALUE_TYPE(name)                                                           \
	struct bpf_struct_ops_common_value {                                                       \
		int32_t refcnt;                                                                    \
		uint32_t state;                                                                    \
	};                                                                                         \
	struct bpf_struct_ops_##name {                                                             \
		struct bpf_struct_ops_common_value common;                                         \
		struct name data __attribute__((aligned(64)));                                     \
	};                                                                                         \
	__attribute__((used)) struct bpf_struct_ops_##name sops_value_type_##name##__btf
/* Same, for a second and later type in one compilation unit (common value already defined). */
#define SOPS_STRUCT_OPS_VALUE_TYPE_MORE(name)                                                      \
	struct bpf_struct_ops_##name {                                                             \
		struct bpf_struct_ops_common_value common;                                         \
		struct name data __attribute__((aligned(64)));                                     \
	};                                                                                         \
	__attribute__((used)) struct bpf_struct_ops_##name sops_value_type_##name##__btf

/*
 * What the verifier found for a struct_ops program's context read
 * (is_valid_access below): argument @arg (0-based) read with @size bytes;
 * for a pointer to a struct, @btf_id is that struct (in the type's BTF) and
 * @nullable whether the stub marked it `__nullable`; @btf_id 0 for
 * arguments read as scalars. The hook may change @btf_id (to a struct that
 * embeds the declared one at offset 0, as the kernel's TCP congestion
 * control reads `struct sock *` as `struct tcp_sock *`) and @nullable.
 */
struct sops_ctx_access_info {
	size_t sz;
	uint32_t arg;
	uint32_t size;
	uint32_t btf_id;
	bool nullable;
};

/*
 * What programs of a type may do, the kernel's struct bpf_verifier_ops as
 * struct_ops subsystems fill it. Every hook may be NULL. The verifier calls
 * them while it checks a program at PROG_LOAD (any thread that loads; they
 * must not call back into the runtime). @prog can be inspected with the
 * sops_prog_*() accessors below.
 *
 * @helper_allowed: the role of get_func_proto: may @prog (implementing
 *	member @member_idx) call helper @helper_id? A refused call fails the
 *	load with "program of this type cannot use helper <name>#<id>" (EINVAL).
 *	NULL: every helper of the base set and those the host registered for
 *	STRUCT_OPS programs.
 * @kfunc_allowed: may @prog call kfunc @name? "calling kernel function
 *	<name> is not allowed" (EACCES). NULL: every kfunc registered for
 *	STRUCT_OPS programs (and for this struct type).
 * @is_valid_access: context reads, after the default rules (the member's
 *	prototype: one u64 per argument, read-only, pointers read whole) have
 *	accepted the access and typed it in @info; false refuses it (EACCES).
 *	@write is always false (the context is read-only).
 * @btf_struct_access: stores into host structs through trusted pointers
 *	(arguments): 0 allows [off, off+size) of struct @type_id; a negative
 *	errno refuses it. NULL: host structs are read-only ("only read is
 *	supported").
 * @retval_range: the values a member's program may return: 0 with [*lo,
 *	*hi] enforced at every exit ("At program exit the register R0 ..."),
 *	non-zero for no limit. NULL: scalars are not limited (the kernel's
 *	rule for struct_ops); pointer-returning members follow spec section 4.
 */
struct sops_struct_ops_verifier_ops {
	bool (*helper_allowed)(uint32_t helper_id, uint32_t member_idx, const struct sops_prog *prog);
	bool (*kfunc_allowed)(const char *name, uint32_t member_idx, const struct sops_prog *prog);
	bool (*is_valid_access)(int off, int size, bool write, const struct sops_prog *prog,
				struct sops_ctx_access_info *info);
	int (*btf_struct_access)(const struct btf *btf, uint32_t type_id, int off, int size,
				 const struct sops_prog *prog);
	int (*retval_range)(uint32_t member_idx, const struct sops_prog *prog, int64_t *lo, int64_t *hi);
};

/*
 * The program a check_member or verifier hook is asked about (thread-safe:
 * these fields never change after PROG_LOAD begins). sops_prog_name: its
 * name (prog_name of PROG_LOAD, may be ""); sops_prog_is_sleepable: loaded
 * with BPF_F_SLEEPABLE ("struct_ops.s"); sops_prog_type: enum
 * sops_bpf_prog_type; sops_prog_member_idx: the member it implements
 * (expected_attach_type); sops_prog_attach_btf_id: the ops struct's BTF id.
 */
SOPS_API const char *sops_prog_name(const struct sops_prog *prog);
SOPS_API bool sops_prog_is_sleepable(const struct sops_prog *prog);
SOPS_API uint32_t sops_prog_type(const struct sops_prog *prog);
SOPS_API uint32_t sops_prog_member_idx(const struct sops_prog *prog);
SOPS_API uint32_t sops_prog_attach_btf_id(const struct sops_prog *prog);

/*
 * struct sops_struct_ops - a host-defined struct_ops type, the kernel's struct
 * bpf_struct_ops. Define one per ops struct, keep it alive (and unchanged) as
 * long as the runtime (or, for a module, until the module is unloaded).
 * Callback contracts are those of spec section 3:
 *
 * @name: the ops struct's name in BTF (`struct <name>`); also used in messages.
 * @verifier_ops: see above; may be NULL.
 * @init: called once at registration, before anything else, with the BTF the
 *	type lives in; non-zero fails the registration with -EINVAL. Required.
 * @check_member: at PROG_LOAD of a program for member @member of struct @t;
 *	non-zero fails the load with that errno and the message "attach to
 *	unsupported member <m> of struct <s>". NULL: every supported member
 *	accepts every program (sleepable ones included).
 * @init_member: per member, in BTF order, during map update (under the map's
 *	mutex, may block); @udata is the user's data part, @kdata the one being
 *	built. <0: the update fails with it; >0: the member is handled (copied or
 *	checked by the host); 0: the runtime handles it (function pointer ->
 *	program thunk; anything else must be zero). Required.
 * @reg: make @kdata live. Non-link maps: inside map update (link NULL).
 *	Link maps: inside LINK_CREATE with the new link. 0: live; non-zero: the
 *	update/link creation fails with it. The only place for run-time
 *	conflicts (name clashes...). Required.
 * @unreg: take @kdata out of use (delete element; link detach or release).
 *	The host must stop calling it; the runtime frees it after a grace
 *	period. Required.
 * @update: switch @link from @old_kdata to @kdata (LINK_UPDATE, both of this
 *	type). 0: switched; non-zero: the link keeps the old map. NULL: links of
 *	this type cannot be updated (EOPNOTSUPP).
 * @validate: static checks of a fully built kdata during map update (link and
 *	non-link maps). Non-zero fails the update (map reset to INIT). NULL:
 *	every map passes.
 * @cfi_stubs: an instance of the ops struct whose function pointers are stub
 *	functions with the members' signatures; a NULL slot means the member
 *	cannot be implemented by BPF. Registration fails (EINVAL) without it.
 *	Stub parameters named with the suffix `__nullable` (pointer may be NULL)
 *	or `__ref` (a referenced pointer the program must release or return)
 *	annotate the member's arguments (any other suffix after "__" fails the
 *	registration, see sops_runtime__register_struct_ops_opts): the stub's name comes from dladdr()
 *	(export it: -rdynamic for executables) or, failing that, the
 *	convention `<name>__<member>`; its FUNC must be in the same BTF.
 * @owner: the module that registers the type (from its init entry point),
 *	NULL for the host. Maps of a module's type hold a reference on it.
 * @priv: the host's context; sops_struct_ops_priv(kdata) returns it.
 */
struct sops_struct_ops {
	const char *name;
	const struct sops_struct_ops_verifier_ops *verifier_ops;
	int (*init)(const struct btf *btf);
	int (*check_member)(const struct btf_type *t, const struct btf_member *member,
			    const struct sops_prog *prog);
	int (*init_member)(const struct btf_type *t, const struct btf_member *member, void *kdata,
			   const void *udata);
	int (*reg)(void *kdata, struct sops_struct_ops_link *link);
	void (*unreg)(void *kdata, struct sops_struct_ops_link *link);
	int (*update)(void *kdata, void *old_kdata, struct sops_struct_ops_link *link);
	int (*validate)(void *kdata);
	const void *cfi_stubs;
	struct sops_module *owner;
	void *priv;
};

/*
 * sops_runtime__register_struct_ops - register @st_ops (spec section 2.10).
 *
 * @btf: the BTF the type is described in; NULL (the usual case) means the
 * owner's: @st_ops->owner's module BTF, or the runtime's host BTF
 * (sops_runtime_opts.host_btf) when owner is NULL. A non-NULL @btf must be that
 * same BTF (else -EINVAL).
 *
 * Checks, in the kernel's order: no BTF -> -ENOENT (host; a module without BTF
 * gets 0 and nothing is registered, as the kernel's warning path); @st_ops
 * already registered in that BTF -> -EEXIST; name too long, no cfi_stubs, no
 * `struct <name>`, more than 64 members, value type not shaped { common value,
 * struct <name> } -> -EINVAL; an anonymous or bitfield member, a member
 * returning a pointer to a non-struct -> -EOPNOTSUPP; a member whose calling
 * convention is not supported -> -EINVAL; a stub FUNC not found -> -ENOENT;
 * stub/member argument count differs, a __nullable/__ref parameter that is
 * not a pointer to a struct of the member's type, or a stub parameter with an
 * unknown annotation suffix -> -EINVAL; init() failing ->
 * -EINVAL; -ENOMEM. On failure nothing is registered. Types are never
 * unregistered (a module's go away with its BTF).
 *
 * Thread-safe.
 */
SOPS_API int sops_runtime__register_struct_ops(struct sops_runtime *rt,
					       const struct sops_struct_ops *st_ops,
					       const struct btf *btf);

/* Options of sops_runtime__register_struct_ops_opts(). Zero-initialize, set sz. */
struct sops_struct_ops_reg_opts {
	size_t sz;
	/* As @btf of sops_runtime__register_struct_ops(); NULL: the owner's. */
	const struct btf *btf;
	/*
	 * On failure, one message naming the type, the failing check and, where
	 * one is at fault, the member, the stub and its parameter, e.g.
	 * "struct_ops cache_ops: member 'pick': stub 'cache_ops__pick'
	 * parameter 0 'c__arena__nullable': unknown annotation suffix ...".
	 * A module's registration from its init without a log of its own
	 * writes into the module load's log (sops_module_load_opts.log_buf).
	 */
	char *log_buf;
	size_t log_size;
};
#define sops_struct_ops_reg_opts__last_field log_size

/*
 * sops_runtime__register_struct_ops_opts - sops_runtime__register_struct_ops()
 * with options (@opts may be NULL); the same checks and errnos, plus a stub
 * parameter whose name carries an annotation suffix other than `__nullable`
 * and `__ref` (anything from the first "__" after the name, such as a newer
 * kernel's `__arena__nullable`) -> -EINVAL, and -EINVAL for opts with unknown
 * fields set. Thread-safe.
 */
SOPS_API int sops_runtime__register_struct_ops_opts(struct sops_runtime *rt,
						    const struct sops_struct_ops *st_ops,
						    const struct sops_struct_ops_reg_opts *opts);

/* --- types from BTF alone, and test runs (tools, unit tests) --- */

/* Options of sops_runtime__register_struct_ops_btf(). Zero-initialize, set sz. */
struct sops_struct_ops_btf_opts {
	size_t sz;
	/*
	 * What programs may store into through their trusted pointer
	 * arguments (the role of a host's btf_struct_access hook): each entry
	 * "STRUCT" (the whole struct) or "STRUCT.MEMBER" (one top-level member
	 * of it). NULL/0: host structs are read-only, the kernel's default.
	 * The strings are copied.
	 */
	const char *const *writable;
	size_t writable_cnt;
	/* On failure, one message naming the type and the failing check. */
	char *log_buf;
	size_t log_size;
};
#define sops_struct_ops_btf_opts__last_field log_size

/*
 * sops_runtime__register_struct_ops_btf - register struct_ops type
 * @type_name from its BTF alone, with no host code: what a tool or a unit
 * test uses to load and verify struct_ops programs written for a host it
 * does not run. The descriptor is built from `struct <type_name>` in @btf
 * (NULL: the runtime's host BTF; otherwise it must be that BTF, as for
 * sops_runtime__register_struct_ops): every function-pointer member may be
 * implemented by BPF; a BTF FUNC named `<type_name>__<member>` (a host's
 * cfi stub, when the BTF has it) supplies the __nullable/__ref annotations
 * of the member's arguments, and without one the arguments carry none. The
 * callbacks only record: reg/unreg count the live registrations
 * (sops_runtime__struct_ops_btf_regs), update always switches, init_member
 * copies data members from the map value. No verifier hooks beyond
 * opts->writable: every helper and kfunc registered for STRUCT_OPS
 * programs is allowed, scalar returns are not limited.
 *
 * Returns 0, -EEXIST (a type of that name is registered already, from BTF
 * or by a host), -EINVAL (bad opts, a malformed writable entry, no struct
 * of that name, and the other checks of sops_runtime__register_struct_ops),
 * -EOPNOTSUPP, -ENOENT (no host BTF), -ENOMEM; a message in opts->log_buf.
 * The type lives as long as the runtime. Thread-safe.
 */
SOPS_API int sops_runtime__register_struct_ops_btf(struct sops_runtime *rt, const struct btf *btf,
						   const char *type_name,
						   const struct sops_struct_ops_btf_opts *opts);

/*
 * sops_runtime__struct_ops_btf_regs - registrations of a type registered
 * with sops_runtime__register_struct_ops_btf() now live (reg calls minus
 * unreg calls), or -ENOENT for a type not registered that way. Thread-safe.
 */
SOPS_API long sops_runtime__struct_ops_btf_regs(struct sops_runtime *rt, const char *type_name);

/* Memory behind a pointer argument of a struct_ops test run. */
struct sops_struct_ops_arg_buf {
	void *data;  /* NULL: no buffer (the argument is then a scalar or NULL) */
	size_t size; /* bytes at @data */
};

/* Options and results of sops_prog_test_run_struct_ops(). Zero-initialize, set sz. */
struct sops_struct_ops_test_run_opts {
	size_t sz;
	/*
	 * The member's arguments as the kernel's u64 args[] (the context the
	 * program reads): @args_size must be 8 * the prototype's argument count.
	 * A pointer-to-struct argument's slot is ignored when it has a buffer
	 * (the run's copy of the buffer goes there) and must be 0 (NULL) when
	 * it has none: raw addresses, whose extent nothing knows, are refused.
	 */
	const uint64_t *args;
	uint32_t args_size;
	/*
	 * Per argument (@buf_cnt entries, at most the argument count; may be
	 * NULL): the backing memory of pointer-to-struct argument i, at least
	 * sizeof(struct) bytes, copied in before the run and back after it
	 * (the program may write where the verifier let it). Other arguments
	 * take no buffer.
	 */
	const struct sops_struct_ops_arg_buf *bufs;
	uint32_t buf_cnt;
	int repeat;        /* runs (0: one); buffers are copied in once and out once */
	uint64_t retval;   /* out: the program's r0 after the last run */
	uint32_t duration; /* out: average ns per run */
	/* On failure, one message naming the argument or check at fault. */
	char *log_buf;
	size_t log_size;
};
#define sops_struct_ops_test_run_opts__last_field log_size

/*
 * sops_prog_test_run_struct_ops - PROG_TEST_RUN for struct_ops program
 * handle @prog_fd of any registered type (the kernel offers it for
 * bpf_dummy_ops only, with args[0] as the one buffer; docs/struct_ops.md):
 * the program, verified against its member at load, runs on the engine
 * its load chose (JIT or interpreter; the checked interpreter when it was
 * not proven safe) with r1 = the args array, inside an RCU read-side
 * section, as the member's thunk would run it, but with no kdata, map or
 * link involved.
 *
 * Returns 0 with retval and the buffers updated, or a negative errno and a
 * message: -EINVAL (not a struct_ops program loaded for a member; bad opts;
 * args_size not 8 * the argument count; a buffer shorter than its struct,
 * for an argument that is not a pointer to a struct, or missing where the
 * slot is not 0; NULL for a pointer argument whose stub does not mark it
 * __nullable; more buffers than arguments), -EBADF, -ENOMEM, or the fault
 * of a checked run (buffers then unchanged). Thread-safe (the buffers
 * belong to the call while it runs).
 */
SOPS_API int sops_prog_test_run_struct_ops(struct sops_runtime *rt, int prog_fd,
					   struct sops_struct_ops_test_run_opts *opts);

/*
 * sops_runtime__host_btf_fd - a new handle on the runtime's BTF object of
 * the host ("vmlinux" of this process: the host BTF plus synthesized value
 * types). Its ids are the ones MAP_CREATE's btf_vmlinux_value_type_id and
 * PROG_LOAD's attach_btf_id refer to. -ENOENT without host BTF. Close with
 * sops_close(). Thread-safe.
 */
SOPS_API int sops_runtime__host_btf_fd(struct sops_runtime *rt);

/*
 * sops_runtime__find_struct_ops - the BTF ids of registered type @name: the
 * ops struct (*@type_id, for attach_btf_id) and its value type (*@value_id,
 * for btf_vmlinux_value_type_id), searched in the host's BTF then in modules'
 * in load order. *@mod (may be NULL) receives the owning module or NULL.
 * Returns 0 or -ENOENT. Thread-safe.
 */
SOPS_API int sops_runtime__find_struct_ops(struct sops_runtime *rt, const char *name,
					   uint32_t *type_id, uint32_t *value_id,
					   struct sops_module **mod);

/* --- in callbacks and kfuncs: kdata, links, programs --- */

/* The registered type of a kdata handed to reg/unreg/update/validate. */
SOPS_API const struct sops_struct_ops *sops_struct_ops_of(const void *kdata);
/* @st_ops->priv of @kdata's type. */
SOPS_API void *sops_struct_ops_priv(const void *kdata);
/* Id of the struct_ops map @kdata belongs to (what lookup and map info report). */
SOPS_API uint32_t sops_struct_ops_map_id(const void *kdata);
/*
 * sops_struct_ops_get / sops_struct_ops_put - a reference on @kdata's map (the
 * kernel's bpf_struct_ops_get/put, for bpf_try_module_get on BPF_MODULE_OWNER):
 * get fails (false) once the map is being freed. Thread-safe, lock-free.
 */
SOPS_API bool sops_struct_ops_get(const void *kdata);
SOPS_API void sops_struct_ops_put(const void *kdata);

/* The link's id (as link info reports it), 0 for NULL. */
SOPS_API uint32_t sops_struct_ops_link__id(const struct sops_struct_ops_link *link);
/*
 * sops_struct_ops_link__detach - detach @link from the host side (the kernel's
 * link->ops->detach a subsystem may call): unreg() runs, the map is dropped,
 * pollers are woken. Idempotent. Must not be called from inside reg/unreg/
 * update of the same runtime (they hold the link mutex). Returns 0.
 */
SOPS_API int sops_struct_ops_link__detach(struct sops_struct_ops_link *link);

/*
 * sops_prog_get_assoc_struct_ops - the kdata of the struct_ops map @prog is
 * associated with (spec 2.9), or NULL when unset or poisoned (one struct_ops
 * program used by two maps). For kfuncs: call it from program context (the
 * program runs in an RCU read-side section, which keeps the map alive). The
 * map may be in any state (not updated, not attached): the host tracks that.
 * Lock-free.
 */
SOPS_API void *sops_prog_get_assoc_struct_ops(const struct sops_prog *prog);

/*
 * Implicit program argument of kfuncs. A kfunc registered with
 * flags |= SOPS_KF_PROG_ARG(i) receives the calling struct sops_prog * in
 * argument i (0-based: r1 + i) whatever the program put there (programs pass
 * 0, as with the kernel's `__prog` parameters / KF_IMPLICIT_ARGS). The runtime
 * binds it when the program is loaded (a per-program trampoline), so the call
 * stays a plain native call. A parameter of the kfunc's BTF prototype named
 * `<x>__prog` sets the flag by itself at registration (the first such one).
 */
#define SOPS_KF_IMPLICIT_PROG (1U << 16)
#define SOPS_KF_PROG_ARG(i) (SOPS_KF_IMPLICIT_PROG | ((uint32_t)(i) << 17))
#define SOPS_KF_PROG_ARG_IDX(flags) (((flags) >> 17) & 7U)

/* --- modules: shared objects that register types and kfuncs --- */

/*
 * A module is a shared object with two entry points (plain C symbols):
 *
 *   int  sops_module_init(struct sops_module *mod);   0 or a negative errno
 *   void sops_module_exit(struct sops_module *mod);   optional
 *
 * init registers struct_ops types (owner = mod) and kfuncs. The module's BTF
 * is the .BTF section of the shared object (pahole -J, or objcopy
 * --add-section of a pahole --btf_encode_detached file), or a file named by
 * opts->btf_path; it is split on the host's BTF unless opts->btf_standalone.
 */
#define SOPS_MODULE_INIT_SYM "sops_module_init"
#define SOPS_MODULE_EXIT_SYM "sops_module_exit"

typedef int (*sops_module_init_fn)(struct sops_module *mod);
typedef void (*sops_module_exit_fn)(struct sops_module *mod);

struct sops_module_load_opts {
	size_t sz;
	/* Module name (BTF object name, messages); default: file name without directory and ".so". */
	const char *name;
	/* BTF file (raw or ELF); NULL: the .BTF section of the shared object itself. */
	const char *btf_path;
	/* The BTF is standalone rather than split on the host's. */
	bool btf_standalone;
	/* Given to the module: sops_module__ctx(). */
	void *ctx;
	/*
	 * On failure, one message: the dlopen error, the missing entry point,
	 * the BTF loader's message, or the error of init, including that of a
	 * registration init made without a log of its own.
	 */
	char *log_buf;
	size_t log_size;
};
#define sops_module_load_opts__last_field log_size

/*
 * sops_runtime__load_module - dlopen @path, load its BTF, publish it as a BTF
 * object (kernel_btf, named after the module) and run its init. Returns 0 and
 * *@mod, or a negative errno: -ENOENT/-EINVAL (dlopen failure, no init
 * symbol), the BTF loader's error, -EEXIST (a module of that name is loaded),
 * init's error (the module is unloaded again). Thread-safe.
 */
SOPS_API int sops_runtime__load_module(struct sops_runtime *rt, const char *path,
				       const struct sops_module_load_opts *opts,
				       struct sops_module **mod);
/*
 * sops_runtime__unload_module - run the module's exit and dlclose it.
 * -EBUSY while a struct_ops map of one of its types exists (or a program of
 * its types is being loaded); then nothing changes and it may be retried.
 * Its types become unknown to new maps and programs at once. Thread-safe.
 */
SOPS_API int sops_runtime__unload_module(struct sops_runtime *rt, struct sops_module *mod);

SOPS_API const char *sops_module__name(const struct sops_module *mod);
SOPS_API struct sops_runtime *sops_module__runtime(const struct sops_module *mod);
SOPS_API void *sops_module__ctx(const struct sops_module *mod);
/* The module's BTF (split on the host's unless standalone); valid while the module is loaded. */
SOPS_API const struct btf *sops_module__btf(const struct sops_module *mod);
/*
 * A new handle on the module's BTF object: MAP_CREATE's value_type_btf_obj_fd
 * (with BPF_F_VTYPE_BTF_OBJ_FD), PROG_LOAD's attach_btf_obj_fd. Close it with
 * sops_close(). Thread-safe.
 */
SOPS_API int sops_module__btf_fd(const struct sops_module *mod);
/* Maps of this module's types now alive (what makes unload fail with EBUSY). */
SOPS_API long sops_module__refcnt(const struct sops_module *mod);

/* --- libbpf-style high-level API (spec 5.3, 5.4) --- */

/*
 * Loading an object into a runtime: set sops_object_load_opts.runtime (or
 * call sops_object__load_runtime()). With no opts->ops the library creates the
 * maps (object BTF loaded, struct_ops maps against the runtime's host or
 * module BTF, global data written) and loads the programs itself; host_btf and
 * module_btfs default to the runtime's (host BTF with value types, loaded
 * modules). Programs and maps then have handles in that runtime.
 */
SOPS_API int sops_object__load_runtime(struct sops_object *obj, struct sops_runtime *rt,
				       const struct sops_object_load_opts *opts);
/* The runtime the object was loaded into, or NULL. */
SOPS_API struct sops_runtime *sops_object__runtime(const struct sops_object *obj);

/* A user-side link: libbpf's struct bpf_link for struct_ops maps. */
struct sops_link;

/*
 * sops_map__attach_struct_ops - update @map (key 0) with its kernel image and
 * register it. Non-link maps: the update registers (reg), the returned link
 * has no runtime link (its fd is the map's handle) and detach deletes the
 * element; re-attaching after detach fails (-EBUSY, TOBEFREE). BPF_F_LINK
 * maps: -EBUSY from the update is ignored (map already READY), then
 * LINK_CREATE. Returns 0 and *@link, or a negative errno (-EINVAL: not a
 * struct_ops map or not loaded into a runtime; the update's or reg's error).
 * Thread-safe with respect to other links; one thread per object otherwise.
 */
SOPS_API int sops_map__attach_struct_ops(const struct sops_map *map, struct sops_link **link);
/*
 * sops_link__update_map - switch @link to @map (same type, BPF_F_LINK):
 * update @map (EBUSY ignored), then LINK_UPDATE. -EINVAL for a non-struct_ops
 * or unloaded map or a link without runtime link (non-link map); LINK_UPDATE's
 * errnos (EOPNOTSUPP no update callback, ENOLINK detached, EINVAL other
 * type, update's error). On success the link remembers @map.
 */
SOPS_API int sops_link__update_map(struct sops_link *link, const struct sops_map *map);
/* LINK_DETACH (non-link maps: delete the element). Idempotent for links: 0 again. */
SOPS_API int sops_link__detach(struct sops_link *link);
/* Detach unless disconnected, close the handle, free @link. NULL is fine. Returns 0 or -errno. */
SOPS_API int sops_link__destroy(struct sops_link *link);
/* Keep the runtime link alive past destroy (libbpf's bpf_link__disconnect). */
SOPS_API void sops_link__disconnect(struct sops_link *link);
/* The link's handle (the map's for a non-link map). */
SOPS_API int sops_link__fd(const struct sops_link *link);
/*
 * A pollable file descriptor that reports POLLHUP (EPOLLHUP) once the link is
 * detached, as the kernel's struct_ops link fd does (LINK_DETACH,
 * sops_struct_ops_link__detach; the map being replaced does not count), and
 * no event before. poll() and epoll report the hang-up whatever events were
 * asked for; it stays reported (level-triggered) and never comes with
 * POLLIN. Deviation: link handles are not file descriptors, so this is a
 * separate fd (the read end of a pipe whose write end detach closes; read()
 * returns 0 after detach, -EAGAIN before), not the link handle itself.
 * -EINVAL for non-link maps. Owned by the link, valid until the link is
 * freed: do not close it. Thread-safe.
 */
SOPS_API int sops_link__poll_fd(const struct sops_link *link);
/* The same for a raw link handle (LINK_CREATE's result): -EBADF/-EINVAL as fd lookups. */
SOPS_API int sops_link_poll_fd(struct sops_runtime *rt, int link_fd);

/*
 * sops_program__assoc_struct_ops - associate loaded non-struct_ops @prog with
 * struct_ops @map (spec 5.4): -EINVAL when the program or map has no handle,
 * the program is a struct_ops program or the map is not struct_ops; then
 * PROG_ASSOC_STRUCT_OPS's errnos (-EBUSY: already associated with another
 * map). @opts may be NULL (flags must be 0).
 */
SOPS_API int sops_program__assoc_struct_ops(struct sops_program *prog, struct sops_map *map,
					    struct sops_prog_assoc_struct_ops_opts *opts);

#ifdef __cplusplus
}
#endif
#endif /* STRUCTOPS_STRUCT_OPS_H */
