//! The `understudy` binary: parse the command line, run it, map how it ended to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tune_allocator();
    let cli = understudy::cli::Cli::parse();
    let result = understudy::cli::run(cli);
    if let Err(e) = &result {
        eprintln!("understudy: {e:#}");
    }
    ExitCode::from(understudy::cli::exit_code(&result))
}

/// glibc's allocator keeps small freed blocks in "fast bins" and sorts them all out whenever
/// a large block is asked for. Answering a request with a body frees dozens of small blocks
/// and asks for one large one (hyper's next read buffer, 8 KiB), so that sorting ran on
/// every such request: 3% of the server's time and a seventh of its throughput on small
/// POSTs (`bench/run`). Without fast bins, small blocks still go through glibc's per-thread
/// cache first, and the rest are merged when freed.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a parameter of the allocator; it is called before any
    // other thread exists, and a refusal (a return of 0) leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_MXFAST, 0);
    }
}
