"""`nsrun lab`: up/exec/ls/down/clean, and nothing left when the supervisor is SIGKILLed during
up, while running and during down (`clean` removes what remains, and only that)."""

import json
import os
import signal
import subprocess
import textwrap

import pytest

import nsrun
from conftest import boot_ticks, cmdline, descendants, leftover_namespaces, unique, wait_until
from test_cli import cli

RUN = "/run/nsrun/labs"


def topology(tmp_path, boot=None, shutdown=None):
    f = tmp_path / "chain.toml"
    extra = ""
    if boot:
        extra += f"boot = {json.dumps(boot)}\n"
    if shutdown:
        extra += f"shutdown = {json.dumps(shutdown)}\n"
    f.write_text(textwrap.dedent("""
        links = [["r1:eth1", "r2:eth1"], ["r2:eth2", "r3:eth1"]]
        [nodes.r1]
        interfaces = { eth1 = ["198.18.1.1/24"] }
        routes = [{ to = "default", via = "198.18.1.2" }]
        [nodes.r3]
        interfaces = { eth1 = ["198.18.2.2/24"] }
        routes = [{ to = "default", via = "198.18.2.1" }]
        [nodes.r2]
        sysctls = { "net.ipv4.ip_forward" = 1 }
        interfaces = { eth1 = ["198.18.1.2/24"], eth2 = ["198.18.2.1/24"] }
    """) + extra)
    return str(f)


def host_links():
    return subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout


def node_pids_and_namespaces(name):
    with open(f"{RUN}/{name}/state.json") as f:
        st = json.load(f)
    pids = [n["init"]["pid"] for n in st["nodes"]]
    inos = set()
    for pid in pids:
        for k in ("net", "mnt", "pid"):
            inos.add(os.stat(f"/proc/{pid}/ns/{k}").st_ino)
    return st["supervisor"]["pid"], pids, inos


def gone(pids, inos, since):
    wait_until(lambda: not any(cmdline(p) for p in pids), what="the lab's processes to die", timeout=60)
    wait_until(lambda: not leftover_namespaces(inos, since), what="its namespaces to go", timeout=60,
               detail=lambda: leftover_namespaces(inos, since))


@pytest.fixture
def lab_name(nsrun_bin):
    name = unique("clilab")
    yield name
    cli(nsrun_bin, "lab", "down", name)
    assert not os.path.exists(f"{RUN}/{name}")


def test_up_exec_ls_down(nsrun_bin, lab_name, tmp_path):
    before = host_links()
    r = cli(nsrun_bin, "lab", "up", topology(tmp_path), "--name", lab_name)
    assert r.returncode == 0, r.stderr
    assert "3 nodes" in r.stdout
    r = cli(nsrun_bin, "lab", "exec", lab_name, "r1", "--", "ping", "-c", "1", "-W", "5", "198.18.2.2")
    assert r.returncode == 0, r.stdout + r.stderr
    assert cli(nsrun_bin, "lab", "exec", lab_name, "r3", "--", "hostname").stdout == "r3\n"
    assert cli(nsrun_bin, "lab", "exec", lab_name, "r3", "--", "sh", "-c", "exit 7").returncode == 7
    rows = json.loads(cli(nsrun_bin, "lab", "ls", "--json").stdout)
    row = next(r for r in rows if r["name"] == lab_name)
    assert row["running"] and sorted(n["name"] for n in row["nodes"]) == ["r1", "r2", "r3"]
    assert lab_name in cli(nsrun_bin, "lab", "ls").stdout
    # the same name twice is refused while it runs
    again = cli(nsrun_bin, "lab", "up", topology(tmp_path), "--name", lab_name)
    assert again.returncode != 0 and "already running" in again.stderr
    _, pids, inos = node_pids_and_namespaces(lab_name)
    since = boot_ticks()
    assert cli(nsrun_bin, "lab", "down", lab_name).returncode == 0
    assert not os.path.exists(f"{RUN}/{lab_name}")
    gone(pids, inos, since)
    assert host_links() == before


def test_a_bad_topology_is_refused_and_leaves_nothing(nsrun_bin, lab_name, tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('links = [["a:e1", "b:e1"]]\n[nodes.a]\n')
    r = cli(nsrun_bin, "lab", "up", str(f), "--name", lab_name)
    assert r.returncode == 125 and 'unknown node "b"' in r.stderr and str(f) in r.stderr
    assert not os.path.exists(f"{RUN}/{lab_name}")
    # a boot failure is reported by the supervisor, which leaves nothing either
    r = cli(nsrun_bin, "lab", "up", topology(tmp_path, boot=["sh", "-c", "exit 5"]), "--name", lab_name)
    assert r.returncode == 125 and "boot" in r.stderr and "status 5" in r.stderr, r.stderr
    assert not os.path.exists(f"{RUN}/{lab_name}")


def test_sigkill_of_the_supervisor_while_running(nsrun_bin, lab_name, tmp_path):
    before = host_links()
    assert cli(nsrun_bin, "lab", "up", topology(tmp_path), "--name", lab_name).returncode == 0
    sup, pids, inos = node_pids_and_namespaces(lab_name)
    since = boot_ticks()
    os.kill(sup, signal.SIGKILL)
    gone(pids + [sup], inos, since)
    assert host_links() == before
    # Listed as not running, or already removed by a `lab clean` running at the same time (the
    # other pytest worker's, or another copy of the suite's: clean removes every dead lab).
    rows = json.loads(cli(nsrun_bin, "lab", "ls", "--json").stdout)
    assert not any(r["running"] for r in rows if r["name"] == lab_name)
    assert cli(nsrun_bin, "lab", "exec", lab_name, "r1", "--", "true").returncode == 125
    assert cli(nsrun_bin, "lab", "clean").returncode == 0
    assert not os.path.exists(f"{RUN}/{lab_name}")


def test_sigkill_of_the_supervisor_during_up(nsrun_bin, lab_name, tmp_path):
    before = host_links()
    up = subprocess.Popen([nsrun_bin, "lab", "up", topology(tmp_path, boot=["sleep", "1001"]), "--name", lab_name],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sup = wait_until(lambda: json.load(open(f"{RUN}/{lab_name}/supervisor.json"))["pid"]
                         if os.path.exists(f"{RUN}/{lab_name}/supervisor.json") else None, what="supervisor")
        wait_until(lambda: [d for d in descendants(sup) if cmdline(d) == ["sleep", "1001"]], what="boot to run")
        procs = descendants(sup)
        inos = {os.stat(f"/proc/{p}/ns/net").st_ino for p in procs if cmdline(p)}
        since = boot_ticks()
        os.kill(sup, signal.SIGKILL)
        out, err = up.communicate(timeout=30)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    assert up.returncode == 125 and "supervisor died" in err
    gone(procs + [sup], inos, since)
    assert host_links() == before
    # Removed by this clean, or by one running at the same time in another worker or run.
    assert cli(nsrun_bin, "lab", "clean").returncode == 0
    assert not os.path.exists(f"{RUN}/{lab_name}")


def test_sigkill_of_the_supervisor_during_down(nsrun_bin, lab_name, tmp_path):
    before = host_links()
    assert cli(nsrun_bin, "lab", "up", topology(tmp_path, shutdown=["sleep", "1002"]),
               "--name", lab_name).returncode == 0
    sup, pids, inos = node_pids_and_namespaces(lab_name)
    down = subprocess.Popen([nsrun_bin, "lab", "down", lab_name], stdout=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: [d for d in descendants(sup) if cmdline(d) == ["sleep", "1002"]], what="shutdown to run")
        since = boot_ticks()
        os.kill(sup, signal.SIGKILL)
        down.communicate(timeout=30)
    finally:
        if down.poll() is None:
            down.kill()
            down.wait()
    assert down.returncode == 0
    gone(pids + [sup], inos, since)
    assert not os.path.exists(f"{RUN}/{lab_name}")
    assert host_links() == before


def test_clean_touches_only_dead_labs(nsrun_bin, lab_name, tmp_path, netns_name):
    mine = nsrun.netns.add(netns_name)  # a user's own namespace: clean must leave it
    assert cli(nsrun_bin, "lab", "up", topology(tmp_path), "--name", lab_name).returncode == 0
    r = cli(nsrun_bin, "lab", "clean")
    assert lab_name not in r.stdout
    assert cli(nsrun_bin, "lab", "exec", lab_name, "r2", "--", "true").returncode == 0
    assert nsrun.netns.open(netns_name) == mine
