//! C ABI of the network-interface operations (`nsrun_link_*`). A namespace argument is a
//! network namespace descriptor (borrowed), or -1 for the calling thread's own.

use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_void};

use crate::ffi::{boundary, c_ns, c_utf8, callback, visit_each, Failure};
use nsrun::{Kind, Namespace};

fn ns_arg(fd: c_int) -> Result<Option<Namespace>, Failure> {
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
        Ok(visit_each(nsrun::link::list(ns.as_ref())?, |i| {
            let cs = |s: &str| CString::new(s).unwrap_or_default();
            let name = cs(&i.name);
            let kind = i.kind.as_deref().map(cs);
            let mac = i.mac.as_deref().map(cs);
            let addrs: Vec<CString> = i.addresses.iter().map(|a| cs(a)).collect();
            let ptrs: Vec<*const c_char> = addrs.iter().map(|a| a.as_ptr()).collect();
            let info = nsrun_link_info {
                name: name.as_ptr(),
                index: i.index,
                kind: kind.as_ref().map_or(std::ptr::null(), |k| k.as_ptr()),
                mac: mac.as_ref().map_or(std::ptr::null(), |m| m.as_ptr()),
                mtu: i.mtu,
                up: i.up as c_int,
                addresses: ptrs.as_ptr(),
                naddresses: ptrs.len(),
            };
            // SAFETY: `visit` is valid by contract; everything `info` points to outlives the call.
            unsafe { visit(&info, arg) }
        }))
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

/// `ip route add DST [via VIA] [dev DEV]` in namespace `ns`; `dst` is "default" or a CIDR;
/// `via` and `dev` may be NULL (not both).
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
    boundary(|| {
        const F: &str = "nsrun_link_add_route";
        // SAFETY: forwarded from this function's contract.
        let (dst, via, dev) = unsafe {
            (
                c_utf8(dst, F, "dst")?,
                opt_utf8(via, F, "via")?,
                opt_utf8(dev, F, "dev")?,
            )
        };
        nsrun::link::add_route(ns_arg(ns)?.as_ref(), dst, via, dev)?;
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
