/* SPDX-License-Identifier: MIT */
/*
 * kconfig.bpf.c - __kconfig externs in the style of the kernel's selftests
 * (progs/test_core_extern.c): a virtual LINUX_ extern, one of every Kconfig
 * type libbpf knows, all __weak but CONFIG_HZ (strong, given a default by
 * structops), a weak one nobody sets and a weak LINUX_ one libbpf does not
 * know (both read 0). The syscall program copies them into .bss, where
 * tests/test_kconfig.c reads them.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig __weak;
extern int LINUX_UNKNOWN_VIRTUAL __kconfig __weak;
extern unsigned long CONFIG_HZ __kconfig;
extern bool CONFIG_BOOL __kconfig __weak;
extern enum libbpf_tristate CONFIG_TRISTATE __kconfig __weak;
extern char CONFIG_CHAR __kconfig __weak;
extern unsigned short CONFIG_USHORT __kconfig __weak;
extern int CONFIG_INT __kconfig __weak;
extern signed char CONFIG_SCHAR __kconfig __weak;
extern __u64 CONFIG_ULONG __kconfig __weak;
extern const char CONFIG_STR[8] __kconfig __weak;
extern __u64 CONFIG_MISSING __kconfig __weak;

struct kconfig_out {
	__u64 kern_ver;
	__u64 has_cookie;
	__u64 unknown_virtual;
	__u64 hz;
	__u64 bool_val;
	__u64 tristate_val;
	__u64 char_val;
	__u64 ushort_val;
	__s64 int_val;
	__s64 schar_val;
	__u64 ulong_val;
	char str_val[8];
	__u64 missing_val;
} out;

SEC("syscall")
int read_kconfig(void *ctx)
{
	out.kern_ver = LINUX_KERNEL_VERSION;
	out.has_cookie = LINUX_HAS_BPF_COOKIE;
	out.unknown_virtual = LINUX_UNKNOWN_VIRTUAL;
	out.hz = CONFIG_HZ;
	out.bool_val = CONFIG_BOOL;
	out.tristate_val = CONFIG_TRISTATE;
	out.char_val = CONFIG_CHAR;
	out.ushort_val = CONFIG_USHORT;
	out.int_val = CONFIG_INT;
	out.schar_val = CONFIG_SCHAR;
	out.ulong_val = CONFIG_ULONG;
	for (int i = 0; i < 8; i++)
		out.str_val[i] = CONFIG_STR[i];
	out.missing_val = CONFIG_MISSING;
	return 0;
}
