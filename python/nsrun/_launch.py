"""Launching programs in namespaces: nsrun.run (like subprocess.run) and nsrun.spawn -> Process."""

import codecs
import errno
import io
import os
import selectors
import signal
import subprocess
import time
from typing import Any, Dict, IO, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from nsrun._errors import InvalidArgumentError
from nsrun._kind import Kind
from nsrun._nsrun import STDIO_INHERIT, STDIO_NULL, STDIO_PIPE, Namespace, _spawn

# Core's stdio codes (nsrun::Stdio::from_code), which are subprocess.PIPE and subprocess.DEVNULL.
PIPE = STDIO_PIPE
DEVNULL = STDIO_NULL

__all__ = ["DEVNULL", "PIPE", "ExecProcess", "Process", "run", "spawn"]

_PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(errno.EINVAL, message, None)


def _fspath(v: Any, what: str) -> Union[str, bytes]:
    """os.fspath(v) (str, bytes or os.PathLike of either), with a TypeError naming ``what``."""
    try:
        return os.fspath(v)
    except TypeError:
        raise TypeError(f"{what}: expected str, bytes or os.PathLike object, not {type(v).__name__}") from None


def _path(v: Any, what: str) -> Optional[Union[str, bytes]]:
    return None if v is None else _fspath(v, what)


def _argv(argv, what="argv") -> List[Union[str, bytes]]:
    if isinstance(argv, (str, bytes, os.PathLike)):
        raise _invalid(f"{what} must be a sequence of arguments, not a string")
    try:
        items = list(argv)
    except TypeError:
        raise TypeError(f"{what}: expected a sequence of arguments, not {type(argv).__name__}") from None
    out = [_fspath(a, f"{what}[{i}]") for i, a in enumerate(items)]
    if not out:
        raise _invalid(f"{what} is empty: nothing to run")
    return out


def _env(env: Optional[Mapping[Any, Any]]) -> Optional[List[Tuple[Union[str, bytes], Union[str, bytes]]]]:
    """Names and values as str, bytes or os.PathLike, like subprocess."""
    if env is None:
        return None
    return [(_fspath(k, "env name"), _fspath(v, f"env[{k!r}]")) for k, v in env.items()]


_ID_MAX = 2**32 - 2  # (uid_t)-1 means "no change" to the kernel: never a real id


def _id(v: Any, what: str) -> Optional[int]:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{what}: expected an int, not {type(v).__name__}")
    if not 0 <= v <= _ID_MAX:
        raise _invalid(f"{what}: {v} is not a valid id (0 to {_ID_MAX})")
    return v


def _id_map(m: Any, what: str) -> List[Tuple[int, int, int]]:
    out = []
    for line in m or ():
        if not isinstance(line, (tuple, list)) or len(line) != 3:
            raise _invalid(f"{what}: {line!r} must be (inside, outside, count)")
        inside, outside, count = (_id(x, what) for x in line)
        out.append((inside, outside, count))
    return out


def _pass_fds(fds: Iterable[Any]) -> List[int]:
    out = []
    for fd in fds:
        if isinstance(fd, bool) or not isinstance(fd, int):
            raise TypeError(f"pass_fds: expected file descriptors (int), not {type(fd).__name__}")
        if not 0 <= fd < 2**31:
            raise _invalid(f"pass_fds: {fd} is not a file descriptor")
        out.append(fd)
    return out


def _text_codec(encoding: Optional[str], errors: Optional[str]) -> None:
    """Looks the codec and the error handler up before anything is started (LookupError)."""
    if encoding is not None:
        codecs.lookup(encoding)
    if errors is not None:
        codecs.lookup_error(errors)


def _stdio(v, name) -> int:
    if v is None:
        return STDIO_INHERIT
    if v in (PIPE, DEVNULL):
        return v
    if isinstance(v, int) and v >= 0:
        return v
    if hasattr(v, "fileno"):
        return v.fileno()
    raise _invalid(f"{name} must be None, PIPE, DEVNULL, a file descriptor or a file")


def _ns_setting(v: Any) -> Any:
    """"new", "inherit" (also None), a Namespace, or a path to join (str, bytes, os.PathLike; for
    "net" a str is a netns name or path, core's rule)."""
    if v is None:
        return "inherit"
    return v


def _namespaces(ns: Optional[Mapping[Any, Any]]) -> List[Tuple[str, Any]]:
    # Only the caller's settings: the defaults (new mnt, pid, uts, ipc) are core's
    # (nsrun::Launch::new), applied under these.
    merged: Dict[str, Any] = {}
    for k, v in (ns or {}).items():
        try:
            kind = Kind(k.value if isinstance(k, Kind) else k)
        except ValueError:
            raise _invalid(f"namespaces: {k!r} is not a namespace kind") from None
        merged[kind.value] = _ns_setting(v)
    return list(merged.items())


def _mounts(mounts) -> List[Tuple[str, str, bool]]:
    out = []
    for m in mounts or ():
        if not isinstance(m, (tuple, list)) or len(m) not in (2, 3):
            raise _invalid(f"mounts: {m!r} must be (source, target[, 'ro'|'rw'|bool])")
        ro = False
        if len(m) == 3:
            ro = {"ro": True, "rw": False}.get(m[2], m[2]) if isinstance(m[2], str) else bool(m[2])
            if not isinstance(ro, bool):
                raise _invalid(f"mounts: {m[2]!r} must be 'ro', 'rw' or a bool")
        out.append((_fspath(m[0], "mount source"), _fspath(m[1], "mount target"), ro))
    return out


class Process:
    """A program started by :func:`spawn`. Like ``subprocess.Popen``: ``pid``, ``returncode``,
    ``stdin``/``stdout``/``stderr`` (when PIPE), ``wait``, ``poll``, ``communicate``,
    ``send_signal``, ``terminate``, ``kill``; plus ``stop`` (shutdown command, SIGTERM, then SIGKILL)
    and ``namespace(kind)``. As a context manager it stops the program on exit.
    """

    def __init__(self, child, args, text, encoding, errors):
        self._child = child
        self.args = args
        self._text = text or encoding is not None or errors is not None
        self.stdin: Optional[IO[Any]] = None
        self.stdout: Optional[IO[Any]] = None
        self.stderr: Optional[IO[Any]] = None
        fds = list(child.take_pipes())
        try:
            for i, (name, mode) in enumerate((("stdin", "wb"), ("stdout", "rb"), ("stderr", "rb"))):
                setattr(self, name, self._open(fds[i], mode, encoding, errors))
                fds[i] = -1  # owned by the file object now
        except BaseException:
            # Nothing half-made survives: close every pipe end, stop and reap the program.
            for fd in fds:
                if fd >= 0:
                    os.close(fd)
            for f in (self.stdin, self.stdout, self.stderr):
                if f is not None:
                    f.close()
            child.send_signal(signal.SIGKILL)
            child.wait(None)
            raise

    def _open(self, fd, mode, encoding, errors):
        if fd < 0:
            return None
        f = io.open(fd, mode, buffering=0 if mode == "wb" else -1)
        if self._text:
            try:
                f = io.TextIOWrapper(f, encoding=encoding or "utf-8", errors=errors or "strict",
                                     write_through=True, line_buffering=(mode == "wb"))
            except BaseException:
                f.close()
                raise
        return f

    @property
    def returncode(self) -> Optional[int]:
        """The exit status once the program has been waited for (128+N if signal N killed it)."""
        return self._child.returncode

    @property
    def pid(self) -> int:
        """Host pid of the program (of nsrun's init when there is one)."""
        return self._child.pid

    def poll(self) -> Optional[int]:
        return self.wait(timeout=0, _raise=False)

    def wait(self, timeout: Optional[float] = None, _raise: bool = True) -> Optional[int]:
        """Waits for the program; raises subprocess.TimeoutExpired after ``timeout`` seconds."""
        rc = self._child.wait(timeout)
        if rc is None:
            if _raise:
                raise subprocess.TimeoutExpired(self.args, timeout)
            return None
        return rc

    def send_signal(self, sig: int) -> None:
        """Sends ``sig`` (the init forwards TERM, INT, HUP, QUIT, USR1, USR2, WINCH, CONT)."""
        self._child.send_signal(sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the init: every process of the container dies with it."""
        self.send_signal(signal.SIGKILL)

    def stop(self, timeout: float = 5.0) -> int:
        """Runs the shutdown command, then SIGTERMs every process, then SIGKILL after ``timeout``."""
        return self._child.stop(timeout)

    def namespace(self, kind: Union[Kind, str]) -> Namespace:
        """The program's namespace of ``kind`` (e.g. to persist its new netns while it runs)."""
        return self._child.namespace(kind)

    def popen(
        self,
        argv: Sequence[Union[str, bytes, "os.PathLike[str]"]],
        *,
        stdin: Any = None,
        stdout: Any = None,
        stderr: Any = None,
        env: Optional[Mapping[str, str]] = None,
        cwd: Optional[Union[str, "os.PathLike[str]"]] = None,
        uid: Optional[int] = None,
        gid: Optional[int] = None,
        text: bool = False,
        encoding: Optional[str] = None,
        errors: Optional[str] = None,
    ) -> "ExecProcess":
        """Starts ``argv`` inside this running launch, through its init, and returns a handle
        like ``subprocess.Popen``. The command runs in every namespace of the launch (PID
        namespace, root, /proc, hostname, cgroup), is reaped by the init and killed when the
        launch stops. ``env``, ``cwd``, ``uid`` and ``gid`` default to the launch's. Raises
        ``ProcessLookupError`` once the launch has ended.
        """
        args = _argv(argv)
        options = dict(
            env=_env(env),
            cwd=_path(cwd, "cwd"),
            uid=_id(uid, "uid"),
            gid=_id(gid, "gid"),
            stdin=_stdio(stdin, "stdin"),
            stdout=_stdio(stdout, "stdout"),
            stderr=_stdio(stderr, "stderr"),
        )
        return ExecProcess(self._child.exec(args, options), args, text, encoding, errors)

    def exec(
        self,
        argv,
        *,
        input=None,
        capture_output: bool = False,
        timeout: Optional[float] = None,
        check: bool = False,
        stdin: Any = None,
        stdout: Any = None,
        stderr: Any = None,
        **options: Any,
    ) -> subprocess.CompletedProcess:
        """Like ``subprocess.run``, inside this running launch (see :meth:`popen`): returns a
        ``subprocess.CompletedProcess``; ``returncode`` is the exit code, or 128+N if signal N
        killed the command. ``timeout`` kills it and raises ``subprocess.TimeoutExpired``.
        """
        return _run(lambda **kw: self.popen(argv, **kw), input, capture_output, timeout, check,
                    stdin, stdout, stderr, options)

    def communicate(self, input=None, timeout: Optional[float] = None):
        """Like Popen.communicate: sends ``input``, reads stdout/stderr to EOF, waits."""
        deadline = None if timeout is None else time.monotonic() + timeout
        out: Dict[str, List[bytes]] = {"stdout": [], "stderr": []}
        sel = selectors.DefaultSelector()
        raw = {}
        for name in ("stdout", "stderr"):
            f = getattr(self, name)
            if f is not None:
                fd = f.fileno()
                os.set_blocking(fd, False)
                sel.register(fd, selectors.EVENT_READ, name)
                raw[name] = f
        pending = b""
        if self.stdin is not None:
            if input is not None:
                pending = input.encode(getattr(self.stdin, "encoding", "utf-8")) if isinstance(input, str) else bytes(input)
            if pending:
                fd = self.stdin.fileno()
                os.set_blocking(fd, False)
                sel.register(fd, selectors.EVENT_WRITE, "stdin")
            else:
                self.stdin.close()
        try:
            while sel.get_map():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(self.args, timeout)
                for key, _ in sel.select(left):
                    if key.data == "stdin":
                        try:
                            n = os.write(key.fd, pending[:65536])
                        except BrokenPipeError:
                            n = len(pending)
                        pending = pending[n:]
                        if not pending:
                            sel.unregister(key.fd)
                            self.stdin.close()
                    else:
                        chunk = os.read(key.fd, 65536)
                        if chunk:
                            out[key.data].append(chunk)
                        else:
                            sel.unregister(key.fd)
        finally:
            sel.close()
        for f in raw.values():
            f.close()
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        result = []
        for name in ("stdout", "stderr"):
            if name not in raw:
                result.append(None)
                continue
            data = b"".join(out[name])
            if self._text:
                enc = raw[name].encoding
                data = data.decode(enc, raw[name].errors).replace("\r\n", "\n")
            result.append(data)
        return tuple(result)

    def __enter__(self) -> "Process":
        return self

    def __exit__(self, *exc) -> None:
        if self.returncode is None:
            self.stop()
        for f in (self.stdin, self.stdout, self.stderr):
            if f is not None:
                f.close()

    def __repr__(self) -> str:
        return f"<nsrun.Process pid={self.pid} returncode={self.returncode} args={self.args!r}>"


class ExecProcess(Process):
    """A command started in a running launch by :meth:`Process.popen`. Like
    ``subprocess.Popen``; ``stop`` sends SIGTERM, then SIGKILL after the timeout. As a context
    manager it stops the command on exit.
    """

    def kill(self) -> None:
        """SIGKILL the command."""
        self.send_signal(signal.SIGKILL)

    def stop(self, timeout: float = 5.0) -> int:
        """SIGTERM, then SIGKILL after ``timeout`` seconds."""
        return self._child.stop(timeout)

    def namespace(self, kind: Union[Kind, str]) -> Namespace:
        raise AttributeError("namespace: ask the launch's Process")

    def popen(self, *a, **kw):
        raise AttributeError("popen: ask the launch's Process")

    def exec(self, *a, **kw):
        raise AttributeError("exec: ask the launch's Process")

    def __repr__(self) -> str:
        return f"<nsrun.ExecProcess pid={self.pid} returncode={self.returncode} args={self.args!r}>"


def spawn(
    argv: Sequence[_PathArg],
    *,
    rootfs: Optional[_PathArg] = None,
    namespaces: Optional[Mapping[Union[Kind, str], Any]] = None,
    hostname: Optional[str] = None,
    mounts: Optional[Iterable[Tuple[Any, ...]]] = None,
    env: Optional[Mapping[Union[str, bytes], Union[str, bytes]]] = None,
    cwd: Optional[_PathArg] = None,
    uid: Optional[int] = None,
    gid: Optional[int] = None,
    uid_map: Optional[Iterable[Tuple[int, int, int]]] = None,
    gid_map: Optional[Iterable[Tuple[int, int, int]]] = None,
    map_root_user: bool = False,
    stdin: Any = None,
    stdout: Any = None,
    stderr: Any = None,
    pass_fds: Iterable[int] = (),
    boot: Optional[Sequence[_PathArg]] = None,
    shutdown: Optional[Sequence[_PathArg]] = None,
    init: bool = True,
    interactive: bool = False,
    host_dev: bool = False,
    proc_sys_writable: bool = False,
    privileged: bool = False,
    userns: bool = False,
    rootless: Optional[bool] = None,
    start_timeout: Optional[float] = None,
    text: bool = False,
    encoding: Optional[str] = None,
    errors: Optional[str] = None,
) -> Process:
    """Starts ``argv`` in namespaces and returns a :class:`Process` once it runs.

    ``namespaces`` maps kinds to ``"new"``, ``None``/``"inherit"``, a :class:`Namespace` or a path
    to join; it is merged over the default (new mnt, pid, uts, ipc). ``mounts`` are
    ``(host_path, path_inside[, "ro"])``. Failures before the program runs raise
    :class:`nsrun.LaunchError` with ``stage``, ``errno`` and ``filename``. ``start_timeout``
    bounds the start (the boot command): past it the launch is killed and ``LaunchError``
    (stage ``boot``, ``ETIMEDOUT``) raised; Ctrl+C during the start kills it too.
    """
    args = _argv(argv)
    _text_codec(encoding, errors)
    options = dict(
        rootfs=_path(rootfs, "rootfs"),
        namespaces=_namespaces(namespaces),
        hostname=hostname,
        mounts=_mounts(mounts),
        env=_env(env),
        cwd=_path(cwd, "cwd"),
        uid=_id(uid, "uid"),
        gid=_id(gid, "gid"),
        uid_map=_id_map(uid_map, "uid_map"),
        gid_map=_id_map(gid_map, "gid_map"),
        map_root_user=map_root_user,
        stdin=_stdio(stdin, "stdin"),
        stdout=_stdio(stdout, "stdout"),
        stderr=_stdio(stderr, "stderr"),
        pass_fds=[(fd, fd) for fd in _pass_fds(pass_fds)],
        boot=None if boot is None else _argv(boot, "boot"),
        shutdown=None if shutdown is None else _argv(shutdown, "shutdown"),
        init=init,
        interactive=interactive,
        host_dev=host_dev,
        proc_sys_writable=proc_sys_writable,
        privileged=privileged,
        userns=userns,
        rootless=None if rootless is None else bool(rootless),
        start_timeout=start_timeout,
    )
    return Process(_spawn(args, options), args, text, encoding, errors)


def run(
    argv,
    *,
    input=None,
    capture_output: bool = False,
    timeout: Optional[float] = None,
    check: bool = False,
    stdin: Any = None,
    stdout: Any = None,
    stderr: Any = None,
    **options: Any,
) -> subprocess.CompletedProcess:
    """Like ``subprocess.run``, in namespaces: returns a ``subprocess.CompletedProcess``.

    ``timeout`` stops the program (shutdown command, SIGTERM, SIGKILL) and raises
    ``subprocess.TimeoutExpired``; ``check=True`` raises ``subprocess.CalledProcessError``.
    Other keyword arguments are those of :func:`spawn`.
    """
    # A boot command that hangs raises LaunchError (stage "boot", ETIMEDOUT) once the timeout
    # is spent; the launch is killed.
    options.setdefault("start_timeout", timeout)
    return _run(lambda **kw: spawn(argv, **kw), input, capture_output, timeout, check,
                stdin, stdout, stderr, options)


def _run(start, input, capture_output, timeout, check, stdin, stdout, stderr, options):
    """subprocess.run's logic over ``start(**kw)`` -> Process (spawn or Process.popen)."""
    if capture_output:
        if stdout is not None or stderr is not None:
            raise ValueError("stdout and stderr arguments may not be used with capture_output")
        stdout = stderr = PIPE
    if input is not None:
        if stdin is not None:
            raise ValueError("stdin and input arguments may not both be used")
        stdin = PIPE
    # The timeout covers the start too (spawn's boot command: start_timeout): the program
    # gets what is left of it.
    deadline = None if timeout is None else time.monotonic() + timeout
    with start(stdin=stdin, stdout=stdout, stderr=stderr, **options) as p:
        try:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            out, err = p.communicate(input, timeout=left)
        except subprocess.TimeoutExpired as e:
            p.stop(timeout=1.0)
            raise subprocess.TimeoutExpired(p.args, timeout, output=e.output, stderr=e.stderr) from None
        rc = p.returncode
    if check and rc:
        raise subprocess.CalledProcessError(rc, p.args, out, err)
    return subprocess.CompletedProcess(p.args, rc, out, err)
