"""Named network namespaces in /run/netns, interoperable both ways with ``ip netns``."""

from typing import List

from nsrun._nsrun import (
    NETNS_RUN_DIR,
    Namespace,
    netns_add,
    netns_delete,
    netns_list,
    netns_open,
    netns_path,
)

__all__ = ["RUN_DIR", "add", "delete", "list", "open", "path"]

RUN_DIR: str = NETNS_RUN_DIR


def add(name: str) -> Namespace:
    """``ip netns add NAME``: a new network namespace persisted as /run/netns/NAME.

    Raises AlreadyPersistedError if NAME already holds one (nothing changes then).
    """
    return netns_add(name)


def open(name: str) -> Namespace:  # noqa: A001 - mirrors Namespace.open
    """Opens /run/netns/NAME, made by nsrun or by ``ip netns add``."""
    return netns_open(name)


def delete(name: str) -> None:
    """``ip netns delete NAME``; also removes mounts other tools stacked on the file."""
    netns_delete(name)


def list() -> List[str]:  # noqa: A001 - mirrors ip netns list
    """Names in /run/netns that hold a network namespace, sorted."""
    return netns_list()


def path(name: str) -> str:
    """The file of netns NAME (after checking the name)."""
    return str(netns_path(name))
