/* SPDX-License-Identifier: MIT */
/*
 * bench_verify.h - the verifier part of `make bench` (bench/bench_verify.c).
 */
#ifndef BENCH_BENCH_VERIFY_H
#define BENCH_BENCH_VERIFY_H

/* Times the verifier on generated programs, and the kernel's where bpf() works. 0 or -1. */
int bench_verify(void);

#endif /* BENCH_BENCH_VERIFY_H */
