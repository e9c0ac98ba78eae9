//! `serve --watch`: reloads (`mock::reload`) when a local file of the served documents (each
//! document and every file its `$ref`s reached), a file of `--fixtures DIR` or of `--stubs
//! DIR` changes. Documents given by URL are not watched.
//!
//! Implementation rationale: the folders are watched, not the files, because editors save by
//! writing a new file and renaming it over the old one, which ends a watch on the file itself;
//! events are then kept when they name a file of interest. Editors also write in several
//! steps, so a reload waits until no event has come for [`QUIET`]. After each reload the files
//! of interest are those of the documents served then (a `$ref` may reach a new file). The
//! watcher runs on a thread of its own that nobody waits for: it never keeps the process
//! alive at shutdown. A watcher error is logged and watching goes on.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use notify::event::{EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use crate::document::load::Source;
use crate::mock::reload::{Live, local_files};

/// How long no event must come before a reload: editors write a file in several steps.
const QUIET: Duration = Duration::from_millis(200);

/// What is watched: files by path, and folders any of whose files counts.
#[derive(Debug, Default)]
struct Interest {
    files: BTreeSet<PathBuf>,
    folders: BTreeSet<PathBuf>,
}

impl Interest {
    fn of(live: &Live, fixtures: Option<&Path>) -> Interest {
        let files = local_files(&live.current())
            .into_iter()
            .map(|p| absolute(&p))
            .collect();
        let folders = fixtures
            .into_iter()
            .chain(live.recipe().stubs.as_deref())
            .map(absolute)
            .collect();
        Interest { files, folders }
    }

    /// Whether a change of `path` is a change of what is served.
    fn covers(&self, path: &Path) -> bool {
        self.files.contains(path) || path.parent().is_some_and(|p| self.folders.contains(p))
    }

    /// The folders to watch: those of the files, and the folders themselves.
    fn folders_to_watch(&self) -> BTreeSet<PathBuf> {
        self.files
            .iter()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .chain(self.folders.iter().cloned())
            .collect()
    }
}

/// Starts watching what `live` serves (and `fixtures`, the `--fixtures` folder), reloading on
/// each change. Logs what it watches, and what it cannot.
pub(super) fn start(live: Live, fixtures: Option<PathBuf>) {
    let urls: Vec<String> = live
        .recipe()
        .sources
        .iter()
        .filter_map(|s| match s {
            Source::Url(url) => Some(url.to_string()),
            _ => None,
        })
        .collect();
    if !urls.is_empty() {
        tracing::info!(
            "--watch does not watch documents given by URL ({}): POST /__admin/reload \
             fetches them again",
            urls.join(", ")
        );
    }
    let (events, received) = channel();
    let mut watcher = match notify::recommended_watcher(events) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "--watch cannot watch files here: no reload on change (POST /__admin/reload still reloads)");
            return;
        }
    };
    let interest = Interest::of(&live, fixtures.as_deref());
    tracing::info!(
        files = interest.files.len(),
        folders = interest.folders.len(),
        "watching {} file(s) and {} folder(s) for changes",
        interest.files.len(),
        interest.folders.len()
    );
    // Before the server listens: a change made once it does is seen.
    let mut watched = BTreeSet::new();
    watch_folders(&mut watcher, &interest, &mut watched);
    let spawned = std::thread::Builder::new()
        .name("understudy-watch".to_owned())
        .spawn(move || {
            run(live, fixtures, (watcher, watched), received, interest);
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "--watch cannot start its thread: no reload on change");
    }
}

fn run(
    live: Live,
    fixtures: Option<PathBuf>,
    (mut watcher, mut watched): (RecommendedWatcher, BTreeSet<PathBuf>),
    events: Receiver<notify::Result<notify::Event>>,
    mut interest: Interest,
) {
    loop {
        // Waits for a change of interest, then for quiet.
        let mut changed = BTreeSet::new();
        while changed.is_empty() {
            let Ok(event) = events.recv() else { return };
            note(event, &interest, &mut changed);
        }
        loop {
            match events.recv_timeout(QUIET) {
                Ok(event) => note(event, &interest, &mut changed),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let list: Vec<String> = changed.iter().map(|p| p.display().to_string()).collect();
        tracing::info!(files = %list.join(", "), "changed on disk: {}; reloading", list.join(", "));
        // `reload` logs what it did, or every problem that kept it from doing it.
        if live.reload().is_ok() {
            interest = Interest::of(&live, fixtures.as_deref());
            watch_folders(&mut watcher, &interest, &mut watched);
        }
    }
}

/// Adds the paths of `event` that `interest` covers to `changed`; logs a watcher error.
fn note(
    event: notify::Result<notify::Event>,
    interest: &Interest,
    changed: &mut BTreeSet<PathBuf>,
) {
    let event = match event {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "--watch: the file watcher failed; watching goes on");
            return;
        }
    };
    // Reading a file (ours too, when reloading) is no change; nor is a new access time.
    if matches!(
        event.kind,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_))
    ) {
        return;
    }
    changed.extend(event.paths.into_iter().filter(|p| interest.covers(p)));
}

/// Watches every folder of `interest` not yet in `watched`.
fn watch_folders(
    watcher: &mut RecommendedWatcher,
    interest: &Interest,
    watched: &mut BTreeSet<PathBuf>,
) {
    for folder in interest.folders_to_watch() {
        if watched.contains(&folder) {
            continue;
        }
        match watcher.watch(&folder, RecursiveMode::NonRecursive) {
            Ok(()) => {
                watched.insert(folder);
            }
            Err(e) => tracing::warn!(
                folder = %folder.display(),
                error = %e,
                "--watch cannot watch this folder: its changes do not reload"
            ),
        }
    }
}

/// `path` from the root, as the watcher's events name it.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_counts_for_a_watched_file_or_any_file_of_a_watched_folder() {
        let interest = Interest {
            files: [PathBuf::from("/docs/api.yaml")].into(),
            folders: [PathBuf::from("/stubs")].into(),
        };
        assert!(interest.covers(Path::new("/docs/api.yaml")));
        assert!(!interest.covers(Path::new("/docs/other.yaml")));
        assert!(interest.covers(Path::new("/stubs/one.json")));
        assert!(!interest.covers(Path::new("/stubs/deeper/one.json")));
        let folders: Vec<PathBuf> = interest.folders_to_watch().into_iter().collect();
        assert_eq!(folders, [PathBuf::from("/docs"), PathBuf::from("/stubs")]);
    }
}
