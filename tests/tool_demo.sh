#!/bin/sh
# tool_demo.sh BUILD_DIR - the cache demo (`make demo`) in its short mode, JIT and
# interpreter: both phases ran with the expected policies, hit ratios lie in
# [0,1] and LFU beats LRU on the scan-polluted workload, every worker served
# requests under both policies (the swap happened while they ran), no wrong
# value or bad victim, op-call costs were measured (also in the unsafe
# --trust-unverified run kept for comparison); bad input fails cleanly.
set -u
build=${1:-build}
demo=$build/examples/cache/demo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib_tool.sh"

if [ ! -x "$demo" ]; then
	echo "FAIL tool_demo: $demo not built (make cache-demo)"
	echo "0 passed, 1 failed"
	exit 1
fi

# check_run LABEL ARGS...: run the demo and check its report.
check_run() {
	label=$1
	shift
	out=$tmp/$label.out
	if "$demo" --quick "$@" >"$out" 2>&1; then
		ok "$label: exit status 0"
	else
		ko "$label: exit status" "$(tail -n 5 "$out")"
		return
	fi
	# phase rows: phase policy requests hits ratio Mreq/s
	r1=$(awk '$1 == "1" && $2 == "lru" { print $5 }' "$out")
	r2=$(awk '$1 == "2" && $2 == "lfu" { print $5 }' "$out")
	n1=$(awk '$1 == "1" && $2 == "lru" { print $3 }' "$out")
	n2=$(awk '$1 == "2" && $2 == "lfu" { print $3 }' "$out")
	if [ -n "$r1" ] && [ -n "$r2" ] && [ "${n1:-0}" -gt 0 ] && [ "${n2:-0}" -gt 0 ]; then
		ok "$label: phase 1 (lru, $n1 requests) and phase 2 (lfu, $n2 requests) ran"
	else
		ko "$label: phases" "$(cat "$out")"
		return
	fi
	if awk -v a="$r1" -v b="$r2" 'BEGIN { exit !(a >= 0 && a <= 1 && b >= 0 && b <= 1) }'; then
		ok "$label: hit ratios $r1 and $r2 lie in [0,1]"
	else
		ko "$label: hit ratios out of range" "$r1 $r2"
	fi
	if awk -v a="$r1" -v b="$r2" 'BEGIN { exit !(b > a + 0.02) }'; then
		ok "$label: lfu ($r2) beats lru ($r1) on the scan-polluted workload"
	else
		ko "$label: lfu should beat lru by 2 points" "lru $r1, lfu $r2"
	fi
	if grep -Eq '^ +([0-9]+) of \1 workers served requests under both policies' "$out" &&
	   grep -q 'link update lru -> lfu: .* us with .* workers running' "$out"; then
		ok "$label: the link update swapped the policy while every worker ran"
	else
		ko "$label: live swap" "$(grep -A2 'live swap' "$out")"
	fi
	if grep -q ' 0 bad victims, 0 wrong values' "$out"; then
		ok "$label: no bad victim, no wrong value"
	else
		ko "$label: integrity" "$(grep 'bad victims' "$out")"
	fi
	costs=$(awk '/^cost per op call/ { on = 1; next } on && ($1 == "lru" || $1 == "lfu") &&
		$2 > 0 && $3 > 0 && $4 > 0 && $5 > 0 { n++ } END { print n + 0 }' "$out")
	if [ "$costs" -eq 2 ]; then
		ok "$label: op-call costs measured for both policies, BPF and C"
	else
		ko "$label: op-call costs" "$(sed -n '/^cost per op call/,$p' "$out")"
	fi
}

check_run jit
check_run interp --interp
check_run trusted --trust-unverified
if grep -q '^engine .*(--trust-unverified: UNSAFE, for comparison)' "$tmp/trusted.out" &&
   ! grep -q 'UNSAFE' "$tmp/jit.out"; then
	ok "--trust-unverified: the run says it is unsafe; the default run is not it"
else
	ko "--trust-unverified banner" "$(grep '^engine' "$tmp/trusted.out" "$tmp/jit.out")"
fi

# Bad input: a missing policy object fails with a message and exit status 1.
if "$demo" --quick --policies "$tmp/none.o" "$tmp/none.o" >"$tmp/bad.out" 2>&1; then
	ko "missing policy" "exit status 0"
elif grep -q "loading $tmp/none.o" "$tmp/bad.out" && grep -q "demo FAILED" "$tmp/bad.out"; then
	ok "missing policy: message and non-zero exit"
else
	ko "missing policy" "$(cat "$tmp/bad.out")"
fi
if "$demo" --quick --swaps 200 >"$tmp/swaps.out" 2>&1 &&
	grep -Eq '200 more link updates lru <-> lfu, 4 workers calling: median [0-9.]+ us, p99 [0-9.]+ us' "$tmp/swaps.out"; then
	ok "--swaps: link update latency under load, median and p99"
else
	ko "--swaps" "$(tail -n 5 "$tmp/swaps.out")"
fi
if "$demo" --threads 0 >/dev/null 2>&1; then
	ko "bad option" "exit status 0"
else
	ok "bad option: usage and non-zero exit"
fi

summary
