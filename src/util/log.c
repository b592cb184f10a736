/* SPDX-License-Identifier: MIT */
/* log.c - error messages into a caller's buffer; see log.h. */
#include <stdio.h>

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
