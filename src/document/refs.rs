//! The files of one loaded OpenAPI document and `$ref` resolution across them.
//!
//! A document is one root file plus every file its relative `$ref`s reach. Each file is held
//! whole, as a `serde_json::Value`, under its absolute URI (without fragment); references
//! resolve the way JSON Schema resolves them: the reference is joined to the base URI of the
//! file it appears in, then the fragment is walked as a JSON pointer.

use std::collections::HashMap;

use serde_json::Value;
use url::Url;

use crate::document::problems::excerpt;

/// Why a `$ref` could not be followed. Messages quote the reference (and the pointer it
/// holds) only in part: a document's text is no more trusted in a `$ref` than elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("`{}` is not a valid reference: {reason}", excerpt(reference))]
    BadUri { reference: String, reason: String },
    #[error(
        "`{}` points to a file that was not loaded ({file})",
        excerpt(reference)
    )]
    UnknownFile { reference: String, file: String },
    #[error(
        "`{}` points to nothing: no value at `{}` in {file}",
        excerpt(reference),
        excerpt(pointer)
    )]
    NoTarget {
        reference: String,
        file: String,
        pointer: String,
    },
    #[error("`{}` is part of a reference cycle", excerpt(reference))]
    Cycle { reference: String },
}

/// A value together with the URI of the file it lives in: relative references inside it
/// resolve against that URI.
#[derive(Debug, Clone, Copy)]
pub struct Located<'a> {
    pub base: &'a str,
    pub value: &'a Value,
}

/// Every file of one document, keyed by absolute URI.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    files: HashMap<String, Value>,
    root: String,
}

/// How many `$ref` hops a chain may take before it is called a cycle.
const MAX_HOPS: usize = 64;

impl Resources {
    /// A document whose root file is `root` at `uri`.
    pub fn new(uri: impl Into<String>, root: Value) -> Self {
        let uri = strip_fragment(&uri.into()).to_owned();
        let mut files = HashMap::new();
        files.insert(uri.clone(), root);
        Self { files, root: uri }
    }

    /// Adds another file reached from the root.
    pub fn insert(&mut self, uri: impl Into<String>, value: Value) {
        self.files
            .insert(strip_fragment(&uri.into()).to_owned(), value);
    }

    pub fn root_uri(&self) -> &str {
        &self.root
    }

    pub fn root(&self) -> &Value {
        // The root is inserted by `new` and never removed.
        &self.files[&self.root]
    }

    pub fn file(&self, uri: &str) -> Option<&Value> {
        self.files.get(strip_fragment(uri))
    }

    pub fn file_mut(&mut self, uri: &str) -> Option<&mut Value> {
        self.files.get_mut(strip_fragment(uri))
    }

    pub fn files(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.files.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The absolute URI a reference found in `base` names, fragment included.
    pub fn absolute(base: &str, reference: &str) -> Result<String, RefError> {
        if let Some(fragment) = reference.strip_prefix('#') {
            return Ok(format!("{}#{}", strip_fragment(base), fragment));
        }
        let base_url = Url::parse(base).map_err(|e| RefError::BadUri {
            reference: base.to_owned(),
            reason: e.to_string(),
        })?;
        let joined = base_url.join(reference).map_err(|e| RefError::BadUri {
            reference: reference.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(joined.to_string())
    }

    /// Follows one reference found in the file at `base`.
    pub fn resolve<'a>(&'a self, base: &str, reference: &str) -> Result<Located<'a>, RefError> {
        let absolute = Self::absolute(base, reference)?;
        let (file_uri, fragment) = match absolute.split_once('#') {
            Some((f, frag)) => (f, frag),
            None => (absolute.as_str(), ""),
        };
        let (stored_uri, file) =
            self.files
                .get_key_value(file_uri)
                .ok_or_else(|| RefError::UnknownFile {
                    reference: reference.to_owned(),
                    file: file_uri.to_owned(),
                })?;
        let pointer = percent_encoding::percent_decode_str(fragment)
            .decode_utf8()
            .map_err(|e| RefError::BadUri {
                reference: reference.to_owned(),
                reason: e.to_string(),
            })?;
        let value = file.pointer(&pointer).ok_or_else(|| RefError::NoTarget {
            reference: reference.to_owned(),
            file: file_uri.to_owned(),
            pointer: pointer.to_string(),
        })?;
        Ok(Located {
            base: stored_uri,
            value,
        })
    }

    /// Follows `$ref` on `value` (found in `base`) until a value without `$ref` is reached.
    /// Sibling keys of a `$ref` are not merged here: callers that care (schemas in 2020-12
    /// apply both) handle them.
    pub fn deref<'a>(&'a self, base: &'a str, value: &'a Value) -> Result<Located<'a>, RefError> {
        let mut current = Located { base, value };
        for _ in 0..MAX_HOPS {
            match current.value.get("$ref").and_then(Value::as_str) {
                Some(reference) => current = self.resolve(current.base, reference)?,
                None => return Ok(current),
            }
        }
        Err(RefError::Cycle {
            reference: value
                .get("$ref")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        })
    }
}

fn strip_fragment(uri: &str) -> &str {
    uri.split_once('#').map_or(uri, |(f, _)| f)
}

// JSON pointers (RFC 6901) are written and read here only: `~` is `~0` and `/` is `~1` in a
// token. serde_json's `Value::pointer` reads them when a value is looked up.

/// Appends tokens to a JSON pointer.
/// Characters a JSON pointer cannot keep as they are in a URI fragment.
const FRAGMENT: percent_encoding::AsciiSet = percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// `pointer` written as a URI fragment (without the `#`), percent-encoded where it must be.
pub fn pointer_fragment(pointer: &str) -> String {
    percent_encoding::utf8_percent_encode(pointer, &FRAGMENT).collect()
}

pub fn pointer_join(pointer: &str, tokens: &[&str]) -> String {
    let mut out = pointer.to_owned();
    for t in tokens {
        push_token(&mut out, t);
    }
    out
}

/// Appends `/` and one escaped token to a JSON pointer, in place.
pub fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// The tokens of a JSON pointer, unescaped: `/a~1b/c~0d` gives `a/b` and `c~d`; `""` (the
/// whole document) gives none.
pub fn pointer_tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer.split('/').skip(1).map(unescape_token)
}

/// One token of a JSON pointer, unescaped (`~1` before `~0`, so `~01` reads `~1`).
pub fn unescape_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn local_references_resolve_within_the_same_file() {
        let r = Resources::new(
            "file:///a/root.yaml",
            json!({"components": {"schemas": {"A": {"type": "string"}}}}),
        );
        let got = r
            .resolve("file:///a/root.yaml", "#/components/schemas/A")
            .unwrap();
        assert_eq!(got.value, &json!({"type": "string"}));
        assert_eq!(got.base, "file:///a/root.yaml");
    }

    #[test]
    fn relative_file_references_resolve_against_the_referring_file() {
        let mut r = Resources::new("file:///a/root.yaml", json!({}));
        r.insert("file:///a/sub/pet.yaml", json!({"Pet": {"type": "object"}}));
        let got = r
            .resolve("file:///a/root.yaml", "sub/pet.yaml#/Pet")
            .unwrap();
        assert_eq!(got.value, &json!({"type": "object"}));
        assert_eq!(got.base, "file:///a/sub/pet.yaml");
    }

    #[test]
    fn escaped_pointer_tokens_are_decoded() {
        let r = Resources::new("file:///r.json", json!({"paths": {"/pets/{id}": {"x": 1}}}));
        let got = r
            .resolve("file:///r.json", "#/paths/~1pets~1%7Bid%7D/x")
            .unwrap();
        assert_eq!(got.value, &json!(1));
    }

    #[test]
    fn joined_tokens_are_escaped_and_read_back() {
        let joined = pointer_join("/paths", &["/pets/{id}", "a~b", ""]);
        assert_eq!(joined, "/paths/~1pets~1{id}/a~0b/");
        let r = Resources::new(
            "file:///r.json",
            json!({"paths": {"/pets/{id}": {"a~b": {"": 7}}}}),
        );
        let got = r.resolve("file:///r.json", &format!("#{joined}")).unwrap();
        assert_eq!(got.value, &json!(7));
        let tokens: Vec<String> = pointer_tokens(&joined).collect();
        assert_eq!(tokens, ["paths", "/pets/{id}", "a~b", ""]);
        assert_eq!(unescape_token("~01"), "~1");
        assert_eq!(pointer_tokens("").count(), 0);
    }

    #[test]
    fn a_chain_of_references_is_followed_and_a_cycle_is_reported() {
        let r = Resources::new(
            "file:///r.json",
            json!({"a": {"$ref": "#/b"}, "b": {"$ref": "#/c"}, "c": {"type": "integer"},
                   "x": {"$ref": "#/y"}, "y": {"$ref": "#/x"}}),
        );
        let root = r.root();
        let got = r.deref("file:///r.json", &root["a"]).unwrap();
        assert_eq!(got.value, &json!({"type": "integer"}));
        let err = r.deref("file:///r.json", &root["x"]).unwrap_err();
        assert!(matches!(err, RefError::Cycle { .. }));
    }

    #[test]
    fn missing_targets_and_files_are_errors() {
        let r = Resources::new("file:///r.json", json!({}));
        assert!(matches!(
            r.resolve("file:///r.json", "#/nope"),
            Err(RefError::NoTarget { .. })
        ));
        assert!(matches!(
            r.resolve("file:///r.json", "other.json#/x"),
            Err(RefError::UnknownFile { .. })
        ));
    }
}
