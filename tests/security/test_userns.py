"""userns=True: container root is not host root. The fixture rootfs boots unchanged on an
idmapped mount (its files belong to root inside, what root creates is stored as uid 0), while
host files outside the rootfs, bound in or not, stay out of its reach."""

import os

import pytest

import nsrun
from canary import fingerprint

RCS = {"boot": ["/etc/rcS", "S", "boot"], "shutdown": ["/etc/rcS", "K", "shutdown"]}


def test_the_fixture_rootfs_boots_unchanged(rootfs_copy):
    script = ("id -u; cat /proc/self/uid_map; hostname; stat -c '%u' /etc/rcS; "
              "echo made > /root/created; cat /run/routerd.pid >/dev/null && echo daemon")
    r = nsrun.run(["/bin/sh", "-c", script], rootfs=rootfs_copy, userns=True, capture_output=True,
                  text=True, timeout=30, check=True, **RCS)
    lines = r.stdout.splitlines()
    assert lines[0] == "rcS: boot: router up"
    assert lines[1] == "0"
    assert lines[2].split() == ["0", str(0x60000000), "65536"]
    assert lines[3:6] == ["router", "0", "daemon"]
    assert lines[-1] == "rcS: shutdown: stopping"
    # Stored on disk as host uid 0, through the idmapped mount.
    assert os.stat(rootfs_copy / "root" / "created").st_uid == 0


def test_bound_host_files_and_host_sysctls_are_out_of_reach(rootfs_copy, tmp_path):
    rootfs = rootfs_copy  # the bind target /host is created in it
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "file").write_text("host\n")
    before = fingerprint(str(victim))
    core_pattern = open("/proc/sys/kernel/core_pattern").read()
    script = ("(echo pwned > /host/file) 2>/dev/null && echo wrote; (touch /host/new) 2>/dev/null && echo made; "
              "(echo '|/tmp/x' > /proc/sys/kernel/core_pattern) 2>/dev/null && echo sysctl; "
              # A fresh procfs of its own is allowed, but host-wide files stay the host root's.
              "mkdir /tmp/p; mount -t proc proc /tmp/p && "
              "{ (echo '|/tmp/x' > /tmp/p/sys/kernel/core_pattern) 2>/dev/null && echo sysctl2; "
              "head -c1 /tmp/p/kcore >/dev/null 2>&1 && echo kcore; }; stat -c %u /host/file; echo end")
    r = nsrun.run(["/bin/sh", "-c", script], rootfs=rootfs, userns=True, mounts=[(str(victim), "/host")],
                  proc_sys_writable=True, capture_output=True, text=True, timeout=30)
    assert r.stdout.split() == ["65534", "end"], r.stdout + r.stderr
    assert fingerprint(str(victim)) == before
    assert open("/proc/sys/kernel/core_pattern").read() == core_pattern


def test_userns_needs_a_rootfs_and_no_joined_namespace(rootfs, netns_name):
    with pytest.raises(OSError) as e:
        nsrun.run(["/bin/true"], userns=True, timeout=30)
    assert "rootfs" in str(e.value)
    lab = nsrun.netns.add(netns_name)
    with pytest.raises(OSError) as e:
        nsrun.run(["/bin/true"], rootfs=rootfs, userns=True, namespaces={"net": lab}, timeout=30)
    assert "user namespace" in str(e.value)
