//! The default isolation and the rootfs checks, from Rust, against the real kernel (root; the
//! busybox fixture rootfs from `make rootfs`). Every test works on its own throwaway copies.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use nsrun::{Error, ExitStatus, Launch, Stage, Stdio};

mod common;
use common::{output, rootfs as fixture};

/// A directory removed (with anything mounted below it detached first) when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("nsrun-iso-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
    /// A copy of the fixture rootfs in here.
    fn rootfs(name: &str) -> Scratch {
        let s = Scratch::new(name);
        let ok = Command::new("cp")
            .args(["-a", &format!("{}/.", fixture().display())])
            .arg(&s.0)
            .status()
            .unwrap()
            .success();
        assert!(ok);
        s
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sh(script: &str) -> Launch {
    Launch::new(["/bin/sh", "-c", script])
}

fn launch_error(l: &mut Launch) -> (Stage, nsrun::Errno, String) {
    match l.stdin(Stdio::Null).spawn() {
        Err(e @ Error::Launch { stage, errno, .. }) => (stage, errno, e.to_string()),
        Err(e) => panic!("not a launch error: {e}"),
        Ok(_) => panic!("the launch was not refused"),
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn default_launch_drops_host_reaching_capabilities_and_privileged_keeps_them() {
    let script = "grep CapBnd /proc/self/status";
    let (out, _) = output(sh(script).rootfs(fixture()));
    let bnd = u64::from_str_radix(out.trim().rsplit('\t').next().unwrap(), 16).unwrap();
    for cap in [2, 16, 17, 19, 25, 34, 39, 12, 13] {
        assert_eq!(bnd & (1 << cap), 0, "capability {cap} kept: {out}");
    }
    for cap in [0, 6, 7, 21, 27] {
        assert_ne!(bnd & (1 << cap), 0, "capability {cap} dropped: {out}");
    }
    let (out, _) = output(sh(script).rootfs(fixture()).privileged(true));
    let bnd = u64::from_str_radix(out.trim().rsplit('\t').next().unwrap(), 16).unwrap();
    assert_ne!(bnd & (1 << 16), 0, "{out}");
}

#[test]
fn block_devices_cannot_be_made_but_character_devices_can() {
    let (out, status) = output(
        sh("mknod /tmp/b b 8 0 2>/dev/null && echo blk; \
            mknod /tmp/c c 1 3 && echo chr; mkfifo /tmp/f && echo fifo")
        .rootfs(fixture()),
    );
    assert_eq!(out, "chr\nfifo\n");
    assert_eq!(status, ExitStatus::Exited(0));
}

#[test]
fn runc_masked_paths_are_masked_and_cgroupfs_is_read_only_all_the_way_down() {
    let (out, _) = output(
        sh(
            "for f in kcore keys timer_list kallsyms kmsg sched_debug; do \
              [ -e /proc/$f ] && { [ -s /proc/$f ] || head -c1 /proc/$f | wc -c; }; done; \
            ls /sys/firmware | wc -l; \
            mkdir /sys/fs/cgroup/nsrun-x 2>/dev/null && echo mkdir; \
            echo 1 > /proc/irq/default_smp_affinity 2>/dev/null && echo irq; echo end",
        )
        .rootfs(fixture()),
    );
    // Every masked file reads empty, /sys/firmware is empty, nothing was written.
    assert!(out.lines().all(|l| l == "0" || l == "end"), "{out}");
    assert!(!Path::new("/sys/fs/cgroup/nsrun-x").exists());
}

#[test]
fn crafted_links_for_proc_sys_dev_are_refused_before_any_mount() {
    for (name, link, stage_path) in [
        ("proc", "/", "/proc"),
        ("sys", "/", "/sys"),
        ("dev", "/", "/dev"),
        ("dev", "/dev", "/dev"),
        ("tmp", "..", "/tmp"),
    ] {
        let r = Scratch::rootfs(&format!("link-{name}"));
        std::fs::remove_dir(r.path(name)).unwrap();
        symlink(link, r.path(name)).unwrap();
        let before = entries(&r.0);
        let (stage, errno, msg) = launch_error(sh("true").rootfs(&r.0));
        assert_eq!(stage, Stage::CheckRootfs, "{msg}");
        assert_eq!(errno, nsrun::Errno::ELOOP, "{msg}");
        assert!(msg.contains(stage_path), "{msg}");
        // Nothing was created in the on-disk rootfs.
        assert_eq!(entries(&r.0), before);
    }
}

#[test]
fn a_mount_point_that_is_a_file_is_refused() {
    let r = Scratch::rootfs("file-proc");
    std::fs::remove_dir(r.path("proc")).unwrap();
    std::fs::write(r.path("proc"), "").unwrap();
    let (stage, errno, msg) = launch_error(sh("true").rootfs(&r.0));
    assert_eq!(
        (stage, errno),
        (Stage::CheckRootfs, nsrun::Errno::ENOTDIR),
        "{msg}"
    );
    assert!(
        msg.contains("/proc") && msg.contains("not a directory"),
        "{msg}"
    );
}

#[test]
fn bind_target_links_resolve_inside_the_rootfs_and_never_to_its_root() {
    let src = Scratch::new("bind-src");
    let r = Scratch::rootfs("bind-root");
    symlink("/", r.path("mnt-root")).unwrap();
    let (stage, errno, msg) =
        launch_error(sh("true").rootfs(&r.0).bind(&src.0, "/mnt-root", false));
    assert_eq!(
        (stage, errno),
        (Stage::CheckRootfs, nsrun::Errno::ELOOP),
        "{msg}"
    );
    // A link to an absolute path inside the rootfs is followed inside it.
    std::fs::create_dir(r.path("data")).unwrap();
    symlink("/data", r.path("mnt-data")).unwrap();
    std::fs::write(src.path("hello"), "hi").unwrap();
    let (out, _) = output(
        sh("cat /data/hello")
            .rootfs(&r.0)
            .bind(&src.0, "/mnt-data", false),
    );
    assert_eq!(out, "hi");
}

#[test]
fn without_a_rootfs_missing_bind_targets_are_refused_not_created() {
    let src = Scratch::new("nr-src");
    let target = std::env::temp_dir().join(format!("nsrun-iso-missing-{}", std::process::id()));
    let (stage, errno, msg) = launch_error(sh("true").bind(&src.0, &target, false));
    assert_eq!(
        (stage, errno),
        (Stage::CheckRootfs, nsrun::Errno::ENOENT),
        "{msg}"
    );
    assert!(!target.exists());
    let file_target = target.join("sub/file");
    let f = src.path("f");
    std::fs::write(&f, "").unwrap();
    launch_error(sh("true").bind(&f, &file_target, false));
    assert!(!target.exists());
}

#[test]
fn empty_and_root_bind_targets_are_refused() {
    let src = Scratch::new("empty-src");
    for t in ["", "/", "/."] {
        let err = sh("true")
            .rootfs(fixture())
            .bind(&src.0, t, false)
            .spawn()
            .unwrap_err();
        assert_eq!(err.errno(), nsrun::Errno::EINVAL, "{t:?}: {err}");
        assert!(err.to_string().contains("bind target"), "{t:?}: {err}");
    }
}

#[test]
fn read_only_binds_are_read_only_all_the_way_down() {
    let src = Scratch::new("ro-src");
    std::fs::create_dir(src.path("sub")).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "tmpfs"])
        .arg(src.path("sub"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _u = Unmount(src.path("sub"));
    let r = Scratch::rootfs("ro-root");
    let (out, _) = output(
        sh(
            "echo x > /mnt/top 2>/dev/null && echo top; echo x > /mnt/sub/deep 2>/dev/null \
            && echo deep; echo end",
        )
        .rootfs(&r.0)
        .bind(&src.0, "/mnt", true),
    );
    assert_eq!(out, "end\n");
    assert!(!src.path("top").exists());
    assert!(!src.path("sub/deep").exists());
}

#[test]
fn namespace_after_the_program_ended_is_a_clear_error() {
    let mut child = sh("exit 0").stdin(Stdio::Null).spawn().unwrap();
    child.wait(None).unwrap();
    let err = child.namespace(nsrun::Kind::Net).unwrap_err();
    assert_eq!(err.errno(), nsrun::Errno::ESRCH, "{err}");
    assert!(err.to_string().contains("has ended"), "{err}");
    // Exited but not reaped yet: still refused.
    let child = sh("exit 0").stdin(Stdio::Null).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let err = child.namespace(nsrun::Kind::Uts).unwrap_err();
    assert_eq!(err.errno(), nsrun::Errno::ESRCH, "{err}");
}

/// Live processes whose command line contains `needle`.
fn running(needle: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .filter(|c| {
            String::from_utf8_lossy(c)
                .replace('\0', " ")
                .contains(needle)
        })
        .count()
}

#[test]
fn a_hung_boot_is_bounded_by_the_deadline_and_leaves_nothing() {
    let tag = format!("{}", 200_000 + std::process::id());
    let start = std::time::Instant::now();
    let mut l = Launch::new(["/bin/true"]);
    l.rootfs(fixture())
        .boot(["/bin/sleep", tag.as_str()])
        .stdin(Stdio::Null);
    let deadline = start + std::time::Duration::from_millis(500);
    let err = l.spawn_until(Some(deadline), &mut || Ok(())).unwrap_err();
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    match &err {
        Error::Launch { stage, errno, .. } => {
            assert_eq!((*stage, *errno), (Stage::Boot, nsrun::Errno::ETIMEDOUT))
        }
        e => panic!("{e}"),
    }
    assert!(err.to_string().contains("boot"), "{err}");
    assert_eq!(running(&format!("sleep {tag}")), 0);
}

#[test]
fn an_interrupted_boot_kills_the_launch() {
    let tag = format!("{}", 300_000 + std::process::id());
    let mut l = Launch::new(["/bin/true"]);
    l.rootfs(fixture())
        .boot(["/bin/sleep", tag.as_str()])
        .stdin(Stdio::Null);
    let mut calls = 0;
    let err = l
        .spawn_until(None, &mut || {
            calls += 1;
            if calls < 5 {
                Ok(())
            } else {
                Err(Error::Launch {
                    stage: Stage::Boot,
                    errno: nsrun::Errno::EINTR,
                    status: None,
                    path: None,
                })
            }
        })
        .unwrap_err();
    assert_eq!(err.errno(), nsrun::Errno::EINTR, "{err}");
    assert_eq!(running(&format!("sleep {tag}")), 0);
}

#[test]
fn a_hung_shutdown_is_reported_as_such() {
    let tag = format!("{}", 400_000 + std::process::id());
    let mut l = Launch::new(["/bin/sleep", "1000"]);
    l.rootfs(fixture())
        .shutdown(["/bin/sleep", tag.as_str()])
        .stdin(Stdio::Null);
    let mut child = l.spawn().unwrap();
    let err = child
        .stop(std::time::Duration::from_millis(500))
        .unwrap_err();
    match &err {
        Error::Launch { stage, errno, .. } => {
            assert_eq!((*stage, *errno), (Stage::Shutdown, nsrun::Errno::ETIMEDOUT))
        }
        e => panic!("{e}"),
    }
    assert!(child.status().is_some());
    assert_eq!(running(&format!("sleep {tag}")), 0);
    // A shutdown that ends in time is no error.
    let mut l = Launch::new(["/bin/sleep", "1000"]);
    l.rootfs(fixture())
        .shutdown(["/bin/true"])
        .stdin(Stdio::Null);
    let mut child = l.spawn().unwrap();
    assert!(child.stop(std::time::Duration::from_secs(5)).is_ok());
}
