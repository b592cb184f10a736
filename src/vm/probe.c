/* SPDX-License-Identifier: MIT */
/*
 * probe.c - probe loads: reads of host memory that yield 0 instead of a crash
 * when the address faults (the kernel's BPF_PROBE_MEM, in userspace).
 *
 * The verifier lets a program read through pointers it found in host
 * structs' fields (a walked pointer: nothing vouches for it, it may be NULL
 * or stale) and marks those loads OPC_PROBE_MEM. Engines perform them with
 * the few load instructions defined here, each at a known address: the
 * interpreter calls the C-callable readers, the JIT calls the register stubs
 * (address and result in r11, nothing else touched). A SIGSEGV or SIGBUS
 * whose faulting instruction is one of them is fixed up by the handler
 * below: the result register becomes 0 and execution continues after the
 * load. Any other fault goes to the handler that was installed before
 * (or the default action), so the host's own crashes stay crashes.
 *
 * Because the fixup table is a handful of static addresses, the handler
 * needs no registry of JIT images and no lock: it only compares the
 * faulting instruction pointer. The one process-wide state is the handler
 * itself and the previous actions it chains to, set once (pthread_once) by
 * sops_probe_init(); signal dispositions are process-wide by nature. A host
 * that installs its own SIGSEGV/SIGBUS handler later must chain to the one
 * it replaces (docs/runtime.md).
 *
 * Other architectures: the readers copy through process_vm_readv() on the
 * process itself, which reports EFAULT instead of faulting (slower; no JIT
 * there anyway).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "probe.h"

#if defined(__x86_64__)

/*
 * The load instructions, each behind a global label. C readers: address in
 * rdi, value in rax (the SysV convention). JIT stubs: address and value in
 * r11, flags and every other register preserved.
 */
#define PROBE_FN(name, insn)                                                                       \
	".globl " #name "\n.hidden " #name "\n.type " #name ",@function\n.p2align 4\n" #name ":\n"  \
	".globl " #name "_insn\n.hidden " #name "_insn\n" #name "_insn:\n\t" insn "\n"               \
	".globl " #name "_end\n.hidden " #name "_end\n" #name "_end:\n"                           \
	"\tret\n.size " #name ", .-" #name "\n"

__asm__(".text\n"
	PROBE_FN(sops_probe_read_u8, "movzbl (%rdi), %eax")
	PROBE_FN(sops_probe_read_u16, "movzwl (%rdi), %eax")
	PROBE_FN(sops_probe_read_u32, "movl (%rdi), %eax")
	PROBE_FN(sops_probe_read_u64, "movq (%rdi), %rax")
	PROBE_FN(sops_probe_jit_u8, "movzbq (%r11), %r11")
	PROBE_FN(sops_probe_jit_u16, "movzwq (%r11), %r11")
	PROBE_FN(sops_probe_jit_u32, "movl (%r11), %r11d")
	PROBE_FN(sops_probe_jit_u64, "movq (%r11), %r11")
	PROBE_FN(sops_probe_jit_s8, "movsbq (%r11), %r11")
	PROBE_FN(sops_probe_jit_s16, "movswq (%r11), %r11")
	PROBE_FN(sops_probe_jit_s32, "movslq (%r11), %r11"));

#define PROBE_SYMS(name) extern const char name##_insn[], name##_end[];
PROBE_SYMS(sops_probe_read_u8) PROBE_SYMS(sops_probe_read_u16) PROBE_SYMS(sops_probe_read_u32)
PROBE_SYMS(sops_probe_read_u64) PROBE_SYMS(sops_probe_jit_u8) PROBE_SYMS(sops_probe_jit_u16)
PROBE_SYMS(sops_probe_jit_u32) PROBE_SYMS(sops_probe_jit_u64) PROBE_SYMS(sops_probe_jit_s8)
PROBE_SYMS(sops_probe_jit_s16) PROBE_SYMS(sops_probe_jit_s32)

struct fixup {
	const char *insn, *end; /* the load instruction, and what follows it */
	int reg;                /* gregs index of its destination */
};

#define FIX(name, reg) { name##_insn, name##_end, reg }
static const struct fixup fixups[] = {
	FIX(sops_probe_read_u8, REG_RAX), FIX(sops_probe_read_u16, REG_RAX),
	FIX(sops_probe_read_u32, REG_RAX), FIX(sops_probe_read_u64, REG_RAX),
	FIX(sops_probe_jit_u8, REG_R11),  FIX(sops_probe_jit_u16, REG_R11),
	FIX(sops_probe_jit_u32, REG_R11), FIX(sops_probe_jit_u64, REG_R11),
	FIX(sops_probe_jit_s8, REG_R11),  FIX(sops_probe_jit_s16, REG_R11),
	FIX(sops_probe_jit_s32, REG_R11),
};

static struct sigaction old_segv, old_bus;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int probe_err;

/* Hand a fault that is not ours to whoever had the signal before. */
static void chain(int sig, siginfo_t *info, void *uc)
{
	const struct sigaction *old = sig == SIGBUS ? &old_bus : &old_segv;

	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, info, uc);
		return;
	}
	if (old->sa_handler == SIG_DFL || old->sa_handler == SIG_IGN) {
		/* Returning re-executes the instruction, which faults again, now fatally. */
		signal(sig, SIG_DFL);
		return;
	}
	old->sa_handler(sig);
}

static void on_fault(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t rip = uc->uc_mcontext.gregs[REG_RIP];

	for (size_t i = 0; i < sizeof(fixups) / sizeof(fixups[0]); i++) {
		if (rip == (greg_t)(uintptr_t)fixups[i].insn) {
			uc->uc_mcontext.gregs[fixups[i].reg] = 0;
			uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)fixups[i].end;
			return;
		}
	}
	chain(sig, info, ucv);
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old_segv) || sigaction(SIGBUS, &sa, &old_bus))
		probe_err = -errno;
}

int sops_probe_init(void)
{
	pthread_once(&probe_once, install);
	return probe_err;
}

bool sops_probe_fixup_addr(uintptr_t rip)
{
	for (size_t i = 0; i < sizeof(fixups) / sizeof(fixups[0]); i++)
		if (rip == (uintptr_t)fixups[i].insn)
			return true;
	return false;
}

#else /* !__x86_64__ */

static uint64_t read_self(uintptr_t addr, size_t n)
{
	uint64_t v = 0;
	struct iovec local = { &v, n }, remote = { (void *)addr, n };

	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)n)
		return 0;
	return v; /* little endian hosts: the low bytes */
}

uint8_t sops_probe_read_u8(uintptr_t addr)
{
	return (uint8_t)read_self(addr, 1);
}

uint16_t sops_probe_read_u16(uintptr_t addr)
{
	return (uint16_t)read_self(addr, 2);
}

uint32_t sops_probe_read_u32(uintptr_t addr)
{
	return (uint32_t)read_self(addr, 4);
}

uint64_t sops_probe_read_u64(uintptr_t addr)
{
	return read_self(addr, 8);
}

int sops_probe_init(void)
{
	return 0;
}

bool sops_probe_fixup_addr(uintptr_t rip)
{
	(void)rip;
	return false;
}

#endif
