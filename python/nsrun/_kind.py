"""Namespace kinds."""

import enum


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


_FLAGS = {
    Kind.MNT: 0x00020000,
    Kind.UTS: 0x04000000,
    Kind.IPC: 0x08000000,
    Kind.NET: 0x40000000,
    Kind.PID: 0x20000000,
    Kind.USER: 0x10000000,
    Kind.CGROUP: 0x02000000,
    Kind.TIME: 0x00000080,
}
