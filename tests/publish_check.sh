#!/usr/bin/env bash
# Usage: tests/publish_check.sh CRATE...
# The crates meant for crates.io are exactly CRATE... (every other workspace crate says
# `publish = false`); `cargo publish --dry-run` packages and builds each of them as crates.io
# would, uploads nothing, and warns about nothing; each package carries README.md and both
# license files.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "publish-check: $*" >&2; exit 1; }

publishable=$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
print(" ".join(sorted(p["name"] for p in json.load(sys.stdin)["packages"] if p["publish"] != [])))')
[[ $publishable == "$(printf '%s\n' "$@" | sort | xargs)" ]] \
    || fail "publishable crates are '$publishable', expected '$*' (set publish = false, or add it here)"

# cargo unpacks the packages it verifies into an overlay registry under
# $CARGO_HOME/registry/src/-<hash of this checkout>/NAME-VERSION, from a copy it keeps in
# $CARGO_HOME/registry/cache/-<hash>/NAME-VERSION.crate, and reuses both while name and version
# stay the same: a second run in one checkout would verify the first run's sources. Remove
# those (only overlay directories, whose names start with '-').
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
args=()
for c in "$@"; do
    args+=(-p "$c")
    rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/"$c-$version" \
        "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/-*/"$c-$version.crate"
done
# The verification builds the packaged crates in target/debug, where cargo takes a registry
# crate of an unchanged name and version for unchanged: drop what an earlier run built.
cargo clean -q --profile dev "${args[@]}"
log=$(cargo publish --dry-run --allow-dirty "${args[@]}" 2>&1) || { echo "$log"; fail "cargo publish --dry-run failed"; }
warnings=$(grep -i 'warning' <<<"$log" | grep -v 'aborting upload due to dry run' || true)
[[ -z $warnings ]] || { echo "$log"; fail "warnings: $warnings"; }

for c in "$@"; do
    files=$(cargo package --list --allow-dirty -p "$c" 2>/dev/null)
    for f in README.md LICENSE-MIT LICENSE-APACHE; do
        grep -qx "$f" <<<"$files" || fail "$c: the package lacks $f"
    done
    echo "publish-check: $c $(grep -c . <<<"$files") files, dry run clean"
done
