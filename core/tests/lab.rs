//! Labs against the real kernel: bring-up, commands in nodes, private directories, teardown,
//! parallel labs with the same names, and a failed bring-up that leaves nothing.

use std::io::Read;
use std::os::fd::OwnedFd;

use nsrun::lab::{Lab, Topology};
use nsrun::launch::Stdio;
use nsrun::{Kind, Namespace};

/// Runs `argv` in `node`, returns (exit code, stdout).
fn run(lab: &Lab, node: &str, argv: &[&str]) -> (i32, String) {
    let n = lab.node(node).unwrap();
    let mut cmd = n.command(argv);
    cmd.stdout(Stdio::Piped)
        .stderr(Stdio::Null)
        .stdin(Stdio::Null);
    let mut child = n.exec(&cmd).unwrap();
    let mut out = String::new();
    let fd: OwnedFd = child.stdout.take().unwrap();
    std::fs::File::from(fd).read_to_string(&mut out).unwrap();
    let status = child.wait(None).unwrap().unwrap();
    (status.returncode(), out)
}

fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn chain() -> Topology {
    Topology::from_toml(
        r#"
        links = [["r1:eth1", "r2:eth1"]]
        [nodes.r1]
        env = { GREETING = "hi" }
        interfaces = { eth1 = ["198.18.1.1/24", "fd00:1::1/64"] }
        routes = [{ to = "198.18.9.0/24", via = "198.18.1.2" }]
        [nodes.r2]
        interfaces = { eth1 = ["198.18.1.2/24"] }
        boot = ["sh", "-c", "echo booted $(hostname)"]
        "#,
    )
    .unwrap()
}

fn host_links() -> String {
    String::from_utf8(
        std::process::Command::new("ip")
            .args(["-o", "link"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
}

#[test]
fn a_two_node_lab_runs_commands_and_goes_away() {
    let before = host_links();
    let lab = Lab::up(&chain(), Some(&unique("t"))).unwrap();
    assert_eq!(run(&lab, "r1", &["hostname"]), (0, "r1\n".into()));
    assert_eq!(run(&lab, "r2", &["hostname"]).1, "r2\n");
    assert_eq!(run(&lab, "r1", &["sh", "-c", "echo $GREETING"]).1, "hi\n");
    let (code, out) = run(&lab, "r1", &["ping", "-c", "1", "-W", "5", "198.18.1.2"]);
    assert_eq!(code, 0, "{out}");
    let (_, routes) = run(&lab, "r1", &["ip", "route"]);
    assert!(routes.contains("198.18.9.0/24 via 198.18.1.2"), "{routes}");
    let r2 = lab.node("r2").unwrap();
    assert_eq!(
        String::from_utf8(r2.output().unwrap()).unwrap(),
        "booted r2\n"
    );
    // The nodes' namespaces are their own; the host never saw an interface.
    let host_net = Namespace::current(Kind::Net).unwrap();
    assert_ne!(r2.namespace(Kind::Net).unwrap(), host_net);
    assert_ne!(
        r2.namespace(Kind::Mnt).unwrap(),
        Namespace::current(Kind::Mnt).unwrap()
    );
    assert_eq!(host_links(), before);
    let pids: Vec<i32> = lab.nodes().iter().map(|n| n.pid()).collect();
    lab.down().unwrap();
    for pid in pids {
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }
}

#[test]
fn two_labs_with_the_same_names_run_at_once() {
    let a = Lab::up(&chain(), Some(&unique("a"))).unwrap();
    let b = Lab::up(&chain(), Some(&unique("b"))).unwrap();
    assert_eq!(
        run(&a, "r1", &["ping", "-c", "1", "-W", "5", "198.18.1.2"]).0,
        0
    );
    assert_eq!(
        run(&b, "r1", &["ping", "-c", "1", "-W", "5", "198.18.1.2"]).0,
        0
    );
    drop(a);
    assert_eq!(run(&b, "r2", &["hostname"]).1, "r2\n");
    b.down().unwrap();
}

#[test]
fn private_directories_are_per_node_and_seeded() {
    let dir = std::env::temp_dir().join(unique("nsrun-labseed"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("motd"), "seeded\n").unwrap();
    let text = format!(
        r#"
        [nodes.a]
        private = ["/mnt", {{ path = "/opt", mode = "0700" }}]
        files = {{ "/mnt/sub/motd" = "{}" }}
        boot = ["sh", "-c", "echo mine > /opt/x"]
        [nodes.b]
        private = ["/mnt"]
        "#,
        dir.join("motd").display()
    );
    let lab = Lab::up(&Topology::from_toml(&text).unwrap(), Some(&unique("p"))).unwrap();
    assert_eq!(run(&lab, "a", &["cat", "/mnt/sub/motd"]).1, "seeded\n");
    assert_eq!(run(&lab, "a", &["cat", "/opt/x"]).1, "mine\n");
    assert_eq!(run(&lab, "a", &["stat", "-c", "%a", "/opt"]).1, "700\n");
    assert_eq!(run(&lab, "b", &["ls", "-A", "/mnt"]).1, "");
    // Nothing was written on the host.
    assert!(!std::path::Path::new("/opt/x").exists());
    lab.down().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_bring_up_leaves_nothing() {
    let before = host_links();
    let t = Topology::from_toml(
        r#"
        links = [["r1:eth1", "r2:eth1"]]
        [nodes.r1]
        [nodes.r2]
        boot = ["sh", "-c", "exit 3"]
        "#,
    )
    .unwrap();
    let err = Lab::up(&t, Some(&unique("f"))).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("node r2: boot") && msg.contains("status 3"),
        "{msg}"
    );
    // No child of ours is left (every node was killed and reaped).
    let me = std::process::id();
    let children = std::fs::read_to_string(format!("/proc/{me}/task/{me}/children")).unwrap();
    assert_eq!(children.trim(), "", "children left: {children}");
    assert_eq!(host_links(), before);
}

#[test]
fn bad_topologies_are_refused_before_anything_is_made() {
    let t = Topology::from_toml(
        r#"
        links = [["r1:eth1", "nope:eth1"]]
        [nodes.r1]
        "#,
    )
    .unwrap();
    let err = Lab::up(&t, Some("x")).unwrap_err();
    assert_eq!(err.errno(), nsrun::Errno::EINVAL);
    assert!(err.to_string().contains("unknown node \"nope\""), "{err}");
}

#[test]
fn a_lan_joins_three_nodes_and_forwarding_sysctls_route_through_a_router() {
    let t = Topology::from_toml(
        r#"
        links = [["h1:eth0", "r:eth1"]]
        [nodes.h1]
        interfaces = { eth0 = ["198.18.5.1/30"] }
        routes = [{ to = "default", via = "198.18.5.2" }]
        [nodes.r]
        sysctls = { "net.ipv4.ip_forward" = 1 }
        interfaces = { eth1 = ["198.18.5.2/30"], lan = ["198.18.6.1/24"] }
        [nodes.a]
        interfaces = { lan = ["198.18.6.2/24"] }
        routes = [{ to = "default", via = "198.18.6.1" }]
        [nodes.b]
        interfaces = { lan = ["198.18.6.3/24"] }
        [lans.lan0]
        members = ["r:lan", "a:lan", "b:lan"]
        "#,
    )
    .unwrap();
    let lab = Lab::up(&t, Some(&unique("lan"))).unwrap();
    assert_eq!(
        run(&lab, "a", &["ping", "-c", "1", "-W", "5", "198.18.6.3"]).0,
        0
    );
    assert_eq!(
        run(&lab, "h1", &["ping", "-c", "1", "-W", "5", "198.18.6.2"]).0,
        0
    );
    assert_eq!(
        run(&lab, "r", &["cat", "/proc/sys/net/ipv4/ip_forward"]).1,
        "1\n"
    );
    let members = nsrun::link::members(lab.lan_namespace(), "lan0").unwrap();
    assert_eq!(members.len(), 3);
    lab.down().unwrap();
}
