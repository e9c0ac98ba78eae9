//! The `understudy` binary: the library's command line, run.

fn main() -> std::process::ExitCode {
    understudy::command_line()
}
