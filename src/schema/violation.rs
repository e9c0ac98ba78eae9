//! Violations of a request (or response) against the spec, and the facts of an error answer.
//!
//! Violations stay data (where, which constraint, a sentence) until `errors` renders them in
//! the API's own error format; nothing here knows about HTTP or any error schema.

use std::borrow::Cow;
use std::fmt;

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Where in the request a violation is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A path parameter, then the steps inside its value (arrays and objects).
    Path(String, Vec<Segment>),
    Query(String, Vec<Segment>),
    Header(String, Vec<Segment>),
    Cookie(String, Vec<Segment>),
    /// The body; an empty list is the body itself.
    Body(Vec<Segment>),
    /// The request as a whole (credentials, content type, accept).
    Request,
}

/// One broken constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub location: Location,
    /// The constraint that failed.
    pub keyword: Keyword,
    /// A sentence for people.
    pub message: Cow<'static, str>,
}

impl Violation {
    /// Fixed keywords and messages are kept as they are, not copied.
    pub fn new(
        location: Location,
        keyword: impl Into<Keyword>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            location,
            keyword: keyword.into(),
            message: message.into(),
        }
    }

    /// The path as clients know it: `users[0].email` in a body, `query.limit` for a
    /// parameter, the empty string for the body itself.
    pub fn path(&self) -> String {
        let mut out = String::with_capacity(32);
        self.push_path(&mut out);
        out
    }

    /// Appends [`Violation::path`] to `out`.
    pub fn push_path(&self, out: &mut String) {
        let (prefix, name, steps) = match &self.location {
            Location::Path(n, s) => ("path", Some(n), s.as_slice()),
            Location::Query(n, s) => ("query", Some(n), s.as_slice()),
            Location::Header(n, s) => ("header", Some(n), s.as_slice()),
            Location::Cookie(n, s) => ("cookie", Some(n), s.as_slice()),
            Location::Body(s) => ("", None, s.as_slice()),
            Location::Request => return,
        };
        let start = out.len();
        if let Some(name) = name {
            out.push_str(prefix);
            out.push('.');
            out.push_str(name);
        }
        render_steps(out, start, steps);
    }

    /// A stable URN naming the broken constraint, for error formats that carry a type per
    /// violation.
    pub fn type_urn(&self) -> String {
        let keyword = self.keyword.as_str();
        let mut out = String::with_capacity(URN_PREFIX.len() + keyword.len());
        out.push_str(URN_PREFIX);
        out.push_str(keyword);
        out
    }
}

/// Declares [`Keyword`]: each variant with the name it is written as.
macro_rules! keywords {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// The constraint a violation breaks: a JSON Schema keyword as JSON Schema names it, or
        /// a check of the request layer (`missing`, `malformed`, `duplicate`, ...). Error
        /// formats and checks match on the variant; clients read [`Keyword::as_str`].
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Keyword {
            $($(#[$doc])* $variant,)*
            /// A name this list does not know: a behaviour's own rule (Alumio's `workers`).
            Other(Cow<'static, str>),
        }

        impl Keyword {
            /// The keyword as it is written.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Keyword::$variant => $name,)*
                    Keyword::Other(name) => name,
                }
            }

            /// The variant written `name`, or [`Keyword::Other`].
            pub fn named(name: impl Into<Cow<'static, str>>) -> Keyword {
                let name = name.into();
                match name.as_ref() {
                    $($name => Keyword::$variant,)*
                    _ => Keyword::Other(name),
                }
            }
        }
    };
}

keywords! {
    Type = "type",
    Enum = "enum",
    Const = "const",
    Format = "format",
    Pattern = "pattern",
    Required = "required",
    AdditionalProperties = "additionalProperties",
    UnevaluatedProperties = "unevaluatedProperties",
    PropertyNames = "propertyNames",
    MinProperties = "minProperties",
    MaxProperties = "maxProperties",
    DependentRequired = "dependentRequired",
    Minimum = "minimum",
    Maximum = "maximum",
    ExclusiveMinimum = "exclusiveMinimum",
    ExclusiveMaximum = "exclusiveMaximum",
    MultipleOf = "multipleOf",
    MinLength = "minLength",
    MaxLength = "maxLength",
    MinItems = "minItems",
    MaxItems = "maxItems",
    UniqueItems = "uniqueItems",
    Contains = "contains",
    MinContains = "minContains",
    MaxContains = "maxContains",
    AdditionalItems = "additionalItems",
    UnevaluatedItems = "unevaluatedItems",
    Items = "items",
    PrefixItems = "prefixItems",
    OneOf = "oneOf",
    AnyOf = "anyOf",
    AllOf = "allOf",
    Not = "not",
    FalseSchema = "falseSchema",
    /// A required parameter, header or body that is absent.
    Missing = "missing",
    /// A value that cannot be read in its parameter's style.
    Malformed = "malformed",
    /// A parameter sent more than once where one is allowed.
    Duplicate = "duplicate",
    /// A body that is not JSON.
    Json = "json",
    /// A body that is not in its declared character encoding.
    Encoding = "encoding",
    /// An answer whose status the operation does not declare.
    Status = "status",
    /// A value that must be unique in the world (an id taken).
    Unique = "unique",
}

impl From<&'static str> for Keyword {
    fn from(name: &'static str) -> Keyword {
        Keyword::named(name)
    }
}

impl From<String> for Keyword {
    fn from(name: String) -> Keyword {
        Keyword::named(name)
    }
}

impl PartialEq<str> for Keyword {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Keyword {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const URN_PREFIX: &str = "urn:understudy:violation:";

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path();
        if path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{path}: {}", self.message)
        }
    }
}

/// Appends the steps to a path that began at `start` in `out`.
fn render_steps(out: &mut String, start: usize, steps: &[Segment]) {
    use std::fmt::Write as _;
    for step in steps {
        match step {
            Segment::Index(i) => {
                // Writing to a `String` cannot fail.
                let _ = write!(out, "[{i}]");
            }
            Segment::Key(k) => {
                if out.len() > start {
                    out.push('.');
                }
                out.push_str(k);
            }
        }
    }
}

/// Splits an RFC 6901 JSON pointer into steps; numeric tokens are read as indexes.
pub fn segments_from_pointer(pointer: &str) -> Vec<Segment> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|t| {
            let t = crate::document::refs::unescape_token(t);
            match t.parse::<usize>() {
                Ok(i) if !t.starts_with('+') => Segment::Index(i),
                _ => Segment::Key(t),
            }
        })
        .collect()
}

/// Everything an error answer says, before it is shaped into an API's error format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorFacts {
    pub status: u16,
    /// Short, the same for every occurrence of this kind of error ("Validation failed").
    pub title: Cow<'static, str>,
    /// What happened this time.
    pub detail: Cow<'static, str>,
    pub violations: Vec<Violation>,
    /// The request path, for formats with an `instance` member.
    pub instance: Option<String>,
}

impl ErrorFacts {
    /// Fixed titles and details are kept as they are, not copied.
    pub fn new(
        status: u16,
        title: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            title: title.into(),
            detail: detail.into(),
            violations: Vec::new(),
            instance: None,
        }
    }

    pub fn with_violations(mut self, violations: Vec<Violation>) -> Self {
        self.violations = violations;
        self
    }

    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyword_reads_back_as_the_name_it_was_made_from() {
        for name in [
            "type",
            "required",
            "exclusiveMinimum",
            "missing",
            "json",
            "workers",
            "",
        ] {
            let k = Keyword::named(name);
            assert_eq!(k.as_str(), name);
            assert_eq!(Keyword::named(k.to_string()), k);
        }
        assert_eq!(Keyword::from("required"), Keyword::Required);
        assert_eq!(Keyword::from("workers"), Keyword::Other("workers".into()));
        assert_ne!(Keyword::named("Required"), Keyword::Required);
    }

    #[test]
    fn body_paths_read_like_property_paths() {
        let v = Violation::new(
            Location::Body(segments_from_pointer("/users/0/email")),
            "format",
            "This value is not a valid email address.",
        );
        assert_eq!(v.path(), "users[0].email");
        assert_eq!(
            v.to_string(),
            "users[0].email: This value is not a valid email address."
        );
    }

    #[test]
    fn parameter_paths_carry_their_location() {
        let v = Violation::new(
            Location::Query("limit".into(), vec![]),
            "maximum",
            "too big",
        );
        assert_eq!(v.path(), "query.limit");
        let v = Violation::new(
            Location::Query("ids".into(), vec![Segment::Index(2)]),
            "type",
            "x",
        );
        assert_eq!(v.path(), "query.ids[2]");
    }

    #[test]
    fn the_body_itself_has_an_empty_path() {
        let v = Violation::new(Location::Body(vec![]), "type", "x");
        assert_eq!(v.path(), "");
        assert_eq!(v.to_string(), "x");
    }

    #[test]
    fn pointer_tokens_are_unescaped() {
        assert_eq!(
            segments_from_pointer("/a~1b/c~0d/3"),
            vec![
                Segment::Key("a/b".into()),
                Segment::Key("c~d".into()),
                Segment::Index(3)
            ]
        );
    }
}
