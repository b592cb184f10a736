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
 * cmd_prog.c, shared by `prog run` and `map dump` (cmd_map.c): load FILE.o into
 * a fresh runtime through the library and run its programs with PROG_TEST_RUN.
 * Each step prints why it failed on stderr.
 */
struct sops_object;
struct sops_runtime;
struct sops_test_run_opts;
struct tool_run {
	/* the options both commands take */
	const char *file, *name, *ctx_hex; /* FILE.o, PROG or MAP, --ctx-in */
	long repeat;                      /* --repeat (set the default before parsing) */
	bool jit, interp, json;           /* --jit (trust unverified) / --interp (no JIT), --json */
	/* state */
	uint8_t *ctx; /* --ctx-in parsed */
	uint32_t ctx_len;
	struct sops_runtime *rt;
	struct sops_object *obj;
};
/* argv[*i] is a shared option (*i moved past its value) or FILE/NAME: 1; else 0. */
int tool_run_arg(struct tool_run *r, int argc, char **argv, int *i);
/* Parse --ctx-in: 0 or -EINVAL. */
int tool_run_ctx(struct tool_run *r);
/* The runtime (JIT when --jit, said on stderr; @nr_cpus 0: the default) and FILE.o opened. */
int tool_run_open(struct tool_run *r, uint32_t nr_cpus);
/* sops_object__load into the runtime (the load log printed on failure). */
int tool_run_load(struct tool_run *r);
/* PROG_TEST_RUN of program @name with --ctx-in, @data and --repeat; results in *@o. */
int tool_run_prog(struct tool_run *r, const char *name, const void *data, uint32_t data_len,
		  struct sops_test_run_opts *o);
void tool_run_free(struct tool_run *r);

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
