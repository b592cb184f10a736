#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tool_bench.sh - tests of `structops bench` (tools/cmd_bench.c) from the outside.
#
#   sh tests/tool_bench.sh BUILD_DIR
#
# tests/run.sh runs every tests/tool_*.sh with the build directory as $1 and
# adds up the totals. Programs are a few instructions written with printf, so
# the test needs nothing but the tool. Prints PASS name / FAIL name: why per
# check, then `N passed, N failed`; exits 1 when any check failed.
set -u

build=${1:-build}
tool=$build/structops
tmp=$(mktemp -d "${TMPDIR:-/tmp}/structops-bench-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
. "$(dirname "$0")/lib_tool.sh"

# Writes bytes given as octal escapes (portable printf) to a file.
bytes() {
	out=$1
	shift
	printf "$@" >"$out"
}

# run NAME ARGS...: runs the tool, keeps stdout/stderr in $tmp/NAME.{out,err}, sets $rc.
run() {
	name=$1
	shift
	"$tool" bench "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
}

# expect_ok NAME R0 SAMPLES: exit 0, first line r0=R0, then exactly SAMPLES ns=<int> lines.
expect_ok() {
	name=$1 want=$2 samples=$3
	if [ "$rc" -ne 0 ]; then
		ko "$name" "exit $rc: $(head -c 200 "$tmp/$name.err")"
		return
	fi
	first=$(head -n 1 "$tmp/$name.out")
	if [ "$first" != "r0=$want" ]; then
		ko "$name" "first line '$first', want 'r0=$want'"
		return
	fi
	lines=$(wc -l <"$tmp/$name.out")
	good=$(tail -n +2 "$tmp/$name.out" | grep -c '^ns=[0-9][0-9]*$')
	if [ "$lines" -ne $((samples + 1)) ] || [ "$good" -ne "$samples" ]; then
		ko "$name" "want r0 then $samples ns=<int> lines, got: $(tr '\n' ' ' <"$tmp/$name.out")"
		return
	fi
	ok "$name"
}

# expect_err NAME CODE [TEXT]: exit CODE, nothing on stdout, a message (containing TEXT) on stderr.
expect_err() {
	name=$1 code=$2 text=${3:-}
	if [ "$rc" -ne "$code" ]; then
		ko "$name" "exit $rc, want $code"
	elif [ -s "$tmp/$name.out" ]; then
		ko "$name" "printed on stdout: $(head -c 200 "$tmp/$name.out")"
	elif [ ! -s "$tmp/$name.err" ]; then
		ko "$name" "no message on stderr"
	elif [ -n "$text" ] && ! grep -q -- "$text" "$tmp/$name.err"; then
		ko "$name" "stderr lacks '$text': $(head -c 200 "$tmp/$name.err")"
	else
		ok "$name"
	fi
}

if [ ! -x "$tool" ]; then
	ko tool_exists "$tool not built"
	echo "$pass passed, $fail failed"
	exit 1
fi

# r0 = 42; exit
bytes "$tmp/ret42.bin" '\267\000\000\000\052\000\000\000\225\000\000\000\000\000\000\000'
# r0 = *(u64 *)(r1 + 0); exit
bytes "$tmp/load.bin" '\171\020\000\000\000\000\000\000\225\000\000\000\000\000\000\000'
# r0 = r2; exit
bytes "$tmp/len.bin" '\277\040\000\000\000\000\000\000\225\000\000\000\000\000\000\000'
# r0 = *(u64 *)(r1 + 0); r0 += 1; *(u64 *)(r1 + 0) = r0; exit  (each run increments mem)
bytes "$tmp/inc.bin" '\171\020\000\000\000\000\000\000\007\000\000\000\001\000\000\000\173\001\000\000\000\000\000\000\225\000\000\000\000\000\000\000'
# r0 = 1, and then nothing: falls off the end, so the vm must refuse it
bytes "$tmp/noexit.bin" '\267\000\000\000\001\000\000\000'
# 5 bytes: not a whole instruction
bytes "$tmp/short.bin" '\225\000\000\000\000'
bytes "$tmp/mem8" '\001\002\003\004\005\006\007\010'
bytes "$tmp/mem5" 'abcde'
: >"$tmp/empty"

run format "--prog" "$tmp/ret42.bin" --repeat 10 --samples 3
expect_ok format 0x2a 3

run defaults --prog "$tmp/ret42.bin"
expect_ok defaults 0x2a 1

run interp_flag --interp --samples 2 --prog "$tmp/ret42.bin" --repeat 1000
expect_ok interp_flag 0x2a 2

run equals_form --prog="$tmp/ret42.bin" --repeat=5 --samples=4
expect_ok equals_form 0x2a 4

run mem_r1 --prog "$tmp/load.bin" --mem "$tmp/mem8" --repeat 3 --samples 2
expect_ok mem_r1 0x807060504030201 2

run mem_len --prog "$tmp/len.bin" --mem "$tmp/mem5"
expect_ok mem_len 0x5 1

run no_mem_len --prog "$tmp/len.bin"
expect_ok no_mem_len 0x0 1

run empty_mem --prog "$tmp/len.bin" --mem "$tmp/empty"
expect_ok empty_mem 0x0 1

# The warm-up sees the file's contents; later runs see what earlier runs wrote.
run mem_writable --prog "$tmp/inc.bin" --mem "$tmp/mem8" --repeat 100 --samples 2
expect_ok mem_writable 0x807060504030202 2

# A sample is the whole loop: 200000 runs cannot take under 200 us.
run sample_is_whole --prog "$tmp/ret42.bin" --repeat 200000 --samples 1
if [ "$rc" -eq 0 ] && ns=$(sed -n 's/^ns=//p' "$tmp/sample_is_whole.out") && [ "${ns:-0}" -ge 200000 ]; then
	ok sample_is_whole
else
	ko sample_is_whole "exit $rc, ns=${ns:-?} for 200000 runs"
fi

run help --help
if [ "$rc" -eq 0 ] && grep -q UNVERIFIED "$tmp/help.out" && grep -q -- --repeat "$tmp/help.out"; then
	ok help
else
	ko help "exit $rc, or the text lacks the UNVERIFIED warning / the options"
fi

run help_short -h
if [ "$rc" -eq 0 ] && grep -q UNVERIFIED "$tmp/help_short.out"; then
	ok help_short
else
	ko help_short "exit $rc"
fi

# The JIT: either it runs the program, or it says plainly it is not there.
run jit --jit --prog "$tmp/ret42.bin" --repeat 10 --samples 2
if [ "$rc" -eq 0 ]; then
	expect_ok jit 0x2a 2
else
	expect_err jit 1 "JIT not available"
fi

# Usage errors: exit 2.
run missing_prog --repeat 5 --samples 2
expect_err missing_prog 2 "--prog"
run prog_no_value --prog
expect_err prog_no_value 2
run repeat_zero --prog "$tmp/ret42.bin" --repeat 0
expect_err repeat_zero 2 "--repeat"
run repeat_junk --prog "$tmp/ret42.bin" --repeat 12x
expect_err repeat_junk 2 "--repeat"
run repeat_negative --prog "$tmp/ret42.bin" --repeat -3
expect_err repeat_negative 2
run repeat_huge --prog "$tmp/ret42.bin" --repeat 99999999999999999999999
expect_err repeat_huge 2
run samples_zero --prog "$tmp/ret42.bin" --samples 0
expect_err samples_zero 2 "--samples"
run samples_junk --prog "$tmp/ret42.bin" --samples many
expect_err samples_junk 2 "--samples"
run unknown_option --prog "$tmp/ret42.bin" --fast
expect_err unknown_option 2 "--fast"

# Failures at run time: exit 1.
run prog_missing --prog "$tmp/nonexistent.bin"
expect_err prog_missing 1 "nonexistent.bin"
run mem_missing --prog "$tmp/ret42.bin" --mem "$tmp/nonexistent.mem"
expect_err mem_missing 1 "nonexistent.mem"
run prog_short --prog "$tmp/short.bin"
expect_err prog_short 1
run prog_empty --prog "$tmp/empty"
expect_err prog_empty 1
run prog_rejected --prog "$tmp/noexit.bin"
expect_err prog_rejected 1

summary
