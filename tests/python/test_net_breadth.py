"""Routes, bridges, VLANs and per-namespace sysctls (issue 12, "Networking breadth").

Everything happens in network namespaces the tests create: traffic only between them, addresses
only in 198.18.0.0/15 and fd00::/8, and every test checks that nothing appeared in the host's
network namespace and that the host's forwarding switch is unchanged."""

import errno
import json
import os
import re
import subprocess

import pytest

import nsrun
from nsrun import Namespace

from conftest import unique


@pytest.fixture(autouse=True)
def host_untouched():
    """No interface appears on the host, and its ip_forward stays what it was. The seed
    scenario of test_link.py makes a veth on the host for a moment, named after its worker's
    pid (`nt<pid>...`): another worker's is not this test's doing."""
    def host():
        others = re.compile(rf"nt(?!{os.getpid() % 100000}\D)\d")
        names = {i.name for i in nsrun.link.list() if not others.match(i.name)}
        return names, nsrun.sysctl.get(None, "net.ipv4.ip_forward")

    before = host()
    yield
    assert host() == before


@pytest.fixture
def lab():
    """A named netns (/run/netns/NAME), deleted after the test."""
    made = []

    def make(tag="lab"):
        name = unique(f"nsrun-nb-{tag}")
        ns = nsrun.netns.add(name)
        made.append(name)
        return name, ns

    yield make
    for name in made:
        if os.path.exists(f"/run/netns/{name}"):
            nsrun.netns.delete(name)
        assert not os.path.exists(f"/run/netns/{name}")


def ifnames(ns):
    return [i.name for i in nsrun.link.list(ns)]


def ping(rootfs, ns, addr, wait=3):
    r = nsrun.run(["ping", "-c", "1", "-W", str(wait), addr], rootfs=rootfs, namespaces={"net": ns},
                  capture_output=True, text=True, timeout=20)
    return r.returncode == 0 and "1 packets received" in r.stdout, r.stdout + r.stderr


def wired(ns):
    """A veth pair inside `ns`, a0 addressed in both families, both ends up."""
    nsrun.link.veth("a0", "a1", ns=ns, peer_ns=ns)
    nsrun.link.add_address("a0", "198.18.1.2/24", ns=ns)
    nsrun.link.add_address("a0", "fd00:1::2/64", ns=ns)
    nsrun.link.set_up("a0", ns=ns)
    nsrun.link.set_up("a1", ns=ns)


def test_routes_add_list_replace_delete_both_families(lab):
    name, ns = lab()
    wired(name)
    nsrun.link.add_route("198.18.0.0/24", via="198.18.1.1", ns=name)
    nsrun.link.add_route("fd00:9::/64", via="fd00:1::1", dev="a0", ns=ns)
    routes = nsrun.link.routes(name)
    r4 = next(r for r in routes if r.dst == "198.18.0.0/24")
    assert (r4.family, r4.table, r4.gateway, r4.dev, r4.protocol, r4.scope, r4.type) == (
        4, nsrun.link.TABLE_MAIN, "198.18.1.1", "a0", "boot", "global", "unicast")
    assert str(r4) == "198.18.0.0/24 via 198.18.1.1 dev a0 proto boot"
    assert "Route(family=4" in repr(r4)
    r6 = next(r for r in nsrun.link.routes(name, family=6) if r.dst == "fd00:9::/64")
    assert (r6.family, r6.gateway, r6.dev) == (6, "fd00:1::1", "a0") and r6.metric is not None
    assert all(r.family == 4 for r in nsrun.link.routes(name, family=4))
    assert any(r.type == "local" for r in nsrun.link.routes(name, table="all"))
    assert all(r.table == nsrun.link.TABLE_LOCAL for r in nsrun.link.routes(name, table="local"))

    with pytest.raises(FileExistsError) as e:
        nsrun.link.add_route("198.18.0.0/24", via="198.18.1.7", ns=name)
    assert f"route 198.18.0.0/24 via 198.18.1.1 already exists in netns {name}" in str(e.value)
    assert e.value.errno == errno.EEXIST

    nsrun.link.replace_route("198.18.0.0/24", via="198.18.1.7", ns=name)
    nsrun.link.replace_route("fd00:9::/64", via="fd00:1::7", ns=name)
    nsrun.link.replace_route("default", via="198.18.1.1", ns=name)
    now = {(r.dst, r.gateway) for r in nsrun.link.routes(name)}
    assert {("198.18.0.0/24", "198.18.1.7"), ("fd00:9::/64", "fd00:1::7"), ("default", "198.18.1.1")} <= now

    nsrun.link.del_route("198.18.0.0/24", ns=name)
    nsrun.link.del_route("fd00:9::/64", via="fd00:1::7", ns=name)
    nsrun.link.del_route("default", ns=name)
    with pytest.raises(OSError) as e:
        nsrun.link.del_route("198.18.9.0/24", ns=name)
    assert e.value.errno == errno.ESRCH
    assert f"no route 198.18.9.0/24 in netns {name}" in str(e.value)
    left = {r.dst for r in nsrun.link.routes(name, table="all")}
    assert not left & {"198.18.0.0/24", "fd00:9::/64", "default"}


def test_route_errors_name_netns_by_path_or_id():
    anon = Namespace.create("net")
    with pytest.raises(OSError) as e:
        nsrun.link.del_route("198.18.9.0/24", dev="lo", ns=anon)
    assert f"no route 198.18.9.0/24 dev lo in netns {anon}" in str(e.value)
    with pytest.raises(OSError) as e:
        nsrun.link.add_route("198.18.9.0/24", via="198.18.1.1", ns=anon)
    assert e.value.errno == errno.ENETUNREACH and "gateway is on no connected network" in str(e.value)


def test_bridge_lan_of_three_namespaces_through_a_bridge_in_a_fourth(rootfs, lab):
    hub, _ = lab("hub")
    nodes = [Namespace.create("net") for _ in range(3)]
    nsrun.link.bridge("br0", ns=hub, mtu=1400)
    for n, node in enumerate(nodes, 1):
        # Both ends are born in their namespaces: nothing passes through the host.
        nsrun.link.veth("eth0", f"p{n}", ns=node, peer_ns=hub)
        nsrun.link.set_master(f"p{n}", "br0", ns=hub)
        nsrun.link.set_up(f"p{n}", ns=hub)
        nsrun.link.set_mtu("eth0", 1400, ns=node)
        nsrun.link.add_address("eth0", f"198.18.5.{n}/24", ns=node)
        nsrun.link.set_up("eth0", ns=node)
        nsrun.link.set_up("lo", ns=node)
    members = nsrun.link.members("br0", ns=hub)
    assert [m.name for m in members] == ["p1", "p2", "p3"]
    assert all(m.master == "br0" for m in members)
    br = next(i for i in nsrun.link.list(hub) if i.name == "br0")
    assert (br.kind, br.mtu, br.up) == ("bridge", 1400, True)
    for a in range(1, 4):
        for b in range(1, 4):
            if a != b:
                ok, out = ping(rootfs, nodes[a - 1], f"198.18.5.{b}")
                assert ok, (a, b, out)

    # Detach one member: it is gone from the LAN.
    nsrun.link.set_nomaster("p3", ns=hub)
    assert [m.name for m in nsrun.link.members("br0", ns=hub)] == ["p1", "p2"]
    ok, _ = ping(rootfs, nodes[0], "198.18.5.3", wait=1)
    assert not ok
    nsrun.link.delete("br0", ns=hub)
    assert "br0" not in ifnames(hub)
    for n in range(1, 4):
        nsrun.link.delete(f"p{n}", ns=hub)  # takes eth0 in the node with it
    assert ifnames(hub) == ["lo"] and all(ifnames(node) == ["lo"] for node in nodes)


def vlan_supported():
    ns = Namespace.create("net")
    nsrun.link.veth("v0", "v1", ns=ns, peer_ns=ns)
    try:
        nsrun.link.vlan("v0", 5, ns=ns)
        return True
    except OSError as e:
        if e.errno == errno.EOPNOTSUPP:
            assert "no 802.1Q VLAN support" in str(e)
            return False
        raise


@pytest.mark.skipif(not vlan_supported(), reason="this kernel has no 802.1Q VLAN support (8021q)")
def test_vlan_between_two_namespaces_carries_traffic(rootfs):
    left, right = Namespace.create("net"), Namespace.create("net")
    nsrun.link.veth("eth1", "eth1", ns=left, peer_ns=right)
    for n, ns in enumerate((left, right), 1):
        nsrun.link.set_up("eth1", ns=ns)
        assert nsrun.link.vlan("eth1", 100, ns=ns) == "eth1.100"
        nsrun.link.add_address("eth1.100", f"198.18.100.{n}/24", ns=ns)
        nsrun.link.set_up("eth1.100", ns=ns)
    vl = next(i for i in nsrun.link.list(left) if i.name == "eth1.100")
    assert vl.kind == "vlan"
    ok, out = ping(rootfs, left, "198.18.100.2")
    assert ok, out
    nsrun.link.delete("eth1.100", ns=left)
    assert "eth1.100" not in ifnames(left)


def test_vlan_bad_inputs_leave_nothing(lab):
    name, ns = lab()
    wired(name)
    before = ifnames(name)
    for vid in (0, 4095, -1, 5000):
        with pytest.raises(nsrun.InvalidArgumentError, match="between 1 and 4094"):
            nsrun.link.vlan("a0", vid, ns=name)
    with pytest.raises(OSError, match=f"nosuch0: no such interface in netns {name}") as e:
        nsrun.link.vlan("nosuch0", 100, ns=name)
    assert e.value.errno == errno.ENODEV
    with pytest.raises(nsrun.InvalidArgumentError, match="longer than 15"):
        nsrun.link.vlan("a0", 100, name="a23456789012345x", ns=name)
    assert ifnames(name) == before


def test_bridge_bad_inputs_leave_nothing(lab):
    name, ns = lab()
    elsewhere = Namespace.create("net")
    nsrun.link.bridge("br0", ns=name)
    nsrun.link.veth("m0", "x0", ns=name, peer_ns=elsewhere)
    before = (ifnames(name), ifnames(elsewhere))
    with pytest.raises(OSError) as e:
        nsrun.link.set_master("x0", "br0", ns=name)  # x0 lives in another netns
    assert e.value.errno == errno.ENODEV
    assert f"add bridge member x0: no such interface in netns {name}" in str(e.value)
    with pytest.raises(nsrun.InvalidArgumentError, match='"m0" is not a bridge'):
        nsrun.link.set_master("m0", "m0", ns=name)
    with pytest.raises(FileExistsError, match="already exists in netns"):
        nsrun.link.bridge("br0", ns=name)
    with pytest.raises(OSError) as e:
        nsrun.link.bridge("br1", ns=name, mtu=10)  # below the minimum: refused, and removed
    assert e.value.errno == errno.EINVAL
    assert (ifnames(name), ifnames(elsewhere)) == before
    assert nsrun.link.members("br0", ns=name) == []


def test_missing_netns_and_bad_prefixes_are_clear_errors(lab):
    missing = unique("nsrun-nb-missing")
    with pytest.raises(FileNotFoundError, match=missing):
        nsrun.link.routes(missing)
    with pytest.raises(FileNotFoundError, match=missing):
        nsrun.link.bridge("br0", ns=missing)
    with pytest.raises(FileNotFoundError, match=missing):
        nsrun.sysctl.set(missing, "net.ipv4.ip_forward", 1)
    assert not os.path.exists(f"/run/netns/{missing}")
    name, _ = lab()
    for dst, via, what in [("198.18.0.0/33", "198.18.1.1", "destination"),
                           ("198.18.0.1/24", "198.18.1.1", "host bits"),
                           ("fd00::/64", "198.18.1.1", "address family"),
                           ("198.18.0.0/24", "nope", "address")]:
        with pytest.raises(nsrun.InvalidArgumentError, match=what):
            nsrun.link.add_route(dst, via=via, ns=name)
    with pytest.raises(ValueError, match="table"):
        nsrun.link.routes(name, table="bogus")
    assert not [r for r in nsrun.link.routes(name, table="all") if r.dst.startswith("198.18.0.")]


def test_sysctl_set_get_in_a_namespace_leaves_the_host_alone(lab):
    name, ns = lab()
    host = nsrun.sysctl.get(None, "net.ipv4.ip_forward")
    flip = 0 if host == "1" else 1
    nsrun.sysctl.set(name, "net.ipv4.ip_forward", flip)
    assert nsrun.sysctl.get(name, "net.ipv4.ip_forward") == str(flip)
    assert nsrun.sysctl.get(ns, "net/ipv4/ip_forward") == str(flip)  # the same, by path form
    assert nsrun.sysctl.get(f"/run/netns/{name}", "net.ipv4.ip_forward") == str(flip)
    assert nsrun.sysctl.get(None, "net.ipv4.ip_forward") == host
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read().strip() == host
    # What `ip netns exec` sees agrees (a separate process, its own view of /proc/sys).
    seen = subprocess.run(["ip", "netns", "exec", name, "cat", "/proc/sys/net/ipv4/ip_forward"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert seen == str(flip)
    nsrun.sysctl.set(name, "net.ipv6.conf.all.disable_ipv6", True)
    assert nsrun.sysctl.get(name, "net.ipv6.conf.all.disable_ipv6") == "1"
    # Another netns, made here, keeps the default.
    assert nsrun.sysctl.get(Namespace.create("net"), "net.ipv4.ip_forward") == "0"


def test_sysctl_refuses_host_keys_unless_asked(lab):
    name, _ = lab()
    with pytest.raises(nsrun.InvalidArgumentError, match="not per network namespace"):
        nsrun.sysctl.set(name, "kernel.hostname", "x")
    with pytest.raises(nsrun.InvalidArgumentError, match="not per network namespace"):
        nsrun.sysctl.get(None, "vm.swappiness")
    assert nsrun.sysctl.get(None, "kernel.ostype", host=True) == "Linux"
    with pytest.raises(nsrun.InvalidArgumentError, match="goes with ns=None"):
        nsrun.sysctl.get(name, "kernel.ostype", host=True)
    with pytest.raises(FileNotFoundError, match=f"no such sysctl.*in netns {name}|in netns {name}: no such sysctl") as e:
        nsrun.sysctl.get(name, "net.ipv4.nosuch")
    assert e.value.filename == "/proc/sys/net/ipv4/nosuch"
    for bad in ("", "net..ipv4", "net/../../etc/passwd"):
        with pytest.raises(nsrun.InvalidArgumentError):
            nsrun.sysctl.get(name, bad)


def test_sysctl_in_a_thread_leaves_other_threads_alone(lab):
    """/proc/sys/net follows the calling thread's netns: while one thread writes in the lab,
    another reading the same path sees the host's value."""
    import threading
    name, _ = lab()
    host = nsrun.sysctl.get(None, "net.ipv4.ip_forward")
    seen = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            with open("/proc/sys/net/ipv4/ip_forward") as f:
                seen.append(f.read().strip())

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(200):
            nsrun.sysctl.set(name, "net.ipv4.ip_forward", i % 2)
    finally:
        stop.set()
        t.join()
    assert seen and set(seen) == {host}


def cli(nsrun_bin, *args):
    return subprocess.run([nsrun_bin, *args], capture_output=True, text=True, timeout=30)


def test_cli_routes_bridge_vlan_sysctl(nsrun_bin, lab):
    name, _ = lab()
    wired(name)
    ok = lambda *a: cli(nsrun_bin, *a)  # noqa: E731
    assert ok("link", "route", "198.18.0.0/24", "--via", "198.18.1.1", "--ns", name).returncode == 0
    r = ok("link", "route", "198.18.0.0/24", "--via", "198.18.1.9", "--ns", name)
    assert r.returncode == 125
    assert f"route 198.18.0.0/24 via 198.18.1.1 already exists in netns {name}" in r.stderr
    assert ok("link", "route-replace", "198.18.0.0/24", "--via", "198.18.1.9", "--ns", name).returncode == 0
    r = ok("link", "routes", "--ns", name, "-4")
    assert "198.18.0.0/24 via 198.18.1.9 dev a0 proto boot" in r.stdout.splitlines()
    rows = json.loads(ok("link", "routes", "--ns", name, "-6", "-J").stdout)
    assert rows and all(row["family"] == 6 for row in rows)
    assert ok("link", "route-del", "198.18.0.0/24", "--ns", name).returncode == 0
    r = ok("link", "route-del", "198.18.0.0/24", "--ns", name)
    assert r.returncode == 125 and f"no route 198.18.0.0/24 in netns {name}" in r.stderr

    assert ok("link", "bridge", "br0", "--mtu", "1400", "--ns", name).returncode == 0
    assert ok("link", "master", "a1", "br0", "--ns", name).returncode == 0
    assert ok("link", "members", "br0", "--ns", name).stdout.split() == ["a1"]
    assert "master br0" in ok("link", "ls", "--ns", name).stdout
    assert ok("link", "nomaster", "a1", "--ns", name).returncode == 0
    assert ok("link", "members", "br0", "--ns", name, "-J").stdout.strip() == "[]"
    r = ok("link", "vlan", "a0", "4095", "--ns", name)
    assert r.returncode == 125 and "between 1 and 4094" in r.stderr

    r = ok("sysctl", "--ns", name, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.forwarding")
    assert r.stdout.splitlines() == ["net.ipv4.ip_forward = 1", "net.ipv4.conf.all.forwarding = 1"], r.stderr
    assert ok("sysctl", "--ns", name, "-n", "net.ipv4.ip_forward").stdout == "1\n"
    r = ok("sysctl", "--ns", name, "kernel.ostype")
    assert r.returncode == 125 and "not per network namespace" in r.stderr
    assert ok("sysctl", "--host", "-n", "kernel.ostype").stdout == "Linux\n"
    r = ok("sysctl", "--ns", unique("nsrun-nb-missing"), "net.ipv4.ip_forward")
    assert r.returncode == 125 and "nsrun-nb-missing" in r.stderr
