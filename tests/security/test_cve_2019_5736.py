"""CVE-2019-5736: a container overwrites the runtime's binary through /proc/PID/exe. nsrun's
PID 1 is its own sealed memfd image, the launcher is outside the PID namespace, and
CAP_SYS_PTRACE is dropped: a throwaway copy of the `nsrun` CLI that launched it stays intact."""

import os
import shutil
import subprocess

from canary import fingerprint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ATTACK = (
    "for p in /proc/[0-9]*; do for i in 1 2 3; do (echo pwned >> $p/exe) 2>/dev/null && echo wrote $p; "
    "done; done; ls /proc/[0-9]*/exe >/dev/null 2>&1; echo end"
)


def test_the_runtime_binary_cannot_be_overwritten(rootfs, tmp_path):
    cli = os.path.join(ROOT, "build", "bin", "nsrun")
    copy = tmp_path / "bin"
    copy.mkdir()
    shutil.copy2(cli, copy / "nsrun")
    before = fingerprint(str(copy))
    for extra in ([], ["--privileged"]):
        r = subprocess.run([str(copy / "nsrun"), "boot", *extra, str(rootfs), "--", "/bin/sh", "-c", ATTACK],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert "wrote" not in r.stdout, r.stdout
        assert "end" in r.stdout.split(), r.stdout + r.stderr
    assert fingerprint(str(copy)) == before
