#!/usr/bin/env bash
# The two ordinary accounts of the rootless suite and bench/bench_rootless.py, made when missing
# and kept (like a CI runner's account); run as root.
#   nsrun-rl   with /etc/subuid and /etc/subgid ranges: newuidmap maps a range
#   nsrun-rl1  without: only root inside is mapped
set -euo pipefail

# useradd/usermod take a lock on /etc/passwd; another run may hold it for a moment.
retry() {
    local i
    for i in $(seq 1 100); do
        "$@" 2>/tmp/nsrun-rl-user.$$ && { rm -f /tmp/nsrun-rl-user.$$; return 0; }
        grep -q lock /tmp/nsrun-rl-user.$$ || { cat /tmp/nsrun-rl-user.$$ >&2; rm -f /tmp/nsrun-rl-user.$$; return 1; }
        sleep 0.1
    done
    rm -f /tmp/nsrun-rl-user.$$
    return 1
}
account() {
    # (A concurrent run may have made it meanwhile: then it exists, which is all we need.)
    id -u "$1" >/dev/null 2>&1 || retry useradd --system --no-create-home --shell /bin/false "$1" ||
        id -u "$1" >/dev/null
}
account nsrun-rl
account nsrun-rl1
grep -q '^nsrun-rl:' /etc/subuid || retry usermod --add-subuids 589824-655359 nsrun-rl
grep -q '^nsrun-rl:' /etc/subgid || retry usermod --add-subgids 589824-655359 nsrun-rl
# nsrun-rl1 must have no range (an older setup may have given it one).
if grep -q '^nsrun-rl1:' /etc/subuid /etc/subgid; then
    echo "tests/rootless: nsrun-rl1 must have no /etc/subuid or /etc/subgid entry" >&2
    exit 1
fi
