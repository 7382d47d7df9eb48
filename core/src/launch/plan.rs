//! Before the clone: validate the launch and allocate everything the child needs (C strings,
//! pointer arrays, the mount steps, descriptors, the init's configuration, the stacks), so
//! that the child, which shares the launcher's memory, never allocates.

use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::raw::{c_char, c_int, c_ulong};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};
use std::sync::atomic::AtomicI32;

use nix::errno::Errno;

use super::options::{IdMap, Launch, NsMode, Stdio};
use super::wire::{self, Config, Program, Stage};
use crate::error::{Context, Error, Result};
use crate::{sys, Kind};

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Descriptors the child works with are moved to this number or above, so that dup2 onto
/// 0-4 (stdio, the init's configuration and listening socket) and onto passed descriptor
/// numbers never clobbers one still needed.
const HIGH_FD: RawFd = 100;
/// Stack size of each child that runs on the launcher's memory before exec.
const STACK_SIZE: usize = 256 * 1024;

/// The signal that asks nsrun's init to shut down (run the shutdown command, then SIGTERM
/// everything): SIGRTMIN+3, as systemd uses it for "halt".
pub(crate) fn shutdown_signal() -> i32 {
    libc::SIGRTMIN() + 3
}

/// A program to exec directly from the launch child, fully prepared.
pub(crate) struct ExecPlan {
    pub argv: Vec<CString>,
    pub argv_ptrs: Vec<*const c_char>,
    /// PATH directories to search (empty when argv[0] contains '/').
    pub search: Vec<CString>,
}

/// What one mount step does (targets are relative to the new root and resolved inside it).
pub(crate) enum Action {
    Mount {
        source: Option<CString>,
        fstype: Option<CString>,
        flags: c_ulong,
        data: Option<CString>,
    },
    /// Bind the target onto itself (recursively), then make it and every mount below it
    /// read-only or read-write (mount_setattr(AT_RECURSIVE)), keeping their other flags.
    BindSelf {
        read_only: bool,
    },
    /// Make the mount at the target and every mount below it read-only (mount_setattr with
    /// AT_RECURSIVE): a submount of a read-only bind source stays read-only too.
    ReadOnlyRecursive,
    /// Check, before anything is mounted, that the target is what [`MountStep::expect`] says.
    Check,
    /// Attach this detached mount tree (open_tree(OPEN_TREE_CLONE) by the launcher) at the
    /// target with move_mount(2): a bind whose source the launch's own root may not reach
    /// (user-namespace launches).
    MoveTree {
        tree: RawFd,
    },
    /// Hide the target as runc does: a file gets the null device nsrun made in the launch's
    /// /dev bound over it (opened by descriptor and verified 1:3, never a path the rootfs
    /// controls), a directory an empty read-only tmpfs.
    Mask,
    Mkdir,
    /// A world-writable sticky directory (mode 1777), like /dev/shm.
    SharedDir,
    CreateFile,
    Symlink {
        to: CString,
    },
    /// A character device: mknod(2) where permitted, else an empty file with the host's node
    /// bind-mounted on it (in a user namespace, mknod is refused).
    DeviceNode {
        dev: libc::dev_t,
        host: CString,
    },
}

/// What a mount target must be once resolved inside the root. Every one of them must also not
/// be the root itself (a `proc -> /` link resolves there) and must resolve at all (a link out
/// of the root loops back onto itself and fails with ELOOP).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    Any,
    Dir,
    /// Anything but a directory (a file bind).
    NotDir,
}

pub(crate) struct MountStep {
    pub stage: Stage,
    pub target: CString,
    pub action: Action,
    /// A missing target is skipped rather than an error.
    pub optional: bool,
    pub expect: Expect,
}

pub(crate) struct MountPlan {
    pub propagation: c_ulong,
    /// With [`Launch::userns`](super::Launch::userns): the detached idmapped copy of the
    /// rootfs, moved onto the rootfs path instead of binding it onto itself (-1: none).
    pub idmapped_root: RawFd,
    pub rootfs: Option<CString>,
    /// The rootfs (and every mount below it) is made nodev before anything is mounted in it:
    /// device nodes a crafted rootfs ships (a host disk's numbers, SCSI generic, a console)
    /// do not open. nsrun's own /dev and the caller's binds, mounted after, keep their nodes.
    /// Off with [`Launch::privileged`](super::Launch::privileged).
    pub root_nodev: bool,
    pub steps: Vec<MountStep>,
}

/// A new user namespace: the intermediate child writes the launch child's maps. The four
/// descriptor numbers are reserved by the plan; the intermediate child puts its pipes there.
pub(crate) struct UserPlan {
    /// A user namespace to join (setns) instead of creating one (-1: create), for a rootless
    /// launch into namespaces a user namespace of the caller's owns (a rootless named netns, a
    /// rootless lab): the intermediate child joins it, then clones the launch child with the
    /// new namespaces, which the caller may only create in there.
    pub join: RawFd,
    pub deny_setgroups: bool,
    pub uid_map: Vec<u8>,
    pub gid_map: Vec<u8>,
    /// `newuidmap`/`newgidmap` write the maps (a subordinate range; see [`crate::rootless`]).
    pub helpers: Option<MapHelpers>,
    /// The launch child waits on `go_r` until its maps are written.
    pub go_r: RawFd,
    pub go_w: RawFd,
    /// Close-on-exec in the launch child: EOF on `exec_r` when it has exec'd (or died).
    pub exec_r: RawFd,
    pub exec_w: RawFd,
}

/// The setuid helpers that write a rootless launch's maps: their argv without the pid (the
/// intermediate child puts the launch child's pid second), and a stack to run them from.
pub(crate) struct MapHelpers {
    pub uid: Vec<CString>,
    pub gid: Vec<CString>,
    pub stack: Stack,
}

/// The program exec'd by the launch child itself (`init(false)` without a boot command).
pub(crate) struct Direct {
    pub payload: ExecPlan,
    pub env_ptrs: Vec<*const c_char>,
    pub cwd: Option<CString>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub may_setgroups: bool,
    pub pass: Vec<(RawFd, RawFd)>,
    pub interactive: bool,
    _env: Vec<CString>,
}

/// nsrun-init, exec'd by the launch child.
pub(crate) struct InitExec {
    pub image: RawFd,
    /// The init's /dev/null (reopened inside the launch before exec).
    pub null: RawFd,
    pub config: RawFd,
    /// The listening exec socket, or -1.
    pub listen: RawFd,
    /// Descriptors the init keeps (their close-on-exec flag is cleared before the exec).
    pub inherit: Vec<RawFd>,
    pub argv_ptrs: [*const c_char; 2],
    pub envp: [*const c_char; 1],
}

pub(crate) enum Next {
    Direct(Direct),
    Init(InitExec),
}

/// A stack for a child that runs on the launcher's memory, with a guard page below it.
pub(crate) struct Stack {
    base: *mut libc::c_void,
    len: usize,
}

impl Stack {
    pub(crate) fn new() -> Result<Stack> {
        let len = STACK_SIZE + 4096;
        // SAFETY: an anonymous private mapping; checked for MAP_FAILED below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(Error::sys_nopath("launch: mmap child stack", Errno::last()));
        }
        let stack = Stack { base, len };
        // SAFETY: the lowest page of our own mapping becomes the guard page.
        if unsafe { libc::mprotect(base, 4096, libc::PROT_NONE) } != 0 {
            return Err(Error::sys_nopath(
                "launch: guard child stack",
                Errno::last(),
            ));
        }
        Ok(stack)
    }

    /// The initial stack pointer (the top, 16-byte aligned as the ABI requires).
    pub fn top(&self) -> *mut libc::c_void {
        // SAFETY: one past the end of our mapping, which is page-aligned (so 16-byte aligned).
        unsafe { self.base.cast::<u8>().add(self.len).cast() }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: unmapping our own mapping; no child runs on it any more (the launcher only
        // drops the plan after the children have exec'd or exited).
        unsafe { libc::munmap(self.base, self.len) };
    }
}

/// Everything the launch child (and the intermediate child) read. Raw pointers point into
/// vectors owned by the same struct, which outlives every child that uses it: the launcher
/// drops it only once they have exec'd or exited.
pub(crate) struct Plan {
    /// CLONE_NEW* flags for the launch child.
    pub clone_flags: c_int,
    pub user: Option<UserPlan>,
    pub joins: Vec<(RawFd, i32)>,
    pub mount: Option<MountPlan>,
    pub hostname: Option<CString>,
    pub stdio: [RawFd; 3],
    pub err_w: RawFd,
    pub parent_pidfd: RawFd,
    /// The launcher's pid when the launch child shares its descriptor table at first
    /// (CLONE_FILES) and takes the descriptors it keeps with pidfd_getfd: for a launcher with
    /// many descriptors, whose copy and closing would cost every launch (0.34 ms at 4,000).
    pub fetch_from: Option<libc::pid_t>,
    /// Every descriptor the launch child needs, sorted: all others are closed at its start.
    pub keep_fds: Vec<RawFd>,
    pub next: Next,
    /// The default isolation (None when privileged).
    pub isolation: Option<super::isolate::Isolation>,
    /// Written by the intermediate child: the launch child's pid.
    pub child_pid: AtomicI32,
    pub stacks: [Stack; 2],
}

// SAFETY: the raw pointers in a Plan point into data the Plan owns; it is read-only once built,
// and moved to the spawner thread only while the caller waits for it.
unsafe impl Send for Plan {}
// SAFETY: as above; the only field written after construction is an atomic.
unsafe impl Sync for Plan {}

/// What stays with the launcher: the descriptors that must live until the clone (dropped after
/// it), and its ends of the pipes and sockets.
pub(crate) struct Parent {
    pub held: Vec<OwnedFd>,
    pub ends: [Option<OwnedFd>; 3],
    pub err_r: OwnedFd,
    /// The launcher's end of the init's control socket.
    pub control: Option<OwnedFd>,
    pub init: bool,
    pub interactive: bool,
    /// A boot command runs before the program (what a slow start is waiting for).
    pub boot: bool,
}

pub(crate) fn plan(l: &mut Launch) -> Result<(Plan, Parent)> {
    let rootless = rootless(l)?;
    validate(l)?;
    let new = |k| matches!(l.namespace_mode(k), NsMode::New);
    let net_private = !matches!(l.namespace_mode(Kind::Net), NsMode::Inherit);
    let new_user = new(Kind::User);
    let join_user = match l.namespace_mode(Kind::User) {
        NsMode::Join(ns) if rootless.is_some() => Some(ns.as_fd().as_raw_fd()),
        _ => None,
    };

    let env: Vec<(OsString, OsString)> = match &l.env {
        Some(e) => e.clone(),
        None => std::env::vars_os().collect(),
    };
    let env_c: Vec<CString> = env
        .iter()
        .map(|(k, v)| env_entry(k, v))
        .collect::<Result<_>>()?;
    let search = search_path(&env)?;
    let cwd = match (&l.cwd, &l.rootfs) {
        (Some(c), _) => Some(cstring("cwd", c.as_os_str())?),
        (None, Some(_)) => Some(CString::new("/").expect("no NUL")),
        (None, None) => None,
    };
    let hostname = l
        .hostname
        .as_ref()
        .map(|h| cstring("hostname", OsStr::new(h)))
        .transpose()?;

    let mut clone_flags: c_int = 0;
    let mut joins = Vec::new();
    // The time namespace is entered by the init (see wire::Config::time_fd).
    let new_time = matches!(l.namespace_mode(Kind::Time), NsMode::New);
    // Join order as nsenter(1): user first (rejected above with a new user ns), mnt last.
    for k in [
        Kind::User,
        Kind::Cgroup,
        Kind::Ipc,
        Kind::Uts,
        Kind::Net,
        Kind::Pid,
        Kind::Mnt,
    ] {
        match l.namespace_mode(k) {
            NsMode::New => clone_flags |= k.flag(),
            // A rootless launch's user namespace is joined by the intermediate child.
            NsMode::Join(_) if k == Kind::User && join_user.is_some() => {}
            NsMode::Join(ns) => joins.push((ns.as_fd().as_raw_fd(), k.flag())),
            NsMode::Inherit => {}
        }
    }

    // Descriptors for the child, all moved high and close-on-exec.
    let mut held: Vec<OwnedFd> = Vec::new();
    let mut hold = |fd: OwnedFd| -> RawFd {
        let raw = fd.as_raw_fd();
        held.push(fd);
        raw
    };
    let null = hold(high(
        std::fs::File::open("/dev/null").ctx("launch: open", "/dev/null")?,
    )?);
    let mount = if new(Kind::Mnt) {
        let mut m = mount_plan(l, net_private, new(Kind::Pid))?;
        if let (true, Some(rootfs)) = (l.userns, &l.rootfs) {
            let userns = super::idmap::mapped_userns()?;
            m.idmapped_root = hold(high(super::idmap::idmapped_tree(rootfs, &userns)?)?);
            // Bind sources are cloned here, by the launcher: root inside (an unmapped host
            // id) may not be able to reach them by path.
            for step in &mut m.steps {
                if let (
                    Stage::MountBind,
                    Action::Mount {
                        source: Some(src), ..
                    },
                ) = (step.stage, &step.action)
                {
                    let path = Path::new(OsStr::from_bytes(src.as_bytes()));
                    let tree = super::idmap::clone_tree(path)?;
                    step.action = Action::MoveTree {
                        tree: hold(high(tree)?),
                    };
                }
            }
        }
        Some(m)
    } else {
        None
    };
    let mut ends: [Option<OwnedFd>; 3] = [None, None, None];
    let mut stdio = [-1; 3];
    for (i, s) in [&l.stdin, &l.stdout, &l.stderr].into_iter().enumerate() {
        stdio[i] = match s {
            Stdio::Inherit => -1,
            Stdio::Null => null,
            Stdio::Fd(fd) => hold(high(fd)?),
            Stdio::Piped => {
                let (r, w) = sys::pipe_cloexec()?;
                let (mine, theirs) = if i == 0 { (w, r) } else { (r, w) };
                ends[i] = Some(mine);
                hold(high(theirs)?)
            }
        };
    }
    let mut pass = Vec::new();
    for (fd, target) in &l.pass_fds {
        pass.push((hold(high(fd)?), *target));
    }
    let (err_r, err_w) = sys::pipe_cloexec()?;
    let err_w = hold(high(err_w)?);
    // SAFETY: pidfd_open on our own pid returns a new descriptor or -1.
    let parent_pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) } as i32;
    let parent_pidfd =
        Errno::result(parent_pidfd).map_err(|e| Error::sys_nopath("launch: pidfd_open", e))?;
    // SAFETY: just created, owned here.
    let parent_pidfd = hold(high(unsafe { OwnedFd::from_raw_fd(parent_pidfd) })?);

    // Moved high like the others: the launch child puts the init's descriptors at 3 and 4.
    let time_fd = match l.namespace_mode(Kind::Time) {
        NsMode::Join(ns) => hold(high(ns)?),
        _ => -1,
    };
    let helpers = match rootless.as_ref().and_then(|m| m.helpers.as_ref()) {
        Some((newuidmap, newgidmap)) if new_user => Some(MapHelpers {
            uid: crate::rootless::helper_args(newuidmap, &l.uid_map),
            gid: crate::rootless::helper_args(newgidmap, &l.gid_map),
            stack: Stack::new()?,
        }),
        _ => None,
    };
    let user = if new_user || join_user.is_some() {
        // Placeholders: the intermediate child replaces them (in its own descriptor table)
        // with the pipes it creates, so the launcher never holds a pipe end that would keep
        // them from reaching EOF.
        let mut reserve = || -> Result<RawFd> {
            let f = std::fs::File::open("/dev/null").ctx("launch: open", "/dev/null")?;
            Ok(hold(high(f)?))
        };
        Some(UserPlan {
            join: join_user.unwrap_or(-1),
            // An unprivileged launcher may only map its own gid with setgroups denied (the
            // setuid newgidmap may allow them).
            deny_setgroups: euid() != 0 && helpers.is_none(),
            uid_map: map_text(&l.uid_map).into_bytes(),
            gid_map: map_text(&l.gid_map).into_bytes(),
            helpers,
            go_r: reserve()?,
            go_w: reserve()?,
            exec_r: reserve()?,
            exec_w: reserve()?,
        })
    } else {
        None
    };
    // In a user namespace the caller made without newgidmap, setgroups is denied.
    // Joined, it is one nsrun made with the caller's maps (shared, the keeper's, a lab's).
    let may_setgroups = if new_user || join_user.is_some() {
        euid() == 0 || rootless.as_ref().is_some_and(|m| !m.single())
    } else {
        true
    };

    let mut control = None;
    let next = if !l.init && l.boot.is_none() && !new_time && time_fd < 0 {
        let mut env_ptrs: Vec<*const c_char> = env_c.iter().map(|e| e.as_ptr()).collect();
        env_ptrs.push(std::ptr::null());
        Next::Direct(Direct {
            payload: exec_plan(&l.argv, &search)?,
            env_ptrs,
            cwd,
            uid: l.uid,
            gid: l.gid,
            may_setgroups,
            pass,
            interactive: l.interactive,
            _env: env_c,
        })
    } else {
        let bytes =
            |v: &[OsString]| -> Vec<Vec<u8>> { v.iter().map(|a| a.as_bytes().to_vec()).collect() };
        for a in l
            .argv
            .iter()
            .chain(l.boot.iter().flatten())
            .chain(l.shutdown.iter().flatten())
        {
            cstring("argument", a)?;
        }
        let (listen, control_init) = if l.init {
            let listen = hold(high(listening_socket()?)?);
            let (mine, theirs) = socketpair()?;
            control = Some(mine);
            (listen, hold(high(theirs)?))
        } else {
            (-1, -1)
        };
        let config = Config {
            stay: l.init,
            owns_pid_ns: new(Kind::Pid),
            interactive: l.interactive,
            may_setgroups,
            shutdown_signal: shutdown_signal(),
            err_fd: err_w,
            null_fd: null,
            control_fd: control_init,
            listen_fd: if listen >= 0 { wire::LISTEN_FD } else { -1 },
            time_fd,
            new_time,
            payload: Program {
                argv: bytes(&l.argv),
                env: env_c.iter().map(|e| e.as_bytes().to_vec()).collect(),
                search: search.iter().map(|d| d.as_bytes().to_vec()).collect(),
                cwd: cwd.map(|c| c.into_bytes()),
                uid: l.uid,
                gid: l.gid,
            },
            boot: l.boot.as_deref().map(bytes),
            shutdown: l.shutdown.as_deref().map(bytes),
            pass: pass.clone(),
        };
        let config = hold(high(config_fd(&config.encode())?)?);
        let image = hold(high(super::image::sealed()?)?);
        let mut inherit = vec![err_w, null];
        inherit.extend(pass.iter().map(|(fd, _)| *fd));
        if control_init >= 0 {
            inherit.push(control_init);
        }
        if time_fd >= 0 {
            inherit.push(time_fd);
        }
        Next::Init(InitExec {
            image,
            null,
            config,
            listen,
            inherit,
            argv_ptrs: [INIT_ARGV0.as_ptr(), std::ptr::null()],
            envp: [std::ptr::null()],
        })
    };

    // Every descriptor the child needs; it closes all others right after the clone.
    let mut keep_fds: Vec<RawFd> = joins.iter().map(|(fd, _)| *fd).collect();
    keep_fds.extend(held.iter().map(|f| f.as_raw_fd()));
    keep_fds.sort_unstable();
    keep_fds.dedup();
    // The held descriptors went to the lowest free numbers from HIGH_FD up: one as high as
    // FETCH_ABOVE means hundreds of the launcher's own are open. Taking the few the child
    // needs then beats copying and closing them all; it needs the right to ptrace the
    // launcher (root's, here) and no intermediate child (which would be the parent).
    let fetch_from = (user.is_none()
        && euid() == 0
        && crate::rootless::privileged()
        && keep_fds.last().is_some_and(|fd| *fd >= FETCH_ABOVE)
        && keep_fds.iter().all(|fd| *fd >= 3))
    // SAFETY: getpid(2).
    .then(|| unsafe { libc::getpid() });

    let plan = Plan {
        clone_flags,
        user,
        joins,
        mount,
        hostname,
        stdio,
        err_w,
        parent_pidfd,
        fetch_from,
        keep_fds,
        next,
        // A caller without capabilities and without a user namespace of the launch's has
        // nothing to drop and may not install a filter: the program runs as the caller is.
        isolation: (!l.privileged
            && (new_user || join_user.is_some() || crate::rootless::privileged()))
        .then(|| {
            super::isolate::prepare(
                matches!(l.namespace_mode(Kind::Net), NsMode::Inherit),
                matches!(l.namespace_mode(Kind::Pid), NsMode::Inherit),
            )
        }),
        child_pid: AtomicI32::new(0),
        stacks: [Stack::new()?, Stack::new()?],
    };
    let parent = Parent {
        held,
        ends,
        err_r,
        control,
        init: l.init,
        interactive: l.interactive,
        boot: l.boot.is_some(),
    };
    Ok((plan, parent))
}

static INIT_ARGV0: &std::ffi::CStr = c"nsrun-init";

/// "K=V" as a C string; a name must be non-empty and hold no '='.
pub(crate) fn env_entry(k: &OsStr, v: &OsStr) -> Result<CString> {
    if k.is_empty() || k.as_bytes().contains(&b'=') {
        return Err(Error::InvalidArgument {
            op: "launch",
            what: "environment variable name",
            value: k.to_string_lossy().into_owned(),
            reason: "must be non-empty and contain no '='",
            errno: crate::Errno::EINVAL,
        });
    }
    let mut b = k.as_bytes().to_vec();
    b.push(b'=');
    b.extend_from_slice(v.as_bytes());
    cstring("environment variable", OsStr::from_bytes(&b))
}

/// The directories a program name without '/' is looked up in: the environment's PATH, or
/// the default PATH when it has none.
pub(crate) fn search_path(env: &[(OsString, OsString)]) -> Result<Vec<CString>> {
    let path = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.as_bytes().to_vec())
        .unwrap_or_else(|| DEFAULT_PATH.as_bytes().to_vec());
    path.split(|b| *b == b':')
        .map(|d| if d.is_empty() { &b"."[..] } else { d })
        .map(|d| CString::new(d).map_err(|_| invalid("PATH", "contains a NUL byte")))
        .collect()
}

/// The init's configuration in a memfd (read from offset 0 by the init).
fn config_fd(bytes: &[u8]) -> Result<OwnedFd> {
    const MFD_CLOEXEC: u32 = 0x1;
    const MFD_NOEXEC_SEAL: u32 = 0x8;
    let name = c"nsrun-config";
    // SAFETY: memfd_create with a NUL-terminated name.
    let mut fd = unsafe {
        libc::syscall(
            libc::SYS_memfd_create,
            name.as_ptr(),
            MFD_CLOEXEC | MFD_NOEXEC_SEAL,
        )
    };
    if fd < 0 && Errno::last() == Errno::EINVAL {
        // SAFETY: as above (kernels before 6.3).
        fd = unsafe { libc::syscall(libc::SYS_memfd_create, name.as_ptr(), MFD_CLOEXEC) };
    }
    let fd = Errno::result(fd).map_err(|e| Error::sys_nopath("launch: memfd_create", e))?;
    // SAFETY: the kernel just returned this descriptor; we own it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
    let mut done = 0;
    while done < bytes.len() {
        match nix::unistd::write(&fd, &bytes[done..]) {
            Ok(n) => done += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(Error::sys_nopath("launch: write init configuration", e)),
        }
    }
    Ok(fd)
}

/// A SOCK_SEQPACKET socket listening on an abstract name the kernel picks (autobind), in the
/// launcher's network namespace: `nsrun exec` from another process reaches the init through it.
fn listening_socket() -> Result<OwnedFd> {
    // SAFETY: socket(2) returns a new descriptor or -1.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0) };
    let fd = Errno::result(fd).map_err(|e| Error::sys_nopath("launch: exec socket", e))?;
    // SAFETY: the kernel just returned this descriptor; we own it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let addr = libc::sockaddr_un {
        sun_family: libc::AF_UNIX as libc::sa_family_t,
        sun_path: [0; 108],
    };
    // SAFETY: bind with only the family: the kernel picks an unused abstract name.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_un).cast(),
            std::mem::size_of::<libc::sa_family_t>() as u32,
        )
    };
    Errno::result(r).map_err(|e| Error::sys_nopath("launch: bind exec socket", e))?;
    // SAFETY: listen on our socket.
    Errno::result(unsafe { libc::listen(fd.as_raw_fd(), 64) })
        .map_err(|e| Error::sys_nopath("launch: listen on exec socket", e))?;
    Ok(fd)
}

/// A connected SOCK_SEQPACKET pair (close-on-exec).
pub(crate) fn socketpair() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1; 2];
    // SAFETY: socketpair into a two-int array.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    Errno::result(r).map_err(|e| Error::sys_nopath("launch: socketpair", e))?;
    // SAFETY: both descriptors were just created for us.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn invalid(value: impl Into<String>, reason: &'static str) -> Error {
    Error::InvalidArgument {
        op: "launch",
        what: "option",
        value: value.into(),
        reason,
        errno: crate::Errno::EINVAL,
    }
}

fn cstring(what: &'static str, s: &OsStr) -> Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| Error::InvalidArgument {
        op: "launch",
        what,
        value: s.to_string_lossy().into_owned(),
        reason: "contains a NUL byte",
        errno: crate::Errno::EINVAL,
    })
}

/// A target path inside the root, as a relative C string ("proc", "mnt/host").
fn relative(what: &'static str, p: &Path) -> Result<CString> {
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) => parts.push(n.as_bytes()),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(Error::InvalidArgument {
                    op: "launch",
                    what,
                    value: p.display().to_string(),
                    reason: "must not contain '..'",
                    errno: crate::Errno::EINVAL,
                })
            }
        }
    }
    if parts.is_empty() {
        return Err(Error::InvalidArgument {
            op: "launch",
            what,
            value: p.display().to_string(),
            reason: "must name a path below the root (not empty, not /)",
            errno: crate::Errno::EINVAL,
        });
    }
    let joined = parts.join(&b'/');
    cstring(what, OsStr::from_bytes(&joined))
}

fn exec_plan(argv: &[OsString], search: &[CString]) -> Result<ExecPlan> {
    let Some(first) = argv.first() else {
        return Err(invalid("[]", "needs a program to run"));
    };
    let argv: Vec<CString> = argv
        .iter()
        .map(|a| cstring("argument", a))
        .collect::<Result<_>>()?;
    let mut argv_ptrs: Vec<*const c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let search = if first.as_bytes().contains(&b'/') {
        Vec::new()
    } else {
        search.to_vec()
    };
    Ok(ExecPlan {
        argv,
        argv_ptrs,
        search,
    })
}

/// Moves a descriptor to HIGH_FD or above (close-on-exec).
/// See `Plan::fetch_from`.
const FETCH_ABOVE: RawFd = 512;

fn high(fd: impl AsFd) -> Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC on a valid descriptor; the result is a new descriptor we own.
    let r = unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_DUPFD_CLOEXEC, HIGH_FD) };
    let r = Errno::result(r).map_err(|e| Error::sys_nopath("launch: duplicate descriptor", e))?;
    // SAFETY: `r` was just returned by the kernel and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(r) })
}

/// Files and directories runc masks (`linux.maskedPaths`).
const MASKED: &[&str] = &[
    "proc/kcore",
    "proc/keys",
    "proc/timer_list",
    "proc/sched_debug",
    "proc/kmsg",
    "proc/kallsyms",
    "proc/latency_stats",
    "proc/acpi",
    "proc/asound",
    "proc/scsi",
    "sys/firmware",
    "sys/devices/virtual/powercap",
];
/// Made read-only as runc does (`linux.readonlyPaths`); /proc/sys is handled on its own.
const READ_ONLY: &[&str] = &["proc/bus", "proc/fs", "proc/irq", "proc/sysrq-trigger"];

struct Steps(Vec<MountStep>);

impl Steps {
    fn push(&mut self, stage: Stage, target: &str, action: Action, optional: bool, expect: Expect) {
        self.0.push(MountStep {
            stage,
            target: CString::new(target).expect("no NUL in constants"),
            action,
            optional,
            expect,
        });
    }
    fn mount(
        &mut self,
        stage: Stage,
        target: &str,
        (source, fstype): (&str, Option<&str>),
        flags: c_ulong,
        data: Option<&str>,
        optional: bool,
    ) {
        let c = |s: &str| CString::new(s).expect("no NUL in constants");
        let action = Action::Mount {
            source: Some(c(source)),
            fstype: fstype.map(c),
            flags,
            data: data.map(c),
        };
        self.push(stage, target, action, optional, Expect::Dir);
    }
}

fn mount_plan(l: &Launch, net_private: bool, new_pid: bool) -> Result<MountPlan> {
    use libc::{MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_SLAVE};
    let c = |s: &str| CString::new(s).expect("no NUL in constants");
    let mut st = Steps(Vec::new());
    let with_root = l.rootfs.is_some();
    let with_proc = new_pid || with_root;
    let with_sys = net_private || with_root;
    let with_dev = with_root;
    // First, before anything is mounted: every fixed mount point must be a real directory in
    // the root (the mounts check the same again on the descriptor they mount on).
    for (on, target, optional) in [
        (with_proc, "proc", false),
        (with_sys, "sys", false),
        (with_dev, "dev", false),
        (with_root, "tmp", true),
        (with_root, "run", true),
    ] {
        if on {
            st.push(
                Stage::CheckRootfs,
                target,
                Action::Check,
                optional,
                Expect::Dir,
            );
        }
    }
    let binds = l
        .binds
        .iter()
        .map(|b| {
            let target = relative("bind target", &b.target)?;
            let source_is_dir = std::fs::metadata(&b.source)
                .ctx("launch: bind source", &b.source)?
                .is_dir();
            Ok((b, target, source_is_dir))
        })
        .collect::<Result<Vec<_>>>()?;
    for (_, target, source_is_dir) in &binds {
        st.0.push(MountStep {
            stage: Stage::CheckRootfs,
            target: target.clone(),
            action: Action::Check,
            // With a rootfs a missing mount point is created inside it; on the host's own
            // tree nothing is ever created.
            optional: with_root,
            expect: if *source_is_dir {
                Expect::Dir
            } else {
                Expect::NotDir
            },
        });
    }
    if with_proc {
        st.mount(
            Stage::MountProc,
            "proc",
            ("proc", Some("proc")),
            MS_NOSUID | MS_NODEV | MS_NOEXEC,
            None,
            false,
        );
    }
    if net_private {
        st.mount(
            Stage::MountSys,
            "sys",
            ("sysfs", Some("sysfs")),
            MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
            None,
            false,
        );
    } else if with_root {
        st.mount(
            Stage::MountSys,
            "sys",
            ("/sys", None),
            MS_BIND | MS_REC,
            None,
            false,
        );
    }
    if with_dev && !l.host_dev {
        st.mount(
            Stage::MountDev,
            "dev",
            ("tmpfs", Some("tmpfs")),
            MS_NOSUID | MS_NOEXEC,
            Some("mode=755,size=65536k"),
            false,
        );
    } else if with_dev {
        st.mount(
            Stage::MountDev,
            "dev",
            ("/dev", None),
            MS_BIND | MS_REC,
            None,
            false,
        );
    }
    if with_root {
        st.mount(
            Stage::MountTmp,
            "tmp",
            ("tmpfs", Some("tmpfs")),
            MS_NOSUID | MS_NODEV,
            Some("mode=1777"),
            true,
        );
        st.mount(
            Stage::MountTmp,
            "run",
            ("tmpfs", Some("tmpfs")),
            MS_NOSUID | MS_NODEV,
            Some("mode=755"),
            true,
        );
    }
    if with_root && !net_private {
        // The host's sysfs, with its cgroup and other submounts: read-only all the way down.
        st.push(
            Stage::MountSys,
            "sys",
            Action::ReadOnlyRecursive,
            false,
            Expect::Dir,
        );
    }
    if with_dev && !l.host_dev {
        for (node, major, minor) in [
            ("null", 1, 3),
            ("zero", 1, 5),
            ("full", 1, 7),
            ("random", 1, 8),
            ("urandom", 1, 9),
            ("tty", 5, 0),
        ] {
            st.push(
                Stage::MountDev,
                &format!("dev/{node}"),
                Action::DeviceNode {
                    dev: libc::makedev(major, minor),
                    host: c(&format!("/dev/{node}")),
                },
                false,
                Expect::Any,
            );
        }
        st.push(
            Stage::MountDev,
            "dev/pts",
            Action::Mkdir,
            false,
            Expect::Any,
        );
        st.push(
            Stage::MountDev,
            "dev/pts",
            Action::Mount {
                source: Some(c("devpts")),
                fstype: Some(c("devpts")),
                flags: MS_NOSUID | MS_NOEXEC,
                data: Some(c("newinstance,ptmxmode=0666,mode=620")),
            },
            false,
            Expect::Dir,
        );
        st.push(
            Stage::MountDev,
            "dev/shm",
            Action::SharedDir,
            false,
            Expect::Any,
        );
        for (name, to) in [
            ("dev/ptmx", "pts/ptmx"),
            ("dev/fd", "/proc/self/fd"),
            ("dev/stdin", "/proc/self/fd/0"),
            ("dev/stdout", "/proc/self/fd/1"),
            ("dev/stderr", "/proc/self/fd/2"),
        ] {
            st.push(
                Stage::MountDev,
                name,
                Action::Symlink { to: c(to) },
                false,
                Expect::Any,
            );
        }
        if l.interactive {
            // The terminal the program runs on, as busybox and getty expect it.
            if let Ok(tty) = std::fs::read_link("/proc/self/fd/0") {
                if tty.starts_with("/dev/pts/") || tty.starts_with("/dev/tty") {
                    st.push(
                        Stage::MountDev,
                        "dev/console",
                        Action::CreateFile,
                        false,
                        Expect::Any,
                    );
                    st.push(
                        Stage::MountDev,
                        "dev/console",
                        Action::Mount {
                            source: Some(cstring("tty", tty.as_os_str())?),
                            fstype: None,
                            flags: MS_BIND,
                            data: None,
                        },
                        false,
                        Expect::NotDir,
                    );
                }
            }
        }
    }
    if with_proc && !l.proc_sys_writable {
        st.push(
            Stage::ProtectProcSys,
            "proc/sys",
            Action::BindSelf { read_only: true },
            false,
            Expect::Dir,
        );
        if net_private {
            st.push(
                Stage::ProtectProcSys,
                "proc/sys/net",
                Action::BindSelf { read_only: false },
                false,
                Expect::Dir,
            );
        }
    }
    if !l.privileged {
        for path in MASKED {
            let on = if path.starts_with("proc/") {
                with_proc
            } else {
                with_sys
            };
            if on {
                st.push(Stage::Mask, path, Action::Mask, true, Expect::Any);
            }
        }
        if with_proc {
            for path in READ_ONLY {
                st.push(
                    Stage::Mask,
                    path,
                    Action::BindSelf { read_only: true },
                    true,
                    Expect::Any,
                );
            }
        }
    }
    for (b, target, source_is_dir) in binds {
        let expect = if source_is_dir {
            Expect::Dir
        } else {
            Expect::NotDir
        };
        if with_root {
            // Missing mount points are created inside the root, as runc does: parents as
            // directories, the target like its source (EEXIST is fine).
            let bytes = target.as_bytes();
            for (i, _) in bytes.iter().enumerate().filter(|(_, c)| **c == b'/') {
                st.0.push(MountStep {
                    stage: Stage::MountBind,
                    target: CString::new(&bytes[..i]).expect("no NUL"),
                    action: Action::Mkdir,
                    optional: false,
                    expect: Expect::Any,
                });
            }
            st.0.push(MountStep {
                stage: Stage::MountBind,
                target: target.clone(),
                action: if source_is_dir {
                    Action::Mkdir
                } else {
                    Action::CreateFile
                },
                optional: false,
                expect: Expect::Any,
            });
        }
        st.0.push(MountStep {
            stage: Stage::MountBind,
            target: target.clone(),
            action: Action::Mount {
                source: Some(cstring("bind source", b.source.as_os_str())?),
                fstype: None,
                flags: MS_BIND | MS_REC,
                data: None,
            },
            optional: false,
            expect,
        });
        if b.read_only {
            st.0.push(MountStep {
                stage: Stage::MountBind,
                target,
                action: Action::ReadOnlyRecursive,
                optional: false,
                expect,
            });
        }
    }
    Ok(MountPlan {
        idmapped_root: -1,
        propagation: MS_REC
            | if l.private_propagation {
                MS_PRIVATE
            } else {
                MS_SLAVE
            },
        rootfs: l
            .rootfs
            .as_ref()
            .map(|r| cstring("rootfs", r.as_os_str()))
            .transpose()?,
        root_nodev: with_root && !l.privileged,
        steps: st.0,
    })
}

/// Decides, once, whether this launch is rootless ([`Launch::rootless`]; by default: when
/// the caller lacks CAP_SYS_ADMIN) and if so gives it its user namespace: the one that owns
/// the namespaces it joins (a rootless named netns, a rootless lab), or a new one with the
/// caller as root ([`crate::rootless::Maps`]). Runs the up-front diagnosis first. Returns the
/// maps (those of the caller for a joined namespace), or None for a launch as it is.
fn rootless(l: &mut Launch) -> Result<Option<crate::rootless::Maps>> {
    let wanted = l.rootless.unwrap_or_else(|| !crate::rootless::privileged());
    let inherits_user = matches!(l.namespace_mode(Kind::User), NsMode::Inherit);
    let needs = Kind::ALL
        .iter()
        .any(|k| !matches!(l.namespace_mode(*k), NsMode::Inherit))
        || l.rootfs.is_some()
        || !l.binds.is_empty();
    if !wanted || !inherits_user || !needs {
        return Ok(None);
    }
    if l.userns {
        return Err(invalid(
            "userns",
            "needs root (it attaches an idmapping to the rootfs); a rootless launch is in a \
             user namespace of its own already",
        ));
    }
    crate::rootless::check("launch")?;
    // The user namespace that owns the namespaces to join, when it is not the caller's.
    let current = crate::Namespace::current(Kind::User)?;
    let mut owner: Option<crate::Namespace> = None;
    for k in Kind::ALL {
        if let NsMode::Join(ns) = l.namespace_mode(k) {
            let Ok(o) = ns.owner() else { continue };
            if o == current || owner.as_ref().is_some_and(|x| *x == o) {
                continue;
            }
            if owner.is_some() {
                return Err(invalid(
                    "namespaces",
                    "joins namespaces of two different user namespaces",
                ));
            }
            owner = Some(o);
        }
    }
    let maps = crate::rootless::Maps::for_caller();
    match owner {
        Some(o) => {
            l.namespaces.insert(Kind::User, NsMode::Join(o));
        }
        // With a subordinate range, the setuid helpers cost two execs per user namespace:
        // launches join one the process mapped once ([`crate::rootless::shared_userns`]).
        None if !maps.single() => {
            l.namespaces
                .insert(Kind::User, NsMode::Join(crate::rootless::shared_userns()?));
        }
        None => {
            l.id_maps(maps.uid.clone(), maps.gid.clone());
        }
    }
    if let (true, Some(uid)) = (maps.single(), l.uid.filter(|u| *u != 0)) {
        return Err(Error::Rootless {
            op: "launch",
            reason: format!(
                "uid {uid} is not mapped: {}",
                crate::rootless::single_map_hint()
            ),
            errno: crate::Errno::EINVAL,
        });
    }
    Ok(Some(maps))
}

fn validate(l: &Launch) -> Result<()> {
    let mode = |k| l.namespace_mode(k);
    let new = |k| matches!(mode(k), NsMode::New);
    if l.argv.is_empty() && !l.hold {
        return Err(invalid("[]", "needs a program to run"));
    }
    if l.hold && (!l.init || !l.argv.is_empty()) {
        return Err(invalid("hold", "is the init alone, with no program"));
    }
    if l.rootfs.is_some() && !new(Kind::Mnt) {
        return Err(invalid("rootfs", "needs a new mount namespace"));
    }
    if !l.binds.is_empty() && !new(Kind::Mnt) {
        return Err(invalid("mounts", "need a new mount namespace"));
    }
    if l.hostname.is_some() && !new(Kind::Uts) {
        return Err(invalid("hostname", "needs a new uts namespace"));
    }
    if l.userns && l.rootfs.is_none() {
        return Err(invalid(
            "userns",
            "needs a rootfs (it is mounted idmapped; the host's own tree cannot be)",
        ));
    }
    if l.shutdown.is_some() && !l.init {
        return Err(invalid("shutdown", "needs the init (init=true)"));
    }
    if new(Kind::User)
        && Kind::ALL
            .iter()
            .any(|k| matches!(mode(*k), NsMode::Join(_)))
    {
        return Err(invalid(
            "namespaces",
            "cannot join existing namespaces together with a new user namespace",
        ));
    }
    for (_, target) in &l.pass_fds {
        if *target < 3 {
            return Err(invalid(
                target.to_string(),
                "passed descriptors go to numbers >= 3 (use stdin/stdout/stderr)",
            ));
        }
    }
    let refuse = |what, value: &dyn std::fmt::Debug, reason| {
        Err(Error::invalid("launch", what, format!("{value:?}"), reason))
    };
    for argv in [Some(&l.argv), l.boot.as_ref(), l.shutdown.as_ref()]
        .into_iter()
        .flatten()
    {
        if argv.first().is_some_and(|a| a.is_empty()) {
            return refuse("program", &"", "is empty: nothing to run");
        }
    }
    if let Some(h) = &l.hostname {
        if h.is_empty() || h.bytes().any(|b| b.is_ascii_control() || b == b'/') {
            return refuse(
                "hostname",
                h,
                "must be non-empty, without control characters or '/'",
            );
        }
    }
    if let Some(cwd) = &l.cwd {
        if !cwd.is_absolute() {
            return refuse("cwd", cwd, "must be an absolute path (inside the root)");
        }
    }
    for b in &l.binds {
        if b.source.as_os_str().is_empty() {
            return refuse("bind source", &b.source, "is empty");
        }
        if !b.target.is_absolute() {
            return refuse(
                "bind target",
                &b.target,
                "must be an absolute path inside the root",
            );
        }
        if b.target
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::CurDir))
        {
            return refuse(
                "bind target",
                &b.target,
                "is the root itself (a bind over / would hide the rootfs)",
            );
        }
    }
    if new(Kind::User) && l.uid_map.is_empty() != l.gid_map.is_empty() {
        let (given, missing) = if l.uid_map.is_empty() {
            ("gid_map", "uid_map")
        } else {
            ("uid_map", "gid_map")
        };
        return Err(Error::invalid(
            "launch",
            given,
            format!("without {missing}"),
            "a new user namespace needs both a uid_map and a gid_map (or neither)",
        ));
    }
    if let Some(root) = &l.rootfs {
        // Named as what it is: the rootfs itself, before any mount is tried.
        let errno = match std::fs::metadata(root) {
            Ok(m) if m.is_dir() => None,
            Ok(_) => Some(crate::Errno::ENOTDIR),
            Err(e) => Some(crate::error::io_errno(&e)),
        };
        if let Some(errno) = errno {
            return Err(Error::Launch {
                stage: Stage::Rootfs,
                errno,
                status: None,
                path: Some(root.clone()),
            });
        }
    }
    Ok(())
}

fn map_text(maps: &[IdMap]) -> String {
    maps.iter()
        .map(|m| format!("{} {} {}\n", m.inside, m.outside, m.count))
        .collect()
}

fn euid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    //! The mount plan and the checks before the clone are pure logic: tested here without a
    //! kernel (the real-kernel behaviour is in core/tests/launch.rs and isolation.rs).
    use super::*;

    fn targets(m: &MountPlan) -> Vec<(String, &'static str)> {
        m.steps
            .iter()
            .map(|s| {
                let what = match &s.action {
                    Action::Mount {
                        fstype: Some(t), ..
                    } if t.as_bytes() == b"proc" => "proc",
                    Action::Mount {
                        fstype: Some(t), ..
                    } if t.as_bytes() == b"sysfs" => "sysfs",
                    Action::Mount {
                        fstype: Some(t), ..
                    } if t.as_bytes() == b"tmpfs" => "tmpfs",
                    Action::Mount {
                        fstype: Some(_), ..
                    } => "fs",
                    Action::Mount { fstype: None, .. } => "bind",
                    Action::BindSelf { read_only: true } => "bind-self-ro",
                    Action::BindSelf { read_only: false } => "bind-self-rw",
                    Action::ReadOnlyRecursive => "ro-recursive",
                    Action::Check => "check",
                    Action::MoveTree { .. } => "move-tree",
                    Action::Mask => "mask",
                    Action::Mkdir => "mkdir",
                    Action::SharedDir => "shared-dir",
                    Action::CreateFile => "create-file",
                    Action::Symlink { .. } => "symlink",
                    Action::DeviceNode { .. } => "device-node",
                };
                (s.target.to_string_lossy().into_owned(), what)
            })
            .collect()
    }

    fn has(m: &MountPlan, target: &str, what: &str) -> bool {
        targets(m).iter().any(|(t, w)| t == target && *w == what)
    }

    fn position(m: &MountPlan, target: &str, what: &str) -> usize {
        targets(m)
            .iter()
            .position(|(t, w)| t == target && *w == what)
            .unwrap_or_else(|| panic!("no {what} step for {target}: {:?}", targets(m)))
    }

    #[test]
    fn without_a_rootfs_a_new_pid_namespace_gets_proc_and_nothing_else() {
        let l = Launch::new(["/bin/true"]);
        let m = mount_plan(&l, false, true).unwrap();
        assert!(has(&m, "proc", "proc"));
        assert!(!has(&m, "dev", "tmpfs"), "no /dev without a rootfs");
        assert!(
            !has(&m, "sys", "sysfs"),
            "the host netns keeps the host's /sys"
        );
        assert!(m.rootfs.is_none());
        assert_eq!(m.propagation, libc::MS_REC | libc::MS_SLAVE);
    }

    #[test]
    fn a_rootfs_is_checked_before_anything_is_mounted() {
        let mut l = Launch::new(["/bin/true"]);
        l.rootfs("/srv/router");
        let m = mount_plan(&l, true, true).unwrap();
        let first_mount = targets(&m)
            .iter()
            .position(|(_, w)| !matches!(*w, "check"))
            .unwrap();
        for t in ["proc", "sys", "dev"] {
            assert!(position(&m, t, "check") < first_mount, "{t} checked first");
        }
        assert!(
            has(&m, "sys", "sysfs"),
            "a private netns gets a fresh sysfs"
        );
        assert!(has(&m, "dev", "tmpfs") && has(&m, "dev/null", "device-node"));
        assert!(has(&m, "dev/pts", "fs"));
        assert_eq!(m.rootfs.as_deref(), Some(c"/srv/router"));
    }

    #[test]
    fn proc_sys_is_read_only_with_net_writable_only_in_a_private_netns() {
        let mut l = Launch::new(["/bin/true"]);
        l.rootfs("/r");
        let private = mount_plan(&l, true, true).unwrap();
        assert!(has(&private, "proc/sys", "bind-self-ro"));
        assert!(has(&private, "proc/sys/net", "bind-self-rw"));
        assert!(
            position(&private, "proc/sys", "bind-self-ro")
                < position(&private, "proc/sys/net", "bind-self-rw")
        );
        let host = mount_plan(&l, false, true).unwrap();
        assert!(has(&host, "proc/sys", "bind-self-ro"));
        assert!(!has(&host, "proc/sys/net", "bind-self-rw"));
        l.proc_sys_writable(true);
        let writable = mount_plan(&l, true, true).unwrap();
        assert!(!has(&writable, "proc/sys", "bind-self-ro"));
    }

    #[test]
    fn the_paths_runc_masks_are_masked_after_proc_is_mounted() {
        let mut l = Launch::new(["/bin/true"]);
        l.rootfs("/r");
        let m = mount_plan(&l, true, true).unwrap();
        let proc_at = position(&m, "proc", "proc");
        for t in ["proc/kcore", "proc/keys", "proc/kallsyms", "sys/firmware"] {
            assert!(position(&m, t, "mask") > proc_at, "{t}");
        }
    }

    #[test]
    fn host_dev_binds_the_hosts_dev_instead_of_a_tmpfs() {
        let mut l = Launch::new(["/bin/true"]);
        l.rootfs("/r").host_dev(true);
        let m = mount_plan(&l, true, true).unwrap();
        assert!(has(&m, "dev", "bind"));
        assert!(!has(&m, "dev", "tmpfs") && !has(&m, "dev/null", "device-node"));
    }

    #[test]
    fn binds_are_resolved_inside_the_root_and_read_only_all_the_way_down() {
        let mut l = Launch::new(["/bin/true"]);
        l.rootfs("/r").bind("/etc", "/mnt/etc", true);
        let m = mount_plan(&l, true, true).unwrap();
        let bind = position(&m, "mnt/etc", "bind");
        assert!(position(&m, "mnt/etc", "ro-recursive") > bind);
        assert!(
            position(&m, "mnt", "mkdir") < bind,
            "missing parents made inside the root"
        );
    }

    #[test]
    fn bind_targets_must_name_a_path_below_the_root() {
        for bad in ["", "/", "..", "/mnt/../etc"] {
            let err = relative("bind target", Path::new(bad)).unwrap_err();
            assert_eq!(err.errno(), crate::Errno::EINVAL, "{bad:?}");
        }
        assert_eq!(
            relative("bind target", Path::new("/a/./b/"))
                .unwrap()
                .as_bytes(),
            b"a/b"
        );
    }

    #[test]
    fn validate_refuses_options_that_need_another_namespace_or_the_init() {
        let check = |f: &dyn Fn(&mut Launch), needle: &str| {
            let mut l = Launch::new(["/bin/true"]);
            f(&mut l);
            let err = validate(&l).unwrap_err();
            assert!(err.to_string().contains(needle), "{err}");
        };
        check(
            &|l| {
                l.rootfs("/r").namespace(Kind::Mnt, NsMode::Inherit);
            },
            "needs a new mount namespace",
        );
        check(
            &|l| {
                l.hostname("h").namespace(Kind::Uts, NsMode::Inherit);
            },
            "needs a new uts namespace",
        );
        check(
            &|l| {
                l.shutdown(["/bin/true"]).init(false);
            },
            "needs the init",
        );
        assert!(validate(&Launch::new(["/bin/true"])).is_ok());
    }
}
