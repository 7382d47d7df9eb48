"""The rootfs is a directory of a host filesystem, so its superblock is the host's: root in a
launch could remount it (`mount -o remount,ro /` in a router's shutdown script would make the
host's root filesystem read-only), freeze it (every writer on the host hangs), shut it down,
relabel it, or watch every open on it with fanotify (FAN_MARK_FILESYSTEM hands out descriptors
of host files, and `openat(fd, "..")` climbs to the host's /). The default filter refuses a
superblock remount (MS_REMOUNT without MS_BIND) and fspick, those ioctls, and fanotify. The
canary: the host filesystem's mount options and label stay as they were, and a host-only file
planted outside the rootfs is neither read nor changed."""


import pytest

import nsrun
from canary import fingerprint, static_program

FSOPS = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *what, long r) { printf("%s %s\n", what, r < 0 ? strerror(errno) : "ok"); }

int main(int argc, char **argv) {
    int fan = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY);
    say("fanotify_init", fan);
    if (fan >= 0) {
        say("fanotify_mark", fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN, AT_FDCWD, "/"));
        return 0; /* a privileged run stops here: nothing below is ever tried for real */
    }
    int root = open("/", O_RDONLY | O_DIRECTORY);
    long r = ioctl(root, FIFREEZE, 0);
    say("FIFREEZE", r);
    if (r == 0) ioctl(root, FITHAW, 0);
    char label[FSLABEL_MAX] = "nsrun-canary";
    say("FS_IOC_SETFSLABEL", ioctl(root, FS_IOC_SETFSLABEL, label));
    say("EXT4_IOC_SHUTDOWN", ioctl(root, _IOR('X', 125, unsigned), (unsigned[]){2 /* NOLOGFLUSH */}) == 0 ? 0 : -1);
    say("fspick", syscall(433, AT_FDCWD, "/", 0));
    return 0;
}
"""


def host_options(path):
    """The mount and superblock options of the host mount holding `path`."""
    best = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mnt = fields[4]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and (best is None or len(mnt) > len(best[0])):
                best = (mnt, fields[5], line.split(" - ")[1])
    return best


@pytest.fixture
def fsops(tmp_path, rootfs_copy):
    """A private rootfs with /fsops in it."""
    static_program(FSOPS, rootfs_copy, "fsops", tmp_path)
    return rootfs_copy


def test_a_launch_cannot_reconfigure_freeze_or_watch_the_host_filesystem(fsops, tmp_path):
    hostonly = tmp_path / "hostonly"
    hostonly.mkdir(mode=0o700)
    (hostonly / "secret").write_text("host-only\n")
    before = (host_options(str(fsops)), fingerprint(str(hostonly)))
    script = ("/fsops; mount -o remount,ro / 2>/dev/null && echo remount-ro; "
              "mount -o remount,commit=17 / 2>/dev/null && echo remount-commit; "
              "mount -o remount,bind,ro / && echo bind-remount; touch /x 2>/dev/null || echo root-ro")
    r = nsrun.run(["/bin/sh", "-c", script], rootfs=fsops, capture_output=True, text=True, timeout=60)
    assert r.stdout.splitlines() == [
        "fanotify_init Operation not permitted",
        "FIFREEZE Operation not permitted",
        "FS_IOC_SETFSLABEL Operation not permitted",
        "EXT4_IOC_SHUTDOWN Operation not permitted",
        "fspick Function not implemented",
        # A bind remount changes the launch's own mount only (it is then read-only inside).
        "bind-remount",
        "root-ro",
    ], r.stdout + r.stderr
    assert (host_options(str(fsops)), fingerprint(str(hostonly))) == before
    # The host still writes there (the launch's read-only bind was its own).
    (fsops / "written-by-host").write_text("ok\n")


def test_fanotify_is_live_without_the_filter(fsops):
    """The privileged run reaches fanotify_mark on the host's filesystem: the refusal above
    tests a live route."""
    r = nsrun.run(["/fsops"], rootfs=fsops, privileged=True, capture_output=True, text=True, timeout=60)
    assert r.stdout.splitlines() == ["fanotify_init ok", "fanotify_mark ok"], r.stdout + r.stderr
