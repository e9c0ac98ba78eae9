//! Where `check` sends its requests: the `--url`, refused up front unless it is plain
//! `http://` (`check` does not speak TLS), and its path read against the documents' mounts, so
//! that `--url http://host/api` for a document served under `/api` sends `/api/things`, not
//! `/api/api/things`.
//!
//! Implementation rationale: every generated request path starts with its document's mount
//! (the first server URL's path), and the client puts the URL's path before it. A URL whose
//! path already ends with a mount is read as "the server, with the mount written out"
//! (the address people copy from a browser or from the document's `servers`), so the mount is
//! taken off the URL rather than sent twice; `check` says so on stderr.

/// Why `check` cannot use a `--url` (the URL itself is the caller's to quote: clap and
/// [`super::ContractError`] do).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadUrl {
    #[error(
        "understudy check speaks plain HTTP/1.1 and not TLS yet: give an http:// URL (a \
         plain-HTTP port of the server, or a local proxy in front of it)"
    )]
    Tls,
    #[error("not an http://host[:port][/prefix] URL")]
    NotHttp,
}

/// A `--url` checked: `http://host[:port][/prefix]`.
pub fn parse(text: &str) -> Result<url::Url, BadUrl> {
    let url = url::Url::parse(text).map_err(|_| BadUrl::NotHttp)?;
    match url.scheme() {
        "http" if url.host_str().is_some() => Ok(url),
        "https" => Err(BadUrl::Tls),
        _ => Err(BadUrl::NotHttp),
    }
}

/// The URL requests are sent under: `url` without the longest of `mounts` its path ends with,
/// and that mount; `url` as it is, and `None`, when its path ends with
/// none.
pub fn without_mount(url: &url::Url, mounts: &[&str]) -> (String, Option<String>) {
    let path = url.path().trim_end_matches('/');
    let found = mounts
        .iter()
        .map(|m| m.trim_end_matches('/'))
        // A mount starts with `/`, so a path ending with it ends with whole segments of it.
        .filter(|m| m.starts_with('/') && path.ends_with(*m))
        .max_by_key(|m| m.len());
    let Some(mount) = found else {
        return (url.as_str().to_owned(), None);
    };
    let mut base = url.clone();
    base.set_path(&path[..path.len() - mount.len()]);
    (base.as_str().to_owned(), Some(mount.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> url::Url {
        parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn an_https_url_is_refused_as_tls_and_other_schemes_as_not_http() {
        assert_eq!(parse("https://api.example.com"), Err(BadUrl::Tls));
        for bad in ["ftp://h/", "127.0.0.1:4010", "http://", "not a url"] {
            assert_eq!(parse(bad), Err(BadUrl::NotHttp), "{bad}");
        }
        assert_eq!(url("http://127.0.0.1:4010/x").path(), "/x");
    }

    #[test]
    fn a_url_ending_with_a_mount_loses_it_and_any_other_url_is_kept() {
        let cases = [
            ("http://h:1/api", vec!["/api"], "http://h:1/", Some("/api")),
            ("http://h:1/api/", vec!["/api"], "http://h:1/", Some("/api")),
            (
                "http://h:1/gw/api/v1",
                vec!["/api/v1"],
                "http://h:1/gw",
                Some("/api/v1"),
            ),
            (
                "http://h:1/gw/api/v1",
                vec!["/v1", "/api/v1"],
                "http://h:1/gw",
                Some("/api/v1"),
            ),
            ("http://h:1/gw", vec!["/api"], "http://h:1/gw", None),
            ("http://h:1/myapi", vec!["/api"], "http://h:1/myapi", None),
            ("http://h:1", vec!["/api", ""], "http://h:1/", None),
            ("http://h:1/api", vec![""], "http://h:1/api", None),
        ];
        for (given, mounts, base, mount) in cases {
            let (got, taken) = without_mount(&url(given), &mounts);
            assert_eq!(
                (got.as_str(), taken.as_deref()),
                (base, mount),
                "{given} {mounts:?}"
            );
        }
    }
}
