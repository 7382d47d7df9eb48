//! The few C library functions, types and constants nsrun-init uses, declared by hand so the
//! init needs no dependency (it is compiled by `core/build.rs` with rustc alone). Layouts and
//! values are those of glibc on x86_64 and aarch64 (identical for everything used here; the
//! newer system calls have one number on every architecture).

#![allow(non_camel_case_types, dead_code)]

use std::os::raw::{c_char, c_int, c_long, c_uint, c_ulong, c_void};

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
compile_error!("nsrun-init supports Linux on x86_64 and aarch64");

pub type pid_t = i32;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct sigset_t {
    pub val: [c_ulong; 16],
}

#[repr(C)]
pub struct sigaction_t {
    pub sa_handler: usize,
    pub sa_mask: sigset_t,
    pub sa_flags: c_int,
    pub sa_restorer: usize,
}

#[repr(C)]
pub struct pollfd {
    pub fd: c_int,
    pub events: i16,
    pub revents: i16,
}

#[repr(C)]
pub struct iovec {
    pub base: *mut c_void,
    pub len: usize,
}

#[repr(C)]
pub struct msghdr {
    pub name: *mut c_void,
    pub namelen: u32,
    pub iov: *mut iovec,
    pub iovlen: usize,
    pub control: *mut c_void,
    pub controllen: usize,
    pub flags: c_int,
}

#[repr(C)]
pub struct cmsghdr {
    pub len: usize,
    pub level: c_int,
    pub kind: c_int,
}

/// `struct stat`: st_dev and st_ino lead on x86_64 and aarch64 alike; the rest (144 bytes on
/// x86_64, 128 on aarch64) is room only.
#[repr(C)]
pub struct stat_t {
    pub dev: u64,
    pub ino: u64,
    pub rest: [u64; 16],
}

#[repr(C)]
#[derive(Default)]
pub struct ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

pub const SIGHUP: c_int = 1;
pub const SIGINT: c_int = 2;
pub const SIGQUIT: c_int = 3;
pub const SIGKILL: c_int = 9;
pub const SIGUSR1: c_int = 10;
pub const SIGUSR2: c_int = 12;
pub const SIGPIPE: c_int = 13;
pub const SIGTERM: c_int = 15;
pub const SIGCHLD: c_int = 17;
pub const SIGCONT: c_int = 18;
pub const SIGSTOP: c_int = 19;
pub const SIGWINCH: c_int = 28;
pub const SIG_BLOCK: c_int = 0;
pub const SIG_SETMASK: c_int = 2;
pub const SFD_CLOEXEC: c_int = 0o2000000;

pub const O_RDONLY: c_int = 0;
pub const O_RDWR: c_int = 2;
pub const CLONE_NEWTIME: c_int = 0x80;
pub const O_CLOEXEC: c_int = 0o2000000;
pub const F_GETFD: c_int = 1;
pub const F_SETFD: c_int = 2;
pub const FD_CLOEXEC: c_int = 1;
pub const F_DUPFD_CLOEXEC: c_int = 1030;

pub const POLLIN: i16 = 1;
pub const POLLERR: i16 = 8;
pub const POLLHUP: i16 = 0x10;

pub const WNOHANG: c_int = 1;
pub const WUNTRACED: c_int = 2;

pub const PR_SET_PDEATHSIG: c_int = 1;
pub const PR_SET_DUMPABLE: c_int = 4;
pub const PR_SET_NAME: c_int = 15;
pub const PR_SET_CHILD_SUBREAPER: c_int = 36;

pub const SOL_SOCKET: c_int = 1;
pub const SO_PEERCRED: c_int = 17;
pub const SCM_RIGHTS: c_int = 1;
pub const MSG_NOSIGNAL: c_int = 0x4000;
pub const MSG_DONTWAIT: c_int = 0x40;
pub const MSG_CMSG_CLOEXEC: c_int = 0x4000_0000;
pub const SOCK_CLOEXEC: c_int = 0o2000000;

pub const EPERM: c_int = 1;
pub const ENOENT: c_int = 2;
pub const EINTR: c_int = 4;
pub const EBADF: c_int = 9;
pub const ECHILD: c_int = 10;
pub const EAGAIN: c_int = 11;
pub const EACCES: c_int = 13;
pub const ENOTDIR: c_int = 20;
pub const EINVAL: c_int = 22;
pub const ENAMETOOLONG: c_int = 36;
pub const ELOOP: c_int = 40;
pub const ESRCH: c_int = 3;
pub const ESTALE: c_int = 116;

pub const SYS_PIDFD_SEND_SIGNAL: c_long = 424;
pub const EEXIST: c_int = 17;
pub const O_WRONLY: c_int = 1;
pub const O_CREAT: c_int = 0o100;
pub const O_NONBLOCK: c_int = 0o4000;
pub const O_NOFOLLOW: c_int = 0o400000;
pub const AF_UNIX: c_int = 1;
pub const SOCK_SEQPACKET: c_int = 5;
pub const CLONE_NEWNS: c_int = 0x20000;
pub const CLONE_NEWCGROUP: c_int = 0x0200_0000;
pub const CLONE_NEWUTS: c_int = 0x0400_0000;
pub const CLONE_NEWIPC: c_int = 0x0800_0000;
pub const CLONE_NEWPID: c_int = 0x2000_0000;
pub const CLONE_NEWNET: c_int = 0x4000_0000;
pub const MS_BIND: c_ulong = 4096;
pub const MS_NOSUID: c_ulong = 2;
pub const MS_NODEV: c_ulong = 4;
pub const O_TRUNC: c_int = 0o1000;
pub const MNT_DETACH: c_int = 2;
pub const NSFS_MAGIC: u64 = 0x6e73_6673;

#[repr(C)]
pub struct sockaddr_un {
    pub family: u16,
    pub path: [u8; 108],
}

pub const SYS_PIDFD_OPEN: c_long = 434;
pub const SYS_CLOSE_RANGE: c_long = 436;
pub const CLOSE_RANGE_CLOEXEC: c_uint = 1 << 2;

extern "C" {
    pub fn __errno_location() -> *mut c_int;
    pub fn syscall(num: c_long, ...) -> c_long;
    pub fn prctl(option: c_int, ...) -> c_int;
    pub fn fork() -> pid_t;
    pub fn getpid() -> pid_t;
    pub fn execve(
        path: *const c_char,
        argv: *const *const c_char,
        envp: *const *const c_char,
    ) -> c_int;
    pub fn _exit(code: c_int) -> !;
    pub fn waitpid(pid: pid_t, status: *mut c_int, options: c_int) -> pid_t;
    pub fn kill(pid: pid_t, sig: c_int) -> c_int;
    pub fn getpgrp() -> pid_t;
    pub fn setpgid(pid: pid_t, pgid: pid_t) -> c_int;
    pub fn tcsetpgrp(fd: c_int, pgrp: pid_t) -> c_int;
    pub fn isatty(fd: c_int) -> c_int;
    pub fn sigemptyset(set: *mut sigset_t) -> c_int;
    pub fn sigfillset(set: *mut sigset_t) -> c_int;
    pub fn sigaction(sig: c_int, act: *const sigaction_t, old: *mut sigaction_t) -> c_int;
    pub fn sigprocmask(how: c_int, set: *const sigset_t, old: *mut sigset_t) -> c_int;
    pub fn signalfd(fd: c_int, mask: *const sigset_t, flags: c_int) -> c_int;
    pub fn poll(fds: *mut pollfd, n: c_ulong, timeout: c_int) -> c_int;
    pub fn read(fd: c_int, buf: *mut c_void, n: usize) -> isize;
    pub fn write(fd: c_int, buf: *const c_void, n: usize) -> isize;
    pub fn pread(fd: c_int, buf: *mut c_void, n: usize, off: i64) -> isize;
    pub fn close(fd: c_int) -> c_int;
    pub fn fstat(fd: c_int, buf: *mut stat_t) -> c_int;
    pub fn dup2(from: c_int, to: c_int) -> c_int;
    pub fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    pub fn pipe2(fds: *mut c_int, flags: c_int) -> c_int;
    pub fn chdir(path: *const c_char) -> c_int;
    pub fn setgroups(n: usize, list: *const u32) -> c_int;
    pub fn setgid(gid: u32) -> c_int;
    pub fn setuid(uid: u32) -> c_int;
    pub fn setns(fd: c_int, nstype: c_int) -> c_int;
    pub fn unshare(flags: c_int) -> c_int;
    pub fn open(path: *const c_char, flags: c_int, ...) -> c_int;
    pub fn accept4(fd: c_int, addr: *mut c_void, len: *mut u32, flags: c_int) -> c_int;
    pub fn getsockopt(
        fd: c_int,
        level: c_int,
        name: c_int,
        val: *mut c_void,
        len: *mut u32,
    ) -> c_int;
    pub fn sendmsg(fd: c_int, msg: *const msghdr, flags: c_int) -> isize;
    pub fn recvmsg(fd: c_int, msg: *mut msghdr, flags: c_int) -> isize;
    pub fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int;
    pub fn bind(fd: c_int, addr: *const c_void, len: u32) -> c_int;
    pub fn listen(fd: c_int, backlog: c_int) -> c_int;
    pub fn mount(
        source: *const c_char,
        target: *const c_char,
        fstype: *const c_char,
        flags: c_ulong,
        data: *const c_void,
    ) -> c_int;
    pub fn umount2(target: *const c_char, flags: c_int) -> c_int;
    pub fn fstatfs(fd: c_int, buf: *mut c_void) -> c_int;
    pub fn setsid() -> pid_t;
    pub fn unlink(path: *const c_char) -> c_int;
    pub fn umask(mask: u32) -> u32;
    pub fn getuid() -> u32;
    pub fn mkdir(path: *const c_char, mode: u32) -> c_int;
    pub fn lchown(path: *const c_char, uid: u32, gid: u32) -> c_int;
    pub fn fchown(fd: c_int, uid: u32, gid: u32) -> c_int;
    pub fn fchmod(fd: c_int, mode: u32) -> c_int;
}

pub fn errno() -> c_int {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *__errno_location() }
}

pub fn set_errno(e: c_int) {
    // SAFETY: as above.
    unsafe { *__errno_location() = e }
}
