"""Named network namespaces, links and the C API as an ordinary user (issue 14): run by
tests/rootless/run.sh, never as root."""

import errno
import os
import subprocess
import threading
import time

import pytest

import nsrun

CLI = os.environ["NSRUN_CLI"]
ROOTFS = os.environ["NSRUN_ROOTFS"]
STATE = os.path.join(os.environ["XDG_RUNTIME_DIR"], "nsrun")


def cli(*args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 60)
    return subprocess.run([CLI, *args], **kw)


def unique(prefix):
    return f"{prefix}{os.getpid()}"


def keepers():
    """Our nsrun-agent processes (the keeper), by /proc: pids."""
    mine = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if open(f"/proc/{pid}/comm").read().strip() == "nsrun-agent" and os.stat(f"/proc/{pid}").st_uid == os.getuid():
                    mine.append(int(pid))
            except OSError:
                pass
    return mine


def test_cli_netns_lives_in_the_users_directory_and_is_marked_rootless():
    name = unique("rl")
    assert cli("netns", "add", name).returncode == 0
    try:
        assert os.path.exists(os.path.join(STATE, "netns", name))
        assert not os.path.exists(f"/run/netns/{name}")
        r = cli("netns", "add", name)
        assert r.returncode == 125 and "already holds" in r.stderr
        r = cli("netns", "ls")
        assert f"{name} (rootless)" in r.stdout.splitlines()
        r = cli("netns", "exec", name, "--", "/bin/sh", "-c", "id -u; ls /sys/class/net")
        assert r.returncode == 0 and r.stdout.split() == ["0", "lo"], r.stderr
        r = cli("run", f"--net={name}", "--", "/bin/sh", "-c", "readlink /proc/self/ns/net")
        assert r.stdout.strip() == str(nsrun.netns.open(name))
    finally:
        assert cli("netns", "del", name).returncode == 0
    assert cli("netns", "ls").stdout == ""
    r = cli("netns", "del", name)
    assert r.returncode != 0 and "No such file" in r.stderr


def test_python_netns_links_and_a_ping_between_two_rootless_namespaces():
    a, b = unique("ra"), unique("rb")
    na = nsrun.netns.add(a)
    try:
        nb = nsrun.netns.add(b)
        try:
            with pytest.raises(nsrun.AlreadyPersistedError):
                nsrun.netns.add(a)
            assert {a, b} <= set(nsrun.netns.list())
            assert nsrun.netns.open(a) == na
            # The namespaces belong to the user's keeper, not to the caller's user namespace.
            assert na.owner() != nsrun.Namespace.current("user")
            nsrun.link.veth("x0", "y0", ns=na, peer_ns=nb)
            nsrun.link.add_address("x0", "10.77.0.1/24", ns=na)
            nsrun.link.add_address("y0", "10.77.0.2/24", ns=nb)
            for ns, dev in ((na, "x0"), (nb, "y0")):
                nsrun.link.set_up(dev, ns=ns)
                nsrun.link.set_up("lo", ns=ns)
            nsrun.sysctl.set(na, "net.ipv4.ip_forward", "1")
            assert nsrun.sysctl.get(na, "net.ipv4.ip_forward") == "1"
            assert nsrun.sysctl.get(nb, "net.ipv4.ip_forward") == "0"
            names = [i.name for i in nsrun.link.list(ns=na)]
            assert names == ["lo", "x0"]
            r = nsrun.run(["ping", "-c", "1", "-W", "5", "10.77.0.2"], namespaces={"net": na},
                          capture_output=True, text=True, timeout=30)
            assert r.returncode == 0, r.stdout + r.stderr
        finally:
            nsrun.netns.delete(b)
    finally:
        nsrun.netns.delete(a)
    with pytest.raises(FileNotFoundError):
        nsrun.netns.delete(a)


def test_an_anonymous_namespace_comes_from_the_keeper():
    ns = nsrun.Namespace.create("net")
    assert ns.kind is nsrun.Kind.NET and ns.owner() != nsrun.Namespace.current("user")
    nsrun.link.bridge("br0", ns=ns)
    assert [i.name for i in nsrun.link.list(ns=ns)] == ["lo", "br0"]


@pytest.mark.parametrize("how", ["threads", "processes"])
def test_concurrent_adds_of_one_name_give_one_namespace(how):
    name = unique(f"race{how[0]}")
    rounds = 100
    for _ in range(rounds):
        if how == "threads":
            results = []

            def add():
                try:
                    nsrun.netns.add(name)
                    results.append("ok")
                except nsrun.AlreadyPersistedError:
                    results.append("exists")

            ts = [threading.Thread(target=add) for _ in range(4)]
            [t.start() for t in ts]
            [t.join() for t in ts]
        else:
            ps = [subprocess.Popen([CLI, "netns", "add", name], stderr=subprocess.PIPE, text=True) for _ in range(4)]
            results = ["ok" if p.wait() == 0 else ("exists" if "already holds" in p.stderr.read() else "?") for p in ps]
            [p.stderr.close() for p in ps]
        assert sorted(results) == ["exists"] * 3 + ["ok"], results
        nsrun.netns.delete(name)  # exactly one mount: one delete empties it
        with pytest.raises(OSError):
            nsrun.netns.open(name)


def test_the_c_router_workflow_runs_rootless():
    name = unique("cnet")
    r = subprocess.run([os.environ["NSRUN_C_BOOT"], ROOTFS, name, "/bin/sh", "-c",
                        "ip addr show eth1; ping -c 1 -W 5 198.18.0.2 >/dev/null && echo reached"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "198.18.0.1/24" in r.stdout and "reached" in r.stdout
    assert name not in nsrun.netns.list()


def test_a_link_kind_the_kernel_lacks_is_named_with_who_can_load_it():
    ns = nsrun.Namespace.create("net")
    nsrun.link.bridge("br0", ns=ns)
    if os.path.exists("/sys/module/8021q"):
        assert nsrun.link.vlan("br0", 7, ns=ns) == "br0.7"
    else:
        with pytest.raises(OSError) as e:
            nsrun.link.vlan("br0", 7, ns=ns)
        assert "modprobe 8021q" in str(e.value) and "rootless" in str(e.value), str(e.value)


def our_keeper():
    """The pid of the keeper listening on this suite's STATE/keeper.sock (another run as the
    same account has a keeper of its own), by the socket's inode in /proc/net/unix."""
    sock = os.path.join(STATE, "keeper.sock")
    inodes = {line.split()[6] for line in open("/proc/net/unix") if line.split()[-1] == sock}
    for pid in keepers():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                return pid
    return None


def kill_our_keeper():
    """SIGKILL to this run's keeper, then waits (at most 10 s) until it no longer listens."""
    pid = our_keeper()
    assert pid is not None
    os.kill(pid, 9)
    deadline = time.monotonic() + 10
    while our_keeper() == pid and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_cached_keeper_connection_survives_the_keepers_death():
    # This process keeps its connection to the keeper; once the keeper is killed, open and
    # list must go to the keeper that runs now, not fail on the dead one (EPIPE) or list
    # nothing.
    a, b = unique("rlka"), unique("rlkb")
    nsrun.netns.add(a).close()
    kill_our_keeper()
    try:
        r = cli("netns", "add", b)
        assert r.returncode == 0, r.stderr
        assert b in nsrun.netns.list()
        nsrun.netns.open(b).close()
        with pytest.raises(OSError) as e:
            nsrun.netns.open(a)
        assert e.value.errno != errno.EPIPE
    finally:
        for n in (a, b):
            try:
                nsrun.netns.delete(n)
            except OSError:
                pass


def test_a_client_that_never_reads_cannot_freeze_the_keeper():
    import socket
    import struct
    name = unique("frz")
    nsrun.netns.add(name)  # a keeper runs
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(os.path.join(STATE, "keeper.sock"))
        req = struct.pack("<5I", 0x6E737861, 5, 0, 0, 0) + struct.pack("<I", 4) + b"user" + struct.pack("<I", 0)
        s.setblocking(False)
        sent = 0
        for _ in range(2000):  # far more answers than the socket buffer holds, none read
            try:
                s.send(req)
                sent += 1
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break  # our buffer is full, or the keeper dropped us: both fine
        r = cli("netns", "ls", timeout=20)
        assert r.returncode == 0 and f"{name} (rootless)" in r.stdout, r.stderr
        s.close()
    finally:
        nsrun.netns.delete(name)


def test_a_runtime_directory_too_long_for_a_socket_is_named(tmp_path):
    d = tmp_path / ("x" * 100)
    d.mkdir(mode=0o700)
    r = cli("netns", "add", "n", env={**os.environ, "XDG_RUNTIME_DIR": str(d)})
    assert r.returncode == 125 and "shorter directory" in r.stderr, r.stderr


def test_a_forked_child_uses_a_keeper_connection_of_its_own():
    # multiprocessing's fork start method: the child inherits the parent's cached connection.
    name = unique("fork")
    nsrun.netns.add(name)
    try:
        pid = os.fork()
        if pid == 0:
            ok = True
            try:
                for i in range(50):
                    n = f"{name}c{i}"
                    nsrun.netns.add(n)
                    ok &= nsrun.netns.open(n).kind is nsrun.Kind.NET
                    nsrun.netns.delete(n)
            except BaseException:
                ok = False
            os._exit(0 if ok else 1)
        for i in range(50):  # the parent works on its connection meanwhile
            assert nsrun.netns.open(name).kind is nsrun.Kind.NET
            assert name in nsrun.netns.list()
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        nsrun.netns.delete(name)


def test_a_name_whose_keeper_died_says_so_and_is_taken_over():
    name = unique("rlgone")
    nsrun.netns.add(name).close()
    kill_our_keeper()
    r = cli("netns", "exec", name, "--", "/bin/true")
    assert r.returncode == 125 and "keeper is gone" in r.stderr, r.stderr
    assert os.path.exists(os.path.join(STATE, "netns", name))  # left by the dead keeper
    assert cli("netns", "add", name).returncode == 0  # taken over by a new one
    assert cli("netns", "exec", name, "--", "/bin/true").returncode == 0
    assert cli("netns", "del", name).returncode == 0
    assert not os.path.exists(os.path.join(STATE, "netns", name))
