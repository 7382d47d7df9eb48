"""A router test written the way a user would, with the fixtures of the nsrun pytest plugin.

    NSRUN_ROOTFS=path/to/rootfs pytest examples/python/test_router_example.py     (as root)
"""
import os

import nsrun

ROOTFS = os.environ["NSRUN_ROOTFS"]


def test_router_answers_ping_on_eth1(nsrun_netns, nsrun_veth, nsrun_boot):
    lan = nsrun.Namespace.create("net")  # stands for the test host
    router_end, lan_end = nsrun_veth(nsrun_netns.ns, lan)
    nsrun.link.add_address(router_end, "198.18.3.1/24", ns=nsrun_netns.ns)
    nsrun.link.set_up(router_end, ns=nsrun_netns.ns)
    nsrun.link.add_address(lan_end, "198.18.3.2/24", ns=lan)
    nsrun.link.set_up(lan_end, ns=lan)

    router = nsrun_boot(ROOTFS, namespaces={"net": nsrun_netns.ns})
    assert router.namespace("net") == nsrun_netns.ns

    ping = nsrun.run(["ping", "-c", "1", "-W", "3", "198.18.3.1"], rootfs=ROOTFS,
                     namespaces={"net": lan}, capture_output=True, text=True, timeout=20)
    assert ping.returncode == 0, ping.stdout
