//! Starting a program inside new or joined namespaces, optionally in a rootfs: the [`Launch`]
//! builder and the [`Child`] handle.
//!
//! The code reads in one direction:
//! builder (this file, over the plain data of [`options`]) → [`plan`] (validate, allocate
//! everything the child needs) → [`spawn`] (clone, talk to the child) → `child` (runs between
//! clone and exec: joins, mounts, root switch, exec) → [`handle`] ([`Child`]; exec sessions in
//! [`session`]).
//!
//! Process shape: the caller's address space is never copied. The launcher clones the launch
//! child with `CLONE_VM|CLONE_VFORK` on a stack of its own (as posix_spawn does) and with every
//! namespace that is to be new, so in a new PID namespace it is PID 1. It joins namespaces,
//! mounts, switches root, sets the hostname and stdio with async-signal-safe system calls only,
//! then execs nsrun-init, a small static program of nsrun's own run from a sealed memfd
//! ([`image`]), with an empty environment and the launch's [`wire::Config`] on a descriptor.
//! The init runs the boot command, forks the payload, reaps, forwards signals, runs exec
//! requests ([`Child::exec`]) and exits with the payload's status (code, or 128+signal).
//! With a new user namespace, an intermediate child (also `CLONE_VM|CLONE_VFORK`) creates the
//! launch child with `CLONE_PARENT` and writes its uid/gid maps from outside before it goes on.
//! With `init(false)` and no boot command, the launch child execs the program directly.

mod child;
mod defaults;
mod handle;
mod idmap;
pub(crate) mod image;
mod isolate;
mod options;
mod plan;
mod session;
mod signal;
mod spawn;
mod status;
pub(crate) mod wire;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::path::PathBuf;

pub use defaults::{exit, rcs_commands, RCS_BOOT, RCS_SHUTDOWN};
pub use handle::Child;
pub use options::{BindMount, IdMap, Launch, NsMode, Stdio};
pub use session::{exec_target, ExecChild, ExecCommand};
pub use signal::Signaller;
pub use status::ExitStatus;
pub use wire::Stage;

use crate::Kind;

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
            privileged: false,
            userns: false,
            rootless: None,
            hold: false,
        }
    }

    /// A launch with no program: only the init, which holds the namespaces until it is
    /// stopped, runs exec requests and reaps what the boot command started (a lab node). No
    /// process is exec'd for the payload (a `sleep infinity` cost every node an exec).
    pub(crate) fn hold() -> Launch {
        let mut l = Launch::new(Vec::<OsString>::new());
        l.hold = true;
        l
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

    /// With `true`, the program keeps every capability the launcher has, runs without nsrun's
    /// seccomp filter and sees /proc and /sys unmasked (the behaviour before the default
    /// isolation). Default `false`: the capability bounding set drops what reaches the host
    /// beyond the launch's own namespaces (module loading, raw I/O, the clock, ptrace,
    /// open_by_handle_at, syslog, MAC/audit/BPF/perf, and net admin in the host's network
    /// namespace), mknod of block devices is refused, and runc's masked paths are masked.
    pub fn privileged(&mut self, yes: bool) -> &mut Self {
        self.privileged = yes;
        self
    }

    /// With `true`, container root is not host root: a new user namespace maps ids 0..65536
    /// inside to host ids 0x60000000.. ([`idmap`]), and the rootfs is mounted idmapped through
    /// the same mapping, so its files (owned by host root) belong to root inside and a rootfs
    /// runs unchanged. Root inside then has capabilities over the launch's own namespaces
    /// only: host files outside the rootfs (bind sources included) are read as their other
    /// users see them, /sys and /proc/sys belong to an unmapped owner. Needs a rootfs on a
    /// filesystem that supports idmapped mounts (ext4, xfs, btrfs, tmpfs; Linux 5.12+) and no
    /// joined namespace.
    pub fn userns(&mut self, yes: bool) -> &mut Self {
        self.userns = yes;
        if yes {
            let map = vec![IdMap {
                inside: 0,
                outside: idmap::HOST_BASE,
                count: idmap::COUNT,
            }];
            self.id_maps(map.clone(), map);
        }
        self
    }

    /// Rootless: the launch gets a user namespace of its own where the caller is root
    /// ([`crate::rootless`]), so an ordinary user can launch a rootfs in new namespaces; when
    /// it joins namespaces that a user namespace of the caller's owns (a rootless named netns,
    /// a rootless lab), it joins that one instead. Default: rootless exactly when the caller
    /// lacks CAP_SYS_ADMIN (and the launch needs a namespace, a rootfs or a bind): `None`.
    /// `Some(false)` forces a launch as the caller is; `Some(true)` makes root use a user
    /// namespace too. The host's switches are checked first ([`crate::rootless::check`]).
    pub fn rootless(&mut self, choice: Option<bool>) -> &mut Self {
        self.rootless = choice;
        self
    }

    /// Starts the program. Returns once it has been exec'd (after the boot command), or with a
    /// precise [`crate::Error::Launch`] naming the stage, errno and path that failed.
    pub fn spawn(&mut self) -> crate::Result<Child> {
        self.spawn_until(None, &mut || Ok(()))
    }

    /// [`Launch::spawn`], bounded: while the launch starts (the boot command above all), every
    /// 50 ms `interrupted` is asked whether to give up (a signal to the launcher, Ctrl+C in
    /// Python), and at `deadline` it gives up. Giving up kills the launch (its whole PID
    /// namespace), reaps it, and returns `interrupted`'s error, or ETIMEDOUT naming the stage
    /// that hung ([`Stage::Boot`] with a boot command, else [`Stage::Init`]).
    pub fn spawn_until(
        &mut self,
        deadline: Option<std::time::Instant>,
        interrupted: &mut dyn FnMut() -> crate::Result<()>,
    ) -> crate::Result<Child> {
        // A rootless launch gets its user namespace and maps from the plan, written into this
        // builder; they are taken back afterwards, so the next spawn of the same builder is
        // decided (rootless or not) the same way instead of joining that namespace as given.
        let user_inherited = matches!(self.namespace_mode(Kind::User), NsMode::Inherit);
        let maps = (self.uid_map.clone(), self.gid_map.clone());
        let result = plan::plan(self)
            .and_then(|(plan, parent)| spawn::spawn(plan, parent, deadline, interrupted));
        if user_inherited {
            self.namespaces.insert(Kind::User, NsMode::Inherit);
            (self.uid_map, self.gid_map) = maps;
        }
        result
    }
}
