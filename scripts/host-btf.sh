#!/bin/sh
# host-btf.sh BINARY OUT.btf [--embed] [--base HOST.btf]
#
# Makes the BTF of a host application or module (docs/btf-and-programs.md):
# BINARY must be built with -g. pahole (Debian package dwarves) turns its DWARF
# into BTF. --base makes split BTF on top of the host's (for a module).
# --embed also adds the BTF to BINARY as a .BTF section (objcopy), so the host
# can load it with sops_btf__load_self().
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
if [ -n "$base" ]; then
	pahole --btf_base="$base" --btf_encode_detached="$out" "$bin"
else
	pahole --btf_encode_detached="$out" "$bin"
fi
if [ "$embed" -eq 1 ]; then
	objcopy --remove-section=.BTF "$bin" 2>/dev/null || true
	objcopy --add-section .BTF="$out" --set-section-flags .BTF=readonly "$bin"
fi
