/* SPDX-License-Identifier: MIT */
/*
 * interp_loop.h - the interpreter's execution loop, as a template (internal).
 *
 * interp.c includes this file twice: once with INTERP_CHECKED 0 for verified
 * programs, once with 1 for bytecode nobody verified. The checked copy adds an
 * instruction budget to every dispatch and a bounds check to every memory
 * access; the fast copy has neither. One source keeps the two in step.
 *
 * Parameters: INTERP_CHECKED (0 or 1) and INTERP_FN (the function's name).
 *
 * The function also hands out its label table (when @labels is not NULL), which
 * interp.c stores into each vm_op so the loop jumps straight to handlers.
 */

#define DST r[op->dst]
#define SRC r[op->src]
#define DISPATCH_NOW goto *op->h
#if INTERP_CHECKED
#define DISPATCH                                                                                   \
	do {                                                                                       \
		if (__builtin_expect(--budget == 0, 0))                                            \
			goto fault_budget;                                                         \
		DISPATCH_NOW;                                                                      \
	} while (0)
#define MEMCHK(addr, n, wr)                                                                        \
	do {                                                                                       \
		fault_addr = (addr);                                                               \
		fault_len = (n);                                                                   \
		fault_write = (wr);                                                                \
		if (!vm_mem_allowed(vm, fault_addr, (n), (wr), stack_end - (depth + 1) * SOPS_STACK_SIZE,  \
				 stack_end, regions, region_cnt))                                  \
			goto fault_mem;                                                            \
	} while (0)
/* Helper arguments by prototype (call_check.c), against the same memory as MEMCHK. */
#define CALL_CHECK(id)                                                                             \
	({                                                                                         \
		const struct vm_mem_view mv = { stack_end - (depth + 1) * SOPS_STACK_SIZE,         \
						stack_end, regions, region_cnt, entry_ctx };       \
		int cc_err = vm_call_check(vm, (id), r, &mv, fault);                               \
		if (cc_err)                                                                        \
			fault->pc = (uint32_t)(op - vm->ops);                                      \
		cc_err;                                                                            \
	})
/* kfunc arguments by their BTF kinds and the run's host objects (kfunc_check.c). */
#define KFUNC_CHECK()                                                                              \
	({                                                                                         \
		const struct vm_mem_view mv = { stack_end - (depth + 1) * SOPS_STACK_SIZE,         \
						stack_end, regions, region_cnt, entry_ctx };       \
		int kc_err = vm_kfunc_check(vm, (size_t)(op - vm->ops), r, &mv, &host_objs, fault); \
		if (kc_err)                                                                        \
			fault->pc = (uint32_t)(op - vm->ops);                                      \
		kc_err;                                                                            \
	})
/* The references a run must not end holding (kfunc_check.c). */
#define KFUNC_EXIT()                                                                               \
	({                                                                                         \
		const struct vm_mem_view mv = { stack_end - SOPS_STACK_SIZE, stack_end, regions,   \
						region_cnt, entry_ctx };                           \
		vm_kfunc_exit(vm, &mv, &host_objs, r[0], fault);                                  \
	})
#define ATOMIC_CHK(addr, n)                                                                        \
	do {                                                                                       \
		MEMCHK(addr, n, 1);                                                                \
		if ((addr) & ((n) - 1))                                                            \
			goto fault_align;                                                          \
	} while (0)
#else
#define DISPATCH DISPATCH_NOW
#define MEMCHK(addr, n, wr) ((void)0)
#define ATOMIC_CHK(addr, n) ((void)0)
#endif
#define NEXT                                                                                       \
	do {                                                                                       \
		op++;                                                                              \
		DISPATCH;                                                                          \
	} while (0)
#define JUMP_IF(cond)                                                                              \
	do {                                                                                       \
		op += (cond) ? op->off : 1;                                                        \
		DISPATCH;                                                                          \
	} while (0)

/* a: destination value, b: operand; both already cut to the op's width where it matters. */
#define ALU(name, e64, e32)                                                                        \
	L_##name##64_K : { uint64_t a = DST, b = op->imm; (void)a; DST = (e64); NEXT; }                     \
	L_##name##64_X : { uint64_t a = DST, b = SRC; (void)a; DST = (e64); NEXT; }                         \
	L_##name##32_K : { uint32_t a = (uint32_t)DST, b = (uint32_t)op->imm; (void)a; DST = (uint32_t)(e32); NEXT; } \
	L_##name##32_X : { uint32_t a = (uint32_t)DST, b = (uint32_t)SRC; (void)a; DST = (uint32_t)(e32); NEXT; }

#define JCC(name, e64, e32)                                                                        \
	L_##name##64_K : { uint64_t a = DST, b = op->imm; JUMP_IF(e64); }                          \
	L_##name##64_X : { uint64_t a = DST, b = SRC; JUMP_IF(e64); }                              \
	L_##name##32_K : { uint32_t a = (uint32_t)DST, b = (uint32_t)op->imm; JUMP_IF(e32); }      \
	L_##name##32_X : { uint32_t a = (uint32_t)DST, b = (uint32_t)SRC; JUMP_IF(e32); }

#define LDX(name, T, ext)                                                                          \
	L_##name : {                                                                               \
		uint64_t addr = SRC + (int64_t)op->off;                                            \
		T v;                                                                               \
		MEMCHK(addr, sizeof(T), 0);                                                        \
		memcpy(&v, (const void *)(uintptr_t)addr, sizeof(T));                              \
		DST = (ext)v;                                                                      \
		NEXT;                                                                              \
	}

#define STORE(name, T, val)                                                                        \
	L_##name : {                                                                               \
		uint64_t addr = DST + (int64_t)op->off;                                            \
		T v = (T)(val);                                                                    \
		MEMCHK(addr, sizeof(T), 1);                                                        \
		memcpy((void *)(uintptr_t)addr, &v, sizeof(T));                                    \
		NEXT;                                                                              \
	}

/*
 * Accesses to host objects the verifier proved (opcodes.h): H* through
 * trusted pointers, plain and unchecked in both loops; P* probe loads
 * through walked pointers, 0 where the address faults (probe.c).
 */
#define HLDX(name, T)                                                                              \
	L_##name : {                                                                               \
		T v;                                                                               \
		memcpy(&v, (const void *)(uintptr_t)(SRC + (int64_t)op->off), sizeof(T));         \
		DST = (uint64_t)v;                                                                 \
		NEXT;                                                                              \
	}
#define PLDX(name, fn, T, ext)                                                                     \
	L_##name : {                                                                               \
		DST = (ext)(T)fn((uintptr_t)(SRC + (int64_t)op->off));                             \
		NEXT;                                                                              \
	}
#define HSTORE(name, T, val)                                                                       \
	L_##name : {                                                                               \
		T v = (T)(val);                                                                    \
		memcpy((void *)(uintptr_t)(DST + (int64_t)op->off), &v, sizeof(T));                \
		NEXT;                                                                              \
	}

/* Atomic read-modify-write; FETCH variants return the old value in src. */
#define ATOMIC(name, T, builtin, fetch)                                                            \
	L_##name : {                                                                               \
		uint64_t addr = DST + (int64_t)op->off;                                            \
		T old;                                                                             \
		ATOMIC_CHK(addr, sizeof(T));                                                       \
		old = builtin((T *)(uintptr_t)addr, (T)SRC, __ATOMIC_SEQ_CST);                    \
		if (fetch)                                                                         \
			SRC = old;                                                                 \
		NEXT;                                                                              \
	}

static int INTERP_FN(const struct sops_vm *vm, const uint64_t args[5],
		     const struct sops_mem_region *regions, size_t region_cnt, uint64_t *ret,
		     struct vm_fault *fault, const void *const **labels)
{
	static const void *const label_table[VM_KIND_CNT] = {
#define VM_LABEL(n) [VM_##n] = &&L_##n,
		VM_KINDS(VM_LABEL)
#undef VM_LABEL
	};
	struct {
		const struct vm_op *ret;
		uint64_t saved[5]; /* r6-r9 and r10 of the caller */
	} frames[SOPS_MAX_CALL_FRAMES];
	_Alignas(16) uint8_t stack[SOPS_MAX_CALL_FRAMES * SOPS_STACK_SIZE];
	const uint64_t stack_end = (uint64_t)(uintptr_t)(stack + sizeof(stack));
	const struct vm_op *op;
	void *aux;
	uint64_t r[SOPS_MAX_REG];
	unsigned int depth = 0;
#if INTERP_CHECKED
	uint64_t budget;
	uint64_t fault_addr = 0;
	size_t fault_len = 0;
	int fault_write = 0;
	uint64_t entry_ctx = 0;
	struct vm_host_objs host_objs;
#endif

	if (labels) {
		*labels = label_table;
		return 0;
	}
#if INTERP_CHECKED
	budget = vm->budget + 1; /* +1: the first dispatch is not an instruction */
	vm_cur_stack = (struct vm_stack_bounds){ (uint64_t)(uintptr_t)stack, stack_end };
	/* Unverified code may read stack it never wrote: make that deterministic. */
	memset(stack, 0, sizeof(stack));
	entry_ctx = args[0];
	host_objs.n = -1; /* built at the first kfunc call */
#endif
	aux = vm->aux;
	r[0] = 0;
	memcpy(&r[1], args, 5 * sizeof(uint64_t));
	r[6] = r[7] = r[8] = r[9] = 0;
	r[10] = stack_end;
	op = vm->ops;
	DISPATCH;

	ALU(ADD, a + b, a + b)
	ALU(SUB, a - b, a - b)
	ALU(MUL, a * b, a * b)
	ALU(DIV, b ? a / b : 0, b ? a / b : 0)
	ALU(SDIV, sdiv64(a, b), sdiv32(a, b))
	ALU(MOD, b ? a % b : a, b ? a % b : a)
	ALU(SMOD, smod64(a, b), smod32(a, b))
	ALU(OR, a | b, a | b)
	ALU(AND, a & b, a & b)
	ALU(LSH, a << (b & 63), a << (b & 31))
	ALU(RSH, a >> (b & 63), a >> (b & 31))
	ALU(ARSH, (uint64_t)((int64_t)a >> (b & 63)), (uint32_t)((int32_t)a >> (b & 31)))
	ALU(XOR, a ^ b, a ^ b)
	ALU(MOV, b, b)

L_NEG64:
	DST = 0 - DST;
	NEXT;
L_NEG32:
	DST = (uint32_t)(0 - (uint32_t)DST);
	NEXT;
L_MOVSX8_64:
	DST = (uint64_t)(int64_t)(int8_t)SRC;
	NEXT;
L_MOVSX16_64:
	DST = (uint64_t)(int64_t)(int16_t)SRC;
	NEXT;
L_MOVSX32_64:
	DST = (uint64_t)(int64_t)(int32_t)SRC;
	NEXT;
L_MOVSX8_32:
	DST = (uint32_t)(int32_t)(int8_t)SRC;
	NEXT;
L_MOVSX16_32:
	DST = (uint32_t)(int32_t)(int16_t)SRC;
	NEXT;
L_TRUNC16:
	DST = (uint16_t)DST;
	NEXT;
L_TRUNC32:
	DST = (uint32_t)DST;
	NEXT;
L_NOP:
	NEXT;
L_SWAP16:
	DST = __builtin_bswap16((uint16_t)DST);
	NEXT;
L_SWAP32:
	DST = __builtin_bswap32((uint32_t)DST);
	NEXT;
L_SWAP64:
	DST = __builtin_bswap64(DST);
	NEXT;
L_LDDW:
	DST = op->imm;
	op += 2;
	DISPATCH;

	LDX(LDXB, uint8_t, uint64_t)
	LDX(LDXH, uint16_t, uint64_t)
	LDX(LDXW, uint32_t, uint64_t)
	LDX(LDXDW, uint64_t, uint64_t)
	LDX(LDXSB, int8_t, int64_t)
	LDX(LDXSH, int16_t, int64_t)
	LDX(LDXSW, int32_t, int64_t)
	STORE(STB, uint8_t, op->imm)
	STORE(STH, uint16_t, op->imm)
	STORE(STW, uint32_t, op->imm)
	STORE(STDW, uint64_t, op->imm)
	STORE(STXB, uint8_t, SRC)
	STORE(STXH, uint16_t, SRC)
	STORE(STXW, uint32_t, SRC)
	STORE(STXDW, uint64_t, SRC)
	HLDX(HLDXB, uint8_t)
	HLDX(HLDXH, uint16_t)
	HLDX(HLDXW, uint32_t)
	HLDX(HLDXDW, uint64_t)
	PLDX(PLDXB, sops_probe_read_u8, uint8_t, uint64_t)
	PLDX(PLDXH, sops_probe_read_u16, uint16_t, uint64_t)
	PLDX(PLDXW, sops_probe_read_u32, uint32_t, uint64_t)
	PLDX(PLDXDW, sops_probe_read_u64, uint64_t, uint64_t)
	PLDX(PLDXSB, sops_probe_read_u8, int8_t, int64_t)
	PLDX(PLDXSH, sops_probe_read_u16, int16_t, int64_t)
	PLDX(PLDXSW, sops_probe_read_u32, int32_t, int64_t)
	HSTORE(HSTB, uint8_t, op->imm)
	HSTORE(HSTH, uint16_t, op->imm)
	HSTORE(HSTW, uint32_t, op->imm)
	HSTORE(HSTDW, uint64_t, op->imm)
	HSTORE(HSTXB, uint8_t, SRC)
	HSTORE(HSTXH, uint16_t, SRC)
	HSTORE(HSTXW, uint32_t, SRC)
	HSTORE(HSTXDW, uint64_t, SRC)

	ATOMIC(AADD32, uint32_t, __atomic_fetch_add, 0)
	ATOMIC(AOR32, uint32_t, __atomic_fetch_or, 0)
	ATOMIC(AAND32, uint32_t, __atomic_fetch_and, 0)
	ATOMIC(AXOR32, uint32_t, __atomic_fetch_xor, 0)
	ATOMIC(AFADD32, uint32_t, __atomic_fetch_add, 1)
	ATOMIC(AFOR32, uint32_t, __atomic_fetch_or, 1)
	ATOMIC(AFAND32, uint32_t, __atomic_fetch_and, 1)
	ATOMIC(AFXOR32, uint32_t, __atomic_fetch_xor, 1)
	ATOMIC(AXCHG32, uint32_t, __atomic_exchange_n, 1)
	ATOMIC(AADD64, uint64_t, __atomic_fetch_add, 0)
	ATOMIC(AOR64, uint64_t, __atomic_fetch_or, 0)
	ATOMIC(AAND64, uint64_t, __atomic_fetch_and, 0)
	ATOMIC(AXOR64, uint64_t, __atomic_fetch_xor, 0)
	ATOMIC(AFADD64, uint64_t, __atomic_fetch_add, 1)
	ATOMIC(AFOR64, uint64_t, __atomic_fetch_or, 1)
	ATOMIC(AFAND64, uint64_t, __atomic_fetch_and, 1)
	ATOMIC(AFXOR64, uint64_t, __atomic_fetch_xor, 1)
	ATOMIC(AXCHG64, uint64_t, __atomic_exchange_n, 1)

L_ACMPXCHG32: {
	uint64_t addr = DST + (int64_t)op->off;
	uint32_t expected = (uint32_t)r[0];

	ATOMIC_CHK(addr, 4);
	__atomic_compare_exchange_n((uint32_t *)(uintptr_t)addr, &expected, (uint32_t)SRC, 0,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	r[0] = expected; /* the old value either way, zero-extended */
	NEXT;
}
L_ACMPXCHG64: {
	uint64_t addr = DST + (int64_t)op->off;
	uint64_t expected = r[0];

	ATOMIC_CHK(addr, 8);
	__atomic_compare_exchange_n((uint64_t *)(uintptr_t)addr, &expected, SRC, 0,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	r[0] = expected;
	NEXT;
}

L_JA:
	op += op->off;
	DISPATCH;
	JCC(JEQ, a == b, a == b)
	JCC(JNE, a != b, a != b)
	JCC(JGT, a > b, a > b)
	JCC(JGE, a >= b, a >= b)
	JCC(JLT, a < b, a < b)
	JCC(JLE, a <= b, a <= b)
	JCC(JSGT, (int64_t)a > (int64_t)b, (int32_t)a > (int32_t)b)
	JCC(JSGE, (int64_t)a >= (int64_t)b, (int32_t)a >= (int32_t)b)
	JCC(JSLT, (int64_t)a < (int64_t)b, (int32_t)a < (int32_t)b)
	JCC(JSLE, (int64_t)a <= (int64_t)b, (int32_t)a <= (int32_t)b)
	JCC(JSET, a & b, a & b)

L_CALL_HELPER:
#if INTERP_CHECKED
	if (CALL_CHECK((uint32_t)vm->insns[op - vm->ops].imm))
		return fault->err;
#endif
	r[0] = ((sops_helper_fn)op->fn)(r[1], r[2], r[3], r[4], r[5], aux);
	NEXT;
L_CALL_KFUNC:
#if INTERP_CHECKED
	if (vm->kfunc_checks && KFUNC_CHECK())
		return fault->err;
#endif
	r[0] = ((sops_kfunc_fn)op->fn)(r[1], r[2], r[3], r[4], r[5]);
#if INTERP_CHECKED
	if (vm->kfunc_checks)
		vm_kfunc_after(vm, (size_t)(op - vm->ops), r, &host_objs);
#endif
	NEXT;
L_CALLX: {
	uint64_t id = DST;

	if (id >= vm->helper_id_cnt || !vm->helper_by_id[id])
		goto fault_callx;
#if INTERP_CHECKED
	if (CALL_CHECK((uint32_t)id))
		return fault->err;
#endif
	r[0] = vm->helper_by_id[id](r[1], r[2], r[3], r[4], r[5], aux);
	NEXT;
}
L_CALL_LOCAL:
	if (depth + 1 >= SOPS_MAX_CALL_FRAMES)
		goto fault_depth;
	frames[depth].ret = op + 1;
	memcpy(frames[depth].saved, &r[6], sizeof(frames[depth].saved));
	depth++;
	r[10] -= SOPS_STACK_SIZE;
	op += op->off;
	DISPATCH;
L_EXIT:
	if (!depth) {
#if INTERP_CHECKED
		if ((host_objs.n > 0 || (host_objs.n < 0 && vm->ctx_obj_cnt)) && KFUNC_EXIT()) {
			fault->pc = (uint32_t)(op - vm->ops);
			return fault->err;
		}
#endif
		*ret = r[0];
		return 0;
	}
	depth--;
	memcpy(&r[6], frames[depth].saved, sizeof(frames[depth].saved));
	op = frames[depth].ret;
	DISPATCH;

L_INVALID:
	return vm_fault(fault, -EINVAL, vm, op, "jumped into the middle of an instruction");
fault_callx:
	return vm_fault(fault, -ENOENT, vm, op, "callx to unknown helper id %" PRIu64, DST);
fault_depth:
	return vm_fault(fault, -E2BIG, vm, op, "call chain deeper than %d frames",
			SOPS_MAX_CALL_FRAMES);
#if INTERP_CHECKED
fault_budget:
	return vm_fault(fault, -ETIME, vm, op, "instruction budget of %" PRIu64 " spent",
			vm->budget);
fault_mem:
	/* A write the same access as a read would pass: read-only memory (e.g. .rodata). */
	if (fault_write && vm_mem_allowed(vm, fault_addr, fault_len, 0,
					  stack_end - (depth + 1) * SOPS_STACK_SIZE, stack_end,
					  regions, region_cnt))
		return vm_fault(fault, -EFAULT, vm, op, "%zu-byte write at 0x%" PRIx64 " into read-only memory (.rodata or a BPF_F_RDONLY_PROG map)",
				fault_len, fault_addr);
	return vm_fault(fault, -EFAULT, vm, op, "%zu-byte %s at 0x%" PRIx64 " is outside the stack and every allowed region",
			fault_len, fault_write ? "write" : "read", fault_addr);
fault_align:
	return vm_fault(fault, -EFAULT, vm, op, "misaligned %zu-byte atomic at 0x%" PRIx64,
			fault_len, fault_addr);
#endif
}

#undef DST
#undef SRC
#undef DISPATCH_NOW
#undef DISPATCH
#undef MEMCHK
#undef ATOMIC_CHK
#undef CALL_CHECK
#undef NEXT
#undef JUMP_IF
#undef ALU
#undef JCC
#undef LDX
#undef STORE
#undef ATOMIC
