# lib_tool.sh - what the tests/tool_*.sh suites share (sourced, not run; the name
# keeps it out of run.sh's tool_*.sh glob): the pass/fail counters, the checks,
# and the `N passed, N failed` last line that tests/run.sh adds up.
pass=0
fail=0

ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# check NAME COMMAND...: passes when COMMAND succeeds (its output is not shown).
check() {
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else ko "$name" "command failed: $*"; fi
}

# check_out NAME WANT COMMAND...: passes when COMMAND's output (stdout and stderr) contains WANT.
check_out() {
	name=$1 want=$2
	shift 2
	out=$("$@" 2>&1)
	case $out in
	*"$want"*) ok "$name" ;;
	*) ko "$name" "want '$want', got: $out" ;;
	esac
}

# summary: the last line, and the suite's exit status.
summary() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
