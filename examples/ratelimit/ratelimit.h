/* SPDX-License-Identifier: MIT */
/*
 * ratelimit.h - the types the rate limiter host exposes to BPF: the ops
 * table a policy implements and the request it judges.
 *
 * They are defined in ratelimit_host.c's translation unit (the one whose
 * object pahole turns into the host's BTF) and use plain fixed-width types:
 * no C11 _Atomic (pahole cannot encode it), typedefs kept as they are.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t u32;
typedef uint64_t u64;

/* One request: which client, what it costs. */
struct rl_request {
	u64 client;
	u32 cost;
};

/* The ops table: admit() returns 1 to let the request through, 0 to refuse it. */
struct ratelimit_ops {
	int (*admit)(struct rl_request *req);
	char name[16];
};

struct sops_runtime;
struct btf;

/*
 * ratelimit_register - register struct ratelimit_ops and the kfunc
 * rl_budget() with @rt, whose host BTF is @host_btf (ratelimit_host.o's);
 * 0 or a negative errno with the reason in @log.
 */
int ratelimit_register(struct sops_runtime *rt, const struct btf *host_btf, char *log, size_t log_size);
/* The ops a policy made live (reg), or NULL. Call inside sops_rcu_read_lock(). */
struct ratelimit_ops *ratelimit_live(void);

#endif /* RATELIMIT_H */
