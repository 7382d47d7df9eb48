//! C ABI of per-namespace sysctls (`nsrun_sysctl_*`).
//!
//! Thread rules: nsrun_sysctl_get() and nsrun_sysctl_set() enter network namespace `ns` on the
//! calling thread for the duration of the call only (/proc/sys/net follows the *thread's*
//! network namespace) and return it to its own namespace before returning, also on failure;
//! other threads are never affected. The `_host` variants enter nothing.

use std::os::raw::{c_char, c_int};

use crate::ffi::{boundary, c_utf8, Failure};
use crate::link::ns_arg;

/// Copies `value` and a NUL into `buf` of `size` bytes; ERANGE if it does not fit.
///
/// # Safety
/// `buf` is NULL or valid for `size` bytes of writes.
unsafe fn copy_out(f: &str, value: &str, buf: *mut c_char, size: usize) -> Result<c_int, Failure> {
    if buf.is_null() {
        return Err(Failure::null(f, "buf"));
    }
    if value.len() >= size {
        return Err(Failure::new(
            libc::ERANGE,
            format!(
                "{f}: the value needs {} bytes with its NUL, the buffer has {size}",
                value.len() + 1
            ),
        ));
    }
    // SAFETY: `buf` has room for `size` > value.len() bytes (checked above, caller's contract);
    // the source is a distinct Rust allocation.
    unsafe {
        std::ptr::copy_nonoverlapping(value.as_ptr(), buf.cast::<u8>(), value.len());
        *buf.add(value.len()) = 0;
    }
    c_int::try_from(value.len())
        .map_err(|_| Failure::new(libc::ERANGE, format!("{f}: value too long")))
}

/// Reads sysctl `key` ("net.ipv4.ip_forward", or "net/ipv4/ip_forward") in network namespace
/// `ns` (-1: the calling thread's) into `buf` (`size` bytes, NUL-terminated, trailing newline
/// removed). Only net.* keys are per network namespace; any other key is refused (use
/// nsrun_sysctl_get_host()). Returns the value's length, or -1 with errno: ENOENT no such key,
/// EINVAL a key that is not net.* or is malformed, or `key`/`buf` NULL, ERANGE `buf` is too
/// small (the message says how many bytes are needed), EBADF `ns` is not open. Thread: enters `ns` on
/// the calling thread for the call only (/proc/sys/net follows the thread's netns); the thread
/// is back in its own before the call returns, also on failure; other threads are unaffected.
///
/// # Safety
/// `key` NUL-terminated; `buf` valid for `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn nsrun_sysctl_get(
    ns: c_int,
    key: *const c_char,
    buf: *mut c_char,
    size: usize,
) -> c_int {
    boundary(|| {
        const F: &str = "nsrun_sysctl_get";
        // SAFETY: forwarded from this function's contract.
        let key = unsafe { c_utf8(key, F, "key") }?;
        let value = nsrun::sysctl::get(ns_arg(ns)?.as_ref(), key)?;
        // SAFETY: forwarded from this function's contract.
        unsafe { copy_out(F, &value, buf, size) }
    })
}

/// Writes `value` to sysctl `key` in network namespace `ns` (-1: the calling thread's), like
/// `ip netns exec NS sysctl -w KEY=VALUE`; the host's value is untouched. Only net.* keys (use
/// nsrun_sysctl_set_host() for others). Returns 0, or -1 with errno: ENOENT no such key, EINVAL
/// a key that is not net.* or is malformed, or a value the kernel refuses, EPERM/EACCES not
/// allowed, EBADF `ns` is not open. Thread: enters `ns` on the
/// calling thread for the call only; the thread is back in its own before the call returns,
/// also on failure; other threads are unaffected.
///
/// # Safety
/// `key`, `value` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_sysctl_set(
    ns: c_int,
    key: *const c_char,
    value: *const c_char,
) -> c_int {
    boundary(|| {
        const F: &str = "nsrun_sysctl_set";
        // SAFETY: forwarded from this function's contract.
        let (key, value) = unsafe { (c_utf8(key, F, "key")?, c_utf8(value, F, "value")?) };
        nsrun::sysctl::set(ns_arg(ns)?.as_ref(), key, value)?;
        Ok(0)
    })
}

/// Reads any sysctl `key` as the calling thread sees /proc/sys (for a thread in the host's
/// namespaces: the host's value). Returns the length, or -1 with errno as nsrun_sysctl_get().
/// Thread: enters nothing.
///
/// # Safety
/// `key` NUL-terminated; `buf` valid for `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn nsrun_sysctl_get_host(
    key: *const c_char,
    buf: *mut c_char,
    size: usize,
) -> c_int {
    boundary(|| {
        const F: &str = "nsrun_sysctl_get_host";
        // SAFETY: forwarded from this function's contract.
        let key = unsafe { c_utf8(key, F, "key") }?;
        let value = nsrun::sysctl::get_host(key)?;
        // SAFETY: forwarded from this function's contract.
        unsafe { copy_out(F, &value, buf, size) }
    })
}

/// Writes any sysctl `key` as the calling thread sees /proc/sys: on the host, this changes the
/// host. Returns 0, or -1 with errno as nsrun_sysctl_set(). Thread: enters nothing.
///
/// # Safety
/// `key`, `value` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_sysctl_set_host(key: *const c_char, value: *const c_char) -> c_int {
    boundary(|| {
        const F: &str = "nsrun_sysctl_set_host";
        // SAFETY: forwarded from this function's contract.
        let (key, value) = unsafe { (c_utf8(key, F, "key")?, c_utf8(value, F, "value")?) };
        nsrun::sysctl::set_host(key, value)?;
        Ok(0)
    })
}
