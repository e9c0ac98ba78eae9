//! The benchmark's paced load: requests at a fixed rate over a fixed number of connections to
//! 127.0.0.1, each request's latency counted from the moment it was due rather than from the
//! moment it went out (wrk2's correction for coordinated omission: a server that falls behind
//! is charged for the wait of every request queued behind the slow answer).
//!
//! wrk measures throughput in a closed loop (each connection sends again the moment an answer
//! arrives), so at saturation its latency is connections / rate (Little's law): the slower
//! server's p99 is about its throughput deficit, whatever its own latency. This measures the
//! latency of both servers at the same load, one below both capacities.
//!
//! ```sh
//! cargo run --release --example loadgen -- --url http://127.0.0.1:PORT/PATH \
//!     --script bench/gitbook_list.lua --rate 40000 [--connections 32] [--seconds 5] [--warmup 1]
//! ```
//!
//! The request is read from a wrk script of `bench/` (its `wrk.method`, `wrk.headers[...]`
//! and `wrk.body` lines). One thread polls nonblocking sockets without sleeping, so sends
//! leave on time without depending on timer wake-ups: its CPU is busy for the whole run (pin
//! it away from the server's). Prints one line:
//!
//! `LOADGEN rate=R sent=N answered=N status_2xx=N status_4xx=N status_5xx=N errors=N
//!  p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=.. send_lag_p99_us=.. gen_stalls=N
//!  gen_stall_max_us=..`
//!
//! The last three are the generator's own lateness: `send_lag_p99_us` for requests due on an
//! idle connection, and `gen_stalls`, the times its loop stopped for over a millisecond (its
//! thread or its virtual CPU not running) while measuring. Requests due during a stall leave
//! late and together, and the server's answer to that burst sets the tail: `bench/run` measures
//! such a run again.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

struct Args {
    host: String,
    path: String,
    script: String,
    rate: u64,
    connections: usize,
    seconds: u64,
    warmup: u64,
}

fn usage() -> ! {
    eprintln!(
        "usage: loadgen --url http://127.0.0.1:PORT/PATH --script FILE.lua --rate N \
         [--connections N] [--seconds N] [--warmup N]"
    );
    std::process::exit(2)
}

fn fail(message: &str) -> ! {
    eprintln!("loadgen: {message}");
    std::process::exit(1)
}

fn parse_args() -> Args {
    let mut url = None;
    let mut script = None;
    let (mut rate, mut connections, mut seconds, mut warmup) = (0, 32, 5, 1);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let Some(value) = args.next() else { usage() };
        let number = || value.parse::<u64>().unwrap_or_else(|_| usage());
        match arg.as_str() {
            "--url" => url = Some(value),
            "--script" => script = Some(value),
            "--rate" => rate = number(),
            "--connections" => connections = number() as usize,
            "--seconds" => seconds = number(),
            "--warmup" => warmup = number(),
            _ => usage(),
        }
    }
    let (Some(url), Some(script)) = (url, script) else {
        usage()
    };
    if rate == 0 || connections == 0 || seconds == 0 {
        usage()
    }
    // Loopback only: the benchmark never sends traffic anywhere else.
    let Some(rest) = url.strip_prefix("http://127.0.0.1:") else {
        fail("the URL must be http://127.0.0.1:PORT/...")
    };
    let (port, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if port.parse::<u16>().is_err() {
        fail("the URL's port is not a number")
    }
    Args {
        host: format!("127.0.0.1:{port}"),
        path: if path.is_empty() { "/" } else { path }.to_owned(),
        script,
        rate,
        connections,
        seconds,
        warmup,
    }
}

/// The request a wrk script of `bench/` sends, as bytes on the wire.
fn request_of(script: &str, host: &str, path: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(script)
        .unwrap_or_else(|e| fail(&format!("cannot read {script}: {e}")));
    let mut method = "GET".to_owned();
    let mut headers = Vec::new();
    let mut body = String::new();
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("wrk.method = ") {
            method = lua_string(v);
        } else if let Some(v) = line.strip_prefix("wrk.body = ") {
            body = lua_string(v);
        } else if let Some(rest) = line.strip_prefix("wrk.headers[")
            && let Some((name, value)) = rest.split_once("] = ")
        {
            headers.push((lua_string(name), lua_string(value)));
        }
    }
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method != "GET" {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    out.push_str(&body);
    out.into_bytes()
}

/// A Lua string literal in single or double quotes, without escapes (the scripts use none).
fn lua_string(literal: &str) -> String {
    let t = literal.trim();
    let quoted = t.len() >= 2
        && ((t.starts_with('"') && t.ends_with('"')) || (t.starts_with('\'') && t.ends_with('\'')));
    if !quoted || t[1..t.len() - 1].contains('\\') {
        fail(&format!("cannot read the Lua string {literal}"))
    }
    t[1..t.len() - 1].to_owned()
}

/// One connection: its requests due but not yet sent, the one in flight, what has come back.
struct Conn {
    stream: TcpStream,
    due: VecDeque<Instant>,
    in_flight: Option<Instant>,
    /// When the last answer came in (or the connection opened): a request due later was due
    /// on an idle connection, and any delay in sending it is the generator's.
    idle_since: Instant,
    buf: Vec<u8>,
}

impl Conn {
    fn open(host: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(host)?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        Ok(Self {
            stream,
            due: VecDeque::new(),
            in_flight: None,
            idle_since: Instant::now(),
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Writes the whole request; a server that takes none of it for 2 s fails the run.
    fn send(&mut self, request: &[u8]) -> std::io::Result<()> {
        let mut rest = request;
        let mut blocked_since = None;
        while !rest.is_empty() {
            match self.stream.write(rest) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    rest = &rest[n..];
                    blocked_since = None;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    let since = *blocked_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > Duration::from_secs(2) {
                        return Err(ErrorKind::TimedOut.into());
                    }
                    std::hint::spin_loop();
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads what is there; the status of a whole answer once one is in.
    fn poll(&mut self) -> std::io::Result<Option<u16>> {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(None),
            Err(e) => return Err(e),
        }
        let Some((status, total)) = answer_in(&self.buf)? else {
            return Ok(None);
        };
        self.buf.drain(..total);
        Ok(Some(status))
    }
}

/// The status and length of the whole HTTP/1.1 answer at the start of `buf`, once it is all
/// there. No body after 1xx, 204 and 304; every other answer of both servers is sized.
///
/// The head is read by httparse. Against the hand-written reader it replaced (a search for the
/// empty line, then the lines split and compared), on a 741-byte list answer and a 126-byte
/// 400, release build, one pinned CPU, 2M calls a round: 160-190 ns a head against 230-310 ns
/// (and 420 against 600-750 on a busier machine), faster in every round.
fn answer_in(buf: &[u8]) -> std::io::Result<Option<(u16, usize)>> {
    let mut slots = [httparse::EMPTY_HEADER; 32];
    let mut answer = httparse::Response::new(&mut slots);
    let head_len = match answer.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(ErrorKind::InvalidData.into()),
    };
    let status = answer.code.ok_or(ErrorKind::InvalidData)?;
    let length = if status < 200 || status == 204 || status == 304 {
        0
    } else {
        answer
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .and_then(|h| std::str::from_utf8(h.value).ok())
            .and_then(|v| v.trim().parse::<usize>().ok())
            .ok_or(ErrorKind::InvalidData)?
    };
    let total = head_len + length;
    Ok((buf.len() >= total).then_some((status, total)))
}

fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn main() {
    let args = parse_args();
    let request = request_of(&args.script, &args.host, &args.path);
    let mut conns: Vec<Conn> = (0..args.connections)
        .map(|_| Conn::open(&args.host).unwrap_or_else(|e| fail(&format!("cannot connect: {e}"))))
        .collect();

    let interval_ns = 1_000_000_000f64 / args.rate as f64;
    let start = Instant::now() + Duration::from_millis(10);
    let measured_from = start + Duration::from_secs(args.warmup);
    let end = measured_from + Duration::from_secs(args.seconds);
    let mut latencies: Vec<u64> = Vec::with_capacity((args.rate * args.seconds) as usize + 1);
    let mut send_lags: Vec<u64> = Vec::with_capacity(latencies.capacity());
    let (mut sent, mut answered, mut errors) = (0u64, 0u64, 0u64);
    let mut statuses = [0u64; 6];
    let mut next: u64 = 0;
    let due_at = |k: u64| start + Duration::from_nanos((k as f64 * interval_ns) as u64);

    // Until the last request is due, then until every sent one is answered (at most 2 s).
    let mut drain_until = None;
    // The generator's own stalls: gaps of over a millisecond between two turns of its loop
    // (its thread or its CPU did not run). Requests due meanwhile leave late and in a burst.
    let (mut stalls, mut stall_max) = (0u64, Duration::ZERO);
    let mut last_turn = Instant::now();
    loop {
        let now = Instant::now();
        let gap = now - last_turn;
        last_turn = now;
        if gap > Duration::from_millis(1) && now > measured_from && now < end {
            stalls += 1;
            stall_max = stall_max.max(gap);
        }
        if drain_until.is_none() {
            while due_at(next) <= now {
                if due_at(next) >= end {
                    drain_until = Some(now + Duration::from_secs(2));
                    break;
                }
                let c = (next % conns.len() as u64) as usize;
                conns[c].due.push_back(due_at(next));
                next += 1;
            }
        }
        let (mut busy, mut progressed) = (false, false);
        for conn in &mut conns {
            if conn.in_flight.is_none() {
                let Some(due) = conn.due.pop_front() else {
                    continue;
                };
                if let Err(e) = conn.send(&request) {
                    fail(&format!("a send failed: {e}"))
                }
                conn.in_flight = Some(due);
                progressed = true;
                if due >= measured_from {
                    sent += 1;
                    if due >= conn.idle_since {
                        send_lags.push((Instant::now() - due).as_nanos() as u64);
                    }
                }
            }
            let Some(due) = conn.in_flight else { continue };
            busy = true;
            match conn.poll() {
                Ok(None) => {}
                Ok(Some(status)) => {
                    let done = Instant::now();
                    conn.in_flight = None;
                    conn.idle_since = done;
                    progressed = true;
                    if due >= measured_from {
                        answered += 1;
                        statuses[usize::from(status / 100).min(5)] += 1;
                        latencies.push((done - due).as_nanos() as u64);
                    }
                }
                Err(e) => {
                    errors += 1;
                    eprintln!("loadgen: a connection failed ({e}); opening another");
                    let queued = std::mem::take(&mut conn.due);
                    *conn = Conn::open(&args.host)
                        .unwrap_or_else(|e| fail(&format!("cannot connect: {e}")));
                    conn.due = queued;
                }
            }
        }
        if let Some(until) = drain_until
            && (!busy || now >= until)
        {
            break;
        }
        if !progressed {
            // Nothing sent or answered: let the CPU's other work run. A loop that never gave
            // the CPU up held back the kernel's deferred packet processing (ksoftirqd) on this
            // CPU until the next scheduler tick, and every request waited 4 ms now and then.
            std::thread::yield_now();
        }
    }

    latencies.sort_unstable();
    send_lags.sort_unstable();
    let us = |ns: u64| ns / 1000;
    println!(
        "LOADGEN rate={} sent={sent} answered={answered} status_2xx={} status_4xx={} \
         status_5xx={} errors={errors} p50_us={} p90_us={} p99_us={} p999_us={} max_us={} \
         send_lag_p99_us={} gen_stalls={stalls} gen_stall_max_us={}",
        args.rate,
        statuses[2],
        statuses[4],
        statuses[5],
        us(percentile(&latencies, 0.50)),
        us(percentile(&latencies, 0.90)),
        us(percentile(&latencies, 0.99)),
        us(percentile(&latencies, 0.999)),
        us(latencies.last().copied().unwrap_or(0)),
        us(percentile(&send_lags, 0.99)),
        stall_max.as_micros(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_whole_once_their_body_is_in() {
        let answer = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nContent-Length: 6\r\n\r\n{\"a\":";
        assert_eq!(
            answer_in(answer).unwrap(),
            None,
            "one byte of the body missing"
        );
        let mut whole = answer.to_vec();
        whole.extend_from_slice(b"1HTTP/1.1 200 OK");
        // The next answer's first bytes stay for the next call.
        assert_eq!(answer_in(&whole).unwrap(), Some((400, answer.len() + 1)));
        assert_eq!(answer_in(b"HTTP/1.1 200 OK\r\n").unwrap(), None);
        let no_content = b"HTTP/1.1 204 No Content\r\ndate: x\r\n\r\n";
        assert_eq!(
            answer_in(no_content).unwrap(),
            Some((204, no_content.len()))
        );
        assert!(answer_in(b"HTTP/1.1 200 OK\r\n\r\n").is_err(), "unsized");
        assert!(answer_in(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn the_request_is_read_from_a_wrk_script() {
        let dir = std::env::temp_dir().join(format!("loadgen-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("s.lua");
        std::fs::write(
            &script,
            "-- a comment\nwrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
             wrk.body = '{\"a\": [1]}'\ndofile(\"bench/report.lua\")\n",
        )
        .unwrap();
        let request = request_of(script.to_str().unwrap(), "127.0.0.1:9", "/p?q=1");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            String::from_utf8(request).unwrap(),
            "POST /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nContent-Type: application/json\r\n\
             Content-Length: 10\r\n\r\n{\"a\": [1]}"
        );
        assert_eq!(lua_string(" 'x' "), "x");
    }

    #[test]
    fn percentiles_are_ranks_of_the_sorted_values() {
        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(percentile(&v, 0.5), 500);
        assert_eq!(percentile(&v, 0.99), 990);
        assert_eq!(percentile(&v, 0.999), 999);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.99), 0);
    }
}
