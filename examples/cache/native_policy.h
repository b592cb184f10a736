/* SPDX-License-Identifier: MIT */
/*
 * native_policy.h - the demo's two policies written in plain C, with the same
 * algorithms and data layout as policies/lru.bpf.c and policies/lfu.bpf.c:
 * the baseline the cost of a BPF op call is compared with. Demo code: the
 * state is file-static, so one cache at a time may use each.
 */
#ifndef CACHE_NATIVE_POLICY_H
#define CACHE_NATIVE_POLICY_H

#include "cache_policy.h"

extern const struct cache_policy_ops native_lru_ops;
extern const struct cache_policy_ops native_lfu_ops;

#endif /* CACHE_NATIVE_POLICY_H */
