//! `nsrun enter`: run a program in a process's or given namespaces, like `nsenter`.

use std::time::Duration;

use nsrun::{Namespace, NsMode};

use super::launch_inheriting_all;
use crate::args::EnterArgs;
use crate::exit::{fail, Res};
use crate::supervise::supervise;

pub fn enter(a: EnterArgs) -> Res<u8> {
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
    supervise(l.spawn()?, Duration::from_secs(10))
}
