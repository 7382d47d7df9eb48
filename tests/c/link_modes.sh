#!/usr/bin/env bash
# The three ways to link libnsrun, each checked with `readelf -d` and run (tests/c/test_static.c):
#   shared       cc prog.c $(pkg-config --cflags --libs nsrun)         NEEDED libnsrun.so.0
#   nsrun-static cc prog.c $(pkg-config --cflags --libs nsrun-static)  no libnsrun.so; libc shared
#   -static      cc -static prog.c $(pkg-config --cflags --static --libs nsrun)  no dynamic section
# pkg-config finds nsrun through the caller's PKG_CONFIG_PATH (and PKG_CONFIG_SYSROOT_DIR).
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)/test_static.c
out=$(mktemp -d /tmp/nsrun-link.XXXXXX)
trap 'rm -rf "$out"' EXIT
cc=${CC:-gcc}
cflags=(-std=c11 -Wall -Wextra -Werror $(pkg-config --cflags nsrun))

fail() { echo "link_modes: $*" >&2; exit 1; }
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '; }

$cc "${cflags[@]}" "$src" -o "$out/shared" $(pkg-config --libs nsrun)
$cc "${cflags[@]}" "$src" -o "$out/nsrun-static" $(pkg-config --libs nsrun-static)
$cc -static "${cflags[@]}" "$src" -o "$out/static" $(pkg-config --static --libs nsrun)

n=$(needed "$out/shared")
[[ $n == *libnsrun.so.0* ]] || fail "shared: NEEDED is '$n', no libnsrun.so.0"
echo "shared:       NEEDED $n"
n=$(needed "$out/nsrun-static")
[[ $n != *libnsrun* && $n == *libc.so.6* ]] || fail "nsrun-static: NEEDED is '$n'"
echo "nsrun-static: NEEDED $n"
d=$(readelf -d "$out/static")
[[ $d == *"There is no dynamic section"* ]] || fail "-static: has a dynamic section: $d"
echo "-static:      ${d//$'\n'/}"

for b in shared nsrun-static static; do
    r=$("$out/$b") || fail "$b: exit status $?: $r"
    echo "$b: $r"
done
