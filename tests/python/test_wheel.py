"""One wheel gives both `import nsrun` and the `nsrun` command (issue 12): the built wheel,
installed into a clean venv from a local wheelhouse, runs `nsrun --version`, the README
quickstart and a pytest file that uses the plugin."""

import glob
import os
import subprocess
import sys

import pytest

from conftest import ROOT, ROOTFS, unique

WHEELHOUSE = os.path.join(ROOT, "build", "wheelhouse")  # pytest and its deps, fetched once


def _run(*args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120)
    r = subprocess.run(list(args), **kw)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def _pytest_wheels():
    """pytest for the clean venv from the local wheelhouse; fetched from PyPI only if absent."""
    if not glob.glob(os.path.join(WHEELHOUSE, "pytest-*.whl")):
        os.makedirs(WHEELHOUSE, exist_ok=True)
        _run(sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
             "--only-binary=:all:", "-d", WHEELHOUSE, "pytest>=8,<10")
    return WHEELHOUSE


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    dist = os.environ.get("NSRUN_TEST_WHEEL_DIR")  # `make test-python` builds it first
    if not dist:
        dist = str(out / "dist")
        maturin = os.path.join(os.path.dirname(sys.executable), "maturin")
        _run(maturin, "build", "--release", "-q", "-o", dist, cwd=os.path.join(ROOT, "python"), timeout=600)
    (wheel,) = glob.glob(os.path.join(dist, "nsrun-*.whl"))
    env_dir = out / "venv"
    _run(sys.executable, "-m", "venv", str(env_dir))
    pip = str(env_dir / "bin" / "pip")
    _run(pip, "install", "-q", "--disable-pip-version-check", "--no-index", "--find-links", _pytest_wheels(),
         wheel, "pytest")
    return env_dir / "bin"


def _clean_env():
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS")}
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


def test_the_console_script_is_the_cli(venv, tmp_path):
    r = _run(str(venv / "nsrun"), "--version", cwd=tmp_path, env=_clean_env())
    assert r.stdout.strip().startswith("nsrun ")
    r = subprocess.run([str(venv / "nsrun"), "--bogus"], capture_output=True, text=True, cwd=tmp_path,
                       env=_clean_env(), timeout=30)
    assert r.returncode == 125 and "--bogus" in r.stderr
    name = unique("whl")
    _run(str(venv / "nsrun"), "netns", "add", name, env=_clean_env())
    try:
        assert name in _run(str(venv / "nsrun"), "netns", "ls", env=_clean_env()).stdout.split()
    finally:
        _run(str(venv / "nsrun"), "netns", "del", name, env=_clean_env())


def test_the_quickstart_runs_from_the_wheel(venv, tmp_path):
    name = unique("qs")
    r = _run(str(venv / "python"), os.path.join(ROOT, "examples", "python", "quickstart.py"), name,
             cwd=tmp_path, env=_clean_env())
    where = _run(str(venv / "python"), "-c", "import nsrun; print(nsrun.__file__)", cwd=tmp_path, env=_clean_env())
    assert where.stdout.startswith(str(venv.parent)), where.stdout  # the installed copy, not the tree
    assert f"deleted {name}" in r.stdout


def test_a_pytest_file_with_the_plugin_runs_from_the_wheel(venv, tmp_path):
    env = _clean_env() | {"NSRUN_ROOTFS": ROOTFS}
    r = subprocess.run([str(venv / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        os.path.join(ROOT, "examples", "python", "test_router_example.py")],
                       capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert " passed" in r.stdout
