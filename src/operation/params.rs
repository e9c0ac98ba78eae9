//! OpenAPI parameter serialization: turning path segments, query strings, headers and cookies
//! into JSON values according to each parameter's `style`, `explode` and schema.
//!
//! Implementation rationale: the schema is walked once, at startup, into a [`ParamPlan`] whose
//! [`Shape`] says whether the value is a scalar, an array or an object and which JSON types
//! each part may take ([`TypeSet`]). At request time the plan splits the raw text by style and
//! coerces each piece by its type set; nothing on the request path looks at a schema. Text
//! that fits no allowed type is kept as a string, so the validator (which sees the real
//! schema) reports the type violation in its own words. The only violations raised here are
//! the ones no schema can express: a value given twice (`duplicate`), and text that cannot be
//! read at all (`malformed`: bad percent-encoding, a matrix or label prefix that is missing,
//! an odd number of items in a name,value list, invalid JSON in a `content` parameter).

use std::borrow::Cow;
use std::fmt;
use std::ops::{BitAnd, BitOr};

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::document::problems::{excerpt, excerpt_value};
use crate::document::refs::Resources;
use crate::operation::negotiate::is_json;
use crate::schema::violation::{Location, Segment, Violation};

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamIn {
    Path,
    Query,
    Header,
    Cookie,
}

impl ParamIn {
    /// Reads the `in` field of a Parameter object.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "path" => Some(Self::Path),
            "query" => Some(Self::Query),
            "header" => Some(Self::Header),
            "cookie" => Some(Self::Cookie),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
            Self::Cookie => "cookie",
        }
    }

    /// The style OpenAPI assumes when a parameter names none.
    pub fn default_style(self) -> Style {
        match self {
            Self::Query | Self::Cookie => Style::Form,
            Self::Path | Self::Header => Style::Simple,
        }
    }

    /// The styles OpenAPI defines for this location.
    pub fn allowed_styles(self) -> &'static [Style] {
        match self {
            Self::Path => &[Style::Matrix, Style::Label, Style::Simple],
            Self::Query => &[
                Style::Form,
                Style::SpaceDelimited,
                Style::PipeDelimited,
                Style::DeepObject,
            ],
            Self::Header => &[Style::Simple],
            Self::Cookie => &[Style::Form],
        }
    }
}

/// A serialization style (OpenAPI "Style Values").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    Matrix,
    Label,
    Form,
    Simple,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
}

impl Style {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "matrix" => Some(Self::Matrix),
            "label" => Some(Self::Label),
            "form" => Some(Self::Form),
            "simple" => Some(Self::Simple),
            "spaceDelimited" => Some(Self::SpaceDelimited),
            "pipeDelimited" => Some(Self::PipeDelimited),
            "deepObject" => Some(Self::DeepObject),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Matrix => "matrix",
            Self::Label => "label",
            Self::Form => "form",
            Self::Simple => "simple",
            Self::SpaceDelimited => "spaceDelimited",
            Self::PipeDelimited => "pipeDelimited",
            Self::DeepObject => "deepObject",
        }
    }
}

/// The JSON types a schema allows, computed once from the schema: `$ref`s are followed,
/// `allOf` intersects, `anyOf`/`oneOf` unite, `type` may be a list, `nullable: true` (OpenAPI
/// 3.0) adds null, `const` and `enum` narrow to the types of their values, and a schema with
/// no such keywords allows everything.
///
/// `INTEGER` and `NUMBER` are separate bits: `type: number` sets both (every integer is a
/// number), while `NUMBER` alone means only fractional numbers (an `enum` of `1.5`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypeSet(u8);

impl TypeSet {
    pub const EMPTY: Self = Self(0);
    pub const NULL: Self = Self(1);
    pub const BOOLEAN: Self = Self(1 << 1);
    pub const INTEGER: Self = Self(1 << 2);
    pub const NUMBER: Self = Self(1 << 3);
    pub const STRING: Self = Self(1 << 4);
    pub const ARRAY: Self = Self(1 << 5);
    pub const OBJECT: Self = Self(1 << 6);
    pub const SCALARS: Self = Self(0b1_1111);
    pub const ANY: Self = Self(0b111_1111);

    const NAMES: [(Self, &'static str); 7] = [
        (Self::NULL, "null"),
        (Self::BOOLEAN, "boolean"),
        (Self::INTEGER, "integer"),
        (Self::NUMBER, "number"),
        (Self::STRING, "string"),
        (Self::ARRAY, "array"),
        (Self::OBJECT, "object"),
    ];

    /// True when every type in `other` is allowed.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when at least one type in `other` is allowed.
    pub fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set for one JSON Schema type name; `number` includes `integer`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "number" => Some(Self::NUMBER | Self::INTEGER),
            _ => Self::NAMES
                .iter()
                .find(|(_, n)| *n == name)
                .map(|(t, _)| *t),
        }
    }

    /// The types a JSON value is an instance of (1 and 1.0 are integers; 1.5 is not).
    pub fn of_value(value: &Value) -> Self {
        match value {
            Value::Null => Self::NULL,
            Value::Bool(_) => Self::BOOLEAN,
            Value::Number(n) if n.is_i64() || n.is_u64() => Self::INTEGER,
            // `1.0` is an integer to JSON Schema, and a number the text `1.0` can be read as.
            Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                Self(Self::INTEGER.0 | Self::NUMBER.0)
            }
            Value::Number(_) => Self::NUMBER,
            Value::String(_) => Self::STRING,
            Value::Array(_) => Self::ARRAY,
            Value::Object(_) => Self::OBJECT,
        }
    }

    /// The types `schema` (found in the file at `base`) allows.
    pub fn of_schema(resources: &Resources, base: &str, schema: &Value) -> Self {
        Walker { resources }.types(base, schema, 0)
    }

    /// Reads parameter text as the first allowed type it fits: integer, then number (finite,
    /// in JSON's number syntax, so no `NaN` or `inf`), then boolean (`true`/`false`), then
    /// null (`null`, or empty text when strings are not allowed); otherwise the text stays a
    /// string, which the validator then reports if strings are not allowed. A set that allows
    /// everything also keeps the text: with no schema to go by, what was sent is the value.
    pub fn coerce(self, text: &str) -> Value {
        if self == Self::ANY {
            return Value::String(text.to_owned());
        }
        if self.intersects(Self::INTEGER) {
            if let Some(n) = parse_integer(text) {
                return n;
            }
        }
        if self.intersects(Self::NUMBER) {
            if let Some(n) = parse_number(text) {
                return n;
            }
        }
        if self.intersects(Self::BOOLEAN) {
            match text {
                "true" => return Value::Bool(true),
                "false" => return Value::Bool(false),
                _ => {}
            }
        }
        if self.intersects(Self::NULL)
            && (text == "null" || (text.is_empty() && !self.intersects(Self::STRING)))
        {
            return Value::Null;
        }
        Value::String(text.to_owned())
    }
}

impl BitOr for TypeSet {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitAnd for TypeSet {
    type Output = Self;
    fn bitand(self, rhs: Self) -> Self {
        Self(self.0 & rhs.0)
    }
}

impl fmt::Debug for TypeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::ANY {
            return f.write_str("TypeSet(any)");
        }
        let names: Vec<&str> = Self::NAMES
            .iter()
            .filter(|(t, _)| self.contains(*t))
            .map(|(_, n)| *n)
            .collect();
        write!(f, "TypeSet({})", names.join("|"))
    }
}

/// One declared property of an object parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub name: String,
    pub types: TypeSet,
    /// The types of its items, for a property that may be an array.
    pub items: TypeSet,
}

/// What an object parameter's schema says about its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectShape {
    pub properties: Vec<Property>,
    /// Types of undeclared members when `additionalProperties` is given as `true` or a
    /// schema; `None` when it is absent or `false`. Only `Some` lets an exploded form object
    /// take query keys that are not declared properties.
    pub additional: Option<TypeSet>,
}

impl ObjectShape {
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The types a member called `name` is coerced by.
    fn member_types(&self, name: &str) -> (TypeSet, TypeSet) {
        match self.property(name) {
            Some(p) => (p.types, p.items),
            None => (self.additional.unwrap_or(TypeSet::ANY), TypeSet::ANY),
        }
    }
}

/// The structure a parameter's value has, decided once from its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// One value of one of these (scalar) types.
    Scalar(TypeSet),
    /// An array whose items take these types.
    Array(TypeSet),
    Object(ObjectShape),
    /// The parameter uses `content` with a JSON media type: the text is a JSON document.
    Content,
    /// No schema, or one that allows both arrays and objects: a single value stays a string
    /// and a query key given more than once becomes an array of strings.
    Any,
}

/// Everything needed to read one parameter from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamPlan {
    pub name: String,
    pub location: ParamIn,
    pub style: Style,
    pub explode: bool,
    pub shape: Shape,
    /// Always true for path parameters, which OpenAPI requires even when a document forgets
    /// to say so.
    pub required: bool,
    pub allow_empty_value: bool,
}

/// How deep `$ref`/`allOf`/`anyOf` nesting is followed before a schema is taken to allow
/// anything (recursive schemas would otherwise never end).
const MAX_DEPTH: usize = 32;

impl ParamPlan {
    /// Builds the plan for a Parameter object (already `$ref`-resolved by the caller) found in
    /// the file at `base`; the schema's `$ref`s resolve through `resources`. Defaults follow
    /// OpenAPI: style `form` for query and cookie, `simple` for path and header; `explode` is
    /// true only for `form`. A parameter with a `content` map is read as JSON when its media
    /// type is JSON and as one scalar otherwise. Errors are sentences for the loader to
    /// list: a missing name, an unknown `in`, an unknown style or one not defined for the
    /// location, a non-boolean `explode`.
    pub fn compile(resources: &Resources, base: &str, param: &Value) -> Result<ParamPlan, String> {
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .ok_or("a parameter has no `name`")?
            .to_owned();
        // Messages quote the document's values only in part.
        let quoted = excerpt(&name);
        let location = match param.get("in").and_then(Value::as_str) {
            Some(s) => ParamIn::parse(s).ok_or_else(|| {
                format!(
                    "parameter `{quoted}`: `in: {}` is not one of path, query, header, cookie",
                    excerpt(s)
                )
            })?,
            None => return Err(format!("parameter `{quoted}` has no `in`")),
        };
        let style = match param.get("style") {
            None => location.default_style(),
            Some(Value::String(s)) => Style::parse(s).ok_or_else(|| {
                format!(
                    "parameter `{quoted}`: `{}` is not a known style",
                    excerpt(s)
                )
            })?,
            Some(other) => {
                return Err(format!(
                    "parameter `{quoted}`: `style` must be a string, not {}",
                    excerpt_value(other)
                ));
            }
        };
        let allowed = location.allowed_styles();
        if !allowed.contains(&style) {
            let list: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            return Err(format!(
                "parameter `{quoted}` in {}: style `{}` is not allowed there (use {})",
                location.as_str(),
                style.as_str(),
                list.join(", ")
            ));
        }
        let explode = match param.get("explode") {
            None => style == Style::Form,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(format!(
                    "parameter `{quoted}`: `explode` must be true or false, not {}",
                    excerpt_value(other)
                ));
            }
        };
        let flag = |key: &str| param.get(key).and_then(Value::as_bool).unwrap_or(false);
        let walker = Walker { resources };
        let shape = match (param.get("schema"), param.get("content")) {
            (_, Some(Value::Object(content))) if !content.is_empty() => {
                // OpenAPI allows exactly one entry; with more, the first is as good a guess
                // as any.
                match content.iter().next() {
                    Some((media, _)) if is_json(media) => Shape::Content,
                    // Plain text: one value, typed by the media type's schema if it has one.
                    Some((_, media)) => match media.get("schema") {
                        Some(schema) => Shape::Scalar(walker.types(base, schema, 0)),
                        None => Shape::Scalar(TypeSet::ANY),
                    },
                    None => Shape::Any,
                }
            }
            (Some(schema), _) => walker.shape(base, schema),
            _ => Shape::Any,
        };
        Ok(ParamPlan {
            name,
            location,
            style,
            explode,
            shape,
            required: location == ParamIn::Path || flag("required"),
            allow_empty_value: flag("allowEmptyValue"),
        })
    }

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

    /// Reads a query parameter from the pairs [`parse_query`] produced; `Ok(None)` when it is
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

    /// Reads a header parameter from its value (several field lines joined with `,`).
    /// Whitespace around the value and around each list item is not part of it.
    pub fn from_header(&self, value: &str) -> Result<Value, Violation> {
        let identity: Decode<'_> = &|s: &str| Ok(Cow::Borrowed(s.trim()));
        self.read_delimited(value.trim(), ',', identity)
    }

    /// Reads a cookie parameter (form style) from the cookies [`parse_cookies`] produced;
    /// `Ok(None)` when it is absent. Values are percent-decoded after splitting; a `%` that
    /// starts no valid escape is kept as it is, and invalid UTF-8 becomes U+FFFD.
    pub fn from_cookie(&self, cookies: &[Pair<'_>]) -> Result<Option<Value>, Violation> {
        self.read_pairs(cookies, &[], &|s: &str| Ok(decode_lossy(s)))
    }

    fn location(&self, steps: Vec<Segment>) -> Location {
        let name = self.name.clone();
        match self.location {
            ParamIn::Path => Location::Path(name, steps),
            ParamIn::Query => Location::Query(name, steps),
            ParamIn::Header => Location::Header(name, steps),
            ParamIn::Cookie => Location::Cookie(name, steps),
        }
    }

    fn malformed(&self, message: String) -> Violation {
        Violation::new(self.location(Vec::new()), "malformed", message)
    }

    fn bad_encoding(&self, steps: Vec<Segment>) -> Violation {
        Violation::new(
            self.location(steps),
            "malformed",
            "This value is not valid percent-encoded UTF-8.",
        )
    }

    fn duplicate(&self, steps: Vec<Segment>, times: usize) -> Violation {
        Violation::new(
            self.location(steps),
            "duplicate",
            format!("This value was given {times} times, but it takes a single value."),
        )
    }

    /// A scalar-like value from one piece of text.
    fn single(&self, text: &str, decode: Decode<'_>) -> Result<Value, Violation> {
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

    fn array(
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
    fn object_from_alternating(
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

/// Turns one raw piece of text into its decoded form (or says why it cannot).
/// Text that needs no decoding is borrowed, not copied.
type Decode<'a> = &'a dyn for<'s> Fn(&'s str) -> Result<Cow<'s, str>, Violation>;

/// A name and its value from a query string or a `Cookie` header: borrowed from the request
/// unless decoding changed them.
pub type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// Splits a query string into decoded name/value pairs: on `&`, then on the first `=`; `+`
/// is a space (form encoding) and `%2B` a plus. A leading `?` is skipped, empty pieces
/// (`a=1&&b=2`) are dropped, and a name without `=` has the empty value. Decoding is lossy and
/// never fails: a `%` that starts no valid escape stays as it is and invalid UTF-8 becomes
/// U+FFFD. Callers that want to refuse such requests ask [`query_encoding_violations`].
pub fn parse_query(raw: &str) -> Vec<Pair<'_>> {
    query_pieces(raw)
        .map(|(k, v)| (decode_form(k), decode_form(v)))
        .collect()
}

/// The pairs of a query string whose name or value is not valid percent-encoded UTF-8 (a
/// `%` not followed by two hex digits, or bytes that are not UTF-8), one `malformed`
/// violation per pair, named by the lossily decoded name.
pub fn query_encoding_violations(raw: &str) -> Vec<Violation> {
    query_pieces(raw)
        // Only a `%` can make a piece malformed (the text is UTF-8 already, and a `+` decodes
        // to a space either way): pieces without one are not decoded here at all.
        .filter(|(k, v)| {
            [k, v]
                .iter()
                .any(|text| text.contains('%') && decode_strict(text).is_none())
        })
        .map(|(k, _)| {
            Violation::new(
                Location::Query(decode_form(k).into_owned(), Vec::new()),
                "malformed",
                "This value is not valid percent-encoded UTF-8.",
            )
        })
        .collect()
}

fn query_pieces(raw: &str) -> impl Iterator<Item = (&str, &str)> {
    raw.strip_prefix('?')
        .unwrap_or(raw)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// Splits a `Cookie` header into name/value pairs, in order, values as sent (not yet
/// percent-decoded: [`ParamPlan::from_cookie`] decodes after splitting lists). Whitespace
/// around names and values is dropped, as are the double quotes RFC 6265 allows around a
/// value; pieces without `=` or with an empty name are skipped.
pub fn parse_cookies(header: &str) -> Vec<Pair<'_>> {
    header
        .split(';')
        .filter_map(|piece| {
            let (name, value) = piece.split_once('=')?;
            let name = name.trim();
            if name.is_empty() {
                return None;
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            Some((Cow::Borrowed(name), Cow::Borrowed(value)))
        })
        .collect()
}

fn decode_form(s: &str) -> Cow<'_, str> {
    if s.contains('+') {
        Cow::Owned(decode_lossy(&s.replace('+', " ")).into_owned())
    } else {
        decode_lossy(s)
    }
}

fn decode_lossy(s: &str) -> Cow<'_, str> {
    // Most names and values have no escape: `percent_decode_str` would look for a `%` a byte
    // at a time, then check again the UTF-8 that a `&str` is already (`contains` on bytes
    // is a `memchr`).
    if !s.as_bytes().contains(&b'%') {
        return Cow::Borrowed(s);
    }
    percent_decode_str(s).decode_utf8_lossy()
}

/// Percent-decodes, or `None` when a `%` starts no valid escape or the result is not UTF-8.
fn decode_strict(s: &str) -> Option<Cow<'_, str>> {
    let bytes = s.as_bytes();
    let valid_escapes = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if !valid_escapes {
        return None;
    }
    percent_decode_str(s).decode_utf8().ok()
}

/// Splits on `sep`, with empty text giving no items (so `""` is the empty array).
fn split_nonempty(text: &str, sep: char) -> Vec<&str> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split(sep).collect()
    }
}

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

/// `-?[0-9]+` that fits an `i64` or a `u64`. `-0` is 0.
fn parse_integer(text: &str) -> Option<Value> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(Value::from(n));
    }
    text.parse::<u64>().ok().map(Value::from)
}

/// A JSON number (`-?digits(.digits)?([eE][+-]?digits)?`) that is finite as an `f64`; a
/// 400-digit integer overflows to infinity and so is not one.
fn parse_number(text: &str) -> Option<Value> {
    let rest = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| all_digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    if !all_digits(whole) || !fraction.is_none_or(all_digits) || !exponent_ok {
        return None;
    }
    let f: f64 = text.parse().ok()?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// Schema analysis for plans: the type sets of a schema, of its items and of its properties.
struct Walker<'r> {
    resources: &'r Resources,
}

impl Walker<'_> {
    fn types(&self, base: &str, schema: &Value, depth: usize) -> TypeSet {
        let map = match schema {
            Value::Bool(true) => return TypeSet::ANY,
            Value::Bool(false) => return TypeSet::EMPTY,
            Value::Object(map) if depth <= MAX_DEPTH => map,
            _ => return TypeSet::ANY,
        };
        let mut types = TypeSet::ANY;
        if let Some(declared) = map.get("type") {
            let mut set = match declared {
                Value::String(s) => TypeSet::from_name(s).unwrap_or(TypeSet::EMPTY),
                Value::Array(names) => names
                    .iter()
                    .filter_map(Value::as_str)
                    .filter_map(TypeSet::from_name)
                    .fold(TypeSet::EMPTY, BitOr::bitor),
                _ => TypeSet::ANY,
            };
            if map.get("nullable") == Some(&Value::Bool(true)) {
                set = set | TypeSet::NULL;
            }
            types = types & set;
        }
        if let Some(value) = map.get("const") {
            types = types & TypeSet::of_value(value);
        }
        if let Some(Value::Array(values)) = map.get("enum") {
            let set = values
                .iter()
                .map(TypeSet::of_value)
                .fold(TypeSet::EMPTY, BitOr::bitor);
            types = types & set;
        }
        if let Some(target) = self.target(base, map) {
            types = types & self.types(target.base, target.value, depth + 1);
        }
        if let Some(Value::Array(all)) = map.get("allOf") {
            for s in all {
                types = types & self.types(base, s, depth + 1);
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(any)) = map.get(key) {
                let set = any
                    .iter()
                    .map(|s| self.types(base, s, depth + 1))
                    .fold(TypeSet::EMPTY, BitOr::bitor);
                types = types & set;
            }
        }
        types
    }

    /// The schema a `$ref` in `map` points to. A reference that does not resolve is the
    /// loader's to report; here it constrains nothing.
    fn target(
        &self,
        base: &str,
        map: &Map<String, Value>,
    ) -> Option<crate::document::refs::Located<'_>> {
        let reference = map.get("$ref")?.as_str()?;
        self.resources.resolve(base, reference).ok()
    }

    /// `schema` itself, then what it reaches through `$ref` and `allOf`: every schema the
    /// value must satisfy at once.
    fn conjuncts<'v>(
        &'v self,
        base: &'v str,
        schema: &'v Value,
        depth: usize,
        out: &mut Vec<(&'v str, &'v Map<String, Value>)>,
    ) {
        let Value::Object(map) = schema else { return };
        if depth > MAX_DEPTH {
            return;
        }
        out.push((base, map));
        if let Some(target) = self.target(base, map) {
            self.conjuncts(target.base, target.value, depth + 1, out);
        }
        if let Some(Value::Array(all)) = map.get("allOf") {
            for s in all {
                self.conjuncts(base, s, depth + 1, out);
            }
        }
    }

    /// The alternatives (`anyOf`/`oneOf` members) of the conjuncts that allow `kind`.
    fn alternatives<'v>(
        &'v self,
        conjuncts: &[(&'v str, &'v Map<String, Value>)],
        kind: TypeSet,
        depth: usize,
    ) -> Vec<(&'v str, &'v Value)> {
        let mut out = Vec::new();
        for (base, map) in conjuncts {
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(any)) = map.get(key) {
                    out.extend(
                        any.iter()
                            .filter(|s| self.types(base, s, depth + 1).intersects(kind))
                            .map(|s| (*base, s)),
                    );
                }
            }
        }
        out
    }

    fn items(&self, base: &str, schema: &Value, depth: usize) -> TypeSet {
        if depth > MAX_DEPTH {
            return TypeSet::ANY;
        }
        let mut conj = Vec::new();
        self.conjuncts(base, schema, depth, &mut conj);
        let mut types = TypeSet::ANY;
        for (base, map) in &conj {
            match map.get("items") {
                Some(Value::Array(tuple)) => {
                    let set = tuple
                        .iter()
                        .map(|s| self.types(base, s, depth + 1))
                        .fold(TypeSet::EMPTY, BitOr::bitor);
                    types = types & set;
                }
                Some(items) => types = types & self.types(base, items, depth + 1),
                None => {}
            }
        }
        let alternatives = self.alternatives(&conj, TypeSet::ARRAY, depth);
        if !alternatives.is_empty() {
            let set = alternatives
                .iter()
                .map(|(b, s)| self.items(b, s, depth + 1))
                .fold(TypeSet::EMPTY, BitOr::bitor);
            types = types & set;
        }
        types
    }

    fn object(&self, base: &str, schema: &Value, depth: usize) -> ObjectShape {
        let mut shape = ObjectShape {
            properties: Vec::new(),
            additional: None,
        };
        if depth > MAX_DEPTH {
            return shape;
        }
        let mut conj = Vec::new();
        self.conjuncts(base, schema, depth, &mut conj);
        let mut closed = false;
        for (base, map) in &conj {
            if let Some(Value::Object(props)) = map.get("properties") {
                for (name, sub) in props {
                    let types = self.types(base, sub, depth + 1);
                    let items = self.items(base, sub, depth + 1);
                    match shape.properties.iter_mut().find(|p| p.name == *name) {
                        Some(p) => {
                            p.types = p.types & types;
                            p.items = p.items & items;
                        }
                        None => shape.properties.push(Property {
                            name: name.clone(),
                            types,
                            items,
                        }),
                    }
                }
            }
            match map.get("additionalProperties") {
                Some(Value::Bool(false)) => closed = true,
                Some(sub) => {
                    let types = self.types(base, sub, depth + 1);
                    shape.additional = Some(shape.additional.unwrap_or(TypeSet::ANY) & types);
                }
                None => {}
            }
        }
        // Members of alternatives: declared in any, typed by all that declare them.
        for (b, s) in self.alternatives(&conj, TypeSet::OBJECT, depth) {
            let alt = self.object(b, s, depth + 1);
            for p in alt.properties {
                match shape.properties.iter_mut().find(|q| q.name == p.name) {
                    Some(q) => {
                        q.types = q.types | p.types;
                        q.items = q.items | p.items;
                    }
                    None => shape.properties.push(p),
                }
            }
            if let Some(extra) = alt.additional {
                shape.additional = Some(shape.additional.unwrap_or(TypeSet::EMPTY) | extra);
            }
        }
        if closed {
            shape.additional = None;
        }
        shape
    }

    /// Whether the conjuncts use any of `keywords` (a schema without `type` that lists
    /// `properties` is meant as an object).
    fn mentions(&self, base: &str, schema: &Value, keywords: &[&str]) -> bool {
        let mut conj = Vec::new();
        self.conjuncts(base, schema, 0, &mut conj);
        conj.iter()
            .any(|(_, map)| keywords.iter().any(|k| map.contains_key(*k)))
    }

    fn shape(&self, base: &str, schema: &Value) -> Shape {
        let types = self.types(base, schema, 0);
        let array = types.intersects(TypeSet::ARRAY);
        let object = types.intersects(TypeSet::OBJECT);
        let (array, object) = if array && object {
            (
                self.mentions(base, schema, &["items", "prefixItems"]),
                self.mentions(base, schema, &["properties", "additionalProperties"]),
            )
        } else {
            (array, object)
        };
        match (array, object) {
            (false, false) if types.intersects(TypeSet::ARRAY | TypeSet::OBJECT) => Shape::Any,
            (false, false) => Shape::Scalar(types),
            (true, false) => Shape::Array(self.items(base, schema, 0)),
            (false, true) => Shape::Object(self.object(base, schema, 0)),
            (true, true) => Shape::Any,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(pairs: Vec<Pair<'_>>) -> Vec<(String, String)> {
        pairs
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
    use proptest::prelude::*;
    use serde_json::json;

    const BASE: &str = "file:///api.json";

    fn resources() -> Resources {
        Resources::new(
            BASE,
            json!({"components": {"schemas": {
                "Id": {"type": "integer"},
                "Color": {"type": "object", "properties": {
                    "R": {"type": "integer"}, "G": {"type": "integer"}, "B": {"type": "integer"}
                }},
                "Loop": {"$ref": "#/components/schemas/Loop"},
                "Tags": {"type": "array", "items": {"type": "string"}}
            }}}),
        )
    }

    fn plan(param: Value) -> ParamPlan {
        ParamPlan::compile(&resources(), BASE, &param).unwrap()
    }

    fn types(schema: Value) -> TypeSet {
        TypeSet::of_schema(&resources(), BASE, &schema)
    }

    fn string_schema() -> Value {
        json!({"type": "string"})
    }

    fn array_schema() -> Value {
        json!({"type": "array", "items": {"type": "string"}})
    }

    fn object_schema() -> Value {
        json!({"$ref": "#/components/schemas/Color"})
    }

    fn color(location: &str, style: &str, explode: bool, schema: Value) -> ParamPlan {
        plan(
            json!({"name": "color", "in": location, "style": style, "explode": explode,
                    "schema": schema}),
        )
    }

    fn blue() -> Value {
        json!("blue")
    }

    fn colors() -> Value {
        json!(["blue", "black", "brown"])
    }

    fn rgb() -> Value {
        json!({"R": 100, "G": 200, "B": 150})
    }

    fn query(plan: &ParamPlan, raw: &str) -> Result<Option<Value>, Violation> {
        plan.from_query(&parse_query(raw))
    }

    fn cookie(plan: &ParamPlan, raw: &str) -> Result<Option<Value>, Violation> {
        plan.from_cookie(&parse_cookies(raw))
    }

    // ---- compiling plans ----

    #[test]
    fn defaults_follow_the_location() {
        let q = plan(json!({"name": "a", "in": "query", "schema": string_schema()}));
        assert_eq!((q.style, q.explode, q.required), (Style::Form, true, false));
        let p = plan(json!({"name": "a", "in": "path", "schema": string_schema()}));
        assert_eq!(
            (p.style, p.explode, p.required),
            (Style::Simple, false, true)
        );
        let h = plan(json!({"name": "a", "in": "header", "schema": string_schema()}));
        assert_eq!((h.style, h.explode), (Style::Simple, false));
        let c = plan(json!({"name": "a", "in": "cookie", "schema": string_schema()}));
        assert_eq!((c.style, c.explode), (Style::Form, true));
        let d = plan(json!({"name": "a", "in": "query", "style": "deepObject",
                            "schema": object_schema()}));
        assert!(!d.explode, "explode defaults to true only for form");
    }

    #[test]
    fn explicit_explode_required_and_allow_empty_value_are_read() {
        let q = plan(
            json!({"name": "a", "in": "query", "explode": false, "required": true,
                            "allowEmptyValue": true, "schema": string_schema()}),
        );
        assert!(!q.explode);
        assert!(q.required);
        assert!(q.allow_empty_value);
    }

    #[test]
    fn styles_a_location_does_not_define_are_refused_with_the_alternatives() {
        let err = ParamPlan::compile(
            &resources(),
            BASE,
            &json!({"name": "id", "in": "path", "style": "deepObject"}),
        )
        .unwrap_err();
        assert!(err.contains("`id`"), "{err}");
        assert!(err.contains("deepObject"), "{err}");
        assert!(err.contains("matrix, label, simple"), "{err}");
        for (location, style) in [
            ("header", "form"),
            ("cookie", "simple"),
            ("query", "matrix"),
            ("query", "simple"),
        ] {
            let p = json!({"name": "x", "in": location, "style": style});
            assert!(
                ParamPlan::compile(&resources(), BASE, &p).is_err(),
                "{style} in {location}"
            );
        }
    }

    #[test]
    fn broken_parameter_objects_are_refused() {
        for p in [
            json!({"in": "query"}),
            json!({"name": "x"}),
            json!({"name": "x", "in": "body"}),
            json!({"name": "x", "in": "query", "style": "tabDelimited"}),
            json!({"name": "x", "in": "query", "style": 3}),
            json!({"name": "x", "in": "query", "explode": "yes"}),
        ] {
            assert!(ParamPlan::compile(&resources(), BASE, &p).is_err(), "{p}");
        }
    }

    #[test]
    fn content_parameters_are_json_only_for_json_media_types() {
        let json_param = plan(json!({"name": "f", "in": "query",
            "content": {"application/json": {"schema": {"type": "object"}}}}));
        assert_eq!(json_param.shape, Shape::Content);
        let text = plan(json!({"name": "f", "in": "query",
            "content": {"text/plain": {"schema": {"type": "integer"}}}}));
        assert_eq!(text.shape, Shape::Scalar(TypeSet::INTEGER));
        assert_eq!(query(&text, "f=7&g=1").unwrap(), Some(json!(7)));
        assert_eq!(query(&text, "f=7&f=8").unwrap_err().keyword, "duplicate");
        let none = plan(json!({"name": "f", "in": "query"}));
        assert_eq!(none.shape, Shape::Any);
    }

    // ---- type sets ----

    #[test]
    fn type_sets_follow_refs_and_type_lists() {
        assert_eq!(
            types(json!({"$ref": "#/components/schemas/Id"})),
            TypeSet::INTEGER
        );
        assert_eq!(
            types(json!({"type": ["string", "null"]})),
            TypeSet::STRING | TypeSet::NULL
        );
        assert_eq!(
            types(json!({"type": "number"})),
            TypeSet::NUMBER | TypeSet::INTEGER
        );
        assert_eq!(types(json!({})), TypeSet::ANY);
        assert_eq!(types(json!(true)), TypeSet::ANY);
        assert_eq!(types(json!(false)), TypeSet::EMPTY);
    }

    #[test]
    fn all_of_intersects_and_any_of_and_one_of_unite() {
        assert_eq!(
            types(json!({"allOf": [{"type": "number"}, {"$ref": "#/components/schemas/Id"}]})),
            TypeSet::INTEGER
        );
        assert_eq!(
            types(json!({"anyOf": [{"type": "boolean"}, {"type": "string"}]})),
            TypeSet::BOOLEAN | TypeSet::STRING
        );
        assert_eq!(
            types(json!({"type": ["string", "integer"],
                         "oneOf": [{"type": "integer"}, {"type": "array"}]})),
            TypeSet::INTEGER
        );
    }

    #[test]
    fn nullable_const_and_enum_narrow_the_types() {
        assert_eq!(
            types(json!({"type": "integer", "nullable": true})),
            TypeSet::INTEGER | TypeSet::NULL
        );
        assert_eq!(types(json!({"const": true})), TypeSet::BOOLEAN);
        assert_eq!(
            types(json!({"enum": ["a", 1, null]})),
            TypeSet::STRING | TypeSet::INTEGER | TypeSet::NULL
        );
        assert_eq!(
            types(json!({"type": "string", "enum": [1, 2]})),
            TypeSet::EMPTY
        );
    }

    #[test]
    fn a_reference_cycle_does_not_hang_and_constrains_nothing() {
        assert_eq!(
            types(json!({"$ref": "#/components/schemas/Loop"})),
            TypeSet::ANY
        );
        let p = plan(json!({"name": "x", "in": "query",
                            "schema": {"$ref": "#/components/schemas/Loop"}}));
        assert_eq!(p.shape, Shape::Any);
    }

    #[test]
    fn shapes_come_from_the_schema_including_referenced_items_and_properties() {
        let p = plan(json!({"name": "t", "in": "query",
                            "schema": {"$ref": "#/components/schemas/Tags"}}));
        assert_eq!(p.shape, Shape::Array(TypeSet::STRING));
        let p = plan(json!({"name": "c", "in": "query", "schema": object_schema()}));
        let Shape::Object(o) = &p.shape else {
            panic!("{:?}", p.shape)
        };
        assert_eq!(o.property("G").map(|p| p.types), Some(TypeSet::INTEGER));
        assert_eq!(o.additional, None);
        // No `type`, but `properties` says what is meant.
        let p = plan(json!({"name": "c", "in": "query",
                            "schema": {"properties": {"a": {"type": "boolean"}}}}));
        assert!(matches!(p.shape, Shape::Object(_)), "{:?}", p.shape);
        let p = plan(json!({"name": "c", "in": "query",
                            "schema": {"type": ["array", "object"]}}));
        assert_eq!(p.shape, Shape::Any);
    }

    #[test]
    fn additional_properties_are_open_only_when_given_and_not_closed_elsewhere() {
        let shape = |schema: Value| match plan(json!({"name": "o", "in": "query",
                                                         "schema": schema}))
        .shape
        {
            Shape::Object(o) => o,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            shape(json!({"type": "object", "additionalProperties": {"type": "integer"}}))
                .additional,
            Some(TypeSet::INTEGER)
        );
        assert_eq!(
            shape(json!({"type": "object", "additionalProperties": true})).additional,
            Some(TypeSet::ANY)
        );
        assert_eq!(
            shape(
                json!({"allOf": [{"type": "object", "additionalProperties": true},
                                   {"additionalProperties": false}]})
            )
            .additional,
            None
        );
    }

    // ---- coercion ----

    #[test]
    fn integers_are_preferred_and_minus_zero_is_zero() {
        let int = TypeSet::INTEGER;
        assert_eq!(int.coerce("42"), json!(42));
        assert_eq!(int.coerce("-7"), json!(-7));
        assert_eq!(int.coerce("-0"), json!(0));
        assert_eq!(int.coerce("18446744073709551615"), json!(u64::MAX));
        assert_eq!(int.coerce("-9223372036854775808"), json!(i64::MIN));
        assert_eq!(int.coerce("1.5"), json!("1.5"));
        assert_eq!(int.coerce("+5"), json!("+5"));
        assert_eq!(int.coerce(" 5"), json!(" 5"));
        let number = TypeSet::from_name("number").unwrap();
        assert_eq!(number.coerce("5"), json!(5));
        assert!(
            number.coerce("5").is_i64(),
            "an integral number stays an integer"
        );
    }

    #[test]
    fn numbers_must_be_finite_json_numbers() {
        let number = TypeSet::NUMBER | TypeSet::INTEGER;
        assert_eq!(number.coerce("1.5"), json!(1.5));
        assert_eq!(number.coerce("-2.5e3"), json!(-2500.0));
        for text in [
            "NaN", "inf", "-inf", "infinity", ".5", "5.", "1e", "0x10", "1_000", "", "1e400",
        ] {
            assert_eq!(number.coerce(text), json!(text), "{text}");
        }
    }

    #[test]
    fn overlong_numbers_do_not_panic_and_stay_text_when_they_overflow() {
        let digits = "9".repeat(400);
        assert_eq!(TypeSet::INTEGER.coerce(&digits), json!(digits));
        let number = TypeSet::NUMBER | TypeSet::INTEGER;
        assert_eq!(number.coerce(&digits), json!(digits));
        let big = "9".repeat(300);
        assert!(number.coerce(&big).is_f64());
    }

    #[test]
    fn booleans_and_nulls_are_read_only_when_allowed() {
        assert_eq!(TypeSet::BOOLEAN.coerce("true"), json!(true));
        assert_eq!(TypeSet::BOOLEAN.coerce("false"), json!(false));
        assert_eq!(TypeSet::BOOLEAN.coerce("True"), json!("True"));
        assert_eq!(TypeSet::BOOLEAN.coerce(""), json!(""));
        assert_eq!(TypeSet::STRING.coerce("true"), json!("true"));
        assert_eq!(TypeSet::STRING.coerce("12"), json!("12"));
        let nullable_int = TypeSet::INTEGER | TypeSet::NULL;
        assert_eq!(nullable_int.coerce(""), Value::Null);
        assert_eq!(nullable_int.coerce("null"), Value::Null);
        let nullable_string = TypeSet::STRING | TypeSet::NULL;
        assert_eq!(nullable_string.coerce(""), json!(""));
        assert_eq!(nullable_string.coerce("null"), Value::Null);
    }

    #[test]
    fn text_that_fits_no_allowed_type_stays_a_string_for_the_validator() {
        assert_eq!(TypeSet::INTEGER.coerce("abc"), json!("abc"));
        assert_eq!(TypeSet::EMPTY.coerce("1"), json!("1"));
        assert_eq!(TypeSet::ANY.coerce("007"), json!("007"));
    }

    // ---- the OpenAPI style examples, path ----

    #[test]
    fn simple_path_style_examples() {
        for explode in [false, true] {
            let p = color("path", "simple", explode, string_schema());
            assert_eq!(p.from_path("blue").unwrap(), blue());
            let p = color("path", "simple", explode, array_schema());
            assert_eq!(p.from_path("blue,black,brown").unwrap(), colors());
        }
        let p = color("path", "simple", false, object_schema());
        assert_eq!(p.from_path("R,100,G,200,B,150").unwrap(), rgb());
        let p = color("path", "simple", true, object_schema());
        assert_eq!(p.from_path("R=100,G=200,B=150").unwrap(), rgb());
    }

    #[test]
    fn label_path_style_examples() {
        for explode in [false, true] {
            let p = color("path", "label", explode, string_schema());
            assert_eq!(p.from_path(".blue").unwrap(), blue());
            assert_eq!(p.from_path(".").unwrap(), json!(""));
        }
        let p = color("path", "label", false, array_schema());
        assert_eq!(p.from_path(".blue,black,brown").unwrap(), colors());
        let p = color("path", "label", true, array_schema());
        assert_eq!(p.from_path(".blue.black.brown").unwrap(), colors());
        let p = color("path", "label", false, object_schema());
        assert_eq!(p.from_path(".R,100,G,200,B,150").unwrap(), rgb());
        let p = color("path", "label", true, object_schema());
        assert_eq!(p.from_path(".R=100.G=200.B=150").unwrap(), rgb());
    }

    #[test]
    fn label_style_also_reads_the_openapi_3_0_dotted_unexploded_form() {
        let p = color("path", "label", false, array_schema());
        assert_eq!(p.from_path(".blue.black.brown").unwrap(), colors());
        let p = color("path", "label", false, object_schema());
        assert_eq!(p.from_path(".R.100.G.200.B.150").unwrap(), rgb());
        // Numbers keep their decimal point.
        let p = color(
            "path",
            "label",
            false,
            json!({"type": "array", "items": {"type": "number"}}),
        );
        assert_eq!(p.from_path(".1.5").unwrap(), json!([1.5]));
        assert_eq!(p.from_path(".1.5,2").unwrap(), json!([1.5, 2]));
    }

    #[test]
    fn matrix_path_style_examples() {
        for explode in [false, true] {
            let p = color("path", "matrix", explode, string_schema());
            assert_eq!(p.from_path(";color=blue").unwrap(), blue());
            assert_eq!(p.from_path(";color").unwrap(), json!(""));
        }
        let p = color("path", "matrix", false, array_schema());
        assert_eq!(p.from_path(";color=blue,black,brown").unwrap(), colors());
        let p = color("path", "matrix", true, array_schema());
        assert_eq!(
            p.from_path(";color=blue;color=black;color=brown").unwrap(),
            colors()
        );
        let p = color("path", "matrix", false, object_schema());
        assert_eq!(p.from_path(";color=R,100,G,200,B,150").unwrap(), rgb());
        let p = color("path", "matrix", true, object_schema());
        assert_eq!(p.from_path(";R=100;G=200;B=150").unwrap(), rgb());
    }

    #[test]
    fn path_arrays_and_objects_may_be_empty() {
        let p = color("path", "simple", false, array_schema());
        assert_eq!(p.from_path("").unwrap(), json!([]));
        let p = color("path", "label", true, array_schema());
        assert_eq!(p.from_path(".").unwrap(), json!([]));
        let p = color("path", "matrix", true, array_schema());
        assert_eq!(p.from_path(";color").unwrap(), json!([]));
        let p = color("path", "matrix", true, object_schema());
        assert_eq!(p.from_path(";").unwrap(), json!({}));
    }

    #[test]
    fn a_missing_matrix_or_label_prefix_is_malformed() {
        let p = color("path", "matrix", false, string_schema());
        for raw in ["blue", ";colour=blue", ";color=blue;x=1", ""] {
            let v = p.from_path(raw).unwrap_err();
            assert_eq!(v.keyword, "malformed", "{raw}");
            assert_eq!(v.location, Location::Path("color".into(), vec![]));
            assert!(v.message.contains(";color"), "{}", v.message);
        }
        let p = color("path", "matrix", true, array_schema());
        assert_eq!(
            p.from_path(";color=a;other=b").unwrap_err().keyword,
            "malformed"
        );
        let p = color("path", "label", false, string_schema());
        let v = p.from_path("blue").unwrap_err();
        assert_eq!(v.keyword, "malformed");
        assert_eq!(v.path(), "path.color");
    }

    #[test]
    fn path_segments_are_percent_decoded_after_splitting() {
        let p = plan(json!({"name": "id", "in": "path", "schema": string_schema()}));
        assert_eq!(p.from_path("YWJj%3D%3D").unwrap(), json!("YWJj=="));
        assert_eq!(p.from_path("a+b").unwrap(), json!("a+b"));
        assert_eq!(p.from_path("caf%C3%A9").unwrap(), json!("café"));
        let p = color("path", "simple", false, array_schema());
        assert_eq!(p.from_path("a%2Cb,c").unwrap(), json!(["a,b", "c"]));
        let p = color("path", "matrix", false, string_schema());
        assert_eq!(p.from_path(";color=a%3Bb").unwrap(), json!("a;b"));
    }

    #[test]
    fn invalid_percent_escapes_in_a_path_are_malformed() {
        let p = plan(json!({"name": "id", "in": "path", "schema": string_schema()}));
        for raw in ["%zz", "abc%", "%4", "%FF", "%C3%28"] {
            let v = p.from_path(raw).unwrap_err();
            assert_eq!(v.keyword, "malformed", "{raw}");
            assert_eq!(v.location, Location::Path("id".into(), vec![]));
        }
        let p = color("path", "simple", false, array_schema());
        let v = p.from_path("ok,%zz").unwrap_err();
        assert_eq!(v.path(), "path.color[1]");
    }

    #[test]
    fn path_values_are_coerced_by_their_schema() {
        let p = plan(json!({"name": "id", "in": "path",
                            "schema": {"$ref": "#/components/schemas/Id"}}));
        assert_eq!(p.from_path("42").unwrap(), json!(42));
        assert_eq!(p.from_path("abc").unwrap(), json!("abc"));
        let p = color(
            "path",
            "simple",
            false,
            json!({"type": "array", "items": {"type": "integer"}}),
        );
        assert_eq!(p.from_path("1,2,3").unwrap(), json!([1, 2, 3]));
    }

    #[test]
    fn an_odd_number_of_object_items_is_malformed() {
        let p = color("path", "simple", false, object_schema());
        let v = p.from_path("R,100,G").unwrap_err();
        assert_eq!(v.keyword, "malformed");
        assert!(v.message.contains("3 items"), "{}", v.message);
    }

    #[test]
    fn a_member_named_twice_in_an_object_is_a_duplicate() {
        let p = color("path", "simple", true, object_schema());
        let v = p.from_path("R=1,R=2").unwrap_err();
        assert_eq!(v.keyword, "duplicate");
        assert_eq!(v.path(), "path.color.R");
    }

    // ---- the OpenAPI style examples, query ----

    #[test]
    fn form_query_style_examples() {
        for explode in [false, true] {
            let p = color("query", "form", explode, string_schema());
            assert_eq!(query(&p, "color=blue").unwrap(), Some(blue()));
            assert_eq!(query(&p, "color=").unwrap(), Some(json!("")));
        }
        let p = color("query", "form", false, array_schema());
        assert_eq!(query(&p, "color=blue,black,brown").unwrap(), Some(colors()));
        let p = color("query", "form", true, array_schema());
        assert_eq!(
            query(&p, "color=blue&color=black&color=brown").unwrap(),
            Some(colors())
        );
        let p = color("query", "form", false, object_schema());
        assert_eq!(query(&p, "color=R,100,G,200,B,150").unwrap(), Some(rgb()));
        let p = color("query", "form", true, object_schema());
        assert_eq!(query(&p, "R=100&G=200&B=150").unwrap(), Some(rgb()));
    }

    #[test]
    fn space_and_pipe_delimited_query_style_examples() {
        let p = color("query", "spaceDelimited", false, array_schema());
        assert_eq!(
            query(&p, "color=blue%20black%20brown").unwrap(),
            Some(colors())
        );
        assert_eq!(query(&p, "color=blue+black+brown").unwrap(), Some(colors()));
        let p = color("query", "spaceDelimited", false, object_schema());
        assert_eq!(
            query(&p, "color=R%20100%20G%20200%20B%20150").unwrap(),
            Some(rgb())
        );
        let p = color("query", "pipeDelimited", false, array_schema());
        assert_eq!(query(&p, "color=blue|black|brown").unwrap(), Some(colors()));
        assert_eq!(
            query(&p, "color=blue%7Cblack%7Cbrown").unwrap(),
            Some(colors())
        );
        let p = color("query", "pipeDelimited", false, object_schema());
        assert_eq!(query(&p, "color=R|100|G|200|B|150").unwrap(), Some(rgb()));
        // Exploded, they are repeated keys like form.
        let p = color("query", "pipeDelimited", true, array_schema());
        assert_eq!(
            query(&p, "color=blue&color=black&color=brown").unwrap(),
            Some(colors())
        );
    }

    #[test]
    fn deep_object_query_style_example() {
        let p = color("query", "deepObject", true, object_schema());
        assert_eq!(
            query(&p, "color[R]=100&color[G]=200&color[B]=150").unwrap(),
            Some(rgb())
        );
        assert_eq!(
            query(&p, "color%5BR%5D=100&color%5BG%5D=200&color%5BB%5D=150").unwrap(),
            Some(rgb())
        );
    }

    #[test]
    fn deep_objects_nested_past_the_limit_are_malformed_before_any_value_is_built() {
        let p = color("query", "deepObject", true, object_schema());
        let at_limit = format!("color[R]{}=1", "[a]".repeat(MAX_NESTING - 1));
        assert!(query(&p, &at_limit).is_ok());
        let past = format!("color[R]{}=1", "[a]".repeat(MAX_NESTING));
        let v = query(&p, &past).unwrap_err();
        assert_eq!(v.keyword, "malformed");
        assert!(v.message.contains("nested deeper"), "{}", v.message);
        let far_past = format!("color[R]{}=1", "[a]".repeat(100_000));
        assert_eq!(query(&p, &far_past).unwrap_err().keyword, "malformed");
    }

    #[test]
    fn deep_objects_take_only_their_own_keys_and_undeclared_members_stay_text() {
        let p = plan(
            json!({"name": "filter", "in": "query", "style": "deepObject",
            "schema": {"type": "object", "properties": {
                "role": {"type": "string"}, "page": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "integer"}}}}}),
        );
        let got = query(
            &p,
            "filter[role]=admin&page=9&filter[page]=2&filterx[a]=1&filter[extra]=007",
        )
        .unwrap();
        assert_eq!(
            got,
            Some(json!({"role": "admin", "page": 2, "extra": "007"}))
        );
        assert_eq!(
            query(&p, "filter[tags][]=1&filter[tags][]=2").unwrap(),
            Some(json!({"tags": [1, 2]}))
        );
        assert_eq!(
            query(&p, "filter[tags]=3").unwrap(),
            Some(json!({"tags": [3]}))
        );
        assert_eq!(query(&p, "page=2&filter=x").unwrap(), None);
    }

    #[test]
    fn deep_objects_nest_deeper_brackets_as_text_and_refuse_repeats() {
        let p = plan(json!({"name": "f", "in": "query", "style": "deepObject",
                            "schema": {"type": "object"}}));
        assert_eq!(
            query(&p, "f[a][b]=1&f[a][c]=x&f[d]=2").unwrap(),
            Some(json!({"a": {"b": "1", "c": "x"}, "d": "2"}))
        );
        let v = query(&p, "f[a][b]=1&f[a][b]=2").unwrap_err();
        assert_eq!(v.keyword, "duplicate");
        assert_eq!(v.path(), "query.f.a.b");
        let v = query(&p, "f[a]=1&f[a][b]=2").unwrap_err();
        assert_eq!(v.keyword, "malformed");
        let p = plan(json!({"name": "f", "in": "query", "style": "deepObject",
                            "schema": object_schema()}));
        let v = query(&p, "f[R]=1&f[R]=2").unwrap_err();
        assert_eq!(v.keyword, "duplicate");
        assert_eq!(v.path(), "query.f.R");
    }

    #[test]
    fn only_exploded_form_objects_with_additional_properties_need_the_other_names() {
        // The server gathers the operation's other query names only for these plans; any
        // other plan reads the same value with or without them.
        let open = json!({"type": "object", "additionalProperties": {"type": "integer"}});
        assert!(plan(json!({"name": "meta", "in": "query", "schema": open})).needs_other_names());
        for other in [
            plan(json!({"name": "meta", "in": "query", "explode": false, "schema": open})),
            plan(json!({"name": "meta", "in": "query", "style": "deepObject", "schema": open})),
            color("query", "form", true, object_schema()),
            plan(json!({"name": "limit", "in": "query", "schema": {"type": "integer"}})),
        ] {
            assert!(!other.needs_other_names(), "{other:?}");
        }
        let pairs = parse_query("role=admin&page=2&limit=5");
        let closed = color("query", "form", true, object_schema());
        assert_eq!(
            closed.from_query(&pairs).unwrap(),
            closed
                .from_query_except(&pairs, &["limit", "page"])
                .unwrap()
        );
    }

    #[test]
    fn exploded_form_objects_take_declared_properties_only_unless_additional_is_allowed() {
        let p = color("query", "form", true, object_schema());
        assert_eq!(
            query(&p, "R=1&limit=5&G=2").unwrap(),
            Some(json!({"R": 1, "G": 2}))
        );
        assert_eq!(query(&p, "limit=5").unwrap(), None);
        let open = plan(json!({"name": "meta", "in": "query", "schema": {
            "type": "object", "properties": {"role": {"type": "string"}},
            "additionalProperties": {"type": "integer"}}}));
        let pairs = parse_query("role=admin&page=2&limit=5");
        assert_eq!(
            open.from_query(&pairs).unwrap(),
            Some(json!({"role": "admin", "page": 2, "limit": 5}))
        );
        assert_eq!(
            open.from_query_except(&pairs, &["limit"]).unwrap(),
            Some(json!({"role": "admin", "page": 2}))
        );
    }

    #[test]
    fn an_exploded_form_property_given_twice_is_a_duplicate_unless_it_is_an_array() {
        let p = color("query", "form", true, object_schema());
        let v = query(&p, "R=1&R=2").unwrap_err();
        assert_eq!(v.keyword, "duplicate");
        assert_eq!(v.path(), "query.color.R");
        let p = plan(
            json!({"name": "o", "in": "query", "schema": {"type": "object",
            "properties": {"ids": {"type": "array", "items": {"type": "integer"}}}}}),
        );
        assert_eq!(
            query(&p, "ids=1&ids=2").unwrap(),
            Some(json!({"ids": [1, 2]}))
        );
    }

    #[test]
    fn a_scalar_given_twice_is_a_duplicate_with_a_sentence() {
        let p = plan(json!({"name": "limit", "in": "query", "schema": {"type": "integer"}}));
        let v = query(&p, "limit=1&limit=2").unwrap_err();
        assert_eq!(v.keyword, "duplicate");
        assert_eq!(v.location, Location::Query("limit".into(), vec![]));
        assert_eq!(
            v.to_string(),
            "query.limit: This value was given 2 times, but it takes a single value."
        );
        let p = color("query", "form", false, object_schema());
        assert_eq!(
            query(&p, "color=R,1&color=G,2").unwrap_err().keyword,
            "duplicate"
        );
        let p = plan(json!({"name": "f", "in": "query",
                            "content": {"application/json": {}}}));
        assert_eq!(query(&p, "f=1&f=2").unwrap_err().keyword, "duplicate");
    }

    #[test]
    fn an_array_may_be_repeated_and_an_unexploded_repeat_extends_the_list() {
        let p = plan(json!({"name": "id", "in": "query",
                            "schema": {"type": "array", "items": {"type": "integer"}}}));
        assert_eq!(query(&p, "id=1&x=0&id=2").unwrap(), Some(json!([1, 2])));
        assert_eq!(query(&p, "id=1").unwrap(), Some(json!([1])));
        let p = plan(json!({"name": "id", "in": "query", "explode": false,
                            "schema": {"type": "array", "items": {"type": "integer"}}}));
        assert_eq!(query(&p, "id=1,2&id=3").unwrap(), Some(json!([1, 2, 3])));
    }

    #[test]
    fn absent_parameters_are_none_and_empty_ones_are_empty() {
        let p = plan(json!({"name": "q", "in": "query", "schema": string_schema()}));
        assert_eq!(query(&p, "").unwrap(), None);
        assert_eq!(query(&p, "other=1").unwrap(), None);
        assert_eq!(query(&p, "Q=1").unwrap(), None, "names are case-sensitive");
        assert_eq!(query(&p, "q").unwrap(), Some(json!("")));
        let flag = plan(
            json!({"name": "flag", "in": "query", "allowEmptyValue": true,
                               "schema": {"type": "boolean"}}),
        );
        // Left as text: the validator says it is not a boolean.
        assert_eq!(query(&flag, "flag=").unwrap(), Some(json!("")));
        assert_eq!(query(&flag, "flag=true").unwrap(), Some(json!(true)));
        let ids = plan(json!({"name": "ids", "in": "query", "schema": array_schema()}));
        assert_eq!(query(&ids, "ids=").unwrap(), Some(json!([])));
    }

    #[test]
    fn query_values_that_fit_no_type_are_left_for_the_validator() {
        let p = plan(json!({"name": "limit", "in": "query", "schema": {"type": "number"}}));
        assert_eq!(query(&p, "limit=abc").unwrap(), Some(json!("abc")));
        assert_eq!(query(&p, "limit=2.5").unwrap(), Some(json!(2.5)));
    }

    #[test]
    fn a_parameter_without_a_schema_keeps_its_text_and_repeats_become_a_list() {
        let p = plan(json!({"name": "x", "in": "query"}));
        assert_eq!(query(&p, "x=007").unwrap(), Some(json!("007")));
        assert_eq!(query(&p, "x=1&x=b").unwrap(), Some(json!(["1", "b"])));
    }

    #[test]
    fn json_content_parameters_are_parsed_and_bad_json_is_malformed() {
        let p = plan(json!({"name": "filter", "in": "query",
            "content": {"application/json": {"schema": {"type": "object"}}}}));
        assert_eq!(
            query(&p, "filter=%7B%22a%22%3A1%7D").unwrap(),
            Some(json!({"a": 1}))
        );
        let v = query(&p, "filter=%7Bnope").unwrap_err();
        assert_eq!(v.keyword, "malformed");
        assert_eq!(v.path(), "query.filter");
        let p = plan(json!({"name": "f", "in": "path",
                            "content": {"application/json": {}}}));
        assert_eq!(p.from_path("%5B1%2C2%5D").unwrap(), json!([1, 2]));
        let p = plan(json!({"name": "f", "in": "header",
                            "content": {"application/json": {}}}));
        assert_eq!(
            p.from_header(" {\"a\": [true]} ").unwrap(),
            json!({"a": [true]})
        );
    }

    // ---- query strings ----

    #[test]
    fn query_strings_decode_plus_as_space_and_escapes() {
        assert_eq!(
            owned(parse_query("?q=a+b&id=YWJj%3D%3D&plus=1%2B1&eq=a=b")),
            vec![
                ("q".to_owned(), "a b".to_owned()),
                ("id".to_owned(), "YWJj==".to_owned()),
                ("plus".to_owned(), "1+1".to_owned()),
                ("eq".to_owned(), "a=b".to_owned()),
            ]
        );
        assert_eq!(
            owned(parse_query("a&&b=&%20k+=v")),
            vec![
                ("a".to_owned(), String::new()),
                ("b".to_owned(), String::new()),
                (" k ".to_owned(), "v".to_owned()),
            ]
        );
    }

    #[test]
    fn invalid_query_escapes_are_decoded_lossily_and_reported_on_request() {
        assert_eq!(
            owned(parse_query("a=%zz&b=%FF&c=100%")),
            vec![
                ("a".to_owned(), "%zz".to_owned()),
                ("b".to_owned(), "\u{FFFD}".to_owned()),
                ("c".to_owned(), "100%".to_owned()),
            ]
        );
        let found = query_encoding_violations("ok=1&a=%zz&b=%FF&c=100%&d=%E2%82%AC+x");
        let names: Vec<String> = found.iter().map(Violation::path).collect();
        assert_eq!(names, ["query.a", "query.b", "query.c"]);
        assert!(found.iter().all(|v| v.keyword == "malformed"));
        assert!(query_encoding_violations("a=%41&b=+").is_empty());
    }

    // ---- headers ----

    #[test]
    fn simple_header_style_examples_tolerate_whitespace() {
        for explode in [false, true] {
            let p = color("header", "simple", explode, string_schema());
            assert_eq!(p.from_header(" blue ").unwrap(), blue());
            let p = color("header", "simple", explode, array_schema());
            assert_eq!(p.from_header("blue, black,brown").unwrap(), colors());
        }
        let p = color("header", "simple", false, object_schema());
        assert_eq!(p.from_header("R,100, G,200, B,150").unwrap(), rgb());
        let p = color("header", "simple", true, object_schema());
        assert_eq!(p.from_header("R=100, G=200, B=150").unwrap(), rgb());
    }

    #[test]
    fn header_values_are_not_percent_decoded() {
        let p = plan(json!({"name": "X-Token", "in": "header", "schema": string_schema()}));
        assert_eq!(p.from_header("a%3Db").unwrap(), json!("a%3Db"));
        let p = plan(json!({"name": "X-Count", "in": "header", "schema": {"type": "integer"}}));
        assert_eq!(p.from_header("12").unwrap(), json!(12));
    }

    // ---- cookies ----

    #[test]
    fn cookie_headers_split_into_trimmed_pairs() {
        assert_eq!(
            owned(parse_cookies(" a=1; b = \"two\" ;flag; =x; c=x=y;;")),
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "two".to_owned()),
                ("c".to_owned(), "x=y".to_owned()),
            ]
        );
    }

    #[test]
    fn form_cookie_style_examples() {
        for explode in [false, true] {
            let p = color("cookie", "form", explode, string_schema());
            assert_eq!(cookie(&p, "color=blue").unwrap(), Some(blue()));
        }
        let p = color("cookie", "form", false, array_schema());
        assert_eq!(
            cookie(&p, "color=blue,black,brown").unwrap(),
            Some(colors())
        );
        let p = color("cookie", "form", true, array_schema());
        assert_eq!(
            cookie(&p, "color=blue; color=black; color=brown").unwrap(),
            Some(colors())
        );
        let p = color("cookie", "form", false, object_schema());
        assert_eq!(cookie(&p, "color=R,100,G,200,B,150").unwrap(), Some(rgb()));
        let p = color("cookie", "form", true, object_schema());
        assert_eq!(cookie(&p, "R=100; G=200; B=150").unwrap(), Some(rgb()));
    }

    #[test]
    fn cookie_values_are_percent_decoded_after_splitting_and_plus_is_kept() {
        let p = plan(json!({"name": "sid", "in": "cookie", "schema": string_schema()}));
        assert_eq!(cookie(&p, "sid=YWJj%3D%3D").unwrap(), Some(json!("YWJj==")));
        assert_eq!(cookie(&p, "sid=a+b").unwrap(), Some(json!("a+b")));
        assert_eq!(cookie(&p, "other=1").unwrap(), None);
        let p = color("cookie", "form", false, array_schema());
        assert_eq!(
            cookie(&p, "color=a%2Cb,c").unwrap(),
            Some(json!(["a,b", "c"]))
        );
        let p = plan(json!({"name": "sid", "in": "cookie", "schema": string_schema()}));
        let v = cookie(&p, "sid=1; sid=2").unwrap_err();
        assert_eq!(v.location, Location::Cookie("sid".into(), vec![]));
    }

    // ---- properties ----

    fn any_plan() -> impl Strategy<Value = ParamPlan> {
        let location = prop_oneof![
            Just(("path", "simple")),
            Just(("path", "label")),
            Just(("path", "matrix")),
            Just(("query", "form")),
            Just(("query", "spaceDelimited")),
            Just(("query", "pipeDelimited")),
            Just(("query", "deepObject")),
            Just(("header", "simple")),
            Just(("cookie", "form")),
        ];
        let schema = prop_oneof![
            Just(json!({"type": "integer"})),
            Just(json!({"type": ["number", "null"]})),
            Just(json!({"type": "boolean"})),
            Just(array_schema()),
            Just(json!({"type": "array", "items": {"type": "number"}})),
            Just(object_schema()),
            Just(json!({"type": "object", "additionalProperties": true})),
            Just(json!({})),
        ];
        (location, schema, any::<bool>(), any::<bool>()).prop_map(
            |((location, style), schema, explode, content)| {
                let mut p = json!({"name": "p", "in": location, "style": style,
                                   "explode": explode, "schema": schema});
                if content {
                    p["content"] = json!({"application/json": {}});
                }
                plan(p)
            },
        )
    }

    proptest! {
        #[test]
        fn parsers_never_panic_on_arbitrary_text(
            plan in any_plan(),
            s in any::<String>(),
            t in "[a-zA-Z0-9=;,.&%|\\[\\] +-]{0,30}",
        ) {
            for input in [&s, &t] {
                let pairs = parse_query(input);
                let cookies = parse_cookies(input);
                let _ = query_encoding_violations(input);
                let _ = plan.from_path(input);
                let _ = plan.from_header(input);
                let _ = plan.from_query(&pairs);
                let _ = plan.from_cookie(&cookies);
            }
        }

        #[test]
        fn percent_encoded_query_pairs_decode_to_what_was_encoded(
            key in "\\PC{1,12}",
            value in "\\PC{0,12}",
        ) {
            use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
            let raw = format!(
                "{}={}",
                utf8_percent_encode(&key, NON_ALPHANUMERIC),
                utf8_percent_encode(&value, NON_ALPHANUMERIC),
            );
            prop_assert_eq!(owned(parse_query(&raw)), vec![(key, value)]);
        }

        #[test]
        fn every_i64_is_read_back_as_itself(n in any::<i64>()) {
            prop_assert_eq!(TypeSet::INTEGER.coerce(&n.to_string()), json!(n));
            let number = TypeSet::from_name("number").unwrap_or(TypeSet::EMPTY);
            prop_assert_eq!(number.coerce(&n.to_string()), json!(n));
        }

        #[test]
        fn encoded_simple_path_arrays_split_into_exactly_their_items(
            items in proptest::collection::vec("\\PC{0,8}", 1..5),
        ) {
            use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
            prop_assume!(!(items.len() == 1 && items[0].is_empty()));
            let raw: Vec<String> = items
                .iter()
                .map(|i| utf8_percent_encode(i, NON_ALPHANUMERIC).to_string())
                .collect();
            let p = color("path", "simple", false, array_schema());
            prop_assert_eq!(p.from_path(&raw.join(",")).unwrap(), json!(items));
        }
    }

    #[test]
    fn a_parameters_wrong_values_are_quoted_only_in_part() {
        let r = Resources::new("file:///t.yaml", json!({}));
        let long = "n".repeat(500);
        let explode = json!({"k": "v".repeat(5000)});
        let err = ParamPlan::compile(
            &r,
            "file:///t.yaml",
            &json!({"name": long, "in": "query", "explode": explode}),
        )
        .unwrap_err();
        assert!(err.contains("`explode` must be true or false"), "{err}");
        assert!(err.len() < 200, "{err}");
        let err = ParamPlan::compile(
            &r,
            "file:///t.yaml",
            &json!({"name": "q", "in": "query", "style": [long]}),
        )
        .unwrap_err();
        assert!(err.len() < 200, "{err}");
    }
}
