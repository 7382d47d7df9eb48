//! Per-namespace sysctls (`nsrun.sysctl`).

use pyo3::prelude::*;

use crate::errors::OrRaise;
use crate::link::net_target;

/// ``host``: read any key as this thread sees /proc/sys (``ns`` must be None).
#[pyfunction]
#[pyo3(signature = (ns, key, host = false))]
pub fn sysctl_get(
    py: Python<'_>,
    ns: Option<&Bound<'_, PyAny>>,
    key: &str,
    host: bool,
) -> PyResult<String> {
    let ns = net_target(py, ns)?;
    py.detach(|| match (host, &ns) {
        (true, None) => nsrun::sysctl::get_host(key),
        (true, Some(_)) => Err(host_and_ns()),
        (false, _) => nsrun::sysctl::get(ns.as_ref(), key),
    })
    .or_raise(py)
}

#[pyfunction]
#[pyo3(signature = (ns, key, value, host = false))]
pub fn sysctl_set(
    py: Python<'_>,
    ns: Option<&Bound<'_, PyAny>>,
    key: &str,
    value: &str,
    host: bool,
) -> PyResult<()> {
    let ns = net_target(py, ns)?;
    py.detach(|| match (host, &ns) {
        (true, None) => nsrun::sysctl::set_host(key, value),
        (true, Some(_)) => Err(host_and_ns()),
        (false, _) => nsrun::sysctl::set(ns.as_ref(), key, value),
    })
    .or_raise(py)
}

fn host_and_ns() -> nsrun::Error {
    nsrun::Error::invalid(
        "sysctl",
        "host",
        "True",
        "goes with ns=None (the host's view), not with a namespace",
    )
}
