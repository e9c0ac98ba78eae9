//! An operation's responses compiled: each status key with its media types (schema,
//! validator, examples) and declared headers, and the examples checked against their schema.

use serde_json::Value;

use super::builder::{Builder, Found};
use crate::document::normalize::View;
use crate::document::problems::{excerpt, excerpt_n};
use crate::document::refs::pointer_join;
use crate::operation::params::ParamPlan;
use crate::operation::respond::{HeaderCheck, ResponseMedia, ResponseSpec, StatusKey};
use crate::schema::violation::Location;

/// How many of an example's violations a warning lists, and how much of each it says.
const EXAMPLE_VIOLATIONS_SHOWN: usize = 3;
const EXAMPLE_VIOLATION_CHARS: usize = 120;

impl<'a> Builder<'a, '_> {
    pub(super) fn responses(&mut self, file: &str, op_ptr: &str) -> Vec<ResponseSpec> {
        let ptr = format!("{op_ptr}/responses");
        let keys: Vec<String> = self
            .resources
            .file(file)
            .and_then(|f| f.pointer(&ptr))
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for key in keys {
            let here = pointer_join(&ptr, &[&key]);
            let Some(status) = StatusKey::parse(&key) else {
                self.problems.error(
                    file,
                    &here,
                    format!(
                        "`{}` is not a status code, a range like `4XX`, or `default`",
                        excerpt(&key)
                    ),
                );
                continue;
            };
            let Some(found) = self.follow(file, &here) else {
                continue;
            };
            let mut media = Vec::new();
            if let Some(Value::Object(content)) = found.value.get("content") {
                for (media_type, m) in content {
                    let m_ptr = pointer_join(&found.pointer, &["content", media_type]);
                    let schema = if m.get("schema").is_some() {
                        self.schema_loc(&found.file, &format!("{m_ptr}/schema"))
                    } else {
                        None
                    };
                    let validator = schema
                        .as_ref()
                        .and_then(|loc| self.compile(loc, View::Response));
                    let examples = self.named_examples(&found.file, &m_ptr, m);
                    let item = ResponseMedia::new(
                        media_type.clone(),
                        schema,
                        validator,
                        examples,
                        m.get("example").cloned(),
                    );
                    self.check_examples(&found.file, &m_ptr, &item);
                    media.push(item);
                }
            }
            let headers = self.response_headers(&found);
            let checks = self.header_checks(&found, &headers);
            out.push(ResponseSpec::new(status, media, headers).with_header_checks(checks));
        }
        out
    }

    fn response_headers(&mut self, found: &Found<'a>) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let Some(Value::Object(headers)) = found.value.get("headers") else {
            return out;
        };
        for name in headers.keys() {
            if name.eq_ignore_ascii_case("content-type") {
                continue;
            }
            let ptr = pointer_join(&found.pointer, &["headers", name]);
            if let Some(h) = self.follow(&found.file, &ptr) {
                out.push((name.clone(), h.value.clone()));
            }
        }
        out
    }

    /// The declared headers compiled for checking answers: read as `simple`-style header
    /// parameters, validated with the response view of their schema.
    fn header_checks(
        &mut self,
        found: &Found<'a>,
        headers: &[(String, Value)],
    ) -> Vec<HeaderCheck> {
        let mut out = Vec::new();
        for (name, spec) in headers {
            let ptr = pointer_join(&found.pointer, &["headers", name]);
            let Some(h) = self.follow(&found.file, &ptr) else {
                continue;
            };
            let mut as_param = spec.clone();
            if let Value::Object(map) = &mut as_param {
                map.insert("name".to_owned(), Value::String(name.clone()));
                map.insert("in".to_owned(), Value::String("header".to_owned()));
                map.remove("style");
                map.remove("explode");
            }
            let plan = ParamPlan::compile(self.resources, &h.file, &as_param).ok();
            let validator = if spec.get("schema").is_some() {
                self.schema_loc(&h.file, &format!("{}/schema", h.pointer))
                    .and_then(|loc| self.compile(&loc, View::Response))
            } else {
                None
            };
            out.push(HeaderCheck {
                name: name.clone(),
                required: spec.get("required").and_then(Value::as_bool) == Some(true),
                plan,
                validator,
            });
        }
        out
    }

    fn named_examples(
        &mut self,
        file: &str,
        media_ptr: &str,
        media: &Value,
    ) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let Some(Value::Object(examples)) = media.get("examples") else {
            return out;
        };
        for name in examples.keys() {
            let ptr = pointer_join(media_ptr, &["examples", name]);
            if let Some(ex) = self.follow(file, &ptr) {
                match ex.value.get("value") {
                    Some(v) => out.push((name.clone(), v.clone())),
                    None if ex.value.get("externalValue").is_some() => self.problems.warning(
                        file,
                        &ptr,
                        "`externalValue` examples are not fetched; the example is skipped",
                    ),
                    None => {}
                }
            }
        }
        out
    }

    /// Examples that break their own schema are reported, not served.
    fn check_examples(&mut self, file: &str, media_ptr: &str, media: &ResponseMedia) {
        let Some(validator) = &media.validator else {
            return;
        };
        let mut bad = Vec::new();
        if let Some(ex) = &media.example {
            bad.push((
                pointer_join(media_ptr, &["example"]),
                validator.violations(ex, &Location::Body),
            ));
        }
        for (name, ex) in &media.examples {
            bad.push((
                pointer_join(media_ptr, &["examples", name]),
                validator.violations(ex, &Location::Body),
            ));
        }
        for (at, violations) in bad {
            if !violations.is_empty() {
                // Violations quote the example and the schema's values: a few, each bounded.
                let mut list: Vec<String> = violations
                    .iter()
                    .take(EXAMPLE_VIOLATIONS_SHOWN)
                    .map(|v| excerpt_n(&v.to_string(), EXAMPLE_VIOLATION_CHARS))
                    .collect();
                if violations.len() > EXAMPLE_VIOLATIONS_SHOWN {
                    list.push(format!(
                        "and {} more",
                        violations.len() - EXAMPLE_VIOLATIONS_SHOWN
                    ));
                }
                self.problems.warning(
                    file,
                    &at,
                    format!("the example breaks its schema: {}", list.join("; ")),
                );
            }
        }
    }
}
