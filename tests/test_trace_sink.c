/* SPDX-License-Identifier: MIT */
/*
 * test_trace_sink.c - where bpf_trace_printk (bpf_printk) output goes.
 * The default sink (stderr) prints each message as a line, as the kernel's
 * trace_pipe shows it: a newline is added when the format lacks one, never
 * doubled when it has one (issue 12 item 7). A host's sink gets the message
 * as formatted, with nothing added.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <structops/bpf.h>
#include <structops/runtime.h>

#include "test.h"
#include "test_rt_util.h"

/*
 * Three messages from one run: "a" (no newline), "b\n", "c=%d" with 7.
 * Each is built on the stack from an 8-byte immediate.
 */
static const struct sops_insn printk3[] = {
	LD_IMM64(1, 0x61ull), /* "a\0" */
	STX_DW(10, 1, -8), MOV_REG(1, 10), ADD_IMM(1, -8), MOV_IMM(2, 2), CALL(6),
	LD_IMM64(1, 0x0a62ull), /* "b\n\0" */
	STX_DW(10, 1, -8), MOV_REG(1, 10), ADD_IMM(1, -8), MOV_IMM(2, 3), CALL(6),
	LD_IMM64(1, 0x64253d63ull), /* "c=%d\0" */
	STX_DW(10, 1, -8), MOV_REG(1, 10), ADD_IMM(1, -8), MOV_IMM(2, 5), MOV_IMM(3, 7), CALL(6),
	MOV_IMM(0, 0), EXIT(),
};

/* Run printk3 on @jit with the default sink; what reached fd 2, in @out. */
static int run_default_sink(bool jit, char *out, size_t size)
{
	struct sops_runtime *rt = rt_test_new(jit);
	FILE *tmp = tmpfile();
	int saved = -1, pfd, err = -EIO;
	uint32_t ret = 1;
	size_t n;

	if (!rt || !tmp)
		goto out;
	pfd = rt_test_load(rt, printk3, NINSN(printk3), NULL, 0);
	if (pfd < 0) {
		err = pfd;
		goto out;
	}
	fflush(stderr);
	saved = dup(2);
	if (saved < 0 || dup2(fileno(tmp), 2) < 0)
		goto out;
	err = rt_test_run(rt, pfd, NULL, 0, &ret);
	fflush(stderr);
	dup2(saved, 2);
	if (!err && ret)
		err = -EIO;
	rewind(tmp);
	n = fread(out, 1, size - 1, tmp);
	out[n] = 0;
out:
	if (saved >= 0)
		close(saved);
	if (tmp)
		fclose(tmp);
	sops_runtime__free(rt);
	return err;
}

TEST(trace_default_sink_lines)
{
	for (int jit = 0; jit < 2; jit++) {
		char out[256];
		int err;

		if (jit && !sops_jit_available())
			continue;
		err = run_default_sink(jit, out, sizeof(out));
		if (err)
			T_FAIL("%s: run %d", jit ? "jit" : "interp", err);
		/* one line each; "b\n" keeps its single newline */
		T_STREQ(out, "a\nb\nc=7\n");
	}
}

static char got[3][32];
static int got_cnt;

static void host_sink(void *ctx, const char *msg, size_t len)
{
	(void)ctx;
	if (got_cnt < 3)
		snprintf(got[got_cnt], sizeof(got[0]), "%.*s", (int)len, msg);
	got_cnt++;
}

/* A host's sink sees the messages exactly as formatted. */
TEST(trace_host_sink_verbatim)
{
	struct sops_runtime *rt = rt_test_new(false);
	uint32_t ret = 1;
	int pfd;

	T_ASSERT(rt);
	got_cnt = 0;
	sops_runtime__set_trace_sink(rt, host_sink, NULL);
	pfd = rt_test_load(rt, printk3, NINSN(printk3), NULL, 0);
	T_ASSERT(pfd > 0);
	T_EQ(rt_test_run(rt, pfd, NULL, 0, &ret), 0);
	T_EQ(ret, 0);
	T_EQ(got_cnt, 3);
	T_STREQ(got[0], "a");
	T_STREQ(got[1], "b\n");
	T_STREQ(got[2], "c=7");
	sops_close(rt, pfd);
	sops_runtime__free(rt);
}
