"""The shipped stubs describe the native module exactly (names, classes, members)."""

import ast
import inspect
import pathlib

import nsrun
import nsrun._nsrun as native

STUB = pathlib.Path(nsrun.__file__).with_name("_nsrun.pyi")


def _stub_names():
    tree = ast.parse(STUB.read_text())
    top, classes = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.target.id == "__version__" or node.target.id.isupper():
                top.add(node.target.id)
        if isinstance(node, ast.ClassDef):
            classes[node.name] = {
                n.name for n in node.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("__")
            }
    return top, classes


def test_stub_lists_every_public_name_and_nothing_else():
    top, _ = _stub_names()
    runtime = {n for n in dir(native) if not n.startswith("__")} | {"__version__"}
    assert top == runtime


def test_stub_classes_have_the_runtime_members():
    _, classes = _stub_names()
    for name, members in classes.items():
        cls = getattr(native, name)
        runtime = {n for n, _ in inspect.getmembers(cls) if not n.startswith("__")}
        assert members == runtime, name


def test_package_all_is_importable_and_typed():
    for name in nsrun.__all__:
        assert hasattr(nsrun, name), name
    assert pathlib.Path(nsrun.__file__).with_name("py.typed").exists()
