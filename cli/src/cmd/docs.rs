//! `nsrun completions SHELL` and the hidden `nsrun man DIR`: shell completions and man pages
//! generated from the same clap `Command` as `--help`.

use std::io::Write;
use std::path::Path;

use clap_complete::Shell;

use crate::exit::{fail, Res};

/// Prints the completion script for `shell` on stdout.
pub fn completions(shell: Shell) -> Res<u8> {
    let mut cmd = crate::args::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "nsrun", &mut buf);
    std::io::stdout()
        .write_all(&buf)
        .map_err(|e| fail(format!("completions: writing stdout: {e}")))?;
    Ok(0)
}

/// Writes nsrun.1 and nsrun-CMD[-SUB].1 for every visible subcommand into `dir`.
pub fn man(dir: &Path) -> Res<u8> {
    std::fs::create_dir_all(dir)
        .map_err(|e| fail(format!("man: create directory {}: {e}", dir.display())))?;
    clap_mangen::generate_to(crate::args::command(), dir)
        .map_err(|e| fail(format!("man: write pages in {}: {e}", dir.display())))?;
    Ok(0)
}
