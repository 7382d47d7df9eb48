//! `nsrun.spawn` / `nsrun.run`: the native `_spawn` and `_Child` behind `nsrun.Process`.
//! `nsrun/_launch.py` checks and normalises every option; this file only converts them.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

use nsrun::launch::{ExecChild, ExecCommand, IdMap, Signaller};
use nsrun::{Child, Kind, Launch, NsMode, Stdio};

use crate::convert::{clone_handle, parse_path, path_arg, OsArg, PyPath};
use crate::errors::{invalid, OrRaise};
use crate::kind::{kind_from_name, parse_kind};
use crate::namespace::PyNamespace;

/// The native side of ``nsrun.Process``.
#[pyclass(module = "nsrun._nsrun", name = "_Child")]
pub struct PyChild {
    /// The exit status is cached here only (`Child::status`).
    child: Mutex<Child>,
    /// Signals can be sent while another thread waits.
    signaller: Signaller,
    pid: i32,
}

impl PyChild {
    fn lock(&self) -> MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl PyChild {
    #[getter]
    fn pid(&self) -> i32 {
        self.pid
    }

    /// The returncode once reaped (by ``wait`` or ``stop``), else None. Never blocks: while
    /// another thread is in ``wait``, the program has not been reaped yet.
    #[getter]
    fn returncode(&self) -> Option<i32> {
        let child = self.child.try_lock().ok()?;
        child.status().map(|s| s.returncode())
    }

    /// The launcher's ends of piped streams, as raw fds (-1 when not piped); taken once.
    fn take_pipes(&self) -> (i32, i32, i32) {
        use std::os::fd::{IntoRawFd, OwnedFd};
        let mut c = self.lock();
        let take = |f: Option<OwnedFd>| f.map(|f| f.into_raw_fd()).unwrap_or(-1);
        (
            take(c.stdin.take()),
            take(c.stdout.take()),
            take(c.stderr.take()),
        )
    }

    /// Waits at most ``timeout`` seconds (None: forever); returns the returncode or None.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<i32>> {
        let timeout = timeout.map(|t| Duration::from_secs_f64(t.max(0.0)));
        let status = py.detach(|| self.lock().wait(timeout)).or_raise(py)?;
        Ok(status.map(|s| s.returncode()))
    }

    /// Sends ``sig`` (a no-op once the program has been reaped).
    fn send_signal(&self, py: Python<'_>, sig: i32) -> PyResult<()> {
        self.signaller.send_signal(sig).or_raise(py)
    }

    /// Runs the shutdown command and SIGTERMs everything; SIGKILL after ``timeout`` seconds.
    fn stop(&self, py: Python<'_>, timeout: f64) -> PyResult<i32> {
        let grace = Duration::from_secs_f64(timeout.max(0.0));
        let status = py.detach(|| self.lock().stop(grace)).or_raise(py)?;
        Ok(status.returncode())
    }

    fn namespace(&self, py: Python<'_>, kind: &Bound<'_, PyAny>) -> PyResult<PyNamespace> {
        let kind = parse_kind(py, kind)?;
        self.lock()
            .namespace(kind)
            .or_raise(py)
            .map(PyNamespace::wrap)
    }

    /// Runs ``argv`` inside this running launch, through its init (``Process.popen``).
    fn exec(
        &self,
        py: Python<'_>,
        argv: Vec<OsArg>,
        options: ExecOptions,
    ) -> PyResult<PyExecChild> {
        let cmd = options.into_command(py, argv)?;
        let child = py.detach(|| self.lock().exec(&cmd)).or_raise(py)?;
        PyExecChild::wrap(py, child)
    }
}

/// The options of ``Process.popen`` after ``nsrun/_launch.py`` normalised them.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct ExecOptions {
    env: Option<Vec<(OsArg, OsArg)>>,
    cwd: Option<PyPath>,
    uid: Option<u32>,
    gid: Option<u32>,
    stdin: i32,
    stdout: i32,
    stderr: i32,
}

impl ExecOptions {
    fn into_command(self, py: Python<'_>, argv: Vec<OsArg>) -> PyResult<ExecCommand> {
        let mut cmd = ExecCommand::new(argv.into_iter().map(|a| a.0));
        if let Some(env) = self.env {
            cmd.env_clear_and_set(env.into_iter().map(|(k, v)| (k.0, v.0)));
        }
        if let Some(cwd) = self.cwd {
            cmd.cwd(parse_path(py, "cwd", cwd)?);
        }
        if let Some(uid) = self.uid {
            cmd.uid(uid);
        }
        if let Some(gid) = self.gid {
            cmd.gid(gid);
        }
        cmd.stdin(stdio(py, self.stdin)?)
            .stdout(stdio(py, self.stdout)?)
            .stderr(stdio(py, self.stderr)?);
        Ok(cmd)
    }
}

/// The native side of a ``Process.popen`` handle: a command running inside a launch.
#[pyclass(module = "nsrun._nsrun", name = "_ExecChild")]
pub struct PyExecChild {
    child: Mutex<ExecChild>,
    signaller: Signaller,
    pid: i32,
}

impl PyExecChild {
    pub(crate) fn wrap(py: Python<'_>, child: ExecChild) -> PyResult<PyExecChild> {
        let signaller = child.signaller().or_raise(py)?;
        Ok(PyExecChild {
            pid: child.pid(),
            child: Mutex::new(child),
            signaller,
        })
    }

    fn lock(&self) -> MutexGuard<'_, ExecChild> {
        self.child.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl PyExecChild {
    #[getter]
    fn pid(&self) -> i32 {
        self.pid
    }

    #[getter]
    fn returncode(&self) -> Option<i32> {
        let child = self.child.try_lock().ok()?;
        child.status().map(|s| s.returncode())
    }

    fn take_pipes(&self) -> (i32, i32, i32) {
        use std::os::fd::{IntoRawFd, OwnedFd};
        let mut c = self.lock();
        let take = |f: Option<OwnedFd>| f.map(|f| f.into_raw_fd()).unwrap_or(-1);
        (
            take(c.stdin.take()),
            take(c.stdout.take()),
            take(c.stderr.take()),
        )
    }

    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<i32>> {
        let timeout = timeout.map(|t| Duration::from_secs_f64(t.max(0.0)));
        let status = py.detach(|| self.lock().wait(timeout)).or_raise(py)?;
        Ok(status.map(|s| s.returncode()))
    }

    fn send_signal(&self, py: Python<'_>, sig: i32) -> PyResult<()> {
        if self.returncode().is_some() {
            return Ok(());
        }
        self.signaller.send_signal(sig).or_raise(py)
    }

    /// SIGTERM, then SIGKILL after ``timeout`` seconds.
    fn stop(&self, py: Python<'_>, timeout: f64) -> PyResult<i32> {
        let grace = Duration::from_secs_f64(timeout.max(0.0));
        let status = py.detach(|| self.lock().stop(grace)).or_raise(py)?;
        Ok(status.returncode())
    }

    /// The command's namespace of ``kind`` (those of the launch it runs in).
    fn namespace(&self, py: Python<'_>, kind: &Bound<'_, PyAny>) -> PyResult<PyNamespace> {
        let kind = parse_kind(py, kind)?;
        nsrun::Namespace::of_pid(self.pid, kind)
            .or_raise(py)
            .map(PyNamespace::wrap)
    }
}

/// The options of ``nsrun.spawn`` after ``nsrun/_launch.py`` normalised them: a dict with
/// exactly these keys.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct SpawnOptions<'py> {
    rootfs: Option<PyPath>,
    /// (kind name, "new" | "inherit" | Namespace | path to join), defaults merged in.
    namespaces: Vec<(String, Bound<'py, PyAny>)>,
    hostname: Option<String>,
    /// (host path, path inside, read-only).
    mounts: Vec<(PyPath, PyPath, bool)>,
    env: Option<Vec<(OsArg, OsArg)>>,
    cwd: Option<PyPath>,
    uid: Option<u32>,
    gid: Option<u32>,
    uid_map: Vec<(u32, u32, u32)>,
    gid_map: Vec<(u32, u32, u32)>,
    map_root_user: bool,
    /// Core's stdio codes (`nsrun::Stdio::from_code`) or a descriptor.
    stdin: i32,
    stdout: i32,
    stderr: i32,
    /// (descriptor of the caller, number inside).
    pass_fds: Vec<(i32, i32)>,
    boot: Option<Vec<OsArg>>,
    shutdown: Option<Vec<OsArg>>,
    init: bool,
    interactive: bool,
    host_dev: bool,
    proc_sys_writable: bool,
    privileged: bool,
    userns: bool,
    /// None: core decides (rootless when the caller lacks CAP_SYS_ADMIN).
    rootless: Option<bool>,
    /// Seconds the start (the boot command above all) may take, or None.
    start_timeout: Option<f64>,
}

/// A namespace setting: "new", "inherit", a Namespace, or a path to join; for the network
/// namespace a str is core's "netns name or path" (`nsrun::netns::resolve`).
fn ns_mode(py: Python<'_>, kind: Kind, v: &Bound<'_, PyAny>) -> PyResult<NsMode> {
    if let Ok(ns) = v.cast::<PyNamespace>() {
        return clone_handle(py, ns, Some(kind)).map(NsMode::Join);
    }
    if let Ok(s) = v.extract::<String>() {
        match s.as_str() {
            "new" => return Ok(NsMode::New),
            "inherit" => return Ok(NsMode::Inherit),
            name_or_path if kind == Kind::Net => {
                return nsrun::netns::resolve(name_or_path)
                    .or_raise(py)
                    .map(NsMode::Join)
            }
            _ => {}
        }
    }
    if v.extract::<PyPath>().is_err() {
        let shown = v.repr().map(|r| r.to_string()).unwrap_or_default();
        return Err(invalid(
            py,
            "namespace setting",
            shown,
            "must be \"new\", \"inherit\"/None, a Namespace or a path to join",
        ));
    }
    let path = path_arg(py, "namespace path", v)?;
    nsrun::Namespace::open(&path, Some(kind))
        .or_raise(py)
        .map(NsMode::Join)
}

/// Core's stdio code (`STDIO_INHERIT`, `STDIO_PIPE` = subprocess.PIPE, `STDIO_NULL` =
/// subprocess.DEVNULL) or a descriptor (duplicated).
fn stdio(py: Python<'_>, v: i32) -> PyResult<Stdio> {
    Stdio::from_code(v).or_raise(py)
}

/// Core's rcS convention for `rootfs`: (boot, shutdown) when it has /etc/rcS, else None.
#[pyfunction]
pub fn rcs_commands(py: Python<'_>, rootfs: &Bound<'_, PyAny>) -> PyResult<Option<RcsCommands>> {
    let rootfs = path_arg(py, "rootfs", rootfs)?;
    Ok(nsrun::launch::rcs_commands(&rootfs))
}

type RcsCommands = (Vec<std::ffi::OsString>, Vec<std::ffi::OsString>);

fn id_maps(v: Vec<(u32, u32, u32)>) -> Vec<IdMap> {
    v.into_iter()
        .map(|(inside, outside, count)| IdMap {
            inside,
            outside,
            count,
        })
        .collect()
}

impl SpawnOptions<'_> {
    /// The core builder for `argv` with these options.
    fn into_launch(self, py: Python<'_>, argv: Vec<OsArg>) -> PyResult<Launch> {
        let mut l = Launch::new(argv.into_iter().map(|a| a.0));
        if let Some(r) = self.rootfs {
            l.rootfs(parse_path(py, "rootfs", r)?);
        }
        for (name, v) in &self.namespaces {
            let kind = kind_from_name(py, name)?;
            l.namespace(kind, ns_mode(py, kind, v)?);
        }
        if let Some(h) = self.hostname {
            l.hostname(h);
        }
        for (src, dst, ro) in self.mounts {
            let (src, dst) = (
                parse_path(py, "mount source", src)?,
                parse_path(py, "mount target", dst)?,
            );
            l.bind(src, dst, ro);
        }
        if let Some(e) = self.env {
            l.env_clear_and_set(e.into_iter().map(|(k, v)| (k.0, v.0)));
        }
        if let Some(c) = self.cwd {
            l.cwd(parse_path(py, "cwd", c)?);
        }
        if self.uid.is_some() || self.gid.is_some() {
            l.user(self.uid.unwrap_or(0), self.gid.unwrap_or(0));
        }
        if self.map_root_user {
            l.map_root_user();
        }
        if !self.uid_map.is_empty() || !self.gid_map.is_empty() {
            l.id_maps(id_maps(self.uid_map), id_maps(self.gid_map));
        }
        l.stdin(stdio(py, self.stdin)?)
            .stdout(stdio(py, self.stdout)?)
            .stderr(stdio(py, self.stderr)?);
        for (fd, target) in self.pass_fds {
            l.pass_fd(nsrun::dup_fd(fd).or_raise(py)?, target);
        }
        if let Some(b) = self.boot {
            l.boot(b.into_iter().map(|a| a.0));
        }
        if let Some(s) = self.shutdown {
            l.shutdown(s.into_iter().map(|a| a.0));
        }
        l.init(self.init)
            .interactive(self.interactive)
            .host_dev(self.host_dev)
            .proc_sys_writable(self.proc_sys_writable)
            .privileged(self.privileged)
            .userns(self.userns);
        l.rootless(self.rootless);
        Ok(l)
    }
}

/// Starts a program in namespaces (``argv`` and the options of ``nsrun.spawn``, already
/// checked and normalised by nsrun/_launch.py).
#[pyfunction]
pub fn _spawn(py: Python<'_>, argv: Vec<OsArg>, options: SpawnOptions<'_>) -> PyResult<PyChild> {
    let deadline = match options.start_timeout {
        Some(t) if t.is_finite() && t >= 0.0 => Some(Instant::now() + Duration::from_secs_f64(t)),
        Some(t) => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "timeout must be a finite number of seconds >= 0, not {t}"
            )))
        }
        None => None,
    };
    let mut l = options.into_launch(py, argv)?;
    // While the launch starts (its boot command), Ctrl+C and other signals with Python
    // handlers are acted on: the launch is killed and the handler's exception raised.
    let mut pending: Option<PyErr> = None;
    let spawned = py.detach(|| {
        l.spawn_until(
            deadline,
            &mut || match Python::attach(|py| py.check_signals()) {
                Ok(()) => Ok(()),
                Err(e) => {
                    pending = Some(e);
                    Err(nsrun::Error::Launch {
                        stage: nsrun::Stage::Boot,
                        errno: nsrun::Errno::EINTR,
                        status: None,
                        path: None,
                    })
                }
            },
        )
    });
    if let Some(e) = pending {
        return Err(e);
    }
    let child = spawned.or_raise(py)?;
    let signaller = child.signaller().or_raise(py)?;
    Ok(PyChild {
        pid: child.pid(),
        child: Mutex::new(child),
        signaller,
    })
}
