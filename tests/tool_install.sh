#!/bin/sh
# tool_install.sh BUILD_DIR - `make install` into a scratch root, then build and run
# a program against the installed headers, library and pkg-config file.
# Prints PASS/FAIL lines and `N passed, N failed` last. Under `make check-asan` the
# library is instrumented, so the user program is built with the same $SAN_FLAGS.
set -u
san=${SAN_FLAGS:-}
build=${1:-build}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
. "$(dirname "$0")/lib_tool.sh"

if make -s install BUILD="$build" DESTDIR="$root" PREFIX=/usr >"$root/log" 2>&1; then
	ok install
else
	ko install "$(tail -n 3 "$root/log")"
fi
for f in usr/include/structops/vm.h usr/include/structops/asm.h usr/lib/libstructops.a \
	 usr/lib/libstructops.so usr/lib/pkgconfig/structops.pc usr/bin/structops \
	 usr/share/structops/host-btf.sh; do
	[ -e "$root/$f" ] && ok "installed $f" || ko "installed $f" "missing"
done

# Only the sops_ API leaves the shared object.
leaked=$(nm -D --defined-only "$root/usr/lib/libstructops.so" 2>/dev/null | awk '{print $3}' | grep -v '^sops_' | grep -v '^_' | head -3)
[ -z "$leaked" ] && ok "exports only sops_ symbols" || ko "exports only sops_ symbols" "$leaked"

cat >"$root/user.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <structops/asm.h>
#include <structops/vm.h>
int main(void)
{
	struct sops_insn *insns;
	size_t cnt;
	char err[256];
	struct sops_vm *vm;
	struct sops_vm_opts opts = { .sz = sizeof(opts), .log_buf = err, .log_size = sizeof(err) };

	if (sops_asm__parse("mov %r0, %r1\nadd %r0, 1\nexit", &insns, &cnt, err, sizeof(err)) ||
	    sops_vm__create(insns, cnt, &opts, &vm))
		return 1;
	printf("%llu\n", (unsigned long long)sops_vm__exec(vm, 41, 0));
	sops_vm__free(vm);
	free(insns);
	return 0;
}
C
export PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$root/usr/lib/pkgconfig"
# shellcheck disable=SC2086
if cc $san "$root/user.c" $(pkg-config --cflags --libs structops) -o "$root/user" 2>"$root/cc.log"; then
	out=$(LD_LIBRARY_PATH="$root/usr/lib" "$root/user")
	[ "$out" = 42 ] && ok "program against the shared library" || ko "program against the shared library" "printed '$out'"
else
	ko "program against the shared library" "$(head -n 3 "$root/cc.log")"
fi
# shellcheck disable=SC2086
if cc $san "$root/user.c" -I"$root/usr/include" "$root/usr/lib/libstructops.a" $(pkg-config --static --libs-only-l structops | sed "s/-lstructops//") \
	-o "$root/user_static" 2>"$root/cc.log"; then
	out=$("$root/user_static")
	[ "$out" = 42 ] && ok "program against the static library" || ko "program against the static library" "printed '$out'"
else
	ko "program against the static library" "$(head -n 3 "$root/cc.log")"
fi
# The installed host-btf.sh makes a host's BTF the installed tool can read.
printf 'struct inst_ops { int (*f)(int x); };\nstruct inst_ops inst_ops_var;\n' >"$root/types.c"
if cc -g -c "$root/types.c" -o "$root/types.o" 2>"$root/cc.log" &&
	sh "$root/usr/share/structops/host-btf.sh" "$root/types.o" "$root/types.btf" >"$root/hb.log" 2>&1 &&
	"$root/usr/bin/structops" btf dump "$root/types.btf" --format c 2>&1 | grep -q "struct inst_ops {"; then
	ok "installed host-btf.sh"
else
	ko "installed host-btf.sh" "$(cat "$root/cc.log" "$root/hb.log" | tail -n 3)"
fi
check_out "installed host-btf.sh usage" "usage:" sh "$root/usr/share/structops/host-btf.sh"
summary
