//! The system calls nsrun-init makes, as raw `syscall` instructions: the init links no C
//! library (`#![no_std]`, its own `_start`, see `rt.rs`), so it needs no dependency (it is
//! compiled by `core/build.rs` with rustc alone) and starts in a fraction of the time a static
//! glibc program needs (glibc's start-up probes the CPU with dozens of CPUID instructions, each
//! a VM exit on a virtual machine: 0.27 ms of every launch on the 2-core test VM). The
//! functions keep the C library's names and conventions (-1 and `errno`) so the code reads as
//! before. Layouts are the kernel's, on x86_64 and aarch64 (identical for everything used
//! here); system call numbers are per architecture.

#![allow(non_camel_case_types, dead_code, clippy::missing_safety_doc)]

use core::ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void};
use core::sync::atomic::{AtomicI32, Ordering};

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
compile_error!("nsrun-init supports Linux on x86_64 and aarch64");

pub type pid_t = i32;

/// The kernel's signal set (64 bits; glibc's 1024-bit type is a user-space affair).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sigset_t {
    pub val: u64,
}

/// The kernel's `struct sigaction` (for rt_sigaction).
#[repr(C)]
pub struct sigaction_t {
    pub sa_handler: usize,
    pub sa_flags: c_ulong,
    pub sa_restorer: usize,
    pub sa_mask: sigset_t,
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
/// si_code of a signal the kernel sent (a terminal's, for one).
pub const SI_KERNEL: i32 = 0x80;
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
pub const ENFILE: c_int = 23;
pub const EMFILE: c_int = 24;
pub const ENAMETOOLONG: c_int = 36;
pub const ELOOP: c_int = 40;
pub const ESRCH: c_int = 3;
pub const ESTALE: c_int = 116;

pub const EEXIST: c_int = 17;
pub const O_WRONLY: c_int = 1;
pub const O_CREAT: c_int = 0o100;
pub const O_NONBLOCK: c_int = 0o4000;
#[cfg(target_arch = "x86_64")]
pub const O_NOFOLLOW: c_int = 0o400000;
#[cfg(target_arch = "x86_64")]
pub const O_DIRECTORY: c_int = 0o200000;
// (aarch64 numbers these two differently.)
#[cfg(target_arch = "aarch64")]
pub const O_NOFOLLOW: c_int = 0o100000;
#[cfg(target_arch = "aarch64")]
pub const O_DIRECTORY: c_int = 0o40000;
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

pub const CLOSE_RANGE_CLOEXEC: c_uint = 1 << 2;

/// System call numbers: the newer calls have one number everywhere; aarch64 has only the
/// `*at` and `dup3`/`ppoll` forms of the older ones, which x86_64 has too.
#[cfg(target_arch = "x86_64")]
mod nr {
    use core::ffi::c_long;
    pub const READ: c_long = 0;
    pub const WRITE: c_long = 1;
    pub const CLOSE: c_long = 3;
    pub const FSTAT: c_long = 5;
    pub const MMAP: c_long = 9;
    pub const MUNMAP: c_long = 11;
    pub const RT_SIGACTION: c_long = 13;
    pub const RT_SIGPROCMASK: c_long = 14;
    pub const RT_SIGRETURN: c_long = 15;
    pub const IOCTL: c_long = 16;
    pub const PREAD64: c_long = 17;
    pub const GETPID: c_long = 39;
    pub const SOCKET: c_long = 41;
    pub const SENDMSG: c_long = 46;
    pub const RECVMSG: c_long = 47;
    pub const BIND: c_long = 49;
    pub const LISTEN: c_long = 50;
    pub const GETSOCKOPT: c_long = 55;
    pub const CLONE: c_long = 56;
    pub const EXECVE: c_long = 59;
    pub const WAIT4: c_long = 61;
    pub const KILL: c_long = 62;
    pub const FCNTL: c_long = 72;
    pub const CHDIR: c_long = 80;
    pub const FCHMOD: c_long = 91;
    pub const FCHOWN: c_long = 93;
    pub const UMASK: c_long = 95;
    pub const GETUID: c_long = 102;
    pub const SETUID: c_long = 105;
    pub const SETGID: c_long = 106;
    pub const SETPGID: c_long = 109;
    pub const SETSID: c_long = 112;
    pub const SETGROUPS: c_long = 116;
    pub const GETPGID: c_long = 121;
    pub const FSTATFS: c_long = 138;
    pub const PRCTL: c_long = 157;
    pub const MOUNT: c_long = 165;
    pub const UMOUNT2: c_long = 166;
    pub const GETDENTS64: c_long = 217;
    pub const EXIT_GROUP: c_long = 231;
    pub const OPENAT: c_long = 257;
    pub const MKDIRAT: c_long = 258;
    pub const FCHOWNAT: c_long = 260;
    pub const UNLINKAT: c_long = 263;
    pub const PPOLL: c_long = 271;
    pub const UNSHARE: c_long = 272;
    pub const ACCEPT4: c_long = 288;
    pub const SIGNALFD4: c_long = 289;
    pub const DUP3: c_long = 292;
    pub const PIPE2: c_long = 293;
    pub const SETNS: c_long = 308;
}

#[cfg(target_arch = "aarch64")]
mod nr {
    use core::ffi::c_long;
    pub const READ: c_long = 63;
    pub const WRITE: c_long = 64;
    pub const CLOSE: c_long = 57;
    pub const FSTAT: c_long = 80;
    pub const MMAP: c_long = 222;
    pub const MUNMAP: c_long = 215;
    pub const RT_SIGACTION: c_long = 134;
    pub const RT_SIGPROCMASK: c_long = 135;
    pub const RT_SIGRETURN: c_long = 139;
    pub const IOCTL: c_long = 29;
    pub const PREAD64: c_long = 67;
    pub const GETPID: c_long = 172;
    pub const SOCKET: c_long = 198;
    pub const SENDMSG: c_long = 211;
    pub const RECVMSG: c_long = 212;
    pub const BIND: c_long = 200;
    pub const LISTEN: c_long = 201;
    pub const GETSOCKOPT: c_long = 209;
    pub const CLONE: c_long = 220;
    pub const EXECVE: c_long = 221;
    pub const WAIT4: c_long = 260;
    pub const KILL: c_long = 129;
    pub const FCNTL: c_long = 25;
    pub const CHDIR: c_long = 49;
    pub const FCHMOD: c_long = 52;
    pub const FCHOWN: c_long = 55;
    pub const UMASK: c_long = 166;
    pub const GETUID: c_long = 174;
    pub const SETUID: c_long = 146;
    pub const SETGID: c_long = 144;
    pub const SETPGID: c_long = 154;
    pub const SETSID: c_long = 157;
    pub const SETGROUPS: c_long = 159;
    pub const GETPGID: c_long = 155;
    pub const FSTATFS: c_long = 44;
    pub const PRCTL: c_long = 167;
    pub const MOUNT: c_long = 40;
    pub const UMOUNT2: c_long = 39;
    pub const GETDENTS64: c_long = 61;
    pub const EXIT_GROUP: c_long = 94;
    pub const OPENAT: c_long = 56;
    pub const MKDIRAT: c_long = 34;
    pub const FCHOWNAT: c_long = 54;
    pub const UNLINKAT: c_long = 35;
    pub const PPOLL: c_long = 73;
    pub const UNSHARE: c_long = 97;
    pub const ACCEPT4: c_long = 242;
    pub const SIGNALFD4: c_long = 74;
    pub const DUP3: c_long = 24;
    pub const PIPE2: c_long = 59;
    pub const SETNS: c_long = 268;
}

const PIDFD_SEND_SIGNAL: c_long = 424;
const PIDFD_OPEN: c_long = 434;
const CLOSE_RANGE: c_long = 436;
const AT_FDCWD: c_int = -100;
const AT_SYMLINK_NOFOLLOW: c_int = 0x100;
const TCGETS: c_ulong = 0x5401;
const TIOCSPGRP: c_ulong = 0x5410;
const SA_RESTORER: c_ulong = 0x0400_0000;

/// The raw system call: the kernel's result, -errno on failure.
///
/// # Safety
/// The arguments must be valid for system call `n`.
#[inline(always)]
unsafe fn raw(n: c_long, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> isize {
    let r: isize;
    // SAFETY: the caller vouches for the arguments; the kernel clobbers only what is declared.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") n as isize => r, in("rdi") a, in("rsi") b,
            in("rdx") c, in("r10") d, in("r8") e, in("r9") f, lateout("rcx") _, lateout("r11") _,
            options(nostack));
    }
    // SAFETY: as above.
    #[cfg(target_arch = "aarch64")]
    unsafe {
        core::arch::asm!("svc 0", in("x8") n as usize, inlateout("x0") a => r, in("x1") b,
            in("x2") c, in("x3") d, in("x4") e, in("x5") f, options(nostack));
    }
    r
}

static ERRNO: AtomicI32 = AtomicI32::new(0);

/// The C convention from a raw result: -1 with `errno` set, or the value.
fn ret(r: isize) -> isize {
    if (-4095..0).contains(&r) {
        set_errno(-r as c_int);
        -1
    } else {
        r
    }
}

macro_rules! sys {
    ($n:expr) => { sys!($n, 0, 0, 0, 0, 0, 0) };
    ($n:expr, $a:expr) => { sys!($n, $a, 0, 0, 0, 0, 0) };
    ($n:expr, $a:expr, $b:expr) => { sys!($n, $a, $b, 0, 0, 0, 0) };
    ($n:expr, $a:expr, $b:expr, $c:expr) => { sys!($n, $a, $b, $c, 0, 0, 0) };
    ($n:expr, $a:expr, $b:expr, $c:expr, $d:expr) => { sys!($n, $a, $b, $c, $d, 0, 0) };
    ($n:expr, $a:expr, $b:expr, $c:expr, $d:expr, $e:expr) => { sys!($n, $a, $b, $c, $d, $e, 0) };
    ($n:expr, $a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr) => {
        // SAFETY: each wrapper below is an `unsafe fn` whose caller vouches for the arguments.
        ret(unsafe {
            raw($n, $a as usize, $b as usize, $c as usize, $d as usize, $e as usize, $f as usize)
        })
    };
}

// The wrappers: C library names, -1 and errno. Each is unsafe as its C counterpart is (pointers
// must be valid for what the system call reads or writes).

pub unsafe fn prctl(option: c_int, a: usize, b: usize, c: usize, d: usize) -> c_int {
    sys!(nr::PRCTL, option, a, b, c, d) as c_int
}
/// fork(2) as clone(SIGCHLD): the child gets a copy of this (single-threaded) process.
pub unsafe fn fork() -> pid_t {
    sys!(nr::CLONE, SIGCHLD, 0, 0, 0, 0) as pid_t
}
pub unsafe fn getpid() -> pid_t {
    sys!(nr::GETPID) as pid_t
}
pub unsafe fn execve(
    path: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    sys!(nr::EXECVE, path, argv, envp) as c_int
}
pub unsafe fn _exit(code: c_int) -> ! {
    loop {
        sys!(nr::EXIT_GROUP, code);
    }
}
pub unsafe fn waitpid(pid: pid_t, status: *mut c_int, options: c_int) -> pid_t {
    sys!(nr::WAIT4, pid, status, options, 0) as pid_t
}
pub unsafe fn kill(pid: pid_t, sig: c_int) -> c_int {
    sys!(nr::KILL, pid, sig) as c_int
}
pub unsafe fn getpgrp() -> pid_t {
    sys!(nr::GETPGID, 0) as pid_t
}
pub unsafe fn getpgid(pid: pid_t) -> pid_t {
    sys!(nr::GETPGID, pid) as pid_t
}
pub unsafe fn setpgid(pid: pid_t, pgid: pid_t) -> c_int {
    sys!(nr::SETPGID, pid, pgid) as c_int
}
pub unsafe fn tcsetpgrp(fd: c_int, pgrp: pid_t) -> c_int {
    let p = pgrp;
    sys!(nr::IOCTL, fd, TIOCSPGRP, &p as *const pid_t) as c_int
}
pub unsafe fn isatty(fd: c_int) -> c_int {
    let mut termios = [0u8; 64];
    c_int::from(sys!(nr::IOCTL, fd, TCGETS, termios.as_mut_ptr()) == 0)
}
pub unsafe fn sigemptyset(set: *mut sigset_t) -> c_int {
    // SAFETY: the caller passes a valid set.
    unsafe { (*set).val = 0 };
    0
}
pub unsafe fn sigfillset(set: *mut sigset_t) -> c_int {
    // SAFETY: the caller passes a valid set.
    unsafe { (*set).val = !0 };
    0
}
/// rt_sigaction: a handler other than SIG_DFL/SIG_IGN returns through [`restore`] (x86_64
/// has no kernel-provided trampoline).
pub unsafe fn sigaction(sig: c_int, act: *const sigaction_t, old: *mut sigaction_t) -> c_int {
    let mut k: sigaction_t = sigaction_t {
        sa_handler: 0,
        sa_flags: 0,
        sa_restorer: 0,
        sa_mask: sigset_t { val: 0 },
    };
    let mut p = act;
    if !act.is_null() {
        // SAFETY: the caller passes a valid action.
        let a = unsafe { &*act };
        k.sa_handler = a.sa_handler;
        k.sa_flags = a.sa_flags;
        k.sa_mask = a.sa_mask;
        if cfg!(target_arch = "x86_64") && a.sa_handler > 1 {
            k.sa_flags |= SA_RESTORER;
            k.sa_restorer = restore as *const () as usize;
        }
        p = &k;
    }
    sys!(nr::RT_SIGACTION, sig, p, old, 8) as c_int
}
pub unsafe fn sigprocmask(how: c_int, set: *const sigset_t, old: *mut sigset_t) -> c_int {
    sys!(nr::RT_SIGPROCMASK, how, set, old, 8) as c_int
}
pub unsafe fn signalfd(fd: c_int, mask: *const sigset_t, flags: c_int) -> c_int {
    sys!(nr::SIGNALFD4, fd, mask, 8, flags) as c_int
}
/// poll(2) as ppoll with the timeout in milliseconds (negative: none). The kernel writes the
/// time left back into the timespec, so it is a mutable local.
pub unsafe fn poll(fds: *mut pollfd, n: c_ulong, timeout: c_int) -> c_int {
    let mut ts = [(timeout / 1000) as i64, (timeout % 1000) as i64 * 1_000_000];
    let tp = if timeout < 0 {
        core::ptr::null_mut()
    } else {
        ts.as_mut_ptr()
    };
    sys!(nr::PPOLL, fds, n, tp, 0, 8) as c_int
}
pub unsafe fn read(fd: c_int, buf: *mut c_void, n: usize) -> isize {
    sys!(nr::READ, fd, buf, n)
}
pub unsafe fn write(fd: c_int, buf: *const c_void, n: usize) -> isize {
    sys!(nr::WRITE, fd, buf, n)
}
pub unsafe fn pread(fd: c_int, buf: *mut c_void, n: usize, off: i64) -> isize {
    sys!(nr::PREAD64, fd, buf, n, off)
}
pub unsafe fn close(fd: c_int) -> c_int {
    sys!(nr::CLOSE, fd) as c_int
}
pub unsafe fn close_range(first: c_uint, last: c_uint, flags: c_uint) -> c_int {
    sys!(CLOSE_RANGE, first, last, flags) as c_int
}
pub unsafe fn pidfd_open(pid: pid_t, flags: c_uint) -> c_int {
    sys!(PIDFD_OPEN, pid, flags) as c_int
}
pub unsafe fn pidfd_send_signal(fd: c_int, sig: c_int) -> c_int {
    sys!(PIDFD_SEND_SIGNAL, fd, sig, 0, 0) as c_int
}
pub unsafe fn fstat(fd: c_int, buf: *mut stat_t) -> c_int {
    sys!(nr::FSTAT, fd, buf) as c_int
}
pub unsafe fn dup2(from: c_int, to: c_int) -> c_int {
    if from == to {
        // dup3 refuses equal numbers; dup2 checks the descriptor and returns it.
        return if sys!(nr::FCNTL, from, F_GETFD) < 0 {
            -1
        } else {
            to
        };
    }
    sys!(nr::DUP3, from, to, 0) as c_int
}
pub unsafe fn fcntl(fd: c_int, cmd: c_int, arg: c_int) -> c_int {
    sys!(nr::FCNTL, fd, cmd, arg) as c_int
}
pub unsafe fn pipe2(fds: *mut c_int, flags: c_int) -> c_int {
    sys!(nr::PIPE2, fds, flags) as c_int
}
pub unsafe fn chdir(path: *const c_char) -> c_int {
    sys!(nr::CHDIR, path) as c_int
}
/// setgroups/setgid/setuid as bare system calls: they change this thread only, which is the
/// whole process here (the C library's wrappers would signal every thread).
pub unsafe fn setgroups(n: usize, list: *const u32) -> c_int {
    sys!(nr::SETGROUPS, n, list) as c_int
}
pub unsafe fn setgid(gid: u32) -> c_int {
    sys!(nr::SETGID, gid) as c_int
}
pub unsafe fn setuid(uid: u32) -> c_int {
    sys!(nr::SETUID, uid) as c_int
}
pub unsafe fn setns(fd: c_int, nstype: c_int) -> c_int {
    sys!(nr::SETNS, fd, nstype) as c_int
}
pub unsafe fn unshare(flags: c_int) -> c_int {
    sys!(nr::UNSHARE, flags) as c_int
}
pub unsafe fn open(path: *const c_char, flags: c_int, mode: u32) -> c_int {
    sys!(nr::OPENAT, AT_FDCWD, path, flags, mode) as c_int
}
pub unsafe fn accept4(fd: c_int, addr: *mut c_void, len: *mut u32, flags: c_int) -> c_int {
    sys!(nr::ACCEPT4, fd, addr, len, flags) as c_int
}
pub unsafe fn getsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    val: *mut c_void,
    len: *mut u32,
) -> c_int {
    sys!(nr::GETSOCKOPT, fd, level, name, val, len) as c_int
}
pub unsafe fn sendmsg(fd: c_int, msg: *const msghdr, flags: c_int) -> isize {
    sys!(nr::SENDMSG, fd, msg, flags)
}
pub unsafe fn recvmsg(fd: c_int, msg: *mut msghdr, flags: c_int) -> isize {
    sys!(nr::RECVMSG, fd, msg, flags)
}
pub unsafe fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int {
    sys!(nr::SOCKET, domain, kind, protocol) as c_int
}
pub unsafe fn bind(fd: c_int, addr: *const c_void, len: u32) -> c_int {
    sys!(nr::BIND, fd, addr, len) as c_int
}
pub unsafe fn listen(fd: c_int, backlog: c_int) -> c_int {
    sys!(nr::LISTEN, fd, backlog) as c_int
}
pub unsafe fn mount(
    source: *const c_char,
    target: *const c_char,
    fstype: *const c_char,
    flags: c_ulong,
    data: *const c_void,
) -> c_int {
    sys!(nr::MOUNT, source, target, fstype, flags, data) as c_int
}
pub unsafe fn umount2(target: *const c_char, flags: c_int) -> c_int {
    sys!(nr::UMOUNT2, target, flags) as c_int
}
pub unsafe fn fstatfs(fd: c_int, buf: *mut c_void) -> c_int {
    sys!(nr::FSTATFS, fd, buf) as c_int
}
pub unsafe fn setsid() -> pid_t {
    sys!(nr::SETSID) as pid_t
}
pub unsafe fn unlink(path: *const c_char) -> c_int {
    sys!(nr::UNLINKAT, AT_FDCWD, path, 0) as c_int
}
pub unsafe fn umask(mask: u32) -> u32 {
    sys!(nr::UMASK, mask) as u32
}
pub unsafe fn getuid() -> u32 {
    sys!(nr::GETUID) as u32
}
pub unsafe fn mkdir(path: *const c_char, mode: u32) -> c_int {
    sys!(nr::MKDIRAT, AT_FDCWD, path, mode) as c_int
}
pub unsafe fn lchown(path: *const c_char, uid: u32, gid: u32) -> c_int {
    sys!(nr::FCHOWNAT, AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW) as c_int
}
pub unsafe fn fchown(fd: c_int, uid: u32, gid: u32) -> c_int {
    sys!(nr::FCHOWN, fd, uid, gid) as c_int
}
pub unsafe fn fchmod(fd: c_int, mode: u32) -> c_int {
    sys!(nr::FCHMOD, fd, mode) as c_int
}
pub unsafe fn getdents64(fd: c_int, buf: *mut u8, n: usize) -> isize {
    sys!(nr::GETDENTS64, fd, buf, n)
}
/// Anonymous private memory (the allocator's), or null.
pub unsafe fn map(len: usize) -> *mut u8 {
    const PROT_READ_WRITE: usize = 3;
    const MAP_PRIVATE_ANONYMOUS: usize = 0x22;
    let r = sys!(
        nr::MMAP,
        0,
        len,
        PROT_READ_WRITE,
        MAP_PRIVATE_ANONYMOUS,
        -1i64,
        0
    );
    if r < 0 {
        core::ptr::null_mut()
    } else {
        r as *mut u8
    }
}
pub unsafe fn unmap(p: *mut u8, len: usize) {
    sys!(nr::MUNMAP, p, len);
}

// The return path of a signal handler (x86_64: sa_restorer must be given).
#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".globl nsrun_init_restore",
    "nsrun_init_restore:",
    "mov eax, {n}",
    "syscall",
    n = const nr::RT_SIGRETURN,
);
#[cfg(target_arch = "x86_64")]
extern "C" {
    #[link_name = "nsrun_init_restore"]
    fn restore();
}
#[cfg(not(target_arch = "x86_64"))]
extern "C" fn restore() {}

pub fn errno() -> c_int {
    ERRNO.load(Ordering::Relaxed)
}

pub fn set_errno(e: c_int) {
    ERRNO.store(e, Ordering::Relaxed)
}
