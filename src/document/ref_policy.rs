//! Which files a document's `$ref`s may read: the root document's own folder, the working
//! directory and the folders given with `--allow-ref-dir`, nothing else. Documents come from
//! pull requests; a `$ref` to `/etc/passwd` must not read it, let alone print it.
//!
//! # Implementation rationale
//!
//! A target is canonicalized before anything else (symlinks resolved, `..` gone) and judged
//! component by component (`Path::starts_with`), so neither a symlink nor `../../..` nor a
//! folder whose name merely starts like an allowed one gets out; a target that does not
//! exist cannot be canonicalized and is reported as unreadable, never judged by string
//! prefix. The file read is the canonical path that was judged.

use std::path::{Path, PathBuf};

use crate::document::fetch::FetchLimits;

/// Which folders a document's `$ref`s may read files from: always the root document's own
/// folder and the working directory (so a monorepo's `../common/errors.yaml` works when run
/// from the repository root), plus the folders given here (`--allow-ref-dir`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefPolicy {
    /// Canonical paths of the extra folders.
    extra: Vec<PathBuf>,
    /// How documents given by URL, and the files their `$ref`s reach, are fetched.
    fetch: FetchLimits,
}

/// A folder that cannot be allowed for `$ref`s.
#[derive(Debug, thiserror::Error)]
pub enum RefPolicyError {
    #[error("{}: {source}", dir.display())]
    Unusable {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a folder", dir.display())]
    NotAFolder { dir: PathBuf },
}

impl RefPolicy {
    /// The default folders plus `dirs`, each of which must be an existing folder.
    pub fn allowing<P: AsRef<Path>>(
        dirs: impl IntoIterator<Item = P>,
    ) -> Result<RefPolicy, RefPolicyError> {
        let mut extra = Vec::new();
        for dir in dirs {
            let dir = dir.as_ref();
            let canonical = dir
                .canonicalize()
                .map_err(|source| RefPolicyError::Unusable {
                    dir: dir.to_owned(),
                    source,
                })?;
            if !canonical.is_dir() {
                return Err(RefPolicyError::NotAFolder {
                    dir: dir.to_owned(),
                });
            }
            extra.push(canonical);
        }
        Ok(RefPolicy {
            extra,
            fetch: FetchLimits::default(),
        })
    }

    /// This policy, fetching documents given by URL within `limits`.
    pub fn fetching(self, limits: FetchLimits) -> RefPolicy {
        RefPolicy {
            fetch: limits,
            ..self
        }
    }

    /// How documents given by URL are fetched.
    pub fn fetch_limits(&self) -> FetchLimits {
        self.fetch
    }

    /// The extra folders, canonical.
    pub fn extra_dirs(&self) -> &[PathBuf] {
        &self.extra
    }

    /// The folders a document whose root file is `root` may read, found now (the working
    /// directory is the one of this load).
    pub(crate) fn readable_for(&self, root: &Path) -> Readable {
        let document = std::path::absolute(root)
            .ok()
            .and_then(|p| p.parent().map(Path::to_owned))
            .and_then(|dir| dir.canonicalize().ok());
        let cwd = std::env::current_dir()
            .ok()
            .and_then(|dir| dir.canonicalize().ok());
        Readable {
            document,
            cwd,
            extra: self.extra.clone(),
        }
    }
}

/// The canonical folders one document may read.
#[derive(Debug)]
pub(crate) struct Readable {
    document: Option<PathBuf>,
    cwd: Option<PathBuf>,
    extra: Vec<PathBuf>,
}

impl Readable {
    /// The text of the file at `path`, if it lies inside these folders once symlinks and `..`
    /// are resolved; the canonical path that was judged is the one read.
    pub(crate) fn read(&self, path: &Path) -> Result<String, AccessError> {
        let unreadable = |reason: String| AccessError::Unreadable {
            path: path.to_owned(),
            reason,
        };
        let canonical = path.canonicalize().map_err(|e| unreadable(e.to_string()))?;
        if !self.allow(&canonical) {
            return Err(AccessError::Outside {
                path: path.to_owned(),
                canonical,
                folders: self.describe(),
            });
        }
        // A FIFO or a device inside an allowed folder would block the loader or never end.
        let meta = std::fs::metadata(&canonical).map_err(|e| unreadable(e.to_string()))?;
        if !meta.is_file() {
            return Err(unreadable("it is not a regular file".to_owned()));
        }
        std::fs::read_to_string(&canonical).map_err(|e| unreadable(e.to_string()))
    }

    fn allow(&self, canonical: &Path) -> bool {
        self.document
            .iter()
            .chain(&self.cwd)
            .chain(&self.extra)
            .any(|dir| canonical.starts_with(dir))
    }

    /// The folders as a refusal lists them.
    fn describe(&self) -> String {
        let mut names: Vec<String> = Vec::new();
        if let Some(d) = &self.document {
            names.push(d.display().to_string());
        }
        if let Some(d) = &self.cwd {
            names.push(format!("the working directory {}", d.display()));
        }
        names.extend(self.extra.iter().map(|d| d.display().to_string()));
        names.join(", ")
    }
}

/// Why a file a `$ref` names was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error(
        "`$ref` to {}{} is outside the folders documents may read ({folders}); \
         --allow-ref-dir adds one",
        path.display(),
        resolved_note(path, canonical)
    )]
    Outside {
        path: PathBuf,
        canonical: PathBuf,
        folders: String,
    },
    #[error("`$ref` to {}: cannot read it: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
}

/// ` (which is /real/path)` when a symlink or `..` made the path another one.
fn resolved_note(path: &Path, canonical: &Path) -> String {
    if path == canonical {
        String::new()
    } else {
        format!(" (which is {})", canonical.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder under the system's temporary folder, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!(
                "understudy-ref-policy-{}-{name}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir.canonicalize().unwrap())
        }
        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let path = self.0.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn an_allowed_folder_must_exist_and_be_a_folder() {
        let s = Scratch::new("policy");
        let file = s.write("file.yaml", "{}");
        assert!(matches!(
            RefPolicy::allowing([s.0.join("nope")]),
            Err(RefPolicyError::Unusable { .. })
        ));
        assert!(matches!(
            RefPolicy::allowing([file]),
            Err(RefPolicyError::NotAFolder { .. })
        ));
    }

    #[test]
    fn a_folder_is_allowed_by_whole_path_components_only() {
        let readable = Readable {
            document: Some(PathBuf::from("/srv/docs")),
            cwd: None,
            extra: vec![PathBuf::from("/srv/common")],
        };
        assert!(readable.allow(Path::new("/srv/docs/a/b.yaml")));
        assert!(readable.allow(Path::new("/srv/common/errors.yaml")));
        assert!(!readable.allow(Path::new("/srv/docs2/b.yaml")));
        assert!(!readable.allow(Path::new("/srv/commonplace.yaml")));
        assert!(!readable.allow(Path::new("/srv")));
        assert_eq!(readable.describe(), "/srv/docs, /srv/common");
    }

    #[test]
    fn only_regular_files_are_read() {
        let s = Scratch::new("regular");
        std::fs::create_dir_all(s.0.join("docs/sub")).unwrap();
        s.write("docs/a.yaml", "a: 1\n");
        let readable = Readable {
            document: Some(s.0.join("docs")),
            cwd: None,
            extra: Vec::new(),
        };
        assert_eq!(readable.read(&s.0.join("docs/a.yaml")).unwrap(), "a: 1\n");
        let folder = readable.read(&s.0.join("docs/sub")).unwrap_err();
        assert!(
            folder.to_string().contains("not a regular file"),
            "{folder}"
        );
        let missing = readable.read(&s.0.join("docs/nope.yaml")).unwrap_err();
        assert!(
            matches!(missing, AccessError::Unreadable { .. }),
            "{missing}"
        );
        // Missing and outside: unreadable, not refused (nothing to resolve a path with).
        let outside = readable.read(&s.0.join("elsewhere/nope.yaml")).unwrap_err();
        assert!(
            matches!(outside, AccessError::Unreadable { .. }),
            "{outside}"
        );
    }

    #[test]
    fn the_extra_folders_are_kept_canonical() {
        let s = Scratch::new("canonical");
        std::fs::create_dir_all(s.0.join("a/b")).unwrap();
        let policy = RefPolicy::allowing([s.0.join("a/b/../b/.")]).unwrap();
        assert_eq!(policy.extra_dirs(), [s.0.join("a/b")]);
    }
}
