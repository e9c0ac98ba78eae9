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
    /// Splits a segment's value into the parameters' values and hands them to `out` in
    /// order; false when the value does not have the literals. Every parameter takes at
    /// least one character and, from the left, as many as it can: as the regular expression
    /// `^v(.+)\.(.+)$` would split it, so `{id}.{format}` reads `report.v2.json` as
    /// `report.v2` and `json`.
    pub(super) fn split<'p>(&self, value: &'p str, mut out: impl FnMut(&'p str)) -> bool {
        let Some((first, end)) = self.ends(value) else {
            return false;
        };
        let separators = &self.literals[1..self.literals.len() - 1];
        // Each separator at its last place that leaves the parameter after it a character,
        // from the right: that leaves the most to the parameters on the left.
        let bytes = value.as_bytes();
        let mut starts = Vec::with_capacity(separators.len());
        let mut limit = end;
        for sep in separators.iter().rev() {
            let sep = sep.as_bytes();
            let Some(found) = (first..limit.saturating_sub(sep.len()))
                .rev()
                .find(|&i| i + sep.len() < limit && same(&bytes[i..i + sep.len()], sep))
                .filter(|&i| i > first)
            else {
                return false;
            };
            starts.push((found, found + sep.len()));
            limit = found;
        }
        if limit <= first {
            return false;
        }
        let mut at = first;
        for (sep_start, sep_end) in starts.into_iter().rev() {
            match value.get(at..sep_start) {
                Some(v) => out(v),
                None => return false,
            }
            at = sep_end;
        }
        match value.get(at..end) {
            Some(v) if !v.is_empty() => {
                out(v);
                true
            }
            _ => false,
        }
    }

    /// Where the parameters' text starts and ends in a value that begins and ends with the
    /// first and last literals.
    fn ends(&self, value: &str) -> Option<(usize, usize)> {
        let first = self.literals.first()?;
        let last = self.literals.last()?;
        if self.literals.len() < 2 {
            return None;
        }
        let bytes = value.as_bytes();
        let end = bytes.len().checked_sub(first.len() + last.len())? + first.len();
        (same(&bytes[..first.len()], first.as_bytes()) && same(&bytes[end..], last.as_bytes()))
            .then_some((first.len(), end))
    }

    /// Whether a segment's value has the literals: each separator found at its first place
    /// after a character of the parameter before it. Where any split exists, this finds
    /// one, and allocates nothing: the search asks this of every compound it tries.
    pub(super) fn fits(&self, value: &str) -> bool {
        let Some((mut at, end)) = self.ends(value) else {
            return false;
        };
        let bytes = value.as_bytes();
        for sep in &self.literals[1..self.literals.len() - 1] {
            // The parameter's first character is its own, whatever it is.
            let Some(skip) = value
                .get(at..end)
                .and_then(|rest| rest.chars().next())
                .map(char::len_utf8)
            else {
                return false;
            };
            match find_from(&bytes[..end], sep.as_bytes(), at + skip) {
                Some(found) => at = found + sep.len(),
                None => return false,
            }
        }
        at < end
    }

    /// Literal text: more is more specific, and tried first.
    pub(super) fn literal_len(&self) -> usize {
        self.literals.iter().map(|l| l.len()).sum()
    }
}
