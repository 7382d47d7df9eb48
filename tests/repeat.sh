#!/usr/bin/env bash
# tests/repeat.sh N [HOG]: runs `.ci/run` N times, each in a fresh clone of HEAD in a new
# temporary directory (mode 0700, as `mktemp -d` makes it: no fixture, no venv, no build),
# the way CI and a new user meet the project. With HOG=1, one busy loop per core runs
# throughout. Prints each run's duration and result, then "N passed, N failed".
set -uo pipefail
n=${1:-5}
hog=${2:-0}
src=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
head=$(git -C "$src" rev-parse HEAD)
logs=$(mktemp -d /tmp/nsrun-repeat.XXXXXX)
hogs=()
stop_hogs() { for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; hogs=(); }
trap stop_hogs EXIT
if [ "$hog" = 1 ]; then
    for _ in $(seq "$(nproc)"); do
        ( while :; do :; done ) &
        hogs+=($!)
    done
    echo "repeat: $(nproc) CPU hogs running (pids ${hogs[*]})"
fi
pass=0 fail=0
for i in $(seq "$n"); do
    dir=$(mktemp -d)
    git clone -q "$src" "$dir/nsrun" && git -C "$dir/nsrun" checkout -q "$head"
    start=$(date +%s)
    if (cd "$dir/nsrun" && CI=true bash .ci/run) >"$logs/run$i.log" 2>&1; then
        result=passed pass=$((pass + 1))
    else
        result=FAILED fail=$((fail + 1))
    fi
    echo "repeat: run $i of $n: $result in $(($(date +%s) - start)) s (log: $logs/run$i.log)"
    [ "$result" = passed ] && rm -rf "$dir" || echo "repeat: clone kept at $dir/nsrun"
done
stop_hogs
echo "repeat: $pass passed, $fail failed"
[ "$fail" = 0 ]
