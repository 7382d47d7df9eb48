"""Rootless against rootful (issue 14), in one run: a default rootfs launch (new mnt, pid, uts,
ipc and net, fresh /proc, init), a named netns add and delete, and a chain lab of N nodes
(up, exec of /bin/true in a node, down).

Run as root: it measures rootful in this process and rootless in two worker processes running as
the accounts `make test-rootless` makes (nsrun-rl, with a subordinate range mapped through
newuidmap, and nsrun-rl1, with only root mapped), each from a fresh venv with the wheel
`make wheel` built, its own copy of the rootfs and its own runtime directory. The three take
turns in small chunks (launches 10, netns 50, one lab), so each works under the same conditions
(the kernel's asynchronous teardown of earlier namespaces, other load); every figure is the
median over all its chunks' operations. Prints ms and the ratio rootless / rootful.

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
ACCOUNTS = {"range (newuidmap)": "nsrun-rl", "root only": "nsrun-rl1"}
CHUNK = {"launch": 10, "netns": 50}


def chain(n: int) -> dict:
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from bench_lab import chain as lab_chain

    return lab_chain(n)


def timed(f) -> float:
    t = time.perf_counter()
    f()
    return (time.perf_counter() - t) * 1e3


class Tool:
    """Runs one chunk of a phase and returns {figure: [ms per operation]}."""

    def __init__(self, rootfs: str):
        self.rootfs = rootfs
        self.seq = 0

    def chunk(self, phase: str, n: int) -> dict:
        if phase == "launch":
            run = lambda: nsrun.run(["/bin/true"], rootfs=self.rootfs, namespaces={"net": "new"}, check=True)
            return {"launch": [timed(run) for _ in range(n)]}
        if phase == "netns":
            names = [f"br{os.getpid()}-{self.seq}-{i}" for i in range(n)]
            self.seq += 1
            add = [timed(lambda name=name: nsrun.netns.add(name)) for name in names]
            delete = [timed(lambda name=name: nsrun.netns.delete(name)) for name in names]
            return {"netns add": add, "netns delete": delete}
        lab = None

        def up():
            nonlocal lab
            lab = nsrun.Lab(chain(n), name=f"brl{os.getpid()}-{self.seq}").up()

        self.seq += 1
        out = {f"lab up ({n} nodes)": [timed(up)]}
        node = lab["n2"]
        node.exec(["/bin/true"], capture_output=False)
        out["lab exec"] = [timed(lambda: node.exec(["/bin/true"], capture_output=False)) for _ in range(30)]
        out[f"lab down ({n} nodes)"] = [timed(lab.down)]
        return out


def worker(rootfs: str) -> int:
    """Rootless side: one chunk per line `PHASE N` on stdin, its figures as JSON on stdout."""
    tool = Tool(rootfs)
    for line in sys.stdin:
        phase, n = line.split()
        print(json.dumps(tool.chunk(phase, int(n))), flush=True)
    return 0


class Account:
    """A worker as `user`, from the shared venv, with its own rootfs and runtime directory."""

    def __init__(self, user: str, base: str, venv: str):
        d = os.path.join(base, user)
        os.mkdir(d)
        shutil.copytree(ROOT / "tests" / "fixtures" / "rootfs", os.path.join(d, "rootfs"), symlinks=True)
        for f in (__file__, pathlib.Path(__file__).parent / "bench_lab.py"):
            shutil.copy(f, d)
        # The runtime directory where a login session has it, under /run (as /run/user/UID):
        # on this VM, file creation under /tmp costs ~0.45 ms against ~0.01 ms under /run
        # (measured with os.open(O_CREAT) as root in both), which would be counted to rootless.
        self.run = tempfile.mkdtemp(prefix=f"nsrun-bench-{user}-", dir="/run")
        subprocess.run(["chown", "-R", f"{user}:", d, self.run], check=True)
        subprocess.run(["chmod", "-R", "a+rX", base], check=True)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": d,
               "XDG_RUNTIME_DIR": self.run, "LANG": "C.UTF-8"}
        self.p = subprocess.Popen(
            ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups",
             os.path.join(venv, "bin", "python"), os.path.join(d, os.path.basename(__file__)), "--worker",
             os.path.join(d, "rootfs")],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def chunk(self, phase: str, n: int) -> dict:
        self.p.stdin.write(f"{phase} {n}\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise SystemExit(f"rootless worker failed in {phase}")
        return json.loads(line)

    def close(self):
        self.p.stdin.close()
        self.p.wait(60)
        shutil.rmtree(self.run)


def main() -> int:
    if sys.argv[1:2] == ["--worker"]:
        return worker(sys.argv[2])
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
    tools = {}
    try:
        os.chmod(base, 0o755)
        venv = os.path.join(base, "venv")
        subprocess.run(["/usr/bin/python3", "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "--disable-pip-version-check",
                        str(wheels[-1])], check=True)
        tools = {"rootful": Tool(str(ROOT / "tests" / "fixtures" / "rootfs"))}
        tools |= {label: Account(user, base, venv) for label, user in ACCOUNTS.items()}
        figures = {label: {} for label in tools}
        plan = [("launch", CHUNK["launch"])] * (3 * rounds) + [("netns", CHUNK["netns"])] * (2 * rounds) \
            + [("lab", n_lab)] * rounds
        for k, (phase, n) in enumerate(plan):
            labels = list(tools)
            labels = labels[k % len(labels):] + labels[:k % len(labels)]  # who goes first rotates
            for label in labels:
                for fig, ms in tools[label].chunk(phase, n).items():
                    figures[label].setdefault(fig, []).extend(ms)
    finally:
        for t in tools.values():
            if isinstance(t, Account):
                t.close()
        shutil.rmtree(base)
    med = {label: {f: statistics.median(v) for f, v in figs.items()} for label, figs in figures.items()}
    labels = [label for label in med if label != "rootful"]
    print(f"rootless vs rootful, {rounds} rounds taking turns (median ms; ratio = rootless / rootful)")
    print(f"{'':22}{'rootful':>9}" + "".join(f"{label:>26}" for label in labels))
    for f in med["rootful"]:
        row = f"{f:22}{med['rootful'][f]:9.2f}"
        for label in labels:
            row += f"{med[label][f]:13.2f} ({med[label][f] / med['rootful'][f]:4.2f}x)     "
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
