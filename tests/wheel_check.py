"""Checks what `make wheel` built (in the directory given): the sdist, the manylinux2014 wheel.

- sdist: README.md, both licenses and PKG-INFO inside (the wheel was built from it by make).
- wheel: tagged manylinux2014 / manylinux_2_17, and `auditwheel show` agrees; the extension
  module references no glibc symbol newer than 2.17 and no unversioned strong one (zig leaves
  those unversioned, e.g. a gettid from glibc 2.30); weak ones (Rust std probes statx, getrandom,
  gettid at run time) are fine.
- METADATA: long description, license expression and files, URLs, classifiers.
- it installs into a fresh venv (no index) and imports and works there.

Usage: python tests/wheel_check.py DIR
"""

import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

TAG = "manylinux_2_17_x86_64"
MAX_GLIBC = (2, 17)


def fail(msg):
    sys.exit(f"wheel-check: {msg}")


def one(paths, what):
    paths = list(paths)
    if len(paths) != 1:
        fail(f"expected one {what}, found {[p.name for p in paths]}")
    return paths[0]


def check_sdist(sdist):
    with tarfile.open(sdist) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    for f in ("README.md", "LICENSE-MIT", "LICENSE-APACHE", "PKG-INFO", "pyproject.toml"):
        if f not in names:
            fail(f"{sdist.name} lacks {f}")
    print(f"sdist {sdist.name}: README.md, LICENSE-MIT, LICENSE-APACHE, PKG-INFO")


def check_metadata(z, dist_info):
    meta = z.read(f"{dist_info}/METADATA").decode()
    headers, _, body = meta.partition("\n\n")
    need = [
        r"^Metadata-Version: 2\.[4-9]$",
        r"^License-Expression: MIT OR Apache-2\.0$",
        r"^License-File: LICENSE-MIT$",
        r"^License-File: LICENSE-APACHE$",
        r"^Description-Content-Type: text/markdown",
        r"^Project-URL: Repository, ",
        r"^Classifier: Operating System :: POSIX :: Linux$",
        r"^Requires-Python: >=3\.9$",
    ]
    for pat in need:
        if not re.search(pat, headers, re.M):
            fail(f"METADATA has no line matching {pat!r}")
    if "# nsrun" not in body or len(body) < 1000:
        fail("METADATA has no long description (README.md)")
    for f in ("LICENSE-MIT", "LICENSE-APACHE"):
        if f"{dist_info}/licenses/{f}" not in z.namelist():
            fail(f"the wheel lacks {dist_info}/licenses/{f}")
    print("METADATA: 2.4, README long description, license expression + files, URLs, classifiers")


def check_symbols(so):
    out = subprocess.run(["nm", "-D", "--with-symbol-versions", "--undefined-only", str(so)],
                         check=True, capture_output=True, text=True).stdout
    bad, newest = [], (0, 0)
    for line in out.splitlines():
        kind, sym = line.split()[-2:]
        name, _, version = sym.partition("@")
        m = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", version)
        if m:
            v = (int(m[1]), int(m[2]))
            newest = max(newest, v)
            if v > MAX_GLIBC:
                bad.append(sym)
        elif not version and kind == "U" and not name.startswith(("Py", "_Py")):
            bad.append(f"{name} (unversioned)")
    if bad:
        fail(f"{so.name}: symbols newer than glibc {MAX_GLIBC}: {', '.join(bad)}")
    print(f"symbols: newest glibc version GLIBC_{newest[0]}.{newest[1]}, no unversioned strong libc symbol")


def check_installs(wheel):
    with tempfile.TemporaryDirectory(prefix="nsrun-wheel-venv.") as tmp:
        subprocess.run([sys.executable, "-m", "venv", tmp], check=True)
        py = Path(tmp, "bin", "python")
        subprocess.run([py, "-m", "pip", "install", "-q", "--no-index", "--disable-pip-version-check",
                        str(wheel)], check=True)
        code = "import nsrun; print(nsrun.Namespace.current('net'))"
        out = subprocess.run([py, "-c", code], check=True, capture_output=True, text=True,
                             cwd=tmp).stdout.strip()
        if not re.fullmatch(r"net:\[\d+\]", out):
            fail(f"the installed wheel printed {out!r}")
        print(f"installed into a fresh venv: nsrun.Namespace.current('net') = {out}")


def main():
    d = Path(sys.argv[1])
    check_sdist(one(d.glob("nsrun-*.tar.gz"), "sdist"))
    wheel = one(d.glob("nsrun-*.whl"), "wheel")
    if "manylinux2014_x86_64" not in wheel.name or TAG not in wheel.name:
        fail(f"{wheel.name} is not tagged manylinux2014 / {TAG}")
    show = subprocess.run([Path(sys.executable).parent / "auditwheel", "show", str(wheel)],
                          check=True, capture_output=True, text=True).stdout
    show = " ".join(show.split())
    if f'is consistent with the following platform tag: "{TAG}"' not in show:
        fail(f"auditwheel show: {show}")
    print(f'auditwheel show {wheel.name}: consistent with "{TAG}"')
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory(prefix="nsrun-wheel.") as tmp:
        dist_info = one({n.split("/")[0] for n in z.namelist() if ".dist-info/" in n}, "dist-info")
        check_metadata(z, dist_info)
        so = one((n for n in z.namelist() if n.endswith(".so")), "extension module")
        check_symbols(Path(z.extract(so, tmp)))
    check_installs(wheel)


if __name__ == "__main__":
    main()
