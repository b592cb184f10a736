/* SPDX-License-Identifier: MIT */
/*
 * ringbuf_consumer.c - the host side of RINGBUF maps: libbpf's ring_buffer
 * new/add/poll/consume/epoll_fd/free under the sops_ prefix.
 *
 * A consumer holds a reference on each ring it reads and an epoll set over the
 * rings' eventfds. consume() walks committed records from the consumer
 * position, stops at the first BUSY one, hands non-discarded records to the
 * callback and publishes the new consumer position with a release store
 * (which frees the room for producers).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "ringbuf.h"

struct ring {
	struct rt_ringbuf *rb;
	sops_ring_buffer_sample_fn cb;
	void *ctx;
};

struct sops_ring_buffer {
	struct sops_runtime *rt;
	struct ring *rings;
	uint32_t cnt;
	int epfd;
};

int sops_ring_buffer__add(struct sops_ring_buffer *r, int map_fd, sops_ring_buffer_sample_fn cb,
			  void *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ring *rings;
	struct rt_map *map;
	struct rt_obj *o;
	int err;

	err = rt_handle_get(r->rt, map_fd, SOPS_OBJ_MAP, &o);
	if (err)
		return err;
	map = caa_container_of(o, struct rt_map, obj);
	if (map->map_type != SOPS_BPF_MAP_TYPE_RINGBUF) {
		err = -EINVAL;
		goto fail;
	}
	rings = realloc(r->rings, (r->cnt + 1) * sizeof(*rings));
	if (!rings) {
		err = -ENOMEM;
		goto fail;
	}
	r->rings = rings;
	ev.data.u32 = r->cnt;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, to_ringbuf(map)->efd, &ev)) {
		err = -errno;
		goto fail;
	}
	rings[r->cnt++] = (struct ring){ to_ringbuf(map), cb, ctx };
	return 0;
fail:
	rt_obj_put(o);
	return err;
}

struct sops_ring_buffer *sops_ring_buffer__new(struct sops_runtime *rt, int map_fd,
					       sops_ring_buffer_sample_fn cb, void *ctx,
					       const struct sops_ring_buffer_opts *opts)
{
	struct sops_ring_buffer *r;
	int err;

	if (!rt || !cb || (opts && opts->sz < sizeof(size_t))) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	r->rt = rt;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		err = -errno;
		free(r);
		errno = -err;
		return NULL;
	}
	err = sops_ring_buffer__add(r, map_fd, cb, ctx);
	if (err) {
		sops_ring_buffer__free(r);
		errno = -err;
		return NULL;
	}
	return r;
}

/* Consume one ring; returns records handed out, or a callback's negative value. */
static long consume_ring(struct ring *ring)
{
	struct rt_ringbuf *rb = ring->rb;
	uint64_t cons = atomic_load_explicit(rb->consumer_pos, memory_order_acquire);
	long cnt = 0;

	for (;;) {
		uint64_t prod = atomic_load_explicit(rb->producer_pos, memory_order_acquire);
		bool progress = false;

		while (cons < prod) {
			struct rb_hdr *hdr = (struct rb_hdr *)(rb->data + (cons & rb->mask));
			uint32_t len = atomic_load_explicit(&hdr->len, memory_order_acquire);
			uint32_t size = len & ~(SOPS_BPF_RINGBUF_BUSY_BIT | SOPS_BPF_RINGBUF_DISCARD_BIT);

			if (len & SOPS_BPF_RINGBUF_BUSY_BIT)
				goto done;
			/* A corrupt length (unverified code may scribble) must not walk us off. */
			if (size > rb->mask + 1 - SOPS_BPF_RINGBUF_HDR_SZ)
				return -EINVAL;
			cons += ROUND_UP(size + SOPS_BPF_RINGBUF_HDR_SZ, 8);
			progress = true;
			if (!(len & SOPS_BPF_RINGBUF_DISCARD_BIT)) {
				int err = ring->cb(ring->ctx, hdr + 1, size);

				if (err < 0) {
					atomic_store_explicit(rb->consumer_pos, cons, memory_order_release);
					return err;
				}
				cnt++;
			}
			atomic_store_explicit(rb->consumer_pos, cons, memory_order_release);
		}
		/* Order the position store before the next header loads (producers check it). */
		atomic_thread_fence(memory_order_seq_cst);
		if (!progress)
			break;
	}
done:
	return cnt;
}

int sops_ring_buffer__consume(struct sops_ring_buffer *r)
{
	long total = 0;

	for (uint32_t i = 0; i < r->cnt; i++) {
		long n = consume_ring(&r->rings[i]);

		if (n < 0)
			return (int)n;
		total += n;
	}
	return total > INT32_MAX ? INT32_MAX : (int)total;
}

int sops_ring_buffer__poll(struct sops_ring_buffer *r, int timeout_ms)
{
	struct epoll_event evs[16];
	int n;

	n = epoll_wait(r->epfd, evs, 16, timeout_ms);
	if (n < 0)
		return -errno;
	/* Reset the eventfds before reading, so a later commit signals again. */
	for (int i = 0; i < n; i++) {
		uint64_t cnt;

		if (read(r->rings[evs[i].data.u32].rb->efd, &cnt, sizeof(cnt)) < 0)
			(void)0;
	}
	/*
	 * Then read every ring, woken or not: a producer skips the wakeup when
	 * the consumer looked behind its record, and a record that was BUSY when
	 * we stopped must not wait for another producer's signal.
	 */
	return sops_ring_buffer__consume(r);
}

int sops_ring_buffer__epoll_fd(const struct sops_ring_buffer *r)
{
	return r->epfd;
}

void sops_ring_buffer__free(struct sops_ring_buffer *r)
{
	if (!r)
		return;
	for (uint32_t i = 0; i < r->cnt; i++)
		rt_obj_put(&r->rings[i].rb->map.obj);
	free(r->rings);
	close(r->epfd);
	free(r);
}
