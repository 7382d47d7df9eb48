//! Starting a program inside new or joined namespaces, optionally in a rootfs: the [`Launch`]
//! builder and the [`Child`] handle.
//!
//! Process tree: the caller clones one child (C1) with every namespace that is to be new, so in a
//! new PID namespace C1 is PID 1. C1 joins the namespaces to be joined, prepares the mounts and
//! switches root, runs the boot command, forks the payload and then serves as the tiny init:
//! it reaps orphans, forwards signals to the payload, runs the shutdown command and exits with
//! the payload's status (code, or 128+signal). Everything that allocates happens before the
//! clone ([`plan`]); after it, only async-signal-safe system calls ([`child`]).

mod child;
mod handle;
mod plan;
mod report;
mod spawner;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::path::PathBuf;

pub use handle::{Child, ExitStatus, Signaller};
pub use report::Stage;

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
    /// A new pipe; the launcher's end is in [`Child::stdin`] / `stdout` / `stderr`.
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
/// tiny init as PID 1; stdio inherited; environment inherited.
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
    pub(crate) interactive: bool,
    pub(crate) host_dev: bool,
    pub(crate) proc_sys_writable: bool,
    pub(crate) private_propagation: bool,
}

impl Launch {
    /// A launch of `argv` (`argv[0]` is the program, looked up in `PATH` inside if it has no
    /// `/`).
    pub fn new<I, S>(argv: I) -> Launch
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut namespaces = BTreeMap::new();
        for k in Kind::ALL {
            let mode = match k {
                Kind::Mnt | Kind::Pid | Kind::Uts | Kind::Ipc => NsMode::New,
                _ => NsMode::Inherit,
            };
            namespaces.insert(k, mode);
        }
        Launch {
            argv: argv.into_iter().map(Into::into).collect(),
            rootfs: None,
            namespaces,
            hostname: None,
            binds: Vec::new(),
            env: None,
            cwd: None,
            uid: None,
            gid: None,
            uid_map: Vec::new(),
            gid_map: Vec::new(),
            stdin: Stdio::Inherit,
            stdout: Stdio::Inherit,
            stderr: Stdio::Inherit,
            pass_fds: Vec::new(),
            boot: None,
            shutdown: None,
            init: true,
            interactive: false,
            host_dev: false,
            proc_sys_writable: false,
            private_propagation: false,
        }
    }

    /// Runs the program with this directory as its root (pivot_root; chroot where / cannot be
    /// pivoted). Needs a new mount namespace.
    pub fn rootfs(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.rootfs = Some(dir.into());
        self
    }

    /// Sets what the program gets for namespace `kind`.
    pub fn namespace(&mut self, kind: Kind, mode: NsMode) -> &mut Self {
        self.namespaces.insert(kind, mode);
        self
    }

    /// Hostname in the new UTS namespace.
    pub fn hostname(&mut self, name: impl Into<String>) -> &mut Self {
        self.hostname = Some(name.into());
        self
    }

    /// Bind-mounts host `source` onto `target` inside the root.
    pub fn bind(
        &mut self,
        source: impl Into<PathBuf>,
        target: impl Into<PathBuf>,
        read_only: bool,
    ) -> &mut Self {
        self.binds.push(BindMount {
            source: source.into(),
            target: target.into(),
            read_only,
        });
        self
    }

    /// Replaces the environment (default: the launcher's).
    pub fn env_clear_and_set<I, K, V>(&mut self, vars: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<OsString>,
        V: Into<OsString>,
    {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Working directory inside (default: `/` with a rootfs, else the launcher's).
    pub fn cwd(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.cwd = Some(dir.into());
        self
    }

    /// uid and gid the program runs as (inside its user namespace, if it has a new one).
    pub fn user(&mut self, uid: u32, gid: u32) -> &mut Self {
        self.uid = Some(uid);
        self.gid = Some(gid);
        self
    }

    /// A new user namespace with these maps (written by the launcher, as newuidmap would).
    pub fn id_maps(&mut self, uid_map: Vec<IdMap>, gid_map: Vec<IdMap>) -> &mut Self {
        self.namespaces.insert(Kind::User, NsMode::New);
        self.uid_map = uid_map;
        self.gid_map = gid_map;
        self
    }

    /// A new user namespace where the launcher's uid and gid are root (`unshare -r`): lets an
    /// unprivileged user launch a rootfs.
    pub fn map_root_user(&mut self) -> &mut Self {
        // SAFETY: getuid/getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        self.id_maps(
            vec![IdMap {
                inside: 0,
                outside: uid,
                count: 1,
            }],
            vec![IdMap {
                inside: 0,
                outside: gid,
                count: 1,
            }],
        )
    }

    pub fn stdin(&mut self, s: Stdio) -> &mut Self {
        self.stdin = s;
        self
    }
    pub fn stdout(&mut self, s: Stdio) -> &mut Self {
        self.stdout = s;
        self
    }
    pub fn stderr(&mut self, s: Stdio) -> &mut Self {
        self.stderr = s;
        self
    }

    /// Passes `fd` to the program as descriptor number `target` (>= 3). Every other descriptor
    /// of the launcher is closed in the program.
    pub fn pass_fd(&mut self, fd: OwnedFd, target: i32) -> &mut Self {
        self.pass_fds.push((fd, target));
        self
    }

    /// A command run inside before the program (e.g. `/etc/rcS S boot`); if it fails, the
    /// launch fails with [`Stage::Boot`].
    pub fn boot<I, S>(&mut self, argv: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.boot = Some(argv.into_iter().map(Into::into).collect());
        self
    }

    /// A command run inside after the program ends or on [`Child::stop`] (e.g.
    /// `/etc/rcS K shutdown`). Needs the init.
    pub fn shutdown<I, S>(&mut self, argv: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.shutdown = Some(argv.into_iter().map(Into::into).collect());
        self
    }

    /// With `false`, the program itself is PID 1 (no reaping, no signal forwarding).
    pub fn init(&mut self, yes: bool) -> &mut Self {
        self.init = yes;
        self
    }

    /// Gives the program the terminal's foreground (its own process group), so ^C and ^\ reach
    /// it and not the launcher. The launcher takes the foreground back when it waits.
    pub fn interactive(&mut self, yes: bool) -> &mut Self {
        self.interactive = yes;
        self
    }

    /// Bind the host's /dev instead of a minimal tmpfs /dev.
    pub fn host_dev(&mut self, yes: bool) -> &mut Self {
        self.host_dev = yes;
        self
    }

    /// Leave /proc/sys writable (default: read-only, except /proc/sys/net in a private netns).
    pub fn proc_sys_writable(&mut self, yes: bool) -> &mut Self {
        self.proc_sys_writable = yes;
        self
    }

    /// Make the new mount namespace's mounts private instead of slaves of the host's.
    pub fn private_propagation(&mut self, yes: bool) -> &mut Self {
        self.private_propagation = yes;
        self
    }

    /// Starts the program. Returns once it has been exec'd (after the boot command), or with a
    /// precise [`crate::Error::Launch`] naming the stage, errno and path that failed.
    pub fn spawn(&mut self) -> crate::Result<Child> {
        plan::spawn(self)
    }

    /// The mode for `kind`.
    pub fn namespace_mode(&self, kind: Kind) -> &NsMode {
        &self.namespaces[&kind]
    }
}
