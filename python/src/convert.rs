//! Argument conversion shared by the classes and functions: paths and namespace arguments.

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use pyo3::prelude::*;

use nsrun::{Kind, Namespace};

use crate::errors::{invalid, OrRaise};
use crate::namespace::PyNamespace;

/// A path from str, bytes or os.PathLike; a NUL byte is refused (InvalidArgumentError is both
/// an OSError and the ValueError the os module raises for it).
pub fn parse_path(py: Python<'_>, path: PathBuf) -> PyResult<PathBuf> {
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
