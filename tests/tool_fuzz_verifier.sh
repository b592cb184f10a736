#!/bin/sh
# tool_fuzz_verifier.sh BUILD_DIR - a bounded libFuzzer run of the verifier
# (tests/fuzz/fuzz_verifier.c): random programs of the verifier's whole
# vocabulary, under ASan and UBSan. The verifier must never crash or hang on
# them; what it accepts must never fault in the checked interpreter and must
# give the JIT's return value and map bytes. Prints the run and verdict counts;
# ends with `N passed, N failed`.
#   SOPS_FUZZ_SEED=0  a random seed (default 1: make check stays reproducible)
#   SOPS_FUZZ_VERIFIER_RUNS=N  inputs to run (default 10000)
#   SOPS_FUZZ_VERIFIER_LOG=1, SOPS_FUZZ_VERIFIER_RAW=FILE  (to the fuzzer itself, replaying
#     an input) print each program and its verifier log; write its instructions to FILE
set -u
build=${1:-build}
. "$(dirname "$0")/lib_tool.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fuzz="$build/tests/fuzz_verifier"
runs=${SOPS_FUZZ_VERIFIER_RUNS:-10000}
if [ -x "$fuzz" ]; then
	start=$(date +%s)
	# -timeout: a program at the fuzzer's 100k-instruction limit can take a second or two under the sanitizers
	if "$fuzz" -seed="${SOPS_FUZZ_SEED:-1}" -runs="$runs" -max_len=330 -len_control=0 -timeout=30 \
		-max_total_time=300 -print_final_stats=1 -artifact_prefix="$tmp/" >"$tmp/fuzz.log" 2>&1; then
		done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/fuzz.log")
		echo "INFO $(grep -m1 '^fuzz_verifier:' "$tmp/fuzz.log") in $(($(date +%s) - start)) s, seed ${SOPS_FUZZ_SEED:-1}"
		if [ "${done_runs:-0}" -ge "$runs" ]; then
			ok "fuzz verifier"
		else
			ko "fuzz verifier" "only ${done_runs:-0} of $runs runs within the time limit"
		fi
		# the generator must reach the oracle, or the run proves nothing
		verified=$(sed -n 's/^fuzz_verifier: [0-9]* programs, \([0-9]*\) verified.*/\1/p' "$tmp/fuzz.log")
		if [ "${verified:-0}" -ge $((runs / 20)) ]; then
			ok "fuzz verifier: at least 5% of the programs verified and ran"
		else
			ko "fuzz verifier: at least 5% of the programs verified and ran" "${verified:-0} of $runs"
		fi
	else
		ko "fuzz verifier" "$(grep -m3 -E 'SOUNDNESS|ERROR|SUMMARY|Test unit written' "$tmp/fuzz.log")"
		cp "$tmp/fuzz.log" "$build/fuzz_verifier.log" 2>/dev/null
		cp "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* "$build/" 2>/dev/null
		echo "INFO the log is in $build/fuzz_verifier.log; replay: $fuzz $build/crash-..."
	fi
else
	ko "fuzz verifier" "$fuzz not built"
fi

summary
