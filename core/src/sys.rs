//! Thin system-call helpers shared by the modules. Each turns -1 into an `Errno` at once.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::OnceLock;

use nix::errno::Errno;
use nix::sys::stat::FileStat;
use nix::sys::statfs::{fstatfs, statfs, NSFS_MAGIC};

use crate::error::{Context, Result};
use crate::Kind;

/// `ioctl_ns(2)` request numbers: `_IO(0xb7, n)`.
pub(crate) const NS_GET_USERNS: libc::c_ulong = 0xb701;
pub(crate) const NS_GET_PARENT: libc::c_ulong = 0xb702;
const NS_GET_NSTYPE: libc::c_ulong = 0xb703;

/// `NS_GET_NSTYPE` (ioctl_ns(2)): the kind of the namespace `fd` refers to.
pub(crate) fn ns_get_nstype(fd: BorrowedFd<'_>) -> Result<Kind, Errno> {
    // SAFETY: NS_GET_NSTYPE takes no argument and only reads the descriptor.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_NSTYPE) };
    let flag = Errno::result(r)?;
    Kind::from_flag(flag).ok_or(Errno::EINVAL)
}

/// `NS_GET_PARENT` / `NS_GET_USERNS` (ioctl_ns(2)): a new `O_CLOEXEC` descriptor.
pub(crate) fn ns_ioctl_fd(fd: BorrowedFd<'_>, request: libc::c_ulong) -> Result<OwnedFd, Errno> {
    // SAFETY: both requests take no argument and return a new descriptor or -1.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request) };
    let new = Errno::result(r)?;
    // SAFETY: the kernel just returned `new` as a fresh descriptor (opened O_CLOEXEC) that we own.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// `fcntl(fd, F_DUPFD_CLOEXEC, 0)` of a descriptor number the caller keeps: any integer is safe
/// to pass; EBADF if it is not open.
pub(crate) fn dup_raw_cloexec(fd: std::os::fd::RawFd) -> Result<OwnedFd, Errno> {
    // SAFETY: fcntl only looks the integer up in the descriptor table; on success the kernel
    // returns a new descriptor that nothing else owns.
    let new = Errno::result(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) })?;
    // SAFETY: `new` was just created for us.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// A close-on-exec duplicate of descriptor `fd`, which stays the caller's (for handing a
/// caller's descriptor to [`crate::Launch::pass_fd`]). A negative or closed descriptor is an
/// [`crate::Error::InvalidArgument`] with EBADF.
pub fn dup_fd(fd: RawFd) -> Result<OwnedFd> {
    dup_raw_cloexec(fd).map_err(|errno| {
        crate::Error::invalid(
            "duplicate descriptor",
            "fd",
            fd.to_string(),
            "is not an open file descriptor",
        )
        .with_errno(crate::Errno::of(errno))
    })
}

/// The `st_dev` of every namespace file: nsfs is one kernel-internal filesystem, so a stat tells
/// a namespace file from any other without a `statfs(2)` (ioctl_ns(2), "Namespace identity").
/// Read once from `/proc/self/ns/net`; `None` without /proc (callers then use `fstatfs`).
pub(crate) fn nsfs_dev() -> Option<u64> {
    static DEV: OnceLock<Option<u64>> = OnceLock::new();
    *DEV.get_or_init(|| {
        let path = "/proc/self/ns/net";
        let st = nix::sys::stat::stat(path).ok()?;
        (statfs(path).ok()?.filesystem_type() == NSFS_MAGIC).then_some(st.st_dev)
    })
}

/// Is the file of descriptor `fd`, whose stat is `st`, on nsfs? Costs no system call once the
/// nsfs device is known.
pub(crate) fn is_nsfs_fd(fd: BorrowedFd<'_>, st: &FileStat) -> Result<bool, Errno> {
    match nsfs_dev() {
        Some(dev) => Ok(st.st_dev == dev),
        None => Ok(fstatfs(fd)?.filesystem_type() == NSFS_MAGIC),
    }
}

/// Is `path` on nsfs (a namespace file, or a bind mount of one)? Follows symlinks.
pub(crate) fn is_nsfs(path: &Path) -> Result<bool, Errno> {
    Ok(statfs(path)?.filesystem_type() == NSFS_MAGIC)
}

/// "a directory", "a socket", … for error messages.
pub(crate) fn file_type_name(mode: libc::mode_t) -> &'static str {
    match mode & libc::S_IFMT {
        libc::S_IFDIR => "a directory",
        libc::S_IFREG => "a regular file",
        libc::S_IFLNK => "a symbolic link",
        libc::S_IFSOCK => "a socket",
        libc::S_IFIFO => "a FIFO",
        libc::S_IFCHR => "a character device",
        libc::S_IFBLK => "a block device",
        _ => "an unknown file type",
    }
}

/// `pipe2(O_CLOEXEC)`.
pub(crate) fn pipe_cloexec() -> Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ctx_nopath("pipe2")
}

/// Reads exactly `buf.len()` bytes; EPIPE-like `EIO` on early EOF.
pub(crate) fn read_exact(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<(), Errno> {
    let mut done = 0;
    while done < buf.len() {
        match nix::unistd::read(fd, &mut buf[done..]) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => done += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Waits for our own child `pid` (never `waitpid(-1)`: other children belong to the caller),
/// retrying on EINTR; `None` if waitpid(2) fails otherwise. Async-signal-safe (waitpid and an
/// errno read only): also used in forked helpers.
pub(crate) fn wait_pid(pid: libc::pid_t) -> Option<libc::c_int> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid on a specific pid we forked; `status` is a valid out pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            return Some(status);
        }
        if Errno::last() != Errno::EINTR {
            return None;
        }
    }
}

/// Waits until `fd` is readable (poll(2), POLLIN), at most until `deadline` (forever if None;
/// a deadline already past only looks). `Ok(false)` once the deadline has passed; EINTR retries.
pub(crate) fn poll_readable(
    fd: BorrowedFd<'_>,
    deadline: Option<std::time::Instant>,
    op: &'static str,
) -> Result<bool> {
    loop {
        let ms = match deadline {
            None => -1,
            Some(d) => d
                .saturating_duration_since(std::time::Instant::now())
                .as_millis()
                .min(i32::MAX as u128) as i32,
        };
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll on one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r > 0 {
            return Ok(true);
        }
        if r == 0 && ms >= 0 {
            return Ok(false);
        }
        if r < 0 && Errno::last() != Errno::EINTR {
            return Err(crate::Error::sys_nopath(op, Errno::last()));
        }
    }
}

/// mount_setattr(2) with AT_RECURSIVE on the mount tree whose root `fd` is (attached or
/// detached): sets the `set` attributes and clears `clear` (libc's `MOUNT_ATTR_*`), idmapping
/// through `userns_fd` unless it is -1. Returns 0, or -1 with errno set, like the system call;
/// async-signal-safe (the launch child uses it between clone and exec).
pub(crate) fn mount_setattr_tree(fd: RawFd, set: u64, clear: u64, userns_fd: RawFd) -> libc::c_int {
    let attr = libc::mount_attr {
        attr_set: set,
        attr_clr: clear,
        propagation: 0,
        userns_fd: if userns_fd < 0 { 0 } else { userns_fd as u64 },
    };
    // SAFETY: mount_setattr is a plain system call; `attr` and the empty path outlive it.
    unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            fd,
            c"".as_ptr(),
            libc::AT_EMPTY_PATH | libc::AT_RECURSIVE,
            &attr as *const libc::mount_attr,
            std::mem::size_of::<libc::mount_attr>(),
        ) as libc::c_int
    }
}

/// Blocks signals for the calling thread until dropped, then restores the thread's previous
/// mask (`pthread_sigmask(3)`). Used around tcsetpgrp (SIGTTOU) and around the launch's clone
/// (every signal, so the child starts with none delivered to the caller's handlers).
pub(crate) struct MaskGuard {
    old: libc::sigset_t,
}

impl MaskGuard {
    /// Blocks `signals`.
    pub(crate) fn block(signals: &[libc::c_int]) -> MaskGuard {
        MaskGuard::set(libc::SIG_BLOCK, &sigset_of(signals))
    }

    /// Blocks every signal.
    pub(crate) fn block_all() -> MaskGuard {
        // SAFETY: sigfillset only writes the stack value it is given.
        let all = unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            all
        };
        MaskGuard::set(libc::SIG_SETMASK, &all)
    }

    fn set(how: libc::c_int, set: &libc::sigset_t) -> MaskGuard {
        // SAFETY: pthread_sigmask with valid sets; it cannot fail with a valid `how`.
        unsafe {
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(how, set, &mut old);
            MaskGuard { old }
        }
    }
}

impl Drop for MaskGuard {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved in `set`.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut()) };
    }
}

/// Makes process group `pgrp` the foreground of the terminal on fd 0, with SIGTTOU blocked (a
/// background process would otherwise be stopped by tcsetpgrp(3)).
pub(crate) fn set_foreground(pgrp: libc::pid_t) {
    let _quiet = MaskGuard::block(&[libc::SIGTTOU]);
    // SAFETY: tcsetpgrp on fd 0; an error (not a terminal, no such group) changes nothing.
    unsafe { libc::tcsetpgrp(0, pgrp) };
}

/// The signal set holding `signals` (sigsetops(3)).
pub(crate) fn sigset_of(signals: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset only write the stack value they are given; an invalid
    // signal number is ignored (sigaddset returns EINVAL).
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// Blocks `signals` for the calling thread (`pthread_sigmask(3)`, `SIG_BLOCK`), so that they
/// stay pending until [`take_pending_signal`] picks them up instead of acting at once. Threads
/// started afterwards inherit the mask; programs nsrun launches start with every signal
/// unblocked.
pub fn block_signals(signals: &[i32]) -> Result<()> {
    let set = sigset_of(signals);
    // SAFETY: pthread_sigmask reads a valid set; the old mask is not wanted.
    let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    // pthread_sigmask returns the error number instead of setting errno.
    match r {
        0 => Ok(()),
        e => Err(crate::Error::sys_nopath(
            "block signals: pthread_sigmask",
            Errno::from_raw(e),
        )),
    }
}

/// Takes one pending signal among `signals` (blocked with [`block_signals`]) without waiting
/// (`sigtimedwait(2)` with a zero timeout); `None` if none is pending.
pub fn take_pending_signal(signals: &[i32]) -> Option<i32> {
    take_pending_signal_info(signals).map(|(sig, _)| sig)
}

/// [`take_pending_signal`], and whether the kernel sent the signal rather than a process
/// (`si_code == SI_KERNEL`): a terminal's ^C, ^\ or hangup goes to its whole foreground
/// process group, so a program in that group has it already and must not get it passed on.
pub fn take_pending_signal_info(signals: &[i32]) -> Option<(i32, bool)> {
    let set = sigset_of(signals);
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a zeroed siginfo_t is a valid buffer for the kernel to fill.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: sigtimedwait with a valid set, siginfo buffer and timeout.
    let sig = unsafe { libc::sigtimedwait(&set, &mut info, &zero) };
    (sig > 0).then_some((sig, info.si_code == libc::SI_KERNEL))
}

/// Whether process `pid` is in the caller's process group (so a terminal signal to that group
/// reached both).
pub fn in_my_process_group(pid: i32) -> bool {
    // SAFETY: getpgid and getpgrp only read process state.
    unsafe { libc::getpgid(pid) == libc::getpgrp() }
}

/// Number of threads of the calling process.
pub(crate) fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(1)
}

/// Closes every descriptor >= 3 except those in `keep` (sorted ascending), with close_range(2).
/// Async-signal-safe: used right after fork, where a copy of another thread's pipe would keep
/// that pipe from ever reaching EOF.
pub(crate) fn close_all_except(keep: &[RawFd]) {
    let mut from: u32 = 3;
    for &fd in keep {
        if fd < 3 {
            continue;
        }
        let fd = fd as u32;
        if fd > from {
            // SAFETY: close_range(2) only closes descriptors of this process.
            unsafe { libc::syscall(libc::SYS_close_range, from, fd - 1, 0u32) };
        }
        from = from.max(fd + 1);
    }
    // SAFETY: as above.
    unsafe { libc::syscall(libc::SYS_close_range, from, u32::MAX, 0u32) };
}

/// fork(2) as a bare system call, for use between fork and exec (and in the helper children):
/// glibc's fork() takes malloc's locks and runs atfork handlers, which may be held forever or
/// be unsafe in a copy of a multithreaded process. Returns the pid, 0 in the child, or -1.
pub(crate) fn raw_fork() -> libc::pid_t {
    // SAFETY: clone with only SIGCHLD and no new stack has fork semantics; the caller makes
    // only async-signal-safe calls in the child.
    unsafe {
        libc::syscall(
            libc::SYS_clone,
            libc::SIGCHLD as libc::c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        ) as libc::pid_t
    }
}

/// sendmsg(2) of one message with descriptors (SCM_RIGHTS).
pub(crate) fn send_fds(
    sock: BorrowedFd<'_>,
    data: &[u8],
    fds: &[RawFd],
) -> std::result::Result<(), Errno> {
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    if fds.is_empty() {
        return send_plain(sock, data);
    }
    let payload = std::mem::size_of_val(fds) as u32;
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(payload) } as usize;
    let mut cbuf = vec![0u64; space.div_ceil(8)];
    // SAFETY: an all-zero msghdr is valid; the fields are filled in below.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = space;
    // SAFETY: msg_control points to `space` bytes, room for one header and the descriptors.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(payload) as usize;
        std::ptr::copy_nonoverlapping(fds.as_ptr(), libc::CMSG_DATA(cmsg).cast(), fds.len());
    }
    loop {
        // SAFETY: sendmsg with buffers that outlive the call.
        let r = unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
        match Errno::result(r) {
            Ok(_) => return Ok(()),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// recvmsg(2) of one message and at most one descriptor (close-on-exec).
pub(crate) fn recv_fd(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
) -> std::result::Result<(usize, Option<OwnedFd>), Errno> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut cbuf = [0u64; 8];
    // SAFETY: an all-zero msghdr is valid; the fields are filled in below.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&cbuf);
    let n = loop {
        // SAFETY: recvmsg into buffers we own, sized as the msghdr says.
        let r = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        match Errno::result(r) {
            Ok(n) => break n as usize,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    };
    let mut fd = None;
    // SAFETY: walking the control messages the kernel wrote, with the libc macros.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let count = ((*cmsg).cmsg_len - libc::CMSG_LEN(0) as usize) / 4;
                for i in 0..count {
                    let raw: RawFd =
                        std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>().add(i));
                    // The first is ours; any other is closed by its OwnedFd at once.
                    let owned = OwnedFd::from_raw_fd(raw);
                    if fd.is_none() {
                        fd = Some(owned);
                    }
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok((n, fd))
}

fn send_plain(sock: BorrowedFd<'_>, data: &[u8]) -> std::result::Result<(), Errno> {
    loop {
        // SAFETY: send(2) from a buffer that outlives the call.
        let r = unsafe {
            libc::send(
                sock.as_raw_fd(),
                data.as_ptr().cast(),
                data.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        match Errno::result(r) {
            Ok(_) => return Ok(()),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}
