/* SPDX-License-Identifier: MIT */
/*
 * structops/runtime.h - a runtime instance: the home of maps, programs, links and
 * BTF objects, the helpers and kfuncs programs may call, and the ring buffer
 * consumer.
 *
 * A process may create several runtimes; they share nothing. Commands go
 * through sops_bpf() and its wrappers (bpf.h); this header has what the bpf()
 * command set has no words for: instance options, host-registered helpers and
 * kfuncs, the trace output sink, running a loaded program from the host, the
 * ring buffer consumer, RCU, and counters of live objects.
 *
 * Concurrency (docs/runtime.md): programs run inside an RCU read-side critical
 * section (liburcu, "bulletproof" flavour: no thread registration needed); map
 * lookups take no lock; updates lock one hash bucket. Objects are freed after a
 * grace period once their last reference is gone.
 */
#ifndef STRUCTOPS_RUNTIME_H
#define STRUCTOPS_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpf.h"
#include "insn.h"
#include "vm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct btf;

/*
 * Receives trace_printk/snprintf-style output: one formatted message per call,
 * exactly as formatted (no newline added). The default sink (stderr) prints
 * each message as a line, as the kernel's trace_pipe does: it adds a newline
 * when the message does not end with one.
 */
typedef void (*sops_trace_fn)(void *ctx, const char *msg, size_t len);

/* Options for sops_runtime__new(). Zero-initialize, set sz. */
struct sops_runtime_opts {
	size_t sz;
	/* Slots of per-CPU maps; 0: the number of configured CPUs. */
	uint32_t nr_cpus;
	/*
	 * UNSAFE escape hatch: run programs the verifier did not prove safe on
	 * the JIT or the fast interpreter, with no checks (default: the checked
	 * interpreter). A hostile program can then do anything the host can.
	 */
	bool trust_unverified;
	/* Prefer the JIT for verified (or trusted) programs when available. */
	bool jit;
	/* trace_printk output; NULL: stderr, one line per message. */
	sops_trace_fn trace_fn;
	void *trace_ctx;
	/* The host's BTF ("vmlinux" of this process) for kfuncs and struct_ops; may be NULL. */
	const struct btf *host_btf;
	/*
	 * A program the verifier rejects fails PROG_LOAD with the verifier's
	 * errno and log, as in the kernel. Default (false): it loads and runs
	 * in the checked interpreter; sops_prog_get_verdict() says why.
	 */
	bool verifier_strict;
	/*
	 * Run every program in the checked interpreter, verified or not: what
	 * the soundness tests use (a verified program must never fault there).
	 */
	bool always_checked;
	/*
	 * Bytes all maps of the runtime may use together (values, keys, element
	 * headers, buckets, ring buffer data), charged at creation and released
	 * when a map is freed. 0: 1 GiB. A map larger than the whole limit gets
	 * -E2BIG, one that does not fit beside the live maps -ENOMEM.
	 */
	size_t map_mem_limit;
	/*
	 * Start with run statistics on (sops_runtime__enable_stats(); the
	 * kernel's kernel.bpf_stats_enabled). Default off: counting costs two
	 * clock reads per run.
	 */
	bool enable_stats;
	/*
	 * Instructions the verifier may process per load before it gives up
	 * with -E2BIG ("BPF program is too large"), the kernel's fixed
	 * complexity limit. 0: 1000000, the kernel's; a host may set less to
	 * bound load time (a program at the limit takes about 0.5-3 s to
	 * refuse). More than 1000000 is -EINVAL: structops does not accept
	 * what the kernel refuses.
	 */
	uint32_t verifier_insn_limit;
};
#define sops_runtime_opts__last_field verifier_insn_limit

/*
 * sops_runtime__new - create an empty runtime. Returns 0 and *@rt or a negative
 * errno (-EINVAL bad opts, -ENOMEM). Thread-safe.
 */
SOPS_API int sops_runtime__new(const struct sops_runtime_opts *opts, struct sops_runtime **rt);

/*
 * sops_runtime__free - close every handle and free the runtime once the last
 * object is gone (waits for pending RCU callbacks). No other thread may use @rt
 * any more, and no program of it may still run. NULL is fine.
 */
SOPS_API void sops_runtime__free(struct sops_runtime *rt);

/* Change whether unverified programs may be JIT-compiled (affects later loads). Thread-safe. */
SOPS_API void sops_runtime__set_trust_unverified(struct sops_runtime *rt, bool trust);
/* Change whether verifier rejections fail loads (affects later loads). Thread-safe. */
SOPS_API void sops_runtime__set_verifier_strict(struct sops_runtime *rt, bool strict);
/* Change whether loads prefer the JIT (affects later loads). Thread-safe. */
SOPS_API void sops_runtime__set_jit(struct sops_runtime *rt, bool jit);
/* Replace the trace sink (NULL: stderr, one line per message). Thread-safe; in-flight messages may go either way. */
SOPS_API void sops_runtime__set_trace_sink(struct sops_runtime *rt, sops_trace_fn fn, void *ctx);

/*
 * Run statistics (docs/runtime.md "Run statistics"), the analogue of the
 * kernel's BPF_ENABLE_STATS / kernel.bpf_stats_enabled. While they are on,
 * every run of a program adds 1 to its run_cnt and the run's wall time
 * (CLOCK_MONOTONIC) to its run_time_ns, both read through OBJ_GET_INFO
 * (struct sops_bpf_prog_info). Runs are: each repetition of PROG_TEST_RUN,
 * each sops_prog_run(), and each op call through a struct_ops thunk.
 * Off (the default), nothing is counted and runs pay nothing for it.
 *
 * Op calls: interpreter thunks test the switch on every call, so they follow
 * it both ways. A JIT'd member is bound when its struct_ops map is updated:
 * with stats on, through a counting thunk (which still runs the JIT code,
 * entered through a libffi closure, and itself follows later switches); with
 * stats off, as the program's native entry, which never counts, even after
 * stats are turned on: update the map again (or re-create it) to count those.
 *
 * Faults of checked runs are counted in fault_cnt whatever the switch says.
 * Counters only grow; they are relaxed atomic adds (no lock, no allocation),
 * so concurrent runs are all counted, and a reader may see run_cnt and
 * run_time_ns from slightly different moments.
 */
/*
 * sops_runtime__enable_stats - turn run statistics on or off for every program
 * of @rt. Not reference counted (unlike the kernel's BPF_ENABLE_STATS fd): the
 * last call wins. Thread-safe; runs already in progress may or may not count.
 */
SOPS_API void sops_runtime__enable_stats(struct sops_runtime *rt, bool enable);
/* Whether run statistics are on. Thread-safe. */
SOPS_API bool sops_runtime__stats_enabled(struct sops_runtime *rt);

/* What the verifier said about a loaded program (sops_prog_get_verdict). */
struct sops_prog_verdict {
	size_t sz;
	bool verified;            /* proven safe: runs on the JIT or the fast interpreter */
	bool checked;             /* runs in the checked interpreter */
	enum sops_engine engine;  /* the engine that runs it */
	int err;                  /* the rejection's errno (0 when verified) */
	char reason[288];         /* "insn N: message" of the rejection */
	uint64_t insn_processed;  /* instructions the verifier processed */
	uint32_t total_states;    /* states it kept for pruning */
	uint32_t peak_states;     /* most kept at once */
	uint32_t max_states_per_insn;
	uint64_t time_ns;         /* how long verification took */
	uint64_t fault_cnt;       /* checked runs of it that faulted (op calls included) */
};
#define sops_prog_verdict__last_field fault_cnt

/*
 * sops_prog_get_verdict - the verifier's verdict, statistics and the engine
 * of program handle @prog_fd. Returns 0, -EBADF/-EINVAL. Thread-safe.
 */
SOPS_API int sops_prog_get_verdict(struct sops_runtime *rt, int prog_fd, struct sops_prog_verdict *v);

/* Object kinds, for counting. */
enum sops_obj_kind {
	SOPS_OBJ_MAP = 0,
	SOPS_OBJ_PROG = 1,
	SOPS_OBJ_LINK = 2,
	SOPS_OBJ_BTF = 3,
	SOPS_OBJ_KIND_CNT = 4,
};

/*
 * sops_runtime__live_objects - objects of @kind (or all when @kind < 0) not yet
 * freed, after waiting for pending RCU callbacks. Tests use it to prove that
 * nothing leaks. Thread-safe (blocks for a grace period).
 */
SOPS_API long sops_runtime__live_objects(struct sops_runtime *rt, int kind);

/* Number of open handles. Thread-safe. */
SOPS_API long sops_runtime__open_handles(struct sops_runtime *rt);

/* --- host-registered helpers and kfuncs --- */

/* Argument and return kinds (enum sops_arg_type, enum sops_ret_type) are in proto.h. */

/* kfunc flags: the kernel's KF_* values. */
#define SOPS_KF_ACQUIRE (1U << 0)
#define SOPS_KF_RELEASE (1U << 1)
#define SOPS_KF_RET_NULL (1U << 2)
#define SOPS_KF_TRUSTED_ARGS (1U << 4)
#define SOPS_KF_SLEEPABLE (1U << 5)
#define SOPS_KF_DESTRUCTIVE (1U << 6)
#define SOPS_KF_RCU (1U << 7)

/* Which program types a helper or kfunc is for: bit (1 << prog_type); 0 means all. */
#define SOPS_PROG_TYPE_BIT(t) (1ULL << (t))

/* A helper a host adds (or overrides, by id) for programs of this runtime. */
struct sops_helper_desc {
	size_t sz;
	uint32_t id;       /* the kernel's id, or a host id >= 1 not used by the kernel */
	const char *name;  /* for messages */
	sops_helper_fn fn; /* called with r1..r5 and the calling program (struct sops_prog *) */
	enum sops_ret_type ret_type;
	/* enum sops_arg_type | SOPS_ARG_* modifiers (proto.h): checked before every call */
	uint32_t arg_type[5];
	uint32_t flags;          /* SOPS_KF_SLEEPABLE etc. */
	uint64_t prog_types;     /* SOPS_PROG_TYPE_BIT mask; 0: all */
	const char *st_ops_name; /* only for struct_ops programs of this type; NULL: any */
	uint32_t ret_size;       /* SOPS_RET_PTR_TO_MEM_OR_NULL: bytes the result reaches */
};
#define sops_helper_desc__last_field ret_size

/*
 * sops_runtime__register_helper - make a helper callable by programs loaded
 * later. Returns 0, -EEXIST if @desc->id is already a host helper, -EINVAL,
 * -ENOMEM. Thread-safe.
 */
SOPS_API int sops_runtime__register_helper(struct sops_runtime *rt, const struct sops_helper_desc *desc);

/* A kfunc: a host function programs call through `call` with src_reg 2 (kfunc). */
struct sops_kfunc_desc {
	size_t sz;
	const char *name;
	sops_kfunc_fn fn;
	/* BTF of the prototype: the FUNC's id in @btf (the host's BTF when NULL). */
	const struct btf *btf;
	uint32_t btf_id;
	/* The BTF handle a program names in its fd_array slot (insn.off); 0: host BTF. */
	int btf_fd;
	uint32_t flags;          /* SOPS_KF_* */
	uint64_t prog_types;     /* SOPS_PROG_TYPE_BIT mask; 0: all */
	const char *st_ops_name; /* only for struct_ops programs of this type; NULL: any */
	/* On failure, one message naming the kfunc and the failing check. */
	char *log_buf;
	size_t log_size;
};
#define sops_kfunc_desc__last_field log_size

/*
 * sops_runtime__register_kfunc - make a kfunc callable by programs loaded later,
 * by (BTF object, btf_id). Returns 0, -EEXIST (same BTF and id), -EINVAL (no
 * name, fn or btf_id; btf_fd not a BTF handle; unknown fields set), -ENOMEM,
 * with a message in @desc->log_buf.
 * Thread-safe.
 */
SOPS_API int sops_runtime__register_kfunc(struct sops_runtime *rt, const struct sops_kfunc_desc *desc);

/*
 * sops_runtime__find_kfunc_id - the btf_id of a registered kfunc by name (for
 * hosts without BTF that registered ids of their own). Returns the id or -ENOENT.
 * Thread-safe.
 */
SOPS_API int sops_runtime__find_kfunc_id(struct sops_runtime *rt, const char *name);

/* --- running a loaded program from the host --- */

/*
 * sops_prog_run - run the program behind handle @prog_fd once on this thread,
 * with r1 = @ctx (a SYSCALL program's context buffer of @ctx_size bytes, which
 * a checked run may read and write), inside an RCU read-side section. Returns 0 and *@retval, or a negative errno (-EBADF, -EINVAL for a
 * handle that is not a program, or the fault of a checked run). Thread-safe.
 */
SOPS_API int sops_prog_run(struct sops_runtime *rt, int prog_fd, void *ctx, size_t ctx_size,
			   uint64_t *retval);

/* --- ring buffer consumer (libbpf's ring_buffer__*) --- */

struct sops_ring_buffer;
/* Called for each record; a negative return stops consumption and is returned. */
typedef int (*sops_ring_buffer_sample_fn)(void *ctx, void *data, size_t size);

struct sops_ring_buffer_opts {
	size_t sz;
};
#define sops_ring_buffer_opts__last_field sz

/*
 * sops_ring_buffer__new - a consumer for the RINGBUF map behind @map_fd (the
 * consumer holds its own reference). Returns NULL and sets errno on failure.
 * A consumer is used by one thread at a time; producers may be anywhere.
 */
SOPS_API struct sops_ring_buffer *sops_ring_buffer__new(struct sops_runtime *rt, int map_fd,
							 sops_ring_buffer_sample_fn sample_cb,
							 void *ctx,
							 const struct sops_ring_buffer_opts *opts);
/* Add another RINGBUF map to the same consumer. Returns 0 or a negative errno. */
SOPS_API int sops_ring_buffer__add(struct sops_ring_buffer *rb, int map_fd,
				   sops_ring_buffer_sample_fn sample_cb, void *ctx);
/* Wait up to @timeout_ms (-1: forever) for data, then consume. Returns records consumed or -errno. */
SOPS_API int sops_ring_buffer__poll(struct sops_ring_buffer *rb, int timeout_ms);
/* Consume what is ready without waiting. Returns records consumed or -errno. */
SOPS_API int sops_ring_buffer__consume(struct sops_ring_buffer *rb);
/* An epoll fd that becomes readable when a producer signals new data. */
SOPS_API int sops_ring_buffer__epoll_fd(const struct sops_ring_buffer *rb);
SOPS_API void sops_ring_buffer__free(struct sops_ring_buffer *rb);

/* --- RCU (the flavour every structops layer uses; see docs/runtime.md) --- */

/* Enter/leave a read-side critical section. Nestable; any thread; no registration needed. */
SOPS_API void sops_rcu_read_lock(void);
SOPS_API void sops_rcu_read_unlock(void);
/* Wait until every read-side section that began before the call has ended. */
SOPS_API void sops_rcu_synchronize(void);

#ifdef __cplusplus
}
#endif
#endif /* STRUCTOPS_RUNTIME_H */
