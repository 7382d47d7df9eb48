//! A node's private directories: a tmpfs on each, mounted inside the node's mount namespace
//! (so it is the node's alone and goes away with it), then the seed files copied in.
//!
//! The work is done from a short-lived thread that unshares its filesystem attributes
//! (`unshare(CLONE_FS)`) and joins the node's mount namespace (setns(2) refuses a mount
//! namespace to a thread that shares them), so the caller's threads never change namespace.

use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use super::topology::{PlannedNode, PlannedPrivate};
use crate::error::{Context, Error, Result};
use crate::Namespace;

/// Mounts the node's private directories and seeds them. `mnt` is the node's mount namespace.
pub(crate) fn prepare(node: &PlannedNode, mnt: &Namespace) -> Result<()> {
    if node.private.is_empty() {
        return Ok(());
    }
    // Read the seeds on the host side, before joining the node's view of the filesystem.
    let mut seeds: Vec<(PathBuf, Vec<u8>, u32)> = Vec::new();
    for (target, source) in &node.files {
        let data = std::fs::read(source).ctx("lab: read seed file", source)?;
        let mode = std::fs::metadata(source)
            .ctx("lab: stat seed file", source)?
            .permissions()
            .mode()
            & 0o7777;
        seeds.push((target.clone(), data, mode));
    }
    if let Some(agent) = crate::rootless::agent_for_ns(mnt) {
        return prepare_by_agent(node, mnt, &agent, &seeds);
    }
    let fd = mnt.as_raw_fd();
    std::thread::scope(|s| {
        s.spawn(|| -> Result<()> {
            // SAFETY: unshare(CLONE_FS) affects only this thread's filesystem attributes.
            Errno::result(unsafe { libc::unshare(libc::CLONE_FS) })
                .ctx_nopath("lab: unshare filesystem attributes")?;
            // SAFETY: setns on a namespace descriptor that outlives the call; only this thread
            // (whose fs attributes are now its own) changes mount namespace.
            Errno::result(unsafe { libc::setns(fd, libc::CLONE_NEWNS) })
                .ctx_nopath("lab: join node mount namespace")?;
            for p in &node.private {
                mount_tmpfs(p.path.as_path(), p.mode, p.uid, p.gid)?;
            }
            for (target, data, mode) in &seeds {
                write_seed(node, target, data, *mode)?;
            }
            Ok(())
        })
        .join()
        .unwrap_or_else(|_| Err(Error::sys_nopath("lab: private directories", Errno::EIO)))
    })
}

/// Rootless: the same, done by the agent of the lab's user namespace (the caller cannot join
/// the node's mount namespace).
fn prepare_by_agent(
    node: &PlannedNode,
    mnt: &Namespace,
    agent: &crate::rootless::agent::Agent,
    seeds: &[(PathBuf, Vec<u8>, u32)],
) -> Result<()> {
    use crate::launch::wire::agent_op as op;
    use std::os::fd::AsFd;
    use std::os::unix::ffi::OsStrExt;
    let fail = |what: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |f: crate::rootless::agent::Failure| Error::sys(what, path, f.errno())
    };
    for p in &node.private {
        let opts = tmpfs_options(p.mode, p.uid, p.gid);
        agent
            .call_data(
                op::MOUNT_TMPFS,
                [0; 3],
                p.path.as_os_str().as_bytes(),
                opts.as_bytes(),
                &[mnt.as_fd()],
            )
            .map_err(fail("lab: mount private directory", &p.path))?;
    }
    for (target, data, mode) in seeds {
        let dir = private_dir_of(node, target);
        // The contents travel in a memfd: a request message is bounded (wire::MAX_REQUEST).
        let mut contents = std::fs::File::from(super::run::memfd("seed")?);
        std::io::Write::write_all(&mut contents, data).ctx("lab: seed file", target)?;
        agent
            .call_data(
                op::WRITE_FILE,
                [
                    *mode,
                    dir.uid.unwrap_or(u32::MAX),
                    dir.gid.unwrap_or(u32::MAX),
                ],
                target.as_os_str().as_bytes(),
                b"",
                &[mnt.as_fd(), contents.as_fd()],
            )
            .map_err(fail("lab: write seed file", target))?;
    }
    Ok(())
}

/// The innermost private directory of `node` that holds `target` (validated to exist).
fn private_dir_of<'a>(node: &'a PlannedNode, target: &Path) -> &'a PlannedPrivate {
    node.private
        .iter()
        .filter(|p| target.starts_with(&p.path))
        .max_by_key(|p| p.path.as_os_str().len())
        .expect("validated: inside a private directory")
}

fn tmpfs_options(mode: u32, uid: Option<u32>, gid: Option<u32>) -> String {
    let mut opts = format!("mode={mode:o},size=64m");
    if let Some(u) = uid {
        opts.push_str(&format!(",uid={u}"));
    }
    if let Some(g) = gid {
        opts.push_str(&format!(",gid={g}"));
    }
    opts
}

fn mount_tmpfs(path: &Path, mode: u32, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
    let opts = tmpfs_options(mode, uid, gid);
    nix::mount::mount(
        Some("tmpfs"),
        path,
        Some("tmpfs"),
        nix::mount::MsFlags::MS_NOSUID | nix::mount::MsFlags::MS_NODEV,
        Some(opts.as_str()),
    )
    .ctx("lab: mount private directory", path)
}

fn write_seed(node: &PlannedNode, target: &Path, data: &[u8], mode: u32) -> Result<()> {
    // The private directory the file is in gives the owner of what is created.
    let dir = private_dir_of(node, target);
    let owner = |p: &Path| -> Result<()> {
        if dir.uid.is_some() || dir.gid.is_some() {
            nix::unistd::chown(
                p,
                dir.uid.map(nix::unistd::Uid::from_raw),
                dir.gid.map(nix::unistd::Gid::from_raw),
            )
            .ctx("lab: chown seed", p)?;
        }
        Ok(())
    };
    let mut parents = Vec::new();
    let mut p = target.parent();
    while let Some(d) = p {
        if d == dir.path.as_path() {
            break;
        }
        parents.push(d);
        p = d.parent();
    }
    for d in parents.into_iter().rev() {
        match std::fs::create_dir(d) {
            Ok(()) => owner(d)?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).ctx("lab: create seed directory", d),
        }
    }
    std::fs::write(target, data).ctx("lab: write seed file", target)?;
    std::fs::set_permissions(target, std::fs::Permissions::from_mode(mode))
        .ctx("lab: chmod seed file", target)?;
    owner(target)?;
    Ok(())
}
