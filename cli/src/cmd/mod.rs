//! One file per command; what several share is here.

mod boot;
mod enter;
pub mod lab;
pub mod link;
mod ls;
mod netns;
mod run;
mod same;
pub mod sysctl;

use std::ffi::OsString;

use nsrun::{Kind, Launch, Namespace, NsMode};

use crate::args::Cmd;
use crate::exit::Res;

pub fn dispatch(cmd: Cmd) -> Res<u8> {
    match cmd {
        Cmd::Boot(a) => boot::boot(a),
        Cmd::Run(a) => run::run(a),
        Cmd::Enter(a) => enter::enter(a),
        Cmd::Ls(a) => ls::ls(a),
        Cmd::Netns(c) => netns::netns(c),
        Cmd::Same { a, b } => same::same(&a, &b),
        Cmd::Link(c) => link::link(c),
        Cmd::Sysctl(a) => sysctl::sysctl(a),
        Cmd::Lab(c) => lab::lab(c),
    }
}

/// A launch of `argv` that starts in every namespace of nsrun itself (no new one), for the
/// commands that add only what they are told to (`run`, `enter`, `netns exec`).
fn launch_inheriting_all(argv: Vec<OsString>) -> Launch {
    let mut l = Launch::new(argv);
    for k in Kind::ALL {
        l.namespace(k, NsMode::Inherit);
    }
    l
}

/// A network namespace argument: a name in /run/netns, or a path.
fn net_arg(spec: Option<&str>) -> Res<Option<Namespace>> {
    match spec {
        None => Ok(None),
        Some(s) => net_target(s).map(Some),
    }
}

/// A network namespace: a name in /run/netns (no '/'), or a path.
fn net_target(spec: &str) -> Res<Namespace> {
    Ok(if spec.contains('/') {
        Namespace::open(spec, Some(Kind::Net))?
    } else {
        nsrun::netns::open(spec)?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launch_inheriting_all_inherits_every_kind() {
        let l = launch_inheriting_all(vec!["/bin/true".into()]);
        for k in Kind::ALL {
            assert!(matches!(l.namespace_mode(k), NsMode::Inherit), "{k}");
        }
    }

    #[test]
    fn net_arguments_are_names_or_paths() {
        assert!(net_arg(None).unwrap().is_none());
        let this = net_target("/proc/thread-self/ns/net").unwrap();
        assert_eq!(this, Namespace::current(Kind::Net).unwrap());
        let err = net_target("nsrun-no-such-netns-for-test").unwrap_err();
        assert!(
            err.message.contains("nsrun-no-such-netns-for-test"),
            "{}",
            err.message
        );
    }
}
