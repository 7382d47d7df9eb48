"""Namespace benchmark (issue 2): nsrun against ip -batch, pyroute2 and a minimal C program.

Measures, in one run:
  - create + persist N network namespaces (/run/netns/PREFIX-i), then delete them;
  - entering and leaving a netns, per operation.
Tools take turns in chunks of CHUNK namespaces (the first in each chunk rotates), and nothing is
deleted until every tool has created all of its namespaces, so every tool creates under the same
conditions (netns teardown in the kernel is asynchronous and slows whatever runs alongside it).
The deletes are interleaved the same way. Best of ROUNDS rounds. Prints seconds and ratios.

    .venv/bin/python bench/bench_netns.py [N] [ROUNDS]      (as root; make bench)

Scale (issue 13 item 8): does an add, open or delete cost more when many namespaces exist?

    .venv/bin/python bench/bench_netns.py scale [TOTAL]      (TOTAL 10000 by default)

creates TOTAL namespaces in ten deciles; in each decile the four tools (C floor, nsrun Rust,
nsrun Python, ip -batch) take turns, each adding TOTAL/40 and then opening what it just added,
so every tool works at the same population. Each tool's share of a decile runs in chunks of 50
(turns rotate); the figure is the median chunk, so a burst of load from elsewhere on the machine
(or the kernel's asynchronous teardown of deleted namespaces) does not decide it. Then the deciles are deleted the same way, from TOTAL
down to 0. Prints, per decile, the C floor in µs per namespace and every other tool as a ratio to
it, and each tool's last decile / first decile. C and Rust time themselves (no exec in the
figure); Python times its own loop; ip -batch is timed with its exec (one per TOTAL/40 names).
Everything it creates is deleted, also when interrupted.
"""

import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import nsrun

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCALE = sys.argv[1:2] == ["scale"]
N = int(sys.argv[1]) if len(sys.argv) > 1 and not SCALE else 1000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 and not SCALE else 2
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


SCALE_TOOLS = ["C floor", "nsrun Rust", "nsrun Python", "ip -batch"]
SCALE_CHUNK = 50
# The kernel tears a deleted netns down asynchronously, on the same CPUs: pause after each delete
# chunk so that one tool's teardown is not counted in the next tool's figure.
DEL_PAUSE = 0.25


def scale_op(tool, op, prefix, n):
    """Seconds `tool` takes to add / open / del names PREFIX-0 … PREFIX-(n-1)."""
    if tool == "C floor":
        return float(subprocess.run([str(CBIN), op, str(n), prefix], check=True, capture_output=True, text=True).stdout)
    if tool == "nsrun Rust":
        return float(subprocess.run([str(RUST), op, str(n), prefix], check=True, capture_output=True, text=True).stdout)
    names = [f"{prefix}-{i}" for i in range(n)]
    if tool == "nsrun Python":
        fn = {"add": nsrun.netns.add, "open": nsrun.netns.open, "del": nsrun.netns.delete}[op]
        t0 = time.perf_counter()
        for name in names:
            fn(name)
        return time.perf_counter() - t0
    if op == "open":
        return None  # ip has no "open"
    with tempfile.NamedTemporaryFile("w", suffix=".batch", delete=False) as f:
        f.writelines(f"netns {op} {name}\n" for name in names)
    try:
        return timed_cmd(["ip", "-batch", f.name])
    finally:
        os.unlink(f.name)


def scale(total):
    build()
    per = total // 10 // len(SCALE_TOOLS)  # per tool per decile
    chunks = max(1, per // SCALE_CHUNK)
    size = per // chunks
    t = {}  # (op, decile, tool) -> median over the decile's chunks of µs per namespace
    name = lambda d, k, tool: f"nsrun-bench-{os.getpid()}-s{d}-{k}-{SCALE_TOOLS.index(tool)}"

    def turns(op, d):
        """Every tool runs `chunks` chunks of decile d, taking turns (who goes first rotates)."""
        got = {tool: [] for tool in SCALE_TOOLS}
        for k in range(chunks):
            r = (d + k) % len(SCALE_TOOLS)
            for tool in SCALE_TOOLS[r:] + SCALE_TOOLS[:r]:
                sec = scale_op(tool, op, name(d, k, tool), size)
                if op == "del":
                    time.sleep(DEL_PAUSE)
                if sec is not None:
                    got[tool].append(sec / size * 1e6)
        for tool, v in got.items():
            if v:
                t[op, d, tool] = statistics.median(v)

    for d in range(10):
        turns("add", d)
        turns("open", d)
    existing = len(os.listdir(nsrun.netns.RUN_DIR))
    for d in range(10):
        turns("del", d)
    per = f"{per} per tool per decile in chunks of {size}, median chunk"
    print(f"\nscale: {total} network namespaces, {per} ({existing} in /run/netns at the top)")
    for op, what in (("add", "namespaces existing before the decile"), ("open", "namespaces existing"),
                     ("del", "namespaces existing before the decile")):
        tools = [x for x in SCALE_TOOLS if (op, 0, x) in t]
        print(f"\n{op}: C floor in µs per namespace, the others as a ratio to it (target <= 1.2)")
        print(f"{'decile':<8}{what:>40}{'C floor':>10}" + "".join(f"{x:>15}" for x in tools[1:]))
        for d in range(10):
            before = total * d // 10 if op == "add" else total * (d + 1) // 10 if op == "open" else total - total * d // 10
            c = t[op, d, "C floor"]
            print(f"{d + 1:<8}{before:>40}{c:>8.0f}µs" + "".join(f"{t[op, d, x] / c:>14.2f}x" for x in tools[1:]))
        print(f"{'last decile / first decile, per tool':<48}{t[op, 9, 'C floor'] / t[op, 0, 'C floor']:>9.2f}x"
              + "".join(f"{t[op, 9, x] / t[op, 0, x]:>14.2f}x" for x in tools[1:]))


def cleanup():
    """Removes whatever an interrupted run left in /run/netns."""
    mine = f"nsrun-bench-{os.getpid()}-"
    for name in nsrun.netns.list():
        if name.startswith(mine):
            nsrun.netns.delete(name)


if __name__ == "__main__":
    try:
        if SCALE:
            if os.geteuid() != 0:
                sys.exit("run as root")
            scale(int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
        else:
            main()
    finally:
        cleanup()
