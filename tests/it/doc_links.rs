//! The README and the pages under `docs/` and `bench/` link only to files of the repository
//! (or to public `https://` pages), every linked file exists, and every `#anchor` names a
//! heading of its page: a section moved out of the README stays reachable from it.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pages checked: the README, every page of `docs/`, and `bench/README.md`.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md"), root().join("bench/README.md")];
    for entry in fs::read_dir(root().join("docs")).expect("docs/ is readable") {
        let path = entry.expect("docs/ entries are readable").path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    pages.sort();
    pages
}

/// Targets of inline links, `[text](target)`, outside code blocks and code spans.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Code spans may hold `](`: drop them first.
        let plain: String = line.split('`').step_by(2).collect::<Vec<_>>().join("");
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// `path` with `.` and `..` resolved, without touching the file system.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn broken_links() -> Vec<String> {
    let root = normal(&root());
    let mut broken = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("the page is readable");
        let shown = page
            .strip_prefix(&root)
            .unwrap_or(&page)
            .display()
            .to_string();
        for link in links(&text) {
            if link.starts_with("https://") {
                continue;
            }
            if link.contains("://") || link.starts_with("mailto:") {
                broken.push(format!("{shown}: {link} is not a public https:// page"));
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                normal(&page.parent().expect("a page has a folder").join(file))
            };
            if !target.starts_with(&root) {
                broken.push(format!("{shown}: {link} leaves the repository"));
            } else if !target.exists() {
                broken.push(format!("{shown}: {link}: no such file"));
            } else if !anchor.is_empty() {
                let heads = fs::read_to_string(&target).map(|t| anchors(&t));
                if !heads.is_ok_and(|h| h.contains(anchor)) {
                    broken.push(format!("{shown}: {link}: no heading #{anchor}"));
                }
            }
        }
    }
    broken
}

#[test]
fn every_link_of_the_readme_and_docs_reaches_a_file_and_heading_of_the_repository() {
    let broken = broken_links();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn a_heading_anchor_is_read_as_github_writes_it() {
    assert_eq!(
        slug(" The state file: `--state-file FILE`"),
        "the-state-file---state-file-file"
    );
    assert_eq!(
        links("see [a](docs/a.md#b) and `[c](d)`\n```\n[e](f)\n```"),
        ["docs/a.md#b"]
    );
}

#[test]
fn the_readme_is_read_in_five_minutes() {
    let size = fs::metadata(root().join("README.md")).map(|m| m.len());
    assert!(
        size.as_ref().is_ok_and(|s| *s <= 10_500),
        "README.md is {size:?} bytes: keep it near 10 KB and move the rest to docs/"
    );
}
