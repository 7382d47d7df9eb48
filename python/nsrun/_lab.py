"""Labs: nodes, links and LANs brought up together (the model and bring-up live in the core).

::

    with nsrun.Lab.from_file("chain.toml") as lab:        # or Lab({...}), or add_node/add_link
        print(lab["r1"].exec(["ip", "route"]).stdout)
"""

import itertools
import json
import os
import subprocess
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from nsrun._errors import InvalidArgumentError
from nsrun._launch import Process, _argv, _stdio
from nsrun._nsrun import _lab_check, _lab_up

__all__ = ["Lab", "Node"]

_seq = itertools.count()

PathLike = Union[str, "os.PathLike[str]"]


def _jsonable(v: Any) -> Any:
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    if isinstance(v, Mapping):
        return {os.fspath(k) if isinstance(k, os.PathLike) else k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


class Node:
    """One node of a running lab: its own net, mnt, pid, uts and ipc namespaces, hostname = name."""

    def __init__(self, lab: "Lab", name: str):
        self._lab = lab
        self.name = name

    @property
    def pid(self) -> int:
        """Host pid of the node's PID 1 (nsrun's init)."""
        return self._lab._native().pid(self.name)

    def namespace(self, kind: Any):
        """The node's namespace of ``kind`` (a :class:`nsrun.Namespace`)."""
        return self._lab._native().namespace(self.name, kind)

    def popen(self, argv: Sequence[Any], *, stdin: Any = None, stdout: Any = None, stderr: Any = None,
              env: Optional[Mapping[str, str]] = None, cwd: Optional[PathLike] = None, text: bool = False,
              encoding: Optional[str] = None, errors: Optional[str] = None) -> Process:
        """Starts ``argv`` in the node (through its init) like ``subprocess.Popen``; ``env``
        replaces the node's environment."""
        args = _argv(argv)
        child = self._lab._native().exec(
            self.name, args,
            None if env is None else [(os.fsencode(k), os.fsencode(v)) for k, v in env.items()],
            None if cwd is None else os.fspath(cwd),
            _stdio(stdin, "stdin"), _stdio(stdout, "stdout"), _stdio(stderr, "stderr"))
        return Process(child, args, text, encoding, errors)

    def exec(self, argv: Sequence[Any], *, input: Any = None, capture_output: bool = True,
             text: bool = True, check: bool = False, timeout: Optional[float] = None,
             env: Optional[Mapping[str, str]] = None, cwd: Optional[PathLike] = None,
             stdin: Any = None, stdout: Any = None, stderr: Any = None) -> subprocess.CompletedProcess:
        """Runs ``argv`` in the node and waits, like ``subprocess.run`` (but output is captured
        as text unless ``capture_output=False`` / ``text=False``)."""
        if capture_output:
            stdout = subprocess.PIPE if stdout is None else stdout
            stderr = subprocess.PIPE if stderr is None else stderr
        if input is not None and stdin is None:
            stdin = subprocess.PIPE
        p = self.popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, env=env, cwd=cwd, text=text)
        try:
            out, err = p.communicate(input, timeout)
        except BaseException:
            p.kill()
            p.wait()
            raise
        result = subprocess.CompletedProcess(p.args, p.returncode, out, err)
        if check:
            result.check_returncode()
        return result

    def spawn(self, argv: Sequence[Any], *, env: Optional[Mapping[str, str]] = None,
              cwd: Optional[PathLike] = None) -> Process:
        """Starts a background program (a daemon) whose output goes to the node's captured
        output (:meth:`output`); it is stopped when the lab goes down."""
        fd = self._lab._native().output_fd(self.name)
        try:
            p = self.popen(argv, stdin=subprocess.DEVNULL, stdout=fd, stderr=fd, env=env, cwd=cwd)
        finally:
            os.close(fd)
        self._lab._spawned.append(p)
        return p

    def output(self) -> str:
        """What the node's boot and shutdown commands and daemons wrote so far."""
        return self._lab._native().output(self.name).decode(errors="replace")

    def diagnostics(self) -> str:
        """Addresses, routes (IPv4 and IPv6), captured output and the ``*.log`` files of the
        node's private directories, as text for a report."""
        parts = [f"== node {self.name} (pid {self.pid})"]
        for argv in (["ip", "-br", "addr"], ["ip", "route"], ["ip", "-6", "route"]):
            try:
                r = self.exec(argv, timeout=10)
                parts.append("$ " + " ".join(argv) + "\n" + r.stdout + r.stderr)
            except (OSError, subprocess.SubprocessError) as e:
                parts.append("$ " + " ".join(argv) + f"\n(failed: {e})")
        parts.append("-- captured output\n" + self.output())
        dirs = [os.fspath(d) for d in self._lab._native().private_dirs(self.name)]
        if dirs:
            # daemons' log files in the node's private directories
            logs = self.exec(["sh", "-c", 'for f in $(find "$@" -name "*.log" -type f); do '
                              'echo "-- $f"; tail -n 100 "$f"; done', "sh", *dirs], timeout=10)
            if logs.stdout:
                parts.append(logs.stdout)
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"<nsrun.lab.Node {self.name!r} of {self._lab.name!r}>"


class Lab:
    """A lab: declared as a dict (the topology file's model), from a TOML file, or with
    :meth:`add_node` / :meth:`add_link` / :meth:`add_lan`; then :meth:`up` (or ``with``).

    Nothing of a running lab is persisted: it goes away with :meth:`down`, with the object,
    or with the process, even if that is killed.
    """

    def __init__(self, topology: Optional[Mapping[str, Any]] = None, *, name: Optional[str] = None,
                 base: Optional[PathLike] = None):
        self._topology: Dict[str, Any] = {"nodes": {}, "links": [], "lans": {}}
        for k, v in (topology or {}).items():
            self._topology[k] = _jsonable(v)
        self._file: Optional[str] = None
        self._base = os.fspath(base) if base is not None else os.getcwd()
        self.name: str = name or self._topology.get("name") or f"lab-{os.getpid()}-{next(_seq)}"
        self._lab = None
        self._spawned: List[Process] = []

    @classmethod
    def from_file(cls, path: PathLike, *, name: Optional[str] = None) -> "Lab":
        """A lab from a topology file (TOML; relative paths are relative to the file)."""
        lab = cls(name=name)
        lab._file = os.fspath(path)
        if name is None:
            try:  # the core reads the file itself; this is only for the lab's own name
                import tomllib  # Python >= 3.11
            except ImportError:
                return lab
            with open(lab._file, "rb") as f:
                lab.name = tomllib.load(f).get("name") or lab.name
        return lab

    @classmethod
    def from_dict(cls, topology: Mapping[str, Any], *, name: Optional[str] = None,
                  base: Optional[PathLike] = None) -> "Lab":
        return cls(topology, name=name, base=base)

    # Declaring ---------------------------------------------------------------------------

    def _editable(self) -> Dict[str, Any]:
        if self._file is not None or self._lab is not None:
            raise InvalidArgumentError(22, "lab: nodes and links can only be added before up() to a lab "
                                           "not read from a file", None)
        return self._topology

    def add_node(self, name: str, *, rootfs: Optional[PathLike] = None, private: Iterable[Any] = (),
                 files: Optional[Mapping[Any, Any]] = None, boot: Optional[Sequence[str]] = None,
                 shutdown: Optional[Sequence[str]] = None, sysctls: Optional[Mapping[str, Any]] = None,
                 env: Optional[Mapping[str, str]] = None, interfaces: Optional[Mapping[str, Sequence[str]]] = None,
                 routes: Iterable[Mapping[str, str]] = ()) -> "Lab":
        node: Dict[str, Any] = {"private": list(private), "routes": list(routes)}
        for key, value in (("rootfs", rootfs), ("files", files), ("boot", boot), ("shutdown", shutdown),
                           ("sysctls", sysctls), ("env", env), ("interfaces", interfaces)):
            if value is not None:
                node[key] = value
        self._editable()["nodes"][name] = _jsonable(node)
        return self

    def _add_addresses(self, addresses: Optional[Mapping[str, Sequence[str]]]) -> None:
        for endpoint, addrs in (addresses or {}).items():
            node, _, iface = endpoint.partition(":")
            ifaces = self._topology["nodes"].setdefault(node, {}).setdefault("interfaces", {})
            ifaces.setdefault(iface, []).extend(addrs)

    def add_link(self, a: str, b: str, *, mtu: Optional[int] = None,
                 addresses: Optional[Mapping[str, Sequence[str]]] = None) -> "Lab":
        """A point-to-point link ``"r1:eth1"`` <-> ``"r2:eth1"``; ``addresses`` maps endpoints
        to their addresses."""
        self._editable()["links"].append({"endpoints": [a, b], **({"mtu": mtu} if mtu else {})})
        self._add_addresses(addresses)
        return self

    def add_lan(self, name: str, members: Iterable[str], *, mtu: Optional[int] = None,
                addresses: Optional[Mapping[str, Sequence[str]]] = None) -> "Lab":
        """A LAN: a bridge (in a namespace of the lab's own) with a port for each member."""
        self._editable()["lans"][name] = {"members": list(members), **({"mtu": mtu} if mtu else {})}
        self._add_addresses(addresses)
        return self

    def topology(self) -> Dict[str, Any]:
        """The declared topology (a dict of the topology file's model)."""
        return json.loads(json.dumps(self._topology))

    def check(self) -> None:
        """Validates the topology without creating anything (InvalidArgumentError-like OSError)."""
        if self._file is not None:
            _lab_check(self.name, path=self._file)
        else:
            _lab_check(self.name, json=json.dumps(self._topology), base=self._base)

    # Running -----------------------------------------------------------------------------

    def up(self) -> "Lab":
        """Brings the lab up (in parallel where that helps). On failure nothing is left."""
        if self._lab is not None:
            raise InvalidArgumentError(22, f"lab {self.name} is already up", None)
        if self._file is not None:
            self._lab = _lab_up(self.name, path=self._file)
        else:
            self._lab = _lab_up(self.name, json=json.dumps(self._topology), base=self._base)
        return self

    def down(self) -> None:
        """Stops programs started with ``spawn``, runs shutdown commands, removes everything."""
        lab, self._lab = self._lab, None
        spawned, self._spawned = self._spawned, []
        for p in spawned:
            if p.returncode is None:
                p.kill()
                p.wait()
        if lab is not None:
            lab.down()

    def _native(self):
        if self._lab is None:
            raise InvalidArgumentError(22, f"lab {self.name} is not up", None)
        return self._lab

    @property
    def running(self) -> bool:
        return self._lab is not None

    @property
    def nodes(self) -> Dict[str, Node]:
        return {n: Node(self, n) for n in self._native().node_names()}

    def __getitem__(self, name: str) -> Node:
        if name not in self._native().node_names():
            raise KeyError(name)
        return Node(self, name)

    def lan_namespace(self):
        """The namespace the LAN bridges live in (None without LANs)."""
        return self._native().lan_namespace()

    def diagnostics(self) -> str:
        """Every node's addresses, routes and captured output."""
        return "\n\n".join(n.diagnostics() for n in self.nodes.values())

    def __enter__(self) -> "Lab":
        if self._lab is None:
            self.up()
        return self

    def __exit__(self, *exc) -> None:
        self.down()

    def __repr__(self) -> str:
        return f"<nsrun.Lab {self.name!r} {'up' if self._lab else 'down'}>"
