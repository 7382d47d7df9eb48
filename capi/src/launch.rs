//! C ABI of the launch: an opaque builder (`struct nsrun_launch`) and child handle
//! (`struct nsrun_child`).

use std::os::raw::{c_char, c_int};
use std::time::Duration;

use crate::ffi::{
    boundary, boundary_ptr, c_kind, c_ns, c_path, c_str_array, c_utf8, handle_mut, Failure,
};
use nsrun::launch::exit;
use nsrun::{Kind, Launch, NsMode, Stdio};

/// What a standard stream of the program gets (or a descriptor >= 0, borrowed). The values
/// are core's stdio codes (`nsrun::Stdio::INHERIT`, `PIPE`, `NULL`; Python's `nsrun.PIPE` and
/// `DEVNULL` are the same numbers).
pub const NSRUN_STDIO_INHERIT: c_int = -10;
/// /dev/null.
pub const NSRUN_STDIO_NULL: c_int = -3;
/// A pipe; take the launcher's end with nsrun_child_take_fd().
pub const NSRUN_STDIO_PIPE: c_int = -1;

/// Exit status of a launch when nsrun's own setup failed inside (core's
/// `nsrun::launch::exit::SETUP_FAILED`). Otherwise the status is the program's own, or 128+N
/// if signal N killed it.
pub const NSRUN_EXIT_SETUP_FAILED: c_int = 125;
/// Exit status when the program exists but cannot be run (core's `exit::CANNOT_RUN`).
pub const NSRUN_EXIT_CANNOT_RUN: c_int = 126;
/// Exit status when the program is not found (core's `exit::NOT_FOUND`).
pub const NSRUN_EXIT_NOT_FOUND: c_int = 127;

// cbindgen writes the header from literals: they must be core's values.
const _: () = {
    assert!(NSRUN_STDIO_INHERIT == Stdio::INHERIT);
    assert!(NSRUN_STDIO_NULL == Stdio::NULL);
    assert!(NSRUN_STDIO_PIPE == Stdio::PIPE);
    assert!(NSRUN_EXIT_SETUP_FAILED == exit::SETUP_FAILED);
    assert!(NSRUN_EXIT_CANNOT_RUN == exit::CANNOT_RUN);
    assert!(NSRUN_EXIT_NOT_FOUND == exit::NOT_FOUND);
};

/// A program to launch in namespaces (opaque). Made by nsrun_launch_new(), freed by
/// nsrun_launch_free(); reusable for several spawns.
pub struct nsrun_launch {
    inner: Launch,
}

/// A launched program (opaque). Freed by nsrun_child_free(), which kills it if it still runs.
pub struct nsrun_child {
    inner: nsrun::Child,
}

/// Runs `f` on the builder, with the NULL check.
fn with_launch(
    l: *mut nsrun_launch,
    func: &str,
    f: impl FnOnce(&mut Launch) -> Result<(), Failure>,
) -> c_int {
    boundary(|| {
        let l = handle_mut!(l, func, "launch");
        f(&mut l.inner)?;
        Ok(0)
    })
}

fn with_child<T>(
    c: *mut nsrun_child,
    func: &str,
    f: impl FnOnce(&mut nsrun::Child) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let c = handle_mut!(c, func, "child");
    f(&mut c.inner)
}

/// A path option of the builder: NULL or "" is EINVAL naming it ("" would mean the cwd, or
/// for a bind target the root itself).
///
/// # Safety
/// As [`c_path`].
unsafe fn launch_path<'a>(
    p: *const c_char,
    func: &str,
    arg: &str,
) -> Result<&'a std::path::Path, Failure> {
    // SAFETY: forwarded contract.
    let path = unsafe { c_path(p, func, arg) }?;
    if path.as_os_str().is_empty() {
        return Err(Failure::new(
            libc::EINVAL,
            format!("{func}: {arg} is empty"),
        ));
    }
    Ok(path)
}

/// A command (argv of the program, boot, shutdown): NULL or empty is EINVAL naming it.
///
/// # Safety
/// As [`c_str_array`].
unsafe fn command(
    argv: *const *const c_char,
    func: &str,
    arg: &str,
) -> Result<Vec<std::ffi::OsString>, Failure> {
    // SAFETY: forwarded contract.
    let argv = unsafe { c_str_array(argv, func, arg) }?;
    if argv.is_empty() {
        return Err(Failure::new(
            libc::EINVAL,
            format!("{func}: {arg} is empty: nothing to run"),
        ));
    }
    Ok(argv)
}

/// A new launch of `argv` (NULL-terminated; argv[0] is looked up in PATH inside if it has no
/// '/'). Defaults: new mnt, pid, uts, ipc namespaces; nsrun's init as PID 1; stdio and
/// environment inherited. NULL on failure.
///
/// Errors (errno): EINVAL `argv` NULL or empty (NULL returned).
/// Threads: safe from any thread.
///
/// # Safety
/// `argv` is NULL or a NULL-terminated array of NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_new(argv: *const *const c_char) -> *mut nsrun_launch {
    boundary_ptr(|| {
        // SAFETY: forwarded from this function's contract.
        let argv = unsafe { command(argv, "nsrun_launch_new", "argv") }?;
        Ok(Box::into_raw(Box::new(nsrun_launch {
            inner: Launch::new(argv),
        })))
    })
}

/// Frees a launch. NULL is a no-op.
///
/// Errors (errno): none (NULL is a no-op).
/// Threads: not while another thread uses the builder.
///
/// # Safety
/// `l` is NULL or from nsrun_launch_new(), not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_free(l: *mut nsrun_launch) {
    if !l.is_null() {
        boundary(|| {
            // SAFETY: from Box::into_raw in nsrun_launch_new, freed once by contract.
            drop(unsafe { Box::from_raw(l) });
            Ok(0)
        });
    }
}

/// Runs the program in this directory as its root (needs a new mount namespace). NULL or ""
/// is EINVAL.
///
/// Errors (errno): EINVAL `l` is NULL or `path` NULL; a missing directory is reported by
/// nsrun_launch_spawn().
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new(); `path` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_rootfs(l: *mut nsrun_launch, path: *const c_char) -> c_int {
    with_launch(l, "nsrun_launch_rootfs", |l| {
        // SAFETY: forwarded from this function's contract.
        l.rootfs(unsafe { launch_path(path, "nsrun_launch_rootfs", "path") }?);
        Ok(())
    })
}

fn each_kind(kinds: c_int, func: &str) -> Result<Vec<Kind>, Failure> {
    let known: c_int = Kind::ALL.iter().map(|k| k.flag()).fold(0, |a, b| a | b);
    if kinds == 0 || kinds & !known != 0 {
        return Err(Failure::new(
            libc::EINVAL,
            format!("{func}: {kinds:#x} is not a set of NSRUN_* kinds"),
        ));
    }
    Ok(Kind::ALL
        .into_iter()
        .filter(|k| kinds & k.flag() != 0)
        .collect())
}

/// New namespaces of the kinds in `kinds` (NSRUN_NET | NSRUN_USER …).
///
/// Errors (errno): EINVAL `l` is NULL, or `kinds` is 0 or has a bit that is no NSRUN_* kind.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_ns_new(l: *mut nsrun_launch, kinds: c_int) -> c_int {
    with_launch(l, "nsrun_launch_ns_new", |l| {
        for k in each_kind(kinds, "nsrun_launch_ns_new")? {
            l.namespace(k, NsMode::New);
        }
        Ok(())
    })
}

/// The launcher's own namespaces of the kinds in `kinds`.
///
/// Errors (errno): EINVAL `l` is NULL, or `kinds` is 0 or has a bit that is no NSRUN_* kind.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_ns_inherit(l: *mut nsrun_launch, kinds: c_int) -> c_int {
    with_launch(l, "nsrun_launch_ns_inherit", |l| {
        for k in each_kind(kinds, "nsrun_launch_ns_inherit")? {
            l.namespace(k, NsMode::Inherit);
        }
        Ok(())
    })
}

/// Joins the namespace `fd` (its kind is read from it; the descriptor stays the caller's).
///
/// Errors (errno): EINVAL `l` is NULL or `fd` not a namespace; EBADF `fd` not open.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_ns_join(l: *mut nsrun_launch, fd: c_int) -> c_int {
    with_launch(l, "nsrun_launch_ns_join", |l| {
        let ns = c_ns(fd, None)?;
        l.namespace(ns.kind(), NsMode::Join(ns));
        Ok(())
    })
}

/// Hostname in the new UTS namespace.
///
/// Errors (errno): EINVAL `l` is NULL, or `name` NULL or not UTF-8; a name the kernel refuses
/// is reported by nsrun_launch_spawn().
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new(); `name` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_hostname(l: *mut nsrun_launch, name: *const c_char) -> c_int {
    with_launch(l, "nsrun_launch_hostname", |l| {
        // SAFETY: forwarded from this function's contract.
        l.hostname(unsafe { c_utf8(name, "nsrun_launch_hostname", "name") }?);
        Ok(())
    })
}

/// Bind-mounts host `source` onto `target` inside the root (read-only if `read_only`). NULL or
/// "" is EINVAL.
///
/// Errors (errno): EINVAL `l` is NULL or a string NULL; a missing source or a bad target is
/// reported by nsrun_launch_spawn().
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new(); strings NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_bind(
    l: *mut nsrun_launch,
    source: *const c_char,
    target: *const c_char,
    read_only: c_int,
) -> c_int {
    with_launch(l, "nsrun_launch_bind", |l| {
        // SAFETY: forwarded from this function's contract.
        let (s, t) = unsafe {
            (
                launch_path(source, "nsrun_launch_bind", "source")?,
                launch_path(target, "nsrun_launch_bind", "target")?,
            )
        };
        l.bind(s, t, read_only != 0);
        Ok(())
    })
}

type EnvPairs = Vec<(std::ffi::OsString, std::ffi::OsString)>;

/// "NAME=value" strings as pairs.
///
/// # Safety
/// `envp` NULL or a NULL-terminated array of NUL-terminated strings.
unsafe fn env_pairs(envp: *const *const c_char, func: &str) -> Result<EnvPairs, Failure> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    // SAFETY: forwarded from this function's contract.
    let vars = unsafe { c_str_array(envp, func, "envp") }?;
    let mut pairs = Vec::new();
    for v in vars {
        let b = v.into_vec();
        let Some(eq) = b.iter().position(|c| *c == b'=').filter(|eq| *eq > 0) else {
            return Err(Failure::new(
                libc::EINVAL,
                format!(
                    "{func}: {:?} is not NAME=value",
                    String::from_utf8_lossy(&b)
                ),
            ));
        };
        pairs.push((
            std::ffi::OsStr::from_bytes(&b[..eq]).to_os_string(),
            std::ffi::OsStr::from_bytes(&b[eq + 1..]).to_os_string(),
        ));
    }
    Ok(pairs)
}

/// Replaces the environment with `envp` (NULL-terminated "NAME=value" strings; NAME is not
/// empty).
///
/// Errors (errno): EINVAL `l` is NULL, `envp` NULL, or an entry without '='.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new(); `envp` NULL or a NULL-terminated array of strings.
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_env(
    l: *mut nsrun_launch,
    envp: *const *const c_char,
) -> c_int {
    with_launch(l, "nsrun_launch_env", |l| {
        // SAFETY: forwarded from this function's contract.
        let pairs = unsafe { env_pairs(envp, "nsrun_launch_env") }?;
        l.env_clear_and_set(pairs);
        Ok(())
    })
}

/// Working directory inside. NULL or "" is EINVAL.
///
/// Errors (errno): EINVAL `l` is NULL or `dir` NULL; a missing directory is reported by
/// nsrun_launch_spawn().
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new(); `dir` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_cwd(l: *mut nsrun_launch, dir: *const c_char) -> c_int {
    with_launch(l, "nsrun_launch_cwd", |l| {
        // SAFETY: forwarded from this function's contract.
        l.cwd(unsafe { launch_path(dir, "nsrun_launch_cwd", "dir") }?);
        Ok(())
    })
}

/// uid and gid the program runs as; (uid_t)-1 / (gid_t)-1 ("no change" to the kernel) are
/// EINVAL.
///
/// Errors (errno): EINVAL `l` is NULL.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_user(
    l: *mut nsrun_launch,
    uid: libc::uid_t,
    gid: libc::gid_t,
) -> c_int {
    with_launch(l, "nsrun_launch_user", |l| {
        for (what, id) in [("uid", uid), ("gid", gid)] {
            if id == u32::MAX {
                return Err(Failure::new(
                    libc::EINVAL,
                    format!("nsrun_launch_user: {what} {id} ((uid_t)-1) is not a valid id"),
                ));
            }
        }
        l.user(uid, gid);
        Ok(())
    })
}

/// A new user namespace in which the launcher's uid/gid are root (lets a non-root user launch).
///
/// Errors (errno): EINVAL `l` is NULL.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_map_root_user(l: *mut nsrun_launch) -> c_int {
    with_launch(l, "nsrun_launch_map_root_user", |l| {
        l.map_root_user();
        Ok(())
    })
}

/// Core's stdio code `v` (the NSRUN_STDIO_* values), with C's message for a bad one.
fn stdio(v: c_int, stream: &str) -> Result<Stdio, Failure> {
    Stdio::from_code(v).map_err(|e| {
        let message = if v < 0 {
            format!(
                "nsrun_launch_stdio: {stream} {v} is not NSRUN_STDIO_INHERIT, _NULL, _PIPE or a \
                 descriptor"
            )
        } else {
            format!("nsrun_launch_stdio: {stream}: {e}")
        };
        Failure::new(e.errno().raw(), message)
    })
}

/// stdin, stdout, stderr: NSRUN_STDIO_INHERIT, _NULL, _PIPE or a descriptor (borrowed).
/// All three are checked before any is set: on failure the builder is unchanged.
///
/// Errors (errno): EINVAL `l` is NULL; EBADF a value that is neither NSRUN_STDIO_* nor an open
/// descriptor.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_stdio(
    l: *mut nsrun_launch,
    stdin_: c_int,
    stdout_: c_int,
    stderr_: c_int,
) -> c_int {
    with_launch(l, "nsrun_launch_stdio", |l| {
        let (i, o, e) = (
            stdio(stdin_, "stdin")?,
            stdio(stdout_, "stdout")?,
            stdio(stderr_, "stderr")?,
        );
        l.stdin(i).stdout(o).stderr(e);
        Ok(())
    })
}

/// A command run inside before the program (e.g. {"/etc/rcS", "S", "boot", NULL}); NULL or
/// empty is EINVAL.
///
/// Errors (errno): EINVAL `l` is NULL or `argv` NULL or empty.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new(); `argv` NULL or a NULL-terminated array of strings.
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_boot(
    l: *mut nsrun_launch,
    argv: *const *const c_char,
) -> c_int {
    with_launch(l, "nsrun_launch_boot", |l| {
        // SAFETY: forwarded from this function's contract.
        l.boot(unsafe { command(argv, "nsrun_launch_boot", "argv") }?);
        Ok(())
    })
}

/// A command run inside after the program, or on nsrun_child_stop(); NULL or empty is EINVAL.
///
/// Errors (errno): EINVAL `l` is NULL or `argv` NULL or empty.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new(); `argv` NULL or a NULL-terminated array of strings.
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_shutdown(
    l: *mut nsrun_launch,
    argv: *const *const c_char,
) -> c_int {
    with_launch(l, "nsrun_launch_shutdown", |l| {
        // SAFETY: forwarded from this function's contract.
        l.shutdown(unsafe { command(argv, "nsrun_launch_shutdown", "argv") }?);
        Ok(())
    })
}

/// The rcS convention, decided by nsrun: when the rootfs (set before) has /etc/rcS, the boot
/// and shutdown commands not already set become {"/etc/rcS", "S", "boot"} and
/// {"/etc/rcS", "K", "shutdown"}; otherwise nothing changes. Returns 0.
///
/// Errors (errno): EINVAL `l` is NULL.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_rcs(l: *mut nsrun_launch) -> c_int {
    with_launch(l, "nsrun_launch_rcs", |l| {
        l.rcs_boot_shutdown();
        Ok(())
    })
}

/// 0: the program itself is PID 1 (no init). Default 1.
///
/// Errors (errno): EINVAL `l` is NULL.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_init(l: *mut nsrun_launch, on: c_int) -> c_int {
    with_launch(l, "nsrun_launch_init", |l| {
        l.init(on != 0);
        Ok(())
    })
}

/// 1: give the program the terminal's foreground (^C reaches it, not the launcher).
///
/// Errors (errno): EINVAL `l` is NULL.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_interactive(l: *mut nsrun_launch, on: c_int) -> c_int {
    with_launch(l, "nsrun_launch_interactive", |l| {
        l.interactive(on != 0);
        Ok(())
    })
}

/// Passes descriptor `fd` (borrowed: nsrun duplicates it) to the program as number `target`
/// (>= 3). Every other descriptor of the launcher is closed in the program.
///
/// Errors (errno): EINVAL `l` NULL or `target` < 3; EBADF `fd` is not open.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_pass_fd(
    l: *mut nsrun_launch,
    fd: c_int,
    target: c_int,
) -> c_int {
    with_launch(l, "nsrun_launch_pass_fd", |l| {
        if target < 3 {
            return Err(Failure::new(
                libc::EINVAL,
                format!(
                    "nsrun_launch_pass_fd: target {target} must be >= 3 (use nsrun_launch_stdio \
                     for 0-2)"
                ),
            ));
        }
        let dup = nsrun::dup_fd(fd)?;
        l.pass_fd(dup, target);
        Ok(())
    })
}

/// One line of a uid or gid map (user_namespaces(7)).
#[repr(C)]
pub struct nsrun_id_map {
    pub inside: u32,
    pub outside: u32,
    pub count: u32,
}

/// A new user namespace with these uid and gid maps (`n_uid` and `n_gid` lines), written by
/// the launcher as newuidmap would.
///
/// Errors (errno): EINVAL `l` NULL, or a map pointer NULL with a non-zero count.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new(); `uid_map` / `gid_map` point to `n_uid` / `n_gid` entries
/// (NULL when the count is 0).
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_id_maps(
    l: *mut nsrun_launch,
    uid_map: *const nsrun_id_map,
    n_uid: usize,
    gid_map: *const nsrun_id_map,
    n_gid: usize,
) -> c_int {
    with_launch(l, "nsrun_launch_id_maps", |l| {
        let lines = |p: *const nsrun_id_map, n: usize, arg: &str| {
            if n == 0 {
                return Ok(Vec::new());
            }
            if p.is_null() {
                return Err(Failure::null("nsrun_launch_id_maps", arg));
            }
            // SAFETY: non-NULL and `n` entries long by this function's contract.
            let v = unsafe { std::slice::from_raw_parts(p, n) };
            Ok(v.iter()
                .map(|m| nsrun::launch::IdMap {
                    inside: m.inside,
                    outside: m.outside,
                    count: m.count,
                })
                .collect())
        };
        l.id_maps(
            lines(uid_map, n_uid, "uid_map")?,
            lines(gid_map, n_gid, "gid_map")?,
        );
        Ok(())
    })
}

/// 1: bind the host's /dev instead of a minimal tmpfs /dev.
///
/// Errors (errno): EINVAL `l` NULL.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_host_dev(l: *mut nsrun_launch, on: c_int) -> c_int {
    with_launch(l, "nsrun_launch_host_dev", |l| {
        l.host_dev(on != 0);
        Ok(())
    })
}

/// 1: leave /proc/sys writable (default: read-only, except /proc/sys/net in a private netns).
///
/// Errors (errno): EINVAL `l` NULL.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_proc_sys_writable(l: *mut nsrun_launch, on: c_int) -> c_int {
    with_launch(l, "nsrun_launch_proc_sys_writable", |l| {
        l.proc_sys_writable(on != 0);
        Ok(())
    })
}

/// 1: privileged: every capability the launcher has, no seccomp filter, /proc and /sys
/// unmasked. 0 (the default): nsrun's default isolation (README, "Threat model").
///
/// Errors (errno): EINVAL `l` NULL.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_privileged(l: *mut nsrun_launch, on: c_int) -> c_int {
    with_launch(l, "nsrun_launch_privileged", |l| {
        l.privileged(on != 0);
        Ok(())
    })
}

/// Rootless: 1 gives the launch a user namespace of its own where the caller is root (or, when
/// it joins namespaces a user namespace of the caller's owns, that one); 0 never adds one;
/// -1 (the default) is rootless exactly when the caller lacks CAP_SYS_ADMIN. With `newuidmap`
/// and /etc/subuid entries, ids 1.. inside are the caller's subordinate range.
///
/// Errors (errno): EINVAL `l` NULL, or `on` not -1, 0 or 1.
/// Threads: any thread, but not two at once on the same builder.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_rootless(l: *mut nsrun_launch, on: c_int) -> c_int {
    with_launch(l, "nsrun_launch_rootless", |l| {
        let choice = match on {
            -1 => None,
            0 | 1 => Some(on == 1),
            _ => {
                return Err(nsrun::Error::invalid(
                    "nsrun_launch_rootless",
                    "value",
                    on.to_string(),
                    "must be -1 (automatic), 0 or 1",
                )
                .into())
            }
        };
        l.rootless(choice);
        Ok(())
    })
}

/// Starts the program; returns once it runs (after the boot command). NULL on failure, with
/// errno and nsrun_last_error() naming the stage, e.g. "launch: exec /bin/x: program not found".
///
/// Errors (errno): EINVAL `l` NULL or an inconsistent builder (e.g. a rootfs without a new
/// mount namespace); otherwise the errno of the step that failed, named with its stage and path
/// in nsrun_last_error(): ENOENT program or rootfs missing (stage exec: program not found),
/// EACCES not executable, EPERM without privileges, ECHILD the boot command failed (its status
/// is in the message).
/// Threads: safe from a multithreaded process (nothing runs between fork and exec but
/// async-signal-safe calls); not two at once on the same builder. The launched tree dies when
/// the launching process dies, whichever thread spawned it.
///
/// # Safety
/// `l` from nsrun_launch_new().
#[no_mangle]
pub unsafe extern "C" fn nsrun_launch_spawn(l: *mut nsrun_launch) -> *mut nsrun_child {
    boundary_ptr(|| {
        let l = handle_mut!(l, "nsrun_launch_spawn", "launch");
        let child = l.inner.spawn()?;
        Ok(Box::into_raw(Box::new(nsrun_child { inner: child })))
    })
}

/// The host pid of the program (of nsrun's init), or -1 with EINVAL if `c` is NULL.
///
/// Errors (errno): EINVAL `c` is NULL.
/// Threads: safe from any thread.
///
/// # Safety
/// `c` NULL or from nsrun_launch_spawn().
#[no_mangle]
pub unsafe extern "C" fn nsrun_child_pid(c: *const nsrun_child) -> libc::pid_t {
    boundary(|| with_child(c.cast_mut(), "nsrun_child_pid", |c| Ok(c.pid())))
}

/// Takes the launcher's end of a piped stream (0 stdin, 1 stdout, 2 stderr); the caller owns and
/// closes it. -1 with EBADF if that stream was not piped or was taken already.
///
/// Errors (errno): EINVAL `c` NULL or `which` not 0, 1 or 2; EBADF that stream was not piped or
/// was taken already.
/// Threads: any thread; not two calls at once on the same handle, except that
/// nsrun_child_signal() may run while another thread waits.
///
/// # Safety
/// `c` from nsrun_launch_spawn().
#[no_mangle]
pub unsafe extern "C" fn nsrun_child_take_fd(c: *mut nsrun_child, which: c_int) -> c_int {
    boundary(|| {
        with_child(c, "nsrun_child_take_fd", |c| {
            use std::os::fd::IntoRawFd;
            let slot = match which {
                0 => &mut c.stdin,
                1 => &mut c.stdout,
                2 => &mut c.stderr,
                _ => {
                    return Err(Failure::new(
                        libc::EINVAL,
                        format!("nsrun_child_take_fd: {which} is not 0, 1 or 2"),
                    ))
                }
            };
            slot.take().map(|fd| fd.into_raw_fd()).ok_or_else(|| {
                Failure::new(
                    libc::EBADF,
                    format!("nsrun_child_take_fd: stream {which} is not piped (or taken)"),
                )
            })
        })
    })
}

fn store_status(status: *mut c_int, s: nsrun::ExitStatus) {
    if !status.is_null() {
        // SAFETY: non-NULL and writable by the caller's contract.
        unsafe { status.write(s.returncode()) };
    }
}

/// The `*_wait` convention of the child and exec handles: a `timeout_ms` of -1 (any negative)
/// waits forever; the result is 1 with `*status` stored once it has ended, 0 on timeout.
fn wait_with_timeout(
    timeout_ms: c_int,
    status: *mut c_int,
    wait: impl FnOnce(Option<Duration>) -> Result<Option<nsrun::ExitStatus>, Failure>,
) -> Result<c_int, Failure> {
    let timeout = (timeout_ms >= 0).then(|| Duration::from_millis(timeout_ms as u64));
    Ok(match wait(timeout)? {
        Some(s) => {
            store_status(status, s);
            1
        }
        None => 0,
    })
}

/// Waits for the program, at most `timeout_ms` (-1: forever). Returns 1 when it has ended
/// (`*status`, if not NULL, gets its exit code, or minus the signal that killed the init),
/// 0 on timeout, -1 on error.
///
/// Errors (errno): EINVAL `c` NULL (a negative `timeout_ms` waits forever); waitid(2)'s errno.
/// Threads: any thread; not two calls at once on the same handle, except that
/// nsrun_child_signal() may run while another thread waits.
///
/// # Safety
/// `c` from nsrun_launch_spawn(); `status` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn nsrun_child_wait(
    c: *mut nsrun_child,
    timeout_ms: c_int,
    status: *mut c_int,
) -> c_int {
    boundary(|| {
        wait_with_timeout(timeout_ms, status, |t| {
            with_child(c, "nsrun_child_wait", |c| Ok(c.wait(t)?))
        })
    })
}

/// Sends `sig` (the init forwards TERM, INT, HUP, QUIT, USR1, USR2, WINCH and CONT).
///
/// Errors (errno): EINVAL `c` NULL or `sig` not a signal; ESRCH the program has ended.
/// Threads: any thread; not two calls at once on the same handle, except that
/// nsrun_child_signal() may run while another thread waits.
///
/// # Safety
/// `c` from nsrun_launch_spawn().
#[no_mangle]
pub unsafe extern "C" fn nsrun_child_signal(c: *mut nsrun_child, sig: c_int) -> c_int {
    boundary(|| {
        with_child(c, "nsrun_child_signal", |c| {
            Ok(c.send_signal(sig).map(|()| 0)?)
        })
    })
}

/// Runs the shutdown command, SIGTERMs every process, SIGKILL after `grace_ms`. Returns 0 and
/// the status as nsrun_child_wait() does.
///
/// Errors (errno): EINVAL `c` NULL; errors of nsrun_child_wait().
/// Threads: any thread; not two calls at once on the same handle, except that
/// nsrun_child_signal() may run while another thread waits.
///
/// # Safety
/// `c` from nsrun_launch_spawn(); `status` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn nsrun_child_stop(
    c: *mut nsrun_child,
    grace_ms: c_int,
    status: *mut c_int,
) -> c_int {
    boundary(|| {
        let s = with_child(c, "nsrun_child_stop", |c| {
            Ok(c.stop(Duration::from_millis(grace_ms.max(0) as u64))?)
        })?;
        store_status(status, s);
        Ok(0)
    })
}

/// A new descriptor of the program's namespace of `kind` (e.g. to persist its netns).
///
/// Errors (errno): EINVAL `c` NULL or unknown `kind`; ESRCH or ENOENT the program has ended
/// (its namespaces may be gone).
/// Threads: any thread; not two calls at once on the same handle, except that
/// nsrun_child_signal() may run while another thread waits.
///
/// # Safety
/// `c` from nsrun_launch_spawn().
#[no_mangle]
pub unsafe extern "C" fn nsrun_child_ns(c: *mut nsrun_child, kind: c_int) -> c_int {
    boundary(|| {
        let kind = c_kind(kind, "nsrun_child_ns")?;
        let ns = with_child(c, "nsrun_child_ns", |c| Ok(c.namespace(kind)?))?;
        Ok(crate::ffi::give_fd(ns))
    })
}

/// Frees the handle; a program still running is killed (with its whole PID namespace) and
/// reaped. NULL is a no-op.
///
/// Errors (errno): none (NULL is a no-op).
/// Threads: not while another thread uses the handle.
///
/// # Safety
/// `c` NULL or from nsrun_launch_spawn(), not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn nsrun_child_free(c: *mut nsrun_child) {
    if !c.is_null() {
        boundary(|| {
            // SAFETY: from Box::into_raw in nsrun_launch_spawn, freed once by contract.
            drop(unsafe { Box::from_raw(c) });
            Ok(0)
        });
    }
}

/// A command running inside a launch (opaque), from nsrun_child_exec() or nsrun_exec_target().
/// Freed by nsrun_exec_free(), which kills it if it still runs.
pub struct nsrun_exec {
    inner: nsrun::launch::ExecChild,
}

/// The command for the exec functions.
///
/// # Safety
/// As nsrun_child_exec().
unsafe fn exec_command(
    func: &str,
    argv: *const *const c_char,
    envp: *const *const c_char,
    cwd: *const c_char,
    stdio_: [c_int; 3],
) -> Result<nsrun::launch::ExecCommand, Failure> {
    // SAFETY: forwarded from the caller's contract.
    let argv = unsafe { c_str_array(argv, func, "argv") }?;
    if argv.is_empty() {
        return Err(Failure::new(libc::EINVAL, format!("{func}: argv is empty")));
    }
    let mut cmd = nsrun::launch::ExecCommand::new(argv);
    if !envp.is_null() {
        // SAFETY: forwarded from the caller's contract.
        cmd.env_clear_and_set(unsafe { env_pairs(envp, func) }?);
    }
    if !cwd.is_null() {
        // SAFETY: forwarded from the caller's contract.
        cmd.cwd(unsafe { c_path(cwd, func, "cwd") }?);
    }
    cmd.stdin(stdio(stdio_[0], "stdin")?)
        .stdout(stdio(stdio_[1], "stdout")?)
        .stderr(stdio(stdio_[2], "stderr")?);
    Ok(cmd)
}

/// Runs `argv` inside the running launch `c`, through its init: in every namespace of the
/// launch (PID namespace, root, /proc, hostname, cgroup), as the init's child, killed when the
/// launch stops. `envp` (NULL-terminated "NAME=value") and `cwd` default to the launch's when
/// NULL; stdin/stdout/stderr as nsrun_launch_stdio() (NSRUN_STDIO_INHERIT: the caller's).
/// Returns once the command runs; NULL on failure with errno: ESRCH when the launch has
/// ended, EINVAL for a launch without init, the exec's errno (ENOENT: not found) with
/// nsrun_last_error() "launch: exec PATH: …". The caller owns the handle.
///
/// Errors (errno): ESRCH the launch has ended; EINVAL `c` or `argv` NULL, `argv` empty, an
/// `envp` entry without '=', a launch without init; the exec's errno (ENOENT not found,
/// EACCES not executable) with nsrun_last_error() "launch: exec PATH: …".
/// Threads: any thread, several at once on the same launch handle (each exec is its own
/// session); not while another thread frees `c`.
///
/// # Safety
/// `c` from nsrun_launch_spawn(); `argv` a NULL-terminated array of strings; `envp` NULL or
/// one; `cwd` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn nsrun_child_exec(
    c: *mut nsrun_child,
    argv: *const *const c_char,
    envp: *const *const c_char,
    cwd: *const c_char,
    stdin_: c_int,
    stdout_: c_int,
    stderr_: c_int,
) -> *mut nsrun_exec {
    boundary_ptr(|| {
        // SAFETY: forwarded from this function's contract.
        let cmd = unsafe {
            exec_command(
                "nsrun_child_exec",
                argv,
                envp,
                cwd,
                [stdin_, stdout_, stderr_],
            )
        }?;
        let e = with_child(c, "nsrun_child_exec", |c| Ok(c.exec(&cmd)?))?;
        Ok(Box::into_raw(Box::new(nsrun_exec { inner: e })))
    })
}

/// nsrun_child_exec() into the launch whose init has host pid `pid`, from any process allowed
/// to ptrace it (what `nsrun exec --target PID` does). EINVAL when `pid` is not an nsrun init.
///
/// Errors (errno): as nsrun_child_exec(); EINVAL `pid` is not a running nsrun init; EPERM
/// the caller may not ptrace it.
/// Threads: any thread.
///
/// # Safety
/// As nsrun_child_exec().
#[no_mangle]
pub unsafe extern "C" fn nsrun_exec_target(
    pid: libc::pid_t,
    argv: *const *const c_char,
    envp: *const *const c_char,
    cwd: *const c_char,
    stdin_: c_int,
    stdout_: c_int,
    stderr_: c_int,
) -> *mut nsrun_exec {
    boundary_ptr(|| {
        // SAFETY: forwarded from this function's contract.
        let cmd = unsafe {
            exec_command(
                "nsrun_exec_target",
                argv,
                envp,
                cwd,
                [stdin_, stdout_, stderr_],
            )
        }?;
        let e = nsrun::launch::exec_target(pid, &cmd)?;
        Ok(Box::into_raw(Box::new(nsrun_exec { inner: e })))
    })
}

fn with_exec<T>(
    e: *mut nsrun_exec,
    func: &str,
    f: impl FnOnce(&mut nsrun::launch::ExecChild) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let e = handle_mut!(e, func, "exec");
    f(&mut e.inner)
}

/// The host pid of the command, or -1 with EINVAL if `e` is NULL.
///
/// Errors (errno): EINVAL `e` NULL.
/// Threads: any thread.
///
/// # Safety
/// `e` NULL or from nsrun_child_exec() / nsrun_exec_target().
#[no_mangle]
pub unsafe extern "C" fn nsrun_exec_pid(e: *const nsrun_exec) -> libc::pid_t {
    boundary(|| with_exec(e.cast_mut(), "nsrun_exec_pid", |e| Ok(e.pid())))
}

/// Takes the caller's end of a piped stream (0, 1, 2); the caller owns and closes it. -1 with
/// EBADF if that stream was not piped or was taken already.
///
/// Errors (errno): EINVAL `e` NULL or `which` not 0-2; EBADF not piped or taken already.
/// Threads: not two calls at once on the same handle.
///
/// # Safety
/// `e` from nsrun_child_exec() / nsrun_exec_target().
#[no_mangle]
pub unsafe extern "C" fn nsrun_exec_take_fd(e: *mut nsrun_exec, which: c_int) -> c_int {
    boundary(|| {
        with_exec(e, "nsrun_exec_take_fd", |e| {
            use std::os::fd::IntoRawFd;
            let slot = match which {
                0 => &mut e.stdin,
                1 => &mut e.stdout,
                2 => &mut e.stderr,
                _ => {
                    return Err(Failure::new(
                        libc::EINVAL,
                        format!("nsrun_exec_take_fd: {which} is not 0, 1 or 2"),
                    ))
                }
            };
            slot.take().map(|fd| fd.into_raw_fd()).ok_or_else(|| {
                Failure::new(
                    libc::EBADF,
                    format!("nsrun_exec_take_fd: stream {which} is not piped (or taken)"),
                )
            })
        })
    })
}

/// Waits for the command, at most `timeout_ms` (-1: forever). Returns 1 when it has ended
/// (`*status`, if not NULL, gets its exit code, or 128+N if signal N killed it, as for a
/// launch), 0 on timeout, -1 on error.
///
/// Errors (errno): EINVAL `e` NULL; poll(2)'s and recvmsg(2)'s errno.
/// Threads: not two calls at once on the same handle.
///
/// # Safety
/// `e` from nsrun_child_exec() / nsrun_exec_target(); `status` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn nsrun_exec_wait(
    e: *mut nsrun_exec,
    timeout_ms: c_int,
    status: *mut c_int,
) -> c_int {
    boundary(|| {
        wait_with_timeout(timeout_ms, status, |t| {
            with_exec(e, "nsrun_exec_wait", |e| Ok(e.wait(t)?))
        })
    })
}

/// Sends `sig` to the command (a no-op once it has ended).
///
/// Errors (errno): EINVAL `e` NULL or `sig` invalid; EPERM not allowed.
/// Threads: not while another thread frees the handle.
///
/// # Safety
/// `e` from nsrun_child_exec() / nsrun_exec_target().
#[no_mangle]
pub unsafe extern "C" fn nsrun_exec_signal(e: *mut nsrun_exec, sig: c_int) -> c_int {
    boundary(|| {
        with_exec(e, "nsrun_exec_signal", |e| {
            Ok(e.send_signal(sig).map(|()| 0)?)
        })
    })
}

/// Frees the handle; a command still running is killed and waited for. NULL is a no-op.
///
/// Errors (errno): none (NULL is a no-op).
/// Threads: not while another thread uses the handle.
///
/// # Safety
/// `e` NULL or from nsrun_child_exec() / nsrun_exec_target(), not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn nsrun_exec_free(e: *mut nsrun_exec) {
    if !e.is_null() {
        boundary(|| {
            // SAFETY: from Box::into_raw in nsrun_child_exec/nsrun_exec_target, freed once.
            drop(unsafe { Box::from_raw(e) });
            Ok(0)
        });
    }
}
