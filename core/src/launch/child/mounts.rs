//! Mounts inside the new mount namespace and the root switch, between clone and exec: only
//! async-signal-safe system calls, no allocation (paths for /proc/self/fd/N are formatted into
//! stack buffers). Targets are resolved inside the new root with openat2(RESOLVE_IN_ROOT).

use std::ffi::CStr;
use std::os::raw::{c_int, c_void};
use std::ptr::null;

use super::sys::{errno, fail, set_errno, FdPath};
use crate::launch::plan::{Action, Expect, MountPlan, Plan};
use crate::launch::wire::{Stage, SETUP_FAILED};

/// `openat2(root, rel, RESOLVE_IN_ROOT)`: a path inside the new root, where symlinks resolve
/// inside the root too, so no mount can be led out of it onto a host path.
fn resolve(root: c_int, rel: &CStr, flags: c_int, mode: u64) -> c_int {
    #[repr(C)]
    struct OpenHow {
        flags: u64,
        mode: u64,
        resolve: u64,
    }
    const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
    const RESOLVE_IN_ROOT: u64 = 0x10;
    let how = OpenHow {
        flags: (flags | libc::O_CLOEXEC) as u64,
        mode,
        resolve: RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    // SAFETY: openat2 is a plain system call; `how` and `rel` outlive it.
    unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root,
            rel.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        ) as c_int
    }
}

/// mount_setattr(2) with AT_RECURSIVE: the mount whose root `fd` is, and every mount below it,
/// become read-only (or read-write); their other flags stay as they are.
fn set_read_only(fd: c_int, read_only: bool) -> c_int {
    let (set, clear) = if read_only {
        (libc::MOUNT_ATTR_RDONLY, 0)
    } else {
        (0, libc::MOUNT_ATTR_RDONLY)
    };
    crate::sys::mount_setattr_tree(fd, set, clear, -1)
}

/// The target, resolved inside the root and checked (see [`Expect`]): an O_PATH descriptor,
/// or -1 with errno set (ELOOP for the root itself, ENOTDIR / EISDIR for the wrong type).
/// Mounts go onto this descriptor, so what was checked is what gets mounted on, even if the
/// rootfs changes meanwhile (CVE-2021-30465).
fn checked(root: c_int, root_id: (u64, u64), target: &CStr, expect: Expect) -> c_int {
    let fd = resolve(root, target, libc::O_PATH, 0);
    if fd < 0 {
        return -1;
    }
    // SAFETY: fstat into a zeroed stat; close of our own descriptor on failure.
    unsafe {
        let mut sb: libc::stat = std::mem::zeroed();
        let e = if libc::fstat(fd, &mut sb) != 0 {
            errno()
        } else if (sb.st_dev, sb.st_ino) == root_id {
            libc::ELOOP
        } else {
            let dir = sb.st_mode & libc::S_IFMT == libc::S_IFDIR;
            match expect {
                Expect::Dir if !dir => libc::ENOTDIR,
                Expect::NotDir if dir => libc::EISDIR,
                _ => 0,
            }
        };
        if e != 0 {
            libc::close(fd);
            set_errno(e);
            return -1;
        }
    }
    fd
}

/// move_mount(2) of the detached tree `tree` onto the directory or file `onto` (both
/// descriptors).
fn move_tree(tree: c_int, onto: c_int) -> c_int {
    const MOVE_MOUNT_F_EMPTY_PATH: u32 = 0x4;
    const MOVE_MOUNT_T_EMPTY_PATH: u32 = 0x40;
    // SAFETY: move_mount is a plain system call on two descriptors and empty paths.
    unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            tree,
            c"".as_ptr(),
            onto,
            c"".as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH,
        ) as c_int
    }
}

/// The null device nsrun made in the launch's /dev (or, without one, /dev/null of this mount
/// namespace), opened by descriptor inside the root and verified to be the character device
/// 1:3: a mask is never a path the rootfs could have replaced (CVE-2025-31133). -1 with errno
/// ENODEV if it is anything else.
fn open_null(root: c_int, root_id: (u64, u64)) -> c_int {
    let fd = checked(root, root_id, c"dev/null", Expect::NotDir);
    if fd < 0 {
        return -1;
    }
    // SAFETY: fstat into a zeroed stat; close of our own descriptor on failure.
    unsafe {
        let mut sb: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut sb) != 0
            || sb.st_mode & libc::S_IFMT != libc::S_IFCHR
            || sb.st_rdev != libc::makedev(1, 3)
        {
            libc::close(fd);
            set_errno(libc::ENODEV);
            return -1;
        }
    }
    fd
}

/// Masks the target: an empty read-only tmpfs on a directory, the verified null device
/// (opened on first use into `null_fd`) on anything else.
fn mask(fd: c_int, root: c_int, root_id: (u64, u64), null_fd: &mut c_int) -> c_int {
    // SAFETY: fstat and mount(2) with NUL-terminated paths formatted on the stack.
    unsafe {
        let mut sb: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut sb) != 0 {
            return -1;
        }
        let p = FdPath::new(fd);
        if sb.st_mode & libc::S_IFMT == libc::S_IFDIR {
            libc::mount(
                c"tmpfs".as_ptr(),
                p.ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                c"mode=555,size=4k".as_ptr().cast(),
            )
        } else {
            if *null_fd < 0 {
                *null_fd = open_null(root, root_id);
                if *null_fd < 0 {
                    return -1;
                }
            }
            let src = FdPath::new(*null_fd);
            libc::mount(src.ptr(), p.ptr(), null(), libc::MS_BIND, null())
        }
    }
}

/// Creates `name` in directory `dir` as the action says (mkdir, mknod, file, symlink).
/// Returns 0 or -1 with errno set (EEXIST is the caller's to accept).
fn create_entry(dir: c_int, name: &CStr, action: &Action) -> c_int {
    // SAFETY: mkdirat, fchmodat, mknodat, openat, close and symlinkat are async-signal-safe
    // system calls; the strings are NUL-terminated.
    unsafe {
        let name = name.as_ptr();
        match action {
            // (do_mounts runs with umask 0: these are the modes.)
            Action::Mkdir => libc::mkdirat(dir, name, 0o755),
            Action::SharedDir => libc::mkdirat(dir, name, 0o1777),
            Action::DeviceNode { dev, host } => {
                // Only a failed mknod consults errno: after a success it is whatever an
                // earlier call left (the launcher thread's slot), and may be EPERM.
                match libc::mknodat(dir, name, libc::S_IFCHR | 0o666, *dev) {
                    r if r != 0 && errno() == libc::EPERM => {
                        bind_node(dir, CStr::from_ptr(name), host)
                    }
                    r => r,
                }
            }
            Action::CreateFile => {
                let f = libc::openat(
                    dir,
                    name,
                    libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW,
                    0o644,
                );
                if f >= 0 {
                    libc::close(f);
                    0
                } else {
                    -1
                }
            }
            Action::Symlink { to } => libc::symlinkat(to.as_ptr(), dir, name),
            Action::Mount { .. }
            | Action::BindSelf { .. }
            | Action::ReadOnlyRecursive
            | Action::Check
            | Action::MoveTree { .. }
            | Action::Mask => -1,
        }
    }
}

/// The fallback for a device node: an empty file with the host's node bind-mounted on it.
fn bind_node(dir: c_int, name: &CStr, host: &CStr) -> c_int {
    // SAFETY: openat, mount and close are async-signal-safe; strings are NUL-terminated.
    unsafe {
        let f = libc::openat(
            dir,
            name.as_ptr(),
            libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW,
            0o644,
        );
        if f < 0 {
            return -1;
        }
        let p = FdPath::new(f);
        let r = libc::mount(host.as_ptr(), p.ptr(), null(), libc::MS_BIND, null());
        libc::close(f);
        r
    }
}

/// Splits "a/b/c" into the parent "a/b" (in `buf`) and the last component "c".
fn split_parent<'a>(rel: &'a CStr, buf: &'a mut [u8; 4096]) -> Option<(&'a CStr, &'a CStr)> {
    let bytes = rel.to_bytes_with_nul();
    let Some(slash) = bytes.iter().rposition(|b| *b == b'/') else {
        return Some((c".", rel));
    };
    if slash + 1 > buf.len() {
        return None;
    }
    buf[..slash].copy_from_slice(&bytes[..slash]);
    buf[slash] = 0;
    let parent = CStr::from_bytes_with_nul(&buf[..=slash]).ok()?;
    let name = CStr::from_bytes_with_nul(&bytes[slash + 1..]).ok()?;
    Some((parent, name))
}

pub(super) fn do_mounts(plan: &Plan, m: &MountPlan) {
    // SAFETY: mount, open, openat2, mkdirat, symlinkat, close, fchdir, chroot,
    // chdir and the pivot_root/umount2 system calls are async-signal-safe; every pointer is a
    // NUL-terminated string owned by the plan or a stack buffer.
    unsafe {
        let slash = c"/".as_ptr();
        if libc::mount(null(), slash, null(), m.propagation, null()) != 0 {
            fail(plan, Stage::MountPropagation, b"/", SETUP_FAILED);
        }
        let root_path = m.rootfs.as_deref().unwrap_or(c"/");
        if m.idmapped_root >= 0 {
            // The launcher's idmapped copy of the rootfs is attached on top of / (a path any
            // process may look up; the rootfs path may be out of reach of root in the new
            // user namespace). The root switch then pivots to it by descriptor.
            if libc::syscall(
                libc::SYS_move_mount,
                m.idmapped_root,
                c"".as_ptr(),
                libc::AT_FDCWD,
                slash,
                0x4, // MOVE_MOUNT_F_EMPTY_PATH
            ) != 0
            {
                fail(plan, Stage::MountRootfs, root_path.to_bytes(), SETUP_FAILED);
            }
        } else if m.rootfs.is_some() {
            // pivot_root needs the new root to be a mount point.
            let r = root_path.as_ptr();
            if libc::mount(r, r, null(), libc::MS_BIND | libc::MS_REC, null()) != 0 {
                fail(plan, Stage::MountRootfs, root_path.to_bytes(), SETUP_FAILED);
            }
        }
        // The root by descriptor: the idmapped tree's own (its path may not be reachable by
        // root of the new user namespace), else the rootfs path's.
        let root = if m.idmapped_root >= 0 {
            m.idmapped_root
        } else {
            libc::open(
                root_path.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if root < 0 {
            fail(plan, Stage::MountRootfs, root_path.to_bytes(), SETUP_FAILED);
        }
        if m.root_nodev && crate::sys::mount_setattr_tree(root, libc::MOUNT_ATTR_NODEV, 0, -1) != 0
        {
            fail(plan, Stage::MountRootfs, root_path.to_bytes(), SETUP_FAILED);
        }
        let mut root_st: libc::stat = std::mem::zeroed();
        if libc::fstat(root, &mut root_st) != 0 {
            fail(plan, Stage::MountRootfs, root_path.to_bytes(), SETUP_FAILED);
        }
        let root_id = (root_st.st_dev, root_st.st_ino);
        let mut null_fd: c_int = -1;
        // The modes below are the ones asked for, whatever the launcher's umask (restored
        // before the init inherits it).
        let umask = libc::umask(0);
        // The directory of the last entry created, while the next ones go into it too
        // (/dev/null, /dev/zero, ...): dropped at the first step that is not a creation, which
        // may mount over it.
        let mut parent_dir: Option<(&[u8], c_int)> = None;
        for step in &m.steps {
            let target = step.target.as_c_str();
            let creates = matches!(
                step.action,
                Action::Mkdir
                    | Action::SharedDir
                    | Action::CreateFile
                    | Action::Symlink { .. }
                    | Action::DeviceNode { .. }
            );
            let ok = if !creates {
                if let Some((_, fd)) = parent_dir.take() {
                    libc::close(fd);
                }
                let fd = checked(root, root_id, target, step.expect);
                if fd < 0 {
                    if step.optional && errno() == libc::ENOENT {
                        continue;
                    }
                    false
                } else {
                    let p = FdPath::new(fd);
                    let r = match &step.action {
                        Action::Mount {
                            source,
                            fstype,
                            flags,
                            data,
                        } => libc::mount(
                            source.as_ref().map_or(null(), |s| s.as_ptr()),
                            p.ptr(),
                            fstype.as_ref().map_or(null(), |s| s.as_ptr()),
                            *flags,
                            data.as_ref()
                                .map_or(null(), |s| s.as_ptr().cast::<c_void>()),
                        ),
                        Action::BindSelf { read_only } => {
                            match libc::mount(
                                p.ptr(),
                                p.ptr(),
                                null(),
                                libc::MS_BIND | libc::MS_REC,
                                null(),
                            ) {
                                0 => {
                                    // The new mount's root, to change its attributes.
                                    let top = resolve(root, target, libc::O_PATH, 0);
                                    let r = if top < 0 {
                                        -1
                                    } else {
                                        set_read_only(top, *read_only)
                                    };
                                    if top >= 0 {
                                        libc::close(top);
                                    }
                                    r
                                }
                                r => r,
                            }
                        }
                        Action::ReadOnlyRecursive => set_read_only(fd, true),
                        Action::MoveTree { tree } => move_tree(*tree, fd),
                        Action::Mask => mask(fd, root, root_id, &mut null_fd),
                        _ => 0,
                    };
                    let e = errno();
                    libc::close(fd);
                    set_errno(e);
                    r == 0
                }
            } else {
                let mut buf = [0u8; 4096];
                match split_parent(target, &mut buf) {
                    None => false,
                    Some((parent, name)) => {
                        // The parent as the target names it ("" for ".": no slash).
                        let t = step.target.to_bytes();
                        let parent_path = &t[..t.iter().rposition(|b| *b == b'/').unwrap_or(0)];
                        let dir = match parent_dir {
                            Some((p, fd)) if p == parent_path => fd,
                            _ => {
                                if let Some((_, fd)) = parent_dir.take() {
                                    libc::close(fd);
                                }
                                let fd = resolve(root, parent, libc::O_PATH | libc::O_DIRECTORY, 0);
                                if fd >= 0 {
                                    parent_dir = Some((parent_path, fd));
                                }
                                fd
                            }
                        };
                        let r = if dir < 0 {
                            -1
                        } else {
                            create_entry(dir, name, &step.action)
                        };
                        r == 0 || errno() == libc::EEXIST
                    }
                }
            };
            if !ok {
                // Report the path as the program will see it: "/proc", "/dev/null", …
                let mut shown = [0u8; 4097];
                shown[0] = b'/';
                let t = target.to_bytes();
                let n = t.len().min(4096);
                shown[1..=n].copy_from_slice(&t[..n]);
                fail(plan, step.stage, &shown[..=n], SETUP_FAILED);
            }
        }
        if let Some((_, fd)) = parent_dir.take() {
            libc::close(fd);
        }
        libc::umask(umask);
        if m.rootfs.is_some() {
            // pivot_root(".", "."): the old root ends up on top of the new one and is detached.
            let dot = c".".as_ptr();
            if libc::fchdir(root) != 0 {
                fail(plan, Stage::PivotRoot, root_path.to_bytes(), SETUP_FAILED);
            }
            if libc::syscall(libc::SYS_pivot_root, dot, dot) == 0 {
                if libc::umount2(dot, libc::MNT_DETACH) != 0 {
                    fail(plan, Stage::PivotRoot, b"/", SETUP_FAILED);
                }
            } else if errno() == libc::EINVAL {
                // The current root cannot be pivoted (e.g. it is a ramfs): chroot instead.
                if libc::chroot(dot) != 0 {
                    fail(plan, Stage::PivotRoot, root_path.to_bytes(), SETUP_FAILED);
                }
            } else {
                fail(plan, Stage::PivotRoot, root_path.to_bytes(), SETUP_FAILED);
            }
            if libc::chdir(slash) != 0 {
                fail(plan, Stage::PivotRoot, b"/", SETUP_FAILED);
            }
        }
        if null_fd >= 0 {
            libc::close(null_fd);
        }
        libc::close(root);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device node that mknod creates is kept, whatever errno held before the call: the
    /// errno of a *failed* mknod (EPERM in a user namespace) is what chooses the bind-mount
    /// fallback, never a value left over from an earlier call (the launch child shares the
    /// launcher thread's errno slot).
    #[test]
    fn a_created_device_node_ignores_a_stale_eperm() {
        // SAFETY: getuid cannot fail.
        if unsafe { libc::getuid() } != 0 {
            eprintln!("skipped: mknod of a character device needs root");
            return;
        }
        let dir = std::env::temp_dir().join(format!("h1-devnode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: open of a NUL-terminated path; the descriptor is closed below.
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_DIRECTORY) };
        assert!(fd >= 0);
        let action = Action::DeviceNode {
            dev: libc::makedev(1, 3),
            // Never bind-mounted when mknod works: a host path that does not exist makes the
            // fallback fail if it is taken.
            host: std::ffi::CString::new("/nonexistent/h1-null").unwrap(),
        };
        set_errno(libc::EPERM);
        let r = create_entry(fd, c"null", &action);
        let e = errno();
        // SAFETY: closing our own descriptor.
        unsafe { libc::close(fd) };
        let meta = std::fs::symlink_metadata(dir.join("null"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(r, 0, "errno {e}");
        use std::os::unix::fs::FileTypeExt;
        assert!(meta.unwrap().file_type().is_char_device());
    }
}
