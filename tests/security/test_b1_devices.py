"""B1: no host block device can be reached (mknod + mount of the host's disk), and the host's
cgroupfs and sysfs are read-only all the way down."""

import os
import stat
import subprocess

import nsrun
from canary import fingerprint
from conftest import unique


def test_mknod_of_the_host_disk_is_refused_and_the_disk_stays_untouched(rootfs, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "file").write_text("host data\n")
    before = fingerprint(str(victim))
    dev = os.stat(victim).st_dev
    major, minor = os.major(dev), os.minor(dev)
    rel = str(victim)  # the same path on the disk, once mounted at /mnt
    script = (
        f"mkdir -p /tmp/m; mknod /tmp/disk b {major} {minor} 2>/dev/null && echo made; "
        f"mount /tmp/disk /tmp/m 2>/dev/null && echo mounted && echo pwned > /tmp/m{rel}/file; "
        "echo end"
    )
    r = nsrun.run(["/bin/sh", "-c", script], rootfs=rootfs, capture_output=True, text=True, timeout=30)
    assert r.stdout == "end\n", r.stdout + r.stderr
    assert fingerprint(str(victim)) == before


def test_block_devices_from_the_rootfs_are_not_exposed(rootfs):
    r = nsrun.run(["/bin/sh", "-c", "find / -xdev -type b 2>/dev/null | wc -l; ls /dev"],
                  rootfs=rootfs, capture_output=True, text=True, timeout=30)
    assert r.stdout.splitlines()[0] == "0"


def test_cgroupfs_and_sysfs_are_read_only_all_the_way_down(rootfs):
    name = unique("nsrun-canary")
    for cg in ("/sys/fs/cgroup", "/sys/fs/cgroup/pids"):
        if not os.path.isdir(cg):
            continue
        script = f"mkdir {cg}/{name} 2>/dev/null && echo made; echo end"
        r = nsrun.run(["/bin/sh", "-c", script], rootfs=rootfs, capture_output=True, text=True, timeout=30)
        assert r.stdout == "end\n"
        assert not os.path.exists(f"{cg}/{name}")
    # Every sysfs and cgroup mount inside is read-only.
    r = nsrun.run(["/bin/sh", "-c", "grep -E ' /sys' /proc/self/mountinfo"], rootfs=rootfs,
                  capture_output=True, text=True, timeout=30)
    lines = r.stdout.splitlines()
    assert lines, r.stdout
    for line in lines:
        opts = line.split()[5].split(",")
        assert "ro" in opts, line


def test_runc_masked_paths_are_masked(rootfs):
    files = ["kcore", "keys", "timer_list", "sched_debug", "kmsg", "kallsyms", "latency_stats"]
    script = "; ".join(f"[ -e /proc/{f} ] && stat -c '%n %t:%T %F' /proc/{f}" for f in files)
    script += "; ls -A /sys/firmware | wc -l; (echo 1 > /proc/irq/default_smp_affinity) 2>/dev/null && echo irq; true"
    r = nsrun.run(["/bin/sh", "-c", script], rootfs=rootfs, capture_output=True, text=True, timeout=30)
    lines = r.stdout.splitlines()
    assert lines[-1] == "0", r.stdout
    for line in lines[:-1]:
        assert line.endswith("1:3 character special file"), line
    assert "irq" not in lines
    assert stat.S_ISDIR(os.stat("/sys/firmware").st_mode)


def test_mknod_makes_only_the_usual_character_devices(rootfs):
    """A host console or terminal (TIOCSTI: keystrokes into a host login), SCSI generic and
    the memory devices are refused; null, tun, ppp and fifos are what router scripts make."""
    refused = {"sg0": (21, 0), "tty1": (4, 1), "console": (5, 1), "mem": (1, 1),
               "kmsg": (1, 11), "loopctl": (10, 237), "ttyS0": (4, 64)}
    allowed = {"null": (1, 3), "tun": (10, 200), "ppp": (108, 0), "fuse": (10, 229), "ptmx": (5, 2)}
    script = "cd /tmp; "
    for name, (ma, mi) in {**refused, **allowed}.items():
        script += f"mknod {name} c {ma} {mi} 2>/dev/null && echo {name}; "
    script += "mknod fifo p && echo fifo; mknod blk b 7 0 2>/dev/null && echo blk; true"
    r = nsrun.run(["/bin/sh", "-c", script], rootfs=rootfs, capture_output=True, text=True, timeout=30)
    assert sorted(r.stdout.split()) == sorted([*allowed, "fifo"]), r.stdout + r.stderr
    # privileged=True restores every device (the filter is off).
    r = nsrun.run(["/bin/sh", "-c", script], rootfs=rootfs, privileged=True, capture_output=True,
                  text=True, timeout=30)
    assert sorted(r.stdout.split()) == sorted([*refused, *allowed, "fifo", "blk"]), r.stdout


def test_device_nodes_a_crafted_rootfs_ships_do_not_open(rootfs_copy):
    """A crafted rootfs holds a node of the host's /dev/kmsg: writing it would reach the host's
    kernel log. The rootfs is mounted nodev, so the node does not open; nsrun's own /dev
    works."""
    marker = unique("nsrun-canary-kmsg")
    node = rootfs_copy / "kmsg"
    os.mknod(node, 0o600 | stat.S_IFCHR, os.makedev(1, 11))
    script = (f"echo {marker} > /kmsg 2>/dev/null && echo wrote; echo ok > /dev/null && echo devnull; "
              "grep -w / /proc/self/mountinfo")
    r = nsrun.run(["/bin/sh", "-c", script], rootfs=rootfs_copy, capture_output=True, text=True, timeout=30)
    lines = r.stdout.splitlines()
    assert "wrote" not in lines and "devnull" in lines, r.stdout + r.stderr
    assert "nodev" in lines[-1].split()[5].split(","), lines[-1]
    log = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    assert marker not in log
    # The same node in a privileged launch (no nodev): the write reaches the host's log, so the
    # canary above tests a live route.
    r = nsrun.run(["/bin/sh", "-c", f"echo {marker}-live > /kmsg && echo wrote"], rootfs=rootfs_copy,
                  privileged=True, capture_output=True, text=True, timeout=30)
    assert r.stdout == "wrote\n", r.stdout + r.stderr
    log = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    assert f"{marker}-live" in log
