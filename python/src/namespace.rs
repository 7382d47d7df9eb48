//! Namespace handles: `Namespace`, `NsId`, `enter()`, `NamespaceInfo`, and the functions on
//! namespaces (`same`, `unpersist`, `list_namespaces`, `take_restore_failure`).

use std::os::fd::AsRawFd;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use nsrun::{EnterGuard, Kind, Namespace, NsId};

use crate::convert::{int_arg, parse_path, path_arg, PyPath};
use crate::errors::{to_pyerr, OrRaise};
use crate::kind::{kind_obj, parse_kind, parse_kind_opt};

/// The identity of a namespace: (dev, ino) of its nsfs inode.
#[pyclass(module = "nsrun._nsrun", name = "NsId", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyNsId {
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

/// An open namespace (a file descriptor on nsfs). Compare with ``==``; ``str()`` gives
/// ``net:[4026532279]`` like ``readlink /proc/PID/ns/net``. A context manager that closes it.
#[pyclass(module = "nsrun._nsrun", name = "Namespace")]
pub struct PyNamespace {
    inner: Option<Namespace>,
    kind: Kind,
    id: NsId,
}

impl PyNamespace {
    pub fn wrap(ns: Namespace) -> Self {
        PyNamespace {
            kind: ns.kind(),
            id: ns.id(),
            inner: Some(ns),
        }
    }

    pub fn get(&self) -> PyResult<&Namespace> {
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
    fn open(py: Python<'_>, path: PyPath, kind: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let path = parse_path(py, "path", path)?;
        let kind = parse_kind_opt(py, kind)?;
        py.detach(|| Namespace::open(&path, kind))
            .or_raise(py)
            .map(Self::wrap)
    }

    /// The namespace of ``kind`` of process ``pid``.
    #[staticmethod]
    fn of_pid(py: Python<'_>, pid: &Bound<'_, PyAny>, kind: &Bound<'_, PyAny>) -> PyResult<Self> {
        let pid: i32 = int_arg(py, "pid", pid)?;
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
    fn from_fd(
        py: Python<'_>,
        fd: &Bound<'_, PyAny>,
        kind: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let fd: i32 = int_arg(py, "fd", fd)?;
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
    fn persist(&self, py: Python<'_>, path: PyPath) -> PyResult<()> {
        let path = parse_path(py, "path", path)?;
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

/// ``with ns.enter():`` moves the calling thread into the namespace and back on exit (also on
/// an exception). A failure to go back raises; it is never silent. Bound to the thread that
/// entered it.
#[pyclass(module = "nsrun._nsrun", name = "EnterContext", unsendable)]
pub struct PyEnter {
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

/// One namespace found by ``list_namespaces()``.
#[pyclass(module = "nsrun._nsrun", name = "NamespaceInfo", frozen)]
pub struct PyNamespaceInfo {
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

/// A namespace identity from a Namespace or a path.
fn id_of(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<NsId> {
    if let Ok(ns) = obj.cast::<PyNamespace>() {
        return Ok(ns.borrow().id);
    }
    let path = path_arg(py, "namespace", obj)?;
    Namespace::open(&path, None).map(|n| n.id()).or_raise(py)
}

/// True if ``a`` and ``b`` (Namespace objects or paths) are the same namespace.
#[pyfunction]
pub fn same(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(id_of(py, a)? == id_of(py, b)?)
}

/// Unmounts every namespace mount stacked on ``path`` and removes the file.
#[pyfunction]
pub fn unpersist(py: Python<'_>, path: PyPath) -> PyResult<()> {
    let path = parse_path(py, "path", path)?;
    py.detach(|| nsrun::unpersist(&path)).or_raise(py)
}

/// Every namespace (of ``kind``) that a process is in or a file holds, like lsns.
#[pyfunction]
#[pyo3(signature = (kind = None))]
pub fn list_namespaces(
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

/// The error of the last ``enter()`` context on this thread that was garbage-collected while
/// active and could not put the thread back (an ``OSError``), taken once; None if there is
/// none. Such a failure is also written to stderr; the finalizer itself never raises.
#[pyfunction]
pub fn take_restore_failure(py: Python<'_>) -> Option<PyErr> {
    nsrun::take_restore_failure().map(|e| to_pyerr(py, e))
}
