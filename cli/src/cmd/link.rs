//! `nsrun link`: network interfaces across namespaces, like `ip link/addr/route`.

use clap::Subcommand;

use super::{net_arg, net_target};
use crate::args::LinkCmd;
use crate::exit::{fail, Res};

/// The `nsrun link` subcommands for routes beyond `route` (add), bridges and VLANs.
#[derive(Subcommand)]
pub enum LinkMore {
    /// List routes, like `ip route show` (main table unless --table).
    #[command(alias = "route-ls")]
    Routes {
        /// Network namespace: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
        /// IPv4 only.
        #[arg(short = '4', conflicts_with = "v6")]
        v4: bool,
        /// IPv6 only.
        #[arg(short = '6')]
        v6: bool,
        /// "main" (default), "local", "all" or a table number.
        #[arg(long, default_value = "main")]
        table: String,
        /// JSON output.
        #[arg(short = 'J', long)]
        json: bool,
    },
    /// Add or replace a route (`ip route replace`): DST is "default" or a prefix.
    RouteReplace {
        /// Destination prefix (198.18.0.0/24, fd00::/64) or `default`.
        dst: String,
        /// Gateway address.
        #[arg(long)]
        via: Option<String>,
        /// Output interface.
        #[arg(long)]
        dev: Option<String>,
        /// Network namespace: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
    },
    /// Delete a route (`ip route del`); --via and --dev narrow the match.
    RouteDel {
        /// Destination prefix of the route to delete, or `default`.
        dst: String,
        /// Gateway address the route must have.
        #[arg(long)]
        via: Option<String>,
        /// Output interface the route must have.
        #[arg(long)]
        dev: Option<String>,
        /// Network namespace: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
    },
    /// Create bridge NAME, up unless --down (`ip link add NAME type bridge`).
    Bridge {
        /// Name of the new bridge.
        name: String,
        /// MTU of the bridge.
        #[arg(long)]
        mtu: Option<u32>,
        /// Leave it down.
        #[arg(long)]
        down: bool,
        /// Network namespace: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
    },
    /// Attach NAME to BRIDGE (`ip link set NAME master BRIDGE`); both in the same netns.
    Master {
        /// Interface to attach.
        name: String,
        /// Bridge to attach it to.
        bridge: String,
        /// Network namespace of both: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
    },
    /// Detach NAME from its bridge (`ip link set NAME nomaster`).
    Nomaster {
        /// Interface to detach.
        name: String,
        /// Network namespace: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
    },
    /// List the members of BRIDGE.
    Members {
        /// Bridge whose members to list.
        bridge: String,
        /// Network namespace: a name in /run/netns or a path (default: this one).
        #[arg(long)]
        ns: Option<String>,
        /// JSON output.
        #[arg(short = 'J', long)]
        json: bool,
    },
    /// Create VLAN sub-interface PARENT.ID (`ip link add link PARENT name NAME type vlan id ID`).
    Vlan {
        /// Parent interface (e.g. eth1).
        parent: String,
        /// VLAN id, 1 to 4094.
        id: u32,
        /// Name of the new interface (default: PARENT.ID).
        #[arg(long)]
        name: Option<String>,
        /// Network namespace of the parent, where the VLAN interface is made.
        #[arg(long)]
        ns: Option<String>,
    },
}

fn table_arg(t: &str) -> Res<u32> {
    match t {
        "main" => Ok(nsrun::link::TABLE_MAIN),
        "local" => Ok(nsrun::link::TABLE_LOCAL),
        "all" => Ok(nsrun::link::TABLE_ALL),
        n => n.parse().map_err(|_| {
            fail(format!(
                "routes: table {n:?} is not main, local, all or a number"
            ))
        }),
    }
}

fn print_json(rows: &[serde_json::Value]) {
    println!("{}", serde_json::to_string_pretty(rows).unwrap_or_default());
}

fn more(c: LinkMore) -> Res<u8> {
    use nsrun::link as l;
    match c {
        LinkMore::Routes {
            ns,
            v4,
            v6,
            table,
            json,
        } => {
            let family = if v4 {
                4
            } else if v6 {
                6
            } else {
                0
            };
            let table = table_arg(&table)?;
            let routes = l::list_routes(net_arg(ns.as_deref())?.as_ref(), family, table)?;
            if json {
                let rows: Vec<serde_json::Value> = routes
                    .iter()
                    .map(|r| {
                        serde_json::json!({"family": r.family, "table": r.table, "dst": r.dst,
                            "gateway": r.gateway, "dev": r.dev, "protocol": r.protocol,
                            "scope": r.scope, "type": r.kind, "metric": r.metric,
                            "prefsrc": r.prefsrc})
                    })
                    .collect();
                print_json(&rows);
            } else {
                for r in routes {
                    println!("{r}");
                }
            }
        }
        LinkMore::RouteReplace { dst, via, dev, ns } => l::replace_route(
            net_arg(ns.as_deref())?.as_ref(),
            &dst,
            via.as_deref(),
            dev.as_deref(),
        )?,
        LinkMore::RouteDel { dst, via, dev, ns } => l::del_route(
            net_arg(ns.as_deref())?.as_ref(),
            &dst,
            via.as_deref(),
            dev.as_deref(),
        )?,
        LinkMore::Bridge {
            name,
            mtu,
            down,
            ns,
        } => l::bridge(net_arg(ns.as_deref())?.as_ref(), &name, mtu, !down)?,
        LinkMore::Master { name, bridge, ns } => {
            l::set_master(net_arg(ns.as_deref())?.as_ref(), &name, Some(&bridge))?
        }
        LinkMore::Nomaster { name, ns } => {
            l::set_master(net_arg(ns.as_deref())?.as_ref(), &name, None)?
        }
        LinkMore::Members { bridge, ns, json } => {
            let list = l::members(net_arg(ns.as_deref())?.as_ref(), &bridge)?;
            if json {
                let rows: Vec<serde_json::Value> = list
                    .iter()
                    .map(|i| serde_json::json!({"name": i.name, "index": i.index, "up": i.up}))
                    .collect();
                print_json(&rows);
            } else {
                for i in list {
                    println!("{}", i.name);
                }
            }
        }
        LinkMore::Vlan {
            parent,
            id,
            name,
            ns,
        } => {
            let made = l::vlan(
                net_arg(ns.as_deref())?.as_ref(),
                &parent,
                id,
                name.as_deref(),
            )?;
            println!("{made}");
        }
    }
    Ok(0)
}

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
                                           "mtu": i.mtu, "up": i.up, "addresses": i.addresses,
                                           "master": i.master})
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).unwrap_or_default()
                );
            } else {
                for i in list {
                    let master = i
                        .master
                        .as_deref()
                        .map(|m| format!(" master {m}"))
                        .unwrap_or_default();
                    println!(
                        "{:>3}: {:<16} {:<5} mtu {:<6} {:<8} {} {}{master}",
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
        LinkCmd::More(c) => return more(c),
    }
    Ok(0)
}
