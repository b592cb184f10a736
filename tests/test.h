/* SPDX-License-Identifier: MIT */
/*
 * test.h - the project's minimal unit-test framework.
 *
 * A test is a function declared with TEST(name); it registers itself before
 * main(). Assertions record the first failure and return from the test. A
 * test may also report sub-results (one per conformance file, say) with
 * test_result(). The runner prints one line per failure or skip and ends with
 * `N passed, N failed`.
 */
#ifndef SOPS_TEST_H
#define SOPS_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct test_ctx {
	const char *name;
	int failed;
	int skipped;
};

typedef void (*test_fn)(struct test_ctx *t);

void test_register(const char *name, test_fn fn);
void test_fail(struct test_ctx *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void test_skip(struct test_ctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Count a named sub-result on its own; @ok zero prints the message as a failure. */
void test_result(const char *name, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * Write "<directory of the test binary>/@rel" into @buf: test data (BPF objects,
 * modules) is built next to the binary. Falls back to "@rel" when /proc is missing.
 */
void test_exe_path(char *buf, size_t size, const char *rel);
/* Count a named sub-test as skipped, with the reason. */
void test_result_skip(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define TEST(fn)                                                                                   \
	static void fn(struct test_ctx *t);                                                        \
	__attribute__((constructor)) static void register_##fn(void) { test_register(#fn, fn); }   \
	static void fn(struct test_ctx *t)

#define T_FAIL(...)                                                                                \
	do {                                                                                       \
		test_fail(t, __FILE__, __LINE__, __VA_ARGS__);                                     \
		return;                                                                            \
	} while (0)

#define T_ASSERT(cond)                                                                             \
	do {                                                                                       \
		if (!(cond))                                                                       \
			T_FAIL("assertion failed: %s", #cond);                                     \
	} while (0)

#define T_EQ(a, b)                                                                                 \
	do {                                                                                       \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                   \
		if (a_ != b_)                                                                      \
			T_FAIL("%s == 0x%" PRIx64 ", expected %s == 0x%" PRIx64, #a, a_, #b, b_);  \
	} while (0)

#define T_STREQ(a, b)                                                                              \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (strcmp(a_, b_))                                                                \
			T_FAIL("%s is \"%s\", expected \"%s\"", #a, a_, b_);                       \
	} while (0)

#define T_SKIP(...)                                                                                \
	do {                                                                                       \
		test_skip(t, __VA_ARGS__);                                                         \
		return;                                                                            \
	} while (0)

#endif /* SOPS_TEST_H */
