"""The security canaries share the fixtures and the leak check of tests/python/conftest.py."""

import importlib.util
import os

_spec = importlib.util.spec_from_file_location(
    "nsrun_tests_common", os.path.join(os.path.dirname(__file__), "..", "python", "conftest.py")
)
_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_common)
globals().update({k: v for k, v in vars(_common).items() if not k.startswith("__")})
