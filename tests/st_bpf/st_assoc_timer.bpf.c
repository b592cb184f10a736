/* SPDX-License-Identifier: MIT */
/*
 * st_assoc_timer.bpf.c - scenarios 6 and 7: the struct_ops program arms a
 * bpf_timer; the timer callback calls the association kfunc, which must see
 * the program's map (1234) while it lives and nothing (-1) once the map is gone.
 * args->a == 7 arms the timer; args->b selects the delay (0: 1 ms, 1: 500 ms).
 */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

struct elem {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct elem);
} timer_map SEC(".maps");

/* In .bss, in this order (the test reads both): [0] callback runs, [1] its kfunc's result. */
int timer_res[2];

static int timer_cb(void *map, int *key, struct bpf_timer *timer)
{
	struct st_ops_args args = {};

	timer_res[1] = bpf_kfunc_multi_st_ops_test_1_assoc(&args, NULL);
	timer_res[0]++;
	return 0;
}

SEC("struct_ops")
int BPF_PROG(test_1_timer, struct st_ops_args *args)
{
	struct elem *e;
	int key = 0;

	if (args && args->a == 7) {
		e = bpf_map_lookup_elem(&timer_map, &key);
		if (!e)
			return -3;
		bpf_timer_init(&e->timer, &timer_map, 1 /* CLOCK_MONOTONIC */);
		bpf_timer_set_callback(&e->timer, timer_cb);
		bpf_timer_start(&e->timer, args->b ? 500000000ULL : 1000000ULL, 0);
	}
	return MAP_A_MAGIC;
}

SEC("syscall")
int syscall_prog(struct st_ops_args *ctx)
{
	struct st_ops_args args = { .a = 7, .b = ctx->b };

	return bpf_kfunc_multi_st_ops_test_1_assoc(&args, NULL);
}

SEC(".struct_ops.link")
struct bpf_testmod_multi_st_ops st_ops_map = {
	.test_1 = (void *)test_1_timer,
};
