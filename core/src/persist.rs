//! Persisting namespaces: bind-mount a namespace onto a file so it outlives every process.
//!
//! # Concurrency
//!
//! Who creates the file owns the name. [`Namespace::persist`] creates it with
//! `O_CREAT|O_EXCL`, mode 0 (as `ip netns add` does), and bind-mounts onto that very inode through
//! its descriptor. Until the mount is there, the file is a *placeholder*: an empty regular file of
//! mode 0. Nobody but its creator mounts onto a placeholder; a concurrent persist, open or
//! unpersist that meets one waits (at most 3 s) until the creator has mounted
//! onto it (it then sees that namespace) or removed it (it then sees no file).
//!
//! An empty file someone else made (mode ≠ 0, e.g. `touch FILE` before `unshare --net=FILE`) is
//! claimed under an exclusive `flock(2)` on it, after a fresh lookup shows nothing was mounted on
//! it meanwhile. Which namespace a path holds is read from the one descriptor that was opened,
//! never from a second lookup. So N concurrent persists of one path give one winner and one
//! mount; the others get [`Error::AlreadyPersisted`] naming the winner's namespace.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{open, Flock, FlockArg, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::stat::{fstat, FileStat, Mode};
use nix::unistd::unlink;

use crate::error::{Context, Error, Result};
use crate::sys;
use crate::Namespace;

/// Nobody stacks this many mounts on one file; past it something keeps remounting.
const MAX_STACKED: usize = 4096;

/// How long a caller waits for the creator of a placeholder to mount onto it (or remove it).
/// The creator needs one `mount(2)` for that; a placeholder still there after this long was left
/// by a creator that died (`rm` it).
pub(crate) const PLACEHOLDER_WAIT: Duration = Duration::from_secs(3);

/// Rounds of "the file vanished under us: create it again" before giving up with EAGAIN.
const MAX_ROUNDS: usize = 1000;

/// Why a placeholder is not a namespace, for error messages.
pub(crate) const PLACEHOLDER_WHAT: &str = "an empty file of mode 0 that no namespace was \
     mounted onto: a persist or `ip netns add` of it is in progress or was interrupted (remove it)";

impl Namespace {
    /// Bind-mounts this namespace onto `path` (like `ip netns add` and `unshare --net=FILE`), so
    /// it lives on after every process and handle is gone.
    ///
    /// `path` is created (mode 0) if missing; an existing empty regular file of another mode
    /// (e.g. made by `touch`) is used as is. It refuses a path that already holds a namespace
    /// ([`Error::AlreadyPersisted`], naming the one there), a symbolic link (ELOOP), a directory
    /// (EISDIR) and a non-empty file (EEXIST: the bind mount would hide its contents). If the
    /// mount fails, a file it created is removed.
    ///
    /// Concurrent calls (threads or processes, nsrun or `ip netns add`) on one path: exactly one
    /// succeeds and the path holds exactly one mount; every other persist gets
    /// [`Error::AlreadyPersisted`] (errno EEXIST) naming the winner's namespace. Racing
    /// [`unpersist`], a persist either comes first (and succeeds) or sees the path gone and
    /// creates it again. The only other error a race can give: an empty file of mode 0 that
    /// nobody mounts onto within 3 s (its creator died) is refused with
    /// [`Error::InvalidArgument`], errno EEXIST.
    pub fn persist(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        for _ in 0..MAX_ROUNDS {
            // O_EXCL: the creator owns the name. O_NOFOLLOW: never follow whatever is there.
            match open(
                path,
                OFlag::O_RDONLY
                    | OFlag::O_CREAT
                    | OFlag::O_EXCL
                    | OFlag::O_NOFOLLOW
                    | OFlag::O_CLOEXEC,
                Mode::empty(),
            ) {
                Ok(created) => match self.mount_onto(&created, path) {
                    Ok(()) => return Ok(()),
                    // Our placeholder was unlinked before the mount (`ip netns del` does not
                    // wait for it): what is at `path` now is not ours. Start again.
                    Err(e) if e.errno() == crate::Errno::ENOENT => continue,
                    Err(e) => {
                        remove_if_same(path, &created);
                        return Err(e);
                    }
                },
                Err(Errno::EEXIST) => {}
                Err(e) => return Err(Error::sys("persist: create", path, e)),
            }
            match settle(path, "persist: open", true)? {
                Found::Namespace(there) => {
                    let there =
                        Namespace::from_fd_at(reopen(&there, path, "persist: open")?, path)?;
                    return Err(already_persisted(path, &there));
                }
                Found::Gone => continue,
                Found::File(fd, st) => {
                    check_file_target(path, &st)?;
                    if self.claim_and_mount(path, fd, &st)? {
                        return Ok(());
                    }
                }
            }
        }
        Err(Error::sys("persist: create", path, Errno::EAGAIN))
    }

    /// Bind-mounts this namespace onto the inode `target` refers to.
    fn mount_onto(&self, target: &OwnedFd, path: &Path) -> Result<()> {
        let source = format!("/proc/thread-self/fd/{}", self.as_raw_fd());
        let dest = format!("/proc/thread-self/fd/{}", target.as_raw_fd());
        mount(
            Some(source.as_str()),
            dest.as_str(),
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .ctx("persist: bind-mount namespace onto", path)
    }

    /// Mounts onto an existing empty file (`fd`, O_PATH, stat `st`) that someone else made,
    /// under an exclusive flock on it, once a fresh lookup of `path` still finds that inode
    /// with nothing on top. `false`: it changed meanwhile; look again.
    fn claim_and_mount(&self, path: &Path, fd: OwnedFd, st: &FileStat) -> Result<bool> {
        let mut file = reopen(&fd, path, "persist: open")?;
        let _lock = loop {
            match Flock::lock(file, FlockArg::LockExclusive) {
                Ok(lock) => break lock,
                Err((again, Errno::EINTR)) => file = again,
                Err((_, e)) => return Err(Error::sys("persist: flock", path, e)),
            }
        };
        match look(path, "persist: open")? {
            Found::File(_, now) if now.st_dev == st.st_dev && now.st_ino == st.st_ino => {}
            _ => return Ok(false),
        }
        self.mount_onto(&fd, path)?;
        Ok(true)
    }
}

/// What a path holds, read through one descriptor.
enum Found {
    /// A namespace is mounted there: an `O_PATH` descriptor of the topmost one.
    Namespace(OwnedFd),
    /// No such file (any more).
    Gone,
    /// Something that holds no namespace: an `O_PATH|O_NOFOLLOW` descriptor and its stat.
    File(OwnedFd, FileStat),
}

/// Is this the stat of a placeholder: an empty regular file of mode 0 (what persist and
/// `ip netns add` create before mounting)? A namespace file has mode 0444.
pub(crate) fn is_placeholder(st: &FileStat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFREG && st.st_mode & 0o7777 == 0 && st.st_size == 0
}

/// Waits with a growing pause (10 µs to 1 ms) for at most [`PLACEHOLDER_WAIT`] in all.
pub(crate) struct Backoff {
    deadline: Option<Instant>,
    pause: Duration,
}

impl Backoff {
    pub(crate) fn new() -> Backoff {
        Backoff {
            deadline: None,
            pause: Duration::from_micros(10),
        }
    }

    /// Sleeps a little and returns `true`, or returns `false` once the time is up.
    pub(crate) fn pause(&mut self) -> bool {
        let now = Instant::now();
        if now >= *self.deadline.get_or_insert(now + PLACEHOLDER_WAIT) {
            return false;
        }
        std::thread::sleep(self.pause);
        self.pause = (self.pause * 2).min(Duration::from_millis(1));
        true
    }
}

/// Opens `path` (`O_PATH|O_NOFOLLOW`) once and says what it holds.
fn look(path: &Path, op: &'static str) -> Result<Found> {
    let fd = match open(
        path,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return Ok(Found::Gone),
        Err(e) => return Err(Error::sys(op, path, e)),
    };
    let st = fstat(&fd).ctx(op, path)?;
    if st.st_mode & libc::S_IFMT == libc::S_IFREG
        && sys::is_nsfs_fd(fd.as_fd(), &st).ctx(op, path)?
    {
        return Ok(Found::Namespace(fd));
    }
    Ok(Found::File(fd, st))
}

/// [`look`], waiting (if `wait`) while `path` is a placeholder that its creator is about to
/// mount onto or remove. After the wait it may still be one (a placeholder abandoned).
fn settle(path: &Path, op: &'static str, wait: bool) -> Result<Found> {
    let mut backoff = Backoff::new();
    loop {
        match look(path, op)? {
            Found::File(_, st) if wait && is_placeholder(&st) && backoff.pause() => {}
            found => return Ok(found),
        }
    }
}

/// Opens the very inode an `O_PATH` descriptor refers to, for reading (ioctls, flock).
fn reopen(fd: &OwnedFd, path: &Path, op: &'static str) -> Result<OwnedFd> {
    open(
        format!("/proc/thread-self/fd/{}", fd.as_raw_fd()).as_str(),
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .ctx(op, path)
}

/// Removes `path` if it is still the file `created` (a failed persist's rollback).
fn remove_if_same(path: &Path, created: &OwnedFd) {
    let (Ok(ours), Ok(Found::File(_, now))) = (fstat(created), look(path, "persist: rollback"))
    else {
        return;
    };
    if now.st_dev == ours.st_dev && now.st_ino == ours.st_ino {
        let _ = unlink(path);
    }
}

fn already_persisted(path: &Path, there: &Namespace) -> Error {
    Error::AlreadyPersisted {
        path: path.to_path_buf(),
        existing_kind: there.kind(),
        existing: there.id(),
    }
}

/// Refuses existing targets that hold no namespace but must not be covered, or would not be
/// what the caller named.
fn check_file_target(path: &Path, st: &FileStat) -> Result<()> {
    let refuse = |reason, errno| {
        Error::invalid("persist", "path", path.display().to_string(), reason).with_errno(errno)
    };
    match st.st_mode & libc::S_IFMT {
        libc::S_IFLNK => Err(refuse(
            "is a symbolic link; give the real path",
            crate::Errno::ELOOP,
        )),
        libc::S_IFDIR => Err(Error::sys("persist", path, Errno::EISDIR)),
        libc::S_IFREG if st.st_size != 0 => Err(refuse(
            "is a non-empty file; the bind mount would hide it",
            crate::Errno::EEXIST,
        )),
        libc::S_IFREG if is_placeholder(st) => Err(refuse(
            "is an empty file of mode 0 that no namespace was mounted onto: a persist or \
             `ip netns add` of it is in progress or was interrupted (remove it)",
            crate::Errno::EEXIST,
        )),
        libc::S_IFREG => Ok(()),
        _ => Err(Error::NotANamespace {
            path: path.to_path_buf(),
            what: format!(
                "{}, not a file to persist onto",
                sys::file_type_name(st.st_mode)
            ),
        }),
    }
}

/// Undoes [`Namespace::persist`]: unmounts **every** namespace mount stacked on `path` (another
/// tool may have bound a second one over the first, which makes `ip netns del` fail with
/// EBUSY), then removes the file.
///
/// Errors: [`Error::NotPersisted`] if `path` holds no namespace (a directory, a plain file, or a
/// placeholder nobody mounted onto within 3 s); nothing is changed then. ELOOP
/// ([`Error::InvalidArgument`]) for a symbolic link; ENOENT ([`Error::Sys`]) if there is no such
/// file.
///
/// Concurrent calls: racing [`Namespace::persist`] of the same path, unpersist waits for the
/// persist to finish and removes what it made. Of N concurrent unpersists of one path exactly
/// one succeeds; the others get ENOENT, as if they had come after it. An
/// [`open`](Namespace::open) racing it gets the namespace or ENOENT.
pub fn unpersist(path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let mut unmounted = 0;
    for _ in 0..2 * MAX_STACKED {
        // Once we unmounted something, the placeholder underneath is ours to remove: no wait.
        match settle(path, "unpersist", unmounted == 0)? {
            Found::Namespace(_) => {
                if unmounted == MAX_STACKED {
                    break;
                }
                match umount2(path, MntFlags::MNT_DETACH | MntFlags::UMOUNT_NOFOLLOW) {
                    Ok(()) => unmounted += 1,
                    // A concurrent unpersist took that mount first: look again.
                    Err(Errno::EINVAL | Errno::ENOENT) => {}
                    Err(e) => return Err(Error::sys("unpersist: unmount", path, e)),
                }
            }
            Found::Gone => {
                let op = if unmounted == 0 {
                    "unpersist"
                } else {
                    "unpersist: remove"
                };
                return Err(Error::sys(op, path, Errno::ENOENT));
            }
            Found::File(_, st) if unmounted == 0 => {
                if st.st_mode & libc::S_IFMT == libc::S_IFLNK {
                    return Err(Error::invalid(
                        "unpersist",
                        "path",
                        path.display().to_string(),
                        "is a symbolic link; give the real path",
                    )
                    .with_errno(crate::Errno::ELOOP));
                }
                return Err(Error::NotPersisted {
                    path: path.to_path_buf(),
                });
            }
            Found::File(..) => match unlink(path) {
                Ok(()) => return Ok(()),
                // Mounted onto again since we looked (a persist of a non-placeholder file):
                // that mount goes too.
                Err(Errno::EBUSY) => {}
                Err(e) => return Err(Error::sys("unpersist: remove", path, e)),
            },
        }
    }
    Err(Error::sys("unpersist: unmount", path, Errno::EBUSY))
}
