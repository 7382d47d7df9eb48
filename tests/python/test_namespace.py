"""Namespace handles: create, open, identity, enter, parent/owner."""

import os
import threading

import pytest

import nsrun
from nsrun import Kind, Namespace

from conftest import run, wait_until

ALL = list(Kind)


def test_kind_accepts_strings_and_enum():
    assert Kind("net") is Kind.NET
    assert Kind.NET == "net"
    assert [k.value for k in Kind] == ["mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time"]
    assert Kind.NET.flag == 0x40000000
    assert Namespace.current("net") == Namespace.current(Kind.NET)


# The kernel's CLONE_NEW* values, written out here on purpose: the table under test comes from
# core's Kind through the native module.
CLONE_NEW = {"mnt": 0x00020000, "uts": 0x04000000, "ipc": 0x08000000, "net": 0x40000000,
             "pid": 0x20000000, "user": 0x10000000, "cgroup": 0x02000000, "time": 0x00000080}


@pytest.mark.parametrize("kind", ALL, ids=[k.value for k in ALL])
def test_every_kind_flag_name_and_handle(kind):
    import nsrun._nsrun as native
    assert dict(native._kind_table())[kind.value] == kind.flag == CLONE_NEW[kind.value]
    assert Kind(kind.value) is kind and str(kind) == kind.value
    with Namespace.current(kind.value) as ns:
        assert ns.kind is kind
        assert str(ns) == os.readlink(f"/proc/thread-self/ns/{kind.value}")


def test_kind_table_is_complete():
    import nsrun._nsrun as native
    assert [name for name, _ in native._kind_table()] == [k.value for k in Kind] == list(CLONE_NEW)


RESTORE_IN_FINALIZER = r"""
import gc, sys, nsrun
child = nsrun.Namespace.create("user")
ctx = child.enter()
ctx.__enter__()                      # now inside a child user namespace (single-threaded)
assert nsrun.take_restore_failure() is None
del ctx; gc.collect()                # the finalizer cannot go back to the parent user namespace
err = nsrun.take_restore_failure()
assert isinstance(err, OSError) and err.errno == 1, repr(err)
assert "restore previous namespace" in str(err), str(err)
assert nsrun.take_restore_failure() is None
print("survived")
"""


def test_failed_restore_in_a_finalizer_warns_and_is_reported():
    import subprocess
    import sys
    # A process of its own: only a single-threaded one may enter a user namespace, and it stays
    # there afterwards.
    r = subprocess.run([sys.executable, "-c", RESTORE_IN_FINALIZER], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "survived"
    assert "nsrun: warning: restore previous namespace" in r.stderr


@pytest.fixture
def busy_thread():
    """Makes the process multithreaded for the duration of a test."""
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    yield t
    stop.set()
    t.join()


@pytest.mark.parametrize("kind", ALL, ids=[k.value for k in ALL])
def test_create_leaves_caller_unchanged_with_a_thread_running(kind, busy_thread):
    before = Namespace.current(kind)
    main_link = os.readlink(f"/proc/self/ns/{kind}")
    with Namespace.create(kind) as ns:
        assert ns.kind is kind
        assert ns != before
        assert Namespace.current(kind) == before
        assert os.readlink(f"/proc/self/ns/{kind}") == main_link
    assert ns.closed


def test_identity_equality_hash_and_str():
    a = Namespace.open("/proc/self/ns/net")
    b = Namespace.of_pid(os.getpid(), "net")
    c = Namespace.current(Kind.NET)
    assert a == b == c
    assert hash(a) == hash(b) == hash(c)
    assert len({a, b, c}) == 1
    assert str(a) == os.readlink("/proc/self/ns/net")
    st = os.stat("/proc/self/ns/net")
    assert (a.id.dev, a.id.ino) == (st.st_dev, st.st_ino)
    assert tuple(a.id) == (st.st_dev, st.st_ino)
    other = Namespace.create("net")
    assert other != a and hash(other) != hash(a)
    assert a != Namespace.open("/proc/self/ns/uts")
    assert a != "net:[%d]" % a.id.ino
    assert nsrun.same("/proc/self/ns/net", a)
    assert not nsrun.same(other, a)


def test_fileno_close_and_closed_handle():
    ns = Namespace.create("uts")
    fd = ns.fileno()
    assert os.readlink(f"/proc/self/fd/{fd}") == str(ns)
    ns.close()
    assert ns.closed
    with pytest.raises(ValueError):
        ns.fileno()
    with pytest.raises(ValueError):
        ns.enter().__enter__()
    ns.close()  # closing twice is fine
    assert "closed" in repr(ns)


def test_from_fd_keeps_callers_descriptor():
    fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        ns = Namespace.from_fd(fd, "net")
        assert ns == Namespace.current("net")
        ns.close()
        os.fstat(fd)  # still open
    finally:
        os.close(fd)
    with pytest.raises(nsrun.InvalidArgumentError) as e:
        Namespace.from_fd(fd)
    assert e.value.errno == 9 and "not an open file descriptor" in str(e.value)


def test_enter_affects_only_calling_thread_and_restores():
    host = Namespace.current("net")
    target = Namespace.create("net")
    seen_by_other = []
    entered, checked = threading.Event(), threading.Event()

    def other():
        entered.wait()
        seen_by_other.append(Namespace.current("net"))
        checked.set()

    t = threading.Thread(target=other)
    t.start()
    with target.enter() as inside:
        assert inside == target
        assert Namespace.current("net") == target
        entered.set()
        checked.wait()
    t.join()
    assert seen_by_other == [host]
    assert Namespace.current("net") == host


def test_enter_restores_on_exception_and_nests():
    host_net, host_uts = Namespace.current("net"), Namespace.current("uts")
    net, uts = Namespace.create("net"), Namespace.create("uts")
    with pytest.raises(RuntimeError):
        with net.enter():
            with uts.enter():
                assert Namespace.current("uts") == uts
                assert Namespace.current("net") == net
                raise RuntimeError("inside")
    assert Namespace.current("net") == host_net
    assert Namespace.current("uts") == host_uts


def test_enter_runs_commands_inside():
    """What a process started while entered sees: the entered netns (only lo)."""
    ns = Namespace.create("net")
    with ns.enter():
        out = run("ip", "-o", "link", "show")
    assert [line.split(":")[1].strip() for line in out.splitlines()] == ["lo"]


def test_enter_mnt_from_multithreaded_process_is_a_clear_error(busy_thread):
    ns = Namespace.create("mnt")
    before = Namespace.current("mnt")
    with pytest.raises(nsrun.Error) as e:
        with ns.enter():
            pass
    assert e.value.errno == 22
    assert "multithreaded" in str(e.value)
    assert Namespace.current("mnt") == before


def test_enter_wrong_kind_is_refused():
    # enter() enters the namespace's own kind; opening with a kind checks it.
    with pytest.raises(nsrun.WrongKindError) as e:
        Namespace.open("/proc/self/ns/uts", "net")
    assert e.value.expected is Kind.NET and e.value.found is Kind.UTS
    assert e.value.filename == "/proc/self/ns/uts"


def _lsns(pid):
    rows = {}
    for line in run("lsns", "-n", "-p", str(pid), "-o", "TYPE,NS,PNS,ONS").splitlines():
        kind, ns, pns, ons = line.split()
        rows[kind] = (int(ns), int(pns), int(ons))
    return rows


def test_parent_and_owner_match_lsns():
    import subprocess

    child = subprocess.Popen(
        ["unshare", "--user", "--map-root-user", "--pid", "--fork", "sleep", "30"]
    )
    try:
        # The sleeping grandchild is the one inside the new pid namespace.
        def sleeping_grandchild():
            kids = open(f"/proc/{child.pid}/task/{child.pid}/children").read().split()
            return kids and os.readlink(f"/proc/{kids[0]}/exe").endswith("sleep") and int(kids[0])

        pid = wait_until(sleeping_grandchild, what="unshare's child to run sleep")
        rows = _lsns(pid)
        for kind in ("user", "pid"):
            ns = Namespace.of_pid(pid, kind)
            ino, pns, ons = rows[kind]
            assert ns.id.ino == ino
            assert ns.parent().id.ino == pns
            assert ns.owner().id.ino == ons
        net = Namespace.of_pid(pid, "net")
        assert net.owner().id.ino == rows["net"][2]
        with pytest.raises(OSError) as e:
            net.parent()
        assert e.value.errno == 22
    finally:
        child.kill()
        child.wait()
