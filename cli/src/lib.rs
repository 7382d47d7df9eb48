//! `nsrun`: the command-line face of the nsrun core, as a library so that the `nsrun` binary
//! and the Python wheel's `nsrun` console script (`nsrun._nsrun.cli_main`) are one program.
//! Parsing and printing only: `args` (the command line), `cmd/` (one file per command),
//! `supervise` (waiting and signals), `exit` (exit statuses), `out` (stdout that may close).

mod args;
mod cmd;
mod exit;
mod out;
mod supervise;

use std::ffi::OsString;

pub use args::command;

/// Runs the `nsrun` command line `args` (`args[0]` is the program name) and returns its exit
/// status: the program's own, 125 for nsrun's failures and usage errors (clap's message on
/// stderr), 0 for `--help` and `--version`.
///
/// This takes over the process the way a command's `main` does: SIGPIPE gets its default
/// disposition (a closed stdout ends the command with status 141, like coreutils), and the
/// signals nsrun supervises (SIGTERM, SIGHUP, SIGINT, SIGQUIT) are blocked in the calling
/// thread. Call it from a process that is the `nsrun` command, not from a library.
pub fn main_from_args<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    out::default_sigpipe();
    let cli = match args::parse(args.into_iter().map(Into::into).collect()) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version go to stdout and succeed; every usage error is nsrun's
            // own failure (125), so a script can tell it from the program's exit 2.
            let code = if e.use_stderr() {
                i32::from(exit::FAILED)
            } else {
                0
            };
            let printed = e.print();
            return out::finish(code, printed.err());
        }
    };
    let code = match supervise::block_supervised_signals().and_then(|()| cmd::dispatch(cli.cmd)) {
        Ok(code) => i32::from(code),
        Err(e) => {
            eprintln!("nsrun: {}", e.message);
            i32::from(e.code)
        }
    };
    out::finish(code, None)
}
