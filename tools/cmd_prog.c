/* SPDX-License-Identifier: MIT */
/*
 * cmd_prog.c - `structops prog run FILE.o PROG`: load an object into a fresh
 * runtime (the library's path: maps created, global data written, only PROG
 * loaded) and run PROG through PROG_TEST_RUN, printing its return value,
 * average duration and run statistics (run_cnt, run_time_ns, fault_cnt).
 * A struct_ops program needs --btf HOST_BTF and runs through cmd_prog_st.c.
 * Also the tool_run_* steps `map dump` shares (commands.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include <structops/btf.h>
#include <structops/object.h>
#include <structops/runtime.h>
#include <structops/struct_ops.h>

#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: structops prog run FILE.o PROG [--ctx-in HEX] [--data FILE] [--repeat N]\n"
		"                          [--interp|--jit] [--json]\n"
		"       structops prog run FILE.o PROG --btf HOST_BTF [--base BASE] [--arg N=VALUE]...\n"
		"                          [--writable STRUCT[.MEMBER]]... [--kfunc NAME[=VALUE][:FLAG]]...\n"
		"                          [--repeat N] [--interp|--jit] [--json]\n"
		"       structops prog verify FILE.o [PROG] [--log-level N] [--json]\n"
		"\n"
		"run: loads FILE.o, runs program PROG once (or N times) through PROG_TEST_RUN\n"
		"and prints its return value, average duration and the engine that ran it: a\n"
		"program the verifier proved safe runs on the JIT (the fast interpreter with\n"
		"--interp), any other in the interpreter's checked mode. Then the run\n"
		"statistics of those runs (counted for the command, as with the kernel's\n"
		"BPF_ENABLE_STATS): `stats: run_cnt N, run_time_ns T, fault_cnt F`; also\n"
		"printed when a checked run faults.\n"
		"\n"
		"A struct_ops program runs against its member's C prototype in HOST_BTF, with\n"
		"no host: every struct_ops type the object uses is registered from HOST_BTF\n"
		"alone, only PROG loads (the other members of its maps are unbound, so their\n"
		"kfuncs and stores do not matter), it is verified as the member's\n"
		"implementation, and its context is the member's arguments as the kernel's\n"
		"u64 args[]. A pointer to a struct gets a zero-filled buffer of the struct's\n"
		"size; after the run each buffer is printed in hex as the program left it.\n"
		"\n"
		"options:\n"
		"  --ctx-in HEX       the context bytes (not for struct_ops programs)\n"
		"  --data FILE        the packet data (data_in) of the run\n"
		"  --repeat N         run N times (default 1); duration is the average (a\n"
		"                     struct_ops program's buffers carry over between runs)\n"
		"  --interp           run verified programs on the fast interpreter, not the JIT\n"
		"  --jit              also run unverified code on the JIT, unchecked (unsafe;\n"
		"                     said on stderr)\n"
		"  --btf HOST_BTF     the host's types (raw BTF or an ELF file with .BTF); needed\n"
		"                     for struct_ops programs and CO-RE\n"
		"  --base BASE        HOST_BTF is split BTF on BASE\n"
		"  --arg N=VALUE      argument N (from 0) of a struct_ops member (unset ones are\n"
		"                     0, or a zeroed buffer): for a pointer to a struct, HEX\n"
		"                     bytes for the start of its buffer, or 'null' for NULL\n"
		"                     (only where the member marks it __nullable); for any\n"
		"                     other argument (integers, enums, other pointers, which\n"
		"                     the verifier reads as scalars) an integer that fits its\n"
		"                     type, decimal or 0x.., may be negative\n"
		"  --writable S[.M]   let the program store into struct S (or its member M)\n"
		"                     through its arguments; the default is read-only, as the\n"
		"                     kernel's\n"
		"  --kfunc NAME[=VALUE][:FLAG]...\n"
		"                     stand in for the host's kfunc NAME (a FUNC of HOST_BTF;\n"
		"                     up to 16): it returns VALUE (default 0; for a pointer to\n"
		"                     a struct, a zeroed object, or NULL with =null), counts its\n"
		"                     calls, and has the FLAGs the host would register it with:\n"
		"                     acquire, release, ret_null, trusted, sleepable\n"
		"  --json             print one JSON object (failures too, as {\"error\": ...})\n"
		"\n"
		"verify: see `structops prog verify --help`.\n"
		"\n"
		"Exit status: 0 when the program ran, 1 when loading or running failed (a\n"
		"checked run's fault included: a program the verifier rejects still runs,\n"
		"checked, and its rejection is printed), 2 for bad usage.\n"
		"\n"
		"example:\n"
		"  structops prog run tcp_cc.bpf.o cc_ssthresh --btf host.btf --arg 0=0a000000\n");
}

static int parse_hex(const char *s, uint8_t **out, uint32_t *len)
{
	size_t n = strlen(s);
	uint8_t *b;

	if (n % 2)
		return -EINVAL;
	b = malloc(n / 2 + 1);
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(b);
			return -EINVAL;
		}
		b[i] = (uint8_t)v;
	}
	*out = b;
	*len = (uint32_t)(n / 2);
	return 0;
}

int tool_run_arg(struct tool_run *r, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];

	if (!strcmp(arg, "--ctx-in") && *i + 1 < argc)
		r->ctx_hex = argv[++*i];
	else if (!strcmp(arg, "--btf") && *i + 1 < argc)
		r->btf_file = argv[++*i];
	else if (!strcmp(arg, "--base") && *i + 1 < argc)
		r->base_file = argv[++*i];
	else if (!strcmp(arg, "--writable") && *i + 1 < argc) {
		if (r->writable_cnt == TOOL_MAX_WRITABLE) {
			tool_error(r->cmd, r->json, -E2BIG, "at most %d --writable", TOOL_MAX_WRITABLE);
			return -1;
		}
		r->writable[r->writable_cnt++] = argv[++*i];
	}
	else if (!strcmp(arg, "--kfunc") && *i + 1 < argc) {
		if (r->kfunc_cnt == TOOL_MAX_KFUNCS) {
			tool_error(r->cmd, r->json, -E2BIG, "at most %d --kfunc", TOOL_MAX_KFUNCS);
			return -1;
		}
		r->kfuncs[r->kfunc_cnt++] = argv[++*i];
	}
	else if (!strcmp(arg, "--repeat") && *i + 1 < argc)
		r->repeat = atol(argv[++*i]);
	else if (!strcmp(arg, "--jit") || !strcmp(arg, "--interp")) {
		r->jit = !strcmp(arg, "--jit");
		r->interp = !r->jit;
	}
	else if (!strcmp(arg, "--json"))
		r->json = true;
	else if (arg[0] == '-')
		return 0;
	else if (!r->file)
		r->file = arg;
	else if (!r->name)
		r->name = arg;
	else
		return 0;
	return 1;
}

const char *tool_json_escape(const char *s)
{
	static char buf[1024];
	size_t n = 0;

	for (; *s && n + 7 < sizeof(buf); s++) {
		if (*s == '"' || *s == '\\') {
			buf[n++] = '\\';
			buf[n++] = *s;
		} else if ((unsigned char)*s < 0x20) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\\u%04x", *s);
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = 0;
	return buf;
}

int tool_run_check_usage(struct tool_run *r)
{
	if (r->base_file && !r->btf_file) {
		tool_error(r->cmd, r->json, -EINVAL, "--base needs --btf (it is the base of the split HOST_BTF)");
		return 2;
	}
	if (r->writable_cnt && !r->btf_file) {
		tool_error(r->cmd, r->json, -EINVAL, "--writable needs --btf (it names host structs)");
		return 2;
	}
	if (r->kfunc_cnt && !r->btf_file) {
		tool_error(r->cmd, r->json, -EINVAL, "--kfunc needs --btf (the kfunc is a FUNC of HOST_BTF)");
		return 2;
	}
	if (tool_kfunc_mocks_check(r))
		return 2;
	return 0;
}

int tool_run_ctx(struct tool_run *r)
{
	if (r->ctx_hex && parse_hex(r->ctx_hex, &r->ctx, &r->ctx_len)) {
		tool_error(r->cmd, r->json, -EINVAL, "--ctx-in: not a hex string");
		return -EINVAL;
	}
	return 0;
}

int tool_run_open(struct tool_run *r, uint32_t nr_cpus)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .jit = !r->interp, .trust_unverified = r->jit,
					.nr_cpus = nr_cpus };
	char log[512] = "";
	struct sops_object_open_opts oo = { .sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log) };
	int err;

	if (r->jit)
		fprintf(stderr, "structops: --jit: running code the verifier has not proven safe\n");
	if (r->btf_file) {
		err = tool_btf_load(&r->btf, r->cmd, r->json, r->btf_file, r->base_file);
		if (err)
			return err;
		/* The runtime's host BTF ("vmlinux"): struct_ops types, kfuncs and CO-RE targets. */
		ro.host_btf = sops_btf__libbpf(r->btf.host);
	}
	err = sops_runtime__new(&ro, &r->rt);
	if (err) {
		tool_error(r->cmd, r->json, err, "cannot create a runtime: %s", strerror(-err));
		return err;
	}
	err = sops_object__open_file(r->file, &oo, &r->obj);
	if (err)
		tool_error_file(r->cmd, r->json, r->file, log, err);
	return err;
}

/* Registers the struct type of each struct_ops map to be created, from HOST_BTF alone. */
static int register_types(struct tool_run *r)
{
	char log[512];
	struct sops_struct_ops_btf_opts bo = { .sz = sizeof(bo), .writable = r->writable,
					       .writable_cnt = r->writable_cnt, .log_buf = log,
					       .log_size = sizeof(log) };
	const struct sops_map *m = NULL;

	while ((m = sops_object__next_map(r->obj, m))) {
		const char *type = sops_map__struct_ops_type(m);
		int err;

		if (sops_map__type(m) != SOPS_MAP_TYPE_STRUCT_OPS || !sops_map__autocreate(m))
			continue;
		log[0] = 0;
		err = sops_runtime__register_struct_ops_btf(r->rt, NULL, type, &bo);
		if (err == -EEXIST)
			continue; /* a second map of one type */
		if (err) {
			tool_error(r->cmd, r->json, err, "%s: struct_ops map %s: %s (%s)", r->btf_file,
				   sops_map__name(m), log[0] ? log : "cannot register its type",
				   strerror(-err));
			return err;
		}
	}
	return 0;
}

int tool_run_load(struct tool_run *r)
{
	char log[16384] = "";
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .runtime = r->rt, .log_buf = log,
					    .log_size = sizeof(log) };
	int err;

	if (r->btf_file) {
		err = register_types(r);
		if (!err)
			err = tool_kfunc_mocks_register(r);
		if (err)
			return err;
	}
	err = sops_object__load(r->obj, &lo);
	if (err)
		tool_error(r->cmd, r->json, err, "loading %s: %s%s%s%s", r->file,
			   strerror(-err > 0 && -err < 4000 ? -err : EINVAL), log[0] ? ": " : "", log,
			   !r->btf_file && strstr(log, "host's BTF") ? "; pass --btf HOST_BTF" :
			   strstr(log, "registered no kfunc") ?
			   "; the tool has no host code: stand in for the kfunc with --kfunc "
			   "NAME[=VALUE][:FLAG]..." : "");
	return err;
}

int tool_run_prog(struct tool_run *r, const char *name, const void *data, uint32_t data_len,
		  struct sops_test_run_opts *o)
{
	struct sops_program *p = sops_object__find_program_by_name(r->obj, name);
	int err;

	*o = (struct sops_test_run_opts){ .sz = sizeof(*o), .ctx_in = r->ctx, .ctx_size_in = r->ctx_len,
					  .data_in = data, .data_size_in = data_len,
					  .repeat = (int)r->repeat };
	err = sops_prog_test_run_opts(r->rt, sops_program__handle(p), o);
	if (err)
		tool_error(r->cmd, r->json, err, "running %s: %s", name, strerror(-err));
	return err;
}

void tool_run_free(struct tool_run *r)
{
	sops_object__close(r->obj);
	sops_runtime__free(r->rt);
	tool_kfunc_mocks_free(r); /* the objects stubs returned: after the runtime */
	tool_btf_free(&r->btf);
	free(r->ctx);
}

int tool_prog_stats(struct tool_run *r, struct sops_program *p, struct sops_bpf_prog_info *info)
{
	uint32_t len = sizeof(*info);
	int err;

	memset(info, 0, sizeof(*info));
	err = sops_prog_get_info_by_fd(r->rt, sops_program__handle(p), info, &len);
	if (err)
		tool_error(r->cmd, r->json, err, "reading the statistics of %s: %s", r->name, strerror(-err));
	return err;
}

void tool_prog_print_stats(const struct sops_bpf_prog_info *info, bool json)
{
	printf(json ? ", \"run_cnt\": %llu, \"run_time_ns\": %llu, \"fault_cnt\": %llu"
		    : "stats: run_cnt %llu, run_time_ns %llu, fault_cnt %llu\n",
	       (unsigned long long)info->run_cnt, (unsigned long long)info->run_time_ns,
	       (unsigned long long)info->fault_cnt);
}

const char *tool_prog_engine(struct tool_run *r, struct sops_program *p, struct sops_prog_verdict *v)
{
	*v = (struct sops_prog_verdict){ .sz = sizeof(*v) };
	if (sops_prog_get_verdict(r->rt, sops_program__handle(p), v))
		return "?";
	return v->checked ? "interpreter (checked)" : v->engine == SOPS_ENGINE_JIT ? "jit" : "interpreter";
}

#define MAX_ARGS 12 /* the kernel's MAX_BPF_FUNC_ARGS */

/*
 * Only @target loads: in each struct_ops map that binds it, every other
 * member's program is unbound in the shadow value (as a host edits it before
 * load), and maps that do not bind it are not created. The siblings' needs
 * (kfuncs, writable fields) then do not stop a unit test of one member.
 */
void tool_run_isolate(struct tool_run *r, const struct sops_program *target)
{
	const struct btf *btf = sops_btf__libbpf(sops_object__btf(r->obj));
	struct sops_map *m;

	for (m = sops_object__next_map(r->obj, NULL); btf && m; m = sops_object__next_map(r->obj, m)) {
		int id = btf__find_by_name_kind(btf, sops_map__struct_ops_type(m), BTF_KIND_STRUCT);
		const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (uint32_t)id) : NULL;
		size_t size = 0;
		uint8_t *shadow;
		bool binds = false;

		if (sops_map__type(m) != SOPS_MAP_TYPE_STRUCT_OPS || !t)
			continue;
		shadow = sops_map__initial_value(m, &size);
		for (uint16_t i = 0; shadow && i < btf_vlen(t); i++)
			binds |= sops_map__struct_ops_prog(m, btf__name_by_offset(btf, btf_members(t)[i].name_off)) ==
				 target;
		if (!binds) {
			sops_map__set_autocreate(m, false);
			continue;
		}
		for (uint16_t i = 0; i < btf_vlen(t); i++) {
			const char *name = btf__name_by_offset(btf, btf_members(t)[i].name_off);
			const struct sops_program *p = sops_map__struct_ops_prog(m, name);
			uint32_t off = btf_member_bit_offset(t, i) / 8;

			if (p && p != target && off + sizeof(void *) <= size)
				memset(shadow + off, 0, sizeof(void *));
		}
	}
}

static int prog_run(int argc, char **argv)
{
	struct tool_run r = { .cmd = "prog run", .repeat = 1 };
	const char *data_path = NULL;
	struct sops_program *p, *target = NULL;
	struct sops_test_run_opts o;
	struct sops_bpf_prog_info stats;
	struct sops_prog_verdict v;
	const char *engine;
	char *args[MAX_ARGS];
	int arg_cnt = 0, rc = 1, k;
	uint8_t *data = NULL;
	size_t data_len = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
			data_path = argv[++i];
		} else if (!strcmp(argv[i], "--arg") && i + 1 < argc) {
			if (arg_cnt == MAX_ARGS) {
				tool_error(r.cmd, r.json, -E2BIG, "at most %d --arg", MAX_ARGS);
				return 2;
			}
			args[arg_cnt++] = argv[++i];
		} else if ((k = tool_run_arg(&r, argc, argv, &i)) <= 0) {
			if (!k)
				tool_error(r.cmd, r.json, -EINVAL, "unexpected argument '%s'", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!r.file || !r.name || r.repeat < 1) {
		tool_error(r.cmd, r.json, -EINVAL, "%s",
			   !r.file ? "FILE.o missing" : !r.name ? "PROG missing" : "--repeat must be at least 1");
		usage(stderr);
		return 2;
	}
	if (tool_run_check_usage(&r))
		return 2;
	if (tool_run_ctx(&r))
		return 2;
	if (data_path && (k = tool_read_file(data_path, &data, &data_len))) {
		tool_error(r.cmd, r.json, k, "cannot read %s: %s", data_path, strerror(-k));
		goto out;
	}
	if (tool_run_open(&r, 0))
		goto out;
	for (p = sops_object__next_program(r.obj, NULL); p; p = sops_object__next_program(r.obj, p)) {
		bool me = !strcmp(sops_program__name(p), r.name);

		sops_program__set_autoload(p, me);
		if (me)
			target = p;
	}
	if (!target) {
		tool_error(r.cmd, r.json, -ENOENT, "%s: no program named %s", r.file, r.name);
		goto out;
	}
	if (sops_program__type(target) == SOPS_PROG_TYPE_STRUCT_OPS) {
		if (!r.btf_file) {
			tool_error(r.cmd, r.json, -EINVAL,
				   "%s is a struct_ops program: pass --btf HOST_BTF (its member's prototype "
				   "gives its arguments)", r.name);
			goto out;
		}
		if (r.ctx_hex || data_path) {
			tool_error(r.cmd, r.json, -EINVAL, "a struct_ops program takes --arg, not --ctx-in or --data");
			rc = 2;
			goto out;
		}
	} else if (arg_cnt || r.writable_cnt) {
		tool_error(r.cmd, r.json, -EINVAL, "%s is for struct_ops programs (%s is not one)",
			   arg_cnt ? "--arg" : "--writable", r.name);
		rc = 2;
		goto out;
	}
	if (sops_program__type(target) == SOPS_PROG_TYPE_STRUCT_OPS)
		tool_run_isolate(&r, target);
	if (tool_run_load(&r))
		goto out;
	/* Counting starts here, so the statistics are those of this command's runs. */
	sops_runtime__enable_stats(r.rt, true);
	if (sops_program__type(target) == SOPS_PROG_TYPE_STRUCT_OPS) {
		rc = tool_prog_run_struct_ops(&r, target, args, arg_cnt);
		goto out;
	}
	if (tool_run_prog(&r, r.name, data, (uint32_t)data_len, &o)) {
		/* Still say what ran: a checked run that faulted shows in fault_cnt. */
		if (!r.json && !tool_prog_stats(&r, target, &stats))
			tool_prog_print_stats(&stats, false);
		goto out;
	}
	engine = tool_prog_engine(&r, target, &v);
	if (tool_prog_stats(&r, target, &stats))
		goto out;
	if (r.json) {
		printf("{\"retval\": %u, \"duration_ns\": %u, \"engine\": \"%s\", \"verified\": %s",
		       o.retval, o.duration, engine, v.verified ? "true" : "false");
		if (!v.verified)
			printf(", \"reason\": \"%s\"", tool_json_escape(v.reason));
		tool_prog_print_stats(&stats, true);
		printf("}\n");
	} else {
		printf("retval %u (0x%x), %u ns per run, %s, %s\n", o.retval, o.retval, o.duration,
		       engine, v.verified ? "verified" : "not verified");
		if (!v.verified && v.reason[0])
			printf("not verified: insn %s\n", v.reason);
		tool_prog_print_stats(&stats, false);
	}
	rc = 0;
out:
	tool_run_free(&r);
	free(data);
	return rc;
}

int cmd_prog(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "run"))
		return prog_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return cmd_prog_verify(argc - 1, argv + 1);
	fprintf(stderr, "structops prog: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
