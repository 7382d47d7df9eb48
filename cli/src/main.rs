//! `nsrun`: the command-line face of the nsrun core. Parsing and printing only: `args` (the
//! command line), `cmd/` (one file per command), `supervise` (waiting and signals), `exit`
//! (exit statuses).

mod args;
mod cmd;
mod exit;
mod supervise;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match supervise::block_supervised_signals().and_then(|()| cmd::dispatch(cli.cmd)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("nsrun: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}
