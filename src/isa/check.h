/* SPDX-License-Identifier: MIT */
/*
 * check.h - the structural rules every program must meet before any engine sees it
 * (internal).
 *
 * These are the rules that do not need data-flow analysis: each slot is a known
 * instruction with its reserved fields zero; registers exist and r10 is never
 * written; lddw has its second slot; jumps stay inside their subprogram and never
 * land in the middle of an lddw; calls go to the start of a subprogram; no
 * subprogram can run off its end. The verifier (a later layer) assumes them.
 */
#ifndef SOPS_ISA_CHECK_H
#define SOPS_ISA_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <structops/insn.h>

#include "../util/log.h"

/*
 * isa_check_insn - whether the slot at @idx is a well-formed instruction on its
 * own (opcode, reserved fields, registers). Returns 0 or -EINVAL with a message.
 */
int isa_check_insn(const struct sops_insn *insns, size_t cnt, size_t idx, struct sops_log *log);

/*
 * isa_check_prog - all structural rules over a whole program of @cnt slots.
 * Returns 0, or -EINVAL with a message naming the slot and the rule.
 */
int isa_check_prog(const struct sops_insn *insns, size_t cnt, struct sops_log *log);

/*
 * isa_check_prog_internal - the same, also accepting the access modes the
 * verifier writes into programs it accepted (OPC_BTF_MEM, OPC_PROBE_MEM*).
 */
int isa_check_prog_internal(const struct sops_insn *insns, size_t cnt, struct sops_log *log);

/* The slot a jump or local call at @idx goes to (may be out of range). */
long isa_jump_target(const struct sops_insn *insn, size_t idx);

/* Whether the instruction is a bpf-to-bpf call. */
bool isa_is_local_call(const struct sops_insn *insn);

/* Whether the instruction is a jump (ja, gotol or conditional; not call or exit). */
bool isa_is_jump(const struct sops_insn *insn);

#endif /* SOPS_ISA_CHECK_H */
