/* SPDX-License-Identifier: MIT */
/*
 * test_libbpf_msgs.c - the loader's messages people grep for use libbpf's
 * current words and errnos (issue 12 item 4): missing __ksym functions and
 * variables, an extern with no BTF, a map the runtime cannot create, a program the runtime refuses
 * (with its verifier message after libbpf's prefix), the errno names in
 * them. The struct_ops init_kern and reuse messages are checked in
 * test_loader.c (loader_struct_ops_rules), the kconfig ones in
 * test_kconfig.c, the not-created map one in both.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <structops/btf.h>
#include <structops/object.h>
#include <structops/runtime.h>
#include <structops/struct_ops.h>

#include "test.h"
#include "testmod/st_host_api.h"
#include "util/log.h"

static void test_file(char *buf, size_t n, const char *dir, const char *name)
{
	char d[PATH_MAX];

	test_exe_path(d, sizeof(d), dir);
	snprintf(buf, n, "%s/%s", d, name);
}

/* Open tests/bpf/@name, load it into a fresh runtime on the test host's BTF; the load error and log. */
static int load_bpf(const char *name, char *log, size_t log_size)
{
	struct sops_object_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = log_size };
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .verifier_strict = true };
	struct sops_runtime *rt = NULL;
	struct sops_object *obj = NULL;
	struct sops_btf *host = NULL;
	char path[PATH_MAX + 64];
	int err;

	log[0] = 0;
	test_file(path, sizeof(path), "bpf", "host.btf");
	err = sops_btf__load_file(path, NULL, &host);
	if (!err) {
		ro.host_btf = sops_btf__libbpf(host);
		err = sops_runtime__new(&ro, &rt);
	}
	test_file(path, sizeof(path), "bpf", name);
	if (!err)
		err = sops_object__open_file(path, NULL, &obj);
	if (!err) {
		lo.runtime = rt;
		err = sops_object__load(obj, &lo);
	} else {
		snprintf(log, log_size, "setup failed: %d", err);
		err = 1; /* not an errno any check expects */
	}
	sops_object__close(obj);
	sops_runtime__free(rt);
	sops_btf__free(host);
	return err;
}

TEST(libbpf_msg_missing_ksym)
{
	char log[512];
	int err;

	err = load_bpf("ksym_missing_func.v3.o", log, sizeof(log));
	T_EQ(err, -ESRCH);
	/* the weak one (no_such_weak_kfunc) is fine: only the strong one is named */
	if (!strstr(log, "extern (func ksym) 'no_such_kfunc': not found in kernel or module BTFs"))
		T_FAIL("log: %s", log);
	err = load_bpf("ksym_missing_var.v4.o", log, sizeof(log));
	T_EQ(err, -ESRCH);
	if (!strstr(log, "extern (var ksym) 'no_such_var': not found in kernel BTF"))
		T_FAIL("log: %s", log);
}

/* An extern that is neither __ksym nor __kconfig: open fails, as in libbpf. */
TEST(libbpf_msg_extern_without_btf)
{
	struct sops_object_open_opts o = { .sz = sizeof(o) };
	struct sops_object *obj = NULL;
	char path[PATH_MAX + 64], log[512] = "";
	int err;

	o.log_buf = log;
	o.log_size = sizeof(log);
	test_file(path, sizeof(path), "bpf", "extern_plain.v3.o");
	err = sops_object__open_file(path, &o, &obj);
	T_EQ(err, -ENOENT);
	T_ASSERT(!obj);
	if (!strstr(log, "failed to find BTF for extern 'plain_extern': -2"))
		T_FAIL("log: %s", log);
}

/* A struct_ops slot bound to a program of another type: open fails, as in libbpf. */
TEST(libbpf_msg_struct_ops_reloc_not_struct_ops)
{
	struct sops_object_open_opts o = { .sz = sizeof(o) };
	struct sops_object *obj = NULL;
	char path[PATH_MAX + 64], log[512] = "";
	int err;

	o.log_buf = log;
	o.log_size = sizeof(log);
	test_file(path, sizeof(path), "bpf", "st_reloc_syscall.v4.o");
	err = sops_object__open_file(path, &o, &obj);
	T_EQ(err, -EINVAL);
	if (!strstr(log, "struct_ops reloc ops_bad: prog not_an_op is not struct_ops BPF program"))
		T_FAIL("log: %s", log);
}

TEST(libbpf_msg_map_failed_to_create)
{
	char log[512];
	int err = load_bpf("map_unsupported.v3.o", log, sizeof(log));

	T_EQ(err, -EINVAL);
	if (strcmp(log, "map 'stack': failed to create: -EINVAL"))
		T_FAIL("log: %s", log);
}

/* A program the runtime refuses: libbpf's prefix, the errno's name, then the reason. */
TEST(libbpf_msg_prog_failed_to_load)
{
	struct sops_object_load_opts lo = { .sz = sizeof(lo) };
	struct sops_runtime_opts ro = { .sz = sizeof(ro), .verifier_strict = true };
	struct sops_runtime *rt = NULL;
	struct sops_object *obj = NULL;
	struct sops_btf *host = NULL;
	char path[PATH_MAX + 64], log[1024] = "";
	int err;

	test_file(path, sizeof(path), "st", "st_host.btf");
	T_EQ(sops_btf__load_file(path, NULL, &host), 0);
	ro.host_btf = sops_btf__libbpf(host);
	T_EQ(sops_runtime__new(&ro, &rt), 0);
	T_EQ(st_host_register(rt, sops_btf__libbpf(host)), 0);
	test_file(path, sizeof(path), "st", "st_dummy_fail_sleep.v3.o");
	T_EQ(sops_object__open_file(path, NULL, &obj), 0);
	lo.log_buf = log;
	lo.log_size = sizeof(log);
	err = sops_object__load_runtime(obj, rt, &lo);
	T_ASSERT(err < 0);
	{
		char want[128], ebuf[LOG_ERRSTR_LEN];

		snprintf(want, sizeof(want), "prog 'test_2_sleepable': failed to load: %s: ",
			 log_errstr(err, ebuf));
		if (strncmp(log, want, strlen(want)) || !strstr(log, "attach to unsupported member test_2"))
			T_FAIL("%d: log: %s (expected it to start with '%s')", err, log, want);
	}
	sops_object__close(obj);
	sops_runtime__free(rt);
	sops_btf__free(host);
}

/* libbpf's errstr(): names for the errnos it knows, the number otherwise. */
TEST(libbpf_msg_errstr)
{
	char b[LOG_ERRSTR_LEN];

	T_STREQ(log_errstr(-EINVAL, b), "-EINVAL");
	T_STREQ(log_errstr(-EOPNOTSUPP, b), "-ENOTSUP");
	T_STREQ(log_errstr(-524, b), "-ENOTSUPP");
	T_STREQ(log_errstr(-ESRCH, b), "-ESRCH");
	T_STREQ(log_errstr(-4002, b), "-LIBBPF_ERRNO__RELOC");
	T_STREQ(log_errstr(-12345, b), "-12345");
}
