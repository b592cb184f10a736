/* SPDX-License-Identifier: MIT */
/*
 * st_module.c - modules: shared objects that register struct_ops types (and
 * kfuncs) at run time, the userspace analogue of kernel modules.
 *
 * Load: parse the module's BTF (split on the host's, or standalone), dlopen
 * it, publish its BTF as a runtime BTF object (kernel_btf, named after the
 * module) and call its init entry point. A struct_ops map of a module type
 * holds a module reference (st_module_get at creation, put at free), as does
 * a PROG_LOAD while it runs the type's check_member, and so does every loaded
 * program that calls one of the module's kfuncs (taken when the kfunc is
 * resolved, dropped when the program is freed: the kernel pins a module for
 * the programs using its kfuncs). Unload fails with EBUSY while any is held,
 * and otherwise runs exit, unregisters the kfuncs registered on the module's
 * BTF, forgets the module's types and dlcloses it. The owner (registry and BTF) stays until the runtime is freed,
 * so programs that still name the module's BTF never see freed memory.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/log.h"
#include "../util/opts.h"
#include "st_internal.h"

bool st_module_get(struct sops_module *mod)
{
	struct st_rt *st = mod->st;
	bool ok;

	pthread_mutex_lock(&st->lock);
	ok = mod->state == ST_MOD_LIVE;
	if (ok)
		mod->refcnt++;
	pthread_mutex_unlock(&st->lock);
	return ok;
}

void st_module_put(struct sops_module *mod)
{
	struct st_rt *st = mod->st;

	pthread_mutex_lock(&st->lock);
	mod->refcnt--;
	pthread_mutex_unlock(&st->lock);
}

static void default_name(const char *path, char *name, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	snprintf(name, size, "%s", base);
	n = strlen(name);
	if (n > 3 && !strcmp(name + n - 3, ".so"))
		name[n - 3] = '\0';
}

static int load_btf(struct st_rt *st, const char *path, bool standalone, struct btf **out,
		    struct sops_log *log)
{
	struct btf *btf;
	int err;

	if (!standalone && !st->rt->host_btf)
		return log_err(log, -EINVAL,
			       "%s: split BTF needs the host's as its base, and the runtime has none "
			       "(sops_runtime_opts.host_btf; or load with btf_standalone)", path);
	errno = 0;
	btf = standalone ? btf__parse(path, NULL) : btf__parse_split(path, (struct btf *)st->rt->host_btf);
	if (!btf) {
		err = errno ? -errno : -EINVAL;
		return log_err(log, err, "%s: no usable %s BTF (%s; make it with scripts/host-btf.sh%s)", path,
			       standalone ? "standalone" : "split", strerror(-err),
			       standalone ? "" : " --base HOST.btf");
	}
	*out = btf;
	return 0;
}

static bool name_taken(struct st_rt *st, const char *name)
{
	for (uint32_t i = 0; i < st->owner_cnt; i++)
		if (st->owners[i]->mod && !strcmp(st->owners[i]->mod->name, name))
			return true;
	return false;
}

int st_kfunc_pin(struct sops_prog *prog, struct rt_btf *rb)
{
	struct st_rt *st = st_of(prog->obj.rt);
	struct st_owner *o;
	struct sops_module *mod;
	void **mods;
	int err = 0;

	pthread_mutex_lock(&st->lock);
	o = rb->kernel_btf ? rb->st_owner : NULL;
	mod = o ? o->mod : NULL;
	if (o && (o->gone || (mod && mod->state != ST_MOD_LIVE))) {
		err = -ENOENT; /* the module is going away: its kfuncs with it */
		goto out;
	}
	if (!mod)
		goto out; /* the host's BTF */
	for (uint32_t i = 0; i < prog->kfunc_mod_cnt; i++)
		if (prog->kfunc_mods[i] == mod)
			goto out;
	mods = realloc(prog->kfunc_mods, (prog->kfunc_mod_cnt + 1) * sizeof(*mods));
	if (!mods) {
		err = -ENOMEM;
		goto out;
	}
	prog->kfunc_mods = mods;
	mods[prog->kfunc_mod_cnt++] = mod;
	mod->refcnt++;
out:
	pthread_mutex_unlock(&st->lock);
	return err;
}

void st_kfunc_unpin(struct sops_prog *prog)
{
	for (uint32_t i = 0; i < prog->kfunc_mod_cnt; i++)
		st_module_put(prog->kfunc_mods[i]);
	free(prog->kfunc_mods);
	prog->kfunc_mods = NULL;
	prog->kfunc_mod_cnt = 0;
}

/* Forget @mod: its kfuncs are unregistered, its types become unknown, the shared object goes. */
static void module_release(struct sops_module *mod)
{
	struct st_rt *st = mod->st;

	rt_kfuncs_unregister_btf(st->rt, mod->owner->rb);
	pthread_mutex_lock(&st->lock);
	mod->state = ST_MOD_GONE;
	mod->owner->gone = true;
	mod->owner->mod = NULL;
	pthread_mutex_unlock(&st->lock);
	dlclose(mod->dl);
	free(mod);
}

/* "module <name>: " in front of the load's message. */
static void prefix_module(struct sops_log *log, const struct sops_module *mod)
{
	char p[sizeof(mod->name) + 8];

	snprintf(p, sizeof(p), "module %s", mod->name);
	log_prefix(log, p);
}

int sops_runtime__load_module(struct sops_runtime *rt, const char *path,
			      const struct sops_module_load_opts *opts, struct sops_module **out)
{
	struct sops_log log = { OPTS_GET(opts, log_buf, NULL), OPTS_GET(opts, log_size, 0), 0 };
	struct st_rt *st = rt ? st_of(rt) : NULL;
	const char *btf_path = OPTS_GET(opts, btf_path, NULL);
	sops_module_init_fn init;
	struct sops_module *mod;
	struct btf *btf = NULL;
	int err;

	if (!st || !path || !out || !OPTS_VALID(opts, sops_module_load_opts))
		return log_err(&log, -EINVAL, "module: invalid arguments (no runtime, path or out, or bad opts)");
	*out = NULL;
	if (access(path, R_OK))
		return log_err(&log, -errno, "module %s: %s", path, strerror(errno));
	mod = calloc(1, sizeof(*mod));
	if (!mod)
		return log_err(&log, -ENOMEM, "module %s: out of memory", path);
	mod->st = st;
	mod->ctx = OPTS_GET(opts, ctx, NULL);
	if (OPTS_GET(opts, name, NULL))
		snprintf(mod->name, sizeof(mod->name), "%s", opts->name);
	else
		default_name(path, mod->name, sizeof(mod->name));
	err = load_btf(st, btf_path ? btf_path : path, OPTS_GET(opts, btf_standalone, false), &btf, &log);
	if (err)
		goto fail;
	mod->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!mod->dl) {
		const char *why = dlerror();

		err = log_err(&log, -EINVAL, "dlopen: %s", why ? why : "failed");
		goto fail;
	}
	init = (sops_module_init_fn)dlsym(mod->dl, SOPS_MODULE_INIT_SYM);
	mod->exit = (sops_module_exit_fn)dlsym(mod->dl, SOPS_MODULE_EXIT_SYM);
	if (!init) {
		err = log_err(&log, -EINVAL, "no entry point " SOPS_MODULE_INIT_SYM "() exported");
		goto fail;
	}
	pthread_mutex_lock(&st->lock);
	err = name_taken(st, mod->name) ? -EEXIST : st_owner_new(st, btf, true, mod->name, &mod->owner);
	if (!err) {
		mod->owner->mod = mod;
		btf = NULL; /* the owner's now */
	}
	pthread_mutex_unlock(&st->lock);
	if (err) {
		log_err(&log, err, err == -EEXIST ? "a module of this name is loaded" : "out of memory");
		goto fail;
	}
	mod->load_log = &log;
	err = init(mod);
	mod->load_log = NULL;
	if (err) {
		log_err(&log, err, SOPS_MODULE_INIT_SYM "() failed: %s", strerror(-err));
		prefix_module(&log, mod);
		module_release(mod);
		return err;
	}
	*out = mod;
	return 0;
fail:
	prefix_module(&log, mod);
	if (mod->dl)
		dlclose(mod->dl);
	btf__free(btf);
	free(mod);
	return err;
}

int sops_runtime__unload_module(struct sops_runtime *rt, struct sops_module *mod)
{
	struct st_rt *st = rt ? st_of(rt) : NULL;

	if (!st || !mod || mod->st != st)
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	if (mod->state != ST_MOD_LIVE || mod->refcnt > 0) {
		pthread_mutex_unlock(&st->lock);
		return -EBUSY;
	}
	mod->state = ST_MOD_GOING;
	pthread_mutex_unlock(&st->lock);
	if (mod->exit)
		mod->exit(mod);
	module_release(mod);
	return 0;
}

void st_modules_unload_all(struct st_rt *st)
{
	for (uint32_t i = 0; i < st->owner_cnt; i++) {
		struct sops_module *mod = st->owners[i]->mod;

		if (!mod)
			continue;
		mod->state = ST_MOD_GOING;
		if (mod->exit)
			mod->exit(mod);
		module_release(mod);
	}
}

const char *sops_module__name(const struct sops_module *mod)
{
	return mod ? mod->name : NULL;
}

struct sops_runtime *sops_module__runtime(const struct sops_module *mod)
{
	return mod ? mod->st->rt : NULL;
}

void *sops_module__ctx(const struct sops_module *mod)
{
	return mod ? mod->ctx : NULL;
}

const struct btf *sops_module__btf(const struct sops_module *mod)
{
	return mod ? mod->owner->own : NULL;
}

int sops_module__btf_fd(const struct sops_module *mod)
{
	struct rt_btf *b;
	int fd;

	if (!mod)
		return -EINVAL;
	b = mod->owner->rb;
	rt_obj_get(&b->obj);
	fd = rt_handle_install(mod->st->rt, &b->obj);
	if (fd < 0)
		rt_obj_put(&b->obj);
	return fd;
}

long sops_module__refcnt(const struct sops_module *mod)
{
	long n;

	if (!mod)
		return -EINVAL;
	pthread_mutex_lock(&mod->st->lock);
	n = mod->refcnt;
	pthread_mutex_unlock(&mod->st->lock);
	return n;
}
