//! Who may reach the mock, and from where: the `Host` a request names, the `Origin` and the
//! credential of a request to the control API, and the CORS headers of the served APIs.
//!
//! The mock runs on developers' machines next to their browser. A web page the browser shows
//! can send requests to `http://127.0.0.1:4010` (a `POST` without a preflight), and through
//! DNS rebinding (a name of the attacker's that first points at the attacker, then at
//! 127.0.0.1) even read the answers. So:
//!
//! - **`Host`** must name this server: `localhost` (or a name under `.localhost`), an IP
//!   address that is loopback or the one the server listens on (any IP address when it
//!   listens on all of them: a DNS rebinding always names a host), or a name given with
//!   `--allow-host` (`*`: any). Checked on the control API always, and on the served APIs
//!   when the server listens on a loopback address (nothing else can reach it then, so any
//!   other name is a rebinding). A request without `Host` (HTTP/1.0, or the library's
//!   in-process requests) passes: every browser sends one. Refused with 421.
//! - **`Origin`** on `/__admin/`: a browser sends it on cross-origin requests; only the
//!   server's own origin (`http://` and the request's own `Host`) is taken, whatever the
//!   method. Refused with 403. The control API never sends CORS headers.
//! - **`--admin-token`**: when set, `/__admin/` needs `Authorization: Bearer TOKEN`
//!   (compared in constant time). Refused with 401 and a `Bearer` challenge.
//! - **CORS for the APIs** (`--cors`): `any` (the default) lets every origin read every
//!   answer, credentials included, as a stand-in for an API a front end calls; a list lets
//!   only those origins; `off` sends no CORS headers.

use std::net::IpAddr;

use http::{HeaderMap, HeaderName, HeaderValue, Method, header};

use crate::mock::message::{MockRequest, MockResponse, Outcome, push_header};

/// How the server is reached: see the module's notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessConfig {
    /// The address the server listens on: which IP addresses are its own, and whether the
    /// served APIs check `Host` too (on a loopback address).
    pub listen: IpAddr,
    /// More host names the server answers to (`--allow-host`); `*` is any.
    pub allowed_hosts: Vec<String>,
    /// When set, `/__admin/` needs `Authorization: Bearer` with this token.
    pub admin_token: Option<String>,
    /// CORS for the served APIs.
    pub cors: Cors,
}

impl Default for AccessConfig {
    /// What `understudy serve` does with no flags: listening on 127.0.0.1, no other names,
    /// no admin token, CORS for any origin.
    fn default() -> Self {
        Self {
            listen: IpAddr::from([127, 0, 0, 1]),
            allowed_hosts: Vec::new(),
            admin_token: None,
            cors: Cors::Any,
        }
    }
}

/// Which origins may read the served APIs' answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cors {
    /// No CORS headers.
    Off,
    /// Every origin, credentials included.
    Any,
    /// These origins only (`scheme://host[:port]`, compared without case).
    Origins(Vec<String>),
}

impl std::str::FromStr for Cors {
    type Err = String;

    /// `off`, `any`, or origins separated by commas (`http://localhost:3000,https://app.test`).
    fn from_str(text: &str) -> Result<Cors, String> {
        match text.trim() {
            "off" => Ok(Cors::Off),
            "any" | "*" => Ok(Cors::Any),
            list => {
                let origins: Vec<String> = list
                    .split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
                    .filter(|o| !o.is_empty())
                    .collect();
                if origins.is_empty() {
                    return Err("give off, any, or origins such as http://localhost:3000".into());
                }
                for origin in &origins {
                    let ok = url::Url::parse(origin).is_ok_and(|u| {
                        matches!(u.scheme(), "http" | "https")
                            && u.host_str().is_some()
                            && u.path() == "/"
                            && u.query().is_none()
                    });
                    if !ok {
                        return Err(format!(
                            "`{origin}` is not an origin: give scheme://host[:port], such as \
                             http://localhost:3000"
                        ));
                    }
                }
                Ok(Cors::Origins(origins))
            }
        }
    }
}

/// Why a request was refused before the mock looked at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// `Host` names another server (DNS rebinding, or a name not given with `--allow-host`).
    Host { host: String },
    /// A control request from a web page of another origin.
    Origin { origin: String },
    /// A control request without the admin token, or with another one.
    AdminToken { given: bool },
}

impl Denied {
    pub fn status(&self) -> u16 {
        match self {
            Denied::Host { .. } => 421,
            Denied::Origin { .. } => 403,
            Denied::AdminToken { .. } => 401,
        }
    }

    pub fn detail(&self) -> String {
        match self {
            Denied::Host { host } => format!(
                "This server does not answer to the host `{host}`: it answers to localhost, \
                 its own IP addresses, and the names given with --allow-host."
            ),
            Denied::Origin { origin } => format!(
                "The control API takes no requests from web pages of other origins \
                 (this one came from `{origin}`)."
            ),
            Denied::AdminToken { given: false } => {
                "The control API needs `Authorization: Bearer <admin token>` (the server was \
                 started with --admin-token)."
                    .to_owned()
            }
            Denied::AdminToken { given: true } => {
                "The admin token given is not this server's.".to_owned()
            }
        }
    }

    /// Headers the refusal carries: the challenge of a 401.
    pub fn headers(&self) -> Option<(HeaderName, HeaderValue)> {
        match self {
            Denied::AdminToken { .. } => Some((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"understudy control API\""),
            )),
            _ => None,
        }
    }
}

impl AccessConfig {
    /// Whether the served APIs check `Host` too: when listening on a loopback address.
    fn checks_api_hosts(&self) -> bool {
        self.listen.is_loopback()
    }

    /// A request to the control API: its `Host`, its `Origin`, then its token.
    pub fn control(&self, headers: &HeaderMap) -> Result<(), Denied> {
        let host = self.host(headers)?;
        if let Some(origin) = headers.get(header::ORIGIN) {
            let own = host.is_some_and(|h| same_origin(origin.as_bytes(), h));
            if !own {
                return Err(Denied::Origin {
                    origin: String::from_utf8_lossy(origin.as_bytes()).into_owned(),
                });
            }
        }
        if let Some(token) = &self.admin_token {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| bearer(v.as_bytes()));
            match given {
                Some(given) if constant_time_eq(given, token.as_bytes()) => {}
                other => {
                    return Err(Denied::AdminToken {
                        given: other.is_some(),
                    });
                }
            }
        }
        Ok(())
    }

    /// A request to a served API: its `Host`, when listening on a loopback address.
    pub fn api(&self, headers: &HeaderMap) -> Result<(), Denied> {
        if self.checks_api_hosts() {
            self.host(headers)?;
        }
        Ok(())
    }

    /// The request's `Host` when it names this server (`None`: the request has none).
    fn host<'h>(&self, headers: &'h HeaderMap) -> Result<Option<&'h str>, Denied> {
        let Some(value) = headers.get(header::HOST) else {
            return Ok(None);
        };
        let refused = || Denied::Host {
            host: String::from_utf8_lossy(value.as_bytes()).into_owned(),
        };
        let text = value.to_str().map_err(|_| refused())?;
        if self.host_allowed(text) {
            Ok(Some(text))
        } else {
            Err(refused())
        }
    }

    /// Whether `host` (`name[:port]`, `[v6][:port]`) names this server; the port is not
    /// looked at (a proxy in front may change it, and a rebinding gains nothing by it).
    fn host_allowed(&self, host: &str) -> bool {
        let name = host_name(host);
        // The common case first: what a client on this machine sends.
        if name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost") {
            return true;
        }
        if let Ok(ip) = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            return ip.is_loopback() || ip == self.listen || self.listen.is_unspecified();
        }
        let lower = name.to_ascii_lowercase();
        lower.ends_with(".localhost")
            || self
                .allowed_hosts
                .iter()
                .any(|a| a == "*" || a.eq_ignore_ascii_case(&lower))
    }

    /// The CORS headers of a served API's answer to a request with these headers.
    pub fn cors_headers(&self, request: &HeaderMap, out: &mut Vec<(HeaderName, HeaderValue)>) {
        if !request.contains_key(header::ORIGIN) {
            return;
        }
        // `Vary: Origin` either way: the answer depends on it, for caches in between.
        out.push((header::VARY, HeaderValue::from_static("Origin")));
        if let Some(origin) = self.allowed_origin(request) {
            out.push((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()));
            out.push((
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            ));
            out.push((
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("*"),
            ));
        }
    }

    /// Whether a preflight from this request's `Origin` is answered with CORS headers.
    pub fn cors_allows(&self, request: &HeaderMap) -> bool {
        self.allowed_origin(request).is_some()
    }

    /// The request's `Origin`, when `--cors` lets it read the APIs. Only an origin of visible
    /// ASCII is ever echoed: an answer's head stays text.
    fn allowed_origin<'r>(&self, request: &'r HeaderMap) -> Option<&'r HeaderValue> {
        let origin = request.get(header::ORIGIN)?;
        let text = origin.to_str().ok()?;
        let allowed = match &self.cors {
            Cors::Off => false,
            Cors::Any => true,
            Cors::Origins(list) => list.iter().any(|a| a.eq_ignore_ascii_case(text)),
        };
        allowed.then_some(origin)
    }
}

/// `host[:port]` without the port; an IPv6 literal keeps its brackets.
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// Whether `origin` is `http://` or `https://` followed by exactly `host`.
fn same_origin(origin: &[u8], host: &str) -> bool {
    let after = |scheme: &[u8]| {
        origin
            .get(..scheme.len())
            .filter(|p| p.eq_ignore_ascii_case(scheme))
            .map(|_| &origin[scheme.len()..])
    };
    after(b"http://")
        .or_else(|| after(b"https://"))
        .is_some_and(|rest| rest.eq_ignore_ascii_case(host.as_bytes()))
}

/// The token of `Bearer <token>` (the scheme in any case).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, token) = value.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| token.trim_ascii())
}

/// Equal bytes, in a time that depends on the lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `OPTIONS` on a known path: a CORS preflight answer (when `cors` lets the request's origin
/// read the API), or the list of methods.
pub(crate) fn preflight(req: &MockRequest, allowed: &[Method], cors: bool) -> Outcome {
    let allow = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = MockResponse {
        status: 204,
        headers: Vec::new(),
        body: bytes::Bytes::new(),
    };
    push_header(&mut response, header::ALLOW, &allow);
    if cors
        && req
            .headers
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        push_header(&mut response, header::ACCESS_CONTROL_ALLOW_METHODS, &allow);
        let requested = req
            .headers
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("*")
            .to_owned();
        push_header(
            &mut response,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            &requested,
        );
        push_header(&mut response, header::ACCESS_CONTROL_MAX_AGE, "86400");
    }
    Outcome::from(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("a name"),
                HeaderValue::from_str(value).expect("a value"),
            );
        }
        map
    }

    fn listening_on(ip: [u8; 4]) -> AccessConfig {
        AccessConfig {
            listen: IpAddr::from(ip),
            ..AccessConfig::default()
        }
    }

    #[test]
    fn local_names_and_addresses_are_this_server_s_hosts() {
        let access = AccessConfig::default();
        for host in [
            "127.0.0.1:4010",
            "127.0.0.1",
            "127.1.2.3:80",
            "localhost:4010",
            "LOCALHOST",
            "app.localhost:4010",
            "[::1]:4010",
            "[::1]",
        ] {
            assert!(access.host_allowed(host), "{host}");
        }
        for host in [
            "evil.test:4010",
            "evil.test",
            "localhost.evil.test",
            "10.0.0.5:4010",
            "[2001:db8::1]:4010",
            "",
        ] {
            assert!(!access.host_allowed(host), "{host}");
        }
    }

    #[test]
    fn the_listening_address_and_allowed_names_are_hosts_too() {
        let access = AccessConfig {
            allowed_hosts: vec!["mock.internal".into()],
            ..listening_on([10, 0, 0, 5])
        };
        assert!(access.host_allowed("10.0.0.5:4010"));
        assert!(access.host_allowed("MOCK.internal:4010"));
        assert!(!access.host_allowed("10.0.0.6:4010"));
        assert!(!access.host_allowed("other.internal"));
        // Listening on every address: any IP address is this server's, names are not.
        let everywhere = listening_on([0, 0, 0, 0]);
        assert!(everywhere.host_allowed("192.168.1.20:4010"));
        assert!(!everywhere.host_allowed("rebound.evil.test:4010"));
        let any = AccessConfig {
            allowed_hosts: vec!["*".into()],
            ..AccessConfig::default()
        };
        assert!(any.host_allowed("anything.test"));
    }

    #[test]
    fn the_apis_check_host_only_when_listening_on_loopback() {
        let rebound = headers(&[("host", "evil.test:4010")]);
        assert_eq!(
            AccessConfig::default().api(&rebound),
            Err(Denied::Host {
                host: "evil.test:4010".into()
            })
        );
        assert_eq!(listening_on([0, 0, 0, 0]).api(&rebound), Ok(()));
        assert_eq!(AccessConfig::default().api(&HeaderMap::new()), Ok(()));
    }

    #[test]
    fn control_requests_from_another_origin_are_refused_whatever_the_host() {
        let access = AccessConfig::default();
        let from = |origin: &str| headers(&[("host", "127.0.0.1:4010"), ("origin", origin)]);
        assert_eq!(access.control(&from("http://127.0.0.1:4010")), Ok(()));
        assert_eq!(access.control(&from("HTTP://127.0.0.1:4010")), Ok(()));
        for foreign in [
            "http://evil.test",
            "http://127.0.0.1:3000",
            "http://localhost:4010",
            "null",
            "http://127.0.0.1:4010.evil.test",
        ] {
            assert!(
                matches!(access.control(&from(foreign)), Err(Denied::Origin { .. })),
                "{foreign}"
            );
        }
        // No Host to compare with: no origin is the server's own.
        let no_host = headers(&[("origin", "http://127.0.0.1:4010")]);
        assert!(matches!(
            access.control(&no_host),
            Err(Denied::Origin { .. })
        ));
        assert_eq!(
            access.control(&headers(&[("host", "localhost:4010")])),
            Ok(())
        );
    }

    #[test]
    fn the_admin_token_is_needed_when_set() {
        let access = AccessConfig {
            admin_token: Some("s3cret".into()),
            ..AccessConfig::default()
        };
        let with = |auth: &str| headers(&[("host", "localhost"), ("authorization", auth)]);
        assert_eq!(access.control(&with("Bearer s3cret")), Ok(()));
        assert_eq!(access.control(&with("bearer s3cret")), Ok(()));
        assert_eq!(
            access.control(&with("Bearer s3cre")),
            Err(Denied::AdminToken { given: true })
        );
        assert_eq!(
            access.control(&with("Basic s3cret")),
            Err(Denied::AdminToken { given: false })
        );
        assert_eq!(
            access.control(&headers(&[("host", "localhost")])),
            Err(Denied::AdminToken { given: false })
        );
    }

    #[test]
    fn cors_lets_any_origin_some_origins_or_none_read_the_apis() {
        let request = headers(&[("origin", "http://localhost:3000")]);
        let allowed = |cors: Cors| {
            AccessConfig {
                cors,
                ..AccessConfig::default()
            }
            .cors_allows(&request)
        };
        assert!(allowed(Cors::Any));
        assert!(!allowed(Cors::Off));
        assert!(allowed(
            "http://localhost:3000,https://app.test"
                .parse()
                .expect("origins")
        ));
        assert!(!allowed("https://app.test".parse().expect("an origin")));
        assert!(!AccessConfig::default().cors_allows(&HeaderMap::new()));
        // Bytes past ASCII are never echoed into the answer's head.
        let mut odd = HeaderMap::new();
        odd.insert(
            header::ORIGIN,
            HeaderValue::from_bytes(b"\x80http://example.com").expect("an opaque value"),
        );
        let mut out = Vec::new();
        AccessConfig::default().cors_headers(&odd, &mut out);
        assert!(out.iter().all(|(name, _)| name == header::VARY), "{out:?}");
    }

    #[test]
    fn cors_settings_are_off_any_or_a_list_of_origins() {
        assert_eq!("off".parse::<Cors>(), Ok(Cors::Off));
        assert_eq!("any".parse::<Cors>(), Ok(Cors::Any));
        assert_eq!(
            "http://localhost:3000/, https://App.test".parse::<Cors>(),
            Ok(Cors::Origins(vec![
                "http://localhost:3000".into(),
                "https://app.test".into()
            ]))
        );
        for bad in [
            "",
            ",",
            "localhost:3000",
            "ftp://x.test",
            "http://x.test/path",
        ] {
            assert!(bad.parse::<Cors>().is_err(), "{bad}");
        }
    }
}
