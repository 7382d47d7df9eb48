//! `nsrun boot ROOTFS`: the rcS convention (boot, a shell or CMD, shutdown).

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use nsrun::{Kind, Launch, NsMode};

use crate::args::BootArgs;
use crate::exit::{fail, CommandError, Res};
use crate::supervise::supervise;

fn sh(cmd: &str) -> Vec<OsString> {
    vec!["/bin/sh".into(), "-c".into(), cmd.into()]
}

fn is_tty() -> bool {
    // SAFETY: isatty only queries descriptor 0.
    unsafe { libc::isatty(0) == 1 }
}

/// `--bind SRC:DST[:ro|:rw]` → (source, target, read-only).
fn parse_bind(spec: &str) -> Res<(&str, &str, bool)> {
    let parts: Vec<&str> = spec.split(':').collect();
    match parts.as_slice() {
        [s, d] | [s, d, "rw"] => Ok((s, d, false)),
        [s, d, "ro"] => Ok((s, d, true)),
        _ => Err(fail(format!(
            "--bind {spec:?}: expected SRC:DST or SRC:DST:ro"
        ))),
    }
}

/// The boot and shutdown commands: given ones run with /bin/sh -c; the others are core's rcS
/// convention (`nsrun::launch::rcs_commands`) when the rootfs has /etc/rcS.
type Commands = (Option<Vec<OsString>>, Option<Vec<OsString>>);
fn boot_commands(a: &BootArgs, rootfs: &Path) -> Commands {
    let (rcs_boot, rcs_shutdown) = match nsrun::launch::rcs_commands(rootfs) {
        Some((b, s)) => (Some(b), Some(s)),
        None => (None, None),
    };
    (
        a.boot.as_deref().map(sh).or(rcs_boot),
        a.shutdown.as_deref().map(sh).or(rcs_shutdown),
    )
}

pub fn boot(a: BootArgs) -> Res<u8> {
    // On a terminal the program gets its foreground, so ^C reaches the job inside.
    let interactive = is_tty();
    let argv: Vec<OsString> = if a.cmd.is_empty() {
        vec!["/bin/sh".into(), "-i".into()]
    } else {
        a.cmd.clone()
    };
    let mut l = Launch::new(argv);
    l.rootfs(&a.rootfs)
        .interactive(interactive)
        .privileged(a.privileged)
        .userns(a.userns);
    l.rootless(a.rootless.choice());
    let (boot, shutdown) = boot_commands(&a, &a.rootfs);
    if let Some(b) = boot {
        l.boot(b);
    }
    if let Some(s) = shutdown {
        l.shutdown(s);
    }
    if let Some(h) = &a.hostname {
        l.hostname(h);
    }
    for b in &a.bind {
        let (src, dst, ro) = parse_bind(b)?;
        l.bind(src, dst, ro);
    }
    let mut created: Option<String> = None;
    if let Some(name) = &a.net {
        l.namespace(Kind::Net, NsMode::Join(nsrun::netns::resolve(name)?));
    } else if let Some(name) = &a.net_new {
        let path = nsrun::netns::path(name)?;
        if path.exists() {
            return Err(fail(format!(
                "--net-new {name}: {} already exists; use --net {name} to join it",
                path.display()
            )));
        }
        l.namespace(Kind::Net, NsMode::Join(nsrun::netns::add(name)?));
        created = Some(name.clone());
    }
    let result = l
        .spawn_until(None, &mut crate::supervise::interrupted_by_signal)
        .map_err(CommandError::from)
        .and_then(|child| supervise(child, Duration::from_secs_f64(a.grace)));
    if result.is_err() {
        // A netns made for this boot does not outlive a boot that failed to start.
        if let Some(name) = created {
            let _ = nsrun::netns::delete(&name);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn bind_specs() {
        assert_eq!(parse_bind("/a:/b").unwrap(), ("/a", "/b", false));
        assert_eq!(parse_bind("/a:/b:ro").unwrap(), ("/a", "/b", true));
        assert_eq!(parse_bind("/a:/b:rw").unwrap(), ("/a", "/b", false));
        for bad in ["/a", "/a:/b:x", "/a:/b:ro:z"] {
            assert!(parse_bind(bad).unwrap_err().message.contains(bad));
        }
    }

    #[test]
    fn boot_defaults_follow_rcs() {
        let args = |extra: &[&str]| {
            let mut v = vec!["nsrun", "boot", "/r"];
            v.extend_from_slice(extra);
            match crate::args::Cli::parse_from(v).cmd {
                crate::args::Cmd::Boot(a) => a,
                _ => unreachable!("parsed as boot"),
            }
        };
        let none = std::env::temp_dir().join("nsrun-test-no-rootfs");
        assert_eq!(boot_commands(&args(&[]), &none), (None, None));
        let (b, s) = boot_commands(&args(&["--boot", "echo hi"]), &none);
        assert_eq!(b, Some(sh("echo hi")));
        assert_eq!(s, None);
        let with_rcs = std::env::temp_dir().join(format!("nsrun-test-rcs-{}", std::process::id()));
        std::fs::create_dir_all(with_rcs.join("etc")).unwrap();
        std::fs::write(with_rcs.join("etc/rcS"), "").unwrap();
        let (b, s) = boot_commands(&args(&["--shutdown", "halt"]), &with_rcs);
        let (_, rcs_s) = boot_commands(&args(&[]), &with_rcs);
        assert_eq!(
            rcs_s.unwrap(),
            nsrun::launch::RCS_SHUTDOWN.map(OsString::from)
        );
        std::fs::remove_dir_all(&with_rcs).unwrap();
        assert_eq!(b.unwrap(), nsrun::launch::RCS_BOOT.map(OsString::from));
        assert_eq!(s, Some(sh("halt")));
    }
}
