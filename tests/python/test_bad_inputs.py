"""Bad-input matrix of the Python API (issue 11, must-hold 5). Each case raises a clear error
(the exception class, errno, and a message naming the argument or path) and changes nothing
the test could have made: no fd opened, and (conftest.no_leaks) no mount, /run/netns entry,
scratch dir or child process left.

Cases marked ``needs_launch_v2`` need validation in core/src/launch that lands after launch v2;
they are expected to fail until then (see conftest.py)."""

import os
import subprocess
from typing import Any, Callable, NamedTuple, Optional, Type

import pytest

import nsrun
from nsrun import (
    AlreadyPersistedError,
    InvalidArgumentError,
    LaunchError,
    NotANamespaceError,
    NotPersistedError,
    WrongKindError,
)

from conftest import tag

EINVAL, ENOENT, EBADF, EEXIST, ENODEV, ENOTDIR, EISDIR, ESRCH, EADDRNOTAVAIL = (
    22, 2, 9, 17, 19, 20, 21, 3, 99)


class Ctx:
    """What a case may use: a scratch dir with a persisted namespace and a regular file, an
    existing netns name, a private netns `lab` holding the veth pair v0/v1, /dev/null's fd."""

    def __init__(self, scratch, rootfs, name):
        self.scratch = scratch
        self.rootfs = rootfs
        self.held = os.path.join(scratch, "held")
        self.file = os.path.join(scratch, "file")
        self.missing = os.path.join(scratch, "missing")
        self.name = name
        self.missing_name = name + "-missing"
        self.net = nsrun.Namespace.create("net")
        self.uts = nsrun.Namespace.current("uts")
        self.lab = nsrun.Namespace.create("net")
        self.devnull = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)

    def close(self):
        for ns in (self.net, self.uts, self.lab):
            ns.close()
        os.close(self.devnull)


@pytest.fixture
def ctx(scratch, rootfs, netns_name):
    c = Ctx(scratch, rootfs, netns_name)
    c.net.persist(c.held)
    open(c.file, "w").close()
    nsrun.netns.add(netns_name).close()
    nsrun.link.veth("v0", "v1", ns=c.lab, peer_ns=c.lab)
    yield c
    c.close()
    os.unlink(c.file)


class Case(NamedTuple):
    id: str
    call: Callable[[Ctx], Any]
    exc: Type[BaseException]
    errno: Optional[int]
    needle: str  # in str(exception); "{x.attr}" is formatted with the Ctx
    v2: bool = False


C = Case
V2 = dict(v2=True)
TRUE = ["/bin/true"]


def run(x, argv=TRUE, **kw):
    kw.setdefault("timeout", 20)
    return nsrun.run(argv, **kw)


def closed() -> nsrun.Namespace:
    """A Namespace object that was closed (made before the fd count, gone after)."""
    ns = nsrun.Namespace.current("uts")
    ns.close()
    return ns


def rrun(x, argv=TRUE, **kw):
    """A run in the fixture rootfs."""
    return run(x, argv, rootfs=x.rootfs, **kw)


NS = nsrun.Namespace
L = nsrun.link

CASES = [
    # --- Namespace.open / of_pid / current / create / from_fd --------------------------------
    C("open-empty", lambda x: NS.open(""), FileNotFoundError, ENOENT, "open namespace"),
    C("open-missing", lambda x: NS.open(x.missing), FileNotFoundError, ENOENT, "{x.missing}"),
    C("open-missing-bytes", lambda x: NS.open(os.fsencode(x.missing)), FileNotFoundError, ENOENT, "{x.missing}"),
    C("open-regular-file", lambda x: NS.open(x.file), NotANamespaceError, EINVAL, "{x.file}: not a namespace file"),
    C("open-etc", lambda x: NS.open("/etc/hostname"), NotANamespaceError, EINVAL, "/etc/hostname"),
    C("open-directory", lambda x: NS.open("/proc/self/ns"), NotANamespaceError, EINVAL, "/proc/self/ns"),
    C("open-devnull", lambda x: NS.open("/dev/null"), NotANamespaceError, EINVAL, "/dev/null"),
    C("open-nul", lambda x: NS.open("/proc/self/ns/net\0"), InvalidArgumentError, EINVAL, "path"),
    C("open-wrong-kind", lambda x: NS.open("/proc/self/ns/net", "uts"), WrongKindError, EINVAL, "not uts"),
    C("open-bad-kind", lambda x: NS.open("/proc/self/ns/net", "bogus"), InvalidArgumentError, EINVAL, "kind \"bogus\""),
    C("open-int-kind", lambda x: NS.open("/proc/self/ns/net", 42), InvalidArgumentError, EINVAL, "kind"),
    C("open-int-path", lambda x: NS.open(42), TypeError, None, "os.PathLike"),
    C("of-pid-negative", lambda x: NS.of_pid(-1, "net"), InvalidArgumentError, EINVAL, "-1"),
    C("of-pid-zero", lambda x: NS.of_pid(0, "net"), InvalidArgumentError, EINVAL, "0"),
    C("of-pid-missing", lambda x: NS.of_pid(2**31 - 1, "net"), FileNotFoundError, ENOENT, "/proc/2147483647/ns/net"),
    C("of-pid-huge", lambda x: NS.of_pid(2**40, "net"), InvalidArgumentError, EINVAL, "pid \"1099511627776\" is out of range"),
    C("of-pid-bad-kind", lambda x: NS.of_pid(os.getpid(), "nett"), InvalidArgumentError, EINVAL, "nett"),
    C("of-pid-str", lambda x: NS.of_pid("1", "net"), TypeError, None, "int"),
    C("current-bad-kind", lambda x: NS.current("bogus"), InvalidArgumentError, EINVAL, "bogus"),
    C("current-empty-kind", lambda x: NS.current(""), InvalidArgumentError, EINVAL, "kind"),
    C("current-upper-kind", lambda x: NS.current("NET"), InvalidArgumentError, EINVAL, "NET"),
    C("create-bad-kind", lambda x: NS.create("bogus"), InvalidArgumentError, EINVAL, "bogus"),
    C("create-zero-kind", lambda x: NS.create(0), InvalidArgumentError, EINVAL, "kind"),
    C("create-none-kind", lambda x: NS.create(None), InvalidArgumentError, EINVAL, "kind"),
    C("from-fd-negative", lambda x: NS.from_fd(-1), InvalidArgumentError, EBADF, "-1"),
    C("from-fd-closed", lambda x: NS.from_fd(99999), InvalidArgumentError, EBADF, "99999"),
    C("from-fd-huge", lambda x: NS.from_fd(2**33), InvalidArgumentError, EINVAL, "fd"),
    C("from-fd-devnull", lambda x: NS.from_fd(x.devnull), NotANamespaceError, EINVAL, "not a namespace"),
    C("from-fd-wrong-kind", lambda x: NS.from_fd(x.net.fileno(), "uts"), WrongKindError, EINVAL, "not uts"),
    # --- persist / unpersist / enter / same -----------------------------------------------------
    C("persist-occupied", lambda x: x.net.persist(x.held), AlreadyPersistedError, EEXIST, "{x.held}"),
    C("persist-occupied-other-kind", lambda x: x.uts.persist(x.held), AlreadyPersistedError, EEXIST, "already holds net:["),
    C("persist-missing-dir", lambda x: x.net.persist(x.missing + "/f"), FileNotFoundError, ENOENT, "{x.missing}/f"),
    C("persist-directory", lambda x: x.net.persist(x.scratch), IsADirectoryError, EISDIR, "{x.scratch}"),
    C("persist-nul", lambda x: x.net.persist(x.scratch + "/a\0b"), InvalidArgumentError, EINVAL, "path"),
    C("persist-empty", lambda x: x.net.persist(""), FileNotFoundError, ENOENT, "persist"),
    C("persist-closed", lambda x: closed().persist(x.missing), ValueError, None, "closed Namespace"),
    C("unpersist-file", lambda x: nsrun.unpersist(x.file), NotPersistedError, EINVAL, "{x.file}: no namespace is bound"),
    C("unpersist-missing", lambda x: nsrun.unpersist(x.missing), FileNotFoundError, ENOENT, "{x.missing}"),
    C("unpersist-empty", lambda x: nsrun.unpersist(b""), FileNotFoundError, ENOENT, "unpersist"),
    C("unpersist-nul", lambda x: nsrun.unpersist(x.held + "\0"), InvalidArgumentError, EINVAL, "path"),
    C("unpersist-dir", lambda x: nsrun.unpersist(x.scratch), NotPersistedError, EINVAL, "{x.scratch}"),
    C("enter-closed", lambda x: closed().enter().__enter__(), ValueError, None, "closed Namespace"),
    C("same-missing", lambda x: nsrun.same(x.missing, x.net), FileNotFoundError, ENOENT, "{x.missing}"),
    C("same-not-ns", lambda x: nsrun.same(x.net, x.file), NotANamespaceError, EINVAL, "{x.file}"),
    C("same-int", lambda x: nsrun.same(1, x.net), TypeError, None, "namespace"),
    # --- netns names ----------------------------------------------------------------------------
    C("netns-add-empty", lambda x: nsrun.netns.add(""), InvalidArgumentError, EINVAL, "name \"\" is empty"),
    C("netns-add-slash", lambda x: nsrun.netns.add("a/b"), InvalidArgumentError, EINVAL, "contains '/'"),
    C("netns-add-dotdot", lambda x: nsrun.netns.add(".."), InvalidArgumentError, EINVAL, "is not a name"),
    C("netns-add-dot", lambda x: nsrun.netns.add("."), InvalidArgumentError, EINVAL, "is not a name"),
    C("netns-add-newline", lambda x: nsrun.netns.add(x.name + "\n"), InvalidArgumentError, EINVAL, "control character"),
    C("netns-add-tab", lambda x: nsrun.netns.add("a\tb"), InvalidArgumentError, EINVAL, "control character"),
    C("netns-add-escape", lambda x: nsrun.netns.add("a\x1bb"), InvalidArgumentError, EINVAL, "control character"),
    C("netns-add-space", lambda x: nsrun.netns.add(x.name + " x"), InvalidArgumentError, EINVAL, "whitespace"),
    C("netns-add-nbsp", lambda x: nsrun.netns.add("a\u00a0b"), InvalidArgumentError, EINVAL, "whitespace"),
    C("netns-add-dash", lambda x: nsrun.netns.add("-" + x.name), InvalidArgumentError, EINVAL, "option"),
    C("netns-add-long", lambda x: nsrun.netns.add("x" * 256), InvalidArgumentError, EINVAL, "longer than 255"),
    C("netns-add-nul", lambda x: nsrun.netns.add("a\0b"), InvalidArgumentError, EINVAL, "NUL"),
    C("netns-add-existing", lambda x: nsrun.netns.add(x.name), AlreadyPersistedError, EEXIST, "{x.name}"),
    C("netns-open-missing", lambda x: nsrun.netns.open(x.missing_name), FileNotFoundError, ENOENT, "{x.missing_name}"),
    C("netns-open-newline", lambda x: nsrun.netns.open("a\nb"), InvalidArgumentError, EINVAL, "control character"),
    C("netns-delete-missing", lambda x: nsrun.netns.delete(x.missing_name), FileNotFoundError, ENOENT, "{x.missing_name}"),
    C("netns-delete-parent", lambda x: nsrun.netns.delete("../netns"), InvalidArgumentError, EINVAL, "contains '/'"),
    C("netns-path-space", lambda x: nsrun.netns.path("a b"), InvalidArgumentError, EINVAL, "whitespace"),
    C("netns-add-int", lambda x: nsrun.netns.add(1), TypeError, None, "str"),
    # --- link -----------------------------------------------------------------------------------
    C("link-up-missing-iface", lambda x: L.set_up("nosuch0", ns=x.lab), OSError, ENODEV, "nosuch0: no such interface"),
    C("link-up-missing-netns", lambda x: L.set_up("lo", ns=x.missing_name), FileNotFoundError, ENOENT, "{x.missing_name}"),
    C("link-up-not-ns-path", lambda x: L.set_up("lo", ns=x.file), NotANamespaceError, EINVAL, "{x.file}"),
    C("link-up-uts-ns", lambda x: L.set_up("lo", ns=x.uts), WrongKindError, EINVAL, "not net"),
    C("link-up-bad-netns-name", lambda x: L.set_up("lo", ns="a\nb"), InvalidArgumentError, EINVAL, "control character"),
    C("link-up-empty-name", lambda x: L.set_up("", ns=x.lab), InvalidArgumentError, EINVAL, "name"),
    C("link-mtu-negative", lambda x: L.set_mtu("v0", -1, ns=x.lab), InvalidArgumentError, EINVAL, "mtu \"-1\" is out of range"),
    C("link-mtu-huge", lambda x: L.set_mtu("v0", 2**32, ns=x.lab), InvalidArgumentError, EINVAL, "mtu"),
    C("link-mtu-tiny", lambda x: L.set_mtu("v0", 1, ns=x.lab), OSError, EINVAL, "v0"),
    C("link-mtu-missing", lambda x: L.set_mtu("nosuch0", 1500, ns=x.lab), OSError, ENODEV, "nosuch0"),
    C("link-addr-no-prefix", lambda x: L.add_address("v0", "198.18.0.1", ns=x.lab), InvalidArgumentError, EINVAL, "prefix length"),
    C("link-addr-prefix-33", lambda x: L.add_address("v0", "198.18.0.1/33", ns=x.lab), InvalidArgumentError, EINVAL, "198.18.0.1/33"),
    C("link-addr-prefix-129", lambda x: L.add_address("v0", "fd00::1/129", ns=x.lab), InvalidArgumentError, EINVAL, "fd00::1/129"),
    C("link-addr-garbage", lambda x: L.add_address("v0", "not-an-ip/24", ns=x.lab), InvalidArgumentError, EINVAL, "not-an-ip/24"),
    C("link-addr-prefix-text", lambda x: L.add_address("v0", "198.18.0.1/x", ns=x.lab), InvalidArgumentError, EINVAL, "198.18.0.1/x"),
    C("link-addr-empty", lambda x: L.add_address("v0", "", ns=x.lab), InvalidArgumentError, EINVAL, "address"),
    C("link-addr-missing-iface", lambda x: L.add_address("nosuch0", "198.18.0.1/24", ns=x.lab), OSError, ENODEV, "nosuch0"),
    C("link-deladdr-absent", lambda x: L.del_address("v0", "198.18.9.9/24", ns=x.lab), OSError, EADDRNOTAVAIL, "v0"),
    C("link-veth-long", lambda x: L.veth("a" * 16, "b", ns=x.lab, peer_ns=x.lab), InvalidArgumentError, EINVAL, "longer than 15"),
    C("link-veth-empty", lambda x: L.veth("", "b", ns=x.lab, peer_ns=x.lab), InvalidArgumentError, EINVAL, "name"),
    C("link-veth-slash", lambda x: L.veth("a/b", "b", ns=x.lab, peer_ns=x.lab), InvalidArgumentError, EINVAL, "a/b"),
    C("link-veth-space", lambda x: L.veth("a b", "b", ns=x.lab, peer_ns=x.lab), InvalidArgumentError, EINVAL, "a b"),
    C("link-veth-exists", lambda x: L.veth("v0", "v9", ns=x.lab, peer_ns=x.lab), OSError, EEXIST, "v0"),
    C("link-move-lo", lambda x: L.move("lo", x.net, from_ns=x.lab), InvalidArgumentError, EINVAL, "loopback"),
    C("link-move-missing", lambda x: L.move("nosuch0", x.net, from_ns=x.lab), OSError, ENODEV, "nosuch0"),
    C("link-move-into-uts", lambda x: L.move("v0", x.uts, from_ns=x.lab), WrongKindError, EINVAL, "not net"),
    C("link-move-long-new-name", lambda x: L.move("v0", x.net, new_name="a" * 16, from_ns=x.lab), InvalidArgumentError, EINVAL, "longer than 15"),
    C("link-route-family", lambda x: L.add_route("198.18.9.0/24", via="fd00::1", ns=x.lab), InvalidArgumentError, EINVAL, "address family"),
    C("link-route-nothing", lambda x: L.add_route("default", ns=x.lab), InvalidArgumentError, EINVAL, "via"),
    C("link-route-bogus-dst", lambda x: L.add_route("bogus", via="198.18.0.1", ns=x.lab), InvalidArgumentError, EINVAL, "bogus"),
    C("link-route-missing-dev", lambda x: L.add_route("default", dev="nosuch0", ns=x.lab), OSError, ENODEV, "nosuch0"),
    C("link-delete-missing", lambda x: L.delete("nosuch0", ns=x.lab), OSError, ENODEV, "nosuch0"),
    # --- launch: argv, env ----------------------------------------------------------------------
    C("argv-empty", lambda x: run(x, []), InvalidArgumentError, EINVAL, "argv is empty"),
    C("argv-string", lambda x: run(x, "/bin/true"), InvalidArgumentError, EINVAL, "not a string"),
    C("argv-bytes", lambda x: run(x, b"/bin/true"), InvalidArgumentError, EINVAL, "not a string"),
    C("argv-none", lambda x: run(x, None), TypeError, None, "argv"),
    C("argv-int-item", lambda x: run(x, ["/bin/true", 3]), TypeError, None, "argv[1]"),
    C("argv-nul-program", lambda x: run(x, ["/bin/true\0x"]), InvalidArgumentError, EINVAL, "NUL"),
    C("argv-nul-arg", lambda x: run(x, ["/bin/true", b"a\0b"]), InvalidArgumentError, EINVAL, "argument"),
    C("argv-missing-program", lambda x: rrun(x, ["/no/such/prog"]), LaunchError, ENOENT, "/no/such/prog: program not found"),
    C("argv-not-executable", lambda x: rrun(x, ["/etc/hostname"]), LaunchError, 13, "/etc/hostname: not executable"),
    C("argv-empty-program", lambda x: rrun(x, [""]), InvalidArgumentError, EINVAL, "program", **V2),
    C("env-nul-value", lambda x: run(x, env={"A": "a\0b"}), InvalidArgumentError, EINVAL, "environment variable"),
    C("env-nul-name", lambda x: run(x, env={b"A\0": "x"}), InvalidArgumentError, EINVAL, "environment variable"),
    C("env-int-value", lambda x: run(x, env={"A": 1}), TypeError, None, "env['A']"),
    C("env-equals-in-name", lambda x: run(x, env={"A=B": "x"}), InvalidArgumentError, EINVAL, "env", **V2),
    C("env-empty-name", lambda x: run(x, env={"": "x"}), InvalidArgumentError, EINVAL, "env", **V2),
    # --- launch: rootfs, mounts, cwd ------------------------------------------------------------
    C("rootfs-missing", lambda x: run(x, rootfs=x.missing), LaunchError, ENOENT, "launch: rootfs {x.missing}:", **V2),
    C("rootfs-file", lambda x: run(x, rootfs=x.file), LaunchError, ENOTDIR, "{x.file}: Not a directory"),
    C("rootfs-nul", lambda x: run(x, rootfs="/tmp\0"), InvalidArgumentError, EINVAL, "rootfs"),
    C("rootfs-int", lambda x: run(x, rootfs=1), TypeError, None, "rootfs"),
    C("rootfs-without-mnt", lambda x: rrun(x, namespaces={"mnt": None}), InvalidArgumentError, EINVAL, "rootfs\" needs a new mount namespace"),
    C("mount-target-dotdot", lambda x: rrun(x, mounts=[("/tmp", "/../x")]), InvalidArgumentError, EINVAL, "must not contain '..'"),
    C("mount-target-dotdot-inner", lambda x: rrun(x, mounts=[("/tmp", "/etc/../../x")]), InvalidArgumentError, EINVAL, "'..'"),
    C("mount-target-empty", lambda x: rrun(x, mounts=[("/tmp", "")]), InvalidArgumentError, EINVAL, "target", **V2),
    C("mount-target-root", lambda x: rrun(x, mounts=[("/tmp", "/")]), InvalidArgumentError, EINVAL, "target", **V2),
    C("mount-target-relative", lambda x: rrun(x, mounts=[("/tmp", "tmp")]), InvalidArgumentError, EINVAL, "target", **V2),
    C("mount-source-missing", lambda x: rrun(x, mounts=[(x.missing, "/tmp")]), FileNotFoundError, ENOENT, "bind source {x.missing}"),
    C("mount-source-empty", lambda x: rrun(x, mounts=[("", "/tmp")]), InvalidArgumentError, EINVAL, "source", **V2),
    C("mount-source-nul", lambda x: rrun(x, mounts=[("/tmp\0", "/tmp")]), InvalidArgumentError, EINVAL, "mount source"),
    C("mount-target-nul", lambda x: rrun(x, mounts=[("/tmp", "/tmp\0")]), InvalidArgumentError, EINVAL, "mount target"),
    C("mount-arity", lambda x: rrun(x, mounts=[("/tmp",)]), InvalidArgumentError, EINVAL, "mounts"),
    C("mount-not-tuple", lambda x: rrun(x, mounts=["/tmp"]), InvalidArgumentError, EINVAL, "mounts"),
    C("mount-bad-flag", lambda x: rrun(x, mounts=[("/tmp", "/tmp", "readonly")]), InvalidArgumentError, EINVAL, "'readonly'"),
    C("mount-without-mnt", lambda x: run(x, mounts=[("/tmp", "/tmp")], namespaces={"mnt": None}), InvalidArgumentError, EINVAL, "mounts"),
    C("cwd-missing", lambda x: rrun(x, cwd="/nonexistent"), LaunchError, ENOENT, "chdir /nonexistent"),
    C("cwd-relative", lambda x: rrun(x, cwd="etc"), InvalidArgumentError, EINVAL, "cwd", **V2),
    C("cwd-nul", lambda x: rrun(x, cwd="/\0"), InvalidArgumentError, EINVAL, "cwd"),
    C("cwd-float", lambda x: rrun(x, cwd=1.5), TypeError, None, "cwd"),
    # --- launch: hostname, ids, user namespace --------------------------------------------------
    C("hostname-without-uts", lambda x: run(x, hostname="h", namespaces={"uts": None}), InvalidArgumentError, EINVAL, "hostname"),
    C("hostname-too-long", lambda x: run(x, hostname="h" * 65), LaunchError, EINVAL, "hostname"),
    C("hostname-empty", lambda x: run(x, hostname=""), InvalidArgumentError, EINVAL, "hostname", **V2),
    C("hostname-newline", lambda x: run(x, hostname="a\nb"), InvalidArgumentError, EINVAL, "hostname", **V2),
    C("hostname-nul", lambda x: run(x, hostname="a\0b"), InvalidArgumentError, EINVAL, "hostname"),
    C("uid-negative", lambda x: run(x, uid=-1), InvalidArgumentError, EINVAL, "uid: -1 is not a valid id"),
    C("uid-no-change-value", lambda x: run(x, uid=2**32 - 1), InvalidArgumentError, EINVAL, "uid"),
    C("gid-huge", lambda x: run(x, gid=2**64), InvalidArgumentError, EINVAL, "gid"),
    C("uid-str", lambda x: run(x, uid="0"), TypeError, None, "uid"),
    C("uid-map-arity", lambda x: run(x, uid_map=[(0, 0)]), InvalidArgumentError, EINVAL, "uid_map"),
    C("gid-map-negative", lambda x: run(x, gid_map=[(0, -1, 1)]), InvalidArgumentError, EINVAL, "gid_map"),
    C("uid-map-without-userns", lambda x: run(x, uid_map=[(0, 0, 1)]), InvalidArgumentError, EINVAL, "uid_map", **V2),
    C("uid-map-without-userns-rootfs", lambda x: rrun(x, gid_map=[(0, 0, 1)]), InvalidArgumentError, EINVAL, "gid_map", **V2),
    C("new-user-and-join", lambda x: run(x, namespaces={"user": "new", "net": x.net}), InvalidArgumentError, EINVAL, "new user namespace"),
    # --- launch: namespaces ---------------------------------------------------------------------
    C("ns-bad-kind", lambda x: run(x, namespaces={"bogus": "new"}), InvalidArgumentError, EINVAL, "'bogus' is not a namespace kind"),
    C("ns-int-setting", lambda x: run(x, namespaces={"net": 42}), InvalidArgumentError, EINVAL, "namespace setting"),
    C("ns-missing-path", lambda x: run(x, namespaces={"net": x.missing}), FileNotFoundError, ENOENT, "{x.missing}"),
    C("ns-not-ns-path", lambda x: run(x, namespaces={"net": x.file}), NotANamespaceError, EINVAL, "{x.file}"),
    C("ns-wrong-kind-path", lambda x: run(x, namespaces={"net": "/proc/self/ns/uts"}), WrongKindError, EINVAL, "not net"),
    C("ns-wrong-kind-object", lambda x: run(x, namespaces={"ipc": x.net}), WrongKindError, EINVAL, "not ipc"),
    C("ns-closed-object", lambda x: run(x, namespaces={"uts": closed()}), ValueError, None, "closed Namespace"),
    C("ns-nul-path", lambda x: run(x, namespaces={"net": "/proc/self/ns/net\0"}), InvalidArgumentError, EINVAL, "namespace path"),
    # --- launch: stdio, pass_fds, boot/shutdown, text -------------------------------------------
    C("stdin-negative", lambda x: run(x, stdin=-7), InvalidArgumentError, EINVAL, "stdin"),
    C("stdout-str", lambda x: run(x, stdout="out.txt"), InvalidArgumentError, EINVAL, "stdout"),
    C("stderr-closed-fd", lambda x: run(x, stderr=99999), InvalidArgumentError, EBADF, "99999"),
    C("capture-and-stdout", lambda x: run(x, capture_output=True, stdout=nsrun.PIPE), ValueError, None, "capture_output"),
    C("input-and-stdin", lambda x: run(x, input=b"x", stdin=nsrun.DEVNULL), ValueError, None, "input"),
    C("pass-fd-0", lambda x: run(x, pass_fds=[0]), InvalidArgumentError, EINVAL, "numbers >= 3"),
    C("pass-fd-2", lambda x: run(x, pass_fds=[2]), InvalidArgumentError, EINVAL, "numbers >= 3"),
    C("pass-fd-negative", lambda x: run(x, pass_fds=[-1]), InvalidArgumentError, EINVAL, "pass_fds: -1"),
    C("pass-fd-closed", lambda x: run(x, pass_fds=[99999]), InvalidArgumentError, EBADF, "99999"),
    C("pass-fd-str", lambda x: run(x, pass_fds=["3"]), TypeError, None, "pass_fds"),
    C("shutdown-without-init", lambda x: run(x, shutdown=TRUE, init=False), InvalidArgumentError, EINVAL, "shutdown"),
    C("boot-empty", lambda x: run(x, boot=[]), InvalidArgumentError, EINVAL, "boot is empty"),
    C("boot-string", lambda x: run(x, boot="/etc/rcS"), InvalidArgumentError, EINVAL, "boot must be a sequence"),
    C("boot-fails", lambda x: rrun(x, boot=["/bin/sh", "-c", "exit 3"]), LaunchError, None, "boot command exited with status 3"),
    C("boot-missing", lambda x: rrun(x, boot=["/no/boot"]), LaunchError, None, "/no/boot"),
    C("shutdown-empty", lambda x: run(x, shutdown=[]), InvalidArgumentError, EINVAL, "shutdown is empty"),
    C("encoding-bogus", lambda x: run(x, capture_output=True, encoding="bogus"), LookupError, None, "bogus"),
    C("errors-bogus", lambda x: run(x, capture_output=True, errors="bogus"), LookupError, None, "bogus"),
    C("unknown-option", lambda x: run(x, rootfss=x.rootfs), TypeError, None, "rootfss"),
]


def _param(c: Case):
    marks = [pytest.mark.needs_launch_v2] if c.v2 else []
    return pytest.param(c, id=c.id, marks=marks)


def test_case_ids_are_unique_and_there_are_enough():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 150


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input(ctx, case):
    # Warm up what a first launch opens once per process (the spawner), outside the count.
    nsrun.run(["/bin/true"], timeout=20)
    fds = fd_count()
    mine = lambda: [n for n in nsrun.netns.list() if tag() in n]  # noqa: E731
    netns_before = mine()
    with pytest.raises(case.exc) as e:
        case.call(ctx)
    err = e.value
    if case.errno is not None:
        assert err.errno == case.errno, err
    assert case.needle.format(x=ctx) in str(err), str(err)
    assert "\n" not in str(err) or isinstance(err, subprocess.SubprocessError)
    assert fd_count() == fds, "the failed call leaked a descriptor"
    assert mine() == netns_before
