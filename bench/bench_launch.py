"""Launch benchmark (issue 3): /bin/true in the busybox rootfs with new mnt+pid+uts+ipc+net and a
fresh /proc, run N times by each tool, interleaved (each round runs every tool once, first tool
rotating), whole command per launch (process start included for every tool).

  nsrun (Rust)       core/examples/launch --net ROOTFS /bin/true
  unshare            unshare -mpuin --fork --mount-proc -R ROOTFS /bin/true
  bwrap              bwrap --unshare-pid/-net/-uts/-ipc --bind ROOTFS / --proc /proc --dev /dev
  C (floor)          bench/launch_c.c: clone + pivot_root + mount proc + exec + wait
From Python, per call: nsrun.run([...]) against subprocess.run(["unshare", ...]).

nsrun also mounts a fresh sysfs, a tmpfs /dev with nodes and devpts, tmpfs /tmp and /run, and
makes /proc/sys read-only: more work than the others, included in its figure.

    .venv/bin/python bench/bench_launch.py [N]     (as root; make bench)
"""

import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

import nsrun

ROOT = pathlib.Path(__file__).resolve().parents[1]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
ROOTFS = str(ROOT / "tests/fixtures/rootfs")
EXAMPLE = ROOT / "target/release/examples/launch"
CBIN = ROOT / "build/launch_c"


def build():
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "nsrun", "--example", "launch"], cwd=ROOT, check=True)
    CBIN.parent.mkdir(exist_ok=True)
    subprocess.run(["cc", "-O2", "-Wall", "-Werror", str(ROOT / "bench/launch_c.c"), "-o", str(CBIN)], check=True)
    if not (pathlib.Path(ROOTFS) / "etc/rcS").exists():
        subprocess.run([str(ROOT / "tests/fixtures/make_rootfs.sh"), ROOTFS], check=True)


COMMANDS = {
    "C (clone+pivot+proc+exec)": [str(CBIN), ROOTFS, "/bin/true"],
    "nsrun (Rust example)": [str(EXAMPLE), "--net", ROOTFS, "/bin/true"],
    "unshare": ["unshare", "-mpuin", "--fork", "--mount-proc", "-R", ROOTFS, "/bin/true"],
    "bwrap": ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-ipc",
              "--bind", ROOTFS, "/", "--proc", "/proc", "--dev", "/dev", "/bin/true"],
}


def main():
    if os.geteuid() != 0:
        sys.exit("run as root")
    build()
    tools = [t for t, cmd in COMMANDS.items() if shutil.which(cmd[0]) or os.path.exists(cmd[0])]
    times = {t: [] for t in tools}
    py = {"nsrun.run": [], "subprocess.run(unshare)": []}
    for i in range(N):
        order = tools[i % len(tools):] + tools[: i % len(tools)]
        for t in order:
            t0 = time.perf_counter()
            subprocess.run(COMMANDS[t], check=True, stdout=subprocess.DEVNULL)
            times[t].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        nsrun.run(["/bin/true"], rootfs=ROOTFS, namespaces={"net": "new"}, check=True)
        py["nsrun.run"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run(COMMANDS["unshare"], check=True, stdout=subprocess.DEVNULL)
        py["subprocess.run(unshare)"].append(time.perf_counter() - t0)

    med = {t: statistics.median(v) * 1e3 for t, v in times.items()}
    print(f"\nlaunch /bin/true in the rootfs, new mnt+pid+uts+ipc+net, fresh /proc: median of {N}, ms per launch")
    for t in tools:
        print(f"  {t:<28}{med[t]:8.2f} ms")
    c, n = med["C (clone+pivot+proc+exec)"], med["nsrun (Rust example)"]
    print("ratios:")
    print(f"  nsrun / C floor   = {n / c:5.2f}x   (target <= 1.3)")
    for other in ("unshare", "bwrap"):
        if other in med:
            print(f"  {other} / nsrun     = {med[other] / n:5.2f}x   (nsrun faster when > 1)")
    pm = {k: statistics.median(v) * 1e3 for k, v in py.items()}
    print(f"\nfrom Python, median of {N}, ms per call")
    for k, v in pm.items():
        print(f"  {k:<28}{v:8.2f} ms")
    print(f"  subprocess.run(unshare) / nsrun.run = {pm['subprocess.run(unshare)'] / pm['nsrun.run']:.2f}x   (target >= 2)")


if __name__ == "__main__":
    main()
