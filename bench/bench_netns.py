"""Namespace benchmark (issue 2): nsrun against ip -batch, pyroute2 and a minimal C program.

Measures, in one run:
  - create + persist N network namespaces (/run/netns/PREFIX-i), then delete them;
  - entering and leaving a netns, per operation.
Tools take turns in chunks of CHUNK namespaces (the first in each chunk rotates), and nothing is
deleted until every tool has created all of its namespaces, so every tool creates under the same
conditions (netns teardown in the kernel is asynchronous and slows whatever runs alongside it).
The deletes are interleaved the same way. Best of ROUNDS rounds. Prints seconds and ratios.

    .venv/bin/python bench/bench_netns.py [N] [ROUNDS]      (as root; make bench)
"""

import os
import pathlib
import subprocess
import sys
import tempfile
import time

import nsrun

ROOT = pathlib.Path(__file__).resolve().parents[1]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
ENTER_N = 100_000
PAUSE = 10
CHUNK = 100
RUST = ROOT / "target/release/examples/bench_netns"
CBIN = ROOT / "build/netns_c"


def build():
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "nsrun", "--example", "bench_netns"], cwd=ROOT, check=True)
    CBIN.parent.mkdir(exist_ok=True)
    subprocess.run(["cc", "-O2", "-Wall", "-Werror", str(ROOT / "bench/netns_c.c"), "-o", str(CBIN)], check=True)


def timed_cmd(argv):
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def ip_batch(op, prefix):
    with tempfile.NamedTemporaryFile("w", suffix=".batch", delete=False) as f:
        for i in range(CHUNK):
            f.write(f"netns {op} {prefix}-{i}\n")
    try:
        return timed_cmd(["ip", "-batch", f.name])
    finally:
        os.unlink(f.name)


def py_nsrun(op, prefix):
    names = [f"{prefix}-{i}" for i in range(CHUNK)]
    t0 = time.perf_counter()
    if op == "add":
        for n in names:
            nsrun.netns.add(n)
    else:
        for n in names:
            nsrun.netns.delete(n)
    return time.perf_counter() - t0


def py_pyroute2(op, prefix):
    from pyroute2 import netns

    names = [f"{prefix}-{i}" for i in range(CHUNK)]
    t0 = time.perf_counter()
    if op == "add":
        for n in names:
            netns.create(n)
    else:
        for n in names:
            netns.remove(n)
    return time.perf_counter() - t0


TOOLS = {
    "C (syscalls only)": lambda op, p: timed_cmd([str(CBIN), op, str(CHUNK), p]),
    "nsrun Rust": lambda op, p: timed_cmd([str(RUST), op, str(CHUNK), p]),
    "nsrun Python": py_nsrun,
    "ip -batch": lambda op, p: ip_batch("add" if op == "add" else "del", p),
    "pyroute2": py_pyroute2,
}


def enter_bench():
    name = f"nsrun-bench-enter-{os.getpid()}"
    ns = nsrun.netns.add(name)
    from pyroute2 import netns as p2

    results = {}
    try:
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            for _ in range(ENTER_N):
                with ns.enter():
                    pass
            r = {"nsrun Python (with ns.enter())": time.perf_counter() - t0}
            t0 = time.perf_counter()
            for _ in range(ENTER_N):
                p2.pushns(name)
                p2.popns()
            r["pyroute2 (pushns/popns)"] = time.perf_counter() - t0
            r["nsrun Rust (enter guard)"] = float(subprocess.run([str(RUST), "enter", str(ENTER_N), name], check=True, capture_output=True, text=True).stdout)
            r["C (open+setns+setns+close)"] = float(subprocess.run([str(CBIN), "enter", str(ENTER_N), name], check=True, capture_output=True, text=True).stdout)
            for k, v in r.items():
                results[k] = min(results.get(k, v), v)
    finally:
        ns.close()
        nsrun.netns.delete(name)
    return {k: v / ENTER_N * 1e6 for k, v in results.items()}


def main():
    if os.geteuid() != 0:
        sys.exit("run as root")
    build()
    chunks = N // CHUNK
    best = {(t, op): float("inf") for t in TOOLS for op in ("add", "del")}
    for rnd in range(ROUNDS):
        spent = {(t, op): 0.0 for t in TOOLS for op in ("add", "del")}
        for op in ("add", "del"):
            for c in range(chunks):
                order = list(TOOLS)
                order = order[c % len(order):] + order[: c % len(order)]  # rotate who goes first
                for tool in order:
                    spent[tool, op] += TOOLS[tool](op, f"nsrun-bench-{os.getpid()}-{rnd}-{c}-{list(TOOLS).index(tool)}")
        for k, v in spent.items():
            best[k] = min(best[k], v)
        time.sleep(PAUSE)  # let the kernel's asynchronous teardown finish before the next round
    print(f"\ncreate + persist {N} network namespaces, then delete them (best of {ROUNDS} rounds, in turns of {CHUNK})")
    print(f"{'tool':<22}{'create+persist':>16}{'per netns':>12}{'delete':>10}")
    for t in TOOLS:
        a, d = best[t, "add"], best[t, "del"]
        print(f"{t:<22}{a:>14.3f} s{a / N * 1e6:>9.0f} µs{d:>8.3f} s")
    py, ipb, p2, c, rs = (best[t, "add"] for t in ("nsrun Python", "ip -batch", "pyroute2", "C (syscalls only)", "nsrun Rust"))
    print("ratios (create+persist):")
    print(f"  pyroute2 / nsrun Python     = {p2 / py:6.2f}x   (nsrun faster when > 1)")
    print(f"  nsrun Python / ip -batch    = {py / ipb:6.2f}x   (target <= 1.3)")
    print(f"  nsrun Rust / ip -batch      = {rs / ipb:6.2f}x")
    print(f"  nsrun Rust / C syscalls     = {rs / c:6.2f}x")
    print(f"  delete: nsrun Python / ip -batch = {best['nsrun Python', 'del'] / best['ip -batch', 'del']:.2f}x, "
          f"pyroute2 / nsrun Python = {best['pyroute2', 'del'] / best['nsrun Python', 'del']:.2f}x")

    per = enter_bench()
    print(f"\nenter + leave a netns, {ENTER_N} times (best of {ROUNDS}), per operation")
    for k, v in per.items():
        print(f"  {k:<34}{v:8.2f} µs")
    base = per["nsrun Python (with ns.enter())"]
    print(f"  pyroute2 / nsrun Python = {per['pyroute2 (pushns/popns)'] / base:.2f}x; "
          f"nsrun Python / C = {base / per['C (open+setns+setns+close)']:.2f}x   (target: nsrun Python < 20 µs)")


def cleanup():
    """Removes whatever an interrupted run left in /run/netns."""
    mine = f"nsrun-bench-{os.getpid()}-"
    for name in nsrun.netns.list():
        if name.startswith(mine):
            nsrun.netns.delete(name)


if __name__ == "__main__":
    try:
        main()
    finally:
        cleanup()
