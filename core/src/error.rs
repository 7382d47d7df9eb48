//! One error type for the whole core. Every variant says what was attempted, on which path,
//! and why; [`Error::errno`] gives the errno the C ABI and Python expose.

use std::fmt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use crate::{Kind, NsId};

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps an optional path so `Display` can print "" or " PATH".
#[derive(Debug)]
pub struct OptPath(pub Option<PathBuf>);

impl fmt::Display for OptPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(p) => write!(f, " {}", p.display()),
            None => Ok(()),
        }
    }
}

/// What went wrong in nsrun.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A system call failed.
    #[error("{op}{path}: {errno}", errno = .errno.desc())]
    Sys {
        /// What was attempted, e.g. `"open namespace"`, `"bind-mount namespace onto"`.
        op: &'static str,
        path: OptPath,
        errno: Errno,
    },

    /// The path exists but is not a namespace file (not on nsfs).
    #[error("{path}: not a namespace file ({what})", path = .path.display())]
    NotANamespace { path: PathBuf, what: String },

    /// The namespace is of another kind than the one asked for.
    #[error("{path}: is a {found} namespace, not {expected}", path = .path.display())]
    WrongKind {
        path: PathBuf,
        expected: Kind,
        found: Kind,
    },

    /// `persist` onto a path where a namespace is already bind-mounted.
    #[error("persist {path}: already holds {existing_kind}:[{ino}] (join it, or unpersist it first)",
            path = .path.display(), ino = .existing.ino)]
    AlreadyPersisted {
        path: PathBuf,
        existing_kind: Kind,
        existing: NsId,
    },

    /// `unpersist` of a path that holds no namespace.
    #[error("unpersist {path}: no namespace is bound there", path = .path.display())]
    NotPersisted { path: PathBuf },

    /// A value given by the caller was refused before any system call.
    #[error("{op}: {what} {value:?} {reason}")]
    InvalidArgument {
        op: &'static str,
        what: &'static str,
        value: String,
        reason: &'static str,
        errno: Errno,
    },

    /// Launching a program failed; `stage` says where (in the child, before exec, or while
    /// preparing it).
    #[error("launch: {stage}{path}: {reason}", reason = launch_reason(*.stage, *.errno, *.status))]
    Launch {
        stage: crate::launch::Stage,
        errno: Errno,
        /// For the boot stage: the wait status of the boot command.
        status: Option<i32>,
        path: OptPath,
    },

    /// A network interface operation failed (ENODEV: no such interface).
    #[error("{op} {name}: {reason}", reason = if *.errno == Errno::ENODEV { "no such interface" } else { .errno.desc() })]
    Link {
        op: &'static str,
        /// The interface (or route destination) concerned.
        name: String,
        errno: Errno,
    },

    /// setns/unshare of a mount or user namespace from a process with several threads.
    #[error(
        "{op} {kind}: the kernel refuses this in a multithreaded process ({threads} threads); \
             do it in a single-threaded child or before starting threads"
    )]
    MultiThreaded {
        op: &'static str,
        kind: Kind,
        threads: usize,
    },
}

impl Error {
    /// A failed system call on `path`.
    pub fn sys(op: &'static str, path: impl AsRef<Path>, errno: Errno) -> Self {
        Error::Sys {
            op,
            path: OptPath(Some(path.as_ref().to_path_buf())),
            errno,
        }
    }

    /// A failed system call that concerns no path.
    pub fn sys_nopath(op: &'static str, errno: Errno) -> Self {
        Error::Sys {
            op,
            path: OptPath(None),
            errno,
        }
    }

    /// The errno that describes this error (what C's `errno` and Python's `OSError.errno` get).
    pub fn errno(&self) -> Errno {
        match self {
            Error::Sys { errno, .. }
            | Error::InvalidArgument { errno, .. }
            | Error::Link { errno, .. } => *errno,
            Error::Launch { errno, .. } if *errno != Errno::UnknownErrno => *errno,
            Error::Launch { .. } => Errno::ECHILD,
            Error::NotANamespace { .. } | Error::WrongKind { .. } | Error::MultiThreaded { .. } => {
                Errno::EINVAL
            }
            Error::AlreadyPersisted { .. } => Errno::EEXIST,
            Error::NotPersisted { .. } => Errno::EINVAL,
        }
    }

    /// The path the error is about, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Sys { path, .. } | Error::Launch { path, .. } => path.0.as_deref(),
            Error::NotANamespace { path, .. }
            | Error::WrongKind { path, .. }
            | Error::AlreadyPersisted { path, .. }
            | Error::NotPersisted { path } => Some(path),
            Error::InvalidArgument { .. } | Error::MultiThreaded { .. } | Error::Link { .. } => {
                None
            }
        }
    }
}

/// Turns a nix result into ours, naming the operation and path.
pub(crate) trait Context<T> {
    fn ctx(self, op: &'static str, path: impl AsRef<Path>) -> Result<T>;
    fn ctx_nopath(self, op: &'static str) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, Errno> {
    fn ctx(self, op: &'static str, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| Error::sys(op, path, e))
    }
    fn ctx_nopath(self, op: &'static str) -> Result<T> {
        self.map_err(|e| Error::sys_nopath(op, e))
    }
}

impl<T> Context<T> for std::io::Result<T> {
    fn ctx(self, op: &'static str, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| Error::sys(op, path, io_errno(&e)))
    }
    fn ctx_nopath(self, op: &'static str) -> Result<T> {
        self.map_err(|e| Error::sys_nopath(op, io_errno(&e)))
    }
}

/// The errno of an I/O error (EIO if it carries none).
pub(crate) fn io_errno(e: &std::io::Error) -> Errno {
    e.raw_os_error().map(Errno::from_raw).unwrap_or(Errno::EIO)
}

fn launch_reason(stage: crate::launch::Stage, errno: Errno, status: Option<i32>) -> String {
    use crate::launch::Stage;
    match (stage, errno, status) {
        (Stage::Boot, _, Some(st)) if libc::WIFSIGNALED(st) => {
            format!("boot command was killed by signal {}", libc::WTERMSIG(st))
        }
        (Stage::Boot, _, Some(st)) => {
            format!("boot command exited with status {}", libc::WEXITSTATUS(st))
        }
        (Stage::Exec, Errno::ENOENT, _) => "program not found".into(),
        (Stage::MountPropagation, Errno::EINVAL, _) => {
            "the launcher's root is not a mount point (is it running in a chroot?): its mount \
             propagation cannot be made private, so nothing is mounted"
                .into()
        }
        (Stage::Exec, Errno::EACCES, _) => "not executable (permission denied)".into(),
        (
            Stage::MountProc | Stage::MountSys | Stage::MountDev | Stage::MountRootfs,
            Errno::ENOENT,
            _,
        ) => "no such file or directory in the rootfs".into(),
        (_, e, _) => e.desc().into(),
    }
}
