//! The `nsrun._nsrun` extension module: conversion between Python and the `nsrun` core only.

use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyType;

use nsrun::{EnterGuard, Error, Kind, Namespace, NsId};

// ---------------------------------------------------------------------------------------------
// Errors: the one mapping from core errors to Python classes.

fn err_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    Ok(py
        .import("nsrun._errors")?
        .getattr(name)?
        .cast_into::<PyType>()?)
}

/// Maps a core error to its Python exception: plain system-call failures become
/// `OSError(errno, message, filename)` (so CPython picks FileNotFoundError, PermissionError…),
/// the nsrun-specific ones the `nsrun.Error` subclass of the same name, with extra attributes.
fn to_pyerr(py: Python<'_>, e: Error) -> PyErr {
    let errno = e.errno().raw();
    let message = e.to_string();
    let filename = e.path().map(|p| p.as_os_str().to_os_string());
    let class = match &e {
        Error::Sys { .. } => return PyOSError::new_err((errno, message, filename)),
        Error::Link { name, .. } => return PyOSError::new_err((errno, message, name.clone())),
        Error::NotANamespace { .. } => "NotANamespaceError",
        Error::WrongKind { .. } => "WrongKindError",
        Error::AlreadyPersisted { .. } => "AlreadyPersistedError",
        Error::NotPersisted { .. } => "NotPersistedError",
        Error::InvalidArgument { .. } => "InvalidArgumentError",
        Error::Launch { .. } => "LaunchError",
        _ => "Error",
    };
    let build = || -> PyResult<PyErr> {
        let value = err_class(py, class)?.call1((errno, message.as_str(), filename.clone()))?;
        match &e {
            Error::WrongKind {
                expected, found, ..
            } => {
                value.setattr("expected", kind_obj(py, *expected)?)?;
                value.setattr("found", kind_obj(py, *found)?)?;
            }
            Error::AlreadyPersisted {
                existing_kind,
                existing,
                ..
            } => value.setattr("existing", format!("{existing_kind}:[{}]", existing.ino))?,
            Error::Launch { stage, status, .. } => {
                value.setattr("stage", stage.name())?;
                value.setattr("status", *status)?;
            }
            _ => {}
        }
        Ok(PyErr::from_value(value))
    };
    build().unwrap_or_else(|failure| failure)
}

trait OrRaise<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, Error> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_pyerr(py, e))
    }
}

fn invalid(py: Python<'_>, what: &'static str, value: String, reason: &'static str) -> PyErr {
    to_pyerr(py, Error::invalid("nsrun", what, value, reason))
}

// ---------------------------------------------------------------------------------------------
// Argument conversion.

fn kind_obj<'py>(py: Python<'py>, kind: Kind) -> PyResult<Bound<'py, PyAny>> {
    py.import("nsrun._kind")?
        .getattr("Kind")?
        .call1((kind.name(),))
}

/// A kind from `Kind.NET` or `"net"` (Kind is a str enum).
fn parse_kind(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Kind> {
    let text: String = match obj.extract() {
        Ok(s) => s,
        Err(_) => obj.repr()?.to_string(),
    };
    text.parse::<Kind>().map_err(|_| {
        invalid(
            py,
            "kind",
            text,
            "is not a namespace kind (mnt uts ipc net pid user cgroup time)",
        )
    })
}

fn parse_kind_opt(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Kind>> {
    match obj {
        Some(o) if !o.is_none() => parse_kind(py, o).map(Some),
        _ => Ok(None),
    }
}

/// A path from str, bytes or os.PathLike; a NUL byte is refused (InvalidArgumentError is both
/// an OSError and the ValueError the os module raises for it).
fn parse_path(py: Python<'_>, path: PathBuf) -> PyResult<PathBuf> {
    if path.as_os_str().as_bytes().contains(&0) {
        return Err(invalid(
            py,
            "path",
            path.to_string_lossy().into_owned(),
            "contains a NUL byte",
        ));
    }
    Ok(path)
}

// ---------------------------------------------------------------------------------------------
// NsId

/// The identity of a namespace: (dev, ino) of its nsfs inode.
#[pyclass(module = "nsrun._nsrun", name = "NsId", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
struct PyNsId {
    #[pyo3(get)]
    dev: u64,
    #[pyo3(get)]
    ino: u64,
}

impl From<NsId> for PyNsId {
    fn from(id: NsId) -> Self {
        PyNsId {
            dev: id.dev,
            ino: id.ino,
        }
    }
}

#[pymethods]
impl PyNsId {
    #[new]
    fn new(dev: u64, ino: u64) -> Self {
        PyNsId { dev, ino }
    }

    fn __repr__(&self) -> String {
        format!("NsId(dev={}, ino={})", self.dev, self.ino)
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let t = (slf.dev, slf.ino).into_pyobject(py)?;
        Ok(t.try_iter()?.into_any().unbind())
    }
}

// ---------------------------------------------------------------------------------------------
// Namespace

/// An open namespace (a file descriptor on nsfs). Compare with ``==``; ``str()`` gives
/// ``net:[4026532279]`` like ``readlink /proc/PID/ns/net``. A context manager that closes it.
#[pyclass(module = "nsrun._nsrun", name = "Namespace")]
struct PyNamespace {
    inner: Option<Namespace>,
    kind: Kind,
    id: NsId,
}

impl PyNamespace {
    fn wrap(ns: Namespace) -> Self {
        PyNamespace {
            kind: ns.kind(),
            id: ns.id(),
            inner: Some(ns),
        }
    }

    fn get(&self) -> PyResult<&Namespace> {
        self.inner
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("operation on a closed Namespace"))
    }
}

#[pymethods]
impl PyNamespace {
    /// Opens a namespace file and checks it is one (of ``kind``, if given).
    #[staticmethod]
    #[pyo3(signature = (path, kind = None))]
    fn open(py: Python<'_>, path: PathBuf, kind: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let path = parse_path(py, path)?;
        let kind = parse_kind_opt(py, kind)?;
        py.detach(|| Namespace::open(&path, kind))
            .or_raise(py)
            .map(Self::wrap)
    }

    /// The namespace of ``kind`` of process ``pid``.
    #[staticmethod]
    fn of_pid(py: Python<'_>, pid: i32, kind: &Bound<'_, PyAny>) -> PyResult<Self> {
        let kind = parse_kind(py, kind)?;
        Namespace::of_pid(pid, kind).or_raise(py).map(Self::wrap)
    }

    /// The calling thread's namespace of ``kind``.
    #[staticmethod]
    fn current(py: Python<'_>, kind: &Bound<'_, PyAny>) -> PyResult<Self> {
        let kind = parse_kind(py, kind)?;
        Namespace::current(kind).or_raise(py).map(Self::wrap)
    }

    /// A new namespace of ``kind``, held by this handle; the caller's namespaces are unchanged.
    #[staticmethod]
    fn create(py: Python<'_>, kind: &Bound<'_, PyAny>) -> PyResult<Self> {
        let kind = parse_kind(py, kind)?;
        py.detach(|| Namespace::create(kind))
            .or_raise(py)
            .map(Self::wrap)
    }

    /// Wraps a duplicate of descriptor ``fd`` (which stays the caller's) after checking it.
    #[staticmethod]
    #[pyo3(signature = (fd, kind = None))]
    fn from_fd(py: Python<'_>, fd: i32, kind: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let kind = parse_kind_opt(py, kind)?;
        Namespace::from_raw_fd_dup(fd, kind)
            .or_raise(py)
            .map(Self::wrap)
    }

    /// The kind, a ``nsrun.Kind``.
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        kind_obj(py, self.kind)
    }

    /// The identity, an ``NsId(dev, ino)``.
    #[getter]
    fn id(&self) -> PyNsId {
        self.id.into()
    }

    /// True once closed.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_none()
    }

    fn fileno(&self) -> PyResult<i32> {
        Ok(self.get()?.as_raw_fd())
    }

    /// Closes the descriptor (the namespace lives on if anything else holds it).
    fn close(&mut self) {
        self.inner = None;
    }

    /// Bind-mounts the namespace onto ``path`` so it outlives every process.
    fn persist(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let path = parse_path(py, path)?;
        let ns = self.get()?;
        py.detach(|| ns.persist(&path)).or_raise(py)
    }

    /// A context manager that moves the **calling thread** into this namespace and back.
    fn enter(slf: Py<Self>) -> PyEnter {
        PyEnter {
            ns: slf,
            guard: None,
        }
    }

    /// The parent pid or user namespace.
    fn parent(&self, py: Python<'_>) -> PyResult<Self> {
        self.get()?.parent().or_raise(py).map(Self::wrap)
    }

    /// The user namespace that owns this one.
    fn owner(&self, py: Python<'_>) -> PyResult<Self> {
        self.get()?.owner().or_raise(py).map(Self::wrap)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&mut self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PyNamespace>() {
            Ok(o) => o.borrow().id == self.id,
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        // Stable and equal for equal ids.
        self.id.ino ^ self.id.dev.rotate_left(32)
    }

    fn __str__(&self) -> String {
        format!("{}:[{}]", self.kind, self.id.ino)
    }

    fn __repr__(&self) -> String {
        match &self.inner {
            Some(ns) => format!(
                "<Namespace {}:[{}] fd={}>",
                self.kind,
                self.id.ino,
                ns.as_raw_fd()
            ),
            None => format!("<Namespace {}:[{}] closed>", self.kind, self.id.ino),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// enter()

/// ``with ns.enter():`` moves the calling thread into the namespace and back on exit (also on
/// an exception). A failure to go back raises; it is never silent. Bound to the thread that
/// entered it.
#[pyclass(module = "nsrun._nsrun", name = "EnterContext", unsendable)]
struct PyEnter {
    ns: Py<PyNamespace>,
    guard: Option<EnterGuard>,
}

#[pymethods]
impl PyEnter {
    fn __enter__(&mut self, py: Python<'_>) -> PyResult<Py<PyNamespace>> {
        if self.guard.is_some() {
            return Err(PyValueError::new_err(
                "this enter() context is already active",
            ));
        }
        let ns = self.ns.borrow(py);
        self.guard = Some(ns.get()?.enter().or_raise(py)?);
        Ok(self.ns.clone_ref(py))
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(
        &mut self,
        py: Python<'_>,
        _exc: &Bound<'_, pyo3::types::PyTuple>,
    ) -> PyResult<bool> {
        match self.guard.take() {
            Some(guard) => guard.leave().or_raise(py).map(|()| false),
            None => Ok(false),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// list_namespaces()

/// One namespace found by ``list_namespaces()``.
#[pyclass(module = "nsrun._nsrun", name = "NamespaceInfo", frozen)]
struct PyNamespaceInfo {
    info: nsrun::NamespaceInfo,
}

#[pymethods]
impl PyNamespaceInfo {
    #[getter]
    fn id(&self) -> PyNsId {
        self.info.id.into()
    }
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        kind_obj(py, self.info.kind)
    }
    /// Processes in it, ascending.
    #[getter]
    fn pids(&self) -> Vec<i32> {
        self.info.pids.clone()
    }
    /// Files it is bind-mounted on.
    #[getter]
    fn paths(&self) -> Vec<std::ffi::OsString> {
        self.info
            .paths
            .iter()
            .map(|p| p.as_os_str().to_os_string())
            .collect()
    }
    fn __str__(&self) -> String {
        format!("{}:[{}]", self.info.kind, self.info.id.ino)
    }
    fn __repr__(&self) -> String {
        format!(
            "NamespaceInfo({}:[{}], pids={:?}, paths={:?})",
            self.info.kind, self.info.id.ino, self.info.pids, self.info.paths
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Functions

/// A namespace identity from a Namespace or a path.
fn id_of(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<NsId> {
    if let Ok(ns) = obj.cast::<PyNamespace>() {
        return Ok(ns.borrow().id);
    }
    let path = parse_path(py, obj.extract::<PathBuf>()?)?;
    Namespace::open(&path, None).map(|n| n.id()).or_raise(py)
}

/// True if ``a`` and ``b`` (Namespace objects or paths) are the same namespace.
#[pyfunction]
fn same(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(id_of(py, a)? == id_of(py, b)?)
}

/// Unmounts every namespace mount stacked on ``path`` and removes the file.
#[pyfunction]
fn unpersist(py: Python<'_>, path: PathBuf) -> PyResult<()> {
    let path = parse_path(py, path)?;
    py.detach(|| nsrun::unpersist(&path)).or_raise(py)
}

/// Every namespace (of ``kind``) that a process is in or a file holds, like lsns.
#[pyfunction]
#[pyo3(signature = (kind = None))]
fn list_namespaces(
    py: Python<'_>,
    kind: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<PyNamespaceInfo>> {
    let kind = parse_kind_opt(py, kind)?;
    let infos = py.detach(|| nsrun::list_namespaces(kind)).or_raise(py)?;
    Ok(infos
        .into_iter()
        .map(|info| PyNamespaceInfo { info })
        .collect())
}

#[pyfunction]
fn netns_add(py: Python<'_>, name: &str) -> PyResult<PyNamespace> {
    py.detach(|| nsrun::netns::add(name))
        .or_raise(py)
        .map(PyNamespace::wrap)
}

#[pyfunction]
fn netns_open(py: Python<'_>, name: &str) -> PyResult<PyNamespace> {
    nsrun::netns::open(name).or_raise(py).map(PyNamespace::wrap)
}

#[pyfunction]
fn netns_delete(py: Python<'_>, name: &str) -> PyResult<()> {
    py.detach(|| nsrun::netns::delete(name)).or_raise(py)
}

#[pyfunction]
fn netns_list(py: Python<'_>) -> PyResult<Vec<String>> {
    nsrun::netns::list().or_raise(py)
}

#[pyfunction]
fn netns_path(py: Python<'_>, name: &str) -> PyResult<PathBuf> {
    nsrun::netns::path(name).or_raise(py)
}

// ---------------------------------------------------------------------------------------------
// Launch

/// The native side of ``nsrun.Process``.
#[pyclass(module = "nsrun._nsrun", name = "_Child")]
struct PyChild {
    child: std::sync::Mutex<nsrun::Child>,
    /// Signals can be sent while another thread waits.
    signaller: nsrun::launch::Signaller,
    pid: i32,
    returncode: std::sync::atomic::AtomicI64,
}

const NOT_EXITED: i64 = i64::MIN;

#[pymethods]
impl PyChild {
    #[getter]
    fn pid(&self) -> i32 {
        self.pid
    }

    /// The launcher's ends of piped streams, as raw fds (-1 when not piped); taken once.
    fn take_pipes(&self) -> (i32, i32, i32) {
        use std::os::fd::IntoRawFd;
        let mut c = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let take = |f: Option<std::os::fd::OwnedFd>| f.map(|f| f.into_raw_fd()).unwrap_or(-1);
        (
            take(c.stdin.take()),
            take(c.stdout.take()),
            take(c.stderr.take()),
        )
    }

    /// Waits at most ``timeout`` seconds (None: forever); returns the returncode or None.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<i64>> {
        let rc = self.returncode.load(std::sync::atomic::Ordering::SeqCst);
        if rc != NOT_EXITED {
            return Ok(Some(rc));
        }
        let timeout = timeout.map(|t| std::time::Duration::from_secs_f64(t.max(0.0)));
        let status = py
            .detach(|| {
                self.child
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .wait(timeout)
            })
            .or_raise(py)?;
        Ok(status.map(|s| {
            let rc = s.returncode() as i64;
            self.returncode
                .store(rc, std::sync::atomic::Ordering::SeqCst);
            rc
        }))
    }

    fn send_signal(&self, py: Python<'_>, sig: i32) -> PyResult<()> {
        if self.returncode.load(std::sync::atomic::Ordering::SeqCst) != NOT_EXITED {
            return Ok(());
        }
        self.signaller.send_signal(sig).or_raise(py)
    }

    /// Runs the shutdown command and SIGTERMs everything; SIGKILL after ``timeout`` seconds.
    fn stop(&self, py: Python<'_>, timeout: f64) -> PyResult<i64> {
        let grace = std::time::Duration::from_secs_f64(timeout.max(0.0));
        let status = py
            .detach(|| {
                self.child
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .stop(grace)
            })
            .or_raise(py)?;
        let rc = status.returncode() as i64;
        self.returncode
            .store(rc, std::sync::atomic::Ordering::SeqCst);
        Ok(rc)
    }

    fn namespace(&self, py: Python<'_>, kind: &Bound<'_, PyAny>) -> PyResult<PyNamespace> {
        let kind = parse_kind(py, kind)?;
        Namespace::of_pid(self.pid, kind)
            .or_raise(py)
            .map(PyNamespace::wrap)
    }
}

/// A namespace setting from Python: "new", None / "inherit", a Namespace, or a path to join.
fn ns_mode(py: Python<'_>, kind: Kind, v: &Bound<'_, PyAny>) -> PyResult<nsrun::NsMode> {
    if v.is_none() {
        return Ok(nsrun::NsMode::Inherit);
    }
    if let Ok(ns) = v.cast::<PyNamespace>() {
        let fd = ns.borrow().get()?.as_raw_fd();
        return Namespace::from_raw_fd_dup(fd, Some(kind))
            .or_raise(py)
            .map(nsrun::NsMode::Join);
    }
    if let Ok(s) = v.extract::<String>() {
        match s.as_str() {
            "new" => return Ok(nsrun::NsMode::New),
            "inherit" => return Ok(nsrun::NsMode::Inherit),
            _ => {}
        }
    }
    let path = v.extract::<PathBuf>().map_err(|_| {
        let shown = v.repr().map(|r| r.to_string()).unwrap_or_default();
        invalid(
            py,
            "namespace setting",
            shown,
            "must be \"new\", \"inherit\"/None, a Namespace or a path to join",
        )
    })?;
    let path = parse_path(py, path)?;
    Namespace::open(&path, Some(kind))
        .or_raise(py)
        .map(nsrun::NsMode::Join)
}

/// INHERIT (-10), subprocess.PIPE (-1), subprocess.DEVNULL (-3) or a descriptor (duplicated).
fn stdio(py: Python<'_>, v: i32) -> PyResult<nsrun::Stdio> {
    match v {
        -10 => Ok(nsrun::Stdio::Inherit),
        -1 => Ok(nsrun::Stdio::Piped),
        -3 => Ok(nsrun::Stdio::Null),
        fd if fd >= 0 => nsrun::Stdio::from_raw_fd_dup(fd).or_raise(py),
        other => Err(invalid(
            py,
            "stdio",
            other.to_string(),
            "must be None, PIPE, DEVNULL or a file descriptor",
        )),
    }
}

/// Starts a program in namespaces (the keyword arguments of ``nsrun.spawn``, already checked
/// and normalized by nsrun/_launch.py).
#[pyfunction]
#[pyo3(signature = (argv, *, rootfs, namespaces, hostname, mounts, env, cwd, uid, gid, uid_map,
                    gid_map, map_root_user, stdin, stdout, stderr, pass_fds, boot, shutdown, init,
                    interactive, host_dev, proc_sys_writable))]
#[allow(clippy::too_many_arguments)]
fn _spawn(
    py: Python<'_>,
    argv: Vec<std::ffi::OsString>,
    rootfs: Option<PathBuf>,
    namespaces: Vec<(String, Bound<'_, PyAny>)>,
    hostname: Option<String>,
    mounts: Vec<(PathBuf, PathBuf, bool)>,
    env: Option<Vec<(std::ffi::OsString, std::ffi::OsString)>>,
    cwd: Option<PathBuf>,
    uid: Option<u32>,
    gid: Option<u32>,
    uid_map: Vec<(u32, u32, u32)>,
    gid_map: Vec<(u32, u32, u32)>,
    map_root_user: bool,
    stdin: i32,
    stdout: i32,
    stderr: i32,
    pass_fds: Vec<(i32, i32)>,
    boot: Option<Vec<std::ffi::OsString>>,
    shutdown: Option<Vec<std::ffi::OsString>>,
    init: bool,
    interactive: bool,
    host_dev: bool,
    proc_sys_writable: bool,
) -> PyResult<PyChild> {
    let mut l = nsrun::Launch::new(argv);
    if let Some(r) = rootfs {
        l.rootfs(parse_path(py, r)?);
    }
    for (k, v) in &namespaces {
        let kind = parse_kind(py, &pyo3::types::PyString::new(py, k).into_any())?;
        l.namespace(kind, ns_mode(py, kind, v)?);
    }
    if let Some(h) = hostname {
        l.hostname(h);
    }
    for (src, dst, ro) in mounts {
        l.bind(parse_path(py, src)?, parse_path(py, dst)?, ro);
    }
    if let Some(e) = env {
        l.env_clear_and_set(e);
    }
    if let Some(c) = cwd {
        l.cwd(parse_path(py, c)?);
    }
    match (uid, gid) {
        (None, None) => {}
        (u, g) => {
            l.user(u.unwrap_or(0), g.unwrap_or(0));
        }
    }
    if map_root_user {
        l.map_root_user();
    }
    if !uid_map.is_empty() || !gid_map.is_empty() {
        let m = |v: Vec<(u32, u32, u32)>| {
            v.into_iter()
                .map(|(inside, outside, count)| nsrun::launch::IdMap {
                    inside,
                    outside,
                    count,
                })
                .collect()
        };
        l.id_maps(m(uid_map), m(gid_map));
    }
    l.stdin(stdio(py, stdin)?)
        .stdout(stdio(py, stdout)?)
        .stderr(stdio(py, stderr)?);
    for (fd, target) in pass_fds {
        match nsrun::Stdio::from_raw_fd_dup(fd).or_raise(py)? {
            nsrun::Stdio::Fd(owned) => {
                l.pass_fd(owned, target);
            }
            _ => unreachable!("from_raw_fd_dup returns Stdio::Fd"),
        }
    }
    if let Some(b) = boot {
        l.boot(b);
    }
    if let Some(s) = shutdown {
        l.shutdown(s);
    }
    l.init(init)
        .interactive(interactive)
        .host_dev(host_dev)
        .proc_sys_writable(proc_sys_writable);
    let child = py.detach(|| l.spawn()).or_raise(py)?;
    let signaller = child.signaller().or_raise(py)?;
    Ok(PyChild {
        pid: child.pid(),
        child: std::sync::Mutex::new(child),
        signaller,
        returncode: std::sync::atomic::AtomicI64::new(NOT_EXITED),
    })
}

// ---------------------------------------------------------------------------------------------
// Links

/// One network interface (``nsrun.link.list()``).
#[pyclass(module = "nsrun._nsrun", name = "Interface", frozen)]
struct PyInterface {
    #[pyo3(get)]
    name: String,
    #[pyo3(get)]
    index: u32,
    #[pyo3(get)]
    kind: Option<String>,
    #[pyo3(get)]
    mac: Option<String>,
    #[pyo3(get)]
    mtu: u32,
    #[pyo3(get)]
    up: bool,
    #[pyo3(get)]
    addresses: Vec<String>,
}

#[pymethods]
impl PyInterface {
    fn __repr__(&self) -> String {
        let opt = |o: &Option<String>| o.as_ref().map_or("None".to_string(), |s| format!("'{s}'"));
        let addrs: Vec<String> = self.addresses.iter().map(|a| format!("'{a}'")).collect();
        format!(
            "Interface(name='{}', index={}, kind={}, mac={}, mtu={}, up={}, addresses=[{}])",
            self.name,
            self.index,
            opt(&self.kind),
            opt(&self.mac),
            self.mtu,
            if self.up { "True" } else { "False" },
            addrs.join(", ")
        )
    }
}

/// A network namespace argument: None (the calling thread's), a Namespace, a path, or the name
/// of a netns in /run/netns (a string without '/').
fn net_target(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Namespace>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if let Ok(ns) = obj.cast::<PyNamespace>() {
        let fd = ns.borrow().get()?.as_raw_fd();
        return Namespace::from_raw_fd_dup(fd, None).or_raise(py).map(Some);
    }
    if let Ok(s) = obj.extract::<String>() {
        if !s.contains('/') {
            return nsrun::netns::open(&s).or_raise(py).map(Some);
        }
    }
    let path = parse_path(py, obj.extract::<PathBuf>()?)?;
    Namespace::open(&path, None).or_raise(py).map(Some)
}

#[pyfunction]
#[pyo3(signature = (ns = None))]
fn link_list(py: Python<'_>, ns: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<PyInterface>> {
    let ns = net_target(py, ns)?;
    let list = py.detach(|| nsrun::link::list(ns.as_ref())).or_raise(py)?;
    Ok(list
        .into_iter()
        .map(|i| PyInterface {
            name: i.name,
            index: i.index,
            kind: i.kind,
            mac: i.mac,
            mtu: i.mtu,
            up: i.up,
            addresses: i.addresses,
        })
        .collect())
}

#[pyfunction]
#[pyo3(signature = (name, ns, new_name = None, from_ns = None))]
fn link_move(
    py: Python<'_>,
    name: &str,
    ns: &Bound<'_, PyAny>,
    new_name: Option<&str>,
    from_ns: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let target = net_target(py, Some(ns))?.ok_or_else(|| {
        invalid(
            py,
            "target namespace",
            "None".into(),
            "is required to move an interface",
        )
    })?;
    let from = net_target(py, from_ns)?;
    py.detach(|| nsrun::link::move_to(from.as_ref(), name, &target, new_name))
        .or_raise(py)
}

#[pyfunction]
#[pyo3(signature = (name, peer, ns = None, peer_ns = None))]
fn link_veth(
    py: Python<'_>,
    name: &str,
    peer: &str,
    ns: Option<&Bound<'_, PyAny>>,
    peer_ns: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let ns = net_target(py, ns)?;
    let peer_ns = net_target(py, peer_ns)?;
    py.detach(|| nsrun::link::veth(name, peer, ns.as_ref(), peer_ns.as_ref()))
        .or_raise(py)
}

#[pyfunction]
#[pyo3(signature = (name, up, ns = None))]
fn link_set_state(
    py: Python<'_>,
    name: &str,
    up: bool,
    ns: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let ns = net_target(py, ns)?;
    py.detach(|| {
        if up {
            nsrun::link::set_up(ns.as_ref(), name)
        } else {
            nsrun::link::set_down(ns.as_ref(), name)
        }
    })
    .or_raise(py)
}

#[pyfunction]
#[pyo3(signature = (name, mtu, ns = None))]
fn link_set_mtu(
    py: Python<'_>,
    name: &str,
    mtu: u32,
    ns: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let ns = net_target(py, ns)?;
    py.detach(|| nsrun::link::set_mtu(ns.as_ref(), name, mtu))
        .or_raise(py)
}

#[pyfunction]
#[pyo3(signature = (name, cidr, add, ns = None))]
fn link_address(
    py: Python<'_>,
    name: &str,
    cidr: &str,
    add: bool,
    ns: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let ns = net_target(py, ns)?;
    py.detach(|| {
        if add {
            nsrun::link::add_address(ns.as_ref(), name, cidr)
        } else {
            nsrun::link::del_address(ns.as_ref(), name, cidr)
        }
    })
    .or_raise(py)
}

#[pyfunction]
#[pyo3(signature = (dst, via = None, dev = None, ns = None))]
fn link_add_route(
    py: Python<'_>,
    dst: &str,
    via: Option<&str>,
    dev: Option<&str>,
    ns: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let ns = net_target(py, ns)?;
    py.detach(|| nsrun::link::add_route(ns.as_ref(), dst, via, dev))
        .or_raise(py)
}

#[pyfunction]
#[pyo3(signature = (name, ns = None))]
fn link_delete(py: Python<'_>, name: &str, ns: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let ns = net_target(py, ns)?;
    py.detach(|| nsrun::link::delete(ns.as_ref(), name))
        .or_raise(py)
}

#[pymodule]
fn _nsrun(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("NETNS_RUN_DIR", nsrun::netns::RUN_DIR)?;
    m.add_class::<PyNamespace>()?;
    m.add_class::<PyNsId>()?;
    m.add_class::<PyEnter>()?;
    m.add_class::<PyNamespaceInfo>()?;
    m.add_class::<PyChild>()?;
    m.add_class::<PyInterface>()?;
    for f in [
        wrap_pyfunction!(link_list, m)?,
        wrap_pyfunction!(link_move, m)?,
        wrap_pyfunction!(link_veth, m)?,
        wrap_pyfunction!(link_set_state, m)?,
        wrap_pyfunction!(link_set_mtu, m)?,
        wrap_pyfunction!(link_address, m)?,
        wrap_pyfunction!(link_add_route, m)?,
        wrap_pyfunction!(link_delete, m)?,
    ] {
        m.add_function(f)?;
    }
    m.add_function(wrap_pyfunction!(_spawn, m)?)?;
    m.add_function(wrap_pyfunction!(same, m)?)?;
    m.add_function(wrap_pyfunction!(unpersist, m)?)?;
    m.add_function(wrap_pyfunction!(list_namespaces, m)?)?;
    m.add_function(wrap_pyfunction!(netns_add, m)?)?;
    m.add_function(wrap_pyfunction!(netns_open, m)?)?;
    m.add_function(wrap_pyfunction!(netns_delete, m)?)?;
    m.add_function(wrap_pyfunction!(netns_list, m)?)?;
    m.add_function(wrap_pyfunction!(netns_path, m)?)?;
    Ok(())
}
