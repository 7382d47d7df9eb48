//! Routes, bridges, VLANs and per-namespace sysctls against the real kernel (run as root).
//! Everything happens in namespaces the tests create; addresses are in 198.18.0.0/15 and
//! fd00::/8; nothing is created in the host's network namespace.

use std::sync::atomic::{AtomicUsize, Ordering};

use nsrun::link::{self, TABLE_ALL, TABLE_MAIN};
use nsrun::{netns, sysctl, Errno, Error, Kind, Namespace};

/// A named netns (/run/netns/NAME), deleted on drop.
struct Lab(String, Namespace);

impl Lab {
    fn new(tag: &str) -> Lab {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "nsrun-rt-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let ns = netns::add(&name).unwrap();
        Lab(name, ns)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = netns::delete(&self.0);
    }
}

/// A veth pair inside `ns` with addresses on both ends, both up (a netns with two links).
fn wired(ns: &Namespace) {
    link::veth("a0", "a1", Some(ns), Some(ns)).unwrap();
    link::add_address(Some(ns), "a0", "198.18.1.2/24").unwrap();
    link::add_address(Some(ns), "a0", "fd00:1::2/64").unwrap();
    link::set_up(Some(ns), "a0").unwrap();
    link::set_up(Some(ns), "a1").unwrap();
}

fn host_net() -> Namespace {
    Namespace::current(Kind::Net).unwrap()
}

#[test]
fn routes_add_list_replace_delete_both_families() {
    let lab = Lab::new("routes");
    let ns = Some(&lab.1);
    wired(&lab.1);
    link::add_route(ns, "198.18.0.0/24", Some("198.18.1.1"), None).unwrap();
    link::add_route(ns, "fd00:9::/64", Some("fd00:1::1"), Some("a0")).unwrap();
    let routes = link::list_routes(ns, 0, TABLE_MAIN).unwrap();
    let r4 = routes.iter().find(|r| r.dst == "198.18.0.0/24").unwrap();
    assert_eq!(
        (
            r4.family,
            r4.table,
            r4.gateway.as_deref(),
            r4.dev.as_deref()
        ),
        (4, TABLE_MAIN, Some("198.18.1.1"), Some("a0"))
    );
    assert_eq!(
        (r4.protocol.as_str(), r4.scope.as_str()),
        ("boot", "global")
    );
    assert_eq!(
        r4.to_string(),
        "198.18.0.0/24 via 198.18.1.1 dev a0 proto boot"
    );
    let r6 = routes.iter().find(|r| r.dst == "fd00:9::/64").unwrap();
    assert_eq!((r6.family, r6.gateway.as_deref()), (6, Some("fd00:1::1")));
    // The connected route the kernel made for the address.
    let conn = routes.iter().find(|r| r.dst == "198.18.1.0/24").unwrap();
    assert_eq!(
        (conn.protocol.as_str(), conn.scope.as_str()),
        ("kernel", "link")
    );
    // Family and table filters.
    assert!(link::list_routes(ns, 6, TABLE_MAIN)
        .unwrap()
        .iter()
        .all(|r| r.family == 6));
    assert!(link::list_routes(ns, 4, TABLE_ALL)
        .unwrap()
        .iter()
        .any(|r| r.kind == "local" && r.table == link::TABLE_LOCAL));

    // A duplicate names the route that is there, in the netns by name.
    let e = link::add_route(ns, "198.18.0.0/24", Some("198.18.1.3"), None).unwrap_err();
    assert_eq!(e.errno(), Errno::EEXIST);
    assert_eq!(
        e.to_string(),
        format!(
            "add route: route 198.18.0.0/24 via 198.18.1.1 already exists in netns {}",
            lab.0
        )
    );
    // replace changes the gateway, in both families.
    link::replace_route(ns, "198.18.0.0/24", Some("198.18.1.3"), None).unwrap();
    link::replace_route(ns, "fd00:9::/64", Some("fd00:1::3"), None).unwrap();
    link::replace_route(ns, "198.18.7.0/24", None, Some("a0")).unwrap(); // creates
    let routes = link::list_routes(ns, 0, TABLE_MAIN).unwrap();
    let gw = |dst: &str| {
        routes
            .iter()
            .filter(|r| r.dst == dst)
            .map(|r| r.gateway.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(gw("198.18.0.0/24"), vec![Some("198.18.1.3".to_string())]);
    assert_eq!(gw("fd00:9::/64"), vec![Some("fd00:1::3".to_string())]);
    assert_eq!(gw("198.18.7.0/24"), vec![None]);

    // Delete, then delete again: the error says there is none.
    link::del_route(ns, "198.18.0.0/24", None, None).unwrap();
    link::del_route(ns, "fd00:9::/64", Some("fd00:1::3"), None).unwrap();
    link::del_route(ns, "198.18.7.0/24", None, Some("a0")).unwrap();
    let e = link::del_route(ns, "198.18.0.0/24", None, None).unwrap_err();
    assert_eq!(e.errno(), Errno::ESRCH);
    assert_eq!(
        e.to_string(),
        format!("delete route: no route 198.18.0.0/24 in netns {}", lab.0)
    );
    let left = link::list_routes(ns, 0, TABLE_MAIN).unwrap();
    assert!(!left
        .iter()
        .any(|r| ["198.18.0.0/24", "fd00:9::/64", "198.18.7.0/24"].contains(&r.dst.as_str())));
}

#[test]
fn route_errors_name_the_netns_by_path_or_id_and_refuse_bad_prefixes() {
    let anon = Namespace::create(Kind::Net).unwrap();
    let e = link::del_route(Some(&anon), "198.18.9.0/24", None, Some("lo")).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("delete route: no route 198.18.9.0/24 dev lo in netns {anon}")
    );
    for (dst, via, what) in [
        ("198.18.0.0/33", Some("198.18.1.1"), "destination"),
        ("198.18.0.1/24", Some("198.18.1.1"), "host bits"),
        ("nonsense", Some("198.18.1.1"), "destination"),
        ("198.18.0.0/24", Some("fd00::1"), "address family"),
        ("default", None, "needs a gateway"),
    ] {
        let e = link::add_route(Some(&anon), dst, via, None).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL, "{dst}");
        assert!(e.to_string().contains(what), "{e}");
    }
    assert!(matches!(
        link::list_routes(Some(&anon), 5, TABLE_MAIN),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn bridge_members_attach_detach_and_other_netns_is_refused() {
    let lab = Lab::new("br");
    let ns = Some(&lab.1);
    let other = Namespace::create(Kind::Net).unwrap();
    link::bridge(ns, "br0", Some(1400), true).unwrap();
    link::veth("m0", "p0", ns, Some(&other)).unwrap();
    link::veth("m1", "p1", ns, Some(&other)).unwrap();
    link::set_master(ns, "m0", Some("br0")).unwrap();
    link::set_master(ns, "m1", Some("br0")).unwrap();
    let names = |v: Vec<link::Interface>| v.into_iter().map(|i| i.name).collect::<Vec<_>>();
    assert_eq!(names(link::members(ns, "br0").unwrap()), ["m0", "m1"]);
    let all = link::list(ns).unwrap();
    let br = all.iter().find(|i| i.name == "br0").unwrap();
    assert_eq!(
        (br.kind.as_deref(), br.mtu, br.up),
        (Some("bridge"), 1400, true)
    );
    link::set_master(ns, "m0", None).unwrap();
    assert_eq!(names(link::members(ns, "br0").unwrap()), ["m1"]);

    // A member that lives in another netns, a bridge that is not one, a duplicate bridge.
    let e = link::set_master(ns, "p0", Some("br0")).unwrap_err();
    assert_eq!(e.errno(), Errno::ENODEV);
    assert_eq!(
        e.to_string(),
        format!("add bridge member p0: no such interface in netns {}", lab.0)
    );
    let e = link::set_master(ns, "m1", Some("m0")).unwrap_err();
    assert!(e.to_string().contains("\"m0\" is not a bridge"), "{e}");
    let e = link::bridge(ns, "br0", None, false).unwrap_err();
    assert_eq!(e.errno(), Errno::EEXIST);
    assert!(e.to_string().contains("already exists in netns"), "{e}");
    link::delete(ns, "br0").unwrap();
    assert!(link::list(ns).unwrap().iter().all(|i| i.master.is_none()));
}

#[test]
fn vlan_ids_are_checked_and_a_missing_8021q_is_said() {
    let lab = Lab::new("vlan");
    let ns = Some(&lab.1);
    wired(&lab.1);
    for bad in [0, 4095, 70000] {
        let e = link::vlan(ns, "a0", bad, None).unwrap_err();
        assert_eq!(e.errno(), Errno::EINVAL);
        assert!(e.to_string().contains("between 1 and 4094"), "{e}");
    }
    let e = link::vlan(ns, "nosuch0", 100, None).unwrap_err();
    assert_eq!(e.errno(), Errno::ENODEV);
    let e = link::vlan(ns, "a0", 100, Some("a23456789012345x")).unwrap_err();
    assert_eq!(e.errno(), Errno::EINVAL);
    match link::vlan(ns, "a0", 100, None) {
        Ok(name) => {
            assert_eq!(name, "a0.100");
            let i = link::list(ns).unwrap();
            assert_eq!(
                i.iter()
                    .find(|i| i.name == "a0.100")
                    .unwrap()
                    .kind
                    .as_deref(),
                Some("vlan")
            );
            link::delete(ns, "a0.100").unwrap();
        }
        Err(e) => {
            assert_eq!(e.errno(), Errno::EOPNOTSUPP, "{e}");
            assert!(e.to_string().contains("no 802.1Q VLAN support"), "{e}");
        }
    }
    let names: Vec<_> = link::list(ns)
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(names, ["lo", "a1", "a0"]);
}

#[test]
fn sysctl_in_a_netns_leaves_the_host_alone_and_follows_the_thread() {
    let host_before = sysctl::get(None, "net.ipv4.ip_forward").unwrap();
    let lab = Lab::new("sysctl");
    let anon = Namespace::create(Kind::Net).unwrap();
    let want = if host_before == "1" { "0" } else { "1" };
    sysctl::set(Some(&lab.1), "net.ipv4.ip_forward", want).unwrap();
    assert_eq!(
        sysctl::get(Some(&lab.1), "net.ipv4.ip_forward").unwrap(),
        want
    );
    assert_eq!(
        sysctl::get(Some(&anon), "net.ipv4.ip_forward").unwrap(),
        host_before
    );
    assert_eq!(
        sysctl::get(None, "net.ipv4.ip_forward").unwrap(),
        host_before
    );
    assert_eq!(
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward")
            .unwrap()
            .trim(),
        host_before
    );
    // The per-thread rule itself: a thread in the lab sees the lab's value through the very same
    // /proc, while this thread sees the host's at the same moment.
    let lab_ns = lab.1.try_clone().unwrap();
    let seen = std::thread::spawn(move || {
        let _g = lab_ns.enter().unwrap();
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(seen.trim(), want);
    assert_eq!(Namespace::current(Kind::Net).unwrap(), host_net());

    // Errors: unknown key, a key that is not per netns, bad key text, missing netns.
    let e = sysctl::get(Some(&lab.1), "net.ipv4.no_such_key").unwrap_err();
    assert_eq!(e.errno(), Errno::ENOENT);
    assert!(
        e.to_string().starts_with(&format!(
            "read sysctl net.ipv4.no_such_key in netns {}: no such sysctl",
            lab.0
        )),
        "{e}"
    );
    let e = sysctl::set(Some(&lab.1), "kernel.hostname", "x").unwrap_err();
    assert!(e.to_string().contains("not per network namespace"), "{e}");
    assert!(sysctl::get(Some(&lab.1), "net..x").is_err());
    assert!(netns::open("nsrun-no-such-netns-rt").is_err());
    assert_eq!(sysctl::get_host("kernel.ostype").unwrap(), "Linux");
    assert_eq!(
        sysctl::get(None, "net.ipv4.ip_forward").unwrap(),
        host_before
    );
}
