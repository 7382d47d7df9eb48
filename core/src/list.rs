//! Listing namespaces like `lsns(8)`, plus those held only by a persisted file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use nix::sys::stat::stat;

use crate::error::{Context, Result};
use crate::{Kind, NsId};

/// One namespace found on the system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceInfo {
    /// Its identity.
    pub id: NsId,
    /// Its kind.
    pub kind: Kind,
    /// Processes (thread-group leaders) in it, ascending.
    pub pids: Vec<i32>,
    /// Files it is bind-mounted on (as seen from the caller's mount namespace).
    pub paths: Vec<PathBuf>,
}

/// Every namespace (of `kind`, if given) that a process is in or that is bind-mounted on a file
/// visible in the caller's mount namespace, sorted by kind, then inode. Processes that vanish
/// or cannot be inspected while walking `/proc` are skipped, as `lsns` does.
pub fn list_namespaces(kind: Option<Kind>) -> Result<Vec<NamespaceInfo>> {
    let kinds: Vec<Kind> = match kind {
        Some(k) => vec![k],
        None => Kind::ALL.to_vec(),
    };
    let mut found: BTreeMap<(Kind, NsId), NamespaceInfo> = BTreeMap::new();

    for dirent in std::fs::read_dir("/proc").ctx("list namespaces: read", "/proc")? {
        let Ok(dirent) = dirent else { continue };
        let Some(pid) = dirent
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        for &k in &kinds {
            if let Ok(st) = stat(format!("/proc/{pid}/ns/{k}").as_str()) {
                slot(&mut found, k, NsId::of(&st)).pids.push(pid);
            }
        }
    }

    let mountinfo = std::fs::read_to_string("/proc/thread-self/mountinfo")
        .ctx("list namespaces: read", "/proc/thread-self/mountinfo")?;
    for (root, mount_point) in nsfs_mounts(&mountinfo) {
        let Some(k) = root.split(':').next().and_then(|n| n.parse::<Kind>().ok()) else {
            continue;
        };
        if !kinds.contains(&k) {
            continue;
        }
        let Ok(st) = stat(&mount_point) else { continue };
        let info = slot(&mut found, k, NsId::of(&st));
        if !info.paths.contains(&mount_point) {
            info.paths.push(mount_point);
        }
    }

    let mut out: Vec<NamespaceInfo> = found.into_values().collect();
    for info in &mut out {
        info.pids.sort_unstable();
        info.paths.sort();
    }
    Ok(out)
}

fn slot(
    map: &mut BTreeMap<(Kind, NsId), NamespaceInfo>,
    kind: Kind,
    id: NsId,
) -> &mut NamespaceInfo {
    map.entry((kind, id)).or_insert_with(|| NamespaceInfo {
        id,
        kind,
        pids: Vec::new(),
        paths: Vec::new(),
    })
}

/// (root, mount point) of every nsfs mount in a mountinfo text (proc(5)).
fn nsfs_mounts(mountinfo: &str) -> impl Iterator<Item = (String, PathBuf)> + '_ {
    mountinfo.lines().filter_map(|line| {
        let (pre, post) = line.split_once(" - ")?;
        if post.split(' ').next()? != "nsfs" {
            return None;
        }
        let mut fields = pre.split(' ');
        let root = fields.nth(3)?;
        let mount_point = fields.next()?;
        Some((unescape(root), PathBuf::from(unescape(mount_point))))
    })
}

/// Undoes mountinfo's octal escapes (`\040` for a space, …).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nsfs_mounts_with_escapes() {
        let text = "22 27 0:21 / /proc rw,relatime - proc proc rw\n\
                    600 27 0:4 net:[4026532279] /run/netns/a\\040b rw - nsfs nsfs rw\n";
        let got: Vec<_> = nsfs_mounts(text).collect();
        assert_eq!(
            got,
            vec![(
                "net:[4026532279]".to_string(),
                PathBuf::from("/run/netns/a b")
            )]
        );
    }
}
