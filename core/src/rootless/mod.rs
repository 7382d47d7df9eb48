//! Rootless operation: what an ordinary user gets from nsrun inside a user namespace that the
//! user owns (user_namespaces(7)). In it the user is root, with every capability over the
//! namespaces it owns: mounts, pivot_root, PID, UTS, IPC and network namespaces, veths,
//! bridges, addresses and routes all work, at kernel speed, with no setuid helper of nsrun's.
//!
//! - [`privileged`]: whether the caller can do without (it has CAP_SYS_ADMIN in its own user
//!   namespace: host root, or root of a container it already is in).
//! - [`check`]: the up-front diagnosis. When the host forbids unprivileged user namespaces, the
//!   error names the one switch to change, before anything is tried.
//! - [`Maps`]: the id maps of a rootless launch. Root inside is the caller. Where
//!   `newuidmap`/`newgidmap` (the `uidmap` package) and `/etc/subuid`/`/etc/subgid` entries for
//!   the caller exist, ids 1.. inside map the caller's subordinate range, so daemons that switch
//!   to users of their own (FRR runs as `frr`) work; otherwise only root is mapped.

pub(crate) mod agent;
pub(crate) mod keeper;
pub mod netns;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::launch::IdMap;
use crate::Errno;

/// True when the caller has CAP_SYS_ADMIN in its own user namespace: it can create every kind
/// of namespace directly, and nsrun does not add a user namespace of its own.
pub fn privileged() -> bool {
    const CAP_SYS_ADMIN: u32 = 21;
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let mut header = Header {
        version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget(2) with a v3 header and room for its two data structs.
    let r = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    r == 0 && data[0].effective & (1 << CAP_SYS_ADMIN) != 0
}

/// One switch that keeps an ordinary user from creating user namespaces: the sysctl, the value
/// that forbids it, and what to set instead.
struct Switch {
    file: &'static str,
    key: &'static str,
    forbids: fn(i64) -> bool,
    fix: &'static str,
}

const SWITCHES: [Switch; 3] = [
    Switch {
        file: "/proc/sys/user/max_user_namespaces",
        key: "user.max_user_namespaces",
        forbids: |v| v == 0,
        fix: "sysctl -w user.max_user_namespaces=15000",
    },
    // Debian's and older Ubuntu's patch.
    Switch {
        file: "/proc/sys/kernel/unprivileged_userns_clone",
        key: "kernel.unprivileged_userns_clone",
        forbids: |v| v == 0,
        fix: "sysctl -w kernel.unprivileged_userns_clone=1",
    },
    // Ubuntu 23.10+: the namespace is created, but AppArmor takes every capability in it.
    Switch {
        file: "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
        key: "kernel.apparmor_restrict_unprivileged_userns",
        forbids: |v| v != 0,
        fix: "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile \
              with `userns,` for the program",
    },
];

/// The up-front diagnosis of a rootless operation `op`: Ok when this host lets an ordinary user
/// create user namespaces, else [`Error::Rootless`] (EPERM) naming the switch to change, in one
/// line. Reads three sysctl files (absent ones are fine); changes nothing.
pub fn check(op: &'static str) -> Result<()> {
    for s in &SWITCHES {
        let Ok(text) = std::fs::read_to_string(s.file) else {
            continue;
        };
        let Ok(value) = text.trim().parse::<i64>() else {
            continue;
        };
        if (s.forbids)(value) {
            return Err(Error::Rootless {
                op,
                reason: format!(
                    "this host forbids user namespaces to ordinary users ({} = {value}); as \
                     root: {}",
                    s.key, s.fix
                ),
                errno: Errno::EPERM,
            });
        }
    }
    Ok(())
}

/// The id maps of a rootless user namespace, and how they get written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Maps {
    /// The uid map (root inside is the caller's uid).
    pub uid: Vec<IdMap>,
    /// The gid map (root inside is the caller's gid).
    pub gid: Vec<IdMap>,
    /// `newuidmap` and `newgidmap` write the maps (they hold a subordinate range); None: the
    /// caller writes them itself, which the kernel allows for its own ids only.
    pub helpers: Option<(PathBuf, PathBuf)>,
}

impl Maps {
    /// The maps for the caller: with a subordinate range when `newuidmap`, `newgidmap` and
    /// entries for the caller in `/etc/subuid` and `/etc/subgid` exist, else root only.
    pub fn for_caller() -> Maps {
        // SAFETY: these cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let own = |id| IdMap {
            inside: 0,
            outside: id,
            count: 1,
        };
        let single = Maps {
            uid: vec![own(uid)],
            gid: vec![own(gid)],
            helpers: None,
        };
        let Some(helpers) = find_helper("newuidmap").zip(find_helper("newgidmap")) else {
            return single;
        };
        let name = nix::unistd::User::from_uid(uid.into())
            .ok()
            .flatten()
            .map(|u| u.name)
            .or_else(|| passwd_name(uid));
        let sub = |file: &str| subordinate(Path::new(file), uid, name.as_deref());
        match (sub("/etc/subuid"), sub("/etc/subgid")) {
            (Some((us, uc)), Some((gs, gc))) => Maps {
                uid: vec![
                    own(uid),
                    IdMap {
                        inside: 1,
                        outside: us,
                        count: uc,
                    },
                ],
                gid: vec![
                    own(gid),
                    IdMap {
                        inside: 1,
                        outside: gs,
                        count: gc,
                    },
                ],
                helpers: Some(helpers),
            },
            _ => single,
        }
    }

    /// True when only root inside is mapped (no subordinate range).
    pub fn single(&self) -> bool {
        self.helpers.is_none()
    }
}

/// `newuidmap`/`newgidmap` in the usual places (the setuid helpers are found by absolute path,
/// not through the caller's PATH).
fn find_helper(name: &str) -> Option<PathBuf> {
    ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// The first subordinate range (start, count) of `uid` (by name or number) in `file`
/// (subuid(5): `name-or-uid:start:count` per line).
fn subordinate(file: &Path, uid: u32, name: Option<&str>) -> Option<(u32, u32)> {
    let text = std::fs::read_to_string(file).ok()?;
    parse_subordinate(&text, uid, name)
}

fn parse_subordinate(text: &str, uid: u32, name: Option<&str>) -> Option<(u32, u32)> {
    text.lines().find_map(|line| {
        let mut f = line.trim().split(':');
        let (who, start, count) = (f.next()?, f.next()?, f.next()?);
        let mine = Some(who) == name || who.parse::<u32>().ok() == Some(uid);
        let (start, count) = (start.parse().ok()?, count.parse::<u32>().ok()?);
        (mine && count > 0).then_some((start, count))
    })
}

/// The argument vector of `newuidmap PID inside outside count ...` without the pid (the
/// launch fills it in once the child exists).
pub(crate) fn helper_args(helper: &Path, maps: &[IdMap]) -> Vec<CString> {
    let mut v = vec![CString::new(helper.as_os_str().as_bytes()).expect("a path from a dir")];
    for m in maps {
        for n in [m.inside, m.outside, m.count] {
            v.push(CString::new(n.to_string()).expect("digits"));
        }
    }
    v
}

/// The hint added to a failure inside a rootless launch with a single-id map, where programs
/// that switch to another user fail (setuid/setgid: EINVAL).
pub fn single_map_hint() -> &'static str {
    "rootless with only root mapped: a program that switches to another user fails; install \
     `uidmap` and give your user ranges in /etc/subuid and /etc/subgid (usermod \
     --add-subuids 100000-165535 --add-subgids 100000-165535 USER)"
}

/// The per-user directory of nsrun's rootless state: `$XDG_RUNTIME_DIR/nsrun` when that is a
/// directory the caller owns, else `/tmp/nsrun-UID` (made 0700 and checked to be the caller's).
pub fn state_dir() -> Result<PathBuf> {
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    let owned = |p: &Path| {
        std::fs::symlink_metadata(p).is_ok_and(|m| {
            use std::os::unix::fs::MetadataExt;
            m.is_dir() && m.uid() == uid
        })
    };
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && owned(p))
        .or_else(|| Some(PathBuf::from(format!("/run/user/{uid}"))).filter(|p| owned(p)));
    let dir = match base {
        Some(b) => b.join("nsrun"),
        None => PathBuf::from(format!("/tmp/nsrun-{uid}")),
    };
    match nix::unistd::mkdir(&dir, nix::sys::stat::Mode::from_bits_truncate(0o700)) {
        Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
        Err(e) => return Err(Error::sys("rootless: create directory", &dir, e)),
    }
    if !owned(&dir) {
        return Err(Error::sys(
            "rootless: state directory is not a directory of yours (set XDG_RUNTIME_DIR to one)",
            &dir,
            nix::errno::Errno::EPERM,
        ));
    }
    Ok(dir)
}

/// A namespace of `kind` made by the keeper, in the user's rootless user namespace: what
/// [`crate::Namespace::create`] does for a caller without CAP_SYS_ADMIN.
pub(crate) fn create(kind: crate::Kind) -> Result<crate::Namespace> {
    keeper::with_keeper(|k| k.new_ns(kind))?.map_err(|f| {
        Error::sys_nopath(
            "create namespace (rootless, by the keeper): unshare",
            f.errno(),
        )
    })
}

/// The user namespace of a rootless lab: an agent in a new user namespace (the caller's
/// maps), registered so the lab's links, sysctls and private directories find it; it and its
/// namespace go when the last handle (the lab's) is dropped, or the caller dies.
pub(crate) fn lab_agent() -> Result<std::sync::Arc<agent::Agent>> {
    check("lab up")?;
    // One agent process per core: the bring-up's threads ask side by side.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let a = std::sync::Arc::new(agent::Agent::start(&Maps::for_caller())?.widen(cores)?);
    keeper::register(&a);
    Ok(a)
}

/// The user namespace this process's rootless launches join when the caller has a subordinate
/// range: mapped once (by an agent and newuidmap/newgidmap, ~2 ms), then held by a descriptor
/// for the life of the process. Podman's rootless containers share one the same way. A
/// launch still gets every other namespace of its own; root in two launches of one process is
/// the same user, which reaches nothing of the other's (separate PID and mount namespaces).
pub(crate) fn shared_userns() -> Result<crate::Namespace> {
    static SHARED: std::sync::Mutex<Option<crate::Namespace>> = std::sync::Mutex::new(None);
    let mut s = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if s.is_none() {
        let a = agent::Agent::start(&Maps::for_caller())?;
        *s = Some(a.ns_fd("user")?);
    }
    s.as_ref().expect("set above").try_clone()
}

/// The agent of this process that can work inside `ns` when the caller itself cannot: the
/// caller lacks CAP_SYS_ADMIN and `ns` belongs to a user namespace of the caller's that an
/// agent holds (the keeper's, or a rootless lab's). None: do it directly.
pub(crate) fn agent_for_ns(ns: &crate::Namespace) -> Option<std::sync::Arc<agent::Agent>> {
    if privileged() {
        return None;
    }
    let owner = ns.owner().ok()?;
    if owner == crate::Namespace::current(crate::Kind::User).ok()? {
        return None;
    }
    keeper::agent_for(owner.id())
}

/// The user name of `uid` in /etc/passwd: the C library's lookup can fail in a statically
/// linked program (the `nsrun` command is one) whose glibc differs from the host's NSS modules.
fn passwd_name(uid: u32) -> Option<String> {
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    text.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        (f.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_names_root_and_no_one_else() {
        assert_eq!(passwd_name(0).as_deref(), Some("root"));
        assert_eq!(passwd_name(4_000_000_000), None);
    }

    #[test]
    fn subordinate_ranges() {
        let text = "alice:100000:65536\n1001:200000:1000\nbob:0:0\n";
        assert_eq!(
            parse_subordinate(text, 1000, Some("alice")),
            Some((100000, 65536))
        );
        assert_eq!(
            parse_subordinate(text, 1001, Some("carol")),
            Some((200000, 1000))
        );
        assert_eq!(parse_subordinate(text, 1002, Some("bob")), None);
        assert_eq!(parse_subordinate("garbage\n::\n", 1, None), None);
    }

    #[test]
    fn helper_arguments() {
        let a = helper_args(
            Path::new("/usr/bin/newuidmap"),
            &[
                IdMap {
                    inside: 0,
                    outside: 1000,
                    count: 1,
                },
                IdMap {
                    inside: 1,
                    outside: 100000,
                    count: 65536,
                },
            ],
        );
        let a: Vec<_> = a.iter().map(|c| c.to_str().unwrap()).collect();
        assert_eq!(
            a,
            [
                "/usr/bin/newuidmap",
                "0",
                "1000",
                "1",
                "1",
                "100000",
                "65536"
            ]
        );
    }

    #[test]
    fn diagnosis_passes_here() {
        // The test machine allows user namespaces (its rootless suite depends on it).
        check("test").unwrap();
    }
}
