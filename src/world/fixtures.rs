//! Fixtures: the world each bundled API starts from, one YAML file per API, embedded in the
//! binary and replaceable with `--fixtures DIR`; and the choice of behaviour for each served
//! API (the bundled APIs' own, else CRUD inferred from the paths).

use std::path::PathBuf;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::operation::api::Api;
use crate::world::behaviour::Installed;
use crate::world::behaviours;

/// The bundled fixture files, by API name.
pub const BUNDLED: &[(&str, &str)] = &[
    ("alumio", include_str!("../../fixtures/alumio.yaml")),
    ("gitbook", include_str!("../../fixtures/gitbook.yaml")),
    ("arize", include_str!("../../fixtures/arize.yaml")),
];

/// Where fixture files come from.
#[derive(Debug, Clone, Default)]
pub enum FixtureSource {
    /// The files embedded in the binary.
    #[default]
    Bundled,
    /// `<DIR>/<api name>.yaml` for each bundled API served.
    Dir(PathBuf),
}

/// A fixture that does not fit its API: which file, which entry, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {entry}: {message}")]
pub struct FixtureError {
    pub file: String,
    pub entry: String,
    pub message: String,
}

impl FixtureError {
    pub fn new(file: &str, entry: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            entry: entry.into(),
            message: message.into(),
        }
    }
}

/// A served API's behaviour and the fixture text its world starts from.
pub struct Installation {
    /// `None` when the API keeps the spec's static answers.
    pub behaviour: Option<Arc<dyn Installed>>,
    /// The fixture file's text, for the bundled APIs (part of the state file's fingerprint).
    pub fixture: Option<String>,
}

/// The behaviour for a served API: the bundled API's own with its fixtures, else CRUD
/// inferred from the paths (`None` when no path fits a CRUD pattern).
pub fn install(api: &Api, source: &FixtureSource) -> Result<Installation, FixtureError> {
    let name = api.name.as_str();
    let install: Option<BehaviourInstaller> = match name {
        "gitbook" => Some(behaviours::gitbook::install),
        "alumio" => Some(behaviours::alumio::install),
        "arize" => Some(behaviours::arize::install),
        _ => None,
    };
    match install {
        Some(install) => {
            let (file, text) = fixture_text(name, source)?;
            let behaviour = install(api, &text, &file)?;
            Ok(Installation {
                behaviour: Some(behaviour),
                fixture: Some(text),
            })
        }
        None => Ok(Installation {
            behaviour: behaviours::crud::install(api),
            fixture: None,
        }),
    }
}

type BehaviourInstaller = fn(&Api, &str, &str) -> Result<Arc<dyn Installed>, FixtureError>;

fn fixture_text(name: &str, source: &FixtureSource) -> Result<(String, String), FixtureError> {
    match source {
        FixtureSource::Bundled => BUNDLED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| (format!("fixtures/{n}.yaml"), (*text).to_owned()))
            .ok_or_else(|| FixtureError::new(name, "", "no bundled fixtures for this API")),
        FixtureSource::Dir(dir) => {
            let path = dir.join(format!("{name}.yaml"));
            let file = path.display().to_string();
            std::fs::read_to_string(&path)
                .map(|text| (file.clone(), text))
                .map_err(|e| FixtureError::new(&file, "", format!("cannot be read: {e}")))
        }
    }
}

/// Parses a fixture file into its typed form; a YAML or shape error names its place.
pub fn parse<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, FixtureError> {
    serde_yaml_ng::from_str(text).map_err(|e| {
        let place = e
            .location()
            .map(|l| format!("line {}, column {}", l.line(), l.column()))
            .unwrap_or_default();
        FixtureError::new(file, place, e.to_string())
    })
}
