/* SPDX-License-Identifier: MIT */
/*
 * ringbuf.h - the RINGBUF map's layout, shared by the producer side (ringbuf.c,
 * used by the helpers) and the host consumer (ringbuf_consumer.c) (internal).
 *
 * The kernel's format: a consumer position page, a producer position page, and
 * a data area of 2^n bytes mapped twice back to back, so a record that wraps
 * is still contiguous. Each record starts with an 8-byte header: its length
 * with the BUSY (being written) and DISCARD bits, and its page offset from the
 * start of the mapping (which lets submit find the ring from a record pointer).
 */
#ifndef SOPS_MAPS_RINGBUF_H
#define SOPS_MAPS_RINGBUF_H

#include "../runtime/rt_internal.h"

struct rb_hdr {
	_Atomic uint32_t len;
	uint32_t pg_off;
};

struct rt_ringbuf {
	struct rt_map map;
	atomic_int lock;  /* producers reserve one at a time, as in the kernel */
	int efd;          /* eventfd: the pollable side */
	uint64_t mask;    /* data size - 1 */
	char *base;       /* page 0: back pointer; page 1: consumer_pos; page 2: producer_pos */
	size_t base_len;
	_Atomic uint64_t *consumer_pos;
	_Atomic uint64_t *producer_pos;
	char *data; /* mapped twice */
};

#define to_ringbuf(m) caa_container_of(m, struct rt_ringbuf, map)

/* Program side (helpers). Sizes, flags and return values are the kernel helpers'. */
void *rt_ringbuf_reserve(struct rt_map *map, uint64_t size, uint64_t flags);
void rt_ringbuf_commit(void *sample, uint64_t flags, bool discard);
long rt_ringbuf_output(struct rt_map *map, const void *data, uint64_t size, uint64_t flags);
uint64_t rt_ringbuf_query(struct rt_map *map, uint64_t flags);
/* Checked mode: whether @sample is a record reserved from @map and still held (not committed). */
bool rt_ringbuf_owns(struct rt_map *map, const void *sample);

#endif /* SOPS_MAPS_RINGBUF_H */
