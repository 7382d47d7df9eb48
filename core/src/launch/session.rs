//! Exec into a running launch, through its init: the client side of an exec session.
//!
//! A request (argv, environment, cwd, ids) travels with the command's stdin, stdout and stderr
//! as SCM_RIGHTS over a SOCK_SEQPACKET socket; nsrun-init forks the command inside every
//! namespace of the launch (it is the init's child, in its PID namespace, root, /proc,
//! hostname and cgroup), answers with a pidfd of it, and later with its wait status. The init
//! reaps it and kills it when the launch stops.
//!
//! Two ways in: the launcher's [`super::Child`] holds one end of a socket pair whose other end
//! the init watches, and sends each request with a fresh reply socket ([`exec_via_control`]);
//! any other host process uses [`exec_target`]: it copies the init's listening socket with
//! pidfd_getfd(2), reads its abstract name, connects, and sends that copy along with the
//! request. The init serves that socket only to processes outside the launch's PID namespace,
//! and runs a request only when it comes with the init's own listening socket: the proof that
//! the caller may ptrace the init. Anyone can read the abstract name in /proc/net/unix and
//! connect; that alone gets an EPERM answer.

use std::ffi::OsString;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::errno::Errno;

use super::options::Stdio;
use super::status::{record_error, ExitStatus};
use super::wire::{self, Record, Request};
use crate::error::{Context, Error, Result};
use crate::sys;

/// A command to run inside a running launch, like `std::process::Command`. Unset options take
/// the launch's: its environment (and PATH), its working directory, its uid/gid. Stdio is
/// inherited from the caller unless set.
#[derive(Debug)]
pub struct ExecCommand {
    argv: Vec<OsString>,
    env: Option<Vec<(OsString, OsString)>>,
    cwd: Option<PathBuf>,
    uid: Option<u32>,
    gid: Option<u32>,
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
}

impl ExecCommand {
    /// A command `argv` (`argv[0]` is looked up in the PATH inside if it has no `/`).
    pub fn new<I, S>(argv: I) -> ExecCommand
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        ExecCommand {
            argv: argv.into_iter().map(Into::into).collect(),
            env: None,
            cwd: None,
            uid: None,
            gid: None,
            stdin: Stdio::Inherit,
            stdout: Stdio::Inherit,
            stderr: Stdio::Inherit,
        }
    }

    /// Replaces the environment (default: the launch's).
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

    /// Working directory inside (default: the launch's).
    pub fn cwd(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.cwd = Some(dir.into());
        self
    }

    /// uid and gid inside (default: the launch's).
    pub fn user(&mut self, uid: u32, gid: u32) -> &mut Self {
        self.uid(uid).gid(gid)
    }

    /// uid inside (default: the launch's).
    pub fn uid(&mut self, uid: u32) -> &mut Self {
        self.uid = Some(uid);
        self
    }

    /// gid inside (default: the launch's).
    pub fn gid(&mut self, gid: u32) -> &mut Self {
        self.gid = Some(gid);
        self
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

    /// The wire request, the three descriptors for the command and the caller's pipe ends.
    fn prepare(&self) -> Result<Prepared> {
        if self.argv.is_empty() {
            return Err(invalid("[]", "needs a program to run", Errno::EINVAL));
        }
        let bytes = |v: &OsString| v.as_bytes().to_vec();
        for a in &self.argv {
            if a.as_bytes().contains(&0) {
                return Err(invalid(
                    a.to_string_lossy(),
                    "contains a NUL byte",
                    Errno::EINVAL,
                ));
            }
        }
        let (env, search) = match &self.env {
            Some(env) => {
                let entries = env
                    .iter()
                    .map(|(k, v)| super::plan::env_entry(k, v).map(|c| c.into_bytes()))
                    .collect::<Result<Vec<_>>>()?;
                let search = super::plan::search_path(env)?
                    .into_iter()
                    .map(|c| c.into_bytes())
                    .collect();
                (Some(entries), Some(search))
            }
            None => (None, None),
        };
        let req = Request {
            argv: self.argv.iter().map(bytes).collect(),
            env,
            search,
            cwd: self.cwd.as_ref().map(|c| c.as_os_str().as_bytes().to_vec()),
            uid: self.uid,
            gid: self.gid,
        }
        .encode();
        if req.len() > wire::MAX_REQUEST {
            return Err(invalid(
                format!("{} bytes", req.len()),
                "is too large for one exec request (arguments and environment)",
                Errno::E2BIG,
            ));
        }
        let mut ends: [Option<OwnedFd>; 3] = [None, None, None];
        let mut theirs = Vec::with_capacity(3);
        for (i, s) in [&self.stdin, &self.stdout, &self.stderr]
            .into_iter()
            .enumerate()
        {
            theirs.push(match s {
                Stdio::Inherit => crate::sys::dup_raw_cloexec(i as RawFd)
                    .or_else(|_| open_null())
                    .ctx_nopath("exec: duplicate stdio")?,
                Stdio::Null => open_null().ctx("exec: open", "/dev/null")?,
                Stdio::Fd(fd) => fd.try_clone().ctx_nopath("exec: duplicate stdio")?,
                Stdio::Piped => {
                    let (r, w) = crate::sys::pipe_cloexec()?;
                    let (mine, other) = if i == 0 { (w, r) } else { (r, w) };
                    ends[i] = Some(mine);
                    other
                }
            });
        }
        let [a, b, c]: [OwnedFd; 3] = theirs.try_into().expect("three descriptors");
        Ok(Prepared {
            req,
            fds: [a, b, c],
            ends,
        })
    }
}

/// An encoded request, the command's stdin/stdout/stderr, and the caller's pipe ends.
struct Prepared {
    req: Vec<u8>,
    fds: [OwnedFd; 3],
    ends: [Option<OwnedFd>; 3],
}

fn invalid(value: impl Into<String>, reason: &'static str, errno: Errno) -> Error {
    Error::InvalidArgument {
        op: "exec",
        what: "command",
        value: value.into(),
        reason,
        errno: crate::Errno::of(errno),
    }
}

fn open_null() -> std::result::Result<OwnedFd, Errno> {
    std::fs::File::open("/dev/null")
        .map(OwnedFd::from)
        .map_err(|e| crate::error::io_errno_nix(&e))
}

fn stopped() -> Error {
    Error::sys_nopath(
        "exec: the launch is not running (its init has exited)",
        Errno::ESRCH,
    )
}

/// A command running inside a launch. Dropping a handle whose command still runs kills it
/// and waits for it.
#[derive(Debug)]
pub struct ExecChild {
    pid: i32,
    pid_in_launch: i32,
    pidfd: OwnedFd,
    session: OwnedFd,
    /// The caller's ends of `Stdio::Piped` streams.
    pub stdin: Option<OwnedFd>,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
    status: Option<ExitStatus>,
}

impl ExecChild {
    /// Host pid of the command, read from its pidfd when its start was reported; -1 when it had
    /// already ended and been reaped by then (a very short command under load).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Its pid inside the launch's PID namespace.
    pub fn pid_in_launch(&self) -> i32 {
        self.pid_in_launch
    }

    /// A pidfd for the command.
    pub fn pidfd(&self) -> &OwnedFd {
        &self.pidfd
    }

    /// The status, once it has ended.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// Waits for the command, at most `timeout` (forever if None); `Ok(None)` on timeout.
    /// The status follows the launch's rules: the exit code, or 128+signal (so
    /// `ExitStatus::Exited` always); 137 if the launch ended under it.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<Option<ExitStatus>> {
        if let Some(s) = self.status {
            return Ok(Some(s));
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        if !sys::poll_readable(self.session.as_fd(), deadline, "exec: poll")? {
            return Ok(None);
        }
        let mut buf = [0u8; 64];
        let (n, _) = recv(self.session.as_fd(), &mut buf).ctx_nopath("exec: read status")?;
        let status = if n >= 8 && tag(&buf) == wire::REPLY_EXITED {
            wire::exit_code(i32::from_le_bytes(buf[4..8].try_into().expect("4 bytes")))
        } else {
            // The init is gone: the launch ended, and the command with it (or, without a PID
            // namespace of its own, it is killed now).
            let _ = self.send_signal_raw(libc::SIGKILL);
            if !sys::poll_readable(self.pidfd.as_fd(), deadline, "exec: poll")? {
                return Ok(None);
            }
            128 + libc::SIGKILL
        };
        let s = ExitStatus::Exited(status);
        self.status = Some(s);
        Ok(Some(s))
    }

    /// Sends `sig` to the command (a no-op once it has ended).
    pub fn send_signal(&self, sig: i32) -> Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        self.send_signal_raw(sig)
    }

    fn send_signal_raw(&self, sig: i32) -> Result<()> {
        super::signal::pidfd_send_signal(&self.pidfd, sig)
    }

    /// SIGKILL.
    pub fn kill(&self) -> Result<()> {
        self.send_signal(libc::SIGKILL)
    }

    /// SIGTERM, then SIGKILL if it has not ended after `grace`.
    pub fn stop(&mut self, grace: Duration) -> Result<ExitStatus> {
        if let Some(s) = self.status {
            return Ok(s);
        }
        self.send_signal(libc::SIGTERM)?;
        if let Some(s) = self.wait(Some(grace))? {
            return Ok(s);
        }
        self.kill()?;
        Ok(self
            .wait(None)?
            .expect("wait without timeout returns a status"))
    }

    /// A handle that can signal the command from another thread while this one waits.
    pub fn signaller(&self) -> Result<super::signal::Signaller> {
        super::signal::Signaller::from_pidfd(&self.pidfd)
    }
}

impl Drop for ExecChild {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.kill();
            let _ = self.wait(None);
        }
    }
}

use crate::sys::{recv_fd as recv, send_fds as send};

fn tag(buf: &[u8]) -> u32 {
    u32::from_le_bytes(buf[..4].try_into().expect("4 bytes"))
}

/// A SOCK_SEQPACKET socket created in the network namespace of socket `of` (SIOCGSKNS), entering
/// it for the calling thread only for the socket(2) call when it is not this thread's.
fn socket_in_netns_of(of: &OwnedFd) -> Result<OwnedFd> {
    const SIOCGSKNS: libc::c_ulong = 0x894C;
    // SAFETY: SIOCGSKNS returns a new descriptor of the socket's network namespace, or -1.
    let ns = unsafe { libc::ioctl(of.as_raw_fd(), SIOCGSKNS) };
    let ns = match Errno::result(ns) {
        Ok(ns) => ns,
        // An ordinary user may not ask (CAP_NET_ADMIN over it); a rootless launch's listening
        // socket was made by that user, in a namespace it could not leave: its own.
        Err(Errno::EPERM) if !crate::rootless::privileged() => {
            // SAFETY: socket(2) returns a new descriptor or -1.
            let s = unsafe {
                libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0)
            };
            let s = Errno::result(s).ctx_nopath("exec: socket")?;
            // SAFETY: the kernel just returned this descriptor; we own it.
            return Ok(unsafe { OwnedFd::from_raw_fd(s) });
        }
        Err(e) => {
            return Err(Error::sys_nopath(
                "exec: network namespace of the init's socket",
                e,
            ))
        }
    };
    // SAFETY: the kernel just returned this descriptor; we own it.
    let ns = unsafe { OwnedFd::from_raw_fd(ns) };
    let ns = crate::Namespace::open(
        format!("/proc/self/fd/{}", ns.as_raw_fd()),
        Some(crate::Kind::Net),
    )?;
    let guard = if ns == crate::Namespace::current(crate::Kind::Net)? {
        None
    } else {
        Some(ns.enter()?)
    };
    // SAFETY: socket(2) returns a new descriptor or -1.
    let sock = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0) };
    let sock = Errno::result(sock).ctx_nopath("exec: socket");
    if let Some(g) = guard {
        g.leave()?;
    }
    // SAFETY: the kernel just returned this descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(sock?) })
}

/// The host pid behind a pidfd (the "Pid:" line of its fdinfo).
fn pidfd_pid(pidfd: &OwnedFd) -> Option<i32> {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", pidfd.as_raw_fd())).ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Reads the init's first answer: started (with a pidfd) or failed.
fn started(session: OwnedFd, ends: [Option<OwnedFd>; 3]) -> Result<ExecChild> {
    let mut buf = [0u8; 8 + Record::SIZE];
    let (n, fd) = recv(session.as_fd(), &mut buf).ctx_nopath("exec: read the init's answer")?;
    if n == 0 {
        return Err(stopped());
    }
    match tag(&buf) {
        wire::REPLY_STARTED if n >= 8 => {
            let pidfd =
                fd.ok_or_else(|| Error::sys_nopath("exec: the init sent no pidfd", Errno::EPROTO))?;
            let [stdin, stdout, stderr] = ends;
            Ok(ExecChild {
                pid: pidfd_pid(&pidfd).unwrap_or(-1),
                pid_in_launch: i32::from_le_bytes(buf[4..8].try_into().expect("4 bytes")),
                pidfd,
                session,
                stdin,
                stdout,
                stderr,
                status: None,
            })
        }
        wire::REPLY_FAILED => match Record::from_bytes(&buf[4..n]) {
            Some(r) if r.errno == libc::ESRCH && r.path_len == 0 => Err(stopped()),
            Some(r) => Err(record_error(&r)),
            None => Err(Error::sys_nopath("exec: malformed answer", Errno::EPROTO)),
        },
        _ => Err(Error::sys_nopath("exec: malformed answer", Errno::EPROTO)),
    }
}

/// Exec through the launcher's control socket (see [`super::Child::exec`]).
pub(crate) fn exec_via_control(control: &OwnedFd, cmd: &ExecCommand) -> Result<ExecChild> {
    let Prepared { req, fds, ends } = cmd.prepare()?;
    let (mine, theirs) = super::plan::socketpair()?;
    let raw = [
        theirs.as_raw_fd(),
        fds[0].as_raw_fd(),
        fds[1].as_raw_fd(),
        fds[2].as_raw_fd(),
    ];
    match send(control.as_fd(), &req, &raw) {
        Ok(()) => {}
        Err(Errno::EPIPE | Errno::ECONNREFUSED | Errno::ECONNRESET | Errno::ENOTCONN) => {
            return Err(stopped())
        }
        Err(e) => return Err(Error::sys_nopath("exec: send request", e)),
    }
    drop(theirs);
    drop(fds);
    started(mine, ends)
}

/// Runs `cmd` inside the running launch whose init has host pid `pid` (the pid `nsrun.spawn`
/// and `nsrun boot` report), from any host process with the privilege to ptrace it
/// (pidfd_getfd(2)): the CLI's `nsrun exec --target PID`.
pub fn exec_target(pid: i32, cmd: &ExecCommand) -> Result<ExecChild> {
    let not_init = |reason| Error::InvalidArgument {
        op: "exec",
        what: "target pid",
        value: pid.to_string(),
        reason,
        errno: crate::Errno::EINVAL,
    };
    if !std::path::Path::new(&format!("/proc/{pid}")).exists() || pid <= 0 {
        return Err(not_init("is not a running process"));
    }
    // The init's pid, or the pid of the launcher (`nsrun boot`, a Python process…) whose one
    // running launch is meant: what `$!` gives after `nsrun boot … &`.
    let pid =
        if is_init(pid) {
            pid
        } else {
            match launched_inits(pid).as_slice() {
                [one] => *one,
                [] => return Err(not_init(
                    "is neither the init of an nsrun launch nor a launcher with a running launch",
                )),
                _ => {
                    return Err(not_init(
                        "launched several running launches: give the pid of one's init \
                     (`ps --ppid PID`, the nsrun-init processes)",
                    ))
                }
            }
        };
    // SAFETY: pidfd_open returns a new descriptor or -1.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let pidfd = match Errno::result(pidfd) {
        Ok(fd) => fd as RawFd,
        Err(Errno::ESRCH) => return Err(not_init("is not a running process")),
        Err(e) => return Err(Error::sys_nopath("exec: pidfd_open", e)),
    };
    // SAFETY: the kernel just returned this descriptor; we own it.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    if !is_init(pid) {
        return Err(not_init("ended while being looked at"));
    }
    // SAFETY: pidfd_getfd copies descriptor LISTEN_FD of the target into ours, or fails.
    let listen =
        unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), wire::LISTEN_FD, 0) };
    let listen = match Errno::result(listen) {
        Ok(fd) => fd as RawFd,
        Err(Errno::EBADF) => {
            return Err(not_init(
                "has no exec socket (a launch with init=false, or one that is stopping)",
            ))
        }
        Err(e) => {
            return Err(Error::sys_nopath(
                "exec: pidfd_getfd of the init's socket",
                e,
            ))
        }
    };
    // SAFETY: the kernel just returned this descriptor; we own it.
    let listen = unsafe { OwnedFd::from_raw_fd(listen) };
    // SAFETY: an all-zero sockaddr_un is valid.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    // SAFETY: getsockname into a sockaddr_un of the size given.
    Errno::result(unsafe {
        libc::getsockname(
            listen.as_raw_fd(),
            (&mut addr as *mut libc::sockaddr_un).cast(),
            &mut len,
        )
    })
    .ctx_nopath("exec: getsockname of the init's socket")?;
    // An abstract name lives in a network namespace: the client socket is made in the listening
    // socket's (the launcher's), whichever this thread is in.
    let sock = socket_in_netns_of(&listen)?;
    // SAFETY: connect to the address getsockname gave, with its length.
    let r = unsafe {
        libc::connect(
            sock.as_raw_fd(),
            (&addr as *const libc::sockaddr_un).cast(),
            len,
        )
    };
    match Errno::result(r) {
        Ok(_) => {}
        Err(Errno::ECONNREFUSED) => return Err(stopped()),
        Err(e) => return Err(Error::sys_nopath("exec: connect to the init", e)),
    }
    let Prepared { req, fds, ends } = cmd.prepare()?;
    // The init's own socket first: it runs the request only for whoever could copy it.
    let raw = [
        listen.as_raw_fd(),
        fds[0].as_raw_fd(),
        fds[1].as_raw_fd(),
        fds[2].as_raw_fd(),
    ];
    match send(sock.as_fd(), &req, &raw) {
        Ok(()) => {}
        Err(Errno::EPIPE | Errno::ECONNRESET | Errno::ENOTCONN) => return Err(stopped()),
        Err(e) => return Err(Error::sys_nopath("exec: send request", e)),
    }
    drop(listen);
    drop(fds);
    started(sock, ends)
}

/// Whether `pid` runs nsrun's init (its executable is the sealed memfd image).
fn is_init(pid: i32) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .map(|exe| {
            exe.as_os_str()
                .as_bytes()
                .starts_with(format!("/memfd:{}", wire::INIT_NAME).as_bytes())
        })
        .unwrap_or(false)
}

/// The children of `pid` (of any of its threads) that are nsrun inits: its running launches.
fn launched_inits(pid: i32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut inits: Vec<i32> = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|c| {
            c.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<i32>>()
        })
        .filter(|p| is_init(*p))
        .collect();
    inits.sort_unstable();
    inits.dedup();
    inits
}
