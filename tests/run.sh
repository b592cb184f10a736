#!/bin/sh
# run.sh BUILD_DIR - runs every test suite of the project and sums the results.
#
# Suites: the unit binary (C tests, the conformance files in-process and through
# the plugin protocol) and every tests/tool_*.sh script. Each suite prints
# `N passed, N failed` last; this script prints the sum as its own last line and
# fails when anything failed or a suite did not report.
set -u
build=${1:-build}
export STRUCTOPS_TOOL="$build/structops"
total_pass=0
total_fail=0
status=0

run_suite() {
	name=$1
	shift
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v '^[0-9]* passed, [0-9]* failed$'
	last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -z "$last" ]; then
		echo "FAIL $name: suite ended without a summary (exit status $rc)"
		total_fail=$((total_fail + 1))
		status=1
		return
	fi
	p=${last%% passed*}
	f=${last#*passed, }
	f=${f%% failed*}
	echo "$name: $last"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$rc" -eq 0 ] && [ "$f" -eq 0 ] || status=1
}

run_suite unit "$build/tests/unit"
for t in tests/tool_*.sh; do
	[ -e "$t" ] || continue
	run_suite "$(basename "$t" .sh)" sh "$t" "$build"
done

echo "$total_pass passed, $total_fail failed"
exit $status
