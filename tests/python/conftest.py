"""Shared fixtures: unique names, scratch dirs, and a leak check around every test."""

import itertools
import os
import shutil
import subprocess
import tempfile
import time

import pytest

import nsrun

_counter = itertools.count()


def unique(prefix: str = "nsrun-t") -> str:
    """A name no other test (or concurrent run) uses: prefix, pid, counter."""
    return f"{prefix}-{os.getpid()}-{next(_counter)}"


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def children():
    """Our live and zombie child processes."""
    me = os.getpid()
    kids = []
    for tid in os.listdir(f"/proc/{me}/task"):
        try:
            with open(f"/proc/{me}/task/{tid}/children") as f:
                kids += [int(p) for p in f.read().split()]
        except FileNotFoundError:
            pass
    return sorted(kids)


def _host_state():
    with open("/proc/self/mountinfo") as f:
        # Mount ids change when something is remounted; compare what is mounted where.
        mounts = sorted(" ".join(line.split(" ")[2:]) for line in f)
    netns = sorted(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else []
    tmp = sorted(n for n in os.listdir(tempfile.gettempdir()) if n.startswith("nsrun-"))
    return {"mounts": mounts, "/run/netns": netns, "scratch dirs": tmp, "children": children()}


@pytest.fixture(autouse=True)
def no_leaks():
    """Fails a test that leaves a mount, a /run/netns entry, a scratch dir or a child process
    (tests run one at a time, so the whole host mount table must be as before)."""
    before = _host_state()
    yield
    after = _host_state()
    for _ in range(50):  # a killed container's processes take a moment to be reaped by the kernel
        if after == before:
            break
        time.sleep(0.05)
        after = _host_state()
    assert after == before, "the test left something behind on the host"


@pytest.fixture(scope="session")
def rootfs():
    """The busybox router rootfs (tests/fixtures/make_rootfs.sh), built once per session."""
    path = os.path.join(ROOT, "tests", "fixtures", "rootfs")
    script = os.path.join(ROOT, "tests", "fixtures", "make_rootfs.sh")
    if not os.path.exists(os.path.join(path, "etc", "rcS")) or os.path.getmtime(script) > os.path.getmtime(path):
        subprocess.run([script, path], check=True)
    return path


@pytest.fixture
def rootfs_copy(rootfs, tmp_path):
    """A private copy of the rootfs that a test may break."""
    dest = tmp_path / "rootfs"
    subprocess.run(["cp", "-a", rootfs, str(dest)], check=True)
    return dest


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
