//! Network interfaces across namespaces, over rtnetlink (rtnetlink(7)) with the rust-netlink
//! crates: list, move (and rename), veth pairs, up/down, MTU, addresses, routes, delete.
//!
//! Every operation takes the network namespace to act in (`None`: the calling thread's). The
//! netlink socket is opened inside it (a socket stays bound to the namespace it was made in),
//! so the caller's thread is in its own namespace again before any message is sent: nothing
//! that fails later can leave it elsewhere.

use std::net::IpAddr;
use std::os::fd::AsRawFd;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
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
    pub name: String,
    pub index: u32,
    /// "veth", "bridge", … (None for plain devices such as lo or a physical NIC).
    pub kind: Option<String>,
    /// "aa:bb:cc:dd:ee:ff", if the device has one.
    pub mac: Option<String>,
    pub mtu: u32,
    /// Administratively up (IFF_UP).
    pub up: bool,
    /// Addresses with their prefix length: "198.18.0.1/24", "fd00::1/64".
    pub addresses: Vec<String>,
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

fn link_error(op: &'static str, name: &str, errno: Errno) -> Error {
    Error::Link {
        op,
        name: name.to_owned(),
        errno: crate::Errno::of(errno),
    }
}

/// A blocking NETLINK_ROUTE socket in one network namespace.
struct Rtnl {
    sock: Socket,
    seq: u32,
}

impl Rtnl {
    fn open(op: &'static str, ns: Option<&Namespace>) -> Result<Rtnl> {
        let guard = match ns {
            Some(ns) => {
                ns.expect_kind(Kind::Net)?;
                Some(ns.enter()?)
            }
            None => None,
        };
        let sock = Socket::new(NETLINK_ROUTE);
        if let Some(g) = guard {
            g.leave()?;
        }
        let mut sock = sock.ctx_nopath(op)?;
        sock.bind_auto().ctx_nopath(op)?;
        sock.connect(&SocketAddr::new(0, 0)).ctx_nopath(op)?;
        Ok(Rtnl { sock, seq: 0 })
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
                _ => Err(link_error(op, name, Errno::ENODEV)),
            },
            Err(e) => Err(link_error(op, name, e)),
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
            .map_err(|e| link_error(op, name, e))
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

/// Interfaces of a network namespace, like `ip -d addr show`, sorted by index.
pub fn list(ns: Option<&Namespace>) -> Result<Vec<Interface>> {
    const OP: &str = "list interfaces";
    let mut rtnl = Rtnl::open(OP, ns)?;
    let links = rtnl
        .request(
            RouteNetlinkMessage::GetLink(LinkMessage::default()),
            NLM_F_DUMP,
        )
        .map_err(|e| Error::sys_nopath(OP, e))?;
    let addrs = rtnl
        .request(
            RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            NLM_F_DUMP,
        )
        .map_err(|e| Error::sys_nopath(OP, e))?;
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
                kind: None,
                mac: None,
                mtu: 0,
                up: l.header.flags.contains(LinkFlags::Up),
                addresses: Vec::new(),
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
                    LinkAttribute::LinkInfo(infos) => {
                        for info in infos {
                            if let LinkInfo::Kind(k) = info {
                                i.kind = Some(k.to_string());
                            }
                        }
                    }
                    _ => {}
                }
            }
            i
        })
        .collect();
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

fn route_addr(ip: IpAddr) -> RouteAddress {
    match ip {
        IpAddr::V4(a) => RouteAddress::Inet(a),
        IpAddr::V6(a) => RouteAddress::Inet6(a),
    }
}

/// `ip route add DST [via GW] [dev NAME]`; `dst` is "default" or a CIDR; "default" with an
/// IPv6 gateway is the IPv6 default route.
pub fn add_route(
    ns: Option<&Namespace>,
    dst: &str,
    via: Option<&str>,
    dev: Option<&str>,
) -> Result<()> {
    const OP: &str = "add route";
    let via = via.map(|v| parse_ip(OP, v)).transpose()?;
    let (dst_addr, dst_len) = if dst == "default" {
        (None, 0)
    } else {
        let (a, l) = parse_cidr(OP, dst)?;
        (Some(a), l)
    };
    let v6 = match (dst_addr, via) {
        (Some(d), Some(g)) if d.is_ipv4() != g.is_ipv4() => {
            return Err(Error::invalid(
                OP,
                "gateway",
                g.to_string(),
                "is not of the destination's address family",
            ))
        }
        (Some(d), _) => d.is_ipv6(),
        (None, Some(g)) => g.is_ipv6(),
        (None, None) if dev.is_some() => false,
        (None, None) => {
            return Err(Error::invalid(
                OP,
                "route",
                dst,
                "needs a gateway (via) or a device",
            ))
        }
    };
    let mut rtnl = Rtnl::open(OP, ns)?;
    let oif = dev
        .map(|d| rtnl.link_by_name(OP, d).map(|l| l.header.index))
        .transpose()?;
    let mut msg = RouteMessage::default();
    msg.header.address_family = if v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    msg.header.destination_prefix_length = dst_len;
    msg.header.table = netlink_packet_route::route::RouteHeader::RT_TABLE_MAIN;
    msg.header.protocol = RouteProtocol::Boot;
    msg.header.scope = if via.is_some() {
        RouteScope::Universe
    } else {
        RouteScope::Link
    };
    msg.header.kind = RouteType::Unicast;
    if let Some(d) = dst_addr {
        msg.attributes
            .push(RouteAttribute::Destination(route_addr(d)));
    }
    if let Some(g) = via {
        msg.attributes.push(RouteAttribute::Gateway(route_addr(g)));
    }
    if let Some(i) = oif {
        msg.attributes.push(RouteAttribute::Oif(i));
    }
    rtnl.ack(
        OP,
        dst,
        RouteNetlinkMessage::NewRoute(msg),
        NLM_F_CREATE | NLM_F_EXCL,
    )
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
