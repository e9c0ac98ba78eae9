//! Reading OpenAPI documents: YAML or JSON text into `serde_json::Value`, plus every file
//! their relative `$ref`s reach, and the bundled documents embedded in the binary.

use std::path::{Path, PathBuf};

use serde_json::Value;
use url::Url;

use crate::problems::Problems;
use crate::refs::{RefError, Resources};

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
}

/// The bundled documents, in the order they are served.
pub const BUNDLED: &[(&str, &str)] = &[
    ("alumio", include_str!("../specs/alumio.yaml")),
    ("gitbook", include_str!("../specs/gitbook.yaml")),
    ("arize", include_str!("../specs/arize.yaml")),
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
        }
    }
}

/// Reads a document and the files it references. File-level failures (unreadable, not YAML)
/// and unreachable references land in `problems`; `None` when there is no root to go on with.
pub fn load(source: &Source, problems: &mut Problems) -> Option<Resources> {
    let uri = match source.uri() {
        Ok(u) => u,
        Err(e) => {
            problems.error(&source.name(), "", e);
            return None;
        }
    };
    let root = match source {
        Source::File(p) => read_file(p, &uri, problems)?,
        Source::Bundled { text, .. } => parse_text(text, &uri, problems)?,
        Source::Text { text, .. } => parse_text(text, &uri, problems)?,
    };
    let mut resources = Resources::new(uri.clone(), root);
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
            let Ok(url) = Url::parse(&target) else {
                problems.error(
                    &file_uri,
                    &pointer,
                    format!("`{target}` is not a valid URI"),
                );
                continue;
            };
            if url.scheme() != "file" {
                problems.error(
                    &file_uri,
                    &pointer,
                    format!("remote reference `{target}` is not supported: only files are read"),
                );
                continue;
            }
            let Ok(path) = url.to_file_path() else {
                problems.error(
                    &file_uri,
                    &pointer,
                    format!("`{target}` is not a file path"),
                );
                continue;
            };
            if matches!(source, Source::Bundled { .. } | Source::Text { .. }) {
                problems.error(
                    &file_uri,
                    &pointer,
                    format!("`{target}`: a document given as text cannot reference files"),
                );
                continue;
            }
            if let Some(value) = read_file(&path, &target, problems) {
                resources.insert(target.clone(), value);
                pending.push(target);
            }
        }
    }
    check_refs(&resources, problems);
    Some(resources)
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
                collect_refs(v, &crate::refs::pointer_join(pointer, &[k]), found);
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

fn read_file(path: &Path, uri: &str, problems: &mut Problems) -> Option<Value> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_text(&text, uri, problems),
        Err(e) => {
            problems.error(uri, "", format!("cannot read {}: {e}", path.display()));
            None
        }
    }
}

/// Parses YAML or JSON. JSON is tried first when the text looks like JSON, for its better
/// messages; YAML keys that are not strings (`200:`) become strings, as OpenAPI means them.
pub fn parse_text(text: &str, uri: &str, problems: &mut Problems) -> Option<Value> {
    if text.trim_start().starts_with('{') {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => return Some(v),
            Err(e) => {
                problems.error(
                    uri,
                    "",
                    format!(
                        "not valid JSON at line {}, column {}: {e}",
                        e.line(),
                        e.column()
                    ),
                );
                return None;
            }
        }
    }
    match serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) {
        Ok(mut v) => {
            if let Err(e) = v.apply_merge() {
                problems.error(uri, "", format!("YAML merge keys: {e}"));
                return None;
            }
            Some(yaml_to_json(v))
        }
        Err(e) => {
            let place = e
                .location()
                .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
                .unwrap_or_default();
            problems.error(uri, "", format!("not valid YAML{place}: {e}"));
            None
        }
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

    #[test]
    fn yaml_integer_keys_become_strings() {
        let mut p = Problems::default();
        let v = parse_text(
            "responses:\n  200:\n    description: ok\n",
            "file:///x",
            &mut p,
        )
        .unwrap();
        assert_eq!(v["responses"]["200"]["description"], "ok");
        assert!(!p.has_errors());
    }

    #[test]
    fn malformed_yaml_is_a_located_problem() {
        let mut p = Problems::default();
        assert!(parse_text("a: [1, 2\nb: }", "file:///x", &mut p).is_none());
        let msg = &p.all()[0].message;
        assert!(msg.contains("line"), "{msg}");
    }

    #[test]
    fn malformed_json_reports_line_and_column() {
        let mut p = Problems::default();
        assert!(parse_text("{\"a\": \n  nope}", "file:///x", &mut p).is_none());
        assert!(p.all()[0].message.contains("line 2"), "{:?}", p.all());
    }

    #[test]
    fn relative_file_references_are_loaded_and_missing_ones_reported() {
        let dir = std::env::temp_dir().join(format!("understudy-load-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("shared")).unwrap();
        std::fs::write(
            dir.join("root.yaml"),
            "a: {$ref: 'shared/pet.yaml#/Pet'}\nb: {$ref: 'missing.yaml#/X'}\n",
        )
        .unwrap();
        std::fs::write(dir.join("shared/pet.yaml"), "Pet: {type: object}\n").unwrap();
        let mut p = Problems::default();
        let r = load(&Source::File(dir.join("root.yaml")), &mut p).unwrap();
        assert_eq!(r.files().count(), 2);
        let errors: Vec<_> = p.errors().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("missing.yaml"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
