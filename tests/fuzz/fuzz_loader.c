/* SPDX-License-Identifier: MIT */
/*
 * fuzz_loader.c - libFuzzer harness over the loader's ELF and BTF paths.
 *
 * Each input is tried three ways: as a BPF object (open, then load against the
 * test host BTF when the fuzzer was started with SOPS_FUZZ_HOST_BTF set), as
 * raw or ELF BTF, and its BTF dumps. Seeds: the test objects and the host BTF
 * (tests/tool_object.sh builds the corpus). Any crash, leak or sanitizer
 * report is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <structops/btf.h>
#include <structops/object.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The loader alone: no struct_ops layer to load into a runtime with (loader_internal.h). */
struct sops_object_load_opts;
int st_object_load(struct sops_object *obj, const struct sops_object_load_opts *opts);
int st_object_load(struct sops_object *obj, const struct sops_object_load_opts *opts)
{
	return -95; /* EOPNOTSUPP */
}

void st_object_close(struct sops_object *obj);
void st_object_close(struct sops_object *obj)
{
}

static struct sops_btf *host_btf(void)
{
	static struct sops_btf *host;
	static int tried;
	const char *path = getenv("SOPS_FUZZ_HOST_BTF");

	if (!tried && path) {
		tried = 1;
		sops_btf__load_file(path, NULL, &host);
	}
	return host;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char log[256];
	struct sops_object_open_opts oo = { .sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log) };
	struct sops_object *obj = NULL;
	struct sops_btf *btf = NULL;

	if (!sops_object__open_mem(data, size, &oo, &obj)) {
		struct sops_object_load_opts lo = { .sz = sizeof(lo), .host_btf = host_btf() };

		sops_object__load(obj, &lo);
		sops_object__close(obj);
	}
	if (!sops_btf__load_mem(data, size, NULL, &btf)) {
		FILE *null = fopen("/dev/null", "w");

		if (null) {
			sops_btf__dump(btf, SOPS_BTF_DUMP_RAW, null);
			sops_btf__dump(btf, SOPS_BTF_DUMP_C, null);
			fclose(null);
		}
		sops_btf__free(btf);
	}
	return 0;
}
