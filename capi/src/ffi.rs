//! The panic boundary, the per-thread last error, and argument conversion. Every `extern "C"`
//! body goes through [`boundary`]; NULL checks go through the macro family here ([`non_null!`],
//! [`handle_mut!`], [`callback!`]), descriptor checks through [`c_ns`]; list walks through
//! [`visit_each`].

use std::cell::RefCell;
use std::ffi::{CStr, CString, OsStr};
use std::os::raw::{c_char, c_int};
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use nsrun::{Kind, Namespace};

/// A failure on its way to C: the message for `nsrun_last_error` and the errno.
pub struct Failure {
    pub message: String,
    pub errno: c_int,
}

impl From<nsrun::Error> for Failure {
    fn from(e: nsrun::Error) -> Self {
        Failure {
            message: e.to_string(),
            errno: e.errno().raw(),
        }
    }
}

impl Failure {
    pub fn new(errno: c_int, message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            errno,
        }
    }

    /// EINVAL "FUNC: ARG is NULL": what every NULL check reports.
    pub fn null(func: &str, arg: &str) -> Self {
        Failure::new(libc::EINVAL, format!("{func}: {arg} is NULL"))
    }
}

/// `non_null!(ptr, "func", "arg")`: the pointer unchanged, or returns `Err(Failure::null(..))`
/// from the enclosing function (one NULL-check style for every argument).
macro_rules! non_null {
    ($p:expr, $func:expr, $arg:expr) => {{
        let p = $p;
        if p.is_null() {
            return Err($crate::ffi::Failure::null($func, $arg));
        }
        p
    }};
}
pub(crate) use non_null;

/// `handle_mut!(ptr, "func", "arg")`: `&mut` to an opaque handle this library made with
/// `Box::into_raw`, after [`non_null!`].
macro_rules! handle_mut {
    ($p:expr, $func:expr, $arg:expr) => {{
        let p = $crate::ffi::non_null!($p, $func, $arg);
        // SAFETY: a non-NULL handle pointer comes from this library's constructor
        // (Box::into_raw), is not freed yet and is not used by two threads at once, as the
        // documented contract of every function taking one says.
        unsafe { &mut *p }
    }};
}
pub(crate) use handle_mut;

/// `callback!(visit, "func", "arg")`: the function of a nullable C callback, or
/// `Err(Failure::null(..))`.
macro_rules! callback {
    ($f:expr, $func:expr, $arg:expr) => {
        match $f {
            Some(f) => f,
            None => return Err($crate::ffi::Failure::null($func, $arg)),
        }
    };
}
pub(crate) use callback;

/// The callback walk of every `*_list` function: calls `visit` on each item in order and stops
/// at the first non-zero return, which becomes the result (0 when the walk completes).
pub fn visit_each<T>(
    items: impl IntoIterator<Item = T>,
    mut visit: impl FnMut(T) -> c_int,
) -> c_int {
    for item in items {
        let r = visit(item);
        if r != 0 {
            return r;
        }
    }
    0
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(f: Failure) {
    let msg = CString::new(f.message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|l| *l.borrow_mut() = msg);
    // SAFETY: __errno_location returns this thread's errno slot, always valid to write.
    unsafe { *libc::__errno_location() = f.errno };
}

/// Pointer to this thread's last message; valid until the next failing call on this thread.
pub fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|l| l.borrow().as_ptr())
}

/// Runs `f`, turning an error into -1 + errno + last error, and a panic into the same (EIO),
/// so that nothing unwinds into C.
pub fn boundary(f: impl FnOnce() -> Result<c_int, Failure>) -> c_int {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(failure)) => {
            set_last_error(failure);
            -1
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(Failure::new(
                libc::EIO,
                format!("nsrun: internal error (please report): {what}"),
            ));
            -1
        }
    }
}

/// Like [`boundary`] for functions returning a pointer: NULL on failure.
pub fn boundary_ptr<T>(f: impl FnOnce() -> Result<*mut T, Failure>) -> *mut T {
    let mut out = std::ptr::null_mut();
    boundary(|| {
        out = f()?;
        Ok(0)
    });
    out
}

/// A NULL-terminated array of C strings (argv, envp).
///
/// # Safety
/// `p` is NULL or a NULL-terminated array of NUL-terminated strings, valid for the call.
pub unsafe fn c_str_array(
    p: *const *const c_char,
    func: &str,
    arg: &str,
) -> Result<Vec<std::ffi::OsString>, Failure> {
    let p = non_null!(p, func, arg);
    let mut out = Vec::new();
    for i in 0.. {
        // SAFETY: the array is NULL-terminated by contract, so every index up to the NULL is valid.
        let item = unsafe { *p.add(i) };
        if item.is_null() {
            break;
        }
        // SAFETY: each item is a NUL-terminated string by contract.
        out.push(OsStr::from_bytes(unsafe { CStr::from_ptr(item) }.to_bytes()).to_os_string());
    }
    Ok(out)
}

/// A C string argument as bytes; NULL is EINVAL naming the argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for the call.
pub unsafe fn c_str<'a>(p: *const c_char, func: &str, arg: &str) -> Result<&'a CStr, Failure> {
    let p = non_null!(p, func, arg);
    // SAFETY: non-NULL and, by the caller's contract, NUL-terminated and alive for 'a.
    Ok(unsafe { CStr::from_ptr(p) })
}

/// A path argument (any bytes but NUL).
///
/// # Safety
/// As [`c_str`].
pub unsafe fn c_path<'a>(p: *const c_char, func: &str, arg: &str) -> Result<&'a Path, Failure> {
    // SAFETY: forwarded contract.
    let s = unsafe { c_str(p, func, arg) }?;
    Ok(Path::new(OsStr::from_bytes(s.to_bytes())))
}

/// A UTF-8 string argument (netns names).
///
/// # Safety
/// As [`c_str`].
pub unsafe fn c_utf8<'a>(p: *const c_char, func: &str, arg: &str) -> Result<&'a str, Failure> {
    // SAFETY: forwarded contract.
    let s = unsafe { c_str(p, func, arg) }?;
    s.to_str()
        .map_err(|_| Failure::new(libc::EINVAL, format!("{func}: {arg} is not valid UTF-8")))
}

/// An optional kind: 0 means any, otherwise a `NSRUN_*` (= `CLONE_NEW*`) value.
pub fn c_kind_opt(kind: c_int, func: &str) -> Result<Option<Kind>, Failure> {
    if kind == 0 {
        return Ok(None);
    }
    c_kind(kind, func).map(Some)
}

/// A required kind.
pub fn c_kind(kind: c_int, func: &str) -> Result<Kind, Failure> {
    Kind::from_flag(kind).ok_or_else(|| {
        Failure::new(
            libc::EINVAL,
            format!("{func}: {kind:#x} is not a namespace kind (use NSRUN_MNT … NSRUN_TIME)"),
        )
    })
}

/// A namespace descriptor the caller keeps: checked to be open and a namespace (of `kind`).
pub fn c_ns(fd: c_int, kind: Option<Kind>) -> Result<Namespace, Failure> {
    Ok(Namespace::from_raw_fd_dup(fd, kind)?)
}

/// Hands a descriptor's ownership to C.
pub fn give_fd(ns: Namespace) -> c_int {
    use std::os::fd::IntoRawFd;
    ns.into_fd().into_raw_fd()
}
