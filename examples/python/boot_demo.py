"""`make demo`: boot the busybox router rootfs in namespaces, non-interactively, and show the
isolation from inside; then check that the host kept no mount in or under the rootfs.

    python examples/python/boot_demo.py [ROOTFS]
"""
import os
import sys

import nsrun

rootfs = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/rootfs"


def mounts():
    """Host mounts in or under the rootfs (where a leaked /proc, /dev or bind would be)."""
    top = os.path.realpath(rootfs)
    with open("/proc/self/mountinfo") as f:
        return sorted(line for line in f if line.split()[4] == top or line.split()[4].startswith(top + "/"))


before = mounts()
script = r"""
echo "== ps: nsrun's init is PID 1, and only the router's processes are here"; ps -o pid,comm
echo "== hostname (set by /etc/rcS)"; hostname
echo "== network interfaces (a new network namespace: only lo)"; ls /sys/class/net
echo "== mounts inside"; mount | sed 's/(.*//'
echo "== kernel settings are read-only inside"; echo demo > /proc/sys/kernel/domainname || true
"""
print(f"booting {rootfs}: /etc/rcS S boot, then a script, then /etc/rcS K shutdown\n")
r = nsrun.run(["/bin/sh", "-c", script], rootfs=rootfs, namespaces={"net": "new"},
              boot=["/etc/rcS", "S", "boot"], shutdown=["/etc/rcS", "K", "shutdown"],
              capture_output=True, text=True, timeout=30)
print(r.stdout + r.stderr, end="")
print(f"\nexit status: {r.returncode}")
left = sorted(set(mounts()) - set(before))
print("host mounts left behind:", left if left else "none")
sys.exit(1 if left or r.returncode else 0)
