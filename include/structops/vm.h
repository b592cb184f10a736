/* SPDX-License-Identifier: MIT */
/*
 * structops/vm.h - the execution engine: turn bytecode into something runnable, run it.
 *
 * A struct sops_vm is one program prepared for execution: its bytecode checked
 * for structural validity, its 64-bit pseudo loads and calls resolved, and then
 * either pre-decoded for the threaded interpreter or compiled by the JIT.
 *
 * Two interpreter modes exist:
 *  - fast (default): for programs a verifier has accepted. No per-instruction
 *    checks; memory accesses go straight to the host.
 *  - checked (opts.checked): for bytecode nobody verified. Every load and store
 *    must fall inside the current stack or a region the caller lists in the run
 *    options, every helper argument is checked against the helper's prototype
 *    before the call, the run has an instruction budget, and a violation stops the
 *    program with an error code and a message instead of crashing the host.
 *
 * The runtime (maps, programs, struct_ops) sits on top of this layer; hosts and
 * tools may also use it directly to run raw bytecode.
 *
 * Thread safety: a sops_vm is immutable once created. Any number of threads may
 * run the same vm at once; each run keeps its registers and stack on the
 * calling thread's own stack.
 */
#ifndef STRUCTOPS_VM_H
#define STRUCTOPS_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "insn.h"
#include "proto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sops_vm;

/*
 * A helper, called with the kernel's convention: r1-r5 in, r0 out. The sixth
 * argument is the aux pointer given at creation (the runtime passes its program
 * object), so a helper can reach its runtime without global state.
 */
typedef uint64_t (*sops_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				   uint64_t r5, void *aux);

/*
 * An entry of a helper table: the kernel's helper id, a name, the function
 * and its prototype (proto.h; NULL: every argument is an unchecked scalar,
 * which the checked interpreter and the verifier accept only for helpers
 * that take no pointers).
 */
struct sops_helper {
	uint32_t id;
	const char *name;
	sops_helper_fn fn;
	const struct sops_func_proto *proto;
};

/* A kfunc is called natively with up to five integer/pointer arguments. */
typedef uint64_t (*sops_kfunc_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5);

/*
 * Resolves a kfunc call (call with src_reg = SOPS_CALL_KFUNC): @btf_id is the
 * instruction's imm, @btf_slot its off. Returns 0 and sets *@fn, or a negative
 * errno (the creation fails with it).
 */
typedef int (*sops_kfunc_resolve_fn)(void *ctx, int32_t btf_id, int16_t btf_slot,
				     sops_kfunc_fn *fn);

/*
 * Resolves a pseudo lddw (src_reg != 0): @insn points at its two slots, @idx is
 * the slot index in the program. Returns 0 and the 64-bit value, or a negative
 * errno.
 */
typedef int (*sops_ld_imm64_resolve_fn)(void *ctx, const struct sops_insn *insn, size_t idx,
					uint64_t *value);

/* Checked-mode hook: may the program access [addr, addr+size) (a write if @write)? */
typedef bool (*sops_mem_ok_fn)(void *ctx, uint64_t addr, uint64_t size, bool write);

/*
 * Checked-mode hook for helper arguments that name runtime objects rather
 * than plain memory (the vm knows stacks and regions, not maps or ring
 * buffers). @value is the register's value; true accepts it. For
 * SOPS_VM_OBJ_MAP, *@info receives the map's key and value sizes, which the
 * following PTR_TO_MAP_KEY/VALUE arguments are checked against.
 */
enum sops_vm_obj {
	SOPS_VM_OBJ_MAP,         /* a map the program declared */
	SOPS_VM_OBJ_FUNC,        /* one of the program's callbacks (lddw of a function) */
	SOPS_VM_OBJ_RINGBUF_REC, /* a ring buffer record the program reserved and holds */
	SOPS_VM_OBJ_SPIN_LOCK,   /* a struct bpf_spin_lock inside a map value */
	SOPS_VM_OBJ_TIMER,       /* a struct bpf_timer inside a map value */
	SOPS_VM_OBJ_BTF_ID,      /* a host object described in BTF */
};

struct sops_vm_obj_info {
	uint32_t key_size;
	uint32_t value_size;
};

typedef bool (*sops_obj_ok_fn)(void *ctx, enum sops_vm_obj kind, uint64_t value,
			       struct sops_vm_obj_info *info);

/*
 * Checked mode: what one kfunc call may be given and what it returns, as the
 * kfunc's BTF prototype says (structops' runtime derives it; see
 * kfunc_check_resolve). Before a checked run enters the kfunc, every argument
 * is checked against its kind; a violation stops the run with -EFAULT and a
 * message naming the kfunc and the argument.
 *
 * Host objects are tracked per run: the context's (sops_vm_opts.ctx_objs)
 * and those kfuncs returned during the run. A SOPS_KARG_OBJ argument must be
 * one of them, of the named struct; a releasing kfunc removes it, and an
 * object a kfunc acquired, or a ref context object, must be released or
 * returned before the run ends (else the run fails with -EINVAL: the
 * reference would leak). A callback
 * (bpf_loop, ...) starts with no host objects.
 */
enum sops_kfunc_arg_kind {
	SOPS_KARG_SCALAR = 0, /* any value */
	SOPS_KARG_MEM,        /* size bytes of memory the program may write */
	SOPS_KARG_OBJ,        /* a host object of struct type (see above) */
	SOPS_KARG_ANY_PTR,    /* void *: a host object of any struct */
};

struct sops_kfunc_arg {
	uint8_t kind;     /* enum sops_kfunc_arg_kind */
	bool release;     /* OBJ: the kfunc releases it (one a kfunc acquired, or a __ref ctx object) */
	uint32_t size;    /* MEM: bytes (0: the kfunc touches none) */
	const char *type; /* OBJ: the struct's name; must outlive the vm */
};

struct sops_kfunc_check {
	const char *name;              /* the kfunc, for messages; must outlive the vm */
	uint32_t arg_cnt;              /* arguments checked (at most 5) */
	struct sops_kfunc_arg args[5];
	const char *ret_type;          /* non-NULL: returns a host object of this struct, or 0 */
	bool ret_acquired;             /* the returned object is a reference the run must drop */
};

/*
 * Fills *@out for a kfunc call as sops_kfunc_resolve_fn is asked: 0; 1 when
 * nothing is known of its arguments (the call is then not checked: the
 * caller vouches for that kfunc); or a negative errno (creation fails).
 */
typedef int (*sops_kfunc_check_resolve_fn)(void *ctx, int32_t btf_id, int16_t btf_slot,
					   struct sops_kfunc_check *out);

/* Checked mode: u64 slot @slot of the context r1 points to at entry holds a host object. */
struct sops_vm_ctx_obj {
	uint32_t slot;
	const char *type; /* the struct's name; must outlive the vm */
	bool ref;         /* a reference the program may release (a __ref argument) */
};
#define SOPS_VM_MAX_CTX_OBJS 12

/* Which engine runs a vm. */
enum sops_engine {
	SOPS_ENGINE_INTERP = 0, /* threaded interpreter */
	SOPS_ENGINE_JIT = 1,    /* native x86-64 code */
};

/* Options for sops_vm__create(). Zero-initialize, set sz = sizeof(opts). */
struct sops_vm_opts {
	size_t sz;
	enum sops_engine engine;
	/* Interpreter checked mode for unverified bytecode (engine must be INTERP). */
	bool checked;
	/* Checked mode: instructions allowed per run; 0 means SOPS_VM_DEFAULT_BUDGET. */
	uint64_t insn_budget;
	/* Helpers by id; calls to ids not listed are rejected at creation. */
	const struct sops_helper *helpers;
	size_t helper_cnt;
	/* Resolvers for kfunc calls and pseudo lddw; NULL rejects such instructions. */
	sops_kfunc_resolve_fn kfunc_resolve;
	sops_ld_imm64_resolve_fn ld_imm64_resolve;
	void *resolve_ctx;
	/* Passed to every helper as its last argument. */
	void *aux;
	/* On failure, a NUL-terminated message saying what is wrong and where. */
	char *log_buf;
	size_t log_size;
	/* JIT: blind constants (for untrusted bytecode). */
	bool jit_blinding;
	/* JIT: list the program in /tmp/perf-<pid>.map under this name (NULL: no entry). */
	const char *perf_map_name;
	/*
	 * Checked mode: asked about an access outside the stack and the run's
	 * regions (memory that is not a static list, e.g. map values); true
	 * allows it. Never called in fast mode or by the JIT.
	 */
	sops_mem_ok_fn mem_ok;
	void *mem_ok_ctx;
	/*
	 * Checked mode: validates helper arguments that name runtime objects
	 * (called with mem_ok_ctx). NULL refuses every such argument. Helper
	 * arguments are checked by their prototype (proto.h) before each call;
	 * a violation stops the run with -EFAULT.
	 */
	sops_obj_ok_fn obj_ok;
	/*
	 * Internal, for structops' own runtime: the bytecode carries the access
	 * modes its verifier writes into programs it proved safe (loads and
	 * stores of host objects through BTF-typed pointers; probe loads read 0
	 * where the address faults). Other callers leave it false: such
	 * opcodes are then invalid.
	 */
	bool host_access;
	/*
	 * Checked mode: the argument kinds of each kfunc call (called with
	 * resolve_ctx after kfunc_resolve). NULL: kfunc calls are not checked,
	 * the caller vouches for its kfuncs.
	 */
	sops_kfunc_check_resolve_fn kfunc_check_resolve;
	/* Checked mode: the host objects the context holds (at most SOPS_VM_MAX_CTX_OBJS; copied). */
	const struct sops_vm_ctx_obj *ctx_objs;
	size_t ctx_obj_cnt;
};
#define sops_vm_opts__last_field ctx_obj_cnt

#define SOPS_VM_DEFAULT_BUDGET (1ull << 32)

/*
 * sops_vm__create - check and prepare @insn_cnt instruction slots for execution.
 *
 * The instructions are copied; the caller keeps ownership of @insns. Structural
 * rules are always enforced: known opcodes with zero reserved fields, registers
 * r0-r10 with r10 read-only, jump and call targets inside the program and never
 * into the second slot of an lddw, no path falling off the end.
 *
 * Returns 0 and stores the vm in *@vm, or a negative errno: -EINVAL for invalid
 * bytecode or options, -ENOENT for an unknown helper, -E2BIG for more than
 * SOPS_VM_MAX_INSNS slots, -ENOMEM, -EOPNOTSUPP when the JIT is unavailable, or
 * what a resolver returned. opts->log_buf then says why.
 *
 * Thread-safe (touches no shared state).
 */
SOPS_API int sops_vm__create(const struct sops_insn *insns, size_t insn_cnt, const struct sops_vm_opts *opts,
		    struct sops_vm **vm);

#define SOPS_VM_MAX_INSNS (1u << 20)

/* sops_vm__free - release @vm (NULL is fine). No thread may still be running it. */
SOPS_API void sops_vm__free(struct sops_vm *vm);

/* A memory range a checked-mode run may access, in addition to its stack. */
struct sops_mem_region {
	uint64_t start;
	uint64_t size;
	bool writable;
};

/* Options and results of sops_vm__run(). Zero-initialize, set sz. */
struct sops_vm_run_opts {
	size_t sz;
	uint64_t args[5];                      /* r1..r5 at entry */
	const struct sops_mem_region *regions; /* checked mode only */
	size_t region_cnt;
	/* out: r0 at exit */
	uint64_t retval;
	/* out, on failure: slot index of the faulting instruction and a message */
	uint32_t fault_pc;
	char *fault_buf;
	size_t fault_size;
};
#define sops_vm_run_opts__last_field fault_size

/*
 * sops_vm__run - run @vm once on the calling thread.
 *
 * Returns 0 with opts->retval set, or a negative errno when the program was
 * stopped: -EFAULT (memory access outside the allowed regions, a misaligned
 * atomic, or a helper argument its prototype does not allow), -ETIME (instruction budget spent), -E2BIG (call chain deeper than
 * SOPS_MAX_CALL_FRAMES), -ENOENT (callx to an unknown helper), -EINVAL (bad
 * options, or a checked run that ended holding a reference a kfunc returned).
 * Only checked mode can report the first two. -EFAULT also covers a kfunc
 * argument sops_kfunc_check refuses.
 *
 * JIT'd code has no error channel: where the interpreter reports -E2BIG or
 * -ENOENT, JIT'd code unwinds to its caller with r0 = 0, and this function
 * returns 0 with retval 0. Verified programs never reach either case.
 *
 * Thread-safe; reentrant.
 */
SOPS_API int sops_vm__run(const struct sops_vm *vm, struct sops_vm_run_opts *opts);

/*
 * sops_vm__exec - the hot path: run with r1 = @r1, r2 = @r2, return r0.
 * Meant for verified programs; a run that faults returns 0. Allocates nothing
 * and takes no lock. Thread-safe; reentrant.
 */
SOPS_API uint64_t sops_vm__exec(const struct sops_vm *vm, uint64_t r1, uint64_t r2);

/* The native entry of a JIT'd vm (r1..r5 in, r0 out), or NULL. Thread-safe. */
typedef uint64_t (*sops_jit_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5);
SOPS_API sops_jit_fn sops_vm__jit_fn(const struct sops_vm *vm);

/* The machine code of a JIT'd vm and its size, or NULL. Thread-safe. */
SOPS_API const void *sops_vm__jit_image(const struct sops_vm *vm, size_t *size);

/*
 * sops_vm__checked_stack - the whole stack [*lo, *hi) of the checked run the
 * calling thread is inside (a helper called from it asks), or false when it
 * is in none. A helper running a callback gives it this region, so the
 * callback reaches its caller's stack. Thread-safe (per thread).
 */
SOPS_API bool sops_vm__checked_stack(uint64_t *lo, uint64_t *hi);

/* The engine @vm runs on, and whether it is in checked mode. Thread-safe. */
SOPS_API enum sops_engine sops_vm__engine(const struct sops_vm *vm);
SOPS_API bool sops_vm__checked(const struct sops_vm *vm);

/* The resolved instruction slots the vm executes, and their count. Thread-safe. */
SOPS_API const struct sops_insn *sops_vm__insns(const struct sops_vm *vm, size_t *insn_cnt);

/* Whether this build has a JIT for the machine it runs on. Thread-safe. */
SOPS_API bool sops_jit_available(void);

#ifdef __cplusplus
}
#endif
#endif /* STRUCTOPS_VM_H */
