//! Labs held by a supervisor process (`nsrun lab up`) record themselves in
//! `/run/nsrun/labs/<name>/state.json`: the supervisor's pid and the pids of the nodes' PID 1,
//! each with its start time (so a recycled pid is never mistaken for one of ours).
//!
//! Nothing else of a lab is persisted: its namespaces, interfaces and mounts are held only by
//! its processes. If the supervisor is killed, its nodes die with it (PDEATHSIG) and the
//! kernel frees the rest; what can remain is this directory, which [`clean`] removes (and,
//! should a recorded node still run, that node). [`clean`] touches nothing but these
//! directories and the processes recorded in them.

use std::path::{Path, PathBuf};

use nix::errno::Errno;
use serde::{Deserialize, Serialize};

use super::{Lab, LabError};
use crate::error::{Context, Error, Result};

/// Where supervised labs record themselves.
pub const RUN_DIR: &str = "/run/nsrun/labs";

/// Where labs are recorded: [`RUN_DIR`] for root, `labs` in the user's rootless state
/// directory ([`crate::rootless::state_dir`]) for an ordinary user.
pub fn run_dir() -> Result<PathBuf> {
    if crate::rootless::privileged() {
        Ok(PathBuf::from(RUN_DIR))
    } else {
        Ok(crate::rootless::state_dir()?.join("labs"))
    }
}
const STATE: &str = "state.json";

/// A process, identified by pid and start time (field 22 of /proc/PID/stat).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proc {
    /// Host pid.
    pub pid: i32,
    /// Start time in clock ticks since boot (so a reused pid is never mistaken for it).
    pub start: u64,
}

impl Proc {
    /// The process `pid` as it is now (None if there is none).
    pub fn of(pid: i32) -> Option<Proc> {
        start_time(pid).map(|start| Proc { pid, start })
    }

    /// Whether this very process still runs (same pid, same start time, not a zombie).
    pub fn alive(&self) -> bool {
        start_time(self.pid) == Some(self.start)
    }
}

fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces and parentheses).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// One node of a supervised lab.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeState {
    /// The node's name.
    pub name: String,
    /// The node's nsrun-init.
    pub init: Proc,
}

/// What `state.json` holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LabState {
    /// The lab's name.
    pub name: String,
    /// The supervisor that holds the lab.
    pub supervisor: Proc,
    /// The topology file it was brought up from.
    pub topology: Option<PathBuf>,
    /// Its nodes.
    pub nodes: Vec<NodeState>,
}

/// A lab found under [`RUN_DIR`].
#[derive(Clone, Debug)]
pub struct Entry {
    /// The lab's name.
    pub name: String,
    /// Its state directory.
    pub dir: PathBuf,
    /// None while the supervisor is still bringing the lab up (or if it died before writing).
    pub state: Option<LabState>,
    /// The recorded supervisor still runs.
    pub running: bool,
}

/// The directory of lab `name` (after checking the name).
pub fn dir(name: &str) -> Result<PathBuf> {
    super::topology::check_name("lab", name, 64).map_err(|message| LabError::Topology {
        file: None,
        message,
    })?;
    Ok(run_dir()?.join(name))
}

fn read_entry(name: &str, dir: PathBuf) -> Entry {
    let state: Option<LabState> = std::fs::read(dir.join(STATE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    // Before state.json exists, the claim file names the supervisor.
    let sup = state.as_ref().map(|s| s.supervisor.clone()).or_else(|| {
        std::fs::read(dir.join("supervisor.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
    });
    let running = sup.is_some_and(|p| p.alive());
    Entry {
        name: name.to_owned(),
        dir,
        state,
        running,
    }
}

/// Every lab recorded under [`RUN_DIR`], sorted by name.
pub fn list() -> Result<Vec<Entry>> {
    let run = run_dir()?;
    let rd = match std::fs::read_dir(&run) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).ctx("lab: list", &run),
    };
    let mut out: Vec<Entry> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            Some(read_entry(&name, e.path()))
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The lab `name` (NoSuchLab if it is not recorded).
pub fn get(name: &str) -> Result<Entry> {
    let d = dir(name)?;
    if !d.is_dir() {
        return Err(LabError::NoSuchLab {
            lab: name.to_owned(),
        }
        .into());
    }
    Ok(read_entry(name, d))
}

/// Claims the name for the calling process (the supervisor): creates the lab's directory,
/// refusing a name whose supervisor runs; a stale directory of that name is cleaned first.
pub fn claim(name: &str) -> Result<PathBuf> {
    let d = dir(name)?;
    let run = run_dir()?;
    std::fs::create_dir_all(&run).ctx("lab: create", &run)?;
    loop {
        match std::fs::create_dir(&d) {
            Ok(()) => break,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let entry = read_entry(name, d.clone());
                if entry.running {
                    let pid = entry.state.map(|s| s.supervisor.pid).unwrap_or(0);
                    return Err(LabError::AlreadyRunning {
                        lab: name.to_owned(),
                        pid,
                    }
                    .into());
                }
                remove(&entry)?;
            }
            Err(e) => return Err(e).ctx("lab: create", &d),
        }
    }
    write_atomic(&d, "supervisor.json", &json(&myself()?, false)?)?;
    Ok(d)
}

fn write_atomic(dir: &Path, file: &str, data: &[u8]) -> Result<()> {
    let tmp = dir.join(format!(".{file}.tmp"));
    std::fs::write(&tmp, data).ctx("lab: write", &tmp)?;
    std::fs::rename(&tmp, dir.join(file)).ctx("lab: rename", dir.join(file))
}

/// Records a running lab (by its supervisor, once it is up).
pub fn record(dir: &Path, lab: &Lab, topology: Option<&Path>) -> Result<()> {
    let state = LabState {
        name: lab.name().to_owned(),
        supervisor: myself()?,
        topology: topology.map(|t| std::path::absolute(t).unwrap_or_else(|_| t.to_path_buf())),
        nodes: lab
            .nodes()
            .iter()
            .filter_map(|n| {
                Some(NodeState {
                    name: n.name().to_owned(),
                    init: Proc::of(n.pid())?,
                })
            })
            .collect(),
    };
    write_atomic(dir, STATE, &json(&state, true)?)
}

/// This process as a [`Proc`] (its start time from /proc/self/stat).
fn myself() -> Result<Proc> {
    let pid = std::process::id() as i32;
    Proc::of(pid).ok_or_else(|| {
        crate::Error::sys(
            "lab: read start time",
            format!("/proc/{pid}/stat"),
            nix::errno::Errno::EIO,
        )
    })
}

/// `state.json` / `supervisor.json` bytes.
fn json<T: Serialize>(value: &T, pretty: bool) -> Result<Vec<u8>> {
    let r = if pretty {
        serde_json::to_vec_pretty(value)
    } else {
        serde_json::to_vec(value)
    };
    r.map_err(|e| {
        crate::Error::invalid(
            "lab: write state",
            "state",
            e.to_string(),
            "cannot be encoded",
        )
    })
}

/// Removes a lab's directory, after killing any recorded node that still runs (its supervisor
/// must not: callers check `running`).
pub fn remove(entry: &Entry) -> Result<()> {
    if let Some(s) = &entry.state {
        for n in &s.nodes {
            kill_if_alive(&n.init);
        }
    }
    match std::fs::remove_dir_all(&entry.dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).ctx("lab: remove", &entry.dir),
    }
}

/// SIGKILL to a recorded process, through a pidfd opened after checking its start time (so
/// never to a process that merely reuses the pid).
pub fn kill_if_alive(p: &Proc) -> bool {
    // SAFETY: pidfd_open returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, p.pid, 0) } as i32;
    if fd < 0 {
        return false;
    }
    // SAFETY: just created, ours.
    let fd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    if !p.alive() {
        return false;
    }
    // SAFETY: pidfd_send_signal on our pidfd, no siginfo.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            libc::SIGKILL,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    r == 0
}

/// Removes every lab whose supervisor is gone (and any of its nodes still running); returns
/// their names. Running labs are left alone (`nsrun lab down` stops them).
pub fn clean() -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for e in list()? {
        if !e.running {
            remove(&e)?;
            removed.push(e.name);
        }
    }
    Ok(removed)
}

/// Waits until process `p` has exited, at most `timeout`; true if it has.
pub fn wait_gone(p: &Proc, timeout: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while p.alive() {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    true
}

/// SIGTERM to a recorded supervisor (pidfd, after checking its start time).
pub fn terminate(p: &Proc) -> Result<()> {
    // SAFETY: pidfd_open returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, p.pid, 0) } as i32;
    let fd = Errno::result(fd).map_err(|e| Error::sys_nopath("lab: pidfd_open supervisor", e))?;
    // SAFETY: just created, ours.
    let fd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    if !p.alive() {
        return Ok(());
    }
    // SAFETY: pidfd_send_signal on our pidfd, no siginfo.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            libc::SIGTERM,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    match Errno::result(r) {
        Ok(_) | Err(Errno::ESRCH) => Ok(()),
        Err(e) => Err(Error::sys_nopath("lab: signal supervisor", e)),
    }
}
