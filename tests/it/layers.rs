//! The folders of `src/` are layers (see `src/lib.rs`): a folder imports only the folders
//! before it in [`LAYERS`], so no circle of imports crosses folders. A new import that runs
//! back up a layer fails here. Test code (after `#[cfg(test)]`, or in a `tests.rs`) may
//! reach any layer.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Bottom first.
const LAYERS: &[&str] = &[
    "text",
    "seed",
    "document",
    "schema",
    "error_format",
    "operation",
    "world",
    "mock",
    "server",
    "conformance",
    "contract",
    "proxy",
    "embed",
    "cli",
    "lib",
    "main",
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == module)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src/ is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file's non-test code names through `crate::`.
fn imports(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = BTreeSet::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for (at, _) in line.match_indices("crate::") {
            let rest = &line[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// The imports of `module`'s code (`text`) that run up a layer, or a word on a module
/// the list does not know.
fn upward(module: &str, text: &str) -> Vec<String> {
    let Some(own) = rank(module) else {
        return vec![format!("`{module}` is in no layer: add it to LAYERS")];
    };
    imports(text)
        .into_iter()
        .filter(|m| m != module)
        .filter_map(|m| match rank(&m) {
            Some(r) if r > own => Some(format!("imports `{m}`, a later layer")),
            Some(_) => None,
            None => Some(format!("imports `{m}`, which is in no layer")),
        })
        .collect()
}

#[test]
fn no_folder_of_src_imports_a_later_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "src/ holds only {} files", files.len());
    let mut broken = Vec::new();
    for file in files {
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let relative = file.strip_prefix(&src).expect("under src/");
        let first = relative.components().next().expect("a path");
        let module = first.as_os_str().to_string_lossy();
        let module = module.trim_end_matches(".rs");
        let text = fs::read_to_string(&file).expect("readable");
        for why in upward(module, &text) {
            broken.push(format!("{}: {why}", relative.display()));
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn the_check_sees_an_import_up_a_layer_and_lets_test_code_through() {
    let code = "use crate::schema::violation::Violation;\nuse crate::mock::engine::Engine;\n";
    assert_eq!(upward("world", code), ["imports `mock`, a later layer"]);
    assert!(upward("mock", code).is_empty());
    let in_tests = "use crate::schema::merge;\n#[cfg(test)]\nmod tests { use crate::cli::Cli; }\n";
    assert!(upward("document", in_tests).len() == 1);
    assert!(upward("schema", in_tests).is_empty());
    assert_eq!(
        upward("gadgets", ""),
        ["`gadgets` is in no layer: add it to LAYERS"]
    );
    // A comment naming a later layer is not an import.
    assert!(upward("seed", "// see crate::cli\n").is_empty());
}
