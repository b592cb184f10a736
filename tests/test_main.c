/* SPDX-License-Identifier: MIT */
/*
 * test_main.c - runs every registered test, or those whose name contains argv[1].
 * Prints failures and skips as they happen and `N passed, N failed` last.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"

#define MAX_TESTS 1024

static struct {
	const char *name;
	test_fn fn;
} tests[MAX_TESTS];
static int test_cnt;
static int passed, failed, skipped;

void test_register(const char *name, test_fn fn)
{
	if (test_cnt == MAX_TESTS) {
		fprintf(stderr, "too many tests; raise MAX_TESTS\n");
		abort();
	}
	tests[test_cnt].name = name;
	tests[test_cnt].fn = fn;
	test_cnt++;
}

void test_fail(struct test_ctx *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (t->failed++)
		return;
	printf("FAIL %s (%s:%d): ", t->name, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void test_skip(struct test_ctx *t, const char *fmt, ...)
{
	va_list ap;

	t->skipped = 1;
	printf("SKIP %s: ", t->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void test_result(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void test_result_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	skipped++;
	printf("SKIP %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void test_exe_path(char *buf, size_t size, const char *rel)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n < 0) {
		snprintf(buf, size, "%s", rel);
		return;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, size, "%s/%s", exe, rel);
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < test_cnt; i++) {
		struct test_ctx t = { .name = tests[i].name };
		int before = passed + failed + skipped;

		if (filter && !strstr(tests[i].name, filter))
			continue;
		tests[i].fn(&t);
		/* A test that reported sub-results is counted through them alone. */
		if (!t.failed && !t.skipped && passed + failed + skipped != before)
			continue;
		if (t.failed)
			failed++;
		else if (t.skipped)
			skipped++;
		else
			passed++;
	}
	if (skipped)
		printf("%d skipped\n", skipped);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
