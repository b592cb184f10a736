#!/bin/sh
# tool_struct_ops.sh BUILD_DIR - `structops struct_ops list|dump` (issue 13, item 2)
# on the loader test object (four struct_ops maps: plain, link, optional) and a
# struct_ops test object: text and JSON (validated), --btf loads, --base, and
# the failures (unknown map, missing BTF, a host without the struct, usage),
# as JSON error objects with --json.
# Prints PASS/FAIL lines and `N passed, N failed` last.
set -u
build=${1:-build}
tool="$build/structops"
dir="$build/tests/bpf"
st="$build/tests/st"
. "$(dirname "$0")/lib_tool.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$dir/loader_main.v4.o" ] || [ ! -f "$st/st_sched.v4.o" ]; then
	ko objects "test objects not built (make loader-test-objs st-test-objs)"
	summary
	exit 1
fi

check_out "struct_ops --help" "Exit status:" "$tool" struct_ops --help
check_out "struct_ops dump --help" "--btf HOST_BTF" "$tool" struct_ops dump --help
check_out "struct_ops in the command list" "struct_ops" "$tool" --help

"$tool" struct_ops list "$dir/loader_main.v4.o" >"$tmp/list.txt" 2>&1
if grep -q "^ops1 .*struct sops_test_ops .*no-link value 64, 3 bound$" "$tmp/list.txt" &&
	grep -q "^ops_link .*link .*2 bound$" "$tmp/list.txt" &&
	grep -q "^ops_opt .*sops_test_ops2 .*(not created)$" "$tmp/list.txt" &&
	[ "$(wc -l <"$tmp/list.txt")" -eq 4 ] && ! grep -q "\.bss\|hmap" "$tmp/list.txt"; then
	ok "struct_ops list text (struct_ops maps only)"
else
	ko "struct_ops list text" "$(cat "$tmp/list.txt")"
fi

"$tool" struct_ops dump "$dir/loader_main.v4.o" ops1 >"$tmp/dump.txt" 2>&1
if grep -q "^    \.op_b = op_b_impl (section struct_ops/op_b)$" "$tmp/dump.txt" &&
	grep -q "^    \.init = init_impl (section struct_ops.s/init)$" "$tmp/dump.txt" &&
	grep -q '^    \.scalar = 42$' "$tmp/dump.txt" && grep -q '^    \.name = "one"$' "$tmp/dump.txt" &&
	! grep -q "ops_link" "$tmp/dump.txt"; then
	ok "struct_ops dump MAP text: programs and data"
else
	ko "struct_ops dump MAP text" "$(cat "$tmp/dump.txt")"
fi

for v in v3 v4; do
	"$tool" struct_ops dump "$dir/loader_main.$v.o" --btf "$dir/host.btf" --json >"$tmp/dump.json" 2>&1
	if python3 - "$tmp/dump.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
maps = {m["name"]: m for m in d["maps"]}
assert set(maps) == {"ops1", "ops_link", "ops_opt", "ops_link_opt"}, maps.keys()
o = maps["ops1"]
assert o["struct"] == "sops_test_ops" and o["link"] is False and o["bound"] == 3
assert o["value_size"] == 128 and o["host_value_type_id"] > 0
assert o["programs"]["op_a"] == {"prog": "op_a_impl", "section": "struct_ops/op_a"}
assert o["data"] == {"scalar": 42, "name": "one"}, o["data"]
l = maps["ops_link"]
assert l["link"] is True and l["flags"] == 8192 and l["data"]["scalar"] == 5
assert l["programs"]["op_a"]["prog"] == "op_a_alt"
assert maps["ops_opt"]["autocreate"] is False and "host_value_type_id" not in maps["ops_opt"]
assert maps["ops_opt"]["data"] == {"pad": 9}
PY
	then ok "struct_ops dump --btf --json ($v)"; else ko "struct_ops dump --btf --json ($v)" "$(head -c 400 "$tmp/dump.json")"; fi
done

"$tool" struct_ops list "$st/st_sched.v4.o" --btf "$st/st_host.btf" --json >"$tmp/sched.json" 2>&1
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); m=d["maps"][0]; assert len(d["maps"])==1 and m["name"]=="pol" and m["struct"]=="sched_ops" and m["link"] and m["bound"]==5 and "programs" not in m' "$tmp/sched.json"; then
	ok "struct_ops list --json (a .struct_ops.link map)"
else
	ko "struct_ops list --json" "$(head -c 300 "$tmp/sched.json")"
fi

check_out "struct_ops dump names a missing map" "no struct_ops map named 'nope'" \
	"$tool" struct_ops dump "$dir/loader_main.v4.o" nope
"$tool" struct_ops dump "$dir/loader_main.v4.o" nope >/dev/null 2>&1
[ $? -eq 1 ] && ok "struct_ops missing map: exit 1" || ko "struct_ops missing map: exit 1" "other status"
check_out "struct_ops --btf of a missing file" "$tmp/none.btf" \
	"$tool" struct_ops list "$dir/loader_main.v4.o" --btf "$tmp/none.btf"
# The loader's host BTF has no sched_ops: the load names the struct.
out=$("$tool" struct_ops list "$st/st_sched.v4.o" --btf "$dir/host.btf" 2>&1)
rc=$?
case "$rc:$out" in
1:*"sched_ops"*"not found"*) ok "struct_ops --btf without the struct: the load says which" ;;
*) ko "struct_ops --btf without the struct" "rc $rc: $out" ;;
esac
check_out "struct_ops --base without --btf" "--base needs --btf" \
	"$tool" struct_ops list "$dir/loader_main.v4.o" --base "$dir/host.btf"
# Split BTF through --base: the module's BTF on the host's (the object also
# needs the host's own types, so the load fails, but past the BTF: by program name).
check_out "struct_ops --btf split on --base" "prog 'test_3'" \
	"$tool" struct_ops dump "$st/st_module.v4.o" --btf "$st/bpf_testmod.btf" --base "$st/st_host.btf"
check_out "struct_ops split BTF without --base" "bpf_testmod.btf: split BTF" \
	"$tool" struct_ops dump "$st/st_module.v4.o" --btf "$st/bpf_testmod.btf"
check_out "struct_ops on a non-object" "not an ELF" "$tool" struct_ops list "$dir/host.btf"
check_out "struct_ops unknown subcommand" "unknown subcommand 'show'" "$tool" struct_ops show x.o
check_out "struct_ops list takes no MAP" "unexpected argument 'ops1'" \
	"$tool" struct_ops list "$dir/loader_main.v4.o" ops1
"$tool" struct_ops >/dev/null 2>&1
[ $? -eq 2 ] && ok "struct_ops without arguments: usage, exit 2" || ko "struct_ops without arguments" "not 2"

# --json failures: one JSON error object on stdout (nothing else), status 1.
jerr() { # NAME ERRNO ENAME WANT ARGS...
	name=$1 en=$2 nm=$3 want=$4
	shift 4
	"$tool" struct_ops "$@" --json >"$tmp/err.json" 2>"$tmp/err.txt"
	rc=$?
	if [ $rc -eq 1 ] && [ ! -s "$tmp/err.txt" ] && python3 - "$tmp/err.json" "$en" "$nm" "$want" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
e = d["error"]
assert list(d) == ["error"] and e["errno"] == int(sys.argv[2]) and e["name"] == sys.argv[3], d
assert sys.argv[4] in e["message"], e["message"]
PY
	then ok "$name"; else ko "$name" "rc $rc: $(cat "$tmp/err.json" "$tmp/err.txt")"; fi
}
jerr "struct_ops --json error: missing map" 2 ENOENT "no struct_ops map named 'nope'" \
	dump "$dir/loader_main.v4.o" nope
jerr "struct_ops --json error: failed load" 3 ESRCH "bpf_struct_ops_sched_ops" \
	list "$st/st_sched.v4.o" --btf "$dir/host.btf"
jerr "struct_ops --json error: not an object" 22 EINVAL "not an ELF" list "$dir/host.btf"
jerr "struct_ops --json error: missing BTF file" 2 ENOENT "none.btf" \
	list "$dir/loader_main.v4.o" --btf "$tmp/none.btf"

summary
