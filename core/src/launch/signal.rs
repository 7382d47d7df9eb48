//! Signals through a pidfd: they can never hit a recycled pid.

use std::os::fd::{AsRawFd, OwnedFd};

use nix::errno::Errno;

use crate::error::{Context, Error, Result};

/// Sends signals to a launched program, independently of its [`crate::Child`] handle (a pidfd: it can
/// never hit a recycled pid). Signalling a program that has ended is a no-op.
#[derive(Debug)]
pub struct Signaller {
    pidfd: OwnedFd,
}

impl Signaller {
    pub(crate) fn from_pidfd(pidfd: &OwnedFd) -> Result<Signaller> {
        let pidfd = pidfd.try_clone().ctx_nopath("signaller: dup pidfd")?;
        Ok(Signaller { pidfd })
    }

    pub fn send_signal(&self, sig: i32) -> Result<()> {
        pidfd_send_signal(&self.pidfd, sig)
    }
}

/// pidfd_send_signal(2); ESRCH (already exited) is not an error.
pub(crate) fn pidfd_send_signal(pidfd: &OwnedFd, sig: i32) -> Result<()> {
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
