//! Network interfaces across namespaces, over rtnetlink (rtnetlink(7)) with the rust-netlink
//! crates: list, move (and rename), veth pairs, bridges and their members, VLAN sub-interfaces,
//! up/down, MTU, addresses, routes (list, add, replace, delete), delete.
//!
//! Every operation takes the network namespace to act in (`None`: the calling thread's). The
//! netlink socket is opened inside it (a socket stays bound to the namespace it was made in),
//! so the caller's thread is in its own namespace again before any message is sent: nothing
//! that fails later can leave it elsewhere.

use std::fmt;
use std::net::IpAddr;
use std::os::fd::AsRawFd;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    NLM_F_REPLACE, NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, InfoVlan, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};
use nix::errno::Errno;

use crate::error::{io_errno_nix, Context, Error, Result};
use crate::{Kind, Namespace};

/// One network interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Its name (`eth0`).
    pub name: String,
    /// Its ifindex in its namespace.
    pub index: u32,
    /// "veth", "bridge", … (None for plain devices such as lo or a physical NIC).
    pub kind: Option<String>,
    /// "aa:bb:cc:dd:ee:ff", if the device has one.
    pub mac: Option<String>,
    /// The MTU in bytes.
    pub mtu: u32,
    /// Administratively up (IFF_UP).
    pub up: bool,
    /// Addresses with their prefix length: "198.18.0.1/24", "fd00::1/64".
    pub addresses: Vec<String>,
    /// The bridge (or other master device) this interface is a member of.
    pub master: Option<String>,
}

/// An interface name as the kernel accepts it (dev_valid_name): 1 to IFNAMSIZ-1 = 15 bytes,
/// not "." or "..", no '/', ':' or whitespace.
pub fn validate_name(op: &'static str, name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "is empty"
    } else if name.len() > 15 {
        "is longer than 15 bytes (IFNAMSIZ - 1)"
    } else if name == "." || name == ".." {
        "is not a name"
    } else if name
        .chars()
        .any(|c| c == '/' || c == ':' || c.is_whitespace() || c == '\0')
    {
        "contains '/', ':', a blank or a NUL"
    } else {
        return Ok(());
    };
    Err(Error::invalid(op, "interface name", name, reason))
}

/// "198.18.0.1/24" → (address, prefix length).
pub fn parse_cidr(op: &'static str, text: &str) -> Result<(IpAddr, u8)> {
    let bad = || {
        Error::invalid(
            op,
            "address",
            text,
            "is not an address with a prefix length, like 198.18.0.1/24 or fd00::1/64",
        )
    };
    let (addr, len) = text.split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if len > max {
        return Err(bad());
    }
    Ok((addr, len))
}

fn parse_ip(op: &'static str, text: &str) -> Result<IpAddr> {
    text.parse()
        .map_err(|_| Error::invalid(op, "address", text, "is not an IPv4 or IPv6 address"))
}

/// A blocking NETLINK_ROUTE socket in one network namespace.
struct Rtnl {
    sock: Socket,
    seq: u32,
    /// How errors name the namespace (None: the calling thread's, named when needed).
    netns: Option<String>,
}

impl Rtnl {
    fn open(op: &'static str, ns: Option<&Namespace>) -> Result<Rtnl> {
        if let Some(ns) = ns {
            ns.expect_kind(Kind::Net)?;
        }
        // Rootless: a socket made inside by the agent that holds the namespace's owner.
        let by_agent = ns.and_then(|ns| Some((ns, crate::rootless::agent_for_ns(ns)?)));
        let sock = if let Some((ns, agent)) = by_agent {
            let fd = agent
                .socket_in(ns, libc::AF_NETLINK, libc::SOCK_RAW, NETLINK_ROUTE as i32)
                .map_err(|f| crate::rootless::agent::fail(op, f))?;
            use std::os::fd::IntoRawFd;
            // SAFETY: a netlink socket the agent just made; ownership moves to the Socket.
            Ok(unsafe { <Socket as std::os::fd::FromRawFd>::from_raw_fd(fd.into_raw_fd()) })
        } else {
            let guard = match ns {
                Some(ns) => Some(ns.enter()?),
                None => None,
            };
            let sock = Socket::new(NETLINK_ROUTE);
            if let Some(g) = guard {
                g.leave()?;
            }
            sock
        };
        let mut sock = sock.ctx_nopath(op)?;
        sock.bind_auto().ctx_nopath(op)?;
        sock.connect(&SocketAddr::new(0, 0)).ctx_nopath(op)?;
        Ok(Rtnl {
            sock,
            seq: 0,
            netns: ns.map(|n| crate::netns::label(Some(n))),
        })
    }

    /// The namespace as messages name it (see [`crate::netns`]'s `label`).
    fn netns(&self) -> String {
        self.netns
            .clone()
            .unwrap_or_else(|| crate::netns::label(None))
    }

    fn link_error(&self, op: &'static str, name: &str, errno: Errno) -> Error {
        Error::Link {
            op,
            name: name.to_owned(),
            netns: self.netns(),
            errno: crate::Errno::of(errno),
        }
    }

    fn dump(
        &mut self,
        op: &'static str,
        msg: RouteNetlinkMessage,
    ) -> Result<Vec<RouteNetlinkMessage>> {
        self.request(msg, NLM_F_DUMP)
            .map_err(|e| Error::sys_nopath(op, e))
    }

    /// Sends one request and collects the replies (all parts of a dump), or the kernel's error.
    fn request(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> std::result::Result<Vec<RouteNetlinkMessage>, Errno> {
        self.seq = self.seq.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | flags;
        header.sequence_number = self.seq;
        let mut nl = NetlinkMessage::new(header, NetlinkPayload::from(msg));
        nl.finalize();
        let mut buf = vec![0u8; nl.buffer_len()];
        nl.serialize(&mut buf);
        self.sock.send(&buf, 0).map_err(|e| io_errno_nix(&e))?;

        let dump = flags & NLM_F_DUMP == NLM_F_DUMP;
        let mut out = Vec::new();
        let mut rx = Vec::with_capacity(64 * 1024);
        loop {
            rx.clear();
            self.sock.recv(&mut rx, 0).map_err(|e| io_errno_nix(&e))?;
            let mut offset = 0;
            while offset < rx.len() {
                let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&rx[offset..])
                    .map_err(|_| Errno::EBADMSG)?;
                let len = reply.header.length as usize;
                if reply.header.sequence_number != self.seq {
                    offset += len.max(1);
                    continue;
                }
                match reply.payload {
                    NetlinkPayload::Done(_) => return Ok(out),
                    NetlinkPayload::Error(e) => {
                        return match e.code {
                            None => Ok(out), // ACK
                            Some(code) => Err(Errno::from_raw(-code.get())),
                        };
                    }
                    NetlinkPayload::InnerMessage(m) => {
                        out.push(m);
                        if !dump {
                            return Ok(out);
                        }
                    }
                    _ => {}
                }
                if len == 0 {
                    break;
                }
                offset += len;
            }
        }
    }

    fn link_by_name(&mut self, op: &'static str, name: &str) -> Result<LinkMessage> {
        validate_name(op, name)?;
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
        match self.request(RouteNetlinkMessage::GetLink(msg), 0) {
            Ok(mut v) => match v.pop() {
                Some(RouteNetlinkMessage::NewLink(link)) => Ok(link),
                _ => Err(self.link_error(op, name, Errno::ENODEV)),
            },
            Err(e) => Err(self.link_error(op, name, e)),
        }
    }

    fn ack(
        &mut self,
        op: &'static str,
        name: &str,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<()> {
        self.request(msg, NLM_F_ACK | flags)
            .map(|_| ())
            .map_err(|e| self.link_error(op, name, e))
    }
}

fn link_name(link: &LinkMessage) -> String {
    link.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::IfName(n) => Some(n.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn link_kind(link: &LinkMessage) -> Option<String> {
    link.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
            LinkInfo::Kind(k) => Some(k.to_string()),
            _ => None,
        }),
        _ => None,
    })
}

/// Interfaces of a network namespace, like `ip -d addr show`, sorted by index.
pub fn list(ns: Option<&Namespace>) -> Result<Vec<Interface>> {
    const OP: &str = "list interfaces";
    let mut rtnl = Rtnl::open(OP, ns)?;
    interfaces(OP, &mut rtnl)
}

fn interfaces(op: &'static str, rtnl: &mut Rtnl) -> Result<Vec<Interface>> {
    let links = rtnl.dump(op, RouteNetlinkMessage::GetLink(LinkMessage::default()))?;
    let addrs = rtnl.dump(
        op,
        RouteNetlinkMessage::GetAddress(AddressMessage::default()),
    )?;
    let mut masters: Vec<(u32, u32)> = Vec::new();
    let mut out: Vec<Interface> = links
        .into_iter()
        .filter_map(|m| match m {
            RouteNetlinkMessage::NewLink(l) => Some(l),
            _ => None,
        })
        .map(|l| {
            let mut i = Interface {
                name: link_name(&l),
                index: l.header.index,
                kind: link_kind(&l),
                mac: None,
                mtu: 0,
                up: l.header.flags.contains(LinkFlags::Up),
                addresses: Vec::new(),
                master: None,
            };
            for a in &l.attributes {
                match a {
                    LinkAttribute::Mtu(m) => i.mtu = *m,
                    LinkAttribute::Address(mac) if mac.len() == 6 => {
                        i.mac = Some(
                            mac.iter()
                                .map(|b| format!("{b:02x}"))
                                .collect::<Vec<_>>()
                                .join(":"),
                        )
                    }
                    LinkAttribute::Controller(m) if *m != 0 => masters.push((i.index, *m)),
                    _ => {}
                }
            }
            i
        })
        .collect();
    for (index, master) in masters {
        let name = out
            .iter()
            .find(|i| i.index == master)
            .map(|i| i.name.clone());
        if let Some(i) = out.iter_mut().find(|i| i.index == index) {
            i.master = name;
        }
    }
    for m in addrs {
        let RouteNetlinkMessage::NewAddress(a) = m else {
            continue;
        };
        let addr = a.attributes.iter().find_map(|x| match x {
            AddressAttribute::Local(ip) => Some(*ip),
            _ => None,
        });
        let addr = addr.or_else(|| {
            a.attributes.iter().find_map(|x| match x {
                AddressAttribute::Address(ip) => Some(*ip),
                _ => None,
            })
        });
        if let (Some(ip), Some(iface)) = (addr, out.iter_mut().find(|i| i.index == a.header.index))
        {
            iface
                .addresses
                .push(format!("{ip}/{}", a.header.prefix_len));
        }
    }
    out.sort_by_key(|i| i.index);
    Ok(out)
}

/// Moves interface `name` from namespace `from` (None: the caller's) into `target`, renamed
/// to `new_name` on the way if given (`ip link set NAME netns TARGET name NEW`).
pub fn move_to(
    from: Option<&Namespace>,
    name: &str,
    target: &Namespace,
    new_name: Option<&str>,
) -> Result<()> {
    const OP: &str = "move interface";
    target.expect_kind(Kind::Net)?;
    if let Some(n) = new_name {
        validate_name(OP, n)?;
    }
    let mut rtnl = Rtnl::open(OP, from)?;
    let link = rtnl.link_by_name(OP, name)?;
    if link.header.flags.contains(LinkFlags::Loopback) {
        return Err(Error::invalid(
            OP,
            "interface",
            name,
            "is a loopback device, which cannot leave its namespace",
        ));
    }
    let mut msg = LinkMessage::default();
    msg.header.index = link.header.index;
    msg.attributes
        .push(LinkAttribute::NetNsFd(target.as_raw_fd()));
    if let Some(n) = new_name {
        msg.attributes.push(LinkAttribute::IfName(n.to_owned()));
    }
    rtnl.ack(OP, name, RouteNetlinkMessage::SetLink(msg), 0)
}

/// Creates a veth pair: `name` in `ns`, `peer` in `peer_ns` (each None: the caller's).
pub fn veth(
    name: &str,
    peer: &str,
    ns: Option<&Namespace>,
    peer_ns: Option<&Namespace>,
) -> Result<()> {
    const OP: &str = "create veth";
    validate_name(OP, name)?;
    validate_name(OP, peer)?;
    if let Some(p) = peer_ns {
        p.expect_kind(Kind::Net)?;
    }
    let mut rtnl = Rtnl::open(OP, ns)?;
    let mut peer_msg = LinkMessage::default();
    peer_msg
        .attributes
        .push(LinkAttribute::IfName(peer.to_owned()));
    if let Some(p) = peer_ns {
        peer_msg
            .attributes
            .push(LinkAttribute::NetNsFd(p.as_raw_fd()));
    }
    let mut msg = LinkMessage::default();
    msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
    msg.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Veth),
        LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_msg))),
    ]));
    rtnl.ack(
        OP,
        name,
        RouteNetlinkMessage::NewLink(msg),
        NLM_F_CREATE | NLM_F_EXCL,
    )
}

fn set_link(
    op: &'static str,
    ns: Option<&Namespace>,
    name: &str,
    f: impl FnOnce(&mut LinkMessage),
) -> Result<()> {
    let mut rtnl = Rtnl::open(op, ns)?;
    let link = rtnl.link_by_name(op, name)?;
    let mut msg = LinkMessage::default();
    msg.header.index = link.header.index;
    f(&mut msg);
    rtnl.ack(op, name, RouteNetlinkMessage::SetLink(msg), 0)
}

/// `ip link set NAME up`.
pub fn set_up(ns: Option<&Namespace>, name: &str) -> Result<()> {
    set_link("set interface up", ns, name, |m| {
        m.header.flags = LinkFlags::Up;
        m.header.change_mask = LinkFlags::Up;
    })
}

/// `ip link set NAME down`.
pub fn set_down(ns: Option<&Namespace>, name: &str) -> Result<()> {
    set_link("set interface down", ns, name, |m| {
        m.header.flags = LinkFlags::empty();
        m.header.change_mask = LinkFlags::Up;
    })
}

/// `ip link set NAME mtu MTU`.
pub fn set_mtu(ns: Option<&Namespace>, name: &str, mtu: u32) -> Result<()> {
    set_link("set interface mtu", ns, name, |m| {
        m.attributes.push(LinkAttribute::Mtu(mtu))
    })
}

/// `ip link delete NAME` (a veth takes its peer with it).
pub fn delete(ns: Option<&Namespace>, name: &str) -> Result<()> {
    const OP: &str = "delete interface";
    let mut rtnl = Rtnl::open(OP, ns)?;
    let link = rtnl.link_by_name(OP, name)?;
    let mut msg = LinkMessage::default();
    msg.header.index = link.header.index;
    rtnl.ack(OP, name, RouteNetlinkMessage::DelLink(msg), 0)
}

fn address_msg(index: u32, addr: IpAddr, prefix: u8) -> AddressMessage {
    let mut msg = AddressMessage::default();
    msg.header.family = if addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    msg.header.prefix_len = prefix;
    msg.header.index = index;
    msg.attributes.push(AddressAttribute::Local(addr));
    msg.attributes.push(AddressAttribute::Address(addr));
    msg
}

/// `ip addr add CIDR dev NAME`.
pub fn add_address(ns: Option<&Namespace>, name: &str, cidr: &str) -> Result<()> {
    const OP: &str = "add address";
    let (addr, prefix) = parse_cidr(OP, cidr)?;
    let mut rtnl = Rtnl::open(OP, ns)?;
    let link = rtnl.link_by_name(OP, name)?;
    let msg = address_msg(link.header.index, addr, prefix);
    rtnl.ack(
        OP,
        name,
        RouteNetlinkMessage::NewAddress(msg),
        NLM_F_CREATE | NLM_F_EXCL,
    )
}

/// `ip addr del CIDR dev NAME`.
pub fn del_address(ns: Option<&Namespace>, name: &str, cidr: &str) -> Result<()> {
    const OP: &str = "delete address";
    let (addr, prefix) = parse_cidr(OP, cidr)?;
    let mut rtnl = Rtnl::open(OP, ns)?;
    let link = rtnl.link_by_name(OP, name)?;
    let msg = address_msg(link.header.index, addr, prefix);
    rtnl.ack(OP, name, RouteNetlinkMessage::DelAddress(msg), 0)
}

/// Creates a bridge `name` in `ns` (`ip link add NAME [mtu MTU] type bridge`, then `up` if
/// asked). Members are attached with [`set_master`].
pub fn bridge(ns: Option<&Namespace>, name: &str, mtu: Option<u32>, up: bool) -> Result<()> {
    const OP: &str = "create bridge";
    validate_name(OP, name)?;
    let mut rtnl = Rtnl::open(OP, ns)?;
    let mut msg = LinkMessage::default();
    msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
    msg.attributes
        .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
            InfoKind::Bridge,
        )]));
    if up {
        msg.header.flags = LinkFlags::Up;
        msg.header.change_mask = LinkFlags::Up;
    }
    rtnl.ack(
        OP,
        name,
        RouteNetlinkMessage::NewLink(msg),
        NLM_F_CREATE | NLM_F_EXCL,
    )?;
    // The MTU is set after creation: set at creation, the bridge would follow its members'
    // MTU (br_mtu_auto_adjust); set by a change, it keeps it.
    if let Some(mtu) = mtu {
        let index = rtnl.link_by_name(OP, name)?.header.index;
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.attributes.push(LinkAttribute::Mtu(mtu));
        if let Err(e) = rtnl.ack(OP, name, RouteNetlinkMessage::SetLink(msg), 0) {
            let mut del = LinkMessage::default();
            del.header.index = index;
            let _ = rtnl.ack(OP, name, RouteNetlinkMessage::DelLink(del), 0);
            return Err(e);
        }
    }
    Ok(())
}

/// Looks up `bridge` and checks that it is one; returns its index.
fn bridge_index(rtnl: &mut Rtnl, op: &'static str, bridge: &str) -> Result<u32> {
    let link = rtnl.link_by_name(op, bridge)?;
    if link_kind(&link).as_deref() != Some("bridge") {
        return Err(Error::invalid(op, "bridge", bridge, "is not a bridge"));
    }
    Ok(link.header.index)
}

/// Makes interface `name` a member of `bridge` (`ip link set NAME master BRIDGE`), or of no
/// bridge when `bridge` is None (`ip link set NAME nomaster`). Both must be in `ns`: a bridge
/// only takes members from its own namespace.
pub fn set_master(ns: Option<&Namespace>, name: &str, bridge: Option<&str>) -> Result<()> {
    let op = if bridge.is_some() {
        "add bridge member"
    } else {
        "remove bridge member"
    };
    validate_name(op, name)?;
    let mut rtnl = Rtnl::open(op, ns)?;
    let master = match bridge {
        Some(b) => bridge_index(&mut rtnl, op, b)?,
        None => 0,
    };
    let link = rtnl.link_by_name(op, name)?;
    let mut msg = LinkMessage::default();
    msg.header.index = link.header.index;
    msg.attributes.push(LinkAttribute::Controller(master));
    rtnl.ack(op, name, RouteNetlinkMessage::SetLink(msg), 0)
}

/// The members of `bridge` in `ns`, sorted by index (`ip link show master BRIDGE`).
pub fn members(ns: Option<&Namespace>, bridge: &str) -> Result<Vec<Interface>> {
    const OP: &str = "list bridge members";
    validate_name(OP, bridge)?;
    let mut rtnl = Rtnl::open(OP, ns)?;
    bridge_index(&mut rtnl, OP, bridge)?;
    let mut all = interfaces(OP, &mut rtnl)?;
    all.retain(|i| i.master.as_deref() == Some(bridge));
    Ok(all)
}

/// The lowest and highest usable 802.1Q VLAN ids (0 and 4095 are reserved).
pub const VLAN_IDS: std::ops::RangeInclusive<u32> = 1..=4094;

/// Creates the VLAN sub-interface `name` (default `PARENT.ID`, like `eth1.100`) of `parent` for
/// VLAN `id`, in the parent's namespace `ns` (`ip link add link PARENT name NAME type vlan id
/// ID`). Returns its name. On a kernel without 802.1Q support the error says so (EOPNOTSUPP).
pub fn vlan(ns: Option<&Namespace>, parent: &str, id: u32, name: Option<&str>) -> Result<String> {
    const OP: &str = "create vlan";
    if !VLAN_IDS.contains(&id) {
        return Err(Error::invalid(
            OP,
            "vlan id",
            id.to_string(),
            "is not between 1 and 4094 (802.1Q reserves 0 and 4095)",
        ));
    }
    validate_name(OP, parent)?;
    let name = name.map_or_else(|| format!("{parent}.{id}"), str::to_owned);
    validate_name(OP, &name)?;
    let mut rtnl = Rtnl::open(OP, ns)?;
    let link = rtnl.link_by_name(OP, parent)?;
    let mut msg = LinkMessage::default();
    msg.attributes.push(LinkAttribute::IfName(name.clone()));
    msg.attributes.push(LinkAttribute::Link(link.header.index));
    msg.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Vlan),
        // `id` is at most 4094 (checked above).
        LinkInfo::Data(InfoData::Vlan(vec![InfoVlan::Id(id as u16)])),
    ]));
    rtnl.ack(
        OP,
        &name,
        RouteNetlinkMessage::NewLink(msg),
        NLM_F_CREATE | NLM_F_EXCL,
    )?;
    Ok(name)
}

/// The main routing table (`ip route`'s default).
pub const TABLE_MAIN: u32 = 254;
/// The local table (addresses of this host, broadcast).
pub const TABLE_LOCAL: u32 = 255;
/// In [`list_routes`]: every table.
pub const TABLE_ALL: u32 = 0;

/// One route, as `ip route show` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// 4 or 6.
    pub family: u8,
    /// 254 is main, 255 local.
    pub table: u32,
    /// "198.18.0.0/24", "fd00::/64", or "default".
    pub dst: String,
    /// "198.18.1.1", if the route goes through a gateway.
    pub gateway: Option<String>,
    /// The output interface.
    pub dev: Option<String>,
    /// Who installed it: "kernel", "boot" (ip and nsrun), "static", "ra", "bird", or a number.
    pub protocol: String,
    /// "global", "link", "host", "site", "nowhere" or a number.
    pub scope: String,
    /// The route type: "unicast", "local", "broadcast", "blackhole", "unreachable", …
    pub kind: String,
    /// The metric (priority), if set; IPv6 routes always have one.
    pub metric: Option<u32>,
    /// The preferred source address, if set.
    pub prefsrc: Option<String>,
}

impl Route {
    /// The route's key as errors name it: "198.18.0.0/24 via 198.18.1.1", "default dev eth1".
    fn key(&self) -> String {
        route_key(&self.dst, self.gateway.as_deref(), self.dev.as_deref())
    }
}

fn route_key(dst: &str, via: Option<&str>, dev: Option<&str>) -> String {
    match (via, dev) {
        (Some(g), _) => format!("{dst} via {g}"),
        (None, Some(d)) => format!("{dst} dev {d}"),
        (None, None) => dst.to_owned(),
    }
}

impl fmt::Display for Route {
    /// Like `ip route show`: `198.18.0.0/24 via 198.18.1.1 dev eth1 proto boot`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind != "unicast" {
            write!(f, "{} ", self.kind)?;
        }
        f.write_str(&self.dst)?;
        if let Some(g) = &self.gateway {
            write!(f, " via {g}")?;
        }
        if let Some(d) = &self.dev {
            write!(f, " dev {d}")?;
        }
        if self.table != TABLE_MAIN {
            match self.table {
                TABLE_LOCAL => f.write_str(" table local")?,
                t => write!(f, " table {t}")?,
            }
        }
        write!(f, " proto {}", self.protocol)?;
        if self.scope != "global" {
            write!(f, " scope {}", self.scope)?;
        }
        if let Some(s) = &self.prefsrc {
            write!(f, " src {s}")?;
        }
        if let Some(m) = self.metric {
            write!(f, " metric {m}")?;
        }
        Ok(())
    }
}

fn protocol_name(p: RouteProtocol) -> String {
    let n = u8::from(p);
    // The names of /etc/iproute2/rt_protos.
    match n {
        0 => "unspec",
        1 => "redirect",
        2 => "kernel",
        3 => "boot",
        4 => "static",
        8 => "gated",
        9 => "ra",
        10 => "mrt",
        11 => "zebra",
        12 => "bird",
        13 => "dnrouted",
        14 => "xorp",
        15 => "ntk",
        16 => "dhcp",
        17 => "mrouted",
        18 => "keepalived",
        42 => "babel",
        186 => "bgp",
        187 => "isis",
        188 => "ospf",
        189 => "rip",
        192 => "eigrp",
        _ => return n.to_string(),
    }
    .to_owned()
}

fn scope_name(s: RouteScope) -> String {
    match u8::from(s) {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

fn type_name(t: RouteType) -> String {
    match t {
        RouteType::Unspec => "unspec",
        RouteType::Unicast => "unicast",
        RouteType::Local => "local",
        RouteType::Broadcast => "broadcast",
        RouteType::Anycast => "anycast",
        RouteType::Multicast => "multicast",
        RouteType::BlackHole => "blackhole",
        RouteType::Unreachable => "unreachable",
        RouteType::Prohibit => "prohibit",
        RouteType::Throw => "throw",
        RouteType::Nat => "nat",
        other => return format!("{other:?}").to_lowercase(),
    }
    .to_owned()
}

fn show_addr(a: &RouteAddress) -> Option<String> {
    match a {
        RouteAddress::Inet(a) => Some(a.to_string()),
        RouteAddress::Inet6(a) => Some(a.to_string()),
        _ => None,
    }
}

fn routes_of(rtnl: &mut Rtnl, op: &'static str, family: u8, table: u32) -> Result<Vec<Route>> {
    let families: &[(u8, AddressFamily)] = match family {
        4 => &[(4, AddressFamily::Inet)],
        6 => &[(6, AddressFamily::Inet6)],
        _ => &[(4, AddressFamily::Inet), (6, AddressFamily::Inet6)],
    };
    let links = rtnl.dump(op, RouteNetlinkMessage::GetLink(LinkMessage::default()))?;
    let names: Vec<(u32, String)> = links
        .iter()
        .filter_map(|m| match m {
            RouteNetlinkMessage::NewLink(l) => Some((l.header.index, link_name(l))),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for &(fam, af) in families {
        let mut req = RouteMessage::default();
        req.header.address_family = af;
        for m in rtnl.dump(op, RouteNetlinkMessage::GetRoute(req))? {
            let RouteNetlinkMessage::NewRoute(r) = m else {
                continue;
            };
            let mut route = Route {
                family: fam,
                table: u32::from(r.header.table),
                dst: String::new(),
                gateway: None,
                dev: None,
                protocol: protocol_name(r.header.protocol),
                scope: scope_name(r.header.scope),
                kind: type_name(r.header.kind),
                metric: None,
                prefsrc: None,
            };
            let mut dst = None;
            for a in &r.attributes {
                match a {
                    RouteAttribute::Table(t) => route.table = *t,
                    RouteAttribute::Destination(d) => dst = show_addr(d),
                    RouteAttribute::Gateway(g) => route.gateway = show_addr(g),
                    RouteAttribute::PrefSource(p) => route.prefsrc = show_addr(p),
                    RouteAttribute::Priority(p) => route.metric = Some(*p),
                    RouteAttribute::Oif(i) => {
                        route.dev = names.iter().find(|(n, _)| n == i).map(|(_, s)| s.clone())
                    }
                    _ => {}
                }
            }
            route.dst = match dst {
                Some(d) => format!("{d}/{}", r.header.destination_prefix_length),
                None if r.header.destination_prefix_length == 0 => "default".into(),
                None => continue,
            };
            if table == TABLE_ALL || route.table == table {
                out.push(route);
            }
        }
    }
    Ok(out)
}

/// Routes of `ns`, like `ip route show table TABLE` for IPv4 then IPv6: `family` 4, 6 or 0
/// (both), `table` a table id or [`TABLE_ALL`] (routes the kernel caches are not listed).
pub fn list_routes(ns: Option<&Namespace>, family: u8, table: u32) -> Result<Vec<Route>> {
    const OP: &str = "list routes";
    if !matches!(family, 0 | 4 | 6) {
        return Err(Error::invalid(
            OP,
            "address family",
            family.to_string(),
            "is not 4, 6 or 0 (both)",
        ));
    }
    let mut rtnl = Rtnl::open(OP, ns)?;
    routes_of(&mut rtnl, OP, family, table)
}

fn route_addr(ip: IpAddr) -> RouteAddress {
    match ip {
        IpAddr::V4(a) => RouteAddress::Inet(a),
        IpAddr::V6(a) => RouteAddress::Inet6(a),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RouteChange {
    Add,
    Replace,
    Delete,
}

/// The destination, gateway and family of a route request, checked before any system call.
struct RouteSpec {
    dst: Option<(IpAddr, u8)>,
    via: Option<IpAddr>,
    v6: bool,
}

fn parse_route(
    op: &'static str,
    dst: &str,
    via: Option<&str>,
    dev: Option<&str>,
) -> Result<RouteSpec> {
    let via = via.map(|v| parse_ip(op, v)).transpose()?;
    let dst_parsed = if dst == "default" {
        None
    } else {
        let (a, l) = parse_cidr(op, dst).map_err(|_| {
            Error::invalid(
                op,
                "destination",
                dst,
                "is not \"default\" or a prefix like 198.18.0.0/24 or fd00::/64",
            )
        })?;
        Some((a, l))
    };
    if let Some((a, l)) = dst_parsed {
        if mask(a, l) != a {
            return Err(Error::invalid(
                op,
                "destination",
                dst,
                "has host bits set (give the network address, like 198.18.0.0/24)",
            ));
        }
    }
    let v6 = match (dst_parsed, via) {
        (Some((d, _)), Some(g)) if d.is_ipv4() != g.is_ipv4() => {
            return Err(Error::invalid(
                op,
                "gateway",
                g.to_string(),
                "is not of the destination's address family",
            ))
        }
        (Some((d, _)), _) => d.is_ipv6(),
        (None, Some(g)) => g.is_ipv6(),
        // `ip route del default` needs neither.
        (None, None) if dev.is_some() || op == "delete route" => false,
        (None, None) => {
            return Err(Error::invalid(
                op,
                "route",
                dst,
                "needs a gateway (via) or a device",
            ))
        }
    };
    Ok(RouteSpec {
        dst: dst_parsed,
        via,
        v6,
    })
}

/// `addr` with only its first `len` bits kept.
fn mask(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            IpAddr::V6((bits & m).into())
        }
    }
}

fn change_route(
    change: RouteChange,
    ns: Option<&Namespace>,
    dst: &str,
    via: Option<&str>,
    dev: Option<&str>,
) -> Result<()> {
    let op = match change {
        RouteChange::Add => "add route",
        RouteChange::Replace => "replace route",
        RouteChange::Delete => "delete route",
    };
    let spec = parse_route(op, dst, via, dev)?;
    if let Some(d) = dev {
        validate_name(op, d)?;
    }
    let mut rtnl = Rtnl::open(op, ns)?;
    let oif = dev
        .map(|d| rtnl.link_by_name(op, d).map(|l| l.header.index))
        .transpose()?;
    let mut msg = RouteMessage::default();
    msg.header.address_family = if spec.v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    msg.header.destination_prefix_length = spec.dst.map_or(0, |(_, l)| l);
    msg.header.table = netlink_packet_route::route::RouteHeader::RT_TABLE_MAIN;
    if change == RouteChange::Delete {
        // As `ip route del`: match any protocol, scope and type.
        msg.header.scope = RouteScope::NoWhere;
    } else {
        msg.header.protocol = RouteProtocol::Boot;
        msg.header.scope = if spec.via.is_some() {
            RouteScope::Universe
        } else {
            RouteScope::Link
        };
        msg.header.kind = RouteType::Unicast;
    }
    if let Some((d, _)) = spec.dst {
        msg.attributes
            .push(RouteAttribute::Destination(route_addr(d)));
    }
    if let Some(g) = spec.via {
        msg.attributes.push(RouteAttribute::Gateway(route_addr(g)));
    }
    if let Some(i) = oif {
        msg.attributes.push(RouteAttribute::Oif(i));
    }
    let (request, flags) = match change {
        RouteChange::Add => (
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        ),
        RouteChange::Replace => (
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE | NLM_F_REPLACE,
        ),
        RouteChange::Delete => (RouteNetlinkMessage::DelRoute(msg), 0),
    };
    let asked = route_key(dst, via, dev);
    let Err(errno) = rtnl.request(request, NLM_F_ACK | flags) else {
        return Ok(());
    };
    // EEXIST: name the route that is there (it may have another gateway than the one asked).
    let route = if errno == Errno::EEXIST {
        let family = if spec.v6 { 6 } else { 4 };
        let shown_dst = spec
            .dst
            .map_or_else(|| "default".to_owned(), |(a, l)| format!("{a}/{l}"));
        routes_of(&mut rtnl, op, family, TABLE_MAIN)
            .ok()
            .and_then(|all| all.into_iter().find(|r| r.dst == shown_dst))
            .map_or(asked, |r| r.key())
    } else {
        asked
    };
    Err(Error::Route {
        op,
        route,
        netns: rtnl.netns(),
        errno: crate::Errno::of(errno),
    })
}

/// `ip route add DST [via GW] [dev NAME]` in the main table; `dst` is "default" or a prefix;
/// "default" with an IPv6 gateway is the IPv6 default route. A route to the same destination
/// is EEXIST, and the error names it.
pub fn add_route(
    ns: Option<&Namespace>,
    dst: &str,
    via: Option<&str>,
    dev: Option<&str>,
) -> Result<()> {
    change_route(RouteChange::Add, ns, dst, via, dev)
}

/// `ip route replace DST [via GW] [dev NAME]`: adds the route, or replaces the one to the same
/// destination.
pub fn replace_route(
    ns: Option<&Namespace>,
    dst: &str,
    via: Option<&str>,
    dev: Option<&str>,
) -> Result<()> {
    change_route(RouteChange::Replace, ns, dst, via, dev)
}

/// `ip route del DST [via GW] [dev NAME]` from the main table: the route to `dst` that also
/// matches the gateway and device when they are given. No such route is ESRCH, and the error
/// says so.
pub fn del_route(
    ns: Option<&Namespace>,
    dst: &str,
    via: Option<&str>,
    dev: Option<&str>,
) -> Result<()> {
    change_route(RouteChange::Delete, ns, dst, via, dev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses_are_checked() {
        assert!(validate_name("t", "eth1").is_ok());
        assert!(validate_name("t", "a23456789012345").is_ok());
        for bad in ["", "a234567890123456", "a/b", "a b", "a:b", "."] {
            assert!(validate_name("t", bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_cidr("t", "198.18.0.1/24").unwrap(),
            ("198.18.0.1".parse().unwrap(), 24)
        );
        assert_eq!(parse_cidr("t", "fd00::1/64").unwrap().1, 64);
        for bad in [
            "198.18.0.1",
            "198.18.0.1/33",
            "300.1.1.1/8",
            "x/8",
            "fd00::1/129",
        ] {
            assert!(parse_cidr("t", bad).is_err(), "{bad:?}");
        }
    }
}
