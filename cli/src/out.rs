//! A closed stdout (`nsrun ls | head -1`) ends nsrun the way it ends coreutils: quietly, with
//! status 141 (killed by SIGPIPE), never a panic from `println!`.

use std::io::{self, Write};

/// The status of a command killed by SIGPIPE, as a shell reports it.
pub const SIGPIPE_STATUS: i32 = 128 + libc::SIGPIPE;

/// Gives SIGPIPE its default disposition and unblocks it, once, before anything is printed:
/// Rust (and Python, for the console script) start with SIGPIPE ignored, which turns a write
/// to a closed pipe into EPIPE and `println!` into a panic.
pub fn default_sigpipe() {
    // SAFETY: installing SIG_DFL has no handler to be unsafe about; the set is initialised by
    // sigemptyset before use and only SIGPIPE is unblocked, in this thread.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
}

/// The final status: flushes stdout; if it (or an earlier print, `failed`) found the reader
/// gone, 141 without a message, else `code`.
pub fn finish(code: i32, failed: Option<io::Error>) -> i32 {
    let flushed = io::stdout().flush().err();
    match failed.or(flushed) {
        Some(e) if e.kind() == io::ErrorKind::BrokenPipe => SIGPIPE_STATUS,
        _ => code,
    }
}
