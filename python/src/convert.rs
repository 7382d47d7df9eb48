//! Argument conversion shared by the classes and functions: paths, OS strings (argv, env) and
//! namespace arguments.
//!
//! Paths and OS strings follow the os module: `str` (encoded with the filesystem encoding and
//! surrogateescape, so `os.fsdecode` output round-trips), `bytes` as is, and for paths also
//! `os.PathLike` returning either. A NUL byte is refused (InvalidArgumentError is both an OSError
//! and the ValueError the os module raises for it).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use nsrun::{Kind, Namespace};

use crate::errors::{invalid, OrRaise};
use crate::namespace::PyNamespace;

/// `str` or `bytes` as the OS bytes they stand for; TypeError for anything else.
fn os_bytes(obj: &Bound<'_, PyAny>, expected: &str) -> PyResult<OsString> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(OsStr::from_bytes(b.as_bytes()).to_os_string());
    }
    if obj.is_instance_of::<PyString>() {
        return obj.extract::<OsString>();
    }
    let type_name = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    Err(PyTypeError::new_err(format!(
        "expected {expected}, not {type_name}"
    )))
}

/// A string argument of the OS (argv element, environment name or value): `str`, `bytes` or
/// `os.PathLike`, as `subprocess` takes them. NUL bytes are checked by [`check_nul`].
pub struct OsArg(pub OsString);

impl FromPyObject<'_, '_> for OsArg {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        fspath_bytes(&obj).map(OsArg)
    }
}

/// A path argument: `str`, `bytes` or `os.PathLike` of either. NUL bytes are checked by
/// [`parse_path`], which also names the argument.
pub struct PyPath(pub PathBuf);

impl FromPyObject<'_, '_> for PyPath {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        fspath_bytes(&obj).map(|s| PyPath(PathBuf::from(s)))
    }
}

/// `os.fspath(obj)` as OS bytes.
fn fspath_bytes(obj: &Bound<'_, PyAny>) -> PyResult<OsString> {
    const EXPECTED: &str = "str, bytes or os.PathLike object";
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return os_bytes(obj, EXPECTED);
    }
    // os.fspath: __fspath__ of a PathLike, TypeError naming the type for anything else.
    let path = obj.py().import("os")?.getattr("fspath")?.call1((obj,))?;
    os_bytes(&path, EXPECTED)
}

/// Refuses a NUL byte in `value`, naming the argument (`what`).
pub fn check_nul(py: Python<'_>, what: &'static str, value: &OsStr) -> PyResult<()> {
    if value.as_bytes().contains(&0) {
        return Err(invalid(
            py,
            what,
            value.to_string_lossy().into_owned(),
            "contains a NUL byte",
        ));
    }
    Ok(())
}

/// A path argument (`what` names it in errors) after the NUL check.
pub fn parse_path(py: Python<'_>, what: &'static str, path: PyPath) -> PyResult<PathBuf> {
    check_nul(py, what, path.0.as_os_str())?;
    Ok(path.0)
}

/// Any path-like object (`what` names it in errors): extraction, then the NUL check.
pub fn path_arg(py: Python<'_>, what: &'static str, obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    let path = obj
        .extract::<PyPath>()
        .map_err(|e| PyTypeError::new_err(format!("{what}: {}", e.value(py))))?;
    parse_path(py, what, path)
}

/// An integer argument (`what` names it) in the range of `T`: out of range is an
/// InvalidArgumentError saying which argument, where a bare OverflowError would say neither.
pub fn int_arg<T>(py: Python<'_>, what: &'static str, obj: &Bound<'_, PyAny>) -> PyResult<T>
where
    T: for<'a, 'p> FromPyObject<'a, 'p, Error = PyErr>,
{
    obj.extract::<T>().map_err(|e| {
        if e.is_instance_of::<PyOverflowError>(py) {
            let shown = obj.repr().map(|r| r.to_string()).unwrap_or_default();
            invalid(py, what, shown, "is out of range")
        } else {
            e
        }
    })
}

/// Another handle on the namespace of a `Namespace` object, checked to be of `kind` if given
/// (no new verification: the object's handle was verified when it was opened).
pub fn clone_handle(
    py: Python<'_>,
    ns: &Bound<'_, PyNamespace>,
    kind: Option<Kind>,
) -> PyResult<Namespace> {
    let borrowed = ns.borrow();
    let inner = borrowed.get()?;
    if let Some(kind) = kind {
        inner.expect_kind(kind).or_raise(py)?;
    }
    inner.try_clone().or_raise(py)
}
