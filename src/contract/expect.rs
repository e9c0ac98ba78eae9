//! What a story's step expects of its answer ([`Expect`]), in words for the report, and
//! decided over the answer (or every page of a list): statuses, and objects a list must or
//! must not hold, compared as a client compares them.

use serde_json::Value;

use super::stories::Bind;
use crate::mock::message::MockResponse;

/// What a step's answer must be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expect<V = Bind> {
    Any,
    Status(Vec<u16>),
    Success,
    /// Neither 404 nor 410.
    Found,
    /// 404 or 410.
    Gone,
    /// A 2xx whose answer (every page) holds an object matching.
    Holds(Match<V>),
    /// A 2xx whose answer (every page) holds no object with the match's key.
    Lacks(Match<V>),
}

/// An object in an answer: a member (by JSON pointer) equal to a value, and other members.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Match<V = Bind> {
    pub key: (String, V),
    pub fields: Vec<(String, V)>,
}

impl Match {
    pub(crate) fn new(key: &str, value: Bind) -> Match {
        Match {
            key: (key.to_owned(), value),
            fields: Vec::new(),
        }
    }

    pub(crate) fn with(mut self, field: &str, value: Bind) -> Match {
        self.fields.push((field.to_owned(), value));
        self
    }
}

/// The expectation in words.
pub(super) fn describe(expect: &Expect<Value>) -> String {
    let object = |m: &Match<Value>| {
        let mut parts = vec![format!("{} = {}", m.key.0, m.key.1)];
        parts.extend(m.fields.iter().map(|(p, v)| format!("{p} = {v}")));
        parts.join(" and ")
    };
    match expect {
        Expect::Any => "any answer".to_owned(),
        Expect::Status(s) => s
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(" or "),
        Expect::Success => "a 2xx".to_owned(),
        Expect::Found => "neither 404 nor 410".to_owned(),
        Expect::Gone => "404 or 410".to_owned(),
        Expect::Holds(m) => format!("a 2xx whose answer has an object with {}", object(m)),
        Expect::Lacks(m) => format!(
            "a 2xx whose answer has no object with {} = {}",
            m.key.0, m.key.1
        ),
    }
}

/// Whether a step's answers (one, or every page of a list) meet the expectation; what came
/// back when they do not.
pub(super) fn decide(
    expect: &Expect<Value>,
    pages: &[Option<&MockResponse>],
) -> Result<(), String> {
    let statuses: Vec<u16> = pages.iter().map(|r| r.map_or(599, |r| r.status)).collect();
    let status = statuses
        .iter()
        .copied()
        .find(|s| !(200..300).contains(s))
        .or(statuses.first().copied())
        .unwrap_or(599);
    let got = if pages.len() > 1 {
        format!("{status} ({} pages)", pages.len())
    } else {
        status.to_string()
    };
    let ok = match expect {
        Expect::Any => true,
        Expect::Status(s) => s.contains(&status),
        Expect::Success | Expect::Holds(_) | Expect::Lacks(_) => (200..300).contains(&status),
        Expect::Found => !matches!(status, 404 | 410),
        Expect::Gone => matches!(status, 404 | 410),
    };
    if !ok {
        return Err(got);
    }
    let bodies: Vec<Value> = pages
        .iter()
        .filter_map(|r| serde_json::from_slice(&r.as_ref()?.body).ok())
        .collect();
    match expect {
        Expect::Holds(m) => {
            let found: Vec<&Value> = bodies
                .iter()
                .flat_map(|b| objects_with(b, &m.key.0, &m.key.1))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{got}, and no object with {} = {}",
                    m.key.0, m.key.1
                ));
            }
            let mismatch = m.fields.iter().find(|(p, v)| {
                !found
                    .iter()
                    .any(|o| o.pointer(p).is_some_and(|x| same(x, v)))
            });
            match mismatch {
                None => Ok(()),
                Some((p, _)) => {
                    let actual = found[0]
                        .pointer(p)
                        .map_or("nothing".to_owned(), Value::to_string);
                    Err(format!(
                        "{got}, and the object with {} = {} has {p} = {actual}",
                        m.key.0, m.key.1
                    ))
                }
            }
        }
        Expect::Lacks(m) => {
            let still = bodies
                .iter()
                .any(|b| !objects_with(b, &m.key.0, &m.key.1).is_empty());
            if still {
                Err(format!(
                    "{got}, and an object with {} = {} is still there",
                    m.key.0, m.key.1
                ))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// Every object in `v` (itself included, at any depth) whose member at `ptr` is `value`.
fn objects_with<'v>(v: &'v Value, ptr: &str, value: &Value) -> Vec<&'v Value> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                if v.pointer(ptr).is_some_and(|x| same(x, value)) {
                    out.push(v);
                }
                stack.extend(m.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// Equal as a client would compare them: scalars by their text (an id `7` is the `"7"` of a
/// path), arrays as sets of items (roles in any order).
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            let sorted = |v: &[Value]| {
                let mut t: Vec<String> = v.iter().map(text).collect();
                t.sort();
                t
            };
            sorted(x) == sorted(y)
        }
        (Value::Object(_), _) | (_, Value::Object(_)) => a == b,
        _ => text(a) == text(b),
    }
}

pub(super) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_compare_as_clients_compare_them() {
        assert!(same(&json!(7), &json!("7")));
        assert!(same(&json!(["b", "a"]), &json!(["a", "b"])));
        assert!(!same(&json!(["a"]), &json!(["a", "b"])));
        assert!(!same(&json!({"a": 1}), &json!("{\"a\":1}")));
    }

    #[test]
    fn objects_are_found_at_any_depth() {
        let page = json!({"items": [{"user": {"id": "u1"}, "permission": "edit"}], "count": 1});
        let found = objects_with(&page, "/user/id", &json!("u1"));
        assert_eq!(found, vec![&page["items"][0]]);
        assert!(objects_with(&page, "/user/id", &json!("u2")).is_empty());
    }
}
