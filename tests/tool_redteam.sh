#!/bin/sh
# tool_redteam.sh BUILD_DIR - a bounded libFuzzer run of the checked-mode sandbox
# (tests/fuzz/fuzz_checked.c): random programs with random helper calls, loaded
# unverified and run in the checked interpreter under ASan and UBSan. Prints the
# run count; ends with `N passed, N failed`.
#   SOPS_FUZZ_SEED=0  a random seed (default 1: make check stays reproducible)
#   SOPS_FUZZ_CHECKED_RUNS=N  inputs to run (default 30000)
set -u
build=${1:-build}
. "$(dirname "$0")/lib_tool.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fuzz="$build/tests/fuzz_checked"
runs=${SOPS_FUZZ_CHECKED_RUNS:-30000}
if [ -x "$fuzz" ]; then
	start=$(date +%s)
	if "$fuzz" -seed="${SOPS_FUZZ_SEED:-1}" -runs="$runs" -max_len=384 -len_control=0 \
		-max_total_time=120 -print_final_stats=1 -artifact_prefix="$tmp/" >"$tmp/fuzz.log" 2>&1; then
		done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/fuzz.log")
		echo "INFO fuzz_checked: ${done_runs:-?} runs in $(($(date +%s) - start)) s, seed ${SOPS_FUZZ_SEED:-1}"
		if [ "${done_runs:-0}" -ge "$runs" ]; then
			ok "fuzz checked mode"
		else
			ko "fuzz checked mode" "only ${done_runs:-0} of $runs runs within the time limit"
		fi
	else
		ko "fuzz checked mode" "$(grep -m3 -E 'ERROR|SUMMARY|Test unit written' "$tmp/fuzz.log")"
		cp "$tmp/fuzz.log" "$build/fuzz_checked.log" 2>/dev/null
		cp "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* "$build/" 2>/dev/null
	fi
else
	ko "fuzz checked mode" "$fuzz not built"
fi

summary
