//! The `nsrun._nsrun` extension module: conversion between Python and the `nsrun` core only.
//! One file per concern: errors, kind, convert (shared argument conversion), namespace, netns,
//! launch, link, sysctl, cli (the `nsrun` command line for the console script).

use pyo3::prelude::*;

mod cli;
mod convert;
mod errors;
mod kind;
mod lab;
mod launch;
mod link;
mod namespace;
mod netns;
mod sysctl;

#[pymodule]
fn _nsrun(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("NETNS_RUN_DIR", nsrun::netns::RUN_DIR)?;
    // Core's conventions, which nsrun/*.py take from here and restate nowhere.
    m.add("STDIO_INHERIT", nsrun::Stdio::INHERIT)?;
    m.add("STDIO_PIPE", nsrun::Stdio::PIPE)?;
    m.add("STDIO_NULL", nsrun::Stdio::NULL)?;
    m.add("EXIT_SETUP_FAILED", nsrun::launch::exit::SETUP_FAILED)?;
    m.add("EXIT_CANNOT_RUN", nsrun::launch::exit::CANNOT_RUN)?;
    m.add("EXIT_NOT_FOUND", nsrun::launch::exit::NOT_FOUND)?;
    m.add("RCS_BOOT", nsrun::launch::RCS_BOOT.to_vec())?;
    m.add("RCS_SHUTDOWN", nsrun::launch::RCS_SHUTDOWN.to_vec())?;
    m.add_class::<namespace::PyNamespace>()?;
    m.add_class::<namespace::PyNsId>()?;
    m.add_class::<namespace::PyEnter>()?;
    m.add_class::<namespace::PyNamespaceInfo>()?;
    m.add_class::<launch::PyChild>()?;
    m.add_class::<launch::PyExecChild>()?;
    m.add_class::<link::PyInterface>()?;
    m.add_class::<link::PyRoute>()?;
    m.add_class::<lab::PyLab>()?;
    for f in [
        wrap_pyfunction!(kind::_kind_table, m)?,
        wrap_pyfunction!(cli::cli_main, m)?,
        wrap_pyfunction!(namespace::same, m)?,
        wrap_pyfunction!(namespace::unpersist, m)?,
        wrap_pyfunction!(namespace::list_namespaces, m)?,
        wrap_pyfunction!(namespace::take_restore_failure, m)?,
        wrap_pyfunction!(netns::netns_add, m)?,
        wrap_pyfunction!(netns::netns_open, m)?,
        wrap_pyfunction!(netns::netns_delete, m)?,
        wrap_pyfunction!(netns::netns_list, m)?,
        wrap_pyfunction!(netns::netns_path, m)?,
        wrap_pyfunction!(launch::_spawn, m)?,
        wrap_pyfunction!(launch::rcs_commands, m)?,
        wrap_pyfunction!(link::link_list, m)?,
        wrap_pyfunction!(link::link_move, m)?,
        wrap_pyfunction!(link::link_veth, m)?,
        wrap_pyfunction!(link::link_set_state, m)?,
        wrap_pyfunction!(link::link_set_mtu, m)?,
        wrap_pyfunction!(link::link_address, m)?,
        wrap_pyfunction!(link::link_add_route, m)?,
        wrap_pyfunction!(link::link_delete, m)?,
        wrap_pyfunction!(link::link_routes, m)?,
        wrap_pyfunction!(link::link_route_change, m)?,
        wrap_pyfunction!(link::link_bridge, m)?,
        wrap_pyfunction!(link::link_set_master, m)?,
        wrap_pyfunction!(link::link_members, m)?,
        wrap_pyfunction!(link::link_vlan, m)?,
        wrap_pyfunction!(sysctl::sysctl_get, m)?,
        wrap_pyfunction!(sysctl::sysctl_set, m)?,
        wrap_pyfunction!(lab::_lab_up, m)?,
        wrap_pyfunction!(lab::_lab_check, m)?,
    ] {
        m.add_function(f)?;
    }
    Ok(())
}
