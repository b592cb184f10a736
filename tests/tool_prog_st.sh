#!/bin/sh
# tool_prog_st.sh BUILD_DIR - `structops prog run` of struct_ops programs with
# --btf (issue 13, item 1), and `prog verify --btf`: a tcp_congestion_ops
# implementation (st_tcp_direct) and a module's bpf_testmod_ops one through
# split BTF (--base), unit-tested from the shell with no host: return values,
# pointer arguments backed by buffers and printed back, --writable, NULL
# arguments, scalars (signed, range checked), both engines, --repeat, JSON
# (validated), --kfunc stand-ins for a scheduler policy's host kfuncs
# (st_sched), and every failure with its exit status and, with --json, as a
# JSON error object. Then `map dump` and `object show|dump` with --btf/--base.
# Prints PASS/FAIL lines and `N passed, N failed` last.
set -u
build=${1:-build}
tool="$build/structops"
st="$build/tests/st"
. "$(dirname "$0")/lib_tool.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

obj="$st/st_tcp_direct.v4.o"
host="$st/st_host.btf"
mod="$st/st_module.v4.o"
if [ ! -f "$obj" ] || [ ! -f "$host" ] || [ ! -f "$mod" ] || [ ! -f "$build/tests/bpf/host.btf" ]; then
	ko objects "test objects not built in $st and $build/tests/bpf (make st-test-objs loader-test-objs)"
	summary
	exit 1
fi
run() { "$tool" prog run "$@"; }

# status NAME WANT_STATUS WANT_TEXT COMMAND...: COMMAND exits WANT_STATUS and says WANT_TEXT.
status() {
	name=$1 want=$2 text=$3
	shift 3
	out=$("$@" 2>&1)
	st_=$?
	if [ "$st_" -ne "$want" ]; then
		ko "$name" "exit status $st_, want $want: $out"
		return
	fi
	case $out in
	*"$text"*) ok "$name" ;;
	*) ko "$name" "want '$text', got: $out" ;;
	esac
}

# The layout st_host.btf gives struct sock: snd_cwnd at 0, snd_ssthresh at 4,
# ca_priv[0] (u64) at 24, ca_priv[1] at 32; 96 bytes in all.
sock() { # CWND SSTHRESH: the first 8 bytes of a sock, little-endian hex
	printf '%02x000000%02x000000' "$1" "$2"
}

# --- return values: ssthresh is max(cwnd / 2, 2) ---
status "ssthresh of cwnd 10" 0 "retval 5 (0x5), " run "$obj" direct_ssthresh --btf "$host" --arg 0=$(sock 10 0)
status "ssthresh of cwnd 3 (the floor)" 0 "retval 2 (0x2), " run "$obj" direct_ssthresh --btf "$host" --arg 0=$(sock 3 0)
status "ssthresh of a zeroed sock (no --arg)" 0 "retval 2 (0x2), " run "$obj" direct_ssthresh --btf "$host"
status "struct_ops runs verified on the JIT" 0 "jit, verified, member ssthresh" \
	run "$obj" direct_ssthresh --btf "$host" --arg 0=$(sock 10 0)
status "struct_ops on the fast interpreter" 0 "interpreter, verified, member ssthresh" \
	run "$obj" direct_ssthresh --btf "$host" --arg 0=$(sock 10 0) --interp
status "0x prefix on a buffer" 0 "retval 5 (0x5), " run "$obj" direct_ssthresh --btf "$host" --arg 0=0x$(sock 10 0)
status "undo_cwnd reads ca_priv[1]" 0 "retval 30 (0x1e)" \
	run "$obj" direct_undo_cwnd --btf "$host" --arg 0=$(sock 10 0)$(printf '%048d' 0)1e

# --- buffers written by the program (with --writable) and printed back ---
want_ca="arg 0 (struct sock *): 0d00000014000000"
status "cong_avoid slow start writes the sock" 0 "$want_ca" \
	run "$obj" direct_cong_avoid --btf "$host" --writable sock --arg 0=$(sock 10 20) --arg 2=3
status "cong_avoid on the interpreter: the same buffer" 0 "$want_ca" \
	run "$obj" direct_cong_avoid --btf "$host" --writable sock --arg 0=$(sock 10 20) --arg 2=3 --interp
status "--writable sock.snd_cwnd (one member) is enough for slow start" 0 "$want_ca" \
	run "$obj" direct_cong_avoid --btf "$host" --writable sock.snd_cwnd --arg 0=$(sock 10 20) --arg 2=3
# Additive increase: ca_priv[0] += acked; sk->ca_ops is NULL, read as 0 (a probe read).
status "cong_avoid additive increase" 0 "arg 0 (struct sock *): 1400000014000000000000000000000000000000000000000300000000000000" \
	run "$obj" direct_cong_avoid --btf "$host" --writable sock --arg 0=$(sock 20 20) --arg 2=3
status "scalar arguments printed back" 0 "arg 2 (u32): 3 (0x3)" \
	run "$obj" direct_cong_avoid --btf "$host" --writable sock --arg 0=$(sock 10 20) --arg 2=3
# The buffers carry over between runs: 4 slow-start steps of 3 from 1.
status "--repeat 4: the buffer carries over (cwnd 1 -> 13)" 0 "arg 0 (struct sock *): 0d00000014000000" \
	run "$obj" direct_cong_avoid --btf "$host" --writable sock --arg 0=$(sock 1 20) --arg 2=3 --repeat 4
status "--repeat 4: counted" 0 "stats: run_cnt 4, " \
	run "$obj" direct_cong_avoid --btf "$host" --writable sock --arg 0=$(sock 1 20) --arg 2=3 --repeat 4
# One run's output is the next run's input.
out=$(run "$obj" direct_init --btf "$host" --writable sock --arg 0=$(sock 10 0) | sed -n 's/^arg 0 (struct sock \*): //p')
status "direct_init's buffer feeds undo_cwnd" 0 "retval 10 (0xa)" run "$obj" direct_undo_cwnd --btf "$host" --arg 0="$out"

# --- without --writable the stores are not verified: checked mode, and the run says why ---
status "stores need --writable (not verified, the reason given)" 1 \
	"not verified: insn 9: write to struct sock at off 0 size 4 is not allowed by tcp_congestion_ops" \
	run "$obj" direct_cong_avoid --btf "$host" --arg 0=$(sock 20 20) --arg 2=3
status "a checked run that faults is counted" 1 "fault_cnt 1" \
	run "$obj" direct_cong_avoid --btf "$host" --arg 0=$(sock 20 20) --arg 2=3

# --- split BTF: a module's struct_ops type (bpf_testmod_ops) over the host's ---
status "split BTF (--base): test_2 runs with signed ints" 0 "arg 0 (int): -4 (0xfffffffc)" \
	run "$mod" test_2 --btf "$st/bpf_testmod.btf" --base "$host" --arg 0=-4 --arg 1=5
status "split BTF: a member with no arguments" 0 "retval 0 (0x0), " \
	run "$mod" test_1 --btf "$st/bpf_testmod.btf" --base "$host"
status "split BTF without --base" 1 "split BTF" run "$mod" test_1 --btf "$st/bpf_testmod.btf"

# --- JSON ---
run "$obj" direct_cong_avoid --btf "$host" --writable sock --arg 0=$(sock 10 20) --arg 2=3 --json >"$tmp/ca.json" 2>"$tmp/ca.err"
if python3 - "$tmp/ca.json" <<'PY' 2>"$tmp/py.err"; then
import json, sys
d = json.load(open(sys.argv[1]))
assert d["retval"] is None and d["engine"] == "jit" and d["verified"] is True, d
assert d["member"] == "cong_avoid" and d["run_cnt"] == 1 and d["fault_cnt"] == 0, d
a = d["args"]
assert [x["index"] for x in a] == [0, 1, 2], a
assert a[0]["decl"] == "struct sock *" and a[0]["size"] == 96, a[0]
assert a[0]["out"].startswith("0d00000014000000") and len(a[0]["out"]) == 192, a[0]
assert a[1]["value"] == 0 and a[2]["value"] == 3, a
PY
	ok "JSON output (validated)"
else
	ko "JSON output (validated)" "$(cat "$tmp/ca.json" "$tmp/py.err")"
fi
run "$obj" direct_ssthresh --btf "$host" --arg 0=$(sock 10 0) --json >"$tmp/ss.json" 2>/dev/null
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["retval"] == 5, d' "$tmp/ss.json" 2>/dev/null; then
	ok "JSON retval"
else
	ko "JSON retval" "$(cat "$tmp/ss.json")"
fi

# json_err NAME STATUS ARGS...: `prog run ARGS --json` exits STATUS with one JSON error object.
json_err() {
	name=$1 want=$2
	shift 2
	"$tool" "$@" --json >"$tmp/out" 2>/dev/null
	st_=$?
	if [ "$st_" -ne "$want" ]; then
		ko "$name" "exit status $st_, want $want: $(head -c 300 "$tmp/out")"
	elif python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["errno"] > 0 and e["name"].startswith("E") and e["message"], e
' "$tmp/out" 2>/dev/null; then
		ok "$name"
	else
		ko "$name" "stdout: $(head -c 300 "$tmp/out")"
	fi
}
json_err "--json: NULL where not __nullable" 1 prog run "$obj" direct_ssthresh --btf "$host" --arg 0=null
json_err "--json: a bad --arg" 2 prog run "$obj" direct_ssthresh --btf "$host" --arg 0=zz
json_err "--json: no --btf" 1 prog run "$obj" direct_ssthresh
json_err "--json: a fault" 1 prog run "$obj" direct_cong_avoid --btf "$host" --arg 0=$(sock 20 20)
json_err "--json: map dump, no such map" 1 map dump "$obj" nosuch --btf "$host"
json_err "--json: map dump --run of a struct_ops program" 2 map dump "$obj" st_tcp_d.bss --btf "$host" --run direct_ssthresh
json_err "--json: object show, bad --base" 1 object show "$obj" --btf "$st/bpf_testmod.btf" --base "$tmp/none.btf"

# --- usage and argument errors: exit 2 (or 1 for what the files say), each named ---
status "no --btf: told to pass it" 1 "is a struct_ops program: pass --btf HOST_BTF" run "$obj" direct_ssthresh
status "NULL where the member does not allow it" 1 "does not mark it __nullable" \
	run "$obj" direct_ssthresh --btf "$host" --arg 0=null
status "--arg out of range" 2 "direct_ssthresh takes 1 argument (0 to 0)" \
	run "$obj" direct_ssthresh --btf "$host" --arg 1=3
status "--arg to a member without arguments" 2 "test_1 takes no arguments" \
	run "$mod" test_1 --btf "$st/bpf_testmod.btf" --base "$host" --arg 0=1
status "--arg without =" 2 "expected N=VALUE" run "$obj" direct_ssthresh --btf "$host" --arg 0
status "--arg bad hex" 2 "'zz' is not a hex byte" run "$obj" direct_ssthresh --btf "$host" --arg 0=zz
status "--arg odd hex" 2 "an even number of digits" run "$obj" direct_ssthresh --btf "$host" --arg 0=abc
big=$(printf '%0194d' 0)
status "--arg longer than the struct" 2 "takes at most 96 bytes" run "$obj" direct_ssthresh --btf "$host" --arg 0=$big
status "--arg not an integer" 2 "takes an integer" \
	run "$obj" direct_cong_avoid --btf "$host" --arg 2=three
status "--arg too big for a u32" 2 "the value does not fit" \
	run "$obj" direct_cong_avoid --btf "$host" --arg 2=0x100000000
status "--arg too small for an int" 2 "the value does not fit" \
	run "$mod" test_2 --btf "$st/bpf_testmod.btf" --base "$host" --arg 0=-2147483649
status "--ctx-in on a struct_ops program" 2 "takes --arg, not --ctx-in" \
	run "$obj" direct_ssthresh --btf "$host" --ctx-in 00
status "--writable needs --btf" 2 "--writable needs --btf" run "$obj" direct_ssthresh --writable sock
status "--base needs --btf" 2 "--base needs --btf" run "$obj" direct_ssthresh --base "$host"
status "a bad --writable entry" 1 "not STRUCT or STRUCT.MEMBER" \
	run "$obj" direct_ssthresh --btf "$host" --writable sock.
printf 'not BTF at all\n' >"$tmp/junk.btf"
status "HOST_BTF is not BTF" 1 "malformed BTF" run "$obj" direct_ssthresh --btf "$tmp/junk.btf"
status "HOST_BTF is missing" 1 "No such file or directory" run "$obj" direct_ssthresh --btf "$tmp/none.btf"
status "a program that is not there" 1 "no program named nosuch" run "$obj" nosuch --btf "$host"
status "a host without the struct" 1 "struct_ops map st_direct: struct_ops: no struct tcp_congestion_ops" \
	run "$obj" direct_ssthresh --btf "$build/tests/bpf/host.btf"

# --- prog verify with --btf: struct_ops programs verified as their member's implementation ---
status "prog verify --btf: stores refused without --writable" 1 \
	"direct_cong_avoid: rejected" "$tool" prog verify "$obj" --btf "$host"
status "prog verify --btf: the reason names the rule" 1 \
	"reason: insn 9: write to struct sock at off 0 size 4 is not allowed by tcp_congestion_ops" \
	"$tool" prog verify "$obj" --btf "$host"
status "prog verify --btf --writable sock: all accepted" 0 "4 accepted, 0 rejected" \
	"$tool" prog verify "$obj" --btf "$host" --writable sock
status "prog verify --btf PROG" 0 "1 accepted, 0 rejected" \
	"$tool" prog verify "$obj" direct_ssthresh --btf "$host"
status "prog verify --btf --base (split BTF)" 0 "test_1: accepted" \
	"$tool" prog verify "$mod" test_1 --btf "$st/bpf_testmod.btf" --base "$host"
status "prog verify without --btf: told to pass it" 2 "pass --btf HOST_BTF" "$tool" prog verify "$obj"
"$tool" prog verify "$obj" --btf "$host" --writable sock --json >"$tmp/v.json" 2>/dev/null
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["accepted"] == 4 and d["rejected"] == 0, d
assert [p["verdict"] for p in d["programs"]] == ["accepted"] * 4, d
' "$tmp/v.json" 2>/dev/null; then
	ok "prog verify --btf --json (validated)"
else
	ko "prog verify --btf --json (validated)" "$(head -c 300 "$tmp/v.json")"
fi
json_err "--json: prog verify, --base without --btf" 2 prog verify "$obj" --base "$host"

# --- a program calling the host's kfuncs: no host code here; --kfunc stands in for them ---
sched="$st/st_sched.v4.o"
status "host kfuncs: named, and --kfunc suggested" 1 \
	"(sched_pick_idle_cpu: the host registered no kfunc of that name); the tool has no host code: stand in for the kfunc with --kfunc" \
	run "$sched" pol_stopping --btf "$host"
# Only PROG loads: its siblings' kfuncs and stores do not matter (their slots are unbound).
status "only PROG loads: tick needs none of its siblings' kfuncs" 0 "jit, verified, member tick" \
	run "$sched" pol_tick --btf "$host"
status "prog verify PROG: only PROG loads" 0 "pol_tick: accepted" \
	"$tool" prog verify "$sched" pol_tick --btf "$host"
set -- --kfunc sched_task_acquire:acquire:ret_null --kfunc sched_task_release:release \
	--kfunc sched_pick_idle_cpu=-1:trusted
# struct sched_task: pid at 0, weight at 4, cpu at 20.
status "--kfunc: stopping releases its task and takes the idle CPU's answer" 0 \
	"arg 1 (struct sched_task *): 0700000000000000000000000000000000000000ffffffff" \
	run "$sched" pol_stopping --btf "$host" "$@" --writable sched_task --arg 1=0700000000000000
status "--kfunc: verified on the JIT" 0 "jit, verified, member stopping" \
	run "$sched" pol_stopping --btf "$host" "$@" --writable sched_task
status "--kfunc: calls counted" 0 "kfunc sched_task_release: 1 call" \
	run "$sched" pol_stopping --btf "$host" "$@" --writable sched_task
status "--kfunc: the checked interpreter checks the calls and runs them" 0 "kfunc sched_pick_idle_cpu: 1 call" \
	run "$sched" pol_stopping --btf "$host" "$@"
status "--kfunc: a light task is not picked (no acquire)" 0 "kfunc sched_task_acquire: 0 calls" \
	run "$sched" pol_pick_next --btf "$host" "$@" --arg 1=0700000010000000
run "$sched" pol_pick_next --btf "$host" "$@" --arg 1=07000000c8000000 --json >"$tmp/pick.json" 2>/dev/null
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
k = {x["name"]: x["calls"] for x in d["kfuncs"]}
assert k == {"sched_task_acquire": 1, "sched_task_release": 0, "sched_pick_idle_cpu": 0}, k
assert d["retval"] != 0 and d["verified"] is True, d
' "$tmp/pick.json" 2>/dev/null; then
	ok "--kfunc --json: a heavy task is acquired and returned"
else
	ko "--kfunc --json: a heavy task is acquired and returned" "$(head -c 300 "$tmp/pick.json")"
fi
status "--kfunc NAME=null: the acquire fails, NULL is returned" 0 "retval 0 (0x0)" \
	run "$sched" pol_pick_next --btf "$host" --kfunc sched_task_acquire=null:acquire:ret_null \
	--kfunc sched_task_release:release --kfunc sched_pick_idle_cpu:trusted --arg 1=07000000c8000000
status "prog verify --kfunc: every sched program accepted" 0 "5 accepted, 0 rejected" \
	"$tool" prog verify "$sched" --btf "$host" "$@" --writable sched_task
status "--kfunc: an unknown flag" 2 "unknown flag 'bogus' (acquire, release, ret_null, trusted, sleepable)" \
	run "$sched" pol_tick --btf "$host" --kfunc sched_task_acquire:bogus
status "--kfunc: a bad value" 2 "'zz' is not an integer or 'null'" \
	run "$sched" pol_tick --btf "$host" --kfunc sched_task_acquire=zz
status "--kfunc: no name" 2 "expected NAME[=VALUE][:FLAG]" run "$sched" pol_tick --btf "$host" --kfunc =3
status "--kfunc: not a FUNC of HOST_BTF" 1 "--kfunc nosuch: no FUNC nosuch in" \
	run "$sched" pol_tick --btf "$host" --kfunc nosuch
status "--kfunc needs --btf" 2 "--kfunc needs --btf" run "$sched" pol_tick --kfunc sched_task_acquire
set --

# --- map dump and object with --btf ---
status "map dump needs --btf for struct_ops objects" 1 "need the host's BTF" \
	"$tool" map dump "$obj" st_tcp_d.bss
status "map dump --btf: the .bss" 0 "Found 1 element" "$tool" map dump "$obj" st_tcp_d.bss --btf "$host"
status "object show --btf --base (the struct in the base)" 0 "attach member ssthresh" \
	"$tool" object show "$obj" --btf "$st/bpf_testmod.btf" --base "$host"
status "object dump --btf" 0 "direct_ssthresh (section struct_ops" "$tool" object dump "$obj" --btf "$host" --prog direct_ssthresh
status "object --base needs --btf" 2 "--base needs --btf" "$tool" object show "$obj" --base "$host"

summary
