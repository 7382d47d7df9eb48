"""Network interfaces across namespaces, without running ``ip``.

Every function takes ``ns``: the network namespace to act in, as a :class:`nsrun.Namespace`,
a path (``/run/netns/lab``, ``/proc/PID/ns/net``), the name of a netns in /run/netns (``"lab"``),
or None for the calling thread's. The calling thread's own namespace never changes.
Errors are OSErrors naming the interface (``ENODEV``: no such interface).
"""

from typing import Any, List, Optional

from nsrun._nsrun import (
    Interface,
    link_add_route,
    link_address,
    link_delete,
    link_list,
    link_move,
    link_set_mtu,
    link_set_state,
    link_veth,
)

__all__ = [
    "Interface", "add_address", "add_route", "del_address", "delete", "list", "move",
    "set_down", "set_mtu", "set_up", "veth",
]


def list(ns: Any = None) -> List[Interface]:  # noqa: A001 - mirrors `ip link list`
    """Interfaces of ``ns``: name, index, kind, mac, mtu, up, addresses ("198.18.0.1/24")."""
    return link_list(ns)


def move(name: str, ns: Any, new_name: Optional[str] = None, from_ns: Any = None) -> None:
    """Moves ``name`` (in ``from_ns``) into namespace ``ns``, renamed to ``new_name`` if given."""
    link_move(name, ns, new_name, from_ns)


def veth(name: str, peer: str, ns: Any = None, peer_ns: Any = None) -> None:
    """Creates a veth pair: ``name`` in ``ns``, ``peer`` in ``peer_ns``."""
    link_veth(name, peer, ns, peer_ns)


def set_up(name: str, ns: Any = None) -> None:
    link_set_state(name, True, ns)


def set_down(name: str, ns: Any = None) -> None:
    link_set_state(name, False, ns)


def set_mtu(name: str, mtu: int, ns: Any = None) -> None:
    link_set_mtu(name, mtu, ns)


def add_address(name: str, cidr: str, ns: Any = None) -> None:
    """``ip addr add CIDR dev NAME``, e.g. ``add_address("eth1", "198.18.0.1/24", ns=lab)``."""
    link_address(name, cidr, True, ns)


def del_address(name: str, cidr: str, ns: Any = None) -> None:
    link_address(name, cidr, False, ns)


def add_route(dst: str, via: Optional[str] = None, dev: Optional[str] = None, ns: Any = None) -> None:
    """``ip route add DST [via GW] [dev NAME]``; ``dst`` is ``"default"`` or a CIDR."""
    link_add_route(dst, via, dev, ns)


def delete(name: str, ns: Any = None) -> None:
    """``ip link delete NAME`` (a veth takes its peer with it)."""
    link_delete(name, ns)
