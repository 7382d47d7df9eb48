"""Create, persist, enter, compare and delete a named network namespace."""
import subprocess
import sys

import nsrun

name = sys.argv[1] if len(sys.argv) > 1 else "lab"

lab = nsrun.netns.add(name)                  # like `ip netns add lab`, visible to ip
print("created", lab, "at", nsrun.netns.path(name))

with lab.enter():                            # this thread only; restored on exit
    subprocess.run(["ip", "-br", "link"], check=True)  # only lo in here

print("same as ip's view:", nsrun.same(lab, f"/run/netns/{name}"))
print("back on the host:", nsrun.Namespace.current("net") != lab)

try:
    nsrun.netns.add(name)                    # a second netns over the first? refused.
except nsrun.AlreadyPersistedError as e:
    print("refused:", e.strerror)

nsrun.netns.delete(name)                     # no EBUSY, even if mounts were stacked
print("deleted", name)
