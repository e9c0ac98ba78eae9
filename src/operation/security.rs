//! Security requirements: which credentials an operation needs, and whether a request
//! carries them. Whether a credential is *known* is the state layer's business; here a
//! well-formed credential of an accepted kind is enough.

use base64::Engine as _;
use http::HeaderMap;
use serde_json::Value;

use crate::document::problems::{Problems, excerpt};
use crate::operation::params::Pair;

/// How a scheme carries its credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeKind {
    /// `Authorization: Bearer <token>` (http bearer, oauth2, openIdConnect).
    Bearer,
    /// `Authorization: Basic <base64 user:password>`.
    Basic,
    ApiKeyHeader(String),
    ApiKeyQuery(String),
    ApiKeyCookie(String),
    /// A scheme the mock cannot check (mutualTLS, digest): accepted as satisfied.
    Unchecked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    pub name: String,
    pub kind: SchemeKind,
}

/// The credential a request presented for a scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub scheme: String,
    pub kind: SchemeKind,
    /// The token, api key, or `user:password`.
    pub secret: String,
}

/// Alternatives of requirements: any one alternative, all of its schemes.
#[derive(Debug, Clone, Default)]
pub struct Security {
    alternatives: Vec<Vec<Scheme>>,
}

/// Why a request is not authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unauthenticated {
    /// One `WWW-Authenticate` challenge per accepted scheme.
    pub challenges: Vec<String>,
    pub detail: String,
}

/// The parts of a request that carry credentials.
pub struct CredentialSources<'a> {
    pub headers: &'a HeaderMap,
    pub query: &'a [Pair<'a>],
    pub cookies: &'a [Pair<'a>],
}

impl Security {
    /// Reads `requirements` (an OpenAPI security requirement list) against the document's
    /// `securitySchemes`; unknown scheme names are problems at `pointer`.
    pub fn compile(
        requirements: Option<&Value>,
        schemes: Option<&Value>,
        file: &str,
        pointer: &str,
        problems: &mut Problems,
    ) -> Security {
        let Some(Value::Array(list)) = requirements else {
            return Security::default();
        };
        let mut alternatives = Vec::new();
        for (i, requirement) in list.iter().enumerate() {
            let Value::Object(names) = requirement else {
                problems.error(
                    file,
                    &format!("{pointer}/{i}"),
                    "a security requirement must be an object",
                );
                continue;
            };
            let mut all = Vec::new();
            for name in names.keys() {
                match schemes.and_then(|s| s.get(name)) {
                    Some(def) => all.push(Scheme {
                        name: name.clone(),
                        kind: scheme_kind(def),
                    }),
                    None => problems.error(
                        file,
                        &format!("{pointer}/{i}"),
                        format!(
                            "security scheme `{}` is not defined in components.securitySchemes",
                            excerpt(name)
                        ),
                    ),
                }
            }
            alternatives.push(all);
        }
        Security { alternatives }
    }

    /// The alternatives: any one of them, all of its schemes.
    pub fn alternatives(&self) -> &[Vec<Scheme>] {
        &self.alternatives
    }

    /// No credentials needed at all.
    pub fn is_open(&self) -> bool {
        self.alternatives.is_empty() || self.alternatives.iter().any(Vec::is_empty)
    }

    /// The credentials of the first satisfied alternative, or why none is satisfied.
    pub fn check(
        &self,
        sources: &CredentialSources<'_>,
    ) -> Result<Vec<Credential>, Unauthenticated> {
        if self.alternatives.is_empty() {
            return Ok(Vec::new());
        }
        let mut reasons = Vec::new();
        for alternative in &self.alternatives {
            let mut found = Vec::new();
            let mut missing = None;
            for scheme in alternative {
                match present(scheme, sources) {
                    Ok(Some(secret)) => found.push(Credential {
                        scheme: scheme.name.clone(),
                        kind: scheme.kind.clone(),
                        secret,
                    }),
                    Ok(None) => {}
                    Err(why) => {
                        missing = Some(why);
                        break;
                    }
                }
            }
            match missing {
                None => return Ok(found),
                Some(why) => reasons.push(why),
            }
        }
        let mut challenges: Vec<String> = Vec::new();
        for scheme in self.alternatives.iter().flatten() {
            let c = challenge(&scheme.kind);
            if !challenges.contains(&c) {
                challenges.push(c);
            }
        }
        Err(Unauthenticated {
            challenges,
            detail: reasons.first().cloned().unwrap_or_default(),
        })
    }
}

fn scheme_kind(def: &Value) -> SchemeKind {
    let field = |k: &str| def.get(k).and_then(Value::as_str).unwrap_or_default();
    match field("type") {
        "http" => match field("scheme").to_ascii_lowercase().as_str() {
            "basic" => SchemeKind::Basic,
            "bearer" => SchemeKind::Bearer,
            _ => SchemeKind::Unchecked,
        },
        "apiKey" => {
            let name = field("name").to_owned();
            match field("in") {
                "header" => SchemeKind::ApiKeyHeader(name),
                "query" => SchemeKind::ApiKeyQuery(name),
                "cookie" => SchemeKind::ApiKeyCookie(name),
                _ => SchemeKind::Unchecked,
            }
        }
        "oauth2" | "openIdConnect" => SchemeKind::Bearer,
        _ => SchemeKind::Unchecked,
    }
}

/// `Ok(Some(secret))` when present and well formed, `Ok(None)` for an unchecked scheme.
fn present(scheme: &Scheme, s: &CredentialSources<'_>) -> Result<Option<String>, String> {
    let authorization = || {
        s.headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    match &scheme.kind {
        SchemeKind::Bearer => {
            let Some(value) = authorization() else {
                return Err("The request has no Authorization header with a bearer token.".into());
            };
            match split_auth(value, "bearer") {
                Some(token) if !token.is_empty() => Ok(Some(token.to_owned())),
                _ => Err("The Authorization header must be `Bearer <token>`.".into()),
            }
        }
        SchemeKind::Basic => {
            let Some(value) = authorization() else {
                return Err(
                    "The request has no Authorization header with basic credentials.".into(),
                );
            };
            let decoded = split_auth(value, "basic")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .filter(|text| text.contains(':'));
            match decoded {
                Some(text) => Ok(Some(text)),
                None => Err(
                    "The Authorization header must be `Basic <base64 of user:password>`.".into(),
                ),
            }
        }
        SchemeKind::ApiKeyHeader(name) => s
            .headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(|v| Some(v.to_owned()))
            .ok_or_else(|| format!("The request has no `{name}` header with an API key.")),
        SchemeKind::ApiKeyQuery(name) => s
            .query
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| Some(v.clone().into_owned()))
            .ok_or_else(|| format!("The request has no `{name}` query parameter with an API key.")),
        SchemeKind::ApiKeyCookie(name) => s
            .cookies
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| Some(v.clone().into_owned()))
            .ok_or_else(|| format!("The request has no `{name}` cookie with an API key.")),
        SchemeKind::Unchecked => Ok(None),
    }
}

/// The credentials after `<scheme> ` in an Authorization value, scheme case-insensitive.
fn split_auth<'v>(value: &'v str, scheme: &str) -> Option<&'v str> {
    let (given, rest) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

fn challenge(kind: &SchemeKind) -> String {
    match kind {
        SchemeKind::Bearer => "Bearer realm=\"understudy\"".to_owned(),
        SchemeKind::Basic => "Basic realm=\"understudy\", charset=\"UTF-8\"".to_owned(),
        SchemeKind::ApiKeyHeader(n) => {
            format!("ApiKey realm=\"understudy\", in=\"header\", name=\"{n}\"")
        }
        SchemeKind::ApiKeyQuery(n) => {
            format!("ApiKey realm=\"understudy\", in=\"query\", name=\"{n}\"")
        }
        SchemeKind::ApiKeyCookie(n) => {
            format!("ApiKey realm=\"understudy\", in=\"cookie\", name=\"{n}\"")
        }
        SchemeKind::Unchecked => "Bearer realm=\"understudy\"".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn security(requirements: Value) -> Security {
        let schemes = json!({
            "bearer": {"type": "http", "scheme": "bearer"},
            "basic": {"type": "http", "scheme": "basic"},
            "key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "qkey": {"type": "apiKey", "in": "query", "name": "api_key"},
            "ckey": {"type": "apiKey", "in": "cookie", "name": "session"}
        });
        let mut p = Problems::default();
        let s = Security::compile(
            Some(&requirements),
            Some(&schemes),
            "f",
            "/security",
            &mut p,
        );
        assert!(!p.has_errors(), "{:?}", p.all());
        s
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn borrowed(pairs: &[(String, String)]) -> Vec<Pair<'_>> {
        pairs
            .iter()
            .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
            .collect()
    }

    fn check(
        s: &Security,
        h: &HeaderMap,
        q: &[(String, String)],
        c: &[(String, String)],
    ) -> Result<Vec<Credential>, Unauthenticated> {
        s.check(&CredentialSources {
            headers: h,
            query: &borrowed(q),
            cookies: &borrowed(c),
        })
    }

    #[test]
    fn a_bearer_token_is_required_and_returned() {
        let s = security(json!([{"bearer": []}]));
        let err = check(&s, &HeaderMap::new(), &[], &[]).unwrap_err();
        assert_eq!(err.challenges, vec!["Bearer realm=\"understudy\""]);
        let ok = check(&s, &headers(&[("authorization", "Bearer abc")]), &[], &[]).unwrap();
        assert_eq!(ok[0].secret, "abc");
        assert!(check(&s, &headers(&[("authorization", "Token abc")]), &[], &[]).is_err());
    }

    #[test]
    fn basic_credentials_must_decode_to_user_and_password() {
        let s = security(json!([{"basic": []}]));
        assert!(check(&s, &headers(&[("authorization", "Basic !!!")]), &[], &[]).is_err());
        let ok = check(
            &s,
            &headers(&[("authorization", "Basic dXNlcjpwYXNz")]),
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(ok[0].secret, "user:pass");
    }

    #[test]
    fn api_keys_are_found_in_header_query_and_cookie() {
        let s = security(json!([{"key": []}, {"qkey": []}, {"ckey": []}]));
        let err = check(&s, &HeaderMap::new(), &[], &[]).unwrap_err();
        assert_eq!(err.challenges.len(), 3);
        assert!(check(&s, &headers(&[("x-api-key", "k")]), &[], &[]).is_ok());
        assert!(
            check(
                &s,
                &HeaderMap::new(),
                &[("api_key".into(), "k".into())],
                &[]
            )
            .is_ok()
        );
        assert!(
            check(
                &s,
                &HeaderMap::new(),
                &[],
                &[("session".into(), "k".into())]
            )
            .is_ok()
        );
    }

    #[test]
    fn an_empty_requirement_makes_credentials_optional() {
        let s = security(json!([{"bearer": []}, {}]));
        assert!(s.is_open());
        assert!(check(&s, &HeaderMap::new(), &[], &[]).is_ok());
    }

    #[test]
    fn all_schemes_of_one_alternative_are_needed() {
        let s = security(json!([{"bearer": [], "key": []}]));
        assert!(check(&s, &headers(&[("authorization", "Bearer t")]), &[], &[]).is_err());
        let both = headers(&[("authorization", "Bearer t"), ("x-api-key", "k")]);
        assert_eq!(check(&s, &both, &[], &[]).unwrap().len(), 2);
    }

    #[test]
    fn undefined_schemes_are_load_problems() {
        let mut p = Problems::default();
        Security::compile(
            Some(&json!([{"nope": []}])),
            Some(&json!({})),
            "f",
            "/security",
            &mut p,
        );
        assert!(p.has_errors());
    }
}
