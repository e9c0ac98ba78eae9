//! Where log lines go: standard error, in batches while lines come fast.
//!
//! A line that follows a quiet spell (no line for [`QUIET`]) is written at once, as it would
//! be unbuffered, so a person or a test reading the log of an idle server sees each line when
//! it happens. A line that follows another closely is added to a batch instead, and a
//! background thread writes the batch [`GATHER`] after its first line: under load the server
//! makes one `write` per batch rather than one per request. Lines keep their order, and each
//! is whole (lines are appended whole, and every write of the destination is made under one
//! lock, so even lines over a pipe's 4 KiB atomic size never interleave). [`flush`] writes
//! what is pending; `cli::run` calls it before returning, and a panic calls it before the
//! panic message.
//!
//! Implementation rationale: one `write(2)` per request line (to a duplicate of the
//! descriptor, so no lock of `std::io::stderr` was taken) was still about 8% of the server's
//! throughput on the benchmark's scenarios (`UNDERSTUDY_LOG=off` against the default, pinned,
//! same run). The price is that a line of a busy server shows up to [`GATHER`] late, and a
//! process killed by a signal it cannot handle loses up to that much of its log.

use std::io::Write as _;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// A line after this long without one is written at once.
pub const QUIET: Duration = Duration::from_millis(2);

/// How long a batch of standard error's sink gathers lines after its first before it is
/// written.
pub const GATHER: Duration = Duration::from_millis(5);

/// A batch this large is written by the thread that filled it, without waiting.
const MAX_BATCH: usize = 256 * 1024;

/// The process-wide sink of log lines.
pub struct Sink {
    pending: Mutex<Pending>,
    /// Woken when a batch starts.
    started: Condvar,
    /// The destination; every write to it holds this lock.
    out: Mutex<Box<dyn std::io::Write + Send>>,
    gather: Duration,
    /// Whether the background thread runs (`false`: it could not be started, and every
    /// line is written as it comes).
    flusher: OnceLock<bool>,
}

struct Pending {
    batch: Vec<u8>,
    /// When the last line came.
    last: Option<Instant>,
}

impl Sink {
    /// A sink writing to `out`, each batch `gather` after its first line.
    pub fn new(out: Box<dyn std::io::Write + Send>, gather: Duration) -> Sink {
        Sink {
            pending: Mutex::new(Pending {
                batch: Vec::new(),
                last: None,
            }),
            started: Condvar::new(),
            out: Mutex::new(out),
            gather,
            flusher: OnceLock::new(),
        }
    }

    /// Takes one whole line (or several); `now` is when it came.
    pub fn line(&'static self, text: &[u8], now: Instant) {
        let mut pending = lock(&self.pending);
        let quiet = pending
            .last
            .is_none_or(|last| now.saturating_duration_since(last) >= QUIET);
        pending.last = Some(now);
        if pending.batch.is_empty() && quiet {
            // Taken before `pending` is let go: nothing written after this line can be
            // written before it.
            let mut out = lock(&self.out);
            drop(pending);
            write_out(&mut out, text);
            return;
        }
        let first = pending.batch.is_empty();
        pending.batch.extend_from_slice(text);
        if pending.batch.len() >= MAX_BATCH || !self.flusher.get_or_init(|| self.start_flusher()) {
            self.write_batch(pending);
        } else if first {
            self.started.notify_one();
        }
    }

    /// Writes whatever is pending, now.
    pub fn flush(&self) {
        self.write_batch(lock(&self.pending));
    }

    fn write_batch(&self, mut pending: MutexGuard<'_, Pending>) {
        if pending.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut pending.batch);
        let mut out = lock(&self.out);
        drop(pending);
        write_out(&mut out, &batch);
        // Let go before `pending` is taken again: the lock order is `pending`, then `out`.
        drop(out);
        // The next batch reuses the allocation, unless one outsized line made it larger than
        // batches get: that memory goes back.
        let mut pending = lock(&self.pending);
        if pending.batch.is_empty()
            && pending.batch.capacity() < batch.capacity()
            && batch.capacity() <= 2 * MAX_BATCH
        {
            let mut batch = batch;
            batch.clear();
            pending.batch = batch;
        }
    }

    /// Starts the thread that writes batches; whether it runs.
    fn start_flusher(&'static self) -> bool {
        std::thread::Builder::new()
            .name("understudy-log".into())
            .spawn(move || {
                loop {
                    let mut pending = lock(&self.pending);
                    while pending.batch.is_empty() {
                        pending = self
                            .started
                            .wait(pending)
                            .unwrap_or_else(|p| p.into_inner());
                    }
                    drop(pending);
                    std::thread::sleep(self.gather);
                    self.flush();
                }
            })
            .is_ok()
    }
}

fn write_out(out: &mut Box<dyn std::io::Write + Send>, text: &[u8]) {
    // A log that cannot be written is not worth failing a request for.
    let _ = out.write_all(text);
    let _ = out.flush();
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

static STDERR: OnceLock<Sink> = OnceLock::new();

/// The sink writing to standard error (through a duplicate of its descriptor where it can be
/// made, so no `std::io::stderr` lock is taken), made on first use; a panic flushes it.
pub fn stderr() -> &'static Sink {
    STDERR.get_or_init(|| {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Not `flush`: a panic while this thread holds the sink's lock must not wait
            // for it.
            if let Some(sink) = STDERR.get()
                && let Ok(pending) = sink.pending.try_lock()
            {
                sink.write_batch(pending);
            }
            hook(info);
        }));
        Sink::new(stderr_writer(), GATHER)
    })
}

fn stderr_writer() -> Box<dyn std::io::Write + Send> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(dup) = std::io::stderr().as_fd().try_clone_to_owned() {
            return Box::new(std::fs::File::from(dup));
        }
    }
    Box::new(std::io::stderr())
}

/// Writes the lines the standard error sink holds, if it was ever used.
pub fn flush() {
    if let Some(sink) = STDERR.get() {
        sink.flush();
    }
}

/// `tracing_subscriber`'s writer: each event's line, formatted whole, goes to the sink.
pub struct MakeLine(pub &'static Sink);

/// One event's writer.
pub struct LineWriter(&'static Sink);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for MakeLine {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter(self.0)
    }
}

impl std::io::Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.line(buf, Instant::now());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A destination the test reads back, counting the writes made to it.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<(Vec<u8>, usize)>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut c = lock(&self.0);
            c.0.extend_from_slice(buf);
            c.1 += 1;
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(lock(&self.0).0.clone()).expect("UTF-8")
        }

        fn writes(&self) -> usize {
            lock(&self.0).1
        }
    }

    /// A sink for a test; `gather` long enough that no batch is written by the background
    /// thread while the test looks.
    fn sink(gather: Duration) -> (&'static Sink, Captured) {
        let captured = Captured::default();
        let sink = Sink::new(Box::new(captured.clone()), gather);
        (Box::leak(Box::new(sink)), captured)
    }

    const LONG: Duration = Duration::from_secs(3600);

    /// `first` after a quiet spell, then `line 0` to `line 99`, each 1 µs after the last.
    fn first_and_a_hundred_close_lines(sink: &'static Sink) {
        let t0 = Instant::now();
        sink.line(b"first\n", t0);
        for i in 0..100 {
            sink.line(
                format!("line {i}\n").as_bytes(),
                t0 + Duration::from_micros(10 + i),
            );
        }
    }

    #[test]
    fn a_line_after_a_quiet_spell_is_written_at_once() {
        let (sink, out) = sink(LONG);
        let t0 = Instant::now();
        sink.line(b"one\n", t0);
        assert_eq!(out.text(), "one\n");
        sink.line(b"two\n", t0 + QUIET);
        assert_eq!(out.text(), "one\ntwo\n");
        assert_eq!(out.writes(), 2);
    }

    #[test]
    fn close_lines_wait_for_their_batch() {
        let (sink, out) = sink(LONG);
        first_and_a_hundred_close_lines(sink);
        assert_eq!(out.text(), "first\n");
        sink.flush();
        assert!(out.text().ends_with("line 99\n"));
        assert_eq!(out.writes(), 2, "one write for the line, one for the batch");
    }

    #[test]
    fn a_batch_is_written_by_itself_after_the_gather_time() {
        let (sink, out) = sink(Duration::from_millis(20));
        first_and_a_hundred_close_lines(sink);
        let deadline = Instant::now() + Duration::from_secs(5);
        while out.text().lines().count() < 101 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        let expected: String = std::iter::once("first\n".to_owned())
            .chain((0..100).map(|i| format!("line {i}\n")))
            .collect();
        assert_eq!(out.text(), expected);
    }

    #[test]
    fn flush_writes_what_is_pending_and_a_full_batch_does_not_wait() {
        let (sink, out) = sink(LONG);
        let t0 = Instant::now();
        sink.line(b"a\n", t0);
        sink.line(b"b\n", t0);
        sink.flush();
        assert_eq!(out.text(), "a\nb\n");
        let long = vec![b'x'; MAX_BATCH];
        sink.line(&long, t0);
        assert_eq!(
            out.text().len(),
            4 + MAX_BATCH,
            "a full batch is written at once"
        );
    }

    #[test]
    fn lines_from_many_threads_stay_whole() {
        let (sink, out) = sink(LONG);
        let threads: Vec<_> = (0..4)
            .map(|t| {
                std::thread::spawn(move || {
                    for i in 0..500 {
                        // Longer than a pipe's atomic write, to show lines never interleave.
                        let line = format!("{t}:{i}:{}\n", "y".repeat(5000));
                        sink.line(line.as_bytes(), Instant::now());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("a writer thread");
        }
        sink.flush();
        let text = out.text();
        let mut next = [0; 4];
        for line in text.lines() {
            let mut parts = line.splitn(3, ':');
            let t: usize = parts.next().and_then(|p| p.parse().ok()).expect("thread");
            let i: usize = parts.next().and_then(|p| p.parse().ok()).expect("index");
            assert_eq!(i, next[t], "thread {t}'s lines in order");
            assert_eq!(parts.next().map(str::len), Some(5000));
            next[t] += 1;
        }
        assert_eq!(next, [500; 4]);
    }
}
