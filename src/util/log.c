/* SPDX-License-Identifier: MIT */
/* log.c - error messages into a caller's buffer; see log.h. */
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
