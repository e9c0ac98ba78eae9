//! `--header`: a header sent with every request of `understudy check`, or only with those
//! under a path prefix; and the bundled fixtures' credentials sent by default.

use std::fmt;
use std::str::FromStr;

use http::{HeaderName, HeaderValue};

/// A header sent with every request, or only with those under a path prefix
/// (`/v1 Authorization: Bearer ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraHeader {
    pub prefix: Option<String>,
    pub name: HeaderName,
    pub value: HeaderValue,
}

/// A `--header` that is not `[/prefix ]Name: value`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a header: expected `Name: value` or `/path/prefix Name: value`")]
pub struct BadHeader(pub String);

impl FromStr for ExtraHeader {
    type Err = BadHeader;

    fn from_str(s: &str) -> Result<ExtraHeader, BadHeader> {
        let bad = || BadHeader(s.to_owned());
        let (prefix, rest) = match s.strip_prefix('/') {
            Some(_) => {
                let (p, rest) = s.split_once(' ').ok_or_else(bad)?;
                (Some(p.trim_end_matches('/').to_owned()), rest)
            }
            None => (None, s),
        };
        let (name, value) = rest.split_once(':').ok_or_else(bad)?;
        Ok(ExtraHeader {
            prefix,
            name: HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?,
            value: HeaderValue::from_str(value.trim()).map_err(|_| bad())?,
        })
    }
}

impl fmt::Display for ExtraHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.prefix {
            write!(f, "{p} ")?;
        }
        write!(
            f,
            "{}: {}",
            self.name,
            String::from_utf8_lossy(self.value.as_bytes())
        )
    }
}

impl ExtraHeader {
    pub(super) fn applies_to(&self, path: &str) -> bool {
        match &self.prefix {
            None => true,
            Some(p) => {
                path == p || (path.starts_with(p.as_str()) && path[p.len()..].starts_with('/'))
            }
        }
    }
}

/// Credentials of the bundled documents' fixtures: GitBook's token under `/v1`, the Arize
/// space admin's under `/v2` (Alumio's operations are open).
pub fn bundled_credentials() -> Vec<ExtraHeader> {
    [
        "/v1 Authorization: Bearer gb_api_jAnEdOe0aDm1nAcMe0t0kEn",
        "/v2 Authorization: Bearer arize-key",
    ]
    .iter()
    .filter_map(|h| h.parse().ok())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_with_and_without_a_path_prefix() {
        let h: ExtraHeader = "/v1/ Authorization: Bearer x".parse().unwrap();
        assert_eq!(h.prefix.as_deref(), Some("/v1"));
        assert_eq!(h.name, "authorization");
        assert_eq!(h.value, "Bearer x");
        assert!(h.applies_to("/v1/spaces") && h.applies_to("/v1"));
        assert!(!h.applies_to("/v10/spaces") && !h.applies_to("/api/v1/x"));
        let plain: ExtraHeader = "X-Key: a:b".parse().unwrap();
        assert_eq!(
            (plain.prefix, plain.value),
            (None, HeaderValue::from_static("a:b"))
        );
        assert!("no colon".parse::<ExtraHeader>().is_err());
        assert!("/v1".parse::<ExtraHeader>().is_err());
        assert_eq!(bundled_credentials().len(), 2);
    }
}
