//! `nsrun run`: new or joined namespaces, like `unshare --fork`.

use std::time::Duration;

use nsrun::{Kind, Namespace, NsMode};

use super::{credentials, launch_inheriting_all, net_target};
use crate::args::RunArgs;
use crate::exit::{fail, Res};
use crate::supervise::supervise;

pub fn run(a: RunArgs) -> Res<u8> {
    if let Some(sig) = a.kill_child.as_deref() {
        if !matches!(sig, "KILL" | "SIGKILL" | "9") {
            return Err(fail(format!(
                "--kill-child={sig}: not supported: nsrun always kills the launched tree with \
                 SIGKILL when it dies"
            )));
        }
    }
    let mut l = launch_inheriting_all(a.cmd.clone());
    for (kind, new) in a.new_kinds() {
        if new {
            l.namespace(kind, NsMode::New);
        }
    }
    if a.map_root_user {
        l.map_root_user();
    }
    l.privileged(a.privileged);
    l.rootless(a.rootless.choice());
    if let Some(netns) = a.net.as_deref().filter(|p| !p.is_empty()) {
        l.namespace(Kind::Net, NsMode::Join(net_target(netns)?));
    }
    if let Some(dir) = &a.wd {
        l.cwd(dir);
    }
    if a.propagation.as_deref() == Some("private") {
        l.private_propagation(true);
    }
    if let Some((uid, gid)) = credentials(a.setuid, a.setgid, a.map_root_user) {
        l.user(uid, gid);
    }
    if let Some(p) = &a.net_persist {
        // Create and persist first, then join: the file holds the namespace even if the
        // program is gone before we could look at it.
        let ns = Namespace::create(Kind::Net)?;
        ns.persist(p)?;
        l.namespace(Kind::Net, NsMode::Join(ns));
    }
    if let Some(r) = &a.root {
        l.rootfs(r);
    }
    match l.spawn_until(None, &mut crate::supervise::interrupted_by_signal) {
        Ok(child) => supervise(child, Duration::from_secs(10)),
        Err(e) => {
            if let Some(p) = &a.net_persist {
                let _ = nsrun::unpersist(p);
            }
            Err(e.into())
        }
    }
}
