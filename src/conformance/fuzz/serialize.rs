//! Parameter values serialized as OpenAPI's styles say (path, query, header, cookie), and
//! kept only when the server's own reader, the operation's `ParamPlan`, reads them back as
//! the value they came from.

use http::HeaderValue;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::operation::params::{self, ParamIn, ParamPlan, Shape, Style};

/// Everything but unreserved characters (and `.`, which some path styles use as separator).
pub(super) const PATH: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');
pub(super) const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'.');

pub(super) fn enc(s: &str, set: &'static AsciiSet) -> String {
    utf8_percent_encode(s, set).to_string()
}

pub(super) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".to_owned()),
        _ => None,
    }
}

/// Items of an array, or alternating keys and values of an object, or `k=v` assignments.
fn pieces(v: &Value, assign: bool, set: &'static AsciiSet) -> Option<Vec<String>> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| scalar_text(i).map(|t| enc(&t, set)))
            .collect(),
        Value::Object(m) => {
            let mut out = Vec::new();
            for (k, x) in m {
                let t = enc(&scalar_text(x)?, set);
                if assign {
                    out.push(format!("{}={t}", enc(k, set)));
                } else {
                    out.push(enc(k, set));
                    out.push(t);
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// The path segment text of a path parameter.
pub(super) fn path_text(plan: &ParamPlan, v: &Value) -> Option<String> {
    if plan.shape == Shape::Content {
        return Some(enc(&v.to_string(), PATH));
    }
    let name = enc(&plan.name, PATH);
    let scalar = scalar_text(v).map(|t| enc(&t, PATH));
    Some(match plan.style {
        Style::Label => match scalar {
            Some(t) => format!(".{t}"),
            None => {
                let sep = if plan.explode { "." } else { "," };
                format!(".{}", pieces(v, plan.explode, PATH)?.join(sep))
            }
        },
        Style::Matrix => match (scalar, v) {
            (Some(t), _) => format!(";{name}={t}"),
            (None, Value::Array(_)) if plan.explode => pieces(v, false, PATH)?
                .iter()
                .map(|i| format!(";{name}={i}"))
                .collect(),
            (None, Value::Object(_)) if plan.explode => pieces(v, true, PATH)?
                .iter()
                .map(|i| format!(";{i}"))
                .collect(),
            (None, _) => format!(";{name}={}", pieces(v, false, PATH)?.join(",")),
        },
        _ => match scalar {
            Some(t) => t,
            None => pieces(v, plan.explode, PATH)?.join(","),
        },
    })
}

/// The (encoded) query pairs of a query parameter.
fn query_pairs(plan: &ParamPlan, v: &Value) -> Option<Vec<(String, String)>> {
    let name = enc(&plan.name, QUERY);
    if plan.shape == Shape::Content {
        return Some(vec![(name, enc(&v.to_string(), QUERY))]);
    }
    if let Some(t) = scalar_text(v) {
        return Some(vec![(name, enc(&t, QUERY))]);
    }
    Some(match (plan.style, v) {
        (Style::DeepObject, Value::Object(m)) => {
            let mut out = Vec::new();
            for (k, x) in m {
                out.push((
                    format!("{name}%5B{}%5D", enc(k, QUERY)),
                    enc(&scalar_text(x)?, QUERY),
                ));
            }
            out
        }
        (Style::Form, Value::Array(_)) if plan.explode => pieces(v, false, QUERY)?
            .into_iter()
            .map(|i| (name.clone(), i))
            .collect(),
        (Style::Form, Value::Object(m)) if plan.explode => {
            let mut out = Vec::new();
            for (k, x) in m {
                out.push((enc(k, QUERY), enc(&scalar_text(x)?, QUERY)));
            }
            out
        }
        (Style::SpaceDelimited, _) => vec![(name, pieces(v, false, QUERY)?.join("%20"))],
        (Style::PipeDelimited, _) => vec![(name, pieces(v, false, QUERY)?.join("%7C"))],
        _ => vec![(name, pieces(v, false, QUERY)?.join(","))],
    })
}

/// The field value of a header parameter (no percent-encoding: header text is taken as is).
fn header_text(plan: &ParamPlan, v: &Value) -> Option<String> {
    let t = if plan.shape == Shape::Content {
        v.to_string()
    } else if let Some(t) = scalar_text(v) {
        t
    } else {
        let raw = |s: &str| s.to_owned();
        match v {
            Value::Array(items) => items
                .iter()
                .map(|i| scalar_text(i).map(|t| raw(&t)))
                .collect::<Option<Vec<_>>>()?
                .join(","),
            Value::Object(m) => {
                let mut out = Vec::new();
                for (k, x) in m {
                    let t = scalar_text(x)?;
                    if plan.explode {
                        out.push(format!("{k}={t}"));
                    } else {
                        out.push(k.clone());
                        out.push(t);
                    }
                }
                out.join(",")
            }
            _ => return None,
        }
    };
    let printable = t.chars().all(|c| c == ' ' || c.is_ascii_graphic());
    (printable && t.trim() == t && HeaderValue::from_str(&t).is_ok()).then_some(t)
}

/// Where a parameter's serialized value goes.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Part {
    Path(String),
    Query(Vec<(String, String)>),
    Header(String),
    Cookie(String),
}

/// The serialization of `v`, if the server reads it back as `v`.
pub(super) fn serialize(plan: &ParamPlan, others: &[String], v: &Value) -> Option<Part> {
    match plan.location {
        ParamIn::Path => {
            let t = path_text(plan, v)?;
            (!t.is_empty() && plan.from_path(&t).ok().as_ref() == Some(v)).then_some(Part::Path(t))
        }
        ParamIn::Query => {
            let pairs = query_pairs(plan, v)?;
            let raw: Vec<String> = pairs.iter().map(|(k, x)| format!("{k}={x}")).collect();
            let joined = raw.join("&");
            let parsed = params::parse_query(&joined);
            let others: Vec<&str> = others.iter().map(String::as_str).collect();
            let back = plan.from_query_except(&parsed, &others).ok().flatten();
            let empty = pairs.iter().any(|(_, x)| x.is_empty()) && !plan.allow_empty_value;
            (back.as_ref() == Some(v) && !empty).then_some(Part::Query(pairs))
        }
        ParamIn::Header => {
            let t = header_text(plan, v)?;
            (!t.is_empty() && plan.from_header(&t).ok().as_ref() == Some(v))
                .then_some(Part::Header(t))
        }
        ParamIn::Cookie => {
            let t = enc(&scalar_text(v)?, QUERY);
            let header = format!("{}={t}", plan.name);
            let cookies = params::parse_cookies(&header);
            (plan.from_cookie(&cookies).ok().flatten().as_ref() == Some(v))
                .then_some(Part::Cookie(t))
        }
    }
}
