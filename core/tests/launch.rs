//! The launch from Rust, against the real kernel (run as root; needs the busybox fixture rootfs,
//! built by `make rootfs`).

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use nsrun::launch::ExecCommand;
use nsrun::{Error, ExitStatus, Kind, Launch, Namespace, NsMode, Stage, Stdio};

mod common;
use common::{output, rootfs};

#[test]
fn runs_in_a_rootfs_with_init_as_pid_1() {
    let mut l = Launch::new(["/bin/sh", "-c", "cat /proc/1/comm; hostname; exit 3"]);
    l.rootfs(rootfs()).hostname("r1");
    let (out, status) = output(&mut l);
    assert_eq!(out, "nsrun-init\nr1\n");
    assert_eq!(status, ExitStatus::Exited(3));
}

#[test]
fn joins_a_network_namespace_and_exposes_the_childs_namespaces() {
    let net = Namespace::create(Kind::Net).unwrap();
    let mut l = Launch::new(["/bin/sh", "-c", "readlink /proc/self/ns/net; sleep 100"]);
    l.rootfs(rootfs())
        .namespace(
            Kind::Net,
            NsMode::Join(
                Namespace::open(
                    format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&net)),
                    None,
                )
                .unwrap(),
            ),
        )
        .stdout(Stdio::Piped);
    let mut child = l.spawn().unwrap();
    assert_eq!(child.namespace(Kind::Net).unwrap(), net);
    assert_ne!(
        child.namespace(Kind::Pid).unwrap(),
        Namespace::current(Kind::Pid).unwrap()
    );
    let mut out = [0u8; 64];
    let n = std::fs::File::from(child.stdout.take().unwrap())
        .read(&mut out)
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&out[..n]).unwrap().trim(),
        net.to_string()
    );
    assert_eq!(
        child.stop(Duration::from_secs(5)).unwrap(),
        ExitStatus::Exited(128 + libc::SIGTERM)
    );
}

#[test]
fn failures_before_exec_are_precise() {
    let err = Launch::new(["/no/such"])
        .rootfs(rootfs())
        .spawn()
        .unwrap_err();
    match &err {
        Error::Launch {
            stage: Stage::Exec,
            errno,
            ..
        } => assert_eq!(*errno, nsrun::Errno::ENOENT),
        other => panic!("{other:?}"),
    }
    assert_eq!(err.path(), Some(std::path::Path::new("/no/such")));
    assert_eq!(err.to_string(), "launch: exec /no/such: program not found");

    let err = Launch::new(["/bin/true"])
        .rootfs("/nonexistent")
        .spawn()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Launch {
                stage: Stage::Rootfs,
                ..
            }
        ),
        "{err:?}"
    );

    let err = Launch::new(["/bin/true"])
        .rootfs(rootfs())
        .boot(["/bin/sh", "-c", "exit 2"])
        .spawn()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "launch: boot /bin/sh: boot command exited with status 2"
    );

    let err = Launch::new(Vec::<String>::new()).spawn().unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
}

#[test]
fn dropping_the_handle_kills_the_container() {
    let mut l = Launch::new(["/bin/sleep", "1000"]);
    l.rootfs(rootfs());
    let child = l.spawn().unwrap();
    let proc_dir = PathBuf::from(format!("/proc/{}", child.pid()));
    assert!(proc_dir.exists());
    drop(child);
    assert!(!proc_dir.exists());
}

fn read_all(fd: Option<std::os::fd::OwnedFd>) -> String {
    let mut out = String::new();
    std::fs::File::from(fd.unwrap())
        .read_to_string(&mut out)
        .unwrap();
    out
}

/// A running node: `sleep 1000` in the rootfs with a unique hostname.
fn node(name: &str) -> nsrun::Child {
    let mut l = Launch::new(["/bin/sleep", "1000"]);
    l.rootfs(rootfs())
        .hostname(format!("{name}-{}", std::process::id()))
        .stdin(Stdio::Null);
    l.spawn().unwrap()
}

#[test]
fn exec_runs_in_the_nodes_hostname_root_and_pid_namespace() {
    let mut child = node("ex");
    // It waits on its stdin until the end, so it is alive when its start is reported: the
    // host pid is read from the pidfd then (a command that has already been reaped by then
    // has none to read, and `pid()` is -1).
    let mut cmd = ExecCommand::new([
        "/bin/sh",
        "-c",
        "read go; hostname; test -x /etc/rcS && echo rootfs; readlink /proc/self/ns/pid; \
         echo $$; cat /proc/$PPID/comm",
    ]);
    cmd.stdout(Stdio::Piped).stdin(Stdio::Piped);
    let mut e = child.exec(&cmd).unwrap();
    assert!(e.pid() > 0 && e.pid() != e.pid_in_launch());
    drop(e.stdin.take()); // EOF: read returns, the script goes on
    let out = read_all(e.stdout.take());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("ex-{}", std::process::id()));
    assert_eq!(lines[1], "rootfs");
    assert_eq!(lines[2], child.namespace(Kind::Pid).unwrap().to_string());
    assert_eq!(lines[3], e.pid_in_launch().to_string());
    assert_eq!(lines[4], "nsrun-init");
    assert_eq!(e.wait(None).unwrap(), Some(ExitStatus::Exited(0)));
    child.stop(Duration::from_secs(5)).unwrap();
}

#[test]
fn exec_statuses_follow_the_launch_rules() {
    let mut child = node("st");
    let status = |argv: &[&str]| {
        let mut cmd = ExecCommand::new(argv);
        cmd.stdout(Stdio::Null).stderr(Stdio::Null);
        child.exec(&cmd).map(|mut e| e.wait(None).unwrap().unwrap())
    };
    assert_eq!(
        status(&["sh", "-c", "exit 3"]).unwrap(),
        ExitStatus::Exited(3)
    );
    assert_eq!(
        status(&["sh", "-c", "kill -9 $$"]).unwrap(),
        ExitStatus::Exited(128 + 9)
    );
    match status(&["/no/such"]).unwrap_err() {
        Error::Launch {
            stage: Stage::Exec,
            errno,
            ..
        } => assert_eq!(errno, nsrun::Errno::ENOENT),
        other => panic!("{other:?}"),
    }
    let err = status(&["/etc/rcS-missing-dir/x"]).unwrap_err();
    assert_eq!(err.errno(), nsrun::Errno::ENOENT);
    // Environment and cwd: the launch's unless given.
    let mut cmd = ExecCommand::new(["/bin/sh", "-c", "echo $NSRUN_T; pwd"]);
    cmd.env_clear_and_set([("NSRUN_T", "v"), ("PATH", "/bin")])
        .cwd("/etc")
        .stdout(Stdio::Piped);
    let mut e = child.exec(&cmd).unwrap();
    assert_eq!(read_all(e.stdout.take()), "v\n/etc\n");
    e.wait(None).unwrap();
    child.stop(Duration::from_secs(5)).unwrap();
}

#[test]
fn an_execd_program_is_gone_after_the_node_stops() {
    let mut child = node("gone");
    let mut cmd = ExecCommand::new(["/bin/sleep", "1000"]);
    cmd.stdout(Stdio::Null);
    let mut e = child.exec(&cmd).unwrap();
    let proc_dir = PathBuf::from(format!("/proc/{}", e.pid()));
    assert!(proc_dir.exists());
    assert_eq!(e.wait(Some(Duration::from_millis(50))).unwrap(), None);
    child.stop(Duration::from_secs(5)).unwrap();
    // stop() sends SIGTERM to every process of the launch, then the init SIGKILLs what is left
    // once the payload is gone (which may come first).
    let status = e.wait(None).unwrap();
    assert!(
        matches!(status, Some(ExitStatus::Exited(143 | 137))),
        "{status:?}"
    );
    assert!(vanishes(&proc_dir), "{} still exists", proc_dir.display());
    // Without stop: the init's own death takes it along (the PID namespace ends).
    let child = node("gone2");
    let mut e = child.exec(&cmd).unwrap();
    let proc_dir = PathBuf::from(format!("/proc/{}", e.pid()));
    child.kill().unwrap();
    assert_eq!(e.wait(None).unwrap(), Some(ExitStatus::Exited(128 + 9)));
    assert!(vanishes(&proc_dir), "{} still exists", proc_dir.display());
}

/// True once `dir` (a /proc/PID) is gone, within 10 s: the status can arrive a moment before
/// the kernel has released the process (its init, or the dying PID namespace, reaps it).
fn vanishes(dir: &std::path::Path) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while dir.exists() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

#[test]
fn eight_threads_exec_into_four_nodes_at_once() {
    let nodes: Vec<nsrun::Child> = (0..4).map(|i| node(&format!("n{i}"))).collect();
    std::thread::scope(|s| {
        for t in 0..8 {
            let n = &nodes[t % 4];
            s.spawn(move || {
                for _ in 0..25 {
                    let mut cmd = ExecCommand::new(["hostname"]);
                    cmd.stdout(Stdio::Piped);
                    let mut e = n.exec(&cmd).unwrap();
                    let out = read_all(e.stdout.take());
                    assert_eq!(out.trim(), format!("n{}-{}", t % 4, std::process::id()));
                    assert_eq!(e.wait(None).unwrap(), Some(ExitStatus::Exited(0)));
                }
            });
        }
    });
    for mut n in nodes {
        n.stop(Duration::from_secs(5)).unwrap();
    }
}

#[test]
fn exec_into_a_stopped_node_is_a_clear_error() {
    let mut child = node("stopped");
    let pid = child.pid();
    child.stop(Duration::from_secs(5)).unwrap();
    let cmd = ExecCommand::new(["/bin/true"]);
    let err = child.exec(&cmd).unwrap_err();
    assert_eq!(err.errno(), nsrun::Errno::ESRCH);
    assert!(err.to_string().contains("not running"), "{err}");
    // Killed behind the handle's back: the init is gone, the handle not yet reaped.
    let child = node("killed");
    // SAFETY: SIGKILL to our own child.
    unsafe { libc::kill(child.pid(), libc::SIGKILL) };
    // Wait until it has died (its pidfd turns readable), however loaded the machine is.
    let mut pfd = libc::pollfd {
        fd: std::os::fd::AsRawFd::as_raw_fd(child.pidfd()),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: poll on one valid pollfd.
    let ready = unsafe { libc::poll(&mut pfd, 1, 30_000) };
    assert_eq!(ready, 1, "the init did not die");
    let err = child.exec(&cmd).unwrap_err();
    assert_eq!(err.errno(), nsrun::Errno::ESRCH, "{err}");
    // By pid, as `nsrun exec --target` does: a pid that is no launch.
    let err = nsrun::launch::exec_target(pid, &cmd).unwrap_err();
    assert_eq!(err.errno(), nsrun::Errno::EINVAL, "{err}");
    // A process that is neither an init nor a launcher (this test binary may be one: other
    // tests run launches in parallel).
    let mut sleeper = std::process::Command::new("sleep")
        .arg("100")
        .spawn()
        .unwrap();
    let err = nsrun::launch::exec_target(sleeper.id() as i32, &cmd).unwrap_err();
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    assert!(
        err.to_string()
            .contains("neither the init of an nsrun launch"),
        "{err}"
    );
}

#[test]
fn exec_by_pid_from_another_process() {
    let mut child = node("bypid");
    let mut cmd = ExecCommand::new(["hostname"]);
    cmd.stdout(Stdio::Piped);
    let mut e = nsrun::launch::exec_target(child.pid(), &cmd).unwrap();
    assert_eq!(
        read_all(e.stdout.take()).trim(),
        format!("bypid-{}", std::process::id())
    );
    assert_eq!(e.wait(None).unwrap(), Some(ExitStatus::Exited(0)));
    child.stop(Duration::from_secs(5)).unwrap();
}

#[test]
fn the_init_is_a_sealed_memfd_with_no_environment() {
    std::env::set_var("NSRUN_SECRET_FOR_TEST", "leak");
    let mut l = Launch::new([
        "/bin/sh",
        "-c",
        "readlink /proc/1/exe; wc -c < /proc/1/environ; \
         (echo x >> /proc/1/exe) 2>/dev/null && echo wrote || echo refused; \
         grep -c . /proc/1/maps >/dev/null && echo maps-readable || echo maps-hidden",
    ]);
    // Privileged (every capability, CAP_SYS_PTRACE included): the image is still sealed.
    l.rootfs(rootfs()).privileged(true);
    let (out, status) = output(&mut l);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("/memfd:nsrun-init"), "{out}");
    assert_eq!(lines[1].trim(), "0");
    assert_eq!(lines[2], "refused");
    assert_eq!(status, ExitStatus::Exited(0));

    // From the host: the image cannot be opened for writing or written.
    let child = node("sealed");
    let exe = format!("/proc/{}/exe", child.pid());
    let err = std::fs::OpenOptions::new()
        .append(true)
        .open(&exe)
        .map(|mut f| std::io::Write::write_all(&mut f, b"x"))
        .and_then(|r| r)
        .unwrap_err();
    assert!(
        matches!(err.raw_os_error(), Some(libc::ETXTBSY | libc::EPERM)),
        "{err}"
    );
    assert_eq!(
        std::fs::read(format!("/proc/{}/environ", child.pid()))
            .unwrap()
            .len(),
        0
    );
    drop(child);
}

#[test]
fn exec_needs_the_init() {
    let mut l = Launch::new(["/bin/sleep", "1000"]);
    l.rootfs(rootfs()).init(false);
    let child = l.spawn().unwrap();
    let err = child.exec(&ExecCommand::new(["/bin/true"])).unwrap_err();
    assert_eq!(err.errno(), nsrun::Errno::EINVAL);
}

#[test]
fn time_namespaces_new_and_joined_reach_the_init_and_the_program() {
    let mut l = Launch::new(["/bin/sleep", "1000"]);
    l.rootfs(rootfs()).namespace(Kind::Time, NsMode::New);
    let mut first = l.spawn().unwrap();
    let new_time = first.namespace(Kind::Time).unwrap();
    assert_ne!(new_time, Namespace::current(Kind::Time).unwrap());
    let mut l = Launch::new([
        "/bin/sh",
        "-c",
        "readlink /proc/self/ns/time; readlink /proc/1/ns/time",
    ]);
    // privileged: reading the (non-dumpable) init's /proc/1/ns needs CAP_SYS_PTRACE.
    l.rootfs(rootfs()).privileged(true).namespace(
        Kind::Time,
        NsMode::Join(first.namespace(Kind::Time).unwrap()),
    );
    let (out, status) = output(&mut l);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out, format!("{new_time}\n{new_time}\n"));
    first.stop(Duration::from_secs(5)).unwrap();
}

#[test]
fn exec_by_pid_from_a_thread_in_another_network_namespace() {
    let mut child = node("othernet");
    let pid = child.pid();
    let other = Namespace::create(Kind::Net).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let _inside = other.enter().unwrap();
            let mut cmd = ExecCommand::new(["hostname"]);
            cmd.stdout(Stdio::Piped);
            let mut e = nsrun::launch::exec_target(pid, &cmd).unwrap();
            assert_eq!(
                read_all(e.stdout.take()).trim(),
                format!("othernet-{}", std::process::id())
            );
            assert_eq!(e.wait(None).unwrap(), Some(ExitStatus::Exited(0)));
            // The thread is still where it was.
            assert_eq!(Namespace::current(Kind::Net).unwrap(), other);
        });
    });
    child.stop(Duration::from_secs(5)).unwrap();
}
