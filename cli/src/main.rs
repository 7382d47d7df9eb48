//! The `nsrun` binary: everything is in the library (`nsrun_cli`), which the Python wheel's
//! console script runs too.
//!
//! `#![no_main]`: the C `main` below is the entry point, without Rust's runtime set-up, which
//! for a command that lives a few milliseconds is a measurable share of its CPU: it reads
//! /proc/self/maps to find the main thread's stack guard and installs an alternate signal
//! stack with SIGSEGV/SIGBUS handlers, only to print "stack overflow" instead of dying by the
//! signal. The kernel's guard gap below the main stack stays; SIGPIPE, which the runtime would
//! ignore, gets its default disposition from `main_from_args` either way. `std::env::args_os`
//! still works: std takes argv from glibc's init hooks, not from this function. (`cargo test`
//! builds this file with its own harness `main`, so not there.)
#![cfg_attr(not(test), no_main)]

/// Called once by the C runtime with the process's argc/argv.
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn main(
    _argc: std::os::raw::c_int,
    _argv: *const *const std::os::raw::c_char,
) -> std::os::raw::c_int {
    std::process::exit(nsrun_cli::main_from_args(std::env::args_os()));
}
