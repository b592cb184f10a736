/* SPDX-License-Identifier: MIT */
/*
 * kernel.h - how a benchmark kernel is declared, so one C file builds three ways.
 *
 * Every file in bench/kernels/ defines one kernel, `uint64_t KERNEL_FN(uint8_t
 * *mem, uint64_t len)`, after `#define KNAME <name>`. bench.mk compiles it:
 *  - to BPF (clang -target bpf, BENCH_BPF defined): the kernel and its noinline
 *    helpers all go to an ELF section named after the kernel, entry first, so
 *    bpf-to-bpf calls are pc-relative and the section is self-contained bytecode
 *    with the entry at offset 0 (r1 = mem, r2 = len);
 *  - natively with gcc and with clang, KPREFIX=gcc_/clang_ giving each object
 *    its own symbol (gcc_fnv1a, clang_fnv1a) so bench.c links both.
 *
 * Kernels use no globals, no libc and no maps; every loop is bounded by len or
 * a constant, so the BPF form needs no relocation and runs as-is.
 */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

#include <stdint.h>

#ifndef KNAME
#error "define KNAME (the kernel's name) before including kernel.h"
#endif

#define KCAT_(a, b) a##b
#define KCAT(a, b) KCAT_(a, b)
#define KSTR_(a) #a
#define KSTR(a) KSTR_(a)

#ifdef BENCH_BPF
/* One section per kernel; llvm-objcopy extracts it as the .bin. */
/* Not the symbol's own name: the assembler would clash with the section symbol. */
#define KSECTION __attribute__((section(KSTR(KCAT(bench_, KNAME)))))
#define KERNEL_FN KSECTION KNAME
#else
#ifndef KPREFIX
#error "define KPREFIX (gcc_ or clang_) for a native build"
#endif
#define KSECTION
#define KERNEL_FN KCAT(KPREFIX, KNAME)
#endif

/*
 * A subfunction that must stay a real call (bpf-to-bpf on the BPF side). Declare
 * it before the kernel and define it after, so the entry stays at offset 0.
 */
#define KHELPER static __attribute__((noinline)) KSECTION

/* The prototype, so -Wmissing-prototypes is happy and the harness sees the same. */
uint64_t KERNEL_FN(uint8_t *mem, uint64_t len);

#endif /* BENCH_KERNEL_H */
