//! The launch from Rust, against the real kernel (run as root; needs the busybox fixture rootfs,
//! built by `make rootfs`).

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use nsrun::{Error, ExitStatus, Kind, Launch, Namespace, NsMode, Stage, Stdio};

/// The fixture rootfs, built once by `make rootfs` before any suite: the tests only read it
/// (building it here would race with the other tests of this binary, which run in parallel).
fn rootfs() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/rootfs");
    assert!(
        p.join(".stamp").exists(),
        "{} is missing: run `make rootfs` (tests/fixtures/make_rootfs.sh) first",
        p.display()
    );
    p
}

fn output(l: &mut Launch) -> (String, ExitStatus) {
    l.stdout(Stdio::Piped).stdin(Stdio::Null);
    let mut child = l.spawn().unwrap();
    let mut out = String::new();
    std::fs::File::from(child.stdout.take().unwrap())
        .read_to_string(&mut out)
        .unwrap();
    let status = child.wait(None).unwrap().unwrap();
    (out, status)
}

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
                stage: Stage::MountRootfs,
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
