//! `nsrun`: the command-line face of the nsrun core. Parsing and printing only.
//!
//! Exit status: the program's own status (128+signal if it was killed); 125 when nsrun itself
//! fails; 126 when the program cannot be run; 127 when it is not found (as shells and container
//! tools do).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use nsrun::{Error, ExitStatus, Kind, Launch, Namespace, NsMode, Stage};

const FAILED: u8 = 125;

#[derive(Parser)]
#[command(
    name = "nsrun",
    version,
    about = "Linux namespaces done right: boot a rootfs, unshare, nsenter, lsns, ip netns"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
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
}

#[derive(Args)]
struct BootArgs {
    /// The rootfs directory.
    rootfs: PathBuf,
    /// Join the network namespace /run/netns/NAME (made by `ip netns add` or `nsrun netns add`).
    #[arg(long, value_name = "NAME", conflicts_with = "net_new")]
    net: Option<String>,
    /// Create a network namespace and persist it as /run/netns/NAME (refused if NAME exists).
    #[arg(long, value_name = "NAME")]
    net_new: Option<String>,
    /// Hostname inside (the boot script may set its own).
    #[arg(long)]
    hostname: Option<String>,
    /// Boot command, run with /bin/sh -c (default: /etc/rcS S boot, if /etc/rcS exists).
    #[arg(long, value_name = "CMD")]
    boot: Option<String>,
    /// Shutdown command, run with /bin/sh -c (default: /etc/rcS K shutdown, if it exists).
    #[arg(long, value_name = "CMD")]
    shutdown: Option<String>,
    /// Bind-mount a host path: SRC:DST or SRC:DST:ro. Repeatable.
    #[arg(long, value_name = "SRC:DST[:ro]")]
    bind: Vec<String>,
    /// Seconds `stop` waits for the shutdown command and SIGTERM before SIGKILL.
    #[arg(long, default_value_t = 10.0)]
    grace: f64,
    /// The program (default: an interactive /bin/sh -i).
    #[arg(last = true)]
    cmd: Vec<OsString>,
}

#[derive(Args)]
struct RunArgs {
    /// New mount namespace.
    #[arg(short = 'm', long)]
    mount: bool,
    /// New UTS namespace.
    #[arg(short = 'u', long)]
    uts: bool,
    /// New IPC namespace.
    #[arg(short = 'i', long)]
    ipc: bool,
    /// New network namespace, or join the one at PATH (--net=PATH).
    #[arg(short = 'n', long, value_name = "PATH", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    net: Option<String>,
    /// Create a new network namespace and persist it at PATH.
    #[arg(long, value_name = "PATH", conflicts_with = "net")]
    net_persist: Option<PathBuf>,
    /// New PID namespace (the program runs under nsrun's init, which is PID 1).
    #[arg(short = 'p', long)]
    pid: bool,
    /// New user namespace.
    #[arg(short = 'U', long)]
    user: bool,
    /// New cgroup namespace.
    #[arg(short = 'C', long)]
    cgroup: bool,
    /// New time namespace.
    #[arg(short = 'T', long)]
    time: bool,
    /// Run in this root directory (implies --mount).
    #[arg(short = 'R', long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Mount a fresh /proc (implies --mount and --pid).
    #[arg(long)]
    mount_proc: bool,
    /// New user namespace where your uid and gid are root (implies --user).
    #[arg(short = 'r', long)]
    map_root_user: bool,
    #[arg(last = true, required = true)]
    cmd: Vec<OsString>,
}

#[derive(Args)]
struct EnterArgs {
    /// The process whose namespaces to enter.
    #[arg(short = 't', long)]
    target: Option<i32>,
    /// All namespaces of the target.
    #[arg(short = 'a', long, requires = "target")]
    all: bool,
    #[arg(short = 'm', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    mount: Option<String>,
    #[arg(short = 'u', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    uts: Option<String>,
    #[arg(short = 'i', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    ipc: Option<String>,
    #[arg(short = 'n', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    net: Option<String>,
    #[arg(short = 'p', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pid: Option<String>,
    #[arg(short = 'U', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    user: Option<String>,
    #[arg(short = 'C', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    cgroup: Option<String>,
    #[arg(short = 'T', long, num_args = 0..=1, require_equals = true, default_missing_value = "")]
    time: Option<String>,
    #[arg(last = true, required = true)]
    cmd: Vec<OsString>,
}

#[derive(Args)]
struct LsArgs {
    /// Only this kind (mnt uts ipc net pid user cgroup time).
    #[arg(short = 't', long = "type", value_name = "KIND")]
    kind: Option<String>,
    /// JSON output.
    #[arg(short = 'J', long)]
    json: bool,
}

#[derive(Subcommand)]
enum NetnsCmd {
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
enum LinkCmd {
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
}

/// A failure with the exit status it maps to.
struct Failure {
    message: String,
    code: u8,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::Launch {
                stage: Stage::Exec,
                errno,
                ..
            } if *errno == nsrun::Errno::ENOENT => 127,
            Error::Launch {
                stage: Stage::Exec, ..
            } => 126,
            _ => FAILED,
        };
        Failure {
            message: e.to_string(),
            code,
        }
    }
}

fn fail(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: FAILED,
    }
}

type Res<T> = Result<T, Failure>;

/// The signals nsrun turns into actions while a program runs (see `supervise`). Blocked from
/// the start, so one that arrives while the program is being set up is acted on, not fatal.
fn supervised_signals() -> libc::sigset_t {
    // SAFETY: building a signal set in a stack value.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGTERM, libc::SIGHUP, libc::SIGINT, libc::SIGQUIT] {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let set = supervised_signals();
    // SAFETY: blocking signals for this (the only) thread; launched programs start with every
    // signal unblocked and at its default (nsrun's launch resets them).
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    match dispatch(cli.cmd) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("nsrun: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn dispatch(cmd: Cmd) -> Res<u8> {
    match cmd {
        Cmd::Boot(a) => boot(a),
        Cmd::Run(a) => run(a),
        Cmd::Enter(a) => enter(a),
        Cmd::Ls(a) => ls(a),
        Cmd::Netns(c) => netns(c),
        Cmd::Same { a, b } => same(&a, &b),
        Cmd::Link(c) => link(c),
    }
}

fn is_tty() -> bool {
    // SAFETY: isatty only queries descriptor 0.
    unsafe { libc::isatty(0) == 1 }
}

fn status_code(s: ExitStatus) -> u8 {
    match s {
        ExitStatus::Exited(c) => c as u8,
        ExitStatus::Signaled(sig) => (128 + sig) as u8,
    }
}

/// Waits for the program; SIGTERM or SIGHUP to nsrun stops it properly (shutdown command,
/// SIGTERM, SIGKILL after `grace`); SIGINT and SIGQUIT are passed on.
fn supervise(mut child: nsrun::Child, grace: Duration) -> Res<u8> {
    let set = supervised_signals(); // blocked since main()
    loop {
        if let Some(s) = child.wait(Some(Duration::from_millis(50)))? {
            return Ok(status_code(s));
        }
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: sigtimedwait with a stack set and timeout; no siginfo wanted.
        let sig = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) };
        match sig {
            libc::SIGTERM | libc::SIGHUP => return Ok(status_code(child.stop(grace)?)),
            libc::SIGINT | libc::SIGQUIT => child.send_signal(sig)?,
            _ => {}
        }
    }
}

fn sh(cmd: &str) -> Vec<String> {
    vec!["/bin/sh".into(), "-c".into(), cmd.into()]
}

fn boot(a: BootArgs) -> Res<u8> {
    // On a terminal the program gets its foreground, so ^C reaches the job inside.
    let interactive = is_tty();
    let argv: Vec<OsString> = if a.cmd.is_empty() {
        vec!["/bin/sh".into(), "-i".into()]
    } else {
        a.cmd.clone()
    };
    let mut l = Launch::new(argv);
    l.rootfs(&a.rootfs).interactive(interactive);
    let has_rcs = a.rootfs.join("etc/rcS").exists();
    match (&a.boot, has_rcs) {
        (Some(c), _) => {
            l.boot(sh(c));
        }
        (None, true) => {
            l.boot(["/etc/rcS", "S", "boot"]);
        }
        (None, false) => {}
    }
    match (&a.shutdown, has_rcs) {
        (Some(c), _) => {
            l.shutdown(sh(c));
        }
        (None, true) => {
            l.shutdown(["/etc/rcS", "K", "shutdown"]);
        }
        (None, false) => {}
    }
    if let Some(h) = &a.hostname {
        l.hostname(h);
    }
    for b in &a.bind {
        let parts: Vec<&str> = b.split(':').collect();
        let (src, dst, ro) = match parts.as_slice() {
            [s, d] => (*s, *d, false),
            [s, d, "ro"] => (*s, *d, true),
            [s, d, "rw"] => (*s, *d, false),
            _ => {
                return Err(fail(format!(
                    "--bind {b:?}: expected SRC:DST or SRC:DST:ro"
                )))
            }
        };
        l.bind(src, dst, ro);
    }
    let mut created: Option<String> = None;
    if let Some(name) = &a.net {
        l.namespace(Kind::Net, NsMode::Join(nsrun::netns::open(name)?));
    } else if let Some(name) = &a.net_new {
        let path = nsrun::netns::path(name)?;
        if path.exists() {
            return Err(fail(format!(
                "--net-new {name}: /run/netns/{name} already exists; use --net {name} to join it"
            )));
        }
        l.namespace(Kind::Net, NsMode::Join(nsrun::netns::add(name)?));
        created = Some(name.clone());
    }
    let result = l
        .spawn()
        .map_err(Failure::from)
        .and_then(|child| supervise(child, Duration::from_secs_f64(a.grace)));
    if result.is_err() {
        // A netns made for this boot does not outlive a boot that failed to start.
        if let Some(name) = created {
            let _ = nsrun::netns::delete(&name);
        }
    }
    result
}

fn run(a: RunArgs) -> Res<u8> {
    let mut l = Launch::new(a.cmd.clone());
    for k in Kind::ALL {
        l.namespace(k, NsMode::Inherit);
    }
    let new = |l: &mut Launch, k| {
        l.namespace(k, NsMode::New);
    };
    if a.mount || a.root.is_some() || a.mount_proc {
        new(&mut l, Kind::Mnt);
    }
    if a.pid || a.mount_proc {
        new(&mut l, Kind::Pid);
    }
    if a.uts {
        new(&mut l, Kind::Uts);
    }
    if a.ipc {
        new(&mut l, Kind::Ipc);
    }
    if a.cgroup {
        new(&mut l, Kind::Cgroup);
    }
    if a.time {
        new(&mut l, Kind::Time);
    }
    if a.user {
        new(&mut l, Kind::User);
    }
    if a.map_root_user {
        l.map_root_user();
    }
    match a.net.as_deref() {
        Some("") => new(&mut l, Kind::Net),
        Some(path) => {
            l.namespace(
                Kind::Net,
                NsMode::Join(Namespace::open(path, Some(Kind::Net))?),
            );
        }
        None => {}
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
    match l.spawn() {
        Ok(child) => supervise(child, Duration::from_secs(10)),
        Err(e) => {
            if let Some(p) = &a.net_persist {
                let _ = nsrun::unpersist(p);
            }
            Err(e.into())
        }
    }
}

/// "PID:KIND" or a path.
fn ns_spec(spec: &str) -> Res<Namespace> {
    if let Some((pid, kind)) = spec.split_once(':') {
        if let (Ok(pid), Ok(kind)) = (pid.parse::<i32>(), kind.parse::<Kind>()) {
            return Ok(Namespace::of_pid(pid, kind)?);
        }
    }
    Ok(Namespace::open(spec, None)?)
}

/// A network namespace argument: a name in /run/netns, or a path.
fn net_arg(spec: &Option<String>) -> Res<Option<Namespace>> {
    match spec {
        None => Ok(None),
        Some(s) if !s.contains('/') => Ok(Some(nsrun::netns::open(s)?)),
        Some(s) => Ok(Some(Namespace::open(s, Some(Kind::Net))?)),
    }
}

fn enter(a: EnterArgs) -> Res<u8> {
    let mut l = Launch::new(a.cmd.clone());
    for k in Kind::ALL {
        l.namespace(k, NsMode::Inherit);
    }
    let given = [
        (Kind::User, &a.user),
        (Kind::Mnt, &a.mount),
        (Kind::Uts, &a.uts),
        (Kind::Ipc, &a.ipc),
        (Kind::Net, &a.net),
        (Kind::Pid, &a.pid),
        (Kind::Cgroup, &a.cgroup),
        (Kind::Time, &a.time),
    ];
    let mut any = false;
    for (kind, opt) in given {
        let ns = match (opt.as_deref(), a.target) {
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

fn ls(a: LsArgs) -> Res<u8> {
    let kind = a
        .kind
        .as_deref()
        .map(str::parse::<Kind>)
        .transpose()
        .map_err(|e| fail(e.to_string()))?;
    let list = nsrun::list_namespaces(kind)?;
    if a.json {
        let rows: Vec<serde_json::Value> = list
            .iter()
            .map(|i| {
                serde_json::json!({
                    "ns": i.id.ino,
                    "dev": i.id.dev,
                    "type": i.kind.name(),
                    "nprocs": i.pids.len(),
                    "pids": i.pids,
                    "paths": i.paths.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "namespaces": rows }))
                .unwrap_or_default()
        );
        return Ok(0);
    }
    println!(
        "{:>12} {:<6} {:>6} {:>7}  PATH",
        "NS", "TYPE", "NPROCS", "PID"
    );
    for i in list {
        let pid = i
            .pids
            .first()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "-".into());
        let paths: Vec<String> = i.paths.iter().map(|p| p.display().to_string()).collect();
        println!(
            "{:>12} {:<6} {:>6} {:>7}  {}",
            i.id.ino,
            i.kind,
            i.pids.len(),
            pid,
            paths.join(",")
        );
    }
    Ok(0)
}

fn netns(c: NetnsCmd) -> Res<u8> {
    match c {
        NetnsCmd::Add { name } => {
            nsrun::netns::add(&name)?;
        }
        NetnsCmd::Del { name } => nsrun::netns::delete(&name)?,
        NetnsCmd::Ls { json } => {
            let names = nsrun::netns::list()?;
            if json {
                println!("{}", serde_json::json!(names));
            } else {
                for n in names {
                    println!("{n}");
                }
            }
        }
        NetnsCmd::Exec { name, cmd } => {
            let mut l = Launch::new(cmd);
            for k in Kind::ALL {
                l.namespace(k, NsMode::Inherit);
            }
            // A new mount namespace for a fresh /sys of this netns, as ip netns exec does.
            l.namespace(Kind::Mnt, NsMode::New)
                .namespace(Kind::Net, NsMode::Join(nsrun::netns::open(&name)?));
            return supervise(l.spawn()?, Duration::from_secs(10));
        }
    }
    Ok(0)
}

fn same(a: &str, b: &str) -> Res<u8> {
    Ok(if ns_spec(a)? == ns_spec(b)? { 0 } else { 1 })
}

fn link(c: LinkCmd) -> Res<u8> {
    use nsrun::link as l;
    match c {
        LinkCmd::Ls { ns, json } => {
            let list = l::list(net_arg(&ns)?.as_ref())?;
            if json {
                let rows: Vec<serde_json::Value> = list
                    .iter()
                    .map(|i| {
                        serde_json::json!({"name": i.name, "index": i.index, "kind": i.kind, "mac": i.mac,
                                           "mtu": i.mtu, "up": i.up, "addresses": i.addresses})
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).unwrap_or_default()
                );
            } else {
                for i in list {
                    println!(
                        "{:>3}: {:<16} {:<5} mtu {:<6} {:<8} {} {}",
                        i.index,
                        i.name,
                        if i.up { "UP" } else { "DOWN" },
                        i.mtu,
                        i.kind.as_deref().unwrap_or("-"),
                        i.mac.as_deref().unwrap_or("-"),
                        i.addresses.join(" ")
                    );
                }
            }
        }
        LinkCmd::Move {
            name,
            target,
            new_name,
            from,
        } => {
            let target = net_arg(&Some(target))?.expect("given");
            l::move_to(
                net_arg(&from)?.as_ref(),
                &name,
                &target,
                new_name.as_deref(),
            )?
        }
        LinkCmd::Veth {
            name,
            peer,
            ns,
            peer_ns,
        } => l::veth(
            &name,
            &peer,
            net_arg(&ns)?.as_ref(),
            net_arg(&peer_ns)?.as_ref(),
        )?,
        LinkCmd::Up { name, ns } => l::set_up(net_arg(&ns)?.as_ref(), &name)?,
        LinkCmd::Down { name, ns } => l::set_down(net_arg(&ns)?.as_ref(), &name)?,
        LinkCmd::Mtu { name, mtu, ns } => l::set_mtu(net_arg(&ns)?.as_ref(), &name, mtu)?,
        LinkCmd::Addr {
            name,
            cidr,
            del,
            ns,
        } => {
            let ns = net_arg(&ns)?;
            if del {
                l::del_address(ns.as_ref(), &name, &cidr)?
            } else {
                l::add_address(ns.as_ref(), &name, &cidr)?
            }
        }
        LinkCmd::Route { dst, via, dev, ns } => {
            l::add_route(net_arg(&ns)?.as_ref(), &dst, via.as_deref(), dev.as_deref())?
        }
        LinkCmd::Del { name, ns } => l::delete(net_arg(&ns)?.as_ref(), &name)?,
    }
    Ok(0)
}
