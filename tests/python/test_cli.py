"""The nsrun command (issue 5)."""

import json
import os
import pty
import signal
import subprocess
import sys
import time

import pytest

import nsrun

from conftest import unique, wait_for_descendant, wait_until
from test_launch import _read_until


def cli(nsrun_bin, *args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 30)
    return subprocess.run([nsrun_bin, *args], **kw)


@pytest.mark.parametrize("kind", list(nsrun.Kind), ids=[k.value for k in nsrun.Kind])
def test_every_kind_in_ls_same_and_enter(nsrun_bin, kind):
    me = os.getpid()
    r = cli(nsrun_bin, "ls", "-t", kind.value, "-J")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["namespaces"]
    mine = os.readlink(f"/proc/{me}/ns/{kind.value}")
    assert {row["type"] for row in rows} == {kind.value}
    assert any(f"{kind.value}:[{row['ns']}]" == mine for row in rows)
    assert cli(nsrun_bin, "same", f"{me}:{kind.value}", f"/proc/{me}/ns/{kind.value}").returncode == 0
    # --KIND=PATH reaches that kind (our own namespace: joining it changes nothing).
    flag = "--mount" if kind is nsrun.Kind.MNT else f"--{kind.value}"
    if kind is not nsrun.Kind.USER:  # the kernel refuses to "enter" one's own user namespace
        r = cli(nsrun_bin, "enter", f"{flag}=/proc/{me}/ns/{kind.value}", "--", "/bin/true")
        assert r.returncode == 0, r.stderr


def test_every_command_has_help(nsrun_bin):
    for cmd in ([], ["boot"], ["run"], ["enter"], ["ls"], ["netns"], ["netns", "exec"], ["same"], ["link"], ["link", "move"]):
        r = cli(nsrun_bin, *cmd, "--help")
        assert r.returncode == 0 and "Usage: nsrun" in r.stdout, cmd


def test_interactive_boot_through_a_pty(nsrun_bin, rootfs):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["PS1"] = "router# "
        os.execv(nsrun_bin, [nsrun_bin, "boot", rootfs])
    try:
        _read_until(fd, b"rcS: boot: router up")
        os.write(fd, b"PS1='router# '\n")
        _read_until(fd, b"router# ")
        os.write(fd, b"sleep 1000\n")
        sleeper = wait_for_descendant(pid, ["sleep", "1000"])
        os.write(fd, b"\x03")  # ^C reaches sleep, not the shell, not nsrun
        _read_until(fd, b"router# ")
        wait_until(lambda: not os.path.exists(f"/proc/{sleeper}"), what="^C to end sleep")
        os.write(fd, b"echo alive-$((6*7))\n")
        _read_until(fd, b"alive-42")
        os.write(fd, b"exit\n")
        _read_until(fd, b"rcS: shutdown: stopping")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


COUNT_INTS = ('n=0; trap \'n=$((n+1))\' INT; echo ready; '
              'while :; do echo "ints=$n"; sleep 0.05; done')


def _ints_after(out, loops):
    """The last count the program printed, once it has printed `loops` more lines after its
    first INT (time for a second copy of the signal, if one were coming, to arrive)."""
    lines = [line for line in out.decode(errors="replace").splitlines() if line.startswith("ints=")]
    first = next((i for i, line in enumerate(lines) if line != "ints=0"), None)
    if first is None or len(lines) - first < loops:
        return None
    return lines[-1]


def test_ctrl_c_reaches_a_non_interactive_program_once(nsrun_bin, rootfs):
    """nsrun, its init and the program share the terminal's foreground group: the terminal
    gives each its ^C, and neither nsrun nor the init passes on a copy."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(nsrun_bin, [nsrun_bin, "run", "--mount", "--pid", "--mount-proc", "--root", rootfs,
                             "--", "/bin/sh", "-c", COUNT_INTS])
    out = b""
    try:
        out += _read_until(fd, b"ready")
        os.write(fd, b"\x03")

        def counted():
            nonlocal out
            out += os.read(fd, 65536)
            return _ints_after(out, 20)

        last = wait_until(counted, what="20 lines after the ^C")
        assert last == "ints=1", out[-300:]
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)


def test_sigint_from_a_process_is_passed_on_once(nsrun_bin, rootfs):
    p = subprocess.Popen([nsrun_bin, "run", "--mount", "--pid", "--mount-proc", "--root", rootfs,
                          "--", "/bin/sh", "-c", COUNT_INTS],
                         stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        assert p.stdout.readline() == b"ready\n"
        p.send_signal(signal.SIGINT)
        out = b""

        def counted():
            nonlocal out
            out += p.stdout.readline()
            return _ints_after(out, 20)

        assert wait_until(counted, what="20 lines after SIGINT") == "ints=1", out[-300:]
    finally:
        p.terminate()
        p.wait(10)


def test_sigterm_to_nsrun_runs_the_shutdown_script(nsrun_bin, rootfs):
    p = subprocess.Popen([nsrun_bin, "boot", rootfs, "--", "/bin/sh", "-c", "echo payload up; sleep 1000"],
                         stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    assert p.stdout.readline() == "rcS: boot: router up\n"
    assert p.stdout.readline() == "payload up\n"
    p.send_signal(signal.SIGTERM)
    rest = p.stdout.read()
    assert p.wait(10) == 128 + signal.SIGTERM
    assert "rcS: shutdown: stopping" in rest


def test_the_seed_mistake_is_impossible(nsrun_bin, rootfs):
    name = unique("net0")
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        r = cli(nsrun_bin, "boot", rootfs, "--net-new", name, "--", "/bin/true")
        assert r.returncode == 125
        assert f"/run/netns/{name} already exists" in r.stderr and f"--net {name}" in r.stderr
        r = cli(nsrun_bin, "boot", rootfs, "--net", name, "--", "/bin/sh", "-c", "readlink /proc/self/ns/net")
        assert r.returncode == 0 and str(nsrun.netns.open(name)) in r.stdout.splitlines()
    finally:
        assert subprocess.run(["ip", "netns", "del", name]).returncode == 0


def test_net_new_creates_and_keeps_the_netns(nsrun_bin, rootfs):
    name = unique("lab")
    r = cli(nsrun_bin, "boot", rootfs, "--net-new", name, "--", "/bin/sh", "-c", "ls /sys/class/net")
    assert r.returncode == 0 and "lo" in r.stdout
    assert name in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert cli(nsrun_bin, "netns", "del", name).returncode == 0


def test_ls_json_and_same_agree_with_ip(nsrun_bin):
    name = unique("lsn")
    assert cli(nsrun_bin, "netns", "add", name).returncode == 0
    try:
        data = json.loads(cli(nsrun_bin, "ls", "--json").stdout)
        rows = [n for n in data["namespaces"] if f"/run/netns/{name}" in n["paths"]]
        assert len(rows) == 1 and rows[0]["type"] == "net" and rows[0]["pids"] == []
        table = cli(nsrun_bin, "ls", "--type", "net").stdout
        assert f"/run/netns/{name}" in table
        assert name in json.loads(cli(nsrun_bin, "netns", "ls", "--json").stdout)

        sleeper = subprocess.Popen(["ip", "netns", "exec", name, "sleep", "30"])
        try:
            wait_until(lambda: subprocess.run(["ip", "netns", "identify", str(sleeper.pid)], capture_output=True,
                                              text=True).stdout.strip() == name, what="ip netns exec to enter")
            assert cli(nsrun_bin, "same", f"/run/netns/{name}", f"{sleeper.pid}:net").returncode == 0
            assert cli(nsrun_bin, "same", f"{os.getpid()}:net", f"{sleeper.pid}:net").returncode == 1
        finally:
            sleeper.kill()
            sleeper.wait()
    finally:
        cli(nsrun_bin, "netns", "del", name)


def test_run_enter_and_netns_exec(nsrun_bin, rootfs):
    r = cli(nsrun_bin, "run", "--pid", "--mount-proc", "--", "ps", "-o", "pid=,comm=")
    assert r.stdout.split()[:2] == ["1", "nsrun-init"]
    r = cli(nsrun_bin, "run", "--uts", "--root", rootfs, "--", "/bin/sh", "-c", "hostname x; hostname")
    assert r.stdout == "x\n" and os.uname().nodename != "x"
    with nsrun.spawn(["/bin/sh", "-c", "sleep 100"], rootfs=rootfs, hostname="inner", namespaces={"net": "new"}) as p:
        r = cli(nsrun_bin, "enter", "--target", str(p.pid), "--all", "--", "/bin/sh", "-c", "hostname; ls /proc | grep -c '^[0-9]'; ls /sys/class/net")
        host, nprocs, ifaces = r.stdout.split()[0], int(r.stdout.split()[1]), r.stdout.split()[2:]
        assert (host, ifaces) == ("inner", ["lo"]) and nprocs <= 6  # sees the target's /proc
        p.stop()
    name = unique("ex")
    cli(nsrun_bin, "netns", "add", name)
    try:
        r = cli(nsrun_bin, "netns", "exec", name, "--", "ls", "/sys/class/net")
        assert r.stdout.split() == ["lo"]  # a fresh /sys, as ip netns exec gives
        r = cli(nsrun_bin, "run", f"--net=/run/netns/{name}", "--", "readlink", "/proc/self/ns/net")
        assert r.stdout.strip() == str(nsrun.netns.open(name))
    finally:
        cli(nsrun_bin, "netns", "del", name)


def test_net_persist(nsrun_bin, scratch):
    path = os.path.join(scratch, "kept")
    r = cli(nsrun_bin, "run", "--net-persist", path, "--", "readlink", "/proc/self/ns/net")
    assert r.returncode == 0 and r.stdout.strip() == str(nsrun.Namespace.open(path))
    nsrun.unpersist(path)


def test_link_commands(nsrun_bin):
    name = unique("lk")
    a, b = f"nc{os.getpid() % 100000}x", f"nc{os.getpid() % 100000}y"
    cli(nsrun_bin, "netns", "add", name)
    try:
        for args in (["veth", a, b, "--ns", name], ["addr", a, "198.18.7.1/24", "--ns", name], ["up", a, "--ns", name],
                     ["mtu", a, "1400", "--ns", name], ["move", b, "/proc/self/ns/net", "--from", name, "--name", b]):
            r = cli(nsrun_bin, "link", *args)
            assert r.returncode == 0, (args, r.stderr)
        rows = json.loads(cli(nsrun_bin, "link", "ls", "--ns", name, "--json").stdout)
        mine = [x for x in rows if x["name"] == a][0]
        assert mine["addresses"][0] == "198.18.7.1/24" and mine["mtu"] == 1400 and mine["up"]
        assert b in cli(nsrun_bin, "link", "ls").stdout
        assert cli(nsrun_bin, "link", "del", b).returncode == 0
    finally:
        cli(nsrun_bin, "netns", "del", name)


def test_errors_name_the_value_and_the_reason(nsrun_bin, rootfs, tmp_path):
    cases = [
        (["boot", str(tmp_path / "missing")], 125, str(tmp_path / "missing")),
        (["boot", rootfs, "--", "/no/such/program"], 127, "/no/such/program: program not found"),
        (["boot", rootfs, "--", "/etc/hostname"], 126, "/etc/hostname: not executable"),
        (["boot", rootfs, "--bind", "nocolon", "--", "/bin/true"], 125, '"nocolon"'),
        (["boot", rootfs, "--net", "no-such-netns-x", "--", "/bin/true"], 125, "/run/netns/no-such-netns-x"),
        (["netns", "add", "a/b"], 125, "contains '/'"),
        (["netns", "del", "no-such-netns-x"], 125, "/run/netns/no-such-netns-x"),
        (["same", "/etc/hostname", "/proc/self/ns/net"], 125, "/etc/hostname: not a namespace file"),
        (["ls", "--type", "bogus"], 125, "bogus"),
        (["link", "up", "nosuch0"], 125, "nosuch0: no such interface"),
        (["enter", "--net", "--", "true"], 125, "--target"),
    ]
    for args, code, text in cases:
        r = cli(nsrun_bin, *args)
        assert r.returncode == code, (args, r.returncode, r.stderr)
        assert text in r.stderr, (args, r.stderr)
        assert r.stderr.startswith("nsrun: ")


def test_exec_runs_a_command_inside_a_running_launch(nsrun_bin, rootfs):
    name = unique("cx")
    with nsrun.spawn(["sleep", "1000"], rootfs=rootfs, hostname=name) as p:
        r = cli(nsrun_bin, "exec", "-t", str(p.pid), "-w", "/etc", "--", "sh", "-c", "hostname; pwd; exit 3")
        assert (r.returncode, r.stdout.split()) == (3, [name, "/etc"])
        r = cli(nsrun_bin, "exec", "-t", str(p.pid), "--", "/no/such")
        assert r.returncode == 127 and "program not found" in r.stderr
    r = cli(nsrun_bin, "exec", "-t", str(p.pid), "--", "true")
    assert r.returncode == 125 and "not a running process" in r.stderr
    r = cli(nsrun_bin, "exec", "-t", str(os.getpid()), "--", "true")
    assert r.returncode == 125 and "neither the init of an nsrun launch nor a launcher" in r.stderr


def test_exec_takes_the_launchers_pid_too(nsrun_bin, rootfs):
    """`nsrun boot … &` then `nsrun exec -t $!`: the pid a shell user has is the launcher's."""
    boot = subprocess.Popen([nsrun_bin, "boot", rootfs, "--", "sh", "-c", "echo up; sleep 1000"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: "up" in boot.stdout.readline(), what="the payload to start")
        r = cli(nsrun_bin, "exec", "-t", str(boot.pid), "sh", "-c", "cat /proc/1/comm; hostname")
        assert (r.returncode, r.stdout.split()) == (0, ["nsrun-init", "router"]), r.stderr
    finally:
        boot.terminate()
        boot.wait(30)
        boot.stdout.close()
