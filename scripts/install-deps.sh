#!/bin/sh
# install-deps.sh: make sure the Debian packages structops builds and tests with are present.
#
# Called by `make`, `make check` and `make demo` (through the deps stamp), so that on a fresh
# Debian 12 machine those commands do all set-up themselves. Installs with apt-get when run as
# root; otherwise prints the exact command to run and fails.
#
# Why each package (the README repeats this):
#   clang-19, llvm-19   compile BPF C (-target bpf) and extract sections (llvm-objcopy-19)
#   libelf-dev          ELF object files (the loader)
#   libbpf-dev          BTF parsing and btf_dump (the loader, the struct_ops types)
#   dwarves             pahole: turns a host's DWARF into BTF (test host, docs/btf-and-programs.md)
#   libclang-rt-19-dev  libFuzzer and sanitizer runtimes for clang-19 (the loader's fuzz target)
#   liburcu-dev         RCU for lock-free op calls during live swaps
#   libffi-dev          closures for op thunks in interpreter mode
#   zlib1g-dev          libbpf's own link dependency
#   pkg-config          finds the libraries above
#   binutils            objdump decodes JIT output for `structops disasm --jited`
#   make, gcc           the build itself
set -eu

PKGS="make gcc binutils clang-19 llvm-19 libclang-rt-19-dev libelf-dev libbpf-dev dwarves liburcu-dev libffi-dev zlib1g-dev pkg-config"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "structops: missing Debian packages:$missing" >&2
	echo "structops: install them with:" >&2
	echo "    sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "structops: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || apt-get update
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
