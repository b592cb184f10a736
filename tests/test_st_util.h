/* SPDX-License-Identifier: MIT */
/*
 * test_st_util.h - the fixture of the struct_ops unit tests (tests/test_st_*.c).
 *
 * A test host whose BTF is built in memory with libbpf's btf__add_* API:
 *
 *   struct tst_state { int val; };
 *   struct tst_ops {                          member  offset
 *       int (*test_1)(void);                  0       0
 *       int (*test_2)(int a, long b);         1       8
 *       int (*test_3)(struct tst_state *st);  2       16   stub param st__nullable
 *       int (*unsupported)(void);             3       24   NULL stub
 *       int data;                             4       32   copied by init_member
 *       char name[16];                        5       36   copied by init_member
 *   };                                        size 56 (4 bytes of tail padding)
 *   struct tst_ops2 { int (*op)(void); };     update, no validate/init_member
 *   struct tst_ops3 { int (*op)(void); };     no update callback
 *
 * The value types are not in the BTF: registration synthesizes them
 * (data at offset 64, sizes 128 and 128). The host subsystem records what
 * reg/unreg/update/validate saw, and can be told to fail them (and init_member).
 */
#ifndef SOPS_TEST_ST_UTIL_H
#define SOPS_TEST_ST_UTIL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <structops/struct_ops.h>

#define TST_VALUE_SIZE 128
#define TST_DATA_OFF 64

struct tst_state {
	int val;
};

struct tst_ops {
	int (*test_1)(void);
	int (*test_2)(int a, long b);
	int (*test_3)(struct tst_state *st);
	int (*unsupported)(void);
	int data;
	char name[16];
};

struct tst_ops2 {
	int (*op)(void);
};

struct tst_host {
	void *_Atomic cur; /* kdata the host uses */
	atomic_int reg_cnt, unreg_cnt, update_cnt, validate_cnt;
	int reg_err, update_err, validate_err;
	int init_member_err; /* init_member of `data` fails with it (after test_1..test_3 are filled) */
};

struct st_fix {
	struct btf *btf;
	struct sops_runtime *rt;
	int user_btf; /* a user BTF handle for map creation */
	int ops_id, ops2_id;
	int ops3_id;
	uint32_t value_id, value2_id, value3_id;
	struct tst_host host;
	struct sops_struct_ops ops, ops2, ops3;
};

/*
 * Build the BTF and a runtime. Programs must verify to run fast: @jit puts
 * them on the JIT, else @trust on the fast interpreter and !@trust in the
 * checked interpreter (always_checked). Nothing uses trust_unverified.
 */
int st_fix_init(struct st_fix *f, bool jit, bool trust);
/* Build only the BTF (registration tests make their own runtimes). */
struct btf *st_fix_btf(int *ops_id, int *ops2_id);
/* Register tst_ops and tst_ops2 with the fixture's host. */
int st_fix_register(struct st_fix *f);
void st_fix_fini(struct st_fix *f);
/* The sops_struct_ops of tst_ops with the fixture's callbacks (priv = host). */
void st_fix_ops(struct sops_struct_ops *ops, struct tst_host *host);

/* Load a STRUCT_OPS program from assembly for (@type_id, @member). Returns a handle or -errno. */
int st_load(struct st_fix *f, int type_id, uint32_t member, const char *text, const char *license,
	    uint32_t prog_flags, char *log, size_t log_size);
/* Load a SYSCALL program from assembly. */
int st_load_syscall(struct st_fix *f, const char *text);
/* Create a struct_ops map of value type @value_id; @flags: map flags. */
int st_create(struct st_fix *f, uint32_t value_id, uint32_t value_size, uint32_t flags);
/* A value for tst_ops with program handles in slots test_1..test_3 (0: none). */
void st_value(uint8_t v[TST_VALUE_SIZE], int p1, int p2, int p3, int data);
/* Call test_1 of the host's current kdata inside a read-side section; -1000 when none. */
int st_call_test_1(struct st_fix *f);

#endif /* SOPS_TEST_ST_UTIL_H */
