//! Failures in the child before exec travel to the caller as fixed-size records over a
//! close-on-exec pipe: one `write(2)` each (atomic: smaller than PIPE_BUF), no allocation.

use std::fmt;

/// Where in the launch something failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Stage {
    Clone = 1,
    UserMap,
    Setns,
    MountPropagation,
    MountRootfs,
    MountProc,
    MountSys,
    MountDev,
    MountTmp,
    MountBind,
    ProtectProcSys,
    PivotRoot,
    Sethostname,
    Boot,
    Stdio,
    Setgroups,
    Setgid,
    Setuid,
    Chdir,
    Exec,
    Fork,
}

impl Stage {
    pub const fn name(self) -> &'static str {
        match self {
            Stage::Clone => "clone",
            Stage::UserMap => "user-map",
            Stage::Setns => "setns",
            Stage::MountPropagation => "mount-propagation",
            Stage::MountRootfs => "mount-rootfs",
            Stage::MountProc => "mount-proc",
            Stage::MountSys => "mount-sys",
            Stage::MountDev => "mount-dev",
            Stage::MountTmp => "mount-tmp",
            Stage::MountBind => "mount-bind",
            Stage::ProtectProcSys => "protect-proc-sys",
            Stage::PivotRoot => "pivot-root",
            Stage::Sethostname => "sethostname",
            Stage::Boot => "boot",
            Stage::Stdio => "stdio",
            Stage::Setgroups => "setgroups",
            Stage::Setgid => "setgid",
            Stage::Setuid => "setuid",
            Stage::Chdir => "chdir",
            Stage::Exec => "exec",
            Stage::Fork => "fork",
        }
    }

    fn from_u32(v: u32) -> Option<Stage> {
        const ALL: [Stage; 21] = [
            Stage::Clone,
            Stage::UserMap,
            Stage::Setns,
            Stage::MountPropagation,
            Stage::MountRootfs,
            Stage::MountProc,
            Stage::MountSys,
            Stage::MountDev,
            Stage::MountTmp,
            Stage::MountBind,
            Stage::ProtectProcSys,
            Stage::PivotRoot,
            Stage::Sethostname,
            Stage::Boot,
            Stage::Stdio,
            Stage::Setgroups,
            Stage::Setgid,
            Stage::Setuid,
            Stage::Chdir,
            Stage::Exec,
            Stage::Fork,
        ];
        ALL.into_iter().find(|s| *s as u32 == v)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub(crate) const PATH_MAX_REPORT: usize = 1024;

/// The wire record.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct Record {
    pub stage: u32,
    pub errno: i32,
    /// For Stage::Boot: the wait status of the boot command.
    pub status: i32,
    pub path_len: u32,
    pub path: [u8; PATH_MAX_REPORT],
}

impl Record {
    pub(crate) const SIZE: usize = std::mem::size_of::<Record>();

    /// Builds a record without allocating (used between fork and exec).
    pub(crate) fn new(stage: Stage, errno: i32, status: i32, path: &[u8]) -> Record {
        let mut r = Record {
            stage: stage as u32,
            errno,
            status,
            path_len: 0,
            path: [0; PATH_MAX_REPORT],
        };
        let n = path.len().min(PATH_MAX_REPORT);
        r.path[..n].copy_from_slice(&path[..n]);
        r.path_len = n as u32;
        r
    }

    /// Writes the record with one write(2). Async-signal-safe.
    pub(crate) fn send(&self, fd: i32) {
        // SAFETY: `self` is a plain-old-data struct of SIZE bytes; write(2) is async-signal-safe.
        unsafe { libc::write(fd, (self as *const Record).cast(), Record::SIZE) };
    }

    pub(crate) fn from_bytes(b: &[u8; Record::SIZE]) -> Record {
        // SAFETY: Record is repr(C) plain-old-data; every bit pattern is valid for its fields.
        unsafe { std::ptr::read_unaligned(b.as_ptr().cast()) }
    }

    pub(crate) fn stage(&self) -> Stage {
        Stage::from_u32(self.stage).unwrap_or(Stage::Exec)
    }

    pub(crate) fn path(&self) -> Option<std::path::PathBuf> {
        use std::os::unix::ffi::OsStrExt;
        let n = (self.path_len as usize).min(PATH_MAX_REPORT);
        (n > 0).then(|| std::ffi::OsStr::from_bytes(&self.path[..n]).into())
    }
}
