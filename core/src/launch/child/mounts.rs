//! Mounts inside the new mount namespace and the root switch, between clone and exec: only
//! async-signal-safe system calls, no allocation (paths for /proc/self/fd/N are formatted into
//! stack buffers). Targets are resolved inside the new root with openat2(RESOLVE_IN_ROOT).

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_ulong, c_void};
use std::ptr::null;

use super::sys::{errno, fail, FdPath};
use crate::launch::plan::{Action, MountPlan, Plan};
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

/// The mount flags that must be kept when remounting a bind mount (a user namespace locks
/// them), read with statfs(2).
fn kept_flags(path: *const c_char) -> c_ulong {
    /// The kernel's `struct statfs` on 64-bit Linux (libc's omits f_flags).
    #[repr(C)]
    struct KStatfs {
        f_type: i64,
        f_bsize: i64,
        f_blocks: u64,
        f_bfree: u64,
        f_bavail: u64,
        f_files: u64,
        f_ffree: u64,
        f_fsid: [i32; 2],
        f_namelen: i64,
        f_frsize: i64,
        f_flags: i64,
        f_spare: [i64; 4],
    }
    let mut st = KStatfs {
        f_type: 0,
        f_bsize: 0,
        f_blocks: 0,
        f_bfree: 0,
        f_bavail: 0,
        f_files: 0,
        f_ffree: 0,
        f_fsid: [0; 2],
        f_namelen: 0,
        f_frsize: 0,
        f_flags: 0,
        f_spare: [0; 4],
    };
    // SAFETY: statfs(2) into a struct of the kernel's layout; the path is NUL-terminated.
    if unsafe { libc::syscall(libc::SYS_statfs, path, &mut st as *mut KStatfs) } != 0 {
        return 0;
    }
    let f = st.f_flags as c_ulong;
    let mut flags = f
        & (libc::MS_NOSUID
            | libc::MS_NODEV
            | libc::MS_NOEXEC
            | libc::MS_NOATIME
            | libc::MS_NODIRATIME);
    if f & 4096 != 0 {
        // ST_RELATIME
        flags |= libc::MS_RELATIME;
    }
    flags
}

fn remount_bind(root: c_int, target: &CStr, read_only: bool) -> c_int {
    let fd = resolve(root, target, libc::O_PATH, 0);
    if fd < 0 {
        return -1;
    }
    let p = FdPath::new(fd);
    let mut flags = libc::MS_BIND | libc::MS_REMOUNT | kept_flags(p.ptr());
    if read_only {
        flags |= libc::MS_RDONLY;
    }
    // SAFETY: mount(2) with NUL-terminated paths.
    let r = unsafe { libc::mount(null(), p.ptr(), null(), flags, null()) };
    // SAFETY: closing our own descriptor.
    unsafe { libc::close(fd) };
    r
}

/// Creates `name` in directory `dir` as the action says (mkdir, mknod, file, symlink).
/// Returns 0 or -1 with errno set (EEXIST is the caller's to accept).
fn create_entry(dir: c_int, name: &CStr, action: &Action) -> c_int {
    // SAFETY: mkdirat, fchmodat, mknodat, openat, close and symlinkat are async-signal-safe
    // system calls; the strings are NUL-terminated.
    unsafe {
        let name = name.as_ptr();
        match action {
            Action::Mkdir => libc::mkdirat(dir, name, 0o755),
            // mkdir and mknod apply the umask: set the modes explicitly.
            Action::SharedDir => match libc::mkdirat(dir, name, 0o755) {
                0 => libc::fchmodat(dir, name, 0o1777, 0),
                r => r,
            },
            Action::DeviceNode { dev, host } => {
                match libc::mknodat(dir, name, libc::S_IFCHR | 0o666, *dev) {
                    0 => libc::fchmodat(dir, name, 0o666, 0),
                    _ if errno() == libc::EPERM => bind_node(dir, CStr::from_ptr(name), host),
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
            Action::Mount { .. } | Action::BindSelf { .. } | Action::RemountReadOnly => -1,
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
        if m.rootfs.is_some() {
            // pivot_root needs the new root to be a mount point.
            let r = root_path.as_ptr();
            if libc::mount(r, r, null(), libc::MS_BIND | libc::MS_REC, null()) != 0 {
                fail(plan, Stage::MountRootfs, root_path.to_bytes(), SETUP_FAILED);
            }
        }
        let root = libc::open(
            root_path.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        );
        if root < 0 {
            fail(plan, Stage::MountRootfs, root_path.to_bytes(), SETUP_FAILED);
        }
        for step in &m.steps {
            let target = step.target.as_c_str();
            let ok = match &step.action {
                Action::Mount {
                    source,
                    fstype,
                    flags,
                    data,
                } => {
                    let fd = resolve(root, target, libc::O_PATH, 0);
                    if fd < 0 {
                        if step.optional && errno() == libc::ENOENT {
                            continue;
                        }
                        false
                    } else {
                        let p = FdPath::new(fd);
                        let r = libc::mount(
                            source.as_ref().map_or(null(), |s| s.as_ptr()),
                            p.ptr(),
                            fstype.as_ref().map_or(null(), |s| s.as_ptr()),
                            *flags,
                            data.as_ref()
                                .map_or(null(), |s| s.as_ptr().cast::<c_void>()),
                        );
                        libc::close(fd);
                        r == 0
                    }
                }
                Action::BindSelf { read_only } => {
                    let fd = resolve(root, target, libc::O_PATH, 0);
                    let ok = fd >= 0 && {
                        let p = FdPath::new(fd);
                        libc::mount(
                            p.ptr(),
                            p.ptr(),
                            null(),
                            libc::MS_BIND | libc::MS_REC,
                            null(),
                        ) == 0
                    };
                    if fd >= 0 {
                        libc::close(fd);
                    }
                    ok && remount_bind(root, target, *read_only) == 0
                }
                Action::RemountReadOnly => remount_bind(root, target, true) == 0,
                Action::Mkdir
                | Action::SharedDir
                | Action::CreateFile
                | Action::Symlink { .. }
                | Action::DeviceNode { .. } => {
                    let mut buf = [0u8; 4096];
                    match split_parent(target, &mut buf) {
                        None => false,
                        Some((parent, name)) => {
                            let dir = resolve(root, parent, libc::O_PATH | libc::O_DIRECTORY, 0);
                            let r = if dir < 0 {
                                -1
                            } else {
                                create_entry(dir, name, &step.action)
                            };
                            let ok = r == 0 || errno() == libc::EEXIST;
                            if dir >= 0 {
                                libc::close(dir);
                            }
                            ok
                        }
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
        libc::close(root);
    }
}
