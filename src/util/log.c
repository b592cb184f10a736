/* SPDX-License-Identifier: MIT */
/* log.c - error messages into a caller's buffer; see log.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

int log_err(struct sops_log *log, int err, const char *fmt, ...)
{
	va_list ap;

	if (!log || log->written || !log->buf || !log->size)
		return err;
	va_start(ap, fmt);
	vsnprintf(log->buf, log->size, fmt, ap);
	va_end(ap);
	log->written = 1;
	return err;
}

void log_buf_printf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

void log_prefix(struct sops_log *log, const char *prefix)
{
	size_t plen, mlen;

	if (!log || !log->written || !log->buf || !log->size)
		return;
	plen = strlen(prefix) + 2;
	mlen = strnlen(log->buf, log->size - 1);
	if (plen >= log->size)
		plen = log->size - 1;
	if (plen + mlen >= log->size)
		mlen = log->size - 1 - plen;
	memmove(log->buf + plen, log->buf, mlen);
	log->buf[plen + mlen] = '\0';
	memcpy(log->buf, prefix, plen >= 2 ? plen - 2 : 0);
	if (plen >= 2) {
		log->buf[plen - 2] = ':';
		log->buf[plen - 1] = ' ';
	}
}

/* The names libbpf's errstr() prints, and a few more the runtime returns. */
static const struct {
	int no;
	const char *name;
} errnames[] = {
	{ EPERM, "EPERM" },   { ENOENT, "ENOENT" },   { ESRCH, "ESRCH" },   { EINTR, "EINTR" },
	{ EIO, "EIO" },       { ENXIO, "ENXIO" },     { E2BIG, "E2BIG" },   { EBADF, "EBADF" },
	{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },   { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
	{ EBUSY, "EBUSY" },   { EEXIST, "EEXIST" },   { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
	{ ENFILE, "ENFILE" }, { EMFILE, "EMFILE" },   { EFBIG, "EFBIG" },   { ENOSPC, "ENOSPC" },
	{ ERANGE, "ERANGE" }, { ENAMETOOLONG, "ENAMETOOLONG" },             { ENOSYS, "ENOSYS" },
	{ ELOOP, "ELOOP" },   { ENOLINK, "ENOLINK" }, { EPROTO, "EPROTO" }, { EOVERFLOW, "EOVERFLOW" },
	{ ENOTSUP, "ENOTSUP" }, /* = EOPNOTSUPP; libbpf's name for it */
	{ ETIME, "ETIME" },   { EMSGSIZE, "EMSGSIZE" },                     { ENODATA, "ENODATA" },
	{ 524, "ENOTSUPP" }, /* the kernel's internal ENOTSUPP */
	{ 4002, "LIBBPF_ERRNO__RELOC" },              { 4003, "LIBBPF_ERRNO__FORMAT" },
};

const char *log_errstr(int err, char *buf)
{
	int no = err < 0 ? -err : err;

	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].no == no) {
			snprintf(buf, LOG_ERRSTR_LEN, "-%s", errnames[i].name);
			return buf;
		}
	snprintf(buf, LOG_ERRSTR_LEN, "%d", err);
	return buf;
}
