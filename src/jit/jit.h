/* SPDX-License-Identifier: MIT */
/*
 * jit.h - the JIT's interface to the rest of the library (internal).
 *
 * vm.c calls jit_compile() on a prepared program (struct sops_vm: resolved
 * slots, call targets, helper table) and keeps the returned image until
 * sops_vm__free() calls jit_image_free(). The image owns its executable
 * memory, the instruction-to-code offset table (for `disasm --jited`) and
 * nothing else; it never points back into the vm.
 *
 * Layout of the files:
 *   x86.h/x86.c      the x86-64 instruction encoder
 *   jit_x86.c        BPF -> x86-64 translation (analysis, passes, emitters)
 *   jit_mem.c        executable memory: map RW, write, seal RX, unmap
 *   jit_perf.c       /tmp/perf-<pid>.map entries
 *   jit_blind.c      the per-image key for constant blinding
 *   jit_entry.c      native-calling-convention entries (struct_ops members)
 */
#ifndef SOPS_JIT_JIT_H
#define SOPS_JIT_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <structops/vm.h>

#include "../util/log.h"
#include "../vm/func_model.h"

struct sops_vm;
struct jit_image;

struct jit_opts {
	bool blinding;              /* rewrite every immediate as (imm ^ key) ^ key */
	const char *perf_map_name;  /* perf map entry name, or NULL (see jit_perf.c) */
	/*
	 * Enter main with this native calling convention instead of r1..r5: the
	 * arguments become a u64 context array and r1 points to it; r0 is
	 * narrowed at exit (see jit_entry.c). NULL: the usual entry.
	 */
	const struct func_model *native_entry;
};

/*
 * jit_compile - translate @vm's slots to x86-64 and return the sealed image
 * in *@out. Reads vm->insns, insn_cnt, call_fn, helper_by_id, helper_id_cnt
 * and aux; writes nothing to @vm. Returns 0 or a negative errno (-EOPNOTSUPP
 * on a machine without the JIT, -EINVAL for an instruction it cannot
 * translate, -ENOMEM), with a message in @log. Thread-safe.
 */
int jit_compile(const struct sops_vm *vm, const struct jit_opts *opts, struct sops_log *log,
		struct jit_image **out);

/* The native entry point of @img. */
sops_jit_fn jit_image_entry(const struct jit_image *img);

/* The machine code of @img and its size in bytes. */
const void *jit_image_code(const struct jit_image *img, size_t *size);

/*
 * Code offset of slot @idx (where its translation starts), or -1 for the
 * second slot of an lddw and for indices out of range. Offsets increase with
 * the slot index; a function's prologue sits before its first slot's offset.
 */
long jit_image_insn_offset(const struct jit_image *img, size_t idx);

/*
 * jit_image_free - unmap @img's code and free it (NULL is fine). The caller
 * guarantees no thread still runs the code (sops_vm__free's contract; the
 * struct_ops layer waits for an RCU grace period before calling this).
 */
void jit_image_free(struct jit_image *img);

/* Whether @img was compiled with constant blinding. */
bool jit_image_blinded(const struct jit_image *img);

/* Whether the JIT can run on this machine (x86-64 build). */
bool jit_supported(void);

/* ---- pieces shared between the JIT's files ---- */

/* jit_mem.c: executable memory. */
void *jit_mem_alloc(size_t size, const void *near);
int jit_mem_seal(void *mem, size_t size);
size_t jit_mem_trim(void *mem, size_t mapped, size_t used);
void jit_mem_free(void *mem, size_t size);
size_t jit_mem_round(size_t size);

/*
 * jit_entry.c: store the arguments of a native call (see jit_opts.native_entry)
 * into the context array at [@base + @ctx_off] and point rdi at it (stack
 * arguments start at [@base + @args_off]); narrow rax to the return type at an
 * exit.
 */
struct jit_buf;
void jit_entry_spill(struct jit_buf *b, const struct func_model *m, int base, int32_t ctx_off,
		     int32_t args_off);
void jit_entry_narrow(struct jit_buf *b, const struct func_model *m);
/* Worst-case bytes of jit_entry_spill() for @m (main's prologue adds them). */
size_t jit_entry_spill_max(const struct func_model *m);

/*
 * jit_entry_ctx_in_regs - whether main (slots [0, @end)) can do without the
 * context array: it reads the context only through leading 4- or 8-byte
 * loads of register-passed slots (no jump returns to them) and r1 is never
 * read afterwards while it may still hold the context. Then those loads
 * become register moves (@load_reg[i]: the x86 register slot i reads), the
 * prologue only widens the arguments (jit_entry_spill with @ctx_off
 * JIT_ENTRY_CTX_IN_REGS) and the frame reserves nothing for the array: an
 * ops call into `return x + 1` costs what a C function does. Returns the
 * number of leading loads, or -1 when the array is needed (or on ENOMEM).
 */
#define JIT_ENTRY_CTX_IN_REGS INT32_MIN
int jit_entry_ctx_in_regs(const struct sops_insn *insns, uint32_t end, const struct func_model *m,
			  int8_t *load_reg);

/* jit_blind.c: a fresh random 64-bit key for one image (never 0). */
uint64_t jit_blind_key(void);

/* jit_perf.c: whether perf entries are wanted, and writing one entry. */
bool jit_perf_enabled(const struct jit_opts *opts);
void jit_perf_add(const struct jit_opts *opts, const void *start, size_t size, const char *suffix);

#endif /* SOPS_JIT_JIT_H */
