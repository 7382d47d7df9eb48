//! Clones the launch child and talks to it: reads the failure report (or EOF once the program
//! runs) and hands back a [`Child`].
//!
//! Launches from other threads than the main one are cloned from one long-lived thread:
//! PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process, so a
//! container started from a short-lived Python thread would be killed when that thread ends.
//! Cloning from a thread that lives as long as the process makes the death signal mean "the
//! launcher process died". The clone runs with every signal blocked, so the child starts with
//! none delivered to handlers that belong to the caller.

use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{channel, sync_channel, Sender, SyncSender};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use nix::errno::Errno;

use super::child;
use super::handle::Child;
use super::plan::{Parent, Plan};
use super::status::record_error;
use super::wire::{Record, Stage};
use crate::error::{Context, Error, Result};
use crate::sys;

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
                let _ = job.reply.send(clone(plan));
            }
        })
        .ctx_nopath("launch: start spawner thread")?;
    let _ = SPAWNER.set(Mutex::new(tx));
    let s = SPAWNER.get().expect("just set");
    Ok(s.lock().unwrap_or_else(|p| p.into_inner()).clone())
}

/// Creates the launch child without copying the caller's memory: clone(2) with CLONE_VM and
/// CLONE_VFORK on the plan's own stack, so this thread resumes once the child has exec'd (or
/// exited). With a new user namespace, through the intermediate child (see `child`).
fn clone(plan: &Plan) -> Result<(libc::pid_t, OwnedFd), Errno> {
    let arg = plan as *const Plan as *mut libc::c_void;
    if plan.user.is_some() || plan.fetch_from.is_some() {
        // With many descriptors here, the intermediate child shares our table (CLONE_FILES)
        // and takes only what the launch needs (see child::fetch_entry).
        let (entry, files): (extern "C" fn(*mut libc::c_void) -> libc::c_int, _) =
            if plan.user.is_some() {
                (child::user_entry, 0)
            } else {
                (child::fetch_entry, libc::CLONE_FILES)
            };
        // SAFETY: the intermediate child runs `entry` on the plan's first stack and only
        // makes async-signal-safe calls; CLONE_VFORK suspends this thread until it exits.
        let pid = unsafe {
            libc::clone(
                entry,
                plan.stacks[0].top(),
                libc::CLONE_VM | libc::CLONE_VFORK | files | libc::SIGCHLD,
                arg,
            )
        };
        if pid < 0 {
            return Err(Errno::last());
        }
        let status = sys::wait_pid(pid);
        let child = plan.child_pid.load(Ordering::SeqCst);
        if child <= 0 {
            // The intermediate child failed before the clone (its record says why).
            return Err(if status.is_some() {
                Errno::ECHILD
            } else {
                Errno::last()
            });
        }
        // SAFETY: pidfd_open of our own unreaped child (CLONE_PARENT made it ours): its pid
        // cannot have been reused.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, child, 0) };
        let fd = Errno::result(fd)?;
        // SAFETY: the kernel just returned this descriptor; we own it.
        return Ok((child, unsafe { OwnedFd::from_raw_fd(fd as i32) }));
    }
    let mut pidfd: libc::c_int = -1;
    // SAFETY: the child runs child::launch_entry on the plan's second stack and only makes
    // async-signal-safe calls until it execs; CLONE_VFORK suspends this thread until then, so
    // the plan it reads stays alive and unchanged. With CLONE_PIDFD the kernel stores the
    // pidfd through the parent_tid argument.
    let pid = unsafe {
        libc::clone(
            child::launch_entry,
            plan.stacks[1].top(),
            libc::CLONE_VM
                | libc::CLONE_VFORK
                | libc::CLONE_PIDFD
                | plan.clone_flags
                | libc::SIGCHLD,
            arg,
            &mut pidfd as *mut libc::c_int,
        )
    };
    if pid < 0 {
        return Err(Errno::last());
    }
    // SAFETY: CLONE_PIDFD stored a new descriptor (O_CLOEXEC) that we own.
    Ok((pid, unsafe { OwnedFd::from_raw_fd(pidfd) }))
}

/// Clones directly when called from the main thread (whose exit is the process's exit, so
/// PDEATHSIG means the same), else on the spawner thread.
fn clone_from_right_thread(plan: &Plan) -> Result<(libc::pid_t, OwnedFd)> {
    // SAFETY: gettid and getpid cannot fail. gettid through syscall(2), not the glibc 2.30
    // wrapper, so the library and the manylinux2014 wheel need nothing newer than glibc 2.17.
    if unsafe { libc::syscall(libc::SYS_gettid) == libc::getpid() as libc::c_long } {
        // Every signal blocked around the clone, so the child starts with none delivered to
        // the caller's handlers; the old mask is back as soon as the clone returns.
        let r = {
            let _all = sys::MaskGuard::block_all();
            clone(plan)
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
        stage: Stage::Clone,
        errno: crate::Errno::of(errno),
        status: None,
        path: None,
    }
}

pub(crate) fn spawn(
    plan: Plan,
    parent: Parent,
    deadline: Option<std::time::Instant>,
    interrupted: &mut dyn FnMut() -> Result<()>,
) -> Result<Child> {
    let Parent {
        held,
        ends,
        err_r,
        control,
        init,
        interactive,
        boot,
    } = parent;
    let cloned = clone_from_right_thread(&plan);
    // Every child that ran on the plan has exec'd or exited: the plan and our copies of the
    // child's descriptors can go (so the report pipe reaches EOF).
    drop(plan);
    drop(held);
    let (pid, pidfd) = match cloned {
        Ok(c) => c,
        Err(e) => {
            // A precise report from the intermediate child beats "clone failed".
            let mut buf = [0u8; Record::SIZE];
            if sys::read_exact(err_r.as_fd(), &mut buf).is_ok() {
                if let Some(r) = Record::from_bytes(&buf) {
                    return Err(record_error(&r));
                }
            }
            return Err(e);
        }
    };
    let mut child = Child::new(pid, pidfd, ends, control, init, interactive);
    // Until the report pipe has something (a failure record, or EOF once the program runs):
    // the launch is killed if it takes too long or the caller is interrupted meanwhile.
    loop {
        let slice = Duration::from_millis(50);
        let wait = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).min(slice),
            None => slice,
        };
        let until = Some(Instant::now() + wait);
        if sys::poll_readable(err_r.as_fd(), until, "launch: poll child report")? {
            break;
        }
        let give_up = if deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Error::Launch {
                stage: if boot { Stage::Boot } else { Stage::Init },
                errno: crate::Errno::ETIMEDOUT,
                status: None,
                path: None,
            })
        } else {
            interrupted().err()
        };
        if let Some(e) = give_up {
            // SIGKILL to the init takes its whole PID namespace with it.
            let _ = child.kill();
            let _ = child.wait(None);
            return Err(e);
        }
    }
    let mut buf = [0u8; Record::SIZE];
    match sys::read_exact(err_r.as_fd(), &mut buf) {
        Err(Errno::EIO) => Ok(child), // EOF: the program was exec'd
        Err(e) => Err(Error::sys_nopath("launch: read child report", e)),
        Ok(()) => {
            let r = Record::from_bytes(&buf).expect("full record");
            let _ = child.wait(None);
            Err(record_error(&r))
        }
    }
}
