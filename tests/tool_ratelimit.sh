#!/bin/sh
# tool_ratelimit.sh BUILD_DIR - the host author's example (examples/ratelimit,
# the guide in docs/struct_ops.md): built by `make check`, run here; every
# decision and the policy's verdict (verified, JIT) must be as expected, and
# a wrong host BTF or policy must fail with a message saying why.
# Prints PASS/FAIL lines and `N passed, N failed` last.
set -u
build=${1:-build}
dir="$build/examples/ratelimit"
. "$(dirname "$0")/lib_tool.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$dir/ratelimit" ] || [ ! -f "$dir/policy.bpf.o" ] || [ ! -f "$dir/ratelimit.btf" ]; then
	ko "ratelimit example" "not built in $dir (make ratelimit-example)"
	summary
	exit 1
fi
if "$dir/ratelimit" "$dir/ratelimit.btf" "$dir/policy.bpf.o" >"$tmp/out" 2>&1; then
	ok "ratelimit example runs"
else
	ko "ratelimit example runs" "$(cat "$tmp/out")"
fi
for want in "program    budget_admit: verified, JIT" "policy     budget attached" \
	"request  5 client 1 cost 1: refused" "request  8 client 2 cost 1: admitted" \
	"request  9 client 3 cost 1: refused" "ratelimit: all 10 decisions as expected"; do
	grep -qF "$want" "$tmp/out" && ok "output: $want" || ko "output: $want" "$(cat "$tmp/out")"
done
# The header declares the registered kfunc and no other host function.
grep -q "extern u64 rl_budget(u64 client) __weak __ksym;" "$dir/ratelimit_host.h" &&
	! grep -q "ratelimit_register\|ratelimit_live" "$dir/ratelimit_host.h" &&
	ok "header declares only the kfunc" || ko "header declares only the kfunc" "$(grep -n __ksym "$dir/ratelimit_host.h")"
# Failure paths say why and exit 1.
other="$build/tests/bpf/host.btf"
if [ -f "$other" ]; then
	"$dir/ratelimit" "$other" "$dir/policy.bpf.o" >"$tmp/bad" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -q "registration: struct_ops ratelimit_ops: no struct ratelimit_ops in the host's BTF" "$tmp/bad" &&
		ok "a host BTF without the type is refused by name" || ko "a host BTF without the type is refused by name" "rc $rc: $(cat "$tmp/bad")"
fi
"$dir/ratelimit" "$dir/ratelimit.btf" "$dir/ratelimit.btf" >"$tmp/bad" 2>&1
[ $? -eq 1 ] && grep -q "ratelimit: $dir/ratelimit.btf: " "$tmp/bad" && ok "a non-object policy fails loudly" \
	|| ko "a non-object policy fails loudly" "$(cat "$tmp/bad")"
check_out "usage" "usage:" "$dir/ratelimit"
# The guide in docs/struct_ops.md quotes the example: every quoted C line must be in its sources.
missing=$(awk '/^## Expose your ops table/{g=1} /^More for host authors/{g=0} g && /```c/{c=1; next} g && /```/{c=0} g && c' \
	docs/struct_ops.md | sed 's/^   //' | grep -v '^\s*\.\.\.\s*$' | grep -v '^\s*$' | while IFS= read -r line; do
	grep -qF -- "$line" examples/ratelimit/*.c examples/ratelimit/*.h || printf '%s\n' "$line"
done)
[ -z "$missing" ] && ok "the guide quotes the example" || ko "the guide quotes the example" "not in examples/ratelimit: $missing"
summary
