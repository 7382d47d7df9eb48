//! Named network namespaces in /run/netns (`nsrun.netns`).

use std::path::PathBuf;

use pyo3::prelude::*;

use crate::errors::OrRaise;
use crate::namespace::PyNamespace;

#[pyfunction]
pub fn netns_add(py: Python<'_>, name: &str) -> PyResult<PyNamespace> {
    py.detach(|| nsrun::netns::add(name))
        .or_raise(py)
        .map(PyNamespace::wrap)
}

#[pyfunction]
pub fn netns_open(py: Python<'_>, name: &str) -> PyResult<PyNamespace> {
    nsrun::netns::open(name).or_raise(py).map(PyNamespace::wrap)
}

#[pyfunction]
pub fn netns_delete(py: Python<'_>, name: &str) -> PyResult<()> {
    py.detach(|| nsrun::netns::delete(name)).or_raise(py)
}

#[pyfunction]
pub fn netns_list(py: Python<'_>) -> PyResult<Vec<String>> {
    nsrun::netns::list().or_raise(py)
}

#[pyfunction]
pub fn netns_path(py: Python<'_>, name: &str) -> PyResult<PathBuf> {
    nsrun::netns::path(name).or_raise(py)
}
