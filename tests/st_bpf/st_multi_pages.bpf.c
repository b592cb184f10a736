/* SPDX-License-Identifier: MIT */
/* st_multi_pages.bpf.c - scenario 42: a program in each of 40 slots (many thunks per map). */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

#define TRAMP(n)                                                                                   \
	SEC("struct_ops")                                                                          \
	int BPF_PROG(tramp_##n, int v)                                                             \
	{                                                                                          \
		return v + n;                                                                      \
	}
TRAMP(1)
TRAMP(2)
TRAMP(3)
TRAMP(4)
TRAMP(5)
TRAMP(6)
TRAMP(7)
TRAMP(8)
TRAMP(9)
TRAMP(10)
TRAMP(11)
TRAMP(12)
TRAMP(13)
TRAMP(14)
TRAMP(15)
TRAMP(16)
TRAMP(17)
TRAMP(18)
TRAMP(19)
TRAMP(20)
TRAMP(21)
TRAMP(22)
TRAMP(23)
TRAMP(24)
TRAMP(25)
TRAMP(26)
TRAMP(27)
TRAMP(28)
TRAMP(29)
TRAMP(30)
TRAMP(31)
TRAMP(32)
TRAMP(33)
TRAMP(34)
TRAMP(35)
TRAMP(36)
TRAMP(37)
TRAMP(38)
TRAMP(39)
TRAMP(40)

SEC(".struct_ops.link")
struct bpf_testmod_ops multi_pages = {
	.tramp_1 = (void *)tramp_1,
	.tramp_2 = (void *)tramp_2,
	.tramp_3 = (void *)tramp_3,
	.tramp_4 = (void *)tramp_4,
	.tramp_5 = (void *)tramp_5,
	.tramp_6 = (void *)tramp_6,
	.tramp_7 = (void *)tramp_7,
	.tramp_8 = (void *)tramp_8,
	.tramp_9 = (void *)tramp_9,
	.tramp_10 = (void *)tramp_10,
	.tramp_11 = (void *)tramp_11,
	.tramp_12 = (void *)tramp_12,
	.tramp_13 = (void *)tramp_13,
	.tramp_14 = (void *)tramp_14,
	.tramp_15 = (void *)tramp_15,
	.tramp_16 = (void *)tramp_16,
	.tramp_17 = (void *)tramp_17,
	.tramp_18 = (void *)tramp_18,
	.tramp_19 = (void *)tramp_19,
	.tramp_20 = (void *)tramp_20,
	.tramp_21 = (void *)tramp_21,
	.tramp_22 = (void *)tramp_22,
	.tramp_23 = (void *)tramp_23,
	.tramp_24 = (void *)tramp_24,
	.tramp_25 = (void *)tramp_25,
	.tramp_26 = (void *)tramp_26,
	.tramp_27 = (void *)tramp_27,
	.tramp_28 = (void *)tramp_28,
	.tramp_29 = (void *)tramp_29,
	.tramp_30 = (void *)tramp_30,
	.tramp_31 = (void *)tramp_31,
	.tramp_32 = (void *)tramp_32,
	.tramp_33 = (void *)tramp_33,
	.tramp_34 = (void *)tramp_34,
	.tramp_35 = (void *)tramp_35,
	.tramp_36 = (void *)tramp_36,
	.tramp_37 = (void *)tramp_37,
	.tramp_38 = (void *)tramp_38,
	.tramp_39 = (void *)tramp_39,
	.tramp_40 = (void *)tramp_40,
};
