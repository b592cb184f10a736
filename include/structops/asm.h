/* SPDX-License-Identifier: MIT */
/*
 * structops/asm.h - text <-> bytecode: the assembler and the disassembler.
 *
 * The assembler reads the bpf_conformance assembly syntax (`mov %r0, 1`,
 * `ldxdw %r0, [%r1+8]`, `jeq %r1, 0, label`, `lock fetch add [%r1], %r2`).
 * The disassembler prints the syntax of llvm-objdump and of the kernel
 * verifier log (`r0 = *(u64 *)(r1 + 8)`, `if r1 > 0x5 goto +3`,
 * `call bpf_map_lookup_elem#1`).
 *
 * Thread safety: every function here is thread-safe; none keeps state.
 */
#ifndef STRUCTOPS_ASM_H
#define STRUCTOPS_ASM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "insn.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * sops_asm__parse - assemble @text (NUL-terminated, one statement per line,
 * `#` comments, `label:` lines) into a new array of instruction slots.
 *
 * Returns 0 with *@insns (free() it) and *@insn_cnt set, or a negative errno:
 * -EINVAL for a syntax error (@errbuf, if given, names the line and the
 * problem), -ENOMEM. An empty program is -EINVAL.
 */
SOPS_API int sops_asm__parse(const char *text, struct sops_insn **insns, size_t *insn_cnt, char *errbuf,
		    size_t errbuf_size);

/* Options for the disassembler. Zero-initialize, set sz. */
struct sops_disasm_opts {
	size_t sz;
	/* Prefix each line with the slot index, as `  12: `. */
	int show_index;
	/* Also print the raw bytes of each slot. */
	int show_raw;
};
#define sops_disasm_opts__last_field show_raw

/*
 * sops_disasm__insn - print the instruction at slot @idx of @insns (@insn_cnt
 * slots) into @buf (@size bytes, always NUL-terminated when @size > 0).
 *
 * Returns the number of slots the instruction takes (2 for lddw, else 1), or
 * a negative errno: -EINVAL when @idx is out of range or the lddw is cut off.
 * Unknown opcodes print as `invalid opcode 0x..` and take one slot.
 */
SOPS_API int sops_disasm__insn(const struct sops_insn *insns, size_t insn_cnt, size_t idx, char *buf,
		      size_t size);

/*
 * sops_disasm__dump - print a whole program to @out, one instruction a line.
 * Returns 0 or a negative errno.
 */
SOPS_API int sops_disasm__dump(FILE *out, const struct sops_insn *insns, size_t insn_cnt,
		      const struct sops_disasm_opts *opts);

/* sops_helper_name - the kernel's name of helper @id (`bpf_map_lookup_elem`), or NULL. */
SOPS_API const char *sops_helper_name(uint32_t id);

#ifdef __cplusplus
}
#endif
#endif /* STRUCTOPS_ASM_H */
