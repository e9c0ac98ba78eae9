//! Problems found in a document while loading it: located by JSON pointer, collected rather
//! than returned one at a time, so a broken document is reported whole.
//!
//! Documents come from pull requests and their problems land in public CI logs, so a message
//! never carries a file whole: a value of the document it quotes goes through [`excerpt`],
//! and every message is cut at [`MAX_MESSAGE_CHARS`] as a last line of defence.

use std::collections::HashSet;
use std::fmt;

/// How bad a problem is: errors stop the document from being served, warnings are logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem, at one place in one file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    /// What `list` holds and where its errors are, so that saying each thing once costs no
    /// search of the list: a big document has tens of thousands of warnings, and searching
    /// for each made loading one quadratic (80 000 unknown keywords: a minute).
    seen: HashSet<Problem>,
    error_places: HashSet<(String, String)>,
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
            message: cut(message, MAX_MESSAGE_CHARS),
        };
        // Shared components are reached from many places; say each thing once.
        if self.seen.contains(&problem) {
            return;
        }
        if severity == Severity::Error {
            self.error_places
                .insert((problem.file.clone(), problem.pointer.clone()));
        }
        self.seen.insert(problem.clone());
        self.list.push(problem);
    }

    /// Whether an error was already reported at this place (a `$ref` to a file that could
    /// not be loaded is reported when loading; the layers that follow it then say nothing).
    pub fn has_error_at(&self, file: &str, pointer: &str) -> bool {
        self.error_places
            .contains(&(file.to_owned(), pointer.to_owned()))
    }

    pub fn has_errors(&self) -> bool {
        !self.error_places.is_empty()
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

/// How many characters of a document's value a message quotes: enough to recognise it, too
/// few to print a secret that a `$ref` reached (an `.env` file read as a YAML string).
pub const EXCERPT_CHARS: usize = 40;

/// The longest message a problem keeps. Messages that quote values do so through [`excerpt`];
/// this bound only matters if one slips through, and keeps it to a line or two.
pub const MAX_MESSAGE_CHARS: usize = 400;

/// A document's text as a message quotes it: at most [`EXCERPT_CHARS`] characters, on one
/// line (control characters escaped), with `…` when cut.
pub fn excerpt(text: &str) -> String {
    excerpt_n(text, EXCERPT_CHARS)
}

/// [`excerpt`] with another bound, for messages built from values (a violation's sentence).
pub fn excerpt_n(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 2));
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A JSON value of the document as a message quotes it: strings as they are, anything else
/// as JSON, through [`excerpt`]. Only the first few hundred bytes are ever rendered.
pub fn excerpt_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => excerpt(s),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            // Rendering a whole document to keep 40 characters of it would cost as much as
            // the document: the writer stops once it has enough.
            let mut w = Bounded(Vec::new());
            let _ = serde_json::to_writer(&mut w, value);
            excerpt(&String::from_utf8_lossy(&w.0))
        }
        other => excerpt(&other.to_string()),
    }
}

/// A writer that takes a few hundred bytes, then refuses the rest.
struct Bounded(Vec<u8>);

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        const KEEP: usize = EXCERPT_CHARS * 4 + 4;
        if self.0.len() >= KEEP {
            return Err(std::io::Error::other("enough for an excerpt"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `message` cut to `max` characters, saying so when it is.
fn cut(message: String, max: usize) -> String {
    match message.char_indices().nth(max) {
        None => message,
        Some((end, _)) => format!("{} … (message cut)", &message[..end]),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_excerpt_keeps_short_text_and_cuts_long_text_on_one_line() {
        assert_eq!(excerpt("3.0.3"), "3.0.3");
        let long = "x".repeat(1000);
        let quoted = excerpt(&long);
        assert_eq!(quoted.chars().count(), EXCERPT_CHARS + 1);
        assert!(quoted.ends_with('…'));
        assert_eq!(excerpt("a\nb\tc"), "a\\nb\\tc");
        // Cut on a character, never inside one.
        assert!(excerpt(&"é".repeat(100)).starts_with("éé"));
    }

    #[test]
    fn a_value_excerpt_renders_only_the_start_of_a_big_value() {
        let big = json!({"secret": "s".repeat(100_000), "more": [1, 2, 3]});
        let quoted = excerpt_value(&big);
        assert!(quoted.starts_with("{\"secret\":\"sss"), "{quoted}");
        assert!(quoted.chars().count() <= EXCERPT_CHARS + 1);
        assert_eq!(excerpt_value(&json!(12)), "12");
        assert_eq!(excerpt_value(&json!("plain")), "plain");
    }

    #[test]
    fn a_message_past_the_bound_is_cut() {
        let mut p = Problems::default();
        p.error("f", "", "y".repeat(10_000));
        let message = &p.all()[0].message;
        assert!(
            message.chars().count() < MAX_MESSAGE_CHARS + 20,
            "{message}"
        );
        assert!(message.ends_with("(message cut)"));
    }

    #[test]
    fn each_problem_is_kept_once_and_errors_are_found_by_place() {
        let mut p = Problems::default();
        p.warning("f", "/a", "w");
        p.warning("f", "/a", "w");
        p.error("f", "/b", "e");
        p.error("f", "/b", "e");
        p.warning("f", "/c", "w");
        assert_eq!(p.all().len(), 3);
        assert!(p.has_errors());
        assert!(p.has_error_at("f", "/b"));
        assert!(!p.has_error_at("f", "/a"));
        let mut q = Problems::default();
        assert!(!q.has_errors());
        q.extend(p);
        assert_eq!(q.all().len(), 3);
        assert!(q.has_error_at("f", "/b"));
    }

    #[test]
    fn tens_of_thousands_of_problems_are_collected_in_linear_time() {
        let started = std::time::Instant::now();
        let mut p = Problems::default();
        for i in 0..100_000 {
            p.warning(
                "file:///big.yaml",
                &format!("/components/schemas/S{i}/min"),
                "w",
            );
        }
        assert_eq!(p.all().len(), 100_000);
        // Quadratic, this took minutes in a debug build.
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }
}
