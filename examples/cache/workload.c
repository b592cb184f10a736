/* SPDX-License-Identifier: MIT */
/*
 * workload.c - Zipf + scan request streams (workload.h).
 */
#include <errno.h>
#include <math.h>

#include "workload.h"

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t x = (*s += 0x9e3779b97f4a7c15ull);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Uniform in [0, 1). */
static double unit(uint64_t *s)
{
	return (splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
}

int zipf_init(struct zipf *z, uint64_t n, double theta)
{
	double zeta2 = 1.0 + pow(0.5, theta);

	if (n < 2 || !(theta > 0.0 && theta < 1.0))
		return -EINVAL;
	z->n = n;
	z->theta = theta;
	z->zetan = 0.0;
	for (uint64_t i = 1; i <= n; i++)
		z->zetan += 1.0 / pow((double)i, theta);
	z->alpha = 1.0 / (1.0 - theta);
	z->eta = (1.0 - pow(2.0 / (double)n, 1.0 - theta)) / (1.0 - zeta2 / z->zetan);
	z->two_theta = zeta2;
	return 0;
}

static uint64_t zipf_next(const struct zipf *z, uint64_t *rng)
{
	double u = unit(rng), uz = u * z->zetan;
	uint64_t r;

	if (uz < 1.0)
		return 0;
	if (uz < z->two_theta)
		return 1;
	r = (uint64_t)((double)z->n * pow(z->eta * u - z->eta + 1.0, z->alpha));
	return r < z->n ? r : z->n - 1;
}

void stream_init(struct stream *s, const struct zipf *z, uint32_t scan_pct, uint64_t seed,
		 uint32_t id)
{
	s->z = z;
	s->rng = seed * 0x100000001b3ull + id;
	s->scan_next = STREAM_SCAN_BASE + ((uint64_t)id << 32);
	s->scan_pct = scan_pct;
}

uint64_t stream_next(struct stream *s)
{
	if (splitmix64(&s->rng) % 100 < s->scan_pct)
		return s->scan_next++;
	return 1 + zipf_next(s->z, &s->rng);
}
