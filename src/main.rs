//! The `understudy` binary: parse the command line, run it, map failure to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = understudy::cli::Cli::parse();
    match understudy::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("understudy: {e:#}");
            ExitCode::from(2)
        }
    }
}
