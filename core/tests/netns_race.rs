//! Concurrent add / delete / open of one netns name (issue 11 B4, must-hold 3), from threads and
//! from processes, against the real kernel (run as root).
//!
//! Every round uses a fresh name (prefix + pid + round): 4 contenders start together; the round
//! asserts the outcomes are only the documented ones, and that the file never holds more than one
//! mount (counted in /proc/self/mountinfo). Everything is deleted afterwards.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Barrier};

use nsrun::Errno;
use nsrun::{netns, Error, Kind};

const ROUNDS: usize = 1000;
const CONTENDERS: usize = 4;
/// Set in the environment of a re-executed test binary that serves as a contender process.
const WORKER_ENV: &str = "NSRUN_RACE_WORKER";

/// One operation, reduced to what the tests assert on.
fn run_op(op: &str, name: &str) -> String {
    let result = match op {
        "add" => netns::add(name).map(|ns| {
            assert_eq!(ns.kind(), Kind::Net);
        }),
        "open" => netns::open(name).map(|ns| {
            assert_eq!(ns.kind(), Kind::Net);
        }),
        "del" => netns::delete(name),
        _ => panic!("unknown op {op}"),
    };
    match result {
        Ok(()) => "ok".into(),
        Err(Error::AlreadyPersisted { .. }) => "exists".into(),
        Err(Error::Sys {
            errno: Errno::ENOENT,
            ..
        }) => "enoent".into(),
        Err(e) => format!("error: {e} ({:?})", e.errno()),
    }
}

/// Lines of /proc/self/mountinfo whose mount point is `path`.
fn mounts_at(path: &std::path::Path) -> usize {
    let path = path.to_str().unwrap();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter(|l| l.split(' ').nth(4) == Some(path))
        .count()
}

/// Removes `name` if it is there, and checks nothing is left.
fn clean(name: &str) {
    let path = netns::path(name).unwrap();
    if path.exists() {
        netns::delete(name).unwrap();
    }
    assert!(!path.exists(), "{name} left behind");
    assert_eq!(mounts_at(&path), 0, "{name}: mount left behind");
}

/// Deletes a round's name on drop, also when the round fails.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let path = netns::path(&self.0).unwrap();
        for _ in 0..8 {
            if std::fs::symlink_metadata(&path).is_err() {
                break;
            }
            let _ = netns::delete(&self.0);
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Checks one round of adds only: exactly one winner, the rest AlreadyPersisted, one mount.
fn check_adds(name: &str, outcomes: &[String]) {
    let wins = outcomes.iter().filter(|o| *o == "ok").count();
    let lost = outcomes.iter().filter(|o| *o == "exists").count();
    assert_eq!((wins, lost), (1, CONTENDERS - 1), "{name}: {outcomes:?}");
    assert_eq!(mounts_at(&netns::path(name).unwrap()), 1, "{name}");
    assert_eq!(netns::open(name).unwrap().kind(), Kind::Net);
    clean(name);
}

/// Checks one round of add, add, delete, open: each gives only what its rustdoc documents, and
/// the name ends with at most one mount.
fn check_mixed(name: &str, ops: &[&str], outcomes: &[String]) {
    for (op, out) in ops.iter().zip(outcomes) {
        let allowed: &[&str] = match *op {
            "add" => &["ok", "exists"],
            "del" | "open" => &["ok", "enoent"],
            _ => unreachable!(),
        };
        assert!(
            allowed.contains(&out.as_str()),
            "{name}: {op} gave {out} ({ops:?} -> {outcomes:?})"
        );
    }
    let path = netns::path(name).unwrap();
    assert!(mounts_at(&path) <= 1, "{name}: stacked ({outcomes:?})");
    assert!(outcomes.iter().any(|o| o == "ok"), "{name}: {outcomes:?}");
    clean(name);
}

/// Runs `ops` on `name` from one thread each, all released together.
fn threads_round(name: &str, ops: &[&'static str]) -> Vec<String> {
    let barrier = Arc::new(Barrier::new(ops.len()));
    let handles: Vec<_> = ops
        .iter()
        .map(|&op| {
            let (barrier, name) = (barrier.clone(), name.to_owned());
            std::thread::spawn(move || {
                barrier.wait();
                run_op(op, &name)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn concurrent_adds_from_threads_have_one_winner_and_one_mount() {
    for round in 0..ROUNDS {
        let name = format!("nsrun-race-t-{}-{round}", std::process::id());
        let _cleanup = Cleanup(name.clone());
        let outcomes = threads_round(&name, &["add"; CONTENDERS]);
        check_adds(&name, &outcomes);
    }
}

#[test]
fn concurrent_add_delete_open_from_threads_give_documented_outcomes() {
    let ops = ["add", "add", "del", "open"];
    for round in 0..ROUNDS {
        let name = format!("nsrun-race-m-{}-{round}", std::process::id());
        let _cleanup = Cleanup(name.clone());
        let outcomes = threads_round(&name, &ops);
        check_mixed(&name, &ops, &outcomes);
    }
}

/// A contender process: this test binary re-executed, serving `OP NAME` lines from stdin.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn start() -> Worker {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "race_worker", "--nocapture", "--test-threads=1"])
            .env(WORKER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Worker {
            child,
            stdin,
            stdout,
        }
    }

    fn send(&mut self, op: &str, name: &str) {
        writeln!(self.stdin, "{op} {name}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn reply(&mut self) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            assert!(self.stdout.read_line(&mut line).unwrap() > 0, "worker died");
            // The first reply shares its line with libtest's "test race_worker ... ".
            if let Some(at) = line.find("RACE: ") {
                return line[at + 6..].trim_end().to_owned();
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // EOF on stdin ends the worker; wait for our own child only.
        let _ = writeln!(self.stdin);
        let _ = self.child.wait();
    }
}

/// The contender side; a plain pass when not started as one.
#[test]
fn race_worker() {
    if std::env::var_os(WORKER_ENV).is_none() {
        return;
    }
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        let Some((op, name)) = line.split_once(' ') else {
            break;
        };
        let out = run_op(op, name);
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "RACE: {out}").unwrap();
        stdout.flush().unwrap();
    }
}

/// Runs `ops` on `name`, one per worker process: all requests are written before any reply is
/// read, so the workers run them at once.
fn processes_round(workers: &mut [Worker], name: &str, ops: &[&str]) -> Vec<String> {
    for (w, op) in workers.iter_mut().zip(ops) {
        w.send(op, name);
    }
    workers.iter_mut().map(|w| w.reply()).collect()
}

#[test]
fn concurrent_adds_and_deletes_from_processes() {
    if std::env::var_os(WORKER_ENV).is_some() {
        return;
    }
    let mut workers: Vec<Worker> = (0..CONTENDERS).map(|_| Worker::start()).collect();
    for round in 0..ROUNDS {
        let name = format!("nsrun-race-p-{}-{round}", std::process::id());
        let _cleanup = Cleanup(name.clone());
        let outcomes = processes_round(&mut workers, &name, &["add"; CONTENDERS]);
        check_adds(&name, &outcomes);
    }
    let ops = ["add", "add", "del", "open"];
    for round in 0..ROUNDS {
        let name = format!("nsrun-race-pm-{}-{round}", std::process::id());
        let _cleanup = Cleanup(name.clone());
        // Rotate who does what, so that every process plays every part.
        let mine: Vec<&str> = (0..CONTENDERS)
            .map(|i| ops[(i + round) % CONTENDERS])
            .collect();
        let outcomes = processes_round(&mut workers, &name, &mine);
        check_mixed(&name, &mine, &outcomes);
    }
}

#[test]
fn concurrent_deletes_have_one_winner() {
    for round in 0..ROUNDS / 4 {
        let name = format!("nsrun-race-d-{}-{round}", std::process::id());
        let _cleanup = Cleanup(name.clone());
        netns::add(&name).unwrap();
        let outcomes = threads_round(&name, &["del"; CONTENDERS]);
        let wins = outcomes.iter().filter(|o| *o == "ok").count();
        let gone = outcomes.iter().filter(|o| *o == "enoent").count();
        assert_eq!((wins, gone), (1, CONTENDERS - 1), "{name}: {outcomes:?}");
        clean(&name);
    }
}

#[test]
fn concurrent_persists_onto_a_touched_file_have_one_winner() {
    // The `touch FILE; unshare --net=FILE` style: an existing empty file of mode 0644.
    struct Dir(std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            for e in std::fs::read_dir(&self.0).into_iter().flatten().flatten() {
                let _ = nsrun::unpersist(e.path());
                let _ = std::fs::remove_file(e.path());
            }
            let _ = std::fs::remove_dir(&self.0);
        }
    }
    let dir = Dir(std::env::temp_dir().join(format!("nsrun-race-f-{}", std::process::id())));
    std::fs::create_dir(&dir.0).unwrap();
    for round in 0..ROUNDS / 4 {
        let path = dir.0.join(round.to_string());
        std::fs::write(&path, b"").unwrap();
        let barrier = Arc::new(Barrier::new(CONTENDERS));
        let handles: Vec<_> = (0..CONTENDERS)
            .map(|_| {
                let (barrier, path) = (barrier.clone(), path.clone());
                std::thread::spawn(move || {
                    let ns = nsrun::Namespace::create(Kind::Net).unwrap();
                    barrier.wait();
                    match ns.persist(&path) {
                        Ok(()) => "ok".to_owned(),
                        Err(Error::AlreadyPersisted { .. }) => "exists".to_owned(),
                        Err(e) => format!("error: {e}"),
                    }
                })
            })
            .collect();
        let outcomes: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let wins = outcomes.iter().filter(|o| *o == "ok").count();
        assert_eq!(wins, 1, "{outcomes:?}");
        assert_eq!(mounts_at(&path), 1, "{outcomes:?}");
        nsrun::unpersist(&path).unwrap();
        assert_eq!(mounts_at(&path), 0);
        assert!(!path.exists());
    }
    drop(dir);
}
