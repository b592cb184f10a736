#!/bin/sh
# tool_object.sh BUILD_DIR - `structops object show` and `structops btf dump` on the
# loader test objects, then a bounded libFuzzer run over the loader (ELF and BTF).
# Prints PASS/FAIL lines and ends with `N passed, N failed`.
set -u
build=${1:-build}
tool="$build/structops"
dir="$build/tests/bpf"
. "$(dirname "$0")/lib_tool.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$dir/loader_main.v3.o" ] || [ ! -f "$dir/host.btf" ]; then
	ko objects "test objects not built in $dir (make loader-test-objs)"
	echo "$pass passed, $fail failed"
	exit 1
fi

check "object --help" "$tool" object --help
check "btf --help" "$tool" btf dump --help
"$tool" object show "$dir/loader_main.v3.o" >"$tmp/show.txt" 2>&1
if grep -q "op_a_alt *section struct_ops/op_a" "$tmp/show.txt" && grep -q "\.op_b = op_b_impl" "$tmp/show.txt"; then
	ok "object show text"
else
	ko "object show text" "$(head -c 300 "$tmp/show.txt")"
fi
for v in v3 v4; do
	"$tool" object show "$dir/loader_main.$v.o" --btf "$dir/host.btf" --json >"$tmp/show.json" 2>&1
	if python3 - "$tmp/show.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
progs = {p["name"]: p for p in d["programs"]}
maps = {m["name"]: m for m in d["maps"]}
assert progs["op_b_impl"]["type"] == "struct_ops" and progs["op_b_impl"]["member"] == "op_b"
assert progs["sys_prog"]["type"] == "syscall" and progs["sys_prog"]["insns"] > 7
assert maps["hmap"] == {"name": "hmap", "type": "hash", "key_size": 4, "value_size": 8,
                        "max_entries": 128, "flags": 1, "autocreate": True}
assert maps["ops1"]["struct"] == "sops_test_ops" and maps["ops1"]["value_size"] == 128
assert maps["ops1"]["members"] == {"init": "init_impl", "op_a": "op_a_impl", "op_b": "op_b_impl"}
assert maps["ops_link"]["flags"] == 8192 and maps["ops_opt"]["autocreate"] is False
PY
	then ok "object show --btf --json ($v)"; else ko "object show --btf --json ($v)" "$(head -c 300 "$tmp/show.json")"; fi
done
for v in v3 v4; do
	"$tool" object show "$dir/core.$v.o" --btf "$dir/host.btf" --json >"$tmp/core.json" 2>&1
	if python3 - "$tmp/core.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["relocated"] is True
assert sum(p["core_relocations"] for p in d["programs"]) > 0
assert all(p["core_relocations"] >= 0 for p in d["programs"])
PY
	then ok "object show counts CO-RE relocations ($v)"; else ko "object show counts CO-RE relocations ($v)" "$(head -c 300 "$tmp/core.json")"; fi
done
"$tool" object show "$dir/core.v4.o" >"$tmp/core.txt" 2>&1
if grep -q "relocations applied" "$tmp/core.txt"; then
	ko "object show without --btf does not relocate" "$(tail -n 2 "$tmp/core.txt")"
else
	ok "object show without --btf does not relocate"
fi
"$tool" object dump "$dir/loader_main.v4.o" --btf "$dir/host.btf" --prog sys_prog >"$tmp/dump.txt" 2>&1
if grep -q '^sys_prog (section syscall' "$tmp/dump.txt" && grep -q '^; .* @ .*loader_main.bpf.c:[0-9]' "$tmp/dump.txt" &&
	grep -q '^ *[0-9]*: exit' "$tmp/dump.txt"; then
	ok "object dump interleaves source lines"
else
	ko "object dump interleaves source lines" "$(head -c 300 "$tmp/dump.txt")"
fi
check_out "object dump names maps" "map[loader_m.bss][0]" "$tool" object dump "$dir/loader_main.v4.o" --btf "$dir/host.btf"
"$tool" object dump "$dir/loader_main.v4.o" --prog no_such_prog >/dev/null 2>"$tmp/err.txt"
if [ $? -eq 1 ] && grep -q "no program named" "$tmp/err.txt"; then
	ok "object dump names a missing program"
else
	ko "object dump names a missing program" "$(cat "$tmp/err.txt")"
fi
if "$tool" object show "$dir/host.btf" >"$tmp/err.txt" 2>&1; then
	ko "object show rejects non-objects" "succeeded"
elif grep -q "not an ELF" "$tmp/err.txt" && [ "$(grep -o "$dir/host.btf" "$tmp/err.txt" | wc -l)" -eq 1 ]; then
	ok "object show rejects non-objects (the file named once)"
else
	ko "object show rejects non-objects" "$(cat "$tmp/err.txt")"
fi
"$tool" btf dump "$dir/host.btf" --format c --kfuncs sops_test_kfunc >"$tmp/host.h" 2>&1
if grep -q "struct sops_test_ops {" "$tmp/host.h" && grep -q "sops_test_kfunc(u64 a, u64 b) __weak __ksym;" "$tmp/host.h"; then
	ok "btf dump --format c"
else
	ko "btf dump --format c" "$(head -c 300 "$tmp/host.h")"
fi
"$tool" btf dump "$dir/loader_main.v3.o" >"$tmp/raw.txt" 2>&1
if grep -q "DATASEC '.struct_ops' size=[0-9]* vlen=1" "$tmp/raw.txt"; then
	ok "btf dump raw of an object"
else
	ko "btf dump raw of an object" "$(grep DATASEC "$tmp/raw.txt" | head -3)"
fi

# An 87-byte BTF whose struct has 256 MiB between two members: libbpf would
# write 369 MB of `long: 64;` padding; the dump is refused before any output.
printf '\237\353\001\000\030\000\000\000\000\000\000\000\064\000\000\000\064\000\000\000\013\000\000\000\001\000\000\000\000\000\000\001\004\000\000\000\040\000\000\000\005\000\000\000\002\000\000\004\000\000\000\020\007\000\000\000\001\000\000\000\000\000\000\000\011\000\000\000\001\000\000\000\340\377\377\177\000\151\156\164\000\163\000\141\000\142\000' >"$tmp/pad.btf"
"$tool" btf dump "$tmp/pad.btf" --format c >"$tmp/pad.h" 2>"$tmp/pad.err"
rc=$?
if [ $rc -ne 0 ] && [ ! -s "$tmp/pad.h" ] && grep -q "output limit" "$tmp/pad.err"; then
	ok "btf dump --format c refuses amplifying padding"
else
	ko "btf dump --format c refuses amplifying padding" "rc $rc, $(wc -c <"$tmp/pad.h") bytes: $(head -c 200 "$tmp/pad.err")"
fi

# A host whose BTF leaves out the optional value type (registration synthesizes
# it): object show --btf lays the shadow out the same way instead of failing.
mkdir -p "$tmp/noval"
sed '/^struct bpf_struct_ops_sops_test_ops {/,/^};/d' tests/bpf/host_types.h >"$tmp/noval/host_types.h"
cp tests/bpf/host_types.c "$tmp/noval/"
# nothing else refers to the ops struct: a variable keeps it in DWARF (what a real host's ops table does)
cp tests/bpf/host_types.c "$tmp/noval/host_keep.c"
echo 'struct sops_test_ops sops_test_ops_keep;' >>"$tmp/noval/host_keep.c"
if ${CC:-cc} -g -O1 -c "$tmp/noval/host_keep.c" -o "$tmp/noval/host.o" 2>"$tmp/noval/cc.err" &&
   ${PAHOLE:-pahole} --btf_encode_detached="$tmp/noval/host.btf" "$tmp/noval/host.o" >/dev/null 2>&1; then
	if "$tool" btf dump "$tmp/noval/host.btf" | grep -q "STRUCT 'bpf_struct_ops_sops_test_ops'"; then
		ko "host BTF without the value type" "the value type is still there"
	fi
	"$tool" object show "$dir/loader_main.v3.o" --btf "$tmp/noval/host.btf" --json >"$tmp/noval.json" 2>&1
	if python3 - "$tmp/noval.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
maps = {m["name"]: m for m in d["maps"]}
# the synthesized layout: data at 64, size rounded up to 64, as registration does it
assert maps["ops1"]["struct"] == "sops_test_ops" and maps["ops1"]["value_size"] == 128, maps["ops1"]
assert maps["ops1"]["members"] == {"init": "init_impl", "op_a": "op_a_impl", "op_b": "op_b_impl"}
PY
	then ok "object show --btf: host BTF without the optional value type"
	else ko "object show --btf: host BTF without the optional value type" "$(head -c 300 "$tmp/noval.json")"; fi
	# without the ops struct too (no variable keeps it), the error names the value type and the map
	if ${CC:-cc} -g -O1 -c "$tmp/noval/host_types.c" -o "$tmp/noval/host2.o" 2>/dev/null &&
	   ${PAHOLE:-pahole} --btf_encode_detached="$tmp/noval/host2.btf" "$tmp/noval/host2.o" >/dev/null 2>&1; then
		check_out "object show --btf: no ops struct in the host BTF" \
			"struct bpf_struct_ops_sops_test_ops is not found in kernel BTF" \
			"$tool" object show "$dir/loader_main.v3.o" --btf "$tmp/noval/host2.btf"
	else
		ko "object show --btf: no ops struct" "cannot build the host BTF"
	fi
else
	ko "host BTF without the value type" "cannot build it: $(head -c 200 "$tmp/noval/cc.err")"
fi

# Each input that once crashed the loader, through the tool: an exit status, never a signal.
for f in "$(dirname "$0")"/fuzz/loader_regress/*.o; do
	"$tool" object show "$f" >/dev/null 2>&1
	rc=$?
	[ $rc -lt 128 ] && ok "regression input $(basename "$f")" ||
		ko "regression input $(basename "$f")" "killed by signal $((rc - 128))"
done

# Bounded fuzzing: seeds are the test objects and the host BTF.
fuzz="$build/tests/fuzz_loader"
if [ -x "$fuzz" ]; then
	mkdir -p "$tmp/corpus"
	cp "$dir"/*.o "$dir/host.btf" "$tmp/corpus/"
	rm -f "$tmp/corpus/host_types.o"
	# Inputs that once crashed the loader (the corpus runs first, so every run replays them).
	cp "$(dirname "$0")"/fuzz/loader_regress/*.o "$tmp/corpus/"
	# A fixed seed keeps `make check` reproducible; SOPS_FUZZ_SEED=0 asks libFuzzer for a random one.
	if SOPS_FUZZ_HOST_BTF="$dir/host.btf" "$fuzz" -seed="${SOPS_FUZZ_SEED:-1}" -runs="${SOPS_FUZZ_RUNS:-20000}" -max_total_time=45 \
		-max_len=65536 -print_final_stats=0 -artifact_prefix="$tmp/" "$tmp/corpus" >"$tmp/fuzz.log" 2>&1; then
		ok "fuzz loader"
	else
		ko "fuzz loader" "$(grep -m3 -E 'ERROR|SUMMARY' "$tmp/fuzz.log")"
		cp "$tmp/fuzz.log" "$build/fuzz_loader.log" 2>/dev/null
	fi
else
	ko "fuzz loader" "$fuzz not built"
fi

summary
