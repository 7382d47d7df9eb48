"""The pytest plugin's fixtures as an ordinary user (issue 14: it raised PermissionError)."""

import os

import nsrun

ROOTFS = os.environ["NSRUN_ROOTFS"]


def test_netns_veth_boot_and_lab_fixtures_work_rootless(nsrun_netns, nsrun_veth, nsrun_boot, nsrun_lab):
    assert nsrun_netns.path.startswith(os.environ["XDG_RUNTIME_DIR"])
    assert nsrun.netns.open(nsrun_netns.name) == nsrun_netns.ns
    other = nsrun.Namespace.create("net")
    a, b = nsrun_veth(nsrun_netns.ns, other)
    assert [i.name for i in nsrun.link.list(ns=nsrun_netns.ns)] == ["lo", a]
    p = nsrun_boot(ROOTFS, ["sleep", "1000"], namespaces={"net": nsrun_netns.ns})
    assert sorted(p.exec(["ls", "/sys/class/net"], capture_output=True, text=True).stdout.split()) == sorted([a, "lo"])
    lab = nsrun_lab({"nodes": {"x": {"interfaces": {"e0": ["198.18.9.1/30"]}}, "y": {"interfaces": {"e0": ["198.18.9.2/30"]}}},
                     "links": [["x:e0", "y:e0"]]})
    assert lab["x"].exec(["ping", "-c", "1", "-W", "5", "198.18.9.2"]).returncode == 0
