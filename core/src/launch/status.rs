//! How a launched or exec'd program ended, and how a failure record becomes an error.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use super::wire::{Record, Stage};
use crate::error::Error;

/// How a launched program ended (the init's status: the payload's code, or 128+signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    /// Killed by this signal (only the init itself can end this way, e.g. by SIGKILL).
    Signaled(i32),
}

impl ExitStatus {
    pub(crate) fn from_wait(status: i32) -> ExitStatus {
        if libc::WIFSIGNALED(status) {
            ExitStatus::Signaled(libc::WTERMSIG(status))
        } else {
            ExitStatus::Exited(libc::WEXITSTATUS(status))
        }
    }

    /// The exit code, if it exited.
    pub fn code(self) -> Option<i32> {
        match self {
            ExitStatus::Exited(c) => Some(c),
            ExitStatus::Signaled(_) => None,
        }
    }

    /// Like `subprocess.Popen.returncode`: the code, or minus the signal.
    pub fn returncode(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c,
            ExitStatus::Signaled(s) => -s,
        }
    }

    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }
}

/// The error a failure record stands for.
pub(crate) fn record_error(r: &Record) -> Error {
    let path = r.path_bytes();
    Error::Launch {
        stage: r.stage(),
        errno: crate::Errno::from_raw(r.errno),
        status: (r.stage() == Stage::Boot).then_some(r.status),
        path: (!path.is_empty()).then(|| OsStr::from_bytes(path).into()),
    }
}
