//! The handle on a launched program: wait (with timeout), signal, stop, look into, exec into.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;

use super::plan::shutdown_signal;
use super::session::{exec_via_control, ExecChild, ExecCommand};
use super::signal::pidfd_send_signal;
use super::signal::Signaller;
use super::status::ExitStatus;
use crate::error::{Error, Result};
use crate::{sys, Kind, Namespace};

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
    /// The launcher's end of the init's control socket (exec requests).
    control: Option<OwnedFd>,
    init: bool,
    interactive: bool,
    /// What the init reported about the shutdown command: (started, done).
    shutdown: (bool, bool),
    /// The program was stopped by this signal (reported by the init, not yet followed).
    stopped: Option<i32>,
}

impl Child {
    pub(crate) fn new(
        pid: libc::pid_t,
        pidfd: OwnedFd,
        ends: [Option<OwnedFd>; 3],
        control: Option<OwnedFd>,
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
            control,
            init,
            interactive,
            shutdown: (false, false),
            stopped: None,
        }
    }

    /// Reads what the init reported on its control socket so far (shutdown started / done).
    fn read_events(&mut self) {
        let Some(control) = &self.control else {
            return;
        };
        loop {
            let mut msg = [0u8; 8];
            // SAFETY: recv of one message into a stack buffer, without waiting.
            let n = unsafe {
                libc::recv(
                    control.as_raw_fd(),
                    msg.as_mut_ptr().cast(),
                    msg.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if n < 4 {
                return;
            }
            let word = |i: usize| u32::from_le_bytes(msg[i..i + 4].try_into().expect("4 bytes"));
            match word(0) {
                super::wire::EVENT_SHUTDOWN_STARTED => self.shutdown.0 = true,
                super::wire::EVENT_SHUTDOWN_DONE => self.shutdown.1 = true,
                super::wire::EVENT_PAYLOAD_STOPPED if n == 8 => self.stopped = Some(word(4) as i32),
                _ => {}
            }
        }
    }

    /// For an interactive launch, does what `sudo` does when its command is stopped from the
    /// terminal (^Z): if the program was stopped, take the terminal back, stop the launcher
    /// with the same signal (its shell then shows it as a stopped job), and once the launcher
    /// is continued (`fg`, `bg`), give the terminal back to the program's process group and
    /// continue it. Returns whether that happened. Call it while waiting (`nsrun boot` does).
    pub fn follow_stop(&mut self) -> bool {
        self.read_events();
        let Some(sig) = self.stopped.take() else {
            return false;
        };
        if !self.interactive || self.status.is_some() {
            return false;
        }
        // SAFETY: tcgetpgrp/getpgrp on fd 0, kill(2) of our own pid and of the program's
        // process group.
        unsafe {
            let program_pgrp = libc::tcgetpgrp(0);
            sys::set_foreground(libc::getpgrp());
            let own = if sig == libc::SIGSTOP {
                libc::SIGSTOP
            } else {
                libc::SIGTSTP
            };
            // Stops here until continued.
            libc::kill(libc::getpid(), own);
            if program_pgrp > 0 && program_pgrp != libc::getpgrp() {
                sys::set_foreground(program_pgrp);
                libc::kill(-program_pgrp, libc::SIGCONT);
            }
        }
        true
    }

    /// True while the init runs the shutdown command (it has said so, and not that it ended).
    pub fn shutdown_running(&mut self) -> bool {
        self.read_events();
        self.shutdown.0 && !self.shutdown.1
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
            let deadline = Some(Instant::now() + t);
            if !sys::poll_readable(self.pidfd.as_fd(), deadline, "wait: poll pidfd")? {
                return Ok(None);
            }
        }
        let Some(status) = sys::wait_pid(self.pid) else {
            return Err(Error::sys_nopath("wait: waitpid", Errno::last()));
        };
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
        Signaller::from_pidfd(&self.pidfd)
    }

    /// Runs `cmd` inside this running launch, through its init: in every namespace of the
    /// launch (PID namespace, root, /proc, hostname, cgroup), as the init's child, killed when
    /// the launch stops. Fails with ESRCH once the launch has ended, and with EINVAL for a
    /// launch without the init.
    pub fn exec(&self, cmd: &ExecCommand) -> Result<ExecChild> {
        let Some(control) = &self.control else {
            return Err(Error::InvalidArgument {
                op: "exec",
                what: "launch",
                value: self.pid.to_string(),
                reason: "has no nsrun init to run commands through (launched with init=false)",
                errno: crate::Errno::EINVAL,
            });
        };
        if self.status.is_some() {
            return Err(Error::sys_nopath(
                "exec: the launch is not running (its init has exited)",
                Errno::ESRCH,
            ));
        }
        exec_via_control(control, cmd)
    }

    /// SIGKILL: the init dies, and with it every process of its PID namespace.
    pub fn kill(&self) -> Result<()> {
        self.send_signal(libc::SIGKILL)
    }

    /// Stops the program: with the init, runs the shutdown command, then SIGTERM to every
    /// process; without, SIGTERM to the program. SIGKILL if it has not ended after `grace`;
    /// if what had not ended was the shutdown command, the launch is still killed and the
    /// result is an error naming [`Stage::Shutdown`](super::Stage::Shutdown) (ETIMEDOUT).
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
        let hung_shutdown = self.shutdown_running();
        self.kill()?;
        let status = self
            .wait(None)?
            .expect("wait without timeout returns a status");
        if hung_shutdown {
            // The shutdown command, not the program, is what did not end.
            return Err(Error::Launch {
                stage: super::wire::Stage::Shutdown,
                errno: crate::Errno::ETIMEDOUT,
                status: None,
                path: None,
            });
        }
        Ok(status)
    }

    /// The program's namespace of `kind` (e.g. to persist its new netns while it runs).
    /// Fails with ESRCH once the program has ended: the pid may then belong to another
    /// process, so the namespace is only handed out if the pidfd shows the launch still
    /// running after /proc/PID/ns/KIND was opened.
    pub fn namespace(&self, kind: Kind) -> Result<Namespace> {
        let ended = || Error::Launch {
            stage: super::wire::Stage::Namespace,
            errno: crate::Errno::ESRCH,
            status: None,
            path: Some(format!("/proc/{}/ns/{}", self.pid, kind.name()).into()),
        };
        if self.status.is_some() || self.has_exited() {
            return Err(ended());
        }
        let ns = Namespace::of_pid(self.pid, kind);
        if self.has_exited() {
            return Err(ended());
        }
        ns
    }

    /// The pidfd is readable once the process has exited (reaped or not).
    fn has_exited(&self) -> bool {
        sys::poll_readable(self.pidfd.as_fd(), Some(Instant::now()), "poll pidfd").unwrap_or(false)
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
            sys::set_foreground(libc::getpgrp());
        }
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
