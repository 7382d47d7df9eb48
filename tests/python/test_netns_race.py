"""Concurrent add / delete / open of one netns name (issue 11 B4, must-hold 3).

Each round uses a fresh name (prefix + pid + counter), starts 4 contenders together, asserts
exactly one winner and exactly one mount on the file (counted in /proc/self/mountinfo), and
deletes the name, also when the round fails.
"""

import contextlib
import errno
import multiprocessing
import os
import subprocess
import threading

import pytest

import nsrun

from conftest import unique
from test_cli import cli

ROUNDS = 1000
CONTENDERS = 4


def mounts_at(path):
    with open("/proc/self/mountinfo") as f:
        return sum(1 for line in f if line.split(" ")[4] == path)


@contextlib.contextmanager
def round_name(prefix):
    """A fresh name, deleted afterwards whatever the round did."""
    name = unique(prefix)
    path = nsrun.netns.path(name)
    try:
        yield name, str(path)
    finally:
        for _ in range(8):
            if not os.path.lexists(path):
                break
            with contextlib.suppress(OSError):
                nsrun.netns.delete(name)
            with contextlib.suppress(OSError):
                os.unlink(path)
        assert not os.path.lexists(path)
        assert mounts_at(str(path)) == 0


def outcome(fn, name, path):
    try:
        fn(name)
        return "ok"
    except nsrun.AlreadyPersistedError as e:
        assert e.errno == errno.EEXIST and e.filename == path, repr(e)
        return "exists"
    except FileNotFoundError as e:
        assert e.filename == path, repr(e)
        return "enoent"
    except Exception as e:  # noqa: BLE001 (the assertion names it)
        return f"error: {e!r}"


def threads_round(ops, name, path):
    barrier = threading.Barrier(len(ops))
    out = [None] * len(ops)

    def run(i, fn):
        barrier.wait()
        out[i] = outcome(fn, name, path)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(ops)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def check_one_winner(out, path):
    assert sorted(out) == ["exists"] * (CONTENDERS - 1) + ["ok"], out
    assert mounts_at(path) == 1, out
    assert nsrun.netns.open(os.path.basename(path)).kind == nsrun.Kind.NET


def test_concurrent_adds_from_threads():
    for _ in range(ROUNDS):
        with round_name("nsrun-race-t") as (name, path):
            check_one_winner(threads_round([nsrun.netns.add] * CONTENDERS, name, path), path)


def test_concurrent_add_delete_open_from_threads():
    """Racing an add, delete and open give the namespace or FileNotFoundError, never
    'not a namespace file' or EBUSY; never two mounts."""
    ops = [nsrun.netns.add, nsrun.netns.add, nsrun.netns.delete, nsrun.netns.open]
    for _ in range(ROUNDS):
        with round_name("nsrun-race-m") as (name, path):
            out = threads_round(ops, name, path)
            assert out[0] in ("ok", "exists") and out[1] in ("ok", "exists"), out
            assert out[2] in ("ok", "enoent") and out[3] in ("ok", "enoent"), out
            assert mounts_at(path) <= 1, out


def _process_contender(names, start, done, results, idx):
    for name in names:
        path = str(nsrun.netns.path(name))
        start.wait()
        results.put((idx, outcome(nsrun.netns.add, name, path)))
        done.wait()


def test_concurrent_adds_from_processes():
    ctx = multiprocessing.get_context("fork")
    names = [unique("nsrun-race-p") for _ in range(ROUNDS)]
    start, done = ctx.Barrier(CONTENDERS + 1), ctx.Barrier(CONTENDERS + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=_process_contender, args=(names, start, done, results, i)) for i in range(CONTENDERS)]
    for p in procs:
        p.start()
    try:
        for name in names:
            path = str(nsrun.netns.path(name))
            try:
                start.wait(timeout=30)
                out = [results.get(timeout=30)[1] for _ in range(CONTENDERS)]
                check_one_winner(out, path)
            finally:
                with contextlib.suppress(OSError):
                    nsrun.netns.delete(name)
                assert mounts_at(path) == 0 and not os.path.lexists(path)
            done.wait(timeout=30)
    finally:
        for b in (start, done):
            b.abort()
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
                p.join()
        for name in names:
            with contextlib.suppress(OSError):
                nsrun.netns.delete(name)


def test_concurrent_cli_adds(nsrun_bin):  # noqa: F811 (fixture)
    """The CLI: one exits 0, the others 125 with the 'already holds' message."""
    for _ in range(100):
        with round_name("nsrun-race-c") as (name, path):
            procs = [subprocess.Popen([nsrun_bin, "netns", "add", name], stderr=subprocess.PIPE, text=True)
                     for _ in range(CONTENDERS)]
            res = [(p.wait(timeout=30), p.stderr.read()) for p in procs]
            for p in procs:
                p.stderr.close()
            codes = sorted(c for c, _ in res)
            assert codes == [0] + [125] * (CONTENDERS - 1), res
            assert all("already holds net:[" in err for c, err in res if c == 125), res
            assert mounts_at(path) == 1


@pytest.mark.parametrize("deleter", ["ip", "nsrun"])
def test_concurrent_adds_with_ip(deleter):
    """`ip netns add` and nsrun racing for one name: one namespace, one mount; ip's loser says
    'File exists', nsrun's raises AlreadyPersistedError."""
    for _ in range(100):
        with round_name("nsrun-race-ip") as (name, path):
            barrier = threading.Barrier(2)
            ip_out = {}

            def ip():
                barrier.wait()
                r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
                ip_out["r"] = r

            t = threading.Thread(target=ip)
            t.start()
            barrier.wait()
            ours = outcome(nsrun.netns.add, name, path)
            t.join()
            r = ip_out["r"]
            assert (ours, r.returncode) in (("ok", 1), ("exists", 0)), (ours, r)
            if r.returncode:
                assert "File exists" in r.stderr, r.stderr
            assert mounts_at(path) == 1
            if deleter == "ip":
                subprocess.run(["ip", "netns", "del", name], check=True)
            else:
                nsrun.netns.delete(name)
            assert mounts_at(path) == 0 and not os.path.lexists(path)
