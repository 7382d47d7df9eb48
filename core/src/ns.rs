//! Namespace handles: open and verify namespace files, create new namespaces, identity.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::sched::{unshare, CloneFlags};
use nix::sys::stat::{fstat, stat, FileStat, Mode, SFlag};
use nix::sys::statfs::fstatfs;

use crate::error::{Context, Error, Result};
use crate::Kind;
use crate::{persist, sys};

/// The identity of a namespace: the (st_dev, st_ino) of its nsfs inode. Two handles refer to the
/// same namespace exactly when their ids are equal (`ioctl_ns(2)`, "Namespace identity").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NsId {
    /// `st_dev` of the nsfs inode.
    pub dev: u64,
    /// `st_ino` of the nsfs inode: the number /proc shows (`net:[4026532279]`).
    pub ino: u64,
}

impl NsId {
    /// The identity in a stat of a namespace file.
    pub(crate) fn of(st: &nix::sys::stat::FileStat) -> NsId {
        NsId {
            dev: st.st_dev,
            ino: st.st_ino,
        }
    }
}

/// An open namespace file: `/proc/PID/ns/X`, a persisted bind mount, or a fresh namespace.
///
/// The handle owns its file descriptor (opened `O_CLOEXEC`); the namespace lives at least as long
/// as the handle. Equality and hashing follow [`NsId`]; `Display` prints what `readlink` prints
/// for `/proc/PID/ns/X`, e.g. `net:[4026532279]`.
pub struct Namespace {
    fd: OwnedFd,
    kind: Kind,
    id: NsId,
    path: Option<PathBuf>,
}

impl Namespace {
    /// Opens a namespace file and verifies that it is on nsfs and, if `kind` is given, of that
    /// kind. `path` may be `/proc/PID/ns/X`, a file where a namespace was persisted, or
    /// `/proc/PID/fd/N` of a namespace descriptor.
    ///
    /// A placeholder (an empty file of mode 0 that a concurrent [`Namespace::persist`] or
    /// `ip netns add` is about to mount onto, or an unpersist has just unmounted) is waited for,
    /// at most 3 s: so an open racing a
    /// persist or unpersist of `path` gives the namespace or ENOENT, never
    /// [`Error::NotANamespace`].
    pub fn open(path: impl AsRef<Path>, kind: Option<Kind>) -> Result<Namespace> {
        let path = path.as_ref();
        let mut backoff = persist::Backoff::new();
        loop {
            // stat first: opening a device node or FIFO that is not a namespace can have side
            // effects.
            let st = stat(path).ctx("open namespace", path)?;
            if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFREG {
                return Err(Error::NotANamespace {
                    path: path.to_path_buf(),
                    what: sys::file_type_name(st.st_mode).to_owned(),
                });
            }
            if persist::is_placeholder(&st) {
                if backoff.pause() {
                    continue;
                }
                return Err(Error::NotANamespace {
                    path: path.to_path_buf(),
                    what: persist::PLACEHOLDER_WHAT.to_owned(),
                });
            }
            match Self::open_unchecked(path, kind) {
                // Unmounted between the stat and the open: look again (the placeholder check
                // above waits for its removal), unless it is just a file.
                Err(Error::NotANamespace { .. })
                    if stat(path).map_or(true, |st| persist::is_placeholder(&st)) => {}
                result => return result,
            }
        }
    }

    /// Verifies a descriptor of `path` (any kind).
    pub(crate) fn from_fd_at(fd: OwnedFd, path: &Path) -> Result<Namespace> {
        Self::verify(fd, None, Some(path.to_path_buf()))
    }

    /// Like [`Namespace::open`] for paths known to be namespace links (`/proc/…/ns/…`).
    fn open_unchecked(path: &Path, kind: Option<Kind>) -> Result<Namespace> {
        let fd = open(
            path,
            OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOCTTY | OFlag::O_NONBLOCK,
            Mode::empty(),
        )
        .ctx("open namespace", path)?;
        Self::verify(fd, kind, Some(path.to_path_buf()))
    }

    /// The namespace of kind `kind` of process `pid` (`/proc/PID/ns/KIND`).
    pub fn of_pid(pid: i32, kind: Kind) -> Result<Namespace> {
        if pid <= 0 {
            return Err(Error::invalid(
                "open namespace of process",
                "pid",
                pid.to_string(),
                "is not a process id",
            ));
        }
        Self::open_unchecked(&PathBuf::from(format!("/proc/{pid}/ns/{kind}")), Some(kind))
    }

    /// The calling **thread's** namespace of `kind` (`/proc/thread-self/ns/KIND`; `/proc/self`
    /// would give the main thread's).
    pub fn current(kind: Kind) -> Result<Namespace> {
        Self::open_thread_link(kind, kind.name(), true)
    }

    /// The namespace the calling thread would give its next children: for pid and time the
    /// `*_for_children` link, for every other kind the same as [`Namespace::current`]. This is
    /// what `setns(2)` changes, so it is what has to be restored.
    pub(crate) fn current_for_children(kind: Kind) -> Result<Namespace> {
        Self::open_thread_link(kind, kind.for_children_entry(), true)
    }

    /// Opens `/proc/thread-self/ns/ENTRY`. The kernel guarantees what that link is (nsfs, of
    /// `kind`), so only its identity is read.
    fn open_thread_link(kind: Kind, entry: &str, keep_path: bool) -> Result<Namespace> {
        let path = PathBuf::from(format!("/proc/thread-self/ns/{entry}"));
        let fd = open(&path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())
            .ctx("open namespace", &path)?;
        let id = NsId::of(&fstat(&fd).ctx("fstat", &path)?);
        Ok(Namespace {
            fd,
            kind,
            id,
            path: keep_path.then_some(path),
        })
    }

    /// Takes ownership of a file descriptor and verifies it refers to a namespace (of `kind`,
    /// if given). The descriptor is closed if verification fails.
    pub fn from_fd(fd: OwnedFd, kind: Option<Kind>) -> Result<Namespace> {
        Self::verify(fd, kind, None)
    }

    /// Verifies a descriptor the caller keeps (as C and Python callers do) and returns a handle
    /// on a duplicate of it (`F_DUPFD_CLOEXEC`); the caller's descriptor is never closed. A
    /// negative or closed descriptor is EBADF. Errors name it as `/proc/self/fd/N`.
    pub fn from_raw_fd_dup(fd: RawFd, kind: Option<Kind>) -> Result<Namespace> {
        let shown = PathBuf::from(format!("/proc/self/fd/{fd}"));
        let dup = sys::dup_raw_cloexec(fd).map_err(|errno| match errno {
            Errno::EBADF => Error::invalid(
                "use namespace descriptor",
                "fd",
                fd.to_string(),
                "is not an open file descriptor",
            )
            .with_errno(crate::Errno::EBADF),
            _ => Error::sys("duplicate descriptor", &shown, errno),
        })?;
        let mut ns = Self::verify(dup, kind, Some(shown))?;
        ns.path = None;
        Ok(ns)
    }

    fn verify(fd: OwnedFd, expected: Option<Kind>, path: Option<PathBuf>) -> Result<Namespace> {
        let st = match fstat(&fd) {
            Ok(st) => st,
            Err(e) => return Err(Error::sys("fstat", shown_path(&path, &fd), e)),
        };
        Self::verify_stat(fd, st, expected, path)
    }

    /// [`Namespace::verify`] with the descriptor's stat already read.
    fn verify_stat(
        fd: OwnedFd,
        st: FileStat,
        expected: Option<Kind>,
        path: Option<PathBuf>,
    ) -> Result<Namespace> {
        let shown = || shown_path(&path, &fd);
        if !sys::is_nsfs_fd(fd.as_fd(), &st).map_err(|e| Error::sys("fstatfs", shown(), e))? {
            let magic = fstatfs(&fd).map_err(|e| Error::sys("fstatfs", shown(), e))?;
            return Err(Error::NotANamespace {
                path: shown(),
                what: format!(
                    "{} on a filesystem with magic {:#x}",
                    sys::file_type_name(st.st_mode),
                    magic.filesystem_type().0
                ),
            });
        }
        let kind =
            sys::ns_get_nstype(fd.as_fd()).map_err(|e| Error::sys("NS_GET_NSTYPE", shown(), e))?;
        if let Some(expected) = expected {
            if expected != kind {
                return Err(Error::WrongKind {
                    path: shown(),
                    expected,
                    found: kind,
                });
            }
        }
        let id = NsId::of(&st);
        Ok(Namespace { fd, kind, id, path })
    }

    /// Opens a namespace file in a root-owned directory of them (`/run/netns`) the way
    /// `ip netns` does: straight away, without [`Namespace::open`]'s stat first (only root can put
    /// a device node there). Waits for a placeholder like [`Namespace::open`].
    pub(crate) fn open_in_run_dir(path: &Path, kind: Option<Kind>) -> Result<Namespace> {
        let mut backoff = persist::Backoff::new();
        loop {
            let fd = open(
                path,
                OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOCTTY | OFlag::O_NONBLOCK,
                Mode::empty(),
            )
            .ctx("open namespace", path)?;
            let st = fstat(&fd).ctx("fstat", path)?;
            if persist::is_placeholder(&st) {
                if backoff.pause() {
                    continue;
                }
                return Err(Error::NotANamespace {
                    path: path.to_path_buf(),
                    what: persist::PLACEHOLDER_WHAT.to_owned(),
                });
            }
            return Self::verify_stat(fd, st, kind, Some(path.to_path_buf()));
        }
    }

    /// Creates a new namespace of `kind`, held only by the returned handle. The caller's own
    /// namespaces are unchanged, also in a multithreaded process:
    /// - net, uts, ipc, cgroup: `unshare(2)` on the calling thread, open the new namespace,
    ///   `setns(2)` straight back (these kinds can be re-entered from any thread; a failure to
    ///   return is reported, never silent);
    /// - mnt, time: in a short-lived helper thread (a multithreaded process cannot `setns` back
    ///   into them);
    /// - user, pid: in a helper child (the kernel refuses `unshare(CLONE_NEWUSER)` in a
    ///   multithreaded process, and a pid namespace opens only once it has had a process).
    ///
    /// A pid namespace is usable for new processes only while its init (PID 1) lives. The one
    /// made here had a helper init that has already exited, so it serves identity, persist,
    /// parent/owner queries; to run programs in a new pid namespace, launch them in one.
    pub fn create(kind: Kind) -> Result<Namespace> {
        if kind != Kind::User && !crate::rootless::privileged() {
            // An ordinary user: the keeper makes it, in the user's rootless user namespace.
            return crate::rootless::create(kind);
        }
        match kind {
            Kind::User | Kind::Pid => create_in_child(kind),
            Kind::Mnt | Kind::Time => create_in_thread(kind),
            Kind::Net | Kind::Uts | Kind::Ipc | Kind::Cgroup => create_in_place(kind),
        }
    }

    /// The same handle, now known by `path` (where it was just persisted).
    pub(crate) fn known_as(mut self, path: PathBuf) -> Namespace {
        self.path = Some(path);
        self
    }

    /// The kind (from `NS_GET_NSTYPE`).
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The identity (st_dev, st_ino).
    pub fn id(&self) -> NsId {
        self.id
    }

    /// The path this handle was opened from, if it was opened from one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The parent of a pid or user namespace (`NS_GET_PARENT`). EPERM when the parent lies
    /// outside the caller's namespace tree; EINVAL for kinds without a hierarchy.
    pub fn parent(&self) -> Result<Namespace> {
        let fd = sys::ns_ioctl_fd(self.fd.as_fd(), sys::NS_GET_PARENT)
            .map_err(|e| Error::sys("NS_GET_PARENT", self.shown_path(), e))?;
        Self::verify(fd, Some(self.kind), None)
    }

    /// The user namespace that owns this namespace (`NS_GET_USERNS`).
    pub fn owner(&self) -> Result<Namespace> {
        let fd = sys::ns_ioctl_fd(self.fd.as_fd(), sys::NS_GET_USERNS)
            .map_err(|e| Error::sys("NS_GET_USERNS", self.shown_path(), e))?;
        Self::verify(fd, Some(Kind::User), None)
    }

    /// Gives up the handle and returns its descriptor.
    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }

    /// Another handle on the same namespace (a `F_DUPFD_CLOEXEC` duplicate), with no new check:
    /// this one was verified when it was opened.
    pub fn try_clone(&self) -> Result<Namespace> {
        Ok(Namespace {
            fd: self
                .fd
                .try_clone()
                .ctx("duplicate namespace descriptor", self.shown_path())?,
            kind: self.kind,
            id: self.id,
            path: self.path.clone(),
        })
    }

    /// [`Error::WrongKind`] unless this namespace is of `kind`.
    pub fn expect_kind(&self, kind: Kind) -> Result<()> {
        if self.kind == kind {
            return Ok(());
        }
        Err(Error::WrongKind {
            path: self.shown_path(),
            expected: kind,
            found: self.kind,
        })
    }

    /// A path for error messages: where it was opened from, or its identity.
    pub(crate) fn shown_path(&self) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| PathBuf::from(self.to_string()))
    }
}

fn unshare_op(kind: Kind) -> &'static str {
    match kind {
        Kind::Mnt => "unshare mnt",
        Kind::Uts => "unshare uts",
        Kind::Ipc => "unshare ipc",
        Kind::Net => "unshare net",
        Kind::Pid => "unshare pid",
        Kind::User => "unshare user",
        Kind::Cgroup => "unshare cgroup",
        Kind::Time => "unshare time",
    }
}

/// `path`, or `/proc/self/fd/N` of `fd`, for error messages.
fn shown_path(path: &Option<PathBuf>, fd: &OwnedFd) -> PathBuf {
    path.clone()
        .unwrap_or_else(|| PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())))
}

/// `unshare(2)` on the calling thread, open the new namespace, `setns(2)` back to the one the
/// thread was in. Only for kinds whose `setns` works in a multithreaded process.
fn create_in_place(kind: Kind) -> Result<Namespace> {
    let flag = CloneFlags::from_bits_retain(kind.flag());
    let own_path = PathBuf::from(format!("/proc/thread-self/ns/{kind}"));
    let own = open(&own_path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())
        .ctx("open namespace", &own_path)?;
    unshare(flag).ctx_nopath(unshare_op(kind))?;
    let new = Namespace::open_thread_link(kind, kind.name(), false);
    nix::sched::setns(&own, flag).map_err(|e| {
        Error::sys(
            "create: return to the caller's namespace: setns",
            &own_path,
            e,
        )
    })?;
    new
}

/// `unshare(2)` in a helper thread, then open the thread's new namespace. Namespaces are
/// per-thread, so nothing changes for the caller's threads.
fn create_in_thread(kind: Kind) -> Result<Namespace> {
    let worker = move || -> Result<Namespace> {
        unshare(CloneFlags::from_bits_retain(kind.flag())).ctx_nopath(unshare_op(kind))?;
        Namespace::open_thread_link(kind, kind.for_children_entry(), false)
    };
    match std::thread::Builder::new()
        .name("nsrun-create".into())
        .stack_size(64 * 1024)
        .spawn(worker)
        .ctx_nopath("spawn helper thread")?
        .join()
    {
        Ok(result) => result,
        // The worker makes no call that panics; should one ever, it is an error, not a panic
        // carried into a C or Python caller.
        Err(_) => Err(Error::sys_nopath(
            "create namespace: helper thread panicked",
            Errno::EIO,
        )),
    }
}

/// `unshare(2)` in a helper child process, for the kinds the kernel will not unshare in a
/// multithreaded process (user) or that need a process inside before they can be opened (pid).
fn create_in_child(kind: Kind) -> Result<Namespace> {
    let (ready_r, ready_w) = sys::pipe_cloexec()?;
    let (release_r, release_w) = sys::pipe_cloexec()?;
    // The child runs only async-signal-safe system calls (unshare, clone, waitpid, write, read,
    // close, _exit) and touches no lock, allocator or Rust runtime state, so forking from a
    // multithreaded process is sound.
    let pid = sys::raw_fork();
    if pid < 0 {
        return Err(Error::sys_nopath("fork helper", Errno::last()));
    }
    if pid == 0 {
        // Child.
        let status = helper_child(
            kind,
            ready_w.as_raw_fd(),
            release_r.as_raw_fd(),
            release_w.into_raw_fd(),
        );
        // SAFETY: _exit is async-signal-safe and never returns.
        unsafe { libc::_exit(status) };
    }
    drop(ready_w);
    drop(release_r);
    let mut err = [0u8; 4];
    let result = match sys::read_exact(ready_r.as_fd(), &mut err) {
        Err(e) => Err(Error::sys_nopath("read from helper", e)),
        Ok(()) => match i32::from_ne_bytes(err) {
            0 => {
                let path = PathBuf::from(format!("/proc/{pid}/ns/{}", kind.for_children_entry()));
                Namespace::open_unchecked(&path, Some(kind)).map(|mut ns| {
                    ns.path = None;
                    ns
                })
            }
            errno => Err(Error::sys_nopath(
                if kind == Kind::User {
                    "unshare user"
                } else {
                    "unshare pid"
                },
                Errno::from_raw(errno),
            )),
        },
    };
    drop(release_w);
    sys::wait_pid(pid);
    result
}

/// Body of the helper child: unshare, report, wait for the parent to have opened the namespace.
fn helper_child(kind: Kind, ready_w: RawFd, release_r: RawFd, release_w: RawFd) -> i32 {
    // SAFETY: every call below is a plain system call wrapper, async-signal-safe per signal-safety(7)
    // (unshare, fork, waitpid, write, read, close, _exit); nothing allocates.
    unsafe {
        libc::close(release_w);
        // Other threads may be forking helpers too: drop our copies of their pipes, or each
        // helper would keep the other's release pipe from reaching EOF.
        let mut keep = [ready_w, release_r];
        keep.sort_unstable();
        sys::close_all_except(&keep);
        let mut err = 0i32;
        if libc::unshare(kind.flag()) != 0 {
            err = *libc::__errno_location();
        } else if kind == Kind::Pid {
            // /proc/PID/ns/pid_for_children opens only once the namespace has had a process:
            // fork its first process (PID 1 there), which exits at once.
            let init = sys::raw_fork();
            if init == 0 {
                libc::_exit(0);
            } else if init < 0 {
                err = *libc::__errno_location();
            } else {
                sys::wait_pid(init);
            }
        }
        let bytes = err.to_ne_bytes();
        libc::write(ready_w, bytes.as_ptr().cast(), bytes.len());
        let mut b = 0u8;
        // Blocks until the parent closes its end (EOF) after opening our namespace.
        while libc::read(release_r, (&mut b as *mut u8).cast(), 1) < 0
            && *libc::__errno_location() == libc::EINTR
        {}
        0
    }
}

impl AsFd for Namespace {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Namespace {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<Namespace> for OwnedFd {
    fn from(ns: Namespace) -> OwnedFd {
        ns.fd
    }
}

impl PartialEq for Namespace {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Namespace {}

impl Hash for Namespace {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state)
    }
}

impl fmt::Display for Namespace {
    /// `net:[4026532279]`, as `readlink /proc/PID/ns/net` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:[{}]", self.kind, self.id.ino)
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Namespace")
            .field("ns", &format_args!("{self}"))
            .field("fd", &self.fd.as_raw_fd())
            .field("path", &self.path)
            .finish()
    }
}

/// Are `a` and `b` the same namespace? Opens both paths (any kind).
pub fn same(a: impl AsRef<Path>, b: impl AsRef<Path>) -> Result<bool> {
    Ok(Namespace::open(a, None)? == Namespace::open(b, None)?)
}
