//! `nsrun.Lab`: the native `_Lab` (a running core [`Lab`]); a command in a node is the same
//! `_ExecChild` as one in any launch (behind `nsrun.Process`). `nsrun/_lab.py` builds the topology dict and the API; this
//! file only converts.

use std::ffi::OsString;
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use nsrun::lab::{Lab, Topology};
use nsrun::Stdio;

use crate::errors::{invalid, OrRaise};
use crate::kind::parse_kind;
use crate::launch::PyExecChild;
use crate::namespace::PyNamespace;

/// A running lab.
#[pyclass(module = "nsrun._nsrun", name = "_Lab")]
pub struct PyLab {
    lab: Mutex<Option<Lab>>,
    name: String,
}

fn stopped(py: Python<'_>, name: &str) -> PyErr {
    invalid(py, "lab", name.to_owned(), "is down")
}

impl PyLab {
    fn lock(&self) -> MutexGuard<'_, Option<Lab>> {
        self.lab.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_node<T>(
        &self,
        py: Python<'_>,
        node: &str,
        f: impl FnOnce(&nsrun::lab::Node) -> nsrun::Result<T>,
    ) -> PyResult<T> {
        let guard = self.lock();
        let lab = guard.as_ref().ok_or_else(|| stopped(py, &self.name))?;
        let n = lab.node(node).or_raise(py)?;
        f(n).or_raise(py)
    }
}

/// Core's stdio codes (`nsrun::Stdio::from_code`: inherit, PIPE, DEVNULL) or a descriptor.
fn stdio(py: Python<'_>, v: i32) -> PyResult<Stdio> {
    Stdio::from_code(v).or_raise(py)
}

/// Brings a lab up from its topology as JSON (a dict, serialised by `nsrun/_lab.py`) or from a
/// TOML file; `base` resolves relative paths of a dict.
#[pyfunction]
#[pyo3(signature = (name, json = None, path = None, base = None))]
pub fn _lab_up(
    py: Python<'_>,
    name: Option<String>,
    json: Option<String>,
    path: Option<PathBuf>,
    base: Option<PathBuf>,
) -> PyResult<PyLab> {
    let topology = match (json, path) {
        (Some(j), None) => {
            let mut t = Topology::from_json(&j).or_raise(py)?;
            t.base = base;
            t
        }
        (None, Some(p)) => Topology::from_file(&p).or_raise(py)?,
        _ => return Err(invalid(py, "lab", String::new(), "needs a dict or a file")),
    };
    let lab = py
        .detach(|| Lab::up(&topology, name.as_deref()))
        .or_raise(py)?;
    Ok(PyLab {
        name: lab.name().to_owned(),
        lab: Mutex::new(Some(lab)),
    })
}

/// Checks a topology (dict as JSON, or a file) without creating anything.
#[pyfunction]
#[pyo3(signature = (name, json = None, path = None, base = None))]
pub fn _lab_check(
    py: Python<'_>,
    name: Option<String>,
    json: Option<String>,
    path: Option<PathBuf>,
    base: Option<PathBuf>,
) -> PyResult<()> {
    let topology = match (json, path) {
        (Some(j), None) => {
            let mut t = Topology::from_json(&j).or_raise(py)?;
            t.base = base;
            t
        }
        (None, Some(p)) => Topology::from_file(&p).or_raise(py)?,
        _ => return Err(invalid(py, "lab", String::new(), "needs a dict or a file")),
    };
    topology.check(name.as_deref()).or_raise(py)
}

#[pymethods]
impl PyLab {
    #[getter]
    fn name(&self) -> String {
        self.name.clone()
    }

    #[getter]
    fn running(&self) -> bool {
        self.lock().is_some()
    }

    fn node_names(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let guard = self.lock();
        let lab = guard.as_ref().ok_or_else(|| stopped(py, &self.name))?;
        Ok(lab.nodes().iter().map(|n| n.name().to_owned()).collect())
    }

    fn pid(&self, py: Python<'_>, node: &str) -> PyResult<i32> {
        self.with_node(py, node, |n| Ok(n.pid()))
    }

    fn namespace(
        &self,
        py: Python<'_>,
        node: &str,
        kind: &Bound<'_, PyAny>,
    ) -> PyResult<PyNamespace> {
        let kind = parse_kind(py, kind)?;
        self.with_node(py, node, |n| n.namespace(kind))
            .map(PyNamespace::wrap)
    }

    fn lan_namespace(&self, py: Python<'_>) -> PyResult<Option<PyNamespace>> {
        let guard = self.lock();
        let lab = guard.as_ref().ok_or_else(|| stopped(py, &self.name))?;
        lab.lan_namespace()
            .map(|ns| ns.try_clone())
            .transpose()
            .or_raise(py)
            .map(|o| o.map(PyNamespace::wrap))
    }

    fn private_dirs(&self, py: Python<'_>, node: &str) -> PyResult<Vec<PathBuf>> {
        self.with_node(py, node, |n| Ok(n.private_dirs().to_vec()))
    }

    fn env(&self, py: Python<'_>, node: &str) -> PyResult<Vec<(String, String)>> {
        self.with_node(py, node, |n| Ok(n.env()))
    }

    fn output<'py>(&self, py: Python<'py>, node: &str) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.with_node(py, node, |n| n.output())?;
        Ok(PyBytes::new(py, &out))
    }

    /// A duplicate of the node's output descriptor (the caller closes it).
    fn output_fd(&self, py: Python<'_>, node: &str) -> PyResult<i32> {
        self.with_node(py, node, |n| {
            let fd: OwnedFd = nsrun::dup_fd(n.output_fd().as_raw_fd())?;
            Ok(fd.into_raw_fd())
        })
    }

    /// Starts `argv` in `node`; env None: the node's; stdio as in `nsrun.spawn`.
    #[pyo3(signature = (node, argv, env, cwd, stdin, stdout, stderr))]
    #[allow(clippy::too_many_arguments)]
    fn exec(
        &self,
        py: Python<'_>,
        node: &str,
        argv: Vec<OsString>,
        env: Option<Vec<(OsString, OsString)>>,
        cwd: Option<PathBuf>,
        stdin: i32,
        stdout: i32,
        stderr: i32,
    ) -> PyResult<PyExecChild> {
        let (i, o, e) = (stdio(py, stdin)?, stdio(py, stdout)?, stdio(py, stderr)?);
        let child = py
            .detach(|| {
                let guard = self.lock();
                let Some(lab) = guard.as_ref() else {
                    return Ok(None);
                };
                let n = lab.node(node)?;
                let mut cmd = n.command(&argv);
                if let Some(env) = env {
                    cmd.env_clear_and_set(env);
                }
                if let Some(c) = cwd {
                    cmd.cwd(c);
                }
                cmd.stdin(i).stdout(o).stderr(e);
                n.exec(&cmd).map(Some)
            })
            .or_raise(py)?
            .ok_or_else(|| stopped(py, &self.name))?;
        PyExecChild::wrap(py, child)
    }

    /// Runs the shutdown commands, kills every node; idempotent.
    fn down(&self, py: Python<'_>) -> PyResult<()> {
        let lab = self.lock().take();
        match lab {
            Some(l) => py.detach(|| l.down()).or_raise(py),
            None => Ok(()),
        }
    }

    /// Pidfd of a node's PID 1 (for poll).
    fn pidfd(&self, py: Python<'_>, node: &str) -> PyResult<i32> {
        self.with_node(py, node, |n| Ok(n.as_raw_fd()))
    }
}
