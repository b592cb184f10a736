#!/bin/sh
# tool_hostbtf.sh BUILD_DIR - a host's BTF through scripts/host-btf.sh and
# `structops btf dump` (issue 12, items 5 and 6): a host that links
# libstructops.a (whose internals use C11 atomics, which pahole cannot encode)
# dumps to a header clang compiles; only the functions named with --kfuncs
# (or @FILE) are declared as kfuncs; bad names and split BTF without --base
# get messages. Prints PASS/FAIL lines and `N passed, N failed` last.
set -u
build=${1:-build}
tool="$build/structops"
. "$(dirname "$0")/lib_tool.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
san=${SAN_FLAGS:-}
clang=${BPF_CLANG:-clang-19}
sysinc="-I/usr/include/$(cc -dumpmachine)"

cat >"$tmp/host.c" <<'C'
#include <stdatomic.h>
#include <structops/struct_ops.h>
struct host_ops { int (*pick)(int x); };
struct host_stats { atomic_int hits; _Atomic unsigned int misses; long total; };
struct host_stats host_stats;
int host_ops__pick(int x) { return x; }
int host_kfunc_add(int a, int b) { return a + b; }
int host_private(int a) { return a * 2; }
int main(void)
{
	struct sops_runtime_opts o = { .sz = sizeof(o) };
	struct sops_runtime *rt;

	if (sops_runtime__new(&o, &rt))
		return 1;
	sops_runtime__free(rt);
	return host_private(host_kfunc_add(1, host_ops__pick(0))) == 2 ? 0 : 1;
}
C
if cc -g -O1 $san -Iinclude -o "$tmp/host" "$tmp/host.c" "$build/libstructops.a" \
	-lbpf -lelf -lz -lffi -lm -lpthread -lurcu-bp -ldl >"$tmp/cc.log" 2>&1; then
	ok "host linking libstructops.a builds"
else
	ko "host linking libstructops.a builds" "$(tail -n 3 "$tmp/cc.log")"
fi
check "host-btf.sh on it" sh scripts/host-btf.sh "$tmp/host" "$tmp/host.btf"

# 5: the library's atomics and the host's own no longer break the dump.
if "$tool" btf dump "$tmp/host.btf" --format c >"$tmp/host.h" 2>"$tmp/dump.err"; then
	ok "btf dump --format c of a host linking libstructops.a"
else
	ko "btf dump --format c of a host linking libstructops.a" "$(head -c 300 "$tmp/dump.err")"
fi
grep -q "typedef int atomic_int;" "$tmp/host.h" && ok "C11 atomic typedefs get their types" \
	|| ko "C11 atomic typedefs get their types" "$(grep -n atomic_int "$tmp/host.h" | head -3)"
grep -q "__sops_untyped_4 misses;" "$tmp/host.h" && ok "an _Atomic member keeps its room" \
	|| ko "an _Atomic member keeps its room" "$(grep -n -A4 "struct host_stats {" "$tmp/host.h")"
grep -q "cannot encode C11 _Atomic" "$tmp/host.h" && ok "header says why a member is untyped" \
	|| ko "header says why a member is untyped" "no comment"
printf '#include "host.h"\nint use(struct host_stats *s) { return s->total; }\n' >"$tmp/prog.c"
check "the header compiles for BPF" "$clang" -g -O2 -target bpf $sysinc -I"$tmp" -c "$tmp/prog.c" -o "$tmp/prog.o"

# 6: kfuncs only where named.
grep -q "__ksym;" "$tmp/host.h" && ko "no kfuncs without --kfuncs" "$(grep -n "__ksym;" "$tmp/host.h" | head -3)" \
	|| ok "no kfuncs without --kfuncs"
grep -q "No kfunc declarations" "$tmp/host.h" && grep -q "(or --kfuncs @FILE)" "$tmp/host.h" &&
	ok "the header says how to declare kfuncs" || ko "the header says how to declare kfuncs" "no comment"
"$tool" btf dump "$tmp/host.btf" --format c --kfuncs host_kfunc_add >"$tmp/k.h" 2>&1
if grep -q "extern int host_kfunc_add(int a, int b) __weak __ksym;" "$tmp/k.h" &&
	! grep -q "host_private" "$tmp/k.h" && ! grep -q "extern.*main" "$tmp/k.h"; then
	ok "--kfuncs declares the named function only"
else
	ko "--kfuncs declares the named function only" "$(grep -n "__ksym;\|host_private" "$tmp/k.h" | head -5)"
fi
printf '# the host registers these\nhost_kfunc_add\n\nhost_ops__pick, host_kfunc_add\n' >"$tmp/kfuncs.txt"
"$tool" btf dump "$tmp/host.btf" --format c --kfuncs @"$tmp/kfuncs.txt" >"$tmp/f.h" 2>&1
if grep -q "extern int host_kfunc_add" "$tmp/f.h" && grep -q "extern int host_ops__pick" "$tmp/f.h" &&
	! grep -q "host_private" "$tmp/f.h"; then
	ok "--kfuncs @FILE"
else
	ko "--kfuncs @FILE" "$(grep -n "__ksym;" "$tmp/f.h" | head -5)"
fi
printf '#include "k.h"\nint call(void) { return host_kfunc_add(1, 2); }\n' >"$tmp/kprog.c"
check "a program calling the declared kfunc compiles" "$clang" -g -O2 -target bpf $sysinc -I"$tmp" \
	-c "$tmp/kprog.c" -o "$tmp/kprog.o"
check_out "--kfuncs with an unknown name" "kfunc 'host_nope' is not a function of this BTF" \
	"$tool" btf dump "$tmp/host.btf" --format c --kfuncs host_kfunc_add,host_nope
"$tool" btf dump "$tmp/host.btf" --format c --kfuncs host_nope >"$tmp/bad.h" 2>/dev/null
[ $? -eq 1 ] && [ ! -s "$tmp/bad.h" ] && ok "an unknown kfunc fails before any output" \
	|| ko "an unknown kfunc fails before any output" "$(head -c 200 "$tmp/bad.h")"
check_out "--kfuncs needs --format c" "--kfuncs needs --format c" \
	"$tool" btf dump "$tmp/host.btf" --kfuncs host_kfunc_add
check_out "--kfuncs @missing file" "--kfuncs @$tmp/none: No such file" \
	"$tool" btf dump "$tmp/host.btf" --format c --kfuncs @"$tmp/none"
check_out "btf --help lists --kfuncs" "--kfuncs LIST" "$tool" btf dump --help

# Split BTF (a module's) without --base says to pass it; with it, it dumps.
if [ -f "$build/tests/st/bpf_testmod.btf" ]; then
	check_out "split BTF without --base names --base" "structops btf dump --base HOST_BTF" \
		"$tool" btf dump "$build/tests/st/bpf_testmod.btf"
	check "split BTF with --base" "$tool" btf dump "$build/tests/st/bpf_testmod.btf" \
		--base "$build/tests/st/st_host.btf"
else
	ko "split BTF without --base" "$build/tests/st/bpf_testmod.btf not built"
fi
# host-btf.sh refuses a binary without DWARF, saying so.
printf 'int nog;\n' >"$tmp/nog.c"
cc -c "$tmp/nog.c" -o "$tmp/nog.o"
check_out "host-btf.sh without -g" "has no DWARF (.debug_info): build it with -g" \
	sh scripts/host-btf.sh "$tmp/nog.o" "$tmp/nog.btf"
summary
