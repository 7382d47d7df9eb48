//! Named network namespaces in `/run/netns`, interoperable both ways with `ip netns`
//! (ip-netns(8)): same directory, same shared-mount setup, same files.

use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{mount, MsFlags};
use nix::sys::stat::Mode;

use crate::error::{Context, Error, Result};
use crate::{sys, unpersist, Kind, Namespace};

/// Where `ip netns` keeps its namespaces.
pub const RUN_DIR: &str = "/run/netns";

/// The file of the named network namespace `name`, after checking the name.
pub fn path(name: &str) -> Result<PathBuf> {
    validate_name(name)?;
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

/// Makes `/run/netns` exist and be a shared mount point, exactly as `ip netns add` does, so
/// that namespace mounts made and removed in it propagate to every mount namespace that copied
/// it (otherwise a netns deleted here stays pinned by a copy elsewhere).
fn prepare_run_dir() -> Result<()> {
    match nix::unistd::mkdir(RUN_DIR, Mode::from_bits_truncate(0o755)) {
        Ok(()) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(Error::sys("netns: create directory", RUN_DIR, e)),
    }
    let mut made_mount_point = false;
    loop {
        match mount(
            None::<&str>,
            RUN_DIR,
            Some("none"),
            MsFlags::MS_SHARED | MsFlags::MS_REC,
            None::<&str>,
        ) {
            Ok(()) => return Ok(()),
            // Not a mount point yet: bind it onto itself, then share it.
            Err(Errno::EINVAL) if !made_mount_point => {
                mount(
                    Some(RUN_DIR),
                    RUN_DIR,
                    Some("none"),
                    MsFlags::MS_BIND | MsFlags::MS_REC,
                    None::<&str>,
                )
                .ctx("netns: bind-mount onto itself", RUN_DIR)?;
                made_mount_point = true;
            }
            Err(e) => return Err(Error::sys("netns: make shared", RUN_DIR, e)),
        }
    }
}

/// `ip netns add NAME`: creates a network namespace and persists it as `/run/netns/NAME`.
/// Refuses a name that already holds a namespace ([`Error::AlreadyPersisted`]).
pub fn add(name: &str) -> Result<Namespace> {
    let path = path(name)?;
    prepare_run_dir()?;
    let ns = Namespace::create(Kind::Net)?;
    ns.persist(&path)?;
    Ok(ns.known_as(path))
}

/// Opens `/run/netns/NAME` (made by nsrun or by `ip netns add`).
pub fn open(name: &str) -> Result<Namespace> {
    Namespace::open(path(name)?, Some(Kind::Net))
}

/// `ip netns delete NAME`, but it also removes mounts other tools stacked on the file.
pub fn delete(name: &str) -> Result<()> {
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
}
