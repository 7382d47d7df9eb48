"""`make demo`: boot the busybox router rootfs in namespaces, non-interactively, and show the
isolation from inside; then check that the host kept no mount.

    python examples/python/boot_demo.py [ROOTFS]
"""
import sys

import nsrun

rootfs = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/rootfs"


def mounts():
    with open("/proc/self/mountinfo") as f:
        return sorted(" ".join(line.split()[2:]) for line in f)


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
