"""Launches as an ordinary user (issue 14): run by tests/rootless/run.sh, never as root."""

import os
import pty
import select
import signal
import subprocess
import time

import pytest

import nsrun
from conftest import wait_until

CLI = os.environ["NSRUN_CLI"]
ROOTFS = os.environ["NSRUN_ROOTFS"]
MAPS = os.environ["NSRUN_MAPS"]  # "range" (newuidmap + /etc/subuid) or "single"
UID, GID = os.getuid(), os.getgid()


def read_until(fd, token, timeout=30.0):
    buf = b""
    deadline = time.monotonic() + timeout
    while token not in buf:
        left = deadline - time.monotonic()
        assert left > 0, f"{token!r} never came; got {buf!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            assert chunk, f"EOF before {token!r}; got {buf!r}"
            buf += chunk
    return buf


def test_this_suite_runs_without_privilege():
    assert UID != 0
    caps = dict(line.split(":\t") for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
    assert int(caps["CapEff"], 16) == 0


def test_nsrun_boot_with_rcs_ctrl_c_and_shutdown():
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(CLI, [CLI, "boot", ROOTFS])
    try:
        read_until(fd, b"rcS: boot: router up")
        os.write(fd, b"PS1='router# '\n")
        read_until(fd, b"router# ")
        os.write(fd, b"id -u; cat /proc/1/comm\n")
        out = read_until(fd, b"nsrun-init")
        assert b"\n0\r\n" in out or b"0\r\nnsrun-init" in out, out
        os.write(fd, b"sleep 1000\n")
        time.sleep(0.3)  # the shell forks sleep; ^C below reaches whatever runs in the foreground
        os.write(fd, b"\x03")  # ^C reaches sleep, not the shell, not nsrun
        read_until(fd, b"router# ")
        os.write(fd, b"echo alive-$((6*7))\n")
        read_until(fd, b"alive-42")
        os.write(fd, b"exit\n")
        read_until(fd, b"rcS: shutdown: stopping")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_sigterm_to_nsrun_boot_runs_the_shutdown_script():
    p = subprocess.Popen([CLI, "boot", ROOTFS, "--", "/bin/sh", "-c", "echo payload up; sleep 1000"],
                         stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    assert p.stdout.readline() == "rcS: boot: router up\n"
    assert p.stdout.readline() == "payload up\n"
    p.send_signal(signal.SIGTERM)
    rest = p.stdout.read()
    assert p.wait(30) == 128 + signal.SIGTERM
    assert "rcS: shutdown: stopping" in rest


def test_python_run_is_root_inside_with_the_expected_maps():
    r = nsrun.run(["/bin/sh", "-c", "id -u; hostname; cat /proc/self/uid_map; ls /sys/class/net"],
                  rootfs=ROOTFS, hostname="r1", namespaces={"net": "new"},
                  capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    assert lines[0] == "0" and lines[1] == "r1"
    maps = [line.split() for line in lines[2:] if line.strip() and line.split()[0].isdigit()]
    assert maps[0] == ["0", str(UID), "1"]
    if MAPS == "range":
        assert len(maps) == 2 and maps[1][0] == "1" and int(maps[1][2]) >= 65536
    else:
        assert len(maps) == 1
    assert "lo" in r.stdout  # a fresh sysfs of its own network namespace


def test_a_daemon_switching_user_works_with_a_range_and_is_told_clearly_without():
    script = "su -s /bin/sh -c 'id -u' nobody"
    if MAPS == "range":
        r = nsrun.run(["/bin/sh", "-c", script], rootfs=ROOTFS, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and r.stdout == "65534\n", r.stderr
        r = nsrun.run(["id", "-u"], rootfs=ROOTFS, uid=65534, gid=65534, capture_output=True, text=True)
        assert r.stdout == "65534\n"
    else:
        with pytest.raises(nsrun.Error) as e:
            nsrun.run(["id", "-u"], rootfs=ROOTFS, uid=65534, gid=65534)
        assert "uid 65534 is not mapped" in str(e.value) and "/etc/subuid" in str(e.value)
        r = subprocess.run([CLI, "run", "-R", ROOTFS, "-p", "--mount-proc", "--setuid", "100", "--", "id"],
                           capture_output=True, text=True)
        assert r.returncode == 125 and "not mapped" in r.stderr and "uidmap" in r.stderr


def test_rootless_false_is_refused_by_the_kernel_with_a_clear_error():
    with pytest.raises(nsrun.LaunchError) as e:
        nsrun.run(["/bin/true"], rootfs=ROOTFS, rootless=False)
    assert e.value.errno == 1 and e.value.stage == "clone"


def test_the_c_api_launches_rootless_by_default():
    c = os.environ["NSRUN_C_LAUNCH"]
    r = subprocess.run([c, ROOTFS, "auto", "/bin/sh", "-c", "echo $(id -u) $(ls /sys/class/net)"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "0 lo" in r.stdout.splitlines() and "rcS: boot: router up" in r.stdout
    r = subprocess.run([c, ROOTFS, "0", "/bin/true"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 125 and "Operation not permitted" in r.stderr


def test_a_c_builder_spawned_twice_is_rootless_both_times():
    # The rootless decision must not stick to the builder: the second spawn of one builder
    # used to join the first one's user namespace as if asked to (clone: EPERM).
    env = dict(os.environ, NSRUN_C_LAUNCH_TIMES="2")
    r = subprocess.run([os.environ["NSRUN_C_LAUNCH"], ROOTFS, "auto", "/bin/sh", "-c", "id -u"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert [x for x in r.stdout.splitlines() if x == "0"] == ["0", "0"], r.stdout


def test_the_cli_run_and_boot_need_no_flag():
    r = subprocess.run([CLI, "run", "-R", ROOTFS, "-p", "-n", "--mount-proc", "--", "/bin/sh", "-c",
                        "echo $(id -u) $(cat /proc/1/comm)"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout == "0 nsrun-init\n", r.stderr
    r = subprocess.run([CLI, "boot", "--no-rootless", ROOTFS, "--", "/bin/true"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 125 and "Operation not permitted" in r.stderr


def test_exec_into_a_running_rootless_launch_from_python_and_the_cli():
    with nsrun.spawn(["sleep", "1000"], rootfs=ROOTFS, hostname="r9", namespaces={"net": "new"}) as p:
        r = p.exec(["hostname"], capture_output=True, text=True)
        assert r.stdout == "r9\n"
        r = subprocess.run([CLI, "exec", "--target", str(p.pid), "--", "/bin/sh", "-c", "hostname; id -u"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and r.stdout == "r9\n0\n", r.stderr


def test_a_launch_in_no_new_namespace_runs_as_the_user_is():
    # Nothing to isolate: no capability to drop, no user namespace (was: PR_CAPBSET_DROP EPERM).
    r = subprocess.run([CLI, "run", "--", "/bin/sh", "-c", "id -u"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout == f"{UID}\n", r.stderr
    r = nsrun.run(["id", "-u"], namespaces={k: "inherit" for k in ("mnt", "pid", "uts", "ipc")},
                  capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == f"{UID}\n", r.stderr


def test_a_boot_command_switching_user_works_with_a_range_and_gets_a_hint_without():
    r = subprocess.run([CLI, "boot", "--boot", "su -s /bin/sh -c true nobody", ROOTFS, "--", "/bin/true"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    if MAPS == "range":
        assert r.returncode == 0, r.stderr
    else:
        assert r.returncode == 125 and "hint:" in r.stderr and "/etc/subuid" in r.stderr, r.stderr
