"""The mapping from nsrun errors to Python exceptions: classes, errno, filename, messages."""

import os
import socket

import pytest

import nsrun
from nsrun import Namespace


def test_class_hierarchy():
    for cls in (
        nsrun.NotANamespaceError,
        nsrun.WrongKindError,
        nsrun.AlreadyPersistedError,
        nsrun.NotPersistedError,
        nsrun.InvalidArgumentError,
        nsrun.LaunchError,
    ):
        assert issubclass(cls, nsrun.Error)
    assert issubclass(nsrun.Error, OSError)
    assert issubclass(nsrun.InvalidArgumentError, ValueError)


def test_missing_path_is_file_not_found(tmp_path):
    p = str(tmp_path / "missing")
    with pytest.raises(FileNotFoundError) as e:
        Namespace.open(p)
    assert e.value.errno == 2 and e.value.filename == p
    assert "open namespace" in e.value.strerror


def test_regular_file_directory_and_socket_are_not_namespaces(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(nsrun.NotANamespaceError) as e:
        Namespace.open(f)
    assert e.value.errno == 22 and e.value.filename == str(f)
    assert "regular file" in str(e.value)
    with pytest.raises(nsrun.NotANamespaceError) as e:
        Namespace.open(tmp_path)
    assert "directory" in str(e.value)
    a, b = socket.socketpair()
    with a, b:
        with pytest.raises(nsrun.NotANamespaceError) as e:
            Namespace.open(f"/proc/self/fd/{a.fileno()}")
        assert "socket" in str(e.value)
        with pytest.raises(nsrun.NotANamespaceError):
            Namespace.from_fd(a.fileno())
        os.fstat(a.fileno())  # still open


def test_wrong_kind():
    with pytest.raises(nsrun.WrongKindError) as e:
        Namespace.open("/proc/self/ns/net", kind="pid")
    assert e.value.errno == 22
    assert str(e.value.found) == "net" and str(e.value.expected) == "pid"


def test_bad_kind_names():
    for bad in ("nett", "", 3, None.__class__):
        with pytest.raises(nsrun.InvalidArgumentError) as e:
            Namespace.create(bad)
        assert "namespace kind" in str(e.value)
    with pytest.raises(ValueError):
        nsrun.Kind("nett")


def test_nul_bytes_are_refused(tmp_path):
    for call in (
        lambda: Namespace.open("/proc/self/ns/net\0x"),
        lambda: Namespace.create("net").persist(str(tmp_path / "a\0b")),
        lambda: nsrun.unpersist("/run/netns/x\0"),
        lambda: nsrun.same("/proc/self/ns/net\0", "/proc/self/ns/net"),
        lambda: nsrun.netns.add("a\0b"),
    ):
        with pytest.raises(nsrun.InvalidArgumentError) as e:
            call()
        assert e.value.errno == 22 and "NUL" in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_bad_pid():
    with pytest.raises(nsrun.InvalidArgumentError):
        Namespace.of_pid(0, "net")
    with pytest.raises(FileNotFoundError):
        Namespace.of_pid(2**22 + 12345, "net")


@pytest.mark.parametrize("script, status", [("exit 3", 3), ("exit 255", 255), ("kill -9 $$", -9), ("kill -15 $$", -15)])
def test_launch_error_status_is_the_boot_commands_returncode(rootfs, script, status):
    with pytest.raises(nsrun.LaunchError) as e:
        nsrun.run(["/bin/true"], rootfs=rootfs, boot=["/bin/sh", "-c", script], timeout=20)
    assert e.value.stage == "boot" and e.value.status == status
    assert nsrun.LaunchError(1, "x").status is None


@pytest.mark.parametrize("what", ["uid", "gid"])
@pytest.mark.parametrize("value", [-1, 2**32 - 1, 2**32, 2**64])
def test_out_of_range_ids_name_the_option(what, value):
    with pytest.raises(nsrun.InvalidArgumentError, match=f"{what}: {value} is not a valid id") as e:
        nsrun.run(["/bin/true"], **{what: value})
    assert e.value.errno == 22
    with pytest.raises(nsrun.InvalidArgumentError, match=f"{what}_map"):
        nsrun.run(["/bin/true"], **{f"{what}_map": [(0, value, 1)]})
