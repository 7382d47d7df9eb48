"""Shared fixtures: unique names, scratch dirs, and a leak check around every test."""

import itertools
import os
import shutil
import subprocess
import tempfile

import pytest

import nsrun

_counter = itertools.count()


def unique(prefix: str = "nsrun-t") -> str:
    """A name no other test (or concurrent run) uses: prefix, pid, counter."""
    return f"{prefix}-{os.getpid()}-{next(_counter)}"


def _host_state():
    with open("/proc/self/mountinfo") as f:
        mounts = sorted(
            line.split(" - ")[0].split(" ", 4)[4].split(" ")[0]
            for line in f
            if " - nsfs " in line or "/nsrun-" in line
        )
    netns = sorted(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else []
    tmp = sorted(n for n in os.listdir(tempfile.gettempdir()) if n.startswith("nsrun-"))
    return {"nsfs and scratch mounts": mounts, "/run/netns": netns, "scratch dirs": tmp}


@pytest.fixture(autouse=True)
def no_leaks():
    """Fails a test that leaves a namespace mount, a /run/netns entry or a scratch dir."""
    before = _host_state()
    yield
    assert _host_state() == before, "the test left something behind on the host"


@pytest.fixture
def scratch():
    """A private directory; anything persisted in it is unpersisted afterwards."""
    d = tempfile.mkdtemp(prefix=f"nsrun-{os.getpid()}-")
    yield d
    for name in os.listdir(d):
        p = os.path.join(d, name)
        try:
            nsrun.unpersist(p)
        except OSError:
            pass
        if os.path.lexists(p):
            os.unlink(p)
    shutil.rmtree(d)


@pytest.fixture
def netns_name():
    """A unique netns name; whatever is left under it is deleted afterwards (nsrun or ip)."""
    name = unique("nsrun-t")
    yield name
    path = os.path.join("/run/netns", name)
    if os.path.lexists(path):
        try:
            nsrun.unpersist(path)
        except OSError:
            subprocess.run(["ip", "netns", "delete", name], check=False)
        if os.path.lexists(path):
            os.unlink(path)


def run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout
