//! `nsrun lab up|exec|ls|down|clean`: labs that outlive the command, each held by a small
//! supervisor process (`nsrun lab supervise`, started by `up` in a session of its own) that
//! brings the lab up with the core, records it under /run/nsrun/labs/NAME and takes it down
//! on SIGTERM (`nsrun lab down`) or SIGINT. Kill the supervisor and the lab dies with it;
//! `nsrun lab clean` then removes its directory.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use nsrun::lab::{state, Lab, Topology};
use nsrun::launch::{exec_target, ExecCommand};

use crate::exit::{fail, status_code, Res};

#[derive(Subcommand)]
pub enum LabCmd {
    /// Bring up the lab of a topology file (TOML) and leave it running under a supervisor.
    Up(UpArgs),
    /// Run CMD in a node of a running lab.
    Exec {
        /// The lab's name (`nsrun lab ls`).
        lab: String,
        /// The node's name in the topology.
        node: String,
        /// The program and its arguments; `--` before it is optional.
        #[arg(
            value_name = "CMD",
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
        cmd: Vec<OsString>,
    },
    /// List the labs (running, or left by a killed supervisor: see `clean`).
    Ls {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Take a lab down (shutdown commands, then everything goes).
    Down {
        /// The lab's name (`nsrun lab ls`).
        lab: String,
    },
    /// Remove what labs whose supervisor is gone left behind (never a running lab, never
    /// anything that is not a lab's).
    Clean,
    /// The supervisor itself (started by `up`).
    #[command(hide = true)]
    Supervise {
        /// The topology file.
        file: PathBuf,
        /// The lab's name.
        #[arg(long)]
        name: String,
        /// Descriptor on which to report that the lab is up (or why it is not).
        #[arg(long)]
        ready_fd: i32,
    },
}

#[derive(Args)]
pub struct UpArgs {
    /// The topology file.
    pub file: PathBuf,
    /// The lab's name (default: the file's `name`, else the file's stem).
    #[arg(long)]
    pub name: Option<String>,
}

pub fn lab(cmd: LabCmd) -> Res<u8> {
    match cmd {
        LabCmd::Up(a) => up(a),
        LabCmd::Exec { lab, node, cmd } => exec(&lab, &node, cmd),
        LabCmd::Ls { json } => ls(json),
        LabCmd::Down { lab } => down(&lab),
        LabCmd::Clean => clean(),
        LabCmd::Supervise {
            file,
            name,
            ready_fd,
        } => supervise(file, &name, ready_fd),
    }
}

fn up(a: UpArgs) -> Res<u8> {
    let topology = Topology::from_file(&a.file)?;
    let name = a
        .name
        .or_else(|| topology.name.clone())
        .or_else(|| a.file.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .ok_or_else(|| fail("lab up: give the lab a --name"))?;
    // Refused topologies are reported here, before any process is started.
    topology.check(Some(&name))?;
    if let Ok(e) = state::get(&name) {
        if e.running {
            return Err(fail(format!(
                "lab up: a lab named {name:?} is already running"
            )));
        }
    }
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two descriptors into the array, which we own from here on.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(fail(format!(
            "lab up: pipe: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: both were just created by pipe2 and are owned by nobody else.
    let (mut r, w_fd) = unsafe {
        (
            std::fs::File::from(OwnedFd::from_raw_fd(fds[0])),
            OwnedFd::from_raw_fd(fds[1]),
        )
    };
    let raw = w_fd.as_raw_fd();
    let exe = std::env::current_exe().map_err(|e| fail(format!("lab up: {e}")))?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["lab", "supervise"])
        .arg(std::path::absolute(&a.file).unwrap_or(a.file.clone()))
        .args(["--name", &name, "--ready-fd", &raw.to_string()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: between fork and exec only async-signal-safe calls: setsid(2), fcntl(2).
    unsafe {
        cmd.pre_exec(move || {
            libc::setsid();
            // Keep the ready pipe open across exec.
            let flags = libc::fcntl(raw, libc::F_GETFD);
            libc::fcntl(raw, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .map_err(|e| fail(format!("lab up: start supervisor: {e}")))?;
    drop(w_fd);
    let mut answer = String::new();
    let _ = r.read_to_string(&mut answer);
    if let Some(rest) = answer.strip_prefix("ok ") {
        println!(
            "lab {name} up: {} (supervisor pid {})",
            rest.trim(),
            child.id()
        );
        Ok(0)
    } else {
        let mut child = child;
        let _ = child.wait();
        Err(fail(if answer.is_empty() {
            "lab up: the supervisor died before the lab was up".to_owned()
        } else {
            answer.trim().to_owned()
        }))
    }
}

/// The supervisor: claim the name, bring the lab up, record it, report, wait for the end.
fn supervise(file: PathBuf, name: &str, ready_fd: i32) -> Res<u8> {
    // SAFETY: the descriptor was inherited for us by `up` and is used only here.
    let mut ready = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(ready_fd) });
    let mut report = |text: String| {
        let _ = ready.write_all(text.as_bytes());
    };
    let dir = match state::claim(name) {
        Ok(d) => d,
        Err(e) => {
            report(format!("lab up: {e}"));
            return Ok(1);
        }
    };
    let lab = Topology::from_file(&file).and_then(|t| Lab::up(&t, Some(name)));
    let lab = match lab {
        Ok(l) => l,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            report(format!("lab up: {e}"));
            return Ok(1);
        }
    };
    if let Err(e) = state::record(&dir, &lab, Some(&file)) {
        drop(lab);
        let _ = std::fs::remove_dir_all(&dir);
        report(format!("lab up: {e}"));
        return Ok(1);
    }
    report(format!("ok {} nodes", lab.nodes().len()));
    drop(ready);
    // Wait for SIGTERM / SIGINT / SIGHUP (blocked by main; taken here).
    let signals = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];
    nsrun::block_signals(&signals)?;
    loop {
        if nsrun::take_pending_signal(&signals).is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = lab.down();
    let _ = std::fs::remove_dir_all(&dir);
    r?;
    Ok(0)
}

fn exec(lab: &str, node: &str, cmd: Vec<OsString>) -> Res<u8> {
    let e = state::get(lab)?;
    let st = match (&e.state, e.running) {
        (Some(s), true) => s,
        _ => {
            return Err(fail(format!(
                "lab {lab} is not running (its supervisor is gone: `nsrun lab clean`)"
            )))
        }
    };
    let n = st
        .nodes
        .iter()
        .find(|n| n.name == node)
        .ok_or_else(|| fail(format!("lab {lab}: no node named {node:?}")))?;
    if !n.init.alive() {
        return Err(fail(format!("lab {lab}: node {node} is not running")));
    }
    let mut child = exec_target(n.init.pid, &ExecCommand::new(cmd))?;
    let status = child.wait(None)?.expect("no timeout");
    Ok(status_code(status))
}

fn ls(json: bool) -> Res<u8> {
    let labs = state::list()?;
    if json {
        let rows: Vec<serde_json::Value> = labs
            .iter()
            .map(|e| {
                serde_json::json!({
                    "name": e.name,
                    "running": e.running,
                    "supervisor": e.state.as_ref().map(|s| s.supervisor.pid),
                    "topology": e.state.as_ref().and_then(|s| s.topology.clone()),
                    "nodes": e.state.as_ref().map(|s| s.nodes.iter().map(|n| {
                        serde_json::json!({"name": n.name, "pid": n.init.pid})
                    }).collect::<Vec<_>>()).unwrap_or_default(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
    } else {
        println!(
            "{:<24} {:<8} {:>6} {:>10}",
            "NAME", "STATE", "NODES", "SUPERVISOR"
        );
        for e in &labs {
            println!(
                "{:<24} {:<8} {:>6} {:>10}",
                e.name,
                if e.running { "running" } else { "stale" },
                e.state.as_ref().map_or(0, |s| s.nodes.len()),
                e.state
                    .as_ref()
                    .map_or("-".to_owned(), |s| s.supervisor.pid.to_string())
            );
        }
    }
    Ok(0)
}

fn down(lab: &str) -> Res<u8> {
    let e = state::get(lab)?;
    match (&e.state, e.running) {
        (Some(s), true) => {
            state::terminate(&s.supervisor)?;
            if !state::wait_gone(&s.supervisor, Duration::from_secs(120)) {
                return Err(fail(format!(
                    "lab down {lab}: the supervisor (pid {}) did not stop",
                    s.supervisor.pid
                )));
            }
            // The supervisor removes its directory; if it was killed meanwhile, do it here.
            let e = state::get(lab);
            if let Ok(e) = e {
                state::remove(&e)?;
            }
        }
        _ => state::remove(&e)?,
    }
    println!("lab {lab} down");
    Ok(0)
}

fn clean() -> Res<u8> {
    for name in state::clean()? {
        println!("removed {name}");
    }
    Ok(0)
}
