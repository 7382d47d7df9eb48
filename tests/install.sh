#!/usr/bin/env bash
# `make install` into a temporary DESTDIR (with a non-default LIBDIR), as a packager would: every
# file is where it belongs and nothing else is; C programs build and run against the installed
# .pc files (shared, nsrun-static, -static); the installed nsrun runs; `make uninstall` removes
# exactly what install put there and leaves other files alone. Also: CARGO_TARGET_DIR is honoured.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d /tmp/nsrun-destdir.XXXXXX)
trap 'rm -rf "$dest"' EXIT
prefix=/opt/nsrun-test
vars=(DESTDIR="$dest" PREFIX="$prefix" LIBDIR="$prefix/lib64")
mk() { make -s --no-print-directory -C "$root" "$@"; }
fail() { echo "install.sh: $*" >&2; exit 1; }

mk install "${vars[@]}" >/dev/null
mk install "${vars[@]}" >/dev/null   # a second install over the first is fine

# The man pages (one per command, from the CLI's clap definition) and the completions too.
expected=$( (printf '%s\n' bin/nsrun include/nsrun.h lib64/libnsrun.a lib64/libnsrun.so lib64/libnsrun.so.0 \
    lib64/pkgconfig/nsrun-static.pc lib64/pkgconfig/nsrun.pc share/bash-completion/completions/nsrun \
    share/zsh/site-functions/_nsrun share/fish/vendor_completions.d/nsrun.fish
    (cd "$root/build/share/man/man1" && ls) | sed 's|^|share/man/man1/|') | sort)
[[ $(wc -l <<<"$expected") -gt 20 ]] || fail "man pages were not generated"
got=$(cd "$dest$prefix" && find . ! -type d | sed 's|^\./||' | sort)
[[ $got == "$expected" ]] || fail "installed files differ:"$'\n'"$got"
[[ $(find "$dest" -mindepth 1 -maxdepth 1) == "$dest/opt" ]] || fail "files outside PREFIX"
p=$dest$prefix
[[ -x $p/bin/nsrun && $(stat -c %a "$p/lib64/libnsrun.so.0") == 755 ]] || fail "modes"
[[ $(stat -c %a "$p/lib64/libnsrun.a") == 644 && $(stat -c %a "$p/include/nsrun.h") == 644 ]] || fail "modes"
[[ $(readlink "$p/lib64/libnsrun.so") == libnsrun.so.0 ]] || fail "libnsrun.so is not a link to libnsrun.so.0"
readelf -d "$p/lib64/libnsrun.so.0" | grep -q 'SONAME.*\[libnsrun.so.0\]' || fail "soname"
cmp -s "$root/include/nsrun.h" "$p/include/nsrun.h" || fail "nsrun.h differs from include/nsrun.h"
grep -qx "prefix=$prefix" "$p/lib64/pkgconfig/nsrun.pc" || fail "nsrun.pc: prefix"
grep -qx 'libdir=${prefix}/lib64' "$p/lib64/pkgconfig/nsrun.pc" || fail "nsrun.pc: libdir"

# Build against the installed tree only (the sysroot maps the .pc paths into DESTDIR).
env -u PKG_CONFIG_LIBDIR PKG_CONFIG_PATH="$p/lib64/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest" \
    LD_LIBRARY_PATH="$p/lib64" "$root/tests/c/link_modes.sh" | sed 's/^/installed /'
v=$("$p/bin/nsrun" --version)
[[ $v == "nsrun $(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)" ]] || fail "nsrun --version: $v"
echo "installed nsrun --version: $v"

MANPATH= man -w -M "$p/share/man" nsrun-netns >/dev/null || fail "man: nsrun-netns page not found in the installed tree"
bash -c "source '$p/share/bash-completion/completions/nsrun'" || fail "bash completion does not load"
echo "installed man pages: $(ls "$p/share/man/man1" | wc -l), completions for bash, zsh and fish"

# Uninstall removes the installed files, not a neighbour's.
touch "$p/lib64/libother.so.1" "$p/include/other.h"
mk uninstall "${vars[@]}"
got=$(cd "$dest$prefix" && find . ! -type d | sed 's|^\./||' | sort)
[[ $got == $'include/other.h\nlib64/libother.so.1' ]] || fail "after uninstall:"$'\n'"$got"
rm "$p/lib64/libother.so.1" "$p/include/other.h"
find "$dest" -mindepth 1 -depth -type d -empty -delete
[[ -z $(find "$dest" -mindepth 1) ]] || fail "tree not empty after uninstall"
echo "uninstall: every installed file removed, others kept"

# CARGO_TARGET_DIR: the install takes cargo's output from there.
n=$(mk -n install-files CARGO_TARGET_DIR=/nonexistent/tgt DESTDIR=/x)
grep -q ' /nonexistent/tgt/release/libnsrun.so ' <<<"$n" && ! grep -q "$root/target" <<<"$n" \
    || fail "CARGO_TARGET_DIR not honoured:"$'\n'"$n"
echo "install: ok ($dest removed)"
