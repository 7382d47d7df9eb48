//! C ABI of nsrun: `libnsrun.so.0`, `libnsrun.a`, `include/nsrun.h`.
//!
//! Conversion, NULL checks and panic catching only; all logic is in the `nsrun` crate.
#![allow(non_camel_case_types)]

mod ffi;
mod launch;
mod link;
mod sysctl;

pub use launch::*;
pub use link::*;

use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_void};
use std::os::unix::ffi::OsStrExt;

use ffi::{
    boundary, c_kind, c_kind_opt, c_ns, c_path, c_utf8, callback, give_fd, non_null, visit_each,
};
use nsrun::{Kind, Namespace};

/// Mount namespace (= CLONE_NEWNS).
pub const NSRUN_MNT: c_int = Kind::Mnt.flag();
/// UTS namespace: hostname, domain name (= CLONE_NEWUTS).
pub const NSRUN_UTS: c_int = Kind::Uts.flag();
/// IPC namespace (= CLONE_NEWIPC).
pub const NSRUN_IPC: c_int = Kind::Ipc.flag();
/// Network namespace (= CLONE_NEWNET).
pub const NSRUN_NET: c_int = Kind::Net.flag();
/// PID namespace (= CLONE_NEWPID).
pub const NSRUN_PID: c_int = Kind::Pid.flag();
/// User namespace (= CLONE_NEWUSER).
pub const NSRUN_USER: c_int = Kind::User.flag();
/// Cgroup namespace (= CLONE_NEWCGROUP).
pub const NSRUN_CGROUP: c_int = Kind::Cgroup.flag();
/// Time namespace (= CLONE_NEWTIME).
pub const NSRUN_TIME: c_int = Kind::Time.flag();

/// The identity of a namespace: the device and inode of its nsfs file.
#[repr(C)]
pub struct nsrun_ns_id {
    pub dev: u64,
    pub ino: u64,
}

/// One namespace, as nsrun_ns_list() reports it. Pointers are valid during the callback only.
#[repr(C)]
pub struct nsrun_ns_info {
    pub id: nsrun_ns_id,
    /// NSRUN_MNT … NSRUN_TIME.
    pub kind: c_int,
    /// Processes in it, ascending.
    pub pids: *const libc::pid_t,
    pub npids: usize,
    /// Files it is bind-mounted on.
    pub paths: *const *const c_char,
    pub npaths: usize,
}

/// Called once per namespace by nsrun_ns_list(); a non-zero return stops the walk and becomes
/// nsrun_ns_list()'s result.
pub type nsrun_ns_visit =
    Option<unsafe extern "C" fn(info: *const nsrun_ns_info, arg: *mut c_void) -> c_int>;

/// Called once per name by nsrun_netns_list(); a non-zero return stops the walk and becomes
/// nsrun_netns_list()'s result.
pub type nsrun_netns_visit =
    Option<unsafe extern "C" fn(name: *const c_char, arg: *mut c_void) -> c_int>;

/// The message of the last failed call on this thread ("" if none). Valid until the next failing
/// call on the same thread; never NULL.
///
/// Errors (errno): none (never fails).
/// Threads: per thread: each thread has its own last error.
#[no_mangle]
pub extern "C" fn nsrun_last_error() -> *const c_char {
    ffi::last_error_ptr()
}

/// The library version, "MAJOR.MINOR.PATCH" (equals NSRUN_VERSION of the header it was built
/// with).
///
/// Errors (errno): none (never fails).
/// Threads: safe from any thread.
#[no_mangle]
pub extern "C" fn nsrun_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Opens a namespace file (/proc/PID/ns/X, a persisted file, /proc/PID/fd/N) and checks it is a
/// namespace, of `kind` unless `kind` is 0. Returns a new descriptor.
///
/// Errors (errno): EINVAL `path` NULL, not a namespace file (not on nsfs), or not of `kind`;
/// ENOENT, EACCES, ELOOP, ENOTDIR… from open(2).
/// Threads: safe from any thread.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn nsrun_ns_open(path: *const c_char, kind: c_int) -> c_int {
    boundary(|| {
        // SAFETY: forwarded from this function's contract.
        let path = unsafe { c_path(path, "nsrun_ns_open", "path") }?;
        let kind = c_kind_opt(kind, "nsrun_ns_open")?;
        Ok(give_fd(Namespace::open(path, kind)?))
    })
}

/// Opens the namespace of kind `kind` of process `pid`. Returns a new descriptor.
///
/// Errors (errno): EINVAL unknown `kind`; ENOENT no such process; EACCES/EPERM not
/// allowed to inspect it (ptrace access mode).
/// Threads: safe from any thread.
#[no_mangle]
pub extern "C" fn nsrun_ns_open_pid(pid: libc::pid_t, kind: c_int) -> c_int {
    boundary(|| {
        let kind = c_kind(kind, "nsrun_ns_open_pid")?;
        Ok(give_fd(Namespace::of_pid(pid, kind)?))
    })
}

/// Opens the calling thread's namespace of kind `kind`. Returns a new descriptor.
///
/// Errors (errno): EINVAL unknown `kind`; open(2)'s errno for /proc/thread-self/ns/X.
/// Threads: the calling thread's namespace (/proc/thread-self), which may differ from other
/// threads'.
#[no_mangle]
pub extern "C" fn nsrun_ns_current(kind: c_int) -> c_int {
    boundary(|| {
        let kind = c_kind(kind, "nsrun_ns_current")?;
        Ok(give_fd(Namespace::current(kind)?))
    })
}

/// Creates a new namespace of kind `kind`, held by the returned descriptor. The caller's own
/// namespaces are unchanged (safe from a multithreaded process).
///
/// Errors (errno): EINVAL unknown `kind`; EPERM without CAP_SYS_ADMIN; ENOSPC namespace limit
/// (/proc/sys/user/max_*_namespaces); EUSERS/ENOMEM from unshare(2).
/// Threads: safe from a multithreaded process (mnt, user and pid are made in a helper); the
/// caller's namespaces never change.
#[no_mangle]
pub extern "C" fn nsrun_ns_create(kind: c_int) -> c_int {
    boundary(|| {
        let kind = c_kind(kind, "nsrun_ns_create")?;
        Ok(give_fd(Namespace::create(kind)?))
    })
}

/// Bind-mounts the namespace `fd` onto `path` so it outlives every process. Fails with EEXIST
/// when `path` already holds a namespace (the message names it); removes a file it created if
/// the mount fails. Returns 0.
///
/// Errors (errno): EBADF `fd` not open; EINVAL `path` NULL or `fd` not a namespace; EEXIST
/// `path` already holds a namespace (the message names it); ENOENT parent directory missing;
/// EPERM, EACCES, EBUSY from mount(2).
/// Threads: safe from any thread.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn nsrun_ns_persist(fd: c_int, path: *const c_char) -> c_int {
    boundary(|| {
        // SAFETY: forwarded from this function's contract.
        let path = unsafe { c_path(path, "nsrun_ns_persist", "path") }?;
        c_ns(fd, None)?.persist(path)?;
        Ok(0)
    })
}

/// Unmounts every namespace mount stacked on `path`, then removes the file. Fails with EINVAL
/// when `path` holds no namespace. Returns 0.
///
/// Errors (errno): EINVAL `path` NULL or holds no namespace; ENOENT no such file; EPERM, EBUSY
/// from umount2(2)/unlink(2).
/// Threads: safe from any thread.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn nsrun_ns_unpersist(path: *const c_char) -> c_int {
    boundary(|| {
        // SAFETY: forwarded from this function's contract.
        let path = unsafe { c_path(path, "nsrun_ns_unpersist", "path") }?;
        nsrun::unpersist(path)?;
        Ok(0)
    })
}

/// Moves the calling **thread** into namespace `fd` (setns(2)); `kind` is checked unless 0.
/// Returns a new descriptor of the namespace the thread was in before: pass it to
/// nsrun_ns_enter() to go back, then close it. Mount and user namespaces cannot be entered from
/// a multithreaded process (EINVAL, with a message saying so).
///
/// Errors (errno): EBADF `fd` not open; EINVAL not a namespace, not of `kind`, or a mnt/user
/// namespace in a multithreaded process (the message says so); EPERM without CAP_SYS_ADMIN in
/// the target's user namespace.
/// Threads: moves the calling thread only (setns(2)); other threads stay where they are. pid
/// and time namespaces change only what the thread's future children get.
#[no_mangle]
pub extern "C" fn nsrun_ns_enter(fd: c_int, kind: c_int) -> c_int {
    boundary(|| {
        let kind = c_kind_opt(kind, "nsrun_ns_enter")?;
        let ns = c_ns(fd, kind)?;
        Ok(give_fd(ns.enter()?.into_previous()))
    })
}

/// The kind of namespace `fd` (NSRUN_MNT … NSRUN_TIME).
///
/// Errors (errno): EBADF `fd` not open; EINVAL not a namespace.
/// Threads: safe from any thread.
#[no_mangle]
pub extern "C" fn nsrun_ns_kind(fd: c_int) -> c_int {
    boundary(|| Ok(c_ns(fd, None)?.kind().flag()))
}

/// Fills `*id` with the identity of namespace `fd`. Returns 0.
///
/// Errors (errno): EBADF `fd` not open; EINVAL `id` NULL or `fd` not a namespace.
/// Threads: safe from any thread.
///
/// # Safety
/// `id` is NULL or points to writable memory for one `struct nsrun_ns_id`.
#[no_mangle]
pub unsafe extern "C" fn nsrun_ns_id(fd: c_int, id: *mut nsrun_ns_id) -> c_int {
    boundary(|| {
        let id = non_null!(id, "nsrun_ns_id", "id");
        let ns = c_ns(fd, None)?;
        // SAFETY: non-NULL and writable by the caller's contract.
        unsafe {
            id.write(nsrun_ns_id {
                dev: ns.id().dev,
                ino: ns.id().ino,
            })
        };
        Ok(0)
    })
}

/// 1 if `a` and `b` are the same namespace, 0 if not, -1 on error.
///
/// Errors (errno): EBADF `a` or `b` not open; EINVAL either is not a namespace.
/// Threads: safe from any thread.
#[no_mangle]
pub extern "C" fn nsrun_ns_same(a: c_int, b: c_int) -> c_int {
    boundary(|| {
        let a = c_ns(a, None)?;
        let b = c_ns(b, None)?;
        Ok((a == b) as c_int)
    })
}

/// The parent of pid or user namespace `fd` (NS_GET_PARENT). Returns a new descriptor.
///
/// Errors (errno): EBADF `fd` not open; EINVAL not a pid or user namespace; EPERM the parent is
/// outside the caller's user namespace (ioctl_ns(2)).
/// Threads: safe from any thread.
#[no_mangle]
pub extern "C" fn nsrun_ns_parent(fd: c_int) -> c_int {
    boundary(|| Ok(give_fd(c_ns(fd, None)?.parent()?)))
}

/// The user namespace owning namespace `fd` (NS_GET_USERNS). Returns a new descriptor.
///
/// Errors (errno): EBADF `fd` not open; EINVAL not a namespace; EPERM the owner is outside the
/// caller's user namespace (ioctl_ns(2)).
/// Threads: safe from any thread.
#[no_mangle]
pub extern "C" fn nsrun_ns_owner(fd: c_int) -> c_int {
    boundary(|| Ok(give_fd(c_ns(fd, None)?.owner()?)))
}

/// Calls `visit` for every namespace (of `kind`, or all if 0) that a process is in or that is
/// bind-mounted on a file, like lsns(8). Returns 0, or the first non-zero value `visit` returned.
///
/// Errors (errno): EINVAL `visit` NULL or unknown `kind`; errno of reading /proc or
/// /proc/self/mountinfo; or the callback's non-zero value, returned as is (errno untouched).
/// Threads: any thread; `visit` runs on the calling thread.
///
/// # Safety
/// `visit` is a valid function (NULL is refused); it receives `arg` unchanged.
#[no_mangle]
pub unsafe extern "C" fn nsrun_ns_list(
    kind: c_int,
    visit: nsrun_ns_visit,
    arg: *mut c_void,
) -> c_int {
    boundary(|| {
        let kind = c_kind_opt(kind, "nsrun_ns_list")?;
        let visit = callback!(visit, "nsrun_ns_list", "visit");
        Ok(visit_each(nsrun::list_namespaces(kind)?, |info| {
            let paths: Vec<CString> = info
                .paths
                .iter()
                .filter_map(|p| CString::new(p.as_os_str().as_bytes()).ok())
                .collect();
            let path_ptrs: Vec<*const c_char> = paths.iter().map(|p| p.as_ptr()).collect();
            let c_info = nsrun_ns_info {
                id: nsrun_ns_id {
                    dev: info.id.dev,
                    ino: info.id.ino,
                },
                kind: info.kind.flag(),
                pids: info.pids.as_ptr(),
                npids: info.pids.len(),
                paths: path_ptrs.as_ptr(),
                npaths: path_ptrs.len(),
            };
            // SAFETY: `visit` is a valid function by contract; `c_info` and what it points to
            // live until after the call.
            unsafe { visit(&c_info, arg) }
        }))
    })
}

/// `ip netns add NAME`: creates a network namespace persisted as /run/netns/NAME (sharing
/// /run/netns as ip does). EEXIST if NAME already holds one. Returns a new descriptor of it.
///
/// Errors (errno): EINVAL `name` NULL, empty, `.`/`..`, containing '/', or over 255 bytes;
/// EEXIST /run/netns/NAME already holds a namespace; EPERM without CAP_SYS_ADMIN; mount(2)'s
/// errno.
/// Threads: safe from any thread.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn nsrun_netns_add(name: *const c_char) -> c_int {
    boundary(|| {
        // SAFETY: forwarded from this function's contract.
        let name = unsafe { c_utf8(name, "nsrun_netns_add", "name") }?;
        Ok(give_fd(nsrun::netns::add(name)?))
    })
}

/// Opens /run/netns/NAME (made by nsrun or `ip netns add`). Returns a new descriptor.
///
/// Errors (errno): EINVAL bad `name` (as for nsrun_netns_add()) or the file is not a network
/// namespace; ENOENT no such netns.
/// Threads: safe from any thread.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn nsrun_netns_open(name: *const c_char) -> c_int {
    boundary(|| {
        // SAFETY: forwarded from this function's contract.
        let name = unsafe { c_utf8(name, "nsrun_netns_open", "name") }?;
        Ok(give_fd(nsrun::netns::open(name)?))
    })
}

/// A network namespace named the way `ip`, `unshare` and the nsrun CLI take one: a name in
/// /run/netns when `name_or_path` has no '/' ("lab"), else the namespace file at that path
/// ("/run/netns/lab", "/proc/PID/ns/net"). Returns a new descriptor, for nsrun_launch_ns_join()
/// or the link functions.
///
/// Errors (errno): EINVAL NULL, a bad name, or the file is not a network namespace; ENOENT no
/// such netns or file.
/// Threads: safe from any thread.
///
/// # Safety
/// `name_or_path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn nsrun_netns_resolve(name_or_path: *const c_char) -> c_int {
    boundary(|| {
        // SAFETY: forwarded from this function's contract.
        let arg = unsafe { c_utf8(name_or_path, "nsrun_netns_resolve", "name_or_path") }?;
        Ok(give_fd(nsrun::netns::resolve(arg)?))
    })
}

/// `ip netns delete NAME`, also removing mounts other tools stacked on the file. Returns 0.
///
/// Errors (errno): EINVAL bad `name` or the file holds no namespace; ENOENT no such netns;
/// EPERM, EBUSY from umount2(2).
/// Threads: safe from any thread.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn nsrun_netns_delete(name: *const c_char) -> c_int {
    boundary(|| {
        // SAFETY: forwarded from this function's contract.
        let name = unsafe { c_utf8(name, "nsrun_netns_delete", "name") }?;
        nsrun::netns::delete(name)?;
        Ok(0)
    })
}

/// Calls `visit` with each name in /run/netns that holds a network namespace, sorted. Returns 0,
/// or the first non-zero value `visit` returned.
///
/// Errors (errno): EINVAL `visit` NULL; errno of reading /run/netns (a missing directory is an
/// empty list); or the callback's non-zero value, returned as is.
/// Threads: any thread; `visit` runs on the calling thread.
///
/// # Safety
/// `visit` is a valid function (NULL is refused); it receives `arg` unchanged.
#[no_mangle]
pub unsafe extern "C" fn nsrun_netns_list(visit: nsrun_netns_visit, arg: *mut c_void) -> c_int {
    boundary(|| {
        let visit = callback!(visit, "nsrun_netns_list", "visit");
        let names = nsrun::netns::list()?
            .into_iter()
            .filter_map(|n| CString::new(n).ok());
        // SAFETY: `visit` is valid by contract; each name lives until after its call.
        Ok(visit_each(names, |c| unsafe { visit(c.as_ptr(), arg) }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_constants_are_the_kernel_clone_flags() {
        let pairs = [
            (NSRUN_MNT, Kind::Mnt),
            (NSRUN_UTS, Kind::Uts),
            (NSRUN_IPC, Kind::Ipc),
            (NSRUN_NET, Kind::Net),
            (NSRUN_PID, Kind::Pid),
            (NSRUN_USER, Kind::User),
            (NSRUN_CGROUP, Kind::Cgroup),
            (NSRUN_TIME, Kind::Time),
        ];
        for (c, k) in pairs {
            assert_eq!(c, k.flag(), "{k}");
        }
    }

    #[test]
    fn panics_do_not_cross_and_set_errno() {
        let r = boundary(|| panic!("boom"));
        assert_eq!(r, -1);
        // SAFETY: reads this thread's errno.
        assert_eq!(unsafe { *libc::__errno_location() }, libc::EIO);
        // SAFETY: nsrun_last_error never returns NULL and the string lives until the next failure.
        let msg = unsafe { std::ffi::CStr::from_ptr(nsrun_last_error()) };
        assert!(msg.to_str().unwrap().contains("boom"));
    }
}
