//! [`Errno`]: the error number every [`crate::Error`] carries, as nsrun's own type so the public
//! API names no dependency's types.

use std::fmt;

/// An `errno(3)` value as the kernel reported it (`ENOENT`, `EINVAL`, …).
///
/// [`Errno::raw`] is the number C's `errno` and Python's `OSError.errno` get; `Display` gives
/// `strerror(3)`'s text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(i32);

macro_rules! errno_consts {
    ($($name:ident),* $(,)?) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub const $name: Errno = Errno(libc::$name);
            )*
        }
    };
}

errno_consts!(
    EPERM,
    ENOENT,
    ESRCH,
    EINTR,
    EIO,
    EBADF,
    ECHILD,
    EAGAIN,
    ENOMEM,
    EACCES,
    EBUSY,
    EEXIST,
    ENODEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENOSPC,
    ELOOP,
    ENOSYS,
    EOPNOTSUPP,
    ENETUNREACH,
    ERANGE,
);

impl Errno {
    /// The errno with number `raw` (0 means "no errno").
    pub const fn from_raw(raw: i32) -> Errno {
        Errno(raw)
    }

    /// The number, as C's `errno` holds it.
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// `strerror(3)`'s description: "No such file or directory", …
    pub fn desc(self) -> &'static str {
        nix::errno::Errno::from_raw(self.0).desc()
    }

    /// The errno of a failed `nix` call (crate-internal: nix stays out of the public API).
    pub(crate) const fn of(e: nix::errno::Errno) -> Errno {
        Errno(e as i32)
    }
}

impl From<Errno> for i32 {
    fn from(e: Errno) -> i32 {
        e.0
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.desc())
    }
}

impl fmt::Debug for Errno {
    /// The symbolic name, like `ENOENT` (or `Errno(N)` for an unknown number).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match nix::errno::Errno::from_raw(self.0) {
            nix::errno::Errno::UnknownErrno => write!(f, "Errno({})", self.0),
            known => write!(f, "{known:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_desc_and_names() {
        assert_eq!(Errno::ENOENT.raw(), libc::ENOENT);
        assert_eq!(Errno::from_raw(libc::EINVAL), Errno::EINVAL);
        assert_eq!(Errno::ENOENT.to_string(), "No such file or directory");
        assert_eq!(format!("{:?}", Errno::ENOENT), "ENOENT");
        assert_eq!(format!("{:?}", Errno::from_raw(0)), "Errno(0)");
        assert_eq!(Errno::of(nix::errno::Errno::EBUSY), Errno::EBUSY);
        assert_eq!(i32::from(Errno::EPERM), libc::EPERM);
    }
}
