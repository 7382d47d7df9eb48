//! `cli_main`: the `nsrun` command line inside the extension module, so the wheel's `nsrun`
//! console script (`nsrun._cli:main`) is the same program as the `nsrun` binary.

use std::ffi::OsString;

use pyo3::prelude::*;

/// Runs the `nsrun` command line `argv` (`argv[0]` is the program name) and returns its exit
/// status. It takes over the process like a command's `main` (SIGPIPE default, supervised
/// signals blocked in this thread): for the console script, not for library use.
#[pyfunction]
pub fn cli_main(py: Python<'_>, argv: Vec<OsString>) -> i32 {
    py.detach(|| nsrun_cli::main_from_args(argv))
}
