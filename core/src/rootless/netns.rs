//! Named network namespaces of an ordinary user: `STATE/netns/NAME` (see
//! [`super::state_dir`]), never `/run/netns`, held by the per-user keeper (`keeper`),
//! which makes, binds, opens and deletes them inside its own mount namespace. Each operation is
//! one request to the keeper, a single-threaded process: concurrent adds of one name give one
//! namespace and [`Error::AlreadyPersisted`] to the others.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use super::agent::{fail, Failure};
use super::keeper::{running, with_keeper};
use crate::error::{Error, Result};
use crate::launch::wire::agent_op as op;
use crate::{Kind, Namespace};

/// The directory of the user's rootless named network namespaces (made 0700 if missing).
pub fn dir() -> Result<PathBuf> {
    let d = super::state_dir()?.join("netns");
    match nix::unistd::mkdir(&d, nix::sys::stat::Mode::from_bits_truncate(0o700)) {
        Ok(()) | Err(Errno::EEXIST) => Ok(d),
        Err(e) => Err(Error::sys("netns: create directory", &d, e)),
    }
}

/// `DIR/NAME` (see [`dir`]), after checking the name by the rules of /run/netns names.
pub fn path(name: &str) -> Result<PathBuf> {
    let run = crate::netns::run_path(name)?;
    Ok(dir()?.join(run.file_name().expect("one component")))
}

fn namespace(fd: Option<std::os::fd::OwnedFd>, path: &Path) -> Result<Namespace> {
    let fd = fd.ok_or_else(|| Error::sys("netns", path, Errno::EPROTO))?;
    Ok(Namespace::from_fd(fd, Some(Kind::Net))?.known_as(path.to_path_buf()))
}

/// `netns add` as an ordinary user.
pub(crate) fn add(name: &str) -> Result<Namespace> {
    let p = path(name)?;
    let bytes = p.as_os_str().as_bytes();
    match with_keeper(|k| k.call(op::ADD_NET, [0; 3], bytes, None))? {
        Ok((_, fd)) => namespace(fd, &p),
        Err(Failure::Refused(Errno::EEXIST)) => {
            let existing = open(name)?;
            Err(Error::AlreadyPersisted {
                path: p,
                existing_kind: Kind::Net,
                existing: existing.id(),
            })
        }
        Err(f) => Err(match fail("netns add", f) {
            Error::Sys { op, errno, .. } => Error::Sys {
                op,
                path: Some(p),
                errno,
            },
            e => e,
        }),
    }
}

/// `netns open` (and the name half of `resolve`) as an ordinary user.
pub(crate) fn open(name: &str) -> Result<Namespace> {
    let p = path(name)?;
    let bytes = p.as_os_str().as_bytes();
    let gone = || Error::NotANamespace {
        path: p.clone(),
        what: "an empty file: no namespace is bound there (its keeper is gone)".into(),
    };
    let Some(k) = running() else {
        // No keeper: the name holds nothing, whether or not a file was left behind.
        return Err(if p.exists() {
            gone()
        } else {
            Error::sys("netns: open", &p, Errno::ENOENT)
        });
    };
    match k.call(op::OPEN_NS, [0; 3], bytes, None) {
        Ok((_, fd)) => namespace(fd, &p),
        Err(Failure::Refused(Errno::EINVAL)) => Err(gone()),
        Err(f) => Err(Error::sys("netns: open", &p, f.errno())),
    }
}

/// `netns delete` as an ordinary user.
pub(crate) fn delete(name: &str) -> Result<()> {
    let p = path(name)?;
    let bytes = p.as_os_str().as_bytes();
    if running().is_none() {
        // No keeper: nothing is bound; a file left by one that died is removed.
        return match std::fs::remove_file(&p) {
            Ok(()) => Err(Error::NotPersisted { path: p }),
            Err(e) => Err(Error::sys(
                "netns: delete",
                &p,
                crate::error::io_errno_nix(&e),
            )),
        };
    }
    match with_keeper(|k| k.call(op::DELETE, [0; 3], bytes, None))? {
        Ok(_) => Ok(()),
        Err(Failure::Refused(Errno::EINVAL)) => Err(Error::NotPersisted { path: p }),
        Err(f) => Err(Error::sys("netns: delete", &p, f.errno())),
    }
}

/// The user's rootless names that hold a namespace, sorted.
pub(crate) fn list() -> Result<Vec<String>> {
    let d = dir()?;
    let Some(k) = running() else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = std::fs::read_dir(&d)
        .map_err(|e| Error::sys("netns: list", &d, crate::error::io_errno_nix(&e)))?
        .filter_map(|e| e.ok())
        .filter(|e| {
            k.call(op::OPEN_NS, [0; 3], e.path().as_os_str().as_bytes(), None)
                .is_ok()
        })
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}
