/* SPDX-License-Identifier: MIT */
/*
 * rt_internal.h - the runtime's objects as the other layers see them (internal).
 *
 * Every object (map, program, link, BTF) starts with a struct rt_obj: a
 * reference count, an id and its kind. Handles (handle.c) hold one reference
 * each; objects hold references on what they use (a program on its maps). The
 * last put unpublishes the id and frees the object after an RCU grace period,
 * so lock-free readers (handle lookups, programs running) never see freed
 * memory.
 *
 * Extension points for the struct_ops layer (issue 6):
 *  - map types: rt_map_ops, installed per runtime with rt_register_map_type()
 *    (the STRUCT_OPS map type);
 *  - program types: rt_prog_type_ops, rt_register_prog_type() (load-time
 *    attach checks and test runs of STRUCT_OPS programs);
 *  - links: struct rt_link with rt_link_ops, created by a hook and installed
 *    with rt_link_install();
 *  - commands: rt_hooks (LINK_CREATE for attach type BPF_STRUCT_OPS,
 *    PROG_ASSOC_STRUCT_OPS) and the per-program st_ops_assoc/type_data slots.
 */
#ifndef SOPS_RT_INTERNAL_H
#define SOPS_RT_INTERNAL_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <urcu-bp.h>

#include <structops/bpf.h>
#include <structops/runtime.h>
#include <structops/vm.h>

#include "../util/log.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ROUND_UP(x, a) (((x) + (a) - 1) / (a) * (a))
/*
 * Map creation limits (docs/runtime.md "Map memory limits"): the kernel's
 * per-CPU unit size, its largest kmalloc (hash elements must fit one), and
 * the default of sops_runtime_opts.map_mem_limit, the memory all maps of a
 * runtime may use together.
 */
#define RT_PCPU_MIN_UNIT_SIZE 32768
#define RT_KMALLOC_MAX_SIZE (1U << 22)
#define RT_MAP_MEM_LIMIT_DEFAULT (1ULL << 30)
/* The kernel's complexity limit: instructions the verifier processes per load at most. */
#define RT_VERIFIER_INSN_LIMIT 1000000u

/*
 * A spinlock word (hash buckets, free lists, ring buffer reservations,
 * bpf_spin_lock). Host threads can be preempted while holding it, so a
 * waiter yields after 64 spins instead of burning the CPU.
 */
static inline void rt_spin_lock(atomic_int *l)
{
	for (unsigned int spins = 0;; spins++) {
		int exp = 0;

		if (!atomic_load_explicit(l, memory_order_relaxed) &&
		    atomic_compare_exchange_weak_explicit(l, &exp, 1, memory_order_acquire,
							  memory_order_relaxed))
			return;
		if (spins > 64)
			sched_yield();
		else
			__builtin_ia32_pause();
	}
}

static inline void rt_spin_unlock(atomic_int *l)
{
	atomic_store_explicit(l, 0, memory_order_release);
}

struct sops_runtime;
struct rt_obj;

struct rt_obj {
	atomic_long refcnt;
	uint32_t id;
	uint8_t kind; /* enum sops_obj_kind */
	struct sops_runtime *rt;
	/* Kind-specific teardown, run after the grace period; frees the object. */
	void (*free)(struct rt_obj *obj);
	struct rcu_head rcu;
};

/* --- objects and handles (handle.c) --- */

/* Set up @obj (refcnt 1) and give it an id. Returns 0 or -ENOMEM/-ENOSPC. */
int rt_obj_init(struct sops_runtime *rt, struct rt_obj *obj, enum sops_obj_kind kind,
		void (*free_fn)(struct rt_obj *obj));
/* Undo rt_obj_init for an object that never got a handle: frees at once (no grace period). */
void rt_obj_abort(struct rt_obj *obj);
void rt_obj_get(struct rt_obj *obj);
/* Take a reference unless the count already reached zero. */
bool rt_obj_get_not_zero(struct rt_obj *obj);
void rt_obj_put(struct rt_obj *obj);

/* Install @obj in a new handle; the handle takes over the caller's reference. */
int rt_handle_install(struct sops_runtime *rt, struct rt_obj *obj);
/*
 * The object behind @fd with a new reference: -EBADF if @fd is not open,
 * -EINVAL if it is another kind (the kernel's errnos for fd lookups).
 * RT_ANY_KIND accepts any kind.
 */
#define RT_ANY_KIND ((enum sops_obj_kind)-1)
int rt_handle_get(struct sops_runtime *rt, int fd, enum sops_obj_kind kind, struct rt_obj **obj);
int rt_handle_close(struct sops_runtime *rt, int fd);
void rt_handles_close_all(struct sops_runtime *rt);

/* By id: next id after @start of @kind (-ENOENT at the end), and a reference by id. */
int rt_id_next(struct sops_runtime *rt, enum sops_obj_kind kind, uint32_t start, uint32_t *next);
int rt_id_get(struct sops_runtime *rt, enum sops_obj_kind kind, uint32_t id, struct rt_obj **obj);

/* --- BTF objects (syscall.c) --- */

struct rt_btf {
	struct rt_obj obj;
	struct btf *btf; /* libbpf's parsed form */
	void *data;
	uint32_t size;
	bool kernel_btf; /* the host's own BTF or a module's (not user-loaded) */
	char name[64];
	/* struct_ops layer: the registry of a kernel BTF object (struct st_owner). */
	void *st_owner;
	/* A base of @btf this object made and owns (freed after @btf), or NULL. */
	struct btf *own_base;
};

/* --- maps (map.c and src/maps/) --- */

struct rt_map;

struct rt_map_ops {
	/* Attribute checks specific to the type (kernel map_alloc_check). */
	int (*alloc_check)(const union sops_bpf_attr *attr);
	/*
	 * The bytes a map of @attr will use with @nr_cpus per-CPU slots, every
	 * product checked: -E2BIG when it cannot be represented. Called after
	 * alloc_check; the result is charged to the runtime before alloc runs.
	 * NULL: the type's maps are small and fixed (not charged).
	 */
	int (*mem_size)(const union sops_bpf_attr *attr, uint32_t nr_cpus, uint64_t *bytes);
	/* Allocate and set up; rt_map_init() is called by the caller on the result. */
	int (*alloc)(struct sops_runtime *rt, const union sops_bpf_attr *attr, struct rt_map **map);
	void (*free)(struct rt_map *map);

	/* Program-side operations (called inside an RCU read-side section). */
	void *(*lookup_elem)(struct rt_map *map, const void *key);
	long (*update_elem)(struct rt_map *map, const void *key, const void *value, uint64_t flags);
	long (*delete_elem)(struct rt_map *map, const void *key);
	void *(*lookup_percpu_elem)(struct rt_map *map, const void *key, uint32_t cpu);
	/* Calls @cb(map, key, value, ctx) for each element; returns the count visited. */
	long (*for_each)(struct rt_map *map,
			 long (*cb)(struct rt_map *map, void *key, void *value, void *ctx),
			 void *ctx, uint64_t flags);

	/*
	 * Host-side (syscall) operations. When NULL the generic forms built on
	 * the program-side ones are used. @value is value_size (per-CPU maps:
	 * round_up(value_size, 8) * nr_cpus) bytes.
	 */
	int (*sys_lookup)(struct rt_map *map, const void *key, void *value, uint64_t flags);
	int (*sys_update)(struct rt_map *map, const void *key, const void *value, uint64_t flags);
	int (*sys_delete)(struct rt_map *map, const void *key);
	int (*get_next_key)(struct rt_map *map, const void *key, void *next_key);
	int (*lookup_and_delete)(struct rt_map *map, const void *key, void *value, uint64_t flags);
	/* Address of value byte @off for lddw MAP_VALUE (arrays of one element). */
	int (*direct_value_addr)(struct rt_map *map, uint64_t *addr, uint32_t off);
	/* Checked mode: whether [addr, addr+size) is value memory of this map. */
	bool (*mem_ok)(struct rt_map *map, uint64_t addr, uint64_t size, bool write);
	void (*fill_info)(struct rt_map *map, struct sops_bpf_map_info *info);
	/*
	 * Inline form of bpf_map_lookup_elem for trusted programs (inline.c; the
	 * kernel's map_gen_lookup): writes at most RT_GEN_LOOKUP_MAX instructions
	 * that set r0 to the value pointer or 0 from the key pointer in r2, may
	 * clobber r1-r5 but never read r1 first (the map's lddw may be gone),
	 * and jump only inside themselves. They end with
	 * "goto +1; r0 = 0": hits take the goto, misses land on the last slot
	 * (inline.c may stretch the goto over the program's own NULL test).
	 * @jit: the JIT will run them; the interpreter pays per instruction, so
	 * a long sequence may be slower there than the helper call and can
	 * decline. Returns their count, or 0 when this map cannot (NULL: never).
	 */
	int (*gen_lookup)(struct rt_map *map, struct sops_insn *insns, bool jit);

	/*
	 * Timers (src/helpers/timer.c): map types that can hold a struct
	 * bpf_timer in their values. elem_cnt: number of element slots (each
	 * value has a fixed slot for the map's lifetime); elem_of: the slot
	 * whose value starts exactly at @value, false for any other address;
	 * elem_key: the key of slot @idx (arrays write the index to @buf).
	 */
	uint32_t (*elem_cnt)(struct rt_map *map);
	bool (*elem_of)(struct rt_map *map, const void *value, uint32_t *idx);
	void *(*elem_key)(struct rt_map *map, uint32_t idx, void *buf);
};
#define RT_GEN_LOOKUP_MAX 160

struct rt_map {
	struct rt_obj obj;
	const struct rt_map_ops *ops;
	uint32_t map_type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
	uint32_t nr_cpus; /* per-CPU slots (per-CPU types) */
	char name[SOPS_BPF_OBJ_NAME_LEN];
	struct rt_btf *btf; /* BTF of key/value, held */
	uint32_t btf_key_type_id;
	uint32_t btf_value_type_id;
	uint32_t btf_vmlinux_value_type_id;
	uint64_t map_extra;
	atomic_bool frozen;
	/* Host-side value size: value_size, or round_up(value_size, 8) * nr_cpus. */
	uint32_t sys_value_size;
	/*
	 * User references (the kernel's usercnt): open handles on the map. When
	 * the last one closes, the map's timers are cancelled and freed.
	 */
	atomic_long usercnt;
	/* Offset of the struct bpf_timer in the value (from BTF), or -1. */
	int32_t timer_off;
	/* Timers of the elements (timer.c), under the runtime's timer lock. */
	struct rt_map_timers *timers;
	atomic_bool has_timers; /* timers was ever set: element frees look */
	uint64_t mem_charged; /* bytes charged to the runtime's map memory, released at free */
};

/* Copy the common attributes into @map and set up its object (refcnt 1, id). */
int rt_map_init(struct sops_runtime *rt, struct rt_map *map, const union sops_bpf_attr *attr);
/* The CPU the calling thread runs on, mod @n (0 when unknown). */
static inline uint32_t rt_cpu_mod(uint32_t n)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : (uint32_t)cpu % n;
}

/* The CPU slot the calling thread uses in per-CPU maps (sched_getcpu() mod nr_cpus). */
static inline uint32_t rt_cpu_slot(const struct rt_map *map)
{
	return rt_cpu_mod(map->nr_cpus);
}
int rt_register_map_type(struct sops_runtime *rt, uint32_t type, const struct rt_map_ops *ops);
/* Non-zero bytes check used by map types. */
bool rt_mem_is_zero(const void *p, size_t n);

/*
 * Map memory accounting (map.c): charge @bytes to the runtime's map memory
 * before allocating (-E2BIG: more than the whole limit, -ENOMEM: the limit
 * is reached), uncharge when the memory is gone. Lock-free, any thread.
 */
int rt_map_mem_charge(struct sops_runtime *rt, uint64_t bytes);
void rt_map_mem_uncharge(struct sops_runtime *rt, uint64_t bytes);
/* Overflow-checked a * b and a + b into *@res: false when the result does not fit 64 bits. */
static inline bool rt_mul_ok(uint64_t a, uint64_t b, uint64_t *res)
{
	return !__builtin_mul_overflow(a, b, res);
}
static inline bool rt_add_ok(uint64_t a, uint64_t b, uint64_t *res)
{
	return !__builtin_add_overflow(a, b, res);
}
/*
 * A zeroed block of map memory, 64-byte aligned. Large blocks are anonymous
 * mappings: their pages are zero and untouched until used, so creating a big
 * map costs address space, not memory. Free with the same @size.
 */
void *rt_map_area_alloc(size_t size);
void rt_map_area_free(void *p, size_t size);

extern const struct rt_map_ops rt_array_ops, rt_percpu_array_ops;
extern const struct rt_map_ops rt_htab_ops, rt_percpu_htab_ops, rt_lru_htab_ops,
	rt_lru_percpu_htab_ops;
extern const struct rt_map_ops rt_ringbuf_ops;

/* --- timers (src/helpers/timer.c) --- */

struct rt_map_timers;
struct rt_timer;

/* Per runtime: one thread runs every timer callback, started at the first bpf_timer_init. */
struct rt_timer_base {
	pthread_mutex_t lock; /* everything below and every struct rt_timer */
	pthread_cond_t wake;  /* the thread: the earliest deadline changed, or stop */
	pthread_cond_t done;  /* cancellers: a callback finished */
	pthread_t thread;
	bool started, stopping;
	struct rt_timer *armed;   /* sorted by deadline */
	struct rt_timer *running; /* the timer whose callback runs now */
	uint64_t cb_seq, cb_done; /* callbacks started / finished */
};

void rt_timers_init(struct sops_runtime *rt);
/* Stop the timer thread (waits for a running callback); timers stay until their maps go. */
void rt_timers_stop(struct sops_runtime *rt);
void rt_timers_fini(struct sops_runtime *rt);
/* The element in slot @idx of @map was deleted or overwritten: cancel and free its timer. */
void rt_timer_elem_free(struct rt_map *map, uint32_t idx);
/* The map's last user reference is gone (or the map is freed): cancel and free every timer. */
void rt_timers_map_release(struct rt_map *map);
/* Map free: release the timers and their table. */
void rt_map_timers_free(struct rt_map *map);
/* Find the struct bpf_timer in @map's BTF value type (map->timer_off). */
void rt_map_find_timer(struct rt_map *map);

/* --- programs (prog.c) --- */

struct rt_callback; /* a subprogram called back by a helper (prog.c) */
struct sops_line_info; /* structops/object.h */

/* What the verifier found and what it cost (the kernel's verifier stats). */
struct rt_verify_stats {
	uint64_t insn_processed;
	uint64_t time_ns;
	uint32_t total_states, peak_states, max_states_per_insn;
	int err;          /* the rejection's errno, 0 when verified */
	char reason[288]; /* "insn: message" of the rejection */
};

struct sops_prog {
	struct rt_obj obj;
	uint32_t type;
	uint32_t expected_attach_type;
	uint32_t attach_btf_id;
	uint32_t prog_flags;
	struct rt_btf *attach_btf; /* held */
	struct rt_btf *btf;        /* prog_btf_fd, held */
	char name[SOPS_BPF_OBJ_NAME_LEN];
	bool gpl;
	bool verified;   /* the verifier proved it safe (src/verifier/) */
	uint32_t max_ctx_offset; /* verified: the ctx bytes it reads (a run needs that many) */
	struct rt_verify_stats vstats;
	bool sleepable;
	struct sops_insn *insns; /* as loaded (pseudo lddw still symbolic) */
	uint32_t insn_cnt;
	/*
	 * Verified programs that touch host objects: per instruction, how
	 * (enum vbtf_mem of src/verifier/verifier.h: 1 trusted, 2 probe), NULL
	 * when none does. The engines' copy carries them as internal modes.
	 */
	uint8_t *btf_mem;
	struct rt_map **maps; /* used maps, held */
	uint32_t map_cnt;
	struct sops_vm *vm;
	struct rt_callback **cbs;
	uint32_t cb_cnt;
	uint8_t tag[SOPS_BPF_TAG_SIZE];
	uint64_t load_time;
	/* Run statistics: added only while the runtime's stats are on (rt_prog_stats_add). */
	atomic_ullong run_cnt;
	atomic_ullong run_time_ns;
	atomic_ullong fault_cnt; /* checked runs that faulted (op calls, callbacks, test runs) */
	uint32_t inlined_lookups; /* map lookups the engines run inline (inline.c) */
	/* The struct_ops layer's: associated map (or a poison value) and type data. */
	void *_Atomic st_ops_assoc;
	void *type_data;
	void (*type_data_free)(struct sops_prog *prog);
	/* struct_ops layer: kfunc trampolines binding this program as an implicit argument. */
	void *kfunc_tramps;
	/* struct_ops layer: modules whose kfuncs this program calls, one reference each. */
	void **kfunc_mods;
	uint32_t kfunc_mod_cnt;
};

/* Program type hooks (the struct_ops layer installs STRUCT_OPS's). */
struct rt_prog_type_ops {
	/* Attach checks at load time, after the common ones; @log for messages. */
	int (*load_check)(struct sops_prog *prog, const union sops_bpf_attr *attr, struct sops_log *log);
	/* Extra helpers allowed for this type (besides the base set); may be NULL. */
	bool (*helper_allowed)(const struct sops_prog *prog, uint32_t helper_id);
	/* PROG_TEST_RUN; NULL: the generic run with r1 = ctx, r2 = data, r3 = data size. */
	int (*test_run)(struct sops_prog *prog, const union sops_bpf_attr *attr, union sops_bpf_attr *uattr);
};
int rt_register_prog_type(struct sops_runtime *rt, uint32_t type, const struct rt_prog_type_ops *ops);
/* The hooks registered for program type @type, or NULL. */
const struct rt_prog_type_ops *rt_prog_type_lookup(struct sops_runtime *rt, uint32_t type);

/*
 * Run @prog once with r1..r5 = @args on this thread. The caller holds the RCU
 * read lock. @regions: extra memory a checked run may touch (a context buffer).
 */
int rt_prog_run(struct sops_prog *prog, const uint64_t args[5], const struct sops_mem_region *regions,
		size_t region_cnt, uint64_t *retval);
/* rt_prog_run, counted in @prog's run statistics when the runtime has them on. */
int rt_prog_run_counted(struct sops_prog *prog, const uint64_t args[5],
			const struct sops_mem_region *regions, size_t region_cnt, uint64_t *retval);
/* The map an lddw MAP_FD/MAP_IDX of the program being loaded names, or NULL. */
typedef struct rt_map *(*rt_lddw_map_fn)(void *ctx, const struct sops_insn *lddw);
/*
 * Replace bpf_map_lookup_elem calls on maps with gen_lookup by inline code
 * (inline.c) in @prog's instructions @insns (@n slots: prog->insns or a copy
 * of the same length). @entries: extra entry slots (callbacks), moved in
 * place. Returns 0 with *@out (malloc'ed) and *@out_cnt, or *@out NULL when
 * nothing changed; -ENOMEM.
 */
int rt_inline_map_lookups(struct sops_prog *prog, const struct sops_insn *insns, uint32_t n,
			  rt_lddw_map_fn map_of, void *ctx, uint32_t *entries, uint32_t entry_cnt, bool jit,
			  struct sops_insn **out, uint32_t *out_cnt);
/*
 * Checked-mode memory hook: [addr, addr+size) is value memory of a map @prog
 * uses (and never a write into a BPF_F_RDONLY_PROG map, e.g. .rodata).
 */
bool rt_prog_mem_ok(void *ctx, uint64_t addr, uint64_t size, bool write);
/*
 * prog_sandbox.c: a run of @prog stopped with @msg (the vm's fault text): one
 * line to the runtime's trace sink, so hosts and tools see why.
 */
#define RT_FAULT_MSG_MAX 256
void rt_prog_report_fault(struct sops_prog *prog, const char *msg);
/*
 * prog.c: bpf_spin_lock/unlock. Inside a checked run they keep the lock
 * state of the run: a second lock, an unlock of what is not held, a lock
 * left held at exit (released then) fail the run; waiting is bounded.
 * Elsewhere (verified code) plain spin lock operations. 0 or -errno.
 */
int rt_run_lock(atomic_int *lock);
/*
 * prog.c: an op call of a checked program's vm (a struct_ops thunk): the run
 * context of rt_prog_run, and a fault counted in the program's fault_cnt and
 * reported to the runtime's trace sink. 0 or -errno.
 */
int rt_vm_run_op(const struct sops_vm *vm, const uint64_t args[5], const struct sops_mem_region *regions,
		 size_t region_cnt, uint64_t *retval);
int rt_run_unlock(atomic_int *lock);
/* Checked-mode object hook (prog_sandbox.c): helper arguments naming runtime objects. */
bool rt_prog_obj_ok(void *ctx, enum sops_vm_obj kind, uint64_t value, struct sops_vm_obj_info *info);
/* Whether @map is one @prog declared (helpers validate map arguments of unverified code). */
bool rt_prog_uses_map(const struct sops_prog *prog, const struct rt_map *map);

/* --- links (link.c) --- */

struct rt_link;

struct rt_link_ops {
	/* Last reference gone: the kernel's release + dealloc (e.g. unreg). */
	void (*dealloc)(struct rt_link *link);
	int (*update_prog)(struct rt_link *link, struct sops_prog *new_prog, struct sops_prog *old_prog);
	int (*update_map)(struct rt_link *link, struct rt_map *new_map, struct rt_map *old_map);
	int (*detach)(struct rt_link *link);
	void (*fill_info)(struct rt_link *link, struct sops_bpf_link_info *info);
};

struct rt_link {
	struct rt_obj obj;
	const struct rt_link_ops *ops;
	uint32_t type;        /* SOPS_BPF_LINK_TYPE_* */
	uint32_t attach_type;
	struct sops_prog *prog; /* held, may be NULL (struct_ops links) */
};

/* Set up @link (refcnt 1, id); then rt_handle_install() publishes it. */
int rt_link_init(struct sops_runtime *rt, struct rt_link *link, const struct rt_link_ops *ops,
		 uint32_t type, uint32_t attach_type, struct sops_prog *prog);

/* Command hooks the struct_ops layer fills in (NULL: the command fails with EINVAL). */
struct rt_hooks {
	/* LINK_CREATE with attach_type BPF_STRUCT_OPS; returns a handle or -errno. */
	int (*struct_ops_link_create)(struct sops_runtime *rt, const union sops_bpf_attr *attr);
	/* PROG_ASSOC_STRUCT_OPS after the generic checks (prog, map types). */
	int (*prog_assoc_struct_ops)(struct sops_prog *prog, struct rt_map *map, uint32_t flags);
	/* Called when a program is freed (disassociation). */
	void (*prog_free)(struct sops_prog *prog);
	/*
	 * A kfunc flagged SOPS_KF_IMPLICIT_PROG resolved for @prog: replace *@fn
	 * with an entry that passes @prog in the flagged argument. Called under
	 * reg_lock. 0 or -errno.
	 */
	int (*kfunc_bind)(struct sops_prog *prog, const struct sops_kfunc_desc *d, sops_kfunc_fn *fn);
	/*
	 * A kfunc of BTF object @btf resolved for @prog (not under reg_lock):
	 * when @btf is a module's, @prog takes a module reference (dropped at
	 * program free; unload is EBUSY meanwhile). 0, or -errno when the
	 * module is going away.
	 */
	int (*kfunc_pin)(struct sops_prog *prog, struct rt_btf *btf);
};
void rt_set_hooks(struct sops_runtime *rt, const struct rt_hooks *hooks);

/* --- helpers and kfuncs (src/helpers/) --- */

struct rt_helper_entry {
	struct sops_helper_desc d;
	char *name; /* owned copy */
	char *st_ops_name;
	struct sops_func_proto *proto; /* from d, owned; program tables point here */
};

struct rt_kfunc_entry {
	struct sops_kfunc_desc d;
	char *name;
	char *st_ops_name;
	struct rt_btf *btf; /* the object d.btf_fd named at registration (held); NULL: host */
};

/* Forget every kfunc registered on @btf (a module's, at unload). */
void rt_kfuncs_unregister_btf(struct sops_runtime *rt, struct rt_btf *btf);
/* Runtime teardown: drop the kfuncs' BTF references. */
void rt_kfuncs_free(struct sops_runtime *rt);

/* The built-in helpers (helpers.c) for @prog_type. */
const struct sops_helper *rt_base_helpers(size_t *cnt);
/* Whether @ret and @args are known prototype kinds with known modifier bits (helpers.c). */
bool rt_proto_valid(uint32_t ret, const uint32_t args[5]);
/* Whether base helper @id is offered to programs of @type. */
bool rt_base_helper_allowed(uint32_t type, uint32_t id);

/* --- the runtime instance (runtime.c) --- */

struct rt_idtab {
	struct rt_obj **objs; /* sorted by id */
	uint32_t cnt, cap;
	uint32_t next_id;
};

struct rt_handle_table {
	uint32_t cap;
	struct rt_obj *_Atomic slot[];
};

struct sops_runtime {
	/* handles: RCU-published table, writers under handle_lock */
	pthread_mutex_t handle_lock;
	struct rt_handle_table *_Atomic htab;
	atomic_long open_handles;

	pthread_mutex_t id_lock;
	struct rt_idtab ids[SOPS_OBJ_KIND_CNT];

	atomic_long live[SOPS_OBJ_KIND_CNT];
	atomic_long pending_free; /* call_rcu callbacks not yet run */

	pthread_mutex_t reg_lock; /* type tables, helpers, kfuncs, hooks */
	const struct rt_map_ops *map_types[SOPS_BPF_MAP_TYPE_MAX];
	const struct rt_prog_type_ops *prog_types[SOPS_BPF_PROG_TYPE_MAX];
	struct rt_hooks hooks;
	struct rt_helper_entry *helpers;
	uint32_t helper_cnt;
	struct rt_kfunc_entry *kfuncs;
	uint32_t kfunc_cnt;

	uint32_t nr_cpus;
	uint64_t map_mem_limit;         /* bytes all maps may use together */
	uint32_t verifier_insn_limit;   /* instructions the verifier may process per load */
	_Atomic uint64_t map_mem_used;  /* bytes charged by live maps */
	atomic_bool trust_unverified;
	atomic_bool verifier_strict; /* a program the verifier rejects fails to load */
	bool always_checked;         /* even verified programs run checked (soundness tests) */
	atomic_bool jit;
	atomic_bool no_inline; /* keep map lookups as helper calls (the bench's baseline) */
	atomic_bool stats;     /* run statistics on (sops_runtime__enable_stats) */
	pthread_mutex_t trace_lock;
	sops_trace_fn trace_fn;
	void *trace_ctx;
	const struct btf *host_btf;
	atomic_uint prandom_seed;
	struct rt_timer_base timers;
	/* The struct_ops layer's state (src/struct_ops/st_internal.h). */
	void *st;
};

/*
 * Run statistics (runtime.h, docs/runtime.md): whether a run starting now
 * counts (a relaxed load: the switch orders nothing), the clock both ends of
 * a counted run read, and the relaxed adds of @runs runs that took @ns.
 */
static inline bool rt_stats_on(struct sops_runtime *rt)
{
	return atomic_load_explicit(&rt->stats, memory_order_relaxed);
}

static inline uint64_t rt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void rt_prog_stats_add(struct sops_prog *prog, uint64_t runs, uint64_t ns)
{
	atomic_fetch_add_explicit(&prog->run_cnt, runs, memory_order_relaxed);
	atomic_fetch_add_explicit(&prog->run_time_ns, ns, memory_order_relaxed);
}

/* The struct_ops layer: installed at creation, torn down after every object is gone. */
int st_runtime_init(struct sops_runtime *rt);
void st_runtime_fini(struct sops_runtime *rt);

/* Emit one trace message to the runtime's sink (helpers_str.c). */
void rt_trace(struct sops_runtime *rt, const char *msg, size_t len);

/* --- commands (syscall.c dispatches to these) --- */
int rt_cmd_map_create(struct sops_runtime *rt, union sops_bpf_attr *attr);
int rt_cmd_map_elem(struct sops_runtime *rt, int cmd, union sops_bpf_attr *attr);
int rt_cmd_map_freeze(struct sops_runtime *rt, union sops_bpf_attr *attr);
int rt_cmd_prog_load(struct sops_runtime *rt, union sops_bpf_attr *attr);
int rt_cmd_prog_test_run(struct sops_runtime *rt, union sops_bpf_attr *attr);
int rt_cmd_link(struct sops_runtime *rt, int cmd, union sops_bpf_attr *attr);
int rt_map_fill_info(struct rt_map *map, void *info, uint32_t *info_len);
int rt_prog_fill_info(struct sops_prog *prog, void *info, uint32_t *info_len);
int rt_link_fill_info(struct rt_link *link, void *info, uint32_t *info_len);

/* The verification step (src/verifier/verifier.c). */
struct rt_verify_env {
	struct sops_prog *prog;
	const struct sops_helper *helpers; /* what the program may call */
	size_t helper_cnt;
	struct sops_runtime *rt;
	struct sops_log *log;
	uint32_t log_level;  /* PROG_LOAD's: 1 trace, 2 trace with states, 4 stats */
	bool strict;         /* a rejection fails the load (else: checked mode) */
	uint32_t insn_limit; /* instructions it may process; 0: RT_VERIFIER_INSN_LIMIT */
	rt_lddw_map_fn map_of; /* the map of an lddw MAP_* */
	void *map_ctx;
	const struct sops_line_info *lines; /* .BTF.ext line info, or NULL */
	uint32_t line_cnt;
	const int *fd_array; /* PROG_LOAD's: module BTFs of kfunc calls (insn.off) */
	uint32_t fd_array_cnt;
	struct rt_verify_stats stats; /* out */
};
/*
 * Verify @env->prog: 0 (prog->verified tells whether it was proven safe; a
 * non-strict rejection leaves it false with the reason in stats), or a
 * negative errno when the program cannot load at all or strict rejection.
 */
int rt_verify(struct rt_verify_env *env);
/*
 * verifier/btf_ptr.c: the host objects in a struct_ops program's context for
 * checked runs (each pointer-to-struct argument of the member's prototype,
 * __ref ones releasable) into @out (SOPS_VM_MAX_CTX_OBJS entries); returns
 * how many. 0 for other programs.
 */
size_t rt_prog_ctx_objs(const struct sops_prog *prog, struct sops_vm_ctx_obj *out);
/*
 * verifier/call.c: the checked-mode argument kinds of kfunc @btf_id (of
 * fd_array[@btf_slot]'s BTF when @btf_slot) for @prog, from its BTF
 * prototype and flags, into *@out. 0, 1 (no BTF prototype: not checked)
 * or -errno.
 */
int rt_kfunc_check_spec(struct sops_prog *prog, const int *fd_array, uint32_t fd_array_cnt,
			int32_t btf_id, int16_t btf_slot, struct sops_kfunc_check *out);

/*
 * The registered kfunc @btf_id that @prog may call, of the host BTF
 * (@btf_slot 0) or of the module BTF fd_array[@btf_slot] names: a copy of
 * its desc and the BTF of its prototype; *@held is a reference on that
 * module BTF (NULL for the host's) the caller drops once done with @btf.
 * 0, -EACCES (not for this program), -ENOENT, -EINVAL (bad slot).
 */
int rt_kfunc_find(struct sops_prog *prog, const int *fd_array, uint32_t fd_array_cnt, int32_t btf_id,
		  int16_t btf_slot, struct sops_kfunc_desc *desc, const struct btf **btf, struct rt_btf **held);
/* Resolving a kfunc call for @prog (helpers/registry.c). */
int rt_kfunc_resolve(struct sops_prog *prog, const int *fd_array, uint32_t fd_array_cnt,
		     int32_t btf_id, int16_t btf_slot, sops_kfunc_fn *fn);
/*
 * The struct type a STRUCT_OPS program attaches to (its attach_btf_id's name
 * in the attach BTF, else the host BTF), or NULL; filters st_ops_name entries.
 */
const char *rt_prog_st_ops_type(const struct sops_prog *prog);
/* The st_ops_name of a host helper @id that exists for @prog's type but not its struct type, or NULL. */
const char *rt_helper_st_ops_only(struct sops_runtime *rt, uint32_t id, const struct sops_prog *prog);
/* The helper table for @prog: base + host helpers for its type and struct_ops type (caller frees). */
int rt_helpers_for_prog(struct sops_runtime *rt, const struct sops_prog *prog,
			struct sops_helper **helpers, size_t *cnt);

#endif /* SOPS_RT_INTERNAL_H */
