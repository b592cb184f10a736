#!/bin/sh
# SPDX-License-Identifier: MIT
#
# extract-bpf.sh - turn one compiled kernel object into raw bytecode (bench.mk runs it).
#
#   sh bench/extract-bpf.sh OBJDUMP OBJCOPY KERNEL.o NAME OUT.bin
#
# The BPF object of a kernel holds its code in the section bench_NAME. The
# benchmark runs that section as-is (entry at offset 0, no loader), so before
# copying it out this checks what would otherwise fail silently at run time:
#  - no relocation at all: a call or a load that needs the loader (a global, a
#    map, a call into another section) would run with a wrong immediate;
#  - the entry symbol NAME sits at offset 0 of the section;
#  - no other section with content (.data, .rodata, .bss): the code could not
#    reach it.
set -eu

objdump=$1 objcopy=$2 obj=$3 name=$4 out=$5
sec=bench_$name

fail() {
	echo "extract-bpf: $obj: $*" >&2
	exit 1
}

# Relocation records print as "RELOCATION RECORDS FOR [section]:".
if "$objdump" -r "$obj" | grep -q 'RELOCATION RECORDS'; then
	"$objdump" -dr "$obj" >&2
	fail "has relocations; the kernel must be self-contained (no globals, calls only within $sec)"
fi

# Symbol table lines: "VALUE flags type SECTION SIZE NAME".
entry=$("$objdump" -t "$obj" | awk -v s="$sec" -v n="$name" 'NF >= 3 && $(NF-2) == s && $NF == n { print $1 }')
[ -n "$entry" ] || fail "no function $name in section $sec"
[ "$entry" = 0000000000000000 ] || fail "$name is at offset 0x$entry of $sec, not 0 (define helpers after the kernel)"

# Section headers: "Idx Name Size VMA Type"; anything but our code, the empty
# .text and the tables is data the bytecode cannot address.
extra=$("$objdump" -h "$obj" | awk -v s="$sec" '
	$1 ~ /^[0-9]+$/ && $2 != s && $2 != ".text" && $2 !~ /^\.(strtab|symtab|llvm_addrsig|BTF|BTF\.ext)$/ &&
	$3 !~ /^0+$/ { print $2 }')
[ -z "$extra" ] || fail "has data sections ($extra); kernels may not use global data"

"$objcopy" -O binary --only-section="$sec" "$obj" "$out"
[ -s "$out" ] || fail "section $sec is empty"
