"""The README's examples are the example files, verbatim, and they run."""

import os
import pathlib
import re
import subprocess

import pytest

from conftest import unique

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
EXAMPLES = re.findall(r"<!-- example: (\S+) -->\n```\w+\n(.*?)```\n", README, re.S)


def test_readme_embeds_every_example_verbatim():
    assert {p for p, _ in EXAMPLES} >= {
        "examples/python/quickstart.py",
        "examples/c/netns_hello.c",
        "core/examples/quickstart.rs",
    }
    for path, body in EXAMPLES:
        assert (ROOT / path).read_text() == body, f"README copy of {path} is out of date"


def _check_ran(out, name):
    assert f"deleted {name}" in out
    assert not os.path.lexists(f"/run/netns/{name}")


def test_python_quickstart_runs():
    name = unique("nsrun-readme")
    out = subprocess.run(
        [os.sys.executable, str(ROOT / "examples/python/quickstart.py"), name],
        check=True, capture_output=True, text=True,
    ).stdout
    assert "same as ip's view: True" in out and "refused:" in out
    assert re.search(r"^lo\s", out, re.M)
    _check_ran(out, name)


def test_c_example_builds_with_pkg_config_and_runs(tmp_path):
    """Built against the staged install tree (`make stage`), as a user would after install."""
    stage = ROOT / "build" / "lib"
    env = dict(os.environ, PKG_CONFIG_PATH=str(stage / "pkgconfig"), LD_LIBRARY_PATH=str(stage))
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "nsrun"], check=True, capture_output=True, text=True, env=env
    ).stdout.split()
    exe = tmp_path / "netns_hello"
    subprocess.run(
        ["cc", "-Wall", "-Wextra", "-Werror", str(ROOT / "examples/c/netns_hello.c"), "-o", str(exe), *flags],
        check=True,
    )
    name = unique("nsrun-readme")
    out = subprocess.run([str(exe), name], check=True, capture_output=True, text=True, env=env).stdout
    assert "back on the host: yes" in out and " lo\n" in out
    _check_ran(out, name)


def test_rust_quickstart_runs():
    name = unique("nsrun-readme")
    out = subprocess.run(
        ["cargo", "run", "-q", "--release", "-p", "nsrun", "--example", "quickstart", "--", name],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    assert "refused: persist" in out
    _check_ran(out, name)


@pytest.mark.parametrize("script", ["examples/python/netns_tour.py"])
def test_demo_tour_runs(script):
    name = unique("nsrun-demo")
    out = subprocess.run(
        [os.sys.executable, str(ROOT / script), name], check=True, capture_output=True, text=True
    ).stdout
    assert "(untouched)" in out and "same: True" in out and "refused:" in out
    assert f"deleted; {name} still in /run/netns: False" in out


def test_boot_demo_runs(rootfs):
    out = subprocess.run(
        [os.sys.executable, str(ROOT / "examples/python/boot_demo.py"), rootfs],
        check=True, capture_output=True, text=True,
    ).stdout
    assert "1 nsrun-init" in out and "rcS: boot: router up" in out and "rcS: shutdown: stopping" in out
    assert "host mounts left behind: none" in out


def test_boot_on_host_examples_c_and_python(rootfs, tmp_path):
    stage = ROOT / "build" / "lib"
    env = dict(os.environ, PKG_CONFIG_PATH=str(stage / "pkgconfig"), LD_LIBRARY_PATH=str(stage))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "nsrun"], check=True, capture_output=True,
                           text=True, env=env).stdout.split()
    exe = tmp_path / "boot_on_host"
    subprocess.run(["cc", "-Wall", "-Wextra", "-Werror", str(ROOT / "examples/c/boot_on_host.c"), "-o", str(exe), *flags],
                   check=True)
    cmd = ["/bin/sh", "-c", "ip -o -4 addr show eth1; ping -c 1 -W 3 198.18.0.2 | grep received"]
    for argv in ([str(exe)], [os.sys.executable, str(ROOT / "examples/python/boot_on_host.py")]):
        name = unique("boh")
        r = subprocess.run(argv + [rootfs, name] + cmd, capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0, (argv, r.stdout, r.stderr)
        assert "198.18.0.1/24" in r.stdout and "1 packets received" in r.stdout
        assert "rcS: boot: router up" in r.stdout and "rcS: shutdown: stopping" in r.stdout
        assert not os.path.lexists(f"/run/netns/{name}")


def test_pytest_plugin_example(rootfs):
    """The user-style test runs under pytest with the plugin's fixtures (entry point pytest11)."""
    r = subprocess.run([os.sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(ROOT / "examples/python/test_router_example.py")],
                       capture_output=True, text=True, env=dict(os.environ, NSRUN_ROOTFS=rootfs), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout


def test_make_demo_script(rootfs):
    subprocess.run(["make", "-s", "--no-print-directory", "cli"], cwd=ROOT, check=True)
    nsrun = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"), "release", "nsrun")
    r = subprocess.run([str(ROOT / "examples/demo.sh"), str(ROOT / nsrun), rootfs],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 nsrun-init" in r.stdout and "rcS: shutdown: stopping" in r.stdout
    assert "host mounts left behind: none" in r.stdout
