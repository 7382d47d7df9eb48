//! `nsrun link`: network interfaces across namespaces, like `ip link/addr/route`.

use super::{net_arg, net_target};
use crate::args::LinkCmd;
use crate::exit::Res;

pub fn link(c: LinkCmd) -> Res<u8> {
    use nsrun::link as l;
    match c {
        LinkCmd::Ls { ns, json } => {
            let list = l::list(net_arg(ns.as_deref())?.as_ref())?;
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
            let target = net_target(&target)?;
            l::move_to(
                net_arg(from.as_deref())?.as_ref(),
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
            net_arg(ns.as_deref())?.as_ref(),
            net_arg(peer_ns.as_deref())?.as_ref(),
        )?,
        LinkCmd::Up { name, ns } => l::set_up(net_arg(ns.as_deref())?.as_ref(), &name)?,
        LinkCmd::Down { name, ns } => l::set_down(net_arg(ns.as_deref())?.as_ref(), &name)?,
        LinkCmd::Mtu { name, mtu, ns } => l::set_mtu(net_arg(ns.as_deref())?.as_ref(), &name, mtu)?,
        LinkCmd::Addr {
            name,
            cidr,
            del,
            ns,
        } => {
            let ns = net_arg(ns.as_deref())?;
            if del {
                l::del_address(ns.as_ref(), &name, &cidr)?
            } else {
                l::add_address(ns.as_ref(), &name, &cidr)?
            }
        }
        LinkCmd::Route { dst, via, dev, ns } => l::add_route(
            net_arg(ns.as_deref())?.as_ref(),
            &dst,
            via.as_deref(),
            dev.as_deref(),
        )?,
        LinkCmd::Del { name, ns } => l::delete(net_arg(ns.as_deref())?.as_ref(), &name)?,
    }
    Ok(0)
}
