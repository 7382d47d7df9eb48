//! `nsrun enter`: run a program in a process's or given namespaces, like `nsenter`.

use std::time::Duration;

use nsrun::{Kind, Namespace, NsMode};

use super::{credentials, launch_inheriting_all, net_target};
use crate::args::EnterArgs;
use crate::exit::{fail, Res};
use crate::supervise::supervise;

pub fn enter(a: EnterArgs) -> Res<u8> {
    if a.root.is_some() {
        return Err(fail(
            "--root: not supported: entering the mount namespace (-m) already gives its root; \
             nsrun changes root only by pivot_root in a new mount namespace (nsrun run --root DIR)",
        ));
    }
    let mut l = launch_inheriting_all(a.cmd.clone());
    let mut any = false;
    for (kind, opt) in a.kind_options() {
        let ns = match (opt, a.target) {
            (Some(""), Some(pid)) => Some(Namespace::of_pid(pid, kind)?),
            (Some(""), None) => {
                return Err(fail(format!(
                    "--{kind} needs --target PID or --{kind}=PATH"
                )))
            }
            (Some(netns), _) if kind == Kind::Net => Some(net_target(netns)?),
            (Some(path), _) => Some(Namespace::open(path, Some(kind))?),
            (None, Some(pid)) if a.all => {
                let theirs = Namespace::of_pid(pid, kind)?;
                // Entering one's own user namespace is refused by the kernel: skip what is shared.
                (theirs != Namespace::current(kind)?).then_some(theirs)
            }
            (None, _) => None,
        };
        if let Some(ns) = ns {
            l.namespace(kind, NsMode::Join(ns));
            any = true;
        }
    }
    if !any && !a.all {
        return Err(fail(
            "nothing to enter: give --target PID with --all or namespace options, or --KIND=PATH",
        ));
    }
    match (a.wd.as_deref(), a.target) {
        (Some(""), Some(pid)) => {
            // The target's cwd as its mount namespace names it; chdir happens after entering.
            let link = format!("/proc/{pid}/cwd");
            let dir = std::fs::read_link(&link)
                .map_err(|e| fail(format!("--wd: cannot read {link}: {e}")))?;
            l.cwd(dir);
        }
        (Some(""), None) => return Err(fail("-w needs --target PID or --wd=DIR")),
        (Some(dir), _) => {
            l.cwd(dir);
        }
        (None, _) => {}
    }
    if let Some((uid, gid)) = credentials(a.setuid, a.setgid, false) {
        l.user(uid, gid);
    }
    supervise(l.spawn()?, Duration::from_secs(10))
}
