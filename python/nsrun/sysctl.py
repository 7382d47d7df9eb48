"""Kernel parameters per network namespace, like ``ip netns exec NS sysctl``.

``ns`` is a :class:`nsrun.Namespace`, a netns name (``"lab"``), a path, or None for the calling
thread's network namespace. Only ``net.*`` keys belong to a network namespace; any other key is
refused (it would read or change the host's) unless ``host=True`` is passed with ``ns=None``.
Keys are dotted (``net.ipv4.ip_forward``; ``net.ipv4.conf.eth1/100.forwarding`` for a name with
a dot, as sysctl(8) writes it) or paths (``net/ipv4/ip_forward``). The calling thread enters
the namespace only for the call; the host's values are untouched.
"""

from typing import Any, Union

from nsrun._nsrun import sysctl_get, sysctl_set

__all__ = ["get", "set"]


def get(ns: Any, key: str, *, host: bool = False) -> str:
    """The value of ``key`` in ``ns``, as text without its newline (``"1"``)."""
    return sysctl_get(ns, key, host)


def set(ns: Any, key: str, value: Union[int, str, bool], *, host: bool = False) -> None:  # noqa: A001
    """``sysctl -w KEY=VALUE`` in ``ns``: ``set("lab", "net.ipv4.ip_forward", 1)``."""
    if isinstance(value, bool):
        value = int(value)
    sysctl_set(ns, key, str(value), host)
