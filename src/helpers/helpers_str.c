/* SPDX-License-Identifier: MIT */
/*
 * helpers_str.c - helpers that read memory the program does not own or format
 * text: probe_read_{kernel,user}[_str], trace_printk, snprintf, strncmp.
 *
 * "Kernel" and "user" memory are both this process's memory here. A probe
 * read is a safe copy: process_vm_readv on our own pid, which reports an
 * unmapped address as EFAULT instead of faulting, as the kernel's
 * copy_from_kernel_nofault does. The formatter supports the kernel's
 * bpf_snprintf conversions (%d %i %u %x %X %o %c %s %p with l/ll and width,
 * precision, flags), taking each argument as a u64; %s reads the string with a
 * safe copy.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "helpers.h"

#define MAX_ARGS 12
#define FMT_STR_MAX 512 /* a %s argument is cut here */
#define PRINTK_MAX 1024

long rt_safe_copy(void *dst, const void *src, size_t n)
{
	struct iovec local = { dst, n }, remote = { (void *)src, n };
	ssize_t got;

	if (!n)
		return 0;
	got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (got != (ssize_t)n) {
		memset(dst, 0, n);
		return -EFAULT;
	}
	return 0;
}

long rt_safe_copy_str(char *dst, const void *src, size_t n)
{
	/* An address, not a pointer: the program may pass anything (NULL too). */
	uintptr_t s = (uintptr_t)src;
	size_t done = 0;

	if (!n)
		return 0;
	/* Page by page, so an unmapped page after the string does not fail the read. */
	while (done < n) {
		size_t chunk = 4096 - ((s + done) & 4095);
		char *nul;

		if (chunk > n - done)
			chunk = n - done;
		if (rt_safe_copy(dst + done, (const void *)(s + done), chunk)) {
			dst[0] = '\0';
			return -EFAULT;
		}
		nul = memchr(dst + done, '\0', chunk);
		if (nul)
			return nul - dst + 1;
		done += chunk;
	}
	dst[n - 1] = '\0';
	return (long)n;
}

HELPER(rt_helper_probe_read)
{
	return (uint64_t)rt_safe_copy((void *)(uintptr_t)r1, (const void *)(uintptr_t)r3, (uint32_t)r2);
}

HELPER(rt_helper_probe_read_str)
{
	return (uint64_t)rt_safe_copy_str((char *)(uintptr_t)r1, (const void *)(uintptr_t)r3, (uint32_t)r2);
}

/*
 * Format @fmt (@fmt_len bytes incl. NUL) with u64 @args into @out. Returns the
 * length the whole output needs (without NUL) or -EINVAL for a bad format.
 */
static long format(char *out, size_t out_len, const char *fmt, size_t fmt_len,
		   const uint64_t *args, size_t nargs)
{
	size_t pos = 0, ai = 0;
	const char *end;

	if (!fmt || !fmt_len || !(end = memchr(fmt, '\0', fmt_len)))
		return -EINVAL;
	if (out_len)
		out[0] = '\0';
	for (const char *p = fmt; p < end; p++) {
		char spec[32], piece[FMT_STR_MAX + 64], sbuf[FMT_STR_MAX];
		size_t sl = 0;
		int lmod = 0, n;
		uint64_t a;

		if (*p != '%') {
			if (pos + 1 < out_len)
				out[pos] = *p;
			pos++;
			continue;
		}
		if (p[1] == '%') {
			if (pos + 1 < out_len)
				out[pos] = '%';
			pos++;
			p++;
			continue;
		}
		spec[sl++] = *p++;
		while (p < end && strchr("-+ #0", *p) && sl < 8)
			spec[sl++] = *p++;
		while (p < end && *p >= '0' && *p <= '9' && sl < 16)
			spec[sl++] = *p++;
		if (p < end && *p == '.') {
			spec[sl++] = *p++;
			while (p < end && *p >= '0' && *p <= '9' && sl < 24)
				spec[sl++] = *p++;
		}
		while (p < end && *p == 'l' && lmod < 2) {
			lmod++;
			p++;
		}
		if (p >= end || ai >= nargs)
			return -EINVAL;
		a = args[ai++];
		switch (*p) {
		case 'd':
		case 'i':
			memcpy(spec + sl, "lld", 4);
			n = snprintf(piece, sizeof(piece), spec,
				     lmod ? (long long)a : (long long)(int32_t)a);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			spec[sl] = 'l';
			spec[sl + 1] = 'l';
			spec[sl + 2] = *p;
			spec[sl + 3] = '\0';
			n = snprintf(piece, sizeof(piece), spec,
				     lmod ? (unsigned long long)a : (unsigned long long)(uint32_t)a);
			break;
		case 'c':
			memcpy(spec + sl, "c", 2);
			n = snprintf(piece, sizeof(piece), spec, (int)(char)a);
			break;
		case 'p':
			memcpy(spec + sl, "p", 2);
			n = snprintf(piece, sizeof(piece), spec, (void *)(uintptr_t)a);
			break;
		case 's':
			if (rt_safe_copy_str(sbuf, (const void *)(uintptr_t)a, sizeof(sbuf)) < 0)
				strcpy(sbuf, "(fault)");
			memcpy(spec + sl, "s", 2);
			n = snprintf(piece, sizeof(piece), spec, sbuf);
			break;
		default:
			return -EINVAL;
		}
		if (n < 0)
			return -EINVAL;
		if ((size_t)n >= sizeof(piece))
			n = sizeof(piece) - 1;
		for (int i = 0; i < n; i++, pos++)
			if (pos + 1 < out_len)
				out[pos] = piece[i];
	}
	if (out_len)
		out[pos < out_len ? pos : out_len - 1] = '\0';
	return (long)pos;
}

/* bpf_trace_printk(fmt, fmt_size, a1, a2, a3): one line to the runtime's sink. */
HELPER(rt_helper_trace_printk)
{
	struct sops_prog *prog = aux;
	uint64_t args[3] = { r3, r4, r5 };
	char buf[PRINTK_MAX];
	long n;

	n = format(buf, sizeof(buf), (const char *)(uintptr_t)r1, (uint32_t)r2, args, 3);
	if (n < 0)
		return (uint64_t)n;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	rt_trace(prog->obj.rt, buf, (size_t)n);
	return (uint64_t)n;
}

/* bpf_snprintf(str, str_size, fmt, data, data_len): bytes needed incl. NUL. */
HELPER(rt_helper_snprintf)
{
	const char *fmt = (const char *)(uintptr_t)r3;
	uint64_t args[MAX_ARGS];
	long n;

	if (r5 % 8 || r5 > sizeof(args))
		return (uint64_t)-EINVAL;
	if (r5)
		memcpy(args, (const void *)(uintptr_t)r4, r5);
	n = format((char *)(uintptr_t)r1, (uint32_t)r2, fmt, strlen(fmt) + 1, args, r5 / 8);
	return n < 0 ? (uint64_t)n : (uint64_t)(n + 1);
}

/* bpf_strncmp(s1, s1_sz, s2): strncmp(s1, s2, s1_sz), sign only. */
HELPER(rt_helper_strncmp)
{
	int c = strncmp((const char *)(uintptr_t)r1, (const char *)(uintptr_t)r3, (size_t)(uint32_t)r2);

	return (uint64_t)(int64_t)(c < 0 ? -1 : c > 0 ? 1 : 0);
}
