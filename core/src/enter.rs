//! Entering namespaces with `setns(2)`, for the calling thread only, with restore.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;

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
            previous: ManuallyDrop::new(previous),
            restored: false,
            _thread_bound: PhantomData,
        })
    }
}

/// Restores the thread's previous namespace when dropped. Not `Send`: namespaces belong to the
/// thread that entered them.
#[must_use = "dropping the guard at once leaves the namespace at once"]
pub struct EnterGuard {
    /// Dropped by hand in `Drop` (after the restore), or moved out by `into_previous`.
    previous: ManuallyDrop<Namespace>,
    restored: bool,
    _thread_bound: PhantomData<*const ()>,
}

impl EnterGuard {
    /// The namespace the thread was in before, and returns to.
    pub fn previous(&self) -> &Namespace {
        &self.previous
    }

    /// Returns to the previous namespace, reporting failure (e.g. a user namespace cannot be
    /// left for its parent: the kernel refuses it).
    pub fn leave(mut self) -> Result<()> {
        self.restore()
    }

    /// Stays in the entered namespace and hands back the previous one, for callers that
    /// restore by hand (the C ABI's `nsrun_ns_enter`).
    pub fn into_previous(self) -> Namespace {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so `previous` is taken exactly once and never used
        // (or dropped) again.
        unsafe { ManuallyDrop::take(&mut this.previous) }
    }

    fn restore(&mut self) -> Result<()> {
        if self.restored {
            return Ok(());
        }
        self.restored = true;
        self.previous.set_current().map_err(|e| match e {
            Error::Sys { path, errno, .. } => Error::Sys {
                op: "restore previous namespace: setns",
                path,
                errno,
            },
            other => other,
        })
    }
}

thread_local! {
    /// The last restore that failed in [`EnterGuard`]'s drop on this thread, until taken.
    static RESTORE_FAILURE: RefCell<Option<Error>> = const { RefCell::new(None) };
}

/// Takes (and clears) the error of the last [`EnterGuard`] dropped on the calling thread that
/// could not put the thread back into its previous namespace. `None` if every drop since the
/// last call restored. [`EnterGuard::leave`] reports its failure directly instead.
///
/// A drop cannot return an error and must not panic (it may run in a Python finalizer or under
/// a C caller), so a failed restore is written to stderr as `nsrun: warning: …` and kept here:
/// the thread is then still in the entered namespace, and the caller finds out why.
pub fn take_restore_failure() -> Option<Error> {
    RESTORE_FAILURE.with(|f| f.borrow_mut().take())
}

impl Drop for EnterGuard {
    /// A failed restore is never silent, and never a panic: see [`take_restore_failure`].
    fn drop(&mut self) {
        if let Err(e) = self.restore() {
            eprintln!("nsrun: warning: {e} (the thread stays in the entered namespace)");
            // try_with: during thread teardown the slot may be gone; stderr still has it.
            let _ = RESTORE_FAILURE.try_with(|f| *f.borrow_mut() = Some(e));
        }
        // SAFETY: drop runs once; `previous` was not taken (into_previous skips this drop).
        unsafe { ManuallyDrop::drop(&mut self.previous) };
    }
}
