#!/bin/sh
# tool_gen.sh BUILD_DIR - `structops gen skeleton` (issue 13, item 3) end to
# end: a host with a struct_ops type (its BTF by scripts/host-btf.sh), a BPF
# object with .bss/.data/.rodata variables, a .maps map, a syscall program
# and a struct_ops map; its skeleton compiled into a host linked with
# libstructops.a (SAN_FLAGS too, so check-asan sees leaks at destroy), which
# checks that host and programs share the variables both ways, that .rodata,
# .data and a struct_ops shadow member set before load are seen, and that
# attach/detach drive the type's reg/unreg. Then the failures: --help, a
# missing file, a non-ELF file, bad options. `N passed, N failed` last.
set -u
build=${1:-build}
tool="$build/structops"
. "$(dirname "$0")/lib_tool.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
san=${SAN_FLAGS:-}
clang=${BPF_CLANG:-clang-19}
sysinc="-I/usr/include/$(cc -dumpmachine)"
libs="-lbpf -lelf -lz -lffi -lm -lpthread -lurcu-bp -ldl"

# The host's struct_ops type, in its own unit: its BTF is the host BTF.
cat >"$tmp/ops.c" <<'C'
#include <stddef.h>
#include <string.h>
#include <linux/btf.h>
#include <bpf/btf.h>
#include <structops/struct_ops.h>

struct gen_ops {
	int (*calc)(int x);
	int scale;
	char tag[8];
};

int gen_ops__calc(int x);
__attribute__((noinline, used)) int gen_ops__calc(int x) { return x; }
static const struct gen_ops stubs = { .calc = gen_ops__calc };
static struct gen_ops *active;

int gen_call(int x) { return active ? active->calc(x) : -1; }
int gen_active_scale(void) { return active ? active->scale : -1; }
const char *gen_active_tag(void) { return active ? active->tag : ""; }

static int st_init(const struct btf *btf) { return 0; }
static int st_init_member(const struct btf_type *t, const struct btf_member *m, void *kdata,
			  const void *udata)
{
	unsigned int bits = btf_member_bit_offset(t, m - btf_members(t));

	if (bits == offsetof(struct gen_ops, scale) * 8) {
		((struct gen_ops *)kdata)->scale = ((const struct gen_ops *)udata)->scale;
		return 1;
	}
	if (bits == offsetof(struct gen_ops, tag) * 8) {
		memcpy(((struct gen_ops *)kdata)->tag, ((const struct gen_ops *)udata)->tag, 8);
		return 1;
	}
	return 0;
}
static int st_reg(void *kdata, struct sops_struct_ops_link *link) { active = kdata; return 0; }
static void st_unreg(void *kdata, struct sops_struct_ops_link *link) { active = NULL; }
static struct sops_struct_ops st = {
	.name = "gen_ops", .init = st_init, .init_member = st_init_member,
	.reg = st_reg, .unreg = st_unreg, .cfi_stubs = &stubs,
};

int gen_register(struct sops_runtime *rt) { return sops_runtime__register_struct_ops(rt, &st, NULL); }
C

cat >"$tmp/gen.bpf.c" <<'C'
#include <linux/types.h>
#include <linux/bpf.h>
#include "ops_host.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct pair { int a, b; };

int input;                  /* .bss: the host writes it */
struct pair output;         /* .bss: the programs write it */
int bias = 5;               /* .data */
int extra SEC(".data.extra") = 9;
const volatile int factor = 1; /* .rodata: set before load */

SEC("struct_ops/calc")
int BPF_PROG(gen_calc, int x)
{
	output.a = x;
	return x * factor + input + bias;
}

SEC("syscall")
int gen_bump(void *ctx)
{
	output.b += 1;
	return input + bias + factor + extra;
}

/* A string literal: clang puts it in .rodata.str1.1, which the skeleton leaves out. */
SEC("syscall")
int gen_str(void *ctx)
{
	const char *p = "xyzw";

	return p[input & 3];
}

SEC(".struct_ops.link")
struct gen_ops ops = {
	.calc = (void *)gen_calc,
	.scale = 1,
	.tag = "bpf",
};
C

cat >"$tmp/main.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <structops/btf.h>
#include <structops/runtime.h>
#include "gen.skel.h"

int gen_register(struct sops_runtime *rt);
int gen_call(int x);
int gen_active_scale(void);
const char *gen_active_tag(void);

static int bad;
#define CHECK(what, cond)                                                                          \
	do {                                                                                       \
		int ok_ = (cond);                                                                  \
		printf("%s %s\n", ok_ ? "ok" : "not-ok", what);                                    \
		bad |= !ok_;                                                                       \
	} while (0)

static int bump(struct sops_runtime *rt, struct gen_bpf *s)
{
	struct sops_test_run_opts o = { .sz = sizeof(o) };

	if (sops_prog_test_run_opts(rt, sops_program__handle(s->progs.gen_bump), &o))
		return -1;
	return (int)o.retval;
}

int main(int argc, char **argv)
{
	struct sops_runtime_opts ro = { .sz = sizeof(ro) };
	struct sops_runtime *rt = NULL;
	struct sops_btf *btf = NULL;
	struct gen_bpf *s;
	size_t sz = 0;
	void *before;

	if (argc < 2 || sops_btf__load_file(argv[1], NULL, &btf))
		return 2;
	ro.host_btf = sops_btf__libbpf(btf);
	if (sops_runtime__new(&ro, &rt) || gen_register(rt))
		return 2;
	s = gen_bpf__open();
	CHECK("open", s != NULL);
	if (!s)
		return 1;
	CHECK("typed members", s->progs.gen_calc && s->progs.gen_bump && s->maps.counts &&
	      s->maps.bss && s->maps.data && s->maps.rodata && s->maps.data_extra && s->maps.ops);
	CHECK("initial values before load", s->data->bias == 5 && s->rodata->factor == 1 &&
	      s->data_extra->extra == 9 && s->bss->input == 0);
	CHECK("struct_ops shadow", s->struct_ops.ops->calc == s->progs.gen_calc &&
	      s->struct_ops.ops->scale == 1 && !strcmp(s->struct_ops.ops->tag, "bpf"));
	CHECK("embedded ELF", gen_bpf__elf_bytes(&sz) && sz > 64);
	before = s->bss;
	s->rodata->factor = 3;
	s->data->bias = 7;
	s->struct_ops.ops->scale = 11;
	CHECK("load", gen_bpf__load(s, rt) == 0);
	CHECK("bss now the live value", s->bss && (void *)s->bss != before &&
	      (void *)s->bss == sops_map__mmaped(s->maps.bss, NULL));
	s->bss->input = 100;
	CHECK("program sees host writes, .data and .rodata set before load",
	      bump(rt, s) == 100 + 7 + 3 + 9);
	CHECK("host sees the program's write", s->bss->output.b == 1);
	CHECK("attach", gen_bpf__attach(s) == 0 && s->links.ops);
	CHECK("shadow member set before load reached the host", gen_active_scale() == 11 &&
	      !strcmp(gen_active_tag(), "bpf"));
	CHECK("op call", gen_call(4) == 4 * 3 + 100 + 7);
	CHECK("op's write read directly", s->bss->output.a == 4);
	s->bss->input = 200;
	s->data->bias = 1;
	CHECK("later host writes seen by the op", gen_call(1) == 3 + 200 + 1);
	CHECK("detach", gen_bpf__detach(s) == 0 && !s->links.ops && gen_call(0) == -1);
	CHECK("attach again", gen_bpf__attach(s) == 0 && gen_call(0) == 201);
	gen_bpf__destroy(s);
	CHECK("destroy unregisters", gen_call(0) == -1);
	s = gen_bpf__open_file("/nonexistent/gen.bpf.o", NULL);
	CHECK("open_file of a missing file", !s && errno == ENOENT);
	sops_runtime__free(rt);
	sops_btf__free(btf);
	return bad;
}
C

if cc -g -O1 $san -Iinclude -c "$tmp/ops.c" -o "$tmp/ops.o" >"$tmp/cc.log" 2>&1 &&
	sh scripts/host-btf.sh "$tmp/ops.o" "$tmp/ops.btf" >>"$tmp/cc.log" 2>&1 &&
	"$tool" btf dump "$tmp/ops.btf" --format c >"$tmp/ops_host.h" 2>>"$tmp/cc.log" &&
	"$clang" -g -O2 -target bpf -mcpu=v3 $sysinc -I"$tmp" -c "$tmp/gen.bpf.c" -o "$tmp/gen.bpf.o" \
		>>"$tmp/cc.log" 2>&1; then
	ok "host type, its BTF and the BPF object build"
else
	ko "host type, its BTF and the BPF object build" "$(tail -n 5 "$tmp/cc.log")"
fi

if "$tool" gen skeleton "$tmp/gen.bpf.o" >"$tmp/gen.skel.h" 2>"$tmp/gen.err"; then
	ok "gen skeleton exits 0"
else
	ko "gen skeleton exits 0" "$(cat "$tmp/gen.err")"
fi
grep -q "^struct gen_bpf {" "$tmp/gen.skel.h" && grep -q "struct gen_bpf__bss \*bss;" "$tmp/gen.skel.h" &&
	grep -q "struct gen_bpf__ops__gen_ops \*ops;" "$tmp/gen.skel.h" &&
	grep -q "struct gen_bpf__data_extra \*data_extra;" "$tmp/gen.skel.h" &&
	ok "default name gen_bpf: data, data_extra, bss, rodata, struct_ops members" ||
	ko "skeleton members" "$(grep -n "^struct\|\*" "$tmp/gen.skel.h" | head -20)"
grep -q "int factor;" "$tmp/gen.skel.h" && ! grep -q "volatile int factor" "$tmp/gen.skel.h" &&
	ok ".rodata members lose const volatile (the host writes them before load)" ||
	ko ".rodata member type" "$(grep -n factor "$tmp/gen.skel.h")"
if "$tool" object show "$tmp/gen.bpf.o" 2>&1 | grep -q 'rodata\.str1\.1'; then
	grep -q "rodata_str\|rodata\.str" "$tmp/gen.skel.h" &&
		ko ".rodata.str1.1 (not an identifier) left out" "$(grep -n "rodata.str" "$tmp/gen.skel.h")" ||
		ok ".rodata.str1.1 (not an identifier) left out"
else
	ko ".rodata.str1.1 (not an identifier) left out" "the object has no .rodata.str1.1 map"
fi

if cc -g -O1 -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes \
	-Wmissing-prototypes -Werror $san -Iinclude -I"$tmp" -o "$tmp/host" "$tmp/main.c" "$tmp/ops.o" \
	"$build/libstructops.a" $libs >"$tmp/host.log" 2>&1; then
	ok "a host including the skeleton builds warning-free"
else
	ko "a host including the skeleton builds warning-free" "$(head -n 8 "$tmp/host.log")"
fi
if "$tmp/host" "$tmp/ops.btf" >"$tmp/run.out" 2>&1; then
	ok "the host's checks pass ($(grep -c '^ok ' "$tmp/run.out") of them)"
else
	ko "the host's checks" "$(grep -v '^ok ' "$tmp/run.out" | head -n 10)"
fi
for c in "program sees host writes" "host sees the program's write" \
	"shadow member set before load reached the host" "later host writes seen by the op" \
	"destroy unregisters"; do
	grep -q "^ok $c" "$tmp/run.out" && ok "host: $c" || ko "host: $c" "$(grep "$c" "$tmp/run.out")"
done

# --name and its check.
"$tool" gen skeleton "$tmp/gen.bpf.o" --name my_skel >"$tmp/named.h" 2>&1 &&
	grep -q "^struct my_skel {" "$tmp/named.h" && grep -q "my_skel__open(void)" "$tmp/named.h" &&
	ok "--name NAME" || ko "--name NAME" "$(head -c 300 "$tmp/named.h")"
"$tool" gen skeleton "$tmp/gen.bpf.o" --name 9bad >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "not a C identifier" "$tmp/err" && ok "--name not an identifier: exit 2" ||
	ko "--name not an identifier" "$(cat "$tmp/err")"

# Failures.
check_out "gen --help: usage" "usage: structops gen skeleton FILE.o [--name NAME]" "$tool" gen --help
check_out "gen --help: exit status" "Exit status: 0 success" "$tool" gen skeleton --help
check_out "gen --help: example" "structops gen skeleton lru.bpf.o > lru.skel.h" "$tool" gen --help
check_out "structops --help lists gen" "gen        generate a skeleton" "$tool" --help
"$tool" gen skeleton "$tmp/none.o" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q "$tmp/none.o: No such file or directory" "$tmp/err" &&
	ok "missing file: exit 1, named, nothing printed" || ko "missing file" "$(cat "$tmp/err")"
printf 'not an ELF file\n' >"$tmp/text.o"
"$tool" gen skeleton "$tmp/text.o" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q "text.o" "$tmp/err" &&
	ok "non-ELF file: exit 1, named ($(head -c 80 "$tmp/err"))" || ko "non-ELF file" "$(cat "$tmp/err")"
"$tool" gen skeleton "$tmp/gen.bpf.o" --bogus >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "unknown option '--bogus'" "$tmp/err" && ok "unknown option: exit 2" ||
	ko "unknown option" "$(cat "$tmp/err")"
"$tool" gen skeleton >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "FILE.o missing" "$tmp/err" && ok "no FILE: exit 2" || ko "no FILE" "$(cat "$tmp/err")"
"$tool" gen frobnicate >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "unknown subcommand 'frobnicate'" "$tmp/err" && ok "unknown subcommand: exit 2" ||
	ko "unknown subcommand" "$(cat "$tmp/err")"
summary
