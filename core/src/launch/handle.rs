//! The handle on a launched program: wait (with timeout), signal, stop, look into.

use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;

use crate::error::{Context, Error, Result};
use crate::{Kind, Namespace};

/// The signal that asks nsrun's init to shut down (run the shutdown command, then SIGTERM
/// everything): SIGRTMIN+3, as systemd uses it for "halt".
pub(crate) fn shutdown_signal() -> i32 {
    libc::SIGRTMIN() + 3
}

/// How a launched program ended (the init's status: the payload's code, or 128+signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    /// Killed by this signal (only the init itself can end this way, e.g. by SIGKILL).
    Signaled(i32),
}

impl ExitStatus {
    fn from_wait(status: i32) -> ExitStatus {
        if libc::WIFSIGNALED(status) {
            ExitStatus::Signaled(libc::WTERMSIG(status))
        } else {
            ExitStatus::Exited(libc::WEXITSTATUS(status))
        }
    }

    /// The exit code, if it exited.
    pub fn code(self) -> Option<i32> {
        match self {
            ExitStatus::Exited(c) => Some(c),
            ExitStatus::Signaled(_) => None,
        }
    }

    /// Like `subprocess.Popen.returncode`: the code, or minus the signal.
    pub fn returncode(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c,
            ExitStatus::Signaled(s) => -s,
        }
    }

    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }
}

/// A launched program. Dropping a handle whose program still runs kills it (and everything in
/// its PID namespace) and reaps it: nothing outlives its handle by accident.
#[derive(Debug)]
pub struct Child {
    pid: libc::pid_t,
    pidfd: OwnedFd,
    /// The launcher's ends of `Stdio::Piped` streams.
    pub stdin: Option<OwnedFd>,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
    status: Option<ExitStatus>,
    init: bool,
    interactive: bool,
}

impl Child {
    pub(crate) fn new(
        pid: libc::pid_t,
        pidfd: OwnedFd,
        ends: [Option<OwnedFd>; 3],
        init: bool,
        interactive: bool,
    ) -> Child {
        let [stdin, stdout, stderr] = ends;
        Child {
            pid,
            pidfd,
            stdin,
            stdout,
            stderr,
            status: None,
            init,
            interactive,
        }
    }

    /// Host pid of the program (of nsrun's init, when there is one).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// A pidfd for the process (pidfd_open(2)); readable once it has exited.
    pub fn pidfd(&self) -> &OwnedFd {
        &self.pidfd
    }

    /// The status, if it has been reaped.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// Waits for the program, at most `timeout` (forever if None). `Ok(None)` on timeout.
    /// Reaps only this child (never `waitpid(-1)`).
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<Option<ExitStatus>> {
        if let Some(s) = self.status {
            return Ok(Some(s));
        }
        if let Some(t) = timeout {
            let deadline = Instant::now() + t;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                let mut pfd = libc::pollfd {
                    fd: self.pidfd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                let ms = left.as_millis().min(i32::MAX as u128) as i32;
                // SAFETY: poll on one valid pollfd.
                let r = unsafe { libc::poll(&mut pfd, 1, ms) };
                if r > 0 {
                    break;
                }
                if r < 0 && Errno::last() != Errno::EINTR {
                    return Err(Error::sys_nopath("wait: poll pidfd", Errno::last()));
                }
                if r == 0 && Instant::now() >= deadline {
                    return Ok(None);
                }
            }
        }
        let mut status = 0;
        loop {
            // SAFETY: waitpid on our own child with a valid out pointer.
            let r = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            if r == self.pid {
                break;
            }
            if Errno::last() != Errno::EINTR {
                return Err(Error::sys_nopath("wait: waitpid", Errno::last()));
            }
        }
        let s = ExitStatus::from_wait(status);
        self.status = Some(s);
        self.take_back_terminal();
        Ok(Some(s))
    }

    /// Sends `sig` to the program (to nsrun's init, which forwards SIGTERM, SIGINT, SIGHUP,
    /// SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH and SIGCONT to the payload). A no-op once reaped.
    pub fn send_signal(&self, sig: i32) -> Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        pidfd_send_signal(&self.pidfd, sig)
    }

    /// A handle that can signal the program from another thread while this one waits.
    pub fn signaller(&self) -> Result<Signaller> {
        let pidfd = self.pidfd.try_clone().ctx_nopath("signaller: dup pidfd")?;
        Ok(Signaller { pidfd })
    }

    /// SIGKILL: the init dies, and with it every process of its PID namespace.
    pub fn kill(&self) -> Result<()> {
        self.send_signal(libc::SIGKILL)
    }

    /// Stops the program: with the init, runs the shutdown command, then SIGTERM to every
    /// process; without, SIGTERM to the program. SIGKILL if it has not ended after `grace`.
    pub fn stop(&mut self, grace: Duration) -> Result<ExitStatus> {
        if let Some(s) = self.status {
            return Ok(s);
        }
        self.send_signal(if self.init {
            shutdown_signal()
        } else {
            libc::SIGTERM
        })?;
        if let Some(s) = self.wait(Some(grace))? {
            return Ok(s);
        }
        self.kill()?;
        Ok(self
            .wait(None)?
            .expect("wait without timeout returns a status"))
    }

    /// The program's namespace of `kind` (e.g. to persist its new netns while it runs).
    pub fn namespace(&self, kind: Kind) -> Result<Namespace> {
        Namespace::of_pid(self.pid, kind)
    }

    /// An interactive program had the terminal's foreground: take it back.
    fn take_back_terminal(&self) {
        if !self.interactive {
            return;
        }
        // SAFETY: isatty/tcsetpgrp/getpgrp on fd 0; SIGTTOU is blocked for this thread around
        // the call (a background process may otherwise be stopped by it).
        unsafe {
            if libc::isatty(0) != 1 {
                return;
            }
            let mut block: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut block);
            libc::sigaddset(&mut block, libc::SIGTTOU);
            libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old);
            libc::tcsetpgrp(0, libc::getpgrp());
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        }
    }
}

/// Sends signals to a launched program, independently of its [`Child`] handle (a pidfd: it can
/// never hit a recycled pid). Signalling a program that has ended is a no-op.
#[derive(Debug)]
pub struct Signaller {
    pidfd: OwnedFd,
}

impl Signaller {
    pub fn send_signal(&self, sig: i32) -> Result<()> {
        pidfd_send_signal(&self.pidfd, sig)
    }
}

/// pidfd_send_signal(2); ESRCH (already exited) is not an error.
fn pidfd_send_signal(pidfd: &OwnedFd, sig: i32) -> Result<()> {
    // SAFETY: pidfd_send_signal on a pidfd we own, with no siginfo.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            sig,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    match Errno::result(r) {
        Ok(_) | Err(Errno::ESRCH) => Ok(()),
        Err(e) => Err(Error::sys_nopath("send signal: pidfd_send_signal", e)),
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.kill();
            let _ = self.wait(None);
        }
    }
}
