/* SPDX-License-Identifier: MIT */
/*
 * st_kconfig.bpf.c - a struct_ops program reading __kconfig externs the way
 * kernel congestion-control programs do (bpf_cubic's `extern unsigned long
 * CONFIG_HZ __kconfig;`): test_1 stores HZ / 10 and whether the kernel
 * version and a weak tristate are set, so the host's kconfig text reaches
 * a program attached through the test module.
 */
#define ST_TESTMOD
#include "st_common.h"

char _license[] SEC("license") = "GPL";

extern unsigned long CONFIG_HZ __kconfig;
extern int LINUX_KERNEL_VERSION __kconfig;
extern enum libbpf_tristate CONFIG_ST_FEATURE __kconfig __weak;

int test_1_result;
int have_version;
int feature;

SEC("struct_ops/test_1")
int BPF_PROG(kc_test_1)
{
	test_1_result = CONFIG_HZ / 10;
	have_version = LINUX_KERNEL_VERSION > 0;
	feature = CONFIG_ST_FEATURE;
	return 0;
}

SEC(".struct_ops.link")
struct bpf_testmod_ops kc_ops = {
	.test_1 = (void *)kc_test_1,
};
