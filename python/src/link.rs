//! Network interfaces across namespaces (`nsrun.link`).

use pyo3::prelude::*;

use nsrun::Namespace;

use crate::convert::{clone_handle, int_arg, path_arg};
use crate::errors::{invalid, to_pyerr, OrRaise};
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
    #[pyo3(get)]
    master: Option<String>,
}

impl From<nsrun::link::Interface> for PyInterface {
    fn from(i: nsrun::link::Interface) -> Self {
        PyInterface {
            name: i.name,
            index: i.index,
            kind: i.kind,
            mac: i.mac,
            mtu: i.mtu,
            up: i.up,
            addresses: i.addresses,
            master: i.master,
        }
    }
}

fn repr_opt(o: &Option<String>) -> String {
    o.as_ref().map_or("None".to_string(), |s| format!("'{s}'"))
}

#[pymethods]
impl PyInterface {
    fn __repr__(&self) -> String {
        let addrs: Vec<String> = self.addresses.iter().map(|a| format!("'{a}'")).collect();
        format!(
            "Interface(name='{}', index={}, kind={}, mac={}, mtu={}, up={}, addresses=[{}], \
             master={})",
            self.name,
            self.index,
            repr_opt(&self.kind),
            repr_opt(&self.mac),
            self.mtu,
            if self.up { "True" } else { "False" },
            addrs.join(", "),
            repr_opt(&self.master)
        )
    }
}

/// A network namespace argument: None (the calling thread's), a Namespace, a str (core's
/// "netns name or path", `nsrun::netns::resolve`), or bytes / os.PathLike (a path).
pub(crate) fn net_target(
    py: Python<'_>,
    obj: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Namespace>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    if let Ok(ns) = obj.cast::<PyNamespace>() {
        return clone_handle(py, ns, None).map(Some);
    }
    if let Ok(s) = obj.extract::<String>() {
        return nsrun::netns::resolve(&s).or_raise(py).map(Some);
    }
    let path = path_arg(py, "ns", obj)?;
    Namespace::open(&path, None).or_raise(py).map(Some)
}

#[pyfunction]
#[pyo3(signature = (ns = None))]
pub fn link_list(py: Python<'_>, ns: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<PyInterface>> {
    let ns = net_target(py, ns)?;
    let list = py.detach(|| nsrun::link::list(ns.as_ref())).or_raise(py)?;
    Ok(list.into_iter().map(PyInterface::from).collect())
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
    mtu: &Bound<'_, PyAny>,
    ns: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let mtu: u32 = int_arg(py, "mtu", mtu)?;
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

/// One route (``nsrun.link.routes()``).
#[pyclass(module = "nsrun._nsrun", name = "Route", frozen)]
pub struct PyRoute {
    #[pyo3(get)]
    family: u8,
    #[pyo3(get)]
    table: u32,
    #[pyo3(get)]
    dst: String,
    #[pyo3(get)]
    gateway: Option<String>,
    #[pyo3(get)]
    dev: Option<String>,
    #[pyo3(get)]
    protocol: String,
    #[pyo3(get)]
    scope: String,
    #[pyo3(get, name = "type")]
    kind: String,
    #[pyo3(get)]
    metric: Option<u32>,
    #[pyo3(get)]
    prefsrc: Option<String>,
    shown: String,
}

#[pymethods]
impl PyRoute {
    fn __repr__(&self) -> String {
        format!(
            "Route(family={}, table={}, dst='{}', gateway={}, dev={}, protocol='{}', scope='{}', \
             type='{}', metric={}, prefsrc={})",
            self.family,
            self.table,
            self.dst,
            repr_opt(&self.gateway),
            repr_opt(&self.dev),
            self.protocol,
            self.scope,
            self.kind,
            self.metric.map_or("None".into(), |m| m.to_string()),
            repr_opt(&self.prefsrc)
        )
    }

    /// As ``ip route show`` prints it.
    fn __str__(&self) -> String {
        self.shown.clone()
    }
}

#[pyfunction]
#[pyo3(signature = (ns = None, family = 0, table = nsrun::link::TABLE_MAIN))]
pub fn link_routes(
    py: Python<'_>,
    ns: Option<&Bound<'_, PyAny>>,
    family: u8,
    table: u32,
) -> PyResult<Vec<PyRoute>> {
    let ns = net_target(py, ns)?;
    let list = py
        .detach(|| nsrun::link::list_routes(ns.as_ref(), family, table))
        .or_raise(py)?;
    Ok(list
        .into_iter()
        .map(|r| PyRoute {
            shown: r.to_string(),
            family: r.family,
            table: r.table,
            dst: r.dst,
            gateway: r.gateway,
            dev: r.dev,
            protocol: r.protocol,
            scope: r.scope,
            kind: r.kind,
            metric: r.metric,
            prefsrc: r.prefsrc,
        })
        .collect())
}

/// ``action`` is "add", "replace" or "delete".
#[pyfunction]
#[pyo3(signature = (action, dst, via = None, dev = None, ns = None))]
pub fn link_route_change(
    py: Python<'_>,
    action: &str,
    dst: &str,
    via: Option<&str>,
    dev: Option<&str>,
    ns: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let change = match action {
        "add" => nsrun::link::add_route,
        "replace" => nsrun::link::replace_route,
        "delete" => nsrun::link::del_route,
        _ => {
            return Err(invalid(
                py,
                "route action",
                action.into(),
                "is not add, replace or delete",
            ))
        }
    };
    let ns = net_target(py, ns)?;
    py.detach(|| change(ns.as_ref(), dst, via, dev))
        .or_raise(py)
}

#[pyfunction]
#[pyo3(signature = (name, ns = None, mtu = None, up = true))]
pub fn link_bridge(
    py: Python<'_>,
    name: &str,
    ns: Option<&Bound<'_, PyAny>>,
    mtu: Option<u32>,
    up: bool,
) -> PyResult<()> {
    let ns = net_target(py, ns)?;
    py.detach(|| nsrun::link::bridge(ns.as_ref(), name, mtu, up))
        .or_raise(py)
}

#[pyfunction]
#[pyo3(signature = (name, bridge, ns = None))]
pub fn link_set_master(
    py: Python<'_>,
    name: &str,
    bridge: Option<&str>,
    ns: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let ns = net_target(py, ns)?;
    py.detach(|| nsrun::link::set_master(ns.as_ref(), name, bridge))
        .or_raise(py)
}

#[pyfunction]
#[pyo3(signature = (bridge, ns = None))]
pub fn link_members(
    py: Python<'_>,
    bridge: &str,
    ns: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<PyInterface>> {
    let ns = net_target(py, ns)?;
    let list = py
        .detach(|| nsrun::link::members(ns.as_ref(), bridge))
        .or_raise(py)?;
    Ok(list.into_iter().map(PyInterface::from).collect())
}

#[pyfunction]
#[pyo3(signature = (parent, vid, name = None, ns = None))]
pub fn link_vlan(
    py: Python<'_>,
    parent: &str,
    vid: i64,
    name: Option<&str>,
    ns: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    // Out-of-range ids reach core as one it refuses with the same message.
    let Ok(vid) = u32::try_from(vid) else {
        return Err(to_pyerr(
            py,
            nsrun::Error::invalid(
                "create vlan",
                "vlan id",
                vid.to_string(),
                "is not between 1 and 4094 (802.1Q reserves 0 and 4095)",
            ),
        ));
    };
    let ns = net_target(py, ns)?;
    py.detach(|| nsrun::link::vlan(ns.as_ref(), parent, vid, name))
        .or_raise(py)
}
