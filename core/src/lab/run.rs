//! Bring-up and teardown of a lab, and running commands in its nodes.
//!
//! Order of [`Lab::up`], each step over every item on a few threads ([`super::parallel`]):
//! 1. a network namespace per node (and one for the LAN bridges), held by handles only;
//! 2. the veth pairs, each created by one request in one end's namespace with its peer placed
//!    directly in the other's (IFLA_NET_NS_FD), then their MTUs;
//! 3. the LAN bridges and their ports, in the lab's own namespace;
//! 4. per node: lo and every interface up, addresses;
//! 5. per node: sysctls, routes (now that every peer is up), the node's PID 1 (new mnt, pid,
//!    uts, ipc namespaces joining its netns; hostname = node name), its private directories
//!    and seed files, then its boot command.
//!
//! If any step fails, everything made so far is dropped (processes killed and reaped,
//! namespaces released), so a failed `up` leaves nothing; the error names the lab, the node
//! and the step.

use std::ffi::OsString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

use nix::errno::Errno;

use super::parallel;
use super::private;
use super::topology::{Plan, PlannedNode, Topology};
use super::LabError;
use crate::error::{Context, Error, Result};
use crate::launch::{Child, ExecChild, ExecCommand, ExitStatus, Launch, NsMode, Stage, Stdio};
use crate::{link, Kind, Namespace};

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// How long a boot command may run before the bring-up fails.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a shutdown command may run before the node is killed anyway.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// One running node.
#[derive(Debug)]
pub struct Node {
    name: String,
    netns: Namespace,
    init: Child,
    /// A memfd: the output of the node's PID 1, boot and shutdown commands and the daemons
    /// they start (and of [`Node::launch_daemon`]).
    output: OwnedFd,
    env: Vec<(String, String)>,
    shutdown: Option<Vec<String>>,
    private: Vec<std::path::PathBuf>,
}

impl Node {
    /// The node's name (also its hostname).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Host pid of the node's PID 1.
    pub fn pid(&self) -> i32 {
        self.init.pid()
    }

    /// The node's namespace of `kind` (its own net, mnt, pid, uts, ipc; the others are the
    /// lab owner's).
    pub fn namespace(&self, kind: Kind) -> Result<Namespace> {
        match kind {
            Kind::Net => self.netns.try_clone(),
            k => Namespace::of_pid(self.init.pid(), k),
        }
    }

    /// The namespaces a command run in the node joins.
    pub fn join_namespaces(&self) -> Result<Vec<(Kind, Namespace)>> {
        [Kind::Net, Kind::Mnt, Kind::Pid, Kind::Uts, Kind::Ipc]
            .into_iter()
            .map(|k| Ok((k, self.namespace(k)?)))
            .collect()
    }

    /// The node's private directories (paths inside the node).
    pub fn private_dirs(&self) -> &[std::path::PathBuf] {
        &self.private
    }

    /// The environment commands in the node get: PATH, HOME, TERM (the caller's), then the
    /// node's own variables.
    pub fn env(&self) -> Vec<(String, String)> {
        self.env.clone()
    }

    /// A command to run in the node (through its init: in every namespace of the node, as a
    /// child of its PID 1), with the node's environment; stdio inherited unless changed.
    pub fn command<I, S>(&self, argv: I) -> ExecCommand
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut c = ExecCommand::new(argv);
        c.env_clear_and_set(self.env.iter().cloned());
        c
    }

    /// Starts `cmd` in the node.
    pub fn exec(&self, cmd: &ExecCommand) -> Result<ExecChild> {
        self.init.exec(cmd)
    }

    /// A command whose stdout and stderr go to the node's captured output, stdin /dev/null
    /// (boot and shutdown commands, daemons).
    pub fn daemon_command<I, S>(&self, argv: I) -> Result<ExecCommand>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut c = self.command(argv);
        c.stdin(Stdio::Null)
            .stdout(Stdio::Fd(self.output_dup()?))
            .stderr(Stdio::Fd(self.output_dup()?));
        Ok(c)
    }

    /// The node's captured output so far (PID 1, boot, shutdown, daemons).
    pub fn output(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = nix::sys::uio::pread(&self.output, &mut buf, out.len() as i64)
                .ctx_nopath("lab: read node output")?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    /// The descriptor of the captured output (a memfd; for bindings that pass it as stdio).
    pub fn output_fd(&self) -> BorrowedFd<'_> {
        self.output.as_fd()
    }

    fn output_dup(&self) -> Result<OwnedFd> {
        self.output.try_clone().ctx_nopath("lab: dup node output")
    }

    /// Runs `argv` in the node with its output captured, waiting at most `timeout`.
    fn run_captured(&self, argv: &[String], timeout: Duration) -> Result<()> {
        let mut child = self.exec(&self.daemon_command(argv)?)?;
        match child.wait(Some(timeout))? {
            Some(s) if s.success() => Ok(()),
            Some(s) => Err(Error::Launch {
                stage: Stage::Boot,
                errno: crate::Errno::from_raw(0),
                status: Some(match s {
                    ExitStatus::Exited(c) => c << 8,
                    ExitStatus::Signaled(sig) => sig,
                }),
                path: Some(argv[0].clone().into()),
            }),
            None => {
                drop(child); // kills and reaps
                Err(Error::sys(
                    "lab: command did not finish in time",
                    &argv[0],
                    Errno::ETIMEDOUT,
                ))
            }
        }
    }
}

/// A running lab. Dropping it tears it down (without shutdown commands); [`Lab::down`] runs
/// them first and reports failures.
#[derive(Debug)]
pub struct Lab {
    name: String,
    nodes: Vec<Node>,
    lan_ns: Option<Namespace>,
    /// Rootless: the agent in the lab's own user namespace (dropped last).
    agent: Option<std::sync::Arc<crate::rootless::agent::Agent>>,
}

fn trace(what: &str, t0: std::time::Instant) {
    if std::env::var_os("NSRUN_LAB_TRACE").is_some() {
        eprintln!("lab: {what}: {:?}", t0.elapsed());
    }
}

pub(super) fn memfd(name: &str) -> Result<OwnedFd> {
    let c = std::ffi::CString::new(format!("nsrun-lab-{name}"))
        .map_err(|_| Error::invalid("lab", "node name", name.to_owned(), "contains a NUL byte"))?;
    // SAFETY: memfd_create(2) with a NUL-terminated name; returns a new descriptor or -1. The
    // raw system call, not glibc's 2.27 wrapper: the manylinux2014 wheel needs nothing newer
    // than glibc 2.17.
    let fd = unsafe { libc::syscall(libc::SYS_memfd_create, c.as_ptr(), libc::MFD_CLOEXEC) };
    let fd = Errno::result(fd as libc::c_int).ctx_nopath("lab: memfd_create")?;
    // SAFETY: just created, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn node_env(spec: &PlannedNode) -> Vec<(String, String)> {
    let mut env = vec![
        ("PATH".to_owned(), DEFAULT_PATH.to_owned()),
        ("HOME".to_owned(), "/root".to_owned()),
    ];
    if let Ok(t) = std::env::var("TERM") {
        env.push(("TERM".into(), t));
    }
    for (k, v) in &spec.env {
        env.retain(|(k2, _)| k2 != k);
        env.push((k.clone(), v.clone()));
    }
    env
}

/// Sets the node's `net.*` sysctls (in its network namespace).
fn set_sysctls(ns: &Namespace, sysctls: &[(String, String)]) -> Result<()> {
    for (k, v) in sysctls {
        crate::sysctl::set(Some(ns), k, v)?;
    }
    Ok(())
}

impl Lab {
    /// Brings the lab up; `name` overrides the topology's name. On failure nothing is left.
    pub fn up(topology: &Topology, name: Option<&str>) -> Result<Lab> {
        let plan = topology.plan(name)?;
        Self::up_plan(&plan)
    }

    fn up_plan(plan: &Plan) -> Result<Lab> {
        let lab = plan.name.as_str();
        let step = |node: Option<&str>, op| LabError::step(lab, node, op);
        let n = plan.nodes.len();

        let t0 = std::time::Instant::now();
        // 0. Rootless: the lab's own user namespace, which owns every namespace below.
        let agent = if crate::rootless::privileged() {
            None
        } else {
            Some(crate::rootless::lab_agent().map_err(step(None, "rootless user namespace"))?)
        };
        // Rootless with only root mapped: a node's owners and daemons that switch users fail;
        // say what would fix it.
        let single = agent.is_some() && crate::rootless::Maps::for_caller().single();
        let single_map_hint = |e: Error| {
            let ids = matches!(e.errno(), crate::Errno::EINVAL | crate::Errno::EPERM);
            if single && ids {
                let text = e.to_string();
                Error::Rootless {
                    op: "lab",
                    reason: format!(
                        "{} ({})",
                        text.strip_prefix("lab: ").unwrap_or(&text),
                        crate::rootless::single_map_hint()
                    ),
                    errno: e.errno(),
                }
            } else {
                e
            }
        };
        let create = || match &agent {
            Some(a) => a
                .new_ns(Kind::Net)
                .map_err(|f| crate::rootless::agent::fail("create namespace (rootless)", f)),
            None => Namespace::create(Kind::Net),
        };
        // 1. Namespaces.
        let netns = parallel::run(n, |i| {
            create().map_err(step(Some(&plan.nodes[i].name), "create network namespace"))
        })
        .map_err(|(e, _)| e)?;
        let lan_ns = if plan.lans.is_empty() {
            None
        } else {
            Some(create().map_err(step(None, "create LAN namespace"))?)
        };

        trace("namespaces", t0);
        // 2. veth pairs, born in their namespaces.
        parallel::run(plan.veths.len(), |i| {
            let v = &plan.veths[i];
            let a_ns = &netns[v.a.node];
            let node = Some(plan.nodes[v.a.node].name.as_str());
            let (peer_name, peer_ns) = match (&v.b, &v.port) {
                (Some(b), _) => (b.iface.as_str(), &netns[b.node]),
                (None, Some((_, port))) => (port.as_str(), lan_ns.as_ref().expect("lans")),
                (None, None) => unreachable!("a veth has a peer or a port"),
            };
            link::veth(&v.a.iface, peer_name, Some(a_ns), Some(peer_ns))
                .map_err(step(node, "create veth"))?;
            if let Some(mtu) = v.mtu {
                link::set_mtu(Some(a_ns), &v.a.iface, mtu).map_err(step(node, "set mtu"))?;
                link::set_mtu(Some(peer_ns), peer_name, mtu).map_err(step(node, "set mtu"))?;
            }
            if v.port.is_some() {
                link::set_up(Some(peer_ns), peer_name).map_err(step(None, "set LAN port up"))?;
            }
            Ok::<_, Error>(())
        })
        .map_err(|(e, _)| e)?;

        trace("veths", t0);
        // 3. LAN bridges, in the lab's own namespace, with their ports.
        if let Some(ns) = &lan_ns {
            for (li, lan) in plan.lans.iter().enumerate() {
                let step = step(None, "create LAN bridge");
                link::bridge(Some(ns), &lan.bridge, lan.mtu, true).map_err(step)?;
                for v in plan
                    .veths
                    .iter()
                    .filter(|v| matches!(&v.port, Some((l, _)) if *l == li))
                {
                    let port = &v.port.as_ref().expect("filtered").1;
                    link::set_master(Some(ns), port, Some(&lan.bridge)).map_err(LabError::step(
                        lab,
                        None,
                        "add LAN port",
                    ))?;
                }
            }
        }
        trace("lans", t0);

        // 4. Interfaces up, addresses.
        parallel::run(n, |i| {
            let spec = &plan.nodes[i];
            let ns = Some(&netns[i]);
            let node = Some(spec.name.as_str());
            link::set_up(ns, "lo").map_err(step(node, "set lo up"))?;
            for (iface, addrs) in &spec.addresses {
                for a in addrs {
                    link::add_address(ns, iface, a).map_err(step(node, "add address"))?;
                }
                link::set_up(ns, iface).map_err(step(node, "set interface up"))?;
            }
            Ok::<_, Error>(())
        })
        .map_err(|(e, _)| e)?;

        trace("addresses", t0);
        // 5. Sysctls, routes, PID 1, private directories, boot.
        let nodes = parallel::run(n, |i| {
            let spec = &plan.nodes[i];
            let ns = &netns[i];
            let node = Some(spec.name.as_str());
            set_sysctls(ns, &spec.sysctls).map_err(step(node, "set sysctls"))?;
            for r in &spec.routes {
                link::add_route(Some(ns), &r.to, r.via.as_deref(), r.dev.as_deref())
                    .map_err(step(node, "add route"))?;
            }
            let output = memfd(&spec.name).map_err(step(node, "capture output"))?;
            let env = node_env(spec);
            // No program: the node's init alone keeps it up (it reaps the daemons the boot
            // command starts and runs exec requests).
            let mut l = Launch::hold();
            l.namespace(Kind::Net, NsMode::Join(ns.try_clone()?))
                .hostname(spec.name.clone())
                .env_clear_and_set(env.iter().cloned())
                .stdin(Stdio::Null)
                .stdout(Stdio::Fd(output.try_clone().ctx_nopath("lab: dup")?))
                .stderr(Stdio::Fd(output.try_clone().ctx_nopath("lab: dup")?));
            if let Some(r) = &spec.rootfs {
                l.rootfs(r);
            }
            let init = l.spawn().map_err(step(node, "start node"))?;
            let node_handle = Node {
                name: spec.name.clone(),
                netns: ns.try_clone()?,
                init,
                output,
                env,
                shutdown: spec.shutdown.clone(),
                private: spec.private.iter().map(|p| p.path.clone()).collect(),
            };
            let mnt = node_handle
                .namespace(Kind::Mnt)
                .map_err(step(node, "open node mount namespace"))?;
            private::prepare(spec, &mnt)
                .map_err(single_map_hint)
                .map_err(step(node, "private directories"))?;
            if let Some(boot) = &spec.boot {
                node_handle
                    .run_captured(boot, BOOT_TIMEOUT)
                    .map_err(single_map_hint)
                    .map_err(step(node, "boot"))?;
            }
            Ok::<_, Error>(node_handle)
        })
        .map_err(|(e, partial)| {
            // Kill every node at once, then reap (each Child's drop would do both in turn).
            for n in partial.iter().flatten() {
                let _ = n.init.kill();
            }
            drop(partial);
            e
        })?;
        trace("nodes", t0);
        Ok(Lab {
            name: plan.name.clone(),
            nodes,
            lan_ns,
            agent,
        })
    }

    /// True when the lab runs rootless, in a user namespace of its own.
    pub fn rootless(&self) -> bool {
        self.agent.is_some()
    }

    /// The lab's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The lab's nodes, in topology order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node called `name`.
    pub fn node(&self, name: &str) -> Result<&Node> {
        self.nodes.iter().find(|n| n.name == name).ok_or_else(|| {
            LabError::NoSuchNode {
                lab: self.name.clone(),
                node: name.to_owned(),
            }
            .into()
        })
    }

    /// The namespace the LAN bridges live in (None without LANs).
    pub fn lan_namespace(&self) -> Option<&Namespace> {
        self.lan_ns.as_ref()
    }

    /// Runs every node's shutdown command (in parallel, each at most 10 s),
    /// then kills every node and waits for it. Everything is gone when it returns, even if
    /// a shutdown command failed (that failure is returned).
    pub fn down(mut self) -> Result<()> {
        self.teardown(true)
    }

    fn teardown(&mut self, shutdown: bool) -> Result<()> {
        let mut first_err = None;
        if shutdown {
            let with: Vec<&Node> = self.nodes.iter().filter(|n| n.shutdown.is_some()).collect();
            if let Err((e, _)) = parallel::run(with.len(), |i| {
                let n = with[i];
                let cmd = n.shutdown.as_ref().expect("filtered");
                n.run_captured(cmd, SHUTDOWN_TIMEOUT)
                    .map_err(LabError::step(&self.name, Some(&n.name), "shutdown"))
            }) {
                first_err = Some(e);
            }
        }
        let t0 = std::time::Instant::now();
        for n in &self.nodes {
            let _ = n.init.kill();
        }
        trace("killed", t0);
        for mut n in self.nodes.drain(..) {
            if let Err(e) = n.init.wait(None) {
                first_err.get_or_insert(e);
            }
        }
        trace("reaped", t0);
        self.lan_ns = None;
        match first_err {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !self.nodes.is_empty() {
            let _ = self.teardown(false);
        }
    }
}

impl AsRawFd for Node {
    /// The pidfd of the node's PID 1.
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.init.pidfd().as_raw_fd()
    }
}
