"""A real routing suite, run by `make test`: three FRR routers (zebra + ospfd) in a chain.

    r1 (198.18.1.1) --- (198.18.1.2) r2 (198.18.2.1) --- (198.18.2.2) r3

Each router runs on the host's filesystem with private /etc/frr, /run/frr and /var/log/frr,
seeded from this directory. The test waits for OSPF to converge, checks that r1 and r3 learnt
each other's link from OSPF, and that a ping from r1 to r3 is forwarded by r2.
"""
import os
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/lib/frr/ospfd"),
                                reason="FRR is not installed (`make test` installs the frr package)")


def wait_for(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def test_ospf_chain_converges_and_forwards_through_r2(nsrun_lab):
    lab = nsrun_lab(os.path.join(HERE, "chain.toml"))
    r1, r2, r3 = lab["r1"], lab["r2"], lab["r3"]

    def learnt(node, prefix):
        return f"{prefix} " in node.exec(["ip", "route", "show", "proto", "ospf"]).stdout

    wait_for(lambda: learnt(r1, "198.18.2.0/24") and learnt(r3, "198.18.1.0/24"), what="OSPF routes")
    route = r1.exec(["ip", "route", "get", "198.18.2.2"]).stdout
    assert "via 198.18.1.2 dev eth1" in route, route
    neighbors = r2.exec(["vtysh", "-c", "show ip ospf neighbor"]).stdout
    assert neighbors.count("Full") == 2, neighbors

    forwarded_before = int(r2.exec(["cat", "/sys/class/net/eth2/statistics/tx_packets"]).stdout)
    ping = r1.exec(["ping", "-c", "3", "-i", "0.2", "-W", "5", "198.18.2.2"])
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert "ttl=63" in ping.stdout, ping.stdout  # one hop: r2 decremented the TTL
    forwarded = int(r2.exec(["cat", "/sys/class/net/eth2/statistics/tx_packets"]).stdout) - forwarded_before
    assert forwarded >= 3, f"r2 sent {forwarded} packets on eth2"
