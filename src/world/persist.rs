//! The state file (`serve --state-file FILE`): every session's world, saved at shutdown and
//! loaded at start, so a restart loses nothing.
//!
//! The format is JSON: a marker with the format version, a fingerprint per served API, and the
//! sessions with each API's world as its behaviour saves it (`Behaviour::save`):
//!
//! ```json
//! {"understudy_state": 1,
//!  "apis": [{"name": "gitbook", "fingerprint": "fnv1a64:..."}],
//!  "sessions": [{"name": "", "last_used": 1796000000000,
//!                "worlds": [{"api": "gitbook", "world": {...}}]}]}
//! ```
//!
//! `last_used` (milliseconds since the Unix epoch; files of earlier builds lack it) keeps the
//! order in which sessions are dropped when the bound (`--max-sessions`) is reached; a file
//! with more named sessions than the bound loads the most recently used of them. `stubs` (left
//! out when a session has none, and by earlier builds) holds the session's stubs, each with
//! its `remaining` and `matched` counts, and its scenario states: each stub is checked again
//! as it loads, as if posted; a session saved without the member starts with the stubs of
//! `--stubs DIR`, as a new session does.
//!
//! A fingerprint covers the API's name, its document (every file, as loaded) and its fixture
//! text: a file saved for other documents or fixtures is *foreign* and refused, because its
//! worlds name users, spaces and resources those may not have. Journals are not saved.
//!
//! Implementation rationale: saving writes a temporary file in the target's directory,
//! flushes and fsyncs it, renames it over the target and fsyncs the directory, so the target
//! is always either the previous file or the new one, whole, whatever happens mid-write; a
//! temporary file left by a crash is never read. Loading refuses (and never touches) a file it
//! cannot use, and checks that the directory takes a new file before the server starts,
//! rather than finding out at shutdown with the session's writes in hand.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::operation::api::Api;
use crate::seed::Fnv;
use crate::world::state::{Session, Sessions, valid_session_name};
use crate::world::stubs::{RestoreStub, SavedBook};

/// The member that marks a state file; its value is the format version.
pub const FORMAT_MARKER: &str = "understudy_state";

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// What refused a state file, or failed to write one. Every message names the file and says
/// why, whole (the I/O error is part of it, not a separate cause).
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    #[error("the state file {path} cannot be read: {error}")]
    Read { path: PathBuf, error: io::Error },
    #[error(
        "the state file {path} is corrupt: {reason}; it was left as it is: repair or remove it"
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "{path} is not an understudy state file (it has no `{FORMAT_MARKER}` member); it was left as it is"
    )]
    NotAStateFile { path: PathBuf },
    #[error(
        "the state file {path} has format version {found}; this understudy reads version {FORMAT_VERSION}; it was left as it is"
    )]
    Version { path: PathBuf, found: String },
    #[error(
        "the state file {path} was saved for other documents or fixtures ({reason}); it was left as it is: remove it or use another file to start from the fixtures"
    )]
    Foreign { path: PathBuf, reason: String },
    #[error(
        "the state file {path} could not be saved at shutdown: {dir} does not take a new file ({error})"
    )]
    Unwritable {
        path: PathBuf,
        dir: PathBuf,
        error: io::Error,
    },
    #[error(
        "the state file {path} could not be saved: {what}: {error}; the previous file is as it was"
    )]
    Write {
        path: PathBuf,
        what: &'static str,
        error: io::Error,
    },
    #[error(
        "the state file {path} could not be saved: the world of {api} in session {session:?} is not that API's"
    )]
    Unsavable {
        path: PathBuf,
        session: String,
        api: String,
    },
}

/// What loading found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    /// No file yet: the worlds are the fixtures' (saving creates the file).
    Missing,
    /// Sessions were restored: this many, and this many more were left out, those used the
    /// longest ago, to keep within the bound on sessions.
    Sessions { restored: usize, dropped: usize },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    understudy_state: u64,
    apis: Vec<ApiPrint>,
    sessions: Vec<SavedSession>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiPrint {
    name: String,
    fingerprint: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedSession {
    /// Empty for the default session.
    name: String,
    /// When a request last named the session, in milliseconds since the Unix epoch.
    #[serde(default)]
    last_used: u64,
    /// One per served API, in the served order; `null` for an API without a behaviour.
    worlds: Vec<SavedWorld>,
    /// The session's stubs and scenario states; left out when it has none (files of
    /// earlier builds never have them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stubs: Option<SavedBook>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedWorld {
    api: String,
    world: Value,
}

/// What the state file saves and restores: the served APIs, the fixture text each started
/// from (its fingerprint covers them), and their sessions.
pub struct Served<'a> {
    pub apis: &'a [Api],
    pub fixture_texts: &'a [Option<String>],
    pub sessions: &'a Sessions,
    /// Compiles a saved stub's definition again, with every check it had when it was made
    /// (the mock's: this layer cannot).
    pub restore_stub: Box<RestoreStub<'a>>,
}

impl Served<'_> {
    fn fixture_text(&self, index: usize) -> Option<&str> {
        self.fixture_texts.get(index).and_then(Option::as_deref)
    }
}

/// The fingerprint of a served API: its name, every file of its document as loaded (in no
/// particular order: a `$ref`ed file may be reached by another path) and its fixture text.
pub fn fingerprint(api: &Api, fixture: Option<&str>) -> String {
    let mut files: Vec<u64> = api
        .resources
        .files()
        .map(|(_, value)| {
            let mut h = Fnv::new(0);
            h.write(&serde_json::to_vec(value).unwrap_or_default());
            h.finish()
        })
        .collect();
    files.sort_unstable();
    let mut h = Fnv::new(FORMAT_VERSION);
    h.write(api.name.as_bytes());
    for f in files {
        h.write(&f.to_le_bytes());
    }
    match fixture {
        Some(text) => h.write(text.as_bytes()),
        None => h.write(b"no fixtures"),
    }
    format!("fnv1a64:{:016x}", h.finish())
}

fn prints(served: &Served<'_>) -> Vec<ApiPrint> {
    served
        .apis
        .iter()
        .enumerate()
        .map(|(i, api)| ApiPrint {
            name: api.name.clone(),
            fingerprint: fingerprint(api, served.fixture_text(i)),
        })
        .collect()
}

/// Saves every session of `served` to `path`, atomically; how many sessions were saved.
pub fn save(served: &Served<'_>, path: &Path) -> Result<usize, StateFileError> {
    let behaviours = served.sessions.behaviours();
    let has_defaults = !served.sessions.default_stubs().is_empty();
    let mut sessions = Vec::new();
    for session in served.sessions.all() {
        let mut worlds = Vec::with_capacity(served.apis.len());
        for (i, api) in served.apis.iter().enumerate() {
            let world = match (behaviours.get(i).and_then(Option::as_ref), session.part(i)) {
                (Some(b), Some(part)) => b.save(part).ok_or_else(|| StateFileError::Unsavable {
                    path: path.to_owned(),
                    session: session.name.clone(),
                    api: api.name.clone(),
                })?,
                _ => Value::Null,
            };
            worlds.push(SavedWorld {
                api: api.name.clone(),
                world,
            });
        }
        let stubs = session.with_stub_book(|b| b.save());
        sessions.push(SavedSession {
            name: session.name.clone(),
            last_used: session.last_used(),
            worlds,
            // Written when there is something to say: stubs, states, or no stubs where
            // `--stubs DIR` gives every session some (a session without the key gets those).
            stubs: (!stubs.is_empty() || has_defaults).then_some(stubs),
        });
    }
    let count = sessions.len();
    let file = StateFile {
        understudy_state: FORMAT_VERSION,
        apis: prints(served),
        sessions,
    };
    write_atomically(path, |out| {
        serde_json::to_writer_pretty(&mut *out, &file).map_err(io::Error::from)?;
        out.write_all(b"\n")
    })?;
    Ok(count)
}

/// Replaces every session of `served` with those saved in `path`; see [`Engine::load_state`].
pub fn load(served: &Served<'_>, path: &Path) -> Result<Loaded, StateFileError> {
    let bytes = match fs::read(path) {
        Ok(b) => Some(b),
        // No file yet (nor, perhaps, its folder: `check_writable` below says so).
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            None
        }
        Err(error) => {
            return Err(StateFileError::Read {
                path: path.to_owned(),
                error,
            });
        }
    };
    let sessions = match bytes {
        Some(bytes) => Some(parse(served, path, &bytes)?),
        None => None,
    };
    check_writable(path)?;
    Ok(match sessions {
        Some(sessions) => {
            let count = sessions.len();
            let dropped = served.sessions.replace(sessions);
            Loaded::Sessions {
                restored: count - dropped,
                dropped,
            }
        }
        None => Loaded::Missing,
    })
}

/// The sessions a state file's bytes describe, every world restored.
fn parse(served: &Served<'_>, path: &Path, bytes: &[u8]) -> Result<Vec<Session>, StateFileError> {
    let corrupt = |reason: String| StateFileError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    match value.get(FORMAT_MARKER) {
        None => {
            return Err(StateFileError::NotAStateFile {
                path: path.to_owned(),
            });
        }
        Some(v) if v.as_u64() != Some(FORMAT_VERSION) => {
            return Err(StateFileError::Version {
                path: path.to_owned(),
                found: v.to_string(),
            });
        }
        Some(_) => {}
    }
    let file: StateFile = serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
    let expected = prints(served);
    if file.apis != expected {
        return Err(StateFileError::Foreign {
            path: path.to_owned(),
            reason: foreign_reason(&file.apis, &expected),
        });
    }
    let behaviours = served.sessions.behaviours();
    let mut names = std::collections::HashSet::new();
    let mut sessions = Vec::with_capacity(file.sessions.len());
    for saved in file.sessions {
        let name = saved.name;
        if !(name.is_empty() || valid_session_name(&name)) || !names.insert(name.clone()) {
            return Err(corrupt(format!(
                "session name {name:?} is not usable or appears twice"
            )));
        }
        if saved.worlds.len() != served.apis.len() {
            return Err(corrupt(format!(
                "session {name:?} has {} worlds for {} APIs",
                saved.worlds.len(),
                served.apis.len()
            )));
        }
        let mut parts = Vec::with_capacity(saved.worlds.len());
        for ((world, api), behaviour) in saved.worlds.into_iter().zip(served.apis).zip(behaviours) {
            if world.api != api.name {
                return Err(corrupt(format!(
                    "session {name:?} has a world of {} where {} is served",
                    world.api, api.name
                )));
            }
            let part = match behaviour {
                Some(b) => Some(
                    b.restore(world.world)
                        .map_err(|e| corrupt(format!("session {name:?}, API {}: {e}", api.name)))?,
                ),
                None => None,
            };
            parts.push(part);
        }
        let book = match saved.stubs {
            Some(book) => book
                .restore(&*served.restore_stub)
                .map_err(|e| corrupt(format!("session {name:?}, a stub: {e}")))?,
            // Saved with no word on stubs (an earlier build): the stubs every session starts with.
            None => served.sessions.default_stubs(),
        };
        sessions.push(Session::restored(&name, parts, saved.last_used).with_stubs(book));
    }
    Ok(sessions)
}

/// Which APIs differ between a file and the server, in words.
fn foreign_reason(found: &[ApiPrint], expected: &[ApiPrint]) -> String {
    let names = |p: &[ApiPrint]| p.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    if names(found) != names(expected) {
        return format!(
            "it has the APIs {:?}; this server serves {:?}",
            names(found),
            names(expected)
        );
    }
    let differ: Vec<&str> = found
        .iter()
        .zip(expected)
        .filter(|(a, b)| a.fingerprint != b.fingerprint)
        .map(|(a, _)| a.name.as_str())
        .collect();
    format!(
        "the document or fixtures of {} differ from those it was saved with",
        differ.join(", ")
    )
}

/// Where a save of `path` writes before renaming: beside it, named for this process, so two
/// processes never write one temporary file.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_owned());
    directory_of(path).join(format!(".{name}.{}.tmp", std::process::id()))
}

fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Whether a save of `path` could create its temporary file: written, synced and removed.
pub fn check_writable(path: &Path) -> Result<(), StateFileError> {
    let unwritable = |error: io::Error| StateFileError::Unwritable {
        path: path.to_owned(),
        dir: directory_of(path),
        error,
    };
    let tmp = write_temp(path, |_| Ok(())).map_err(|(_, e)| unwritable(e))?;
    fs::remove_file(&tmp).map_err(unwritable)
}

/// Writes `path` through a temporary file: written by `fill`, synced, renamed over `path`,
/// the directory synced. On failure `path` is as it was and the temporary file is removed.
fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), StateFileError> {
    let failed = |what: &'static str, error: io::Error| StateFileError::Write {
        path: path.to_owned(),
        what,
        error,
    };
    let tmp = write_temp(path, fill).map_err(|(what, e)| failed(what, e))?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(failed("cannot rename the temporary file over it", e));
    }
    sync_directory(&directory_of(path)).map_err(|e| failed("cannot sync its directory", e))
}

/// The temporary file of `path`, written by `fill` and synced to disk; on failure, what
/// failed, and no temporary file is left.
fn write_temp(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<PathBuf, (&'static str, io::Error)> {
    let tmp = temp_path(path);
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| ("cannot create a temporary file beside it", e))?;
    let mut out = BufWriter::new(file);
    let written = fill(&mut out)
        .and_then(|()| out.flush())
        .and_then(|()| out.get_ref().sync_all());
    if let Err(e) = written {
        drop(out);
        let _ = fs::remove_file(&tmp);
        return Err(("cannot write the temporary file", e));
    }
    Ok(tmp)
}

/// Makes a rename in `dir` durable. Only Unix can open and sync a directory.
fn sync_directory(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::load::Source;
    use crate::mock::engine::{Engine, EngineConfig};

    const THINGS: &str = r##"
openapi: 3.1.0
info: {title: Things, version: "1"}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Thing"}}
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Thing"}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
  /things/{id}:
    get:
      operationId: getThing
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
components:
  schemas:
    Thing:
      type: object
      required: [name]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string}
"##;

    fn things(text: &str) -> Engine {
        let source = Source::Text {
            name: "things".into(),
            text: text.into(),
        };
        match Engine::load(&[source], EngineConfig::default()) {
            Ok(e) => e,
            Err(e) => panic!("{e:?}"),
        }
    }

    /// A folder of its own under the system's temporary folder; removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join("understudy-persist-unit")
                .join(format!("{}-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_write_that_fails_midway_leaves_the_previous_file_and_no_temporary_file() {
        let dir = Scratch::new("midway");
        let path = dir.0.join("state.json");
        fs::write(&path, "previous").unwrap();
        let err = write_atomically(&path, |out| {
            out.write_all(b"half of a new fi")?;
            Err(io::Error::other("the disk is full"))
        })
        .unwrap_err();
        assert!(matches!(err, StateFileError::Write { .. }), "{err:?}");
        assert!(err.to_string().contains("the disk is full"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "previous");
        assert!(!temp_path(&path).exists());

        write_atomically(&path, |out| out.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert!(!temp_path(&path).exists());
    }

    #[test]
    fn the_temporary_file_sits_beside_the_target_even_for_a_bare_name() {
        let tmp = temp_path(Path::new("state.json"));
        assert_eq!(tmp.parent(), Some(Path::new(".")));
        let name = tmp.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(".state.json.") && name.ends_with(".tmp"),
            "{name}"
        );
        assert_eq!(
            temp_path(Path::new("/var/lib/x/s.json")).parent(),
            Some(Path::new("/var/lib/x"))
        );
    }

    #[test]
    fn a_fingerprint_follows_the_document_and_the_fixtures_and_nothing_else() {
        let a = things(THINGS);
        let b = things(THINGS);
        let api = &a.apis()[0];
        assert_eq!(fingerprint(api, None), fingerprint(&b.apis()[0], None));
        assert_ne!(fingerprint(api, None), fingerprint(api, Some("")));
        assert_ne!(
            fingerprint(api, Some("a: 1")),
            fingerprint(api, Some("a: 2"))
        );
        let other = things(&THINGS.replace("title: Things", "title: Other things"));
        assert_ne!(fingerprint(api, None), fingerprint(&other.apis()[0], None));
    }

    #[test]
    fn a_foreign_file_is_told_apart_by_its_apis_or_their_fingerprints() {
        let print = |name: &str, f: &str| ApiPrint {
            name: name.into(),
            fingerprint: f.into(),
        };
        let served = [print("a", "1"), print("b", "2")];
        let reason = foreign_reason(&[print("a", "1")], &served);
        assert!(reason.contains(r#"it has the APIs ["a"]"#), "{reason}");
        let reason = foreign_reason(&[print("a", "1"), print("b", "3")], &served);
        assert!(
            reason.contains("the document or fixtures of b differ"),
            "{reason}"
        );
    }

    #[test]
    fn sessions_named_twice_or_badly_are_refused() {
        let dir = Scratch::new("sessions");
        let path = dir.0.join("state.json");
        let engine = things(THINGS);
        save(&engine.served(), &path).unwrap();
        let saved: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        for name in ["", "has space"] {
            let mut doc = saved.clone();
            let mut session = doc["sessions"][0].clone();
            session["name"] = Value::from(name);
            doc["sessions"].as_array_mut().unwrap().push(session);
            fs::write(&path, doc.to_string()).unwrap();
            let err = load(&things(THINGS).served(), &path).unwrap_err();
            assert!(
                err.to_string().contains("is not usable or appears twice"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_member_this_version_does_not_know_is_refused_not_dropped() {
        let dir = Scratch::new("unknown-member");
        let path = dir.0.join("state.json");
        save(&things(THINGS).served(), &path).unwrap();
        let mut doc: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        doc["journals"] = Value::Array(vec![]);
        fs::write(&path, doc.to_string()).unwrap();
        let err = load(&things(THINGS).served(), &path).unwrap_err();
        assert!(matches!(err, StateFileError::Corrupt { .. }), "{err:?}");
        assert!(
            err.to_string().contains("unknown field `journals`"),
            "{err}"
        );
    }
}
