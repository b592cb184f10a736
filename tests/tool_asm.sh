#!/bin/sh
# tool_asm.sh BUILD_DIR - `structops asm`, `disasm` and `disasm --jited` end to end.
# Prints PASS/FAIL lines and `N passed, N failed` last.
set -u
tool=${1:-build}/structops
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
. "$(dirname "$0")/lib_tool.sh"

printf 'mov %%r0, %%r1\nadd %%r0, 1\njgt %%r0, 5, out\nmov %%r0, 5\nout:\nexit\n' >"$dir/p.s"
"$tool" asm "$dir/p.s" -o "$dir/p.bin" 2>"$dir/err"
check "asm writes 5 slots" test "$(wc -c <"$dir/p.bin")" -eq 40
"$tool" disasm "$dir/p.bin" >"$dir/out" 2>&1
check "disasm prints kernel syntax" grep -q 'if r0 > 0x5 goto +1' "$dir/out"
check "disasm prints indexes" grep -q '^ *4: exit' "$dir/out"
"$tool" disasm --raw "$dir/p.bin" >"$dir/out" 2>&1
check "disasm --raw shows bytes" grep -q 'b7 00 00 00 05 00 00 00' "$dir/out"

printf 'mov %%r0, 1\nbogus %%r1\nexit\n' >"$dir/bad.s"
"$tool" asm "$dir/bad.s" -o "$dir/bad.bin" 2>"$dir/err"
check "asm error exits 1" test $? -eq 1
check "asm error names the line" grep -q 'line 2' "$dir/err"
printf 'abc' >"$dir/short.bin"
"$tool" disasm "$dir/short.bin" >/dev/null 2>"$dir/err"
check "disasm rejects partial slots" test $? -eq 1
"$tool" disasm "$dir/missing.bin" >/dev/null 2>"$dir/err"
check "disasm names a missing file" grep -q 'missing.bin' "$dir/err"

if "$tool" disasm --jited "$dir/p.bin" >"$dir/jit" 2>"$dir/err"; then
	check "disasm --jited interleaves BPF" grep -q ';    1: r0 += 1' "$dir/jit"
	check "disasm --jited shows x86 ret" grep -q 'ret' "$dir/jit"
	"$tool" disasm --jited --blind "$dir/p.bin" >"$dir/blind" 2>&1
	check "disasm --jited --blind hides constants" grep -q 'constants blinded' "$dir/blind"
else
	check "disasm --jited says JIT not available" grep -q 'JIT not available' "$dir/err"
fi
"$tool" disasm --blind "$dir/p.bin" >/dev/null 2>"$dir/err"
check "--blind needs --jited" grep -q 'only applies with --jited' "$dir/err"
summary
