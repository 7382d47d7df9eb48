//! What the launcher and nsrun-init say to each other. This file is compiled into both: into
//! the `nsrun` crate as `launch::wire`, and into the init program (`core/init/main.rs`, via
//! `#[path]`), so the two ends can never disagree. `core` and `alloc` only (the init has no
//! `std`); no libc, no allocation in
//! [`Record`] (it is built between clone and exec).
//!
//! - [`Record`]: a failure before exec, as (stage, errno, status, path), written with one
//!   `write(2)` on a close-on-exec pipe.
//! - [`Config`]: the launch, as the init reads it from descriptor [`CONFIG_FD`].
//! - [`Request`] / reply tags: one exec session (`Child::exec`, `nsrun exec`).

#![allow(dead_code)] // each side uses its half

use alloc::vec::Vec;
use core::fmt;

/// The init reads its [`Config`] from this descriptor, then closes it.
pub const CONFIG_FD: i32 = 3;
/// The init's listening exec socket (SOCK_SEQPACKET, abstract name in the launcher's network
/// namespace) sits at this descriptor for its whole life, so another host process can take a
/// copy with `pidfd_getfd(2)`. A request on a connection to it comes with four descriptors:
/// that copy (the proof that the caller may ptrace the init; without it the init answers
/// EPERM), then the command's stdin, stdout and stderr.
pub const LISTEN_FD: i32 = 4;
/// argv\[0\] and comm of the init.
pub const INIT_NAME: &str = "nsrun-init";
/// Largest request a session accepts (a SOCK_SEQPACKET message is also bounded by the socket
/// buffer, about 200 KiB by default).
pub const MAX_REQUEST: usize = 192 * 1024;

/// Exit status of nsrun's own setup failures (as container tools use 125).
pub const SETUP_FAILED: i32 = 125;
/// Exit status when the program exists but cannot be run.
pub const CANNOT_RUN: i32 = 126;
/// Exit status when the program is not found.
pub const NOT_FOUND: i32 = 127;

/// Where in the launch something failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Stage {
    Clone = 1,
    UserMap,
    Setns,
    MountPropagation,
    MountRootfs,
    MountProc,
    MountSys,
    MountDev,
    MountTmp,
    MountBind,
    ProtectProcSys,
    PivotRoot,
    Sethostname,
    Boot,
    Stdio,
    Setgroups,
    Setgid,
    Setuid,
    Chdir,
    Exec,
    Fork,
    /// Starting nsrun's init (its image, its configuration).
    Init,
    /// The rootfs itself (missing, not a directory), checked before anything is done.
    Rootfs,
    /// Checking a mount point inside the rootfs, before anything is mounted.
    CheckRootfs,
    /// Masking runc's masked paths, making its read-only paths read-only.
    Mask,
    /// Dropping capabilities, installing the seccomp filter.
    Isolate,
    /// Looking at a namespace of the launch (after it ended: ESRCH).
    Namespace,
    /// The shutdown command (reported when it hangs).
    Shutdown,
}

impl Stage {
    const ALL: [Stage; 28] = [
        Stage::Clone,
        Stage::UserMap,
        Stage::Setns,
        Stage::MountPropagation,
        Stage::MountRootfs,
        Stage::MountProc,
        Stage::MountSys,
        Stage::MountDev,
        Stage::MountTmp,
        Stage::MountBind,
        Stage::ProtectProcSys,
        Stage::PivotRoot,
        Stage::Sethostname,
        Stage::Boot,
        Stage::Stdio,
        Stage::Setgroups,
        Stage::Setgid,
        Stage::Setuid,
        Stage::Chdir,
        Stage::Exec,
        Stage::Fork,
        Stage::Init,
        Stage::Rootfs,
        Stage::CheckRootfs,
        Stage::Mask,
        Stage::Isolate,
        Stage::Namespace,
        Stage::Shutdown,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Stage::Clone => "clone",
            Stage::UserMap => "user-map",
            Stage::Setns => "setns",
            Stage::MountPropagation => "mount-propagation",
            Stage::MountRootfs => "mount-rootfs",
            Stage::MountProc => "mount-proc",
            Stage::MountSys => "mount-sys",
            Stage::MountDev => "mount-dev",
            Stage::MountTmp => "mount-tmp",
            Stage::MountBind => "mount-bind",
            Stage::ProtectProcSys => "protect-proc-sys",
            Stage::PivotRoot => "pivot-root",
            Stage::Sethostname => "sethostname",
            Stage::Boot => "boot",
            Stage::Stdio => "stdio",
            Stage::Setgroups => "setgroups",
            Stage::Setgid => "setgid",
            Stage::Setuid => "setuid",
            Stage::Chdir => "chdir",
            Stage::Exec => "exec",
            Stage::Fork => "fork",
            Stage::Init => "init",
            Stage::Rootfs => "rootfs",
            Stage::CheckRootfs => "check-rootfs",
            Stage::Mask => "mask",
            Stage::Isolate => "isolate",
            Stage::Namespace => "namespace",
            Stage::Shutdown => "shutdown",
        }
    }

    fn from_u32(v: u32) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| *s as u32 == v)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub const PATH_MAX_REPORT: usize = 1024;

/// A failure before exec. Fixed size and smaller than PIPE_BUF, so one write(2) is atomic.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Record {
    pub stage: u32,
    pub errno: i32,
    /// For Stage::Boot: the wait status of the boot command.
    pub status: i32,
    pub path_len: u32,
    pub path: [u8; PATH_MAX_REPORT],
}

impl Record {
    pub const SIZE: usize = core::mem::size_of::<Record>();

    /// Builds a record without allocating (used between clone and exec).
    pub fn new(stage: Stage, errno: i32, status: i32, path: &[u8]) -> Record {
        let mut r = Record {
            stage: stage as u32,
            errno,
            status,
            path_len: 0,
            path: [0; PATH_MAX_REPORT],
        };
        let n = path.len().min(PATH_MAX_REPORT);
        r.path[..n].copy_from_slice(&path[..n]);
        r.path_len = n as u32;
        r
    }

    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: Record is repr(C) plain-old-data without padding (four 4-byte fields and a
        // byte array); viewing it as SIZE bytes is valid for its lifetime.
        unsafe { core::slice::from_raw_parts((self as *const Record).cast::<u8>(), Record::SIZE) }
    }

    pub fn from_bytes(b: &[u8]) -> Option<Record> {
        if b.len() < Record::SIZE {
            return None;
        }
        // SAFETY: Record is repr(C) plain-old-data; every bit pattern is valid for its fields,
        // and `b` holds at least SIZE bytes.
        Some(unsafe { core::ptr::read_unaligned(b.as_ptr().cast()) })
    }

    pub fn stage(&self) -> Stage {
        Stage::from_u32(self.stage).unwrap_or(Stage::Exec)
    }

    pub fn path_bytes(&self) -> &[u8] {
        &self.path[..(self.path_len as usize).min(PATH_MAX_REPORT)]
    }
}

/// Exit status for a failed exec: 127 when not found, 126 when it cannot be run.
pub fn exec_failure_code(errno: i32) -> i32 {
    const ENOENT: i32 = 2;
    const ENOTDIR: i32 = 20;
    if errno == ENOENT || errno == ENOTDIR {
        NOT_FOUND
    } else {
        CANNOT_RUN
    }
}

/// The launch status rule: the exit code, or 128+signal.
pub fn exit_code(wait_status: i32) -> i32 {
    let sig = wait_status & 0x7f;
    if sig == 0 {
        (wait_status >> 8) & 0xff
    } else if sig != 0x7f {
        128 + sig
    } else {
        SETUP_FAILED
    }
}

/// Byte-level encoding: little-endian integers, length-prefixed byte strings.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.u32(v as u32)
    }
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u32(v as u32)
    }
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
        self
    }
    pub fn opt_u32(&mut self, v: Option<u32>) -> &mut Self {
        self.bool(v.is_some()).u32(v.unwrap_or(0))
    }
    pub fn opt_bytes(&mut self, v: Option<&[u8]>) -> &mut Self {
        self.bool(v.is_some()).bytes(v.unwrap_or(b""))
    }
    pub fn list(&mut self, v: &[Vec<u8>]) -> &mut Self {
        self.u32(v.len() as u32);
        for b in v {
            self.bytes(b);
        }
        self
    }
    pub fn opt_list(&mut self, v: Option<&[Vec<u8>]>) -> &mut Self {
        self.bool(v.is_some()).list(v.unwrap_or(&[]))
    }
}

/// The reading side of [`Writer`]; every getter returns None on a short or malformed buffer.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Some(head)
    }
    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    pub fn i32(&mut self) -> Option<i32> {
        self.u32().map(|v| v as i32)
    }
    pub fn bool(&mut self) -> Option<bool> {
        self.u32().map(|v| v != 0)
    }
    pub fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.u32()? as usize;
        self.take(n).map(<[u8]>::to_vec)
    }
    pub fn opt_u32(&mut self) -> Option<Option<u32>> {
        let some = self.bool()?;
        let v = self.u32()?;
        Some(some.then_some(v))
    }
    pub fn opt_bytes(&mut self) -> Option<Option<Vec<u8>>> {
        let some = self.bool()?;
        let v = self.bytes()?;
        Some(some.then_some(v))
    }
    pub fn list(&mut self) -> Option<Vec<Vec<u8>>> {
        let n = self.u32()? as usize;
        if n > self.buf.len() / 4 {
            return None;
        }
        (0..n).map(|_| self.bytes()).collect()
    }
    pub fn opt_list(&mut self) -> Option<Option<Vec<Vec<u8>>>> {
        let some = self.bool()?;
        let v = self.list()?;
        Some(some.then_some(v))
    }
}

/// How to run one program: argv, environment ("K=V"), PATH directories to search when argv\[0\]
/// has no '/', working directory and credentials.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub argv: Vec<Vec<u8>>,
    pub env: Vec<Vec<u8>>,
    pub search: Vec<Vec<u8>>,
    pub cwd: Option<Vec<u8>>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

impl Program {
    fn put(&self, w: &mut Writer) {
        w.list(&self.argv)
            .list(&self.env)
            .list(&self.search)
            .opt_bytes(self.cwd.as_deref())
            .opt_u32(self.uid)
            .opt_u32(self.gid);
    }
    fn get(r: &mut Reader<'_>) -> Option<Program> {
        Some(Program {
            argv: r.list()?,
            env: r.list()?,
            search: r.list()?,
            cwd: r.opt_bytes()?,
            uid: r.opt_u32()?,
            gid: r.opt_u32()?,
        })
    }
}

/// Everything nsrun-init needs to know about its launch.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Stay as the init (reap, forward signals, serve exec requests); if false, run the boot
    /// command and then exec the payload in place (the payload is PID 1).
    pub stay: bool,
    /// The init is PID 1 of a new PID namespace: only then may it signal "every process".
    pub owns_pid_ns: bool,
    pub interactive: bool,
    pub may_setgroups: bool,
    pub shutdown_signal: i32,
    /// Where failures before the payload's exec are reported (the launcher reads to EOF).
    pub err_fd: i32,
    pub null_fd: i32,
    /// The launcher's end is in `Child`: requests carry their own reply socket.
    pub control_fd: i32,
    /// -1, or [`LISTEN_FD`].
    pub listen_fd: i32,
    /// A time namespace to join (-1: none). A process sharing its memory cannot enter one
    /// (setns gives EUSERS, clone with CLONE_VM keeps the old one), so the init does it.
    pub time_fd: i32,
    /// A new time namespace, made by the init (unshare, then join its time_for_children).
    pub new_time: bool,
    pub payload: Program,
    pub boot: Option<Vec<Vec<u8>>>,
    pub shutdown: Option<Vec<Vec<u8>>>,
    /// (descriptor in the init, number in the payload).
    pub pass: Vec<(i32, i32)>,
}

const CONFIG_MAGIC: u32 = 0x6e73_7231; // "nsr1"

impl Config {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(CONFIG_MAGIC)
            .bool(self.stay)
            .bool(self.owns_pid_ns)
            .bool(self.interactive)
            .bool(self.may_setgroups)
            .i32(self.shutdown_signal)
            .i32(self.err_fd)
            .i32(self.null_fd)
            .i32(self.control_fd)
            .i32(self.listen_fd)
            .i32(self.time_fd)
            .bool(self.new_time);
        self.payload.put(&mut w);
        w.opt_list(self.boot.as_deref())
            .opt_list(self.shutdown.as_deref());
        w.u32(self.pass.len() as u32);
        for (from, to) in &self.pass {
            w.i32(*from).i32(*to);
        }
        w.0
    }

    pub fn decode(buf: &[u8]) -> Option<Config> {
        let mut r = Reader::new(buf);
        if r.u32()? != CONFIG_MAGIC {
            return None;
        }
        let mut c = Config {
            stay: r.bool()?,
            owns_pid_ns: r.bool()?,
            interactive: r.bool()?,
            may_setgroups: r.bool()?,
            shutdown_signal: r.i32()?,
            err_fd: r.i32()?,
            null_fd: r.i32()?,
            control_fd: r.i32()?,
            listen_fd: r.i32()?,
            time_fd: r.i32()?,
            new_time: r.bool()?,
            payload: Program::get(&mut r)?,
            boot: r.opt_list()?,
            shutdown: r.opt_list()?,
            pass: Vec::new(),
        };
        let n = r.u32()?;
        for _ in 0..n {
            c.pass.push((r.i32()?, r.i32()?));
        }
        Some(c)
    }
}

/// One exec request. It arrives with SCM_RIGHTS descriptors: \[stdin, stdout, stderr\] when sent
/// on an accepted connection, \[reply socket, stdin, stdout, stderr\] on the launcher's control
/// socket. Fields left empty take the launch's values (environment, search path, cwd, ids).
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub argv: Vec<Vec<u8>>,
    pub env: Option<Vec<Vec<u8>>>,
    pub search: Option<Vec<Vec<u8>>>,
    pub cwd: Option<Vec<u8>>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

const REQUEST_MAGIC: u32 = 0x6e73_7865; // "nsxe"

impl Request {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(REQUEST_MAGIC)
            .list(&self.argv)
            .opt_list(self.env.as_deref())
            .opt_list(self.search.as_deref())
            .opt_bytes(self.cwd.as_deref())
            .opt_u32(self.uid)
            .opt_u32(self.gid);
        w.0
    }

    pub fn decode(buf: &[u8]) -> Option<Request> {
        let mut r = Reader::new(buf);
        if r.u32()? != REQUEST_MAGIC {
            return None;
        }
        Some(Request {
            argv: r.list()?,
            env: r.opt_list()?,
            search: r.opt_list()?,
            cwd: r.opt_bytes()?,
            uid: r.opt_u32()?,
            gid: r.opt_u32()?,
        })
    }
}

/// Reply tags, the first u32 of each reply message.
/// `REPLY_STARTED`, pid in the launch's PID namespace (i32); the pidfd as SCM_RIGHTS.
pub const REPLY_STARTED: u32 = 1;
/// `REPLY_FAILED`, then a [`Record`].
pub const REPLY_FAILED: u32 = 2;
/// `REPLY_EXITED`, then the wait status (i32). The last message of a session.
pub const REPLY_EXITED: u32 = 3;
/// From the init on its control socket, unasked: the shutdown command has started.
pub const EVENT_SHUTDOWN_STARTED: u32 = 10;
/// From the init on its control socket, unasked: the shutdown command has ended.
pub const EVENT_SHUTDOWN_DONE: u32 = 11;
/// From the init (interactive launches), unasked: the program was stopped, then the signal
/// (i32) that stopped it.
pub const EVENT_PAYLOAD_STOPPED: u32 = 12;

/// The agent: nsrun-init started with argv\[0\] [`AGENT_NAME`] does, for a caller without
/// privilege, what needs it inside a user namespace the caller owns ([`crate::rootless`]'s
/// keeper and the user namespace of a rootless lab). It serves [`AgentRequest`]s on descriptor
/// [`AGENT_FD`] (a SOCK_SEQPACKET socket) and, once asked to listen, on a socket file. Each
/// answer is an i32 (a value >= 0, or -errno) with at most one descriptor as SCM_RIGHTS.
pub const AGENT_NAME: &str = "nsrun-agent";
/// The agent's first connection.
pub const AGENT_FD: i32 = 3;

/// The operations of an agent; `fd` is the descriptor sent with the request.
pub mod agent_op {
    /// unshare(a) for the agent itself (CLONE_NEWUSER first, CLONE_NEWNS for the keeper).
    pub const UNSHARE: u32 = 1;
    /// A new namespace of flag `a`, the agent's own unchanged: its descriptor.
    pub const NEWNS: u32 = 2;
    /// socket(a, b, c) in the network namespace `fd`.
    pub const SOCKET: u32 = 3;
    /// open(path, a) in the network namespace `fd` (a /proc/sys/net file).
    pub const OPEN: u32 = 4;
    /// The agent's own namespace file `path` (`user`, `mnt`…) opened.
    pub const NSFD: u32 = 5;
    /// Mount propagation `a` (MS_SLAVE|MS_REC…) of the agent's root.
    pub const PROPAGATION: u32 = 6;
    /// Listen on the socket file `path` (replacing a stale one); connections from other users
    /// are closed at once.
    pub const LISTEN: u32 = 7;
    /// Outlive the first connection (setsid): exit only once no connection is left and no name
    /// is held; the socket file is unlinked first.
    pub const DETACH: u32 = 8;
    /// A new network namespace bound on `path` (made if missing; EEXIST if it holds one),
    /// inside the agent's mount namespace: its descriptor.
    pub const ADD_NET: u32 = 9;
    /// Unmounts every namespace bound on `path` and removes the file: how many there were
    /// (ENOENT: no file; EINVAL: none bound, the file is removed anyway).
    pub const DELETE: u32 = 10;
    /// The namespace bound on `path` (ENOENT: no file; EINVAL: none bound).
    pub const OPEN_NS: u32 = 11;
    /// A tmpfs (nosuid, nodev; options `data`) mounted on `path` in the mount namespace `fd`.
    pub const MOUNT_TMPFS: u32 = 12;
    /// `data` written to `path` (mode `a`, owner `b`:`c`, u32::MAX: unchanged) in the mount
    /// namespace `fd`, its missing parents made with the same owner.
    pub const WRITE_FILE: u32 = 13;
    /// setns(fd, a) for the agent itself (a second agent joining the first's user namespace).
    pub const SETNS: u32 = 14;
}

/// One request to an agent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentRequest {
    pub op: u32,
    pub a: u32,
    pub b: u32,
    pub c: u32,
    pub path: Vec<u8>,
    pub data: Vec<u8>,
}

const AGENT_MAGIC: u32 = 0x6e73_7861; // "nsxa"

impl AgentRequest {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(AGENT_MAGIC)
            .u32(self.op)
            .u32(self.a)
            .u32(self.b)
            .u32(self.c)
            .bytes(&self.path)
            .bytes(&self.data);
        w.0
    }

    pub fn decode(buf: &[u8]) -> Option<AgentRequest> {
        let mut r = Reader::new(buf);
        if r.u32()? != AGENT_MAGIC {
            return None;
        }
        Some(AgentRequest {
            op: r.u32()?,
            a: r.u32()?,
            b: r.u32()?,
            c: r.u32()?,
            path: r.bytes()?,
            data: r.bytes()?,
        })
    }
}
