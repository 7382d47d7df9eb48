//! The last step of the launch child: exec nsrun-init from its sealed memfd, or (with
//! `init(false)` and no boot command) the program itself. Async-signal-safe system calls only.

use std::os::raw::{c_char, c_int, c_ulong};

use super::sys::{errno, fail, set_errno};
use crate::launch::plan::{Direct, ExecPlan, InitExec, Plan};
use crate::launch::wire::{self, Stage, SETUP_FAILED};

/// execve with a PATH search done in a stack buffer; returns only on failure, with the errno
/// that best explains it (EACCES if some candidate existed but could not be run).
fn exec(ep: &ExecPlan, envp: *const *const c_char) -> c_int {
    // SAFETY: execve is async-signal-safe; argv/envp are NULL-terminated arrays of pointers to
    // NUL-terminated strings owned by the plan; `buf` is NUL-terminated before use.
    unsafe {
        let argv = ep.argv_ptrs.as_ptr();
        if ep.search.is_empty() {
            libc::execve(ep.argv[0].as_ptr(), argv, envp);
            return errno();
        }
        let prog = ep.argv[0].to_bytes();
        let mut seen_eacces = false;
        let mut buf = [0u8; 4096];
        for dir in &ep.search {
            let d = dir.to_bytes();
            if d.len() + 1 + prog.len() + 1 > buf.len() {
                continue;
            }
            buf[..d.len()].copy_from_slice(d);
            buf[d.len()] = b'/';
            buf[d.len() + 1..d.len() + 1 + prog.len()].copy_from_slice(prog);
            buf[d.len() + 1 + prog.len()] = 0;
            libc::execve(buf.as_ptr().cast(), argv, envp);
            match errno() {
                libc::EACCES => seen_eacces = true,
                libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ELOOP | libc::ENAMETOOLONG => {}
                other => return other,
            }
        }
        if seen_eacces {
            libc::EACCES
        } else {
            libc::ENOENT
        }
    }
}

/// The program is PID 1 itself: descriptors, terminal, credentials, cwd, signal mask, exec.
/// Reports and exits 127 (not found) or 126 (cannot run) as shells do.
pub(super) fn direct(plan: &Plan, d: &Direct) -> ! {
    // SAFETY: close_range, dup2, isatty, setpgid, tcsetpgrp, setgroups, setgid, setuid, prctl,
    // chdir, sigprocmask and _exit are async-signal-safe system calls; strings are the plan's.
    unsafe {
        // Nothing of the launcher's leaks into the program, not even descriptors it opened
        // without O_CLOEXEC: mark all but 0-2 close-on-exec (passed ones are dup2'd after).
        const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC);
        for (src, target) in &d.pass {
            if libc::dup2(*src, *target) < 0 {
                fail(plan, Stage::Stdio, b"", SETUP_FAILED);
            }
        }
        if d.interactive && libc::isatty(0) == 1 {
            libc::setpgid(0, 0);
            // SIGTTOU is blocked, so a background process may take the foreground.
            libc::tcsetpgrp(0, libc::getpgrp());
        }
        if let Some(gid) = d.gid {
            // Bare system calls: glibc's wrappers signal every thread it believes exists, and
            // this child shares the memory of a multithreaded launcher.
            if d.may_setgroups && libc::syscall(libc::SYS_setgroups, 0usize, 0usize) != 0 {
                fail(plan, Stage::Setgroups, b"", SETUP_FAILED);
            }
            if libc::syscall(libc::SYS_setgid, gid as libc::c_ulong) != 0 {
                fail(plan, Stage::Setgid, b"", SETUP_FAILED);
            }
        }
        if let Some(uid) = d.uid {
            if libc::syscall(libc::SYS_setuid, uid as libc::c_ulong) != 0 {
                fail(plan, Stage::Setuid, b"", SETUP_FAILED);
            }
        }
        if let Some(cwd) = &d.cwd {
            if libc::chdir(cwd.as_ptr()) != 0 {
                fail(plan, Stage::Chdir, cwd.to_bytes(), SETUP_FAILED);
            }
        }
        // The program is PID 1 itself: it must die with the launcher (setuid cleared it).
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as c_ulong);
        let empty: libc::sigset_t = std::mem::zeroed();
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        let e = exec(&d.payload, d.env_ptrs.as_ptr());
        set_errno(e);
        fail(
            plan,
            Stage::Exec,
            d.payload.argv[0].to_bytes(),
            wire::exec_failure_code(e),
        )
    }
}

/// Puts the configuration and the listening socket at the numbers the init expects, keeps its
/// other descriptors across exec, and execs the sealed image with an empty environment.
pub(super) fn init(plan: &Plan, i: &InitExec) -> ! {
    // SAFETY: open, dup3, close, dup2, fcntl, execveat (a system call) and _exit are
    // async-signal-safe; every
    // descriptor is >= 100 (the plan moved them there), so dup2 onto 3 and 4 clobbers none;
    // argv and envp are NULL-terminated arrays owned by the plan.
    unsafe {
        if libc::dup2(i.config, wire::CONFIG_FD) < 0 {
            fail(plan, Stage::Init, b"", SETUP_FAILED);
        }
        if i.listen >= 0 && libc::dup2(i.listen, wire::LISTEN_FD) < 0 {
            fail(plan, Stage::Init, b"", SETUP_FAILED);
        }
        // The init keeps a /dev/null for the stdin of boot and shutdown commands: the one of
        // the launch's own /dev (after the root switch), not the launcher's, so that the init
        // holds no descriptor of a host mount while the program runs (CVE-2024-21626).
        let own = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if own >= 0 {
            libc::dup3(own, i.null, libc::O_CLOEXEC);
            libc::close(own);
        }
        for fd in &i.inherit {
            if libc::fcntl(*fd, libc::F_SETFD, 0) < 0 {
                fail(plan, Stage::Init, b"", SETUP_FAILED);
            }
        }
        libc::syscall(
            libc::SYS_execveat,
            i.image,
            c"".as_ptr(),
            i.argv_ptrs.as_ptr(),
            i.envp.as_ptr(),
            libc::AT_EMPTY_PATH,
        );
        fail(plan, Stage::Init, b"execveat nsrun-init", SETUP_FAILED)
    }
}
