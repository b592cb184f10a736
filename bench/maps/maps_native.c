/* SPDX-License-Identifier: MIT */
/*
 * maps_native.c - the native side of the map lookup benchmark: a plain
 * open-addressing hash table (linear probing, power-of-two capacity at least
 * twice the entries, a multiplicative hash) and a plain array, each walked by
 * the same loop as the BPF programs in maps.bpf.c (same keys, same sum).
 *
 * Its own translation unit, built with plain -O2 like the other native
 * kernels, so the harness cannot inline or specialize it.
 */
#include <stdint.h>
#include <stdlib.h>

#include "maps_native.h"

static inline uint32_t oa_hash(uint32_t key, uint32_t mask)
{
	return (key * 0x9e3779b1u) >> 7 & mask;
}

int oa_init(struct oa_table *t, uint32_t entries)
{
	uint32_t cap = 1;

	while (cap < 2 * entries)
		cap <<= 1;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return -1;
	t->mask = cap - 1;
	return 0;
}

void oa_free(struct oa_table *t)
{
	free(t->slots);
}

int oa_insert(struct oa_table *t, uint32_t key, uint64_t value)
{
	for (uint32_t i = oa_hash(key, t->mask), n = 0; n <= t->mask; i = (i + 1) & t->mask, n++) {
		struct oa_slot *s = &t->slots[i];

		if (!s->used || s->key == key) {
			s->used = 1;
			s->key = key;
			s->value = value;
			return 0;
		}
	}
	return -1;
}

static inline const uint64_t *oa_lookup(const struct oa_table *t, uint32_t key)
{
	for (uint32_t i = oa_hash(key, t->mask);; i = (i + 1) & t->mask) {
		const struct oa_slot *s = &t->slots[i];

		if (!s->used)
			return NULL;
		if (s->key == key)
			return &s->value;
	}
}

uint64_t native_hash_lookups(const struct oa_table *t)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < MB_LOOKUPS; i++) {
		const uint64_t *v = oa_lookup(t, MB_KEY(i));

		if (v)
			sum += *v;
	}
	return sum;
}

uint64_t native_array_lookups(const uint64_t *values, uint32_t n)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < MB_LOOKUPS; i++) {
		uint32_t k = MB_KEY(i);

		if (k < n)
			sum += values[k];
	}
	return sum;
}
