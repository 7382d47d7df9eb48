"""Shared fixtures: unique names, scratch dirs, and a leak check around every test.

The leak check sees only what the test owns: mounts, /run/netns entries and scratch
directories whose names carry this process's pid tag (every name a test makes comes from
`unique()` or the `scratch`/`tmp_path` fixtures), mounts under this worker's pytest temp dir,
and this process's own children. Anything else on the host (a user's own netns, another copy
of the suite, pytest-xdist's other workers) is none of its business, so the suite can run
beside other work and under `pytest -n 2`.
"""

import itertools
import os
import shutil
import subprocess
import tempfile
import time

import pytest

pytest_plugins = ["pytester"]

import nsrun

_counter = itertools.count()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "needs_launch_v2: a bad input that core/src/launch refuses since launch v2 (an ordinary test)",
    )

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROOTFS = os.path.join(ROOT, "tests", "fixtures", "rootfs")


def tag() -> str:
    """The part of every name this process creates: `-<pid>-`."""
    return f"-{os.getpid()}-"


def unique(prefix: str = "nsrun-t") -> str:
    """A name no other test (or concurrent run) uses: prefix, pid, counter."""
    return f"{prefix}-{os.getpid()}-{next(_counter)}"


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


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal."""
    return field.encode("utf-8", "surrogateescape").decode("unicode_escape")


_BASETEMP = []  # this worker's pytest temp root, set by the session fixture


def owned_state():
    """What this process's tests own on the host (see the module docstring)."""
    mine = tag()
    roots = tuple(_BASETEMP)
    with open("/proc/self/mountinfo", errors="surrogateescape") as f:
        mounts = sorted(
            " ".join([_unescape(line.split(" ")[4])] + line.split(" ")[5:]).strip()
            for line in f
            if mine in _unescape(line.split(" ")[4]) or (roots and _unescape(line.split(" ")[4]).startswith(roots))
        )
    netns = sorted(n for n in (os.listdir("/run/netns") if os.path.isdir("/run/netns") else []) if mine in n)
    tmp = sorted(n for n in os.listdir(tempfile.gettempdir()) if n.startswith(f"nsrun{mine}"))
    return {"mounts": mounts, "/run/netns": netns, "scratch dirs": tmp, "children": children()}


@pytest.fixture(scope="session", autouse=True)
def _worker_basetemp(tmp_path_factory):
    _BASETEMP[:] = [str(tmp_path_factory.getbasetemp())]
    yield


@pytest.fixture(autouse=True)
def no_leaks():
    """Fails a test that leaves behind a mount, a /run/netns entry, a scratch dir or a child
    process of its own."""
    before = owned_state()
    yield
    after = owned_state()
    deadline = time.monotonic() + 10  # a killed container's processes are reaped by the kernel
    while after != before and time.monotonic() < deadline:
        time.sleep(0.02)
        after = owned_state()
    assert after == before, "the test left something behind on the host"


def rootfs_listing(root: str = ROOTFS) -> list:
    """Every entry of the fixture rootfs: path, type and mode, owner, size, modification time
    (a file written in place changes it) and link target. Empty while it is not built."""
    out = []

    def walk(d: str, rel: str):
        with os.scandir(d) as it:
            for e in it:
                st = e.stat(follow_symlinks=False)
                path = rel + e.name
                out.append((path, st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns,
                            os.readlink(e.path) if e.is_symlink() else ""))
                if e.is_dir(follow_symlinks=False):
                    walk(e.path, path + "/")

    if os.path.isdir(root):
        st = os.lstat(root)
        out.append((".", st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, ""))
        walk(root, "")
    return sorted(out)


def _listing_diff(before: list, after: list) -> str:
    b, a = {e[0]: e for e in before}, {e[0]: e for e in after}
    lines = [f"+ {p}" for p in sorted(a.keys() - b.keys())] + [f"- {p}" for p in sorted(b.keys() - a.keys())]
    lines += [f"~ {p}" for p in sorted(a.keys() & b.keys()) if a[p] != b[p]]
    return "\n".join(lines[:20])


_PRISTINE = []  # the fixture's listing when this worker's session started


@pytest.fixture(scope="session", autouse=True)
def _fixture_rootfs_untouched_by_the_session():
    """The fixture rootfs is shared by every suite and every test (and by the other pytest
    worker): a test that must write into a rootfs or bind onto a path missing from it (nsrun
    creates bind targets inside the rootfs) uses `rootfs_copy`."""
    _PRISTINE[:] = [rootfs_listing()]
    yield
    after = rootfs_listing()
    assert after == _PRISTINE[0], f"the suite changed the fixture rootfs {ROOTFS}:\n{_listing_diff(_PRISTINE[0], after)}"


@pytest.fixture(autouse=True)
def fixture_rootfs_untouched():
    """Fails a test during which the fixture rootfs changed (see above)."""
    before = rootfs_listing()
    yield
    after = rootfs_listing()
    assert after == before, (f"the fixture rootfs {ROOTFS} changed during this test (or a test of the "
                             f"other pytest worker meanwhile); use rootfs_copy:\n{_listing_diff(before, after)}")


def fixture_rootfs() -> str:
    """The busybox router rootfs, built once by `make rootfs` before any suite runs; the
    suites only read it."""
    if not os.path.exists(os.path.join(ROOTFS, ".stamp")):
        pytest.fail(f"{ROOTFS} is missing: run `make rootfs` (tests/fixtures/make_rootfs.sh) first", pytrace=False)
    return ROOTFS


@pytest.fixture(scope="session")
def rootfs():
    return fixture_rootfs()


@pytest.fixture(scope="session")
def nsrun_bin():
    """The nsrun command (`make cli`: the static binary the tests and benchmarks run)."""
    subprocess.run(["make", "-s", "--no-print-directory", "cli"], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "release", "nsrun")


@pytest.fixture
def rootfs_copy(rootfs, tmp_path):
    """A private copy of the rootfs that a test may break."""
    dest = tmp_path / "rootfs"
    subprocess.run(["cp", "-a", rootfs, str(dest)], check=True)
    return dest


@pytest.fixture
def scratch():
    """A private directory; anything persisted in it is unpersisted afterwards."""
    d = tempfile.mkdtemp(prefix=f"nsrun{tag()}")
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


def wait_until(predicate, timeout=20.0, what="condition", detail=None):
    """Polls `predicate` until it is true (returns its value) or fails after `timeout` seconds.
    Tests wait for events, never for a fixed time: the suites must pass on a loaded machine."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f": {detail()}" if detail else ""
            pytest.fail(f"timed out after {timeout}s waiting for {what}{extra}")
        time.sleep(0.01)


def descendants(pid: int) -> list:
    """Every live descendant of `pid` (children of all its threads, recursively)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except FileNotFoundError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except FileNotFoundError:
                continue
            out += kids
            todo += kids
    return out


def boot_ticks() -> float:
    """Now, in clock ticks since boot (the unit of a process's start time in /proc/PID/stat)."""
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) * os.sysconf("SC_CLK_TCK")


def _started(pid: int):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def leftover_namespaces(inos, since: float) -> list:
    """Which of the namespaces `inos` (inode numbers) are still held by a process that ran
    before `since` (see `boot_ticks`) and does not belong to this test run, or by a file.

    The kernel reuses a namespace's inode number as soon as the namespace is freed, so a number
    alone does not name one: a namespace another test (the other pytest worker, another copy of
    the suite) creates a moment later may get the same number. What survived from before
    `since` outside this run's process tree is what a test of "nothing is left" looks for."""
    inos = {str(i) for i in inos}
    root = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
    this_run = set(descendants(root)) | {root}
    left = []
    for info in nsrun.list_namespaces():
        if str(info.id.ino) not in inos:
            continue
        old = [p for p in info.pids if p not in this_run and (_started(p) or since + 1) <= since]
        if old or info.paths:
            left.append((str(info), old, info.paths))
    return left


def cmdline(pid: int) -> list:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode() for a in f.read().split(b"\0")[:-1]]
    except (FileNotFoundError, ProcessLookupError):
        return []


def wait_for_descendant(pid: int, argv: list, timeout: float = 20.0) -> int:
    """Waits until a descendant of `pid` runs `argv`; returns its pid."""
    def find():
        return next((d for d in descendants(pid) if cmdline(d) == argv), None)

    return wait_until(find, timeout, f"{argv} to run under pid {pid}")


def run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout
