//! Runs in the children the launcher clones, between clone and exec.
//!
//! They share the launcher's memory (CLONE_VM) and the TLS of the launcher thread that cloned
//! them, and the launcher may have other threads whose locks (malloc's among them) may be held
//! at any moment. So only async-signal-safe system calls are made here (signal-safety(7)):
//! no allocation, no lock, no Rust std call that allocates; everything was prepared in the
//! [`Plan`]. Writes to errno land in the launcher thread's slot, which is harmless: that
//! thread is suspended (CLONE_VFORK) or blocked in the intermediate child's wait meanwhile.
//!
//! - [`launch_entry`]: the launch child (PID 1 of a new PID namespace): joins, mounts, root
//!   switch, hostname, stdio, then exec of nsrun-init (or of the program, without init).
//! - [`user_entry`]: with a new user namespace, the intermediate child: it clones the launch
//!   child (CLONE_PARENT, so it is the launcher's child), writes its uid/gid maps from outside
//!   (a map can only be written by a process with capabilities over the parent namespace),
//!   lets it go on, and exits once it has exec'd.

mod exec;
mod mounts;
mod sys;

use std::os::raw::{c_int, c_ulong, c_void};
use std::sync::atomic::Ordering;

use std::ffi::CString;

use crate::launch::plan::{Next, Plan, Stack, UserPlan};
use crate::launch::wire::{Record, Stage, SETUP_FAILED};
use sys::{errno, fail, report};

/// Entry point of the launch child (for `clone(2)`'s function argument).
pub(crate) extern "C" fn launch_entry(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the Plan the launcher passed to clone; it stays alive and unchanged
    // until this child has exec'd or exited (the launcher waits for that before dropping it).
    let plan = unsafe { &*(arg as *const Plan) };
    run(plan)
}

/// Entry point of the intermediate child (new user namespace only).
pub(crate) extern "C" fn user_entry(arg: *mut c_void) -> c_int {
    // SAFETY: as in launch_entry.
    let plan = unsafe { &*(arg as *const Plan) };
    match &plan.user {
        Some(u) => intermediate(plan, u),
        // SAFETY: _exit is async-signal-safe.
        None => unsafe { libc::_exit(SETUP_FAILED) },
    }
}

fn run(plan: &Plan) -> ! {
    // SAFETY: every call is an async-signal-safe system call (sigaction, close_range, prctl,
    // setresuid, setresgid,
    // poll, read, setns, sethostname, dup2, _exit); pointers are to the plan's NUL-terminated
    // data or to stack values.
    unsafe {
        // The launcher clones with every signal blocked, so none has been delivered yet. Give
        // every signal its default disposition (this child has its own copy of the handler
        // table: no CLONE_SIGHAND): SIG_IGN would be inherited across exec.
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
        if let Some(u) = &plan.user {
            // Wait until the intermediate child has written our uid/gid maps (EOF if it died).
            libc::close(u.go_w);
            libc::close(u.exec_r);
            let mut b = 0u8;
            if libc::read(u.go_r, (&mut b as *mut u8).cast(), 1) != 1 {
                libc::_exit(SETUP_FAILED);
            }
            // Become root of the new user namespace where 0 is mapped (our host ids are not
            // mapped when the maps shift them, and files we create must get mapped owners).
            // Bare system calls: glibc's wrappers signal every thread it believes exists.
            libc::syscall(libc::SYS_setresgid, 0, 0, 0);
            libc::syscall(libc::SYS_setresuid, 0, 0, 0);
        }
        for (fd, nstype) in &plan.joins {
            if libc::setns(*fd, *nstype) != 0 {
                fail(plan, Stage::Setns, b"", SETUP_FAILED);
            }
        }
        if let Some(m) = &plan.mount {
            mounts::do_mounts(plan, m);
        }
        if let Some(h) = &plan.hostname {
            if libc::sethostname(h.as_ptr(), h.to_bytes().len()) != 0 {
                fail(plan, Stage::Sethostname, h.to_bytes(), SETUP_FAILED);
            }
        }
        // The launch's stdio becomes ours: the init, boot, payload and shutdown inherit it.
        for (i, fd) in plan.stdio.iter().enumerate() {
            if *fd >= 0 && libc::dup2(*fd, i as c_int) < 0 {
                fail(plan, Stage::Stdio, b"", SETUP_FAILED);
            }
        }
        if let Some(iso) = &plan.isolation {
            isolate(plan, iso);
        }
        match &plan.next {
            Next::Direct(d) => exec::direct(plan, d),
            Next::Init(i) => exec::init(plan, i),
        }
    }
}

/// Entry point of the intermediate child for a launcher with many descriptors (see
/// `Plan::fetch_from`): cloned sharing the launcher's descriptor table (CLONE_FILES), in its
/// PID namespace. It takes a table of its own holding only 0-2 (`close_range` with
/// CLOSE_RANGE_UNSHARE copies nothing above), takes each descriptor the plan keeps from the
/// launcher with pidfd_getfd, at its own number, then clones the launch child as the
/// launcher's child (CLONE_PARENT), which copies this small table, and exits once that child
/// has exec'd. Nothing here may change the shared table before the unshare: it is the
/// launcher's.
pub(crate) extern "C" fn fetch_entry(arg: *mut c_void) -> c_int {
    // SAFETY: as in launch_entry.
    let plan = unsafe { &*(arg as *const Plan) };
    let Some(launcher) = plan.fetch_from else {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(SETUP_FAILED) }
    };
    const CLOSE_RANGE_UNSHARE: libc::c_uint = 1 << 1;
    // SAFETY: close_range, pidfd_open, getppid, pidfd_getfd (system calls), dup3, close, clone
    // (the wrapper, with a function and the plan's second stack) and _exit are
    // async-signal-safe; only integers and the plan are passed.
    unsafe {
        if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_UNSHARE) != 0 {
            libc::_exit(SETUP_FAILED);
        }
        let pidfd = libc::syscall(libc::SYS_pidfd_open, launcher, 0) as c_int;
        // Still our parent once the pidfd is open: it is the launcher, not a process that got
        // its pid after it died (we would then have been given to a reaper).
        if pidfd < 0 || libc::getppid() != launcher {
            libc::_exit(SETUP_FAILED);
        }
        // The report pipe first: a failure after it is reported.
        let first = plan.keep_fds.iter().copied().filter(|fd| *fd == plan.err_w);
        let rest = plan.keep_fds.iter().copied().filter(|fd| *fd != plan.err_w);
        for fd in first.chain(rest) {
            let copy = libc::syscall(libc::SYS_pidfd_getfd, pidfd, fd, 0) as c_int;
            if copy < 0 {
                fail(plan, Stage::Clone, b"pidfd_getfd", SETUP_FAILED);
            }
            if copy != fd {
                if libc::dup3(copy, fd, libc::O_CLOEXEC) < 0 {
                    fail(plan, Stage::Clone, b"dup3", SETUP_FAILED);
                }
                libc::close(copy);
            }
        }
        libc::close(pidfd);
        clone_launch_child(plan, libc::CLONE_VFORK);
        libc::_exit(0)
    }
}

/// The default isolation, last before exec: capabilities leave the bounding set (and the
/// inheritable and ambient sets, which would otherwise carry them across exec), then the
/// seccomp filter is installed (no no_new_privs needed: this process has CAP_SYS_ADMIN, so
/// setuid programs inside keep working).
fn isolate(plan: &Plan, iso: &crate::launch::isolate::Isolation) {
    #[repr(C)]
    struct CapHeader {
        version: u32,
        pid: c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct CapData {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    const PR_CAP_AMBIENT: c_int = 47;
    const PR_CAP_AMBIENT_CLEAR_ALL: c_ulong = 4;
    // SAFETY: prctl, capget and capset are async-signal-safe system calls; their arguments are
    // integers, stack structs of the kernel's layout, or the plan's filter (which outlives
    // the call; the kernel copies it).
    unsafe {
        for cap in &iso.drop {
            // EINVAL: a capability this kernel does not know, so nothing to drop.
            if libc::prctl(libc::PR_CAPBSET_DROP, *cap as c_ulong, 0, 0, 0) != 0
                && errno() != libc::EINVAL
            {
                fail(plan, Stage::Isolate, b"PR_CAPBSET_DROP", SETUP_FAILED);
            }
        }
        let mut hdr = CapHeader {
            version: LINUX_CAPABILITY_VERSION_3,
            pid: 0,
        };
        let mut data = [CapData {
            effective: 0,
            permitted: 0,
            inheritable: 0,
        }; 2];
        if libc::syscall(
            libc::SYS_capget,
            &mut hdr as *mut CapHeader,
            data.as_mut_ptr(),
        ) != 0
        {
            fail(plan, Stage::Isolate, b"capget", SETUP_FAILED);
        }
        data[0].inheritable = 0;
        data[1].inheritable = 0;
        if libc::syscall(libc::SYS_capset, &mut hdr as *mut CapHeader, data.as_ptr()) != 0 {
            fail(plan, Stage::Isolate, b"capset", SETUP_FAILED);
        }
        if libc::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0
            && errno() != libc::EINVAL
        {
            fail(plan, Stage::Isolate, b"PR_CAP_AMBIENT", SETUP_FAILED);
        }
        if libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as c_ulong,
            &iso.prog as *const libc::sock_fprog,
        ) != 0
        {
            fail(plan, Stage::Isolate, b"seccomp", SETUP_FAILED);
        }
    }
}

/// `"/proc/PID/NAME\0"` in a stack buffer.
fn proc_path(buf: &mut [u8; 64], pid: i32, name: &[u8]) -> usize {
    let mut n = 0;
    let mut put = |b: &[u8]| {
        buf[n..n + b.len()].copy_from_slice(b);
        n += b.len();
    };
    put(b"/proc/");
    let (digits, len) = sys::decimal(pid as u32);
    put(&digits[..len]);
    put(b"/");
    put(name);
    put(b"\0");
    n - 1
}

fn write_map(pid: i32, name: &[u8], content: &[u8]) -> Result<(), ([u8; 64], usize)> {
    let mut path = [0u8; 64];
    let len = proc_path(&mut path, pid, name);
    // SAFETY: open, write and close are async-signal-safe; the path is NUL-terminated.
    unsafe {
        let fd = libc::open(path.as_ptr().cast(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err((path, len));
        }
        let n = libc::write(fd, content.as_ptr().cast(), content.len());
        let ok = n == content.len() as isize;
        libc::close(fd);
        if ok {
            Ok(())
        } else {
            Err((path, len))
        }
    }
}

/// What the map helper's child execs: a path and a NULL-terminated argv on the caller's stack.
struct HelperExec {
    path: *const libc::c_char,
    argv: *const *const libc::c_char,
}

extern "C" fn helper_entry(arg: *mut c_void) -> c_int {
    static ENVP: [usize; 1] = [0];
    // SAFETY: `arg` is the HelperExec on the intermediate child's stack, which stays put while
    // this child runs (CLONE_VFORK); execve and _exit are async-signal-safe.
    unsafe {
        let e = &*(arg as *const HelperExec);
        libc::execve(e.path, e.argv, ENVP.as_ptr().cast());
        libc::_exit(127)
    }
}

/// Runs `newuidmap PID ...` (or newgidmap): `args` is its argv without the pid, which goes
/// second. Err with the helper's path when it cannot run or fails (it says why on stderr).
fn run_map_helper(args: &[CString], pid: i32, stack: &Stack) -> Result<(), ([u8; 64], usize)> {
    let mut name = [0u8; 64];
    let path = args[0].to_bytes();
    let len = path.len().min(63);
    name[..len].copy_from_slice(&path[..len]);
    // NUL-terminated: the bytes after the digits are 0.
    let (digits, _) = sys::decimal(pid as u32);
    let mut argv: [*const libc::c_char; 16] = [std::ptr::null(); 16];
    if args.len() + 2 > argv.len() {
        return Err((name, len));
    }
    argv[0] = args[0].as_ptr();
    argv[1] = digits.as_ptr().cast();
    for (i, a) in args[1..].iter().enumerate() {
        argv[2 + i] = a.as_ptr();
    }
    let exec = HelperExec {
        path: args[0].as_ptr(),
        argv: argv.as_ptr(),
    };
    // SAFETY: clone runs helper_entry on the helper stack, sharing our memory until it execs
    // (CLONE_VFORK suspends us meanwhile, so `exec`, `argv` and `digits` stay valid); waitpid
    // is async-signal-safe.
    unsafe {
        let child = libc::clone(
            helper_entry,
            stack.top(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            &exec as *const HelperExec as *mut c_void,
        );
        if child < 0 {
            return Err((name, len));
        }
        let mut status = 0;
        while libc::waitpid(child, &mut status, 0) < 0 {
            if errno() != libc::EINTR {
                return Err((name, len));
            }
        }
        if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            Ok(())
        } else {
            *libc::__errno_location() = libc::EPERM;
            Err((name, len))
        }
    }
}

/// From an intermediate child: clones the launch child on the plan's second stack as the
/// launcher's child (CLONE_PARENT), with the plan's namespaces and `extra` flags, and notes
/// its pid for the launcher. Async-signal-safe.
fn clone_launch_child(plan: &Plan, extra: c_int) -> libc::pid_t {
    let flags = libc::CLONE_PARENT | libc::CLONE_VM | extra | plan.clone_flags | libc::SIGCHLD;
    // SAFETY: clone (the wrapper only) runs launch_entry on the plan's second stack, which no
    // other child uses; the plan outlives it (the launcher keeps it until the child exec'd).
    let pid = unsafe {
        libc::clone(
            launch_entry,
            plan.stacks[1].top(),
            flags,
            plan as *const Plan as *mut c_void,
        )
    };
    if pid < 0 {
        fail(plan, Stage::Clone, b"", SETUP_FAILED);
    }
    plan.child_pid.store(pid, Ordering::SeqCst);
    pid
}

fn intermediate(plan: &Plan, u: &UserPlan) -> ! {
    // SAFETY: clone (the system call wrapper only: it runs launch_entry on the plan's second
    // stack), close, open, write, read, kill and _exit are async-signal-safe. This process
    // and the launch child share memory but run on separate stacks and only read the plan
    // (the atomic `child_pid` aside).
    unsafe {
        // The two pipes, at the numbers the plan reserved (this process has its own copy of
        // the descriptor table, so the launcher keeps its placeholders).
        for (r, w) in [(u.go_r, u.go_w), (u.exec_r, u.exec_w)] {
            let mut p = [-1; 2];
            if libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) != 0
                || libc::dup3(p[0], r, libc::O_CLOEXEC) < 0
                || libc::dup3(p[1], w, libc::O_CLOEXEC) < 0
            {
                fail(plan, Stage::Clone, b"pipe", SETUP_FAILED);
            }
            libc::close(p[0]);
            libc::close(p[1]);
        }
        // A rootless launch into a user namespace of the caller's: join it first, so the
        // launch child is cloned in it, with the new namespaces only there allowed.
        if u.join >= 0 && libc::setns(u.join, libc::CLONE_NEWUSER) != 0 {
            fail(plan, Stage::Setns, b"user", SETUP_FAILED);
        }
        // Not CLONE_VFORK: the launch child waits for its maps, which we write meanwhile.
        let pid = clone_launch_child(plan, 0);
        libc::close(u.exec_w);
        libc::close(u.go_r);
        let maps = (|| {
            if u.join >= 0 {
                return Ok(());
            }
            if let Some(h) = &u.helpers {
                run_map_helper(&h.uid, pid, &h.stack)?;
                return run_map_helper(&h.gid, pid, &h.stack);
            }
            if u.deny_setgroups {
                write_map(pid, b"setgroups", b"deny")?;
            }
            write_map(pid, b"uid_map", &u.uid_map)?;
            write_map(pid, b"gid_map", &u.gid_map)
        })();
        if let Err((path, len)) = maps {
            report(
                plan.err_w,
                &Record::new(Stage::UserMap, errno(), 0, &path[..len]),
            );
            libc::kill(pid, libc::SIGKILL);
            libc::_exit(SETUP_FAILED);
        }
        if libc::write(u.go_w, b"g".as_ptr().cast(), 1) != 1 {
            libc::kill(pid, libc::SIGKILL);
            libc::_exit(SETUP_FAILED);
        }
        // Stay (so the launcher stays suspended) until the launch child has exec'd or died.
        let mut b = 0u8;
        while libc::read(u.exec_r, (&mut b as *mut u8).cast(), 1) < 0 && errno() == libc::EINTR {}
        libc::_exit(0)
    }
}
