/* SPDX-License-Identifier: MIT */
/*
 * test_st_link.c - struct_ops links: LINK_CREATE (spec 2.5), LINK_UPDATE
 * (2.6), LINK_DETACH (2.7), release (2.8), link info, the poll fd that
 * reports POLLHUP on detach (the kernel's EPOLLHUP).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "test.h"
#include "test_st_util.h"

#define RET(n) "mov %r0, " #n "\nexit"

/* A READY link map of tst_ops whose test_1 returns @ret (a program loaded and closed). */
static int ready_map(struct st_fix *f, const char *text)
{
	uint8_t v[TST_VALUE_SIZE];
	int fd = st_create(f, f->value_id, TST_VALUE_SIZE, SOPS_BPF_F_LINK);
	int p = st_load(f, f->ops_id, 0, text, "GPL", 0, NULL, 0);
	int err;

	if (fd < 0 || p < 0)
		return -1;
	st_value(v, p, 0, 0, 0);
	err = sops_map_update_elem(f->rt, fd, &(uint32_t){ 0 }, v, 0);
	sops_close(f->rt, p);
	return err ? err : fd;
}

static uint32_t link_map_id(struct st_fix *f, int link)
{
	struct sops_bpf_link_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (sops_link_get_info_by_fd(f->rt, link, &info, &len) || info.type != SOPS_BPF_LINK_TYPE_STRUCT_OPS)
		return 0xffffffff;
	return info.struct_ops.map_id;
}

static uint32_t map_id(struct st_fix *f, int fd)
{
	struct sops_bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	sops_map_get_info_by_fd(f->rt, fd, &info, &len);
	return info.id;
}

TEST(st_link_create_errnos)
{
	struct st_fix f;
	int init_link_map, nonlink, arr, a, l;
	uint8_t v[TST_VALUE_SIZE];

	T_EQ(st_fix_init(&f, false, false), 0);
	init_link_map = st_create(&f, f.value_id, TST_VALUE_SIZE, SOPS_BPF_F_LINK);
	nonlink = st_create(&f, f.value_id, TST_VALUE_SIZE, 0);
	arr = sops_map_create(f.rt, SOPS_BPF_MAP_TYPE_ARRAY, "a", 4, 4, 1, NULL);
	T_ASSERT(init_link_map > 0 && nonlink > 0 && arr > 0);
	T_EQ(sops_link_create(f.rt, init_link_map, 0, SOPS_BPF_STRUCT_OPS, NULL), -EINVAL);
	T_EQ(sops_link_create(f.rt, arr, 0, SOPS_BPF_STRUCT_OPS, NULL), -EINVAL);
	T_EQ(sops_link_create(f.rt, 999, 0, SOPS_BPF_STRUCT_OPS, NULL), -EBADF);
	/* a non-link map, even registered */
	st_value(v, 0, 0, 0, 0);
	T_EQ(sops_map_update_elem(f.rt, nonlink, &(uint32_t){ 0 }, v, 0), 0);
	T_EQ(sops_link_create(f.rt, nonlink, 0, SOPS_BPF_STRUCT_OPS, NULL), -EINVAL);
	T_EQ(sops_map_delete_elem(f.rt, nonlink, &(uint32_t){ 0 }), 0);
	/* reg failing */
	a = ready_map(&f, RET(1));
	T_ASSERT(a > 0);
	f.host.reg_err = -EBUSY;
	T_EQ(sops_link_create(f.rt, a, 0, SOPS_BPF_STRUCT_OPS, NULL), -EBUSY);
	f.host.reg_err = 0;
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_LINK), 0);
	l = sops_link_create(f.rt, a, 0, SOPS_BPF_STRUCT_OPS, NULL);
	T_ASSERT(l > 0);
	T_EQ(st_call_test_1(&f), 1);
	T_EQ(link_map_id(&f, l), map_id(&f, a));
	/* the subsystem rejects a second registration (its own rule, not the framework's) */
	T_EQ(sops_link_create(f.rt, a, 0, SOPS_BPF_STRUCT_OPS, NULL), -EEXIST);
	sops_close(f.rt, l);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_LINK), 0);
	T_EQ(f.host.unreg_cnt, 2); /* the non-link map's delete, the link's release */
	sops_close(f.rt, a);
	sops_close(f.rt, init_link_map);
	sops_close(f.rt, nonlink);
	sops_close(f.rt, arr);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_MAP), 0);
	st_fix_fini(&f);
}

TEST(st_link_update_detach)
{
	struct sops_link_update_opts uo = { .sz = sizeof(uo) };
	uint8_t v[TST_VALUE_SIZE];
	struct pollfd pfd;
	struct st_fix f;
	int a, b, c, other, nonlink, l, efd, p;

	T_EQ(st_fix_init(&f, false, false), 0);
	a = ready_map(&f, RET(1));
	b = ready_map(&f, RET(2));
	c = st_create(&f, f.value_id, TST_VALUE_SIZE, SOPS_BPF_F_LINK); /* stays INIT */
	nonlink = st_create(&f, f.value_id, TST_VALUE_SIZE, 0);
	/* a READY map of tst_ops3 (no update callback) */
	other = st_create(&f, f.value3_id, TST_VALUE_SIZE, SOPS_BPF_F_LINK);
	p = st_load(&f, f.ops3_id, 0, RET(9), "GPL", 0, NULL, 0);
	T_ASSERT(a > 0 && b > 0 && c > 0 && other > 0 && p > 0);
	memset(v, 0, sizeof(v));
	memcpy(v + TST_DATA_OFF, &(uint64_t){ (uint64_t)p }, 8);
	T_EQ(sops_map_update_elem(f.rt, other, &(uint32_t){ 0 }, v, 0), 0);

	l = sops_link_create(f.rt, a, 0, SOPS_BPF_STRUCT_OPS, NULL);
	T_ASSERT(l > 0);
	efd = sops_link_poll_fd(f.rt, l);
	T_ASSERT(efd >= 0);
	T_EQ(sops_link_poll_fd(f.rt, a), -EINVAL);
	pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
	T_EQ(poll(&pfd, 1, 0), 0);
	T_EQ(st_call_test_1(&f), 1);

	/* update errnos, in the kernel's order */
	uo.flags = 1;
	T_EQ(sops_link_update(f.rt, l, b, &uo), -EINVAL);
	uo.flags = 0;
	uo.old_map_fd = (uint32_t)a;
	T_EQ(sops_link_update(f.rt, l, b, &uo), -EINVAL); /* old fd without BPF_F_REPLACE */
	uo.old_map_fd = 0;
	T_EQ(sops_link_update(f.rt, 999, b, &uo), -EBADF);
	T_EQ(sops_link_update(f.rt, a, b, &uo), -EINVAL); /* not a link */
	T_EQ(sops_link_update(f.rt, l, 999, &uo), -EBADF);
	T_EQ(sops_link_update(f.rt, l, c, &uo), -EINVAL);       /* not READY */
	T_EQ(sops_link_update(f.rt, l, nonlink, &uo), -EINVAL); /* not BPF_F_LINK */
	T_EQ(sops_link_update(f.rt, l, other, &uo), -EOPNOTSUPP); /* tst_ops3 has no update */
	uo.flags = SOPS_BPF_F_REPLACE;
	uo.old_map_fd = (uint32_t)b;
	T_EQ(sops_link_update(f.rt, l, b, &uo), -EPERM);
	f.host.update_err = -EAGAIN;
	uo.old_map_fd = (uint32_t)a;
	T_EQ(sops_link_update(f.rt, l, b, &uo), -EAGAIN);
	T_EQ(st_call_test_1(&f), 1);
	f.host.update_err = 0;
	T_EQ(sops_link_update(f.rt, l, b, &uo), 0);
	T_EQ(st_call_test_1(&f), 2);
	T_EQ(link_map_id(&f, l), map_id(&f, b));
	T_EQ(f.host.update_cnt, 1);
	/* back without REPLACE */
	T_EQ(sops_link_update(f.rt, l, a, NULL), 0);
	T_EQ(st_call_test_1(&f), 1);

	/* detach: unreg, map id 0, eventfd readable; idempotent; update -> ENOLINK */
	T_EQ(sops_link_detach(f.rt, l), 0);
	T_EQ(f.host.unreg_cnt, 1);
	T_EQ(st_call_test_1(&f), -1000);
	T_EQ(link_map_id(&f, l), 0);
	T_EQ(poll(&pfd, 1, 0), 1);
	T_EQ(sops_link_detach(f.rt, l), 0);
	T_EQ(f.host.unreg_cnt, 1);
	T_EQ(sops_link_update(f.rt, l, b, NULL), -ENOLINK);
	sops_close(f.rt, l);
	/* the READY map can back a new link after the old one is gone */
	l = sops_link_create(f.rt, a, 0, SOPS_BPF_STRUCT_OPS, NULL);
	T_ASSERT(l > 0);
	T_EQ(st_call_test_1(&f), 1);
	sops_close(f.rt, l);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_LINK), 0);
	T_EQ(f.host.unreg_cnt, 2);
	sops_close(f.rt, p);
	sops_close(f.rt, a);
	sops_close(f.rt, b);
	sops_close(f.rt, c);
	sops_close(f.rt, nonlink);
	sops_close(f.rt, other);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_MAP), 0);
	st_fix_fini(&f);
}

/* Update to a READY map of another struct type that has an update callback: EINVAL (2.6.10). */
TEST(st_link_update_other_type)
{
	uint8_t v[TST_VALUE_SIZE];
	struct st_fix f;
	int a, m2, l;

	T_EQ(st_fix_init(&f, false, false), 0);
	a = ready_map(&f, RET(1));
	l = sops_link_create(f.rt, a, 0, SOPS_BPF_STRUCT_OPS, NULL);
	m2 = st_create(&f, f.value2_id, TST_VALUE_SIZE, SOPS_BPF_F_LINK);
	T_ASSERT(a > 0 && l > 0 && m2 > 0);
	memset(v, 0, sizeof(v));
	T_EQ(sops_map_update_elem(f.rt, m2, &(uint32_t){ 0 }, v, 0), 0);
	T_EQ(sops_link_update(f.rt, l, m2, NULL), -EINVAL);
	T_EQ(st_call_test_1(&f), 1);
	sops_close(f.rt, l);
	sops_close(f.rt, a);
	sops_close(f.rt, m2);
	T_EQ(sops_runtime__live_objects(f.rt, SOPS_OBJ_MAP), 0);
	st_fix_fini(&f);
}

/* libbpf's detach through a subsystem: sops_struct_ops_link__detach from the host side. */
static struct sops_struct_ops_link *saved_link;

static int reg_save(void *kdata, struct sops_struct_ops_link *link)
{
	saved_link = link;
	(void)kdata;
	return 0;
}

static void unreg_nop(void *kdata, struct sops_struct_ops_link *link)
{
	(void)kdata;
	(void)link;
}

TEST(st_link_host_detach)
{
	struct pollfd pfd;
	struct st_fix f;
	int a, l;

	T_EQ(st_fix_init(&f, false, false), 0);
	f.ops.reg = reg_save; /* registered already: the desc keeps the same st_ops pointer */
	f.ops.unreg = unreg_nop;
	a = ready_map(&f, RET(3));
	l = sops_link_create(f.rt, a, 0, SOPS_BPF_STRUCT_OPS, NULL);
	T_ASSERT(a > 0 && l > 0 && saved_link);
	T_ASSERT(sops_struct_ops_link__id(saved_link) > 0);
	pfd = (struct pollfd){ .fd = sops_link_poll_fd(f.rt, l), .events = POLLIN };
	T_EQ(sops_struct_ops_link__detach(saved_link), 0);
	T_EQ(poll(&pfd, 1, 0), 1);
	T_EQ(sops_link_detach(f.rt, l), 0);
	sops_close(f.rt, l);
	sops_close(f.rt, a);
	st_fix_fini(&f);
}

/*
 * The poll fd: nothing before detach, then POLLHUP and only POLLHUP (the
 * kernel's bpf_struct_ops_map_link_poll mask), to poll() and to epoll, level
 * triggered, whatever events were asked for; a link update is not a detach.
 */
TEST(st_link_poll_hup)
{
	struct epoll_event ev = { .events = EPOLLIN }, out[2];
	struct pollfd pfd;
	struct st_fix f;
	char byte;
	int a, b, l, pf, ep;

	T_EQ(st_fix_init(&f, false, false), 0);
	a = ready_map(&f, RET(1));
	b = ready_map(&f, RET(2));
	T_ASSERT(a > 0 && b > 0);
	l = sops_link_create(f.rt, a, 0, SOPS_BPF_STRUCT_OPS, NULL);
	T_ASSERT(l > 0);
	pf = sops_link_poll_fd(f.rt, l);
	T_ASSERT(pf >= 0);
	T_EQ(sops_link_poll_fd(f.rt, 9999), -EBADF);
	T_EQ(sops_link_poll_fd(NULL, l), -EINVAL);
	ep = epoll_create1(EPOLL_CLOEXEC);
	T_ASSERT(ep >= 0);
	T_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, pf, &ev), 0);
	pfd = (struct pollfd){ .fd = pf, .events = POLLIN | POLLOUT | POLLPRI };
	T_EQ(poll(&pfd, 1, 0), 0);
	T_EQ(epoll_wait(ep, out, 2, 0), 0);
	T_EQ(read(pf, &byte, 1), -1); /* nothing to read, never blocks */
	/* an update keeps the link attached */
	T_EQ(sops_link_update(f.rt, l, b, NULL), 0);
	T_EQ(poll(&pfd, 1, 0), 0);

	T_EQ(sops_link_detach(f.rt, l), 0);
	for (int i = 0; i < 2; i++) { /* level-triggered: reported again */
		pfd.revents = 0;
		T_EQ(poll(&pfd, 1, 0), 1);
		T_EQ(pfd.revents, POLLHUP);
		pfd.events = 0; /* POLLHUP needs no request */
	}
	T_EQ(epoll_wait(ep, out, 2, 0), 1);
	T_EQ(out[0].events, EPOLLHUP);
	T_EQ(epoll_wait(ep, out, 2, 0), 1);
	T_EQ(read(pf, &byte, 1), 0); /* end of file */
	/* detach again: still hung up, nothing else */
	T_EQ(sops_link_detach(f.rt, l), 0);
	pfd = (struct pollfd){ .fd = pf, .events = POLLIN };
	T_EQ(poll(&pfd, 1, 0), 1);
	T_EQ(pfd.revents, POLLHUP);
	close(ep);
	sops_close(f.rt, l);
	sops_close(f.rt, a);
	sops_close(f.rt, b);
	st_fix_fini(&f);
}

/* A poller blocked in poll() wakes with POLLHUP when another thread detaches. */
struct detach_job {
	struct st_fix *f;
	int link;
};

static void *detach_later(void *arg)
{
	struct detach_job *j = arg;

	usleep(20000);
	sops_link_detach(j->f->rt, j->link);
	return NULL;
}

TEST(st_link_poll_hup_wakes_waiter)
{
	struct pollfd pfd;
	struct st_fix f;
	struct detach_job job;
	pthread_t th;
	int a, l;

	T_EQ(st_fix_init(&f, false, false), 0);
	a = ready_map(&f, RET(1));
	l = sops_link_create(f.rt, a, 0, SOPS_BPF_STRUCT_OPS, NULL);
	T_ASSERT(a > 0 && l > 0);
	pfd = (struct pollfd){ .fd = sops_link_poll_fd(f.rt, l), .events = POLLIN };
	job = (struct detach_job){ &f, l };
	T_EQ(pthread_create(&th, NULL, detach_later, &job), 0);
	T_EQ(poll(&pfd, 1, 5000), 1);
	pthread_join(th, NULL);
	T_EQ(pfd.revents, POLLHUP);
	T_EQ(st_call_test_1(&f), -1000); /* unreg ran: the host has no ops */
	sops_close(f.rt, l);
	sops_close(f.rt, a);
	st_fix_fini(&f);
}
