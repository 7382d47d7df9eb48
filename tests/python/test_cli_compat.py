"""The nsrun command behaves like the native tools it replaces (issue 12): exit statuses,
closed stdout, ip/unshare/nsenter habits, help text, man pages and completions."""

import os
import subprocess

import pytest

import nsrun

from conftest import unique
from test_cli import cli


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


@pytest.fixture
def netns_name(nsrun_bin):
    name = unique("cc")
    assert cli(nsrun_bin, "netns", "add", name).returncode == 0
    yield name
    assert cli(nsrun_bin, "netns", "del", name).returncode == 0


def test_netns_exec_needs_no_double_dash_and_binds_etc_netns(nsrun_bin, netns_name):
    r = cli(nsrun_bin, "netns", "exec", netns_name, "ip", "-br", "link")
    assert r.returncode == 0 and r.stdout.split()[0] == "lo", r.stderr
    etc = f"/etc/netns/{netns_name}"
    had_etc_netns = os.path.isdir("/etc/netns")
    os.makedirs(etc)
    try:
        with open(f"{etc}/hostname", "w") as f:
            f.write(f"inner-{netns_name}\n")
        with open(f"{etc}/nsrun-no-such-file", "w") as f:
            f.write("x\n")
        before = open("/etc/hostname").read()
        r = cli(nsrun_bin, "netns", "exec", netns_name, "cat", "/etc/hostname")
        assert r.returncode == 0 and r.stdout == f"inner-{netns_name}\n", r.stderr
        assert "/etc/nsrun-no-such-file does not exist" in r.stderr  # skipped, as ip skips it
        assert not os.path.exists("/etc/nsrun-no-such-file")       # no mount point made on the host
        assert open("/etc/hostname").read() == before
        # ip netns exec sees the same file: the convention is shared.
        r = subprocess.run(["ip", "netns", "exec", netns_name, "cat", "/etc/hostname"], capture_output=True, text=True)
        assert r.stdout == f"inner-{netns_name}\n"
        # A path is not a name: no /etc/netns lookup.
        r = cli(nsrun_bin, "netns", "exec", f"/run/netns/{netns_name}", "cat", "/etc/hostname")
        assert r.stdout == before
    finally:
        subprocess.run(["rm", "-rf", etc], check=True)
        if not had_etc_netns:
            os.rmdir("/etc/netns")


def test_every_netns_option_takes_a_name_or_a_path(nsrun_bin, netns_name, rootfs):
    want = str(nsrun.netns.open(netns_name))
    for spec in (netns_name, f"/run/netns/{netns_name}"):
        for args in (["run", f"--net={spec}", "readlink", "/proc/self/ns/net"],
                     ["enter", f"--net={spec}", "readlink", "/proc/self/ns/net"],
                     ["netns", "exec", spec, "readlink", "/proc/self/ns/net"],
                     ["boot", rootfs, "--net", spec, "readlink", "/proc/self/ns/net"]):
            r = cli(nsrun_bin, *args)
            assert r.returncode == 0 and want in r.stdout.splitlines(), (args, r.stderr)
        r = cli(nsrun_bin, "link", "ls", "--ns", spec, "--json")
        assert r.returncode == 0 and "lo" in r.stdout, r.stderr
    r = cli(nsrun_bin, "run", "--net=/proc/self/ns/uts", "true")
    assert r.returncode == 125 and "/proc/self/ns/uts" in r.stderr


def test_unshare_and_nsenter_options(nsrun_bin):
    wd = "/usr/share"  # readable by uid 65534, unlike pytest's tmp_path
    r = cli(nsrun_bin, "run", "-m", "--wd", wd, "--propagation", "private", "--kill-child",
            "-S", "65534", "-G", "65533", "sh", "-c", "pwd; id -u; id -g; grep -c master: /proc/self/mountinfo")
    assert r.returncode == 1 or r.returncode == 0, r.stderr  # grep -c prints 0 and exits 1
    assert r.stdout.split() == [wd, "65534", "65533", "0"], r.stdout + r.stderr
    r = cli(nsrun_bin, "run", "-m", "--propagation", "slave", "grep", "-c", "master:", "/proc/self/mountinfo")
    assert int(r.stdout) > 0
    r = cli(nsrun_bin, "run", "--propagation", "shared", "true")
    assert r.returncode == 125 and "possible values: slave, private" in r.stderr
    r = cli(nsrun_bin, "run", "--kill-child=TERM", "true")
    assert r.returncode == 125 and "always kills" in r.stderr
    sleeper = subprocess.Popen(["sleep", "30"], cwd=wd)
    try:
        r = cli(nsrun_bin, "enter", "-t", str(sleeper.pid), "-m", "-w", "-S", "65534", "sh", "-c", "pwd; id -u")
        assert r.stdout.split() == [wd, "65534"], r.stderr
        r = cli(nsrun_bin, "enter", "-t", str(sleeper.pid), "-m", "--wd=/", "pwd")
        assert r.stdout == "/\n"
        r = cli(nsrun_bin, "enter", "-t", str(sleeper.pid), "-m", "-r", "true")
        assert r.returncode == 125 and "--root: not supported" in r.stderr
    finally:
        sleeper.kill()
        sleeper.wait()
    assert "Not supported" in cli(nsrun_bin, "enter", "--help").stdout


def test_the_join_meaning_of_net_file_is_in_help(nsrun_bin):
    for flag in ("-h", "--help"):
        out = cli(nsrun_bin, "run", flag).stdout
        assert "JOINS" in out and "unshare's --net=FILE" in out, flag
    assert "bind-mounts it onto FILE" in cli(nsrun_bin, "run", "--help").stdout
