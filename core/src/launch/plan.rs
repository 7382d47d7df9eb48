//! Before the clone: validate the launch, allocate everything the child needs (C strings,
//! pointer arrays, the mount steps, descriptors), then clone and talk to the child.

use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::raw::{c_char, c_ulong};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

use nix::errno::Errno;

use super::handle::Child;
use super::report::{Record, Stage};
use super::{spawner, IdMap, Launch, NsMode, Stdio};
use crate::error::{io_errno, Context, Error, Result};
use crate::{sys, Kind};

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Descriptors the child works with are moved to this number or above, so that dup2 onto
/// 0, 1, 2 and onto passed descriptor numbers never clobbers one still needed.
const HIGH_FD: RawFd = 100;

/// A program to exec, fully prepared.
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
    /// Bind the target onto itself, then remount it read-only or read-write, keeping its other
    /// flags (which a user namespace may have locked).
    BindSelf {
        read_only: bool,
    },
    /// Remount the bind mount at the target read-only, keeping its other flags.
    RemountReadOnly,
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

pub(crate) struct MountStep {
    pub stage: Stage,
    pub target: CString,
    pub action: Action,
    /// A missing target is skipped rather than an error.
    pub optional: bool,
}

pub(crate) struct MountPlan {
    pub propagation: c_ulong,
    pub rootfs: Option<CString>,
    pub steps: Vec<MountStep>,
}

/// Everything the child reads. Raw pointers point into vectors owned by the same struct,
/// which outlives the clone (the child has its own copy of the memory).
pub(crate) struct Plan {
    pub clone_flags: u64,
    pub joins: Vec<(RawFd, i32)>,
    pub user_go: RawFd,
    pub mount: Option<MountPlan>,
    pub hostname: Option<CString>,
    pub boot: Option<ExecPlan>,
    pub payload: ExecPlan,
    pub shutdown: Option<ExecPlan>,
    pub env_ptrs: Vec<*const c_char>,
    pub cwd: Option<CString>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub may_setgroups: bool,
    pub stdio: [RawFd; 3],
    pub null_fd: RawFd,
    pub pass: Vec<(RawFd, RawFd)>,
    pub init: bool,
    /// The init is PID 1 of a new PID namespace: only then may it signal "every process"
    /// (kill(-1) from anywhere else would reach the host's processes).
    pub owns_pid_ns: bool,
    pub interactive: bool,
    pub err_w: RawFd,
    pub parent_pidfd: RawFd,
    pub shutdown_signal: i32,
    /// Every descriptor the child needs, sorted: all others are closed right after the clone.
    pub keep_fds: Vec<RawFd>,
    /// The stack C1's vfork-style children run on (C1 has its own copy of this memory).
    pub child_stack: std::cell::UnsafeCell<Vec<u8>>,
    _env: Vec<CString>,
}

fn invalid(value: impl Into<String>, reason: &'static str) -> Error {
    Error::invalid("launch", "option", value.into(), reason)
}

fn cstring(what: &'static str, s: &OsStr) -> Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| {
        Error::invalid(
            "launch",
            what,
            s.to_string_lossy().into_owned(),
            "contains a NUL byte",
        )
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
                return Err(Error::invalid(
                    "launch",
                    what,
                    p.display().to_string(),
                    "must not contain '..'",
                ))
            }
        }
    }
    let joined = if parts.is_empty() {
        b".".to_vec()
    } else {
        parts.join(&b'/')
    };
    cstring(what, OsStr::from_bytes(&joined))
}

fn exec_plan(argv: &[OsString], env: &[(OsString, OsString)]) -> Result<ExecPlan> {
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
        let path = env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.as_bytes().to_vec())
            .unwrap_or_else(|| DEFAULT_PATH.as_bytes().to_vec());
        path.split(|b| *b == b':')
            .map(|d| if d.is_empty() { &b"."[..] } else { d })
            .map(|d| CString::new(d).map_err(|_| invalid("PATH", "contains a NUL byte")))
            .collect::<Result<_>>()?
    };
    Ok(ExecPlan {
        argv,
        argv_ptrs,
        search,
    })
}

/// Moves a descriptor to HIGH_FD or above (close-on-exec).
fn high(fd: impl AsFd) -> Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC on a valid descriptor; the result is a new descriptor we own.
    let r = unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_DUPFD_CLOEXEC, HIGH_FD) };
    let r = Errno::result(r).map_err(|e| Error::sys_nopath("launch: duplicate descriptor", e))?;
    // SAFETY: `r` was just returned by the kernel and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(r) })
}

fn mount_plan(l: &Launch, net_private: bool, new_pid: bool) -> Result<MountPlan> {
    use libc::{MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_SLAVE};
    let c = |s: &str| CString::new(s).expect("no NUL in constants");
    let mut steps = Vec::new();
    let mut mount = |stage,
                     target: &str,
                     source: Option<&str>,
                     fstype: Option<&str>,
                     flags,
                     data: Option<&str>,
                     optional| {
        steps.push(MountStep {
            stage,
            target: c(target),
            action: Action::Mount {
                source: source.map(c),
                fstype: fstype.map(c),
                flags,
                data: data.map(c),
            },
            optional,
        })
    };
    let with_root = l.rootfs.is_some();
    if new_pid || with_root {
        mount(
            Stage::MountProc,
            "proc",
            Some("proc"),
            Some("proc"),
            MS_NOSUID | MS_NODEV | MS_NOEXEC,
            None,
            false,
        );
    }
    if net_private {
        mount(
            Stage::MountSys,
            "sys",
            Some("sysfs"),
            Some("sysfs"),
            MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
            None,
            false,
        );
    } else if with_root {
        mount(
            Stage::MountSys,
            "sys",
            Some("/sys"),
            None,
            MS_BIND | MS_REC,
            None,
            false,
        );
    }
    if with_root && !l.host_dev {
        mount(
            Stage::MountDev,
            "dev",
            Some("tmpfs"),
            Some("tmpfs"),
            MS_NOSUID | MS_NOEXEC,
            Some("mode=755,size=65536k"),
            false,
        );
    } else if with_root {
        mount(
            Stage::MountDev,
            "dev",
            Some("/dev"),
            None,
            MS_BIND | MS_REC,
            None,
            false,
        );
    }
    if with_root {
        mount(
            Stage::MountTmp,
            "tmp",
            Some("tmpfs"),
            Some("tmpfs"),
            MS_NOSUID | MS_NODEV,
            Some("mode=1777"),
            true,
        );
        mount(
            Stage::MountTmp,
            "run",
            Some("tmpfs"),
            Some("tmpfs"),
            MS_NOSUID | MS_NODEV,
            Some("mode=755"),
            true,
        );
    }
    let mut step = |stage, target: &str, action, optional| {
        steps.push(MountStep {
            stage,
            target: c(target),
            action,
            optional,
        })
    };
    if with_root && !net_private {
        step(Stage::MountSys, "sys", Action::RemountReadOnly, false);
    }
    if with_root && !l.host_dev {
        for (node, major, minor) in [
            ("null", 1, 3),
            ("zero", 1, 5),
            ("full", 1, 7),
            ("random", 1, 8),
            ("urandom", 1, 9),
            ("tty", 5, 0),
        ] {
            step(
                Stage::MountDev,
                &format!("dev/{node}"),
                Action::DeviceNode {
                    dev: libc::makedev(major, minor),
                    host: c(&format!("/dev/{node}")),
                },
                false,
            );
        }
        step(Stage::MountDev, "dev/pts", Action::Mkdir, false);
        step(
            Stage::MountDev,
            "dev/pts",
            Action::Mount {
                source: Some(c("devpts")),
                fstype: Some(c("devpts")),
                flags: MS_NOSUID | MS_NOEXEC,
                data: Some(c("newinstance,ptmxmode=0666,mode=620")),
            },
            false,
        );
        step(Stage::MountDev, "dev/shm", Action::SharedDir, false);
        for (name, to) in [
            ("dev/ptmx", "pts/ptmx"),
            ("dev/fd", "/proc/self/fd"),
            ("dev/stdin", "/proc/self/fd/0"),
            ("dev/stdout", "/proc/self/fd/1"),
            ("dev/stderr", "/proc/self/fd/2"),
        ] {
            step(Stage::MountDev, name, Action::Symlink { to: c(to) }, false);
        }
        if l.interactive {
            // The terminal the program runs on, as busybox and getty expect it.
            if let Ok(tty) = std::fs::read_link("/proc/self/fd/0") {
                if tty.starts_with("/dev/pts/") || tty.starts_with("/dev/tty") {
                    step(Stage::MountDev, "dev/console", Action::CreateFile, false);
                    steps.push(MountStep {
                        stage: Stage::MountDev,
                        target: c("dev/console"),
                        action: Action::Mount {
                            source: Some(cstring("tty", tty.as_os_str())?),
                            fstype: None,
                            flags: MS_BIND,
                            data: None,
                        },
                        optional: false,
                    });
                }
            }
        }
    }
    if (new_pid || with_root) && !l.proc_sys_writable {
        steps.push(MountStep {
            stage: Stage::ProtectProcSys,
            target: c("proc/sys"),
            action: Action::BindSelf { read_only: true },
            optional: false,
        });
        if net_private {
            steps.push(MountStep {
                stage: Stage::ProtectProcSys,
                target: c("proc/sys/net"),
                action: Action::BindSelf { read_only: false },
                optional: false,
            });
        }
    }
    for b in &l.binds {
        let target = relative("bind target", &b.target)?;
        // Missing mount points are created inside the root, as runc does: parents as
        // directories, the target like its source (EEXIST is fine).
        let source_is_dir = std::fs::metadata(&b.source)
            .ctx("launch: bind source", &b.source)?
            .is_dir();
        let bytes = target.as_bytes();
        for (i, _) in bytes.iter().enumerate().filter(|(_, c)| **c == b'/') {
            steps.push(MountStep {
                stage: Stage::MountBind,
                target: CString::new(&bytes[..i]).expect("no NUL"),
                action: Action::Mkdir,
                optional: false,
            });
        }
        steps.push(MountStep {
            stage: Stage::MountBind,
            target: target.clone(),
            action: if source_is_dir {
                Action::Mkdir
            } else {
                Action::CreateFile
            },
            optional: false,
        });
        steps.push(MountStep {
            stage: Stage::MountBind,
            target: target.clone(),
            action: Action::Mount {
                source: Some(cstring("bind source", b.source.as_os_str())?),
                fstype: None,
                flags: MS_BIND | MS_REC,
                data: None,
            },
            optional: false,
        });
        if b.read_only {
            steps.push(MountStep {
                stage: Stage::MountBind,
                target,
                action: Action::RemountReadOnly,
                optional: false,
            });
        }
    }
    Ok(MountPlan {
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
        steps,
    })
}

fn validate(l: &Launch) -> Result<()> {
    let mode = |k| l.namespace_mode(k);
    let new = |k| matches!(mode(k), NsMode::New);
    if l.argv.is_empty() {
        return Err(invalid("[]", "needs a program to run"));
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
    Ok(())
}

fn write_map(pid: i32, file: &str, content: &str) -> Result<()> {
    let path = format!("/proc/{pid}/{file}");
    std::fs::write(&path, content).map_err(|e| Error::Launch {
        stage: Stage::UserMap,
        errno: io_errno(&e),
        status: None,
        path: Some(path.into()),
    })
}

fn map_text(maps: &[IdMap]) -> String {
    maps.iter()
        .map(|m| format!("{} {} {}\n", m.inside, m.outside, m.count))
        .collect()
}

pub(crate) fn spawn(l: &mut Launch) -> Result<Child> {
    validate(l)?;
    let new = |k| matches!(l.namespace_mode(k), NsMode::New);
    let net_private = !matches!(l.namespace_mode(Kind::Net), NsMode::Inherit);
    let new_user = new(Kind::User);

    let env: Vec<(OsString, OsString)> = match &l.env {
        Some(e) => e.clone(),
        None => std::env::vars_os().collect(),
    };
    let env_c: Vec<CString> = env
        .iter()
        .map(|(k, v)| {
            let mut b = k.as_bytes().to_vec();
            b.push(b'=');
            b.extend_from_slice(v.as_bytes());
            cstring("environment variable", OsStr::from_bytes(&b))
        })
        .collect::<Result<_>>()?;
    let mut env_ptrs: Vec<*const c_char> = env_c.iter().map(|e| e.as_ptr()).collect();
    env_ptrs.push(std::ptr::null());

    let payload = exec_plan(&l.argv, &env)?;
    let boot = l.boot.as_deref().map(|a| exec_plan(a, &env)).transpose()?;
    let shutdown = l
        .shutdown
        .as_deref()
        .map(|a| exec_plan(a, &env))
        .transpose()?;
    let mount = if new(Kind::Mnt) {
        Some(mount_plan(l, net_private, new(Kind::Pid))?)
    } else {
        None
    };
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

    let mut clone_flags = 0u64;
    let mut joins = Vec::new();
    // Join order as nsenter(1): user first (rejected above with a new user ns), mnt last.
    for k in [
        Kind::User,
        Kind::Cgroup,
        Kind::Ipc,
        Kind::Uts,
        Kind::Net,
        Kind::Pid,
        Kind::Time,
        Kind::Mnt,
    ] {
        match l.namespace_mode(k) {
            NsMode::New => clone_flags |= k.flag() as u32 as u64,
            NsMode::Join(ns) => joins.push((ns.as_fd().as_raw_fd(), k.flag())),
            NsMode::Inherit => {}
        }
    }

    // Descriptors for the child, all moved high and close-on-exec.
    let null = high(std::fs::File::open("/dev/null").ctx("launch: open", "/dev/null")?)?;
    let mut keep: Vec<OwnedFd> = Vec::new();
    let mut parent_ends: [Option<OwnedFd>; 3] = [None, None, None];
    let mut stdio = [-1; 3];
    for (i, s) in [&l.stdin, &l.stdout, &l.stderr].into_iter().enumerate() {
        stdio[i] = match s {
            Stdio::Inherit => -1,
            Stdio::Null => null.as_raw_fd(),
            Stdio::Fd(fd) => {
                let h = high(fd)?;
                let raw = h.as_raw_fd();
                keep.push(h);
                raw
            }
            Stdio::Piped => {
                let (r, w) = sys::pipe_cloexec()?;
                let (mine, theirs) = if i == 0 { (w, r) } else { (r, w) };
                let h = high(theirs)?;
                let raw = h.as_raw_fd();
                keep.push(h);
                parent_ends[i] = Some(mine);
                raw
            }
        };
    }
    let mut pass = Vec::new();
    for (fd, target) in &l.pass_fds {
        let h = high(fd)?;
        pass.push((h.as_raw_fd(), *target));
        keep.push(h);
    }
    let (err_r, err_w) = sys::pipe_cloexec()?;
    let err_w = high(err_w)?;
    let user_go = if new_user {
        Some(sys::pipe_cloexec()?)
    } else {
        None
    };
    let user_go_r = match &user_go {
        Some((r, _)) => Some(high(r)?),
        None => None,
    };
    // SAFETY: pidfd_open on our own pid returns a new descriptor or -1.
    let parent_pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) } as i32;
    let parent_pidfd =
        Errno::result(parent_pidfd).map_err(|e| Error::sys_nopath("launch: pidfd_open", e))?;
    // SAFETY: just created, owned here.
    let parent_pidfd = unsafe { OwnedFd::from_raw_fd(parent_pidfd) };
    let parent_pidfd = high(&parent_pidfd)?;

    // Every descriptor the child needs; it closes all others right after the clone.
    let mut keep_fds: Vec<RawFd> = joins.iter().map(|(fd, _)| *fd).collect();
    keep_fds.extend(stdio.iter().copied().filter(|fd| *fd >= 0));
    keep_fds.extend(pass.iter().map(|(fd, _)| *fd));
    keep_fds.push(null.as_raw_fd());
    keep_fds.push(err_w.as_raw_fd());
    keep_fds.push(parent_pidfd.as_raw_fd());
    keep_fds.extend(user_go_r.as_ref().map(|f| f.as_raw_fd()));
    keep_fds.sort_unstable();
    keep_fds.dedup();

    let plan = Plan {
        clone_flags,
        joins,
        user_go: user_go_r.as_ref().map(|f| f.as_raw_fd()).unwrap_or(-1),
        mount,
        hostname,
        boot,
        payload,
        shutdown,
        env_ptrs,
        cwd,
        uid: l.uid,
        gid: l.gid,
        // With a new user namespace made by an unprivileged launcher, setgroups is denied.
        may_setgroups: !new_user || euid() == 0,
        stdio,
        null_fd: null.as_raw_fd(),
        pass,
        init: l.init,
        owns_pid_ns: new(Kind::Pid),
        interactive: l.interactive,
        err_w: err_w.as_raw_fd(),
        parent_pidfd: parent_pidfd.as_raw_fd(),
        shutdown_signal: super::handle::shutdown_signal(),
        keep_fds,
        child_stack: std::cell::UnsafeCell::new(vec![0u8; 128 * 1024]),
        _env: env_c,
    };

    let (pid, pidfd) = spawner::clone(&plan)?;
    drop(err_w);
    drop(keep);
    drop(user_go_r);
    let child = Child::new(pid, pidfd, parent_ends, l.init, l.interactive);

    if let Some((_, go_w)) = user_go {
        let maps = (|| {
            if euid() != 0 {
                write_map(pid, "setgroups", "deny")?;
            }
            write_map(pid, "uid_map", &map_text(&l.uid_map))?;
            write_map(pid, "gid_map", &map_text(&l.gid_map))
        })();
        if let Err(e) = maps {
            drop(go_w);
            drop(child); // kills and reaps
            return Err(e);
        }
        let _ = nix::unistd::write(&go_w, b"g");
    }

    let mut buf = [0u8; Record::SIZE];
    match sys::read_exact(err_r.as_fd(), &mut buf) {
        Err(Errno::EIO) => Ok(child), // EOF: the program was exec'd
        Err(e) => {
            drop(child);
            Err(Error::sys_nopath("launch: read child report", e))
        }
        Ok(()) => {
            let r = Record::from_bytes(&buf);
            let mut child = child;
            let _ = child.wait(None);
            Err(Error::Launch {
                stage: r.stage(),
                errno: crate::Errno::from_raw(r.errno),
                status: (r.stage() == Stage::Boot).then_some(r.status),
                path: r.path(),
            })
        }
    }
}

fn euid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}
