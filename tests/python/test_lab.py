"""nsrun.Lab: declared from a dict, a file or add_*; per-node exec/popen/spawn/namespace;
validation; nothing left after down, after a failed up, or after the owner is SIGKILLed."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import nsrun
from conftest import boot_ticks, leftover_namespaces, unique, wait_until

CHAIN = {
    "nodes": {
        "r1": {"interfaces": {"eth1": ["198.18.1.1/24", "fd00:1::1/64"]},
               "routes": [{"to": "198.18.2.0/24", "via": "198.18.1.2"}], "env": {"WHO": "r1"}},
        "r2": {"interfaces": {"eth1": ["198.18.1.2/24"]}, "boot": ["sh", "-c", "echo booted"]},
    },
    "links": [["r1:eth1", "r2:eth1"]],
}


def host_links():
    return subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout


def test_lab_from_dict_runs_commands_in_its_nodes():
    before = host_links()
    with nsrun.Lab(CHAIN, name=unique("lab")) as lab:
        r1, r2 = lab["r1"], lab["r2"]
        assert r1.exec(["hostname"]).stdout == "r1\n"
        assert r1.exec(["sh", "-c", "echo $WHO"]).stdout == "r1\n"
        assert r1.exec(["ping", "-c", "1", "-W", "5", "198.18.1.2"]).returncode == 0
        assert "198.18.2.0/24 via 198.18.1.2" in r1.exec(["ip", "route"]).stdout
        assert r2.output() == "booted\n"
        assert r1.namespace("net") != nsrun.Namespace.current("net")
        assert r1.namespace("net") != r2.namespace("net")
        p = r1.popen(["cat"], stdin=nsrun.PIPE, stdout=nsrun.PIPE, text=True)
        assert p.communicate("hello")[0] == "hello"
        d = r2.spawn(["sh", "-c", "echo daemon; exec sleep 1000"])
        wait_until(lambda: "daemon" in r2.output(), what="daemon output")
        assert "198.18.1.2/24" in r2.diagnostics()
        with pytest.raises(subprocess.CalledProcessError):
            r1.exec(["false"], check=True)
        assert host_links() == before
    assert d.returncode is not None
    assert not lab.running
    assert host_links() == before


def test_builder_and_file_give_the_same_lab(tmp_path):
    f = tmp_path / "lab.toml"
    f.write_text(textwrap.dedent("""
        name = "ignored-by-name-arg"
        links = [["a:e1", "b:e1"]]
        [nodes.a]
        interfaces = { e1 = ["198.18.3.1/30"] }
        [nodes.b]
        interfaces = { e1 = ["198.18.3.2/30"] }
    """))
    with nsrun.Lab.from_file(f, name=unique("labf")) as lab:
        assert lab["a"].exec(["ping", "-c", "1", "-W", "5", "198.18.3.2"]).returncode == 0
    lab = nsrun.Lab(name=unique("labb"))
    lab.add_node("a").add_node("b")
    lab.add_link("a:e1", "b:e1", addresses={"a:e1": ["198.18.3.1/30"], "b:e1": ["198.18.3.2/30"]})
    with lab:
        assert lab["b"].exec(["ping", "-c", "1", "-W", "5", "198.18.3.1"]).returncode == 0


def test_two_labs_with_the_same_names_at_once():
    with nsrun.Lab(CHAIN, name=unique("l1")) as a, nsrun.Lab(CHAIN, name=unique("l2")) as b:
        for lab in (a, b):
            assert lab["r1"].exec(["ping", "-c", "1", "-W", "5", "198.18.1.2"]).returncode == 0


@pytest.mark.parametrize("topology,message", [
    ({"nodes": {"a": {}}, "links": [["a:e1", "zz:e1"]]}, 'unknown node "zz"'),
    ({"nodes": {"a": {}, "b": {}}, "links": [["a:e1", "b:e1"], ["a:e1", "b:e2"]]}, "duplicate interface a:e1"),
    ({"nodes": {"a": {"interfaces": {"e1": ["10.0.0.300/8"]}}, "b": {}}, "links": [["a:e1", "b:e1"]]}, "bad address"),
    ({"nodes": {"a": {"rootfs": "/nonexistent/rootfs"}}}, "rootfs /nonexistent/rootfs is missing"),
])
def test_bad_topologies_are_refused_before_anything_is_made(topology, message):
    before = host_links()
    with pytest.raises(nsrun.InvalidArgumentError, match=message) as e:
        nsrun.Lab(topology, name=unique("bad")).up()
    assert e.value.errno == 22
    assert host_links() == before


def test_a_failed_up_leaves_nothing():
    t = {"nodes": {"a": {}, "b": {"boot": ["sh", "-c", "exit 4"]}}, "links": [["a:e1", "b:e1"]]}
    with pytest.raises(nsrun.LaunchError, match="node b: boot: .*status 4"):
        nsrun.Lab(t, name=unique("fail")).up()
    # the no_leaks fixture checks that no child process is left


def test_a_node_runs_its_init_alone_and_stops_with_its_shutdown_command(tmp_path):
    """A node's init holds the node with no program of its own (no `sleep infinity` exec'd
    per node): its PID namespace shows the init, the boot command's daemon and what is
    exec'd; down runs the shutdown command, then ends the daemon."""
    mark = tmp_path / "shutdown-ran"
    t = {"nodes": {"a": {"boot": ["sh", "-c", "sleep 1000 & echo up"],
                         "shutdown": ["sh", "-c", f"touch {mark}"]}}, "links": []}
    with nsrun.Lab(t, name=unique("hold")) as lab:
        a = lab["a"]
        assert a.output() == "up\n"
        ps = a.exec(["sh", "-c", "for p in /proc/[0-9]*; do echo $(cat $p/comm); done"]).stdout
        # (the glob is taken before any cat runs; one sleep: the daemon, no payload)
        assert sorted(ps.split()) == ["nsrun-init", "sh", "sleep"], ps
        pid = a.pid
    assert mark.exists()
    assert not lab.running
    assert not os.path.exists(f"/proc/{pid}")


def test_rootfs_nodes(rootfs):
    t = {"nodes": {"a": {"rootfs": rootfs}, "b": {"rootfs": rootfs}}, "links": [["a:e1", "b:e1"]],
         }
    t["nodes"]["a"]["interfaces"] = {"e1": ["198.18.4.1/30"]}
    t["nodes"]["b"]["interfaces"] = {"e1": ["198.18.4.2/30"]}
    with nsrun.Lab(t, name=unique("rfs")) as lab:
        assert lab["a"].exec(["hostname"]).stdout == "a\n"
        assert lab["a"].exec(["ping", "-c", "1", "-W", "5", "198.18.4.2"]).returncode == 0


# --- Nothing left after the owner is SIGKILLed --------------------------------------------------

OWNER = r"""
import json, os, sys, time, nsrun
stage = sys.argv[1]
t = {"nodes": {f"n{i}": {} for i in range(6)},
     "links": [[f"n{i}:e1", f"n{i+1}:e0"] for i in range(5)]}
if stage == "up":
    t["nodes"]["n5"]["boot"] = ["sleep", "1000"]
if stage == "down":
    t["nodes"]["n3"]["shutdown"] = ["sleep", "999"]
lab = nsrun.Lab(t, name=sys.argv[2])
if stage == "up":
    lab.up()  # never returns: the last boot command hangs
lab.up()
ids = {n: [str(node.namespace(k).id.ino) for k in ("net", "mnt", "pid")] for n, node in lab.nodes.items()}
pids = [node.pid for node in lab.nodes.values()]
print(json.dumps({"ids": ids, "pids": pids}), flush=True)
if stage == "down":
    lab["n0"].spawn(["sleep", "1000"])
    sys.stdin.readline()
    lab.down()  # never returns: the shutdown command hangs
time.sleep(1000)
"""


def _all_namespace_inodes():
    return {str(i.id.ino) for i in nsrun.list_namespaces()}


@pytest.mark.parametrize("stage", ["up", "running", "down"])
def test_sigkill_of_the_owner_leaves_nothing(stage, tmp_path):
    script = tmp_path / "owner.py"
    script.write_text(OWNER)
    before_links = host_links()
    p = subprocess.Popen([sys.executable, str(script), stage, unique("kill")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        if stage == "up":
            # wait until a node's boot command runs: bring-up is in progress
            def booting():
                return [d for d in _descendants(p.pid) if _cmdline(d)[:2] == ["sleep", "1000"]]
            wait_until(booting, what="bring-up in progress")
            pids = [d for d in _descendants(p.pid)]
            ids = set()
        else:
            info = json.loads(p.stdout.readline())
            pids = info["pids"] + _descendants(p.pid)
            ids = {i for v in info["ids"].values() for i in v}
            assert ids <= _all_namespace_inodes()
            if stage == "down":
                p.stdin.write("go\n")
                p.stdin.flush()
                wait_until(lambda: [d for d in _descendants(p.pid) if _cmdline(d) == ["sleep", "999"]],
                           what="teardown in progress")
                pids += _descendants(p.pid)
        since = boot_ticks()
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stdin.close()
    wait_until(lambda: not any(os.path.exists(f"/proc/{pid}") and _cmdline(pid) for pid in pids),
               what="every node process to die")
    wait_until(lambda: not leftover_namespaces(ids, since), what="the lab's namespaces to go",
               detail=lambda: leftover_namespaces(ids, since))
    assert host_links() == before_links


def _descendants(pid):
    from conftest import descendants
    return descendants(pid)


def _cmdline(pid):
    from conftest import cmdline
    return cmdline(pid)


# --- The nsrun_lab pytest fixture -----------------------------------------------------------------

def test_nsrun_lab_fixture_from_dict_and_file(nsrun_lab, tmp_path):
    lab = nsrun_lab(CHAIN)
    assert lab["r1"].exec(["ping", "-c", "1", "-W", "5", "198.18.1.2"]).returncode == 0
    f = tmp_path / "t.toml"
    f.write_text('[nodes.solo]\nboot = ["true"]\n')
    assert nsrun_lab(f)["solo"].exec(["hostname"]).stdout == "solo\n"


def test_nsrun_lab_fixture_reports_a_failure(pytester):
    pytester.makepyfile(textwrap.dedent("""
        def test_broken(nsrun_lab):
            lab = nsrun_lab({"nodes": {"a": {"interfaces": {"e1": ["198.18.7.1/30"]},
                                             "boot": ["sh", "-c", "echo daemon says hello"]},
                                       "b": {}},
                             "links": [["a:e1", "b:e1"]]})
            assert False, "the test fails"
    """))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "nsrun lab" in out and "== node a" in out
    assert "198.18.7.1/30" in out and "daemon says hello" in out and "$ ip route" in out
