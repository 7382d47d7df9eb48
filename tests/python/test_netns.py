"""Named network namespaces, both ways with ip netns."""

import os
import subprocess

import pytest

import nsrun
from nsrun import Namespace

from conftest import run


def test_nsrun_netns_is_seen_and_used_by_ip(netns_name):
    ns = nsrun.netns.add(netns_name)
    assert netns_name in run("ip", "netns", "list").split()
    assert netns_name in nsrun.netns.list()
    seen = run("ip", "netns", "exec", netns_name, "readlink", "/proc/self/ns/net").strip()
    assert seen == str(ns)
    links = run("ip", "netns", "exec", netns_name, "ip", "-o", "link", "show")
    assert [line.split(":")[1].strip() for line in links.splitlines()] == ["lo"]
    assert nsrun.netns.open(netns_name) == ns
    nsrun.netns.delete(netns_name)
    assert netns_name not in run("ip", "netns", "list").split()
    assert netns_name not in nsrun.netns.list()


def test_ip_netns_opens_in_nsrun(netns_name):
    subprocess.run(["ip", "netns", "add", netns_name], check=True)
    ns = nsrun.netns.open(netns_name)
    seen = run("ip", "netns", "exec", netns_name, "readlink", "/proc/self/ns/net").strip()
    assert str(ns) == seen
    assert nsrun.same(ns, f"/run/netns/{netns_name}")
    assert netns_name in nsrun.netns.list()
    subprocess.run(["ip", "netns", "delete", netns_name], check=True)


def test_nsrun_netns_deleted_by_ip(netns_name):
    nsrun.netns.add(netns_name).close()
    subprocess.run(["ip", "netns", "delete", netns_name], check=True)
    assert not os.path.lexists(f"/run/netns/{netns_name}")


def test_add_existing_name_is_refused(netns_name):
    first = nsrun.netns.add(netns_name)
    with pytest.raises(nsrun.AlreadyPersistedError) as e:
        nsrun.netns.add(netns_name)
    assert e.value.existing == str(first)
    assert nsrun.netns.open(netns_name) == first
    nsrun.netns.delete(netns_name)


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "../etc", "x\0y", "n" * 256])
def test_bad_names_are_refused_and_create_nothing(bad):
    # What such a name could create: the entry itself, or its first component ("a" of "a/b").
    paths = {os.path.join("/run/netns", x) for x in (bad, bad.split("/")[0]) if "\0" not in x and x not in ("", ".", "..")}

    def state():
        return {p: os.path.lexists(p) for p in paths}

    before = state()
    for fn in (nsrun.netns.add, nsrun.netns.open, nsrun.netns.delete):
        with pytest.raises(nsrun.InvalidArgumentError) as e:
            fn(bad)
        assert e.value.errno == 22
        assert isinstance(e.value, ValueError)
        assert "name" in str(e.value)
    assert state() == before


def test_open_missing_name(netns_name):
    with pytest.raises(FileNotFoundError) as e:
        nsrun.netns.open(netns_name)
    assert e.value.filename == f"/run/netns/{netns_name}"
    with pytest.raises(FileNotFoundError):
        nsrun.netns.delete(netns_name)


def test_netns_add_from_thread_keeps_callers_netns(netns_name):
    import threading

    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        before = Namespace.current("net")
        ns = nsrun.netns.add(netns_name)
        assert Namespace.current("net") == before != ns
    finally:
        stop.set()
        t.join()
    nsrun.netns.delete(netns_name)
