/* SPDX-License-Identifier: MIT */
/*
 * kfunc_mock.c - `--kfunc NAME[=VALUE][:FLAG]...` for prog run, prog verify
 * and map dump: stand-ins for the host's kfuncs, so a program that calls
 * them can be verified and unit-tested with no host running.
 *
 * The tool has no host code; a kfunc is only a FUNC in HOST_BTF. Each
 * --kfunc registers that FUNC with a stub and the flags the host would give
 * it (the verifier needs them: acquire, release, ret_null, trusted,
 * sleepable, which only the host's registration knows). A stub counts its
 * calls and returns VALUE (default 0), or, when the FUNC returns a pointer to
 * a struct, a zeroed object of that struct's size that lives as long as the
 * command (VALUE "null" returns NULL instead, which needs ret_null). The
 * stubs are a fixed table of functions, one per slot, since a kfunc is
 * called with its arguments only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include <structops/btf.h>
#include <structops/runtime.h>

#include "commands.h"

struct mock {
	const char *spec;  /* as given */
	char name[128];
	uint64_t ret;
	void *obj;         /* returned object (pointer-to-struct FUNCs) */
	bool null;
	uint64_t calls;
};

/* The stubs read their slot here: the command's only mutable global. */
static struct mock mocks[TOOL_MAX_KFUNCS];

#define STUB(i)                                                                                    \
	static uint64_t stub##i(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)       \
	{                                                                                          \
		(void)a, (void)b, (void)c, (void)d, (void)e;                                       \
		mocks[i].calls++;                                                                  \
		return mocks[i].obj && !mocks[i].null ? (uint64_t)(uintptr_t)mocks[i].obj :       \
							  mocks[i].ret;                            \
	}
STUB(0) STUB(1) STUB(2) STUB(3) STUB(4) STUB(5) STUB(6) STUB(7)
STUB(8) STUB(9) STUB(10) STUB(11) STUB(12) STUB(13) STUB(14) STUB(15)
static const sops_kfunc_fn stubs[TOOL_MAX_KFUNCS] = {
	stub0, stub1, stub2,  stub3,  stub4,  stub5,  stub6,  stub7,
	stub8, stub9, stub10, stub11, stub12, stub13, stub14, stub15,
};

static const struct {
	const char *name;
	uint32_t flag;
} flag_names[] = {
	{ "acquire", SOPS_KF_ACQUIRE },   { "release", SOPS_KF_RELEASE },
	{ "ret_null", SOPS_KF_RET_NULL }, { "trusted", SOPS_KF_TRUSTED_ARGS },
	{ "sleepable", SOPS_KF_SLEEPABLE },
};

/* NAME[=VALUE][:FLAG]... into @m and *@flags. 0, or -EINVAL after saying why. */
static int parse(struct tool_run *r, struct mock *m, const char *spec, uint32_t *flags)
{
	const char *p = spec + strcspn(spec, "=:");
	size_t n = (size_t)(p - spec);

	*flags = 0;
	if (!n || n >= sizeof(m->name)) {
		tool_error(r->cmd, r->json, -EINVAL, "--kfunc %s: expected NAME[=VALUE][:FLAG]...", spec);
		return -EINVAL;
	}
	memcpy(m->name, spec, n);
	m->name[n] = 0;
	if (*p == '=') {
		char v[64], *end;
		size_t vn = strcspn(++p, ":");

		if (!vn || vn >= sizeof(v)) {
			tool_error(r->cmd, r->json, -EINVAL, "--kfunc %s: VALUE missing or too long", spec);
			return -EINVAL;
		}
		memcpy(v, p, vn);
		v[vn] = 0;
		p += vn;
		if (!strcmp(v, "null")) {
			m->null = true;
		} else {
			errno = 0;
			m->ret = v[0] == '-' ? (uint64_t)strtoll(v, &end, 0) : strtoull(v, &end, 0);
			if (*end || errno) {
				tool_error(r->cmd, r->json, -EINVAL, "--kfunc %s: '%s' is not an integer or 'null'",
					   spec, v);
				return -EINVAL;
			}
		}
	}
	while (*p == ':') {
		size_t fn = strcspn(++p, ":");
		size_t k;

		for (k = 0; k < sizeof(flag_names) / sizeof(flag_names[0]); k++)
			if (strlen(flag_names[k].name) == fn && !strncmp(p, flag_names[k].name, fn))
				break;
		if (k == sizeof(flag_names) / sizeof(flag_names[0])) {
			tool_error(r->cmd, r->json, -EINVAL,
				   "--kfunc %s: unknown flag '%.*s' (acquire, release, ret_null, trusted, "
				   "sleepable)", spec, (int)fn, p);
			return -EINVAL;
		}
		*flags |= flag_names[k].flag;
		p += fn;
	}
	return 0;
}

int tool_kfunc_mocks_check(struct tool_run *r)
{
	for (size_t i = 0; i < r->kfunc_cnt; i++) {
		struct mock scratch = { 0 };
		uint32_t flags;

		if (parse(r, &scratch, r->kfuncs[i], &flags))
			return -EINVAL;
	}
	return 0;
}

int tool_kfunc_mocks_register(struct tool_run *r)
{
	const struct btf *btf = r->btf.host ? sops_btf__libbpf(r->btf.host) : NULL;

	if (r->kfunc_cnt && !btf) {
		tool_error(r->cmd, r->json, -EINVAL, "--kfunc needs --btf (the kfunc is a FUNC of HOST_BTF)");
		return -EINVAL;
	}
	for (size_t i = 0; i < r->kfunc_cnt; i++) {
		struct mock *m = &mocks[i];
		char log[256] = "";
		struct sops_kfunc_desc d = { .sz = sizeof(d), .log_buf = log, .log_size = sizeof(log) };
		const struct btf_type *fn, *t;
		int id, err;

		memset(m, 0, sizeof(*m));
		m->spec = r->kfuncs[i];
		if (parse(r, m, m->spec, &d.flags))
			return -EINVAL;
		id = btf__find_by_name_kind(btf, m->name, BTF_KIND_FUNC);
		if (id <= 0) {
			tool_error(r->cmd, r->json, -ENOENT, "--kfunc %s: no FUNC %s in %s", m->spec, m->name,
				   r->btf_file);
			return -ENOENT;
		}
		fn = btf__type_by_id(btf, (uint32_t)id);
		t = btf__type_by_id(btf, fn->type); /* the FUNC_PROTO */
		t = t && t->type ? btf__type_by_id(btf, t->type) : NULL;
		while (t && (btf_is_mod(t) || btf_is_typedef(t)))
			t = btf__type_by_id(btf, t->type);
		if (t && btf_is_ptr(t)) {
			const struct btf_type *st = btf__type_by_id(btf, t->type);
			long sz;

			while (st && (btf_is_mod(st) || btf_is_typedef(st)))
				st = btf__type_by_id(btf, st->type);
			sz = st && btf_is_composite(st) ? btf__resolve_size(btf, t->type) : 0;
			if (sz > 0) {
				m->obj = calloc(1, (size_t)sz);
				if (!m->obj) {
					tool_error(r->cmd, r->json, -ENOMEM, "--kfunc %s: no memory", m->spec);
					return -ENOMEM;
				}
			}
		}
		d.name = m->name;
		d.fn = stubs[i];
		d.btf_id = (uint32_t)id;
		err = sops_runtime__register_kfunc(r->rt, &d);
		if (err) {
			tool_error(r->cmd, r->json, err, "--kfunc %s: %s (%s)", m->spec, log[0] ? log : "refused",
				   strerror(-err));
			return err;
		}
	}
	return 0;
}

void tool_kfunc_mocks_print(const struct tool_run *r, bool json)
{
	for (size_t i = 0; i < r->kfunc_cnt; i++) {
		if (json)
			printf("%s{\"name\": \"%s\", \"calls\": %llu}", i ? ", " : "",
			       tool_json_escape(mocks[i].name), (unsigned long long)mocks[i].calls);
		else
			printf("kfunc %s: %llu call%s\n", mocks[i].name, (unsigned long long)mocks[i].calls,
			       mocks[i].calls == 1 ? "" : "s");
	}
}

void tool_kfunc_mocks_free(const struct tool_run *r)
{
	for (size_t i = 0; i < r->kfunc_cnt && i < TOOL_MAX_KFUNCS; i++) {
		free(mocks[i].obj);
		mocks[i].obj = NULL;
	}
}
