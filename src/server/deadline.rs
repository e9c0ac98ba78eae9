//! Deadlines on a connection: how long a request head may take, how long a keep-alive
//! connection may sit idle between requests, and how long an answer may wait for a client
//! that reads none of it.
//!
//! Implementation rationale: hyper 1's `header_read_timeout` starts its clock whenever hyper
//! starts waiting for a request head, which on a keep-alive connection is right after the
//! previous answer: it would close idle connections after the *header* timeout, leaving no
//! room for a longer idle timeout (a short header timeout is what stops slowloris clients; a
//! short idle timeout makes pooled clients race the server's close). So hyper's is turned off
//! and this wrapper keeps both clocks: idle from the end of one answer until the first byte of
//! the next request, header from that byte (or from the connection's opening, for its first
//! request) until the service is called. While a request is in the service, reads carry no
//! deadline here: the body's own timeout is the service's. A deadline that passes fails the
//! read with `TimedOut`, and hyper closes the connection.
//!
//! Writes have their own clock, started when the socket takes no more bytes (the client's
//! receive window is full: it is not reading) and stopped by any byte it takes: a client
//! that reads nothing of its answer for the write timeout gets its connection closed, rather
//! than holding it (and one of `--max-connections`) until shutdown. Its timer is made on the
//! first stall, so connections whose writes never stall pay nothing for it.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Requests a connection's service has started and finished: shared between the service
/// (which counts) and [`Deadlines`] (which reads the counts to know what the connection is
/// waiting for).
#[derive(Debug, Default)]
pub(crate) struct Activity {
    started: AtomicU64,
    finished: AtomicU64,
}

impl Activity {
    pub(crate) fn start(&self) {
        self.started.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn finish(&self) {
        self.finished.fetch_add(1, Ordering::AcqRel);
    }

    /// Answers finished so far, when no request is in the service.
    fn between_requests(&self) -> Option<u64> {
        let finished = self.finished.load(Ordering::Acquire);
        (self.started.load(Ordering::Acquire) == finished).then_some(finished)
    }
}

/// A connection's three clocks (see the module's documentation).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub idle: Duration,
    pub header: Duration,
    pub write: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    /// For the first byte of the next request, after `answered` answers.
    Idle { answered: u64 },
    /// For the rest of a request head, after `answered` answers.
    Head { answered: u64 },
    /// Nothing: a request is in the service.
    Busy,
}

/// A connection whose reads fail once the idle or header deadline passes.
///
/// Every request moves the deadline twice (idle after the answer, header at the next byte),
/// almost always later; moving a timer costs a lock on the runtime's timer wheel, so the
/// deadline is a plain instant and the one timer is moved only when the deadline comes
/// earlier than the timer, or when the timer fires before the deadline (then to it).
pub(crate) struct Deadlines<T> {
    io: T,
    activity: Arc<Activity>,
    idle: Duration,
    header: Duration,
    waiting: Waiting,
    /// When the current wait must end; `None` while a request is in the service.
    deadline: Option<Instant>,
    /// Fires at `timer_at`, never after `deadline`.
    timer: Pin<Box<Sleep>>,
    timer_at: Instant,
    write: Duration,
    /// Set while a write is stalled: fires when the stall has lasted `write`.
    write_stall: Option<Pin<Box<Sleep>>>,
    stalled: bool,
}

impl<T> Deadlines<T> {
    /// A fresh connection: its first request head has `header` from now.
    pub(crate) fn new(io: T, activity: Arc<Activity>, timeouts: Timeouts) -> Self {
        let at = Instant::now() + timeouts.header;
        Self {
            io,
            activity,
            idle: timeouts.idle,
            header: timeouts.header,
            waiting: Waiting::Head { answered: 0 },
            deadline: Some(at),
            timer: Box::pin(tokio::time::sleep_until(at)),
            timer_at: at,
            write: timeouts.write,
            write_stall: None,
            stalled: false,
        }
    }

    /// A write's outcome, through the write clock: bytes taken end a stall; a write that
    /// takes none starts one (or goes on with it), and fails once it has lasted too long.
    fn through_write_clock(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        if !polled.is_pending() {
            self.stalled = false;
            return polled;
        }
        let write = self.write;
        let timer = self
            .write_stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(write)));
        if !self.stalled {
            self.stalled = true;
            timer.as_mut().reset(Instant::now() + write);
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read none of its answer for too long",
            )));
        }
        Poll::Pending
    }

    fn arm(&mut self, after: Duration) {
        let at = Instant::now() + after;
        self.deadline = Some(at);
        if at < self.timer_at {
            self.set_timer(at);
        }
    }

    fn set_timer(&mut self, at: Instant) {
        self.timer.as_mut().reset(at);
        self.timer_at = at;
    }

    /// Whether the deadline has passed; when the timer fired for an earlier deadline than
    /// the current one, it is moved to the current one (and polled, so it wakes the reader).
    fn poll_expired(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(deadline) = self.deadline else {
            return false;
        };
        while self.timer.as_mut().poll(cx).is_ready() {
            if Instant::now() >= deadline {
                return true;
            }
            self.set_timer(deadline);
        }
        false
    }

    /// Brings `waiting` up to date with the service's counts, before a read.
    fn observe(&mut self) {
        match (self.activity.between_requests(), self.waiting) {
            (None, _) => {
                self.waiting = Waiting::Busy;
                self.deadline = None;
            }
            (Some(n), Waiting::Idle { answered } | Waiting::Head { answered }) if n == answered => {
            }
            (Some(n), _) => {
                self.waiting = Waiting::Idle { answered: n };
                self.arm(self.idle);
            }
        }
    }

    /// Bytes arrived: an idle connection now has a request head on its way.
    fn on_bytes(&mut self) {
        if let Waiting::Idle { answered } = self.waiting {
            self.waiting = Waiting::Head { answered };
            self.arm(self.header);
        }
    }

    fn expired(&self) -> io::Error {
        let what = match self.waiting {
            Waiting::Idle { .. } => "the keep-alive connection was idle too long",
            _ => "the request head took too long",
        };
        io::Error::new(io::ErrorKind::TimedOut, what)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Deadlines<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.observe();
        // Checked before reading too: a client trickling bytes always has one ready.
        if this.poll_expired(cx) {
            return Poll::Ready(Err(this.expired()));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.on_bytes();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Deadlines<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.through_write_clock(cx, polled)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.through_write_clock(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    //! Real time, short deadlines; only lower bounds on time are asserted (a timer never
    //! fires early), with wide margins where a connection must outlive one deadline.
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const IDLE: Duration = Duration::from_secs(3);
    const HEADER: Duration = Duration::from_millis(100);
    const WRITE: Duration = Duration::from_millis(150);

    fn timeouts(idle: Duration) -> Timeouts {
        Timeouts {
            idle,
            header: HEADER,
            write: WRITE,
        }
    }

    fn pair() -> (
        Deadlines<tokio::io::DuplexStream>,
        tokio::io::DuplexStream,
        Arc<Activity>,
    ) {
        let (server, client) = tokio::io::duplex(64);
        let activity = Arc::new(Activity::default());
        let io = Deadlines::new(server, activity.clone(), timeouts(IDLE));
        (io, client, activity)
    }

    #[tokio::test]
    async fn a_first_request_head_has_the_header_timeout_from_the_opening() {
        let started = Instant::now();
        let (mut io, _client, _) = pair();
        let err = io.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= HEADER);
        assert!(started.elapsed() < IDLE);
    }

    #[tokio::test]
    async fn a_trickling_head_is_cut_at_the_header_timeout() {
        let started = Instant::now();
        let (mut io, mut client, _) = pair();
        let mut read = 0;
        let err = loop {
            client.write_all(b"G").await.unwrap();
            match io.read(&mut [0u8; 8]).await {
                Ok(n) => read += n,
                Err(e) => break e,
            }
            assert!(read < 1000, "a trickling head was never cut");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= HEADER);
    }

    #[tokio::test]
    async fn no_deadline_while_a_request_is_in_the_service() {
        let (mut io, mut client, activity) = pair();
        activity.start();
        tokio::time::sleep(HEADER * 3).await;
        client.write_all(b"body").await.unwrap();
        assert_eq!(io.read(&mut [0u8; 8]).await.unwrap(), 4);
    }

    #[tokio::test]
    async fn between_requests_the_idle_timeout_applies_then_the_header_one() {
        let (mut io, mut client, activity) = pair();
        activity.start();
        activity.finish();
        // Idle three header timeouts (well inside the idle one): still open.
        let reader = tokio::spawn(async move {
            let n = io.read(&mut [0u8; 8]).await.map_err(|e| e.kind());
            (io, n)
        });
        tokio::time::sleep(HEADER * 3).await;
        client.write_all(b"G").await.unwrap();
        let (mut io, n) = reader.await.unwrap();
        assert_eq!(n, Ok(1));
        // A head is on its way: the header timeout counts from its first byte.
        let started = Instant::now();
        let err = io.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() < IDLE);
    }

    #[tokio::test]
    async fn an_idle_connection_is_cut_at_the_idle_timeout() {
        let (server, _client) = tokio::io::duplex(64);
        let activity = Arc::new(Activity::default());
        let idle = Duration::from_millis(150);
        let mut io = Deadlines::new(server, activity.clone(), timeouts(idle));
        activity.start();
        activity.finish();
        let started = Instant::now();
        let err = io.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= idle);
    }

    #[tokio::test]
    async fn an_answer_nobody_reads_is_cut_at_the_write_timeout() {
        let (mut io, _client, activity) = pair();
        activity.start();
        let started = Instant::now();
        // The duplex takes 64 bytes; the client reads none.
        let err = tokio::time::timeout(IDLE, io.write_all(&[b'x'; 1000]))
            .await
            .expect("a write nobody reads was never cut")
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= WRITE);
        assert!(started.elapsed() < IDLE);
    }

    #[tokio::test]
    async fn a_slow_reader_that_keeps_reading_gets_its_whole_answer() {
        let (mut io, mut client, activity) = pair();
        activity.start();
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            while got.len() < 1000 {
                // Each pause is under the write timeout; all of them add up to well over it.
                tokio::time::sleep(WRITE / 3).await;
                let n = client.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            got
        });
        let started = Instant::now();
        io.write_all(&[b'x'; 1000]).await.unwrap();
        let got = reader.await.unwrap();
        assert_eq!(got.len(), 1000);
        assert!(started.elapsed() > WRITE * 2, "the reader was not slow");
    }
}
