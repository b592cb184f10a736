#!/bin/sh
# tool_help.sh - every command's --help is complete and every --json failure is JSON.
#
# The command list comes from `structops --help`, so a new command is checked
# without editing this file: its --help must exit 0 on stdout and give the
# usage line, the exit status and an example; with no arguments it must fail
# with the usage on stderr. Every command that takes --json must report a
# failure as one JSON object {"error": {"errno", "name", "message"}} on stdout.
build=${1:-build}
tool="$build/structops"
. "$(dirname "$0")/lib_tool.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# help_ok NAME ARGS...: ARGS --help is complete.
help_ok() {
	name=$1
	shift
	if ! "$tool" "$@" --help >"$tmp/help" 2>"$tmp/help.err"; then
		ko "$name --help" "exit status $?"
		return
	fi
	if [ -s "$tmp/help.err" ]; then
		ko "$name --help" "wrote to stderr: $(head -c 200 "$tmp/help.err")"
		return
	fi
	for want in "usage: structops $*" "Exit status" "example"; do
		if ! grep -q "$want" "$tmp/help"; then
			ko "$name --help" "no '$want'"
			return
		fi
	done
	ok "$name --help"
}

check "structops --help exits 0" "$tool" --help
check_out "structops --help gives the exit status" "Exit status" "$tool" --help
cmds=$("$tool" --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ -n "$cmds" ] && ok "the command list parses" || ko "the command list parses" "no commands in --help"
for c in $cmds; do
	help_ok "$c" "$c"
	"$tool" "$c" </dev/null >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ "$c" = plugin ]; then
		# plugin reads its program from stdin: an empty one is a failed run, not bad usage.
		[ $st -eq 1 ] && ok "$c without input: exit 1" || ko "$c without input: exit 1" "exit status $st"
	elif [ $st -eq 2 ] && grep -q "usage:" "$tmp/err"; then
		ok "$c without arguments: usage on stderr, exit 2"
	else
		ko "$c without arguments: usage on stderr, exit 2" "exit status $st"
	fi
done
help_ok "prog verify" prog verify
"$tool" nosuchcommand >/dev/null 2>&1
[ $? -eq 2 ] && ok "an unknown command: exit 2" || ko "an unknown command: exit 2" "exit status $?"

# json_err NAME ARGS...: ARGS fails with exit status 1 or 2 and stdout is one JSON error object.
json_err() {
	name=$1
	shift
	"$tool" "$@" >"$tmp/out" 2>/dev/null
	st=$?
	if [ $st -eq 0 ]; then
		ko "$name" "exit status 0"
	elif python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert isinstance(e["errno"], int) and e["errno"] > 0, e
assert e["name"].startswith("E"), e
assert e["message"], e
' "$tmp/out" 2>"$tmp/py.err"; then
		ok "$name"
	else
		ko "$name" "stdout: $(head -c 200 "$tmp/out") $(tail -n 1 "$tmp/py.err")"
	fi
}

printf 'not an ELF file\n' >"$tmp/bad.o"
json_err "prog verify --json: a missing file" prog verify "$tmp/missing.o" --json
json_err "prog verify --json: not an object" prog verify "$tmp/bad.o" --json
json_err "struct_ops --json: not an object" struct_ops list "$tmp/bad.o" --json
json_err "prog run --json: not an object" prog run "$tmp/bad.o" p --json
json_err "prog run --json: bad usage" prog run "$tmp/bad.o" --json
json_err "prog run --json: --base without --btf" prog run "$tmp/bad.o" p --base x --json
json_err "map dump --json: not an object" map dump "$tmp/bad.o" m --json
json_err "map dump --json: bad usage" map dump "$tmp/bad.o" m --repeat 0 --json
json_err "object show --json: not an object" object show "$tmp/bad.o" --json
json_err "object show --json: a missing --btf" object show "$tmp/bad.o" --btf "$tmp/missing.btf" --json

summary
