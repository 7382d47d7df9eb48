"""Up-front diagnosis of a host that forbids user namespaces (issue 14): an ordinary user's
rootless launch fails before anything is tried, with one line naming the switch to change.

The host's switches are not touched: each case runs in a private mount namespace where the
sysctl file reads as the forbidding value (a bind mount, or a tmpfs over /proc/sys/kernel for
the Debian and Ubuntu switches this kernel does not have), then drops to uid 65534."""

import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def cli_copy():
    subprocess.run(["make", "-s", "--no-print-directory", "cli"], cwd=ROOT, check=True)
    d = tempfile.mkdtemp(prefix="nsrun-diag-")
    os.chmod(d, 0o755)
    shutil.copy(os.path.join(ROOT, "target", "release", "nsrun"), d)
    yield os.path.join(d, "nsrun")
    shutil.rmtree(d)


CASES = {
    "max_user_namespaces": (
        "echo 0 > $D/v && mount --bind $D/v /proc/sys/user/max_user_namespaces",
        "user.max_user_namespaces = 0", "sysctl -w user.max_user_namespaces=15000"),
    "debian": (
        "mount -t tmpfs t /proc/sys/kernel && echo 0 > /proc/sys/kernel/unprivileged_userns_clone",
        "kernel.unprivileged_userns_clone = 0", "sysctl -w kernel.unprivileged_userns_clone=1"),
    "ubuntu_apparmor": (
        "mount -t tmpfs t /proc/sys/kernel && echo 1 > /proc/sys/kernel/apparmor_restrict_unprivileged_userns",
        "kernel.apparmor_restrict_unprivileged_userns = 1",
        "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_forbidding_switch_is_named_in_one_line_before_anything_is_tried(cli_copy, case):
    setup, said, fix = CASES[case]
    d = os.path.dirname(cli_copy)
    # A rootfs that does not exist: the diagnosis comes before any check of the launch.
    script = (f"D={d}; {setup} && exec setpriv --reuid=65534 --regid=65534 --clear-groups "
              f"{cli_copy} boot /nonexistent-rootfs -- /bin/true")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 125, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert said in lines[0] and fix in lines[0] and "as root" in lines[0], lines[0]
    # The same binary as that user on the real host gets past the diagnosis (to the rootfs).
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", cli_copy,
                        "boot", "/nonexistent-rootfs", "--", "/bin/true"], capture_output=True, text=True)
    assert r.returncode == 125 and "nonexistent-rootfs" in r.stderr and "sysctl" not in r.stderr
