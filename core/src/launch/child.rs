//! Runs in the cloned child (C1) and its children, between fork and exec. Only
//! async-signal-safe system calls are made here (signal-safety(7)): the caller may have had
//! other threads, whose locks (malloc's among them) may be held forever in this copy. Nothing
//! allocates; paths for /proc/self/fd/N are formatted into stack buffers.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_ulong, c_void};
use std::ptr::null;

use super::plan::{Action, ExecPlan, MountPlan, Plan};
use super::report::{Record, Stage};

/// Exit status of C1 when nsrun's own setup failed (as container tools use 125).
const SETUP_FAILED: c_int = 125;

fn errno() -> c_int {
    // SAFETY: reads this thread's errno slot.
    unsafe { *libc::__errno_location() }
}

/// Reports a failure to the launcher and exits. Async-signal-safe.
fn fail(plan: &Plan, stage: Stage, path: &[u8], code: c_int) -> ! {
    Record::new(stage, errno(), 0, path).send(plan.err_w);
    // SAFETY: _exit is async-signal-safe and does not return.
    unsafe { libc::_exit(code) }
}

/// `"/proc/self/fd/N\0"` in a stack buffer.
struct FdPath([u8; 32]);

impl FdPath {
    fn new(fd: c_int) -> FdPath {
        let mut b = [0u8; 32];
        let prefix = b"/proc/self/fd/";
        b[..prefix.len()].copy_from_slice(prefix);
        let mut digits = [0u8; 12];
        let mut n = fd as u32;
        let mut len = 0;
        loop {
            digits[len] = b'0' + (n % 10) as u8;
            len += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for i in 0..len {
            b[prefix.len() + i] = digits[len - 1 - i];
        }
        FdPath(b)
    }
    fn ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }
}

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

fn do_mounts(plan: &Plan, m: &MountPlan) {
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

/// execve with a PATH search done in a stack buffer; returns only on failure, with the errno
/// that best explains it (EACCES if some candidate existed but could not be run).
fn exec(ep: &ExecPlan, envp: *const *const c_char) -> c_int {
    // SAFETY: execve is async-signal-safe; argv/envp are NULL-terminated arrays of pointers to
    // NUL-terminated strings owned by the plan; `buf` is NUL-terminated before use.
    unsafe {
        let argv = ep.argv_ptrs.as_ptr();
        if ep.search.is_empty() {
            libc::execve(ep.argv[0].as_ptr(), argv, envp);
            return errno();
        }
        let prog = ep.argv[0].to_bytes();
        let mut seen_eacces = false;
        let mut buf = [0u8; 4096];
        for dir in &ep.search {
            let d = dir.to_bytes();
            if d.len() + 1 + prog.len() + 1 > buf.len() {
                continue;
            }
            buf[..d.len()].copy_from_slice(d);
            buf[d.len()] = b'/';
            buf[d.len() + 1..d.len() + 1 + prog.len()].copy_from_slice(prog);
            buf[d.len() + 1 + prog.len()] = 0;
            libc::execve(buf.as_ptr().cast(), argv, envp);
            match errno() {
                libc::EACCES => seen_eacces = true,
                libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ELOOP | libc::ENAMETOOLONG => {}
                other => return other,
            }
        }
        if seen_eacces {
            libc::EACCES
        } else {
            libc::ENOENT
        }
    }
}

/// Final steps of a process that execs `ep`: credentials, cwd, signal mask, exec. Reports and
/// exits 127 (not found) or 126 (cannot run) as shells do.
fn setup_and_exec(plan: &Plan, ep: &ExecPlan, payload: bool) -> ! {
    // SAFETY: dup2, close_range, setpgid, tcsetpgrp, setgroups, setgid, setuid,
    // chdir, prctl, poll, sigprocmask and _exit are async-signal-safe system calls.
    unsafe {
        // Nothing of the launcher's leaks into the program, not even descriptors it opened
        // without O_CLOEXEC: mark all but 0-2 close-on-exec (passed ones are dup2'd after).
        const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC);
        if payload {
            for (src, target) in &plan.pass {
                if libc::dup2(*src, *target) < 0 {
                    fail(plan, Stage::Stdio, b"", SETUP_FAILED);
                }
            }
            if plan.interactive && libc::isatty(0) == 1 {
                libc::setpgid(0, 0);
                // SIGTTOU is blocked, so a background process may take the foreground.
                libc::tcsetpgrp(0, libc::getpgrp());
            }
        } else {
            // boot and shutdown commands read nothing.
            libc::dup2(plan.null_fd, 0);
        }
        if let Some(gid) = plan.gid {
            // Bare system calls: glibc's wrappers signal every thread it believes exists, and
            // this copy of a multithreaded launcher has one.
            if plan.may_setgroups && libc::syscall(libc::SYS_setgroups, 0usize, 0usize) != 0 {
                fail(plan, Stage::Setgroups, b"", SETUP_FAILED);
            }
            if libc::syscall(libc::SYS_setgid, gid as libc::c_ulong) != 0 {
                fail(plan, Stage::Setgid, b"", SETUP_FAILED);
            }
        }
        if let Some(uid) = plan.uid {
            if libc::syscall(libc::SYS_setuid, uid as libc::c_ulong) != 0 {
                fail(plan, Stage::Setuid, b"", SETUP_FAILED);
            }
        }
        if let Some(cwd) = &plan.cwd {
            if libc::chdir(cwd.as_ptr()) != 0 {
                fail(plan, Stage::Chdir, cwd.to_bytes(), SETUP_FAILED);
            }
        }
        if !plan.init && payload {
            // The payload is PID 1 itself: it must die with the launcher. (setuid cleared it.)
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as c_ulong);
        }
        let empty: libc::sigset_t = std::mem::zeroed();
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        let e = exec(ep, plan.env_ptrs.as_ptr());
        *libc::__errno_location() = e;
        let code = if e == libc::ENOENT { 127 } else { 126 };
        fail(plan, Stage::Exec, ep.argv[0].to_bytes(), code)
    }
}

struct ExecArgs<'a> {
    plan: &'a Plan,
    ep: &'a ExecPlan,
    payload: bool,
}

extern "C" fn exec_entry(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` points to the ExecArgs on C1's stack, which stays valid: C1 is suspended
    // (CLONE_VFORK) until this child has exec'd or exited.
    let a = unsafe { &*(arg as *const ExecArgs<'_>) };
    setup_and_exec(a.plan, a.ep, a.payload)
}

/// Starts a child that execs `ep`, vfork-style: CLONE_VM|CLONE_VFORK on the plan's spare stack,
/// so no page table is copied (C1 is a copy of the launcher, a Python process perhaps) and no
/// glibc fork lock or atfork handler is involved. C1 resumes once the child has exec'd or
/// exited. Returns the pid (or -1).
fn fork_exec(plan: &Plan, ep: &ExecPlan, payload: bool) -> libc::pid_t {
    let args = ExecArgs { plan, ep, payload };
    // SAFETY: the stack is C1's own copy of the plan's spare buffer, used by one child at a
    // time (C1 waits for each); its top is 16-byte aligned as the ABI requires. glibc's clone()
    // only makes the system call and runs exec_entry on that stack.
    unsafe {
        let stack = &mut *plan.child_stack.get();
        let top = stack.as_mut_ptr().add(stack.len());
        let top = top.sub(top as usize % 16);
        libc::clone(
            exec_entry,
            top.cast(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            &args as *const ExecArgs<'_> as *mut c_void,
        )
    }
}

fn wait_for(pid: libc::pid_t) -> c_int {
    let mut status = 0;
    // SAFETY: waitpid on our own child with a valid out pointer.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
        if errno() != libc::EINTR {
            return -1;
        }
    }
    status
}

fn exit_code(status: c_int) -> c_int {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        SETUP_FAILED
    }
}

extern "C" fn ignore(_: c_int) {}

/// Entry point of C1, right after the clone. Never returns.
pub(crate) fn run(plan: &Plan) -> ! {
    // SAFETY: every call is an async-signal-safe system call (sigaction,
    // sigprocmask, prctl, poll, read, setns, sethostname, dup2, close, close_range, fork,
    // waitpid, kill, sigwaitinfo, _exit); pointers are to the plan's NUL-terminated data or to
    // stack values.
    unsafe {
        // The spawner thread runs with every signal blocked, so none has been delivered yet.
        // Give every signal its default disposition (the caller's handlers are meaningless
        // here and SIG_IGN would be inherited by the program).
        let mut dfl: libc::sigaction = std::mem::zeroed();
        dfl.sa_sigaction = libc::SIG_DFL;
        for sig in 1..65 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::sigaction(sig, &dfl, std::ptr::null_mut());
            }
        }
        // Drop copies of descriptors other threads of the launcher had open (their pipes would
        // not see EOF while we hold them), keeping only what the plan names.
        crate::sys::close_all_except(&plan.keep_fds);
        // Die with the launcher: PDEATHSIG, and close the race where it died before prctl.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as c_ulong);
        let mut pfd = libc::pollfd {
            fd: plan.parent_pidfd,
            events: libc::POLLIN,
            revents: 0,
        };
        if libc::poll(&mut pfd, 1, 0) == 1 {
            libc::_exit(SETUP_FAILED);
        }
        if plan.user_go >= 0 {
            // Wait until the launcher has written our uid/gid maps.
            let mut b = 0u8;
            if libc::read(plan.user_go, (&mut b as *mut u8).cast(), 1) != 1 {
                libc::_exit(SETUP_FAILED);
            }
        }
        for (fd, nstype) in &plan.joins {
            if libc::setns(*fd, *nstype) != 0 {
                fail(plan, Stage::Setns, b"", SETUP_FAILED);
            }
        }
        if let Some(m) = &plan.mount {
            do_mounts(plan, m);
        }
        if let Some(h) = &plan.hostname {
            if libc::sethostname(h.as_ptr(), h.to_bytes().len()) != 0 {
                fail(plan, Stage::Sethostname, h.to_bytes(), SETUP_FAILED);
            }
        }
        // The program's stdio becomes ours: boot, payload and shutdown inherit it.
        for (i, fd) in plan.stdio.iter().enumerate() {
            if *fd >= 0 && libc::dup2(*fd, i as c_int) < 0 {
                fail(plan, Stage::Stdio, b"", SETUP_FAILED);
            }
        }
        if let Some(boot) = &plan.boot {
            let pid = fork_exec(plan, boot, false);
            if pid < 0 {
                fail(plan, Stage::Fork, b"", SETUP_FAILED);
            }
            let status = wait_for(pid);
            if status != 0 {
                // If the boot command could not be exec'd it has reported that itself.
                if exit_code(status) != 127 && exit_code(status) != 126 {
                    Record::new(Stage::Boot, 0, status, boot.argv[0].to_bytes()).send(plan.err_w);
                }
                libc::_exit(SETUP_FAILED);
            }
        }
        if !plan.init {
            setup_and_exec(plan, &plan.payload, true);
        }

        // The tiny init. Forward these to the payload; reap everything; shut down on request.
        for sig in [
            libc::SIGTERM,
            libc::SIGINT,
            libc::SIGHUP,
            libc::SIGUSR1,
            libc::SIGUSR2,
            libc::SIGQUIT,
            libc::SIGWINCH,
            libc::SIGCONT,
            plan.shutdown_signal,
        ] {
            // A handler (never run: the signals stay blocked) makes sure the kernel does not
            // drop them for PID 1, which gets no signal it has no handler for.
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = ignore as extern "C" fn(c_int) as *const () as usize;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
        libc::prctl(libc::PR_SET_NAME, c"nsrun-init".as_ptr());
        let payload = fork_exec(plan, &plan.payload, true);
        if payload < 0 {
            fail(plan, Stage::Fork, b"", SETUP_FAILED);
        }
        // Keep only stdio and /dev/null (for the shutdown command): the launcher sees EOF on the
        // report pipe once the payload has exec'd.
        let null = plan.null_fd as u32;
        libc::syscall(libc::SYS_close_range, 3u32, null - 1, 0u32);
        libc::syscall(libc::SYS_close_range, null + 1, u32::MAX, 0u32);
        init_loop(plan, payload)
    }
}

fn run_shutdown(plan: &Plan, payload: libc::pid_t, payload_status: &mut Option<c_int>) {
    if let Some(sd) = &plan.shutdown {
        let pid = fork_exec(plan, sd, false);
        if pid > 0 {
            // Reap everything until the shutdown command is done; note the payload's status.
            loop {
                let mut status = 0;
                // SAFETY: waitpid(-1) in the container's init: every process here is ours.
                let r = unsafe { libc::waitpid(-1, &mut status, 0) };
                if r == payload {
                    *payload_status = Some(status);
                }
                if r == pid || (r < 0 && errno() != libc::EINTR) {
                    break;
                }
            }
        }
    }
}

/// Signals every process of the container: kill(-1) when the init is PID 1 of its own PID
/// namespace (which reaches exactly the processes of that namespace); otherwise only the
/// payload, since kill(-1) would reach the host's processes.
fn everything(plan: &Plan, payload: libc::pid_t, sig: c_int) {
    // SAFETY: kill(2) is async-signal-safe.
    unsafe {
        if plan.owns_pid_ns {
            libc::kill(-1, sig);
        } else {
            libc::kill(payload, sig);
        }
    }
}

fn init_loop(plan: &Plan, payload: libc::pid_t) -> ! {
    let mut payload_status: Option<c_int> = None;
    let mut stopping = false;
    // SAFETY: sigfillset, sigwaitinfo, waitpid, kill and _exit are
    // async-signal-safe; `set` and `info` are stack values.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        loop {
            if payload_status.is_none() {
                let mut info: libc::siginfo_t = std::mem::zeroed();
                let sig = libc::sigwaitinfo(&set, &mut info);
                if sig < 0 {
                    continue;
                }
                if sig == plan.shutdown_signal {
                    if !stopping {
                        stopping = true;
                        run_shutdown(plan, payload, &mut payload_status);
                        everything(plan, payload, libc::SIGTERM);
                    }
                } else if sig != libc::SIGCHLD {
                    libc::kill(payload, sig);
                }
            }
            // Reap whatever has exited.
            loop {
                let mut status = 0;
                let r = libc::waitpid(-1, &mut status, libc::WNOHANG);
                if r <= 0 {
                    break;
                }
                if r == payload {
                    payload_status = Some(status);
                }
            }
            if let Some(status) = payload_status {
                if !stopping {
                    run_shutdown(plan, payload, &mut payload_status);
                }
                // Nothing outlives the payload: kill the rest of our PID namespace and reap it.
                // (Not `everything`: the payload is reaped, its pid may already be reused.)
                if plan.owns_pid_ns {
                    libc::kill(-1, libc::SIGKILL);
                }
                while libc::waitpid(-1, std::ptr::null_mut(), 0) > 0 || errno() == libc::EINTR {}
                libc::_exit(exit_code(status));
            }
        }
    }
}
