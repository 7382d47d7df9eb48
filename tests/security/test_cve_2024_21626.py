"""CVE-2024-21626: a host directory descriptor (or cwd) leaked into the container lets it walk
out (/proc/self/fd/N/.., /proc/1/cwd). The launcher holds a host directory open without
O_CLOEXEC and runs from it; the program writes through every descriptor and cwd it can see, and
the throwaway host directory stays untouched."""

import os
import subprocess
import sys
import textwrap

from canary import fingerprint

ATTACK = (
    "for f in /proc/self/fd/* /proc/1/fd/* /proc/1/cwd /proc/1/root; do "
    "(echo pwned > $f/pwned) 2>/dev/null; (echo pwned > $f/../pwned) 2>/dev/null; "
    "(echo pwned > $f/../../pwned) 2>/dev/null; done; ls -l /proc/self/fd/ | grep -c victim; true"
)


def test_no_host_directory_reaches_the_program(rootfs_copy, tmp_path):
    # The attack writes `pwned` wherever it can, the container's / included: a copy.
    rootfs = rootfs_copy
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("host\n")
    before = fingerprint(str(victim))
    code = textwrap.dedent(f"""
        import os, sys, nsrun
        fd = os.open({str(victim)!r}, os.O_RDONLY | os.O_DIRECTORY)
        os.set_inheritable(fd, True)
        os.chdir({str(victim)!r})
        for init in (True, False):
            r = nsrun.run(["/bin/sh", "-c", {ATTACK!r}], rootfs={str(rootfs)!r}, init=init,
                          capture_output=True, text=True, timeout=30)
            sys.stdout.write(r.stdout)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "0"], out.stdout
    assert fingerprint(str(victim)) == before
