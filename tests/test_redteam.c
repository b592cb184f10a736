/* SPDX-License-Identifier: MIT */
/*
 * test_redteam.c - hostile programs against the checked interpreter (issue 14).
 *
 * Each program is what an attacker would write: forged pointers and sizes
 * handed to helpers, helper writes past the stack, forged ring buffer records,
 * locks and timers on the stack, forged callbacks, stores into .rodata. It is
 * loaded through the normal runtime (unverified, so the checked interpreter
 * runs it) and must stop with the right errno and a fault message naming the
 * helper and the argument; the message reaches the runtime's trace sink. A
 * few controls do the same things legitimately and must succeed, so the
 * checks cannot pass by refusing everything. Under make check-asan, ASan
 * proves the refused calls touched nothing.
 */
#include <inttypes.h>

#include "test.h"
#include "test_rt_util.h"

#define F 0x4141414141414141ULL
#define FA 0x4141414141414140ULL /* forged, but 8-byte aligned */
#define CALL_LOCAL(d) I(0x85, 0, 1, 0, d)
#define STACK(r, o) MOV_REG(r, 10), ADD_IMM(r, o)

struct fix {
	struct sops_runtime *rt;
	int arr;  /* ARRAY, key 4, value 8, 1 entry */
	int hash; /* HASH, key 8, value 8 */
	int rb;   /* RINGBUF, 4096 bytes */
	int ro;   /* ARRAY, value 16, BPF_F_RDONLY_PROG (what .rodata is) */
	char trace[4096];
	size_t tlen;
};

static void sink(void *ctx, const char *msg, size_t len)
{
	struct fix *f = ctx;

	if (len > sizeof(f->trace) - 1 - f->tlen)
		len = sizeof(f->trace) - 1 - f->tlen;
	memcpy(f->trace + f->tlen, msg, len);
	f->tlen += len;
	f->trace[f->tlen] = '\0';
}

static int fix_init(struct fix *f)
{
	struct sops_runtime_opts o = { .sz = sizeof(o), .trace_fn = sink, .trace_ctx = f };
	struct sops_map_create_opts ro = { .sz = sizeof(ro), .map_flags = SOPS_BPF_F_RDONLY_PROG };
	uint64_t v[2] = { 9, 0 };
	uint32_t k = 0;

	memset(f, 0, sizeof(*f));
	if (sops_runtime__new(&o, &f->rt))
		return -1;
	f->arr = sops_map_create(f->rt, SOPS_BPF_MAP_TYPE_ARRAY, "arr", 4, 8, 1, NULL);
	f->hash = sops_map_create(f->rt, SOPS_BPF_MAP_TYPE_HASH, "hash", 8, 8, 4, NULL);
	f->rb = sops_map_create(f->rt, SOPS_BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096, NULL);
	f->ro = sops_map_create(f->rt, SOPS_BPF_MAP_TYPE_ARRAY, "ro", 4, 16, 1, &ro);
	if (f->arr < 0 || f->hash < 0 || f->rb < 0 || f->ro < 0)
		return -1;
	return sops_map_update_elem(f->rt, f->ro, &k, v, 0);
}

static void fix_fini(struct test_ctx *t, struct fix *f)
{
	sops_runtime__free(f->rt);
}

/* Load @insns unverified, run it: want @err and @msg in the trace, or (err 0) retval @ret. */
static void run_case(struct test_ctx *t, struct fix *f, const struct sops_insn *insns, size_t cnt,
		     int err, const char *msg, uint32_t ret)
{
	char log[512] = "";
	uint32_t got = 0;
	int fd, rc;

	fd = rt_test_load(f->rt, insns, cnt, log, sizeof(log));
	if (fd < 0)
		T_FAIL("load: %d: %s", fd, log);
	rc = rt_test_run(f->rt, fd, NULL, 0, &got);
	sops_close(f->rt, fd);
	if (rc != err)
		T_FAIL("run returned %d, expected %d; trace: %s", rc, err, f->trace);
	if (err && !strstr(f->trace, msg))
		T_FAIL("fault message \"%s\" lacks \"%s\"", f->trace, msg);
	if (!err && got != ret)
		T_FAIL("retval %" PRIu32 ", expected %" PRIu32 "; trace: %s", got, ret, f->trace);
	if (!err && f->tlen)
		T_FAIL("unexpected trace output: %s", f->trace);
}

/* A hostile program: must stop with -@err and a message containing @msg. */
#define HOSTILE(name, err, msg, ...)                                                               \
	TEST(redteam_##name)                                                                       \
	{                                                                                          \
		struct fix f_, *f = &f_;                                                           \
		if (fix_init(f))                                                                   \
			T_FAIL("fixture");                                                         \
		{                                                                                  \
			const struct sops_insn p[] = { __VA_ARGS__ };                              \
			run_case(t, f, p, NINSN(p), -(err), msg, 0);                               \
		}                                                                                  \
		fix_fini(t, f);                                                                    \
	}

/* A control: the legitimate form runs and returns @ret. */
#define CONTROL(name, ret, ...)                                                                    \
	TEST(redteam_##name)                                                                       \
	{                                                                                          \
		struct fix f_, *f = &f_;                                                           \
		if (fix_init(f))                                                                   \
			T_FAIL("fixture");                                                         \
		{                                                                                  \
			const struct sops_insn p[] = { __VA_ARGS__ };                              \
			run_case(t, f, p, NINSN(p), 0, NULL, (uint32_t)(ret));                     \
		}                                                                                  \
		fix_fini(t, f);                                                                    \
	}

/* --- map helpers: forged maps, keys and values --- */

HOSTILE(lookup_forged_key, EFAULT,
	"bpf_map_lookup_elem arg2 (map key, 4 bytes) points outside the program's memory (0x4141414141414141)",
	LD_MAP(1, f->arr), LD_IMM64(2, F), CALL(1), EXIT())
HOSTILE(lookup_key_past_stack, EFAULT, "bpf_map_lookup_elem arg2 (map key, 8 bytes) points outside",
	LD_MAP(1, f->hash), STACK(2, -4), CALL(1), EXIT())
HOSTILE(lookup_key_below_frame, EFAULT, "bpf_map_lookup_elem arg2 (map key, 4 bytes)",
	LD_MAP(1, f->arr), STACK(2, -516), CALL(1), EXIT())
HOSTILE(lookup_forged_map, EFAULT,
	"bpf_map_lookup_elem arg1 (map) is not a map the program uses (0x4141414141414141)",
	LD_IMM64(1, F), ST_W(10, -4, 0), STACK(2, -4), CALL(1), EXIT())
HOSTILE(lookup_null_map, EFAULT, "bpf_map_lookup_elem arg1 (map) is not a map the program uses (0x0)",
	MOV_IMM(1, 0), ST_W(10, -4, 0), STACK(2, -4), CALL(1), EXIT())
HOSTILE(update_forged_key, EFAULT, "bpf_map_update_elem arg2 (map key, 8 bytes) points outside",
	LD_MAP(1, f->hash), LD_IMM64(2, F), STACK(3, -8), MOV_IMM(4, 0), CALL(2), EXIT())
HOSTILE(update_forged_value, EFAULT,
	"bpf_map_update_elem arg3 (map value, 8 bytes) points outside the program's memory (0x4141414141414141)",
	LD_MAP(1, f->hash), ST_DW(10, -8, 0), STACK(2, -8), LD_IMM64(3, F), MOV_IMM(4, 0), CALL(2),
	EXIT())
HOSTILE(update_value_past_stack, EFAULT, "bpf_map_update_elem arg3 (map value, 8 bytes)",
	LD_MAP(1, f->hash), ST_DW(10, -8, 0), STACK(2, -8), STACK(3, -4), MOV_IMM(4, 0), CALL(2),
	EXIT())
HOSTILE(delete_forged_key, EFAULT, "bpf_map_delete_elem arg2 (map key, 8 bytes) points outside",
	LD_MAP(1, f->hash), LD_IMM64(2, FA), CALL(3), EXIT())
HOSTILE(delete_forged_map, EFAULT, "bpf_map_delete_elem arg1 (map) is not a map",
	LD_IMM64(1, FA), STACK(2, -8), CALL(3), EXIT())
CONTROL(lookup_ok, 7, LD_MAP(1, f->arr), ST_W(10, -4, 0), STACK(2, -4), CALL(1), JEQ_IMM(0, 0, 2),
	MOV_IMM(0, 7), EXIT(), MOV_IMM(0, 1), EXIT())
CONTROL(update_from_map_value_ok, 0, LD_MAP(1, f->hash), ST_DW(10, -8, 3), STACK(2, -8),
	LD_MAP_VALUE(3, f->arr, 0), MOV_IMM(4, 0), CALL(2), EXIT())

/* --- probe_read: destination checked, source a safe copy --- */

HOSTILE(probe_read_forged_dst, EFAULT,
	"bpf_probe_read_kernel arg1 (memory, 8 bytes written) points outside the program's writable memory (0x4141414141414141)",
	LD_IMM64(1, F), MOV_IMM(2, 8), STACK(3, -8), CALL(113), EXIT())
HOSTILE(probe_read_small_dst, EFAULT, "bpf_probe_read arg1 (memory, 16 bytes written)",
	STACK(1, -8), MOV_IMM(2, 16), STACK(3, -16), CALL(4), EXIT())
/* The control-flow hijack: 4 KiB copied over whatever lies above the stack. */
HOSTILE(probe_read_past_stack_hijack, EFAULT, "bpf_probe_read_user arg1 (memory, 4096 bytes written)",
	STACK(1, -8), MOV_IMM(2, 4096), STACK(3, -8), CALL(112), EXIT())
HOSTILE(probe_read_absurd_size, EFAULT, "over the size limit",
	STACK(1, -8), LD_IMM64(2, 1ULL << 40), STACK(3, -8), CALL(113), EXIT())
HOSTILE(probe_read_str_forged_dst, EFAULT, "bpf_probe_read_kernel_str arg1 (memory, 8 bytes written)",
	LD_IMM64(1, FA), MOV_IMM(2, 8), STACK(3, -8), CALL(115), EXIT())
HOSTILE(probe_read_into_rodata, EFAULT, "bpf_probe_read_str arg1 (memory, 8 bytes written) points outside the program's writable memory",
	LD_MAP_VALUE(1, f->ro, 0), MOV_IMM(2, 8), STACK(3, -8), CALL(45), EXIT())
/* A forged source is fine: the copy is safe and reports EFAULT in r0. */
CONTROL(probe_read_forged_src, -EFAULT, STACK(1, -8), MOV_IMM(2, 8), LD_IMM64(3, F), CALL(113),
	EXIT())
/* A callee may hand its caller's frame to a helper (bpf-to-bpf frames are the program's). */
CONTROL(probe_read_into_caller_frame, 5, ST_DW(10, -8, 0), STACK(1, -8), CALL_LOCAL(2),
	LDX_DW(0, 10, -8), EXIT(),
	/* callee: copy its own 5 into the caller's slot */
	ST_DW(10, -8, 5), STACK(3, -8), MOV_IMM(2, 8), CALL(113), EXIT())

/* --- snprintf, trace_printk, strncmp --- */

#define FMT_D ST_DW(10, -8, 0x6425) /* "%d" */
HOSTILE(snprintf_forged_out, EFAULT, "bpf_snprintf arg1 (memory, 16 bytes written) points outside",
	FMT_D, LD_IMM64(1, F), MOV_IMM(2, 16), STACK(3, -8), MOV_IMM(4, 0), MOV_IMM(5, 0), CALL(165),
	EXIT())
HOSTILE(snprintf_forged_fmt, EFAULT,
	"bpf_snprintf arg3 (string) points outside the program's memory (0x4141414141414141)",
	STACK(1, -32), MOV_IMM(2, 16), LD_IMM64(3, F), MOV_IMM(4, 0), MOV_IMM(5, 0), CALL(165), EXIT())
HOSTILE(snprintf_unterminated_fmt, EFAULT, "bpf_snprintf arg3 (string) runs out of the program's memory",
	LD_IMM64(6, F), STX_DW(10, 6, -8), STACK(1, -32), MOV_IMM(2, 16), STACK(3, -8), MOV_IMM(4, 0),
	MOV_IMM(5, 0), CALL(165), EXIT())
HOSTILE(snprintf_forged_data, EFAULT, "bpf_snprintf arg4 (memory, 8 bytes read) points outside",
	FMT_D, STACK(1, -32), MOV_IMM(2, 16), STACK(3, -8), LD_IMM64(4, F), MOV_IMM(5, 8), CALL(165),
	EXIT())
HOSTILE(snprintf_oversize_out, EFAULT, "bpf_snprintf arg1 (memory, 64 bytes written)",
	FMT_D, STACK(1, -8), MOV_IMM(2, 64), STACK(3, -8), MOV_IMM(4, 0), MOV_IMM(5, 0), CALL(165),
	EXIT())
HOSTILE(snprintf_null_out_with_size, EFAULT, "bpf_snprintf arg1 (memory) is NULL but its size is 16",
	FMT_D, MOV_IMM(1, 0), MOV_IMM(2, 16), STACK(3, -8), MOV_IMM(4, 0), MOV_IMM(5, 0), CALL(165),
	EXIT())
HOSTILE(snprintf_oversize_data, EFAULT, "bpf_snprintf arg4 (memory, 4096 bytes read)",
	FMT_D, STACK(1, -32), MOV_IMM(2, 16), STACK(3, -8), STACK(4, -16), MOV_IMM(5, 4096), CALL(165),
	EXIT())
/* "%d" of 42 into 16 bytes: 3 bytes with the NUL. */
CONTROL(snprintf_ok, 3, FMT_D, ST_DW(10, -16, 42), STACK(1, -32), MOV_IMM(2, 16), STACK(3, -8),
	STACK(4, -16), MOV_IMM(5, 8), CALL(165), EXIT())
HOSTILE(trace_printk_forged_fmt, EFAULT, "bpf_trace_printk arg1 (memory, 8 bytes read) points outside",
	LD_IMM64(1, F), MOV_IMM(2, 8), CALL(6), EXIT())
HOSTILE(trace_printk_oversize, EFAULT, "bpf_trace_printk arg1 (memory, 100 bytes read)",
	FMT_D, STACK(1, -8), MOV_IMM(2, 100), CALL(6), EXIT())
HOSTILE(trace_printk_zero_size, EFAULT, "bpf_trace_printk arg2 (size) is 0",
	FMT_D, STACK(1, -8), MOV_IMM(2, 0), CALL(6), EXIT())
HOSTILE(trace_printk_negative_size, EFAULT, "bpf_trace_printk arg1 (memory, 18446744073709551615 bytes) is over the size limit",
	FMT_D, STACK(1, -8), MOV_IMM(2, -1), CALL(6), EXIT())
HOSTILE(strncmp_forged_s1, EFAULT, "bpf_strncmp arg1 (memory, 4 bytes read) points outside",
	FMT_D, LD_IMM64(1, F), MOV_IMM(2, 4), STACK(3, -8), CALL(182), EXIT())
HOSTILE(strncmp_forged_s2, EFAULT, "bpf_strncmp arg3 (string) points outside",
	FMT_D, STACK(1, -8), MOV_IMM(2, 4), LD_IMM64(3, F), CALL(182), EXIT())
HOSTILE(strncmp_oversize, EFAULT, "bpf_strncmp arg1 (memory, 4096 bytes read)",
	FMT_D, STACK(1, -8), MOV_IMM(2, 4096), STACK(3, -8), CALL(182), EXIT())
CONTROL(strncmp_ok, 0, FMT_D, STACK(1, -8), MOV_IMM(2, 3), STACK(3, -8), CALL(182), EXIT())

/* --- ring buffers --- */

HOSTILE(ringbuf_output_forged, EFAULT, "bpf_ringbuf_output arg2 (memory, 8 bytes read) points outside",
	LD_MAP(1, f->rb), LD_IMM64(2, F), MOV_IMM(3, 8), MOV_IMM(4, 0), CALL(130), EXIT())
HOSTILE(ringbuf_output_oversize, EFAULT, "bpf_ringbuf_output arg2 (memory, 64 bytes read)",
	LD_MAP(1, f->rb), STACK(2, -8), MOV_IMM(3, 64), MOV_IMM(4, 0), CALL(130), EXIT())
HOSTILE(ringbuf_output_forged_map, EFAULT, "bpf_ringbuf_output arg1 (map) is not a map",
	LD_IMM64(1, FA), STACK(2, -8), MOV_IMM(3, 8), MOV_IMM(4, 0), CALL(130), EXIT())
/* Not a ring buffer: the helper's own type check answers. */
CONTROL(ringbuf_output_to_array, -EINVAL, LD_MAP(1, f->arr), STACK(2, -8), MOV_IMM(3, 8),
	MOV_IMM(4, 0), CALL(130), EXIT())
HOSTILE(ringbuf_submit_forged, EFAULT,
	"bpf_ringbuf_submit arg1 (ring buffer record) is not a record the program reserved and still holds (0x4141414141414140)",
	LD_MAP(1, f->rb), LD_IMM64(1, FA), MOV_IMM(2, 0), CALL(132), EXIT())
HOSTILE(ringbuf_discard_forged, EFAULT, "bpf_ringbuf_discard arg1 (ring buffer record) is not a record",
	LD_MAP(1, f->rb), LD_IMM64(1, FA), MOV_IMM(2, 0), CALL(133), EXIT())
HOSTILE(ringbuf_submit_stack, EFAULT, "bpf_ringbuf_submit arg1 (ring buffer record)",
	LD_MAP(1, f->rb), STACK(1, -8), MOV_IMM(2, 0), CALL(132), EXIT())
#define RESERVE_16 LD_MAP(1, f->rb), MOV_IMM(2, 16), MOV_IMM(3, 0), CALL(131), JNE_IMM(0, 0, 1), EXIT()
HOSTILE(ringbuf_submit_inside_record, EFAULT, "bpf_ringbuf_submit arg1 (ring buffer record)",
	RESERVE_16, MOV_REG(1, 0), ADD_IMM(1, 8), MOV_IMM(2, 0), CALL(132), EXIT())
HOSTILE(ringbuf_double_submit, EFAULT, "bpf_ringbuf_submit arg1 (ring buffer record)",
	RESERVE_16, MOV_REG(6, 0), MOV_REG(1, 6), MOV_IMM(2, 0), CALL(132), MOV_REG(1, 6),
	MOV_IMM(2, 0), CALL(132), EXIT())
HOSTILE(ringbuf_submit_after_discard, EFAULT, "bpf_ringbuf_submit arg1 (ring buffer record)",
	RESERVE_16, MOV_REG(6, 0), MOV_REG(1, 6), MOV_IMM(2, 0), CALL(133), MOV_REG(1, 6),
	MOV_IMM(2, 0), CALL(132), EXIT())
/* The header's page offset is how commit finds the ring: forge it. */
HOSTILE(ringbuf_forged_header, EFAULT, "bpf_ringbuf_submit arg1 (ring buffer record)",
	RESERVE_16, MOV_REG(6, 0), ST_W(6, -4, 0x10000), MOV_REG(1, 6), MOV_IMM(2, 0), CALL(132),
	EXIT())
CONTROL(ringbuf_reserve_submit_ok, 1, RESERVE_16, ST_DW(0, 0, 5), MOV_REG(1, 0), MOV_IMM(2, 0),
	CALL(132), MOV_IMM(0, 1), EXIT())

/* --- spin locks and timers --- */

HOSTILE(spin_lock_on_stack, EFAULT,
	"bpf_spin_lock arg1 (spin lock) is not inside a value of a map the program uses",
	LD_MAP(1, f->arr), STACK(1, -8), CALL(93), EXIT())
HOSTILE(spin_lock_forged, EFAULT, "bpf_spin_lock arg1 (spin lock) is not inside a value",
	LD_MAP(1, f->arr), LD_IMM64(1, FA), CALL(93), EXIT())
HOSTILE(spin_unlock_forged, EFAULT, "bpf_spin_unlock arg1 (spin lock) is not inside a value",
	LD_MAP(1, f->arr), LD_IMM64(1, FA), CALL(94), EXIT())
HOSTILE(spin_lock_misaligned, EFAULT, "bpf_spin_lock arg1 (spin lock) is not 4-byte aligned",
	LD_MAP_VALUE(1, f->arr, 2), CALL(93), EXIT())
HOSTILE(spin_lock_past_value, EFAULT, "bpf_spin_lock arg1 (spin lock) is not inside a value",
	LD_MAP_VALUE(1, f->arr, 0), ADD_IMM(1, 8), CALL(93), EXIT())
HOSTILE(spin_lock_in_rodata, EFAULT, "bpf_spin_lock arg1 (spin lock) is not inside a value",
	LD_MAP_VALUE(1, f->ro, 0), CALL(93), EXIT())
HOSTILE(spin_lock_in_ringbuf, EFAULT, "bpf_spin_lock arg1 (spin lock) is not inside a value",
	RESERVE_16, MOV_REG(1, 0), CALL(93), EXIT())
CONTROL(spin_lock_ok, 1, LD_MAP_VALUE(1, f->arr, 4), CALL(93), LD_MAP_VALUE(1, f->arr, 4),
	CALL(94), MOV_IMM(0, 1), EXIT())
HOSTILE(timer_init_on_stack, EFAULT, "bpf_timer_init arg1 (timer) is not the bpf_timer of a value",
	STACK(1, -16), LD_MAP(2, f->arr), MOV_IMM(3, 1), CALL(169), EXIT())
HOSTILE(timer_start_forged, EFAULT, "bpf_timer_start arg1 (timer) is not the bpf_timer",
	LD_MAP(1, f->arr), LD_IMM64(1, FA), MOV_IMM(2, 0), MOV_IMM(3, 0), CALL(171), EXIT())
HOSTILE(timer_cancel_misaligned, EFAULT, "bpf_timer_cancel arg1 (timer) is not 8-byte aligned",
	LD_IMM64(1, F), CALL(172), EXIT())
/* A value without a bpf_timer in its BTF has none to offer. */
HOSTILE(timer_init_plain_value, EFAULT, "bpf_timer_init arg1 (timer)",
	LD_MAP_VALUE(1, f->arr, 0), LD_MAP(2, f->arr), MOV_IMM(3, 1), CALL(169), EXIT())

/* --- callbacks --- */

HOSTILE(loop_forged_callback, EFAULT,
	"bpf_loop arg2 (callback) is not one of the program's callbacks (0x4141414141414141)",
	MOV_IMM(1, 1), LD_IMM64(2, F), MOV_IMM(3, 0), MOV_IMM(4, 0), CALL(181), EXIT())
HOSTILE(loop_map_value_as_callback, EFAULT, "bpf_loop arg2 (callback) is not one of the program's callbacks",
	MOV_IMM(1, 1), LD_MAP_VALUE(2, f->arr, 0), MOV_IMM(3, 0), MOV_IMM(4, 0), CALL(181), EXIT())
HOSTILE(loop_forged_ctx, EFAULT, "bpf_loop arg3 (callback context) points outside the program's memory",
	MOV_IMM(1, 1), LD_FUNC(2, 6), LD_IMM64(3, F), MOV_IMM(4, 0), CALL(181), EXIT(),
	MOV_IMM(0, 0), EXIT())
HOSTILE(for_each_forged_callback, EFAULT, "bpf_for_each_map_elem arg2 (callback) is not one",
	LD_MAP(1, f->arr), LD_IMM64(2, FA), MOV_IMM(3, 0), MOV_IMM(4, 0), CALL(164), EXIT())
HOSTILE(for_each_forged_map, EFAULT, "bpf_for_each_map_elem arg1 (map) is not a map",
	LD_IMM64(1, FA), LD_FUNC(2, 5), MOV_IMM(3, 0), MOV_IMM(4, 0), CALL(164), EXIT(),
	MOV_IMM(0, 0), EXIT())
CONTROL(loop_ok, 3, MOV_IMM(1, 3), LD_FUNC(2, 5), MOV_IMM(3, 0), MOV_IMM(4, 0), CALL(181), EXIT(),
	MOV_IMM(0, 0), EXIT())

/* --- read-only maps (.rodata, BPF_F_RDONLY_PROG) --- */

HOSTILE(rodata_store, EFAULT, "8-byte write at 0x",
	LD_MAP_VALUE(1, f->ro, 0), ST_DW(1, 0, 1), MOV_IMM(0, 0), EXIT())
HOSTILE(rodata_store_message, EFAULT, "into read-only memory",
	LD_MAP_VALUE(1, f->ro, 8), MOV_IMM(2, 1), STX_W(1, 2, 0), MOV_IMM(0, 0), EXIT())
HOSTILE(rodata_atomic, EFAULT, "read-only memory",
	LD_MAP_VALUE(1, f->ro, 0), MOV_IMM(2, 1), XADD_DW(1, 2, 0), MOV_IMM(0, 0), EXIT())
HOSTILE(rodata_snprintf_out, EFAULT, "bpf_snprintf arg1 (memory, 16 bytes written) points outside the program's writable memory",
	FMT_D, LD_MAP_VALUE(1, f->ro, 0), MOV_IMM(2, 16), STACK(3, -8), MOV_IMM(4, 0), MOV_IMM(5, 0),
	CALL(165), EXIT())
/* Reading is what .rodata is for; the helpers refuse updates with EPERM. */
CONTROL(rodata_read_ok, 9, LD_MAP_VALUE(1, f->ro, 0), LDX_DW(0, 1, 0), EXIT())
CONTROL(rodata_update_eperm, -EPERM, LD_MAP(1, f->ro), ST_W(10, -4, 0), STACK(2, -4), STACK(3, -24),
	MOV_IMM(4, 0), CALL(2), EXIT())

/* The run after a refused call: the runtime and its maps still work, nothing leaked. */
TEST(redteam_survives_and_stays_usable)
{
	struct fix f_, *f = &f_;

	if (fix_init(f))
		T_FAIL("fixture");
	for (int i = 0; i < 50; i++) {
		const struct sops_insn bad[] = { LD_MAP(1, f->arr), LD_IMM64(2, F), CALL(1), EXIT() };
		const struct sops_insn good[] = { LD_MAP(1, f->arr), ST_W(10, -4, 0), STACK(2, -4),
						  CALL(1), JEQ_IMM(0, 0, 1), MOV_IMM(0, 7), EXIT() };

		f->tlen = 0;
		run_case(t, f, bad, NINSN(bad), -EFAULT, "bpf_map_lookup_elem arg2", 0);
		f->tlen = 0;
		f->trace[0] = '\0';
		run_case(t, f, good, NINSN(good), 0, NULL, 7);
		if (t->failed)
			break;
	}
	T_EQ(sops_runtime__live_objects(f->rt, SOPS_OBJ_PROG), 0);
	fix_fini(t, f);
}
