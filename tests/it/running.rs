//! The understudy binary running as a user starts it (`serve`, `proxy`), its log read line by
//! line: for the tests of flags, environment variables and log lines that only the binary has.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// How long a running binary may take, from its start to the last line a test waits for.
const BOUND: Duration = Duration::from_secs(60);

/// The binary, started and listening; killed when dropped (unless [`Running::into_child`]
/// took it).
pub struct Running {
    child: Option<Child>,
    lines: Receiver<String>,
    deadline: Instant,
    /// `host:port`, as its log says it listens.
    pub addr: String,
    /// The log lines before the one that says where it listens (warnings, where a
    /// self-signed certificate was written).
    pub startup: Vec<String>,
}

impl Running {
    /// Starts the binary with `args` and `envs` (its log at `info`), and waits for the log line
    /// that says where it listens.
    pub fn start(args: &[&str], envs: &[(&str, &str)]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_understudy"))
            .args(args)
            .env("UNDERSTUDY_LOG", "info")
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("the binary's stderr");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut running = Running {
            child: Some(child),
            lines,
            deadline: Instant::now() + BOUND,
            addr: String::new(),
            startup: Vec::new(),
        };
        let mut startup = Vec::new();
        let line = running.line("where it listens", |l| {
            let listening =
                l.contains("listening on http://") || l.contains("listening on https://");
            if !listening {
                startup.push(l.to_owned());
            }
            listening
        });
        running.startup = startup;
        running.addr = line
            .split("listening on http")
            .nth(1)
            .map(|rest| rest.trim_start_matches('s').trim_start_matches("://"))
            .and_then(|rest| rest.split([' ', ',']).next())
            .unwrap_or_default()
            .to_owned();
        running
    }

    /// The next log line that `wanted` takes (the lines before it are passed over); the test
    /// fails naming `what` when none comes within the bound.
    pub fn line(&mut self, what: &str, mut wanted: impl FnMut(&str) -> bool) -> String {
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if wanted(&line) => return line,
                Ok(_) => {}
                Err(_) => panic!("the binary's log has no line saying {what}"),
            }
        }
    }

    /// The process, for a test that stops it itself (a signal); no longer killed on drop.
    pub fn into_child(mut self) -> Child {
        self.child.take().expect("the child is still here")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
