//! The lab model, as read from a topology file (TOML), from JSON (what the Python binding
//! sends for a dict) or built in code, and its validation into a [`Plan`] that bring-up can
//! follow without any further check.
//!
//! ```toml
//! name = "chain"                     # optional; `nsrun lab up --name` overrides it
//!
//! [nodes.r1]
//! private = ["/etc/frr", "/run/frr"] # host filesystem, these directories empty per node
//! files = { "/etc/frr/frr.conf" = "r1/frr.conf" }   # seeded (paths relative to this file)
//! boot = ["/usr/lib/frr/frrinit.sh", "start"]
//! shutdown = ["/usr/lib/frr/frrinit.sh", "stop"]
//! sysctls = { "net.ipv4.ip_forward" = 1 }
//! env = { LANG = "C" }
//! interfaces = { eth1 = ["198.18.1.1/24", "fd00:1::1/64"] }
//! routes = [{ to = "198.18.2.0/24", via = "198.18.1.2" }]
//!
//! [nodes.r2]
//! rootfs = "rootfs"                  # a directory; relative to this file
//!
//! links = [["r1:eth1", "r2:eth1"]]   # or [[links]] endpoints = [...], mtu = 9000
//!
//! [lans.lan0]                        # a bridge in a namespace the lab owns
//! members = ["r1:eth2", "r2:eth2"]
//! ```

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::LabError;
use crate::link::{parse_cidr, validate_name};

/// A whole lab, as declared.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// The lab's name (default: chosen by the caller).
    #[serde(default)]
    pub name: Option<String>,
    /// The nodes, by name.
    #[serde(default)]
    pub nodes: BTreeMap<String, NodeSpec>,
    /// Point-to-point links.
    #[serde(default)]
    pub links: Vec<LinkSpec>,
    /// LANs, by name.
    #[serde(default)]
    pub lans: BTreeMap<String, LanSpec>,
    /// Directory that relative paths (rootfs, seed files) are resolved against: the topology
    /// file's directory, or the current directory.
    #[serde(skip)]
    pub base: Option<PathBuf>,
    /// The file it was read from (named in validation errors).
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

/// One node: a set of new namespaces (net, mnt, pid, uts, ipc) with its own hostname.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// A root directory; absent: the host's filesystem.
    #[serde(default)]
    pub rootfs: Option<PathBuf>,
    /// Directories given to the node empty (a tmpfs each, seen by this node only).
    #[serde(default)]
    pub private: Vec<PrivateDir>,
    /// Files copied into private directories before boot: target inside -> source on the host.
    #[serde(default)]
    pub files: BTreeMap<PathBuf, PathBuf>,
    /// Command run inside before the node is up (e.g. `/etc/rcS S boot`).
    #[serde(default)]
    pub boot: Option<Vec<String>>,
    /// Command run inside when the node goes down.
    #[serde(default)]
    pub shutdown: Option<Vec<String>>,
    /// Per network namespace sysctls (`net.*`), set before boot.
    #[serde(default)]
    pub sysctls: BTreeMap<String, Scalar>,
    /// Environment of boot, shutdown and every command run in the node.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Addresses of the node's interfaces (each interface must be in a link or a LAN).
    #[serde(default)]
    pub interfaces: BTreeMap<String, Vec<String>>,
    /// Static routes of the node.
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
}

/// A private directory: a path, or a table with its owner and mode.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum PrivateDir {
    /// Just the path (an empty tmpfs owned by root, mode 0755).
    Path(PathBuf),
    /// The path with its owner and mode.
    Full {
        /// The directory (it must exist; the tmpfs is mounted inside the node only).
        path: PathBuf,
        /// "user", "user:group", or numeric ids (resolved on the host).
        #[serde(default)]
        owner: Option<String>,
        /// Octal, as a string: "0755".
        #[serde(default)]
        mode: Option<String>,
    },
}

/// A sysctl value: TOML and JSON give integers, strings or booleans.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// An integer.
    Int(i64),
    /// A boolean (written as 1 or 0).
    Bool(bool),
    /// A string, written as is.
    Str(String),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Int(i) => i.to_string(),
            Scalar::Bool(b) => u8::from(*b).to_string(),
            Scalar::Str(s) => s.clone(),
        }
    }
}

/// A point-to-point link: `["r1:eth1", "r2:eth1"]` or `{ endpoints = [...], mtu = N }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum LinkSpec {
    /// `["r1:eth1", "r2:eth1"]`.
    Pair([String; 2]),
    /// `{ endpoints = [...], mtu = N }`.
    Full {
        /// The two ends, `NODE:IFNAME`.
        endpoints: [String; 2],
        /// MTU of both ends.
        #[serde(default)]
        mtu: Option<u32>,
    },
}

/// A LAN: a bridge (in the lab's own namespace) with one veth port per member.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanSpec {
    /// The members, `NODE:IFNAME`.
    pub members: Vec<String>,
    /// MTU of the bridge and its ports.
    #[serde(default)]
    pub mtu: Option<u32>,
}

/// `{ to = "198.18.2.0/24" | "default", via = "198.18.1.2", dev = "eth1" }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// Destination prefix, or `default`.
    pub to: String,
    /// Gateway address.
    #[serde(default)]
    pub via: Option<String>,
    /// Output interface.
    #[serde(default)]
    pub dev: Option<String>,
}

impl Topology {
    /// Validates the topology (as [`super::Lab::up`] does first) without creating anything.
    pub fn check(&self, name: Option<&str>) -> crate::Result<()> {
        self.plan(name).map(|_| ())
    }

    /// Parses a topology file (TOML); relative paths in it are relative to its directory.
    pub fn from_file(path: impl AsRef<Path>) -> crate::Result<Topology> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| LabError::Topology {
            file: Some(path.to_path_buf()),
            message: format!("cannot read it: {e}"),
        })?;
        let mut t = Self::from_toml(&text).map_err(|e| match e {
            crate::Error::Lab(LabError::Topology { message, .. }) => LabError::Topology {
                file: Some(path.to_path_buf()),
                message,
            }
            .into(),
            other => other,
        })?;
        t.file = Some(path.to_path_buf());
        t.base = Some(
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf(),
        );
        Ok(t)
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> crate::Result<Topology> {
        toml::from_str(text).map_err(|e| {
            LabError::Topology {
                file: None,
                message: e.to_string().trim_end().to_owned(),
            }
            .into()
        })
    }

    /// Parses JSON text (the same model; what the Python binding sends for a dict).
    pub fn from_json(text: &str) -> crate::Result<Topology> {
        serde_json::from_str(text).map_err(|e| {
            LabError::Topology {
                file: None,
                message: e.to_string(),
            }
            .into()
        })
    }
}

/// One end of a veth, resolved: node index and interface name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct End {
    pub node: usize,
    pub iface: String,
}

#[derive(Clone, Debug)]
pub(crate) struct PlannedPrivate {
    pub path: PathBuf,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub mode: u32,
}

/// A validated node.
#[derive(Clone, Debug)]
pub(crate) struct PlannedNode {
    pub name: String,
    pub rootfs: Option<PathBuf>,
    pub private: Vec<PlannedPrivate>,
    /// Target inside the node -> absolute source on the host.
    pub files: Vec<(PathBuf, PathBuf)>,
    pub boot: Option<Vec<String>>,
    pub shutdown: Option<Vec<String>>,
    pub sysctls: Vec<(String, String)>,
    pub env: Vec<(String, String)>,
    /// Interface -> addresses (every interface of the node, in declaration order of links).
    pub addresses: Vec<(String, Vec<String>)>,
    pub routes: Vec<RouteSpec>,
}

/// A validated veth pair (a link, or a LAN member: then `b` is None and the port is in the
/// lab's own namespace).
#[derive(Clone, Debug)]
pub(crate) struct PlannedVeth {
    pub a: End,
    /// The other end; None for a LAN port (named `port`, in the lab namespace).
    pub b: Option<End>,
    pub port: Option<(usize, String)>,
    pub mtu: Option<u32>,
}

#[derive(Clone, Debug)]
pub(crate) struct PlannedLan {
    pub bridge: String,
    pub mtu: Option<u32>,
}

/// A topology that passed validation: what bring-up does, in order, with nothing left to check.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub name: String,
    pub nodes: Vec<PlannedNode>,
    pub veths: Vec<PlannedVeth>,
    pub lans: Vec<PlannedLan>,
}

/// A lab or node name: letters, digits, '-', '_', '.', not starting with '.' or '-', at most
/// `max` bytes (it becomes a hostname and a directory name).
pub(crate) fn check_name(what: &str, name: &str, max: usize) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("{what} name is empty"));
    }
    if name.len() > max {
        return Err(format!("{what} name {name:?} is longer than {max} bytes"));
    }
    if name.starts_with(['.', '-'])
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!(
            "{what} name {name:?} may only contain letters, digits, '-', '_' and '.' (not first)"
        ));
    }
    Ok(())
}

fn absolute_inside(what: &str, node: &str, p: &Path) -> Result<PathBuf, String> {
    if !p.is_absolute() {
        return Err(format!(
            "node {node}: {what} {} must be an absolute path inside the node",
            p.display()
        ));
    }
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) => out.push(n),
            _ => {
                return Err(format!(
                    "node {node}: {what} {} must not contain '..'",
                    p.display()
                ))
            }
        }
    }
    if out == Path::new("/") {
        return Err(format!("node {node}: {what} cannot be / itself"));
    }
    Ok(out)
}

fn parse_owner(node: &str, owner: &str) -> Result<(Option<u32>, Option<u32>), String> {
    let (user, group) = match owner.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (owner, None),
    };
    let uid = lookup_id("/etc/passwd", user)
        .ok_or_else(|| format!("node {node}: owner {owner:?}: no user {user:?} on the host"))?;
    let gid =
        match group {
            Some(g) => Some(lookup_id("/etc/group", g).ok_or_else(|| {
                format!("node {node}: owner {owner:?}: no group {g:?} on the host")
            })?),
            None => None,
        };
    Ok((Some(uid), gid))
}

/// A numeric id, or the id of `name` in a passwd/group file.
fn lookup_id(file: &str, name: &str) -> Option<u32> {
    if let Ok(n) = name.parse() {
        return Some(n);
    }
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then(|| f.nth(1)?.parse().ok())?
    })
}

fn endpoint(nodes: &BTreeMap<&str, usize>, context: &str, text: &str) -> Result<End, String> {
    let (node, iface) = text
        .split_once(':')
        .ok_or_else(|| format!("{context}: endpoint {text:?} is not NODE:INTERFACE"))?;
    let &idx = nodes
        .get(node)
        .ok_or_else(|| format!("{context}: unknown node {node:?} in endpoint {text:?}"))?;
    validate_name("lab", iface).map_err(|e| format!("{context}: {e}"))?;
    if iface == "lo" {
        return Err(format!(
            "{context}: {text:?}: lo is the node's loopback device"
        ));
    }
    Ok(End {
        node: idx,
        iface: iface.to_owned(),
    })
}

impl Topology {
    /// Checks everything that can be checked before creating anything, and returns the plan.
    /// `name` overrides the topology's own name.
    pub(crate) fn plan(&self, name: Option<&str>) -> crate::Result<Plan> {
        self.plan_inner(name).map_err(|message| {
            LabError::Topology {
                file: self.file.clone(),
                message,
            }
            .into()
        })
    }

    fn plan_inner(&self, name: Option<&str>) -> Result<Plan, String> {
        let name = name
            .map(str::to_owned)
            .or_else(|| self.name.clone())
            .ok_or("the lab has no name")?;
        check_name("lab", &name, 64)?;
        if self.nodes.is_empty() {
            return Err("the lab has no nodes".into());
        }
        let base = self.base.clone().unwrap_or_else(|| PathBuf::from("."));
        let host_path = |p: &Path| -> PathBuf {
            let joined = if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            };
            std::path::absolute(&joined).unwrap_or(joined)
        };
        let index: BTreeMap<&str, usize> = self
            .nodes
            .keys()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();

        // Interfaces, from links and LANs; each (node, interface) once.
        let mut seen: BTreeMap<(usize, String), String> = BTreeMap::new();
        let mut claim = |end: &End, context: &str| -> Result<(), String> {
            let key = (end.node, end.iface.clone());
            if let Some(first) = seen.get(&key) {
                let node = self.nodes.keys().nth(end.node).expect("indexed");
                return Err(format!(
                    "{context}: duplicate interface {node}:{} (already in {first})",
                    end.iface
                ));
            }
            seen.insert(key, context.to_owned());
            Ok(())
        };
        let mut veths = Vec::new();
        for (i, link) in self.links.iter().enumerate() {
            let (eps, mtu) = match link {
                LinkSpec::Pair(e) => (e, None),
                LinkSpec::Full { endpoints, mtu } => (endpoints, *mtu),
            };
            let context = format!("link {} ({} <-> {})", i + 1, eps[0], eps[1]);
            let a = endpoint(&index, &context, &eps[0])?;
            let b = endpoint(&index, &context, &eps[1])?;
            claim(&a, &context)?;
            claim(&b, &context)?;
            veths.push(PlannedVeth {
                a,
                b: Some(b),
                port: None,
                mtu,
            });
        }
        let mut lans = Vec::new();
        for (li, (lan, spec)) in self.lans.iter().enumerate() {
            let context = format!("lan {lan}");
            validate_name("lab", lan).map_err(|e| format!("{context}: {e}"))?;
            if spec.members.is_empty() {
                return Err(format!("{context}: has no members"));
            }
            for (mi, m) in spec.members.iter().enumerate() {
                let a = endpoint(&index, &context, m)?;
                claim(&a, &context)?;
                veths.push(PlannedVeth {
                    a,
                    b: None,
                    port: Some((li, format!("p{li}.{mi}"))),
                    mtu: spec.mtu,
                });
            }
            lans.push(PlannedLan {
                bridge: lan.clone(),
                mtu: spec.mtu,
            });
        }

        let mut nodes = Vec::new();
        for (ni, (node, spec)) in self.nodes.iter().enumerate() {
            check_name("node", node, 63)?;
            let rootfs = match &spec.rootfs {
                None => None,
                Some(r) => {
                    let p = host_path(r);
                    if !p.is_dir() {
                        return Err(format!(
                            "node {node}: rootfs {} is missing (not a directory)",
                            p.display()
                        ));
                    }
                    Some(p)
                }
            };
            let mut private = Vec::new();
            for d in &spec.private {
                let (path, owner, mode) = match d {
                    PrivateDir::Path(p) => (p, None, None),
                    PrivateDir::Full { path, owner, mode } => {
                        (path, owner.as_deref(), mode.as_deref())
                    }
                };
                let path = absolute_inside("private directory", node, path)?;
                let (uid, gid) = match owner {
                    Some(o) => parse_owner(node, o)?,
                    None => (None, None),
                };
                let mode = match mode {
                    Some(m) => u32::from_str_radix(m.trim_start_matches("0o"), 8)
                        .ok()
                        .filter(|m| *m <= 0o7777)
                        .ok_or_else(|| format!("node {node}: mode {m:?} is not an octal mode"))?,
                    None => 0o755,
                };
                if private.iter().any(|p: &PlannedPrivate| p.path == path) {
                    return Err(format!(
                        "node {node}: private directory {} is listed twice",
                        path.display()
                    ));
                }
                let on_host = match &rootfs {
                    Some(r) => r.join(path.strip_prefix("/").expect("absolute")),
                    None => path.clone(),
                };
                if !on_host.is_dir() {
                    return Err(format!(
                        "node {node}: private directory {} does not exist{} (it is mounted over \
                         an existing directory, never created on a shared filesystem)",
                        path.display(),
                        if rootfs.is_some() {
                            " in the rootfs"
                        } else {
                            " on the host"
                        }
                    ));
                }
                private.push(PlannedPrivate {
                    path,
                    uid,
                    gid,
                    mode,
                });
            }
            let mut files = Vec::new();
            for (target, source) in &spec.files {
                let target = absolute_inside("file", node, target)?;
                if !private
                    .iter()
                    .any(|p| target.starts_with(&p.path) && target != p.path)
                {
                    return Err(format!(
                        "node {node}: file {} is not inside one of the node's private \
                         directories (seeding writes only there, never to a shared filesystem)",
                        target.display()
                    ));
                }
                let source = host_path(source);
                if !source.is_file() {
                    return Err(format!(
                        "node {node}: file {}: source {} is missing (not a file)",
                        target.display(),
                        source.display()
                    ));
                }
                files.push((target, source));
            }
            for (what, cmd) in [("boot", &spec.boot), ("shutdown", &spec.shutdown)] {
                if let Some(c) = cmd {
                    if c.is_empty() || c[0].is_empty() {
                        return Err(format!("node {node}: {what} command is empty"));
                    }
                    if c.iter().any(|a| a.contains('\0')) {
                        return Err(format!("node {node}: {what} command contains a NUL byte"));
                    }
                }
            }
            let mut sysctls = Vec::new();
            for (k, v) in &spec.sysctls {
                let k2 = k.replace('/', ".");
                if !k2.starts_with("net.")
                    || k2.contains("..")
                    || !k2
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                {
                    return Err(format!(
                        "node {node}: sysctl {k:?}: only net.* sysctls belong to a node \
                         (the others are the host's)"
                    ));
                }
                sysctls.push((k2, v.text()));
            }
            for k in spec.env.keys() {
                if k.is_empty() || k.contains(['=', '\0']) {
                    return Err(format!(
                        "node {node}: environment variable name {k:?} is not valid"
                    ));
                }
            }
            let mut ifaces: Vec<(String, Vec<String>)> = seen
                .keys()
                .filter(|(n, _)| *n == ni)
                .map(|(_, i)| (i.clone(), Vec::new()))
                .collect();
            for (iface, addrs) in &spec.interfaces {
                let slot = ifaces.iter_mut().find(|(i, _)| i == iface).ok_or_else(|| {
                    format!("node {node}: interface {iface} has addresses but is in no link or LAN")
                })?;
                for a in addrs {
                    parse_cidr("lab", a).map_err(|_| {
                        format!(
                            "node {node}: interface {iface}: bad address {a:?} (want an address \
                             with a prefix length, like 198.18.0.1/24 or fd00::1/64)"
                        )
                    })?;
                    if slot.1.contains(a) {
                        return Err(format!(
                            "node {node}: interface {iface}: address {a} is listed twice"
                        ));
                    }
                    slot.1.push(a.clone());
                }
            }
            for r in &spec.routes {
                if r.to != "default" {
                    parse_cidr("lab", &r.to).map_err(|_| {
                        format!("node {node}: route to {:?}: not \"default\" or a prefix like 198.18.2.0/24", r.to)
                    })?;
                }
                if let Some(v) = &r.via {
                    v.parse::<std::net::IpAddr>().map_err(|_| {
                        format!("node {node}: route to {}: bad gateway {v:?}", r.to)
                    })?;
                }
                match &r.dev {
                    Some(d) if d != "lo" && !ifaces.iter().any(|(i, _)| i == d) => {
                        return Err(format!(
                            "node {node}: route to {}: no interface {d} on this node",
                            r.to
                        ))
                    }
                    None if r.via.is_none() => {
                        return Err(format!("node {node}: route to {}: needs via or dev", r.to))
                    }
                    _ => {}
                }
            }
            nodes.push(PlannedNode {
                name: node.clone(),
                rootfs,
                private,
                files,
                boot: spec.boot.clone(),
                shutdown: spec.shutdown.clone(),
                sysctls,
                env: spec
                    .env
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                addresses: ifaces,
                routes: spec.routes.clone(),
            });
        }
        Ok(Plan {
            name,
            nodes,
            veths,
            lans,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> Result<Plan, String> {
        Topology::from_toml(text)
            .and_then(|t| t.plan(Some("t")))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_chain_plans() {
        let p = plan(
            r#"
            links = [["r1:eth1", "r2:eth1"], { endpoints = ["r2:eth2", "r3:eth1"], mtu = 1400 }]
            [nodes.r1]
            interfaces = { eth1 = ["198.18.1.1/24"] }
            routes = [{ to = "default", via = "198.18.1.2" }]
            [nodes.r2]
            sysctls = { "net.ipv4.ip_forward" = 1 }
            [nodes.r3]
            [lans.lan0]
            members = ["r1:eth9", "r3:eth9"]
            "#,
        )
        .unwrap();
        assert_eq!(p.nodes.len(), 3);
        assert_eq!(p.veths.len(), 4);
        assert_eq!(p.veths[1].mtu, Some(1400));
        assert_eq!(
            p.nodes[1].sysctls,
            vec![("net.ipv4.ip_forward".into(), "1".into())]
        );
        assert_eq!(p.lans[0].bridge, "lan0");
    }

    #[test]
    fn bad_topologies_are_explained() {
        let cases = [
            (
                r#"links = [["r1:eth1", "r9:eth1"]]
                [nodes.r1]"#,
                "unknown node \"r9\"",
            ),
            (
                r#"links = [["r1:eth1", "r2:eth1"], ["r1:eth1", "r2:eth2"]]
                [nodes.r1]
                [nodes.r2]"#,
                "duplicate interface r1:eth1",
            ),
            (
                r#"links = [["r1:eth1", "r2:eth1"]]
                [nodes.r1]
                interfaces = { eth1 = ["198.18.1.300/24"] }
                [nodes.r2]"#,
                "bad address",
            ),
            (
                r#"[nodes.r1]
                rootfs = "/nonexistent/rootfs""#,
                "rootfs /nonexistent/rootfs is missing",
            ),
            (
                r#"[nodes.r1]
                interfaces = { eth1 = ["198.18.1.1/24"] }"#,
                "in no link or LAN",
            ),
            (
                r#"[nodes.r1]
                sysctls = { "kernel.pid_max" = 1 }"#,
                "only net.*",
            ),
            (
                r#"[nodes.r1]
                private = ["/tmp"]
                files = { "/etc/passwd" = "/etc/hostname" }"#,
                "not inside one of",
            ),
            (
                r#"[nodes.r1]
                private = ["/nonexistent-dir"]"#,
                "does not exist on the host",
            ),
            (r#"[nodes."a b"]"#, "may only contain"),
            (
                r#"[nodes.r1]
                colour = "red""#,
                "unknown field",
            ),
            ("", "no nodes"),
        ];
        for (text, want) in cases {
            let err = plan(text).unwrap_err();
            assert!(err.contains(want), "{text}\n=> {err}\n(wanted {want:?})");
        }
    }
}
