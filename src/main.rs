//! The `understudy` binary: parse the command line, run it, map how it ended to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = understudy::cli::Cli::parse();
    let result = understudy::cli::run(cli);
    if let Err(e) = &result {
        eprintln!("understudy: {e:#}");
    }
    ExitCode::from(understudy::cli::exit_code(&result))
}
