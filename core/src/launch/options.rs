//! The options of a launch, as plain data: what the builder ([`super::Launch`]'s methods in
//! `mod.rs`) fills in and the plan reads. No logic here.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use crate::{Kind, Namespace};

/// What a launched program gets for one namespace kind.
#[derive(Debug)]
pub enum NsMode {
    /// The launcher's own namespace.
    Inherit,
    /// A new namespace.
    New,
    /// An existing namespace (e.g. `netns::open("lab")`, `Namespace::open(path)`).
    Join(Namespace),
}

/// Where a standard stream of the launched program goes.
#[derive(Debug)]
pub enum Stdio {
    /// The launcher's own stream.
    Inherit,
    /// `/dev/null`.
    Null,
    /// A new pipe; the launcher's end is in [`crate::Child::stdin`] / `stdout` / `stderr`.
    Piped,
    /// This descriptor (the launcher keeps its own copy).
    Fd(OwnedFd),
}

impl Stdio {
    /// A duplicate of descriptor `fd`, which stays the caller's (EBADF if it is not open).
    pub fn from_raw_fd_dup(fd: std::os::fd::RawFd) -> crate::Result<Stdio> {
        crate::sys::dup_raw_cloexec(fd)
            .map(Stdio::Fd)
            .map_err(|errno| {
                crate::Error::invalid(
                    "launch",
                    "stdio descriptor",
                    fd.to_string(),
                    "is not an open file descriptor",
                )
                .with_errno(crate::Errno::of(errno))
            })
    }
}

/// A host path bind-mounted into the launched program's root.
#[derive(Clone, Debug)]
pub struct BindMount {
    pub source: PathBuf,
    /// Inside the rootfs (resolved there; symlinks cannot lead out of it).
    pub target: PathBuf,
    pub read_only: bool,
}

/// One line of a uid or gid map (user_namespaces(7)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdMap {
    pub inside: u32,
    pub outside: u32,
    pub count: u32,
}

/// Builder for a program launched in namespaces, like `std::process::Command`.
///
/// Defaults: new mnt, pid, uts and ipc namespaces, the others inherited; a fresh /proc; the
/// tiny init as PID 1; stdio inherited; environment inherited; the default isolation (a
/// reduced capability bounding set, a seccomp filter against block devices and host-wide
/// kernel interfaces, runc's masked and read-only /proc and /sys paths; see
/// [`Launch::privileged`]).
#[derive(Debug)]
pub struct Launch {
    pub(crate) argv: Vec<OsString>,
    pub(crate) rootfs: Option<PathBuf>,
    pub(crate) namespaces: BTreeMap<Kind, NsMode>,
    pub(crate) hostname: Option<String>,
    pub(crate) binds: Vec<BindMount>,
    pub(crate) env: Option<Vec<(OsString, OsString)>>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) uid: Option<u32>,
    pub(crate) gid: Option<u32>,
    pub(crate) uid_map: Vec<IdMap>,
    pub(crate) gid_map: Vec<IdMap>,
    pub(crate) stdin: Stdio,
    pub(crate) stdout: Stdio,
    pub(crate) stderr: Stdio,
    pub(crate) pass_fds: Vec<(OwnedFd, i32)>,
    pub(crate) boot: Option<Vec<OsString>>,
    pub(crate) shutdown: Option<Vec<OsString>>,
    pub(crate) init: bool,
    /// No program: the init alone ([`Launch::hold`]).
    pub(crate) hold: bool,
    pub(crate) interactive: bool,
    pub(crate) host_dev: bool,
    pub(crate) proc_sys_writable: bool,
    pub(crate) private_propagation: bool,
    pub(crate) privileged: bool,
    pub(crate) userns: bool,
    /// None: rootless when the caller lacks CAP_SYS_ADMIN.
    pub(crate) rootless: Option<bool>,
}

impl Launch {
    /// The mode for `kind`.
    pub fn namespace_mode(&self, kind: Kind) -> &NsMode {
        &self.namespaces[&kind]
    }
}
