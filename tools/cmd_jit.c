/* SPDX-License-Identifier: MIT */
/*
 * cmd_jit.c - `structops disasm --jited`: the machine code the JIT makes for
 * a program, each BPF instruction followed by its x86-64 translation.
 *
 * The program is compiled exactly as `bench --jit` would, except that calls
 * get stand-in targets so any program can be shown: every helper id it calls
 * maps to one stub helper, every kfunc to one stub kfunc, and pseudo lddw
 * slots resolve to 0. Their addresses appear in the listing as such.
 *
 * The instructions are decoded by objdump (binutils) on a temporary file of
 * the image; without objdump the listing shows the bytes of each BPF
 * instruction in hex instead. (A libcapstone build could decode in-process;
 * objdump avoids a new build dependency.)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <structops/asm.h>
#include <structops/vm.h>

#include "../src/isa/opcodes.h"
#include "../src/jit/jit.h"
#include "../src/vm/vm_internal.h"
#include "commands.h"

static uint64_t stub_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			    void *aux)
{
	return 0;
}

static uint64_t stub_kfunc(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	return 0;
}

static int stub_kfunc_resolve(void *ctx, int32_t btf_id, int16_t btf_slot, sops_kfunc_fn *fn)
{
	*fn = stub_kfunc;
	return 0;
}

static int stub_ld_resolve(void *ctx, const struct sops_insn *insn, size_t idx, uint64_t *value)
{
	*value = 0;
	return 0;
}

/* One stub entry per distinct helper id the program calls. */
static struct sops_helper *stub_helpers(const struct sops_insn *insns, size_t cnt, size_t *nr)
{
	struct sops_helper *h = calloc(cnt ? cnt : 1, sizeof(*h));
	size_t n = 0;

	if (!h)
		return NULL;
	for (size_t i = 0; i < cnt; i++) {
		bool seen = false;

		if (insns[i].code != OPC_CALL_INSN || insns[i].src_reg != SOPS_CALL_HELPER)
			continue;
		for (size_t k = 0; k < n; k++)
			seen |= h[k].id == (uint32_t)insns[i].imm;
		if (!seen && (uint32_t)insns[i].imm < VM_HELPER_ID_LIMIT)
			h[n++] = (struct sops_helper){ (uint32_t)insns[i].imm, "stub", stub_helper, NULL };
	}
	*nr = n;
	return h;
}

/* Print the BPF slots whose code starts at or before @upto (code offset), once each. */
static void bpf_headers(FILE *out, const struct sops_vm *vm, size_t *next, long upto)
{
	char text[128];

	while (*next < vm->insn_cnt) {
		long off = jit_image_insn_offset(vm->jit, *next);
		int slots;

		if (off < 0) {
			(*next)++;
			continue;
		}
		if (off > upto)
			break;
		slots = sops_disasm__insn(vm->insns, vm->insn_cnt, *next, text, sizeof(text));
		fprintf(out, "; %4zu: %s\n", *next, text);
		*next += slots > 0 ? (size_t)slots : 1;
	}
}

/*
 * Fallback without objdump: the bytes of each slot's translation, up to the
 * next slot's (so a subprogram's prologue shows with the slot before it).
 */
static void dump_hex(FILE *out, const struct sops_vm *vm, const uint8_t *code, size_t size)
{
	long pos = 0;

	for (size_t i = 0; i < vm->insn_cnt; i++) {
		long start = jit_image_insn_offset(vm->jit, i), end = (long)size;
		size_t at = i;

		if (start < 0)
			continue;
		for (size_t j = i + 1; j < vm->insn_cnt; j++) {
			if (jit_image_insn_offset(vm->jit, j) >= 0) {
				end = jit_image_insn_offset(vm->jit, j);
				break;
			}
		}
		if (start > pos) {
			fprintf(out, "  %5lx:", pos);
			for (long k = pos; k < start; k++)
				fprintf(out, " %02x", code[k]);
			fprintf(out, "   (prologue)\n");
		}
		bpf_headers(out, vm, &at, start);
		fprintf(out, "  %5lx:", start);
		for (long k = start; k < end; k++)
			fprintf(out, " %02x", code[k]);
		fprintf(out, "\n");
		pos = end;
	}
}

static int dump_objdump(FILE *out, const struct sops_vm *vm, const void *code, size_t size)
{
	char path[] = "/tmp/structops-jit-XXXXXX", cmd[512], line[512];
	size_t next = 0;
	FILE *p;
	int fd, status;
	bool any = false;

	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	if (write(fd, code, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "objdump -D -b binary -m i386:x86-64 --no-show-raw-insn -M att '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p) {
		unlink(path);
		return -errno;
	}
	while (fgets(line, sizeof(line), p)) {
		char *colon = strchr(line, ':');
		char *end;
		long off;

		/* instruction lines look like "   1a:\tmov    %rsp,%rbp" */
		if (!colon || line[0] != ' ')
			continue;
		off = strtol(line, &end, 16);
		if (end != colon)
			continue;
		bpf_headers(out, vm, &next, off);
		fputs(line, out);
		any = true;
	}
	status = pclose(p);
	unlink(path);
	return any && status == 0 ? 0 : -ENOENT;
}

/*
 * tool_disasm_jited - compile @insns with the JIT (stand-in call targets) and
 * print the interleaved listing to @out. Returns 0 or a negative errno, with
 * the reason on stderr.
 */
int tool_disasm_jited(FILE *out, const struct sops_insn *insns, size_t insn_cnt, bool blinding)
{
	struct sops_vm_opts opts = { .sz = sizeof(opts), .engine = SOPS_ENGINE_JIT };
	struct sops_helper *helpers;
	struct sops_vm *vm = NULL;
	const void *code;
	char log[256] = "";
	size_t nh = 0, size = 0;
	int err;

	if (!sops_jit_available()) {
		fprintf(stderr, "structops disasm: JIT not available\n");
		return -EOPNOTSUPP;
	}
	helpers = stub_helpers(insns, insn_cnt, &nh);
	if (!helpers)
		return -ENOMEM;
	opts.helpers = helpers;
	opts.helper_cnt = nh;
	opts.kfunc_resolve = stub_kfunc_resolve;
	opts.ld_imm64_resolve = stub_ld_resolve;
	opts.jit_blinding = blinding;
	opts.log_buf = log;
	opts.log_size = sizeof(log);
	err = sops_vm__create(insns, insn_cnt, &opts, &vm);
	if (err) {
		fprintf(stderr, "structops disasm: cannot compile: %s\n", log[0] ? log : strerror(-err));
		free(helpers);
		return err;
	}
	code = sops_vm__jit_image(vm, &size);
	fprintf(out, "; %zu BPF slots -> %zu bytes of x86-64 at %p%s\n", insn_cnt, size, code,
		blinding ? " (constants blinded)" : "");
	fprintf(out, "; helper calls go to a stub at %p, kfunc calls to %p\n",
		(void *)(uintptr_t)stub_helper, (void *)(uintptr_t)stub_kfunc);
	fflush(out);
	if (dump_objdump(out, vm, code, size)) {
		fprintf(out, "; (objdump not found: raw bytes per instruction)\n");
		dump_hex(out, vm, code, size);
	}
	sops_vm__free(vm);
	free(helpers);
	return 0;
}
