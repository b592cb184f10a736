/* SPDX-License-Identifier: MIT */
/* isa_util.h - assemble-and-run helpers shared by the ISA and vm tests. */
#ifndef SOPS_TESTS_ISA_UTIL_H
#define SOPS_TESTS_ISA_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <structops/vm.h>

/* Engines a semantic test runs on: fast interpreter, checked interpreter, JIT if built. */
#define ISA_ENGINE_CNT 3
extern const char *const isa_engine_names[ISA_ENGINE_CNT];
bool isa_engine_opts(int engine, struct sops_vm_opts *opts);

/*
 * Assemble @text, run it on @engine with r1 = @mem (len in r2, as a writable
 * region), store r0. Returns 0, or the negative errno of assembly, creation or
 * the run; @msg (may be NULL) receives the message.
 */
int isa_run(int engine, const char *text, void *mem, size_t mem_len, uint64_t *r0, char *msg,
	    size_t msg_size);

#endif
