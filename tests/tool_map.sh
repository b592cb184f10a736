#!/bin/sh
# tool_map.sh BUILD_DIR - `structops map dump`: load a clang-built object, run programs
# that fill its maps (interpreter and JIT), dump hash, array, per-CPU and global-data
# maps as text and JSON, errors.
set -u
tool=${STRUCTOPS_TOOL:-${1:-build}/structops}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib_tool.sh"
cat > "$tmp/m.bpf.c" <<'C'
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 8); __type(key, __u32); __type(value, __u64); } h SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, __u32); } a SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); } pc SEC(".maps");
__u32 counter;
SEC("syscall") int fill(void *ctx)
{
	for (__u32 k = 1; k <= 3; k++) {
		__u64 v = k * 10;
		bpf_map_update_elem(&h, &k, &v, BPF_ANY);
	}
	return 3;
}
SEC("syscall") int bump(void *ctx)
{
	__u32 k = 1;
	__u32 *v = bpf_map_lookup_elem(&a, &k);
	if (v)
		*v += 1;
	counter += 5;
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
C
if ! clang-19 -O2 -g -target bpf -I/usr/include/$(cc -dumpmachine) -c "$tmp/m.bpf.c" -o "$tmp/m.o" 2>"$tmp/cc.log"; then
	echo "FAIL tool_map: cannot build the test object: $(cat "$tmp/cc.log")"
	echo "0 passed, 1 failed"
	exit 1
fi
check_out empty_hash "Found 0 elements" "$tool" map dump "$tmp/m.o" h
check_out fill_ran "ran fill: retval 3" "$tool" map dump "$tmp/m.o" h --run fill
check_out fill_key "key: 02 00 00 00  value: 14 00 00 00 00 00 00 00" "$tool" map dump "$tmp/m.o" h --run fill
check_out fill_count "Found 3 elements" "$tool" map dump "$tmp/m.o" h --run fill --jit
check_out array_twice "key: 01 00 00 00  value: 02 00 00 00" "$tool" map dump "$tmp/m.o" a --run bump --run bump
check_out array_repeat "key: 01 00 00 00  value: 07 00 00 00" "$tool" map dump "$tmp/m.o" a --run bump --repeat 7
check_out array_all "Found 2 elements" "$tool" map dump "$tmp/m.o" a
check_out json '{"key":["0x01","0x00","0x00","0x00"],"value":["0x01","0x00","0x00","0x00"]}' \
	"$tool" map dump "$tmp/m.o" a --run bump --json
check_out json_jit '{"key":["0x03","0x00","0x00","0x00"],"value":["0x1e"' "$tool" map dump "$tmp/m.o" h --run fill --jit --json
check_out percpu "value (CPU 00): 00 00 00 00" "$tool" map dump "$tmp/m.o" pc
check_out percpu_json '"values":[{"cpu":0,"value":["0x00"' "$tool" map dump "$tmp/m.o" pc --json
check_out bss "value: 0a 00 00 00" "$tool" map dump "$tmp/m.o" m.bss --run bump --run bump
check_out nomap "no map named nope; maps: h a pc m.bss" "$tool" map dump "$tmp/m.o" nope
check_out noprog "no program named nope" "$tool" map dump "$tmp/m.o" h --run nope
check_out help "usage: structops map dump" "$tool" map --help
check_out badcmd "usage: structops map dump" "$tool" map show
summary
