/* SPDX-License-Identifier: MIT */
/*
 * jit_perf.c - entries in /tmp/perf-<pid>.map so `perf report` names JIT code.
 *
 * perf reads that file for anonymous executable memory: one line per symbol,
 * "START SIZE NAME" with START and SIZE in hex. Entries are opt-in: the vm
 * option perf_map_name, or STRUCTOPS_PERF_MAP=1 in the environment (then the
 * name is "structops_jit"). Each function of an image gets its own line; a
 * subprogram's name is the program's with "_sub<slot>" appended.
 *
 * Each line goes out in one write() on an O_APPEND descriptor, so threads
 * compiling at once never interleave inside a line. Entries are never
 * removed (perf's format has no removal); a freed image's range may later be
 * reused and named again, which is what perf expects.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit.h"

#define JIT_PERF_DEFAULT_NAME "structops_jit"

static bool env_enabled(void)
{
	const char *v = getenv("STRUCTOPS_PERF_MAP");

	return v && *v && strcmp(v, "0") != 0;
}

bool jit_perf_enabled(const struct jit_opts *opts)
{
	return (opts && opts->perf_map_name) || env_enabled();
}

void jit_perf_add(const struct jit_opts *opts, const void *start, size_t size, const char *suffix)
{
	const char *name = opts && opts->perf_map_name ? opts->perf_map_name : JIT_PERF_DEFAULT_NAME;
	char path[64], line[320];
	int fd, len;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	len = snprintf(line, sizeof(line), "%lx %zx %s%s\n", (unsigned long)(uintptr_t)start, size,
		       name, suffix ? suffix : "");
	if (len <= 0)
		return;
	if (len >= (int)sizeof(line)) {
		len = (int)sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return; /* profiling aid only: never fail a compile over it */
	if (write(fd, line, (size_t)len) < 0) {
		/* nothing useful to do */
	}
	close(fd);
}
