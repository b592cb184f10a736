/* SPDX-License-Identifier: MIT */
/*
 * call_check.c - the checked interpreter's helper-argument check, driven by
 * the helpers' prototypes (structops/proto.h).
 *
 * Code nobody verified may pass anything in r1-r5. Before the checked
 * interpreter enters a helper, every argument is checked against the kind
 * its prototype gives, with the same memory rules as the program's own loads
 * and stores (vm_mem_allowed: live stack frames, the run's regions, the
 * mem_ok hook): a pointer to memory the helper reads must be readable by the
 * program for the whole size, one to memory it writes must be writable, a map
 * key must reach key_size bytes of the preceding map argument, and so on.
 * Arguments that name runtime objects (maps, callbacks, ring buffer records,
 * locks, timers) go to the runtime's obj_ok hook, since this layer does not
 * know those objects.
 *
 * A violation stops the run with -EFAULT before the helper runs, so helpers
 * themselves stay free of checks: the fast interpreter and the JIT, which
 * run verified or trusted code, call them directly and pay nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_internal.h"

/* Larger sizes are refused outright: no helper argument is a gigabyte. */
#define ARG_SIZE_MAX (1ULL << 30)
/* A PTR_TO_CONST_STR must end within this many bytes. */
#define CONST_STR_MAX 65536

int vm_call_check_prepare(struct sops_vm *vm, const struct sops_helper *helpers, size_t cnt,
			  struct sops_log *log)
{
	if (!vm->checked || !vm->helper_id_cnt)
		return 0;
	vm->helper_info = calloc(vm->helper_id_cnt, sizeof(*vm->helper_info));
	if (!vm->helper_info)
		return log_err(log, -ENOMEM, "out of memory for the helper prototypes");
	/* Names and prototypes outlive the vm (static tables, the runtime's registry). */
	for (size_t i = 0; i < cnt; i++)
		vm->helper_info[helpers[i].id] = helpers[i];
	return 0;
}

/* Everything one check needs, so the small functions below take one argument. */
struct call_env {
	const struct sops_vm *vm;
	const struct vm_mem_view *mv;
	const struct sops_helper *h;
	struct vm_fault *fault;
	struct sops_vm_obj_info map; /* of the last CONST_MAP_PTR argument */
	bool have_map;
};

static int __attribute__((format(printf, 3, 4)))
arg_fault(struct call_env *e, int arg, const char *fmt, ...)
{
	int n = snprintf(e->fault->msg, sizeof(e->fault->msg), "%s arg%d ", e->h->name, arg);
	va_list ap;

	if (n < 0 || (size_t)n >= sizeof(e->fault->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(e->fault->msg + n, sizeof(e->fault->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	e->fault->err = -EFAULT;
	return -EFAULT;
}

static bool mem_ok(const struct call_env *e, uint64_t addr, uint64_t n, bool write)
{
	const struct vm_mem_view *mv = e->mv;

	return vm_mem_allowed(e->vm, addr, n, write, mv->stack_lo, mv->stack_hi, mv->regions,
			      mv->region_cnt);
}

static bool obj_ok(struct call_env *e, enum sops_vm_obj kind, uint64_t v,
		   struct sops_vm_obj_info *info)
{
	struct sops_vm_obj_info dummy;

	return e->vm->obj_ok && e->vm->obj_ok(e->vm->mem_ok_ctx, kind, v, info ? info : &dummy);
}

static bool is_size(uint32_t t)
{
	return SOPS_ARG_BASE(t) == SOPS_ARG_CONST_SIZE ||
	       SOPS_ARG_BASE(t) == SOPS_ARG_CONST_SIZE_OR_ZERO;
}

/* A size argument on its own: in range (and non-zero unless _OR_ZERO). */
static int check_size(struct call_env *e, int arg, uint32_t t, uint64_t v)
{
	if (!v && SOPS_ARG_BASE(t) == SOPS_ARG_CONST_SIZE)
		return arg_fault(e, arg, "(size) is 0; the helper needs at least 1 byte");
	if (v > ARG_SIZE_MAX)
		return arg_fault(e, arg, "(size) is %" PRIu64 ", over the limit of %llu bytes", v,
				 ARG_SIZE_MAX);
	return 0;
}

/* PTR_TO_MEM of @size bytes: read-only for RDONLY, written otherwise. */
static int check_mem(struct call_env *e, int arg, uint32_t t, uint64_t p, uint64_t size)
{
	bool write = !(t & SOPS_ARG_RDONLY) || (t & SOPS_ARG_UNINIT);

	if (!p && (t & SOPS_ARG_MAYBE_NULL)) {
		if (size)
			return arg_fault(e, arg, "(memory) is NULL but its size is %" PRIu64, size);
		return 0;
	}
	if (!size)
		return 0; /* the helper touches nothing */
	if (size > ARG_SIZE_MAX)
		return arg_fault(e, arg, "(memory, %" PRIu64 " bytes) is over the size limit of %llu",
				 size, ARG_SIZE_MAX);
	if (!mem_ok(e, p, size, write))
		return arg_fault(e, arg, "(memory, %" PRIu64 " bytes %s) points outside the program's %smemory (0x%" PRIx64 ")",
				 size, write ? "written" : "read", write ? "writable " : "", p);
	return 0;
}

/* NUL-terminated string in readable memory. */
static int check_str(struct call_env *e, int arg, uint64_t p)
{
	for (uint64_t i = 0; i < CONST_STR_MAX; i++) {
		if (!mem_ok(e, p + i, 1, false))
			return arg_fault(e, arg, "(string) %s the program's memory (0x%" PRIx64 ")",
					 i ? "runs out of" : "points outside", p);
		if (!*(const char *)(uintptr_t)(p + i))
			return 0;
	}
	return arg_fault(e, arg, "(string) has no NUL within %d bytes (0x%" PRIx64 ")",
			 CONST_STR_MAX, p);
}

static int check_map_mem(struct call_env *e, int arg, uint64_t p, bool key, bool write)
{
	uint32_t n;

	if (!e->have_map)
		return arg_fault(e, arg, "(map %s) has no map argument before it", key ? "key" : "value");
	n = key ? e->map.key_size : e->map.value_size;
	if (n && !mem_ok(e, p, n, write))
		return arg_fault(e, arg, "(map %s, %u bytes) points outside the program's memory (0x%" PRIx64 ")",
				 key ? "key" : "value", n, p);
	return 0;
}

static int check_obj(struct call_env *e, int arg, enum sops_vm_obj kind, uint64_t v,
		     const char *what)
{
	if (!obj_ok(e, kind, v, NULL))
		return arg_fault(e, arg, "(%s) is not %s (0x%" PRIx64 ")",
				 kind == SOPS_VM_OBJ_FUNC ? "callback" :
				 kind == SOPS_VM_OBJ_RINGBUF_REC ? "ring buffer record" :
				 kind == SOPS_VM_OBJ_SPIN_LOCK ? "spin lock" :
				 kind == SOPS_VM_OBJ_TIMER ? "timer" : "BTF object",
				 what, v);
	return 0;
}

/* Argument @i (1-based) of kind @t with value r[i]; @next_t/@next: the following argument. */
static int check_arg(struct call_env *e, int i, const uint64_t *r)
{
	const uint32_t *at = e->h->proto->arg_type;
	uint32_t t = at[i - 1];
	uint64_t v = r[i];
	bool sized = i < 5 && is_size(at[i]);

	if (!v && (t & SOPS_ARG_MAYBE_NULL) && SOPS_ARG_BASE(t) != SOPS_ARG_PTR_TO_MEM)
		return 0;
	switch (SOPS_ARG_BASE(t)) {
	case SOPS_ARG_DONTCARE:
	case SOPS_ARG_ANYTHING:
		return 0;
	case SOPS_ARG_CONST_SIZE:
	case SOPS_ARG_CONST_SIZE_OR_ZERO:
	case SOPS_ARG_CONST_ALLOC_SIZE_OR_ZERO:
		return check_size(e, i, t, v);
	case SOPS_ARG_PTR_TO_MEM:
		/* Without a size argument after it, the helper may touch one byte. */
		return check_mem(e, i, t, v, sized ? r[i + 1] : 1);
	case SOPS_ARG_PTR_TO_CTX:
		if (v != e->mv->ctx)
			return arg_fault(e, i, "(context) is not the program's context (0x%" PRIx64 ")", v);
		return 0;
	case SOPS_ARG_CONST_MAP_PTR:
		e->have_map = obj_ok(e, SOPS_VM_OBJ_MAP, v, &e->map);
		if (!e->have_map)
			return arg_fault(e, i, "(map) is not a map the program uses (0x%" PRIx64 ")", v);
		return 0;
	case SOPS_ARG_PTR_TO_MAP_KEY:
		return check_map_mem(e, i, v, true, false);
	case SOPS_ARG_PTR_TO_MAP_VALUE:
		return check_map_mem(e, i, v, false, (t & SOPS_ARG_UNINIT) != 0);
	case SOPS_ARG_PTR_TO_STACK:
		/*
		 * A callback's context: the helper only hands it on to the
		 * callback, which is checked itself. The program's stack, or
		 * other memory it may touch (a callback runs on a stack of its
		 * own in checked mode, so programs pass map values too).
		 */
		if ((v < e->mv->stack_lo || v >= e->mv->stack_hi) && !mem_ok(e, v, 1, false))
			return arg_fault(e, i, "(callback context) points outside the program's memory (0x%" PRIx64 ")", v);
		return 0;
	case SOPS_ARG_PTR_TO_CONST_STR:
		return check_str(e, i, v);
	case SOPS_ARG_PTR_TO_FUNC:
		return check_obj(e, i, SOPS_VM_OBJ_FUNC, v, "one of the program's callbacks");
	case SOPS_ARG_PTR_TO_RINGBUF_MEM:
		return check_obj(e, i, SOPS_VM_OBJ_RINGBUF_REC, v,
				 "a record the program reserved and still holds");
	case SOPS_ARG_PTR_TO_SPIN_LOCK:
		if (v & 3)
			return arg_fault(e, i, "(spin lock) is not 4-byte aligned (0x%" PRIx64 ")", v);
		return check_obj(e, i, SOPS_VM_OBJ_SPIN_LOCK, v, "inside a value of a map the program uses");
	case SOPS_ARG_PTR_TO_TIMER:
		if (v & 7)
			return arg_fault(e, i, "(timer) is not 8-byte aligned (0x%" PRIx64 ")", v);
		return check_obj(e, i, SOPS_VM_OBJ_TIMER, v,
				 "the bpf_timer of a value of a map the program uses");
	case SOPS_ARG_PTR_TO_BTF_ID:
		return check_obj(e, i, SOPS_VM_OBJ_BTF_ID, v, "an object the host passed");
	}
	return arg_fault(e, i, "has unknown kind 0x%x", t);
}

int vm_call_check(const struct sops_vm *vm, uint32_t id, const uint64_t *r,
		  const struct vm_mem_view *mv, struct vm_fault *fault)
{
	struct call_env e = { vm, mv, NULL, fault, { 0, 0 }, false };
	int err;

	if (!vm->helper_info || id >= vm->helper_id_cnt || !vm->helper_info[id].fn)
		return 0; /* resolution already refused unknown ids */
	e.h = &vm->helper_info[id];
	if (!e.h->proto)
		return 0; /* no prototype: scalars only (vm.h) */
	for (int i = 1; i <= 5; i++) {
		err = check_arg(&e, i, r);
		if (err)
			return err;
	}
	return 0;
}
