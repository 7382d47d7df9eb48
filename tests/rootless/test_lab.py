"""A whole lab as an ordinary user (issue 14): nodes, links, LANs, addresses, routes, exec and
down in one user namespace per lab; a SIGKILL of the owner leaves nothing. Run by
tests/rootless/run.sh, never as root."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import nsrun
from conftest import wait_until

MAPS = os.environ["NSRUN_MAPS"]
HERE = os.path.dirname(os.path.abspath(__file__))

CHAIN = {
    "nodes": {
        "r1": {"interfaces": {"eth1": ["198.18.1.1/24"]},
               "routes": [{"to": "198.18.2.0/24", "via": "198.18.1.2"}]},
        "r2": {"interfaces": {"eth1": ["198.18.1.2/24"], "eth2": ["198.18.2.1/24"]},
               "sysctls": {"net.ipv4.ip_forward": 1}, "boot": ["sh", "-c", "echo booted"]},
        "r3": {"interfaces": {"eth1": ["198.18.2.2/24"]},
               "routes": [{"to": "198.18.1.0/24", "via": "198.18.2.1"}],
               "private": [{"path": "/etc/frr"}], "files": {"/etc/frr/hello.conf": __file__}},
    },
    "links": [["r1:eth1", "r2:eth1"], ["r2:eth2", "r3:eth1"]],
    "lans": {"lan0": {"members": ["r1:lan", "r2:lan", "r3:lan"]}},
}


def mine():
    """Pids of every process of this user but this test process and its ancestors."""
    me = {os.getpid(), os.getppid()}
    out = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.stat(f"/proc/{pid}").st_uid == os.getuid() and int(pid) not in me:
                stat = open(f"/proc/{pid}/stat").read()
                if stat.rsplit(")", 1)[1].split()[0] != "Z":
                    out.append(int(pid))
        except OSError:
            pass
    return sorted(out)


def test_a_rootless_lab_routes_through_the_middle_node_in_a_user_namespace_of_its_own():
    before = mine()
    with nsrun.Lab(CHAIN, name=f"rl{os.getpid()}") as lab:
        r1, r2, r3 = lab["r1"], lab["r2"], lab["r3"]
        assert r1.exec(["hostname"]).stdout == "r1\n"
        assert r1.exec(["id", "-u"]).stdout == "0\n"
        r = r1.exec(["ping", "-c", "1", "-W", "5", "198.18.2.2"])
        assert r.returncode == 0, r.stdout + r.stderr
        assert r2.output() == "booted\n"
        assert r2.exec(["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout == "1\n"
        assert r3.exec(["cat", "/etc/frr/hello.conf"]).stdout == open(__file__).read()
        # The LAN: a bridge in the lab's own namespace; r1 reaches r3 over it by link-local v6.
        assert "lan" in r1.exec(["ip", "link"]).stdout
        # One user namespace for the whole lab, not the caller's and not the keeper's.
        owners = {lab[n].namespace("net").owner() for n in ("r1", "r2", "r3")}
        assert len(owners) == 1 and nsrun.Namespace.current("user") not in owners
        with nsrun.Lab({"nodes": {"x": {}}}, name=f"rl2{os.getpid()}") as other:
            assert other["x"].namespace("net").owner() not in owners
    wait_until(lambda: set(mine()) <= set(before), "every lab process to go")


OWNER = textwrap.dedent("""
    import json, sys, nsrun
    lab = nsrun.Lab(json.loads(sys.argv[1]), name=sys.argv[2]).up()
    print(json.dumps([lab[n].pid for n in ("r1", "r2", "r3")]), flush=True)
    sys.stdin.readline()
""")


def test_sigkill_of_the_owner_leaves_nothing():
    before = mine()
    p = subprocess.Popen([sys.executable, "-c", OWNER, json.dumps(CHAIN), f"rk{os.getpid()}"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        pids = json.loads(p.stdout.readline())
        assert all(os.path.exists(f"/proc/{pid}") for pid in pids)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stdin.close()
    wait_until(lambda: set(mine()) <= set(before), "the nodes and the lab's agent to go")


@pytest.mark.skipif(not os.path.exists("/usr/lib/frr/zebra"), reason="FRR is installed by make test")
def test_frr_converges_in_a_rootless_lab_with_a_range_and_fails_clearly_without():
    topo = os.path.join(HERE, "frr", "chain.toml")
    if MAPS == "range":
        with nsrun.Lab.from_file(topo, name=f"frr{os.getpid()}") as lab:
            def learnt():
                return ("198.18.2.0/24" in lab["r1"].exec(["ip", "route"]).stdout
                        and "198.18.1.0/24" in lab["r3"].exec(["ip", "route"]).stdout)
            wait_until(learnt, "r1 and r3 to learn each other's network by OSPF", timeout=60)
            # Forwarded through r2 (its ip_forward is on): both ways routed, so the echo returns.
            r = lab["r1"].exec(["ping", "-c", "3", "-i", "0.2", "-W", "5", "198.18.2.2"])
            assert "bytes from 198.18.2.2" in r.stdout, r.stdout
            ps = lab["r2"].exec(["ps", "-o", "user=,comm=", "-C", "zebra,ospfd"]).stdout
            assert "frr" in ps  # the daemons dropped to their own user
    else:
        with pytest.raises(nsrun.Error) as e:
            nsrun.Lab.from_file(topo, name=f"frr{os.getpid()}").up()
        assert "subuid" in str(e.value), str(e.value)


def test_the_cli_lab_outlives_the_command_and_goes_with_down(tmp_path):
    cli = os.environ["NSRUN_CLI"]
    topo = tmp_path / "lab.toml"
    topo.write_text(textwrap.dedent("""
        links = [["a:e1", "b:e1"]]
        [nodes.a]
        interfaces = { e1 = ["198.18.3.1/30"] }
        [nodes.b]
        interfaces = { e1 = ["198.18.3.2/30"] }
    """))
    name = f"cl{os.getpid()}"
    before = mine()
    r = subprocess.run([cli, "lab", "up", str(topo), "--name", name], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    try:
        r = subprocess.run([cli, "lab", "exec", name, "a", "--", "ping", "-c", "1", "-W", "5", "198.18.3.2"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        r = subprocess.run([cli, "lab", "ls", "--json"], capture_output=True, text=True, timeout=60)
        assert name in r.stdout
        assert os.path.isdir(os.path.join(os.environ["XDG_RUNTIME_DIR"], "nsrun", "labs", name))
    finally:
        r = subprocess.run([cli, "lab", "down", name], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    wait_until(lambda: set(mine()) <= set(before), "the supervisor and the nodes to go")


def test_a_seed_file_larger_than_a_request_reaches_a_rootless_node(tmp_path):
    blob = tmp_path / "blob"
    blob.write_bytes(os.urandom(300_000))
    topo = {"nodes": {"x": {"private": [{"path": "/etc/frr"}], "files": {"/etc/frr/blob": str(blob)}}}}
    with nsrun.Lab(topo, name=f"rb{os.getpid()}") as lab:
        r = lab["x"].exec(["sha256sum", "/etc/frr/blob"])
        import hashlib
        assert r.stdout.split()[0] == hashlib.sha256(blob.read_bytes()).hexdigest()


def test_sigkill_of_the_cli_supervisor_leaves_nothing_that_clean_does_not_remove(tmp_path):
    cli = os.environ["NSRUN_CLI"]
    topo = tmp_path / "lab.toml"
    topo.write_text('links = [["a:e1", "b:e1"]]\n[nodes.a]\n[nodes.b]\n')
    name = f"ck{os.getpid()}"
    before = mine()
    r = subprocess.run([cli, "lab", "up", str(topo), "--name", name], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    row = next(x for x in json.loads(subprocess.run([cli, "lab", "ls", "--json"], capture_output=True,
                                                     text=True, check=True).stdout) if x["name"] == name)
    assert row["running"] and len(row["nodes"]) == 2
    os.kill(row["supervisor"], signal.SIGKILL)
    wait_until(lambda: set(mine()) <= set(before), "the nodes and the lab's agent to die with it")
    row = next(x for x in json.loads(subprocess.run([cli, "lab", "ls", "--json"], capture_output=True,
                                                     text=True, check=True).stdout) if x["name"] == name)
    assert not row["running"]
    r = subprocess.run([cli, "lab", "clean"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and f"removed {name}" in r.stdout, r.stdout + r.stderr
    assert not os.path.exists(os.path.join(os.environ["XDG_RUNTIME_DIR"], "nsrun", "labs", name))
