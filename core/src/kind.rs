//! Namespace kinds: the names of the `/proc/PID/ns` entries and their `CLONE_NEW*` flags.

use std::fmt;
use std::str::FromStr;

/// A kind of Linux namespace, named like its `/proc/PID/ns` entry.
///
/// [`Kind::flag`] is the kernel's `CLONE_NEW*` value, the `nstype` that `setns(2)` takes and
/// `ioctl_ns(2)`'s `NS_GET_NSTYPE` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Mount points (`mnt`, `CLONE_NEWNS`).
    Mnt,
    /// Hostname and NIS domain name (`uts`, `CLONE_NEWUTS`).
    Uts,
    /// System V IPC and POSIX message queues (`ipc`, `CLONE_NEWIPC`).
    Ipc,
    /// Network devices, addresses, routes, sockets (`net`, `CLONE_NEWNET`).
    Net,
    /// Process ids (`pid`, `CLONE_NEWPID`).
    Pid,
    /// User and group ids, capabilities (`user`, `CLONE_NEWUSER`).
    User,
    /// The cgroup root directory (`cgroup`, `CLONE_NEWCGROUP`).
    Cgroup,
    /// The boot and monotonic clocks (`time`, `CLONE_NEWTIME`).
    Time,
}

impl Kind {
    /// Every kind, in the order `lsns` lists them.
    pub const ALL: [Kind; 8] = [
        Kind::Mnt,
        Kind::Uts,
        Kind::Ipc,
        Kind::Net,
        Kind::Pid,
        Kind::User,
        Kind::Cgroup,
        Kind::Time,
    ];

    /// The `/proc/PID/ns` entry name: `"mnt"`, `"net"`, …
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Mnt => "mnt",
            Kind::Uts => "uts",
            Kind::Ipc => "ipc",
            Kind::Net => "net",
            Kind::Pid => "pid",
            Kind::User => "user",
            Kind::Cgroup => "cgroup",
            Kind::Time => "time",
        }
    }

    /// The `CLONE_NEW*` flag (see `clone(2)`, `setns(2)`).
    pub const fn flag(self) -> i32 {
        match self {
            Kind::Mnt => libc::CLONE_NEWNS,
            Kind::Uts => libc::CLONE_NEWUTS,
            Kind::Ipc => libc::CLONE_NEWIPC,
            Kind::Net => libc::CLONE_NEWNET,
            Kind::Pid => libc::CLONE_NEWPID,
            Kind::User => libc::CLONE_NEWUSER,
            Kind::Cgroup => libc::CLONE_NEWCGROUP,
            Kind::Time => libc::CLONE_NEWTIME,
        }
    }

    /// The name of the `CLONE_NEW*` flag: `"CLONE_NEWNS"`, `"CLONE_NEWNET"`, …
    pub const fn flag_name(self) -> &'static str {
        match self {
            Kind::Mnt => "CLONE_NEWNS",
            Kind::Uts => "CLONE_NEWUTS",
            Kind::Ipc => "CLONE_NEWIPC",
            Kind::Net => "CLONE_NEWNET",
            Kind::Pid => "CLONE_NEWPID",
            Kind::User => "CLONE_NEWUSER",
            Kind::Cgroup => "CLONE_NEWCGROUP",
            Kind::Time => "CLONE_NEWTIME",
        }
    }

    /// The kind whose `CLONE_NEW*` flag is `flag`, if any.
    pub fn from_flag(flag: i32) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.flag() == flag)
    }

    /// The `/proc/PID/ns` entry that names what children will get. For pid and time namespaces
    /// `unshare(2)` and `setns(2)` change only the namespace of future children, so the entry that
    /// shows the effect (and the one to restore) is `pid_for_children` / `time_for_children`.
    pub(crate) const fn for_children_entry(self) -> &'static str {
        match self {
            Kind::Pid => "pid_for_children",
            Kind::Time => "time_for_children",
            other => other.name(),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The string did not name a namespace kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown namespace kind {0:?} (expected one of mnt, uts, ipc, net, pid, user, cgroup, time)"
)]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;

    /// Accepts the `/proc/PID/ns` names, and `mount`/`network` as `unshare(1)` spells them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mnt" | "mount" => Ok(Kind::Mnt),
            "uts" => Ok(Kind::Uts),
            "ipc" => Ok(Kind::Ipc),
            "net" | "network" => Ok(Kind::Net),
            "pid" => Ok(Kind::Pid),
            "user" => Ok(Kind::User),
            "cgroup" => Ok(Kind::Cgroup),
            "time" => Ok(Kind::Time),
            _ => Err(UnknownKind(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.name().parse::<Kind>().unwrap(), k);
            assert_eq!(Kind::from_flag(k.flag()), Some(k));
        }
        assert!("bogus".parse::<Kind>().is_err());
        assert_eq!(Kind::from_flag(0), None);
    }
}
