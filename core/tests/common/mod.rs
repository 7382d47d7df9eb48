//! Helpers shared by the launch test binaries (each `mod common;` compiles its own copy).

use std::io::Read;
use std::path::PathBuf;

use nsrun::{ExitStatus, Launch, Stdio};

/// The fixture rootfs, built once by `make rootfs` before any suite: the tests only read it
/// (building it here would race with the other tests of the binary, which run in parallel).
pub fn rootfs() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/rootfs");
    assert!(
        p.join(".stamp").exists(),
        "{} is missing: run `make rootfs` (tests/fixtures/make_rootfs.sh) first",
        p.display()
    );
    p
}

/// Spawns `l` with stdout piped and stdin from /dev/null; its output and status.
pub fn output(l: &mut Launch) -> (String, ExitStatus) {
    l.stdout(Stdio::Piped).stdin(Stdio::Null);
    let mut child = l.spawn().unwrap();
    let mut out = String::new();
    std::fs::File::from(child.stdout.take().unwrap())
        .read_to_string(&mut out)
        .unwrap();
    let status = child.wait(None).unwrap().unwrap();
    (out, status)
}
