"""Helpers shared by the rootless suite (run as ordinary accounts by tests/rootless/run.sh)."""

import time


def wait_until(pred, what, timeout=30.0):
    """Polls `pred` until it holds; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)
