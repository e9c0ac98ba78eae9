//! Route templates read once, at build: each `/` segment a literal, a whole-segment
//! parameter, or a compound of literal text around parameters; templates no rule can read
//! are [`TemplateError`]s.

use super::{find_from, same};

/// Why a template cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum TemplateError {
    #[error("a `{{` is never closed")]
    Unclosed,
    #[error("a `}}` closes no `{{`")]
    StrayClose,
    #[error("a parameter has no name (`{{}}`)")]
    EmptyName,
    #[error("the parameter name `{0}` holds a `{{`")]
    Nested(String),
    #[error("`{{{0}}}{{{1}}}`: two parameters with nothing between them cannot be told apart")]
    Adjacent(String, String),
}

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    Literal(Box<str>),
    Compound(Compound),
    Param,
}

/// A template's segments and its parameter names, in order.
pub(super) fn parse_template(route: &str) -> Result<(Vec<Segment>, Vec<String>), TemplateError> {
    let mut names = Vec::new();
    let segments = route
        .split('/')
        .map(|segment| parse_segment(segment, &mut names))
        .collect::<Result<_, _>>()?;
    Ok((segments, names))
}

fn parse_segment(segment: &str, names: &mut Vec<String>) -> Result<Segment, TemplateError> {
    let mut literals: Vec<Box<str>> = Vec::new();
    let mut previous: Option<&str> = None;
    let mut rest = segment;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(TemplateError::StrayClose);
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or(TemplateError::Unclosed)?;
        let name = &after[..close];
        if name.contains('{') {
            return Err(TemplateError::Nested(name.to_owned()));
        }
        if name.is_empty() {
            return Err(TemplateError::EmptyName);
        }
        if open == 0
            && let Some(previous) = previous
        {
            return Err(TemplateError::Adjacent(
                previous.to_owned(),
                name.to_owned(),
            ));
        }
        literals.push(rest[..open].into());
        names.push(name.to_owned());
        previous = Some(name);
        rest = &after[close + 1..];
    }
    Ok(match literals.as_slice() {
        [] => Segment::Literal(segment.into()),
        [only] if only.is_empty() && rest.is_empty() => Segment::Param,
        _ => {
            literals.push(rest.into());
            Segment::Compound(Compound { literals })
        }
    })
}

/// Literal text around parameters within one segment: `v{major}.{minor}` is the literals
/// `v`, `.` and an empty one around `major` and `minor`. The literals between parameters are
/// never empty (`parse_segment` refuses `{a}{b}`); the first and last may be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Compound {
    pub(super) literals: Vec<Box<str>>,
}

impl Compound {
    /// Splits a segment's value at the first occurrence of each separator, every parameter
    /// getting at least one character, and hands the values to `out` in order. False when the
    /// value does not have the literals; `out` may have had some values by then.
    pub(super) fn split<'p>(&self, value: &'p str, mut out: impl FnMut(&'p str)) -> bool {
        self.split_into(value, &mut out).is_some()
    }

    fn split_into<'p>(&self, value: &'p str, out: &mut impl FnMut(&'p str)) -> Option<()> {
        let (first, rest) = self.literals.split_first()?;
        let (last, separators) = rest.split_last()?;
        let bytes = value.as_bytes();
        let end = bytes.len().checked_sub(first.len() + last.len())? + first.len();
        if !same(&bytes[..first.len()], first.as_bytes()) || !same(&bytes[end..], last.as_bytes()) {
            return None;
        }
        // Byte positions, and slices of `value` taken with `get`: literals are whole UTF-8,
        // so where their bytes match is a character boundary.
        let mut at = first.len();
        for sep in separators {
            // The parameter's first character is its own, whatever it is.
            let skip = value.get(at..end)?.chars().next()?.len_utf8();
            let found = find_from(&bytes[..end], sep.as_bytes(), at + skip)?;
            out(value.get(at..found)?);
            at = found + sep.len();
        }
        if at >= end {
            return None;
        }
        out(value.get(at..end)?);
        Some(())
    }

    /// Whether a segment's value has the literals.
    pub(super) fn fits(&self, value: &str) -> bool {
        self.split(value, |_| {})
    }

    /// Literal text: more is more specific, and tried first.
    pub(super) fn literal_len(&self) -> usize {
        self.literals.iter().map(|l| l.len()).sum()
    }
}
