/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the subcommands of the structops tool (tools/structops.c dispatches).
 *
 * Each takes the arguments after its own name (argv[0] is the subcommand) and
 * returns the process exit status. Shared helpers for reading files live here too.
 */
#ifndef SOPS_TOOLS_COMMANDS_H
#define SOPS_TOOLS_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <structops/insn.h>

int cmd_plugin(int argc, char **argv);
int cmd_asm(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/*
 * cmd_jit.c: print @insns compiled by the JIT, each BPF instruction followed by its
 * machine code. Returns 0 or a negative errno (after printing why on stderr).
 */
int tool_disasm_jited(FILE *out, const struct sops_insn *insns, size_t insn_cnt, bool blinding);
int cmd_btf(int argc, char **argv);
int cmd_object(int argc, char **argv);
int cmd_prog(int argc, char **argv);
/* cmd_verify.c: `structops prog verify` (argv[0] is "verify"). */
int cmd_prog_verify(int argc, char **argv);
/* @s as the inside of a JSON string (a static buffer: one use at a time). */
const char *tool_json_escape(const char *s);
int cmd_map(int argc, char **argv);
/* cmd_struct_ops.c: `structops struct_ops list|dump FILE.o`. */
int cmd_struct_ops(int argc, char **argv);
/* cmd_gen.c: `structops gen skeleton FILE.o [--name NAME]`. */
int cmd_gen(int argc, char **argv);

/*
 * A host BTF for --btf HOST_BTF [--base BASE] (object, struct_ops, prog run,
 * map dump): raw BTF or an ELF file with .BTF; with BASE, HOST_BTF is split
 * BTF on it. tool_btf_load() returns 0, or -errno after reporting (as
 * tool_error_file) the file that failed; tool_btf_free() frees both.
 */
struct sops_btf;
struct tool_btf {
	struct sops_btf *base, *host;
};
int tool_btf_load(struct tool_btf *b, const char *cmd, bool json, const char *btf_file,
		  const char *base_file);
void tool_btf_free(struct tool_btf *b);

/*
 * cmd_prog.c, shared by `prog run` and `map dump` (cmd_map.c): load FILE.o into
 * a fresh runtime through the library and run its programs with PROG_TEST_RUN.
 * Each step reports why it failed (tool_error: text on stderr, JSON with --json).
 */
struct sops_object;
struct sops_program;
struct sops_runtime;
struct sops_test_run_opts;
#define TOOL_MAX_WRITABLE 16
#define TOOL_MAX_KFUNCS 16
struct tool_run {
	/* the options both commands take */
	const char *cmd;                  /* "prog run" or "map dump", for messages */
	const char *file, *name, *ctx_hex; /* FILE.o, PROG or MAP, --ctx-in */
	long repeat;                      /* --repeat (set the default before parsing) */
	bool jit, interp, json;           /* --jit (trust unverified) / --interp (no JIT), --json */
	const char *btf_file, *base_file; /* --btf HOST_BTF, --base BASE */
	const char *writable[TOOL_MAX_WRITABLE]; /* --writable STRUCT[.MEMBER] */
	size_t writable_cnt;
	const char *kfuncs[TOOL_MAX_KFUNCS];     /* --kfunc NAME[=VALUE][:FLAG]... */
	size_t kfunc_cnt;
	/* state */
	uint8_t *ctx; /* --ctx-in parsed */
	uint32_t ctx_len;
	struct tool_btf btf;
	struct sops_runtime *rt;
	struct sops_object *obj;
};
/*
 * argv[*i] is a shared option (*i moved past its value) or FILE/NAME: 1; a
 * usage error already reported (such as too many --writable): -1; else 0.
 */
int tool_run_arg(struct tool_run *r, int argc, char **argv, int *i);
/* Checks the shared options after parsing (--base needs --btf, --kfunc syntax): 0 or 2 (reported). */
int tool_run_check_usage(struct tool_run *r);
/* Parse --ctx-in: 0 or -EINVAL. */
int tool_run_ctx(struct tool_run *r);
/* The runtime (JIT when --jit, said on stderr; @nr_cpus 0: the default) and FILE.o opened. */
int tool_run_open(struct tool_run *r, uint32_t nr_cpus);
/*
 * sops_object__load into the runtime (the load log printed on failure). With
 * --btf, the struct type of every struct_ops map to be created is registered
 * first from HOST_BTF alone (sops_runtime__register_struct_ops_btf, with the
 * --writable ranges), so struct_ops programs load with no host running.
 */
int tool_run_load(struct tool_run *r);
/* PROG_TEST_RUN of program @name with --ctx-in, @data and --repeat; results in *@o. */
int tool_run_prog(struct tool_run *r, const char *name, const void *data, uint32_t data_len,
		  struct sops_test_run_opts *o);
void tool_run_free(struct tool_run *r);
/*
 * Before tool_run_load: only struct_ops program @target loads (the other
 * members of the maps that bind it unbound in their shadow values, maps
 * that do not bind it not created).
 */
void tool_run_isolate(struct tool_run *r, const struct sops_program *target);

/*
 * kfunc_mock.c: register each --kfunc as a stub of HOST_BTF's FUNC with its
 * flags (before the load; 0 or -errno, reported), print the stubs' call
 * counts (text lines, or the inside of a JSON array), free their objects
 * (after the runtime).
 */
int tool_kfunc_mocks_register(struct tool_run *r);
/* The --kfunc strings' syntax alone (tool_run_check_usage): 0 or -EINVAL, reported. */
int tool_kfunc_mocks_check(struct tool_run *r);
void tool_kfunc_mocks_print(const struct tool_run *r, bool json);
void tool_kfunc_mocks_free(const struct tool_run *r);

/* Shared by both `prog run` paths: the engine that ran @p and the run statistics. */
struct sops_prog_verdict;
struct sops_bpf_prog_info;
const char *tool_prog_engine(struct tool_run *r, struct sops_program *p, struct sops_prog_verdict *v);
int tool_prog_stats(struct tool_run *r, struct sops_program *p, struct sops_bpf_prog_info *info);
/* "stats: run_cnt N, ..." (text) or `, "run_cnt": N, ...` (the fields inside a JSON object). */
void tool_prog_print_stats(const struct sops_bpf_prog_info *info, bool json);

/*
 * cmd_prog_st.c: `prog run` of struct_ops program @p (loaded, with --btf):
 * the member's arguments built from HOST_BTF's prototype and the @arg_cnt
 * "--arg N=VALUE" strings in @args, run through sops_prog_test_run_struct_ops,
 * and its results printed (text, or JSON with r->json). Returns 0, 1 (the
 * run failed, reported) or 2 (a bad --arg, reported).
 */
int tool_prog_run_struct_ops(struct tool_run *r, struct sops_program *p, char **args, int arg_cnt);

/*
 * Read a whole file (or stdin for "-"). Returns 0, *data (free() it) and *size, or
 * -errno. A NUL byte follows the data, so text can be used as a string.
 */
int tool_read_file(const char *path, uint8_t **data, size_t *size);

/*
 * Report a failed load of @file on stderr: the library's message when there is
 * one (it names the file already), else the file and the errno's text.
 * Relocation errnos above 4000 (libbpf's) print as EINVAL's text.
 */
void tool_report_file_error(const char *cmd, const char *file, const char *log, int err);

/*
 * A failure of command @cmd: "structops CMD: MESSAGE" on stderr or, when @json,
 * {"error": {"errno": N, "name": "EXXX", "message": "..."}} on stdout, so a
 * script reading JSON gets JSON either way. @err is a negative errno (one
 * outside the errno range, such as libbpf's relocation codes, reports EINVAL).
 */
void tool_error(const char *cmd, bool json, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* tool_error() for a file that failed to load: the library's @log (it names the file) or @file. */
void tool_error_file(const char *cmd, bool json, const char *file, const char *log, int err);

/* Read raw bytecode: a multiple of 8 bytes. Prints the problem on stderr on failure. */
int tool_read_bytecode(const char *path, struct sops_insn **insns, size_t *insn_cnt);

#endif /* SOPS_TOOLS_COMMANDS_H */
