"""Rootless against rootful (issue 14), in one run: a default rootfs launch (new mnt, pid, uts,
ipc and net, fresh /proc, init), a named netns add and delete, and a chain lab of N nodes
(up, exec of /bin/true in a node, down).

Run as root: it measures the rootful figures in this process, then runs itself as the accounts
`make test-rootless` makes (nsrun-rl, whose launches map a subordinate range through newuidmap,
and nsrun-rl1, with only root mapped), each from a fresh venv with the wheel `make wheel` built
and its own copy of the rootfs, and prints each figure and the ratio rootless / rootful. Rounds
alternate rootful and rootless runs; each figure is the median over its rounds.

    .venv/bin/python bench/bench_rootless.py [N_LAB] [ROUNDS]     (as root; make bench)
"""

import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import nsrun

ROOT = pathlib.Path(__file__).resolve().parents[1]
LAUNCHES = 30
NAMES = 200
EXECS = 30
ACCOUNTS = {"range (newuidmap)": "nsrun-rl", "root only": "nsrun-rl1"}


def chain(n: int) -> dict:
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from bench_lab import chain as lab_chain

    return lab_chain(n)


def median_ms(f, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def measure(rootfs: str, n_lab: int) -> dict:
    """Every figure, in ms, as whoever runs this."""
    out = {}
    nsrun.run(["/bin/true"], rootfs=rootfs, namespaces={"net": "new"}, check=True)
    out["launch"] = median_ms(
        lambda: nsrun.run(["/bin/true"], rootfs=rootfs, namespaces={"net": "new"}, check=True), LAUNCHES)
    names = [f"br{os.getpid()}-{i}" for i in range(NAMES)]
    it = iter(names)
    out["netns add"] = median_ms(lambda: nsrun.netns.add(next(it)), NAMES)
    it = iter(names)
    out["netns delete"] = median_ms(lambda: nsrun.netns.delete(next(it)), NAMES)
    topo = chain(n_lab)
    t = time.perf_counter()
    lab = nsrun.Lab(topo, name=f"brl{os.getpid()}").up()
    out[f"lab up ({n_lab} nodes)"] = (time.perf_counter() - t) * 1e3
    node = lab["n2"]
    node.exec(["/bin/true"], capture_output=False)
    out["lab exec"] = median_ms(lambda: node.exec(["/bin/true"], capture_output=False), EXECS)
    t = time.perf_counter()
    lab.down()
    out[f"lab down ({n_lab} nodes)"] = (time.perf_counter() - t) * 1e3
    return out


class Account:
    """A venv with the wheel, a rootfs copy and a runtime directory for one account."""

    def __init__(self, user: str, base: str):
        self.user = user
        self.dir = os.path.join(base, user)
        os.mkdir(self.dir)
        shutil.copytree(ROOT / "tests" / "fixtures" / "rootfs", os.path.join(self.dir, "rootfs"), symlinks=True)
        subprocess.run(["chown", "-R", f"{user}:", self.dir], check=True)
        os.makedirs(os.path.join(self.dir, "run"), mode=0o700, exist_ok=True)
        subprocess.run(["chown", f"{user}:", os.path.join(self.dir, "run")], check=True)

    def measure(self, venv: str, n_lab: int) -> dict:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.dir,
               "XDG_RUNTIME_DIR": os.path.join(self.dir, "run"), "LANG": "C.UTF-8"}
        r = subprocess.run(["setpriv", f"--reuid={self.user}", f"--regid={self.user}", "--init-groups",
                            os.path.join(venv, "bin", "python"), os.path.join(self.dir, "bench.py"), "--worker",
                            os.path.join(self.dir, "rootfs"), str(n_lab)],
                           env=env, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise SystemExit(f"rootless worker as {self.user} failed:\n{r.stderr}")
        return json.loads(r.stdout.splitlines()[-1])


def main() -> int:
    if sys.argv[1:2] == ["--worker"]:
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))
        return 0
    n_lab = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    if os.geteuid() != 0:
        raise SystemExit("run as root (it measures rootful itself and rootless as nsrun-rl/nsrun-rl1)")
    for user in ACCOUNTS.values():
        if subprocess.run(["id", "-u", user], capture_output=True).returncode != 0:
            raise SystemExit(f"no account {user}: run `make test-rootless` first (it makes them)")
    wheels = sorted((ROOT / "build" / "wheels").glob("nsrun-*.whl"))
    if not wheels:
        raise SystemExit("no wheel: run `make wheel` first")
    base = tempfile.mkdtemp(prefix="nsrun-bench-rootless-")
    try:
        os.chmod(base, 0o755)
        venv = os.path.join(base, "venv")
        subprocess.run(["/usr/bin/python3", "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "--disable-pip-version-check",
                        str(wheels[-1])], check=True)
        accounts = {label: Account(user, base) for label, user in ACCOUNTS.items()}
        for a in accounts.values():
            shutil.copy(__file__, os.path.join(a.dir, "bench.py"))
            shutil.copy(pathlib.Path(__file__).parent / "bench_lab.py", os.path.join(a.dir, "bench_lab.py"))
        subprocess.run(["chmod", "-R", "a+rX", base], check=True)
        runs = {"rootful": []} | {label: [] for label in accounts}
        for _ in range(rounds):
            runs["rootful"].append(measure(str(ROOT / "tests" / "fixtures" / "rootfs"), n_lab))
            for label, a in accounts.items():
                runs[label].append(a.measure(venv, n_lab))
    finally:
        shutil.rmtree(base)
    med = {k: {f: statistics.median(r[f] for r in v) for f in v[0]} for k, v in runs.items()}
    labels = list(accounts)
    print(f"rootless vs rootful, median of {rounds} rounds (ms; ratio = rootless / rootful)")
    print(f"{'':26}{'rootful':>10}" + "".join(f"{label:>28}" for label in labels))
    for f in med["rootful"]:
        row = f"{f:26}{med['rootful'][f]:10.2f}"
        for label in labels:
            row += f"{med[label][f]:14.2f} ({med[label][f] / med['rootful'][f]:5.2f}x)    "
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
