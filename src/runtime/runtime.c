/* SPDX-License-Identifier: MIT */
/*
 * runtime.c - the runtime instance: creation, options, type tables, RCU.
 *
 * An instance owns every table the runtime needs (handles, ids, map and
 * program types, helpers, kfuncs), so several can coexist in a process. Its
 * built-in map types are installed at creation; the struct_ops layer adds its
 * own through rt_register_map_type() and rt_set_hooks().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../util/opts.h"
#include "rt_internal.h"

static void install_builtin_types(struct sops_runtime *rt)
{
	rt->map_types[SOPS_BPF_MAP_TYPE_ARRAY] = &rt_array_ops;
	rt->map_types[SOPS_BPF_MAP_TYPE_PERCPU_ARRAY] = &rt_percpu_array_ops;
	rt->map_types[SOPS_BPF_MAP_TYPE_HASH] = &rt_htab_ops;
	rt->map_types[SOPS_BPF_MAP_TYPE_PERCPU_HASH] = &rt_percpu_htab_ops;
	rt->map_types[SOPS_BPF_MAP_TYPE_LRU_HASH] = &rt_lru_htab_ops;
	rt->map_types[SOPS_BPF_MAP_TYPE_LRU_PERCPU_HASH] = &rt_lru_percpu_htab_ops;
	rt->map_types[SOPS_BPF_MAP_TYPE_RINGBUF] = &rt_ringbuf_ops;
}

int sops_runtime__new(const struct sops_runtime_opts *opts, struct sops_runtime **out)
{
	struct sops_runtime *rt;
	long ncpu;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!OPTS_VALID(opts, sops_runtime_opts))
		return -EINVAL;
	if (OPTS_GET(opts, verifier_insn_limit, 0) > RT_VERIFIER_INSN_LIMIT)
		return -EINVAL;
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return -ENOMEM;
	pthread_mutex_init(&rt->handle_lock, NULL);
	pthread_mutex_init(&rt->id_lock, NULL);
	pthread_mutex_init(&rt->reg_lock, NULL);
	pthread_mutex_init(&rt->trace_lock, NULL);
	ncpu = sysconf(_SC_NPROCESSORS_CONF);
	rt->nr_cpus = OPTS_GET(opts, nr_cpus, 0) ?: (ncpu > 0 ? (uint32_t)ncpu : 1);
	atomic_init(&rt->trust_unverified, OPTS_GET(opts, trust_unverified, false));
	atomic_init(&rt->verifier_strict, OPTS_GET(opts, verifier_strict, false));
	rt->always_checked = OPTS_GET(opts, always_checked, false);
	atomic_init(&rt->jit, OPTS_GET(opts, jit, false));
	atomic_init(&rt->stats, OPTS_GET(opts, enable_stats, false));
	rt->trace_fn = OPTS_GET(opts, trace_fn, NULL);
	rt->trace_ctx = OPTS_GET(opts, trace_ctx, NULL);
	rt->host_btf = OPTS_GET(opts, host_btf, NULL);
	rt->map_mem_limit = OPTS_GET(opts, map_mem_limit, 0) ?: RT_MAP_MEM_LIMIT_DEFAULT;
	rt->verifier_insn_limit = OPTS_GET(opts, verifier_insn_limit, 0) ?: RT_VERIFIER_INSN_LIMIT;
	atomic_init(&rt->map_mem_used, 0);
	atomic_init(&rt->prandom_seed, (unsigned int)time(NULL) ^ (unsigned int)(uintptr_t)rt);
	install_builtin_types(rt);
	rt_timers_init(rt);
	if (st_runtime_init(rt)) {
		sops_runtime__free(rt);
		return -ENOMEM;
	}
	*out = rt;
	return 0;
}

/* Wait until every deferred free has run (frees may queue more frees). */
static void drain_frees(struct sops_runtime *rt)
{
	do
		urcu_bp_barrier();
	while (atomic_load(&rt->pending_free) > 0);
}

void sops_runtime__free(struct sops_runtime *rt)
{
	if (!rt)
		return;
	rt_timers_stop(rt); /* no callback runs from here on; the maps free their timers */
	rt_handles_close_all(rt);
	drain_frees(rt);
	rt_kfuncs_free(rt); /* they hold module BTF objects */
	st_runtime_fini(rt); /* unloads modules, drops the kernel BTF objects */
	drain_frees(rt);
	for (int k = 0; k < SOPS_OBJ_KIND_CNT; k++)
		free(rt->ids[k].objs);
	for (uint32_t i = 0; i < rt->helper_cnt; i++) {
		free(rt->helpers[i].name);
		free(rt->helpers[i].st_ops_name);
		free(rt->helpers[i].proto);
	}
	free(rt->helpers);
	free(atomic_load(&rt->htab));
	pthread_mutex_destroy(&rt->handle_lock);
	pthread_mutex_destroy(&rt->id_lock);
	pthread_mutex_destroy(&rt->reg_lock);
	pthread_mutex_destroy(&rt->trace_lock);
	rt_timers_fini(rt);
	free(rt);
}

void sops_runtime__set_verifier_strict(struct sops_runtime *rt, bool strict)
{
	atomic_store(&rt->verifier_strict, strict);
}

void sops_runtime__set_trust_unverified(struct sops_runtime *rt, bool trust)
{
	atomic_store(&rt->trust_unverified, trust);
}

void sops_runtime__set_jit(struct sops_runtime *rt, bool jit)
{
	atomic_store(&rt->jit, jit);
}

void sops_runtime__enable_stats(struct sops_runtime *rt, bool enable)
{
	atomic_store(&rt->stats, enable);
}

bool sops_runtime__stats_enabled(struct sops_runtime *rt)
{
	return atomic_load(&rt->stats);
}

void sops_runtime__set_trace_sink(struct sops_runtime *rt, sops_trace_fn fn, void *ctx)
{
	pthread_mutex_lock(&rt->trace_lock);
	rt->trace_fn = fn;
	rt->trace_ctx = ctx;
	pthread_mutex_unlock(&rt->trace_lock);
}

void rt_trace(struct sops_runtime *rt, const char *msg, size_t len)
{
	/* One lock so messages from several threads never interleave. */
	pthread_mutex_lock(&rt->trace_lock);
	if (rt->trace_fn) {
		rt->trace_fn(rt->trace_ctx, msg, len);
	} else {
		/* Lines, as trace_pipe shows them: bpf_printk("x") ends with a newline too. */
		fwrite(msg, 1, len, stderr);
		if (!len || msg[len - 1] != '\n')
			fputc('\n', stderr);
		fflush(stderr);
	}
	pthread_mutex_unlock(&rt->trace_lock);
}

long sops_runtime__live_objects(struct sops_runtime *rt, int kind)
{
	long n = 0;

	drain_frees(rt);
	for (int k = 0; k < SOPS_OBJ_KIND_CNT; k++)
		if (kind < 0 || kind == k)
			n += atomic_load(&rt->live[k]);
	return n;
}

long sops_runtime__open_handles(struct sops_runtime *rt)
{
	return atomic_load(&rt->open_handles);
}

int rt_register_map_type(struct sops_runtime *rt, uint32_t type, const struct rt_map_ops *ops)
{
	if (type >= SOPS_BPF_MAP_TYPE_MAX)
		return -EINVAL;
	pthread_mutex_lock(&rt->reg_lock);
	rt->map_types[type] = ops;
	pthread_mutex_unlock(&rt->reg_lock);
	return 0;
}

int rt_register_prog_type(struct sops_runtime *rt, uint32_t type, const struct rt_prog_type_ops *ops)
{
	if (type >= SOPS_BPF_PROG_TYPE_MAX)
		return -EINVAL;
	pthread_mutex_lock(&rt->reg_lock);
	rt->prog_types[type] = ops;
	pthread_mutex_unlock(&rt->reg_lock);
	return 0;
}

const struct rt_prog_type_ops *rt_prog_type_lookup(struct sops_runtime *rt, uint32_t type)
{
	const struct rt_prog_type_ops *ops = NULL;

	if (type >= SOPS_BPF_PROG_TYPE_MAX)
		return NULL;
	pthread_mutex_lock(&rt->reg_lock);
	ops = rt->prog_types[type];
	pthread_mutex_unlock(&rt->reg_lock);
	return ops;
}

void rt_set_hooks(struct sops_runtime *rt, const struct rt_hooks *hooks)
{
	pthread_mutex_lock(&rt->reg_lock);
	rt->hooks = *hooks;
	pthread_mutex_unlock(&rt->reg_lock);
}

bool rt_mem_is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

void sops_rcu_read_lock(void)
{
	urcu_bp_read_lock();
}

void sops_rcu_read_unlock(void)
{
	urcu_bp_read_unlock();
}

void sops_rcu_synchronize(void)
{
	urcu_bp_synchronize_rcu();
}
