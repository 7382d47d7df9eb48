//! The conventions every binding shares, decided here once: the stdio codes, the exit statuses
//! of a launch and the rcS boot/shutdown convention. (The default namespaces are
//! [`Launch::new`]'s; "netns name or path" is [`crate::netns::resolve`].) C, Python and the CLI
//! map their users' values onto these and restate none of them.

use std::ffi::OsString;
use std::os::fd::RawFd;
use std::path::Path;

use super::options::{Launch, Stdio};

/// Exit statuses of a launch besides the program's own (code, or 128+signal), as shells and
/// container tools use them. The init, the launch child and the CLI all take them from here.
pub mod exit {
    pub use super::super::wire::{CANNOT_RUN, NOT_FOUND, SETUP_FAILED};
    use crate::{Error, Stage};

    /// The status that reports `e`: [`NOT_FOUND`] when the program does not exist,
    /// [`CANNOT_RUN`] when it cannot be executed, else [`SETUP_FAILED`].
    pub fn for_error(e: &Error) -> i32 {
        match e {
            Error::Launch {
                stage: Stage::Exec,
                errno,
                ..
            } => super::super::wire::exec_failure_code(errno.raw()),
            _ => SETUP_FAILED,
        }
    }
}

impl Stdio {
    /// Code of [`Stdio::Inherit`] (apart from every `subprocess` value: -2 is `STDOUT`).
    pub const INHERIT: i32 = -10;
    /// Code of [`Stdio::Piped`]: `subprocess.PIPE`, so Python passes it through unchanged.
    pub const PIPE: i32 = -1;
    /// Code of [`Stdio::Null`]: `subprocess.DEVNULL`.
    pub const NULL: i32 = -3;

    /// The stream a code stands for: [`Stdio::INHERIT`], [`Stdio::PIPE`], [`Stdio::NULL`], or a
    /// descriptor >= 0, which is duplicated and stays the caller's (see
    /// [`Stdio::from_raw_fd_dup`]). The one encoding of C's `NSRUN_STDIO_*` and Python's
    /// `nsrun.PIPE`/`DEVNULL`.
    ///
    /// Errors: [`crate::Error::InvalidArgument`] (EINVAL) for any other negative code; EBADF for
    /// a descriptor that is not open.
    pub fn from_code(code: i32) -> crate::Result<Stdio> {
        match code {
            Stdio::INHERIT => Ok(Stdio::Inherit),
            Stdio::PIPE => Ok(Stdio::Piped),
            Stdio::NULL => Ok(Stdio::Null),
            fd if fd >= 0 => Stdio::from_raw_fd_dup(fd as RawFd),
            other => Err(crate::Error::invalid(
                "launch",
                "stdio code",
                other.to_string(),
                "is neither inherit, pipe, null nor a file descriptor",
            )),
        }
    }
}

/// The rcS convention's boot command, run before the program.
pub const RCS_BOOT: [&str; 3] = ["/etc/rcS", "S", "boot"];
/// The rcS convention's shutdown command, run after the program or on stop.
pub const RCS_SHUTDOWN: [&str; 3] = ["/etc/rcS", "K", "shutdown"];

/// The rcS boot and shutdown commands ([`RCS_BOOT`], [`RCS_SHUTDOWN`]) when `rootfs` has an
/// `/etc/rcS`, else None.
pub fn rcs_commands(rootfs: &Path) -> Option<(Vec<OsString>, Vec<OsString>)> {
    let cmd = |c: [&str; 3]| c.iter().map(OsString::from).collect();
    rootfs
        .join(RCS_BOOT[0].trim_start_matches('/'))
        .exists()
        .then(|| (cmd(RCS_BOOT), cmd(RCS_SHUTDOWN)))
}

impl Launch {
    /// Boots by the rcS convention when the rootfs (set before) has `/etc/rcS`: the boot and
    /// shutdown commands not already set become [`RCS_BOOT`] and [`RCS_SHUTDOWN`]. What
    /// `nsrun boot`, the pytest plugin and the C example use.
    pub fn rcs_boot_shutdown(&mut self) -> &mut Self {
        if let Some((boot, shutdown)) = self.rootfs.as_deref().and_then(rcs_commands) {
            self.boot.get_or_insert(boot);
            self.shutdown.get_or_insert(shutdown);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdio_codes() {
        assert!(matches!(
            Stdio::from_code(Stdio::INHERIT),
            Ok(Stdio::Inherit)
        ));
        assert!(matches!(Stdio::from_code(Stdio::PIPE), Ok(Stdio::Piped)));
        assert!(matches!(Stdio::from_code(Stdio::NULL), Ok(Stdio::Null)));
        assert!(matches!(Stdio::from_code(0), Ok(Stdio::Fd(_))));
        let e = Stdio::from_code(-5).unwrap_err();
        assert_eq!(e.errno(), crate::Errno::EINVAL, "{e}");
        assert!(Stdio::from_code(99_999).is_err());
    }

    #[test]
    fn exit_statuses() {
        assert_eq!(
            (exit::SETUP_FAILED, exit::CANNOT_RUN, exit::NOT_FOUND),
            (125, 126, 127)
        );
        let e = crate::Error::invalid("netns", "name", "a/b", "has a '/'");
        assert_eq!(exit::for_error(&e), exit::SETUP_FAILED);
    }

    #[test]
    fn rcs() {
        let dir = std::env::temp_dir().join(format!("nsrun-rcs-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        assert!(rcs_commands(&dir).is_none());
        std::fs::write(dir.join("etc/rcS"), "").unwrap();
        let (b, s) = rcs_commands(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(b, RCS_BOOT.map(OsString::from));
        assert_eq!(s, RCS_SHUTDOWN.map(OsString::from));
    }
}
