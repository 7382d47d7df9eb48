"""boot_on_host: the router developer's shell script, done right in Python (no shell, no `ip`).

A named netns, a veth pair born in a second namespace standing for the test host, one end moved
into the netns as eth1 (no interface ever appears in the host's own namespace), the rootfs booted
joined to the netns (/etc/rcS S boot, the command, /etc/rcS K shutdown), and everything removed
on exit. As root NET is /run/netns/NET; as an ordinary user the same script runs rootless.

    python boot_on_host.py ROOTFS NET [CMD...]      (default CMD: an interactive shell)
"""
import os
import sys

import nsrun

rootfs, net, cmd = sys.argv[1], sys.argv[2], sys.argv[3:] or ["/bin/sh", "-i"]
host_end, peer_end = f"bp{os.getpid() % 100000}a", f"bp{os.getpid() % 100000}b"

lab = nsrun.netns.add(net)  # refused if NET exists: never a netns bound over another
try:
    peer = nsrun.Namespace.create("net")
    nsrun.link.veth(host_end, peer_end, ns=peer, peer_ns=peer)
    nsrun.link.move(host_end, lab, new_name="eth1", from_ns=peer)
    nsrun.link.add_address("eth1", "198.18.0.1/24", ns=lab)
    nsrun.link.set_up("eth1", ns=lab)
    nsrun.link.set_up("lo", ns=lab)
    nsrun.link.add_address(peer_end, "198.18.0.2/24", ns=peer)
    nsrun.link.set_up(peer_end, ns=peer)

    with nsrun.spawn(cmd, rootfs=rootfs, namespaces={"net": lab},
                     boot=["/etc/rcS", "S", "boot"], shutdown=["/etc/rcS", "K", "shutdown"],
                     interactive=sys.stdin.isatty()) as router:
        status = router.wait()  # the init runs the shutdown script at the end
    print(f"boot_on_host: {rootfs} exited with status {status}")
finally:
    nsrun.netns.delete(net)  # the veth pair goes with the namespaces
sys.exit(status)
