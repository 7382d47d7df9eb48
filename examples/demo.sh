#!/bin/sh
# `make demo`: boot the busybox router rootfs with `nsrun boot`, non-interactively, in a fresh
# named network namespace; show the isolation from inside; then show that the host kept nothing.
#   examples/demo.sh NSRUN ROOTFS
set -eu
nsrun=$1 rootfs=$2
net="nsrun-demo-$$"
# The demo's own mounts: anything at or under the rootfs, or at its netns file.
mine() { cut -d' ' -f5- /proc/self/mountinfo | grep -e "^$(realpath "$rootfs")[/ ]" -e "^/run/netns/$net " | sort; }
before=$(mine)

echo "\$ nsrun boot $rootfs --net-new $net -- /bin/sh -c '...'"
"$nsrun" boot "$rootfs" --net-new "$net" -- /bin/sh -c '
echo "== ps: nsrun-init is PID 1; only the router'"'"'s processes are visible"; ps -o pid,comm
echo "== hostname (set by /etc/rcS)"; hostname
echo "== interfaces of the new network namespace (a fresh /sys)"; ls /sys/class/net
echo "== mounts inside"; mount | sed "s/ (.*//"
echo "== kernel settings are read-only inside"; echo demo > /proc/sys/kernel/domainname 2>&1 || true'

echo "\$ ip netns list    (the router's netns persists as $net)"
ip netns list | grep -x "$net"
"$nsrun" netns del "$net"
after=$(mine)
if [ "$before" = "$after" ]; then echo "host mounts left behind: none"; else echo "host mounts changed!"; exit 1; fi
