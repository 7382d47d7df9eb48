"""pytest fixtures for router test suites (registered as the ``nsrun`` pytest plugin).

- ``nsrun_netns``: a fresh named network namespace (``.name``, ``.ns``, ``.path``), deleted after.
- ``nsrun_veth``: a factory ``nsrun_veth(ns_a, ns_b)`` -> (name_a, name_b), a veth pair between two
  namespaces (either may be None: the test's own), removed after.
- ``nsrun_boot``: a factory ``nsrun_boot(rootfs, cmd=None, **spawn_options)`` -> Process, a rootfs
  booted with /etc/rcS (when it has one), stopped (shutdown script, SIGTERM, SIGKILL) after.
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
