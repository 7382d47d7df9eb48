//! One file per command; what several share is here.

mod boot;
mod docs;
mod enter;
mod exec;
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
        Cmd::Exec(a) => exec::exec(a),
        Cmd::Ls(a) => ls::ls(a),
        Cmd::Netns(c) => netns::netns(c),
        Cmd::Same { a, b } => same::same(&a, &b),
        Cmd::Link(c) => link::link(c),
        Cmd::Sysctl(a) => sysctl::sysctl(a),
        Cmd::Completions { shell } => docs::completions(shell),
        Cmd::Man { dir } => docs::man(&dir),
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

/// A network namespace: a name in /run/netns (no '/'), or a path (core's one rule).
fn net_target(spec: &str) -> Res<Namespace> {
    Ok(nsrun::netns::resolve(spec)?)
}

/// The uid and gid for --setuid/--setgid: the one not given stays the launcher's own (0 in a
/// user namespace that maps the launcher to root).
fn credentials(uid: Option<u32>, gid: Option<u32>, mapped_to_root: bool) -> Option<(u32, u32)> {
    if uid.is_none() && gid.is_none() {
        return None;
    }
    // SAFETY: getuid and getgid cannot fail.
    let (me_u, me_g) = unsafe { (libc::getuid(), libc::getgid()) };
    let (me_u, me_g) = if mapped_to_root { (0, 0) } else { (me_u, me_g) };
    Some((uid.unwrap_or(me_u), gid.unwrap_or(me_g)))
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
    fn credentials_keep_the_one_not_given() {
        assert_eq!(credentials(None, None, false), None);
        assert_eq!(credentials(Some(5), None, true), Some((5, 0)));
        // SAFETY: getgid cannot fail.
        let g = unsafe { libc::getgid() };
        assert_eq!(credentials(Some(5), None, false), Some((5, g)));
        assert_eq!(credentials(Some(5), Some(6), false), Some((5, 6)));
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
