//! Runs a command in a rootfs with new mnt, pid, uts, ipc (and net with --net) namespaces:
//!   launch [--net] [--boot] [--map-root-user] [--no-rootless] [--host-dev] [--no-init] [--private] [--times N] ROOTFS CMD [ARGS...]
//! Prints the exit status; with --times, runs it N times and prints the mean latency.
use std::time::Instant;

use nsrun::{Kind, Launch, NsMode};

fn main() {
    if let Err(e) = launch() {
        eprintln!("launch: {e}");
        std::process::exit(125);
    }
}

fn launch() -> Result<(), nsrun::Error> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut net = false;
    let mut boot = false;
    let mut times = 1usize;
    let mut map_root = false;
    let mut host_dev = false;
    let mut no_init = false;
    let mut private = false;
    let mut rootless = None;
    while let Some(a) = args.first().cloned() {
        match a.as_str() {
            "--net" => net = true,
            "--boot" => boot = true,
            "--map-root-user" => map_root = true,
            "--host-dev" => host_dev = true,
            "--no-init" => no_init = true,
            "--private" => private = true,
            "--no-rootless" => rootless = Some(false),
            "--times" => {
                args.remove(0);
                times = args[0].parse().expect("--times N");
            }
            _ => break,
        }
        args.remove(0);
    }
    let rootfs = args.remove(0);
    let t0 = Instant::now();
    let mut status = None;
    for _ in 0..times {
        let mut l = Launch::new(&args);
        l.rootfs(&rootfs);
        if net {
            l.namespace(Kind::Net, NsMode::New);
        }
        l.host_dev(host_dev)
            .init(!no_init)
            .private_propagation(private)
            .rootless(rootless);
        if map_root {
            l.map_root_user();
        }
        if boot {
            l.boot(["/etc/rcS", "S", "boot"])
                .shutdown(["/etc/rcS", "K", "shutdown"]);
        }
        status = l.spawn()?.wait(None)?;
    }
    if times > 1 || std::env::var_os("NSRUN_TIMING").is_some() {
        println!(
            "{:.1} us per launch",
            t0.elapsed().as_secs_f64() * 1e6 / times as f64
        );
    }
    let status = status.expect("waited");
    println!("exit status: {status:?}");
    std::process::exit(status.code().unwrap_or(1));
}
