//! Reading query and cookie parameters from the named pairs of a request: form style and its
//! relatives (space- and pipe-delimited), exploded form objects, deepObject.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::location::Style;
use super::plan::{ParamPlan, Shape};
use super::query::{Pair, decode_lossy};
use super::read::{Decode, split_nonempty};
use crate::schema::facts::{ObjectShape, TypeSet};
use crate::schema::violation::{Segment, Violation};

impl ParamPlan {
    /// Reads a query parameter from the pairs [`parse_query`](super::parse_query) produced; `Ok(None)` when it is
    /// absent. Same as [`ParamPlan::from_query_except`] with nothing excluded.
    pub fn from_query(&self, pairs: &[Pair<'_>]) -> Result<Option<Value>, Violation> {
        self.from_query_except(pairs, &[])
    }

    /// Like [`ParamPlan::from_query`], but an exploded form object whose schema allows
    /// additional properties does not take the keys in `others` (the operation's other query
    /// parameters) as members.
    pub fn from_query_except(
        &self,
        pairs: &[Pair<'_>],
        others: &[&str],
    ) -> Result<Option<Value>, Violation> {
        // The pairs are already decoded.
        self.read_pairs(pairs, others, &|s: &str| Ok(Cow::Borrowed(s)))
    }

    /// Whether reading this parameter from a query needs the names of the operation's other
    /// query parameters ([`ParamPlan::from_query_except`]): only an exploded form object
    /// that takes additional properties does.
    pub fn needs_other_names(&self) -> bool {
        matches!(&self.shape, Shape::Object(object) if object.additional.is_some())
            && self.style == Style::Form
            && self.explode
    }

    /// Reads a cookie parameter (form style) from the cookies [`parse_cookies`](super::parse_cookies) produced;
    /// `Ok(None)` when it is absent. Values are percent-decoded after splitting; a `%` that
    /// starts no valid escape is kept as it is, and invalid UTF-8 becomes U+FFFD.
    pub fn from_cookie(&self, cookies: &[Pair<'_>]) -> Result<Option<Value>, Violation> {
        self.read_pairs(cookies, &[], &|s: &str| Ok(decode_lossy(s)))
    }

    /// Query and cookie parameters: named pairs, form style and its relatives.
    fn read_pairs(
        &self,
        pairs: &[Pair<'_>],
        others: &[&str],
        decode: Decode<'_>,
    ) -> Result<Option<Value>, Violation> {
        let own: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| *k == self.name)
            .map(|(_, v)| &**v)
            .collect();
        match &self.shape {
            Shape::Object(object) => match self.style {
                Style::DeepObject => self.deep_object(pairs, object, decode),
                Style::Form if self.explode => self.form_object(pairs, object, others, decode),
                _ => match own.as_slice() {
                    [] => Ok(None),
                    [value] => self
                        .object_from_alternating(
                            split_nonempty(value, self.delimiter()),
                            object,
                            self.delimiter(),
                            decode,
                        )
                        .map(Some),
                    _ => Err(self.duplicate(Vec::new(), own.len())),
                },
            },
            Shape::Array(items) => {
                let pieces: Vec<&str> = match own.as_slice() {
                    [] => return Ok(None),
                    // `id=` is the empty array, whatever the style.
                    [""] => Vec::new(),
                    values if self.explode || self.style == Style::DeepObject => values.to_vec(),
                    // Unexploded, a repeat is read as more of the same list.
                    values => values
                        .iter()
                        .flat_map(|v| v.split(self.delimiter()))
                        .collect(),
                };
                self.array(pieces, *items, decode).map(Some)
            }
            Shape::Any if own.len() > 1 => self.array(own, TypeSet::ANY, decode).map(Some),
            _ => match own.as_slice() {
                [] => Ok(None),
                [value] => self.single(value, decode).map(Some),
                _ => Err(self.duplicate(Vec::new(), own.len())),
            },
        }
    }

    /// The separator of unexploded arrays and objects in a query.
    fn delimiter(&self) -> char {
        match self.style {
            Style::SpaceDelimited => ' ',
            Style::PipeDelimited => '|',
            _ => ',',
        }
    }

    /// Exploded form objects: every declared property is its own key (`role=admin&page=2`);
    /// with `additionalProperties`, so is every other key not in `others`.
    fn form_object(
        &self,
        pairs: &[Pair<'_>],
        object: &ObjectShape,
        others: &[&str],
        decode: Decode<'_>,
    ) -> Result<Option<Value>, Violation> {
        let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
        for (key, value) in pairs {
            let wanted = object.property(key).is_some()
                || (object.additional.is_some() && !others.contains(&&**key));
            if !wanted {
                continue;
            }
            match groups.iter_mut().find(|(k, _)| k == key) {
                Some((_, values)) => values.push(value),
                None => groups.push((key, vec![value])),
            }
        }
        if groups.is_empty() {
            return Ok(None);
        }
        let mut map = Map::new();
        for (key, values) in groups {
            map.insert(key.to_owned(), self.member(key, &values, object, decode)?);
        }
        Ok(Some(Value::Object(map)))
    }

    /// deepObject: `filter[role]=admin&filter[page]=2`. A trailing `[]` is ignored
    /// (`filter[tags][]=a&filter[tags][]=b` is an array); deeper brackets
    /// (`filter[a][b]=1`) build nested objects of strings.
    fn deep_object(
        &self,
        pairs: &[Pair<'_>],
        object: &ObjectShape,
        decode: Decode<'_>,
    ) -> Result<Option<Value>, Violation> {
        // First-level member name → (direct values, (deeper path, value)).
        type Group<'p> = (String, Vec<&'p str>, Vec<(Vec<String>, &'p str)>);
        let mut groups: Vec<Group<'_>> = Vec::new();
        for (key, value) in pairs {
            let Some(mut path) = key.strip_prefix(self.name.as_str()).and_then(bracket_path) else {
                continue;
            };
            if path.len() > MAX_NESTING {
                return Err(self.malformed(format!(
                    "This value is nested deeper than {MAX_NESTING} levels."
                )));
            }
            if path.len() > 1 && path.last().is_some_and(String::is_empty) {
                path.pop();
            }
            // `bracket_path` never returns an empty path and only a second segment is popped.
            let first = path.remove(0);
            let index = match groups.iter().position(|(k, _, _)| *k == first) {
                Some(i) => i,
                None => {
                    groups.push((first, Vec::new(), Vec::new()));
                    groups.len() - 1
                }
            };
            let (_, direct, nested) = &mut groups[index];
            if path.is_empty() {
                direct.push(value);
            } else {
                nested.push((path, value));
            }
        }
        if groups.is_empty() {
            return Ok(None);
        }
        let mut map = Map::new();
        for (key, direct, nested) in groups {
            let steps = vec![Segment::Key(key.clone())];
            let value = match (direct.is_empty(), nested.is_empty()) {
                (_, true) => self.member(&key, &direct, object, decode)?,
                (true, false) => self.nested(&steps, nested, decode)?,
                (false, false) => {
                    return Err(Violation::new(
                        self.location(steps),
                        "malformed",
                        "This member was given both a value and nested members.",
                    ));
                }
            };
            map.insert(key, value);
        }
        Ok(Some(Value::Object(map)))
    }

    /// Nested deepObject members, kept as strings (the plan only knows the first level).
    fn nested(
        &self,
        steps: &[Segment],
        entries: Vec<(Vec<String>, &str)>,
        decode: Decode<'_>,
    ) -> Result<Value, Violation> {
        let mut root = Map::new();
        for (path, value) in entries {
            let mut here = &mut root;
            let mut at = steps.to_vec();
            let Some((leaf, parents)) = path.split_last() else {
                continue;
            };
            for parent in parents {
                at.push(Segment::Key(parent.clone()));
                let slot = here
                    .entry(parent.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                here = match slot {
                    Value::Object(m) => m,
                    _ => return Err(self.duplicate(at, 2)),
                };
            }
            at.push(Segment::Key(leaf.clone()));
            let text = decode(value).map_err(|_| self.bad_encoding(at.clone()))?;
            if here.contains_key(leaf) {
                return Err(self.duplicate(at, 2));
            }
            here.insert(leaf.clone(), Value::String(text.into_owned()));
        }
        Ok(Value::Object(root))
    }

    /// One member of an exploded object, from every value its key was given.
    fn member(
        &self,
        key: &str,
        values: &[&str],
        object: &ObjectShape,
        decode: Decode<'_>,
    ) -> Result<Value, Violation> {
        let steps = || vec![Segment::Key(key.to_owned())];
        let (types, items) = object.member_types(key);
        let as_array = types.intersects(TypeSet::ARRAY)
            && (values.len() > 1 || !types.intersects(TypeSet::SCALARS));
        if as_array {
            let mut out = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                let text = decode(v).map_err(|_| {
                    let mut at = steps();
                    at.push(Segment::Index(i));
                    self.bad_encoding(at)
                })?;
                out.push(items.coerce(&text));
            }
            return Ok(Value::Array(out));
        }
        match values {
            [value] => {
                let text = decode(value).map_err(|_| self.bad_encoding(steps()))?;
                Ok(types.coerce(&text))
            }
            _ => Err(self.duplicate(steps(), values.len())),
        }
    }
}

/// The deepest deepObject member (`filter[a][b]...`) read: serde_json's limit on JSON bodies.
/// Deeper text is refused before any value is built, so nothing later (validation, the
/// journal, dropping the value) walks an unbounded depth.
pub const MAX_NESTING: usize = 128;

/// `[a][b]` → `["a", "b"]`; `None` unless the text is one or more bracketed segments.
fn bracket_path(mut rest: &str) -> Option<Vec<String>> {
    let mut path = Vec::new();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let (segment, after) = inner.split_once(']')?;
        path.push(segment.to_owned());
        rest = after;
    }
    (!path.is_empty()).then_some(path)
}
