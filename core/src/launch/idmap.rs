//! The user-namespace isolation ([`super::Launch::userns`]): container root is not host root.
//!
//! The launch gets a new user namespace whose ids 0..65536 are host ids
//! [`HOST_BASE`]..[`HOST_BASE`]+65536, and its rootfs is mounted *idmapped* through the same
//! mapping (open_tree(OPEN_TREE_CLONE) + mount_setattr(MOUNT_ATTR_IDMAP), Linux 5.12+, as
//! systemd-nspawn `-U` and Incus do): a file owned by host uid 0 in the rootfs is owned by
//! root inside, and what root inside creates is stored as uid 0 on disk, so a rootfs runs
//! unchanged. Everything else of the host (bind sources, /sys, /proc/sys) is owned by ids the
//! launch does not map: root inside has capabilities only over the launch's own namespaces.
//!
//! The idmapped tree is made here, by the launcher (attaching an idmapping needs
//! CAP_SYS_ADMIN in the host's user namespace), before the clone; the launch child moves it
//! onto the rootfs path with move_mount(2).

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;

use crate::error::{Error, Result};

/// The first host uid and gid of a user-namespace launch (ids 0..65536 inside).
pub const HOST_BASE: u32 = 0x6000_0000;
/// How many ids are mapped.
pub const COUNT: u32 = 65536;

/// A detached copy of the mount tree at `path` (open_tree(OPEN_TREE_CLONE|AT_RECURSIVE)).
pub(crate) fn clone_tree(path: &Path) -> Result<OwnedFd> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::sys("launch: open_tree", path, Errno::EINVAL))?;
    // SAFETY: open_tree(2) with a NUL-terminated path; returns a new descriptor or -1.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::OPEN_TREE_CLONE | libc::O_CLOEXEC as u32 | libc::AT_RECURSIVE as u32,
        )
    };
    let fd = Errno::result(fd).map_err(|e| Error::sys("launch: open_tree", path, e))?;
    // SAFETY: the kernel just returned this descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// A detached, idmapped copy of `rootfs` (recursive), mapped through `userns`.
pub(crate) fn idmapped_tree(rootfs: &Path, userns: &OwnedFd) -> Result<OwnedFd> {
    let tree = clone_tree(rootfs)?;
    let r = crate::sys::mount_setattr_tree(
        tree.as_raw_fd(),
        libc::MOUNT_ATTR_IDMAP,
        0,
        userns.as_raw_fd(),
    );
    Errno::result(r).map_err(|e| {
        Error::sys(
            "launch: idmap the rootfs (mount_setattr MOUNT_ATTR_IDMAP; its filesystem must \
             support idmapped mounts, Linux 5.12+)",
            rootfs,
            e,
        )
    })?;
    Ok(tree)
}

/// A user namespace with the launch's mapping (0 → [`HOST_BASE`], [`COUNT`] ids), held by a
/// descriptor: a helper child (sharing our memory, on its own stack) creates it and waits
/// while we write its maps, then exits.
pub(crate) fn mapped_userns() -> Result<OwnedFd> {
    extern "C" fn helper(arg: *mut libc::c_void) -> libc::c_int {
        let fd = arg as usize as libc::c_int;
        let mut b = 0u8;
        // SAFETY: read(2) and _exit(2) only (async-signal-safe): wait for the go, then leave.
        unsafe {
            libc::read(fd, (&mut b as *mut u8).cast(), 1);
            libc::_exit(0)
        }
    }
    let (r, w) = crate::sys::pipe_cloexec()?;
    let stack = super::plan::Stack::new()?;
    // SAFETY: the helper runs `helper` on its own stack and only reads a pipe; it shares our
    // memory (CLONE_VM) but touches none of it.
    let pid = unsafe {
        libc::clone(
            helper,
            stack.top(),
            libc::CLONE_VM | libc::CLONE_NEWUSER | libc::SIGCHLD,
            r.as_raw_fd() as usize as *mut libc::c_void,
        )
    };
    if pid < 0 {
        return Err(Error::sys_nopath(
            "launch: clone a user namespace helper",
            Errno::last(),
        ));
    }
    let result = (|| {
        let map = format!("0 {HOST_BASE} {COUNT}\n");
        for name in ["uid_map", "gid_map"] {
            let path = format!("/proc/{pid}/{name}");
            std::fs::write(&path, &map).map_err(|e| {
                Error::sys(
                    "launch: write",
                    &path,
                    Errno::from_raw(e.raw_os_error().unwrap_or(0)),
                )
            })?;
        }
        let path = format!("/proc/{pid}/ns/user");
        std::fs::File::open(&path).map(OwnedFd::from).map_err(|e| {
            Error::sys(
                "launch: open",
                &path,
                Errno::from_raw(e.raw_os_error().unwrap_or(0)),
            )
        })
    })();
    let _ = nix::unistd::write(&w, b"g");
    crate::sys::wait_pid(pid);
    drop(stack);
    result
}
