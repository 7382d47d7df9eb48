//! C ABI of the network-interface operations (`nsrun_link_*`). A namespace argument is a
//! network namespace descriptor (borrowed), or -1 for the calling thread's own.
//!
//! Thread rules shared by every function here: the call enters the namespace on the calling
//! thread only long enough to open a netlink socket there, and the thread is back in its own
//! namespace before the call returns (also on failure); other threads are never affected. Calls
//! on different threads may run at once.

use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_void};

use crate::ffi::{boundary, c_ns, c_utf8, callback, visit_each, Failure};
use nsrun::{Kind, Namespace};

pub(crate) fn ns_arg(fd: c_int) -> Result<Option<Namespace>, Failure> {
    if fd == -1 {
        return Ok(None);
    }
    Ok(Some(c_ns(fd, Some(Kind::Net))?))
}

/// Optional string: NULL is None.
///
/// # Safety
/// `p` NULL or NUL-terminated.
unsafe fn opt_utf8<'a>(
    p: *const c_char,
    func: &str,
    arg: &str,
) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { c_utf8(p, func, arg) }.map(Some)
    }
}

/// One interface, as nsrun_link_list() reports it. Pointers are valid during the callback only.
#[repr(C)]
pub struct nsrun_link_info {
    pub name: *const c_char,
    pub index: u32,
    /// "veth", "bridge", … or NULL.
    pub kind: *const c_char,
    /// "aa:bb:cc:dd:ee:ff" or NULL.
    pub mac: *const c_char,
    pub mtu: u32,
    /// 1 if administratively up.
    pub up: c_int,
    /// "198.18.0.1/24", …
    pub addresses: *const *const c_char,
    pub naddresses: usize,
    /// The bridge this interface is a member of, or NULL.
    pub master: *const c_char,
}

/// Called once per interface by nsrun_link_list(); non-zero stops the walk.
pub type nsrun_link_visit =
    Option<unsafe extern "C" fn(info: *const nsrun_link_info, arg: *mut c_void) -> c_int>;

/// Calls `visit` for every interface of namespace `ns` (-1: the calling thread's), by index.
/// Returns 0, or the first non-zero value `visit` returned.
///
/// # Safety
/// `visit` is a valid function (NULL is refused).
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_list(
    ns: c_int,
    visit: nsrun_link_visit,
    arg: *mut c_void,
) -> c_int {
    boundary(|| {
        let visit = callback!(visit, "nsrun_link_list", "visit");
        let ns = ns_arg(ns)?;
        Ok(visit_interfaces(
            nsrun::link::list(ns.as_ref())?,
            visit,
            arg,
        ))
    })
}

fn cs(s: &str) -> CString {
    CString::new(s).unwrap_or_default()
}

fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

/// Calls `visit` on each interface as an `nsrun_link_info`.
fn visit_interfaces(
    list: Vec<nsrun::link::Interface>,
    visit: unsafe extern "C" fn(*const nsrun_link_info, *mut c_void) -> c_int,
    arg: *mut c_void,
) -> c_int {
    visit_each(list, |i| {
        let name = cs(&i.name);
        let kind = i.kind.as_deref().map(cs);
        let mac = i.mac.as_deref().map(cs);
        let master = i.master.as_deref().map(cs);
        let addrs: Vec<CString> = i.addresses.iter().map(|a| cs(a)).collect();
        let ptrs: Vec<*const c_char> = addrs.iter().map(|a| a.as_ptr()).collect();
        let info = nsrun_link_info {
            name: name.as_ptr(),
            index: i.index,
            kind: opt_ptr(&kind),
            mac: opt_ptr(&mac),
            mtu: i.mtu,
            up: i.up as c_int,
            addresses: ptrs.as_ptr(),
            naddresses: ptrs.len(),
            master: opt_ptr(&master),
        };
        // SAFETY: `visit` is valid by the caller's contract; everything `info` points to
        // outlives the call.
        unsafe { visit(&info, arg) }
    })
}

/// Moves interface `name` from namespace `ns_of_link` (-1: the calling thread's) into
/// `target_ns`, renamed to `new_name` unless it is NULL (`ip link set NAME netns T name NEW`).
///
/// # Safety
/// Strings NULL (only `new_name`) or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_move(
    ns_of_link: c_int,
    name: *const c_char,
    target_ns: c_int,
    new_name: *const c_char,
) -> c_int {
    boundary(|| {
        const F: &str = "nsrun_link_move";
        // SAFETY: forwarded from this function's contract.
        let (name, new_name) =
            unsafe { (c_utf8(name, F, "name")?, opt_utf8(new_name, F, "new_name")?) };
        let from = ns_arg(ns_of_link)?;
        let target = c_ns(target_ns, None)?;
        nsrun::link::move_to(from.as_ref(), name, &target, new_name)?;
        Ok(0)
    })
}

/// Creates a veth pair: `name` in `ns`, `peer` in `peer_ns` (each -1: the calling thread's).
///
/// # Safety
/// Strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_veth(
    ns: c_int,
    name: *const c_char,
    peer_ns: c_int,
    peer: *const c_char,
) -> c_int {
    boundary(|| {
        const F: &str = "nsrun_link_veth";
        // SAFETY: forwarded from this function's contract.
        let (name, peer) = unsafe { (c_utf8(name, F, "name")?, c_utf8(peer, F, "peer")?) };
        nsrun::link::veth(name, peer, ns_arg(ns)?.as_ref(), ns_arg(peer_ns)?.as_ref())?;
        Ok(0)
    })
}

/// `ip link set NAME up` (`up` != 0) or down, in namespace `ns`.
///
/// # Safety
/// `name` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_set_up(ns: c_int, name: *const c_char, up: c_int) -> c_int {
    boundary(|| {
        // SAFETY: forwarded from this function's contract.
        let name = unsafe { c_utf8(name, "nsrun_link_set_up", "name") }?;
        let ns = ns_arg(ns)?;
        if up != 0 {
            nsrun::link::set_up(ns.as_ref(), name)?
        } else {
            nsrun::link::set_down(ns.as_ref(), name)?
        }
        Ok(0)
    })
}

/// `ip link set NAME mtu MTU` in namespace `ns`.
///
/// # Safety
/// `name` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_set_mtu(ns: c_int, name: *const c_char, mtu: u32) -> c_int {
    boundary(|| {
        // SAFETY: forwarded from this function's contract.
        let name = unsafe { c_utf8(name, "nsrun_link_set_mtu", "name") }?;
        nsrun::link::set_mtu(ns_arg(ns)?.as_ref(), name, mtu)?;
        Ok(0)
    })
}

/// `ip addr add CIDR dev NAME` in namespace `ns` (CIDR like "198.18.0.1/24", "fd00::1/64").
///
/// # Safety
/// Strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_add_address(
    ns: c_int,
    name: *const c_char,
    cidr: *const c_char,
) -> c_int {
    boundary(|| {
        const F: &str = "nsrun_link_add_address";
        // SAFETY: forwarded from this function's contract.
        let (name, cidr) = unsafe { (c_utf8(name, F, "name")?, c_utf8(cidr, F, "cidr")?) };
        nsrun::link::add_address(ns_arg(ns)?.as_ref(), name, cidr)?;
        Ok(0)
    })
}

/// `ip addr del CIDR dev NAME` in namespace `ns`.
///
/// # Safety
/// Strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_del_address(
    ns: c_int,
    name: *const c_char,
    cidr: *const c_char,
) -> c_int {
    boundary(|| {
        const F: &str = "nsrun_link_del_address";
        // SAFETY: forwarded from this function's contract.
        let (name, cidr) = unsafe { (c_utf8(name, F, "name")?, c_utf8(cidr, F, "cidr")?) };
        nsrun::link::del_address(ns_arg(ns)?.as_ref(), name, cidr)?;
        Ok(0)
    })
}

type RouteFn = fn(Option<&Namespace>, &str, Option<&str>, Option<&str>) -> Result<(), nsrun::Error>;

/// The three route changes share their conversion.
///
/// # Safety
/// `dst` NUL-terminated; `via`, `dev` NULL or NUL-terminated.
unsafe fn route_change(
    f: &str,
    change: RouteFn,
    ns: c_int,
    dst: *const c_char,
    via: *const c_char,
    dev: *const c_char,
) -> c_int {
    boundary(|| {
        // SAFETY: forwarded from the caller's contract.
        let (dst, via, dev) = unsafe {
            (
                c_utf8(dst, f, "dst")?,
                opt_utf8(via, f, "via")?,
                opt_utf8(dev, f, "dev")?,
            )
        };
        change(ns_arg(ns)?.as_ref(), dst, via, dev)?;
        Ok(0)
    })
}

/// `ip route add DST [via VIA] [dev DEV]` in the main table of namespace `ns`; `dst` is
/// "default" or a prefix ("198.18.0.0/24", "fd00::/64"); `via` and `dev` may be NULL (not
/// both). Returns 0, or -1 with errno: EEXIST a route to `dst` exists (nsrun_last_error()
/// names it and the netns: "add route: route 198.18.0.0/24 via 198.18.1.1 already exists in
/// netns lab"), ENETUNREACH the gateway is on no connected network, ENODEV no interface `dev`,
/// EINVAL a malformed prefix or address, mixed families, or `dst` NULL, EBADF `ns` is not open.
/// Thread: the calling thread's namespace is unchanged on return; other threads are unaffected.
///
/// # Safety
/// `dst` NUL-terminated; `via`, `dev` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_add_route(
    ns: c_int,
    dst: *const c_char,
    via: *const c_char,
    dev: *const c_char,
) -> c_int {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        route_change(
            "nsrun_link_add_route",
            nsrun::link::add_route,
            ns,
            dst,
            via,
            dev,
        )
    }
}

/// `ip route replace DST [via VIA] [dev DEV]` in the main table of namespace `ns`: adds the
/// route, or replaces the one to `dst`. Returns 0, or -1 with errno as nsrun_link_add_route()
/// (never EEXIST). Thread: the calling thread's namespace is unchanged on return.
///
/// # Safety
/// `dst` NUL-terminated; `via`, `dev` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_replace_route(
    ns: c_int,
    dst: *const c_char,
    via: *const c_char,
    dev: *const c_char,
) -> c_int {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        route_change(
            "nsrun_link_replace_route",
            nsrun::link::replace_route,
            ns,
            dst,
            via,
            dev,
        )
    }
}

/// `ip route del DST [via VIA] [dev DEV]` from the main table of namespace `ns`: the route to
/// `dst` that also matches `via` and `dev` when they are not NULL (both may be NULL). Returns 0,
/// or -1 with errno: ESRCH no such route ("delete route: no route 198.18.9.0/24 in netns lab"),
/// ENODEV no interface `dev`, EINVAL a malformed prefix or address, EBADF `ns` is not open.
/// Thread: the calling thread's namespace is unchanged on return.
///
/// # Safety
/// `dst` NUL-terminated; `via`, `dev` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_del_route(
    ns: c_int,
    dst: *const c_char,
    via: *const c_char,
    dev: *const c_char,
) -> c_int {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        route_change(
            "nsrun_link_del_route",
            nsrun::link::del_route,
            ns,
            dst,
            via,
            dev,
        )
    }
}

/// One route, as nsrun_link_list_routes() reports it. Pointers are valid during the callback
/// only; optional strings are NULL when absent.
#[repr(C)]
pub struct nsrun_route {
    /// 4 or 6.
    pub family: c_int,
    /// 254 main, 255 local.
    pub table: u32,
    /// "198.18.0.0/24", "fd00::/64" or "default".
    pub dst: *const c_char,
    /// "198.18.1.1", or NULL.
    pub gateway: *const c_char,
    /// Output interface, or NULL.
    pub dev: *const c_char,
    /// "kernel", "boot", "static", … or a number.
    pub protocol: *const c_char,
    /// "global", "link", "host", … or a number.
    pub scope: *const c_char,
    /// "unicast", "local", "broadcast", …
    pub type_: *const c_char,
    /// The metric; 0 when none is set.
    pub metric: u32,
    /// The preferred source address, or NULL.
    pub prefsrc: *const c_char,
}

/// Called once per route by nsrun_link_list_routes(); non-zero stops the walk.
pub type nsrun_route_visit =
    Option<unsafe extern "C" fn(route: *const nsrun_route, arg: *mut c_void) -> c_int>;

/// Calls `visit` for every route of namespace `ns` (-1: the calling thread's), IPv4 first, like
/// `ip route show table TABLE`: `family` 4, 6 or 0 for both; `table` a table id (254 main,
/// 255 local) or 0 for every table. Returns 0, or the first non-zero value `visit` returned,
/// or -1 with errno: EINVAL `family` is not 0, 4 or 6 or `visit` is NULL, EBADF `ns` is not
/// open. Thread: `visit` runs on the calling thread, in its own namespace.
///
/// # Safety
/// `visit` is a valid function (NULL is refused).
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_list_routes(
    ns: c_int,
    family: c_int,
    table: u32,
    visit: nsrun_route_visit,
    arg: *mut c_void,
) -> c_int {
    boundary(|| {
        let visit = callback!(visit, "nsrun_link_list_routes", "visit");
        let ns = ns_arg(ns)?;
        let family = u8::try_from(family).unwrap_or(u8::MAX);
        let routes = nsrun::link::list_routes(ns.as_ref(), family, table)?;
        Ok(visit_each(routes, |r| {
            let dst = cs(&r.dst);
            let gateway = r.gateway.as_deref().map(cs);
            let dev = r.dev.as_deref().map(cs);
            let protocol = cs(&r.protocol);
            let scope = cs(&r.scope);
            let kind = cs(&r.kind);
            let prefsrc = r.prefsrc.as_deref().map(cs);
            let route = nsrun_route {
                family: c_int::from(r.family),
                table: r.table,
                dst: dst.as_ptr(),
                gateway: opt_ptr(&gateway),
                dev: opt_ptr(&dev),
                protocol: protocol.as_ptr(),
                scope: scope.as_ptr(),
                type_: kind.as_ptr(),
                metric: r.metric.unwrap_or(0),
                prefsrc: opt_ptr(&prefsrc),
            };
            // SAFETY: `visit` is valid by contract; everything `route` points to outlives the
            // call.
            unsafe { visit(&route, arg) }
        }))
    })
}

/// Creates bridge `name` in namespace `ns` (`ip link add NAME type bridge`), with MTU `mtu`
/// unless it is 0, and up if `up` != 0. Returns 0, or -1 with errno: EEXIST an interface of
/// that name exists, EINVAL a bad name or MTU (the bridge is then removed again), EBADF `ns` is
/// not open. Thread: the calling thread's namespace is unchanged on return.
///
/// # Safety
/// `name` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_bridge(
    ns: c_int,
    name: *const c_char,
    mtu: u32,
    up: c_int,
) -> c_int {
    boundary(|| {
        // SAFETY: forwarded from this function's contract.
        let name = unsafe { c_utf8(name, "nsrun_link_bridge", "name") }?;
        let mtu = (mtu != 0).then_some(mtu);
        nsrun::link::bridge(ns_arg(ns)?.as_ref(), name, mtu, up != 0)?;
        Ok(0)
    })
}

/// Makes interface `name` a member of bridge `bridge` (`ip link set NAME master BRIDGE`), or of
/// none when `bridge` is NULL (`nomaster`). Both are in namespace `ns`: a bridge takes members
/// from its own namespace only. Returns 0, or -1 with errno: ENODEV no such interface or bridge
/// in `ns` (the message names the netns), EINVAL `bridge` is not a bridge, EBADF `ns` is not
/// open. Thread: the calling thread's namespace is unchanged on return.
///
/// # Safety
/// `name` NUL-terminated; `bridge` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_set_master(
    ns: c_int,
    name: *const c_char,
    bridge: *const c_char,
) -> c_int {
    boundary(|| {
        const F: &str = "nsrun_link_set_master";
        // SAFETY: forwarded from this function's contract.
        let (name, bridge) = unsafe { (c_utf8(name, F, "name")?, opt_utf8(bridge, F, "bridge")?) };
        nsrun::link::set_master(ns_arg(ns)?.as_ref(), name, bridge)?;
        Ok(0)
    })
}

/// Calls `visit` for every member of bridge `bridge` in namespace `ns`, by index. Returns 0, or
/// the first non-zero value `visit` returned, or -1 with errno: ENODEV no such bridge, EINVAL
/// `bridge` is not a bridge or `visit` is NULL, EBADF `ns` is not open. Thread: `visit` runs on
/// the calling thread, in its own namespace.
///
/// # Safety
/// `bridge` NUL-terminated; `visit` a valid function.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_members(
    ns: c_int,
    bridge: *const c_char,
    visit: nsrun_link_visit,
    arg: *mut c_void,
) -> c_int {
    boundary(|| {
        const F: &str = "nsrun_link_members";
        let visit = callback!(visit, F, "visit");
        // SAFETY: forwarded from this function's contract.
        let bridge = unsafe { c_utf8(bridge, F, "bridge") }?;
        let list = nsrun::link::members(ns_arg(ns)?.as_ref(), bridge)?;
        Ok(visit_interfaces(list, visit, arg))
    })
}

/// Creates the VLAN sub-interface of `parent` for VLAN `id` (1 to 4094) in the parent's
/// namespace `ns`, named `name`, or "PARENT.ID" when `name` is NULL (`ip link add link PARENT
/// name NAME type vlan id ID`). Returns 0, or -1 with errno: EINVAL `id` 0, 4095 or above, or a
/// name longer than 15 bytes, ENODEV no interface `parent` in `ns`, EEXIST the name is taken,
/// EOPNOTSUPP the kernel has no 802.1Q support (8021q), EBADF `ns` is not open. Thread: the
/// calling thread's namespace is unchanged on return.
///
/// # Safety
/// `parent` NUL-terminated; `name` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_vlan(
    ns: c_int,
    parent: *const c_char,
    id: u32,
    name: *const c_char,
) -> c_int {
    boundary(|| {
        const F: &str = "nsrun_link_vlan";
        // SAFETY: forwarded from this function's contract.
        let (parent, name) = unsafe { (c_utf8(parent, F, "parent")?, opt_utf8(name, F, "name")?) };
        nsrun::link::vlan(ns_arg(ns)?.as_ref(), parent, id, name)?;
        Ok(0)
    })
}

/// `ip link delete NAME` in namespace `ns` (a veth takes its peer with it).
///
/// # Safety
/// `name` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_link_delete(ns: c_int, name: *const c_char) -> c_int {
    boundary(|| {
        // SAFETY: forwarded from this function's contract.
        let name = unsafe { c_utf8(name, "nsrun_link_delete", "name") }?;
        nsrun::link::delete(ns_arg(ns)?.as_ref(), name)?;
        Ok(0)
    })
}
