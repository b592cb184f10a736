/* SPDX-License-Identifier: MIT */
/*
 * log.h - error messages into a caller's buffer (internal).
 *
 * Public entry points take a (buf, size) pair in their opts, libbpf style. A
 * failing step writes one message naming the problem and where it is; the
 * first message wins, so the root cause is what the caller reads.
 */
#ifndef SOPS_UTIL_LOG_H
#define SOPS_UTIL_LOG_H

#include <stdarg.h>
#include <stddef.h>

struct sops_log {
	char *buf;
	size_t size;
	int written; /* a message is already in buf */
};

/* Record a message unless one is there already. Returns @err, for `return log_err(...)`. */
int log_err(struct sops_log *log, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "@prefix: " in front of the message already recorded (no-op without one). */
void log_prefix(struct sops_log *log, const char *prefix);

/* The same, into a plain (buf, size) pair; NULL buf is fine. */
void log_buf_printf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A negative errno as libbpf's messages print it: "-EINVAL", libbpf's own
 * codes as "-LIBBPF_ERRNO__RELOC"..., others as "-N". Written into @buf
 * (at least LOG_ERRSTR_LEN bytes), which is returned. Thread-safe.
 */
#define LOG_ERRSTR_LEN 32
const char *log_errstr(int err, char *buf);

#endif /* SOPS_UTIL_LOG_H */
