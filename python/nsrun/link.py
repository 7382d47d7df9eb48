"""Network interfaces across namespaces, without running ``ip``.

Every function takes ``ns``: the network namespace to act in, as a :class:`nsrun.Namespace`,
a path (``/run/netns/lab``, ``/proc/PID/ns/net``), the name of a netns in /run/netns (``"lab"``),
or None for the calling thread's. The calling thread's own namespace never changes.
Errors are OSErrors naming the interface (``ENODEV``: no such interface).
"""

from typing import Any, List, Optional, Union

from nsrun._nsrun import (
    Interface,
    Route,
    link_add_route,
    link_address,
    link_bridge,
    link_delete,
    link_list,
    link_members,
    link_move,
    link_route_change,
    link_routes,
    link_set_master,
    link_set_mtu,
    link_set_state,
    link_veth,
    link_vlan,
)

__all__ = [
    "Interface", "Route", "TABLE_ALL", "TABLE_LOCAL", "TABLE_MAIN", "add_address", "add_route",
    "bridge", "del_address", "del_route", "delete", "list", "members", "move", "replace_route",
    "routes", "set_down", "set_master", "set_mtu", "set_nomaster", "set_up", "veth", "vlan",
]

TABLE_MAIN = 254
TABLE_LOCAL = 255
TABLE_ALL = 0
_TABLES = {"main": TABLE_MAIN, "local": TABLE_LOCAL, "all": TABLE_ALL}


def list(ns: Any = None) -> List[Interface]:  # noqa: A001 - mirrors `ip link list`
    """Interfaces of ``ns``: name, index, kind, mac, mtu, up, addresses ("198.18.0.1/24"),
    master (the bridge it belongs to)."""
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
    """``ip route add DST [via GW] [dev NAME]``; ``dst`` is ``"default"`` or a prefix.

    A route to ``dst`` that exists already raises ``FileExistsError`` naming it:
    "add route: route 198.18.0.0/24 via 198.18.1.1 already exists in netns lab".
    """
    link_add_route(dst, via, dev, ns)


def replace_route(dst: str, via: Optional[str] = None, dev: Optional[str] = None, ns: Any = None) -> None:
    """``ip route replace DST [via GW] [dev NAME]``: adds it, or replaces the route to ``dst``."""
    link_route_change("replace", dst, via, dev, ns)


def del_route(dst: str, via: Optional[str] = None, dev: Optional[str] = None, ns: Any = None) -> None:
    """``ip route del DST [via GW] [dev NAME]``; no such route raises OSError(ESRCH):
    "delete route: no route 198.18.9.0/24 in netns lab"."""
    link_route_change("delete", dst, via, dev, ns)


def routes(ns: Any = None, family: Optional[int] = None, table: Union[int, str] = "main") -> List[Route]:
    """Routes like ``ip route show``: ``family`` 4, 6 or None (both); ``table`` "main",
    "local", "all" or a number. Each has family, table, dst, gateway, dev, protocol, scope,
    type, metric and prefsrc; ``str(route)`` is the ``ip route`` line."""
    if isinstance(table, str):
        if table not in _TABLES:
            raise ValueError(f"routes: table {table!r} is not 'main', 'local', 'all' or a number")
        table = _TABLES[table]
    return link_routes(ns, family or 0, table)


def bridge(name: str, ns: Any = None, mtu: Optional[int] = None, up: bool = True) -> None:
    """``ip link add NAME type bridge`` (up unless ``up=False``, with ``mtu`` if given)."""
    link_bridge(name, ns, mtu, up)


def set_master(name: str, bridge: str, ns: Any = None) -> None:
    """``ip link set NAME master BRIDGE``; both live in ``ns`` (a bridge takes members from its
    own namespace only: an interface elsewhere raises OSError(ENODEV) naming the netns)."""
    link_set_master(name, bridge, ns)


def set_nomaster(name: str, ns: Any = None) -> None:
    """``ip link set NAME nomaster``."""
    link_set_master(name, None, ns)


def members(bridge: str, ns: Any = None) -> List[Interface]:
    """The interfaces attached to ``bridge``, by index."""
    return link_members(bridge, ns)


def vlan(parent: str, vid: int, name: Optional[str] = None, ns: Any = None) -> str:
    """``ip link add link PARENT name NAME type vlan id VID`` in the parent's namespace ``ns``;
    ``name`` defaults to ``PARENT.VID``. Returns the name. ``vid`` is 1 to 4094; a kernel
    without 802.1Q support raises OSError(EOPNOTSUPP) saying so."""
    return link_vlan(parent, vid, name, ns)


def delete(name: str, ns: Any = None) -> None:
    """``ip link delete NAME`` (a veth takes its peer with it)."""
    link_delete(name, ns)
