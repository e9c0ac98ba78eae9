//! `serve --stubs DIR`: every `*.json`, `*.yaml` and `*.yml` file of a folder (in name order)
//! holds one stub or an array of them, in the format `POST /__admin/stubs` takes. They are the
//! stubs every session starts with. A stub refused here stops startup, naming its file and
//! what is wrong (the violations of one that breaks the spec), as a bad fixture does.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::spec::{self, StubError};
use crate::mock::engine::Engine;
use crate::world::stubs::StubBook;

/// Why `--stubs DIR` cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum StubFileError {
    #[error("--stubs {dir}: cannot read the folder: {error}")]
    Dir { dir: PathBuf, error: std::io::Error },
    #[error("the stub file {file} cannot be read: {reason}")]
    Read { file: PathBuf, reason: String },
    #[error("the stub file {file}, stub {index}: {error}{violations}")]
    Refused {
        file: PathBuf,
        /// 0 for the first stub of the file.
        index: usize,
        error: StubError,
        /// The violations, each on a line, for a stub that breaks the spec.
        violations: String,
    },
}

impl Engine {
    /// Loads the stubs of `dir` (see the module doc) as the stubs every session starts with;
    /// how many. Nothing changes when one is refused.
    pub fn load_stubs(&self, dir: &Path) -> Result<usize, StubFileError> {
        let book = read_dir(self, dir)?;
        let count = book.stubs().len();
        self.sessions().set_default_stubs(book);
        Ok(count)
    }
}

fn read_dir(engine: &Engine, dir: &Path) -> Result<StubBook, StubFileError> {
    let listing = std::fs::read_dir(dir).map_err(|error| StubFileError::Dir {
        dir: dir.to_owned(),
        error,
    })?;
    let mut files: Vec<PathBuf> = listing
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| ["json", "yaml", "yml"].contains(&e))
        })
        .collect();
    files.sort();
    let mut book = StubBook::default();
    for file in files {
        let read = |reason: String| StubFileError::Read {
            file: file.clone(),
            reason,
        };
        let text = std::fs::read_to_string(&file).map_err(|e| read(e.to_string()))?;
        let value: Value = if file.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| read(e.to_string()))?
        } else {
            serde_yaml_ng::from_str(&text).map_err(|e| read(e.to_string()))?
        };
        let stubs = match value {
            Value::Array(items) => items,
            one => vec![one],
        };
        for (index, value) in stubs.iter().enumerate() {
            let refused = |error: StubError| {
                let violations = match &error {
                    StubError::Breaks { violations, .. } => {
                        violations.iter().map(|v| format!("\n  - {v}")).collect()
                    }
                    _ => String::new(),
                };
                StubFileError::Refused {
                    file: file.clone(),
                    index,
                    error,
                    violations,
                }
            };
            let parsed = spec::parse(value).map_err(&refused)?;
            let asked = parsed.id.clone();
            let stub = super::compile(engine, parsed, &book.fresh_id()).map_err(&refused)?;
            if !book.add(stub) {
                return Err(refused(StubError::TakenId(asked.unwrap_or_default())));
            }
        }
    }
    Ok(book)
}
