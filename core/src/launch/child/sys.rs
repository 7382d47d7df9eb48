//! Small helpers for code between clone and exec: errno, failure reports, /proc/self/fd paths.

use std::os::raw::{c_char, c_int};

use crate::launch::plan::Plan;
use crate::launch::wire::{Record, Stage};

pub(super) fn errno() -> c_int {
    // SAFETY: reads this thread's errno slot. (A child cloned with CLONE_VM shares the slot of
    // the launcher thread that cloned it; that thread is suspended or blocked meanwhile.)
    unsafe { *libc::__errno_location() }
}

pub(super) fn set_errno(e: c_int) {
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = e }
}

/// Writes a failure record to `fd` with one write(2). Async-signal-safe.
pub(super) fn report(fd: c_int, r: &Record) {
    let b = r.as_bytes();
    // SAFETY: write(2) of a buffer we own.
    unsafe { libc::write(fd, b.as_ptr().cast(), b.len()) };
}

/// Reports a failure to the launcher and exits. Async-signal-safe.
pub(super) fn fail(plan: &Plan, stage: Stage, path: &[u8], code: c_int) -> ! {
    report(plan.err_w, &Record::new(stage, errno(), 0, path));
    // SAFETY: _exit is async-signal-safe and does not return.
    unsafe { libc::_exit(code) }
}

/// The decimal digits of `v` and their count; the bytes after them are 0, so the array is also
/// a C string. (No allocation: used between clone and exec.)
pub(super) fn decimal(mut v: u32) -> ([u8; 12], usize) {
    let mut digits = [0u8; 12];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (v % 10) as u8;
        len += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    digits[..len].reverse();
    (digits, len)
}

/// `"/proc/self/fd/N\0"` in a stack buffer.
pub(super) struct FdPath([u8; 32]);

impl FdPath {
    pub(super) fn new(fd: c_int) -> FdPath {
        let mut b = [0u8; 32];
        let prefix = b"/proc/self/fd/";
        b[..prefix.len()].copy_from_slice(prefix);
        let (digits, len) = decimal(fd as u32);
        b[prefix.len()..prefix.len() + len].copy_from_slice(&digits[..len]);
        FdPath(b)
    }
    pub(super) fn ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }
}
