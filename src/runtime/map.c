/* SPDX-License-Identifier: MIT */
/*
 * map.c - the map commands: MAP_CREATE, the *_ELEM family, GET_NEXT_KEY, FREEZE,
 * and map info.
 *
 * The checks run in the kernel's order (syscall.c map_create, map_*_elem), so
 * the first failing one decides the errno. Type-specific work goes through
 * the runtime's map type table (struct rt_map_ops); host-side copies use a
 * type's sys_* operation when it has one (per-CPU maps copy every slot) and
 * the program-side operations otherwise.
 *
 * Map memory is accounted per runtime (rt_map_mem_charge): a type's mem_size
 * says what a map of the attributes will use, with every product checked,
 * and that is charged before anything is allocated and released when the map
 * is freed, so a hostile size is refused before it costs memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_internal.h"

static bool valid_obj_name(const char *name)
{
	/* The kernel's bpf_obj_name_cpy: [A-Za-z0-9_.], NUL-terminated within 16 bytes. */
	for (size_t i = 0; i < SOPS_BPF_OBJ_NAME_LEN; i++) {
		char c = name[i];

		if (!c)
			return true;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.'))
			return false;
	}
	return false;
}

static const struct rt_map_ops *map_type_ops(struct sops_runtime *rt, uint32_t type)
{
	const struct rt_map_ops *ops;

	if (type >= SOPS_BPF_MAP_TYPE_MAX)
		return NULL;
	pthread_mutex_lock(&rt->reg_lock);
	ops = rt->map_types[type];
	pthread_mutex_unlock(&rt->reg_lock);
	return ops;
}

/* --- map memory --- */

int rt_map_mem_charge(struct sops_runtime *rt, uint64_t bytes)
{
	uint64_t used = atomic_load_explicit(&rt->map_mem_used, memory_order_relaxed);

	if (bytes > rt->map_mem_limit)
		return -E2BIG;
	do {
		if (bytes > rt->map_mem_limit - used)
			return -ENOMEM;
	} while (!atomic_compare_exchange_weak_explicit(&rt->map_mem_used, &used, used + bytes,
							memory_order_relaxed, memory_order_relaxed));
	return 0;
}

void rt_map_mem_uncharge(struct sops_runtime *rt, uint64_t bytes)
{
	atomic_fetch_sub_explicit(&rt->map_mem_used, bytes, memory_order_relaxed);
}

/* Blocks from this size on are mapped, not allocated: zero pages until touched. */
#define AREA_MMAP_MIN (1U << 20)

void *rt_map_area_alloc(size_t size)
{
	void *p;

	if (size >= AREA_MMAP_MIN) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	if (posix_memalign(&p, 64, size ? size : 8))
		return NULL;
	memset(p, 0, size);
	return p;
}

void rt_map_area_free(void *p, size_t size)
{
	if (!p)
		return;
	if (size >= AREA_MMAP_MIN)
		munmap(p, size);
	else
		free(p);
}

static void map_obj_free(struct rt_obj *obj)
{
	struct rt_map *map = caa_container_of(obj, struct rt_map, obj);
	struct sops_runtime *rt = obj->rt;
	struct rt_btf *btf = map->btf;
	uint64_t charged = map->mem_charged;

	rt_map_timers_free(map);
	map->ops->free(map);
	rt_map_mem_uncharge(rt, charged);
	if (btf)
		rt_obj_put(&btf->obj);
}

int rt_map_init(struct sops_runtime *rt, struct rt_map *map, const union sops_bpf_attr *attr)
{
	map->map_type = attr->map_type;
	map->key_size = attr->key_size;
	map->value_size = attr->value_size;
	map->max_entries = attr->max_entries;
	map->map_flags = attr->map_flags;
	map->btf_key_type_id = attr->btf_key_type_id;
	map->btf_value_type_id = attr->btf_value_type_id;
	map->btf_vmlinux_value_type_id = attr->btf_vmlinux_value_type_id;
	map->map_extra = attr->map_extra;
	if (!map->nr_cpus)
		map->nr_cpus = rt->nr_cpus;
	if (!map->sys_value_size)
		map->sys_value_size = map->value_size;
	memcpy(map->name, attr->map_name, sizeof(map->name));
	atomic_init(&map->frozen, false);
	atomic_init(&map->usercnt, 0);
	map->timer_off = -1;
	return rt_obj_init(rt, &map->obj, SOPS_OBJ_MAP, map_obj_free);
}

int rt_cmd_map_create(struct sops_runtime *rt, union sops_bpf_attr *attr)
{
	const struct rt_map_ops *ops;
	struct rt_btf *btf = NULL;
	struct rt_map *map = NULL;
	uint32_t f = attr->map_flags;
	uint64_t bytes = 0;
	int err, fd;

	if (attr->btf_vmlinux_value_type_id) {
		if (attr->map_type != SOPS_BPF_MAP_TYPE_STRUCT_OPS || attr->btf_key_type_id ||
		    attr->btf_value_type_id)
			return -EINVAL;
	} else if (attr->btf_key_type_id && !attr->btf_value_type_id) {
		return -EINVAL;
	}
	if (attr->map_extra)
		return -EINVAL;
	if ((f & SOPS_BPF_F_RDONLY && f & SOPS_BPF_F_WRONLY) ||
	    (f & SOPS_BPF_F_RDONLY_PROG && f & SOPS_BPF_F_WRONLY_PROG))
		return -EINVAL;
	if (f & SOPS_BPF_F_NUMA_NODE && attr->numa_node)
		return -EINVAL; /* one node in userspace */
	if (attr->map_token_fd || attr->map_ifindex)
		return -EINVAL;
	ops = map_type_ops(rt, attr->map_type);
	if (!ops)
		return -EINVAL;
	if (ops->alloc_check) {
		err = ops->alloc_check(attr);
		if (err)
			return err;
	}
	if (!valid_obj_name(attr->map_name))
		return -EINVAL;
	if (attr->btf_key_type_id || attr->btf_value_type_id || attr->btf_vmlinux_value_type_id) {
		struct rt_obj *o;

		err = rt_handle_get(rt, (int)attr->btf_fd, SOPS_OBJ_BTF, &o);
		if (err)
			return err;
		btf = caa_container_of(o, struct rt_btf, obj);
	}
	if (ops->mem_size) {
		err = ops->mem_size(attr, rt->nr_cpus, &bytes);
		if (err)
			goto fail;
		err = rt_map_mem_charge(rt, bytes);
		if (err)
			goto fail;
	}
	err = ops->alloc(rt, attr, &map);
	if (err) {
		rt_map_mem_uncharge(rt, bytes);
		goto fail;
	}
	map->ops = ops;
	map->btf = btf;
	btf = NULL;
	err = rt_map_init(rt, map, attr);
	if (err) {
		struct rt_btf *b = map->btf;

		ops->free(map);
		rt_map_mem_uncharge(rt, bytes);
		if (b)
			rt_obj_put(&b->obj);
		return err;
	}
	map->mem_charged = bytes;
	rt_map_find_timer(map);
	fd = rt_handle_install(rt, &map->obj);
	if (fd < 0)
		rt_obj_put(&map->obj);
	return fd;
fail:
	if (btf)
		rt_obj_put(&btf->obj);
	return err;
}

/* --- generic host-side element operations --- */

static int sys_lookup(struct rt_map *map, const void *key, void *value, uint64_t flags)
{
	void *v;
	int err = 0;

	if (map->ops->sys_lookup)
		return map->ops->sys_lookup(map, key, value, flags);
	if (!map->ops->lookup_elem)
		return -SOPS_ENOTSUPP;
	urcu_bp_read_lock();
	v = map->ops->lookup_elem(map, key);
	if (v)
		memcpy(value, v, map->value_size);
	else
		err = -ENOENT;
	urcu_bp_read_unlock();
	return err;
}

static int sys_update(struct rt_map *map, const void *key, const void *value, uint64_t flags)
{
	long err;

	if (map->ops->sys_update)
		return map->ops->sys_update(map, key, value, flags);
	if (!map->ops->update_elem)
		return -SOPS_ENOTSUPP;
	urcu_bp_read_lock();
	err = map->ops->update_elem(map, key, value, flags);
	urcu_bp_read_unlock();
	return (int)err;
}

static int sys_delete(struct rt_map *map, const void *key)
{
	long err;

	if (map->ops->sys_delete)
		return map->ops->sys_delete(map, key);
	if (!map->ops->delete_elem)
		return -SOPS_ENOTSUPP;
	urcu_bp_read_lock();
	err = map->ops->delete_elem(map, key);
	urcu_bp_read_unlock();
	return (int)err;
}

static bool is_hash_type(uint32_t t)
{
	return t == SOPS_BPF_MAP_TYPE_HASH || t == SOPS_BPF_MAP_TYPE_PERCPU_HASH ||
	       t == SOPS_BPF_MAP_TYPE_LRU_HASH || t == SOPS_BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/*
 * The checks the *_ELEM commands share, in the kernel's order: the map's
 * access flags (and freezing, for writers) -> EPERM, BPF_F_LOCK -> EINVAL (no
 * map type here has a bpf_spin_lock the host can take), a missing key or
 * value buffer -> EFAULT.
 */
static int elem_access(const struct rt_map *map, bool write, uint64_t flags, const void *key,
		       const void *value, bool need_value)
{
	if (write ? (map->map_flags & SOPS_BPF_F_RDONLY) || atomic_load(&map->frozen)
		  : (map->map_flags & SOPS_BPF_F_WRONLY))
		return -EPERM;
	if (flags & SOPS_BPF_F_LOCK)
		return -EINVAL;
	if ((map->key_size && !key) || (need_value && !value))
		return -EFAULT;
	return 0;
}

int rt_cmd_map_elem(struct sops_runtime *rt, int cmd, union sops_bpf_attr *attr)
{
	const void *key = (const void *)(uintptr_t)attr->key;
	void *value = (void *)(uintptr_t)attr->value;
	struct rt_map *map;
	struct rt_obj *o;
	int err;

	if ((cmd == SOPS_BPF_MAP_LOOKUP_ELEM || cmd == SOPS_BPF_MAP_LOOKUP_AND_DELETE_ELEM) &&
	    attr->flags & ~(uint64_t)SOPS_BPF_F_LOCK)
		return -EINVAL;
	err = rt_handle_get(rt, (int)attr->map_fd, SOPS_OBJ_MAP, &o);
	if (err)
		return err;
	map = caa_container_of(o, struct rt_map, obj);

	switch (cmd) {
	case SOPS_BPF_MAP_LOOKUP_ELEM:
		err = elem_access(map, false, attr->flags, key, value, true);
		if (!err)
			err = sys_lookup(map, key, value, attr->flags);
		break;
	case SOPS_BPF_MAP_UPDATE_ELEM:
		err = elem_access(map, true, attr->flags, key, value, true);
		if (!err)
			err = sys_update(map, key, value, attr->flags);
		break;
	case SOPS_BPF_MAP_DELETE_ELEM:
		err = elem_access(map, true, 0, key, NULL, false);
		if (!err)
			err = sys_delete(map, key);
		break;
	case SOPS_BPF_MAP_GET_NEXT_KEY:
		if (map->map_flags & SOPS_BPF_F_WRONLY) {
			err = -EPERM;
			break;
		}
		if (!map->ops->get_next_key) {
			err = -SOPS_ENOTSUPP;
			break;
		}
		if (!attr->next_key) {
			err = -EFAULT;
			break;
		}
		err = map->ops->get_next_key(map, key, (void *)(uintptr_t)attr->next_key);
		break;
	case SOPS_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
		if (map->map_flags & (SOPS_BPF_F_RDONLY | SOPS_BPF_F_WRONLY) || atomic_load(&map->frozen)) {
			err = -EPERM;
			break;
		}
		if (!is_hash_type(map->map_type) || !map->ops->lookup_and_delete) {
			err = -SOPS_ENOTSUPP;
			break;
		}
		if (attr->flags & SOPS_BPF_F_LOCK) {
			err = -EINVAL;
			break;
		}
		if (!key || !value) {
			err = -EFAULT;
			break;
		}
		err = map->ops->lookup_and_delete(map, key, value, attr->flags);
		break;
	default:
		err = -EINVAL;
	}
	rt_obj_put(o);
	return err;
}

int rt_cmd_map_freeze(struct sops_runtime *rt, union sops_bpf_attr *attr)
{
	struct rt_map *map;
	struct rt_obj *o;
	int err;

	err = rt_handle_get(rt, (int)attr->map_fd, SOPS_OBJ_MAP, &o);
	if (err)
		return err;
	map = caa_container_of(o, struct rt_map, obj);
	if (map->map_type == SOPS_BPF_MAP_TYPE_STRUCT_OPS)
		err = -SOPS_ENOTSUPP;
	else if (map->map_flags & SOPS_BPF_F_WRONLY)
		err = -EPERM;
	else if (atomic_exchange(&map->frozen, true))
		err = -EBUSY;
	rt_obj_put(o);
	return err;
}

int rt_map_fill_info(struct rt_map *map, void *uinfo, uint32_t *info_len)
{
	struct sops_bpf_map_info info;
	uint32_t len = *info_len < sizeof(info) ? *info_len : sizeof(info);

	memset(&info, 0, sizeof(info));
	info.type = map->map_type;
	info.id = map->obj.id;
	info.key_size = map->key_size;
	info.value_size = map->value_size;
	info.max_entries = map->max_entries;
	info.map_flags = map->map_flags;
	memcpy(info.name, map->name, sizeof(info.name));
	info.btf_vmlinux_value_type_id = map->btf_vmlinux_value_type_id;
	info.btf_id = map->btf ? map->btf->obj.id : 0;
	info.btf_key_type_id = map->btf_key_type_id;
	info.btf_value_type_id = map->btf_value_type_id;
	info.map_extra = map->map_extra;
	if (map->ops->fill_info)
		map->ops->fill_info(map, &info);
	memcpy(uinfo, &info, len);
	*info_len = len;
	return 0;
}
