/* SPDX-License-Identifier: MIT */
/*
 * test_rt_core.c - the runtime's command layer: instances, handles, ids, info,
 * attr validation, PROG_LOAD and PROG_TEST_RUN on both engines, errnos of
 * every failure path, and no leaks (live objects counted).
 */
#include <stddef.h>
#include <string.h>

#include "test.h"
#include "test_rt_util.h"

/* key 0 of @map: value += 1 atomically, return the new value (0 if the lookup failed). */
#define COUNTER_PROG(map)                                                                          \
	{                                                                                          \
		LD_MAP(1, map), ST_W(10, -4, 0), MOV_REG(2, 10), ADD_IMM(2, -4), CALL(1),          \
		JEQ_IMM(0, 0, 4), MOV_IMM(1, 1), XADD_DW(0, 1, 0), LDX_DW(0, 0, 0), EXIT(),        \
		MOV_IMM(0, 0), EXIT()                                                              \
	}

TEST(rt_instance_and_handles)
{
	struct sops_runtime *a = rt_test_new(false), *b = rt_test_new(false);
	int fa, fb;
	uint32_t k = 0;
	uint64_t v = 7, out = 0;

	T_ASSERT(a && b);
	fa = sops_map_create(a, SOPS_BPF_MAP_TYPE_ARRAY, "a", 4, 8, 1, NULL);
	fb = sops_map_create(b, SOPS_BPF_MAP_TYPE_ARRAY, "b", 4, 8, 1, NULL);
	T_ASSERT(fa > 0 && fb > 0);
	T_EQ(sops_map_update_elem(a, fa, &k, &v, 0), 0);
	T_EQ(sops_map_lookup_elem(b, fb, &k, &out), 0);
	T_EQ(out, 0); /* instances share nothing */
	T_EQ(sops_runtime__live_objects(a, SOPS_OBJ_MAP), 1);
	T_EQ(sops_close(a, fa), 0);
	T_EQ(sops_close(a, fa), -EBADF);
	T_EQ(errno, EBADF);
	T_EQ(sops_runtime__live_objects(a, -1), 0);
	T_EQ(sops_map_lookup_elem(a, fa, &k, &out), -EBADF);
	T_EQ(sops_map_lookup_elem(a, 12345, &k, &out), -EBADF);
	T_EQ(sops_map_lookup_elem(a, -1, &k, &out), -EBADF);
	sops_runtime__free(a);
	sops_runtime__free(b); /* closes fb */
}

TEST(rt_attr_validation)
{
	struct sops_runtime *rt = rt_test_new(false);
	union sops_bpf_attr attr;
	char big[sizeof(attr) + 16];

	T_ASSERT(rt);
	memset(&attr, 0, sizeof(attr));
	T_EQ(sops_bpf(rt, 999, &attr, sizeof(attr)), -EINVAL);   /* unknown command */
	T_EQ(sops_bpf(rt, 6, &attr, sizeof(attr)), -EINVAL);     /* OBJ_PIN: not supported */
	attr.map_type = SOPS_BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	/* a non-zero byte past MAP_CREATE's last field */
	((char *)&attr)[offsetof(union sops_bpf_attr, map_token_fd) + 4] = 1;
	T_EQ(sops_bpf(rt, SOPS_BPF_MAP_CREATE, &attr, sizeof(attr)), -EINVAL);
	/* a larger attr with a non-zero tail: E2BIG; zero tail: fine */
	memset(big, 0, sizeof(big));
	memcpy(big, &attr, sizeof(attr));
	((char *)big)[offsetof(union sops_bpf_attr, map_token_fd) + 4] = 0;
	big[sizeof(attr) + 3] = 1;
	T_EQ(sops_bpf(rt, SOPS_BPF_MAP_CREATE, (union sops_bpf_attr *)big, sizeof(big)), -E2BIG);
	big[sizeof(attr) + 3] = 0;
	{
		int fd = sops_bpf(rt, SOPS_BPF_MAP_CREATE, (union sops_bpf_attr *)big, sizeof(big));

		T_ASSERT(fd > 0);
		sops_close(rt, fd);
	}
	/* map elem commands: a zero attr gets as far as the handle (tails: rt_attr_tail_per_command) */
	memset(&attr, 0, sizeof(attr));
	T_EQ(sops_bpf(rt, SOPS_BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr)), -EBADF);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(rt_map_create_errors)
{
	struct sops_runtime *rt = rt_test_new(false);
	struct sops_map_create_opts o = { .sz = sizeof(o) };

	T_ASSERT(rt);
	T_EQ(sops_map_create(rt, 77, "x", 4, 4, 1, NULL), -EINVAL);
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "x", 8, 4, 1, NULL), -EINVAL);
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "x", 4, 0, 1, NULL), -EINVAL);
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "x", 4, 4, 0, NULL), -EINVAL);
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "bad name!", 4, 4, 1, NULL), -EINVAL);
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "x", 0, 4, 1, NULL), -EINVAL);
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "x", 513, 4, 1, NULL), -E2BIG);
	o.map_flags = SOPS_BPF_F_RDONLY | SOPS_BPF_F_WRONLY;
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "x", 4, 4, 1, &o), -EINVAL);
	o.map_flags = SOPS_BPF_F_NO_COMMON_LRU;
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "x", 4, 4, 1, &o), -EINVAL);
	o.map_flags = SOPS_BPF_F_NO_PREALLOC;
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_LRU_HASH, "x", 4, 4, 1, &o), -SOPS_ENOTSUPP);
	o.map_flags = 0;
	o.map_extra = 1;
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "x", 4, 4, 1, &o), -EINVAL);
	o.map_extra = 0;
	o.btf_key_type_id = 1; /* key type without value type */
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "x", 4, 4, 1, &o), -EINVAL);
	o.btf_value_type_id = 2; /* no BTF handle 0 */
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "x", 4, 4, 1, &o), -EBADF);
	o.btf_key_type_id = o.btf_value_type_id = 0;
	o.btf_vmlinux_value_type_id = 5; /* only for STRUCT_OPS */
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "x", 4, 4, 1, &o), -EINVAL);
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_RINGBUF, "x", 0, 0, 4096 + 1, NULL), -EINVAL);
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_RINGBUF, "x", 4, 0, 4096, NULL), -EINVAL);
	T_EQ(sops_map_create(rt, SOPS_BPF_MAP_TYPE_STRUCT_OPS, "x", 4, 4, 1, NULL), -EINVAL);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	T_EQ(sops_runtime__open_handles(rt), 0);
	sops_runtime__free(rt);
}

TEST(rt_wrong_handle_kind)
{
	struct sops_runtime *rt = rt_test_new(false);
	struct sops_insn prog[] = { MOV_IMM(0, 1), EXIT() };
	uint32_t k = 0, v, ret;
	int pfd, mfd;

	T_ASSERT(rt);
	pfd = rt_test_load(rt, prog, NINSN(prog), NULL, 0);
	mfd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "m", 4, 4, 1, NULL);
	T_ASSERT(pfd > 0 && mfd > 0);
	/* a program handle where a map is expected and the reverse: EINVAL, as the kernel */
	T_EQ(sops_map_lookup_elem(rt, pfd, &k, &v), -EINVAL);
	T_EQ(rt_test_run(rt, mfd, NULL, 0, &ret), -EINVAL);
	T_EQ(sops_link_detach(rt, mfd), -EINVAL);
	T_EQ(sops_link_detach(rt, 999), -EBADF);
	T_EQ(sops_prog_assoc_struct_ops(rt, pfd, pfd, NULL), -EINVAL);
	T_EQ(sops_prog_assoc_struct_ops(rt, pfd, mfd, NULL), -EINVAL); /* not a struct_ops map */
	T_EQ(sops_link_create(rt, pfd, 0, 0, NULL), -EINVAL);
	T_EQ(sops_link_create(rt, mfd, 0, SOPS_BPF_STRUCT_OPS, NULL), -EINVAL);
	sops_close(rt, pfd);
	sops_close(rt, mfd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

static void counter_test(struct test_ctx *t, bool jit)
{
	struct sops_runtime *rt = rt_test_new(jit);
	uint32_t k = 0, ret = 0;
	uint64_t v = 0;
	int mfd, pfd;
	char log[256];

	T_ASSERT(rt);
	mfd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "cnt", 4, 8, 1, NULL);
	T_ASSERT(mfd > 0);
	{
		struct sops_insn prog[] = COUNTER_PROG(mfd);
		struct sops_test_run_opts o = { .sz = sizeof(o), .repeat = 100 };

		pfd = rt_test_load(rt, prog, NINSN(prog), log, sizeof(log));
		if (pfd < 0)
			T_FAIL("load: %d %s", pfd, log);
		T_EQ(sops_prog_test_run_opts(rt, pfd, &o), 0);
		T_EQ(o.retval, 100);
		T_EQ(sops_map_lookup_elem(rt, mfd, &k, &v), 0);
		T_EQ(v, 100);
		T_EQ(rt_test_run(rt, pfd, NULL, 0, &ret), 0);
		T_EQ(ret, 101);
		{
			uint64_t r = 0;

			T_EQ(sops_prog_run(rt, pfd, NULL, 0, &r), 0);
			T_EQ(r, 102);
		}
	}
	/* the program holds the map: closing the map handle keeps it alive */
	sops_close(rt, mfd);
	T_EQ(sops_runtime__live_objects(rt, SOPS_OBJ_MAP), 1);
	T_EQ(rt_test_run(rt, pfd, NULL, 0, &ret), 0);
	T_EQ(ret, 103);
	sops_close(rt, pfd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(rt_prog_counter_interp)
{
	counter_test(t, false);
}

TEST(rt_prog_counter_jit)
{
	if (!sops_jit_available())
		T_SKIP("no JIT on this machine");
	counter_test(t, true);
}

TEST(rt_prog_load_errors)
{
	struct sops_runtime *rt = rt_test_new(false);
	struct sops_insn ok[] = { MOV_IMM(0, 0), EXIT() };
	struct sops_insn nofall[] = { MOV_IMM(0, 0) };
	struct sops_insn badhelper[] = { CALL(9999), EXIT() };
	struct sops_insn badmap[] = { LD_MAP(1, 4242), MOV_IMM(0, 0), EXIT() };
	struct sops_insn badkf[] = { I(0x85, 0, 2, 0, 77), EXIT() };
	char log[256] = "";
	int mfd;

	T_ASSERT(rt);
	T_EQ(sops_prog_load(rt, SOPS_BPF_PROG_TYPE_SYSCALL, "x", "GPL", ok, 0, NULL), -EINVAL);
	T_EQ(sops_prog_load(rt, 99, "x", "GPL", ok, 2, NULL), -EINVAL);
	/* struct_ops layer installed: attach_btf_id 0 is the verifier's ENOTSUPP (spec 4, check 3) */
	T_EQ(sops_prog_load(rt, SOPS_BPF_PROG_TYPE_STRUCT_OPS, "x", "GPL", ok, 2, NULL), -SOPS_ENOTSUPP);
	T_EQ(rt_test_load(rt, nofall, 1, log, sizeof(log)), -EINVAL);
	T_ASSERT(log[0]);
	T_EQ(rt_test_load(rt, badhelper, 2, log, sizeof(log)), -EINVAL);
	T_ASSERT(strstr(log, "unknown#9999"));
	T_EQ(rt_test_load(rt, badmap, NINSN(badmap), log, sizeof(log)), -EBADF);
	T_EQ(rt_test_load(rt, badkf, 2, log, sizeof(log)), -EINVAL);
	/* a program handle used as a map in lddw: EINVAL */
	{
		int pfd = rt_test_load(rt, ok, 2, NULL, 0);
		struct sops_insn m[] = { LD_MAP(1, pfd), MOV_IMM(0, 0), EXIT() };

		T_ASSERT(pfd > 0);
		T_EQ(rt_test_load(rt, m, NINSN(m), NULL, 0), -EINVAL);
		sops_close(rt, pfd);
	}
	/* failure after taking a map reference leaks nothing */
	mfd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "m", 4, 4, 1, NULL);
	{
		struct sops_insn m[] = { LD_MAP(1, mfd), CALL(9999), EXIT() };

		T_EQ(rt_test_load(rt, m, NINSN(m), NULL, 0), -EINVAL);
	}
	sops_close(rt, mfd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(rt_test_run_ctx_data)
{
	struct sops_runtime *rt = rt_test_new(false);
	/* ctx[0] += 5; data[0] = 'X'; return data size */
	struct sops_insn prog[] = {
		LDX_W(3, 1, 0), ADD_IMM(3, 5), STX_W(1, 3, 0),
		ST_W(2, 0, 'X'), MOV_REG(0, 3), EXIT(),
	};
	struct sops_insn oob[] = { LDX_DW(0, 1, 4096), EXIT() };
	uint32_t ctx[2] = { 10, 0 }, ctx_out[2] = { 0 };
	char data[8] = "abcdefg", data_out[4];
	struct sops_test_run_opts o = { .sz = sizeof(o), .ctx_in = ctx, .ctx_size_in = 8,
					.ctx_out = ctx_out, .ctx_size_out = 8, .data_in = data,
					.data_size_in = 8, .data_out = data_out, .data_size_out = 4,
					.repeat = 3 };
	int pfd, bad;

	T_ASSERT(rt);
	pfd = rt_test_load(rt, prog, NINSN(prog), NULL, 0);
	T_ASSERT(pfd > 0);
	/* data_out too small: ENOSPC, with what fits and the full size */
	T_EQ(sops_prog_test_run_opts(rt, pfd, &o), -ENOSPC);
	T_EQ(o.data_size_out, 8);
	T_EQ(data_out[0], 'X');
	T_EQ(ctx_out[0], 25); /* the buffers persist across the repeats */
	T_EQ(o.retval, 25);
	T_EQ(ctx[0], 10);
	/*
	 * A verified program reading ctx bytes the run does not give is refused
	 * before it runs (the kernel's max_ctx_offset rule).
	 */
	bad = rt_test_load(rt, oob, NINSN(oob), NULL, 0);
	T_ASSERT(bad > 0);
	{
		struct sops_test_run_opts o2 = { .sz = sizeof(o2), .ctx_in = ctx, .ctx_size_in = 8 };

		T_EQ(sops_prog_test_run_opts(rt, bad, &o2), -EINVAL);
	}
	{
		struct sops_test_run_opts o3 = { .sz = sizeof(o3), .flags = 1 };

		T_EQ(sops_prog_test_run_opts(rt, pfd, &o3), -EINVAL);
	}
	sops_close(rt, pfd);
	sops_close(rt, bad);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(rt_ids_and_info)
{
	struct sops_runtime *rt = rt_test_new(false);
	struct sops_insn prog[] = { MOV_IMM(0, 3), EXIT() };
	struct sops_bpf_map_info mi;
	struct sops_bpf_prog_info pi;
	uint32_t len, id = 0, next = 0;
	int m1, m2, p, fd;

	T_ASSERT(rt);
	m1 = sops_map_create(rt, SOPS_BPF_MAP_TYPE_HASH, "first", 8, 16, 10, NULL);
	m2 = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "second", 4, 4, 3, NULL);
	p = rt_test_load(rt, prog, 2, NULL, 0);
	T_ASSERT(m1 > 0 && m2 > 0 && p > 0);
	memset(&mi, 0, sizeof(mi));
	len = sizeof(mi);
	T_EQ(sops_map_get_info_by_fd(rt, m1, &mi, &len), 0);
	T_EQ(len, sizeof(mi));
	T_EQ(mi.type, SOPS_BPF_MAP_TYPE_HASH);
	T_EQ(mi.key_size, 8);
	T_EQ(mi.value_size, 16);
	T_EQ(mi.max_entries, 10);
	T_STREQ(mi.name, "first");
	id = mi.id;
	T_EQ(sops_map_get_next_id(rt, 0, &next), 0);
	T_EQ(next, id);
	T_EQ(sops_map_get_next_id(rt, id, &next), 0);
	T_ASSERT(next > id);
	T_EQ(sops_map_get_next_id(rt, next, &next), -ENOENT);
	fd = sops_map_get_fd_by_id(rt, id);
	T_ASSERT(fd > 0 && fd != m1);
	T_EQ(sops_map_get_fd_by_id(rt, 99999), -ENOENT);
	T_EQ(sops_prog_get_fd_by_id(rt, 99999), -ENOENT);
	/* a short info_len gets a short copy */
	len = 8;
	memset(&mi, 0, sizeof(mi));
	T_EQ(sops_obj_get_info_by_fd(rt, fd, &mi, &len), 0);
	T_EQ(len, 8);
	T_EQ(mi.key_size, 0);
	/* a larger struct with non-zero tail: E2BIG */
	{
		char big[sizeof(mi) + 8];

		memset(big, 0, sizeof(big));
		big[sizeof(mi) + 1] = 1;
		len = sizeof(big);
		T_EQ(sops_obj_get_info_by_fd(rt, fd, big, &len), -E2BIG);
	}
	memset(&pi, 0, sizeof(pi));
	len = sizeof(pi);
	T_EQ(sops_prog_get_info_by_fd(rt, p, &pi, &len), 0);
	T_EQ(pi.type, SOPS_BPF_PROG_TYPE_SYSCALL);
	T_EQ(pi.xlated_prog_len, 16);
	T_EQ(pi.gpl_compatible, 1);
	T_EQ(pi.verified_insns, 2); /* the verifier processed both instructions */
	T_EQ(sops_prog_get_next_id(rt, 0, &next), 0);
	T_EQ(next, pi.id);
	T_EQ(sops_link_get_next_id(rt, 0, &next), -ENOENT);
	sops_close(rt, m1);
	T_EQ(sops_runtime__live_objects(rt, SOPS_OBJ_MAP), 2); /* fd still holds it */
	sops_close(rt, fd);
	sops_close(rt, m2);
	sops_close(rt, p);
	T_EQ(sops_map_get_next_id(rt, 0, &next), -ENOENT);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

TEST(rt_btf_load)
{
	struct sops_runtime *rt = rt_test_new(false);
	/* a minimal BTF: header + one INT type "int" */
	struct {
		uint16_t magic;
		uint8_t version, flags;
		uint32_t hdr_len, type_off, type_len, str_off, str_len;
		uint32_t t[4];
		char strs[5];
	} __attribute__((packed)) btf = { 0xeB9F, 1, 0, 24, 0, 16, 16, 5,
					  { 1, 1u << 24, 4, (1u << 24) | 32 }, "\0int" };
	struct sops_bpf_btf_info bi;
	uint32_t len = sizeof(bi), next;
	char junk[32] = { 1, 2, 3 };
	int fd;

	T_ASSERT(rt);
	fd = sops_btf_load(rt, &btf, sizeof(btf), NULL, 0);
	T_ASSERT(fd > 0);
	memset(&bi, 0, sizeof(bi));
	T_EQ(sops_obj_get_info_by_fd(rt, fd, &bi, &len), 0);
	T_EQ(bi.btf_size, sizeof(btf));
	T_EQ(sops_btf_get_next_id(rt, 0, &next), 0);
	T_EQ(next, bi.id);
	T_EQ(sops_btf_load(rt, junk, sizeof(junk), NULL, 0), -EINVAL);
	T_EQ(sops_btf_load(rt, NULL, 0, NULL, 0), -EINVAL);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

#define ATTR_END(f) (offsetof(union sops_bpf_attr, f) + sizeof(((union sops_bpf_attr *)0)->f))

/*
 * Each command's last field: a non-zero byte right after it is EINVAL (the
 * kernel's CHECK_ATTR), where the same attr without it fails otherwise.
 */
TEST(rt_attr_tail_per_command)
{
	static const struct {
		int cmd;
		size_t end;
	} cmds[] = {
		{ SOPS_BPF_MAP_LOOKUP_ELEM, ATTR_END(flags) },
		{ SOPS_BPF_MAP_UPDATE_ELEM, ATTR_END(flags) },
		{ SOPS_BPF_MAP_DELETE_ELEM, ATTR_END(flags) },
		{ SOPS_BPF_MAP_LOOKUP_AND_DELETE_ELEM, ATTR_END(flags) },
		{ SOPS_BPF_MAP_GET_NEXT_KEY, ATTR_END(next_key) },
		{ SOPS_BPF_MAP_FREEZE, ATTR_END(map_fd) },
		{ SOPS_BPF_PROG_TEST_RUN, ATTR_END(test.batch_size) },
		{ SOPS_BPF_PROG_GET_NEXT_ID, ATTR_END(next_id) },
		{ SOPS_BPF_MAP_GET_NEXT_ID, ATTR_END(next_id) },
		{ SOPS_BPF_LINK_GET_NEXT_ID, ATTR_END(next_id) },
		{ SOPS_BPF_PROG_GET_FD_BY_ID, ATTR_END(start_id) },
		{ SOPS_BPF_MAP_GET_FD_BY_ID, ATTR_END(open_flags) },
		{ SOPS_BPF_LINK_GET_FD_BY_ID, ATTR_END(start_id) },
		{ SOPS_BPF_OBJ_GET_INFO_BY_FD, ATTR_END(info.info) },
		{ SOPS_BPF_LINK_CREATE, ATTR_END(link_create.uprobe_multi.pid) },
		{ SOPS_BPF_LINK_UPDATE, ATTR_END(link_update.old_prog_fd) },
		{ SOPS_BPF_LINK_DETACH, ATTR_END(link_detach.link_fd) },
		{ SOPS_BPF_PROG_ASSOC_STRUCT_OPS, ATTR_END(prog_assoc_struct_ops.prog_fd) },
	};
	struct sops_runtime *rt = rt_test_new(false);
	union sops_bpf_attr attr;

	T_ASSERT(rt);
	/* (PROG_LOAD's last field ends the union: only a larger attr has a tail, E2BIG.) */
	for (size_t i = 0; i < NINSN(cmds); i++) {
		int base;

		memset(&attr, 0, sizeof(attr));
		base = sops_bpf(rt, cmds[i].cmd, &attr, sizeof(attr));
		if (base == -EINVAL)
			T_FAIL("cmd %d: the zero attr is EINVAL already", cmds[i].cmd);
		T_ASSERT(cmds[i].end < sizeof(attr));
		memset(&attr, 0, sizeof(attr));
		((char *)&attr)[cmds[i].end] = 1;
		if (sops_bpf(rt, cmds[i].cmd, &attr, sizeof(attr)) != -EINVAL)
			T_FAIL("cmd %d: a byte past its last field is not EINVAL", cmds[i].cmd);
	}
	/* no attr with a size: EFAULT; no size: a zeroed attr */
	T_EQ(sops_bpf(rt, SOPS_BPF_MAP_FREEZE, NULL, 8), -EFAULT);
	T_EQ(sops_bpf(rt, SOPS_BPF_MAP_FREEZE, NULL, 0), -EBADF);
	T_EQ(sops_bpf(NULL, SOPS_BPF_MAP_FREEZE, &attr, sizeof(attr)), -EINVAL);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	sops_runtime__free(rt);
}

/* The id and info commands' own failure paths. */
TEST(rt_id_info_errors)
{
	struct sops_runtime *rt = rt_test_new(false);
	union sops_bpf_attr attr;
	uint32_t next, len = 8;
	int fd;

	T_ASSERT(rt);
	fd = sops_map_create(rt, SOPS_BPF_MAP_TYPE_ARRAY, "m", 4, 4, 1, NULL);
	T_ASSERT(fd > 0);
	T_EQ(sops_map_get_next_id(rt, INT32_MAX, &next), -EINVAL);
	T_EQ(sops_map_get_next_id(rt, 0, &next), 0);
	memset(&attr, 0, sizeof(attr));
	attr.start_id = next;
	attr.open_flags = SOPS_BPF_F_RDONLY | SOPS_BPF_F_WRONLY;
	T_EQ(sops_bpf(rt, SOPS_BPF_MAP_GET_FD_BY_ID, &attr, sizeof(attr)), -EINVAL);
	attr.open_flags = 1u << 31;
	T_EQ(sops_bpf(rt, SOPS_BPF_MAP_GET_FD_BY_ID, &attr, sizeof(attr)), -EINVAL);
	T_EQ(sops_obj_get_info_by_fd(rt, fd, NULL, &len), -EFAULT);
	T_EQ(sops_obj_get_info_by_fd(rt, 999, &next, &len), -EBADF);
	sops_close(rt, fd);
	T_EQ(sops_runtime__live_objects(rt, -1), 0);
	T_EQ(sops_runtime__open_handles(rt), 0);
	sops_runtime__free(rt);
}
