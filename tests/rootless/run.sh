#!/usr/bin/env bash
# The rootless suite (tests/rootless), run as ordinary users. Run as root by `make test`:
#   tests/rootless/run.sh WHEEL_DIR NSRUN_CLI LIBDIR ROOTFS
#
# Two accounts, created here when missing and kept (like a CI runner's account):
#   nsrun-rl   with /etc/subuid and /etc/subgid ranges: newuidmap maps a range (NSRUN_MAPS=range)
#   nsrun-rl1  without: only root inside is mapped (NSRUN_MAPS=single)
# Each gets, in a fresh 0755 `mktemp -d` (the checkout may sit in a 0700 directory), a venv
# with the wheel and pytest, the CLI, the C example built against libnsrun, its own copy of
# the rootfs and its own XDG_RUNTIME_DIR. After the suite, no process of the account may be
# left, and its runtime directory must be empty.
set -euo pipefail
wheel_dir=$(realpath "$1") cli=$(realpath "$2") libdir=$(realpath "$3") rootfs=$(realpath "$4")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

"$here/accounts.sh"

# One run at a time per machine: the checks below count every process of the accounts, so a
# second copy of the suite (make test-repeat beside another run) waits for this one.
lockdir=/run/lock
[ -d "$lockdir" ] || lockdir=/run
exec 9>"$lockdir/nsrun-rootless-suite.lock"
flock 9

tmp=$(mktemp -d /tmp/nsrun-rootless.XXXXXX)
chmod 755 "$tmp"
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

# The system python: a pyenv one under /root is out of reach of other users.
/usr/bin/python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check pytest "$wheel_dir"/nsrun-*.whl
cp -a "$here" "$tmp/tests"
rm -rf "$tmp/tests/__pycache__"
cp -a "$root/examples/lab/frr" "$tmp/tests/frr"
rm -f "$tmp/tests/frr"/test_*.py  # the root suite's test of the example
cp "$cli" "$tmp/nsrun"
mkdir "$tmp/lib"
cp -a "$libdir"/libnsrun.so* "$tmp/lib/"
cc -std=c11 -Wall -Wextra -Werror -I"$root/include" "$root/examples/c/boot_on_host.c" \
    -o "$tmp/boot_on_host" -L"$tmp/lib" -lnsrun -Wl,-rpath,"$tmp/lib"
cc -std=c11 -Wall -Wextra -Werror -I"$root/include" "$here/launch.c" \
    -o "$tmp/launch" -L"$tmp/lib" -lnsrun -Wl,-rpath,"$tmp/lib"
chmod -R a+rX "$tmp"

# The accounts may not enter the checkout (CI clones into a 0700 `mktemp -d`): run from here.
cd "$tmp"
status=0
for user in nsrun-rl nsrun-rl1; do
    maps=range
    [ "$user" = nsrun-rl1 ] && maps=single
    uid=$(id -u "$user")
    cp -a "$rootfs" "$tmp/rootfs-$user"
    chown -R "$user:" "$tmp/rootfs-$user"
    install -d -m 0700 -o "$user" -g "$(id -g "$user")" "$tmp/home-$user" "$tmp/run-$user"
    echo "tests/rootless: as $user (uid $uid, maps: $maps)"
    setpriv --reuid="$user" --regid="$user" --init-groups \
        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME="$tmp/home-$user" XDG_RUNTIME_DIR="$tmp/run-$user" LANG=C.UTF-8 \
        NSRUN_CLI="$tmp/nsrun" NSRUN_ROOTFS="$tmp/rootfs-$user" NSRUN_MAPS=$maps \
        NSRUN_C_BOOT="$tmp/boot_on_host" NSRUN_C_LAUNCH="$tmp/launch" \
        "$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider --basetemp="$tmp/home-$user/pytest" \
        "$tmp/tests" || status=1
    # Nothing of the account may be left: no process, no state. (The keeper exits as the
    # suite's last connection closes; a zombie waiting for PID 1 to reap it holds nothing.)
    for _ in $(seq 1 100); do
        left=$(ps -u "$uid" -o pid=,stat= | awk '$2 !~ /^Z/ {print $1}')
        [ -z "$left" ] && break
        sleep 0.1
    done
    if [ -n "$left" ]; then
        echo "tests/rootless: processes of $user left behind:" >&2
        ps -o pid,ppid,args -p "$(echo $left | tr ' ' ',')" >&2 || true
        kill -KILL $left 2>/dev/null || true
        status=1
    fi
    if [ -n "$(find "$tmp/run-$user" ! -type d)" ]; then
        echo "tests/rootless: state left in $user's runtime directory:" >&2
        find "$tmp/run-$user" ! -type d >&2
        status=1
    fi
done
exit $status
