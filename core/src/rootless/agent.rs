//! The caller's side of an agent: nsrun-init run as `nsrun-agent` inside a user namespace the
//! caller owns (protocol in `launch::wire`, server in `core/init/agent.rs`).
//!
//! Why a process: an ordinary user has every capability over the namespaces its user
//! namespaces own, but the kernel checks some operations against the caller's *own* user
//! namespace too. setns(2) into such a network namespace, socket(2) in it and opening its
//! /proc/sys/net files need a process that is inside; the caller's process (multithreaded,
//! Python) cannot move into a user namespace (the kernel refuses setns(CLONE_NEWUSER) to a
//! multithreaded process), and forking it would copy its memory. The agent is a small static
//! program of nsrun's own, started with posix_spawn (vfork-style), that unshares its user
//! namespace, gets the caller's id maps, and then answers requests: a namespace, a socket or a
//! file made inside, passed back over SCM_RIGHTS. Netlink requests themselves are then sent by
//! the caller: the kernel lets the owner of a user namespace administer its network namespaces
//! through a socket made there.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Mutex;

use nix::errno::Errno;
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};

use super::Maps;
use crate::error::{Error, Result};
use crate::launch::wire::{agent_op as op, AgentRequest, AGENT_FD, AGENT_NAME};
use crate::{Kind, Namespace, NsId};

/// Connections to one or more agent processes in one user namespace (see [`Agent::widen`]).
/// Requests on one connection are serialized; a request takes a free connection when there
/// is one.
#[derive(Debug)]
pub(crate) struct Agent {
    socks: Vec<Mutex<OwnedFd>>,
    next: std::sync::atomic::AtomicUsize,
    /// The agent's user namespace: the one that owns what it makes.
    userns: NsId,
}

/// The namespaces an agent unshares for itself once in its user namespace: it works inside
/// others (setns) and must be able to come back, which it could not to the host's (owned by
/// the initial user namespace).
const HOME: libc::c_int = libc::CLONE_NEWNET
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWNS
    | libc::CLONE_NEWCGROUP;

/// A failed request: the connection broke (the agent is gone), or the agent answered -errno.
#[derive(Debug)]
pub(crate) enum Failure {
    Gone(Errno),
    Refused(Errno),
}

impl Failure {
    pub(crate) fn errno(&self) -> Errno {
        match self {
            Failure::Gone(e) | Failure::Refused(e) => *e,
        }
    }
}

type Reply = std::result::Result<(i32, Option<OwnedFd>), Failure>;

impl Agent {
    /// Starts an agent in a new user namespace where the caller is root (with `maps`), and
    /// returns the connection. It lives until that connection (and, detached, every other) is
    /// closed.
    pub(crate) fn start(maps: &Maps) -> Result<Agent> {
        let (pid, mine) = spawn_connected()?;
        let mut agent = Agent::over(vec![mine], NsId { dev: 0, ino: 0 });
        let setup = || -> Result<()> {
            agent
                .call(op::UNSHARE, [libc::CLONE_NEWUSER as u32, 0, 0], b"", None)
                .map_err(|f| fail("rootless: agent: unshare(CLONE_NEWUSER)", f))?;
            write_maps(pid, maps)?;
            agent
                .call(op::UNSHARE, [HOME as u32, 0, 0], b"", None)
                .map_err(|f| fail("rootless: agent: unshare its own namespaces", f))?;
            Ok(())
        };
        let result = setup();
        reap(pid);
        result?;
        agent.userns = agent.ns_fd("user")?.id();
        Ok(agent)
    }

    /// `n` agent processes in all, the others joining the first one's user namespace, so
    /// requests from several threads (a lab's bring-up) run side by side.
    pub(crate) fn widen(mut self, n: usize) -> Result<Agent> {
        let user = self.ns_fd("user")?;
        while self.socks.len() < n {
            let (pid, sock) = spawn_connected()?;
            let one = Agent::over(vec![sock], self.userns);
            let r = one
                .call(
                    op::SETNS,
                    [libc::CLONE_NEWUSER as u32, 0, 0],
                    b"",
                    Some(user.as_fd()),
                )
                .and_then(|_| one.call(op::UNSHARE, [HOME as u32, 0, 0], b"", None))
                .map_err(|f| fail("rootless: agent: join the user namespace", f));
            reap(pid);
            r?;
            self.socks.extend(one.socks);
        }
        Ok(self)
    }

    fn over(socks: Vec<OwnedFd>, userns: NsId) -> Agent {
        Agent {
            socks: socks.into_iter().map(Mutex::new).collect(),
            next: std::sync::atomic::AtomicUsize::new(0),
            userns,
        }
    }

    /// A connection: a free one if any, else the next in turn (waiting for it).
    fn conn(&self) -> std::sync::MutexGuard<'_, OwnedFd> {
        for s in &self.socks {
            if let Ok(g) = s.try_lock() {
                return g;
            }
        }
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.socks.len();
        self.socks[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Connects to a listening agent's socket file.
    pub(crate) fn connect(path: &Path) -> std::result::Result<Agent, Errno> {
        use nix::sys::socket::{connect, socket, UnixAddr};
        let s = socket(
            AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::SOCK_CLOEXEC,
            None,
        )?;
        connect(s.as_raw_fd(), &UnixAddr::new(path)?)?;
        let mut agent = Agent::over(vec![s], NsId { dev: 0, ino: 0 });
        let user = agent
            .ns_fd("user")
            .map_err(|e| Errno::from_raw(e.errno().raw()))?;
        agent.userns = user.id();
        Ok(agent)
    }

    /// False once the agent has closed its end of the connection (it exited or was killed):
    /// a cached connection to a keeper that died is then dropped rather than used. A
    /// connection busy with a request counts as alive.
    pub(crate) fn alive(&self) -> bool {
        self.socks.iter().any(|s| {
            let Ok(g) = s.try_lock() else { return true };
            let mut p = libc::pollfd {
                fd: g.as_raw_fd(),
                events: 0,
                revents: 0,
            };
            // SAFETY: poll(2) on one pollfd of ours, with no wait; POLLHUP and POLLERR are
            // reported whatever `events` asks.
            let n = unsafe { libc::poll(&mut p, 1, 0) };
            n == 0 || (n == 1 && p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) == 0)
        })
    }

    /// The user namespace that owns what this agent makes.
    pub(crate) fn userns(&self) -> NsId {
        self.userns
    }

    /// One request and its answer.
    pub(crate) fn call(
        &self,
        op: u32,
        args: [u32; 3],
        path: &[u8],
        fd: Option<BorrowedFd<'_>>,
    ) -> Reply {
        let fds: Vec<BorrowedFd<'_>> = fd.into_iter().collect();
        self.call_data(op, args, path, b"", &fds)
    }

    /// [`Agent::call`] with a data field (file contents, mount options).
    pub(crate) fn call_data(
        &self,
        op: u32,
        args: [u32; 3],
        path: &[u8],
        data: &[u8],
        fds: &[BorrowedFd<'_>],
    ) -> Reply {
        let req = AgentRequest {
            op,
            a: args[0],
            b: args[1],
            c: args[2],
            path: path.to_vec(),
            data: data.to_vec(),
        }
        .encode();
        let sock = self.conn();
        let raw: Vec<RawFd> = fds.iter().map(|f| f.as_raw_fd()).collect();
        crate::sys::send_fds(sock.as_fd(), &req, &raw).map_err(Failure::Gone)?;
        let mut buf = [0u8; 4];
        let (n, fd) = crate::sys::recv_fd(sock.as_fd(), &mut buf).map_err(Failure::Gone)?;
        if n != 4 {
            return Err(Failure::Gone(Errno::ECONNRESET));
        }
        match i32::from_le_bytes(buf) {
            v if v < 0 => Err(Failure::Refused(Errno::from_raw(-v))),
            v => Ok((v, fd)),
        }
    }

    /// The agent's own namespace `name` (`user`, `mnt`, `net`…).
    pub(crate) fn ns_fd(&self, name: &str) -> Result<Namespace> {
        let (_, fd) = self
            .call(op::NSFD, [0; 3], name.as_bytes(), None)
            .map_err(|f| fail("rootless: agent: open its namespace", f))?;
        let fd = fd.ok_or_else(|| Error::sys_nopath("rootless: agent", Errno::EPROTO))?;
        Namespace::from_fd(fd, None)
    }

    /// A new namespace of `kind`, owned by the agent's user namespace.
    pub(crate) fn new_ns(&self, kind: Kind) -> std::result::Result<Namespace, Failure> {
        let (_, fd) = self.call(op::NEWNS, [kind.flag() as u32, 0, 0], b"", None)?;
        let fd = fd.ok_or(Failure::Gone(Errno::EPROTO))?;
        Namespace::from_fd(fd, Some(kind))
            .map_err(|e| Failure::Refused(Errno::from_raw(e.errno().raw())))
    }

    /// socket(domain, ty, protocol) made inside network namespace `ns`.
    pub(crate) fn socket_in(
        &self,
        ns: &Namespace,
        domain: i32,
        ty: i32,
        protocol: i32,
    ) -> std::result::Result<OwnedFd, Failure> {
        let (_, fd) = self.call(
            op::SOCKET,
            [domain as u32, ty as u32, protocol as u32],
            b"",
            Some(ns.as_fd()),
        )?;
        fd.ok_or(Failure::Gone(Errno::EPROTO))
    }

    /// `path` opened with `flags` inside network namespace `ns` (its /proc/sys/net files).
    pub(crate) fn open_in(
        &self,
        ns: &Namespace,
        path: &Path,
        flags: i32,
    ) -> std::result::Result<OwnedFd, Failure> {
        let (_, fd) = self.call(
            op::OPEN,
            [flags as u32, 0, 0],
            path.as_os_str().as_bytes(),
            Some(ns.as_fd()),
        )?;
        fd.ok_or(Failure::Gone(Errno::EPROTO))
    }
}

/// An [`Error`] for a failed request `what`.
pub(crate) fn fail(what: &'static str, f: Failure) -> Error {
    Error::sys_nopath(what, f.errno())
}

/// A new agent process and our end of its socket.
fn spawn_connected() -> Result<(libc::pid_t, OwnedFd)> {
    let (mine, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| Error::sys_nopath("rootless: socketpair for the agent", e))?;
    let pid = spawn(theirs.as_fd())?;
    Ok((pid, mine))
}

/// posix_spawn of the sealed nsrun-init image as `nsrun-agent`, with `sock` as its descriptor
/// 3 and /dev/null as 0-2, every signal unblocked and at its default: the caller's memory is
/// never copied (glibc's posix_spawn is a CLONE_VM|CLONE_VFORK clone).
fn spawn(sock: BorrowedFd<'_>) -> Result<libc::pid_t> {
    let image = crate::launch::image::sealed()?;
    let path = CString::new(format!("/proc/self/fd/{}", image.as_raw_fd())).expect("digits");
    let argv0 = CString::new(AGENT_NAME).expect("no NUL");
    let argv = [argv0.as_ptr() as *mut libc::c_char, std::ptr::null_mut()];
    let envp = [std::ptr::null_mut::<libc::c_char>()];
    // SAFETY: the file actions and attributes are initialized before use and destroyed after;
    // every pointer passed is to a NUL-terminated string or a NULL-terminated array that
    // outlives posix_spawn.
    unsafe {
        let mut fa: libc::posix_spawn_file_actions_t = std::mem::zeroed();
        let mut attr: libc::posix_spawnattr_t = std::mem::zeroed();
        libc::posix_spawn_file_actions_init(&mut fa);
        libc::posix_spawnattr_init(&mut attr);
        let null = c"/dev/null";
        for fd in 0..3 {
            libc::posix_spawn_file_actions_addopen(&mut fa, fd, null.as_ptr(), libc::O_RDWR, 0);
        }
        libc::posix_spawn_file_actions_adddup2(&mut fa, sock.as_raw_fd(), AGENT_FD);
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::posix_spawnattr_setsigmask(&mut attr, &empty);
        libc::posix_spawnattr_setsigdefault(&mut attr, &all);
        libc::posix_spawnattr_setflags(
            &mut attr,
            (libc::POSIX_SPAWN_SETSIGMASK | libc::POSIX_SPAWN_SETSIGDEF) as libc::c_short,
        );
        let mut pid: libc::pid_t = 0;
        let r = libc::posix_spawn(
            &mut pid,
            path.as_ptr(),
            &fa,
            &attr,
            argv.as_ptr(),
            envp.as_ptr(),
        );
        libc::posix_spawn_file_actions_destroy(&mut fa);
        libc::posix_spawnattr_destroy(&mut attr);
        if r != 0 {
            return Err(Error::sys_nopath(
                "rootless: start the agent (posix_spawn)",
                Errno::from_raw(r),
            ));
        }
        Ok(pid)
    }
}

/// Reaps the agent when it exits, from a small thread of its own (the caller's waits are for
/// its own children and never see this pid). An agent exits when its connections close; a
/// detached keeper may outlive the caller, which is fine: the thread dies with the process
/// and the keeper is then reaped by whoever inherits it.
fn reap(pid: libc::pid_t) {
    // A thread that waits for this one child, so no zombie stays behind (the caller's own
    // waits are for its own children and never see this pid). The agent exits when its
    // connections close.
    let _ = std::thread::Builder::new()
        .name("nsrun-agent-reaper".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            crate::sys::wait_pid(pid);
        });
}

/// Writes the agent's id maps: itself for its own ids (setgroups denied first), or with
/// `newuidmap`/`newgidmap` for a range.
fn write_maps(pid: libc::pid_t, maps: &Maps) -> Result<()> {
    let text = |m: &[crate::launch::IdMap]| -> String {
        m.iter()
            .map(|m| format!("{} {} {}\n", m.inside, m.outside, m.count))
            .collect()
    };
    if let Some((newuidmap, newgidmap)) = &maps.helpers {
        for (helper, m) in [(newuidmap, &maps.uid), (newgidmap, &maps.gid)] {
            let mut cmd = std::process::Command::new(helper);
            cmd.arg(pid.to_string());
            for e in m {
                cmd.args([
                    e.inside.to_string(),
                    e.outside.to_string(),
                    e.count.to_string(),
                ]);
            }
            let out = cmd
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| Error::sys("rootless: run", helper, crate::error::io_errno_nix(&e)))?;
            if !out.status.success() {
                return Err(Error::Rootless {
                    op: "rootless",
                    reason: format!(
                        "{} failed: {}",
                        helper.display(),
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                    errno: crate::Errno::EPERM,
                });
            }
        }
        return Ok(());
    }
    for (file, content) in [
        ("setgroups", "deny".to_string()),
        ("uid_map", text(&maps.uid)),
        ("gid_map", text(&maps.gid)),
    ] {
        let path = format!("/proc/{pid}/{file}");
        std::fs::write(&path, content)
            .map_err(|e| Error::sys("rootless: write", &path, crate::error::io_errno_nix(&e)))?;
    }
    Ok(())
}
