"""Network plumbing without `ip` (issue 4). Traffic only between namespaces the tests create,
on 198.18.0.0/15 (RFC 2544, benchmarking) addresses."""

import os
import socket
import threading

import pytest

import nsrun
from nsrun import Namespace

from conftest import unique


def vname(tag):
    """A unique interface name (<= 15 bytes)."""
    return f"nt{os.getpid() % 100000}{tag}"


def names(ns=None):
    return [i.name for i in nsrun.link.list(ns)]


def host_net_state():
    """The host's forwarding switch, and the host interfaces this process could have made
    (their names carry its pid): other interfaces on the host are not this test's business."""
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        fwd = f.read()
    mine = str(os.getpid() % 100000)
    return [(i.name, i.up, i.mtu, tuple(i.addresses)) for i in nsrun.link.list() if mine in i.name], fwd


@pytest.fixture
def net0():
    name = unique("net0")
    ns = nsrun.netns.add(name)
    yield name, ns
    if os.path.exists(f"/run/netns/{name}"):
        nsrun.netns.delete(name)


def test_list_interfaces():
    ifaces = nsrun.link.list()
    lo = [i for i in ifaces if i.name == "lo"][0]
    assert lo.index == 1 and lo.up and "127.0.0.1/8" in lo.addresses
    assert "Interface(name='lo'" in repr(lo)
    fresh = Namespace.create("net")
    only = nsrun.link.list(fresh)
    assert [(i.name, i.up, i.addresses) for i in only] == [("lo", False, [])]


def test_seed_scenario_without_a_shell(rootfs, net0):
    """ip netns add net0; veth on the host; one end into net0 as eth1, the other into a second
    namespace; boot the rootfs joined to net0; ping eth1 from the second namespace."""
    before = host_net_state()
    name0, ns0 = net0
    peer = Namespace.create("net")
    a, b = vname("a"), vname("b")
    nsrun.link.veth(a, b)
    assert {a, b} <= set(names())
    nsrun.link.move(a, name0, new_name="eth1")
    nsrun.link.move(b, peer)
    assert a not in names() and b not in names()  # the host no longer lists either end
    nsrun.link.add_address("eth1", "198.18.0.1/24", ns=name0)
    nsrun.link.set_up("eth1", ns=name0)
    nsrun.link.set_up("lo", ns=name0)
    nsrun.link.add_address(b, "198.18.0.2/24", ns=peer)
    nsrun.link.set_up(b, ns=peer)

    r = nsrun.run(["/bin/sh", "-c", "ip -o addr show eth1; echo ---; ls /sys/class/net"], rootfs=rootfs,
                  namespaces={"net": f"/run/netns/{name0}"}, capture_output=True, text=True, check=True, timeout=20)
    assert "198.18.0.1/24" in r.stdout
    assert r.stdout.split("---")[1].split() == ["eth1", "lo"]
    r = nsrun.run(["ping", "-c", "1", "-W", "3", "198.18.0.1"], rootfs=rootfs, namespaces={"net": peer},
                  capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 packets received" in r.stdout
    nsrun.netns.delete(name0)
    assert not os.path.exists(f"/run/netns/{name0}")
    assert host_net_state() == before


def test_three_namespace_topology_routes_through_the_middle(rootfs):
    """A -- B -- C built from Python only; A reaches C through B (ip_forward only in B)."""
    before = host_net_state()
    A, B, C = (Namespace.create("net") for _ in range(3))
    ab, ba, bc, cb = vname("ab"), vname("ba"), vname("bc"), vname("cb")
    nsrun.link.veth(ab, ba, ns=A, peer_ns=B)
    nsrun.link.veth(bc, cb, ns=B, peer_ns=C)
    for ns, dev, cidr in [(A, ab, "198.18.1.1/24"), (B, ba, "198.18.1.2/24"),
                          (B, bc, "198.18.2.1/24"), (C, cb, "198.18.2.2/24")]:
        nsrun.link.add_address(dev, cidr, ns=ns)
        nsrun.link.set_up(dev, ns=ns)
        nsrun.link.set_up("lo", ns=ns)
    nsrun.link.add_route("default", via="198.18.1.2", ns=A)
    nsrun.link.add_route("default", via="198.18.2.1", ns=C)
    with B.enter():  # /proc/sys/net follows the opener's network namespace
        with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
            f.write("1")
    with C.enter():
        server = socket.create_server(("198.18.2.2", 0))
    port = server.getsockname()[1]
    accepted = []
    t = threading.Thread(target=lambda: accepted.append(server.accept()))
    t.start()
    with A.enter():
        client = socket.create_connection(("198.18.2.2", port), timeout=5)
    t.join(5)
    conn, peer_addr = accepted[0]
    assert peer_addr[0] == "198.18.1.1"  # routed, not NATed
    client.sendall(b"via B")
    assert conn.recv(16) == b"via B"
    for s in (client, conn, server):
        s.close()
    r = nsrun.run(["ping", "-c", "1", "-W", "3", "198.18.2.2"], rootfs=rootfs, namespaces={"net": A},
                  capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stdout
    with A.enter():
        assert open("/proc/sys/net/ipv4/ip_forward").read() == "0\n"
    assert host_net_state() == before


def test_ipv6_addresses_and_routes():
    a, b = Namespace.create("net"), Namespace.create("net")
    x, y = vname("x6"), vname("y6")
    nsrun.link.veth(x, y, ns=a, peer_ns=b)
    nsrun.link.add_address(x, "fd00:198:18::1/64", ns=a)
    nsrun.link.set_up(x, ns=a)
    nsrun.link.set_mtu(x, 1400, ns=a)
    nsrun.link.add_route("fd00:198:19::/64", via="fd00:198:18::2", ns=a)
    iface = [i for i in nsrun.link.list(a) if i.name == x][0]
    assert "fd00:198:18::1/64" in iface.addresses and iface.mtu == 1400 and iface.kind == "veth"
    nsrun.link.del_address(x, "fd00:198:18::1/64", ns=a)
    assert "fd00:198:18::1/64" not in [i for i in nsrun.link.list(a) if i.name == x][0].addresses
    nsrun.link.set_down(x, ns=a)
    nsrun.link.delete(x, ns=a)
    assert names(b) == ["lo"]  # the peer went with it


def test_bad_input_is_a_clear_error_and_changes_nothing():
    before = host_net_state()
    target = Namespace.create("net")
    me = Namespace.current("net")
    x, y = vname("bx"), vname("by")
    nsrun.link.veth(x, y, ns=target)
    cases = [
        (lambda: nsrun.link.set_up("nosuch0", ns=target), OSError, 19, "nosuch0"),
        (lambda: nsrun.link.move("nosuch0", me, from_ns=target), OSError, 19, "no such interface"),
        (lambda: nsrun.link.veth("a" * 16, "b", ns=target), nsrun.InvalidArgumentError, 22, "longer than 15"),
        (lambda: nsrun.link.add_address(x, "198.18.0.300/24", ns=target), nsrun.InvalidArgumentError, 22, "198.18.0.300/24"),
        (lambda: nsrun.link.add_address(x, "198.18.0.1", ns=target), nsrun.InvalidArgumentError, 22, "prefix length"),
        (lambda: nsrun.link.add_route("198.18.5.0/24", via="fd00::1", ns=target), nsrun.InvalidArgumentError, 22, "address family"),
        (lambda: nsrun.link.move("lo", me, from_ns=target), nsrun.InvalidArgumentError, 22, "loopback"),
        (lambda: nsrun.link.move(x, Namespace.create("uts"), from_ns=target), nsrun.WrongKindError, 22, "not net"),
        (lambda: nsrun.link.list(Namespace.create("uts")), nsrun.WrongKindError, 22, "not net"),
        (lambda: nsrun.link.veth(x, "zz", ns=target), OSError, 17, x),
    ]
    for call, cls, errno, text in cases:
        with pytest.raises(cls) as e:
            call()
        assert e.value.errno == errno, (text, e.value)
        assert text in str(e.value), (text, str(e.value))
        assert Namespace.current("net") == me  # even on failure, the thread stayed home
    assert sorted(names(target)) == sorted(["lo", x, y])
    assert [i.addresses for i in nsrun.link.list(target) if i.name == x] == [[]]
    assert host_net_state() == before
