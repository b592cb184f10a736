/* SPDX-License-Identifier: MIT */
/*
 * core.bpf.c - CO-RE test programs (tests/test_core.c loads and runs them).
 *
 * This object does not include host.h: it declares its own, older view of the
 * test host's core_* types (tests/bpf/host_types.h has the host's layout), so
 * every access below needs a CO-RE relocation to be right. Each program
 * takes a struct core_io (a plain local struct, not relocated) with a
 * pointer to a host-layout struct core_s and writes its results to out[].
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

#define __pai __attribute__((preserve_access_index))

struct core_inner {
	int val;
} __pai;

struct core_s {
	int a;
	int b;
	unsigned int us;
	unsigned int moved : 7;
	int sbits : 5;
	unsigned int flags : 3;
	unsigned char c;
	long long arr[4];
	struct core_inner inner;
	long long ul;
	int anon_i;
	struct {
		int x;
		int y;
	};
	struct core_inner *ptr;
	int removed; /* gone from the host */
} __pai;

/* A flavor: the same host type seen through another local declaration. */
struct core_s___old {
	int a;
	int b;
	int zz; /* never existed */
} __pai;

typedef struct core_s core_s_t;

union core_u {
	int i;
} __pai;

struct core_missing {
	int z;
} __pai;

struct core_m___ok {
	int x;
	struct core_m___ok *next;
};

struct core_m___bad {
	unsigned int x;
};

struct core_mod {
	int m2;
} __pai;

enum core_enum { CORE_ZERO, CORE_ONE, CORE_TWO, CORE_GONE };
enum core_enum___v2 { CORE_ONE___v2 = 1, CORE_NEW___v2 = 2 };
enum core_enum64 { CORE_BIG = 0x100000000ULL };

struct core_io {
	struct core_s *s;
	__u64 out[32];
};

SEC("syscall")
int core_fields(struct core_io *io)
{
	struct core_s *s = io->s;

	io->out[0] = s->a;
	io->out[1] = s->us;
	io->out[2] = BPF_CORE_READ(s, inner.val);
	io->out[3] = BPF_CORE_READ(s, arr[2]);
	io->out[4] = s->ptr->val;
	io->out[5] = s->anon_i;
	io->out[6] = s->y;
	io->out[7] = s->c;
	io->out[8] = bpf_core_field_offset(s->inner.val);
	io->out[9] = bpf_core_field_size(s->b);
	io->out[10] = bpf_core_field_size(s->arr);
	io->out[11] = bpf_core_field_exists(s->removed);
	io->out[12] = bpf_core_field_exists(s->c);
	io->out[13] = __builtin_preserve_field_info(s->ul, BPF_FIELD_SIGNED);
	io->out[14] = __builtin_preserve_field_info(s->a, BPF_FIELD_SIGNED);
	io->out[15] = bpf_core_field_size(s->arr[1]);
	io->out[16] = bpf_core_field_offset(s->arr[3]);
	if (bpf_core_field_exists(s->removed))
		io->out[17] = s->removed;
	else
		io->out[17] = 77;
	io->out[18] = s->ul;
	io->out[19] = s->arr[1];
	return 0;
}

SEC("syscall")
int core_bitfields(struct core_io *io)
{
	struct core_s *s = io->s;

	io->out[0] = BPF_CORE_READ_BITFIELD(s, flags);
	io->out[1] = BPF_CORE_READ_BITFIELD(s, sbits);
	io->out[2] = BPF_CORE_READ_BITFIELD(s, moved);
	io->out[3] = BPF_CORE_READ_BITFIELD_PROBED(s, sbits);
	io->out[4] = BPF_CORE_READ_BITFIELD_PROBED(s, moved);
	io->out[5] = __builtin_preserve_field_info(s->moved, BPF_FIELD_LSHIFT_U64);
	io->out[6] = __builtin_preserve_field_info(s->moved, BPF_FIELD_RSHIFT_U64);
	io->out[7] = __builtin_preserve_field_info(s->sbits, BPF_FIELD_SIGNED);
	io->out[8] = bpf_core_field_size(s->moved);
	io->out[9] = bpf_core_field_offset(s->moved);
	return 0;
}

SEC("syscall")
int core_types(struct core_io *io)
{
	io->out[0] = bpf_core_type_exists(struct core_s);
	io->out[1] = bpf_core_type_exists(struct core_missing);
	io->out[2] = bpf_core_type_size(struct core_s);
	io->out[3] = bpf_core_type_id_kernel(struct core_s);
	io->out[4] = bpf_core_type_id_local(struct core_s);
	io->out[5] = bpf_core_type_matches(struct core_m___ok);
	io->out[6] = bpf_core_type_matches(struct core_m___bad);
	io->out[7] = bpf_core_type_exists(core_s_t);
	io->out[8] = bpf_core_type_size(struct core_missing);
	io->out[9] = bpf_core_type_id_kernel(struct core_s___old);
	io->out[10] = bpf_core_type_size(union core_u);
	io->out[11] = bpf_core_type_exists(struct core_mod);
	io->out[12] = bpf_core_type_id_kernel(struct core_mod);
	io->out[13] = bpf_core_type_size(core_s_t);
	return 0;
}

SEC("syscall")
int core_enums(struct core_io *io)
{
	io->out[0] = bpf_core_enum_value_exists(enum core_enum, CORE_TWO);
	io->out[1] = bpf_core_enum_value(enum core_enum, CORE_TWO);
	io->out[2] = bpf_core_enum_value_exists(enum core_enum, CORE_GONE);
	io->out[3] = bpf_core_enum_value(enum core_enum64, CORE_BIG);
	io->out[4] = bpf_core_enum_value(enum core_enum___v2, CORE_NEW___v2);
	if (bpf_core_enum_value_exists(enum core_enum, CORE_GONE))
		io->out[5] = bpf_core_enum_value(enum core_enum, CORE_GONE);
	else
		io->out[5] = 5;
	io->out[6] = bpf_core_enum_value(enum core_enum, CORE_ZERO);
	return 0;
}

SEC("syscall")
int core_flavor(struct core_io *io)
{
	struct core_s___old *o = (void *)io->s;

	io->out[0] = o->a;
	io->out[1] = BPF_CORE_READ(o, a);
	io->out[2] = bpf_core_field_exists(o->zz);
	io->out[3] = bpf_core_field_exists(o->b);
	io->out[4] = bpf_core_field_offset(o->a);
	return 0;
}

/* Unguarded reads that cannot be right: poisoned, they fail when run. */
SEC("syscall")
int core_poison_missing(struct core_io *io)
{
	return io->s->removed;
}

SEC("syscall")
int core_poison_size(struct core_io *io)
{
	return io->s->b; /* int locally, short on the host: signed, cannot be narrowed */
}

SEC("syscall")
int core_module(struct core_io *io)
{
	struct core_mod *m = (void *)io->s;

	io->out[0] = bpf_core_field_offset(m->m2);
	io->out[1] = m->m2;
	return 0;
}
