"""Persisting namespaces, and interoperating with unshare/nsenter/ip on persisted files."""

import os
import pathlib
import subprocess

import pytest

import nsrun
from nsrun import Kind, Namespace

from conftest import run


def mounts_at(path):
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if line.split(" ")[4] == str(path)]


@pytest.mark.parametrize("kind", list(Kind), ids=[k.value for k in Kind])
def test_persist_and_unpersist_every_kind(kind, scratch):
    path = pathlib.Path(scratch) / kind.value  # os.PathLike accepted
    ns = Namespace.create(kind)
    ns.persist(path)
    ns.close()
    assert Namespace.open(path, kind).kind is kind
    assert len(mounts_at(path)) == 1
    nsrun.unpersist(path)
    assert not path.exists()
    assert mounts_at(path) == []


def test_file_persisted_by_unshare_opens(scratch):
    path = os.path.join(scratch, "by-unshare")
    open(path, "w").close()
    subprocess.run(["unshare", f"--net={path}", "true"], check=True)
    ns = Namespace.open(path, "net")
    assert ns != Namespace.current("net")
    nsrun.unpersist(path)


def test_file_persisted_by_nsrun_works_with_nsenter(scratch):
    path = os.path.join(scratch, "for-nsenter")
    ns = Namespace.create("net")
    ns.persist(path)
    seen = run("nsenter", f"--net={path}", "readlink", "/proc/self/ns/net").strip()
    assert seen == str(ns)
    nsrun.unpersist(path)


def test_seed_scenario_second_netns_over_the_first_is_refused(netns_name):
    """ip netns add X; persisting another netns onto /run/netns/X must be refused."""
    subprocess.run(["ip", "netns", "add", netns_name], check=True)
    path = f"/run/netns/{netns_name}"
    there = Namespace.open(path)
    before = mounts_at(path)
    with pytest.raises(nsrun.AlreadyPersistedError) as e:
        Namespace.create("net").persist(path)
    err = e.value
    assert err.errno == 17 and err.filename == path
    assert err.existing == str(there)
    assert str(there) in str(err)
    assert mounts_at(path) == before
    assert Namespace.open(path) == there
    subprocess.run(["ip", "netns", "delete", netns_name], check=True)


@pytest.mark.parametrize("remove", ["netns.delete", "unpersist"])
def test_stacked_mounts_are_all_removed_without_ebusy(netns_name, remove):
    """unshare --net=/run/netns/X stacks a second netns; delete must remove both."""
    subprocess.run(["ip", "netns", "add", netns_name], check=True)
    path = f"/run/netns/{netns_name}"
    first = Namespace.open(path)
    subprocess.run(["unshare", f"--net={path}", "true"], check=True)
    assert len(mounts_at(path)) == 2
    assert Namespace.open(path) != first
    if remove == "netns.delete":
        nsrun.netns.delete(netns_name)
    else:
        nsrun.unpersist(path)
    assert not os.path.lexists(path)
    assert mounts_at(path) == []
    assert netns_name not in run("ip", "netns", "list")


def test_persist_bad_targets_leave_nothing(scratch):
    ns = Namespace.create("net")
    with pytest.raises(IsADirectoryError):
        ns.persist(scratch)
    target = os.path.join(scratch, "real")
    link = os.path.join(scratch, "link")
    os.symlink(target, link)
    with pytest.raises(nsrun.InvalidArgumentError) as e:
        ns.persist(link)
    assert e.value.errno == 40 and "symbolic link" in str(e.value)
    assert not os.path.exists(target)
    full = os.path.join(scratch, "full")
    with open(full, "w") as f:
        f.write("keep")
    with pytest.raises(nsrun.Error) as e:
        ns.persist(full)
    assert e.value.errno == 17
    assert open(full).read() == "keep"
    with pytest.raises(FileNotFoundError):
        ns.persist(os.path.join(scratch, "no", "dir"))
    assert sorted(os.listdir(scratch)) == ["full", "link"]
    assert [m for m in open("/proc/self/mountinfo") if scratch in m] == []


def test_unpersist_bad_targets(scratch):
    plain = os.path.join(scratch, "plain")
    open(plain, "w").close()
    with pytest.raises(nsrun.NotPersistedError) as e:
        nsrun.unpersist(plain)
    assert e.value.errno == 22 and e.value.filename == plain
    assert os.path.exists(plain)
    with pytest.raises(nsrun.NotPersistedError):
        nsrun.unpersist(scratch)
    with pytest.raises(FileNotFoundError):
        nsrun.unpersist(os.path.join(scratch, "missing"))
