/* SPDX-License-Identifier: MIT */
/*
 * maps_native.h - the native tables and loops of the map lookup benchmark
 * (maps_native.c), called by the harness (bench/bench_maps.c).
 */
#ifndef BENCH_MAPS_NATIVE_H
#define BENCH_MAPS_NATIVE_H

#include <stdint.h>

#include "maps.h"

struct oa_slot {
	uint32_t key;
	uint32_t used;
	uint64_t value;
};

/* Open addressing, linear probing; never full (capacity >= 2x entries). */
struct oa_table {
	struct oa_slot *slots;
	uint32_t mask; /* capacity - 1 */
};

int oa_init(struct oa_table *t, uint32_t entries);
void oa_free(struct oa_table *t);
int oa_insert(struct oa_table *t, uint32_t key, uint64_t value);

/* One run: MB_LOOKUPS lookups, the sum of the values found. */
uint64_t native_hash_lookups(const struct oa_table *t);
uint64_t native_array_lookups(const uint64_t *values, uint32_t n);

#endif /* BENCH_MAPS_NATIVE_H */
