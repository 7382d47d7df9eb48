"""pytest fixtures for router test suites (registered as the ``nsrun`` pytest plugin).

- ``nsrun_netns``: a fresh named network namespace (``.name``, ``.ns``, ``.path``), deleted after.
- ``nsrun_veth``: a factory ``nsrun_veth(ns_a, ns_b)`` -> (name_a, name_b), a veth pair between two
  namespaces (either may be None: the test's own), removed after.
- ``nsrun_boot``: a factory ``nsrun_boot(rootfs, cmd=None, **spawn_options)`` -> Process, a rootfs
  booted with /etc/rcS (when it has one), stopped (shutdown script, SIGTERM, SIGKILL) after.
- ``nsrun_lab``: a factory ``nsrun_lab(topology, name=None)`` -> a running :class:`nsrun.Lab`,
  from a dict or a topology file (TOML), taken down after the test. When the test fails, each
  node's addresses, routes and captured daemon output are attached to the report.
"""

import itertools
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List, Optional, Tuple

import pytest

import nsrun
from nsrun import _nsrun

_seq = itertools.count()


def _unique(prefix: str) -> str:
    return f"{prefix}{os.getpid() % 100000}x{next(_seq)}"


@dataclass
class NamedNetns:
    name: str
    ns: nsrun.Namespace

    @property
    def path(self) -> str:
        return nsrun.netns.path(self.name)


@pytest.fixture
def nsrun_netns() -> Iterator[NamedNetns]:
    name = _unique("pt-net")
    handle = NamedNetns(name, nsrun.netns.add(name))
    try:
        yield handle
    finally:
        handle.ns.close()
        if os.path.lexists(handle.path):
            nsrun.netns.delete(name)


@pytest.fixture
def nsrun_veth() -> Iterator[Callable[..., Tuple[str, str]]]:
    made: List[Tuple[str, Any]] = []

    def make(ns_a: Any = None, ns_b: Any = None) -> Tuple[str, str]:
        a, b = _unique("pv"), _unique("pv")
        nsrun.link.veth(a, b, ns=ns_a, peer_ns=ns_b)
        made.append((a, ns_a))
        return a, b

    yield make
    for name, ns in made:
        try:
            nsrun.link.delete(name, ns=ns)
        except OSError:
            pass  # already gone with its namespace


@pytest.fixture
def nsrun_boot() -> Iterator[Callable[..., nsrun.Process]]:
    booted: List[nsrun.Process] = []

    def boot(rootfs: str, cmd: Optional[List[str]] = None, **options: Any) -> nsrun.Process:
        rcs = _nsrun.rcs_commands(rootfs)  # core's rcS convention, when the rootfs has /etc/rcS
        if rcs is not None:
            options.setdefault("boot", rcs[0])
            options.setdefault("shutdown", rcs[1])
        p = nsrun.spawn(cmd or ["/bin/sh", "-c", "while :; do sleep 1; done"], rootfs=rootfs, **options)
        booted.append(p)
        return p

    yield boot
    for p in booted:
        if p.returncode is None:
            p.stop(timeout=5)


@pytest.fixture
def nsrun_lab(request) -> Iterator[Callable[..., nsrun.Lab]]:
    labs: List[nsrun.Lab] = []
    request.node._nsrun_labs = labs

    def make(topology: Any, name: Optional[str] = None) -> nsrun.Lab:
        name = name or _unique("lab")
        if isinstance(topology, (str, bytes, os.PathLike)):
            lab = nsrun.Lab.from_file(os.fsdecode(topology), name=name)
        else:
            lab = nsrun.Lab(topology, name=name)
        lab.up()
        labs.append(lab)
        return lab

    try:
        yield make
    finally:
        for lab in labs:
            lab.down()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed test, attach every running lab's diagnostics (addresses, routes, output)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for lab in getattr(item, "_nsrun_labs", ()):
            if lab.running:
                try:
                    text = lab.diagnostics()
                except Exception as e:  # the report must not fail because a lab is broken
                    text = f"(diagnostics failed: {e})"
                report.sections.append((f"nsrun lab {lab.name}", text))
