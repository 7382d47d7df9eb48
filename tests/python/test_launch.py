"""Launching a router rootfs in namespaces (issue 3), against the real kernel."""

import gc
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

import nsrun
from nsrun import Namespace

from conftest import ROOT, _started, children, cmdline, descendants, run, unique, wait_for_descendant, wait_until

SH = "/bin/sh"


def sh(rootfs, script, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 20)
    return nsrun.run([SH, "-c", script], rootfs=rootfs, **kw)


# ---------------------------------------------------------------------------------------------
# What the program sees


def test_ps_shows_init_as_pid_1_and_only_the_container(rootfs):
    r = sh(rootfs, "ps -o pid,comm", check=True)
    rows = [line.split(None, 1) for line in r.stdout.strip().splitlines()[1:]]
    pids = {int(p): comm for p, comm in rows}
    assert pids[1] == "nsrun-init"
    assert set(pids) <= {1, 2, 3, 4}, pids  # init, sh, ps: nothing of the host
    assert str(os.getpid()) not in r.stdout


def test_fresh_proc_inside_the_rootfs(rootfs):
    r = sh(rootfs, "cat /proc/1/comm; grep NSpid /proc/self/status; readlink /proc/1/exe >/dev/null 2>&1 || echo exe-hidden", check=True)
    lines = r.stdout.splitlines()
    assert lines[0] == "nsrun-init"
    # /proc is the container's: it shows the pid in the container's namespace only.
    assert lines[1].split()[1:] == ["4"]  # init 1, sh 2, cat 3, grep 4
    # The init's image is out of reach (CAP_SYS_PTRACE is dropped by default).
    assert lines[2] == "exe-hidden"


def test_hostname_env_cwd_and_user(rootfs):
    r = nsrun.run(
        [SH, "-c", 'hostname; echo "$FOO"; pwd; id -u; id -g'],
        rootfs=rootfs, hostname="r1", env={"FOO": "bar", "PATH": "/bin:/sbin"},
        cwd="/tmp", uid=65534, gid=65534, capture_output=True, text=True, check=True, timeout=20,
    )
    assert r.stdout.split() == ["r1", "bar", "/tmp", "65534", "65534"]
    assert os.uname().nodename != "r1"


def test_minimal_dev_tmp_and_run(rootfs):
    r = sh(rootfs, "ls /dev; echo x > /dev/null && echo null-ok; mount | grep -E ' /(dev|dev/pts|tmp|run) '", check=True)
    dev = set(r.stdout.split("null-ok")[0].split())
    assert {"null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm", "fd"} <= dev
    assert "sda" not in dev and "vda" not in dev and "mem" not in dev
    assert "null-ok" in r.stdout
    mounts = r.stdout.split("null-ok")[1]
    assert "tmpfs on /dev type tmpfs" in mounts
    assert "devpts on /dev/pts type devpts" in mounts
    assert "tmpfs on /tmp type tmpfs" in mounts and "tmpfs on /run type tmpfs" in mounts


def test_host_dev_option(rootfs):
    r = sh(rootfs, "ls /dev", host_dev=True, check=True)
    assert set(os.listdir("/dev")) == set(r.stdout.split())


def test_sysfs_is_fresh_in_a_private_netns(rootfs, netns_name):
    lab = nsrun.netns.add(netns_name)
    subprocess.run(["ip", "-n", netns_name, "link", "add", "v0", "type", "veth", "peer", "name", "v1"], check=True)
    r = sh(rootfs, "ls /sys/class/net", namespaces={"net": f"/run/netns/{netns_name}"}, check=True)
    assert r.stdout.split() == ["lo", "v0", "v1"]
    r = sh(rootfs, "ls /sys/class/net", namespaces={"net": lab}, check=True)
    assert r.stdout.split() == ["lo", "v0", "v1"]
    r = sh(rootfs, "ls /sys/class/net", namespaces={"net": "new"}, check=True)
    assert r.stdout.split() == ["lo"]
    host = sorted(os.listdir("/sys/class/net"))
    r = sh(rootfs, "ls /sys/class/net", check=True)  # net inherited: the host's, read-only
    assert sorted(r.stdout.split()) == host
    nsrun.netns.delete(netns_name)


def test_namespaces_new_joined_inherited(rootfs, netns_name):
    lab = nsrun.netns.add(netns_name)
    script = "for k in mnt uts ipc net pid; do readlink /proc/self/ns/$k; done"
    r = sh(rootfs, script, namespaces={"net": f"/run/netns/{netns_name}"}, check=True)
    got = dict(zip(["mnt", "uts", "ipc", "net", "pid"], r.stdout.split()))
    for k in ("mnt", "uts", "ipc", "pid"):
        assert got[k] != str(Namespace.current(k)), k  # new by default
    assert got["net"] == str(lab)  # joined
    r = sh(rootfs, script, check=True)
    assert r.stdout.split()[3] == str(Namespace.current("net"))  # inherited by default
    r = nsrun.run([SH, "-c", "readlink /proc/self/ns/uts"], namespaces={"uts": None},
                  rootfs=rootfs, capture_output=True, text=True, check=True)
    assert r.stdout.strip() == str(Namespace.current("uts"))
    nsrun.netns.delete(netns_name)


def test_new_namespace_of_running_child_can_be_persisted(rootfs, scratch):
    with nsrun.spawn([SH, "-c", "sleep 100"], rootfs=rootfs, namespaces={"net": "new"}) as p:
        ns = p.namespace("net")
        assert ns != Namespace.current("net")
        path = os.path.join(scratch, "r1")
        ns.persist(path)
        assert Namespace.open(path) == ns
        assert p.namespace("pid").parent() == Namespace.current("pid")
        p.stop(timeout=5)
    # The netns outlives the container through the persisted file.
    assert Namespace.open(path, "net") == ns
    nsrun.unpersist(path)


def test_without_rootfs_gets_fresh_proc_in_place():
    r = nsrun.run(["ps", "-o", "pid,comm"], capture_output=True, text=True, check=True, timeout=20)
    assert r.stdout.splitlines()[1].split() == ["1", "nsrun-init"]


def test_bind_mounts_read_only_and_read_write(rootfs_copy, tmp_path):
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "f").write_text("host")
    (tmp_path / "rw").mkdir()
    r = sh(
        rootfs_copy,
        "cat /mnt/ro/f; echo x > /mnt/ro/g || echo ro-refused; echo inside > /mnt/rw/new && echo rw-ok",
        mounts=[(tmp_path / "ro", "/mnt/ro", "ro"), (tmp_path / "rw", "/mnt/rw")],
        check=False,
    )
    if r.returncode != 0 and not r.stdout:
        pytest.fail(r.stderr)
    assert "host" in r.stdout and "ro-refused" in r.stdout and "rw-ok" in r.stdout
    assert (tmp_path / "rw" / "new").read_text() == "inside\n"
    assert not (tmp_path / "ro" / "g").exists()
    # The rootfs has no /mnt/ro: nsrun made the mount points in it (so: a copy of the fixture).
    assert (rootfs_copy / "mnt" / "ro").is_dir() and (rootfs_copy / "mnt" / "rw").is_dir()


# ---------------------------------------------------------------------------------------------
# The tiny init


def test_init_reaps_orphans(rootfs):
    # (sleep &) in a subshell: the subshell exits, sleep is orphaned to PID 1 and exits later.
    # The shell then waits (up to 20 s, however loaded the machine) until only init and itself
    # are left: an orphan the init did not reap would stay a zombie and show up.
    script = (
        "(sleep 0.2 &); (true &); i=0; "
        "while [ $i -lt 1000 ]; do set -- /proc/[0-9]*; [ $# -le 2 ] && break; sleep 0.02; i=$((i+1)); done; "
        "echo $#; grep -l '^State:.*Z' /proc/[0-9]*/status | wc -l"
    )
    r = sh(rootfs, script, check=True)
    procs, zombies = (int(x) for x in r.stdout.split())
    assert (procs, zombies) == (2, 0)  # init and sh; no zombie


@pytest.mark.parametrize("sig", ["TERM", "INT", "HUP", "USR1", "USR2"])
def test_init_forwards_signals_to_the_payload(rootfs, sig):
    script = f"trap 'echo got-{sig}; exit 3' {sig}; echo ready; while :; do sleep 0.05; done"
    with nsrun.spawn([SH, "-c", script], rootfs=rootfs, stdout=nsrun.PIPE, text=True) as p:
        assert p.stdout.readline() == "ready\n"
        p.send_signal(getattr(signal, f"SIG{sig}"))
        assert p.stdout.readline() == f"got-{sig}\n"
        assert p.wait(10) == 3


@pytest.mark.parametrize("script,code", [("exit 7", 7), ("exit 0", 0), ("kill -TERM $$", 143), ("kill -KILL $$", 137)])
def test_exit_status_is_the_payloads(rootfs, script, code):
    assert sh(rootfs, script).returncode == code


def test_payload_as_pid_1(rootfs):
    r = sh(rootfs, "echo $$; cat /proc/1/comm; true", init=False, check=True)
    assert r.stdout.split() == ["1", "sh"]
    assert sh(rootfs, "exit 5", init=False).returncode == 5


def test_boot_and_shutdown_run_around_the_payload(rootfs):
    r = sh(rootfs, "echo payload; hostname", boot=["/etc/rcS", "S", "boot"],
           shutdown=["/etc/rcS", "K", "shutdown"], check=True)
    assert r.stdout.splitlines() == ["rcS: boot: router up", "payload", "router", "rcS: shutdown: stopping"]


def test_stop_runs_shutdown_then_terminates_everything(rootfs_copy, tmp_path):
    # /log, a file bound from the host, is created in the rootfs as its mount point: a copy.
    log = tmp_path / "log"
    log.touch()
    with nsrun.spawn([SH, "-c", "echo up >> /log; sleep 1000"], rootfs=rootfs_copy,
                     boot=["/etc/rcS", "S", "boot"], shutdown=[SH, "-c", "/etc/rcS K shutdown >> /log"],
                     mounts=[(log, "/log")], stdout=nsrun.DEVNULL) as p:
        wait_until(log.read_text, what="the payload to start")
        init = p.pid
        inside = descendants(init)
        assert len(inside) >= 2  # the payload and the boot script's daemon
        rc = p.stop(timeout=5)
    assert rc == 128 + signal.SIGTERM  # the payload was SIGTERMed after the shutdown command
    assert log.read_text() == "up\nrcS: shutdown: stopping\n"
    for pid in [init] + inside:
        assert not os.path.exists(f"/proc/{pid}"), pid


def test_stop_kills_after_the_grace_period(rootfs):
    with nsrun.spawn([SH, "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"],
                     rootfs=rootfs, stdout=nsrun.PIPE) as p:
        p.stdout.readline()
        t0 = time.monotonic()
        assert p.stop(timeout=0.5) == -signal.SIGKILL
        assert 0.4 < time.monotonic() - t0 < 30  # the grace period, then SIGKILL (no hang)


# ---------------------------------------------------------------------------------------------
# stdio


def test_stdio_pipes_input_and_capture(rootfs):
    r = nsrun.run(["/bin/cat"], rootfs=rootfs, input=b"hello\n", capture_output=True, timeout=20)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"hello\n", b"")
    r = sh(rootfs, "echo out; echo err >&2")
    assert (r.stdout, r.stderr) == ("out\n", "err\n")


def test_stdio_null_and_given_fds(rootfs, tmp_path):
    out = tmp_path / "out"
    with open(out, "w") as f:
        r = nsrun.run([SH, "-c", "cat; echo done"], rootfs=rootfs, stdin=nsrun.DEVNULL, stdout=f, timeout=20)
    assert r.returncode == 0 and out.read_text() == "done\n"


def test_stdio_inherited(rootfs, tmp_path):
    code = f"import nsrun; nsrun.run(['/bin/echo', 'inherited'], rootfs={rootfs!r}, check=True)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout == "inherited\n"


# ---------------------------------------------------------------------------------------------
# Errors: precise, and nothing left behind


def _launch_error(**kw):
    with pytest.raises(nsrun.LaunchError) as e:
        nsrun.run(kw.pop("argv", ["/bin/true"]), timeout=20, **kw)
    return e.value


def test_error_rootfs_missing(tmp_path):
    e = _launch_error(rootfs=tmp_path / "missing")
    assert (e.stage, e.errno, e.filename) == ("rootfs", 2, str(tmp_path / "missing"))
    assert isinstance(e, OSError) and isinstance(e, nsrun.Error)


def test_error_no_proc_directory(rootfs_copy):
    os.rmdir(rootfs_copy / "proc")
    e = _launch_error(rootfs=rootfs_copy)
    # Refused before anything is mounted.
    assert (e.stage, e.errno, e.filename) == ("check-rootfs", 2, "/proc")
    assert "no such file or directory" in str(e) and "before anything is mounted" in str(e)


def test_error_program_not_found_and_not_executable(rootfs):
    e = _launch_error(rootfs=rootfs, argv=["/no/such/prog"])
    assert (e.stage, e.errno, e.filename) == ("exec", 2, "/no/such/prog")
    assert "program not found" in str(e)
    e = _launch_error(rootfs=rootfs, argv=["nosuchcmd"])
    assert (e.stage, e.errno, e.filename) == ("exec", 2, "nosuchcmd")
    e = _launch_error(rootfs=rootfs, argv=["/etc/hostname"])
    assert (e.stage, e.errno, e.filename) == ("exec", 13, "/etc/hostname")
    assert "not executable" in str(e)


def test_error_mount_that_fails(rootfs, tmp_path):
    # The source vanishes between the check and the mount: use a socket, which cannot be bound over a dir.
    e = _launch_error(rootfs=rootfs, mounts=[("/proc/self/ns/net", "/tmp")])
    # A file cannot be bound over a directory: refused before anything is mounted.
    assert e.stage == "check-rootfs" and e.filename == "/tmp" and "is a directory" in str(e)
    with pytest.raises(FileNotFoundError):
        nsrun.run(["/bin/true"], rootfs=rootfs, mounts=[(tmp_path / "missing", "/mnt")])


def test_error_boot_command_fails(rootfs):
    e = _launch_error(rootfs=rootfs, boot=[SH, "-c", "exit 4"])
    assert e.stage == "boot" and "exited with status 4" in str(e)


def test_error_bad_options_are_refused_before_anything_starts(rootfs):
    for kw in (
        dict(rootfs=rootfs, namespaces={"mnt": None}),
        dict(hostname="x", namespaces={"uts": None}),
        dict(shutdown=["/bin/true"], init=False),
        dict(namespaces={"bogus": "new"}),
        dict(namespaces={"net": 42}),
        dict(mounts=[("/tmp",)]),
        dict(rootfs=rootfs, mounts=[("/tmp", "/../escape")]),
    ):
        with pytest.raises(nsrun.InvalidArgumentError):
            nsrun.run(["/bin/true"], **kw)
    with pytest.raises(nsrun.InvalidArgumentError):
        nsrun.run([])
    with pytest.raises(nsrun.InvalidArgumentError):
        nsrun.run("/bin/true")
    with pytest.raises(nsrun.InvalidArgumentError):
        nsrun.run(["/bin/true\0x"], rootfs=rootfs)


def test_check_and_timeout(rootfs):
    with pytest.raises(subprocess.CalledProcessError) as e:
        sh(rootfs, "echo partial; exit 9", check=True)
    assert e.value.returncode == 9 and e.value.stdout == "partial\n"
    t0 = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        nsrun.run([SH, "-c", "sleep 100"], rootfs=rootfs, timeout=0.3)
    assert time.monotonic() - t0 < 30  # the timeout fired (no hang)


# ---------------------------------------------------------------------------------------------
# Ctrl+C, the launcher, threads


def _read_until(fd, needle, timeout=10.0):
    buf = b""
    deadline = time.monotonic() + timeout
    import select

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


def test_ctrl_c_reaches_the_job_inside_and_not_the_launcher(rootfs):
    """Through a pty: sleep 1000 in the shell inside, ^C, the prompt returns, the shell and the
    launcher keep running; exit returns the shell's status to the launcher."""
    import pty

    code = (
        "import nsrun, sys\n"
        f"p = nsrun.spawn(['/bin/sh', '-i'], rootfs={rootfs!r}, interactive=True, hostname='r1', env={{'PS1': 'r1# ', 'PATH': '/bin:/sbin:/usr/bin'}})\n"
        "rc = p.wait()\n"
        "print('launcher: shell exited', rc, flush=True)\n"
    )
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-c", code])
    try:
        _read_until(fd, b"r1# ")
        os.write(fd, b"sleep 1000\n")
        sleeper = wait_for_descendant(pid, ["sleep", "1000"])
        os.write(fd, b"\x03")  # ^C
        _read_until(fd, b"r1# ")
        wait_until(lambda: not os.path.exists(f"/proc/{sleeper}"), what="^C to end sleep")
        os.write(fd, b"echo still-$((40+2))\n")
        _read_until(fd, b"still-42")
        os.write(fd, b"exit 3\n")
        out = _read_until(fd, b"launcher: shell exited 3")
        assert b"Traceback" not in out
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_launcher_killed_takes_the_container_with_it(rootfs):
    code = (
        "import nsrun, sys, time\n"
        f"p = nsrun.spawn(['/bin/sh', '-c', 'sleep 1000 & sleep 1000'], rootfs={rootfs!r})\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(1000)\n"
    )
    launcher = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    init = int(launcher.stdout.readline())

    def both_sleeps():
        inside = descendants(init)
        return inside if [cmdline(d) for d in inside].count(["sleep", "1000"]) == 2 else None

    inside = wait_until(both_sleeps, what="both sleeps to run")
    launcher.kill()
    launcher.wait()
    wait_until(lambda: not any(os.path.exists(f"/proc/{p}") for p in [init] + inside),
               what="the container to die with its launcher")
    for p in [init] + inside:
        assert not os.path.exists(f"/proc/{p}"), f"{p} survived its launcher"


def test_works_from_a_multithreaded_caller_and_outlives_the_spawning_thread(rootfs):
    stop = threading.Event()
    busy = [threading.Thread(target=lambda: [sum(range(1000)) for _ in iter(stop.is_set, True)]) for _ in range(3)]
    for t in busy:
        t.start()
    try:
        results = []
        workers = [threading.Thread(target=lambda: results.append(sh(rootfs, "echo ok").stdout)) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert results == ["ok\n"] * 4

        box = []
        t = threading.Thread(target=lambda: box.append(nsrun.spawn([SH, "-c", "sleep 100"], rootfs=rootfs)))
        t.start()
        t.join()  # the thread that spawned it is gone
        time.sleep(0.3)
        p = box[0]
        assert p.poll() is None, "the container died with the thread that spawned it"
        p.stop(timeout=5)
    finally:
        stop.set()
        for t in busy:
            t.join()


# ---------------------------------------------------------------------------------------------
# Nothing leaks; the host is protected


def test_only_stdio_and_passed_fds_inside(rootfs, tmp_path):
    leaky = os.open(tmp_path, os.O_RDONLY)  # no O_CLOEXEC
    os.set_inheritable(leaky, True)
    r_fd, w_fd = os.pipe()
    os.write(w_fd, b"passed\n")
    os.close(w_fd)
    try:
        # privileged: reading the init's descriptors needs CAP_SYS_PTRACE, dropped by default.
        r = sh(rootfs, "ls /proc/self/fd; echo ---; for f in /proc/1/fd/*; do readlink $f; done",
               stdin=nsrun.DEVNULL, check=True, privileged=True)
        mine, init = r.stdout.split("---")
        assert sorted(int(x) for x in mine.split()) == [0, 1, 2, 3]  # 3: ls's own directory fd
        # The init holds stdio, /dev/null (stdin for the shutdown command), its two exec sockets
        # (listening, and the launcher's control channel) and its signalfd: nothing else.
        kinds = sorted(x.split(":")[0] for x in init.split())
        assert kinds == ["/dev/null", "/dev/null", "anon_inode", "pipe", "pipe", "socket", "socket"], init
        r = sh(rootfs, f"ls /proc/self/fd; cat <&{r_fd}", pass_fds=[r_fd], check=True)
        assert str(r_fd) in r.stdout.split() and "passed" in r.stdout
    finally:
        os.close(leaky)
        os.close(r_fd)


def test_callers_process_state_is_untouched(rootfs, tmp_path):
    sigs = {s: signal.getsignal(s) for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)}
    handler_called = []
    old = signal.signal(signal.SIGUSR1, lambda *a: handler_called.append(1))
    try:
        sigs[signal.SIGUSR1] = signal.getsignal(signal.SIGUSR1)
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        cwd, env = os.getcwd(), dict(os.environ)
        umask = os.umask(0o022)
        os.umask(umask)
        other = subprocess.Popen(["sleep", "0.3"])
        # The init forwards USR1 to the payload, which ignores it (else the shell could die before
        # `echo ok`): what counts is that the caller's own handler never runs.
        r = sh(rootfs, "trap '' USR1; cd /tmp; umask 077; kill -USR1 1 2>/dev/null; echo ok", check=True)
        assert r.stdout == "ok\n"
        assert other.wait() == 0  # nsrun did not reap it
        assert {s: signal.getsignal(s) for s in sigs} == sigs
        assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == mask
        assert (os.getcwd(), dict(os.environ)) == (cwd, env)
        assert os.umask(umask) == umask
        assert handler_called == []
    finally:
        signal.signal(signal.SIGUSR1, old)


@pytest.mark.parametrize("where", ["proc", "dev", "tmp"])
def test_symlinked_mount_targets_never_reach_the_host(rootfs_copy, tmp_path, where):
    host_dir = tmp_path / f"host-{where}"
    host_dir.mkdir()
    (host_dir / "keep").write_text("host file")
    target = rootfs_copy / where
    os.rmdir(target)
    os.symlink(host_dir, target)  # absolute symlink to a host path
    try:
        r = nsrun.run([SH, "-c", f"ls /{where} >/dev/null; echo ran"], rootfs=rootfs_copy,
                      capture_output=True, text=True, timeout=20)
        ran = r.returncode == 0
    except nsrun.LaunchError as e:
        ran = False
        assert e.filename == f"/{where}"
    # Either refused, or the mount landed inside the rootfs: the host directory is untouched.
    assert sorted(os.listdir(host_dir)) == ["keep"]
    assert (host_dir / "keep").read_text() == "host file"
    del ran


def test_proc_sys_is_read_only_but_net_writable_in_a_private_netns(rootfs):
    before = open("/proc/sys/kernel/domainname").read()
    fwd = open("/proc/sys/net/ipv4/ip_forward").read()
    boot = [SH, "-c", "echo hacked > /proc/sys/kernel/domainname; true"]
    r = sh(rootfs, "echo 1 > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward",
           boot=boot, namespaces={"net": "new"}, check=True)
    assert "Read-only file system" in r.stderr
    assert r.stdout == "1\n"
    assert open("/proc/sys/kernel/domainname").read() == before
    assert open("/proc/sys/net/ipv4/ip_forward").read() == fwd
    r = sh(rootfs, "echo 1 > /proc/sys/net/ipv4/ip_forward")  # host netns: read-only too
    assert r.returncode != 0 and open("/proc/sys/net/ipv4/ip_forward").read() == fwd


@pytest.fixture
def unprivileged_user():
    name = unique("nsrun-u")[:31]
    _user_db("useradd", "--system", "--no-create-home", "--shell", "/bin/false", name)
    try:
        import pwd

        yield pwd.getpwnam(name)
    finally:
        _user_db("userdel", name)


def _user_db(*argv):
    """useradd/userdel, retried while another process (a concurrent test run) holds the lock
    on /etc/passwd (exit status 10: "cannot lock /etc/passwd; try again later")."""
    deadline = time.monotonic() + 60
    while True:
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode == 0:
            return
        if "lock" not in r.stderr or time.monotonic() > deadline:
            raise AssertionError(f"{argv}: {r.stderr}")
        time.sleep(0.1)


def test_unprivileged_user_launches_a_rootfs_in_a_user_namespace(rootfs, unprivileged_user):
    subprocess.run(["cargo", "build", "-q", "-p", "nsrun", "--example", "launch"], cwd=ROOT, check=True)
    # The checkout may sit in a directory other users cannot enter (CI clones into `mktemp -d`,
    # mode 0700): give the user its own copy of the launcher and the rootfs, in a directory it
    # can reach.
    home = tempfile.mkdtemp(prefix=f"nsrun-{os.getpid()}-")
    try:
        os.chmod(home, 0o755)
        exe = shutil.copy(os.path.join(ROOT, "target", "debug", "examples", "launch"), home)
        mine = os.path.join(home, "rootfs")
        subprocess.run(["cp", "-a", rootfs, mine], check=True)
        u = unprivileged_user
        r = subprocess.run(
            ["setpriv", f"--reuid={u.pw_uid}", f"--regid={u.pw_gid}", "--clear-groups", "--",
             exe, "--map-root-user", mine, "/bin/sh", "-c", "id -u; ps -o pid,comm | wc -l; hostname; ls /sys/class/net | head -1"],
            capture_output=True, text=True, timeout=60,
        )
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0] == "0"  # root inside, unprivileged outside
        assert int(lines[1]) <= 5
        assert lines[-1] == "exit status: Exited(0)"
        # Without one asked for, the launch is rootless by itself (issue 14); forced to go
        # without, the same user is refused, clearly.
        ids = ["setpriv", f"--reuid={u.pw_uid}", f"--regid={u.pw_gid}", "--clear-groups", "--"]
        r = subprocess.run([*ids, exe, mine, "/bin/sh", "-c", "id -u"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stdout.splitlines()[0] == "0", r.stderr
        r = subprocess.run([*ids, exe, "--no-rootless", mine, "/bin/true"], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and "Operation not permitted" in r.stderr
    finally:
        shutil.rmtree(home)


def test_init_in_a_joined_or_inherited_pid_namespace_never_signals_the_host(rootfs):
    """The init may kill "everything" only in its own PID namespace: kill(-1) from the host's
    PID namespace would reach every process of the host. There it ends its own descendants
    instead: a grandchild, and an orphan (a double fork) that comes to it as a child subreaper
    rather than to the host's PID 1."""
    sentinel = subprocess.Popen(["sleep", "60"])
    try:
        for ns in ({"pid": None}, {"pid": f"/proc/{os.getpid()}/ns/pid"}):
            r = nsrun.run(["/bin/sh", "-c", "echo done"], namespaces=ns, capture_output=True, text=True, timeout=20)
            assert r.stdout == "done\n" and r.returncode == 0
            script = "sleep 1001 & (sleep 1002 &); wait"
            with nsrun.spawn(["/bin/sh", "-c", script], namespaces=ns) as p:
                left = [wait_for_descendant(p.pid, argv) for argv in (["sleep", "1001"], ["sleep", "1002"])]
                started = [_started(pid) for pid in left]
                assert p.stop(timeout=5) == 128 + signal.SIGTERM
            for pid, start in zip(left, started):
                assert _started(pid) != start, f"pid {pid} ({cmdline(pid)}) outlived the launch"
            assert sentinel.poll() is None, "the init signalled a host process"
    finally:
        sentinel.kill()
        sentinel.wait()


def test_a_launcher_in_a_chroot_is_refused_clearly(rootfs, tmp_path):
    """In a chroot, / is not a mount point, so its propagation cannot be made private: nsrun
    refuses to mount anything (a mount could otherwise reach a shared host tree) and says why."""
    exe = os.path.join(ROOT, "target", "debug", "examples", "launch")
    subprocess.run(["cargo", "build", "-q", "-p", "nsrun", "--example", "launch"], cwd=ROOT, check=True)
    d = tmp_path / "chroot"
    (d / "bin").mkdir(parents=True)
    (d / "proc").mkdir()
    (d / "dev").mkdir()
    (d / "dev" / "null").touch()
    subprocess.run(["cp", exe, str(d / "bin" / "launch")], check=True)
    libs = subprocess.run(["ldd", exe], capture_output=True, text=True, check=True).stdout
    for lib in [w for w in libs.split() if w.startswith("/")]:
        (d / lib.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-L", lib, str(d / lib.lstrip("/"))], check=True)
    subprocess.run(["cp", "-a", rootfs, str(d / "rootfs")], check=True)
    script = (f"mount --bind /dev/null {d}/dev/null && mount -t proc proc {d}/proc && "
              f"exec chroot {d} /bin/launch /rootfs /bin/true")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 125
    assert "mount-propagation /: the launcher's root is not a mount point" in r.stderr


# --- exec into a running launch (Process.exec / Process.popen) ---


def test_exec_runs_in_the_launch_hostname_root_and_pid_namespace(rootfs):
    name = unique("ex")
    with nsrun.spawn(["sleep", "1000"], rootfs=rootfs, hostname=name) as p:
        r = p.exec(["sh", "-c", "hostname; test -x /etc/rcS && echo rootfs; readlink /proc/self/ns/pid; "
                    "cat /proc/$PPID/comm"], capture_output=True, text=True, check=True)
        assert r.stdout.split() == [name, "rootfs", str(p.namespace("pid")), "nsrun-init"]
        r = p.exec(["sh", "-c", "read x; echo $x$V; pwd; exit 4"], input="in", env={"V": "v", "PATH": "/bin"},
                   cwd="/etc", capture_output=True)
        assert (r.returncode, r.stdout) == (4, b"inv\n/etc\n")
        with pytest.raises(subprocess.CalledProcessError):
            p.exec(["false"], check=True)
        with pytest.raises(nsrun.LaunchError) as e:
            p.exec(["/no/such"])
        assert (e.value.errno, e.value.stage, e.value.filename) == (2, "exec", "/no/such")
        with pytest.raises(subprocess.TimeoutExpired):
            p.exec(["sleep", "100"], timeout=0.2)


def test_popen_is_killed_when_the_launch_stops(rootfs):
    p = nsrun.spawn(["sleep", "1000"], rootfs=rootfs)
    e = p.popen(["sleep", "1000"], stdout=nsrun.DEVNULL)
    assert isinstance(e, nsrun.ExecProcess) and os.path.exists(f"/proc/{e.pid}")
    assert e.poll() is None
    p.stop()
    assert e.wait(timeout=5) in (128 + signal.SIGTERM, 128 + signal.SIGKILL)  # SIGTERM, then SIGKILL for what is left
    assert not os.path.exists(f"/proc/{e.pid}")
    with pytest.raises(ProcessLookupError):
        p.exec(["true"])


def test_connections_that_never_ask_do_not_pile_up_in_the_init(rootfs):
    """Any host process can connect to a launch's exec socket (an abstract name): 300 that
    connect and never send a request leave the init with a bounded number of descriptors,
    and exec keeps working."""
    import ctypes
    import socket

    libc = ctypes.CDLL(None, use_errno=True)
    with nsrun.spawn(["sleep", "1000"], rootfs=rootfs, stdin=subprocess.DEVNULL) as p:
        pidfd = os.pidfd_open(p.pid)
        fd = libc.syscall(438, pidfd, 4, 0)  # pidfd_getfd: the init's listening socket
        assert fd >= 0, os.strerror(ctypes.get_errno())
        os.close(pidfd)
        with socket.socket(fileno=fd) as listening:
            address = listening.getsockname()
        clients = []
        try:
            for _ in range(300):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                c.connect(address)
                clients.append(c)
            # Each exec is a round trip through the init's loop, which accepts meanwhile.
            for _ in range(5):
                assert p.exec(["/bin/true"]).returncode == 0
            assert len(os.listdir(f"/proc/{p.pid}/fd")) < 100
        finally:
            for c in clients:
                c.close()
        p.stop()


def test_a_launcher_with_many_descriptors(rootfs):
    """With hundreds of descriptors open, the launch child takes the few it needs from the
    launcher (pidfd_getfd) instead of copying and closing them all: everything still works,
    nothing of the launcher's reaches the program, and the launcher keeps exactly its own."""
    held = [os.open("/dev/null", os.O_RDONLY) for _ in range(1500)]
    try:
        r = sh(rootfs, "ls /proc/self/fd", check=True, namespaces={"net": "new"})
        # After the first launch's caches, and after garbage of earlier tests in this worker
        # (a Process it held closes its descriptors when collected, which gc.collect() below
        # would otherwise do in the middle of the comparison).
        gc.collect()
        before = sorted(os.listdir("/proc/self/fd"))
        assert sorted(r.stdout.split()) == ["0", "1", "2", "3"], r.stdout  # 3: ls's own
        rd, wr = os.pipe()
        os.write(wr, b"passed")
        os.close(wr)
        r = sh(rootfs, f"cat <&{rd}", check=True, pass_fds=[rd])
        os.close(rd)
        assert r.stdout == "passed"
        with pytest.raises(nsrun.LaunchError, match="program not found"):
            nsrun.run(["/nonexistent"], rootfs=rootfs)
        with nsrun.spawn(["sleep", "1000"], rootfs=rootfs, stdin=subprocess.DEVNULL) as p:
            assert p.exec(["/bin/true"]).returncode == 0
            p.stop()
        del p  # (its pidfd and control socket go with it)
        gc.collect()
        assert sorted(os.listdir("/proc/self/fd")) == before
    finally:
        for fd in held:
            os.close(fd)


def test_exec_from_threads_into_several_launches(rootfs):
    names = [unique(f"t{i}") for i in range(4)]
    procs = [nsrun.spawn(["sleep", "1000"], rootfs=rootfs, hostname=n) for n in names]
    errors = []

    def worker(i):
        try:
            for _ in range(10):
                r = procs[i % 4].exec(["hostname"], capture_output=True, text=True, check=True)
                assert r.stdout.strip() == names[i % 4]
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        p.stop()
    assert errors == []


def test_the_init_is_sealed_and_has_no_environment(rootfs):
    os.environ["NSRUN_SECRET_FOR_TEST"] = "leak"
    try:
        # privileged: with every capability, CAP_SYS_PTRACE included, it is still sealed.
        r = sh(rootfs, "readlink /proc/1/exe; wc -c < /proc/1/environ; "
                       "(echo x >> /proc/1/exe) 2>/dev/null && echo wrote || echo refused",
               privileged=True)
    finally:
        del os.environ["NSRUN_SECRET_FOR_TEST"]
    exe, env_len, write = r.stdout.splitlines()
    assert exe.startswith("/memfd:nsrun-init") and env_len.strip() == "0" and write == "refused"


def test_the_exec_socket_refuses_processes_inside_the_launch(rootfs):
    """The init serves its listening exec socket only to peers outside its PID namespace: a
    process inside (here a host python joined to the launch's PID namespace) is disconnected."""
    import ctypes
    import socket

    libc = ctypes.CDLL(None, use_errno=True)
    with nsrun.spawn(["sleep", "1000"], rootfs=rootfs) as p:
        pidfd = os.pidfd_open(p.pid)
        fd = libc.syscall(438, pidfd, 4, 0)  # pidfd_getfd(pidfd, LISTEN_FD, 0)
        os.close(pidfd)
        assert fd >= 0, os.strerror(ctypes.get_errno())
        with socket.socket(fileno=fd) as listening:
            name = listening.getsockname()
        probe = (
            "import socket, sys\n"
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
            "s.connect(b'\\0' + bytes.fromhex(sys.argv[1]))\n"
            "s.settimeout(1)\n"
            "try:\n"
            "    print(repr(s.recv(100)))\n"
            "except OSError as e:\n"
            "    print(type(e).__name__)\n"
        )
        assert isinstance(name, bytes) and name[:1] == b"\0"  # an abstract name
        arg = name[1:].hex()
        inside = subprocess.run(["nsenter", "-t", str(p.pid), "-p", "--", sys.executable, "-c", probe, arg],
                                capture_output=True, text=True, timeout=20)
        assert inside.stdout.strip() in ("b''", "ConnectionResetError"), inside
        outside = subprocess.run([sys.executable, "-c", probe, arg], capture_output=True, text=True, timeout=20)
        assert outside.stdout.strip() == "TimeoutError" or "timed out" in outside.stdout, outside  # accepted, waits for a request
