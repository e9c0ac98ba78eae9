//! What a `paths` key says: the path template the router matches, and the discriminator some
//! real-world documents write after it to tell operations on one path apart.
//!
//! The APIs.guru directory writes AWS's protocols, and a few other APIs, with keys such as
//! `/#X-Amz-Target=DynamoDB_20120810.DeleteItem`, `/#Action=DescribeInstances&Version=…`,
//! `/{Bucket}/{Key}#uploads`, `/{Bucket}?acl` or `/alerts?lat={lat}&lon={lon}`: a path, then
//! after the first `?` or `#` outside a `{…}` (and with no `/` after it), `&`-separated
//! conditions `name=value`, `name`
//! or `name={param}`. Each condition is on a header when the operation declares a header
//! parameter of that name, else on a query parameter: `name=value` asks for that value,
//! `name` and `name={param}` only for the name to be there (the latter also gives `param`
//! its value when `param` is declared a path parameter, as some documents do).

use crate::operation::params::ParamIn;

/// Where a discriminator's condition looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CondIn {
    Query,
    Header,
}

/// What a condition asks of the value it looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CondValue {
    /// The name is there, with any value (`?uploads`).
    Present,
    /// The name is there with this value (`#Action=DescribeInstances`), compared decoded.
    Equals(String),
    /// The name is there; its value is the template parameter of this name (`?lat={lat}`).
    Param(String),
}

/// One condition of a discriminator.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Condition {
    pub location: CondIn,
    pub name: String,
    pub value: CondValue,
}

/// How the router reaches an operation: the path it matches and the conditions that pick
/// the operation among those on that path and method.
#[derive(Debug, Clone, Default)]
pub struct Routing {
    /// How much of the route (mount plus key) is the path: the rest is the discriminator.
    pub path_len: usize,
    /// Empty for a key without discriminator.
    pub conditions: Vec<Condition>,
}

/// A key's path part and its discriminator text (after `?` or `#`), if any. A `?` or `#`
/// inside a `{…}` belongs to the parameter's name, and one followed by more of the path (a
/// `/`) to the path.
pub fn split_key(key: &str) -> (&str, Option<&str>) {
    let mut depth = 0usize;
    for (i, b) in key.bytes().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            // More path after it (`/send/#env/v1/…`, mastercard.com): a literal, not a
            // discriminator.
            b'?' | b'#' if depth == 0 && !key[i..].contains('/') => {
                return (&key[..i], Some(&key[i + 1..]));
            }
            _ => {}
        }
    }
    (key, None)
}

/// A discriminator's parts, as written: (name, value), the value `None` for a bare name.
pub fn discriminator_parts(text: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    text.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (part, None),
        })
}

/// The `{name}` a whole value is, if it is one.
fn param_of(value: &str) -> Option<&str> {
    value
        .strip_prefix('{')?
        .strip_suffix('}')
        .filter(|name| !name.is_empty() && !name.contains(['{', '}']))
}

/// How to route a key, given where the operation declares each parameter (name, in); and the
/// names of the values the router reads back, in order: the path's `{…}`, then the
/// conditions' `{param}`s (a path parameter's `path_index` is its place among them).
pub fn routing(mount: &str, key: &str, declared: &[(&str, ParamIn)]) -> (Routing, Vec<String>) {
    let (path, discriminator) = split_key(key);
    let mut names = super::template_params(path);
    let mut conditions = Vec::new();
    for (name, value) in discriminator.into_iter().flat_map(discriminator_parts) {
        let header = declared
            .iter()
            .any(|(n, at)| *at == ParamIn::Header && n.eq_ignore_ascii_case(name));
        let value = match value {
            None => CondValue::Present,
            Some(v) => match param_of(v) {
                // A `{param}` no parameter declares only asks for the name to be there.
                Some(param) if !declared.iter().any(|(n, _)| *n == param) => CondValue::Present,
                Some(param) => {
                    names.push(param.to_owned());
                    CondValue::Param(param.to_owned())
                }
                None => CondValue::Equals(v.to_owned()),
            },
        };
        conditions.push(Condition {
            location: if header {
                CondIn::Header
            } else {
                CondIn::Query
            },
            name: name.to_owned(),
            value,
        });
    }
    let routing = Routing {
        path_len: mount.len() + path.len(),
        conditions,
    };
    (routing, names)
}

/// A key with its parameters' names blanked (`/v2/{}`): two keys of one shape are one path.
pub fn shape_of(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut depth = 0usize;
    for c in key.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push('{');
                }
                depth += 1;
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push('}');
                }
            }
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_at_the_first_question_mark_or_hash_outside_a_parameter() {
        assert_eq!(split_key("/a/{b}"), ("/a/{b}", None));
        assert_eq!(
            split_key("/#X-Amz-Target=D.Put"),
            ("/", Some("X-Amz-Target=D.Put"))
        );
        assert_eq!(split_key("/{Bucket}?acl"), ("/{Bucket}", Some("acl")));
        assert_eq!(split_key("/{a?b}#c"), ("/{a?b}", Some("c")));
        assert_eq!(
            split_key("/send/#env/v1/{id}"),
            ("/send/#env/v1/{id}", None)
        );
    }

    #[test]
    fn conditions_are_on_headers_declared_as_such_else_on_the_query() {
        let (r, names) = routing(
            "/m",
            "/x/{id}?a=1&b&c={c}&d={undeclared}",
            &[
                ("id", ParamIn::Path),
                ("B", ParamIn::Header),
                ("c", ParamIn::Path),
            ],
        );
        assert_eq!(r.path_len, "/m/x/{id}".len());
        assert_eq!(names, vec!["id", "c"]);
        assert_eq!(
            r.conditions,
            vec![
                Condition {
                    location: CondIn::Query,
                    name: "a".into(),
                    value: CondValue::Equals("1".into())
                },
                Condition {
                    location: CondIn::Header,
                    name: "b".into(),
                    value: CondValue::Present
                },
                Condition {
                    location: CondIn::Query,
                    name: "c".into(),
                    value: CondValue::Param("c".into())
                },
                Condition {
                    location: CondIn::Query,
                    name: "d".into(),
                    value: CondValue::Present
                },
            ]
        );
    }

    #[test]
    fn shapes_forget_parameter_names() {
        assert_eq!(shape_of("/v2/{name}"), shape_of("/v2/{parent}"));
        assert_eq!(shape_of("/a/{x}.{y}#k={z}"), "/a/{}.{}#k={}");
        assert_ne!(shape_of("/a/{x}"), shape_of("/a/{x}.json"));
    }
}
