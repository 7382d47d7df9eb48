//! Entering namespaces with `setns(2)`, for the calling thread only, with restore.

use std::marker::PhantomData;

use nix::errno::Errno;
use nix::sched::{setns, CloneFlags};

use crate::error::{Error, Result};
use crate::sys;
use crate::{Kind, Namespace};

impl Namespace {
    /// `setns(2)`: moves the calling **thread** into this namespace, with no way back kept. For
    /// pid and time namespaces this changes only the namespace of the thread's future children.
    ///
    /// Mount and user namespaces cannot be entered from a multithreaded process; that is
    /// reported as [`Error::MultiThreaded`] rather than a bare EINVAL.
    pub fn set_current(&self) -> Result<()> {
        setns(self, CloneFlags::from_bits_retain(self.kind().flag())).map_err(|errno| {
            if errno == Errno::EINVAL && matches!(self.kind(), Kind::Mnt | Kind::User) {
                let threads = sys::thread_count();
                if threads > 1 {
                    return Error::MultiThreaded {
                        op: "setns",
                        kind: self.kind(),
                        threads,
                    };
                }
            }
            Error::sys("setns", self.shown_path(), errno)
        })
    }

    /// Enters this namespace on the calling thread and returns a guard that puts the thread
    /// back into its previous namespace of the same kind when dropped (or on
    /// [`EnterGuard::leave`], which reports a failure to restore).
    pub fn enter(&self) -> Result<EnterGuard> {
        let previous = Namespace::current_for_children(self.kind())?;
        self.set_current()?;
        Ok(EnterGuard {
            previous: Some(previous),
            _thread_bound: PhantomData,
        })
    }
}

/// Restores the thread's previous namespace when dropped. Not `Send`: namespaces belong to the
/// thread that entered them.
#[must_use = "dropping the guard at once leaves the namespace at once"]
pub struct EnterGuard {
    previous: Option<Namespace>,
    _thread_bound: PhantomData<*const ()>,
}

impl EnterGuard {
    /// The namespace the thread was in before, and returns to.
    pub fn previous(&self) -> &Namespace {
        self.previous
            .as_ref()
            .expect("the previous namespace is kept until restored")
    }

    /// Returns to the previous namespace, reporting failure (e.g. a user namespace cannot be
    /// left for its parent: the kernel refuses it).
    pub fn leave(mut self) -> Result<()> {
        self.restore()
    }

    /// Stays in the entered namespace and hands back the previous one, for callers that
    /// restore by hand (the C ABI's `nsrun_ns_enter`).
    pub fn into_previous(mut self) -> Namespace {
        self.previous
            .take()
            .expect("the previous namespace is kept until restored")
    }

    fn restore(&mut self) -> Result<()> {
        match self.previous.take() {
            Some(prev) => prev.set_current().map_err(|e| match e {
                Error::Sys { path, errno, .. } => Error::Sys {
                    op: "restore previous namespace: setns",
                    path,
                    errno,
                },
                other => other,
            }),
            None => Ok(()),
        }
    }
}

impl Drop for EnterGuard {
    /// A failed restore is never silent: it panics, or, if the thread is already unwinding,
    /// prints to stderr (a second panic would abort).
    fn drop(&mut self) {
        if let Err(e) = self.restore() {
            if std::thread::panicking() {
                eprintln!("nsrun: {e}");
            } else {
                panic!("nsrun: {e}");
            }
        }
    }
}
