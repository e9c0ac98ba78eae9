//! Reading OpenAPI documents: YAML or JSON text into `serde_json::Value`, plus every file
//! their relative `$ref`s reach, and the bundled documents embedded in the binary.
//!
//! Documents are untrusted (understudy runs in CI on documents from pull requests), so a
//! `$ref` reads only files inside the folders a [`RefPolicy`] allows (see `ref_policy`), and
//! no message quotes a referenced file's text: a broken one is reported by position only.
//! A document given by URL is fetched (`fetch`); its `$ref`s resolve against its URL and are
//! fetched from its own origin (scheme, host and port) only, never from a file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use url::Url;

use crate::document::fetch::{self, FetchError};
use crate::document::problems::Problems;
use crate::document::ref_policy::{AccessError, Readable};
use crate::document::refs::{RefError, Resources};

pub use crate::document::ref_policy::{RefPolicy, RefPolicyError};

/// Where a document comes from.
#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    /// A document embedded in the binary: its name and text.
    Bundled {
        name: &'static str,
        text: &'static str,
    },
    /// Text handed over by a library user, under a name used in messages.
    Text {
        name: String,
        text: String,
    },
    /// An http:// or https:// URL, fetched when loaded.
    Url(Url),
}

/// The bundled documents, in the order they are served.
pub const BUNDLED: &[(&str, &str)] = &[
    ("alumio", include_str!("../../specs/alumio.yaml")),
    ("gitbook", include_str!("../../specs/gitbook.yaml")),
    ("arize", include_str!("../../specs/arize.yaml")),
];

/// The bundled documents as sources.
pub fn bundled() -> Vec<Source> {
    BUNDLED
        .iter()
        .map(|(name, text)| Source::Bundled { name, text })
        .collect()
}

impl Source {
    /// A short name for messages and `routes`: the bundled name or the file stem.
    pub fn name(&self) -> String {
        match self {
            Source::File(p) => p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string()),
            Source::Bundled { name, .. } => (*name).to_owned(),
            Source::Text { name, .. } => name.clone(),
            Source::Url(url) => url
                .path_segments()
                .and_then(|mut segments| segments.rfind(|s| !s.is_empty()))
                .map(|file| file.split('.').next().unwrap_or(file).to_owned())
                .filter(|stem| !stem.is_empty())
                .unwrap_or_else(|| url.host_str().unwrap_or("document").to_owned()),
        }
    }

    /// The URI the root file is known by: relative `$ref`s resolve against it.
    fn uri(&self) -> Result<String, String> {
        match self {
            Source::File(p) => {
                let abs = std::path::absolute(p).map_err(|e| format!("{}: {e}", p.display()))?;
                Url::from_file_path(&abs)
                    .map(|u| u.to_string())
                    .map_err(|()| format!("{} is not a usable file path", abs.display()))
            }
            Source::Bundled { name, .. } => Ok(format!("file:///understudy/specs/{name}.yaml")),
            Source::Text { name, .. } => Ok(format!("file:///understudy/text/{name}")),
            Source::Url(url) => {
                let mut url = url.clone();
                url.set_fragment(None);
                Ok(url.to_string())
            }
        }
    }
}

/// Why a referenced file was not loaded. Neither quotes the file's text: a refused file is
/// never read, and a broken one is only located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefFileError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("`$ref` to {}: {syntax}", path.display())]
    Malformed { path: PathBuf, syntax: String },
    #[error("`$ref`: {0}")]
    Fetch(#[from] FetchError),
    #[error("`$ref` to {url}: {syntax}")]
    MalformedFetched { url: String, syntax: String },
}

/// Where the files a document's `$ref`s name may come from.
enum RefReader {
    /// The folders the policy allows (a document read from a file).
    Files(Readable),
    /// The document's own origin (a document fetched by URL).
    Web(url::Origin),
    /// Nowhere (a bundled document, or text handed over).
    Nowhere,
}

/// Reads a document and the files it references, within the folders `policy` allows.
/// File-level failures (unreadable, not YAML) and unreachable or refused references land in
/// `problems`; `None` when there is no root to go on with.
pub fn load(source: &Source, policy: &RefPolicy, problems: &mut Problems) -> Option<Resources> {
    let uri = match source.uri() {
        Ok(u) => u,
        Err(e) => {
            problems.error(&source.name(), "", e);
            return None;
        }
    };
    let (root, reader) = match source {
        Source::File(p) => (
            read_root(p, &uri, problems)?,
            RefReader::Files(policy.readable_for(p)),
        ),
        Source::Bundled { text, .. } => (parse_root(text, &uri, problems)?, RefReader::Nowhere),
        Source::Text { text, .. } => (parse_root(text, &uri, problems)?, RefReader::Nowhere),
        Source::Url(url) => match fetch::fetch(url, None, policy.fetch_limits()) {
            Ok(text) => (
                parse_root(&text, &uri, problems)?,
                RefReader::Web(url.origin()),
            ),
            Err(e) => {
                problems.error(&uri, "", e.to_string());
                return None;
            }
        },
    };
    let mut resources = Resources::new(uri.clone(), root);
    // Targets that could not be loaded, so each `$ref` to one is reported without reading
    // it again.
    let mut failed: HashMap<String, RefFileError> = HashMap::new();
    let mut pending = vec![uri];
    while let Some(file_uri) = pending.pop() {
        let mut found = Vec::new();
        if let Some(value) = resources.file(&file_uri) {
            collect_external_refs(value, &file_uri, "", &mut found);
        }
        for (pointer, target) in found {
            if resources.file(&target).is_some() {
                continue;
            }
            if let Some(e) = failed.get(&target) {
                problems.error(&file_uri, &pointer, e.to_string());
                continue;
            }
            let quoted = crate::document::problems::excerpt(&target);
            let Ok(url) = Url::parse(&target) else {
                problems.error(
                    &file_uri,
                    &pointer,
                    format!("`{quoted}` is not a valid URI"),
                );
                continue;
            };
            let read = match (&reader, url.scheme()) {
                (RefReader::Web(origin), "http" | "https") => {
                    if url.origin() != *origin {
                        problems.error(
                            &file_uri,
                            &pointer,
                            format!(
                                "`{quoted}` is on another origin than the document's ({}): a \
                                 `$ref` is fetched from the document's own origin only",
                                origin.ascii_serialization()
                            ),
                        );
                        continue;
                    }
                    fetch_referenced(&url, origin, policy)
                }
                (RefReader::Web(_), _) => {
                    problems.error(
                        &file_uri,
                        &pointer,
                        format!("`{quoted}`: a document fetched by URL cannot reference files"),
                    );
                    continue;
                }
                (_, "file") => {
                    let Ok(path) = url.to_file_path() else {
                        problems.error(
                            &file_uri,
                            &pointer,
                            format!("`{quoted}` is not a file path"),
                        );
                        continue;
                    };
                    let RefReader::Files(readable) = &reader else {
                        problems.error(
                            &file_uri,
                            &pointer,
                            format!("`{quoted}`: a document given as text cannot reference files"),
                        );
                        continue;
                    };
                    read_referenced(&path, readable)
                }
                _ => {
                    problems.error(
                        &file_uri,
                        &pointer,
                        format!(
                            "remote reference `{quoted}` is not supported: only files are read \
                             (a document given by URL may reference its own origin)"
                        ),
                    );
                    continue;
                }
            };
            match read {
                Ok(value) => {
                    resources.insert(target.clone(), value);
                    pending.push(target);
                }
                Err(e) => {
                    problems.error(&file_uri, &pointer, e.to_string());
                    failed.insert(target, e);
                }
            }
        }
    }
    check_refs(&resources, problems);
    Some(resources)
}

/// Fetches and parses a file a `$ref` of a document given by URL names, on its origin.
fn fetch_referenced(
    url: &Url,
    origin: &url::Origin,
    policy: &RefPolicy,
) -> Result<Value, RefFileError> {
    let text = fetch::fetch(url, Some(origin), policy.fetch_limits())?;
    parse_text(&text).map_err(|e| RefFileError::MalformedFetched {
        url: url.to_string(),
        syntax: e.located(),
    })
}

/// Reads and parses a file a `$ref` names, if `readable` allows it.
fn read_referenced(path: &Path, readable: &Readable) -> Result<Value, RefFileError> {
    let text = readable.read(path)?;
    parse_text(&text).map_err(|e| RefFileError::Malformed {
        path: path.to_owned(),
        syntax: e.located(),
    })
}

/// The document's own file: named by the user, so its parser message is given in full.
fn read_root(path: &Path, uri: &str, problems: &mut Problems) -> Option<Value> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_root(&text, uri, problems),
        Err(e) => {
            problems.error(uri, "", format!("cannot read {}: {e}", path.display()));
            None
        }
    }
}

fn parse_root(text: &str, uri: &str, problems: &mut Problems) -> Option<Value> {
    match parse_text(text) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.error(uri, "", e.to_string());
            None
        }
    }
}

/// Text that is not a YAML or JSON document. `Display` gives the parser's own words, which
/// may quote the text; [`ParseError::located`] gives only where and what kind of text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.full())]
pub struct ParseError {
    syntax: Syntax,
    /// Line and column, from 1.
    at: Option<(usize, usize)>,
    /// The parser's message, without its position.
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Json,
    Yaml,
    /// YAML whose `<<` merge keys cannot be applied.
    YamlMerge,
}

impl ParseError {
    fn full(&self) -> String {
        format!("{}: {}", self.located(), self.message)
    }

    /// Where the text breaks, without a word of it: what a message about a file the
    /// document only references may say.
    pub fn located(&self) -> String {
        let what = match self.syntax {
            Syntax::Json => "not valid JSON",
            Syntax::Yaml => "not valid YAML",
            Syntax::YamlMerge => "its YAML merge keys (`<<`) cannot be applied",
        };
        match self.at {
            Some((line, column)) => format!("{what} at line {line}, column {column}"),
            None => what.to_owned(),
        }
    }
}

/// Parses YAML or JSON. JSON is tried first when the text looks like JSON, for its better
/// messages; YAML keys that are not strings (`200:`) become strings, as OpenAPI means them.
pub fn parse_text(text: &str) -> Result<Value, ParseError> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str::<Value>(text).map_err(|e| {
            let full = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            ParseError {
                syntax: Syntax::Json,
                at: (e.line() > 0).then(|| (e.line(), e.column())),
                message: full.strip_suffix(&suffix).unwrap_or(&full).to_owned(),
            }
        });
    }
    let mut v = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text).map_err(|e| {
        let full = e.to_string();
        let at = e.location().map(|l| (l.line(), l.column()));
        let message = match at {
            Some((line, column)) => {
                let suffix = format!(" at line {line} column {column}");
                full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
            }
            None => full,
        };
        ParseError {
            syntax: Syntax::Yaml,
            at,
            message,
        }
    })?;
    v.apply_merge().map_err(|e| ParseError {
        syntax: Syntax::YamlMerge,
        at: None,
        message: e.to_string(),
    })?;
    Ok(yaml_to_json(v))
}

/// Every `$ref` in every file must point at something: each one that does not is reported at
/// its own pointer, so a broken document is listed whole rather than schema by schema.
fn check_refs(resources: &Resources, problems: &mut Problems) {
    let mut refs = Vec::new();
    for (uri, value) in resources.files() {
        collect_refs(value, "", &mut |pointer, reference| {
            refs.push((uri.to_owned(), pointer, reference.to_owned()));
        });
    }
    refs.sort();
    for (uri, pointer, reference) in refs {
        match resources.resolve(&uri, &reference) {
            Ok(_) | Err(RefError::UnknownFile { .. }) => {} // reported when loading the file
            Err(e) => problems.error(&uri, &pointer, e.to_string()),
        }
    }
}

/// Calls `found(pointer of the $ref, reference)` for every `$ref` outside example data.
fn collect_refs(value: &Value, pointer: &str, found: &mut dyn FnMut(String, &str)) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                found(format!("{pointer}/$ref"), r);
            }
            for (k, v) in map {
                // Examples are data, not structure: a `$ref` key inside one is just a key.
                if k == "example" || k == "examples" || k == "const" || k == "enum" {
                    continue;
                }
                collect_refs(
                    v,
                    &crate::document::refs::pointer_join(pointer, &[k]),
                    found,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_refs(v, &format!("{pointer}/{i}"), found);
            }
        }
        _ => {}
    }
}

fn yaml_to_json(v: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(seq) => Value::Array(seq.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (yaml_key(k), yaml_to_json(v)))
                .collect(),
        ),
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

fn yaml_key(k: serde_yaml_ng::Value) -> String {
    use serde_yaml_ng::Value as Y;
    match k {
        Y::String(s) => s,
        Y::Bool(b) => b.to_string(),
        Y::Number(n) => n.to_string(),
        Y::Null => "null".to_owned(),
        other => serde_yaml_ng::to_string(&other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// Every `$ref` whose target is another file, as (pointer of the `$ref`, absolute file URI).
fn collect_external_refs(
    value: &Value,
    base: &str,
    pointer: &str,
    out: &mut Vec<(String, String)>,
) {
    collect_refs(value, pointer, &mut |here, r| {
        if r.starts_with('#') {
            return;
        }
        match Resources::absolute(base, r) {
            Ok(abs) => {
                let file = abs.split_once('#').map_or(abs.as_str(), |(f, _)| f);
                out.push((here, file.to_owned()));
            }
            Err(_) => out.push((here, r.to_owned())),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder under the system's temporary folder (outside the working directory, which
    /// is the crate during tests), removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir =
                std::env::temp_dir().join(format!("understudy-load-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("docs")).unwrap();
            Scratch(dir)
        }
        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let path = self.0.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        }
        /// `docs/root.yaml` with one schema `$ref` to `target`.
        fn root_to(&self, target: &str) -> Source {
            Source::File(self.write("docs/root.yaml", &format!("a: {{$ref: '{target}'}}\n")))
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const MARKER: &str = "MARKER-of-a-secret-7f3a";

    fn load_errors(source: &Source, policy: &RefPolicy) -> Vec<crate::document::problems::Problem> {
        let mut p = Problems::default();
        load(source, policy, &mut p).expect("the root file loads");
        p.errors().cloned().collect()
    }

    #[test]
    fn yaml_integer_keys_become_strings() {
        let v = parse_text("responses:\n  200:\n    description: ok\n").unwrap();
        assert_eq!(v["responses"]["200"]["description"], "ok");
    }

    #[test]
    fn malformed_yaml_is_a_located_problem() {
        let e = parse_text("a: [1, 2\nb: }").unwrap_err();
        assert!(e.to_string().contains("line"), "{e}");
        assert_eq!(e.located(), "not valid YAML at line 2, column 2");
    }

    #[test]
    fn malformed_json_reports_line_and_column() {
        let e = parse_text("{\"a\": \n  nope}").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(e.to_string().contains("expected ident"), "{e}");
    }

    #[test]
    fn a_root_that_does_not_parse_is_reported_with_the_parsers_words() {
        let mut p = Problems::default();
        let source = Source::Text {
            name: "t".to_owned(),
            text: "a: [1, 2\nb: }".to_owned(),
        };
        assert!(load(&source, &RefPolicy::default(), &mut p).is_none());
        assert!(
            p.all()[0].message.contains("did not find expected"),
            "{p:?}"
        );
    }

    #[test]
    fn relative_file_references_are_loaded_and_missing_ones_reported_at_their_ref() {
        let s = Scratch::new("relative");
        s.write("docs/shared/pet.yaml", "Pet: {type: object}\n");
        let root = s.write(
            "docs/root.yaml",
            "a: {$ref: 'shared/pet.yaml#/Pet'}\nb: {$ref: 'missing.yaml#/X'}\n",
        );
        let mut p = Problems::default();
        let r = load(&Source::File(root), &RefPolicy::default(), &mut p).unwrap();
        assert_eq!(r.files().count(), 2);
        let errors: Vec<_> = p.errors().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].pointer, "/b/$ref");
        assert!(errors[0].message.contains("missing.yaml"), "{errors:?}");
        assert!(errors[0].message.contains("cannot read it"), "{errors:?}");
    }

    #[test]
    fn a_ref_to_an_absolute_path_outside_is_refused_without_reading_it() {
        let s = Scratch::new("absolute");
        let secret = s.write("secret.yaml", &format!("{MARKER}: {MARKER}\n"));
        let source = s.root_to(&secret.display().to_string());
        let errors = load_errors(&source, &RefPolicy::default());
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert_eq!(e.pointer, "/a/$ref");
        assert!(e.message.contains(&secret.display().to_string()), "{e}");
        assert!(e.message.contains("outside the folders"), "{e}");
        assert!(e.message.contains("--allow-ref-dir"), "{e}");
        assert!(!e.to_string().contains(MARKER), "{e}");
    }

    #[test]
    fn a_ref_to_etc_passwd_is_refused() {
        let s = Scratch::new("passwd");
        let errors = load_errors(&s.root_to("/etc/passwd"), &RefPolicy::default());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].message.contains("`$ref` to /etc/passwd"),
            "{errors:?}"
        );
        assert!(!errors[0].message.contains("root:"), "{errors:?}");
    }

    #[test]
    fn dot_dot_escapes_are_refused_on_the_canonical_path() {
        let s = Scratch::new("dotdot");
        s.write("secret.yaml", &format!("{MARKER}: 1\n"));
        let deep = "../".repeat(40);
        for target in [
            "../secret.yaml".to_owned(),
            "./../docs/../secret.yaml".to_owned(),
            "%2e%2e/secret.yaml".to_owned(),
            format!("{deep}etc/passwd"),
        ] {
            let errors = load_errors(&s.root_to(&target), &RefPolicy::default());
            assert_eq!(errors.len(), 1, "{target}: {errors:?}");
            assert!(
                errors[0].message.contains("outside the folders"),
                "{target}: {errors:?}"
            );
            assert!(!errors[0].to_string().contains(MARKER), "{errors:?}");
        }
    }

    #[test]
    fn a_folder_whose_name_only_starts_like_the_documents_is_outside() {
        let s = Scratch::new("prefix");
        s.write("docs-evil/x.yaml", &format!("{MARKER}: 1\n"));
        let errors = load_errors(&s.root_to("../docs-evil/x.yaml"), &RefPolicy::default());
        assert!(
            errors[0].message.contains("outside the folders"),
            "{errors:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_inside_pointing_outside_is_refused() {
        let s = Scratch::new("symlink");
        let secret = s.write("secret.yaml", &format!("{MARKER}: 1\n"));
        std::os::unix::fs::symlink(&secret, s.0.join("docs/link.yaml")).unwrap();
        std::os::unix::fs::symlink(&s.0, s.0.join("docs/up")).unwrap();
        for target in ["link.yaml", "up/secret.yaml"] {
            let errors = load_errors(&s.root_to(target), &RefPolicy::default());
            assert_eq!(errors.len(), 1, "{errors:?}");
            let e = &errors[0];
            assert!(e.message.contains("outside the folders"), "{e}");
            assert!(e.message.contains(target), "{e}");
            assert!(e.message.contains("(which is "), "{e}");
            assert!(!e.to_string().contains(MARKER), "{e}");
        }
    }

    #[test]
    fn an_allowed_folder_lets_the_same_reference_load() {
        let s = Scratch::new("allowed");
        let secret = s.write("common/shared.yaml", "Pet: {type: object}\n");
        let source = s.root_to(&format!("{}#/Pet", secret.display()));
        let policy = RefPolicy::allowing([s.0.join("common")]).unwrap();
        assert!(load_errors(&source, &policy).is_empty());
        let relative = s.root_to("../common/shared.yaml#/Pet");
        assert!(load_errors(&relative, &policy).is_empty());
        assert_eq!(policy.extra_dirs().len(), 1);
    }

    #[test]
    fn a_referenced_file_that_does_not_parse_is_located_but_not_quoted() {
        let s = Scratch::new("malformed");
        // Each breaks differently; serde_yaml quotes a mistyped tagged scalar, the
        // scanner's context names a key.
        let cases = [
            ("a.yaml", format!("{MARKER}: [1, 2\nb: }}")),
            ("b.yaml", format!("a: !!int {MARKER}\n")),
            ("c.json", format!("{{\"{MARKER}\": nope}}")),
            ("d.yaml", format!("<<: {MARKER}\n")),
            ("e.yaml", format!("{MARKER} line\nsecond: line\n")),
        ];
        for (name, text) in cases {
            s.write(&format!("docs/{name}"), &text);
            let errors = load_errors(&s.root_to(&format!("{name}#/x")), &RefPolicy::default());
            let e = errors.first().expect("a problem");
            assert_eq!(e.pointer, "/a/$ref", "{e}");
            assert!(e.message.contains(name), "{e}");
            assert!(
                e.message.contains("not valid") || e.message.contains("merge"),
                "{e}"
            );
            assert!(!e.to_string().contains(MARKER), "{name}: {e}");
        }
    }

    #[test]
    fn every_ref_to_a_file_that_failed_is_reported_at_its_own_pointer() {
        let s = Scratch::new("twice");
        let root = s.write(
            "docs/root.yaml",
            "a: {$ref: '/etc/passwd'}\nb: {$ref: '/etc/passwd#/x'}\n",
        );
        let errors = load_errors(&Source::File(root), &RefPolicy::default());
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/a/$ref", "/b/$ref"], "{errors:?}");
    }

    #[test]
    fn a_document_given_as_text_cannot_reference_files() {
        let mut p = Problems::default();
        let source = Source::Text {
            name: "t".to_owned(),
            text: "a: {$ref: '/etc/passwd'}\n".to_owned(),
        };
        load(&source, &RefPolicy::default(), &mut p).unwrap();
        assert!(p.all()[0].message.contains("given as text"), "{p:?}");
    }
}
