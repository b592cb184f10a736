/* SPDX-License-Identifier: MIT */
/*
 * workload.h - the demo's request stream: Zipf-distributed reads of a large
 * key space mixed with a sequential scan of keys that are read only once.
 *
 * Deterministic: a stream is a function of its seed. Zipf samples use Gray et
 * al.'s closed-form approximation ("Quickly generating billion-record
 * synthetic databases", SIGMOD 1994): O(n) setup, O(1) per sample.
 */
#ifndef CACHE_WORKLOAD_H
#define CACHE_WORKLOAD_H

#include <stdint.h>

struct zipf {
	uint64_t n;
	double theta, alpha, zetan, eta, two_theta;
};

/* A Zipf(@theta) distribution over ranks 0..@n-1; 0 < theta < 1. 0 or -EINVAL. */
int zipf_init(struct zipf *z, uint64_t n, double theta);

/* One worker's stream. */
struct stream {
	const struct zipf *z;
	uint64_t rng;       /* splitmix64 state */
	uint64_t scan_next; /* next scan key */
	uint32_t scan_pct;  /* percent of requests that are scan keys */
};

/* Scan keys live above every Zipf key; each stream scans its own range. */
#define STREAM_SCAN_BASE (1ull << 40)

void stream_init(struct stream *s, const struct zipf *z, uint32_t scan_pct, uint64_t seed,
		 uint32_t id);
/* The next key to request. */
uint64_t stream_next(struct stream *s);

#endif /* CACHE_WORKLOAD_H */
