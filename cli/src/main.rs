//! The `nsrun` binary: everything is in the library (`nsrun_cli`), which the Python wheel's
//! console script runs too.

fn main() {
    std::process::exit(nsrun_cli::main_from_args(std::env::args_os()));
}
