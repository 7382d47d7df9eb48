//! Network interfaces across namespaces (`nsrun.link`).

use std::path::PathBuf;

use pyo3::prelude::*;

use nsrun::Namespace;

use crate::convert::{clone_handle, parse_path};
use crate::errors::{invalid, OrRaise};
use crate::namespace::PyNamespace;

/// One network interface (``nsrun.link.list()``).
#[pyclass(module = "nsrun._nsrun", name = "Interface", frozen)]
pub struct PyInterface {
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
        return clone_handle(py, ns, None).map(Some);
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
pub fn link_list(py: Python<'_>, ns: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<PyInterface>> {
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
pub fn link_move(
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
pub fn link_veth(
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
pub fn link_set_state(
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
pub fn link_set_mtu(
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
pub fn link_address(
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
pub fn link_add_route(
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
pub fn link_delete(py: Python<'_>, name: &str, ns: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let ns = net_target(py, ns)?;
    py.detach(|| nsrun::link::delete(ns.as_ref(), name))
        .or_raise(py)
}
