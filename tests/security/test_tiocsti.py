"""Keystrokes into the caller's terminal (CVE-2016-7545 class, as bubblewrap's seccomp filter
blocks it): a launch whose stdin is the caller's terminal keeps CAP_SYS_ADMIN, with which
TIOCSTI pushes input into any terminal; the caller's shell would run it once nsrun exits. The
default filter refuses TIOCSTI and TIOCLINUX. The canary is a pty the test holds: after the
launch, nothing waits in its input queue."""

import fcntl
import os
import pty

import pytest

import nsrun
from canary import static_program

INJECTOR = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
int main(void) {
    const char *s = "injected\n";
    for (const char *p = s; *p; p++)
        if (ioctl(0, TIOCSTI, p) != 0) { printf("TIOCSTI %s\n", strerror(errno)); return 0; }
    printf("TIOCSTI ok\n");
    return 0;
}
"""


@pytest.fixture
def injector(tmp_path, rootfs_copy):
    """A private rootfs with /inject in it."""
    static_program(INJECTOR, rootfs_copy, "inject", tmp_path)
    return rootfs_copy


def queued(fd):
    fl = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    try:
        return os.read(fd, 100)
    except BlockingIOError:
        return b""


def test_a_launch_cannot_push_keystrokes_into_the_callers_terminal(injector):
    master, slave = pty.openpty()
    try:
        r = nsrun.run(["/inject"], rootfs=injector, stdin=slave, capture_output=True, text=True, timeout=30)
        assert r.stdout == "TIOCSTI Operation not permitted\n", r.stdout + r.stderr
        assert queued(slave) == b""
        # Live canary: without the filter the same program fills the caller's input queue.
        r = nsrun.run(["/inject"], rootfs=injector, stdin=slave, privileged=True, capture_output=True,
                      text=True, timeout=30)
        assert r.stdout == "TIOCSTI ok\n", r.stdout + r.stderr
        assert queued(slave) == b"injected\n"
    finally:
        os.close(master)
        os.close(slave)
