/* SPDX-License-Identifier: MIT */
/*
 * isa_demo.c - `make demo` until the struct_ops example exists: the ISA core end to end.
 *
 * Assembles an FNV-1a hash in the conformance syntax, prints its disassembly,
 * runs it on every engine this build has and checks each answer against the
 * same hash in C, then feeds the checked interpreter a hostile program to show
 * that it is stopped with a message instead of crashing the host.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <structops/asm.h>
#include <structops/vm.h>

/* r1 = buffer, r2 = length; returns the 64-bit FNV-1a hash of the buffer. */
static const char fnv1a_src[] =
	"lddw %r0, 0xcbf29ce484222325\n"
	"lddw %r3, 0x100000001b3\n"
	"jeq %r2, 0, done\n"
	"loop:\n"
	"ldxb %r4, [%r1]\n"
	"xor %r0, %r4\n"
	"mul %r0, %r3\n"
	"add %r1, 1\n"
	"sub %r2, 1\n"
	"jne %r2, 0, loop\n"
	"done:\n"
	"exit\n";

/* Reads 8 bytes just past the end of its input. */
static const char hostile_src[] = "ldxdw %r0, [%r1+16]\nexit\n";

static uint64_t fnv1a_c(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static int run(const char *label, const struct sops_insn *insns, size_t cnt, enum sops_engine engine,
	       bool checked, uint8_t *buf, size_t len, uint64_t expect)
{
	char log[256] = "", fault[256] = "";
	struct sops_vm_opts opts = { .sz = sizeof(opts), .engine = engine, .checked = checked,
				     .log_buf = log, .log_size = sizeof(log) };
	struct sops_mem_region region = { (uintptr_t)buf, len, false };
	struct sops_vm_run_opts r = { .sz = sizeof(r), .args = { (uintptr_t)buf, len },
				      .regions = &region, .region_cnt = 1,
				      .fault_buf = fault, .fault_size = sizeof(fault) };
	struct sops_vm *vm;
	int err = sops_vm__create(insns, cnt, &opts, &vm);

	if (err) {
		printf("  %-22s cannot prepare: %s\n", label, log);
		return err;
	}
	err = sops_vm__run(vm, &r);
	sops_vm__free(vm);
	if (err) {
		printf("  %-22s stopped (%s): %s\n", label, strerror(-err), fault);
		return err;
	}
	printf("  %-22s r0 = 0x%016llx  %s\n", label, (unsigned long long)r.retval,
	       r.retval == expect ? "(matches C)" : "(WRONG)");
	return r.retval == expect ? 0 : -EINVAL;
}

int main(void)
{
	static const char text[] = "structops runs BPF in userspace";
	struct sops_insn *insns, *bad;
	size_t cnt, bad_cnt;
	char err[256];
	uint64_t expect = fnv1a_c((const uint8_t *)text, sizeof(text) - 1);
	int failed = 0;

	if (sops_asm__parse(fnv1a_src, &insns, &cnt, err, sizeof(err)) ||
	    sops_asm__parse(hostile_src, &bad, &bad_cnt, err, sizeof(err))) {
		fprintf(stderr, "isa_demo: %s\n", err);
		return 1;
	}
	printf("FNV-1a in BPF, %zu instruction slots:\n", cnt);
	sops_disasm__dump(stdout, insns, cnt, &(struct sops_disasm_opts){ .sz = sizeof(struct sops_disasm_opts), .show_index = 1 });

	printf("\nhashing \"%s\":\n", text);
	failed |= run("interpreter", insns, cnt, SOPS_ENGINE_INTERP, false, (uint8_t *)text,
		      sizeof(text) - 1, expect) != 0;
	failed |= run("checked interpreter", insns, cnt, SOPS_ENGINE_INTERP, true, (uint8_t *)text,
		      sizeof(text) - 1, expect) != 0;
	if (sops_jit_available())
		failed |= run("JIT", insns, cnt, SOPS_ENGINE_JIT, false, (uint8_t *)text,
			      sizeof(text) - 1, expect) != 0;
	else
		printf("  %-22s not in this build\n", "JIT");

	printf("\na hostile program reading past its 16-byte input, checked mode:\n");
	failed |= run("checked interpreter", bad, bad_cnt, SOPS_ENGINE_INTERP, true, (uint8_t *)text, 16,
		      0) != -EFAULT;
	free(insns);
	free(bad);
	printf("\n%s\n", failed ? "demo FAILED" : "demo OK");
	return failed;
}
