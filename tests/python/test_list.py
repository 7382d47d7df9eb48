"""list_namespaces: like lsns, plus namespaces held only by a persisted file."""

import os
import subprocess

import nsrun
from nsrun import Kind, Namespace

from conftest import wait_until


def test_finds_namespace_held_only_by_a_file(scratch):
    path = os.path.join(scratch, "held")
    ns = Namespace.create("net")
    ns.persist(path)
    ino = ns.id.ino
    ns.close()
    found = [i for i in nsrun.list_namespaces("net") if i.id.ino == ino]
    assert len(found) == 1
    info = found[0]
    assert info.kind is Kind.NET and info.paths == [path] and info.pids == []
    assert str(info) == f"net:[{ino}]"
    nsrun.unpersist(path)
    assert not [i for i in nsrun.list_namespaces("net") if i.id.ino == ino]


def test_finds_namespace_held_only_by_a_process():
    child = subprocess.Popen(["unshare", "--ipc", "sleep", "30"])
    try:
        mine = Namespace.current("ipc")
        def unshared():
            theirs = Namespace.of_pid(child.pid, "ipc")
            return theirs != mine and os.readlink(f"/proc/{child.pid}/exe").endswith("sleep") and theirs

        theirs = wait_until(unshared, what="unshare to exec sleep")
        infos = nsrun.list_namespaces(Kind.IPC)
        assert all(i.kind is Kind.IPC for i in infos)
        match = [i for i in infos if i.id == theirs.id]
        assert len(match) == 1 and match[0].pids == [child.pid] and match[0].paths == []
        mine_info = [i for i in infos if i.id == mine.id][0]
        assert os.getpid() in mine_info.pids
    finally:
        child.kill()
        child.wait()


def test_lists_every_kind_of_this_process():
    infos = nsrun.list_namespaces()
    me = os.getpid()
    kinds = {i.kind for i in infos if me in i.pids}
    assert kinds == set(Kind)
