/* SPDX-License-Identifier: MIT */
/*
 * policy.bpf.c - a rate limiting policy: each client may spend the budget
 * the host's kfunc rl_budget() gives it; a request that would overspend is
 * refused. ratelimit_host.h is the host's BTF printed by `structops btf dump
 * --format c --kfuncs rl_budget` (the build makes it), as kernel programs
 * include vmlinux.h.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include "ratelimit_host.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* What each client has spent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u64);
	__type(value, u64);
} spent SEC(".maps");

SEC("struct_ops/admit")
int BPF_PROG(budget_admit, struct rl_request *req)
{
	u64 client = req->client, cost = req->cost;
	u64 budget = rl_budget(client);
	u64 *used = bpf_map_lookup_elem(&spent, &client);

	if (!used) {
		if (cost > budget)
			return 0;
		bpf_map_update_elem(&spent, &client, &cost, BPF_ANY);
		return 1;
	}
	if (*used + cost > budget)
		return 0;
	*used += cost;
	return 1;
}

SEC(".struct_ops.link")
struct ratelimit_ops budget = {
	.admit = (void *)budget_admit,
	.name = "budget",
};
