"""Labs against Mininet on the same machine, in one run: a chain of N nodes (N-1 point-to-point
links with addresses), for N = 100 and 1,000: bring-up, exec latency (`/bin/true` in a node,
waited for), teardown, and memory per node (MemAvailable before and after bring-up).

    sudo .venv/bin/python bench/bench_lab.py [--sizes 100,1000] [--execs 200] [--no-mininet]

Mininet's side is its own Python API (`mininet.net.Mininet`, hosts + links, no switch):
build()+start(), host.cmd("/bin/true"), stop(). Targets (reported, never asserted): up >= 10x
faster than Mininet, exec >= 4x faster than cmd(), down >= 10x faster, 1,000 nodes up in < 10 s,
per-node up cost at 1,000 <= 1.3x the cost at 100.
"""

import argparse
import gc
import os
import subprocess
import sys
import time

import nsrun


def mem_available_kib() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    raise RuntimeError("no MemAvailable")


def pss_kib(pids) -> int:
    """Proportional set size of these processes and their descendants (user-space memory)."""
    todo, seen, total = list(pids), set(), 0
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            pass
    return total


def settle():
    """Lets the kernel finish freeing namespaces of the previous run (cleanup_net is async)."""
    gc.collect()
    time.sleep(2)


def addr(link: int, side: int) -> str:
    """A /31 per link inside 198.18.0.0/15: link k gets 198.18.0.0 + 2k (and +1)."""
    n = 2 * link + side
    return f"198.{18 + n // 65536}.{(n // 256) % 256}.{n % 256}/31"


def chain(n: int) -> dict:
    nodes = {f"n{i}": {"interfaces": {}} for i in range(1, n + 1)}
    links = []
    for i in range(1, n):
        links.append([f"n{i}:e1", f"n{i + 1}:e0"])
        nodes[f"n{i}"]["interfaces"]["e1"] = [addr(i, 0)]
        nodes[f"n{i + 1}"]["interfaces"]["e0"] = [addr(i, 1)]
    return {"nodes": nodes, "links": links}


def bench_nsrun(n: int, execs: int) -> dict:
    topo = chain(n)
    settle()
    mem0 = mem_available_kib()
    t = time.perf_counter()
    lab = nsrun.Lab(topo, name=f"bench-{os.getpid()}-{n}").up()
    up = time.perf_counter() - t
    mem = (mem0 - mem_available_kib()) / n
    pss = pss_kib(node.pid for node in lab.nodes.values()) / n
    node = lab["n2"]
    peer = addr(1, 0).split("/")[0]
    assert node.exec(["ping", "-c", "1", "-W", "5", peer]).returncode == 0, "the chain does not work"
    node.exec(["/bin/true"], capture_output=False)
    t = time.perf_counter()
    for _ in range(execs):
        node.exec(["/bin/true"], capture_output=False)
    ex = (time.perf_counter() - t) / execs
    t = time.perf_counter()
    lab.down()
    down = time.perf_counter() - t
    return {"up": up, "exec": ex, "down": down, "mem_kib": mem, "pss_kib": pss}


def bench_mininet(n: int, execs: int) -> dict:
    try:
        import mininet  # noqa: F401
    except ImportError:  # Debian's `mininet` package installs into the system Python's path
        sys.path.append("/usr/lib/python3/dist-packages")
    from mininet.log import setLogLevel
    from mininet.net import Mininet

    setLogLevel("error")
    settle()
    mem0 = mem_available_kib()
    t = time.perf_counter()
    net = Mininet(topo=None, build=False, controller=None, ipBase="198.18.0.0/15", autoStaticArp=False)
    hosts = [net.addHost(f"h{i}") for i in range(1, n + 1)]
    for a, b in zip(hosts, hosts[1:]):
        net.addLink(a, b)
    try:
        net.build()
        net.start()
        up = time.perf_counter() - t
        mem = (mem0 - mem_available_kib()) / n
        pss = pss_kib(h.pid for h in hosts) / n
        h = hosts[1]
        h.cmd("/bin/true")
        t = time.perf_counter()
        for _ in range(execs):
            h.cmd("/bin/true")
        ex = (time.perf_counter() - t) / execs
    finally:
        t = time.perf_counter()
        net.stop()
        down = time.perf_counter() - t
    return {"up": up, "exec": ex, "down": down, "mem_kib": mem, "pss_kib": pss}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000")
    ap.add_argument("--execs", type=int, default=200)
    ap.add_argument("--no-mininet", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    res = {}
    for n in sizes:
        res[("nsrun", n)] = bench_nsrun(n, args.execs)
        r = res[("nsrun", n)]
        print(f"nsrun   {n:5d} nodes: up {r['up']:.3f} s, exec {r['exec'] * 1e3:.3f} ms, "
              f"down {r['down']:.3f} s, memory/node: {r['pss_kib']:.0f} KiB processes (PSS), "
              f"{r['mem_kib']:.0f} KiB system (MemAvailable, noisy)", flush=True)
        if not args.no_mininet:
            res[("mininet", n)] = bench_mininet(n, args.execs)
            r = res[("mininet", n)]
            print(f"mininet {n:5d} nodes: up {r['up']:.3f} s, exec {r['exec'] * 1e3:.3f} ms, "
                  f"down {r['down']:.3f} s, memory/node: {r['pss_kib']:.0f} KiB processes (PSS), "
              f"{r['mem_kib']:.0f} KiB system (MemAvailable, noisy)", flush=True)
    print()
    print(f"{'nodes':>6} {'up x':>8} {'exec x':>8} {'down x':>8}   (Mininet time / nsrun time; targets 10, 4, 10)")
    for n in sizes:
        if ("mininet", n) in res:
            a, b = res[("nsrun", n)], res[("mininet", n)]
            print(f"{n:6d} {b['up'] / a['up']:8.1f} {b['exec'] / a['exec']:8.1f} {b['down'] / a['down']:8.1f}")
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        per = {n: res[("nsrun", n)]["up"] / n for n in (small, big)}
        print(f"nsrun per-node up cost at {big} / at {small}: {per[big] / per[small]:.2f} (target <= 1.3); "
              f"{big} nodes up in {res[('nsrun', big)]['up']:.2f} s (target < 10 s)")
    if not args.no_mininet:
        leftover = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        stray = [line for line in leftover.splitlines() if "-eth" in line.split(":")[1]]
        if stray:
            print(f"Mininet left {len(stray)} interfaces on the host; run `mn -c`", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
