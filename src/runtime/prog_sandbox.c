/* SPDX-License-Identifier: MIT */
/*
 * prog_sandbox.c - the runtime's half of the checked interpreter's helper
 * argument check (the vm's obj_ok hook; src/vm/call_check.c is the other half).
 *
 * The vm checks plain memory arguments itself; arguments that name runtime
 * objects come here: a map pointer must be one of the maps the program
 * declared, a callback one of its subprograms, a ring buffer record one it
 * reserved and still holds, a spin lock or timer must sit inside a value of
 * one of its maps. Unverified programs only: trusted and verified programs
 * never reach this file.
 */
#include <stdio.h>

#include "../helpers/helpers.h"
#include "../maps/ringbuf.h"
#include "rt_internal.h"

/* A 4-byte lock word inside a writable map value (never ring buffer data). */
static bool spin_lock_ok(const struct sops_prog *prog, uint64_t addr)
{
	for (uint32_t i = 0; i < prog->map_cnt; i++) {
		struct rt_map *m = prog->maps[i];

		if (m->map_type == SOPS_BPF_MAP_TYPE_RINGBUF || !m->ops->mem_ok ||
		    (m->map_flags & SOPS_BPF_F_RDONLY_PROG))
			continue;
		if (m->ops->mem_ok(m, addr, 4, true))
			return true;
	}
	return false;
}

/* The struct bpf_timer of an element: at the map's timer offset (from BTF) of a value start. */
static bool timer_ok(const struct sops_prog *prog, uint64_t addr)
{
	for (uint32_t i = 0; i < prog->map_cnt; i++) {
		struct rt_map *m = prog->maps[i];
		uint32_t idx;

		if (m->timer_off >= 0 && m->ops->elem_of && addr >= (uint64_t)m->timer_off &&
		    m->ops->elem_of(m, (const void *)(uintptr_t)(addr - (uint64_t)m->timer_off), &idx))
			return true;
	}
	return false;
}

static bool ringbuf_rec_ok(const struct sops_prog *prog, uint64_t addr)
{
	for (uint32_t i = 0; i < prog->map_cnt; i++)
		if (prog->maps[i]->map_type == SOPS_BPF_MAP_TYPE_RINGBUF &&
		    rt_ringbuf_owns(prog->maps[i], (const void *)(uintptr_t)addr))
			return true;
	return false;
}

bool rt_prog_obj_ok(void *ctx, enum sops_vm_obj kind, uint64_t value, struct sops_vm_obj_info *info)
{
	const struct sops_prog *prog = ctx;
	const struct rt_map *map = (const struct rt_map *)(uintptr_t)value;

	switch (kind) {
	case SOPS_VM_OBJ_MAP:
		if (!rt_prog_uses_map(prog, map))
			return false;
		info->key_size = map->key_size;
		info->value_size = map->value_size;
		return true;
	case SOPS_VM_OBJ_FUNC:
		return rt_prog_owns_callback(prog, (const struct rt_callback *)(uintptr_t)value);
	case SOPS_VM_OBJ_RINGBUF_REC:
		return ringbuf_rec_ok(prog, value);
	case SOPS_VM_OBJ_SPIN_LOCK:
		return spin_lock_ok(prog, value);
	case SOPS_VM_OBJ_TIMER:
		return timer_ok(prog, value);
	case SOPS_VM_OBJ_BTF_ID:
		/*
		 * Host objects (e.g. a struct_ops argument) are not tracked by the
		 * runtime, so they cannot be checked: the host helper that takes
		 * one is trusted with it (docs/runtime.md, the sandbox section).
		 */
		return true;
	}
	return false;
}

void rt_prog_report_fault(struct sops_prog *prog, const char *msg)
{
	atomic_fetch_add(&prog->fault_cnt, 1);
	char line[RT_FAULT_MSG_MAX + SOPS_BPF_OBJ_NAME_LEN + 32];
	int n = snprintf(line, sizeof(line), "prog '%s' stopped: %s\n", prog->name, msg);

	if (n > 0)
		rt_trace(prog->obj.rt, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}
