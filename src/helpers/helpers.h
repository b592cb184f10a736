/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - the built-in helpers shared between helper files (internal).
 *
 * Each helper has the kernel's id and argument order and receives the calling
 * program (struct sops_prog *) as its sixth argument. Helpers trust their
 * arguments: for programs nobody verified, the checked interpreter checks
 * every argument against the helper's prototype before the call
 * (src/vm/call_check.c, src/runtime/prog_sandbox.c), so a wild value stops
 * the run instead of reaching the helper.
 */
#ifndef SOPS_HELPERS_H
#define SOPS_HELPERS_H

#include "../runtime/rt_internal.h"

#define HELPER(name)                                                                               \
	uint64_t name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, void *aux)

/* helpers_str.c */
HELPER(rt_helper_trace_printk);
HELPER(rt_helper_snprintf);
HELPER(rt_helper_strncmp);
HELPER(rt_helper_probe_read);
HELPER(rt_helper_probe_read_str);

/* Safe copy of @n bytes from @src: 0, or -EFAULT (dst zeroed) if unreadable. */
long rt_safe_copy(void *dst, const void *src, size_t n);
/* Safe copy of a NUL-terminated string (at most @n bytes incl. NUL): its length + 1, or -EFAULT. */
long rt_safe_copy_str(char *dst, const void *src, size_t n);

/* prog.c: run a callback subprogram (bpf_loop, for_each_map_elem); 1 stops on a fault. */
uint64_t rt_callback_call(struct rt_callback *cb, uint64_t r1, uint64_t r2, uint64_t r3,
			  uint64_t r4, uint64_t r5);
/* prog.c: run @cb once with r1..r5 = @args; a checked run may also touch @regions. 0 or -errno. */
int rt_callback_call_mem(struct rt_callback *cb, const uint64_t args[5],
			 const struct sops_mem_region *regions, size_t region_cnt, uint64_t *retval);
/* prog.c: the program @cb belongs to. */
struct sops_prog *rt_callback_prog(const struct rt_callback *cb);
/* timer.c: bpf_timer_init/set_callback/start/cancel (ids 169-172). */
HELPER(rt_helper_timer_init);
HELPER(rt_helper_timer_set_callback);
HELPER(rt_helper_timer_start);
HELPER(rt_helper_timer_cancel);
/* prog.c: whether @cb is one of @prog's callbacks. */
bool rt_prog_owns_callback(const struct sops_prog *prog, const struct rt_callback *cb);

#endif /* SOPS_HELPERS_H */
