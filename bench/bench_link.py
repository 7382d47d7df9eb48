"""Link benchmark (issue 4): build the 3-namespace topology A--B--C (two veth pairs, four
addresses, links up, two default routes, ip_forward in B) and tear it down, ROUNDS times, with
  - nsrun from Python (nsrun.netns + nsrun.link),
  - pyroute2 (netns.create + NetNS),
  - ip -batch (one batch on the host, then `ip -n NS -batch` per namespace, as one scripts it).
Tools take turns each round. Prints seconds per topology and ratios.

    .venv/bin/python bench/bench_link.py [ROUNDS]      (as root; make bench)
"""

import os
import subprocess
import sys
import tempfile
import time

import nsrun

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 100
ADDRS = [("A", "ab", "198.18.1.1/24"), ("B", "ba", "198.18.1.2/24"), ("B", "bc", "198.18.2.1/24"), ("C", "cb", "198.18.2.2/24")]
ROUTES = [("A", "198.18.1.2"), ("C", "198.18.2.1")]


def names(tag):
    p = f"nb{os.getpid() % 10000}{tag}"
    return {k: f"{p}{k}" for k in "ABC"}


def build_nsrun(tag):
    ns = names(tag)
    h = {k: nsrun.netns.add(v) for k, v in ns.items()}
    nsrun.link.veth("ab", "ba", ns=h["A"], peer_ns=h["B"])
    nsrun.link.veth("bc", "cb", ns=h["B"], peer_ns=h["C"])
    for k, dev, cidr in ADDRS:
        nsrun.link.add_address(dev, cidr, ns=h[k])
        nsrun.link.set_up(dev, ns=h[k])
    for k in "ABC":
        nsrun.link.set_up("lo", ns=h[k])
    for k, gw in ROUTES:
        nsrun.link.add_route("default", via=gw, ns=h[k])
    nsrun.sysctl.set(h["B"], "net.ipv4.ip_forward", 1)
    for k in "ABC":
        h[k].close()
        nsrun.netns.delete(ns[k])


def build_pyroute2(tag):
    from pyroute2 import NetNS, netns

    ns = names(tag)
    for v in ns.values():
        netns.create(v)
    h = {k: NetNS(v) for k, v in ns.items()}
    try:
        h["A"].link("add", ifname="ab", kind="veth", peer={"ifname": "ba", "net_ns_fd": ns["B"]})
        h["B"].link("add", ifname="bc", kind="veth", peer={"ifname": "cb", "net_ns_fd": ns["C"]})
        for k, dev, cidr in ADDRS:
            idx = h[k].link_lookup(ifname=dev)[0]
            addr, plen = cidr.split("/")
            h[k].addr("add", index=idx, address=addr, prefixlen=int(plen))
            h[k].link("set", index=idx, state="up")
        for k in "ABC":
            h[k].link("set", index=h[k].link_lookup(ifname="lo")[0], state="up")
        for k, gw in ROUTES:
            h[k].route("add", dst="default", gateway=gw)
        netns.pushns(ns["B"])
        with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
            f.write("1")
        netns.popns()
    finally:
        for k in "ABC":
            h[k].close()
        for v in ns.values():
            netns.remove(v)


def ip_batch(lines, netns=None):
    with tempfile.NamedTemporaryFile("w", suffix=".ip", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        subprocess.run(["ip"] + (["-n", netns] if netns else []) + ["-batch", f.name], check=True)
    finally:
        os.unlink(f.name)


def build_ip(tag):
    ns = names(tag)
    ip_batch([f"netns add {v}" for v in ns.values()] + [
        f"link add ab netns {ns['A']} type veth peer name ba netns {ns['B']}",
        f"link add bc netns {ns['B']} type veth peer name cb netns {ns['C']}",
    ])
    for k in "ABC":
        lines = ["link set lo up"]
        lines += [f"addr add {cidr} dev {dev}" for kk, dev, cidr in ADDRS if kk == k]
        lines += [f"link set {dev} up" for kk, dev, _ in ADDRS if kk == k]
        lines += [f"route add default via {gw}" for kk, gw in ROUTES if kk == k]
        ip_batch(lines, ns[k])
    subprocess.run(["ip", "netns", "exec", ns["B"], "sysctl", "-qw", "net.ipv4.ip_forward=1"], check=True)
    ip_batch([f"netns del {v}" for v in ns.values()])


TOOLS = {"nsrun Python": build_nsrun, "pyroute2": build_pyroute2, "ip -batch": build_ip}


def main():
    if os.geteuid() != 0:
        sys.exit("run as root")
    spent = {t: 0.0 for t in TOOLS}
    order = list(TOOLS)
    for r in range(ROUNDS):
        for t in order[r % 3:] + order[: r % 3]:
            t0 = time.perf_counter()
            TOOLS[t](f"{r % 100}")
            spent[t] += time.perf_counter() - t0
    print(f"\nbuild + tear down the 3-namespace topology, {ROUNDS} times, ms per topology")
    for t, v in spent.items():
        print(f"  {t:<16}{v / ROUNDS * 1e3:8.2f} ms")
    n = spent["nsrun Python"]
    print(f"  pyroute2 / nsrun = {spent['pyroute2'] / n:.2f}x   (nsrun ahead when > 1)")
    print(f"  nsrun / ip -batch = {n / spent['ip -batch']:.2f}x   (target <= 1.5)")


if __name__ == "__main__":
    main()
