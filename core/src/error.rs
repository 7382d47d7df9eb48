//! One error type for the whole core. Every variant says what was attempted, on which path,
//! and why; [`Error::errno`] gives the errno the C ABI and Python expose.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::{Errno, Kind, NsId};

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Formats an optional path as "" or " PATH" (for the messages below).
struct OptPath<'a>(&'a Option<PathBuf>);

impl fmt::Display for OptPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
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
    #[error("{op}{path}: {errno}", path = OptPath(.path))]
    Sys {
        /// What was attempted, e.g. `"open namespace"`, `"bind-mount namespace onto"`.
        op: &'static str,
        /// The path concerned (None when the call has none, e.g. `unshare`).
        path: Option<PathBuf>,
        /// What the kernel said.
        errno: Errno,
    },

    /// The path exists but is not a namespace file (not on nsfs).
    #[error("{path}: not a namespace file ({what})", path = .path.display())]
    NotANamespace {
        /// The file.
        path: PathBuf,
        /// What it is instead ("a regular file on ext4", …).
        what: String,
    },

    /// The namespace is of another kind than the one asked for.
    #[error("{path}: is a {found} namespace, not {expected}", path = .path.display())]
    WrongKind {
        /// The namespace file.
        path: PathBuf,
        /// The kind asked for.
        expected: Kind,
        /// The kind it is.
        found: Kind,
    },

    /// `persist` onto a path where a namespace is already bind-mounted.
    #[error("persist {path}: already holds {existing_kind}:[{ino}] (join it, or unpersist it first)",
            path = .path.display(), ino = .existing.ino)]
    AlreadyPersisted {
        /// The path asked for.
        path: PathBuf,
        /// The kind of the namespace already there.
        existing_kind: Kind,
        /// Its identity.
        existing: NsId,
    },

    /// `unpersist` of a path that holds no namespace.
    #[error("unpersist {path}: no namespace is bound there", path = .path.display())]
    NotPersisted {
        /// The path.
        path: PathBuf,
    },

    /// A value given by the caller was refused before any system call.
    #[error("{op}: {what} {value:?} {reason}")]
    InvalidArgument {
        /// The operation (`"netns"`, `"launch"`, …).
        op: &'static str,
        /// Which argument (`"name"`, `"hostname"`, …).
        what: &'static str,
        /// The value given.
        value: String,
        /// Why it was refused ("contains '/'").
        reason: &'static str,
        /// The errno C and Python report (EINVAL unless said otherwise).
        errno: Errno,
    },

    /// Launching a program failed; `stage` says where (in the child, before exec, or while
    /// preparing it).
    #[error("launch: {stage}{path}: {reason}", path = OptPath(.path),
            reason = launch_reason(*.stage, *.errno, *.status))]
    Launch {
        /// The step that failed.
        stage: crate::launch::Stage,
        /// What the kernel said (or the errno nsrun chose for a non-syscall failure).
        errno: Errno,
        /// For the boot stage: the wait status of the boot command.
        status: Option<i32>,
        /// The path concerned, if any (the program, a mount target, …).
        path: Option<PathBuf>,
    },

    /// A network interface operation failed (ENODEV: no such interface).
    #[error("{}", link_message(.op, .name, .netns, *.errno))]
    Link {
        /// What was attempted (`"set up"`, `"add address"`, …).
        op: &'static str,
        /// The interface concerned.
        name: String,
        /// The network namespace it was looked for in: its name in /run/netns, its path, or
        /// its id (`net:[4026532279]`).
        netns: String,
        /// What the kernel said (netlink's error).
        errno: Errno,
    },

    /// A route operation failed; EEXIST names the route that exists, ESRCH the one missing.
    #[error("{}", route_message(.op, .route, .netns, *.errno))]
    Route {
        /// What was attempted (`"add route"`, `"delete route"`, …).
        op: &'static str,
        /// The route as `ip route` would show its key: "198.18.0.0/24 via 198.18.1.1",
        /// "default dev eth1".
        route: String,
        /// The network namespace, named as in [`Error::Link`].
        netns: String,
        /// What the kernel said (EEXIST, ESRCH, …).
        errno: Errno,
    },

    /// Reading or writing a sysctl under /proc/sys failed.
    #[error("{op} {key}{ns}: {reason} ({path})", path = .path.display(),
            ns = .netns.as_ref().map(|n| format!(" in netns {n}")).unwrap_or_default(),
            reason = if *.errno == Errno::ENOENT { "no such sysctl" } else { .errno.desc() })]
    Sysctl {
        /// `"read sysctl"` or `"write sysctl"`.
        op: &'static str,
        /// The key as given: "net.ipv4.ip_forward".
        key: String,
        /// The network namespace (None: the host's view, asked for explicitly).
        netns: Option<String>,
        /// The file under /proc/sys.
        path: PathBuf,
        /// What the kernel said.
        errno: Errno,
    },

    /// setns/unshare of a mount or user namespace from a process with several threads.
    #[error(
        "{op} {kind}: the kernel refuses this in a multithreaded process ({threads} threads); \
             do it in a single-threaded child or before starting threads"
    )]
    MultiThreaded {
        /// `"enter"` or `"create"`.
        op: &'static str,
        /// The namespace kind.
        kind: Kind,
        /// How many threads the process had.
        threads: usize,
    },

    /// A rootless operation the host or the kernel refuses to an ordinary user; the reason
    /// names what to change ([`crate::rootless::check`]).
    #[error("{op}: {reason}")]
    Rootless {
        /// What was attempted (`"launch"`, `"netns add"`, …).
        op: &'static str,
        /// Why, and the switch to change.
        reason: String,
        /// EPERM (refused by the host) or EINVAL (not possible in this mapping).
        errno: Errno,
    },

    /// A lab: a refused topology, or a step of bring-up, teardown or a node command.
    #[error(transparent)]
    Lab(#[from] crate::lab::LabError),
}

impl Error {
    /// A failed system call on `path`.
    pub(crate) fn sys(op: &'static str, path: impl AsRef<Path>, errno: nix::errno::Errno) -> Self {
        Error::Sys {
            op,
            path: Some(path.as_ref().to_path_buf()),
            errno: Errno::of(errno),
        }
    }

    /// A failed system call that concerns no path.
    pub(crate) fn sys_nopath(op: &'static str, errno: nix::errno::Errno) -> Self {
        Error::Sys {
            op,
            path: None,
            errno: Errno::of(errno),
        }
    }

    /// A value the caller gave was refused before any system call: `op` is what was attempted,
    /// `what` names the argument, `reason` completes "VALUE …". errno is EINVAL (see
    /// [`Error::with_errno`]).
    pub fn invalid(
        op: &'static str,
        what: &'static str,
        value: impl Into<String>,
        reason: &'static str,
    ) -> Self {
        Error::InvalidArgument {
            op,
            what,
            value: value.into(),
            reason,
            errno: Errno::EINVAL,
        }
    }

    /// The same [`Error::InvalidArgument`] with a more precise errno (EEXIST, ELOOP, EBADF…);
    /// other variants are returned unchanged.
    pub fn with_errno(mut self, errno: Errno) -> Self {
        if let Error::InvalidArgument { errno: e, .. } = &mut self {
            *e = errno;
        }
        self
    }

    /// The errno that describes this error (what C's `errno` and Python's `OSError.errno` get).
    pub fn errno(&self) -> Errno {
        match self {
            Error::Sys { errno, .. }
            | Error::InvalidArgument { errno, .. }
            | Error::Link { errno, .. }
            | Error::Route { errno, .. }
            | Error::Sysctl { errno, .. }
            | Error::Rootless { errno, .. } => *errno,
            Error::Launch { errno, .. } if errno.raw() != 0 => *errno,
            Error::Launch { .. } => Errno::ECHILD,
            Error::NotANamespace { .. } | Error::WrongKind { .. } | Error::MultiThreaded { .. } => {
                Errno::EINVAL
            }
            Error::AlreadyPersisted { .. } => Errno::EEXIST,
            Error::NotPersisted { .. } => Errno::EINVAL,
            Error::Lab(e) => e.errno(),
        }
    }

    /// The path the error is about, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Sys { path, .. } | Error::Launch { path, .. } => path.as_deref(),
            Error::Sysctl { path, .. } => Some(path),
            Error::NotANamespace { path, .. }
            | Error::WrongKind { path, .. }
            | Error::AlreadyPersisted { path, .. }
            | Error::NotPersisted { path } => Some(path),
            Error::InvalidArgument { .. }
            | Error::MultiThreaded { .. }
            | Error::Link { .. }
            | Error::Route { .. }
            | Error::Rootless { .. } => None,
            Error::Lab(e) => e.path(),
        }
    }
}

/// Turns a nix result into ours, naming the operation and path.
pub(crate) trait Context<T> {
    fn ctx(self, op: &'static str, path: impl AsRef<Path>) -> Result<T>;
    fn ctx_nopath(self, op: &'static str) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, nix::errno::Errno> {
    fn ctx(self, op: &'static str, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| Error::sys(op, path, e))
    }
    fn ctx_nopath(self, op: &'static str) -> Result<T> {
        self.map_err(|e| Error::sys_nopath(op, e))
    }
}

impl<T> Context<T> for std::io::Result<T> {
    fn ctx(self, op: &'static str, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| Error::sys(op, path, io_errno_nix(&e)))
    }
    fn ctx_nopath(self, op: &'static str) -> Result<T> {
        self.map_err(|e| Error::sys_nopath(op, io_errno_nix(&e)))
    }
}

/// The errno of an I/O error (EIO if it carries none).
pub(crate) fn io_errno(e: &std::io::Error) -> Errno {
    e.raw_os_error().map(Errno::from_raw).unwrap_or(Errno::EIO)
}

/// [`io_errno`] as nix's type, for the crate-internal helpers that take one.
pub(crate) fn io_errno_nix(e: &std::io::Error) -> nix::errno::Errno {
    nix::errno::Errno::from_raw(io_errno(e).raw())
}

fn link_message(op: &str, name: &str, netns: &str, errno: Errno) -> String {
    let message = link_message_base(op, name, netns, errno);
    match (errno, op.strip_prefix("create ")) {
        // Rootless, the kernel's module autoloading is the only way in; say who can load it.
        (Errno::EOPNOTSUPP, Some(kind)) if !crate::rootless::privileged() => {
            let module = match kind {
                "vlan" => "8021q",
                other => other,
            };
            format!(
                "{message}; nsrun runs rootless here and an ordinary user cannot load kernel \
                 modules: as root, `modprobe {module}`"
            )
        }
        _ => message,
    }
}

fn link_message_base(op: &str, name: &str, netns: &str, errno: Errno) -> String {
    match errno {
        Errno::ENODEV => format!("{op} {name}: no such interface in netns {netns}"),
        Errno::EEXIST => {
            format!("{op} {name}: an interface of that name already exists in netns {netns}")
        }
        Errno::EOPNOTSUPP if op == "create vlan" => {
            format!("{op} {name} in netns {netns}: this kernel has no 802.1Q VLAN support (8021q)")
        }
        Errno::EOPNOTSUPP if op.starts_with("create ") => format!(
            "{op} {name} in netns {netns}: this kernel does not support that kind of interface"
        ),
        _ => format!("{op} {name} in netns {netns}: {}", errno.desc()),
    }
}

fn route_message(op: &str, route: &str, netns: &str, errno: Errno) -> String {
    match errno {
        Errno::EEXIST => format!("{op}: route {route} already exists in netns {netns}"),
        Errno::ESRCH => format!("{op}: no route {route} in netns {netns}"),
        Errno::ENETUNREACH => format!(
            "{op} {route} in netns {netns}: the gateway is on no connected network \
             (Network is unreachable)"
        ),
        _ => format!("{op} {route} in netns {netns}: {}", errno.desc()),
    }
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
        (Stage::Boot, Errno::ETIMEDOUT, None) => {
            "the boot command did not finish in time: the launch was killed".into()
        }
        (Stage::Init, Errno::ETIMEDOUT, None) => {
            "the program did not start in time: the launch was killed".into()
        }
        (Stage::Boot | Stage::Init, Errno::EINTR, None) => {
            "interrupted by a signal while the launch started: the launch was killed".into()
        }
        (Stage::Shutdown, Errno::ETIMEDOUT, None) => {
            "the shutdown command did not finish in time: the launch was killed".into()
        }
        (Stage::Namespace, Errno::ESRCH, _) => {
            "the launched program has ended (its pid may belong to another process now)".into()
        }
        (Stage::CheckRootfs, Errno::ELOOP, _) => {
            "resolves to the rootfs itself or through a symbolic link that leaves it: refused \
             before anything is mounted"
                .into()
        }
        (Stage::CheckRootfs, Errno::ENOTDIR, _) => {
            "is not a directory inside the rootfs (a directory is mounted here): refused before \
             anything is mounted"
                .into()
        }
        (Stage::CheckRootfs, Errno::EISDIR, _) => {
            "is a directory, but the bind source is a file: refused before anything is mounted"
                .into()
        }
        (Stage::CheckRootfs, Errno::ENOENT, _) => {
            "no such file or directory (nsrun creates no such mount point): refused before \
             anything is mounted"
                .into()
        }
        (_, e, _) => e.desc().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_helper_and_messages() {
        let e = Error::invalid("netns", "name", "a/b", "contains '/'");
        assert_eq!(e.errno(), Errno::EINVAL);
        assert_eq!(e.to_string(), "netns: name \"a/b\" contains '/'");
        assert_eq!(e.path(), None);
        let e = e.with_errno(Errno::EEXIST);
        assert_eq!(e.errno(), Errno::EEXIST);
        let sys = Error::sys("open namespace", "/x", nix::errno::Errno::ENOENT);
        assert_eq!(
            sys.to_string(),
            "open namespace /x: No such file or directory"
        );
        assert_eq!(sys.path(), Some(Path::new("/x")));
        let nopath = Error::sys_nopath("pipe2", nix::errno::Errno::EMFILE);
        assert_eq!(nopath.to_string(), "pipe2: Too many open files");
        // with_errno leaves other variants alone.
        assert_eq!(nopath.with_errno(Errno::EIO).errno().raw(), libc::EMFILE);
    }
}
