"""Issue 11 B9: a run/spawn that fails on any path leaves the caller's fd count where it was
(and, through the autouse leak check, no process, mount or netns behind)."""

import os

import pytest

import nsrun
from nsrun import _launch as L

SH = "/bin/sh"


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def flat_fds(rootfs):
    """Asserts the fd count is the same after the test as before (after a warm-up launch, so
    the launcher's long-lived helpers are already there)."""
    nsrun.run(["/bin/true"], rootfs=rootfs, capture_output=True, timeout=20)
    before = fd_count()
    yield
    assert fd_count() == before, os.listdir("/proc/self/fd")


def test_hundred_runs_with_a_bogus_encoding_keep_fds_flat(rootfs, flat_fds):
    for _ in range(100):
        with pytest.raises(LookupError, match="bogus"):
            nsrun.run(["/bin/true"], rootfs=rootfs, capture_output=True, encoding="bogus")


def test_bogus_errors_handler_is_refused_before_anything_starts(rootfs, flat_fds):
    for _ in range(20):
        with pytest.raises(LookupError, match="bogus"):
            nsrun.spawn(["/bin/true"], rootfs=rootfs, stdout=nsrun.PIPE, errors="bogus")


BAD_OPTIONS = {
    "uid=-1": dict(uid=-1),
    "gid=2**40": dict(gid=2**40),
    "uid_map bad": dict(uid_map=[(0, 0)]),
    "stdin=-7": dict(stdin=-7),
    "stdout closed fd": dict(stdout=999),
    "pass_fds=[1]": dict(pass_fds=[1]),
    "pass_fds=[-1]": dict(pass_fds=[-1]),
    "namespace=42": dict(namespaces={"net": 42}),
    "namespace missing path": dict(namespaces={"net": "/nonexistent/ns"}),
    "mount arity": dict(mounts=[("/tmp",)]),
    "mount ..": dict(mounts=[("/tmp", "/../x")]),
    "shutdown without init": dict(shutdown=["/bin/true"], init=False),
    "hostname without uts": dict(hostname="x", namespaces={"uts": None}),
    "rootfs NUL": dict(rootfs="/tmp/a\0b"),
    "cwd type": dict(cwd=1.5),
}


@pytest.mark.parametrize("options", BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
def test_bad_options_with_every_stream_piped_keep_fds_flat(rootfs, flat_fds, options):
    kw = dict(stdin=nsrun.PIPE, stdout=nsrun.PIPE, stderr=nsrun.PIPE)
    kw.update(options)
    kw.setdefault("rootfs", rootfs)
    for _ in range(10):
        with pytest.raises((OSError, TypeError, ValueError)):
            nsrun.spawn(["/bin/true"], text=True, **kw)


LAUNCH_ERRORS = {
    "program not found": dict(argv=["/no/such/prog"]),
    "not executable": dict(argv=["/etc/hostname"]),
    "boot fails": dict(boot=[SH, "-c", "exit 3"]),
    "missing rootfs": dict(rootfs="/nonexistent-nsrun-rootfs"),
    "missing bind source": dict(mounts=[("/nonexistent-nsrun-src", "/root")]),
}


@pytest.mark.parametrize("case", LAUNCH_ERRORS.values(), ids=LAUNCH_ERRORS.keys())
def test_launch_errors_with_captured_output_keep_fds_flat(rootfs, flat_fds, case):
    case = dict(case)
    argv = case.pop("argv", ["/bin/true"])
    case.setdefault("rootfs", rootfs)
    for _ in range(10):
        with pytest.raises(OSError):
            nsrun.run(argv, capture_output=True, input=b"x", timeout=20, **case)


def test_a_failure_inside_process_construction_closes_pipes_and_reaps(rootfs, flat_fds, monkeypatch):
    calls = []
    real_open = L.Process._open

    def failing_open(self, fd, mode, encoding, errors):
        calls.append(fd)
        if len(calls) % 3 == 2:  # stdin wrapped, stdout fails, stderr never opened
            raise RuntimeError("injected")
        return real_open(self, fd, mode, encoding, errors)

    monkeypatch.setattr(L.Process, "_open", failing_open)
    for _ in range(10):
        with pytest.raises(RuntimeError, match="injected"):
            nsrun.spawn([SH, "-c", "sleep 30"], rootfs=rootfs, stdin=nsrun.PIPE, stdout=nsrun.PIPE,
                        stderr=nsrun.PIPE)
    # The leak check (conftest.no_leaks) also sees that every program was reaped.

