/* SPDX-License-Identifier: MIT */
/*
 * vlog.c - the verifier's log: the trace at levels 1 and 2, register state
 * dumps, source lines from .BTF.ext line info, and the error message.
 *
 * The wording follows the kernel's log where a message exists there (users
 * grep for "invalid mem access 'scalar'"), the layout too: at level 1 each
 * processed instruction as "12: (bf) r1 = r6", a "; source line" comment
 * when the line changes, "from 7 to 9:" and the state when a waiting path
 * resumes; level 2 adds the registers after every instruction. Whatever the
 * level, a rejection ends the log with the message naming the problem, so a
 * caller with log_level 0 still learns why.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <structops/asm.h>

#include "verifier.h"

static void vlog_va(struct venv *env, const char *fmt, va_list ap)
{
	size_t room;
	int n;

	if (!env->log_buf || env->log_size < 2)
		return;
	room = env->log_size - env->log_len;
	if (room <= 1) {
		env->log_truncated = true;
		return;
	}
	n = vsnprintf(env->log_buf + env->log_len, room, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		env->log_len = env->log_size - 1;
		env->log_truncated = true;
	} else {
		env->log_len += (size_t)n;
	}
}

void vlog(struct venv *env, const char *fmt, ...)
{
	va_list ap;

	if (!(env->log_level & 3))
		return;
	va_start(ap, fmt);
	vlog_va(env, fmt, ap);
	va_end(ap);
}

int verr(struct venv *env, int err, const char *fmt, ...)
{
	va_list ap;

	if (env->err)
		return env->err;
	va_start(ap, fmt);
	vsnprintf(env->errmsg, sizeof(env->errmsg), fmt, ap);
	va_end(ap);
	env->err = err;
	env->err_insn = env->insn_idx;
	return err;
}

static const char *const type_names[V_TYPE_CNT] = {
	[V_NOT_INIT] = "?",
	[V_SCALAR] = "scalar",
	[V_PTR_TO_CTX] = "ctx",
	[V_PTR_TO_STACK] = "fp",
	[V_CONST_PTR_TO_MAP] = "map_ptr",
	[V_PTR_TO_MAP_VALUE] = "map_value",
	[V_PTR_TO_MAP_KEY] = "map_key",
	[V_PTR_TO_MEM] = "mem",
	[V_PTR_TO_FUNC] = "func",
	[V_PTR_TO_BTF_ID] = "ptr_",
};

const char *vtype_name(const struct vreg *r)
{
	if (r->type == V_PTR_TO_MAP_VALUE && (r->flags & VF_MAYBE_NULL))
		return "map_value_or_null";
	if (r->type == V_PTR_TO_MEM && (r->flags & VF_RINGBUF))
		return r->flags & VF_MAYBE_NULL ? "ringbuf_mem_or_null" : "ringbuf_mem";
	if (r->type == V_PTR_TO_MEM && (r->flags & VF_MAYBE_NULL))
		return "mem_or_null";
	if (r->type == V_PTR_TO_BTF_ID && (r->flags & VF_MAYBE_NULL))
		return r->flags & VF_TRUSTED ? "trusted_ptr_or_null_" : "ptr_or_null_";
	if (r->type == V_PTR_TO_BTF_ID && (r->flags & VF_TRUSTED))
		return "trusted_ptr_";
	return r->type < V_TYPE_CNT ? type_names[r->type] : "invalid";
}

void vlog_reg(char *buf, size_t size, const struct vreg *r)
{
	char v[160];
	int n;

	if (r->type == V_SCALAR) {
		sc_sprint(v, sizeof(v), &r->v);
		if (sc_is_const(&r->v))
			snprintf(buf, size, "%s", v);
		else
			snprintf(buf, size, "scalar(%s)", v);
		return;
	}
	if (r->type == V_PTR_TO_STACK) {
		snprintf(buf, size, "fp%d", r->off);
		return;
	}
	n = snprintf(buf, size, "%s%s(", vtype_name(r), r->type == V_PTR_TO_BTF_ID ? vbtf_type_name(r) : "");
	if (n < 0 || (size_t)n >= size)
		return;
	if (r->id)
		n += snprintf(buf + n, size - (size_t)n, "id=%u,", r->id);
	if (r->ref_obj_id && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "ref_obj_id=%u,", r->ref_obj_id);
	if ((r->type == V_PTR_TO_MAP_VALUE || r->type == V_PTR_TO_MAP_KEY ||
	     r->type == V_CONST_PTR_TO_MAP) && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "map=%s,ks=%u,vs=%u,", r->map->name,
			      r->map->key_size, r->map->value_size);
	if (r->type == V_PTR_TO_MEM && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "sz=%u,", r->mem_size);
	if ((size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "off=%d", r->off);
	if (!sc_is_const(&r->v) && (size_t)n < size) {
		sc_sprint(v, sizeof(v), &r->v);
		n += snprintf(buf + n, size - (size_t)n, ",%s", v);
	}
	if ((size_t)n < size)
		snprintf(buf + n, size - (size_t)n, ")");
}

void vlog_state(struct venv *env, const struct vstate *st)
{
	char b[256];

	if (!(env->log_level & 3))
		return;
	for (uint32_t f = 0; f <= st->curframe; f++) {
		const struct vframe *fr = st->frame[f];

		if (st->curframe)
			vlog(env, " frame%u:", f);
		for (int i = 0; i < 11; i++) {
			if (fr->regs[i].type == V_NOT_INIT)
				continue;
			vlog_reg(b, sizeof(b), &fr->regs[i]);
			vlog(env, " R%d=%s", i, b);
		}
		for (int s = 0; s < V_SLOTS; s++) {
			const struct vstack_slot *sl = &fr->stack[s];
			char t[9];
			bool any = false;

			for (int k = 0; k < 8; k++) {
				t[7 - k] = "?rm0"[sl->type[k]];
				any |= sl->type[k] != VS_INVALID;
			}
			t[8] = 0;
			if (!any)
				continue;
			if (sl->type[0] == VS_SPILL && sl->type[7] == VS_SPILL) {
				vlog_reg(b, sizeof(b), &sl->spill);
				vlog(env, " fp%d=%s", -8 * (s + 1), b);
			} else {
				vlog(env, " fp%d=%s", -8 * (s + 1), t);
			}
		}
	}
	vlog(env, "\n");
}

void vlog_source(struct venv *env, uint32_t idx)
{
	const struct sops_line_info *best = NULL;
	uint32_t lo = 0, hi = env->line_cnt;

	if (!(env->log_level & 3) || !env->line_cnt)
		return;
	while (lo < hi) { /* the first record at or after idx (lines are sorted) */
		uint32_t mid = (lo + hi) / 2;

		if (env->lines[mid].insn_off < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < env->line_cnt && env->lines[lo].insn_off == idx)
		best = &env->lines[lo];
	/* Once per source line, not once per record (clang emits several per line). */
	if (!best || !best->line || env->last_line == best->line_num)
		return;
	env->last_line = best->line_num;
	vlog(env, "; %s @ %s:%u\n", best->line, best->file ? best->file : "?", best->line_num);
}

void vlog_insn(struct venv *env, uint32_t idx)
{
	char b[128];

	if (!(env->log_level & 3) || env->log_len + 1 >= env->log_size)
		return;
	vlog_source(env, idx);
	if (sops_disasm__insn(env->insns, env->insn_cnt, idx, b, sizeof(b)) < 0)
		snprintf(b, sizeof(b), "?");
	vlog(env, "%u: (%02x) %s\n", idx, env->insns[idx].code, b);
}
