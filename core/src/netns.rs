//! Named network namespaces in `/run/netns`, interoperable both ways with `ip netns`
//! (ip-netns(8)): same directory, same shared-mount setup, same files.

use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg, OFlag};
use nix::mount::{mount, MsFlags};
use nix::sys::stat::Mode;

use crate::error::{Context, Error, Result};
use crate::{sys, unpersist, Kind, Namespace};

/// Where `ip netns` keeps its namespaces.
pub const RUN_DIR: &str = "/run/netns";

/// The file of the named network namespace `name`, after checking the name: in `/run/netns`,
/// or for an ordinary user in its rootless directory ([`crate::rootless::netns::dir`]).
pub fn path(name: &str) -> Result<PathBuf> {
    if !crate::rootless::privileged() {
        return crate::rootless::netns::path(name);
    }
    run_path(name)
}

/// `/run/netns/NAME`, after checking the name.
pub(crate) fn run_path(name: &str) -> Result<PathBuf> {
    validate_name(name)?;
    crate::name::check_netns_name(name)?;
    Ok(Path::new(RUN_DIR).join(name))
}

/// A netns name is one path component: not empty, not `.` or `..`, no `/`, no NUL, at most
/// NAME_MAX bytes.
fn validate_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "is empty"
    } else if name == "." || name == ".." {
        "is not a name"
    } else if name.contains('/') {
        "contains '/'"
    } else if name.contains('\0') {
        "contains a NUL byte"
    } else if name.len() > 255 {
        "is longer than 255 bytes"
    } else {
        return Ok(());
    };
    Err(Error::invalid("netns", "name", name, reason))
}

/// Makes `/run/netns` exist and be a shared mount point, as `ip netns add` does, so that
/// namespace mounts made and removed in it propagate to every mount namespace that copied it
/// (otherwise a netns deleted here stays pinned by a copy elsewhere).
///
/// Runs on every add, so it must cost the same with 10 or 10,000 namespaces: `ip netns add`'s
/// `mount("", "/run/netns", MS_SHARED|MS_REC)` walks every mount below (one per namespace), so
/// here the recursive form runs only when the directory is first made a mount point. Once it is
/// one, `MS_SHARED` on it alone is enough: mounts created under a shared mount are shared.
fn prepare_run_dir() -> Result<()> {
    match nix::unistd::mkdir(RUN_DIR, Mode::from_bits_truncate(0o755)) {
        Ok(()) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(Error::sys("netns: create directory", RUN_DIR, e)),
    }
    match make_shared(MsFlags::empty()) {
        // Not a mount point yet: make it one, once, under a lock so that two first adds do not
        // stack two bind mounts of the directory.
        Err(Errno::EINVAL) => {}
        r => return r.ctx("netns: make shared", RUN_DIR),
    }
    let dir = nix::fcntl::open(
        RUN_DIR,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .ctx("netns: open", RUN_DIR)?;
    let mut dir = Some(dir);
    let _lock = loop {
        match Flock::lock(dir.take().expect("set"), FlockArg::LockExclusive) {
            Ok(lock) => break lock,
            Err((again, Errno::EINTR)) => dir = Some(again),
            Err((_, e)) => return Err(Error::sys("netns: flock", RUN_DIR, e)),
        }
    };
    match make_shared(MsFlags::MS_REC) {
        Err(Errno::EINVAL) => {}
        r => return r.ctx("netns: make shared", RUN_DIR),
    }
    mount(
        Some(RUN_DIR),
        RUN_DIR,
        Some("none"),
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .ctx("netns: bind-mount onto itself", RUN_DIR)?;
    make_shared(MsFlags::MS_REC).ctx("netns: make shared", RUN_DIR)
}

/// `mount("", RUN_DIR, MS_SHARED | extra)`: EINVAL if it is not a mount point.
fn make_shared(extra: MsFlags) -> Result<(), Errno> {
    mount(
        None::<&str>,
        RUN_DIR,
        Some("none"),
        MsFlags::MS_SHARED | extra,
        None::<&str>,
    )
}

/// `ip netns add NAME`: creates a network namespace and persists it as `/run/netns/NAME`.
///
/// Errors: [`Error::InvalidArgument`] (EINVAL) for a bad name; [`Error::AlreadyPersisted`]
/// (EEXIST, naming the namespace there) if the name holds a namespace. Concurrent adds of one
/// name (threads, processes, `ip netns add`): exactly one succeeds, the others get
/// [`Error::AlreadyPersisted`], and the file holds exactly one mount. An add racing
/// [`delete`] either comes first, or finds the name free and creates it again. An empty file of
/// mode 0 left by an add that died halfway is refused with [`Error::InvalidArgument`] (EEXIST)
/// after 3 s; `rm` it. See [`Namespace::persist`].
pub fn add(name: &str) -> Result<Namespace> {
    if !crate::rootless::privileged() {
        return crate::rootless::netns::add(name);
    }
    let path = path(name)?;
    prepare_run_dir()?;
    let ns = Namespace::create(Kind::Net)?;
    ns.persist(&path)?;
    Ok(ns.known_as(path))
}

/// Opens `/run/netns/NAME` (made by nsrun or by `ip netns add`).
///
/// Errors: ENOENT ([`Error::Sys`]) if there is no such name; [`Error::NotANamespace`] if the
/// file holds no namespace; [`Error::WrongKind`] if it holds another kind. Racing [`add`] or
/// [`delete`] of the name, it gives the namespace or ENOENT: it waits while an add is
/// mounting, so never a spurious [`Error::NotANamespace`].
pub fn open(name: &str) -> Result<Namespace> {
    if !crate::rootless::privileged() {
        return crate::rootless::netns::open(name);
    }
    Namespace::open_in_run_dir(&path(name)?, Some(Kind::Net))
}

/// A network namespace written the way `ip` and `unshare`/`nsenter` users write one: a name in
/// `/run/netns` when `name_or_path` has no `/` (`lab`), else the namespace file at that path
/// (`/run/netns/lab`, `/proc/PID/ns/net`, `./held`). The one "netns name or path" rule every
/// binding uses; the file must be a network namespace ([`Error::WrongKind`] otherwise).
pub fn resolve(name_or_path: &str) -> Result<Namespace> {
    if name_or_path.contains('\0') {
        return Err(Error::invalid(
            "netns",
            "namespace path",
            name_or_path,
            "contains a NUL byte",
        ));
    }
    if name_or_path.contains('/') {
        Namespace::open(name_or_path, Some(Kind::Net))
    } else {
        open(name_or_path)
    }
}

/// `ip netns delete NAME`, but it also removes mounts other tools stacked on the file.
///
/// Errors: ENOENT ([`Error::Sys`]) if there is no such name; [`Error::NotPersisted`] (EINVAL)
/// if the file holds no namespace (it is then left alone). Concurrent deletes of one name:
/// exactly one succeeds, the others get ENOENT. A delete racing [`add`] waits for the add to
/// finish and then deletes it. See [`unpersist`].
pub fn delete(name: &str) -> Result<()> {
    if !crate::rootless::privileged() {
        return crate::rootless::netns::delete(name);
    }
    unpersist(path(name)?)
}

/// How messages name a network namespace: by its name when it was opened from /run/netns, else
/// by the path it was opened from, else by its id (`net:[4026532279]`); None is the calling
/// thread's, named by its id.
pub(crate) fn label(ns: Option<&Namespace>) -> String {
    let Some(ns) = ns else {
        return Namespace::current(Kind::Net)
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "of the calling thread".into());
    };
    match ns.path() {
        Some(p) => match p.strip_prefix(RUN_DIR) {
            Ok(name) if name.components().count() == 1 => name.display().to_string(),
            _ => p.display().to_string(),
        },
        None => ns.to_string(),
    }
}

/// Names in `/run/netns` that hold a network namespace, sorted. Missing directory: empty list.
pub fn list() -> Result<Vec<String>> {
    if !crate::rootless::privileged() {
        return crate::rootless::netns::list();
    }
    let dir = match std::fs::read_dir(RUN_DIR) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).ctx("netns: list", RUN_DIR),
    };
    let mut names: Vec<String> = dir
        .filter_map(|e| e.ok())
        .filter(|e| sys::is_nsfs(&e.path()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_component() {
        for bad in ["", ".", "..", "a/b", "../x", "a\0b", &"x".repeat(256)] {
            let err = path(bad).unwrap_err();
            assert_eq!(err.errno(), crate::Errno::EINVAL, "{bad:?}");
            assert!(err.to_string().contains("name"), "{err}");
        }
        assert_eq!(path("lab").unwrap(), PathBuf::from("/run/netns/lab"));
    }

    #[test]
    fn resolve_takes_a_name_or_a_path() {
        let here = resolve("/proc/thread-self/ns/net").unwrap();
        assert_eq!(here, Namespace::current(Kind::Net).unwrap());
        let err = resolve("nsrun-no-such-netns-for-resolve").unwrap_err();
        assert!(
            err.to_string()
                .contains("/run/netns/nsrun-no-such-netns-for-resolve"),
            "{err}"
        );
        let err = resolve("/proc/thread-self/ns/uts").unwrap_err();
        assert!(matches!(err, Error::WrongKind { .. }), "{err}");
    }
}
