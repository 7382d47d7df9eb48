"""CVE-2025-31133 (a masked path's /dev/null replaced by a symlink), CVE-2025-52565 (the
/dev/console bind raced onto a host file) and CVE-2025-52881 (procfs writes redirected). nsrun
masks with the null device it made in its own /dev tmpfs, opened by descriptor and verified
1:3; binds the terminal onto a file it created there; and writes no procfs file after the root
switch. A crafted rootfs whose dev/null and dev/console are links to a throwaway host file, and
a program that over-mounts procfs files, leave that file untouched."""

import os
import pty
import subprocess

import nsrun
from canary import fingerprint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def crafted(rootfs_copy, victim):
    for name in ("null", "console", "ptmx"):
        p = rootfs_copy / "dev" / name
        if os.path.lexists(p):
            os.unlink(p)
        os.symlink(str(victim), p)


def test_masks_never_bind_a_replaced_dev_null(rootfs_copy, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("host file\n")
    crafted(rootfs_copy, victim)
    before = fingerprint(str(victim))
    script = ("for f in /proc/kcore /proc/keys /proc/timer_list /proc/kallsyms; do "
              "[ -e $f ] && { (echo pwned > $f) 2>/dev/null; stat -c '%t:%T' $f; }; done; true")
    r = nsrun.run(["/bin/sh", "-c", script], rootfs=rootfs_copy, capture_output=True, text=True, timeout=30)
    assert r.stdout and set(r.stdout.split()) == {"1:3"}, r.stdout
    assert fingerprint(str(victim)) == before


def test_dev_console_is_a_bind_of_the_terminal_never_of_a_rootfs_link(rootfs_copy, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("host file\n")
    crafted(rootfs_copy, victim)
    before = fingerprint(str(victim))
    master, slave = pty.openpty()
    try:
        # `nsrun boot` on a terminal is interactive: the terminal is bound onto /dev/console.
        r = subprocess.run([os.path.join(ROOT, "build", "bin", "nsrun"), "boot", str(rootfs_copy), "--",
                            "/bin/sh", "-c", "stat -c '%F %t' /dev/console >&2; echo pwned > /dev/console"],
                           stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        err = r.stderr
    finally:
        os.close(master)
        os.close(slave)
    assert b"character special file" in err, err
    assert fingerprint(str(victim)) == before


def test_procfs_overmounts_inside_do_not_redirect_nsruns_writes(rootfs_copy, tmp_path):
    rootfs = rootfs_copy  # the bind target /victim is created in it
    victim = tmp_path / "victim"
    victim.write_text("host file\n")
    before = fingerprint(str(victim))
    # The program over-mounts every writable procfs file of its own and of PID 1 with a tmpfs
    # file, then nsrun execs into the launch and stops it (shutdown, signals).
    script = ("echo x > /tmp/decoy; for f in /proc/self/attr/current /proc/self/uid_map /proc/1/oom_score_adj "
              "/proc/sys/kernel/core_pattern /proc/self/setgroups; do mount --bind /tmp/decoy $f 2>/dev/null; done; "
              "echo ready; sleep 1000")
    with nsrun.spawn(["/bin/sh", "-c", script], rootfs=rootfs, mounts=[(str(victim), "/victim", "ro")],
                     stdout=nsrun.PIPE, shutdown=["/bin/sh", "-c", "cat /victim > /dev/null"]) as p:
        assert p.stdout.readline() == b"ready\n"
        p.namespace("net")
        p.stop(timeout=5)
    assert fingerprint(str(victim)) == before
