//! The command line: clap's structs, and the tables that turn per-kind flags into kinds.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use nsrun::Kind;

/// The `nsrun` command line as a clap [`clap::Command`], for man pages, completions and
/// tests that walk it.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// The command line, parsed. A launch command (`boot`, `run`, `enter`, `exec`) is parsed first
/// with a clap tree of that subcommand alone: building every argument of every subcommand is
/// about 5% of the CPU of a short `nsrun run`. Anything else, and any error or `--help` of the
/// short tree, goes to the whole tree, so messages, help and completions are the same.
pub fn parse(argv: Vec<OsString>) -> Result<Cli, clap::Error> {
    launch_command(&argv)
        .map(|cmd| Cli { cmd })
        .map_or_else(|| Cli::try_parse_from(argv), Ok)
}

/// `argv` parsed with the tree of its launch subcommand alone; None if it names no launch
/// subcommand or does not parse there.
fn launch_command(argv: &[OsString]) -> Option<Cmd> {
    fn only<A: Args + clap::FromArgMatches>(
        name: &'static str,
        argv: &[OsString],
        wrap: fn(A) -> Cmd,
    ) -> Option<Cmd> {
        let tree =
            clap::Command::new("nsrun").subcommand(A::augment_args(clap::Command::new(name)));
        let matches = tree.try_get_matches_from(argv).ok()?;
        let (_, sub) = matches.subcommand()?;
        A::from_arg_matches(sub).ok().map(wrap)
    }
    match argv.get(1)?.to_str()? {
        "boot" => only("boot", argv, Cmd::Boot),
        "run" => only("run", argv, Cmd::Run),
        "enter" => only("enter", argv, Cmd::Enter),
        "exec" => only("exec", argv, Cmd::Exec),
        _ => None,
    }
}

/// The exit statuses, in `nsrun --help` and nsrun(1).
pub(crate) const AFTER_HELP: &str =
    "Exit status: the program's own (128+N if signal N killed it); \
125 when nsrun itself fails or the command line is wrong; 126 when the program cannot be run; \
127 when it is not found; 141 when stdout was closed (nsrun ls | head -1). \
A netns argument is a name in /run/netns (no '/') or a path.";

#[derive(Parser)]
#[command(
    name = "nsrun",
    version,
    about = "Linux namespaces done right: boot a rootfs, unshare, nsenter, lsns, ip netns",
    after_long_help = AFTER_HELP
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
    /// Run CMD inside a running launch, through its init (a fast `nsenter --all` that also
    /// gives the launch's root, /proc and cgroup; the command dies with the launch).
    Exec(ExecArgs),
    /// List namespaces, including those held only by a persisted file (what `lsns` does).
    Ls(LsArgs),
    /// Named network namespaces in /run/netns, compatible with `ip netns`.
    #[command(subcommand)]
    Netns(NetnsCmd),
    /// Exit 0 if A and B are the same namespace, 1 if not (paths or PID:KIND).
    Same {
        /// A namespace file (/proc/PID/ns/net, /run/netns/lab) or PID:KIND (1234:net).
        a: String,
        /// The other one, written the same way.
        b: String,
    },
    /// Network interfaces across namespaces (what `ip link/addr/route` do).
    #[command(subcommand)]
    Link(LinkCmd),
    /// Read or write kernel parameters in a network namespace (what `sysctl` does).
    Sysctl(crate::cmd::sysctl::SysctlArgs),
    /// Print a shell completion script: `nsrun completions bash > /etc/bash_completion.d/nsrun`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages (nsrun.1 and one per subcommand) into DIR (used by `make man`).
    #[command(hide = true)]
    Man {
        /// The directory (created if missing).
        dir: PathBuf,
    },

    // --- labs (issue 13; the arguments live in cmd/lab.rs) ---
    /// Labs: topologies of nodes, links and LANs that outlive the command (up, exec, ls, down,
    /// clean).
    #[command(subcommand)]
    Lab(crate::cmd::lab::LabCmd),
}

#[derive(Args)]
#[cfg_attr(test, derive(Debug))]
pub struct BootArgs {
    /// The rootfs directory.
    pub rootfs: PathBuf,
    /// Join this network namespace: a name in /run/netns (made by `ip netns add` or `nsrun
    /// netns add`) or a path.
    #[arg(long, value_name = "NETNS", conflicts_with = "net_new")]
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
    /// Every capability, no seccomp filter, /proc and /sys unmasked (no default isolation).
    #[arg(long)]
    pub privileged: bool,
    #[command(flatten)]
    pub rootless: Rootless,
    /// Container root is not host root: a user namespace (ids 0-65535 inside are host ids
    /// 0x60000000-) and the rootfs mounted idmapped.
    #[arg(long)]
    pub userns: bool,
    /// The program and its arguments (default: an interactive /bin/sh -i); `--` before it is
    /// optional.
    #[arg(
        value_name = "CMD",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub cmd: Vec<OsString>,
}

#[derive(Args)]
#[cfg_attr(test, derive(Debug))]
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
    /// New network namespace; --net=NETNS JOINS that one (a name in /run/netns or a path),
    /// unlike unshare's --net=FILE, which creates one and binds it on FILE.
    ///
    /// `unshare --net=FILE` creates a new network namespace and bind-mounts it onto FILE; run
    /// twice, or on a file from `ip netns add`, it stacks a second namespace over the first.
    /// nsrun's --net=NETNS never creates: it joins the namespace NETNS holds, as `nsenter
    /// --net=FILE` and `ip netns exec` do. To create a namespace and keep it on a file, use
    /// --net-persist PATH (refused if PATH already holds one).
    #[arg(short = 'n', long, value_name = "NETNS", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub net: Option<String>,
    /// Create a new network namespace and persist it at PATH (what unshare's --net=FILE does;
    /// refused if PATH already holds a namespace).
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
    /// Every capability, no seccomp filter, /proc and /sys unmasked (no default isolation).
    #[arg(long)]
    pub privileged: bool,
    #[command(flatten)]
    pub rootless: Rootless,
    /// Working directory of the program (inside the root, with --root).
    #[arg(short = 'w', long, value_name = "DIR")]
    pub wd: Option<PathBuf>,
    /// Mount propagation of the new mount namespace: slave (default) or private.
    ///
    /// slave: mounts made on the host later appear inside, mounts made inside never reach
    /// the host. private: neither way. unshare's `shared` and `unchanged` are refused: they
    /// would let a mount made inside appear on the host.
    #[arg(long, value_name = "MODE", value_parser = ["slave", "private"])]
    pub propagation: Option<String>,
    /// Accepted for unshare: the launched tree is always killed (SIGKILL) when nsrun dies.
    ///
    /// nsrun's init is tied to nsrun (parent-death signal backed by a pidfd check), so this
    /// is the default and cannot be turned off; a SIGNAL other than KILL is refused.
    #[arg(long, value_name = "SIGNAL", num_args = 0..=1, require_equals = true, default_missing_value = "KILL")]
    pub kill_child: Option<String>,
    /// Run the program as this uid (inside the new user namespace, if any).
    #[arg(short = 'S', long, value_name = "UID")]
    pub setuid: Option<u32>,
    /// Run the program as this gid (inside the new user namespace, if any).
    #[arg(short = 'G', long, value_name = "GID")]
    pub setgid: Option<u32>,
    /// The program and its arguments; `--` before it is optional.
    #[arg(
        value_name = "CMD",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub cmd: Vec<OsString>,
}

#[derive(Args)]
#[cfg_attr(test, derive(Debug))]
pub struct ExecArgs {
    /// Host pid of the launch's init (`Process.pid`), or of the process that launched it
    /// (e.g. `$!` after `nsrun boot … &`) when that process has one running launch.
    #[arg(short = 't', long)]
    pub target: i32,
    /// Working directory inside (default: the launch's).
    #[arg(short = 'w', long)]
    pub cwd: Option<PathBuf>,
    /// The environment, as NAME=VALUE (repeatable); replaces the launch's, which is the
    /// default.
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// The command and its arguments (looked up in the launch's PATH); `--` before it is
    /// optional.
    #[arg(
        value_name = "CMD",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub cmd: Vec<OsString>,
}

#[derive(Args)]
#[cfg_attr(test, derive(Debug))]
pub struct EnterArgs {
    /// The process whose namespaces to enter.
    #[arg(short = 't', long)]
    pub target: Option<i32>,
    /// All namespaces of the target.
    #[arg(short = 'a', long, requires = "target")]
    pub all: bool,
    /// Enter the target's mount namespace, or the one at --mount=PATH.
    #[arg(short = 'm', long, value_name = "PATH", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub mount: Option<String>,
    /// Enter the target's UTS namespace, or the one at --uts=PATH.
    #[arg(short = 'u', long, value_name = "PATH", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub uts: Option<String>,
    /// Enter the target's IPC namespace, or the one at --ipc=PATH.
    #[arg(short = 'i', long, value_name = "PATH", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub ipc: Option<String>,
    /// Enter the target's network namespace, or --net=NETNS (a name in /run/netns or a path).
    #[arg(short = 'n', long, value_name = "NETNS", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub net: Option<String>,
    /// Enter the target's PID namespace, or the one at --pid=PATH.
    #[arg(short = 'p', long, value_name = "PATH", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub pid: Option<String>,
    /// Enter the target's user namespace, or the one at --user=PATH.
    #[arg(short = 'U', long, value_name = "PATH", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub user: Option<String>,
    /// Enter the target's cgroup namespace, or the one at --cgroup=PATH.
    #[arg(short = 'C', long, value_name = "PATH", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub cgroup: Option<String>,
    /// Enter the target's time namespace, or the one at --time=PATH.
    #[arg(short = 'T', long, value_name = "PATH", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub time: Option<String>,
    /// Working directory: the target's (-w) or DIR (--wd=DIR), looked up after entering.
    #[arg(short = 'w', long, value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub wd: Option<String>,
    /// Not supported: entering the mount namespace (-m) already gives its root.
    ///
    /// nsenter -r chroots into the target's root directory. Joining a mount namespace already
    /// sets the root to that namespace's root, which is a container's root when it was
    /// started with pivot_root (as nsrun starts them); nsrun changes the root only by
    /// pivot_root in a new mount namespace (`nsrun run --root DIR`). Given, it is refused.
    #[arg(short = 'r', long, value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub root: Option<String>,
    /// Run the program as this uid.
    #[arg(short = 'S', long, value_name = "UID")]
    pub setuid: Option<u32>,
    /// Run the program as this gid.
    #[arg(short = 'G', long, value_name = "GID")]
    pub setgid: Option<u32>,
    /// The program and its arguments; `--` before it is optional.
    #[arg(
        value_name = "CMD",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
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
    Add {
        /// The name (one path component).
        name: String,
    },
    /// Delete /run/netns/NAME (every mount stacked on it, then the file).
    #[command(alias = "delete")]
    Del {
        /// The name.
        name: String,
    },
    /// List named network namespaces.
    #[command(alias = "list")]
    Ls {
        /// JSON output (a list of names).
        #[arg(short = 'J', long)]
        json: bool,
    },
    /// Run CMD in a network namespace, as `ip netns exec` does: a fresh /sys, and each file of
    /// /etc/netns/NAME bound over its /etc counterpart.
    Exec {
        /// A name in /run/netns, or a path.
        #[arg(value_name = "NETNS")]
        name: String,
        /// The program and its arguments; `--` before it is optional.
        #[arg(
            value_name = "CMD",
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
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
        /// JSON output.
        #[arg(short = 'J', long)]
        json: bool,
    },
    /// Move interface NAME into namespace TARGET.
    Move {
        /// The interface.
        name: String,
        /// The namespace to move it to: a name in /run/netns or a path.
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
        /// This end's name.
        name: String,
        /// The other end's name.
        peer: String,
        /// Where NAME is created: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
        /// Where PEER is created: a name in /run/netns or a path (default: --ns).
        #[arg(long)]
        peer_ns: Option<String>,
    },
    /// Set NAME up.
    Up {
        /// The interface.
        name: String,
        /// Network namespace: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
    },
    /// Set NAME down.
    Down {
        /// The interface.
        name: String,
        /// Network namespace: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
    },
    /// Set the MTU of NAME.
    Mtu {
        /// The interface.
        name: String,
        /// The MTU in bytes.
        mtu: u32,
        /// Network namespace: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
    },
    /// Add (or --del) an address: `nsrun link addr eth1 198.18.0.1/24`.
    Addr {
        /// The interface.
        name: String,
        /// The address with its prefix length: 198.18.0.1/24, 2001:db8::1/64.
        cidr: String,
        /// Delete the address instead of adding it.
        #[arg(long)]
        del: bool,
        /// Network namespace: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
    },
    /// Add a route: DST is "default" or a CIDR.
    Route {
        /// "default" or a CIDR: 198.18.0.0/24.
        dst: String,
        /// The gateway address.
        #[arg(long)]
        via: Option<String>,
        /// The outgoing interface.
        #[arg(long)]
        dev: Option<String>,
        /// Network namespace: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
    },
    /// Delete interface NAME.
    #[command(alias = "delete")]
    Del {
        /// The interface.
        name: String,
        /// Network namespace: a name in /run/netns or a path (default: this one).
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

/// Rootless or not (default: rootless exactly when you are not root).
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct Rootless {
    /// Run in a user namespace of your own where you are root (the default when you are not
    /// root): with `newuidmap` and /etc/subuid entries, ids 1.. inside are your subordinate
    /// range; without, only root is mapped.
    #[arg(long, conflicts_with = "no_rootless")]
    pub rootless: bool,
    /// Never add a user namespace (fails without CAP_SYS_ADMIN).
    #[arg(long)]
    pub no_rootless: bool,
}

impl Rootless {
    /// What to pass to core's `Launch::rootless` (None: core decides).
    pub fn choice(self) -> Option<bool> {
        match (self.rootless, self.no_rootless) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short tree of a launch command parses exactly as the whole tree does, and leaves
    /// errors and help to the whole tree.
    #[test]
    fn launch_commands_parse_alike_in_the_short_tree() {
        let cases: &[&[&str]] = &[
            &[
                "run",
                "--mount",
                "--uts",
                "--ipc",
                "--net",
                "--pid",
                "--mount-proc",
                "--root",
                "/r",
                "--",
                "/bin/true",
            ],
            &["run", "-mpf", "--net=lab", "sh", "-c", "x"],
            &[
                "boot",
                "/r",
                "--hostname",
                "h",
                "--bind",
                "/a:/b:ro",
                "--",
                "ls",
                "-l",
            ],
            &["boot", "/r"],
            &["enter", "-t", "1", "--all", "--", "true"],
            &["exec", "--target", "12", "-e", "A=1", "ls", "-la"],
        ];
        for case in cases {
            let argv: Vec<OsString> = std::iter::once("nsrun")
                .chain(case.iter().copied())
                .map(OsString::from)
                .collect();
            let full = Cli::try_parse_from(&argv).map(|c| c.cmd);
            let short = launch_command(&argv);
            match (full, short) {
                (Ok(Cmd::Run(a)), Some(Cmd::Run(b))) => {
                    assert_eq!(format!("{a:?}"), format!("{b:?}"))
                }
                (Ok(Cmd::Boot(a)), Some(Cmd::Boot(b))) => {
                    assert_eq!(format!("{a:?}"), format!("{b:?}"))
                }
                (Ok(Cmd::Enter(a)), Some(Cmd::Enter(b))) => {
                    assert_eq!(format!("{a:?}"), format!("{b:?}"))
                }
                (Ok(Cmd::Exec(a)), Some(Cmd::Exec(b))) => {
                    assert_eq!(format!("{a:?}"), format!("{b:?}"))
                }
                (Err(e), None) => panic!("{case:?}: {e}"),
                _ => panic!("{case:?}: the short tree parsed differently"),
            }
        }
        for bad in [
            &["run", "--help"][..],
            &["run", "--root"],
            &["exec", "--target", "x", "ls"],
            &["exec", "ls"],
            &["boot"],
        ] {
            let argv: Vec<OsString> = std::iter::once("nsrun")
                .chain(bad.iter().copied())
                .map(OsString::from)
                .collect();
            assert!(launch_command(&argv).is_none(), "{bad:?}");
            assert!(super::parse(argv).is_err(), "{bad:?}");
        }
    }

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

    /// Every argument of every (sub)command has help text, and every command an about line:
    /// `--help` and the man pages never show a bare option.
    #[test]
    fn every_argument_and_command_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", cmd.get_name());
            if cmd.get_about().is_none() && path != " nsrun" {
                missing.push(format!("{path}: command without about"));
            }
            for arg in cmd.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() {
                    missing.push(format!("{path}: {}", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        let mut cmd = command();
        cmd.build();
        walk(&cmd, "", &mut missing);
        assert!(missing.is_empty(), "without help text: {missing:#?}");
        cmd.debug_assert();
    }

    #[test]
    fn commands_need_no_double_dash() {
        let Cmd::Netns(NetnsCmd::Exec { name, cmd }) =
            parse(&["netns", "exec", "lab", "ip", "-br", "link"])
        else {
            panic!()
        };
        assert_eq!(
            (name.as_str(), cmd),
            ("lab", vec!["ip".into(), "-br".into(), "link".into()])
        );
        let Cmd::Run(a) = parse(&["run", "-n", "ip", "-n", "x", "link"]) else {
            panic!()
        };
        assert_eq!(a.net.as_deref(), Some(""));
        assert_eq!(a.cmd, ["ip", "-n", "x", "link"]);
        let Cmd::Enter(a) = parse(&["enter", "-t", "1", "-a", "sh", "-c", "x"]) else {
            panic!()
        };
        assert_eq!(a.cmd, ["sh", "-c", "x"]);
        let Cmd::Boot(a) = parse(&["boot", "/r", "--hostname", "h", "/bin/sh", "-c", "x"]) else {
            panic!()
        };
        assert_eq!((a.hostname.as_deref(), a.cmd.len()), (Some("h"), 3));
        let Cmd::Run(a) = parse(&["run", "--", "--weird"]) else {
            panic!()
        };
        assert_eq!(a.cmd, ["--weird"], "-- still works");
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
