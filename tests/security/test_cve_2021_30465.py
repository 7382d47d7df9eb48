"""CVE-2021-30465: a host process swaps a bind target inside the rootfs for a symlink
(RENAME_EXCHANGE) while launches mount onto it. nsrun resolves every target inside the root
(openat2 RESOLVE_IN_ROOT), checks the descriptor, and mounts on that descriptor: each launch
either mounts inside the rootfs or is refused, and the host directory the symlink names is never
touched."""

import ctypes
import os
import threading

import nsrun
from canary import fingerprint

RENAME_EXCHANGE = 2
libc = ctypes.CDLL(None, use_errno=True)


def test_symlink_exchange_race_never_mounts_outside(rootfs_copy, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("host\n")
    before = fingerprint(str(victim))
    src = tmp_path / "src"
    src.mkdir()
    (src / "marker").write_text("bound\n")
    mnt = rootfs_copy / "mnt"
    mnt.mkdir(exist_ok=True)
    real, link = mnt / "target", mnt / "swap"
    real.mkdir()
    os.symlink(str(victim), link)  # absolute host path: outside the rootfs
    stop = threading.Event()

    def swapper():
        while not stop.is_set():
            libc.renameat2(-100, bytes(real), -100, bytes(link), RENAME_EXCHANGE)

    t = threading.Thread(target=swapper)
    t.start()
    seen = set()
    try:
        for _ in range(60):
            try:
                r = nsrun.run(["/bin/sh", "-c", "cut -d' ' -f5 /proc/self/mountinfo"],
                              rootfs=rootfs_copy, mounts=[(str(src), "/mnt/target")],
                              capture_output=True, text=True, timeout=30)
                seen.update(r.stdout.split())
            except nsrun.LaunchError as e:
                # Refused: the target was a link when it was checked or mounted on.
                assert e.stage in ("check-rootfs", "mount-bind"), e
    finally:
        stop.set()
        t.join()
    # The bind lands on the directory that was checked, inside the rootfs (its name may have
    # been swapped meanwhile); never on the link's host target nor on the root.
    extra = seen - {"/", "/proc", "/sys", "/dev", "/tmp", "/run", "/mnt/target", "/mnt/swap"}
    assert all(m.startswith(("/proc/", "/sys/", "/dev/")) for m in extra), extra
    assert str(victim) not in seen
    assert fingerprint(str(victim)) == before
