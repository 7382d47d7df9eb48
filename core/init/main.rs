//! nsrun-init: the tiny init of an nsrun launch, a program of its own.
//!
//! `core/build.rs` compiles this crate (no dependency, static, panic=abort, stripped) and the
//! `nsrun` library embeds the image; at first use per process the launcher copies it into a
//! sealed memfd and every launch execs it from there (`execveat(fd, "", AT_EMPTY_PATH)`). So
//! PID 1 of a container is never a copy of the launcher (whose libraries it could write through
//! /proc/1/map_files), and its image cannot be written: the memfd is sealed against writes.
//! It starts with an empty environment and makes itself non-dumpable; the launch arrives as a
//! [`wire::Config`] on descriptor [`wire::CONFIG_FD`].
//!
//! What it does: run the boot command; fork the payload; reap every process; forward signals to
//! the payload; on the shutdown signal run the shutdown command and SIGTERM everything; when the
//! payload ends, run the shutdown command, kill what is left and exit with the payload's status
//! (code, or 128+signal). Meanwhile it serves exec requests (`Child::exec`, `nsrun exec`): each
//! runs a command as its child, inside every namespace of the launch, answers with a pidfd and
//! later the exit status, and kills it when the launch ends.
//!
//! The init is single-threaded, so plain fork() is safe here; the forked child still does only
//! system calls (no allocation) before exec.

#![deny(unsafe_op_in_unsafe_fn)]
// No C library and no Rust runtime: `rt.rs` has the entry point, the allocator and the panic
// handler, `sys.rs` the system calls. A static glibc program's start-up alone costs a launch
// 0.27 ms on a VM (CPUID probing); this one's image is some 60 KB instead of 1 MB.
#![no_std]
#![no_main]

extern crate alloc;

mod agent;
mod rt;
mod sys;
#[path = "../src/launch/wire.rs"]
mod wire;

use alloc::collections::BTreeMap;
use alloc::ffi::CString;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::{c_char, c_int, c_void};
use core::ptr::{null, null_mut};

use sys::errno;
use wire::{Config, Program, Record, Request, Stage, SETUP_FAILED};

/// A program prepared for exec before fork: every string and pointer array the child needs.
struct Prepared {
    _argv: Vec<CString>,
    argv_ptrs: Vec<*const c_char>,
    _env: Vec<CString>,
    env_ptrs: Vec<*const c_char>,
    /// Full paths to try in order (argv\[0\] itself when it contains '/').
    candidates: Vec<CString>,
    argv0: Vec<u8>,
    cwd: Option<CString>,
    uid: Option<u32>,
    gid: Option<u32>,
}

fn cstrings(v: &[Vec<u8>]) -> Option<Vec<CString>> {
    v.iter().map(|b| CString::new(b.clone()).ok()).collect()
}

fn ptrs(v: &[CString]) -> Vec<*const c_char> {
    v.iter().map(|s| s.as_ptr()).chain([null()]).collect()
}

/// None when a string holds a NUL byte or argv is empty.
fn prepare(p: &Program) -> Option<Prepared> {
    let argv = cstrings(&p.argv)?;
    let argv0 = p.argv.first()?.clone();
    let env = cstrings(&p.env)?;
    let candidates = if argv0.contains(&b'/') {
        vec![CString::new(argv0.clone()).ok()?]
    } else {
        p.search
            .iter()
            .map(|d| {
                let mut full = if d.is_empty() {
                    b".".to_vec()
                } else {
                    d.clone()
                };
                full.push(b'/');
                full.extend_from_slice(&argv0);
                CString::new(full).ok()
            })
            .collect::<Option<_>>()?
    };
    Some(Prepared {
        argv_ptrs: ptrs(&argv),
        _argv: argv,
        env_ptrs: ptrs(&env),
        _env: env,
        candidates,
        argv0,
        cwd: p.cwd.clone().map(CString::new).transpose().ok()?,
        uid: p.uid,
        gid: p.gid,
    })
}

/// How the forked child sets itself up before exec.
struct Setup<'a> {
    p: &'a Prepared,
    /// Descriptors that become 0, 1, 2.
    stdio: Option<[c_int; 3]>,
    /// For boot/shutdown commands: stdin from /dev/null.
    stdin_null: Option<c_int>,
    pass: &'a [(i32, i32)],
    interactive: bool,
    may_setgroups: bool,
    /// The program replaces the init as PID 1: it must die with the launcher (setuid clears
    /// the death signal the launcher's clone set).
    pdeathsig: bool,
    /// Close-on-exec descriptor where an exec failure is reported as a [`Record`].
    report: c_int,
}

fn report(fd: c_int, r: &Record) {
    let b = r.as_bytes();
    // SAFETY: write(2) of a buffer we own.
    unsafe { sys::write(fd, b.as_ptr().cast(), b.len()) };
}

fn fail(s: &Setup<'_>, stage: Stage, path: &[u8], code: c_int) -> ! {
    report(s.report, &Record::new(stage, errno(), 0, path));
    // SAFETY: _exit never returns.
    unsafe { sys::_exit(code) }
}

/// In the forked child: stdio, descriptors, terminal, credentials, cwd, signal mask, exec (with
/// the PATH candidates). Only system calls; never returns.
fn exec_child(s: &Setup<'_>) -> ! {
    // SAFETY: plain system calls on descriptors and NUL-terminated strings prepared before the
    // fork; the arrays passed to execve are NULL-terminated.
    unsafe {
        if let Some(fds) = s.stdio {
            for (i, fd) in fds.iter().enumerate() {
                if sys::dup2(*fd, i as c_int) < 0 {
                    fail(s, Stage::Stdio, b"", SETUP_FAILED);
                }
            }
        }
        if let Some(null) = s.stdin_null {
            sys::dup2(null, 0);
        }
        // Nothing of the init's leaks into the program.
        sys::close_range(3, u32::MAX, sys::CLOSE_RANGE_CLOEXEC);
        for (from, to) in s.pass {
            if sys::dup2(*from, *to) < 0 {
                fail(s, Stage::Stdio, b"", SETUP_FAILED);
            }
        }
        if s.interactive && sys::isatty(0) == 1 {
            // Its own process group in the terminal's foreground (SIGTTOU is blocked here).
            sys::setpgid(0, 0);
            sys::tcsetpgrp(0, sys::getpgrp());
        }
        let p = s.p;
        if let Some(gid) = p.gid {
            if s.may_setgroups && sys::setgroups(0, null()) != 0 {
                fail(s, Stage::Setgroups, b"", SETUP_FAILED);
            }
            if sys::setgid(gid) != 0 {
                fail(s, Stage::Setgid, b"", SETUP_FAILED);
            }
        }
        if let Some(uid) = p.uid {
            if sys::setuid(uid) != 0 {
                fail(s, Stage::Setuid, b"", SETUP_FAILED);
            }
        }
        if s.pdeathsig {
            sys::prctl(
                sys::PR_SET_PDEATHSIG,
                sys::SIGKILL as usize,
                0usize,
                0usize,
                0usize,
            );
        }
        if let Some(cwd) = &p.cwd {
            if sys::chdir(cwd.as_ptr()) != 0 {
                fail(s, Stage::Chdir, cwd.to_bytes(), SETUP_FAILED);
            }
        }
        let mut empty: sys::sigset_t = core::mem::zeroed();
        sys::sigemptyset(&mut empty);
        sys::sigprocmask(sys::SIG_SETMASK, &empty, null_mut());
        let mut seen_eacces = false;
        let mut last = sys::ENOENT;
        for c in &p.candidates {
            sys::execve(c.as_ptr(), p.argv_ptrs.as_ptr(), p.env_ptrs.as_ptr());
            last = errno();
            match last {
                sys::EACCES => seen_eacces = true,
                sys::ENOENT | sys::ENOTDIR | sys::ESTALE | sys::ELOOP | sys::ENAMETOOLONG => {}
                _ => break,
            }
        }
        let e = if p.candidates.len() > 1 || p.candidates.is_empty() {
            if seen_eacces {
                sys::EACCES
            } else if matches!(
                last,
                sys::ENOTDIR | sys::ESTALE | sys::ELOOP | sys::ENAMETOOLONG
            ) {
                sys::ENOENT
            } else {
                last
            }
        } else {
            last
        };
        sys::set_errno(e);
        fail(s, Stage::Exec, &p.argv0, wire::exec_failure_code(e))
    }
}

/// fork + [`exec_child`]. Returns the pid, or -1 with errno.
fn spawn(s: &Setup<'_>) -> sys::pid_t {
    // SAFETY: this process has one thread, so the child is a consistent copy; it runs only
    // exec_child, which never returns.
    let pid = unsafe { sys::fork() };
    if pid == 0 {
        exec_child(s);
    }
    pid
}

fn wait_for(pid: sys::pid_t) -> c_int {
    let mut status = 0;
    // SAFETY: waitpid on our own child with a valid out pointer.
    while unsafe { sys::waitpid(pid, &mut status, 0) } < 0 {
        if errno() != sys::EINTR {
            return SETUP_FAILED << 8;
        }
    }
    status
}

fn exit(code: c_int) -> ! {
    // SAFETY: _exit never returns.
    unsafe { sys::_exit(code) }
}

fn read_config() -> Option<Config> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        // SAFETY: pread(2) into a stack buffer.
        let n = unsafe {
            sys::pread(
                wire::CONFIG_FD,
                chunk.as_mut_ptr().cast(),
                chunk.len(),
                buf.len() as i64,
            )
        };
        match n {
            0 => break,
            n if n > 0 => buf.extend_from_slice(&chunk[..n as usize]),
            _ if errno() == sys::EINTR => {}
            _ => return None,
        }
    }
    // SAFETY: closing the configuration descriptor, which nothing else uses.
    unsafe { sys::close(wire::CONFIG_FD) };
    Config::decode(&buf)
}

fn set_cloexec(fd: c_int) {
    if fd >= 0 {
        // SAFETY: fcntl on a descriptor number; harmless if it is not open.
        unsafe { sys::fcntl(fd, sys::F_SETFD, sys::FD_CLOEXEC) };
    }
}

extern "C" fn ignore(_: c_int) {}

/// Connections waiting for their request, at most.
const MAX_WAITING: usize = 64;

/// Signals forwarded to the payload are every signal but these.
const FORWARDED_WITH_HANDLER: [c_int; 8] = [
    sys::SIGTERM,
    sys::SIGINT,
    sys::SIGHUP,
    sys::SIGUSR1,
    sys::SIGUSR2,
    sys::SIGQUIT,
    sys::SIGWINCH,
    sys::SIGCONT,
];

/// Entry point, called by the C library's start code. Never returns.
#[no_mangle]
#[allow(clippy::not_unsafe_ptr_arg_deref)] // argv comes from the C start code
pub extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // SAFETY: the C start code passes `argc` NUL-terminated strings in `argv`.
    let argv0 = (argc > 0).then(|| unsafe { core::ffi::CStr::from_ptr(*argv) });
    if argv0.is_some_and(|a| a.to_bytes() == wire::AGENT_NAME.as_bytes()) {
        // SAFETY: prctl with integer arguments and a NUL-terminated name.
        unsafe {
            sys::prctl(
                sys::PR_SET_NAME,
                c"nsrun-agent".as_ptr() as usize,
                0usize,
                0usize,
                0usize,
            );
        }
        agent::main();
    }
    // SAFETY: prctl with integer arguments and a NUL-terminated name.
    unsafe {
        sys::prctl(sys::PR_SET_DUMPABLE, 0usize, 0usize, 0usize, 0usize);
        sys::prctl(
            sys::PR_SET_NAME,
            c"nsrun-init".as_ptr() as usize,
            0usize,
            0usize,
            0usize,
        );
    }
    let Some(cfg) = read_config() else {
        exit(SETUP_FAILED)
    };
    for fd in [cfg.err_fd, cfg.null_fd, cfg.control_fd, cfg.listen_fd] {
        set_cloexec(fd);
    }
    enter_time_namespace(&cfg);
    for (from, _) in &cfg.pass {
        set_cloexec(*from);
    }
    // SAFETY: fcntl/dup2 on descriptor numbers.
    unsafe {
        // Descriptors received later must never land on 0-2.
        for fd in 0..3 {
            if sys::fcntl(fd, sys::F_GETFD, 0) < 0 {
                sys::dup2(cfg.null_fd, fd);
            }
        }
        // (Every signal has its default disposition: the launch child set them before the
        // exec, and this program, with no Rust runtime, ignores none. Every signal is still
        // blocked, as the launcher's clone left it.)
    }
    if cfg.stay && !cfg.owns_pid_ns {
        // Not PID 1 of its own PID namespace: orphans of the launch's processes (a daemon the
        // boot script started, a double fork) would go to a reaper outside the launch and
        // outlive it. As a child subreaper, the init gets them, and ends them with the rest.
        // SAFETY: prctl with integer arguments.
        unsafe { sys::prctl(sys::PR_SET_CHILD_SUBREAPER, 1usize, 0usize, 0usize, 0usize) };
    }
    // No program (a lab node): the init alone holds the launch until it is stopped.
    let hold = cfg.payload.argv.is_empty() && cfg.stay;
    let Some(payload) = (if hold {
        Some(empty_prepared())
    } else {
        prepare(&cfg.payload)
    }) else {
        sys::set_errno(sys::EINVAL);
        let s = setup(&cfg, None, cfg.err_fd);
        fail(&s, Stage::Init, b"", SETUP_FAILED);
    };
    if let Some(boot) = &cfg.boot {
        run_boot(&cfg, boot);
    }
    let s = Setup {
        p: &payload,
        stdio: None,
        stdin_null: None,
        pass: &cfg.pass,
        interactive: cfg.interactive,
        may_setgroups: cfg.may_setgroups,
        pdeathsig: !cfg.stay,
        report: cfg.err_fd,
    };
    if !cfg.stay {
        exec_child(&s);
    }
    // SAFETY: installing a no-op handler: the kernel drops signals to PID 1 that have no
    // handler; they stay blocked and are read from the signalfd.
    let sfd = unsafe {
        let mut sa: sys::sigaction_t = core::mem::zeroed();
        sa.sa_handler = ignore as extern "C" fn(c_int) as usize;
        for sig in FORWARDED_WITH_HANDLER.iter().chain([&cfg.shutdown_signal]) {
            sys::sigaction(*sig, &sa, null_mut());
        }
        let mut all: sys::sigset_t = core::mem::zeroed();
        sys::sigfillset(&mut all);
        sys::sigprocmask(sys::SIG_SETMASK, &all, null_mut());
        sys::signalfd(-1, &all, sys::SFD_CLOEXEC | 0o4000)
    };
    if sfd < 0 {
        fail(&s, Stage::Init, b"signalfd", SETUP_FAILED);
    }
    let pid = if hold { 0 } else { spawn(&s) };
    if pid < 0 {
        fail(&s, Stage::Fork, b"", SETUP_FAILED);
    }
    // The launcher sees EOF on the report pipe once the payload has exec'd.
    // SAFETY: closing our copy.
    unsafe { sys::close(cfg.err_fd) };
    Init {
        cfg: &cfg,
        sfd,
        control: cfg.control_fd,
        payload: pid,
        payload_status: None,
        stopping: false,
        sessions: BTreeMap::new(),
        conns: Vec::new(),
        accept_paused: false,
        buf: vec![0u8; wire::MAX_REQUEST + 1],
    }
    .run()
}

/// Joins or creates the launch's time namespace: this process is single-threaded and owns its
/// memory, which setns(CLONE_NEWTIME) requires (the launch child, sharing the launcher's
/// memory, could not).
fn enter_time_namespace(cfg: &Config) {
    let fail_setns = |what: &[u8]| -> ! {
        fail(
            &setup(cfg, None, cfg.err_fd),
            Stage::Setns,
            what,
            SETUP_FAILED,
        )
    };
    // SAFETY: setns, unshare, open and close on descriptors and NUL-terminated paths.
    unsafe {
        if cfg.time_fd >= 0 {
            if sys::setns(cfg.time_fd, sys::CLONE_NEWTIME) != 0 {
                fail_setns(b"time");
            }
            sys::close(cfg.time_fd);
        }
        if cfg.new_time {
            if sys::unshare(sys::CLONE_NEWTIME) != 0 {
                fail_setns(b"time");
            }
            // The init itself joins it too (unshare only sets it for its children), when a
            // /proc is there to name it.
            let fd = sys::open(
                c"/proc/self/ns/time_for_children".as_ptr(),
                sys::O_RDONLY | sys::O_CLOEXEC,
                0,
            );
            if fd >= 0 {
                if sys::setns(fd, sys::CLONE_NEWTIME) != 0 {
                    fail_setns(b"/proc/self/ns/time_for_children");
                }
                sys::close(fd);
            }
        }
    }
}

/// A Prepared with nothing to run (failure reports before there is a program; a launch with
/// no program).
const fn empty_prepared() -> Prepared {
    Prepared {
        _argv: Vec::new(),
        argv_ptrs: Vec::new(),
        _env: Vec::new(),
        env_ptrs: Vec::new(),
        candidates: Vec::new(),
        argv0: Vec::new(),
        cwd: None,
        uid: None,
        gid: None,
    }
}

fn setup<'a>(cfg: &'a Config, p: Option<&'a Prepared>, report: c_int) -> Setup<'a> {
    static EMPTY: Prepared = empty_prepared();
    Setup {
        p: p.unwrap_or(&EMPTY),
        stdio: None,
        stdin_null: Some(cfg.null_fd),
        pass: &[],
        interactive: false,
        may_setgroups: cfg.may_setgroups,
        pdeathsig: false,
        report,
    }
}

// SAFETY: only `static EMPTY` needs Sync: an empty Prepared has no pointer to dereference.
unsafe impl Sync for Prepared {}

/// A boot or shutdown command: the payload's environment, search path, cwd and ids; stdin from
/// /dev/null.
fn side_program(cfg: &Config, argv: &[Vec<u8>]) -> Option<Prepared> {
    prepare(&Program {
        argv: argv.to_vec(),
        ..cfg.payload.clone()
    })
}

fn run_boot(cfg: &Config, argv: &[Vec<u8>]) {
    let Some(p) = side_program(cfg, argv) else {
        sys::set_errno(sys::EINVAL);
        fail(
            &setup(cfg, None, cfg.err_fd),
            Stage::Boot,
            b"",
            SETUP_FAILED,
        );
    };
    let s = setup(cfg, Some(&p), cfg.err_fd);
    let pid = spawn(&s);
    if pid < 0 {
        fail(&s, Stage::Fork, b"", SETUP_FAILED);
    }
    let status = wait_for(pid);
    if status != 0 {
        // If the boot command could not be exec'd it has reported that itself.
        let code = wire::exit_code(status);
        if code != wire::NOT_FOUND && code != wire::CANNOT_RUN {
            report(cfg.err_fd, &Record::new(Stage::Boot, 0, status, &p.argv0));
        }
        if !cfg.owns_pid_ns {
            // What the boot script started dies with the launch (in a PID namespace of its
            // own, the init's exit ends them).
            kill_descendants(|_, _| {});
        }
        exit(SETUP_FAILED);
    }
}

/// A descendant of the init: its pid in the numbering of the /proc mount, its pid in the
/// init's PID namespace, and its start time (which tells it from a later process that reuses
/// the pid).
#[derive(Clone, Copy)]
struct Proc {
    pid: sys::pid_t,
    own: sys::pid_t,
    start: u64,
}

/// A whole (small) file as text: what /proc gives, decoded lossily.
fn read_text(path: &str) -> Option<String> {
    let c = CString::new(path).ok()?;
    // SAFETY: open with a NUL-terminated path; the descriptor is ours and closed below.
    let fd = unsafe { sys::open(c.as_ptr(), sys::O_RDONLY | sys::O_CLOEXEC, 0) };
    if fd < 0 {
        return None;
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let ok = loop {
        // SAFETY: read(2) into a stack buffer.
        let n = unsafe { sys::read(fd, chunk.as_mut_ptr().cast(), chunk.len()) };
        match n {
            0 => break true,
            n if n > 0 => buf.extend_from_slice(&chunk[..n as usize]),
            _ if errno() == sys::EINTR => {}
            _ => break false,
        }
    };
    close(fd);
    ok.then(|| String::from_utf8_lossy(&buf).into_owned())
}

/// The numeric entries of /proc: every process its PID namespace shows.
fn proc_pids() -> Option<Vec<sys::pid_t>> {
    // SAFETY: open with a NUL-terminated path; the descriptor is ours and closed below.
    let fd = unsafe {
        sys::open(
            c"/proc".as_ptr(),
            sys::O_RDONLY | sys::O_CLOEXEC | sys::O_DIRECTORY,
            0,
        )
    };
    if fd < 0 {
        return None;
    }
    let mut pids = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    let ok = loop {
        // SAFETY: getdents64 into a buffer we own.
        let n = unsafe { sys::getdents64(fd, buf.as_mut_ptr(), buf.len()) };
        if n <= 0 {
            break n == 0;
        }
        // Each record: d_ino (8), d_off (8), d_reclen (2), d_type (1), then the NUL-terminated
        // name.
        let mut off = 0;
        while off + 19 < n as usize {
            let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
            if reclen == 0 {
                break;
            }
            let name = &buf[off + 19..off + reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            if let Some(pid) = core::str::from_utf8(name).ok().and_then(|t| t.parse().ok()) {
                pids.push(pid);
            }
            off += reclen;
        }
    };
    close(fd);
    ok.then_some(pids)
}

/// Parent pid and start time from /proc/`pid`/stat.
fn proc_stat(pid: sys::pid_t) -> Option<(sys::pid_t, u64)> {
    let text = read_text(&format!("/proc/{pid}/stat"))?;
    // After the command name (in parentheses, which may hold anything): state, ppid, ...;
    // starttime is the 22nd field of the line.
    let mut f = text.rsplit_once(')')?.1.split_whitespace();
    let ppid = f.nth(1)?.parse().ok()?;
    let start = f.nth(17)?.parse().ok()?;
    Some((ppid, start))
}

/// NSpid of /proc/`pid`/status: the pid in the /proc mount's PID namespace, then in each
/// nested one down to the process's own.
fn nspid(pid: &str) -> Option<Vec<sys::pid_t>> {
    let text = read_text(&format!("/proc/{pid}/status"))?;
    let line = text.lines().find_map(|l| l.strip_prefix("NSpid:"))?;
    line.split_whitespace().map(|p| p.parse().ok()).collect()
}

/// Every process below this init (its children, theirs, and so on), from the parent links in
/// /proc: only processes whose ancestry leads to the init, never another host process. None
/// when /proc cannot tell (not mounted, or of a PID namespace the init is not in). The /proc
/// may be an outer namespace's (the host's, with a joined PID namespace and no rootfs): NSpid
/// then gives the pids in the init's.
fn descendants() -> Option<Vec<Proc>> {
    let me = nspid("self")?;
    // SAFETY: getpid(2).
    if me.last() != Some(&unsafe { sys::getpid() }) {
        return None;
    }
    let depth = me.len();
    let mut all = Vec::new();
    for pid in proc_pids()? {
        if let Some((ppid, start)) = proc_stat(pid) {
            all.push((pid, ppid, start));
        }
    }
    let mut tree = vec![me[0]];
    let mut out = Vec::new();
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        for &(pid, ppid, start) in &all {
            // (No pid twice, even from a scan that raced with pid reuse: no cycle.)
            if ppid == parent && !tree.contains(&pid) {
                tree.push(pid);
                let own = if depth == 1 {
                    Some(pid)
                } else {
                    nspid(&pid.to_string()).and_then(|ns| ns.get(depth - 1).copied())
                };
                if let Some(own) = own {
                    out.push(Proc { pid, own, start });
                }
            }
        }
        i += 1;
    }
    Some(out)
}

/// Sends `sig` to every descendant (see [`descendants`]); how many it reached, or None when
/// /proc cannot tell. Each is held by a pidfd before any is signalled, so one whose parent dies
/// meanwhile (and which moves to a reaper) is still reached.
fn signal_descendants(sig: c_int) -> Option<usize> {
    let mut fds = Vec::new();
    for p in descendants()? {
        // SAFETY: pidfd_open of a pid; the descriptor is ours.
        let fd = unsafe { sys::pidfd_open(p.own, 0) };
        if fd < 0 {
            continue;
        }
        // Still the process of the scan (alive now, so the pidfd is of it): not a later one
        // that reuses its pid.
        if proc_stat(p.pid).map(|(_, start)| start) == Some(p.start) {
            fds.push(fd);
        } else {
            close(fd);
        }
    }
    let mut reached = 0;
    for fd in fds {
        // SAFETY: pidfd_send_signal on a descriptor we opened, without siginfo.
        let r = unsafe { sys::pidfd_send_signal(fd, sig) };
        reached += usize::from(r == 0);
        close(fd);
    }
    Some(reached)
}

/// SIGKILLs the init's descendants and reaps them, round after round until none is left: one
/// that forked meanwhile, or that a dying parent left to the init, is found the next round.
/// Gives up after 2500 rounds, five seconds at least (a process stuck in the kernel). False
/// when /proc cannot tell the descendants.
fn kill_descendants(mut reaped: impl FnMut(sys::pid_t, c_int)) -> bool {
    for _ in 0..2500 {
        match signal_descendants(sys::SIGKILL) {
            None => return false,
            Some(0) => break,
            Some(_) => {}
        }
        // SAFETY: poll(2) without descriptors: a 2 ms sleep while the killed processes die.
        unsafe { sys::poll(null_mut(), 0, 2) };
        loop {
            let mut status = 0;
            // SAFETY: waitpid with WNOHANG and a valid out pointer.
            let r = unsafe { sys::waitpid(-1, &mut status, sys::WNOHANG) };
            if r <= 0 {
                break;
            }
            reaped(r, status);
        }
    }
    true
}

struct Init<'a> {
    cfg: &'a Config,
    sfd: c_int,
    /// The launcher's control channel; -1 once it has hung up (the launcher exec'd, say).
    control: c_int,
    /// The payload's pid; 0 when there is none (a lab node: the launch ends when it is
    /// stopped). No reaped pid is 0, but kill(0) would signal our process group.
    payload: sys::pid_t,
    payload_status: Option<c_int>,
    stopping: bool,
    /// Running exec'd commands and the socket their exit status goes to.
    sessions: BTreeMap<sys::pid_t, c_int>,
    /// Accepted connections whose request has not arrived yet (at most [`MAX_WAITING`]).
    conns: Vec<c_int>,
    /// accept failed for want of descriptors: the next poll leaves the listening socket out
    /// and waits at most 100 ms.
    accept_paused: bool,
    buf: Vec<u8>,
}

/// Sends one message, with at most one descriptor. Errors are ignored: a client that went away
/// loses its answer, nothing else.
fn send(sock: c_int, data: &[u8], fd: Option<c_int>) {
    send_flags(sock, data, fd, sys::MSG_NOSIGNAL);
}

/// [`send`] with sendmsg(2) flags; its result.
fn send_flags(sock: c_int, data: &[u8], fd: Option<c_int>, flags: c_int) -> isize {
    let mut iov = sys::iovec {
        base: data.as_ptr() as *mut c_void,
        len: data.len(),
    };
    let mut cbuf = [0u64; 4];
    let mut msg = sys::msghdr {
        name: null_mut(),
        namelen: 0,
        iov: &mut iov,
        iovlen: 1,
        control: null_mut(),
        controllen: 0,
        flags: 0,
    };
    if let Some(fd) = fd {
        let hdr = sys::cmsghdr {
            len: core::mem::size_of::<sys::cmsghdr>() + 4,
            level: sys::SOL_SOCKET,
            kind: sys::SCM_RIGHTS,
        };
        // SAFETY: cbuf is 32 bytes, 8-aligned: a cmsghdr (16 bytes) and one int fit.
        unsafe {
            core::ptr::write(cbuf.as_mut_ptr().cast::<sys::cmsghdr>(), hdr);
            core::ptr::write(cbuf.as_mut_ptr().add(2).cast::<c_int>(), fd);
        }
        msg.control = cbuf.as_mut_ptr().cast();
        msg.controllen = 24;
    }
    // SAFETY: sendmsg with a msghdr whose buffers outlive the call.
    unsafe { sys::sendmsg(sock, &msg, flags) }
}

/// Whether descriptor `fd` is this init's own listening socket ([`wire::LISTEN_FD`]): the same
/// socket inode. Outside this init only whoever copied it with pidfd_getfd(2) holds it, which
/// takes ptrace rights over the init (the launcher closes its copy once the init runs, and the
/// init's children never inherit it).
fn is_listen_socket(fd: c_int) -> bool {
    let id = |fd: c_int| {
        // SAFETY: an all-zero stat is valid; fstat fills it.
        let mut st: sys::stat_t = unsafe { core::mem::zeroed() };
        // SAFETY: fstat into a buffer large enough for this architecture's struct stat.
        (unsafe { sys::fstat(fd, &mut st) } == 0).then_some((st.dev, st.ino))
    };
    matches!((id(fd), id(wire::LISTEN_FD)), (Some(a), Some(b)) if a == b)
}

/// accept4(2) on `listen` and the peer's credentials (SO_PEERCRED, as this process's user and
/// PID namespaces see them); None if either fails.
fn accept_peer(listen: c_int) -> Option<(c_int, sys::ucred)> {
    // SAFETY: accept4 on a listening socket; no address wanted.
    let c = unsafe { sys::accept4(listen, null_mut(), null_mut(), sys::SOCK_CLOEXEC) };
    if c < 0 {
        return None;
    }
    let mut cred = sys::ucred::default();
    let mut len = core::mem::size_of::<sys::ucred>() as u32;
    // SAFETY: SO_PEERCRED into a ucred of the right size.
    let r = unsafe {
        sys::getsockopt(
            c,
            sys::SOL_SOCKET,
            sys::SO_PEERCRED,
            (&mut cred as *mut sys::ucred).cast(),
            &mut len,
        )
    };
    if r != 0 {
        close(c);
        return None;
    }
    Some((c, cred))
}

/// One message into `buf` and its SCM_RIGHTS descriptors (close-on-exec), without waiting:
/// (recvmsg's result, the descriptors, whether the message or its descriptors were cut).
fn recv_fds(sock: c_int, buf: &mut [u8]) -> (isize, Vec<c_int>, bool) {
    let mut iov = sys::iovec {
        base: buf.as_mut_ptr().cast(),
        len: buf.len(),
    };
    let mut cbuf = [0u64; 8];
    let mut msg = sys::msghdr {
        name: null_mut(),
        namelen: 0,
        iov: &mut iov,
        iovlen: 1,
        control: cbuf.as_mut_ptr().cast(),
        controllen: core::mem::size_of_val(&cbuf),
        flags: 0,
    };
    // SAFETY: recvmsg into buffers we own, sized as the msghdr says.
    let n = unsafe { sys::recvmsg(sock, &mut msg, sys::MSG_CMSG_CLOEXEC | sys::MSG_DONTWAIT) };
    let mut fds = Vec::new();
    let hdr_len = core::mem::size_of::<sys::cmsghdr>();
    let mut off = 0;
    while n >= 0 && off + hdr_len <= msg.controllen {
        // SAFETY: the kernel wrote `controllen` bytes of cmsghdrs into cbuf; each header is
        // 8-aligned and followed by `len - hdr_len` bytes of data.
        let hdr =
            unsafe { core::ptr::read(cbuf.as_ptr().cast::<u8>().add(off).cast::<sys::cmsghdr>()) };
        if hdr.len < hdr_len {
            break;
        }
        if hdr.level == sys::SOL_SOCKET && hdr.kind == sys::SCM_RIGHTS {
            for i in 0..(hdr.len - hdr_len) / 4 {
                // SAFETY: as above, within the header's data.
                fds.push(unsafe {
                    core::ptr::read_unaligned(
                        cbuf.as_ptr()
                            .cast::<u8>()
                            .add(off + hdr_len + 4 * i)
                            .cast::<c_int>(),
                    )
                });
            }
        }
        off += (hdr.len + 7) & !7;
    }
    // MSG_TRUNC | MSG_CTRUNC
    (n, fds, msg.flags & 0x28 != 0)
}

fn close(fd: c_int) {
    // SAFETY: closing a descriptor this init owns.
    unsafe { sys::close(fd) };
}

fn send_failed(sock: c_int, r: &Record) {
    let mut data = wire::REPLY_FAILED.to_le_bytes().to_vec();
    data.extend_from_slice(r.as_bytes());
    send(sock, &data, None);
}

fn send_exited(sock: c_int, status: c_int) {
    let mut data = wire::REPLY_EXITED.to_le_bytes().to_vec();
    data.extend_from_slice(&status.to_le_bytes());
    send(sock, &data, None);
}

impl Init<'_> {
    fn run(mut self) -> ! {
        loop {
            let mut fds = vec![sys::pollfd {
                fd: self.sfd,
                events: sys::POLLIN,
                revents: 0,
            }];
            let paused = core::mem::take(&mut self.accept_paused);
            for fd in [self.control, if paused { -1 } else { self.cfg.listen_fd }] {
                if fd >= 0 {
                    fds.push(sys::pollfd {
                        fd,
                        events: sys::POLLIN,
                        revents: 0,
                    });
                }
            }
            for c in &self.conns {
                fds.push(sys::pollfd {
                    fd: *c,
                    events: sys::POLLIN,
                    revents: 0,
                });
            }
            let timeout = if paused { 100 } else { -1 };
            // SAFETY: poll over a vector of pollfds we own.
            let r = unsafe { sys::poll(fds.as_mut_ptr(), fds.len() as _, timeout) };
            if r < 0 {
                continue;
            }
            if fds[0].revents != 0 {
                self.signals();
            }
            self.reap();
            if let Some(status) = self.payload_status {
                self.finish(status);
            }
            let ready = |fd: c_int| fds.iter().any(|p| p.fd == fd && p.revents != 0);
            if self.control >= 0 && ready(self.control) {
                self.request(self.control, true);
            }
            if self.cfg.listen_fd >= 0 && ready(self.cfg.listen_fd) {
                self.accept();
            }
            let conns = core::mem::take(&mut self.conns);
            for c in conns {
                if ready(c) {
                    // One request per connection; the connection then carries its replies.
                    self.request(c, false);
                } else {
                    self.conns.push(c);
                }
            }
        }
    }

    fn signals(&mut self) {
        let mut info = [0u8; 128];
        loop {
            // SAFETY: read(2) of one signalfd_siginfo (128 bytes) into a stack buffer.
            let n = unsafe { sys::read(self.sfd, info.as_mut_ptr().cast(), info.len()) };
            if n != 128 {
                return;
            }
            let sig = u32::from_ne_bytes(info[..4].try_into().expect("4 bytes")) as c_int;
            // ssi_code: SI_KERNEL for what a terminal sends its foreground process group.
            let code = i32::from_ne_bytes(info[8..12].try_into().expect("4 bytes"));
            if sig == self.cfg.shutdown_signal {
                if !self.stopping {
                    self.stopping = true;
                    self.run_shutdown();
                    self.everything(sys::SIGTERM);
                }
                if self.payload == 0 {
                    // Ends as a payload that SIGTERM ended would (status 128+15).
                    self.payload_status = Some(sys::SIGTERM);
                }
            } else if sig != sys::SIGCHLD && self.payload != 0 {
                // A terminal's ^C (^\, hangup, window size) went to its whole foreground
                // group: a payload in the init's group has it already; once is enough.
                // SAFETY: getpgid of our own child and of ourselves.
                let same_group = code == sys::SI_KERNEL
                    && unsafe { sys::getpgid(self.payload) == sys::getpgid(0) };
                if !same_group {
                    // SAFETY: kill(2) of our own child.
                    unsafe { sys::kill(self.payload, sig) };
                }
            }
        }
    }

    /// A reaped process: the payload's status is noted; an exec'd one gets its status sent.
    fn reaped(&mut self, pid: sys::pid_t, status: c_int) {
        if pid == self.payload {
            self.payload_status = Some(status);
        } else if let Some(sock) = self.sessions.remove(&pid) {
            send_exited(sock, status);
            close(sock);
        }
    }

    fn reap(&mut self) {
        // Interactive: a payload stopped from the terminal (^Z) is reported to the launcher,
        // which stops itself the same way and continues the payload when it is continued.
        let flags = if self.cfg.interactive {
            sys::WNOHANG | sys::WUNTRACED
        } else {
            sys::WNOHANG
        };
        loop {
            let mut status = 0;
            // SAFETY: waitpid with WNOHANG and a valid out pointer. This init owns every
            // process it can reap.
            let r = unsafe { sys::waitpid(-1, &mut status, flags) };
            if r <= 0 {
                return;
            }
            if status & 0xff == 0x7f {
                // WIFSTOPPED: not an end.
                if r == self.payload && self.cfg.control_fd >= 0 {
                    let mut msg = wire::EVENT_PAYLOAD_STOPPED.to_le_bytes().to_vec();
                    msg.extend_from_slice(&((status >> 8) & 0xff).to_le_bytes());
                    send(self.cfg.control_fd, &msg, None);
                }
                continue;
            }
            self.reaped(r, status);
        }
    }

    /// Signals every process of the launch: kill(-1) when the init is PID 1 of its own PID
    /// namespace (which reaches exactly that namespace); otherwise, since kill(-1) would reach
    /// the host's processes, the init's descendants (their orphans come to it: it is a child
    /// subreaper), or when /proc cannot tell them, the payload and the exec'd commands.
    fn everything(&self, sig: c_int) {
        if !self.cfg.owns_pid_ns && signal_descendants(sig).is_some() {
            return;
        }
        // SAFETY: kill(2).
        unsafe {
            if self.cfg.owns_pid_ns {
                sys::kill(-1, sig);
            } else {
                if self.payload_status.is_none() && self.payload != 0 {
                    sys::kill(self.payload, sig);
                }
                for pid in self.sessions.keys() {
                    sys::kill(*pid, sig);
                }
            }
        }
    }

    fn run_shutdown(&mut self) {
        let Some(argv) = &self.cfg.shutdown else {
            return;
        };
        let Some(p) = side_program(self.cfg, argv) else {
            return;
        };
        // The launcher learns that the shutdown command runs, and when it is done: a stop
        // that times out in between is reported as a hung shutdown command.
        if self.cfg.control_fd >= 0 {
            send(
                self.cfg.control_fd,
                &wire::EVENT_SHUTDOWN_STARTED.to_le_bytes(),
                None,
            );
        }
        self.shutdown_command(&p);
        if self.cfg.control_fd >= 0 {
            send(
                self.cfg.control_fd,
                &wire::EVENT_SHUTDOWN_DONE.to_le_bytes(),
                None,
            );
        }
    }

    fn shutdown_command(&mut self, p: &Prepared) {
        // Its exec failure has nobody to go to: report into /dev/null.
        let s = setup(self.cfg, Some(p), self.cfg.null_fd);
        let pid = spawn(&s);
        if pid <= 0 {
            return;
        }
        // Reap everything until the shutdown command is done.
        loop {
            let mut status = 0;
            // SAFETY: waitpid(-1) in the launch's init: every process here is ours.
            let r = unsafe { sys::waitpid(-1, &mut status, 0) };
            if r == pid || (r < 0 && errno() != sys::EINTR) {
                break;
            }
            if r > 0 {
                self.reaped(r, status);
            }
        }
    }

    fn finish(&mut self, status: c_int) -> ! {
        if !self.stopping {
            self.stopping = true;
            self.run_shutdown();
        }
        // Nothing outlives the payload: kill the rest of the launch and reap it. (The payload
        // is reaped, so its pid is not signalled: it may be reused.)
        if self.cfg.owns_pid_ns {
            self.everything(sys::SIGKILL);
            loop {
                let mut st = 0;
                // SAFETY: waitpid(-1) in the launch's init.
                let r = unsafe { sys::waitpid(-1, &mut st, 0) };
                if r > 0 {
                    self.reaped(r, st);
                } else if errno() != sys::EINTR {
                    break;
                }
            }
        } else if !self.childless() {
            if !kill_descendants(|pid, st| self.reaped(pid, st)) {
                self.everything(sys::SIGKILL);
            }
            // The exec'd commands' sessions get their status (orphans the init could not
            // tell are left to the host's reaper, as they would be without it).
            let pids: Vec<sys::pid_t> = self.sessions.keys().copied().collect();
            for pid in pids {
                let st = wait_for(pid);
                self.reaped(pid, st);
            }
        }
        exit(wire::exit_code(status))
    }

    /// Reaps what has ended; true when no child is left. The init is then a child subreaper
    /// with no child, so it has no descendant at all (an orphan would have become its child):
    /// no need to scan /proc for them, which costs a launch in the host's PID namespace
    /// half a millisecond on a busy host.
    fn childless(&mut self) -> bool {
        loop {
            let mut st = 0;
            // SAFETY: waitpid with WNOHANG and a valid out pointer.
            let r = unsafe { sys::waitpid(-1, &mut st, sys::WNOHANG) };
            if r > 0 {
                self.reaped(r, st);
            } else {
                return r < 0 && errno() == sys::ECHILD;
            }
        }
    }

    fn accept(&mut self) {
        let Some((c, cred)) = accept_peer(self.cfg.listen_fd) else {
            if matches!(errno(), sys::EMFILE | sys::ENFILE) {
                // Out of descriptors: the listening socket stays readable, so without a pause
                // poll would return at once, forever. Free one, and wait a moment.
                if !self.conns.is_empty() {
                    close(self.conns.remove(0));
                }
                self.accept_paused = true;
            }
            return;
        };
        // Only processes outside the launch's PID namespace (their pid reads as 0 here) may
        // run commands through it: a program inside must not reach the init's credentials.
        // (The request itself must then prove the right to: see `request`.)
        if self.cfg.owns_pid_ns && cred.pid != 0 {
            close(c);
            return;
        }
        // Anyone who can reach the socket can connect; a client that never sends its request
        // must not pile up descriptors here: the oldest waiting connection goes. (A client
        // sends its request right after connecting.)
        if self.conns.len() >= MAX_WAITING {
            close(self.conns.remove(0));
        }
        self.conns.push(c);
    }

    /// Receives one request on `sock`: from the control socket the reply socket comes first
    /// among the descriptors; on a connection, the connection is the reply socket.
    fn request(&mut self, sock: c_int, control: bool) {
        let (n, fds, cut) = recv_fds(sock, &mut self.buf);
        if n < 0 && errno() == sys::EAGAIN {
            if !control {
                self.conns.push(sock);
            }
            return;
        }
        if n <= 0 && control {
            // The launcher's end is gone: stop watching it (it would poll as ready forever).
            close(sock);
            self.control = -1;
            return;
        }
        if n <= 0 || cut || (control && fds.len() != 4) {
            // EOF, error, truncated (MSG_TRUNC|MSG_CTRUNC) or malformed: drop it.
            fds.into_iter().for_each(close);
            if !control {
                close(sock);
            }
            return;
        }
        if !control && (fds.len() != 4 || !is_listen_socket(fds[0])) {
            // Anyone who finds the abstract name can connect; only a caller that could take
            // the socket out of this init (pidfd_getfd: ptrace rights over it) may run
            // commands as the launch's root.
            fds.into_iter().for_each(close);
            send_failed(sock, &Record::new(Stage::Exec, sys::EPERM, 0, b""));
            close(sock);
            return;
        }
        // From the control socket, the reply socket comes first; on a connection, the proof.
        let (reply, stdio) = if control {
            (fds[0], [fds[1], fds[2], fds[3]])
        } else {
            close(fds[0]);
            (sock, [fds[1], fds[2], fds[3]])
        };
        let req = Request::decode(&self.buf[..n as usize]);
        self.start(reply, stdio, req);
        stdio.into_iter().for_each(close);
    }

    fn start(&mut self, reply: c_int, stdio: [c_int; 3], req: Option<Request>) {
        let refuse = |errno: c_int, path: &[u8]| {
            send_failed(reply, &Record::new(Stage::Exec, errno, 0, path));
            close(reply);
        };
        if self.stopping || self.payload_status.is_some() {
            return refuse(sys::ESRCH, b"");
        }
        let Some(req) = req else {
            return refuse(sys::EINVAL, b"");
        };
        let base = &self.cfg.payload;
        let program = Program {
            argv: req.argv,
            env: req.env.unwrap_or_else(|| base.env.clone()),
            search: req.search.unwrap_or_else(|| base.search.clone()),
            cwd: req.cwd.or_else(|| base.cwd.clone()),
            uid: req.uid.or(base.uid),
            gid: req.gid.or(base.gid),
        };
        let Some(p) = prepare(&program) else {
            return refuse(sys::EINVAL, program.argv.first().map_or(b"", |a| a));
        };
        let mut pipe = [-1; 2];
        // SAFETY: pipe2 into a two-int array.
        if unsafe { sys::pipe2(pipe.as_mut_ptr(), sys::O_CLOEXEC) } != 0 {
            return refuse(errno(), b"");
        }
        let s = Setup {
            p: &p,
            stdio: Some(stdio),
            stdin_null: None,
            pass: &[],
            interactive: false,
            may_setgroups: self.cfg.may_setgroups,
            pdeathsig: false,
            report: pipe[1],
        };
        let pid = spawn(&s);
        close(pipe[1]);
        if pid < 0 {
            close(pipe[0]);
            return refuse(errno(), b"");
        }
        // Wait for the exec (EOF) or its failure (a record); the child does nothing else first.
        let mut rec = [0u8; Record::SIZE];
        let mut got = 0;
        while got < rec.len() {
            // SAFETY: read(2) into the rest of a stack buffer.
            let n = unsafe { sys::read(pipe[0], rec[got..].as_mut_ptr().cast(), rec.len() - got) };
            if n > 0 {
                got += n as usize;
            } else if n == 0 || errno() != sys::EINTR {
                break;
            }
        }
        close(pipe[0]);
        if got == rec.len() {
            wait_for(pid);
            let r = Record::from_bytes(&rec).expect("full record");
            send_failed(reply, &r);
            close(reply);
            return;
        }
        // SAFETY: pidfd_open of our own unreaped child.
        let pidfd = unsafe { sys::pidfd_open(pid, 0) };
        let mut data = wire::REPLY_STARTED.to_le_bytes().to_vec();
        data.extend_from_slice(&pid.to_le_bytes());
        send(reply, &data, (pidfd >= 0).then_some(pidfd));
        if pidfd >= 0 {
            close(pidfd);
        }
        self.sessions.insert(pid, reply);
    }
}
