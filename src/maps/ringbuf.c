/* SPDX-License-Identifier: MIT */
/*
 * ringbuf.c - the RINGBUF map and its producer side (reserve, submit, discard,
 * output, query), with the kernel's record format and wakeup rules.
 *
 * Reservation takes a short per-ring spinlock (the kernel does the same):
 * it checks room against the consumer position, writes a BUSY header and
 * publishes the new producer position. Commit clears BUSY with a release
 * store, so the consumer (which reads the producer position, then each
 * header with acquire) never sees a half-written record. The consumer is
 * woken through an eventfd when it has caught up with the committed record
 * (or on BPF_RB_FORCE_WAKEUP), as the kernel decides.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringbuf.h"

#define META_PAGES 3

static size_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (size_t)p : 4096;
}

static int ringbuf_alloc_check(const union sops_bpf_attr *attr)
{
	uint32_t n = attr->max_entries;

	if (attr->map_flags & ~SOPS_BPF_F_NUMA_NODE)
		return -EINVAL;
	if (attr->key_size || attr->value_size || !n || (n & (n - 1)) || n % page_size())
		return -EINVAL;
	return 0;
}

/*
 * The data pages (mapped twice, but one copy of memory) and the three meta
 * pages. max_entries is at most 2 GiB (a 32-bit power of two), so no product
 * overflows; the total is what the map limit sees.
 */
static int ringbuf_mem_size(const union sops_bpf_attr *attr, uint32_t nr_cpus, uint64_t *bytes)
{
	*bytes = (uint64_t)attr->max_entries + META_PAGES * page_size() + sizeof(struct rt_ringbuf);
	return 0;
}

static void ringbuf_unmap(struct rt_ringbuf *rb)
{
	if (rb->base)
		munmap(rb->base, rb->base_len);
	if (rb->efd >= 0)
		close(rb->efd);
	free(rb);
}

static int ringbuf_alloc(struct sops_runtime *rt, const union sops_bpf_attr *attr, struct rt_map **out)
{
	size_t pg = page_size(), size = attr->max_entries;
	struct rt_ringbuf *rb;
	int memfd, err = -ENOMEM;
	void *p;

	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return -ENOMEM;
	rb->efd = -1;
	rb->base_len = META_PAGES * pg + 2 * size;
	/* Reserve the whole range, then map the data pages twice at fixed places. */
	p = mmap(NULL, rb->base_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		free(rb);
		return -ENOMEM;
	}
	rb->base = p;
	if (mmap(rb->base, META_PAGES * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		goto fail;
	memfd = memfd_create("structops-ringbuf", MFD_CLOEXEC);
	if (memfd < 0)
		goto fail;
	if (ftruncate(memfd, (off_t)size) ||
	    mmap(rb->base + META_PAGES * pg, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 memfd, 0) == MAP_FAILED ||
	    mmap(rb->base + META_PAGES * pg + size, size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, memfd, 0) == MAP_FAILED) {
		close(memfd);
		goto fail;
	}
	close(memfd);
	rb->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rb->efd < 0)
		goto fail;
	*(struct rt_ringbuf **)rb->base = rb;
	rb->consumer_pos = (_Atomic uint64_t *)(rb->base + pg);
	rb->producer_pos = (_Atomic uint64_t *)(rb->base + 2 * pg);
	rb->data = rb->base + META_PAGES * pg;
	rb->mask = size - 1;
	*out = &rb->map;
	return 0;
fail:
	ringbuf_unmap(rb);
	return err;
}

static void ringbuf_free(struct rt_map *map)
{
	ringbuf_unmap(to_ringbuf(map));
}

void *rt_ringbuf_reserve(struct rt_map *map, uint64_t size, uint64_t flags)
{
	struct rt_ringbuf *rb = to_ringbuf(map);
	uint64_t cons, prod, total;
	struct rb_hdr *hdr;

	if (flags || size > rb->mask + 1 - SOPS_BPF_RINGBUF_HDR_SZ || size >= (1U << 30))
		return NULL;
	total = ROUND_UP(size + SOPS_BPF_RINGBUF_HDR_SZ, 8);
	rt_spin_lock(&rb->lock);
	cons = atomic_load_explicit(rb->consumer_pos, memory_order_acquire);
	prod = atomic_load_explicit(rb->producer_pos, memory_order_relaxed);
	if (prod + total - cons > rb->mask + 1) {
		rt_spin_unlock(&rb->lock);
		return NULL;
	}
	hdr = (struct rb_hdr *)(rb->data + (prod & rb->mask));
	atomic_store_explicit(&hdr->len, (uint32_t)size | SOPS_BPF_RINGBUF_BUSY_BIT, memory_order_relaxed);
	hdr->pg_off = (uint32_t)(((char *)hdr - rb->base) / page_size());
	atomic_store_explicit(rb->producer_pos, prod + total, memory_order_release);
	rt_spin_unlock(&rb->lock);
	return hdr + 1;
}

static struct rt_ringbuf *ringbuf_of_hdr(struct rb_hdr *hdr)
{
	size_t pg = page_size();
	char *base = (char *)((uintptr_t)hdr & ~(uintptr_t)(pg - 1)) - (size_t)hdr->pg_off * pg;

	return *(struct rt_ringbuf **)base;
}

static void wakeup(struct rt_ringbuf *rb)
{
	uint64_t one = 1;

	/* Non-blocking: a full counter already means "readable". */
	if (write(rb->efd, &one, sizeof(one)) < 0)
		(void)0;
}

void rt_ringbuf_commit(void *sample, uint64_t flags, bool discard)
{
	struct rb_hdr *hdr = (struct rb_hdr *)sample - 1;
	struct rt_ringbuf *rb = ringbuf_of_hdr(hdr);
	uint32_t len = atomic_load_explicit(&hdr->len, memory_order_relaxed) & ~SOPS_BPF_RINGBUF_BUSY_BIT;
	uint64_t rec_pos, cons;

	if (discard)
		len |= SOPS_BPF_RINGBUF_DISCARD_BIT;
	atomic_exchange_explicit(&hdr->len, len, memory_order_acq_rel);
	rec_pos = (uint64_t)((char *)hdr - rb->data) & rb->mask;
	cons = atomic_load_explicit(rb->consumer_pos, memory_order_acquire) & rb->mask;
	if (flags & SOPS_BPF_RB_FORCE_WAKEUP)
		wakeup(rb);
	else if (!(flags & SOPS_BPF_RB_NO_WAKEUP) && cons == rec_pos)
		wakeup(rb);
}

long rt_ringbuf_output(struct rt_map *map, const void *data, uint64_t size, uint64_t flags)
{
	void *rec;

	if (flags & ~(SOPS_BPF_RB_NO_WAKEUP | SOPS_BPF_RB_FORCE_WAKEUP))
		return -EINVAL;
	rec = rt_ringbuf_reserve(map, size, 0);
	if (!rec)
		return -EAGAIN;
	if (size) /* a 0-byte record may come with any pointer, NULL included */
		memcpy(rec, data, size);
	rt_ringbuf_commit(rec, flags, false);
	return 0;
}

uint64_t rt_ringbuf_query(struct rt_map *map, uint64_t flags)
{
	struct rt_ringbuf *rb = to_ringbuf(map);
	uint64_t cons = atomic_load(rb->consumer_pos), prod = atomic_load(rb->producer_pos);

	switch (flags) {
	case SOPS_BPF_RB_AVAIL_DATA: return prod - cons;
	case SOPS_BPF_RB_RING_SIZE: return rb->mask + 1;
	case SOPS_BPF_RB_CONS_POS: return cons;
	case SOPS_BPF_RB_PROD_POS: return prod;
	default: return 0;
	}
}

/*
 * Checked mode: whether @sample is a record reserved from @map and not yet
 * submitted or discarded, with its header as reserve wrote it. The program
 * can write the whole data area, so nothing short of walking the reserved
 * records from the consumer position proves a pointer is one of them; the
 * walk holds the producer lock, so the producer position stays put, and
 * ends after at most size / 8 steps even over headers the program forged.
 */
bool rt_ringbuf_owns(struct rt_map *map, const void *sample)
{
	struct rt_ringbuf *rb = to_ringbuf(map);
	uintptr_t p = (uintptr_t)sample, lo = (uintptr_t)rb->data + SOPS_BPF_RINGBUF_HDR_SZ;
	uint64_t off, cons, prod, pos;
	bool held = false;

	if (map->map_type != SOPS_BPF_MAP_TYPE_RINGBUF || p < lo || p >= lo + rb->mask + 1 || (p & 7))
		return false;
	off = p - lo; /* of the header, in the first mapping */
	rt_spin_lock(&rb->lock);
	cons = atomic_load_explicit(rb->consumer_pos, memory_order_acquire);
	prod = atomic_load_explicit(rb->producer_pos, memory_order_relaxed);
	for (pos = cons; pos < prod;) {
		struct rb_hdr *hdr = (struct rb_hdr *)(rb->data + (pos & rb->mask));
		uint32_t len = atomic_load_explicit(&hdr->len, memory_order_acquire);

		if ((pos & rb->mask) == off) {
			held = (len & SOPS_BPF_RINGBUF_BUSY_BIT) &&
			       hdr->pg_off == (uint32_t)(((char *)hdr - rb->base) / page_size());
			break;
		}
		len &= ~(SOPS_BPF_RINGBUF_BUSY_BIT | SOPS_BPF_RINGBUF_DISCARD_BIT);
		pos += ROUND_UP((uint64_t)len + SOPS_BPF_RINGBUF_HDR_SZ, 8);
	}
	rt_spin_unlock(&rb->lock);
	return held;
}

static bool ringbuf_mem_ok(struct rt_map *map, uint64_t addr, uint64_t size, bool write)
{
	struct rt_ringbuf *rb = to_ringbuf(map);
	uint64_t lo = (uint64_t)(uintptr_t)rb->data, len = 2 * (rb->mask + 1);

	return addr >= lo && size <= len && addr - lo <= len - size;
}

/* No element operations: every *_ELEM command and GET_NEXT_KEY is ENOTSUPP (map.c). */
const struct rt_map_ops rt_ringbuf_ops = {
	.alloc_check = ringbuf_alloc_check,
	.mem_size = ringbuf_mem_size,
	.alloc = ringbuf_alloc,
	.free = ringbuf_free,
	.mem_ok = ringbuf_mem_ok,
};
