"""ARCHITECTURE.md stays true: every repository path it names exists."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = ROOT / "ARCHITECTURE.md"


TOP = ("core/", "capi/", "python/", "cli/", "tests/", "include/", "examples/")


def _is_path(token):
    return token.startswith(TOP)


def _named_paths():
    text = DOC.read_text()
    paths = {t for t in re.findall(r"`([^`\s]+)`", text) if _is_path(t)}
    # Bare file names listed after a directory ("core: `core/src/kind.rs` …, `ns.rs`") live in
    # the directory of the last full path before them on the same line or list item.
    for item in re.split(r"\n(?=- |\*\*)", text):
        base = None
        for token in re.findall(r"`([^`\s]+)`", item):
            if _is_path(token):
                base = pathlib.PurePosixPath(token)
                base = base if token.endswith("/") else base.parent
            elif re.fullmatch(r"[\w.]+\.(rs|py|pyi)", token) and base is not None:
                paths.add(str(base / token))
    return sorted(paths)


def test_architecture_names_only_existing_paths():
    named = _named_paths()
    assert len(named) > 25, named
    missing = [p for p in named if not (ROOT / p).exists()]
    assert missing == [], f"ARCHITECTURE.md names paths that do not exist: {missing}"


def test_architecture_is_one_screen():
    assert len(DOC.read_text().splitlines()) <= 60
