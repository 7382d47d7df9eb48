//! The per-user keeper: one detached agent per user, in a user namespace and a mount namespace
//! of its own, listening on `STATE/keeper.sock` (see [`super::state_dir`]). It owns the
//! user's rootless named network namespaces (bind mounts on `STATE/netns/NAME`, made inside
//! its mount namespace, so the host's mount table never changes) and makes the anonymous
//! namespaces an ordinary user asks for ([`crate::Namespace::create`]). It exits once it holds
//! no name and no process is connected to it, removing its socket file first.
//!
//! Every process keeps one connection to it (made on first use, started under a lock on the
//! state directory when none runs). A connection that breaks (the keeper exited just as we
//! came) is dropped and the request is tried once more, on a new keeper if need be.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};

use nix::fcntl::{Flock, FlockArg, OFlag};
use nix::sys::stat::Mode;

use super::agent::{Agent, Failure};
use super::Maps;
use crate::error::{Error, Result};
use crate::launch::wire::agent_op as op;
use crate::NsId;

/// The connection and the pid of the process that made it: a child made by fork(2) (Python's
/// multiprocessing) inherits the descriptor, and two processes on one connection would read
/// each other's answers, so a child makes its own.
static KEEPER: Mutex<Option<(Arc<Agent>, u32)>> = Mutex::new(None);
/// Other agents of this process (rootless labs), found by their user namespace.
static AGENTS: Mutex<Vec<Weak<Agent>>> = Mutex::new(Vec::new());

fn socket_path() -> Result<PathBuf> {
    let p = super::state_dir()?.join("keeper.sock");
    if p.as_os_str().len() >= 108 {
        return Err(Error::Rootless {
            op: "rootless keeper",
            reason: format!(
                "its socket {} is longer than a unix socket path may be (107 bytes): set \
                 XDG_RUNTIME_DIR to a shorter directory",
                p.display()
            ),
            errno: crate::Errno::from_raw(libc::ENAMETOOLONG),
        });
    }
    Ok(p)
}

/// This process's connection to the keeper: connected, or the keeper started, on first use.
pub(crate) fn keeper() -> Result<Arc<Agent>> {
    let mut k = KEEPER.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(a) = live(&mut k) {
        return Ok(a);
    }
    let a = Arc::new(connect_or_start()?);
    *k = Some((a.clone(), std::process::id()));
    Ok(a)
}

/// The keeper's connection when one runs, without starting one.
pub(crate) fn running() -> Option<Arc<Agent>> {
    let mut k = KEEPER.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(a) = live(&mut k) {
        return Some(a);
    }
    let a = Arc::new(Agent::connect(&socket_path().ok()?).ok()?);
    *k = Some((a.clone(), std::process::id()));
    Some(a)
}

/// The cached connection, unless the keeper behind it is gone (killed, crashed): then it is
/// dropped, so the caller connects to (or starts) the keeper that runs now.
fn live(k: &mut Option<(Arc<Agent>, u32)>) -> Option<Arc<Agent>> {
    match k.as_ref() {
        Some((a, pid)) if *pid == std::process::id() && a.alive() => Some(a.clone()),
        // Dead, or inherited through fork (the descriptor is this process's own copy: dropping
        // it leaves the parent's connection open).
        _ => {
            *k = None;
            None
        }
    }
}

fn forget(a: &Arc<Agent>) {
    let mut k = KEEPER.lock().unwrap_or_else(|p| p.into_inner());
    if k.as_ref().is_some_and(|(x, _)| Arc::ptr_eq(x, a)) {
        *k = None;
    }
}

/// Runs `f` on the keeper; if the connection broke, once more on a fresh one.
pub(crate) fn with_keeper<T>(
    f: impl Fn(&Agent) -> std::result::Result<T, Failure>,
) -> Result<std::result::Result<T, Failure>> {
    let k = keeper()?;
    match f(&k) {
        Err(Failure::Gone(_)) => {
            forget(&k);
            let k = keeper()?;
            Ok(f(&k))
        }
        other => Ok(other),
    }
}

/// Connects to the keeper, or starts one, under an exclusive lock on the state directory (so
/// two processes never start two).
fn connect_or_start() -> Result<Agent> {
    let path = socket_path()?;
    if let Ok(a) = Agent::connect(&path) {
        return Ok(a);
    }
    super::check("rootless keeper")?;
    let dir = super::state_dir()?;
    let fd = nix::fcntl::open(
        &dir,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("rootless: open", &dir, e))?;
    let _lock = Flock::lock(fd, FlockArg::LockExclusive)
        .map_err(|(_, e)| Error::sys("rootless: flock", &dir, e))?;
    if let Ok(a) = Agent::connect(&path) {
        return Ok(a);
    }
    let a = Agent::start(&Maps::for_caller())?;
    let step = |what: &'static str, op: u32, arg: u32, p: &[u8]| {
        a.call(op, [arg, 0, 0], p, None)
            .map(|_| ())
            .map_err(|f| super::agent::fail(what, f))
    };
    use std::os::unix::ffi::OsStrExt;
    step(
        "rootless keeper: mount propagation",
        op::PROPAGATION,
        (libc::MS_REC | libc::MS_SLAVE) as u32,
        b"",
    )?;
    step(
        "rootless keeper: listen",
        op::LISTEN,
        0,
        path.as_os_str().as_bytes(),
    )?;
    step("rootless keeper: detach", op::DETACH, 0, b"")?;
    Ok(a)
}

/// Registers a rootless lab's agent, so operations on namespaces its user namespace owns
/// find it ([`agent_for`]).
pub(crate) fn register(a: &Arc<Agent>) {
    let mut v = AGENTS.lock().unwrap_or_else(|p| p.into_inner());
    v.retain(|w| w.strong_count() > 0);
    v.push(Arc::downgrade(a));
}

/// The agent (of this process) whose user namespace is `userns`: a rootless lab's, or the
/// keeper's.
pub(crate) fn agent_for(userns: NsId) -> Option<Arc<Agent>> {
    let v = AGENTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(a) = v
        .iter()
        .filter_map(Weak::upgrade)
        .find(|a| a.userns() == userns)
    {
        return Some(a);
    }
    drop(v);
    running().filter(|k| k.userns() == userns)
}
