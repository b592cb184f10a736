/* SPDX-License-Identifier: MIT */
/*
 * test_plugin.c - drives `structops plugin` by the bpf_conformance plugin protocol.
 *
 * For each conformance file: assemble it, send the program as hex on stdin and
 * the memory as one hex argument, compare the hex r0 on stdout. Also checks
 * that hostile programs end with a non-zero status and a message, never a
 * crash or a hang. The tool's path comes from $STRUCTOPS_TOOL (tests/run.sh sets it).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <structops/vm.h>

#include "conformance.h"
#include "test.h"

/* Hex bytes in the protocol's form: two digits and two spaces each. */
static char *to_hex(const uint8_t *b, size_t n)
{
	char *s = malloc(n * 4 + 1), *p = s;

	if (!s)
		return NULL;
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%02x  ", b[i]);
	return s;
}

/*
 * Runs the tool with @args, feeding @in; returns the wait status, stdout in @out
 * (with stderr too when @merge_stderr).
 */
static int run_tool(char *const args[], const char *in, char *out, size_t out_size, int merge_stderr)
{
	int to_child[2], from_child[2], status = -1;
	size_t len = 0;
	pid_t pid;

	if (pipe(to_child) || pipe(from_child))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		if (merge_stderr) {
			dup2(from_child[1], 2);
		} else {
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0)
				dup2(null, 2);
		}
		close(to_child[1]);
		close(from_child[0]);
		execv(args[0], args);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	signal(SIGPIPE, SIG_IGN);
	if (write(to_child[1], in, strlen(in)) < 0) { /* the child may exit early */ }
	close(to_child[1]);
	for (;;) {
		ssize_t n = read(from_child[0], out + len, out_size - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == out_size - 1)
			break;
	}
	out[len] = '\0';
	close(from_child[0]);
	waitpid(pid, &status, 0);
	return status;
}

static const char *tool_path(void)
{
	const char *p = getenv("STRUCTOPS_TOOL");

	return p && *p ? p : NULL;
}

static void plugin_one(const char *tool, const char *engine, const struct conf_test *ct,
		       const struct sops_insn *insns, size_t cnt)
{
	char name[300], out[256];
	char *prog = to_hex((const uint8_t *)insns, cnt * sizeof(*insns));
	char *mem = ct->mem_len ? to_hex(ct->mem, ct->mem_len) : NULL;
	char *args[5] = { (char *)tool, "plugin", (char *)engine, mem, NULL };
	char *input = malloc(strlen(prog) + 2);
	int status;

	snprintf(name, sizeof(name), "plugin/%s/%s", engine + 2, ct->name);
	sprintf(input, "%s\n", prog);
	status = run_tool(args, input, out, sizeof(out), 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		test_result(name, 0, "plugin exited with status 0x%x", status);
	else {
		/* exactly one hex number and a newline: empty output must not read as r0 = 0 */
		char *end;
		uint64_t r0 = strtoull(out, &end, 16);

		test_result(name, end != out && !strcmp(end, "\n") && r0 == ct->result,
			    "r0 = \"%s\", expected 0x%" PRIx64, out, ct->result);
	}
	free(input);
	free(prog);
	free(mem);
}

TEST(plugin_conformance)
{
	const char *tool = tool_path(), *dir = conf_dir();
	char **names, path[4096];
	int cnt;

	if (!tool)
		T_SKIP("STRUCTOPS_TOOL is not set");
	cnt = conf_list(dir, &names);
	if (cnt <= 0)
		T_SKIP("conformance data not found in %s", dir);
	for (int i = 0; i < cnt; i++) {
		struct conf_test ct;
		struct sops_insn *insns = NULL;
		size_t n = 0;
		char err[256];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (conf_parse(path, &ct) || !ct.has_result ||
		    conf_program(&ct, &insns, &n, err, sizeof(err))) {
			test_result(names[i], 0, "cannot load %s", path);
			conf_test_free(&ct);
			continue;
		}
		plugin_one(tool, "--interp", &ct, insns, n);
		if (sops_jit_available())
			plugin_one(tool, "--jit", &ct, insns, n);
		free(insns);
		conf_test_free(&ct);
	}
	conf_free_names(names, cnt);
}

/* Runs hostile input through the plugin; it must fail cleanly with a message. */
static void expect_clean_failure(struct test_ctx *t, const char *what, const char *prog_hex,
				 const char *mem_hex)
{
	char *args[5] = { (char *)tool_path(), "plugin", (char *)(mem_hex ? mem_hex : "--interp"),
			  mem_hex ? "--interp" : NULL, NULL };
	char out[256], input[1024];
	int status;

	snprintf(input, sizeof(input), "%s\n", prog_hex);
	status = run_tool(args, input, out, sizeof(out), 1);
	if (!WIFEXITED(status))
		test_fail(t, __FILE__, __LINE__, "%s: plugin crashed (status 0x%x)", what, status);
	else if (WEXITSTATUS(status) != 1)
		test_fail(t, __FILE__, __LINE__, "%s: exit status %d, expected 1", what,
			  WEXITSTATUS(status));
	else if (!strstr(out, "structops plugin: "))
		test_fail(t, __FILE__, __LINE__, "%s: no message on stderr (got \"%s\")", what, out);
}

TEST(plugin_rejects_hostile_programs)
{
	if (!tool_path())
		T_SKIP("STRUCTOPS_TOOL is not set");
	/* ldxdw r0, [r1+0] with r1 = 0: a null read */
	expect_clean_failure(t, "null load", "79 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00", NULL);
	/* ldxdw r0, [r1+8] past a 4-byte buffer */
	expect_clean_failure(t, "out of bounds", "79 10 08 00 00 00 00 00 95 00 00 00 00 00 00 00",
			     "01  02  03  04  ");
	/* stxdw [r10+0], r1: just above the stack */
	expect_clean_failure(t, "stack overflow", "7b 1a 00 00 00 00 00 00 95 00 00 00 00 00 00 00", NULL);
	/* ja -1: an endless loop stops at the budget */
	expect_clean_failure(t, "endless loop", "05 00 ff ff 00 00 00 00", NULL);
	/* not hex, not whole instructions, unknown opcode, no exit */
	expect_clean_failure(t, "garbage", "zz 00", NULL);
	expect_clean_failure(t, "short", "95 00 00", NULL);
	expect_clean_failure(t, "bad opcode", "ff 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00", NULL);
	expect_clean_failure(t, "falls off", "b7 00 00 00 01 00 00 00", NULL);
	/* call helper 99, which the plugin does not have */
	expect_clean_failure(t, "unknown helper", "85 00 00 00 63 00 00 00 95 00 00 00 00 00 00 00", NULL);
	/* recursion past 8 frames */
	expect_clean_failure(t, "deep recursion", "85 10 00 00 ff ff ff ff 95 00 00 00 00 00 00 00", NULL);
}

/* Runs the tool with @argv (after `plugin`) and @prog_hex; wants exit @want and @msg in the output. */
static void expect_exit(struct test_ctx *t, const char *what, const char *const argv[],
			const char *prog_hex, int want, const char *msg)
{
	char *args[8] = { (char *)tool_path(), "plugin" };
	char out[1024], input[256];
	int status, n = 2;

	for (; *argv && n < 7; argv++)
		args[n++] = (char *)*argv;
	args[n] = NULL;
	snprintf(input, sizeof(input), "%s\n", prog_hex);
	status = run_tool(args, input, out, sizeof(out), 1);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != want)
		test_fail(t, __FILE__, __LINE__, "%s: status 0x%x, expected exit %d", what, status, want);
	else if (!strstr(out, msg))
		test_fail(t, __FILE__, __LINE__, "%s: output \"%s\" lacks \"%s\"", what, out, msg);
}

TEST(plugin_options)
{
	static const char ret7[] = "b7 00 00 00 07 00 00 00 95 00 00 00 00 00 00 00";
	static const char loop[] = "05 00 ff ff 00 00 00 00";

	if (!tool_path())
		T_SKIP("STRUCTOPS_TOOL is not set");
	expect_exit(t, "help", (const char *[]){ "--help", NULL }, "", 0, "usage: structops plugin");
	expect_exit(t, "runs", (const char *[]){ "--interp", NULL }, ret7, 0, "7\n");
	/* --budget takes effect: three instructions of an endless loop */
	expect_exit(t, "budget", (const char *[]){ "--budget", "3", NULL }, loop, 1, "budget of 3");
	expect_exit(t, "budget 0", (const char *[]){ "--budget", "0", NULL }, ret7, 2, "--budget");
	expect_exit(t, "budget junk", (const char *[]){ "--budget", "3x", NULL }, ret7, 2, "--budget");
	expect_exit(t, "elf", (const char *[]){ "--elf", NULL }, ret7, 2, "--elf");
	expect_exit(t, "unknown option", (const char *[]){ "--bogus", NULL }, ret7, 2, "unknown option");
	expect_exit(t, "two memories", (const char *[]){ "01", "02", NULL }, ret7, 2,
		    "more than one memory");
	expect_exit(t, "memory not hex", (const char *[]){ "0g", NULL }, ret7, 1, "not hex bytes");
}
