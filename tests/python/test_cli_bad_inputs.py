"""Bad-input matrix of the nsrun command (issue 11, must-hold 5). nsrun's own failures exit 125
with one `nsrun: ...` line naming the problem; a program that cannot be found or run exits
127/126. Nothing changes on the host (conftest.no_leaks: tagged mounts, /run/netns entries,
scratch dirs, children; plus a check of the tagged netns list here).

Cases marked ``needs_launch_v2`` need validation in core/src/launch (see conftest.py)."""

import os
from typing import Callable, NamedTuple

import pytest

import nsrun

from conftest import tag
from test_cli import cli


class Ctx:
    def __init__(self, scratch, rootfs, lab):
        self.scratch = scratch
        self.rootfs = rootfs
        self.lab = lab  # a netns name in /run/netns holding the veth pair v0/v1
        self.held = os.path.join(scratch, "held")
        self.file = os.path.join(scratch, "file")
        self.missing = os.path.join(scratch, "missing")
        self.missing_name = lab + "-missing"


@pytest.fixture
def ctx(scratch, rootfs, netns_name):
    ns = nsrun.netns.add(netns_name)
    nsrun.link.veth("v0", "v1", ns=ns, peer_ns=ns)
    ns.persist(os.path.join(scratch, "held"))
    ns.close()
    open(os.path.join(scratch, "file"), "w").close()
    c = Ctx(scratch, rootfs, netns_name)
    yield c
    os.unlink(c.file)


class Case(NamedTuple):
    id: str
    argv: Callable[[Ctx], list]
    needle: str  # in stderr, formatted with the Ctx as x
    status: int = 125
    v2: bool = False


C = Case
V2 = dict(v2=True)
T = ["--", "/bin/true"]

CASES = [
    # netns
    C("netns-add-empty", lambda x: ["netns", "add", ""], 'name "" is empty'),
    C("netns-add-slash", lambda x: ["netns", "add", "a/b"], "contains '/'"),
    C("netns-add-dotdot", lambda x: ["netns", "add", ".."], "is not a name"),
    C("netns-add-newline", lambda x: ["netns", "add", x.lab + "\n"], "control character"),
    C("netns-add-space", lambda x: ["netns", "add", x.lab + " b"], "whitespace"),
    C("netns-add-long", lambda x: ["netns", "add", "x" * 256], "longer than 255"),
    C("netns-add-existing", lambda x: ["netns", "add", x.lab], "already holds net:["),
    C("netns-del-missing", lambda x: ["netns", "del", x.missing_name], "{x.missing_name}"),
    C("netns-del-slash", lambda x: ["netns", "del", "../netns"], "contains '/'"),
    C("netns-exec-missing", lambda x: ["netns", "exec", x.missing_name, *T], "{x.missing_name}"),
    C("netns-exec-tab", lambda x: ["netns", "exec", "a\tb", *T], "control character"),
    # same / ls / enter
    C("same-missing", lambda x: ["same", x.missing, "/proc/self/ns/net"], "{x.missing}"),
    C("same-not-ns", lambda x: ["same", x.file, "/proc/self/ns/net"], "{x.file}: not a namespace file"),
    C("same-bad-kind", lambda x: ["same", "1:bogus", "1:net"], "bogus"),
    C("same-missing-pid", lambda x: ["same", "2147483647:net", "1:net"], "2147483647"),
    C("ls-bad-kind", lambda x: ["ls", "-t", "bogus"], "bogus"),
    C("enter-missing-pid", lambda x: ["enter", "-t", "2147483647", "-a", *T], "2147483647"),
    C("enter-missing-path", lambda x: ["enter", f"--net={x.missing}", *T], "{x.missing}"),
    C("enter-not-ns", lambda x: ["enter", f"--net={x.file}", *T], "{x.file}: not a namespace file"),
    C("enter-wrong-kind", lambda x: ["enter", "--net=/proc/self/ns/uts", *T], "not net"),
    # run
    C("run-net-missing", lambda x: ["run", f"--net={x.missing}", *T], "{x.missing}"),
    C("run-net-not-ns", lambda x: ["run", f"--net={x.file}", *T], "{x.file}"),
    C("run-net-wrong-kind", lambda x: ["run", "--net=/proc/self/ns/ipc", *T], "not net"),
    C("run-root-file", lambda x: ["run", "-R", x.file, *T], "{x.file}: Not a directory"),
    C("run-root-missing", lambda x: ["run", "-R", x.missing, *T], "launch: rootfs {x.missing}", **V2),
    C("run-net-persist-occupied", lambda x: ["run", f"--net-persist={x.held}", *T], "already holds net:["),
    C("run-net-persist-no-dir", lambda x: ["run", f"--net-persist={x.missing}/f", *T], "{x.missing}/f"),
    C("run-not-found", lambda x: ["run", "-m", "--", "/no/such/prog"], "/no/such/prog: program not found", 127),
    C("run-not-executable", lambda x: ["run", "-m", "--", "/etc/hostname"], "exec /etc/hostname", 126),
    # boot
    C("boot-missing-rootfs", lambda x: ["boot", x.missing, *T], "{x.missing}"),
    C("boot-net-missing", lambda x: ["boot", x.rootfs, "--net", x.missing_name, *T], "{x.missing_name}"),
    C("boot-net-space", lambda x: ["boot", x.rootfs, "--net", "a b", *T], "whitespace"),
    C("boot-net-new-existing", lambda x: ["boot", x.rootfs, "--net-new", x.lab, *T], "{x.lab} already exists"),
    C("boot-net-new-newline", lambda x: ["boot", x.rootfs, "--net-new", "a\nb", *T], "control character"),
    C("boot-bind-missing-source", lambda x: ["boot", x.rootfs, "--bind", f"{x.missing}:/tmp", *T], "bind source {x.missing}"),
    C("boot-bind-dotdot", lambda x: ["boot", x.rootfs, "--bind", "/tmp:/../x", *T], "'..'"),
    C("boot-bind-no-target", lambda x: ["boot", x.rootfs, "--bind", "/tmp", *T], "expected SRC:DST"),
    C("boot-bind-bad-flag", lambda x: ["boot", x.rootfs, "--bind", "/tmp:/tmp:rx", *T], "/tmp:/tmp:rx"),
    C("boot-bind-empty-target", lambda x: ["boot", x.rootfs, "--bind", "/tmp:", *T], "target", **V2),
    C("boot-bind-root-target", lambda x: ["boot", x.rootfs, "--bind", "/tmp:/", *T], "target", **V2),
    C("boot-hostname-empty", lambda x: ["boot", x.rootfs, "--hostname", "", *T], "hostname", **V2),
    C("boot-hostname-long", lambda x: ["boot", x.rootfs, "--hostname", "h" * 65, *T], "hostname"),
    C("boot-command-fails", lambda x: ["boot", x.rootfs, "--boot", "exit 3", *T], "boot command exited with status 3"),
    C("boot-not-found", lambda x: ["boot", x.rootfs, "--", "/no/such/prog"], "/no/such/prog: program not found", 127),
    # link
    C("link-up-missing", lambda x: ["link", "up", "nosuch0", "--ns", x.lab], "nosuch0: no such interface"),
    C("link-up-missing-ns", lambda x: ["link", "up", "lo", "--ns", x.missing_name], "{x.missing_name}"),
    C("link-up-not-ns", lambda x: ["link", "up", "lo", "--ns", x.file], "{x.file}"),
    C("link-up-ns-newline", lambda x: ["link", "up", "lo", "--ns", "a\nb"], "control character"),
    C("link-addr-no-prefix", lambda x: ["link", "addr", "v0", "198.18.0.1", "--ns", x.lab], "prefix length"),
    C("link-addr-prefix-33", lambda x: ["link", "addr", "v0", "198.18.0.1/33", "--ns", x.lab], "198.18.0.1/33"),
    C("link-addr-garbage", lambda x: ["link", "addr", "v0", "nope/24", "--ns", x.lab], "nope/24"),
    C("link-addr-del-absent", lambda x: ["link", "addr", "v0", "198.18.9.9/24", "--del", "--ns", x.lab], "v0"),
    C("link-mtu-tiny", lambda x: ["link", "mtu", "v0", "1", "--ns", x.lab], "v0"),
    C("link-veth-long", lambda x: ["link", "veth", "a" * 16, "b", "--ns", x.lab, "--peer-ns", x.lab], "longer than 15"),
    C("link-veth-exists", lambda x: ["link", "veth", "v0", "v9", "--ns", x.lab, "--peer-ns", x.lab], "v0"),
    C("link-move-lo", lambda x: ["link", "move", "lo", x.held, "--from", x.lab], "loopback"),
    C("link-move-missing", lambda x: ["link", "move", "nosuch0", x.held, "--from", x.lab], "nosuch0"),
    C("link-route-nothing", lambda x: ["link", "route", "default", "--ns", x.lab], "via"),
    C("link-route-family", lambda x: ["link", "route", "198.18.9.0/24", "--via", "fd00::1", "--ns", x.lab], "address family"),
    C("link-del-missing", lambda x: ["link", "del", "nosuch0", "--ns", x.lab], "nosuch0"),
]


def test_case_ids_are_unique():
    assert len({c.id for c in CASES}) == len(CASES)


def _param(c: Case):
    return pytest.param(c, id=c.id, marks=[pytest.mark.needs_launch_v2] if c.v2 else [])


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_cli_bad_input(nsrun_bin, ctx, case):  # noqa: F811 - fixture imported above
    mine = lambda: sorted(n for n in nsrun.netns.list() if tag() in n)  # noqa: E731
    before = mine()
    r = cli(nsrun_bin, *case.argv(ctx))
    assert r.returncode == case.status, r.stderr
    lines = r.stderr.splitlines()
    assert lines and lines[-1].startswith("nsrun: "), r.stderr
    assert case.needle.format(x=ctx) in r.stderr, r.stderr
    assert mine() == before
