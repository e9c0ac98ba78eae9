//! Deadlines on reading a connection: how long a request head may take, and how long a
//! keep-alive connection may sit idle between requests.
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
}

impl<T> Deadlines<T> {
    /// A fresh connection: its first request head has `header` from now.
    pub(crate) fn new(io: T, activity: Arc<Activity>, idle: Duration, header: Duration) -> Self {
        let at = Instant::now() + header;
        Self {
            io,
            activity,
            idle,
            header,
            waiting: Waiting::Head { answered: 0 },
            deadline: Some(at),
            timer: Box::pin(tokio::time::sleep_until(at)),
            timer_at: at,
        }
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
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
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
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
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

    fn pair() -> (
        Deadlines<tokio::io::DuplexStream>,
        tokio::io::DuplexStream,
        Arc<Activity>,
    ) {
        let (server, client) = tokio::io::duplex(64);
        let activity = Arc::new(Activity::default());
        let io = Deadlines::new(server, activity.clone(), IDLE, HEADER);
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
        let mut io = Deadlines::new(server, activity.clone(), idle, HEADER);
        activity.start();
        activity.finish();
        let started = Instant::now();
        let err = io.read(&mut [0u8; 8]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= idle);
    }
}
