/* SPDX-License-Identifier: MIT */
/*
 * st_host_api.h - what the scenario tests call in the test host (st_host.c).
 * Kept apart from st_host.h, which is also the source of the host's BTF.
 */
#ifndef SOPS_TEST_ST_HOST_API_H
#define SOPS_TEST_ST_HOST_API_H

struct sops_runtime;
struct btf;
struct sock;

/* Register the host's struct_ops types, kfuncs and helper in @rt (host BTF @host_btf). */
int st_host_register(struct sops_runtime *rt, const struct btf *host_btf);
/* One simulated connection on algorithm @ca_name: init, @acks acks, ssthresh, release. -ENOENT if not registered. */
int st_tcp_traffic(const char *ca_name, int acks, struct sock *out);
/* Whether an algorithm of that name is registered. */
int st_tcp_registered(const char *ca_name);
struct sched_ops;
/*
 * sched_ops' is_valid_access hook: 0 none (the default rules), 1 refuse reads
 * of select_cpu's wake_flags, 2 read tick's run queue as struct sched_rq_ext.
 * Set before loading.
 */
void st_sched_set_ctx_hook(int mode);
/* The sched_ops the host uses now (registered by a link), or NULL; call under sops_rcu_read_lock. */
const struct sched_ops *st_sched_current(void);

#endif /* SOPS_TEST_ST_HOST_API_H */
