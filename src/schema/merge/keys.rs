//! The schemas a property's value must satisfy, read from the object keywords of a merged
//! conjunction: the one answer for the generator and the compiled tree alike.

use serde_json::Value;

use super::Merged;
use crate::document::refs::Located;
use crate::schema::pattern::Pattern;

impl<'a> Merged<'a> {
    /// The schemas the value of property `key` must satisfy, one per member that speaks about
    /// it: its `properties` entry and matching `patternProperties`, or else its
    /// `additionalProperties`. `None` when some member forbids the key.
    ///
    /// A pattern whose match cannot be told (one the ECMA-262 reader does not run) counts as
    /// maybe matching: its schema applies, and so does `additionalProperties`, so a value
    /// satisfying them all is valid either way; with `additionalProperties: false` the key is
    /// taken as forbidden.
    pub(crate) fn key_schemas(&self, key: &str) -> Option<Vec<Located<'a>>> {
        let mut out = Vec::new();
        let mut known = false;
        for b in &self.obj {
            let at = |value| Located {
                base: b.base,
                value,
            };
            let mut matched = false;
            if let Some(p) = b.props.and_then(|p| p.get(key)) {
                out.push(at(p));
                matched = true;
            }
            for (pat, s) in b.patterns.into_iter().flatten() {
                match Pattern::parse(pat).ok().and_then(|p| p.is_match(key)) {
                    Some(true) => {
                        out.push(at(s));
                        matched = true;
                    }
                    Some(false) => {}
                    None => out.push(at(s)),
                }
            }
            if !matched && let Some(a) = b.additional {
                if a == &Value::Bool(false) {
                    return None;
                }
                out.push(at(a));
            }
            known |= matched;
        }
        if self.closed && !known {
            return None;
        }
        Some(out)
    }
}
