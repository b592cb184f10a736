#!/bin/sh
# tool_prog.sh BUILD_DIR - `structops prog run`: load a clang-built object, run a program
# through PROG_TEST_RUN (interpreter and JIT), text and JSON output, errors.
set -u
tool=${STRUCTOPS_TOOL:-${1:-build}/structops}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib_tool.sh"
cat > "$tmp/p.bpf.c" <<'C'
typedef unsigned int u32;
typedef unsigned long long u64;
struct ctx { u32 a, b; };
u32 bias = 2;
__attribute__((section("syscall"), used)) int add(struct ctx *c) { return c->a + c->b + bias; }
__attribute__((section("?syscall"), used)) int wild(struct ctx *c) { return *(int *)(long)c->a; }
static long (*trace_printk)(const char *fmt, u32 size, ...) = (void *)6;
__attribute__((section("syscall"), used)) int say(struct ctx *c)
{
	static const char m[] = "hi";
	trace_printk(m, sizeof(m));
	trace_printk(m, sizeof(m));
	return 0;
}
char LICENSE[] __attribute__((section("license"), used)) = "GPL";
C
if ! clang-19 -O2 -g -target bpf -c "$tmp/p.bpf.c" -o "$tmp/p.o" 2>"$tmp/cc.log"; then
	echo "FAIL tool_prog: cannot build the test object: $(cat "$tmp/cc.log")"
	echo "0 passed, 1 failed"
	exit 1
fi
check_out text "retval 42" "$tool" prog run "$tmp/p.o" add --ctx-in 1400000014000000
check_out json '"retval": 42' "$tool" prog run "$tmp/p.o" add --ctx-in 1400000014000000 --json --repeat 10
check_out jit "retval 42" "$tool" prog run "$tmp/p.o" add --ctx-in 1400000014000000 --jit
check_out noprog "no program named" "$tool" prog run "$tmp/p.o" nope
check_out badhex "not a hex" "$tool" prog run "$tmp/p.o" add --ctx-in 1
check_out help "usage: structops prog run" "$tool" prog --help
# the default sink prints bpf_printk messages as lines
if [ "$("$tool" prog run "$tmp/p.o" say 2>&1 >/dev/null)" = "$(printf 'hi\nhi')" ]; then
	ok printk_lines
else
	ko printk_lines "got: $("$tool" prog run "$tmp/p.o" say 2>&1 >/dev/null | od -c | head -3)"
fi
check_out engine "jit, verified" "$tool" prog run "$tmp/p.o" add --ctx-in 1400000014000000
check_out engine_interp "interpreter, verified" "$tool" prog run "$tmp/p.o" add --ctx-in 1400000014000000 --interp
# run statistics: the command's runs are counted (every repetition), with their time
stats_line() {
	"$tool" prog run "$tmp/p.o" add --ctx-in 1400000014000000 "$@" 2>&1 | grep '^stats: '
}
for eng in "" --interp; do
	line=$(stats_line --repeat 10 $eng)
	t=$(echo "$line" | sed -n 's/^stats: run_cnt 10, run_time_ns \([0-9]*\), fault_cnt 0$/\1/p')
	if [ -n "$t" ] && [ "$t" -gt 0 ]; then ok "stats_text${eng}"; else ko "stats_text${eng}" "got: $line"; fi
done
check_out stats_once "stats: run_cnt 1, " "$tool" prog run "$tmp/p.o" add --ctx-in 1400000014000000
"$tool" prog run "$tmp/p.o" add --ctx-in 1400000014000000 --repeat 7 --json >"$tmp/run.json" 2>&1
if python3 - "$tmp/run.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["retval"] == 42, d
assert d["run_cnt"] == 7 and d["run_time_ns"] > 0 and d["fault_cnt"] == 0, d
PY
then ok stats_json; else ko stats_json "got: $(cat "$tmp/run.json")"; fi
# a checked run that faults: the command fails, and the statistics say so
out=$("$tool" prog run "$tmp/p.o" wild --ctx-in 0010000000000000 2>/dev/null)
rc=$?
case $out in
"stats: run_cnt 1, run_time_ns "*", fault_cnt 1") [ $rc -eq 1 ] && ok stats_fault || ko stats_fault "exit status $rc" ;;
*) ko stats_fault "got: $out" ;;
esac
# prog verify: veristat-like lines, exit 0 all accepted / 1 any rejected, the log on rejection, JSON
check_out verify_ok "add: accepted" "$tool" prog verify "$tmp/p.o" add
"$tool" prog verify "$tmp/p.o" add >/dev/null 2>&1 && ok verify_exit0 || ko verify_exit0 "exit status $?"
check_out verify_rejected "invalid mem access 'scalar'" "$tool" prog verify "$tmp/p.o" wild
"$tool" prog verify "$tmp/p.o" wild >/dev/null 2>&1
[ $? -eq 1 ] && ok verify_exit1 || ko verify_exit1 "want exit status 1"
check_out verify_json '"verdict": "accepted"' "$tool" prog verify "$tmp/p.o" add --json
check_out verify_level2 "R10=fp0" "$tool" prog verify "$tmp/p.o" add --log-level 2
check_out verify_help "usage: structops prog verify" "$tool" prog verify --help
summary
