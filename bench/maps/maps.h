/* SPDX-License-Identifier: MIT */
/*
 * maps.h - what the map lookup benchmark's BPF programs (maps.bpf.c) and
 * their native equivalents (maps_native.c) share: sizes and the key sequence.
 *
 * One run does MB_LOOKUPS lookups of keys spread over [0, MB_KEYSPACE) in a
 * fixed scattered order (an odd multiplier modulo a power of two: every key
 * once per run). The tables hold keys [0, MB_ENTRIES) with value 3k + 1, so a
 * quarter of the lookups miss (hash: absent key; array: index out of range,
 * NULL). A run returns the sum of the values found.
 */
#ifndef BENCH_MAPS_H
#define BENCH_MAPS_H

#define MB_ENTRIES 6144
#define MB_KEYSPACE 8192 /* power of two */
#define MB_LOOKUPS 8192

/* The i-th key of a run. */
#define MB_KEY(i) (((unsigned int)(i) * 2654435761u) & (MB_KEYSPACE - 1))
/* The value stored for key k. */
#define MB_VALUE(k) ((unsigned long long)(k) * 3 + 1)

/* The program's context: where it leaves the sum. */
struct mb_ctx {
	unsigned long long sum;
};

#endif /* BENCH_MAPS_H */
