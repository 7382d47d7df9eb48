//! Launches from other threads than the main one are cloned from one long-lived thread.
//!
//! PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process: a
//! container started from a short-lived Python thread would be killed when that thread ends.
//! Cloning from a thread that lives as long as the process makes the death signal mean
//! "the launcher process died". The thread also runs with every signal blocked, so the child
//! starts with no signal delivered to handlers that belong to the caller.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::mpsc::{channel, sync_channel, Sender, SyncSender};
use std::sync::{Mutex, OnceLock};

use nix::errno::Errno;

use super::child;
use super::plan::Plan;
use crate::error::{Context, Error, Result};

struct Job {
    plan: *const Plan,
    reply: SyncSender<Result<(libc::pid_t, OwnedFd), Errno>>,
}

// SAFETY: the plan pointer is only read, and the caller blocks on `reply` until the clone is
// done, so the Plan outlives every use on the spawner thread.
unsafe impl Send for Job {}

static SPAWNER: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();

fn spawner() -> Result<Sender<Job>> {
    if let Some(s) = SPAWNER.get() {
        return Ok(s.lock().unwrap_or_else(|p| p.into_inner()).clone());
    }
    let (tx, rx) = channel::<Job>();
    std::thread::Builder::new()
        .name("nsrun-spawner".into())
        .stack_size(256 * 1024)
        .spawn(move || {
            // SAFETY: blocking every signal for this thread only; the set is a stack value.
            unsafe {
                let mut all: libc::sigset_t = std::mem::zeroed();
                libc::sigfillset(&mut all);
                libc::pthread_sigmask(libc::SIG_SETMASK, &all, std::ptr::null_mut());
            }
            for job in rx {
                // SAFETY: see `impl Send for Job`.
                let plan = unsafe { &*job.plan };
                let _ = job.reply.send(clone3(plan));
            }
        })
        .ctx_nopath("launch: start spawner thread")?;
    let _ = SPAWNER.set(Mutex::new(tx));
    let s = SPAWNER.get().expect("just set");
    Ok(s.lock().unwrap_or_else(|p| p.into_inner()).clone())
}

/// clone3(2) with the plan's namespace flags and CLONE_PIDFD; the child runs `child::run`.
fn clone3(plan: &Plan) -> Result<(libc::pid_t, OwnedFd), Errno> {
    #[repr(C)]
    struct CloneArgs {
        flags: u64,
        pidfd: u64,
        child_tid: u64,
        parent_tid: u64,
        exit_signal: u64,
        stack: u64,
        stack_size: u64,
        tls: u64,
    }
    let mut pidfd: libc::c_int = -1;
    let args = CloneArgs {
        flags: plan.clone_flags | libc::CLONE_PIDFD as u64,
        pidfd: &mut pidfd as *mut libc::c_int as u64,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: libc::SIGCHLD as u64,
        stack: 0,
        stack_size: 0,
        tls: 0,
    };
    // SAFETY: clone3 without a new stack behaves like fork: the child continues here on a copy
    // of this stack and calls only child::run, which never returns and makes only
    // async-signal-safe calls.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if pid == 0 {
        child::run(plan);
    }
    if pid < 0 {
        return Err(Errno::last());
    }
    // SAFETY: CLONE_PIDFD stored a new descriptor (O_CLOEXEC) that we own.
    Ok((pid as libc::pid_t, unsafe { OwnedFd::from_raw_fd(pidfd) }))
}

/// Clones the launch child: directly when called from the main thread (whose exit is the
/// process's exit, so PDEATHSIG means the same), else on the spawner thread.
pub(crate) fn clone(plan: &Plan) -> Result<(libc::pid_t, OwnedFd)> {
    // SAFETY: gettid and getpid cannot fail. gettid through syscall(2), not the glibc 2.30
    // wrapper, so the library and the manylinux2014 wheel need nothing newer than glibc 2.17.
    if unsafe { libc::syscall(libc::SYS_gettid) == libc::getpid() as libc::c_long } {
        // SAFETY: block every signal for this thread around the clone, so the child starts
        // with none delivered to the caller's handlers; the old mask is restored at once.
        let r = unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
            let r = clone3(plan);
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
            r
        };
        return r.map_err(clone_error);
    }
    let (reply, answer) = sync_channel(1);
    spawner()?
        .send(Job { plan, reply })
        .map_err(|_| Error::sys_nopath("launch: spawner thread is gone", Errno::ECHILD))?;
    match answer.recv() {
        Ok(r) => r.map_err(clone_error),
        Err(_) => Err(Error::sys_nopath(
            "launch: spawner thread is gone",
            Errno::ECHILD,
        )),
    }
}

fn clone_error(errno: Errno) -> Error {
    Error::Launch {
        stage: super::Stage::Clone,
        errno: crate::Errno::of(errno),
        status: None,
        path: None,
    }
}
