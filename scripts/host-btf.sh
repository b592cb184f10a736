#!/bin/sh
# host-btf.sh BINARY OUT.btf [--embed] [--base HOST.btf]
#
# Makes the BTF of a host application or module (docs/btf-and-programs.md):
# BINARY must be built with -g. pahole (Debian package dwarves) turns its DWARF
# into BTF. --base makes split BTF on top of the host's (for a module).
# --embed also adds the BTF to BINARY as a .BTF section (objcopy), so the host
# can load it with sops_btf__load_self(). Installed by `make install` as
# PREFIX/share/structops/host-btf.sh.
#
# Pitfalls (pahole 1.24):
#   - -g DWARF is needed: without it there is nothing to encode (checked below).
#   - Typedefs are kept as typedefs (u32 stays u32), so programs see the
#     host's names; declare exposed types with the typedefs you want them to see.
#   - Keep the exposed types (ops structs, what their members point to) and the
#     <struct>__<member> stubs in one translation unit and give pahole that
#     object (or the host's own objects linked with ld -r): a whole binary
#     also brings every library's types, and the same type from several units
#     gets duplicated under ___N names when the units disagree.
#   - Only C compilation units are encoded (--lang): pahole cannot encode
#     C++ DWARF, and toolchains link C++ objects of their own into C programs
#     (the sanitizer runtimes' preinit object under -fsanitize=address), which
#     would otherwise fail the whole encoding.
#   - C11 _Atomic types are not encoded; structops repairs what it can at
#     load, but exposed members should use plain types with __atomic builtins.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 BINARY OUT.btf [--embed] [--base HOST.btf]" >&2; exit 2; }
bin=$1; out=$2; shift 2
embed=0; base=""
while [ $# -gt 0 ]; do
	case $1 in
	--embed) embed=1 ;;
	--base) base=$2; shift ;;
	*) echo "$0: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
command -v pahole >/dev/null 2>&1 || { echo "$0: pahole not found (Debian package dwarves)" >&2; exit 1; }
[ -r "$bin" ] || { echo "$0: $bin: cannot read it" >&2; exit 1; }
if ! objdump -h "$bin" 2>/dev/null | grep -q '[.]debug_info'; then
	echo "$0: $bin has no DWARF (.debug_info): build it with -g" >&2
	exit 1
fi
langs=c89,c,c99,c11
if [ -n "$base" ]; then
	pahole --lang="$langs" --btf_base="$base" --btf_encode_detached="$out" "$bin"
else
	pahole --lang="$langs" --btf_encode_detached="$out" "$bin"
fi
if [ "$embed" -eq 1 ]; then
	objcopy --remove-section=.BTF "$bin" 2>/dev/null || true
	objcopy --add-section .BTF="$out" --set-section-flags .BTF=readonly "$bin"
fi
