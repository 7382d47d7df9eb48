//! nsrun-init run as the agent (argv\[0\] `nsrun-agent`; see `wire::AGENT_NAME`): for a caller
//! without privilege, it does what needs privilege inside a user namespace the caller owns.
//! The caller starts it, has it unshare its user namespace and writes its id maps, and from
//! then on asks it for namespaces, for sockets and sysctl files inside them, and (as the
//! per-user keeper of rootless named network namespaces) for bind mounts in its own mount
//! namespace. Single-threaded, so unshare and setns back are safe here.

use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::{c_int, c_uint};
use core::ptr::null_mut;

use crate::sys::{self, errno};
use crate::wire::{agent_op as op, AgentRequest, AGENT_FD};

const MAX_FDS: usize = 2;

struct Agent {
    conns: Vec<c_int>,
    listen: c_int,
    listen_path: Vec<u8>,
    detached: bool,
    /// Namespaces bound by ADD_NET and not yet deleted.
    held: usize,
    /// The agent's own network namespace, to go back to after working in another.
    home_net: c_int,
    /// Its own mount namespace, likewise.
    home_mnt: c_int,
}

/// The agent's main loop. Never returns: it exits when its last connection is gone (and,
/// detached, it holds no name).
pub fn main() -> ! {
    // Descriptors the caller left open without close-on-exec (a supervisor's ready pipe, a
    // test's output pipes) must not be held by an agent that may outlive it.
    // SAFETY: close_range(2) on descriptor numbers above our own socket.
    unsafe { sys::close_range(AGENT_FD as c_uint + 1, c_uint::MAX, 0) };
    let mut a = Agent {
        conns: vec![AGENT_FD],
        listen: -1,
        listen_path: Vec::new(),
        detached: false,
        held: 0,
        home_net: -1,
        home_mnt: -1,
    };
    let mut buf = vec![0u8; crate::wire::MAX_REQUEST + 1];
    loop {
        let mut fds: Vec<sys::pollfd> = a
            .conns
            .iter()
            .map(|&fd| sys::pollfd {
                fd,
                events: sys::POLLIN,
                revents: 0,
            })
            .collect();
        if a.listen >= 0 {
            fds.push(sys::pollfd {
                fd: a.listen,
                events: sys::POLLIN,
                revents: 0,
            });
        }
        // SAFETY: poll over a vector of pollfds we own.
        let n = unsafe { sys::poll(fds.as_mut_ptr(), fds.len() as _, -1) };
        if n < 0 {
            if errno() == sys::EINTR {
                continue;
            }
            sys_exit(1);
        }
        for p in fds {
            if p.revents == 0 {
                continue;
            }
            if p.fd == a.listen {
                a.accept();
            } else {
                a.serve(p.fd, &mut buf);
            }
        }
        if a.conns.is_empty() && (!a.detached || a.held == 0) {
            a.leave();
        }
    }
}

fn sys_exit(code: c_int) -> ! {
    // SAFETY: _exit ends this single-threaded process.
    unsafe { sys::_exit(code) }
}

fn cpath(path: &[u8]) -> Option<Vec<u8>> {
    if path.is_empty() || path.contains(&0) {
        return None;
    }
    let mut p = path.to_vec();
    p.push(0);
    Some(p)
}

fn is_nsfs(fd: c_int) -> bool {
    let mut st = [0u64; 16];
    // SAFETY: fstatfs into a buffer larger than struct statfs (120 bytes on 64-bit Linux).
    unsafe { sys::fstatfs(fd, st.as_mut_ptr().cast()) == 0 && st[0] == sys::NSFS_MAGIC }
}

fn open_ns_at(path: &[u8]) -> Result<c_int, c_int> {
    let p = cpath(path).ok_or(sys::EINVAL)?;
    // SAFETY: open with a NUL-terminated path.
    let fd = unsafe { sys::open(p.as_ptr().cast(), sys::O_RDONLY | sys::O_CLOEXEC, 0) };
    if fd < 0 {
        return Err(errno());
    }
    if !is_nsfs(fd) {
        close(fd);
        return Err(sys::EINVAL);
    }
    Ok(fd)
}

fn close(fd: c_int) {
    // SAFETY: closing a descriptor this agent owns.
    unsafe { sys::close(fd) };
}

/// The name of the namespace file in /proc/thread-self/ns for CLONE_NEW* flag `flag`.
fn ns_file(flag: c_int) -> Option<&'static [u8]> {
    Some(match flag {
        sys::CLONE_NEWNET => b"/proc/thread-self/ns/net\0",
        sys::CLONE_NEWUTS => b"/proc/thread-self/ns/uts\0",
        sys::CLONE_NEWIPC => b"/proc/thread-self/ns/ipc\0",
        sys::CLONE_NEWCGROUP => b"/proc/thread-self/ns/cgroup\0",
        sys::CLONE_NEWNS => b"/proc/thread-self/ns/mnt\0",
        sys::CLONE_NEWPID => b"/proc/thread-self/ns/pid_for_children\0",
        sys::CLONE_NEWTIME => b"/proc/thread-self/ns/time_for_children\0",
        _ => return None,
    })
}

fn open_c(path: &[u8], flags: c_int) -> Result<c_int, c_int> {
    // SAFETY: `path` is NUL-terminated; the mode only counts with O_CREAT.
    let fd = unsafe { sys::open(path.as_ptr().cast(), flags | sys::O_CLOEXEC, 0o600) };
    if fd < 0 {
        Err(errno())
    } else {
        Ok(fd)
    }
}

impl Agent {
    fn accept(&mut self) {
        let Some((c, cred)) = crate::accept_peer(self.listen) else {
            return;
        };
        // SAFETY: getuid cannot fail.
        if cred.uid == unsafe { sys::getuid() } {
            self.conns.push(c);
        } else {
            close(c);
        }
    }

    fn serve(&mut self, conn: c_int, buf: &mut [u8]) {
        let (n, fds) = recv(conn, buf);
        let req = if n > 0 {
            AgentRequest::decode(&buf[..n as usize])
        } else {
            None
        };
        let Some(req) = req else {
            fds.into_iter().for_each(close);
            // EOF, an error or garbage: this connection is done.
            close(conn);
            self.conns.retain(|&c| c != conn);
            return;
        };
        let (result, out) = match self.run(&req, &fds) {
            Ok((v, fd)) => (v, fd),
            Err(e) => (-e, None),
        };
        fds.into_iter().for_each(close);
        // Never blocked by a client that does not read its answers (it would freeze the
        // keeper for every other process of the user): such a client loses its connection.
        let sent = crate::send_flags(
            conn,
            &result.to_le_bytes(),
            out,
            sys::MSG_NOSIGNAL | sys::MSG_DONTWAIT,
        );
        if let Some(fd) = out {
            close(fd);
        }
        if sent < 0 {
            close(conn);
            self.conns.retain(|&c| c != conn);
        }
    }

    /// Runs one request: Ok((value, descriptor to send)) or Err(errno).
    fn run(&mut self, r: &AgentRequest, fds: &[c_int]) -> Result<(i32, Option<c_int>), c_int> {
        let fd0 = || fds.first().copied().ok_or(sys::EBADF);
        let ok = |rc: c_int| if rc < 0 { Err(errno()) } else { Ok((0, None)) };
        match r.op {
            op::UNSHARE => {
                // SAFETY: unshare(2) with an integer argument.
                ok(unsafe { sys::unshare(r.a as c_int) })
            }
            op::NEWNS => self.new_ns(r.a as c_int).map(|fd| (0, Some(fd))),
            op::SETNS => {
                let ns = fd0()?;
                // SAFETY: setns(2) on a descriptor we were sent.
                ok(unsafe { sys::setns(ns, r.a as c_int) })
            }
            op::SOCKET => {
                let ns = fd0()?;
                self.in_netns(ns, || {
                    // SAFETY: socket(2) with integer arguments.
                    let s = unsafe {
                        sys::socket(r.a as c_int, r.b as c_int | sys::SOCK_CLOEXEC, r.c as c_int)
                    };
                    if s < 0 {
                        Err(errno())
                    } else {
                        Ok((0, Some(s)))
                    }
                })
            }
            op::OPEN => {
                let ns = fd0()?;
                let p = cpath(&r.path).ok_or(sys::EINVAL)?;
                self.in_netns(ns, || open_c(&p, r.a as c_int).map(|fd| (0, Some(fd))))
            }
            op::NSFD => {
                let mut p = b"/proc/thread-self/ns/".to_vec();
                if r.path.contains(&b'/') {
                    return Err(sys::EINVAL);
                }
                p.extend_from_slice(&cpath(&r.path).ok_or(sys::EINVAL)?);
                open_c(&p, sys::O_RDONLY).map(|fd| (0, Some(fd)))
            }
            op::PROPAGATION => {
                // SAFETY: mount(2) changing the propagation of "/" (no source, no data).
                ok(unsafe {
                    sys::mount(
                        null_mut(),
                        c"/".as_ptr(),
                        null_mut(),
                        r.a as core::ffi::c_ulong,
                        null_mut(),
                    )
                })
            }
            op::LISTEN => self.listen_on(&r.path).map(|_| (0, None)),
            op::DETACH => {
                self.detached = true;
                // SAFETY: setsid(2); failure (already a leader) is harmless.
                unsafe { sys::setsid() };
                Ok((0, None))
            }
            op::ADD_NET => self.add_net(&r.path),
            op::DELETE => self.delete(&r.path),
            op::OPEN_NS => open_ns_at(&r.path).map(|fd| (0, Some(fd))),
            op::MOUNT_TMPFS => {
                let ns = fd0()?;
                let p = cpath(&r.path).ok_or(sys::EINVAL)?;
                let mut opts = r.data.clone();
                opts.push(0);
                self.in_mntns(ns, || {
                    // SAFETY: mount(2) with NUL-terminated strings.
                    let rc = unsafe {
                        sys::mount(
                            c"tmpfs".as_ptr(),
                            p.as_ptr().cast(),
                            c"tmpfs".as_ptr(),
                            sys::MS_NOSUID | sys::MS_NODEV,
                            opts.as_ptr().cast(),
                        )
                    };
                    if rc != 0 {
                        Err(errno())
                    } else {
                        Ok((0, None))
                    }
                })
            }
            op::WRITE_FILE => {
                let ns = fd0()?;
                // The contents come in a second descriptor (a memfd; any size).
                let data = match fds.get(1) {
                    Some(&f) => read_all(f)?,
                    None => r.data.clone(),
                };
                self.in_mntns(ns, || {
                    write_file(&r.path, &data, r.a, r.b, r.c).map(|_| (0, None))
                })
            }
            _ => Err(sys::EINVAL),
        }
    }

    /// A new namespace of `flag`, this agent staying in its own.
    fn new_ns(&mut self, flag: c_int) -> Result<c_int, c_int> {
        let file = ns_file(flag).ok_or(sys::EINVAL)?;
        let home = open_c(file, sys::O_RDONLY)?;
        // SAFETY: unshare/setns with integer arguments; `home` is ours.
        let result = unsafe {
            if sys::unshare(flag) != 0 {
                Err(errno())
            } else {
                let new = open_c(file, sys::O_RDONLY);
                if sys::setns(home, flag) != 0 {
                    // Stuck in the new one: this agent must not serve anything more.
                    sys_exit(1);
                }
                new
            }
        };
        close(home);
        result
    }

    /// Runs `f` inside network namespace `ns`, then comes back.
    fn in_netns<T>(&mut self, ns: c_int, f: impl FnOnce() -> Result<T, c_int>) -> Result<T, c_int> {
        if self.home_net < 0 {
            self.home_net = open_c(b"/proc/thread-self/ns/net\0", sys::O_RDONLY)?;
        }
        // SAFETY: setns with descriptors we hold.
        if unsafe { sys::setns(ns, sys::CLONE_NEWNET) } != 0 {
            return Err(errno());
        }
        let r = f();
        // SAFETY: as above.
        if unsafe { sys::setns(self.home_net, sys::CLONE_NEWNET) } != 0 {
            sys_exit(1);
        }
        r
    }

    /// Runs `f` inside mount namespace `ns`, then comes back.
    fn in_mntns<T>(&mut self, ns: c_int, f: impl FnOnce() -> Result<T, c_int>) -> Result<T, c_int> {
        if self.home_mnt < 0 {
            self.home_mnt = open_c(b"/proc/thread-self/ns/mnt\0", sys::O_RDONLY)?;
        }
        // SAFETY: setns with descriptors we hold (this process is single-threaded and shares
        // no filesystem attributes, as setns(CLONE_NEWNS) requires).
        if unsafe { sys::setns(ns, sys::CLONE_NEWNS) } != 0 {
            return Err(errno());
        }
        let r = f();
        // SAFETY: as above.
        if unsafe { sys::setns(self.home_mnt, sys::CLONE_NEWNS) } != 0 {
            sys_exit(1);
        }
        r
    }

    fn listen_on(&mut self, path: &[u8]) -> Result<(), c_int> {
        if path.is_empty() || path.len() >= 108 || path.contains(&0) || self.listen >= 0 {
            return Err(sys::EINVAL);
        }
        let mut addr = sys::sockaddr_un {
            family: sys::AF_UNIX as u16,
            path: [0; 108],
        };
        addr.path[..path.len()].copy_from_slice(path);
        // SAFETY: socket, unlink, bind and listen with our own buffers; umask keeps the file
        // private to its owner while it is made.
        unsafe {
            let s = sys::socket(sys::AF_UNIX, sys::SOCK_SEQPACKET | sys::SOCK_CLOEXEC, 0);
            if s < 0 {
                return Err(errno());
            }
            let p = cpath(path).ok_or(sys::EINVAL)?;
            sys::unlink(p.as_ptr().cast());
            let old = sys::umask(0o177);
            let r = sys::bind(
                s,
                (&addr as *const sys::sockaddr_un).cast(),
                core::mem::size_of::<sys::sockaddr_un>() as u32,
            );
            sys::umask(old);
            if r != 0 || sys::listen(s, 64) != 0 {
                let e = errno();
                close(s);
                return Err(e);
            }
            self.listen = s;
        }
        self.listen_path = path.to_vec();
        Ok(())
    }

    fn add_net(&mut self, path: &[u8]) -> Result<(i32, Option<c_int>), c_int> {
        let p = cpath(path).ok_or(sys::EINVAL)?;
        if let Ok(fd) = open_ns_at(path) {
            close(fd);
            return Err(sys::EEXIST);
        }
        // The file to bind on: made if missing (an empty one left by a keeper that died is
        // taken over).
        let f = open_c(
            &p,
            sys::O_WRONLY | sys::O_CREAT | sys::O_NOFOLLOW | sys::O_NONBLOCK,
        )?;
        close(f);
        let ns = self.new_ns(sys::CLONE_NEWNET)?;
        let mut src = b"/proc/self/fd/".to_vec();
        src.extend_from_slice(ns.to_string().as_bytes());
        src.push(0);
        // SAFETY: mount(2) with NUL-terminated paths.
        let r = unsafe {
            sys::mount(
                src.as_ptr().cast(),
                p.as_ptr().cast(),
                null_mut(),
                sys::MS_BIND,
                null_mut(),
            )
        };
        if r != 0 {
            let e = errno();
            close(ns);
            return Err(e);
        }
        self.held += 1;
        Ok((0, Some(ns)))
    }

    fn delete(&mut self, path: &[u8]) -> Result<(i32, Option<c_int>), c_int> {
        let p = cpath(path).ok_or(sys::EINVAL)?;
        let mut n = 0;
        // SAFETY: umount2/unlink with a NUL-terminated path.
        unsafe {
            while let Ok(fd) = open_ns_at(path) {
                close(fd);
                if sys::umount2(p.as_ptr().cast(), sys::MNT_DETACH) != 0 {
                    return Err(errno());
                }
                n += 1;
            }
            if sys::unlink(p.as_ptr().cast()) != 0 {
                return Err(errno());
            }
        }
        self.held = self.held.saturating_sub(n);
        if n == 0 {
            Err(sys::EINVAL)
        } else {
            Ok((n as i32, None))
        }
    }

    /// Exits: a detached agent first removes its socket file (so a caller that finds none
    /// starts a new agent), then stops listening.
    fn leave(&mut self) -> ! {
        if let (true, Some(p)) = (self.listen >= 0, cpath(&self.listen_path)) {
            // SAFETY: unlink with a NUL-terminated path.
            unsafe { sys::unlink(p.as_ptr().cast()) };
        }
        sys_exit(0)
    }
}

/// Everything readable from `fd`, from its start.
fn read_all(fd: c_int) -> Result<Vec<u8>, c_int> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 65536];
    loop {
        // SAFETY: pread into our buffer.
        let n = unsafe { sys::pread(fd, chunk.as_mut_ptr().cast(), chunk.len(), out.len() as i64) };
        match n {
            0 => return Ok(out),
            n if n > 0 => out.extend_from_slice(&chunk[..n as usize]),
            _ if errno() == sys::EINTR => {}
            _ => return Err(errno()),
        }
    }
}

/// Writes `data` to `path` with `mode`, owned by `uid`:`gid` (u32::MAX: unchanged), making its
/// missing parent directories (0755, same owner). Paths are absolute; no symlink is followed
/// at the last component.
fn write_file(path: &[u8], data: &[u8], mode: u32, uid: u32, gid: u32) -> Result<(), c_int> {
    if path.first() != Some(&b'/') {
        return Err(sys::EINVAL);
    }
    let chown = |p: &[u8]| {
        if uid != u32::MAX || gid != u32::MAX {
            // SAFETY: lchown with a NUL-terminated path.
            unsafe { sys::lchown(p.as_ptr().cast(), uid, gid) };
        }
    };
    // Parents, outermost first.
    for (i, _) in path.iter().enumerate().skip(1).filter(|(_, b)| **b == b'/') {
        let dir = cpath(&path[..i]).ok_or(sys::EINVAL)?;
        // SAFETY: mkdir with a NUL-terminated path.
        if unsafe { sys::mkdir(dir.as_ptr().cast(), 0o755) } == 0 {
            chown(&dir);
        } else if errno() != sys::EEXIST {
            return Err(errno());
        }
    }
    let p = cpath(path).ok_or(sys::EINVAL)?;
    let fd = open_c(
        &p,
        sys::O_WRONLY | sys::O_CREAT | sys::O_TRUNC | sys::O_NOFOLLOW,
    )?;
    let mut done = 0;
    while done < data.len() {
        // SAFETY: write from our buffer.
        let n = unsafe { sys::write(fd, data[done..].as_ptr().cast(), data.len() - done) };
        if n < 0 {
            if errno() == sys::EINTR {
                continue;
            }
            let e = errno();
            close(fd);
            return Err(e);
        }
        done += n as usize;
    }
    // SAFETY: fchmod/fchown on our descriptor.
    unsafe {
        sys::fchmod(fd, mode & 0o7777);
        if uid != u32::MAX || gid != u32::MAX {
            sys::fchown(fd, uid, gid);
        }
    }
    close(fd);
    Ok(())
}

/// One message and up to [`MAX_FDS`] descriptors (close-on-exec). (n, fds); n <= 0 on EOF or
/// error, or when the message or its descriptors were cut.
fn recv(conn: c_int, buf: &mut [u8]) -> (isize, Vec<c_int>) {
    let (n, fds, cut) = crate::recv_fds(conn, buf);
    if n > 0 && (fds.len() > MAX_FDS || cut) {
        fds.into_iter().for_each(close);
        return (-1, Vec::new());
    }
    (n, fds)
}
