"""The init's exec socket: another host user who finds its abstract name (/proc/net/unix is
world-readable) and connects must not get a command run inside the launch; the launch's owner
(`nsrun exec --target`, `Process.exec`) still does."""

import os
import subprocess
import textwrap

import pytest

import nsrun
from conftest import ROOT

NSRUN = os.path.join(ROOT, "build", "bin", "nsrun")

# Runs as uid 65534 with the system python and the socket module only: connects to the abstract
# name given in argv[1], sends a well-formed exec request (core/src/launch/wire.rs,
# Request::encode) with three stdio descriptors, and prints the tag of every answer until the
# init closes the connection.
ATTACKER = textwrap.dedent("""
    import os, socket, struct, sys
    u32 = lambda v: struct.pack("<I", v)
    def lst(items):
        return u32(len(items)) + b"".join(u32(len(b)) + b for b in items)
    req = (u32(0x6e737865) + lst([b"/bin/sh", b"-c", b"echo x > /exec-by-nobody"])
           + u32(0) + lst([]) + u32(0) + lst([]) + u32(0) + u32(0) + u32(0) + u32(0) + u32(0) + u32(0))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(20)
    s.connect(b"\\0" + sys.argv[1].encode())
    print("connected", os.getuid(), flush=True)
    null = os.open("/dev/null", os.O_RDWR)
    try:
        socket.send_fds(s, [req], [null, null, null])
    except OSError as e:
        print("send-failed", e.errno, flush=True)
    while True:
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            break
        if not data:
            break
        print("answer", struct.unpack("<I", data[:4])[0], flush=True)
    print("closed", flush=True)
""")


def abstract_name(init_pid: int) -> str:
    """The abstract name of the init's listening socket (its descriptor 4), from /proc/net/unix of
    the launcher's network namespace (the host's here)."""
    link = os.readlink(f"/proc/{init_pid}/fd/4")
    assert link.startswith("socket:["), link
    inode = link[len("socket:["):-1]
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[6] == inode and len(fields) > 7:
                assert fields[7].startswith("@"), fields
                return fields[7][1:]
    raise AssertionError(f"socket {inode} of pid {init_pid} not in /proc/net/unix")


@pytest.mark.parametrize("userns", [False, True], ids=["root-launch", "userns-launch"])
def test_another_user_cannot_exec_through_the_init_socket(rootfs_copy, userns):
    with nsrun.spawn(["sleep", "1000"], rootfs=rootfs_copy, userns=userns) as p:
        name = abstract_name(p.pid)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            "/usr/bin/python3", "-c", ATTACKER, name],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0] == "connected 65534", r.stdout
        assert lines[-1] == "closed", r.stdout
        # Refused: no REPLY_STARTED (1) nor REPLY_EXITED (3), at most a REPLY_FAILED (2).
        assert set(lines[1:-1]) <= {"answer 2"}, r.stdout
        # The launch's owner still runs commands inside, both ways.
        r = subprocess.run([NSRUN, "exec", "--target", str(p.pid), "--", "sh", "-c", "id -u; echo ok > /exec-by-root"],
                           capture_output=True, text=True, timeout=30)
        assert (r.returncode, r.stdout, r.stderr) == (0, "0\n", "")
        assert p.exec(["cat", "/exec-by-root"], capture_output=True, text=True, timeout=30).stdout == "ok\n"
        assert not os.path.lexists(rootfs_copy / "exec-by-nobody")
        p.stop(timeout=5)
    assert not os.path.lexists(rootfs_copy / "exec-by-nobody")
