"""Helpers for the canaries: a throwaway copy of a host file or directory whose content is
fingerprinted before an attack and compared after it."""

import hashlib
import os
import shutil
import subprocess


def fingerprint(path: str) -> dict:
    """Every entry under `path` (or the file itself): relative name -> (mode, size, sha256)."""
    out = {}
    if os.path.isfile(path):
        with open(path, "rb") as f:
            return {".": (os.stat(path).st_mode, os.path.getsize(path), hashlib.sha256(f.read()).hexdigest())}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            digest = ""
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            out[os.path.relpath(p, path)] = (st.st_mode, st.st_size, digest)
    return out


def static_program(source: str, rootfs, name: str, scratch) -> None:
    """Compiles C `source` into `rootfs`/`name`, static (the busybox rootfs has no C library)."""
    src = scratch / f"{name}.c"
    src.write_text(source)
    cc = shutil.which("cc") or shutil.which("gcc")
    subprocess.run([cc, "-static", "-O1", "-o", str(rootfs / name), str(src)], check=True)
