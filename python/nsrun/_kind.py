"""Namespace kinds. The flag table comes from the native module (core's ``Kind`` is its only
source); the member names are the Python API (``Kind.MNT`` … ``Kind.TIME``) and are checked
against that table on import."""

import enum

from nsrun._nsrun import _kind_table


class Kind(str, enum.Enum):
    """A kind of Linux namespace, named like its ``/proc/PID/ns`` entry.

    ``Kind("net")`` and ``Kind.NET`` are the same; every function taking a kind also accepts the
    plain string. :attr:`flag` is the kernel's ``CLONE_NEW*`` value.
    """

    MNT = "mnt"
    UTS = "uts"
    IPC = "ipc"
    NET = "net"
    PID = "pid"
    USER = "user"
    CGROUP = "cgroup"
    TIME = "time"

    @property
    def flag(self) -> int:
        """The ``CLONE_NEW*`` value (what ``setns(2)`` takes as nstype)."""
        return _FLAGS[self]

    def __str__(self) -> str:
        return self.value


_FLAGS = {Kind(name): flag for name, flag in _kind_table()}

if set(_FLAGS) != set(Kind):  # pragma: no cover - a build of mismatched halves
    raise ImportError(f"nsrun._kind is out of step with the native module: {sorted(_FLAGS)}")
