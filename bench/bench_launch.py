"""Launch benchmark (issue 9): what a launch costs, from Python and from the CLI, against
subprocess, unshare, nsenter and a minimal C program; one run, printed as ratios.

Every figure is the median of N runs of `/bin/true`, measured interleaved (each round runs every
variant of a table once, in rotating order), wall time per call including process start where a
command line is run. The machine is whatever it is: the ratios, not the milliseconds, are the
result. Targets from issue 9 are printed next to each ratio; nothing here asserts them.

  1. caller memory sweep: the same launches from this process holding +0, +200 MB, +1 GB
  2. nsrun.run with no new namespace (init=False) vs subprocess.run
  3. default rootfs launch (new mnt+pid+uts+ipc+net, fresh /proc, init) vs two C floors and
     unshare, from Python and from the CLI: bench/launch_full_c.c does the same work as the
     default launch (every mount, the masked paths, capability drops, seccomp, an init that
     forks the program), bench/launch_c.c only clone + pivot_root + mount proc + exec + wait
  4. exec into a running launch vs subprocess.run on the host and vs nsenter -t PID -a,
     from Python and from the CLI
  5. where the time of a default launch goes: variants that add one stage at a time

    .venv/bin/python bench/bench_launch.py [N]     (as root; make bench)
"""

import gc
import os
import pathlib
import statistics
import subprocess
import sys
import time

import nsrun

ROOT = pathlib.Path(__file__).resolve().parents[1]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100
ROOTFS = str(ROOT / "tests/fixtures/rootfs")
CLI = str(ROOT / "target/release/nsrun")
CBIN = str(ROOT / "build/launch_c")
CFULL = str(ROOT / "build/launch_full_c")
INHERIT_ALL = {k: "inherit" for k in ("mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time")}
DEVNULL = subprocess.DEVNULL


def build():
    subprocess.run(["make", "-s", "--no-print-directory", "cli"], cwd=ROOT, check=True)
    os.makedirs(os.path.dirname(CBIN), exist_ok=True)
    subprocess.run(["cc", "-O2", "-Wall", "-Werror", str(ROOT / "bench/launch_c.c"), "-o", CBIN], check=True)
    subprocess.run(["cc", "-O2", "-Wall", "-Werror", str(ROOT / "bench/launch_full_c.c"), "-o", CFULL], check=True)
    if not (pathlib.Path(ROOTFS) / ".stamp").exists():
        subprocess.run([str(ROOT / "tests/fixtures/make_rootfs.sh"), ROOTFS], check=True)


def measure(variants, n=N):
    """variants: {name: callable}; returns {name: median ms}, interleaved and rotated."""
    names = list(variants)
    times = {k: [] for k in names}
    for f in variants.values():  # warm-up (first launch seals the init image, etc.)
        f()
    for i in range(n):
        for k in names[i % len(names):] + names[: i % len(names)]:
            t0 = time.perf_counter()
            variants[k]()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) * 1e3 for k, v in times.items()}


def table(title, med, base=None):
    print(f"\n{title} (median of {N}, ms per call)")
    for k, v in med.items():
        ratio = f"   {v / med[base]:5.2f}x {base}" if base and k != base else ""
        print(f"  {k:<52}{v:8.2f}{ratio}")


def sh(cmd):
    return lambda: subprocess.run(cmd, stdout=DEVNULL, check=True)


def run_true(**kw):
    return lambda: nsrun.run(["/bin/true"], check=True, **kw)


DEFAULT = dict(rootfs=ROOTFS, namespaces={"net": "new"})  # new mnt+pid+uts+ipc+net, /proc, init
UNSHARE = ["unshare", "-mpuin", "--fork", "--mount-proc", "-R", ROOTFS, "/bin/true"]


def memory_sweep():
    results = {}
    for label, mb in (("+0", 0), ("+200 MB", 200), ("+1 GB", 1024)):
        ballast = bytearray(b"\x01") * (mb << 20)  # written, so every page is really mapped
        results[label] = measure({
            "subprocess.run": sh(["/bin/true"]),
            "nsrun.run, no new namespace, init=False": run_true(namespaces=INHERIT_ALL, init=False),
            "nsrun.run, default rootfs launch + new net": run_true(**DEFAULT),
            "subprocess.run(unshare ... -R rootfs)": sh(UNSHARE),
        })
        del ballast
        gc.collect()
    print(f"\n1. caller's extra memory (median of {N}, ms per call)")
    cols = list(results["+0"])
    print("  " + f"{'':<10}" + "".join(f"{c[:26]:>28}" for c in cols))
    for label, med in results.items():
        print("  " + f"{label:<10}" + "".join(f"{med[c]:28.2f}" for c in cols))
    for c in cols[1:3]:
        r = results["+1 GB"][c] / results["+0"][c]
        print(f"  {c}: +1 GB / +0 = {r:.2f}x   (target <= 1.1)")


def no_namespace():
    med = measure({
        "subprocess.run": sh(["/bin/true"]),
        "nsrun.run, no new namespace, init=False": run_true(namespaces=INHERIT_ALL, init=False),
        "nsrun.run, no new namespace, with init": run_true(namespaces=INHERIT_ALL),
    })
    table("2. no new namespace", med, "subprocess.run")
    print("  target: nsrun.run init=False <= 1.3x subprocess.run")


def rootfs_launch():
    med = measure({
        "C floor, same work (launch_full_c, via subprocess.run)": sh([CFULL, ROOTFS, "/bin/true"]),
        "C floor, bare (launch_c, via subprocess.run)": sh([CBIN, ROOTFS, "/bin/true"]),
        "nsrun.run (default rootfs launch + new net)": run_true(**DEFAULT),
        "subprocess.run(unshare)": sh(UNSHARE),
    })
    table("3a. default rootfs launch, from Python", med, "C floor, same work (launch_full_c, via subprocess.run)")
    bare = med["nsrun.run (default rootfs launch + new net)"] / med["C floor, bare (launch_c, via subprocess.run)"]
    print(f"  nsrun.run / bare C floor: {bare:.2f}x")
    med = measure({
        "C floor, same work: launch_full_c ROOTFS /bin/true": sh([CFULL, ROOTFS, "/bin/true"]),
        "C floor, bare: launch_c ROOTFS /bin/true": sh([CBIN, ROOTFS, "/bin/true"]),
        "nsrun run -muinp --mount-proc -R ROOTFS": sh(
            [CLI, "run", "--mount", "--uts", "--ipc", "--net", "--pid", "--mount-proc", "--root", ROOTFS,
             "--", "/bin/true"]),
        "unshare -mpuin --fork --mount-proc -R ROOTFS": sh(UNSHARE),
    })
    table("3b. default rootfs launch, from the CLI (each a whole command)", med,
          "C floor, same work: launch_full_c ROOTFS /bin/true")
    bare = med["nsrun run -muinp --mount-proc -R ROOTFS"] / med["C floor, bare: launch_c ROOTFS /bin/true"]
    print(f"  nsrun run / bare C floor: {bare:.2f}x")
    print("  target: nsrun <= 1.15x the C floor, and below unshare, from Python and from the CLI")
    print("  (the same-work floor does what a default launch does: /dev, /sys, /tmp, /run, masked paths,")
    print("   capability drops, seccomp, an init that forks the program; unshare and the bare floor do not)")


def exec_into():
    with nsrun.spawn(["sleep", "100000"], stdin=DEVNULL, **DEFAULT) as p:
        pid = str(p.pid)
        med = measure({
            "subprocess.run(/bin/true) on the host": sh(["/bin/true"]),
            "Process.exec(/bin/true)": lambda: p.exec(["/bin/true"], check=True),
            "subprocess.run(nsenter -t PID -a /bin/true)": sh(["nsenter", "-t", pid, "-a", "/bin/true"]),
        })
        table("4a. exec into a running launch, from Python", med, "subprocess.run(/bin/true) on the host")
        med = measure({
            "nsrun exec -t PID -- /bin/true": sh([CLI, "exec", "-t", pid, "--", "/bin/true"]),
            "nsenter -t PID -a /bin/true": sh(["nsenter", "-t", pid, "-a", "/bin/true"]),
        })
        table("4b. exec into a running launch, from the CLI", med, "nsrun exec -t PID -- /bin/true")
        p.stop()
    print("  target: Process.exec <= 1.2x subprocess.run on the host; nsenter -a >= 2x nsrun exec")


def stages():
    variants = {
        "subprocess.run (fork/exec/wait of /bin/true)": sh(["/bin/true"]),
        "nsrun: clone(VM|VFORK) + exec, no namespace, no init": run_true(namespaces=INHERIT_ALL, init=False),
        "  + nsrun-init (exec from memfd, fork payload)": run_true(namespaces=INHERIT_ALL),
        "  + new uts+ipc": run_true(namespaces={**INHERIT_ALL, "uts": "new", "ipc": "new"}),
        "  + new mnt+pid, fresh /proc (no rootfs)": run_true(
            namespaces={**INHERIT_ALL, "uts": "new", "ipc": "new", "mnt": "new", "pid": "new"}),
        "  + rootfs: pivot_root, /dev, /sys, /tmp, /run, ro /proc/sys": run_true(rootfs=ROOTFS),
        "  + new net (netns, fresh sysfs): the default launch": run_true(**DEFAULT),
    }
    med = measure(variants)
    print(f"\n5. where the time of a default launch goes (median of {N}, ms; each line adds one stage)")
    prev = None
    for k, v in med.items():
        delta = "" if prev is None else f"   {v - prev:+7.2f}"
        print(f"  {k:<64}{v:8.2f}{delta}")
        prev = v


def main():
    if os.geteuid() != 0:
        sys.exit("run as root")
    build()
    print(f"nsrun launch benchmark: {os.uname().release}, {os.cpu_count()} cpus, N={N}")
    memory_sweep()
    no_namespace()
    rootfs_launch()
    exec_into()
    stages()


if __name__ == "__main__":
    main()
