//! `nsrun run`: new or joined namespaces, like `unshare --fork`.

use std::time::Duration;

use nsrun::{Kind, Namespace, NsMode};

use super::launch_inheriting_all;
use crate::args::RunArgs;
use crate::exit::Res;
use crate::supervise::supervise;

pub fn run(a: RunArgs) -> Res<u8> {
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
    if let Some(path) = a.net.as_deref().filter(|p| !p.is_empty()) {
        l.namespace(
            Kind::Net,
            NsMode::Join(Namespace::open(path, Some(Kind::Net))?),
        );
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
