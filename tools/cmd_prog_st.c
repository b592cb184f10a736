/* SPDX-License-Identifier: MIT */
/*
 * cmd_prog_st.c - `structops prog run` of a struct_ops program: a unit test of
 * one member's implementation from the shell, with no host running.
 *
 * cmd_prog.c has loaded the object against HOST_BTF (its struct_ops types
 * registered from that BTF alone). Here the member's prototype, read from
 * HOST_BTF, says what each u64 argument is: a pointer to a struct gets a
 * zero-filled buffer of the struct's size (--arg N=HEX fills its first bytes,
 * --arg N=null passes NULL), any other argument takes an integer (--arg
 * N=VALUE). The run is sops_prog_test_run_struct_ops(); afterwards each buffer
 * is printed in hex as the program left it, in the format --arg takes, so one
 * run's output can feed the next.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include <structops/btf.h>
#include <structops/object.h>
#include <structops/runtime.h>
#include <structops/struct_ops.h>

#include "commands.h"

#define ST_MAX_ARGS 12 /* the kernel's MAX_BPF_FUNC_ARGS */

struct st_arg {
	char decl[160];   /* the parameter as C, e.g. "struct sock *sk" */
	long size;        /* > 0: a pointer to a struct of this size (gets a buffer) */
	long int_size;    /* a scalar's size in bytes (0: a pointer, 8 bytes) */
	bool is_signed;   /* a signed integer or enum */
	bool null;        /* --arg N=null */
	uint8_t *buf;     /* the buffer (size bytes) */
	uint64_t value;   /* the slot of a scalar */
};

struct st_run {
	const struct btf *btf;
	const struct btf_type *proto;
	uint32_t nr;
	struct st_arg a[ST_MAX_ARGS];
};

/* @id with modifiers and typedefs skipped (its id in *@out), or NULL. */
static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id, uint32_t *out)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (out)
		*out = id;
	return t;
}

static void decl_printf(void *ctx, const char *fmt, va_list ap)
{
	char *buf = ctx;
	size_t n = strlen(buf);

	if (n + 1 < 160)
		vsnprintf(buf + n, 160 - n, fmt, ap);
}

/* "TYPE NAME" of a parameter, as btf_dump writes C declarations. */
static void param_decl(const struct btf *btf, uint32_t type, const char *name, char decl[160])
{
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = name);
	struct btf_dump *d;

	decl[0] = 0;
	d = btf_dump__new(btf, decl_printf, decl, NULL);
	if (!d || btf_dump__emit_type_decl(d, type, &o))
		snprintf(decl, 160, "type %u %s", type, name);
	btf_dump__free(d);
}

/* The member's prototype in HOST_BTF and the shape of each argument. */
static int st_run_init(struct tool_run *r, struct sops_program *p, struct st_run *s)
{
	const struct btf_type *st, *mt;
	const struct btf_member *m;
	uint32_t idx = sops_program__expected_attach_type(p);

	memset(s, 0, sizeof(*s));
	s->btf = sops_btf__libbpf(r->btf.host);
	st = btf__type_by_id(s->btf, sops_program__attach_btf_id(p));
	if (sops_program__attach_btf_obj(p) != 0 || !st || !btf_is_struct(st) || idx >= btf_vlen(st)) {
		tool_error(r->cmd, r->json, -EINVAL, "%s: its struct_ops member is not in %s", r->name,
			   r->btf_file);
		return -EINVAL;
	}
	m = btf_members(st) + idx;
	mt = skip_mods(s->btf, m->type, NULL);
	s->proto = mt && btf_is_ptr(mt) ? skip_mods(s->btf, mt->type, NULL) : NULL;
	if (!s->proto || !btf_is_func_proto(s->proto) || btf_vlen(s->proto) > ST_MAX_ARGS) {
		tool_error(r->cmd, r->json, -EINVAL, "%s: member %s of struct %s has no usable prototype",
			   r->name, btf__name_by_offset(s->btf, m->name_off),
			   btf__name_by_offset(s->btf, st->name_off));
		return -EINVAL;
	}
	s->nr = btf_vlen(s->proto);
	for (uint32_t i = 0; i < s->nr; i++) {
		const struct btf_param *bp = btf_params(s->proto) + i;
		const struct btf_type *t = skip_mods(s->btf, bp->type, NULL), *pt;
		uint32_t pid;

		param_decl(s->btf, bp->type, btf__name_by_offset(s->btf, bp->name_off), s->a[i].decl);
		if (!t || !btf_is_ptr(t)) {
			s->a[i].int_size = btf__resolve_size(s->btf, bp->type);
			s->a[i].is_signed = t && ((btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED)) ||
						  (btf_is_any_enum(t) && btf_kflag(t)));
			continue;
		}
		pt = skip_mods(s->btf, t->type, &pid);
		if (pt && (btf_is_struct(pt) || btf_is_union(pt)))
			s->a[i].size = btf__resolve_size(s->btf, pid);
	}
	return 0;
}

static void st_run_fini(struct st_run *s)
{
	for (uint32_t i = 0; i < ST_MAX_ARGS; i++)
		free(s->a[i].buf);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One "--arg N=VALUE". 0, or 2 after saying what is wrong. */
static int parse_arg(struct tool_run *r, struct st_run *s, const char *spec)
{
	char *end;
	unsigned long n = strtoul(spec, &end, 10);
	const char *v = end + 1;
	struct st_arg *a;

	if (end == spec || *end != '=' || spec[0] == '-') {
		tool_error(r->cmd, r->json, -EINVAL, "--arg %s: expected N=VALUE", spec);
		return 2;
	}
	if (n >= s->nr && !s->nr) {
		tool_error(r->cmd, r->json, -EINVAL, "--arg %s: %s takes no arguments", spec, r->name);
		return 2;
	}
	if (n >= s->nr) {
		tool_error(r->cmd, r->json, -EINVAL, "--arg %s: %s takes %u argument%s (0 to %u)", spec,
			   r->name, s->nr, s->nr == 1 ? "" : "s", s->nr - 1);
		return 2;
	}
	a = &s->a[n];
	if (a->size <= 0) {
		errno = 0;
		if (*v == '-')
			a->value = (uint64_t)strtoll(v, &end, 0);
		else
			a->value = strtoull(v, &end, 0);
		if (!*v || *end || errno) {
			tool_error(r->cmd, r->json, -EINVAL, "--arg %s: argument %lu (%s) takes an integer",
				   spec, n, a->decl);
			return 2;
		}
		if (a->int_size > 0 && a->int_size < 8) {
			int bits = (int)a->int_size * 8;
			bool fits = *v == '-' ? (int64_t)a->value >= -(1ll << (bits - 1)) :
						!(a->value >> bits);

			if (!fits) {
				tool_error(r->cmd, r->json, -ERANGE,
					   "--arg %s: argument %lu (%s) is %ld bytes; the value does not fit",
					   spec, n, a->decl, a->int_size);
				return 2;
			}
		}
		return 0;
	}
	if (!strcmp(v, "null")) {
		a->null = true;
		return 0;
	}
	if (!strncmp(v, "0x", 2))
		v += 2;
	if (strlen(v) % 2 || strlen(v) / 2 > (size_t)a->size) {
		tool_error(r->cmd, r->json, -EINVAL,
			"--arg %s: argument %lu (%s) takes at most %ld bytes of hex "
			"(an even number of digits) or 'null'", spec, n, a->decl, a->size);
		return 2;
	}
	for (size_t i = 0; v[2 * i]; i++) {
		int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			tool_error(r->cmd, r->json, -EINVAL, "--arg %s: '%.2s' is not a hex byte", spec,
				v + 2 * i);
			return 2;
		}
		a->buf[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* The return value as the member's return type reads it. */
static void print_retval(const struct st_run *s, uint64_t ret, bool json)
{
	const struct btf_type *t = skip_mods(s->btf, s->proto->type, NULL);
	long sz = s->proto->type ? btf__resolve_size(s->btf, s->proto->type) : 0;
	bool sign = t && btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED);

	if (!s->proto->type) {
		printf(json ? "\"retval\": null" : "retval (void)");
		return;
	}
	if (sz > 0 && sz < 8)
		ret &= (1ull << (8 * sz)) - 1;
	if (sign && sz > 0 && sz < 8 && (ret >> (8 * sz - 1)) & 1)
		ret |= ~0ull << (8 * sz); /* sign-extend */
	if (json)
		printf(sign ? "\"retval\": %lld" : "\"retval\": %llu", (long long)ret);
	else
		printf(sign ? "retval %lld (0x%llx)" : "retval %llu (0x%llx)", (long long)ret,
		       (unsigned long long)(sz > 0 && sz < 8 ? ret & ((1ull << (8 * sz)) - 1) : ret));
}

static void print_hex(const uint8_t *b, long n)
{
	for (long i = 0; i < n; i++)
		printf("%02x", b[i]);
}

/* A scalar argument's slot as its C type reads it: the low int_size bytes, signed or not. */
static void print_value(const struct st_arg *a)
{
	uint64_t v = a->value;
	int bits = a->int_size > 0 && a->int_size < 8 ? (int)a->int_size * 8 : 64;

	if (bits < 64)
		v &= (1ull << bits) - 1;
	if (a->is_signed && bits < 64 && (v >> (bits - 1)) & 1)
		printf("%lld", (long long)(v | ~0ull << bits));
	else if (a->is_signed)
		printf("%lld", (long long)v);
	else
		printf("%llu", (unsigned long long)v);
}

static void print_scalar(const struct st_arg *a)
{
	int bits = a->int_size > 0 && a->int_size < 8 ? (int)a->int_size * 8 : 64;

	print_value(a);
	printf(" (0x%llx)", (unsigned long long)(bits < 64 ? a->value & ((1ull << bits) - 1) : a->value));
}

static void print_args(const struct st_run *s, bool json)
{
	for (uint32_t i = 0; i < s->nr; i++) {
		const struct st_arg *a = &s->a[i];

		if (json) {
			printf("%s{\"index\": %u, \"decl\": \"%s\"", i ? ", " : "", i, tool_json_escape(a->decl));
			if (a->size > 0 && !a->null) {
				printf(", \"size\": %ld, \"out\": \"", a->size);
				print_hex(a->buf, a->size);
				printf("\"}");
			} else if (a->size > 0) {
				printf(", \"null\": true}");
				} else {
				printf(", \"value\": ");
				print_value(a);
				printf("}");
			}
			continue;
		}
		printf("arg %u (%s): ", i, a->decl);
		if (a->size > 0 && !a->null)
			print_hex(a->buf, a->size);
		else if (a->size > 0)
			printf("NULL");
		else
			print_scalar(a);
		putchar('\n');
	}
}

int tool_prog_run_struct_ops(struct tool_run *r, struct sops_program *p, char **args, int arg_cnt)
{
	struct sops_struct_ops_arg_buf bufs[ST_MAX_ARGS] = { 0 };
	uint64_t slots[ST_MAX_ARGS] = { 0 };
	char log[1024] = "";
	struct sops_struct_ops_test_run_opts o = { .sz = sizeof(o), .log_buf = log,
						   .log_size = sizeof(log) };
	struct sops_bpf_prog_info stats;
	struct sops_prog_verdict v;
	struct st_run s;
	const char *engine;
	int rc = 1, err;

	if (st_run_init(r, p, &s))
		return 1;
	for (uint32_t i = 0; i < s.nr; i++) {
		if (s.a[i].size <= 0)
			continue;
		s.a[i].buf = calloc(1, (size_t)s.a[i].size);
		if (!s.a[i].buf) {
			tool_error(r->cmd, r->json, -ENOMEM, "no memory for argument %u's buffer", i);
			goto out;
		}
	}
	for (int i = 0; i < arg_cnt; i++)
		if (parse_arg(r, &s, args[i])) {
			rc = 2;
			goto out;
		}
	for (uint32_t i = 0; i < s.nr; i++) {
		slots[i] = s.a[i].value;
		if (s.a[i].size > 0 && !s.a[i].null)
			bufs[i] = (struct sops_struct_ops_arg_buf){ s.a[i].buf, (size_t)s.a[i].size };
	}
	o.args = slots;
	o.args_size = s.nr * 8;
	o.bufs = bufs;
	o.buf_cnt = s.nr;
	o.repeat = (int)r->repeat;
	engine = tool_prog_engine(r, p, &v);
	err = sops_prog_test_run_struct_ops(r->rt, sops_program__handle(p), &o);
	if (err) {
		/* A checked run that faulted is explained by why it was not verified. */
		tool_error(r->cmd, r->json, err, "running %s: %s (%s)%s%s", r->name,
			   log[0] ? log : "failed", strerror(-err),
			   !v.verified && v.reason[0] ? "; not verified: insn " : "",
			   !v.verified ? v.reason : "");
		if (!r->json && !tool_prog_stats(r, p, &stats))
			tool_prog_print_stats(&stats, false);
		goto out;
	}
	if (tool_prog_stats(r, p, &stats))
		goto out;
	if (r->json) {
		printf("{");
		print_retval(&s, o.retval, true);
		printf(", \"duration_ns\": %u, \"engine\": \"%s\", \"verified\": %s", o.duration, engine,
		       v.verified ? "true" : "false");
		if (!v.verified)
			printf(", \"reason\": \"%s\"", tool_json_escape(v.reason));
		printf(", \"member\": \"%s\", \"args\": [", tool_json_escape(sops_program__attach_member(p)));
		print_args(&s, true);
		printf("]");
		if (r->kfunc_cnt) {
			printf(", \"kfuncs\": [");
			tool_kfunc_mocks_print(r, true);
			printf("]");
		}
		tool_prog_print_stats(&stats, true);
		printf("}\n");
	} else {
		print_retval(&s, o.retval, false);
		printf(", %u ns per run, %s, %s, member %s\n", o.duration, engine,
		       v.verified ? "verified" : "not verified", sops_program__attach_member(p));
		if (!v.verified && v.reason[0])
			printf("not verified: insn %s\n", v.reason);
		print_args(&s, false);
		tool_kfunc_mocks_print(r, false);
		tool_prog_print_stats(&stats, false);
	}
	rc = 0;
out:
	st_run_fini(&s);
	return rc;
}
