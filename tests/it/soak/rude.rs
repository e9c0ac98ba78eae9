//! The soak's rude clients: invalid requests, readers, and clients that abort or dribble.

use super::*;

// --- invalid requests ---------------------------------------------------------------------

/// Requests every one of which must get a 4xx, whatever the world: none may change it.
pub(super) fn invalid_requests() -> Vec<MockRequest> {
    let g = Some(GITBOOK_TOKEN);
    let a = Some(ARIZE_TOKEN);
    let docs = "/v1/spaces/sPaCe4Docs01/permissions";
    let fraud = format!("/v2/spaces/{}/users", segment(FRAUD));
    let assign = "/api/v1/spaces/default/assign_users";
    let mut out = vec![
        request("GET", &format!("{docs}/users"), None, None),
        request(
            "GET",
            &format!("{docs}/users"),
            Some("gb_not_a_token"),
            None,
        ),
        request("GET", "/v1/spaces/nOsUcHsPaCe/permissions/users", g, None),
        request("GET", &format!("{docs}/users?limit=abc"), g, None),
        request("GET", &format!("{docs}/users?limit=1&limit=2"), g, None),
        request("GET", &format!("{docs}/users?page=bm9wZQ"), g, None),
        request("GET", &format!("{docs}/aggregate?role=boss"), g, None),
        request("GET", &format!("{docs}/users/%FF"), g, None),
        request(
            "POST",
            "/v1/spaces/sPaCeNotes03/permissions",
            g,
            Some(json!({"role": "boss", "users": []})),
        ),
        // One unknown user: nobody is invited, Bob included.
        request(
            "POST",
            "/v1/spaces/sPaCeNotes03/permissions",
            g,
            Some(json!({"role": "edit", "users": ["Qm9iU21pdGg", "nOsUcHuSeR"]})),
        ),
        // A team of another organization: nothing changes.
        request(
            "POST",
            "/v1/spaces/sPaCeNotes03/permissions",
            g,
            Some(json!({"role": "edit", "teams": ["tEaMdOcS01", "tEaMgLoBeX4"]})),
        ),
        request(
            "PATCH",
            &format!("{docs}/users/Qm9iU21pdGg"),
            g,
            Some(json!({"role": 5})),
        ),
        request(
            "PATCH",
            &format!("{docs}/users/nOsUcHuSeR"),
            g,
            Some(json!({"role": "edit"})),
        ),
        request(
            "POST",
            &fraud,
            Some("arize-member-key"),
            Some(
                json!({"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "predefined", "name": "admin"}}),
            ),
        ),
        request(
            "POST",
            &fraud,
            Some("arize-outsider-key"),
            Some(
                json!({"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "predefined", "name": "member"}}),
            ),
        ),
        request(
            "POST",
            &fraud,
            a,
            Some(json!({"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "wizard"}})),
        ),
        request(
            "POST",
            &fraud,
            a,
            Some(
                json!({"user_id": "VXNlcjoyMDAwMQ==", "role": {"type": "predefined", "name": "member"}}),
            ),
        ),
        request(
            "POST",
            &fraud,
            Some("arize-annotator-key"),
            Some(
                json!({"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "custom", "id": "Um9sZTo3"}}),
            ),
        ),
        request(
            "DELETE",
            &format!("{fraud}/{}", segment("VXNlcjoxMDAwNA==")),
            Some("arize-member-key"),
            None,
        ),
        request("DELETE", &format!("{fraud}/bm9wZQ"), Some("nope"), None),
        request(
            "POST",
            assign,
            None,
            Some(json!({"users": [{"email": "nope", "roles": ["ROLE_X"]}]})),
        ),
        request(
            "POST",
            assign,
            None,
            Some(json!({"users": [
                {"email": "soak-0@example.com", "roles": ["ROLE_USER"]},
                {"email": "SOAK-0@example.com", "roles": ["ROLE_EDITOR"]}
            ]})),
        ),
        request(
            "POST",
            "/api/v1/spaces/no-such-space/assign_users",
            None,
            Some(json!({"users": []})),
        ),
        request(
            "POST",
            "/api/v1/space_workers/allocation",
            None,
            Some(json!({"spaceWorkers": [{"spaceIdentifier": "default", "workers": 9}]})),
        ),
        request(
            "POST",
            "/api/v1/space_workers/allocation",
            None,
            Some(json!({"spaceWorkers": [{"spaceIdentifier": "nope", "workers": 1}]})),
        ),
        request("GET", "/nothing/here", None, None),
        request("PUT", &format!("{docs}/users"), g, None),
        request("GET", "/__admin/nothing", None, None),
    ];
    // A body that is not JSON, one of the wrong type, one over the size limit.
    let mut bad = request("POST", assign, None, None);
    bad.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    bad.body = bytes::Bytes::from_static(b"{\"users\": [");
    out.push(bad.clone());
    let mut text = bad.clone();
    text.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    text.body = bytes::Bytes::from_static(b"users");
    out.push(text);
    let mut big = bad.clone();
    big.body = bytes::Bytes::from(vec![b' '; MAX_BODY + 1]);
    out.push(big);
    // A target over the limit (8 KiB), an unacceptable `Accept`, a bad session name.
    out.push(request(
        "GET",
        &format!("{docs}/users?x={}", "a".repeat(9000)),
        g,
        None,
    ));
    let mut xml = request("GET", &format!("{docs}/users"), g, None);
    xml.headers.insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/xml"),
    );
    out.push(xml);
    let mut session = request("GET", &format!("{docs}/users"), g, None);
    session.headers.insert(
        "x-understudy-session",
        http::HeaderValue::from_str(&"s".repeat(200)).expect("a header value"),
    );
    out.push(session);
    out
}

pub(super) fn invalid_step(
    client: &mut Client,
    requests: &[MockRequest],
    rng: &mut Rng,
    tally: &mut Tally,
) {
    let req = rng.pick(requests);
    if let Some((status, body)) = send(client, req, tally)
        && !(400..500).contains(&status)
    {
        tally.wrong(format!(
            "{} {}: {status} to an invalid request; {body}",
            req.method, req.path
        ));
    }
}

// --- readers ------------------------------------------------------------------------------

/// A paged GitBook list read to its end (pages of `limit`), or the control API's state.
pub(super) fn read_step(client: &mut Client, rng: &mut Rng, tally: &mut Tally) {
    if rng.below(10) == 0 {
        let req = request("GET", "/__admin/state", None, None);
        if let Some((status, _)) = send(client, &req, tally)
            && status != 200
        {
            tally.wrong(format!("GET /__admin/state: {status}"));
        }
        return;
    }
    let space = rng.pick(&GITBOOK_SPACES);
    let list = rng.pick(&["users", "teams", "aggregate"]);
    let limit = 1 + rng.below(4);
    if let Err(e) = read_pages(client, space, list, limit, tally) {
        tally.wrong(e);
    }
}

/// Every item of a GitBook list, page by page.
pub(super) fn read_pages(
    client: &mut Client,
    space: &str,
    list: &str,
    limit: usize,
    tally: &mut Tally,
) -> Result<Vec<Value>, String> {
    let mut items = Vec::new();
    let mut page: Option<String> = None;
    for _ in 0..100 {
        let mut path = format!("/v1/spaces/{space}/permissions/{list}?limit={limit}");
        if let Some(p) = &page {
            path.push_str(&format!("&page={p}"));
        }
        let req = request("GET", &path, Some(gitbook_token(space)), None);
        let (status, body) = send(client, &req, tally).ok_or(format!("GET {path}: no answer"))?;
        if status != 200 {
            return Err(format!("GET {path}: {status}; {body}"));
        }
        items.extend(body["items"].as_array().cloned().unwrap_or_default());
        match body["next"]["page"].as_str() {
            Some(next) => page = Some(next.to_owned()),
            None => return Ok(items),
        }
    }
    Err(format!("{space} {list}: more than 100 pages"))
}

// --- aborting and slow clients ------------------------------------------------------------

pub(super) fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, PATIENCE)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.set_write_timeout(Some(PATIENCE))?;
    Ok(stream)
}

pub(super) fn list_head() -> String {
    format!(
        "GET /v1/spaces/sPaCe4Docs01/permissions/users?limit=2 HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {GITBOOK_TOKEN}\r\n\r\n"
    )
}

/// An invalid write (its body breaks the schema), whole.
pub(super) fn invalid_write() -> Vec<u8> {
    let body = r#"{"users": [{"email": "nope", "roles": ["ROLE_X"]}]}"#;
    format!(
        "POST /api/v1/spaces/default/assign_users HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Opens a connection and abandons it: part of a read or of an invalid write then a close,
/// a whole read then a reset (its answer left unread), or nothing at all.
pub(super) fn abort_step(addr: SocketAddr, rng: &mut Rng, tally: &mut Tally) {
    let Ok(mut stream) = connect(addr) else {
        tally.transport_errors += 1;
        tally.wrong("an aborting client could not connect".into());
        return;
    };
    let what = rng.below(4);
    let bytes = match what {
        0 => list_head().into_bytes(),
        1 => invalid_write(),
        _ => list_head().into_bytes(),
    };
    match what {
        0 | 1 => {
            let cut = 1 + rng.below(bytes.len() - 1);
            let _ = stream.write_all(&bytes[..cut]);
            tally.count("closed mid-request");
        }
        2 => {
            let _ = stream.write_all(&bytes);
            // The answer arrives and is never read: closing now resets the connection.
            thread::sleep(Duration::from_millis(20));
            tally.count("reset after the request");
        }
        _ => tally.count("closed at once"),
    }
    drop(stream);
}

/// Slow clients: a head dribbled past the header timeout (cut, no answer), a body dribbled
/// past the body timeout (408), a head dribbled within the header timeout (200), or lists
/// pipelined and none of their answers read (cut at the write timeout).
pub(super) fn slow_step(addr: SocketAddr, rng: &mut Rng, tally: &mut Tally) {
    let Ok(mut stream) = connect(addr) else {
        tally.transport_errors += 1;
        tally.wrong("a slow client could not connect".into());
        return;
    };
    let started = Instant::now();
    match rng.below(4) {
        0 => {
            // 1 byte every 100 ms: the head would take seconds.
            let head = list_head().into_bytes();
            let mut sent = 0;
            for byte in &head {
                if stream.write_all(&[*byte]).is_err() {
                    break;
                }
                sent += 1;
                thread::sleep(Duration::from_millis(100));
                if started.elapsed() > HEADER_TIMEOUT * 3 {
                    break;
                }
            }
            let answer = read_all(&mut stream);
            let took = started.elapsed();
            match answer {
                Some(a) if a.is_empty() && sent < head.len() && took < PATIENCE => {
                    tally.count("cut (slow head)");
                }
                other => tally.wrong(format!(
                    "a slow head ({sent} of {} bytes in {took:?}) was not cut: {:?}",
                    head.len(),
                    other.map(|a| String::from_utf8_lossy(&a).into_owned())
                )),
            }
        }
        1 => {
            let write = invalid_write();
            let split = write.len() - 20;
            let _ = stream.write_all(&write[..split]);
            for byte in &write[split..] {
                // Stops once the 408 is there: writing on would meet the closed socket, and
                // the reset it answers with could discard the 408 unread.
                if answer_waiting(&stream) || stream.write_all(&[*byte]).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(100));
                if started.elapsed() > BODY_TIMEOUT * 3 {
                    break;
                }
            }
            match read_all(&mut stream).as_deref().and_then(status_of) {
                Some(status) => {
                    tally.answer(status);
                    if status != 408 {
                        tally.wrong(format!("a slow body got {status}, not 408"));
                    }
                }
                None => tally.wrong("a slow body got no 408".into()),
            }
        }
        2 => {
            // 200,000 lists (22 MB of requests, more than loopback's socket buffers hold, and
            // ten times that of answers), none of the answers read: the server stops reading
            // requests once its writes stall, so the sending ends only when the server closes
            // the connection (the write timeout).
            let many = list_head().repeat(200_000);
            let Ok(mut writer) = stream.try_clone() else {
                tally.wrong("a socket could not be cloned".into());
                return;
            };
            let (sent, sending) = std::sync::mpsc::channel();
            thread::spawn(move || {
                let _ = sent.send(writer.write_all(many.as_bytes()).is_ok());
            });
            // Well inside the idle timeout (30 s), which only an answered client could meet.
            match sending.recv_timeout(Duration::from_secs(20)) {
                Ok(false) if read_all(&mut stream).is_some() => {
                    tally.count("cut (reads nothing)");
                }
                outcome => tally.wrong(format!(
                    "a client that read nothing was not cut (its sending: {outcome:?}, after {:?})",
                    started.elapsed()
                )),
            }
        }
        _ => {
            // The head in five pieces, 20 ms apart: well within the header timeout, with room
            // for a loaded machine.
            let head = format!(
                "GET /v1/spaces/sPaCe4Docs01/permissions/users HTTP/1.1\r\nHost: localhost\r\n\
                 Connection: close\r\nAuthorization: Bearer {GITBOOK_TOKEN}\r\n\r\n"
            );
            for piece in head.as_bytes().chunks(head.len().div_ceil(5)) {
                let _ = stream.write_all(piece);
                thread::sleep(Duration::from_millis(20));
            }
            match read_all(&mut stream).as_deref().and_then(status_of) {
                Some(status) => {
                    tally.answer(status);
                    if status != 200 {
                        tally.wrong(format!("a slow but timely head got {status}"));
                    }
                }
                None => tally.wrong("a slow but timely head got no answer".into()),
            }
        }
    }
}

/// Whether the server has sent something (or closed) that is not read yet.
pub(super) fn answer_waiting(stream: &TcpStream) -> bool {
    let _ = stream.set_nonblocking(true);
    let waiting =
        !matches!(stream.peek(&mut [0u8; 1]), Err(e) if e.kind() == ErrorKind::WouldBlock);
    let _ = stream.set_nonblocking(false);
    waiting
}

/// Everything the server sends until it closes (a reset counts as a close).
pub(super) fn read_all(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None;
            }
            Err(_) => return Some(out),
        }
    }
}

pub(super) fn status_of(raw: &[u8]) -> Option<u16> {
    Some(crate::harness::answer_head(raw).ok()??.status)
}
