//! Broken deliveries on purpose (`Prefer: fault=`): the handler has answered as usual (the
//! world changed, the journal has the request), and here the answer breaks on its way out.
//!
//! - `malformed`: a whole answer, its body cut at half with a stray `{` after it (never JSON:
//!   no JSON text ends with `{`), under a `Content-Length` that counts what is sent.
//! - `truncated`: the head announces the whole body, half of it is sent ([`AnswerBody`]),
//!   then the body fails and hyper drops the connection.
//! - `empty` and `reset`: the service fails instead of answering ([`Dropped`]), so hyper
//!   writes nothing and drops the connection: a close, or for `reset`, with the socket set to
//!   linger 0 first ([`Faulty`]'s drop), a reset.
//!
//! Implementation rationale: hyper owns the connection's stream while it serves it, so the
//! service cannot close it by hand. What it can do is fail (an answer's service or body
//! error ends the connection without a byte more) and tell the stream's wrapper, through a
//! flag they share, that the close is to be a reset; the wrapper sets `SO_LINGER` 0 as it is
//! dropped, just before the socket closes. Zero linger never blocks (unlike a positive one).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// An answer's body: whole, or cut short under the whole length (`fault=truncated`).
#[derive(Debug)]
pub(super) struct AnswerBody(Kind);

#[derive(Debug)]
enum Kind {
    Whole(Full<Bytes>),
    Cut {
        /// What is sent before the body fails; `None` once sent.
        part: Option<Bytes>,
        /// Whether hyper has been given a chance to write the part out (it flushes when the
        /// body has nothing ready), so the failure does not throw the part away unsent.
        flushed: bool,
        announced: u64,
    },
}

impl AnswerBody {
    pub(super) fn whole(bytes: Bytes) -> AnswerBody {
        AnswerBody(Kind::Whole(Full::new(bytes)))
    }

    /// The first half of `bytes` (at least one byte short of it), announced whole.
    pub(super) fn truncated(bytes: Bytes) -> AnswerBody {
        let announced = bytes.len() as u64;
        let part = bytes.slice(..bytes.len() / 2);
        AnswerBody(Kind::Cut {
            part: Some(part),
            flushed: false,
            announced,
        })
    }
}

/// Why a body cut short ends: on purpose.
#[derive(Debug)]
pub(super) struct CutShort;

impl std::fmt::Display for CutShort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the body was cut short on purpose (Prefer: fault=truncated)")
    }
}

impl std::error::Error for CutShort {}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = CutShort;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, CutShort>>> {
        match &mut self.get_mut().0 {
            Kind::Whole(full) => Pin::new(full)
                .poll_frame(cx)
                .map_err(|never| match never {}),
            Kind::Cut { part, flushed, .. } => {
                if let Some(part) = part.take().filter(|p| !p.is_empty()) {
                    return Poll::Ready(Some(Ok(Frame::data(part))));
                }
                if !*flushed {
                    *flushed = true;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Poll::Ready(Some(Err(CutShort)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Whole(full) => full.is_end_stream(),
            Kind::Cut { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Whole(full) => full.size_hint(),
            Kind::Cut { announced, .. } => SizeHint::with_exact(*announced),
        }
    }
}

/// `bytes` cut at half, with a stray `{`: never JSON, whatever `bytes` was.
pub(super) fn malformed(bytes: &Bytes) -> Bytes {
    let half = &bytes[..bytes.len() / 2];
    let mut out = BytesMut::with_capacity(half.len() + 1);
    out.put_slice(half);
    out.put_u8(b'{');
    out.freeze()
}

/// The service's failure when the answer is not to be sent at all (`fault=empty`, `reset`).
#[derive(Debug)]
pub(super) struct Dropped {
    pub(super) reset: bool,
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = if self.reset { "reset" } else { "empty" };
        write!(f, "the answer was dropped on purpose (Prefer: fault={how})")
    }
}

impl std::error::Error for Dropped {}

/// A connection's stream, which closes with a reset once `reset` is set (see the module's
/// rationale): `on_reset` makes its close a reset (zero linger on TCP; nothing for a stream
/// that has no such thing, which then just closes).
pub(super) struct Faulty<I> {
    inner: I,
    reset: Arc<AtomicBool>,
    on_reset: fn(&I),
}

impl<I> Faulty<I> {
    pub(super) fn new(inner: I, reset: Arc<AtomicBool>, on_reset: fn(&I)) -> Faulty<I> {
        Faulty {
            inner,
            reset,
            on_reset,
        }
    }
}

impl<I> Drop for Faulty<I> {
    fn drop(&mut self) {
        if self.reset.load(Ordering::Acquire) {
            (self.on_reset)(&self.inner);
        }
    }
}

/// Zero linger on a TCP stream: its close sends RST and drops whatever is unsent.
pub(super) fn reset_tcp(stream: &tokio::net::TcpStream) {
    if let Err(e) = stream.set_zero_linger() {
        tracing::debug!(error = %e, "could not set the socket to reset on close");
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Faulty<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Faulty<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_body_never_parses_as_json() {
        for json in [
            "{\"id\":1,\"name\":\"rex\"}",
            "[1,2,3]",
            "12345678",
            "\"abcdef\"",
            "{}",
            "",
            "true",
        ] {
            let broken = malformed(&Bytes::from(json));
            assert!(
                serde_json::from_slice::<serde_json::Value>(&broken).is_err(),
                "{json} gave {broken:?}"
            );
            assert!(broken.len() <= json.len() / 2 + 1);
        }
    }

    #[test]
    fn a_truncated_body_announces_the_whole_sends_half_then_fails() {
        use http_body_util::BodyExt;
        let body = AnswerBody::truncated(Bytes::from_static(b"0123456789"));
        assert_eq!(body.size_hint().exact(), Some(10));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let collected = runtime.block_on(async {
            let mut body = body;
            let mut got = Vec::new();
            loop {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        got.extend_from_slice(&frame.into_data().unwrap_or_default())
                    }
                    Some(Err(_)) => return Err(got),
                    None => return Ok(got),
                }
            }
        });
        assert_eq!(collected, Err(b"01234".to_vec()));
    }
}
