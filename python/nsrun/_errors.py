"""nsrun's exceptions. All are OSError subclasses with ``errno`` and ``filename`` set.

Plain system-call failures are raised as ``OSError(errno, message, filename)``, which CPython
turns into the matching subclass (``FileNotFoundError``, ``PermissionError``, …).
"""


class Error(OSError):
    """Base of the nsrun-specific errors."""


class NotANamespaceError(Error):
    """The path or descriptor exists but is not a namespace file."""


class WrongKindError(Error):
    """The namespace is of another kind than asked for (``expected``, ``found``)."""

    expected = None
    found = None


class AlreadyPersistedError(Error):
    """persist() onto a path that already holds a namespace; ``existing`` names it."""

    existing = None


class NotPersistedError(Error):
    """unpersist() of a path that holds no namespace."""


class InvalidArgumentError(Error, ValueError):
    """A value was refused before any system call (a netns name with '/', a NUL byte, …)."""


class LaunchError(Error):
    """Starting a program in namespaces failed; ``stage`` says where. For a failed boot command,
    ``status`` is its returncode (the exit code, or minus the signal that killed it)."""

    stage = None
    status = None
