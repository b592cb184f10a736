/* SPDX-License-Identifier: MIT */
/* file.c - reading a whole file into memory; see file.h. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "file.h"

int read_whole_fd(int fd, const char *path, size_t max, uint8_t **data, size_t *size,
		  struct sops_log *log)
{
	off_t end = lseek(fd, 0, SEEK_END);
	size_t done = 0;
	uint8_t *buf;

	if (end < 0)
		return log_err(log, -errno, "%s: cannot size the file", path);
	if ((uint64_t)end > max)
		return log_err(log, -E2BIG, "%s: %lld bytes, more than the %zu allowed", path,
			       (long long)end, max);
	buf = malloc(end ? (size_t)end : 1);
	if (!buf)
		return log_err(log, -ENOMEM, "%s: out of memory for %lld bytes", path, (long long)end);
	while (done < (size_t)end) {
		ssize_t n = pread(fd, buf + done, (size_t)end - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return log_err(log, -EIO, "%s: short read", path);
		}
		done += (size_t)n;
	}
	*data = buf;
	*size = done;
	return 0;
}
