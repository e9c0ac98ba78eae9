//! Reading a parameter from text split by style: path segments (simple, label, matrix) and
//! header values (simple), and the pieces query and cookie reading share: arrays, objects
//! from alternating names and values or from `name=value` assignments, the violations.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::location::{ParamIn, Style};
use super::plan::{ParamPlan, Shape};
use super::query::decode_strict;
use crate::schema::facts::{ObjectShape, TypeSet};
use crate::schema::violation::{Location, Segment, Violation};

impl ParamPlan {
    /// Reads a path parameter from the path segment text the router matched, still
    /// percent-encoded (decoding happens after splitting, so an encoded `,` stays data).
    /// `+` is a literal plus in a path.
    pub fn from_path(&self, raw: &str) -> Result<Value, Violation> {
        let decode: Decode<'_> =
            &|s: &str| decode_strict(s).ok_or_else(|| self.bad_encoding(Vec::new()));
        match self.style {
            Style::Label => {
                let body = raw.strip_prefix('.').ok_or_else(|| {
                    self.malformed(format!(
                        "Expected a label-style value starting with `.`, but found `{raw}`."
                    ))
                })?;
                self.read_label(body, decode)
            }
            Style::Matrix => self.read_matrix(raw, decode),
            _ => self.read_delimited(raw, ',', decode),
        }
    }

    /// Reads a header parameter from its value (several field lines joined with `,`).
    /// Whitespace around the value and around each list item is not part of it.
    pub fn from_header(&self, value: &str) -> Result<Value, Violation> {
        let identity: Decode<'_> = &|s: &str| Ok(Cow::Borrowed(s.trim()));
        self.read_delimited(value.trim(), ',', identity)
    }

    pub(super) fn location(&self, steps: Vec<Segment>) -> Location {
        let name = self.name.clone();
        match self.location {
            ParamIn::Path => Location::Path(name, steps),
            ParamIn::Query => Location::Query(name, steps),
            ParamIn::Header => Location::Header(name, steps),
            ParamIn::Cookie => Location::Cookie(name, steps),
        }
    }

    pub(super) fn malformed(&self, message: String) -> Violation {
        Violation::new(self.location(Vec::new()), "malformed", message)
    }

    pub(super) fn bad_encoding(&self, steps: Vec<Segment>) -> Violation {
        Violation::new(
            self.location(steps),
            "malformed",
            "This value is not valid percent-encoded UTF-8.",
        )
    }

    pub(super) fn duplicate(&self, steps: Vec<Segment>, times: usize) -> Violation {
        Violation::new(
            self.location(steps),
            "duplicate",
            format!("This value was given {times} times, but it takes a single value."),
        )
    }

    /// A scalar-like value from one piece of text.
    pub(super) fn single(&self, text: &str, decode: Decode<'_>) -> Result<Value, Violation> {
        let text = decode(text)?;
        match &self.shape {
            Shape::Scalar(types) => Ok(types.coerce(&text)),
            Shape::Content => serde_json::from_str(&text)
                .map_err(|e| self.malformed(format!("This value is not valid JSON ({e})."))),
            _ => Ok(Value::String(text.into_owned())),
        }
    }

    /// Simple style (path and header), also the fallback for styles a location does not
    /// define: `a,b,c`, `k,v,k2,v2`, exploded `k=v,k2=v2`.
    fn read_delimited(
        &self,
        text: &str,
        sep: char,
        decode: Decode<'_>,
    ) -> Result<Value, Violation> {
        match &self.shape {
            Shape::Array(items) => self.array(split_nonempty(text, sep), *items, decode),
            Shape::Object(object) if self.explode => {
                self.object_from_assignments(split_nonempty(text, sep), object, decode)
            }
            Shape::Object(object) => {
                self.object_from_alternating(split_nonempty(text, sep), object, sep, decode)
            }
            _ => self.single(text, decode),
        }
    }

    /// Label style, after the leading `.`. RFC 6570 (and OpenAPI 3.1) separates unexploded
    /// items with `,`; the OpenAPI 3.0 table used `.`, so unexploded text without a `,` is
    /// split on `.`, except for arrays of numbers, where `.` is a decimal point.
    fn read_label(&self, body: &str, decode: Decode<'_>) -> Result<Value, Violation> {
        let sep = if self.explode || !body.contains(',') {
            '.'
        } else {
            ','
        };
        match &self.shape {
            Shape::Array(items) => {
                let sep = if !self.explode && items.intersects(TypeSet::NUMBER) {
                    ','
                } else {
                    sep
                };
                self.array(split_nonempty(body, sep), *items, decode)
            }
            Shape::Object(object) if self.explode => {
                self.object_from_assignments(split_nonempty(body, '.'), object, decode)
            }
            Shape::Object(object) => {
                self.object_from_alternating(split_nonempty(body, sep), object, sep, decode)
            }
            _ => self.single(body, decode),
        }
    }

    /// Matrix style: `;id=5`, `;id` (empty), `;id=1,2`, exploded `;id=1;id=2`, objects
    /// `;id=R,100,G,200` and exploded `;R=100;G=200`.
    fn read_matrix(&self, raw: &str, decode: Decode<'_>) -> Result<Value, Violation> {
        let expected = || {
            self.malformed(format!(
                "Expected a matrix-style value starting with `;{}`, but found `{raw}`.",
                self.name
            ))
        };
        let body = raw.strip_prefix(';').ok_or_else(expected)?;
        let assignments: Vec<(&str, &str)> = body
            .split(';')
            .map(|a| a.split_once('=').unwrap_or((a, "")))
            .collect();
        let is_own_name = |key: &str| decode(key).is_ok_and(|k| k == self.name);
        match &self.shape {
            Shape::Object(object) if self.explode => {
                let items = if body.is_empty() {
                    Vec::new()
                } else {
                    body.split(';').collect()
                };
                self.object_from_assignments(items, object, decode)
            }
            Shape::Array(items) if self.explode => {
                if !assignments.iter().all(|(k, _)| is_own_name(k)) {
                    return Err(expected());
                }
                // `;id` alone is the empty array.
                let values: Vec<&str> = match assignments.as_slice() {
                    [(_, "")] => Vec::new(),
                    _ => assignments.iter().map(|(_, v)| *v).collect(),
                };
                self.array(values, *items, decode)
            }
            _ => match assignments.as_slice() {
                [(key, value)] if is_own_name(key) => self.read_delimited(value, ',', decode),
                _ => Err(expected()),
            },
        }
    }

    pub(super) fn array(
        &self,
        pieces: Vec<&str>,
        items: TypeSet,
        decode: Decode<'_>,
    ) -> Result<Value, Violation> {
        pieces
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let text = decode(p).map_err(|_| self.bad_encoding(vec![Segment::Index(i)]))?;
                Ok(items.coerce(&text))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    }

    /// `R,100,G,200`: names and values alternate.
    pub(super) fn object_from_alternating(
        &self,
        pieces: Vec<&str>,
        object: &ObjectShape,
        sep: char,
        decode: Decode<'_>,
    ) -> Result<Value, Violation> {
        if pieces.len() % 2 != 0 {
            return Err(self.malformed(format!(
                "Expected names and values alternating, separated by `{sep}`, but found {} items.",
                pieces.len()
            )));
        }
        // `chunks_exact` of an even-length list: every chunk has both elements.
        let pairs = pieces.chunks_exact(2).map(|c| (c[0], c[1]));
        self.object_from_pairs(pairs, object, decode)
    }

    /// `R=100,G=200`: each item names its member. An item without `=` is a member with an
    /// empty value.
    fn object_from_assignments(
        &self,
        pieces: Vec<&str>,
        object: &ObjectShape,
        decode: Decode<'_>,
    ) -> Result<Value, Violation> {
        let pairs = pieces
            .into_iter()
            .map(|p| p.split_once('=').unwrap_or((p, "")));
        self.object_from_pairs(pairs, object, decode)
    }

    fn object_from_pairs<'t>(
        &self,
        pairs: impl Iterator<Item = (&'t str, &'t str)>,
        object: &ObjectShape,
        decode: Decode<'_>,
    ) -> Result<Value, Violation> {
        let mut map = Map::new();
        for (key, value) in pairs {
            let key = decode(key)?.into_owned();
            let steps = vec![Segment::Key(key.clone())];
            let value = decode(value).map_err(|_| self.bad_encoding(steps.clone()))?;
            if map.contains_key(&key) {
                return Err(self.duplicate(steps, 2));
            }
            let (types, _) = object.member_types(&key);
            map.insert(key, types.coerce(&value));
        }
        Ok(Value::Object(map))
    }
}

/// Turns one raw piece of text into its decoded form (or says why it cannot).
/// Text that needs no decoding is borrowed, not copied.
pub(super) type Decode<'a> = &'a dyn for<'s> Fn(&'s str) -> Result<Cow<'s, str>, Violation>;

/// Splits on `sep`, with empty text giving no items (so `""` is the empty array).
pub(super) fn split_nonempty(text: &str, sep: char) -> Vec<&str> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split(sep).collect()
    }
}
