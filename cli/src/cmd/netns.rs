//! `nsrun netns`: named network namespaces in /run/netns, compatible with `ip netns`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use nsrun::{Kind, NsMode};

use super::{launch_inheriting_all, net_target};
use crate::args::NetnsCmd;
use crate::exit::{fail, Res};
use crate::supervise::supervise;

/// Where `ip netns exec` finds per-namespace configuration files (ip-netns(8)).
const ETC_NETNS: &str = "/etc/netns";

/// `ip netns exec`'s binds: each entry of `dir` (/etc/netns/NAME) over the /etc entry of the
/// same name. None if `dir` does not exist. An entry with no /etc counterpart is skipped with a
/// warning, as ip does: nsrun never creates a mount point on the host's disk.
fn etc_binds(dir: &Path) -> Res<Vec<(PathBuf, PathBuf)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(fail(format!(
                "netns exec: cannot read {}: {e}",
                dir.display()
            )))
        }
    };
    let mut binds = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| fail(format!("netns exec: {}: {e}", dir.display())))?;
        let dst = Path::new("/etc").join(entry.file_name());
        if dst.exists() {
            binds.push((entry.path(), dst));
        } else {
            eprintln!(
                "nsrun: netns exec: {} not bound: {} does not exist",
                entry.path().display(),
                dst.display()
            );
        }
    }
    binds.sort();
    Ok(binds)
}

pub fn netns(c: NetnsCmd) -> Res<u8> {
    match c {
        NetnsCmd::Add { name } => {
            nsrun::netns::add(&name)?;
        }
        NetnsCmd::Del { name } => nsrun::netns::delete(&name)?,
        NetnsCmd::Ls { json } => {
            let names = nsrun::netns::list()?;
            if json {
                println!("{}", serde_json::json!(names));
            } else {
                // An ordinary user's names are rootless: in its own directory, held by its
                // keeper (`ip netns` never sees them).
                let mark = if nsrun::rootless::privileged() {
                    ""
                } else {
                    " (rootless)"
                };
                for n in names {
                    println!("{n}{mark}");
                }
            }
        }
        NetnsCmd::Exec { name, cmd } => {
            let mut l = launch_inheriting_all(cmd);
            // A new mount namespace for a fresh /sys of this netns and the /etc/netns/NAME
            // binds, as ip netns exec does.
            l.namespace(Kind::Mnt, NsMode::New)
                .namespace(Kind::Net, NsMode::Join(net_target(&name)?));
            if !name.contains('/') {
                for (src, dst) in etc_binds(&Path::new(ETC_NETNS).join(&name))? {
                    l.bind(src, dst, false);
                }
            }
            return supervise(l.spawn()?, Duration::from_secs(10));
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etc_binds_pair_entries_with_existing_etc_files() {
        let dir = std::env::temp_dir().join(format!("nsrun-test-etcnetns-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("hostname"), "x").unwrap();
        std::fs::write(dir.join("nsrun-no-such-etc-file"), "x").unwrap();
        let binds = etc_binds(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            binds.unwrap(),
            [(dir.join("hostname"), PathBuf::from("/etc/hostname"))]
        );
        assert!(etc_binds(Path::new("/nonexistent/nsrun"))
            .unwrap()
            .is_empty());
    }
}
