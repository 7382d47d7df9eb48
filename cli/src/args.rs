//! The command line: clap's structs, and the tables that turn per-kind flags into kinds.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use nsrun::Kind;

#[derive(Parser)]
#[command(
    name = "nsrun",
    version,
    about = "Linux namespaces done right: boot a rootfs, unshare, nsenter, lsns, ip netns"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Boot a router rootfs: /etc/rcS S boot, a shell (or CMD), /etc/rcS K shutdown.
    Boot(BootArgs),
    /// Run CMD in new or joined namespaces (what `unshare --fork` does).
    Run(RunArgs),
    /// Run CMD in the namespaces of a process or in given ones (what `nsenter` does).
    Enter(EnterArgs),
    /// List namespaces, including those held only by a persisted file (what `lsns` does).
    Ls(LsArgs),
    /// Named network namespaces in /run/netns, compatible with `ip netns`.
    #[command(subcommand)]
    Netns(NetnsCmd),
    /// Exit 0 if A and B are the same namespace, 1 if not (paths or PID:KIND).
    Same { a: String, b: String },
    /// Network interfaces across namespaces (what `ip link/addr/route` do).
    #[command(subcommand)]
    Link(LinkCmd),
    /// Read or write kernel parameters in a network namespace (what `sysctl` does).
    Sysctl(crate::cmd::sysctl::SysctlArgs),

    // --- labs (issue 13; the arguments live in cmd/lab.rs) ---
    /// Labs: topologies of nodes, links and LANs that outlive the command (up, exec, ls, down,
    /// clean).
    #[command(subcommand)]
    Lab(crate::cmd::lab::LabCmd),
}

#[derive(Args)]
pub struct BootArgs {
    /// The rootfs directory.
    pub rootfs: PathBuf,
    /// Join the network namespace /run/netns/NAME (made by `ip netns add` or `nsrun netns add`).
    #[arg(long, value_name = "NAME", conflicts_with = "net_new")]
    pub net: Option<String>,
    /// Create a network namespace and persist it as /run/netns/NAME (refused if NAME exists).
    #[arg(long, value_name = "NAME")]
    pub net_new: Option<String>,
    /// Hostname inside (the boot script may set its own).
    #[arg(long)]
    pub hostname: Option<String>,
    /// Boot command, run with /bin/sh -c (default: /etc/rcS S boot, if /etc/rcS exists).
    #[arg(long, value_name = "CMD")]
    pub boot: Option<String>,
    /// Shutdown command, run with /bin/sh -c (default: /etc/rcS K shutdown, if it exists).
    #[arg(long, value_name = "CMD")]
    pub shutdown: Option<String>,
    /// Bind-mount a host path: SRC:DST or SRC:DST:ro. Repeatable.
    #[arg(long, value_name = "SRC:DST[:ro]")]
    pub bind: Vec<String>,
    /// Seconds `stop` waits for the shutdown command and SIGTERM before SIGKILL.
    #[arg(long, default_value_t = 10.0)]
    pub grace: f64,
    /// The program (default: an interactive /bin/sh -i).
    #[arg(last = true)]
    pub cmd: Vec<OsString>,
}

#[derive(Args)]
pub struct RunArgs {
    /// New mount namespace.
    #[arg(short = 'm', long)]
    pub mount: bool,
    /// New UTS namespace.
    #[arg(short = 'u', long)]
    pub uts: bool,
    /// New IPC namespace.
    #[arg(short = 'i', long)]
    pub ipc: bool,
    /// New network namespace, or join the one at PATH (--net=PATH).
    #[arg(short = 'n', long, value_name = "PATH", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub net: Option<String>,
    /// Create a new network namespace and persist it at PATH.
    #[arg(long, value_name = "PATH", conflicts_with = "net")]
    pub net_persist: Option<PathBuf>,
    /// New PID namespace (the program runs under nsrun's init, which is PID 1).
    #[arg(short = 'p', long)]
    pub pid: bool,
    /// New user namespace.
    #[arg(short = 'U', long)]
    pub user: bool,
    /// New cgroup namespace.
    #[arg(short = 'C', long)]
    pub cgroup: bool,
    /// New time namespace.
    #[arg(short = 'T', long)]
    pub time: bool,
    /// Run in this root directory (implies --mount).
    #[arg(short = 'R', long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Mount a fresh /proc (implies --mount and --pid).
    #[arg(long)]
    pub mount_proc: bool,
    /// New user namespace where your uid and gid are root (implies --user).
    #[arg(short = 'r', long)]
    pub map_root_user: bool,
    #[arg(last = true, required = true)]
    pub cmd: Vec<OsString>,
}

#[derive(Args)]
pub struct EnterArgs {
    /// The process whose namespaces to enter.
    #[arg(short = 't', long)]
    pub target: Option<i32>,
    /// All namespaces of the target.
    #[arg(short = 'a', long, requires = "target")]
    pub all: bool,
    #[arg(short = 'm', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub mount: Option<String>,
    #[arg(short = 'u', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub uts: Option<String>,
    #[arg(short = 'i', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub ipc: Option<String>,
    #[arg(short = 'n', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub net: Option<String>,
    #[arg(short = 'p', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub pid: Option<String>,
    #[arg(short = 'U', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub user: Option<String>,
    #[arg(short = 'C', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub cgroup: Option<String>,
    #[arg(short = 'T', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub time: Option<String>,
    #[arg(last = true, required = true)]
    pub cmd: Vec<OsString>,
}

#[derive(Args)]
pub struct LsArgs {
    /// Only this kind (mnt uts ipc net pid user cgroup time).
    #[arg(short = 't', long = "type", value_name = "KIND")]
    pub kind: Option<String>,
    /// JSON output.
    #[arg(short = 'J', long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum NetnsCmd {
    /// Create /run/netns/NAME.
    Add { name: String },
    /// Delete /run/netns/NAME (every mount stacked on it, then the file).
    #[command(alias = "delete")]
    Del { name: String },
    /// List named network namespaces.
    #[command(alias = "list")]
    Ls {
        #[arg(short = 'J', long)]
        json: bool,
    },
    /// Run CMD in /run/netns/NAME, with a fresh /sys (as `ip netns exec` does).
    Exec {
        name: String,
        #[arg(last = true, required = true)]
        cmd: Vec<OsString>,
    },
}

#[derive(Subcommand)]
pub enum LinkCmd {
    /// List interfaces.
    #[command(alias = "list")]
    Ls {
        /// Network namespace: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
        #[arg(short = 'J', long)]
        json: bool,
    },
    /// Move interface NAME into namespace TARGET.
    Move {
        name: String,
        target: String,
        /// Rename it on the way.
        #[arg(long = "name", value_name = "NEW")]
        new_name: Option<String>,
        /// The namespace NAME is in (default: this one).
        #[arg(long = "from")]
        from: Option<String>,
    },
    /// Create a veth pair NAME/PEER.
    Veth {
        name: String,
        peer: String,
        #[arg(long)]
        ns: Option<String>,
        #[arg(long)]
        peer_ns: Option<String>,
    },
    /// Set NAME up.
    Up {
        name: String,
        #[arg(long)]
        ns: Option<String>,
    },
    /// Set NAME down.
    Down {
        name: String,
        #[arg(long)]
        ns: Option<String>,
    },
    /// Set the MTU of NAME.
    Mtu {
        name: String,
        mtu: u32,
        #[arg(long)]
        ns: Option<String>,
    },
    /// Add (or --del) an address: `nsrun link addr eth1 198.18.0.1/24`.
    Addr {
        name: String,
        cidr: String,
        #[arg(long)]
        del: bool,
        #[arg(long)]
        ns: Option<String>,
    },
    /// Add a route: DST is "default" or a CIDR.
    Route {
        dst: String,
        #[arg(long)]
        via: Option<String>,
        #[arg(long)]
        dev: Option<String>,
        #[arg(long)]
        ns: Option<String>,
    },
    /// Delete interface NAME.
    #[command(alias = "delete")]
    Del {
        name: String,
        #[arg(long)]
        ns: Option<String>,
    },
    // Routes (list, replace, delete), bridges, VLANs: defined in cmd/link.rs.
    #[command(flatten)]
    More(crate::cmd::link::LinkMore),
}

impl RunArgs {
    /// The one flag → kind table of `run`: each kind with whether a new namespace of it was
    /// asked for (--root implies a mount namespace, --mount-proc a mount and a pid namespace,
    /// a bare --net a new network namespace; --net=PATH joins instead).
    pub fn new_kinds(&self) -> [(Kind, bool); 8] {
        [
            (
                Kind::Mnt,
                self.mount || self.root.is_some() || self.mount_proc,
            ),
            (Kind::Uts, self.uts),
            (Kind::Ipc, self.ipc),
            (Kind::Net, self.net.as_deref() == Some("")),
            (Kind::Pid, self.pid || self.mount_proc),
            (Kind::User, self.user),
            (Kind::Cgroup, self.cgroup),
            (Kind::Time, self.time),
        ]
    }
}

impl EnterArgs {
    /// The one flag → kind table of `enter`: each kind with its option (None: not given;
    /// `Some("")`: the target's; `Some(PATH)`: that file). User first: joining it first gives
    /// the rights to join the others.
    pub fn kind_options(&self) -> [(Kind, Option<&str>); 8] {
        [
            (Kind::User, self.user.as_deref()),
            (Kind::Mnt, self.mount.as_deref()),
            (Kind::Uts, self.uts.as_deref()),
            (Kind::Ipc, self.ipc.as_deref()),
            (Kind::Net, self.net.as_deref()),
            (Kind::Pid, self.pid.as_deref()),
            (Kind::Cgroup, self.cgroup.as_deref()),
            (Kind::Time, self.time.as_deref()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cmd {
        Cli::try_parse_from(std::iter::once("nsrun").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
            .cmd
    }

    /// The long flag of each kind, as `unshare`/`nsenter` spell them.
    fn long_flag(k: Kind) -> String {
        match k {
            Kind::Mnt => "--mount".into(),
            other => format!("--{other}"),
        }
    }

    #[test]
    fn run_flag_of_every_kind_asks_for_that_kind_only() {
        for kind in Kind::ALL {
            let Cmd::Run(a) = parse(&["run", &long_flag(kind), "--", "/bin/true"]) else {
                panic!("not run")
            };
            let on: Vec<Kind> = a
                .new_kinds()
                .into_iter()
                .filter(|(_, on)| *on)
                .map(|(k, _)| k)
                .collect();
            assert_eq!(on, [kind], "{kind}");
        }
        let Cmd::Run(a) = parse(&["run", "--mount-proc", "-R", "/r", "--", "x"]) else {
            panic!()
        };
        let on: Vec<Kind> = a
            .new_kinds()
            .into_iter()
            .filter(|p| p.1)
            .map(|p| p.0)
            .collect();
        assert_eq!(on, [Kind::Mnt, Kind::Pid]);
        let Cmd::Run(a) = parse(&["run", "--net=/run/netns/x", "--", "x"]) else {
            panic!()
        };
        assert!(a.new_kinds().iter().all(|(_, on)| !on), "--net=PATH joins");
    }

    #[test]
    fn enter_option_of_every_kind_reaches_that_kind() {
        for kind in Kind::ALL {
            let flag = format!("{}=/proc/1/ns/{}", long_flag(kind), kind.name());
            let Cmd::Enter(a) = parse(&["enter", &flag, "--", "/bin/true"]) else {
                panic!("not enter")
            };
            let table = a.kind_options();
            let mut kinds: Vec<Kind> = table.iter().map(|(k, _)| *k).collect();
            kinds.sort();
            assert_eq!(kinds, Kind::ALL, "every kind once");
            for (k, opt) in table {
                let expected = format!("/proc/1/ns/{}", kind.name());
                assert_eq!(opt, (k == kind).then_some(expected.as_str()), "{k}");
            }
        }
        let Cmd::Enter(a) = parse(&["enter", "-t", "1", "--net", "--", "x"]) else {
            panic!()
        };
        assert!(a.kind_options().contains(&(Kind::Net, Some(""))));
    }

    #[test]
    fn ls_type_accepts_every_kind() {
        for kind in Kind::ALL {
            let Cmd::Ls(a) = parse(&["ls", "-t", kind.name()]) else {
                panic!()
            };
            assert_eq!(a.kind.as_deref().map(str::parse::<Kind>), Some(Ok(kind)));
        }
    }
}
