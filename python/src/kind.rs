//! Kinds between Python and core: `nsrun.Kind` objects, kind names, and the flag table that
//! `nsrun/_kind.py` reads (core's `Kind` is its only source).

use pyo3::prelude::*;

use nsrun::Kind;

use crate::errors::invalid;

/// The `nsrun.Kind` member of `kind`.
pub fn kind_obj<'py>(py: Python<'py>, kind: Kind) -> PyResult<Bound<'py, PyAny>> {
    py.import("nsrun._kind")?
        .getattr("Kind")?
        .call1((kind.name(),))
}

/// A kind from its name, as `nsrun._launch` normalises them.
pub fn kind_from_name(py: Python<'_>, name: &str) -> PyResult<Kind> {
    name.parse::<Kind>().map_err(|_| {
        invalid(
            py,
            "kind",
            name.to_owned(),
            "is not a namespace kind (mnt uts ipc net pid user cgroup time)",
        )
    })
}

/// A kind from `Kind.NET` or `"net"` (Kind is a str enum).
pub fn parse_kind(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Kind> {
    match obj.extract::<String>() {
        Ok(s) => kind_from_name(py, &s),
        Err(_) => kind_from_name(py, &obj.repr()?.to_string()),
    }
}

/// [`parse_kind`], None for a missing or None argument.
pub fn parse_kind_opt(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Kind>> {
    match obj {
        Some(o) if !o.is_none() => parse_kind(py, o).map(Some),
        _ => Ok(None),
    }
}

/// Every kind as `(name, CLONE_NEW* flag)`, in core's order: what `nsrun.Kind` is built on.
#[pyfunction]
pub fn _kind_table() -> Vec<(&'static str, i32)> {
    Kind::ALL.iter().map(|k| (k.name(), k.flag())).collect()
}
