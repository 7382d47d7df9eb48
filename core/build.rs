//! Builds nsrun-init (`init/main.rs`), the tiny static program every launch runs as its init,
//! into `$OUT_DIR/nsrun-init`; `src/launch/image.rs` embeds it with `include_bytes!`.
//!
//! It is compiled with `$RUSTC` directly, not with a nested cargo: the init has no dependency,
//! a nested cargo on the workspace's target directory would wait forever on the lock the outer
//! one holds, and `cargo package` leaves out any sub-directory with its own Cargo.toml (so
//! `init/` is a crate root without one, and ships inside the `nsrun` package).

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let target = env::var("TARGET").expect("set by cargo");
    for f in [
        "init/main.rs",
        "init/agent.rs",
        "init/sys.rs",
        "init/rt.rs",
        "src/launch/wire.rs",
    ] {
        println!("cargo:rerun-if-changed={}", manifest.join(f).display());
    }
    let image = out.join("nsrun-init");
    // (`rustc` is also how `make lint` checks it; see the Makefile.)
    // Its own scratch directory: never the workspace's target directory.
    let scratch = out.join("init-build");
    std::fs::create_dir_all(&scratch).expect("create init build directory");
    let status = Command::new(&rustc)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .args([
            "--crate-name",
            "nsrun_init",
            "--crate-type",
            "bin",
            "--edition",
            "2021",
        ])
        .args(["--target", &target])
        .args(["-C", "opt-level=s"])
        .args(["-C", "panic=abort"])
        // No C library (`init/rt.rs` has `_start`), static, not PIE: nothing to load, relocate
        // or probe at start.
        .args(["-C", "relocation-model=static"])
        .args(["-C", "link-arg=-nostdlib"])
        .args(["-C", "link-arg=-static"])
        .args(["-C", "link-arg=-no-pie"])
        .args(["-C", "strip=symbols"])
        .args(["-C", "codegen-units=1"])
        .args(["-C", "lto=fat"])
        .args(["-C", "debuginfo=0"])
        .arg("--out-dir")
        .arg(&scratch)
        .arg("-o")
        .arg(&image)
        .arg(manifest.join("init/main.rs"))
        .status()
        .expect("run rustc for nsrun-init");
    assert!(status.success(), "building nsrun-init failed");
}
