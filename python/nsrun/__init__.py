"""nsrun: Linux namespaces done right.

Create, persist, enter, compare and list namespaces of every kind, and manage named network
namespaces compatibly with ``ip netns``::

    import nsrun
    ns = nsrun.Namespace.create(nsrun.Kind.NET)
    ns.persist("/run/netns/lab")
    with ns.enter():          # the calling thread only; restored on exit
        ...
    nsrun.unpersist("/run/netns/lab")
"""

from nsrun import link, netns, sysctl
from nsrun._errors import (
    AlreadyPersistedError,
    Error,
    InvalidArgumentError,
    LaunchError,
    NotANamespaceError,
    NotPersistedError,
    WrongKindError,
)
from nsrun._kind import Kind
from nsrun._lab import Lab, Node
from nsrun._launch import DEVNULL, PIPE, ExecProcess, Process, run, spawn
from nsrun._nsrun import (
    EnterContext,
    Namespace,
    NamespaceInfo,
    NsId,
    __version__,
    list_namespaces,
    same,
    take_restore_failure,
    unpersist,
)

__all__ = [
    "AlreadyPersistedError",
    "DEVNULL",
    "PIPE",
    "ExecProcess",
    "Process",
    "EnterContext",
    "Error",
    "InvalidArgumentError",
    "Kind",
    "Lab",
    "LaunchError",
    "Namespace",
    "NamespaceInfo",
    "Node",
    "NotANamespaceError",
    "NotPersistedError",
    "NsId",
    "WrongKindError",
    "__version__",
    "link",
    "list_namespaces",
    "netns",
    "run",
    "same",
    "spawn",
    "sysctl",
    "take_restore_failure",
    "unpersist",
]
