"""Every default is decided once, in core: the bindings' values are core's (issue 9, item 5).

The native module exports core's values (nsrun::Stdio::INHERIT/PIPE/NULL, nsrun::launch::exit,
nsrun::launch::RCS_BOOT/RCS_SHUTDOWN); these tests check that Python, the C header and the CLI
agree with them, and that "netns name or path" is the one rule of nsrun::netns::resolve.
"""

import os
import re
import subprocess

import nsrun
import nsrun._nsrun as native

from conftest import ROOT
from test_cli import cli

HEADER = os.path.join(ROOT, "include", "nsrun.h")


def _header_defines():
    text = open(HEADER).read()
    return {m[0]: int(m[1]) for m in re.findall(r"^#define (NSRUN_\w+) (-?\d+)$", text, re.M)}


def test_python_stdio_codes_are_cores_and_subprocess():
    assert (nsrun.PIPE, nsrun.DEVNULL) == (native.STDIO_PIPE, native.STDIO_NULL)
    assert (nsrun.PIPE, nsrun.DEVNULL) == (subprocess.PIPE, subprocess.DEVNULL)
    assert native.STDIO_INHERIT not in (subprocess.PIPE, subprocess.DEVNULL, subprocess.STDOUT)


def test_c_constants_are_cores():
    d = _header_defines()
    assert d["NSRUN_STDIO_INHERIT"] == native.STDIO_INHERIT
    assert d["NSRUN_STDIO_PIPE"] == native.STDIO_PIPE
    assert d["NSRUN_STDIO_NULL"] == native.STDIO_NULL
    assert d["NSRUN_EXIT_SETUP_FAILED"] == native.EXIT_SETUP_FAILED
    assert d["NSRUN_EXIT_CANNOT_RUN"] == native.EXIT_CANNOT_RUN
    assert d["NSRUN_EXIT_NOT_FOUND"] == native.EXIT_NOT_FOUND


def test_cli_exit_statuses_are_cores(nsrun_bin, tmp_path):  # noqa: F811
    assert cli(nsrun_bin, "run", "--", "/no/such/program").returncode == native.EXIT_NOT_FOUND
    not_exec = tmp_path / "script"
    not_exec.write_text("#!/bin/sh\n")
    assert cli(nsrun_bin, "run", "--", str(not_exec)).returncode == native.EXIT_CANNOT_RUN
    assert cli(nsrun_bin, "--no-such-flag").returncode == native.EXIT_SETUP_FAILED
    help_text = cli(nsrun_bin, "--help").stdout
    for code in (native.EXIT_SETUP_FAILED, native.EXIT_CANNOT_RUN, native.EXIT_NOT_FOUND):
        assert str(code) in help_text


def test_rcs_convention_is_cores(tmp_path):
    assert native.RCS_BOOT == ["/etc/rcS", "S", "boot"]
    assert native.RCS_SHUTDOWN == ["/etc/rcS", "K", "shutdown"]
    assert native.rcs_commands(tmp_path) is None
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "rcS").write_text("")
    assert native.rcs_commands(tmp_path) == (native.RCS_BOOT, native.RCS_SHUTDOWN)
    plugin = open(os.path.join(os.path.dirname(nsrun.__file__), "pytest_plugin.py")).read()
    assert "rcS\"" not in plugin and "rcS'" not in plugin  # no restated command


def test_netns_name_or_path_is_cores(netns_name):
    ns = nsrun.netns.add(netns_name)
    path = nsrun.netns.path(netns_name)
    assert nsrun.same(ns, path)
    # link: a name and a path give the same namespace (nsrun::netns::resolve)
    by_name = {i.name for i in nsrun.link.list(ns=netns_name)}
    assert by_name == {i.name for i in nsrun.link.list(ns=path)} == {"lo"}
    # launch: "net" as a name joins that netns, like the CLI's --net NAME
    for arg in (netns_name, path):
        r = nsrun.run(["readlink", "/proc/self/ns/net"], namespaces={"net": arg}, capture_output=True,
                      text=True, check=True, timeout=20)
        assert r.stdout.strip() == f"net:[{os.stat(path).st_ino}]"
    ns.close()
