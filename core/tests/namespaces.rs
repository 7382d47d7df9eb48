//! Namespace handles against the real kernel (run as root).

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use nsrun::{list_namespaces, same, unpersist, Errno, Error, Kind, Namespace};

/// A unique scratch directory, removed (with anything persisted in it) on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "nsrun-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for e in std::fs::read_dir(&self.0).unwrap().flatten() {
            let _ = unpersist(e.path());
            let _ = std::fs::remove_file(e.path());
        }
        std::fs::remove_dir(&self.0).unwrap();
    }
}

/// Mount points under `dir` (tests run in parallel: only a test's own directory is stable).
fn mounts_under(dir: &Path) -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter_map(|l| l.split(' ').nth(4).map(str::to_owned))
        .filter(|m| m.starts_with(dir.to_str().unwrap()))
        .collect()
}

fn readlink(p: impl AsRef<Path>) -> String {
    std::fs::read_link(p)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn create_every_kind_leaves_caller_unchanged_with_threads_running() {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let spinners: Vec<_> = (0..3)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            })
        })
        .collect();
    for kind in Kind::ALL {
        let before = Namespace::current(kind).unwrap();
        let main_before = readlink(format!("/proc/self/ns/{kind}"));
        let new = Namespace::create(kind).unwrap_or_else(|e| panic!("create {kind}: {e}"));
        assert_eq!(new.kind(), kind);
        assert_ne!(
            new, before,
            "{kind}: create returned the caller's namespace"
        );
        assert_eq!(
            Namespace::current(kind).unwrap(),
            before,
            "{kind}: caller's thread moved"
        );
        assert_eq!(readlink(format!("/proc/self/ns/{kind}")), main_before);
        if matches!(kind, Kind::Pid | Kind::User) {
            // Created by a nested process: the caller's namespace is its parent.
            assert_eq!(new.parent().unwrap(), before, "{kind}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in spinners {
        t.join().unwrap();
    }
    // No helper child is left behind as a zombie.
    let children =
        std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", std::process::id()))
            .unwrap_or_default();
    assert_eq!(children.trim(), "");
}

#[test]
fn display_and_identity_match_proc() {
    for kind in Kind::ALL {
        let a = Namespace::of_pid(std::process::id() as i32, kind).unwrap();
        let b = Namespace::open(format!("/proc/self/ns/{kind}"), Some(kind)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), readlink(format!("/proc/self/ns/{kind}")));
        let st = nix::sys::stat::stat(format!("/proc/self/ns/{kind}").as_str()).unwrap();
        assert_eq!((a.id().dev, a.id().ino), (st.st_dev, st.st_ino));
    }
    let other = Namespace::create(Kind::Uts).unwrap();
    assert_ne!(other, Namespace::current(Kind::Uts).unwrap());
    assert!(same("/proc/self/ns/net", "/proc/thread-self/ns/net").unwrap());
    assert!(!same("/proc/self/ns/net", "/proc/self/ns/uts").unwrap());
}

#[test]
fn persist_open_unpersist_round_trip() {
    let s = Scratch::new();
    let path = s.path("net");
    let ns = Namespace::create(Kind::Net).unwrap();
    ns.persist(&path).unwrap();
    let again = Namespace::open(&path, Some(Kind::Net)).unwrap();
    assert_eq!(again, ns);
    assert_eq!(again.path(), Some(path.as_path()));
    drop(ns);
    drop(again);
    // Held by the mount alone.
    assert_eq!(Namespace::open(&path, None).unwrap().kind(), Kind::Net);
    unpersist(&path).unwrap();
    assert!(!path.exists());
    assert_eq!(mounts_under(&s.0), Vec::<String>::new());
}

#[test]
fn persist_every_kind() {
    let s = Scratch::new();
    for kind in Kind::ALL {
        let path = s.path(kind.name());
        let ns = Namespace::create(kind).unwrap();
        ns.persist(&path).unwrap();
        assert_eq!(Namespace::open(&path, Some(kind)).unwrap(), ns);
        unpersist(&path).unwrap();
        assert!(!path.exists());
    }
}

#[test]
fn persist_refuses_occupied_path_and_changes_nothing() {
    let s = Scratch::new();
    let path = s.path("x");
    let first = Namespace::create(Kind::Net).unwrap();
    first.persist(&path).unwrap();
    let before = mounts_under(&s.0);
    let second = Namespace::create(Kind::Net).unwrap();
    let err = second.persist(&path).unwrap_err();
    match &err {
        Error::AlreadyPersisted {
            path: p,
            existing_kind,
            existing,
        } => {
            assert_eq!(p, &path);
            assert_eq!(*existing_kind, Kind::Net);
            assert_eq!(*existing, first.id());
        }
        other => panic!("expected AlreadyPersisted, got {other:?}"),
    }
    assert_eq!(err.errno(), Errno::EEXIST);
    assert!(err.to_string().contains(&first.to_string()), "{err}");
    assert_eq!(mounts_under(&s.0), before);
    assert_eq!(Namespace::open(&path, None).unwrap(), first);
}

#[test]
fn unpersist_removes_stacked_mounts() {
    let s = Scratch::new();
    let path = s.path("stacked");
    let a = Namespace::create(Kind::Net).unwrap();
    a.persist(&path).unwrap();
    // What `unshare --net=PATH` does to an occupied file: a second bind mount on top.
    let b = Namespace::create(Kind::Net).unwrap();
    let src = format!("/proc/self/fd/{}", b.as_raw_fd());
    nix::mount::mount(
        Some(src.as_str()),
        &path,
        None::<&str>,
        nix::mount::MsFlags::MS_BIND,
        None::<&str>,
    )
    .unwrap();
    assert_eq!(Namespace::open(&path, None).unwrap(), b);
    unpersist(&path).unwrap();
    assert!(!path.exists());
    assert_eq!(mounts_under(&s.0), Vec::<String>::new());
}

#[test]
fn bad_paths_are_clear_errors() {
    let s = Scratch::new();
    let file = s.path("file");
    std::fs::write(&file, b"hello").unwrap();
    let err = Namespace::open(&file, None).unwrap_err();
    assert!(matches!(err, Error::NotANamespace { .. }), "{err:?}");
    assert!(err.to_string().contains("regular file"), "{err}");

    let err = Namespace::open(&s.0, None).unwrap_err();
    assert!(err.to_string().contains("directory"), "{err}");
    assert_eq!(err.path(), Some(s.0.as_path()));

    let err = Namespace::open(s.path("missing"), None).unwrap_err();
    assert_eq!(err.errno(), Errno::ENOENT);
    assert!(err.to_string().contains("missing"), "{err}");

    let (sock, _peer) = UnixDatagram::pair().unwrap();
    let err = Namespace::open(format!("/proc/self/fd/{}", sock.as_raw_fd()), None).unwrap_err();
    assert!(err.to_string().contains("socket"), "{err}");

    let err = Namespace::open("/proc/self/ns/uts", Some(Kind::Net)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::WrongKind {
                expected: Kind::Net,
                found: Kind::Uts,
                ..
            }
        ),
        "{err:?}"
    );

    let sock_fd: OwnedFd = sock.into();
    let err = Namespace::from_fd(sock_fd, None).unwrap_err();
    assert!(matches!(err, Error::NotANamespace { .. }), "{err:?}");

    let err = Namespace::of_pid(-1, Kind::Net).unwrap_err();
    assert_eq!(err.errno(), Errno::EINVAL);
}

#[test]
fn persist_bad_targets_leave_nothing() {
    let s = Scratch::new();
    let ns = Namespace::create(Kind::Net).unwrap();
    let before = mounts_under(&s.0);

    let err = ns.persist(&s.0).unwrap_err();
    assert_eq!(err.errno(), Errno::EISDIR, "{err}");

    let real = s.path("real");
    let link = s.path("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let err = ns.persist(&link).unwrap_err();
    assert_eq!(err.errno(), Errno::ELOOP, "{err}");
    assert!(!real.exists(), "persist followed the symlink");

    let full = s.path("full");
    std::fs::write(&full, b"keep me").unwrap();
    let err = ns.persist(&full).unwrap_err();
    assert_eq!(err.errno(), Errno::EEXIST, "{err}");
    assert_eq!(std::fs::read(&full).unwrap(), b"keep me");

    let err = ns.persist(s.path("no/such/dir")).unwrap_err();
    assert_eq!(err.errno(), Errno::ENOENT, "{err}");

    let err = unpersist(&full).unwrap_err();
    assert!(matches!(err, Error::NotPersisted { .. }), "{err:?}");
    assert!(full.exists());
    let err = unpersist(&link).unwrap_err();
    assert_eq!(err.errno(), Errno::ELOOP);
    let err = unpersist(s.path("missing")).unwrap_err();
    assert_eq!(err.errno(), Errno::ENOENT);

    assert_eq!(mounts_under(&s.0), before);
    let mut left: Vec<_> = std::fs::read_dir(&s.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["full", "link"]);
}

#[test]
fn enter_affects_only_the_calling_thread_and_restores() {
    let host = Namespace::current(Kind::Net).unwrap();
    let target = Namespace::create(Kind::Net).unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (back_tx, back_rx) = std::sync::mpsc::channel::<bool>();
    let host_id = host.id();
    let other = std::thread::spawn(move || {
        rx.recv().unwrap();
        back_tx
            .send(Namespace::current(Kind::Net).unwrap().id() == host_id)
            .unwrap();
    });
    {
        let guard = target.enter().unwrap();
        assert_eq!(Namespace::current(Kind::Net).unwrap(), target);
        assert_eq!(guard.previous(), &host);
        tx.send(()).unwrap();
        assert!(back_rx.recv().unwrap(), "another thread was moved");
    }
    other.join().unwrap();
    assert_eq!(Namespace::current(Kind::Net).unwrap(), host);

    // Restored on unwinding too.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _g = target.enter().unwrap();
        panic!("inside");
    }));
    assert!(r.is_err());
    assert_eq!(Namespace::current(Kind::Net).unwrap(), host);

    // leave() reports.
    target.enter().unwrap().leave().unwrap();
    assert_eq!(Namespace::current(Kind::Net).unwrap(), host);
}

#[test]
fn enter_uts_moves_the_thread_and_drop_restores() {
    let target = Namespace::create(Kind::Uts).unwrap();
    let host_uts = Namespace::current(Kind::Uts).unwrap();
    let g = target.enter().unwrap();
    assert_eq!(Namespace::current(Kind::Uts).unwrap(), target);
    drop(g);
    assert_eq!(Namespace::current(Kind::Uts).unwrap(), host_uts);
}

#[test]
fn enter_mnt_from_multithreaded_process_is_a_clear_error() {
    // A second thread that lives until the end of the test: this process is multithreaded
    // however the harness schedules tests and however slow the machine is.
    let (release, hold) = std::sync::mpsc::channel::<()>();
    let keep = std::thread::spawn(move || {
        let _ = hold.recv();
    });
    let ns = Namespace::create(Kind::Mnt).unwrap();
    let err = ns.enter().map(|_| ()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::MultiThreaded {
                kind: Kind::Mnt,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("multithreaded"), "{err}");
    assert_eq!(
        Namespace::current(Kind::Mnt).unwrap(),
        Namespace::open("/proc/self/ns/mnt", None).unwrap()
    );
    drop(release);
    keep.join().unwrap();
}

#[test]
fn parent_and_owner_match_ioctl_ns() {
    let user = Namespace::create(Kind::User).unwrap();
    let my_user = Namespace::current(Kind::User).unwrap();
    assert_eq!(user.parent().unwrap(), my_user);
    assert_eq!(user.owner().unwrap(), my_user);
    let pid = Namespace::create(Kind::Pid).unwrap();
    assert_eq!(
        pid.parent().unwrap(),
        Namespace::current(Kind::Pid).unwrap()
    );
    assert_eq!(pid.owner().unwrap(), my_user);
    // Kinds without a hierarchy.
    let net = Namespace::create(Kind::Net).unwrap();
    assert_eq!(net.parent().unwrap_err().errno(), Errno::EINVAL);
    assert_eq!(net.owner().unwrap(), my_user);
    // The initial user namespace has no parent visible to us.
    assert_eq!(my_user.parent().unwrap_err().errno(), Errno::EPERM);
}

#[test]
fn list_finds_persisted_only_and_process_only_namespaces() {
    let s = Scratch::new();
    let path = s.path("held");
    let held = Namespace::create(Kind::Net).unwrap();
    held.persist(&path).unwrap();
    let held_id = held.id();
    drop(held);

    let mut child = Command::new("unshare")
        .args(["--uts", "sleep", "30"])
        .spawn()
        .unwrap();
    let child_pid = child.id() as i32;
    // Wait until the child has unshared (its uts differs from ours).
    let mine = Namespace::current(Kind::Uts).unwrap();
    let mut child_uts = None;
    // Poll for up to 30 s: on a loaded machine the child may take long to get there.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if let Ok(n) = Namespace::of_pid(child_pid, Kind::Uts) {
            if n != mine && readlink(format!("/proc/{child_pid}/exe")).ends_with("sleep") {
                child_uts = Some(n);
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let child_uts = child_uts.expect("child never unshared");

    let all = list_namespaces(None).unwrap();
    let net = all
        .iter()
        .find(|i| i.id == held_id)
        .expect("persisted netns listed");
    assert_eq!(net.kind, Kind::Net);
    assert_eq!(net.paths, vec![path.clone()]);
    assert!(net.pids.is_empty());

    let uts = list_namespaces(Some(Kind::Uts)).unwrap();
    assert!(uts.iter().all(|i| i.kind == Kind::Uts));
    let u = uts
        .iter()
        .find(|i| i.id == child_uts.id())
        .expect("child's uts listed");
    assert_eq!(u.pids, vec![child_pid]);
    assert!(u.paths.is_empty());

    child.kill().unwrap();
    child.wait().unwrap();
}
