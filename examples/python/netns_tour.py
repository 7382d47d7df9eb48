"""`make demo`: the namespace operations on the host, step by step, next to what ip sees."""
import os
import subprocess
import sys
import threading

import nsrun
from nsrun import Kind, Namespace

name = sys.argv[1] if len(sys.argv) > 1 else f"nsrun-demo-{os.getpid()}"


def step(text):
    print(f"\n== {text}")


def sh(*argv):
    print("$", " ".join(argv))
    subprocess.run(argv, check=False)


step(f"create a network namespace and persist it as /run/netns/{name}")
lab = nsrun.netns.add(name)
print("nsrun:", lab)
sh("ip", "netns", "list")

step("enter it from this thread: a command started inside sees only lo")
ask, answer = threading.Event(), []
other = threading.Thread(target=lambda: (ask.wait(), answer.append(Namespace.current(Kind.NET))))
other.start()  # a thread that already runs keeps its namespace
with lab.enter():
    sh("ip", "-br", "link", "show")
    print("this thread:   ", Namespace.current(Kind.NET))
    ask.set()
    other.join()
    print("another thread:", answer[0], "(untouched)")
print("after the with block:", Namespace.current(Kind.NET))

step("compare: ip netns exec sees the same namespace")
seen = subprocess.run(
    ["ip", "netns", "exec", name, "readlink", "/proc/self/ns/net"],
    capture_output=True, text=True, check=True,
).stdout.strip()
print("ip netns exec:", seen, "| nsrun:", lab, "| same:", seen == str(lab))

step("the shell mistake: bind a second netns over the first")
try:
    Namespace.create(Kind.NET).persist(f"/run/netns/{name}")
except nsrun.AlreadyPersistedError as e:
    print("refused:", e.strerror)

step("another tool stacks one anyway (unshare --net=FILE); delete still works")
sh("unshare", f"--net=/run/netns/{name}", "true")
nsrun.netns.delete(name)
print(f"deleted; {name} still in /run/netns: {name in nsrun.netns.list()}")
sh("ip", "netns", "list")

step("list: namespaces of every kind, like lsns")
for info in nsrun.list_namespaces()[:8]:
    print(f"  {str(info):<22} pids={info.pids[:5]}{'…' if len(info.pids) > 5 else ''} paths={info.paths}")
