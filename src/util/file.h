/* SPDX-License-Identifier: MIT */
/*
 * file.h - reading a whole file into memory (internal).
 *
 * The BTF and object loaders both take a path; this is the one place that
 * sizes the file, bounds it and reads it completely (files such as
 * /sys/kernel/btf/vmlinux hand their bytes out in pieces).
 */
#ifndef SOPS_UTIL_FILE_H
#define SOPS_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

/*
 * read_whole_fd - read all of the open file @fd (named @path in messages), at
 * most @max bytes. Returns 0 with *@data (free() it) and *@size, or a
 * negative errno with a message naming @path.
 */
int read_whole_fd(int fd, const char *path, size_t max, uint8_t **data, size_t *size,
		  struct sops_log *log);

#endif /* SOPS_UTIL_FILE_H */
