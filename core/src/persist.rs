//! Persisting namespaces: bind-mount a namespace onto a file so it outlives every process.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::stat::{fstat, lstat, Mode};
use nix::unistd::unlink;

use crate::error::{Context, Error, Result};
use crate::sys;
use crate::Namespace;

/// Nobody stacks this many mounts on one file; past it something keeps remounting.
const MAX_STACKED: usize = 4096;

impl Namespace {
    /// Bind-mounts this namespace onto `path` (like `ip netns add` and `unshare --net=FILE`), so
    /// it lives on after every process and handle is gone.
    ///
    /// `path` is created (mode 0) if missing; an existing empty regular file is used as is. It
    /// refuses a path that already holds a namespace ([`Error::AlreadyPersisted`], naming the one
    /// there), a symbolic link (ELOOP), a directory (EISDIR) and a non-empty file (EEXIST: the
    /// bind mount would hide its contents). If the mount fails, a file it created is removed.
    pub fn persist(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        // Common case first: create the file. O_EXCL|O_NOFOLLOW: never reuse or follow whatever
        // is there; the mount then goes onto exactly this inode via its descriptor.
        let created = open(
            path,
            OFlag::O_RDONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        );
        let (target, created) = match created {
            Ok(fd) => (fd, true),
            Err(Errno::EEXIST) => (self.existing_target(path)?, false),
            Err(e) => return Err(Error::sys("persist: create", path, e)),
        };
        let source = format!("/proc/thread-self/fd/{}", self.as_fd().as_raw_fd());
        let dest = format!("/proc/thread-self/fd/{}", target.as_raw_fd());
        let result = mount(
            Some(source.as_str()),
            dest.as_str(),
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .ctx("persist: bind-mount namespace onto", path);
        drop(target);
        if result.is_err() && created {
            let _ = unlink(path);
        }
        result
    }

    /// Opens an existing `path` to persist onto, after refusing what must not be covered.
    fn existing_target(&self, path: &Path) -> Result<OwnedFd> {
        let st = lstat(path).ctx("persist: stat", path)?;
        check_existing_target(path, st.st_mode, st.st_size)?;
        let fd = open(
            path,
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .ctx("persist: open", path)?;
        // Re-check through the descriptor: it may have been replaced since lstat.
        let st = fstat(&fd).ctx("persist: fstat", path)?;
        check_existing_target(path, st.st_mode, st.st_size)?;
        Ok(fd)
    }
}

/// Refuses targets that would hide something or would not be what the caller named.
fn check_existing_target(path: &Path, mode: libc::mode_t, size: i64) -> Result<()> {
    match mode & libc::S_IFMT {
        libc::S_IFLNK => Err(Error::invalid(
            "persist",
            "path",
            path.display().to_string(),
            "is a symbolic link; give the real path",
        )
        .with_errno(crate::Errno::ELOOP)),
        libc::S_IFDIR => Err(Error::sys("persist", path, Errno::EISDIR)),
        libc::S_IFREG => {
            if sys::is_nsfs(path).ctx("persist: statfs", path)? {
                let there = Namespace::open(path, None)?;
                return Err(Error::AlreadyPersisted {
                    path: path.to_path_buf(),
                    existing_kind: there.kind(),
                    existing: there.id(),
                });
            }
            if size != 0 {
                return Err(Error::invalid(
                    "persist",
                    "path",
                    path.display().to_string(),
                    "is a non-empty file; the bind mount would hide it",
                )
                .with_errno(crate::Errno::EEXIST));
            }
            Ok(())
        }
        _ => Err(Error::NotANamespace {
            path: path.to_path_buf(),
            what: format!("{}, not a file to persist onto", sys::file_type_name(mode)),
        }),
    }
}

/// Undoes [`Namespace::persist`]: unmounts **every** namespace mount stacked on `path` (another
/// tool may have bound a second one over the first, which makes `ip netns del` fail with
/// EBUSY), then removes the file. [`Error::NotPersisted`] if `path` holds no namespace.
pub fn unpersist(path: impl AsRef<Path>) -> Result<()> {
    let path: PathBuf = path.as_ref().to_path_buf();
    let st = lstat(&path).ctx("unpersist", &path)?;
    match st.st_mode & libc::S_IFMT {
        libc::S_IFLNK => {
            return Err(Error::invalid(
                "unpersist",
                "path",
                path.display().to_string(),
                "is a symbolic link; give the real path",
            )
            .with_errno(crate::Errno::ELOOP))
        }
        libc::S_IFREG => {}
        _ => return Err(Error::NotPersisted { path }),
    }
    if !sys::is_nsfs(&path).ctx("unpersist: statfs", &path)? {
        return Err(Error::NotPersisted { path });
    }
    let mut unmounted = 0;
    while sys::is_nsfs(&path).ctx("unpersist: statfs", &path)? {
        if unmounted == MAX_STACKED {
            return Err(Error::sys("unpersist: unmount", &path, Errno::EBUSY));
        }
        umount2(&path, MntFlags::MNT_DETACH | MntFlags::UMOUNT_NOFOLLOW)
            .ctx("unpersist: unmount", &path)?;
        unmounted += 1;
    }
    unlink(&path).ctx("unpersist: remove", &path)
}
