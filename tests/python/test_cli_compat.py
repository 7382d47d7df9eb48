"""The nsrun command behaves like the native tools it replaces (issue 12): exit statuses,
closed stdout, ip/unshare/nsenter habits, help text, man pages and completions."""

import os
import subprocess

import pytest

from conftest import unique
from test_cli import cli, nsrun_bin  # noqa: F401  (the fixture)


@pytest.mark.parametrize("args", [[], ["--bogus"], ["run"], ["ls", "--type"], ["netns", "frob"], ["same", "a"]])
def test_usage_errors_exit_125_with_clap_message(nsrun_bin, args):
    r = cli(nsrun_bin, *args)
    assert r.returncode == 125, (args, r.returncode, r.stderr)
    assert ("error: " in r.stderr or "Usage: nsrun" in r.stderr) and r.stdout == ""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["help"], ["netns", "--help"], ["run", "-h"]])
def test_help_and_version_exit_0(nsrun_bin, args):
    r = cli(nsrun_bin, *args)
    assert r.returncode == 0 and r.stdout and r.stderr == "", (args, r.stderr)


@pytest.mark.parametrize("args", [["ls"], ["netns", "ls", "--json"], ["--help"], ["ls", "--json"]])
@pytest.mark.parametrize("sigpipe", ["default", "ignored"])
def test_closed_stdout_ends_quietly(nsrun_bin, args, sigpipe):
    """The reader is gone before nsrun writes a byte: killed by SIGPIPE (141 in a shell) or 0,
    never a panic, whether the caller left SIGPIPE at its default or ignored it (Python does)."""
    rd, wr = os.pipe()
    os.close(rd)
    try:
        r = subprocess.run([nsrun_bin, *args], stdout=wr, stderr=subprocess.PIPE, text=True, timeout=30,
                           restore_signals=(sigpipe == "default"))
    finally:
        os.close(wr)
    assert r.returncode in (0, -13, 141), (args, r.returncode, r.stderr)
    assert r.stderr == "", r.stderr


def test_closed_stdout_in_a_shell_pipeline(nsrun_bin):
    r = subprocess.run(["bash", "-c", f'{nsrun_bin} ls | head -1; echo "status=${{PIPESTATUS[0]}}"'],
                       capture_output=True, text=True, timeout=30)
    assert r.stdout.splitlines()[0].split()[:2] == ["NS", "TYPE"]
    assert r.stdout.splitlines()[-1] in ("status=0", "status=141"), r.stdout
    assert "panicked" not in r.stderr and r.stderr == "", r.stderr
