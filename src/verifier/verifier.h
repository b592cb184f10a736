/* SPDX-License-Identifier: MIT */
/*
 * verifier.h - the data-flow verifier's state and the steps that share it
 * (internal).
 *
 * The verifier walks every path of the program with abstract register and
 * stack states (the kernel's model, from its documentation): a register is
 * not initialised, a scalar (scalar.h: tnum plus bounds), or a pointer of a
 * kind with a fixed offset and a variable part. Paths split at conditional
 * jumps; the pending ones wait on a stack. At prune points a state that is
 * contained in an earlier, fully explored one stops: whatever the earlier one
 * did, this one does too.
 *
 * Files:
 *   verifier.c  entry (rt_verify), the exploration loop, the verdict and stats
 *   cfg.c       subprograms, reachability, the static register liveness pruning uses
 *   state.c     states: copy, free, comparison for pruning, the explored lists
 *   mem.c       loads, stores and atomics: stack, ctx, map values and keys, memory
 *   alu.c       arithmetic on scalars and pointers
 *   branch.c    conditional jumps: outcome, refinement, NULL checks
 *   call.c      helper, kfunc, subprogram and callback calls; references; locks
 *   vlog.c      the log: messages, register state dumps, source lines
 *   scalar.c, tnum.c  the numeric domain
 */
#ifndef SOPS_VERIFIER_H
#define SOPS_VERIFIER_H

#include <stdbool.h>
#include <stdint.h>

#include <structops/object.h>
#include <structops/struct_ops.h>

#include "../runtime/rt_internal.h"
#include "scalar.h"

#define V_MAX_FRAMES 8          /* the kernel's MAX_CALL_FRAMES */
#define V_STACK_SIZE 512        /* bytes per frame */
#define V_SLOTS (V_STACK_SIZE / 8)
#define V_MAX_COMBINED_STACK 512 /* the kernel's combined limit */
#define V_INSN_LIMIT RT_VERIFIER_INSN_LIMIT /* processed instructions, unless the runtime sets fewer */
#define V_MAX_REFS 64
#define V_MAX_STATES_PER_INSN 64 /* explored states kept per prune point */
#define V_MAX_CB_DEPTH 4         /* callbacks within callbacks */
#define V_MAX_PENDING 8192       /* paths waiting at once */
#define V_MAX_HELD_BTF 16        /* module BTFs one program calls kfuncs of */
#define V_MAX_TOTAL_STATES 20000 /* snapshots kept in all (bounds memory: ~8 KiB a frame) */

/* Register kinds. */
enum vtype {
	V_NOT_INIT = 0,
	V_SCALAR,
	V_PTR_TO_CTX,
	V_PTR_TO_STACK,     /* frame: frameno */
	V_CONST_PTR_TO_MAP, /* map */
	V_PTR_TO_MAP_VALUE, /* map */
	V_PTR_TO_MAP_KEY,   /* map */
	V_PTR_TO_MEM,       /* mem_size bytes (a ring buffer record, helper memory) */
	V_PTR_TO_FUNC,      /* subprog */
	V_PTR_TO_BTF_ID,    /* btf.btf, btf.id: a host object (btf_ptr.c) */
	V_TYPE_CNT,
};

/* Register flags. */
#define VF_MAYBE_NULL (1U << 0) /* must be compared with 0 before use */
#define VF_RDONLY (1U << 1)     /* the program may only read (read-only maps) */
#define VF_RINGBUF (1U << 2)    /* V_PTR_TO_MEM: a ring buffer record */
/*
 * V_PTR_TO_BTF_ID: the host vouches for the object (a struct_ops argument, a
 * KF_ACQUIRE result). Without it the pointer was read from a field and may be
 * anything: loads through it are probe loads (a fault reads 0).
 */
#define VF_TRUSTED (1U << 3)

struct vreg {
	uint8_t type;   /* enum vtype */
	uint8_t flags;  /* VF_* */
	uint8_t frameno; /* V_PTR_TO_STACK: whose stack */
	int32_t off;    /* pointers: the fixed part of the offset */
	/* Scalars: the value. Pointers: the variable part of the offset. */
	struct vscalar v;
	/* Pointers that may be NULL share an id with their copies: a NULL test refines all. */
	uint32_t id;
	uint32_t ref_obj_id; /* the reference this pointer is (0: none) */
	union {
		struct rt_map *map;
		uint32_t mem_size;
		uint32_t subprog;
		struct {
			const struct btf *btf;
			uint32_t id; /* a struct or union of btf */
		} btf;
	};
};

/* What the bytes of a stack slot hold (per byte, as the kernel tracks it). */
enum vslot {
	VS_INVALID = 0, /* never written */
	VS_SPILL,       /* part of a spilled register (slot.spill) */
	VS_MISC,        /* some scalar byte */
	VS_ZERO,        /* a known zero byte */
};

struct vstack_slot {
	uint8_t type[8]; /* enum vslot per byte, byte 0 at the slot's lowest address */
	struct vreg spill; /* valid when any byte is VS_SPILL */
};

struct vframe {
	struct vreg regs[11];
	uint32_t callsite; /* the call instruction (frame > 0) */
	uint32_t subprog;
	uint16_t depth;    /* stack bytes used (rounded to 8): slots below are all VS_INVALID */
	uint8_t cb_kind;   /* 0: bpf-to-bpf call, else enum vcb_kind */
	/* callbacks: the return value range the helper accepts */
	int32_t cb_ret_min, cb_ret_max;
	/*
	 * Last, so a snapshot copies only the slots in use: stack[i] covers
	 * fp-8*(i+1) .. fp-8*i-1. In a snapshot, slots from depth/8 on are
	 * not copied and must not be read.
	 */
	struct vstack_slot stack[V_SLOTS];
};

enum vcb_kind {
	VCB_NONE = 0,
	VCB_LOOP,     /* bpf_loop: r1 index, r2 ctx */
	VCB_FOR_EACH, /* bpf_for_each_map_elem: r1 map, r2 key, r3 value, r4 ctx */
	VCB_TIMER,    /* bpf_timer_set_callback: r1 map, r2 key, r3 value (verified on its own) */
};

struct vref {
	uint32_t id;
	uint32_t insn;     /* where it was acquired */
	uint8_t cb_depth;  /* callback frames active when acquired */
};

struct vstate {
	struct vframe *frame[V_MAX_FRAMES];
	uint32_t curframe;
	uint32_t refcnt;
	struct vref refs[V_MAX_REFS];
	/* the bpf_spin_lock held: map and the id of the value pointer (0: none) */
	struct rt_map *lock_map;
	uint32_t lock_id;
	uint32_t lock_insn;
	uint8_t cb_depth; /* callback frames on the stack */
};

/* An explored state kept at a prune point. */
struct vsnap {
	struct vstate st;
	struct vsnap *parent; /* the previous snapshot on its path */
	uint32_t branches;    /* paths through it still being explored; 0: complete */
	uint32_t insn;
	uint32_t hit, miss;      /* prunes it made, comparisons it failed */
	struct vsnap *next_free; /* all snapshots, freed at the end */
};

/* A path waiting to be explored. */
struct vpending {
	struct vstate st;
	uint32_t insn;
	uint32_t prev_insn;
	struct vsnap *parent;
};

/* A subprogram: [start, end). */
struct vsubprog {
	uint32_t start, end;
	uint16_t stack_depth; /* deepest its own frame reached */
	bool is_callback;
	bool is_global;  /* BTF func info says global linkage: verified on its own */
	bool global_verified;
	uint32_t func_btf_id; /* FUNC in the program's BTF, 0: none */
};

/* Per-instruction facts. */
struct vinsn {
	uint16_t live_in;  /* registers read before written from here (bit n: rn) */
	bool prune_point;
	bool cb_call; /* a bpf_loop / for_each_map_elem call: a loop head for callback rounds */
	bool seen;
	struct vsnap **explored; /* snapshots kept here (at most V_MAX_STATES_PER_INSN) */
	uint32_t explored_cnt;
	struct rt_map *map;  /* lddw MAP_FD/MAP_VALUE: the map */
	uint8_t btf_mem;     /* enum vbtf_mem: loads and stores through host objects */
};

/* How a load or store reaches a host object (vinsn.btf_mem); the strongest seen on any path wins. */
enum vbtf_mem {
	VBTF_NONE = 0,
	VBTF_TRUSTED, /* only through trusted pointers: a plain access */
	VBTF_PROBE,   /* some path reads through a walked pointer: a fault reads 0 */
};

struct venv {
	struct sops_prog *prog;
	struct sops_runtime *rt;
	const struct sops_helper *helpers;
	size_t helper_cnt;
	const struct sops_insn *insns;
	uint32_t insn_cnt;
	struct vinsn *aux;
	struct vsubprog *subprogs;
	uint32_t subprog_cnt;

	/* the log */
	const int *fd_array; /* module BTFs of kfunc calls */
	uint32_t fd_array_cnt;
	struct rt_btf *held_btf[V_MAX_HELD_BTF]; /* module BTFs typing states, one reference each */
	uint32_t held_btf_cnt;

	/* the log */
	struct sops_log *log;
	uint32_t log_level;
	char *log_buf; /* the level 1/2 trace (may be NULL) */
	size_t log_size, log_len;
	bool log_truncated;
	struct sops_line_info *lines; /* a sorted copy */
	uint32_t line_cnt;
	uint32_t last_line;

	/* exploration */
	struct vstate *cur;
	uint32_t insn_idx, prev_insn;
	struct vsnap *cur_parent;
	struct vpending *pending;
	uint32_t pending_cnt, pending_cap;
	struct vsnap *all_snaps;
	void *idmap; /* state.c's scratch id map for comparisons */
	uint32_t next_id;
	bool path_done; /* the current path ended (exit or pruned) */
	bool cb_return; /* the current path just came back from a callback round */

	/* stats */
	uint64_t insn_processed;
	uint32_t insn_limit; /* V_INSN_LIMIT or the runtime's lower one */
	uint64_t last_snap_processed;
	uint32_t peak_states, total_states, cur_states;
	uint32_t max_states_per_insn;
	uint32_t peak_pending;
	uint64_t time_ns;

	/* struct_ops: the reference each __ref argument holds from entry (0: none) */
	uint32_t arg_ref[5];

	/* the first error's message is what log->buf ends with */
	int err;
	char errmsg[256];
	uint32_t err_insn;
};

/* vlog.c */
int verr(struct venv *env, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vlog(struct venv *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vlog_insn(struct venv *env, uint32_t idx);
void vlog_state(struct venv *env, const struct vstate *st);
const char *vtype_name(const struct vreg *r);
void vlog_reg(char *buf, size_t size, const struct vreg *r);
void vlog_source(struct venv *env, uint32_t idx);

/* cfg.c */
int vcfg_check(struct venv *env);
uint32_t vsubprog_of(const struct venv *env, uint32_t insn);
int vsubprog_find(const struct venv *env, uint32_t start);

/* state.c */
struct vstate *vstate_new(void);
int vstate_copy(struct vstate *dst, const struct vstate *src);
/* A copy for comparison only: the stack slots in use (vframe.depth), nothing deeper. */
int vstate_copy_snap(struct vstate *dst, const struct vstate *src);
void vstate_clear(struct vstate *st);
void vstate_free(struct vstate *st);
struct vframe *vframe_new(void);
void vreg_init_not(struct vreg *r);
void vreg_scalar_unknown(struct vreg *r);
void vreg_scalar_const(struct vreg *r, uint64_t v);
bool vreg_is_ptr(const struct vreg *r);
bool vreg_is_const(const struct vreg *r, uint64_t *v);
/* Pruning: whether @cur is contained in @old (at insn @idx). */
bool vstate_within(struct venv *env, const struct vstate *old, const struct vstate *cur, uint32_t idx);
/* Exactly the same (infinite loop detection). */
bool vstate_equal(const struct vstate *a, const struct vstate *b);
/*
 * Check the prune point: 1 prune this path, 0 go on, <0 error. A path that
 * comes back from a callback round (env->cb_return) is first widened against
 * the latest round at this call and may be pruned by an unfinished one.
 */
int vstate_visit(struct venv *env, uint32_t idx);
/* The current path ended: complete the snapshots it passed through. */
void vstate_path_end(struct venv *env);
void vstate_free_all(struct venv *env);
/* Widen scalars of @cur that differ from @old to unknown (callback iterations). */
void vstate_widen(struct vstate *cur, const struct vstate *old);

/* mem.c */
int vmem_ldx(struct venv *env, const struct sops_insn *in);
int vmem_st(struct venv *env, const struct sops_insn *in);
int vmem_atomic(struct venv *env, const struct sops_insn *in);
/*
 * Check that @r points at @size bytes the program may access (a helper's
 * memory argument, regno for messages). @write: the helper writes them;
 * @uninit: they need not be initialised (stack). @zero_ok: size 0 allowed.
 */
int vmem_check_helper_mem(struct venv *env, uint32_t regno, const struct vreg *r,
			  const struct vscalar *size, bool write, bool uninit, bool zero_ok);
/* The same with a constant size (map keys and values). */
int vmem_check_range(struct venv *env, uint32_t regno, const struct vreg *r, uint32_t size,
		     bool write, bool uninit);
/* The stack slot state a pointer into the stack names (frameno, byte offset < 0). */
struct vstack_slot *vmem_stack_slot(struct vstate *st, uint32_t frameno, int32_t off);
void vmem_update_depth(struct venv *env, uint32_t frameno, int32_t off);
int vmem_check_combined_depth(struct venv *env);
/* Whether a struct_ops program's member returns void (r0 then need not be set). */
bool vst_ops_ret_void(const struct sops_prog *prog);
/* Offset of the struct bpf_spin_lock in @map's value (BTF), or -1. */
int vmap_lock_off(const struct rt_map *map);

/* btf_ptr.c */
/* The FUNC_PROTO of a struct_ops program's member (and its BTF), or NULL. */
const struct btf_type *vst_ops_proto(const struct sops_prog *prog, const struct btf **out);
/* call.c: "unknown kernel function btf_id N (NAME: ...)" for a kfunc call refused with @err. */
void vkfunc_refusal(const struct sops_prog *prog, const struct sops_insn *in, int err, char *buf, size_t n);
/* A load from a struct_ops program's ctx (the member's arguments) at byte @off into @dst. */
int vbtf_ctx_access(struct venv *env, const struct vreg *r, int64_t off, uint32_t size, bool write,
		    struct vreg *dst, bool sext);
/* A load or store of @size bytes at @r + @off, @r a V_PTR_TO_BTF_ID; @val the stored value. */
int vbtf_access(struct venv *env, uint32_t regno, const struct vreg *r, int32_t off, uint32_t size,
		bool write, const struct vreg *val, struct vreg *dst, bool sext);
/* Entry state of a struct_ops program: the references its __ref arguments hold. */
int vbtf_entry_refs(struct venv *env, struct vstate *st);
/* r0 at the exit of a struct_ops program whose member returns a value. */
int vbtf_check_return(struct venv *env, const struct vreg *r0);
/*
 * Whether a pointer to (@btf, @id) may be passed where (@want_btf, @want_id)
 * is expected: the same type, or (@strict false) a struct that starts with it.
 */
bool vbtf_type_match(const struct btf *btf, uint32_t id, const struct btf *want_btf, uint32_t want_id,
		     bool strict);
/* Name of the struct a V_PTR_TO_BTF_ID points to (for messages and the log). */
const char *vbtf_type_name(const struct vreg *r);
/* An accepted program: keep the marks of accesses to host objects in prog->btf_mem (engines use them). */
int vbtf_save_marks(struct venv *env);

/* alu.c */
int valu(struct venv *env, const struct sops_insn *in);
int vld_imm64(struct venv *env, const struct sops_insn *in);

/* branch.c */
/* Returns 0 after pushing/choosing paths (env->insn_idx updated), <0 error. */
int vbranch(struct venv *env, const struct sops_insn *in);

/* call.c */
int vcall(struct venv *env, const struct sops_insn *in);
int vexit(struct venv *env);
void vrelease_ref(struct venv *env, uint32_t ref_obj_id);
uint32_t vnew_id(struct venv *env);
/* Forget the path pushed last (it proved impossible). */
void vpop_drop(struct venv *env);
/* Push a path starting at @insn with state @st copied. */
int vpush(struct venv *env, const struct vstate *st, uint32_t insn, uint32_t prev);
/* Mark every register and spill with @id NULL (scalar 0) or not NULL. */
void vmark_null(struct venv *env, struct vstate *st, uint32_t id, bool is_null);

static inline struct vframe *vcurframe(const struct venv *env)
{
	return env->cur->frame[env->cur->curframe];
}

static inline struct vreg *vregs(const struct venv *env)
{
	return vcurframe(env)->regs;
}

#endif /* SOPS_VERIFIER_H */
