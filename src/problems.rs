//! Problems found in a document while loading it: located by JSON pointer, collected rather
//! than returned one at a time, so a broken document is reported whole.

use std::fmt;

/// How bad a problem is: errors stop the document from being served, warnings are logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem, at one place in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    /// The file's URI, or the bundled document's name.
    pub file: String,
    /// RFC 6901 pointer into that file; empty for the file as a whole.
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        // JSON pointers join the file as a fragment; other places (a fixture entry such as
        // `spaces[1].identifier`) read better after a colon.
        match self.pointer.as_str() {
            "" => write!(f, "{level}: {}: {}", self.file, self.message),
            p if p.starts_with('/') => write!(f, "{level}: {}#{p}: {}", self.file, self.message),
            p => write!(f, "{level}: {}: {p}: {}", self.file, self.message),
        }
    }
}

/// The problems of one document, in the order they were found.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    pub fn error(&mut self, file: &str, pointer: &str, message: impl Into<String>) {
        self.push(Severity::Error, file, pointer, message.into());
    }

    pub fn warning(&mut self, file: &str, pointer: &str, message: impl Into<String>) {
        self.push(Severity::Warning, file, pointer, message.into());
    }

    fn push(&mut self, severity: Severity, file: &str, pointer: &str, message: String) {
        let problem = Problem {
            severity,
            file: file.to_owned(),
            pointer: pointer.to_owned(),
            message,
        };
        // Shared components are reached from many places; say each thing once.
        if !self.list.contains(&problem) {
            self.list.push(problem);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|p| p.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.list.iter().filter(|p| p.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.list.iter().filter(|p| p.severity == Severity::Warning)
    }

    pub fn all(&self) -> &[Problem] {
        &self.list
    }

    pub fn extend(&mut self, other: Problems) {
        for p in other.list {
            self.push(p.severity, &p.file, &p.pointer, p.message);
        }
    }
}

/// A document that cannot be served, with every error found in it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{name} cannot be served: {}\n{}", count(.problems), render(.problems))]
pub struct LoadError {
    pub name: String,
    pub problems: Vec<Problem>,
}

fn count(problems: &[Problem]) -> String {
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    format!("{errors} error(s), {warnings} warning(s)")
}

fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
