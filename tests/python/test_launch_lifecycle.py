"""Issue 11 B6/B7 and ^Z: a hung boot is bounded (timeout, signals, Ctrl+C) and leaves
nothing; a hung shutdown is reported as such; namespace() after the end is a clear error; ^Z
on a program that is not a shell stops and resumes `nsrun boot` as sudo does."""

import os
import pty
import select
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import nsrun
from conftest import ROOT, unique

NSRUN = os.path.join(ROOT, "build", "bin", "nsrun")


def running(needle: str) -> list:
    """Pids of the `sleep N` processes (`needle` = "sleep N"; not the nsrun naming it)."""
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    argv = f.read().decode(errors="replace").split("\0")[:-1]
            except OSError:
                continue
            if argv and os.path.basename(argv[0]) == "sleep" and " ".join(["sleep"] + argv[1:]) == needle:
                out.append(int(p))
    return out


def test_run_timeout_bounds_a_hung_boot(rootfs):
    tag = str(500000 + os.getpid())
    start = time.monotonic()
    with pytest.raises(nsrun.LaunchError) as e:
        nsrun.run(["/bin/true"], rootfs=rootfs, boot=["/bin/sleep", tag], timeout=1)
    assert time.monotonic() - start < 10
    assert e.value.stage == "boot" and e.value.errno == 110, e.value  # ETIMEDOUT
    assert "did not finish in time" in str(e.value)
    assert running(f"sleep {tag}") == []


def test_ctrl_c_during_boot_kills_the_launch(rootfs):
    tag = str(600000 + os.getpid())
    code = textwrap.dedent(f"""
        import nsrun
        try:
            nsrun.run(["/bin/true"], rootfs={str(rootfs)!r}, boot=["/bin/sleep", "{tag}"])
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not running(f"sleep {tag}") and time.monotonic() < deadline:
        time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=20)
    assert out == "interrupted\n"
    assert running(f"sleep {tag}") == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_to_nsrun_boot_during_boot_kill_the_launch(rootfs, sig):
    tag = str(700000 + os.getpid() + int(sig))
    p = subprocess.Popen([NSRUN, "boot", "--boot", f"sleep {tag}", str(rootfs), "--", "/bin/true"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not running(f"sleep {tag}") and time.monotonic() < deadline:
        time.sleep(0.02)
    p.send_signal(sig)
    _, err = p.communicate(timeout=20)
    assert p.returncode != 0 and "interrupted" in err, err
    assert running(f"sleep {tag}") == []


def test_a_hung_shutdown_is_reported_as_such(rootfs):
    tag = str(800000 + os.getpid())
    p = nsrun.spawn(["/bin/sleep", "1000"], rootfs=rootfs, shutdown=["/bin/sleep", tag])
    with pytest.raises(nsrun.LaunchError) as e:
        p.stop(timeout=0.5)
    assert e.value.stage == "shutdown" and "shutdown command did not finish" in str(e.value)
    assert p.returncode is not None
    assert running(f"sleep {tag}") == []


def test_namespace_after_the_end_is_a_clear_error(rootfs):
    p = nsrun.spawn(["/bin/true"], rootfs=rootfs)
    p.wait(timeout=20)
    with pytest.raises(nsrun.LaunchError) as e:
        p.namespace("net")
    assert e.value.errno == 3 and e.value.stage == "namespace"  # ESRCH
    assert "has ended" in str(e.value)


def read_until(fd, needle: bytes, timeout=20.0) -> bytes:
    buf, deadline = b"", time.monotonic() + timeout
    while needle not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {needle!r}; got {buf!r}")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


def test_ctrl_z_stops_and_fg_resumes_like_sudo(rootfs):
    tag = str(900000 + os.getpid())
    pid, master = pty.fork()
    if pid == 0:
        os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
    try:
        os.write(master, b"PS1='$ '\n")
        os.write(master, f"{NSRUN} boot --boot true {rootfs} -- /bin/sleep {tag}\n".encode())
        deadline = time.monotonic() + 20
        while not running(f"sleep {tag}") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert running(f"sleep {tag}")
        time.sleep(0.3)
        os.write(master, b"\x1a")  # ^Z
        read_until(master, b"Stopped")
        os.write(master, b"fg\n")
        time.sleep(0.5)
        sleeper = running(f"sleep {tag}")
        assert sleeper
        with open(f"/proc/{sleeper[0]}/stat") as f:
            assert f.read().split(") ")[1].split()[0] in "SR"  # running again, not stopped
        os.write(master, b"\x03")  # ^C reaches the program
        read_until(master, b"shutdown: stopping")
        os.write(master, b"echo nsrun-exit=$?\n")
        assert b"nsrun-exit=130" in read_until(master, b"nsrun-exit=1")
        os.write(master, b"exit\n")
    finally:
        os.close(master)
        os.waitpid(pid, 0)
    assert running(f"sleep {tag}") == []
