#!/bin/sh
# tool_prog.sh BUILD_DIR - `structops prog run`: load a clang-built object, run a program
# through PROG_TEST_RUN (interpreter and JIT), text and JSON output, errors.
set -u
tool=${STRUCTOPS_TOOL:-${1:-build}/structops}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
check() { # name, expected substring, command...
	name=$1 want=$2
	shift 2
	out=$("$@" 2>&1)
	case $out in
	*"$want"*) pass=$((pass + 1)) ;;
	*) fail=$((fail + 1)); echo "FAIL $name: got: $out" ;;
	esac
}
cat > "$tmp/p.bpf.c" <<'C'
typedef unsigned int u32;
typedef unsigned long long u64;
struct ctx { u32 a, b; };
u32 bias = 2;
__attribute__((section("syscall"), used)) int add(struct ctx *c) { return c->a + c->b + bias; }
char LICENSE[] __attribute__((section("license"), used)) = "GPL";
C
if ! clang-19 -O2 -g -target bpf -c "$tmp/p.bpf.c" -o "$tmp/p.o" 2>"$tmp/cc.log"; then
	echo "FAIL tool_prog: cannot build the test object: $(cat "$tmp/cc.log")"
	echo "0 passed, 1 failed"
	exit 1
fi
check text "retval 42" "$tool" prog run "$tmp/p.o" add --ctx-in 1400000014000000
check json '"retval": 42' "$tool" prog run "$tmp/p.o" add --ctx-in 1400000014000000 --json --repeat 10
check jit "retval 42" "$tool" prog run "$tmp/p.o" add --ctx-in 1400000014000000 --jit
check noprog "no program named" "$tool" prog run "$tmp/p.o" nope
check badhex "not a hex" "$tool" prog run "$tmp/p.o" add --ctx-in 1
check help "usage: structops prog run" "$tool" prog --help
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
