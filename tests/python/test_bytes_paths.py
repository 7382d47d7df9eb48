"""Issue 11 B8: bytes paths (and os.PathLike of bytes) are accepted wherever a path is, and
argv/env take bytes as subprocess does. Non-UTF-8 names prove the bytes reach the kernel as is."""

import os

import pytest

import nsrun

from conftest import tag


class BytesPath(os.PathLike):
    """An os.PathLike whose __fspath__ returns bytes."""

    def __init__(self, b: bytes):
        self.b = b

    def __fspath__(self) -> bytes:
        return self.b


NET = b"/proc/self/ns/net"


@pytest.mark.parametrize("path", [NET, BytesPath(NET)], ids=["bytes", "pathlike-bytes"])
def test_open_and_same_take_bytes(path):
    with nsrun.Namespace.open(path, "net") as ns:
        assert ns == nsrun.Namespace.current("net")
    assert nsrun.same(path, "/proc/self/ns/net")
    assert nsrun.same(nsrun.Namespace.current("net"), path)


@pytest.mark.parametrize("wrap", [bytes, BytesPath], ids=["bytes", "pathlike-bytes"])
def test_persist_and_unpersist_take_bytes_even_non_utf8(scratch, wrap):
    path = os.fsencode(scratch) + b"/net-\xff"
    with nsrun.Namespace.create("net") as ns:
        ns.persist(wrap(path))
        assert nsrun.same(wrap(path), ns)
    assert os.path.exists(path)
    nsrun.unpersist(wrap(path))
    assert not os.path.lexists(path)


def test_bytes_nul_is_refused_naming_the_path(scratch):
    with pytest.raises(nsrun.InvalidArgumentError, match="path") as e:
        nsrun.Namespace.open(b"/proc/self/ns/net\0x")
    assert e.value.errno == 22
    with nsrun.Namespace.create("net") as ns, pytest.raises(nsrun.InvalidArgumentError):
        ns.persist(os.fsencode(scratch) + b"/a\0b")
    assert os.listdir(scratch) == []


def test_run_takes_bytes_argv_env_rootfs_cwd(rootfs):
    r = nsrun.run(
        [b"/bin/sh", b"-c", b'echo "$A$B"; pwd; printf "%s" "$1"', b"sh", b"arg-\xff"],
        rootfs=os.fsencode(rootfs),
        cwd=BytesPath(b"/etc"),
        env={b"A": b"x", "B": b"y", b"PATH": "/bin"},
        capture_output=True,
        check=True,
        timeout=20,
    )
    assert r.stdout == b"xy\n/etc\narg-\xff"


def test_run_takes_bytes_mounts_and_namespace_paths(rootfs_copy, tmp_path):
    src = os.fsencode(str(tmp_path)) + b"/src-\xff" + tag().encode()
    os.mkdir(src)
    with open(src + b"/f", "w") as f:
        f.write("host")
    r = nsrun.run(
        ["/bin/cat", "/root/f"],
        rootfs=BytesPath(os.fsencode(str(rootfs_copy))),
        mounts=[(BytesPath(src), b"/root", "ro")],
        namespaces={"net": b"/proc/self/ns/net", "ipc": BytesPath(b"/proc/self/ns/ipc")},
        capture_output=True,
        check=True,
        timeout=20,
    )
    assert r.stdout == b"host"


def test_spawn_takes_bytes_boot_and_shutdown(rootfs):
    with nsrun.spawn([b"/bin/sleep", b"30"], rootfs=rootfs, boot=[b"/bin/true"], shutdown=[BytesPath(b"/bin/true")]) as p:
        assert p.poll() is None
        assert p.stop(timeout=5) is not None


def test_non_path_types_name_the_option(rootfs):
    for kw, what in ((dict(rootfs=3), "rootfs"), (dict(cwd=1.5), "cwd"), (dict(mounts=[(1, "/x")]), "mount source"),
                     (dict(env={"A": 1}), "env"), (dict(env={1: "x"}), "env name")):
        with pytest.raises(TypeError, match=what):
            nsrun.run(["/bin/true"], **kw)
    with pytest.raises(TypeError, match=r"argv\[1\]"):
        nsrun.run(["/bin/true", 7])
    with pytest.raises(TypeError, match="bytes or os.PathLike"):
        nsrun.Namespace.open(7)
