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
int cmd_map(int argc, char **argv);

/*
 * cmd_prog.c, shared with cmd_map.c: load @obj into @rt through the library
 * (sops_object__load with .runtime; errors printed with the load log), and a
 * hex string parser (0 or -EINVAL/-ENOMEM).
 */
struct sops_object;
struct sops_runtime;
int tool_load_object(struct sops_object *obj, const char *file, struct sops_runtime *rt);
int tool_parse_hex(const char *s, uint8_t **out, uint32_t *len);

/*
 * Read a whole file (or stdin for "-"). Returns 0, *data (free() it) and *size, or
 * -errno. A NUL byte follows the data, so text can be used as a string.
 */
int tool_read_file(const char *path, uint8_t **data, size_t *size);

/* Read raw bytecode: a multiple of 8 bytes. Prints the problem on stderr on failure. */
int tool_read_bytecode(const char *path, struct sops_insn **insns, size_t *insn_cnt);

#endif /* SOPS_TOOLS_COMMANDS_H */
