"""Argument conversion in nsrun/_launch.py: what reaches the native _spawn, without launching."""

import os
import pathlib

import pytest

import nsrun
from nsrun import InvalidArgumentError, Kind
from nsrun import _launch as L


def test_argv_takes_sequences_of_paths_and_refuses_strings_and_empty():
    assert L._argv(["/bin/sh", b"-c", pathlib.Path("x")]) == ["/bin/sh", b"-c", "x"]
    for bad in ("/bin/sh", b"/bin/sh", pathlib.Path("/bin/sh"), []):
        with pytest.raises(InvalidArgumentError):
            L._argv(bad)


def test_stdio_maps_none_pipe_devnull_fds_and_files(tmp_path):
    assert L._stdio(None, "stdin") == nsrun._nsrun.STDIO_INHERIT
    assert L._stdio(nsrun.PIPE, "stdin") == nsrun.PIPE
    assert L._stdio(nsrun.DEVNULL, "stdin") == nsrun.DEVNULL
    assert L._stdio(7, "stdin") == 7
    with open(tmp_path / "f", "w") as f:
        assert L._stdio(f, "stdout") == f.fileno()
    for bad in (-7, "x", 1.5):
        with pytest.raises(InvalidArgumentError):
            L._stdio(bad, "stderr")


def test_namespaces_pass_only_the_callers_settings_normalised():
    got = dict(L._namespaces({Kind.NET: "new", "uts": None, "ipc": pathlib.Path("/p"), "pid": "inherit"}))
    # an os.PathLike stays one (always a path); a str for "net" is core's netns name or path
    assert got == {"pid": "inherit", "uts": "inherit", "ipc": pathlib.Path("/p"), "net": "new"}
    assert dict(L._namespaces(None)) == {}  # the defaults are core's
    with pytest.raises(InvalidArgumentError, match="not a namespace kind"):
        L._namespaces({"bogus": "new"})


@pytest.mark.parametrize("kind", list(Kind), ids=[k.value for k in Kind])
def test_namespaces_accept_every_kind_by_enum_and_name(kind):
    assert dict(L._namespaces({kind: "new"}))[kind.value] == "new"
    assert dict(L._namespaces({kind.value: "new"}))[kind.value] == "new"


def test_mounts_read_only_flag_forms():
    assert L._mounts([("a", "b"), ("c", "d", "ro"), (pathlib.Path("e"), "f", "rw"), ("g", "h", True)]) == [
        ("a", "b", False), ("c", "d", True), ("e", "f", False), ("g", "h", True)]
    assert L._mounts(None) == []
    for bad in (["a"], [("a",)], [("a", "b", "maybe")]):
        with pytest.raises(InvalidArgumentError):
            L._mounts(bad)


def test_bad_namespace_setting_is_refused_before_any_launch():
    with pytest.raises(InvalidArgumentError, match="namespace setting"):
        nsrun.spawn(["/bin/true"], namespaces={"net": 3.5})
    with pytest.raises(InvalidArgumentError):
        nsrun.spawn(["/bin/true"], pass_fds=[os.sysconf("SC_OPEN_MAX") + 5])
