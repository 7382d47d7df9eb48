"""B1: a root program in a default launch cannot write host files through nsrun's init
(/proc/1/map_files, /proc/1/exe) nor read the launcher's environment (/proc/1/environ)."""

import os
import shutil
import subprocess
import sys
import textwrap

import nsrun
from canary import fingerprint

ATTACK = (
    "for f in /proc/1/map_files/*; do (echo pwned >> $f) 2>/dev/null && echo wrote-map; done; "
    "(echo pwned >> /proc/1/exe) 2>/dev/null && echo wrote-exe; "
    "cat /proc/1/environ 2>/dev/null | tr '\\0' '\\n' | grep -c NSRUN_CANARY_SECRET; true"
)


def libc_path() -> str:
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "/libc.so" in path or "/libc-" in path:
                return path
    raise AssertionError("no libc mapped")


def test_init_cannot_write_the_launchers_libraries_or_show_its_environment(rootfs, tmp_path):
    # A throwaway copy of the host's libc, loaded by the launcher process.
    libdir = tmp_path / "lib"
    libdir.mkdir()
    shutil.copy2(libc_path(), libdir / "libc.so.6")
    before = fingerprint(str(libdir))
    code = textwrap.dedent(f"""
        import nsrun, sys
        assert any("{libdir}" in l for l in open("/proc/self/maps")), "copy not loaded"
        r = nsrun.run(["/bin/sh", "-c", {ATTACK!r}], rootfs={str(rootfs)!r},
                      capture_output=True, text=True, timeout=30)
        sys.stdout.write(r.stdout)
    """)
    env = dict(os.environ, LD_LIBRARY_PATH=str(libdir), NSRUN_CANARY_SECRET="leak")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "wrote" not in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "0", out.stdout
    assert fingerprint(str(libdir)) == before


def test_privileged_still_cannot_write_the_init_image(rootfs):
    r = nsrun.run(["/bin/sh", "-c", "(echo x >> /proc/1/exe) 2>/dev/null && echo wrote; echo end"],
                  rootfs=rootfs, privileged=True, capture_output=True, text=True, timeout=30)
    assert r.stdout == "end\n"
