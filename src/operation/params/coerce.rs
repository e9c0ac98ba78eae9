//! One piece of parameter text read as a JSON value of the first type a [`TypeSet`] allows.
//!
//! `TypeSet` is the schema layer's (`schema::facts`); reading text by it is a parameter
//! concern, so that method lives here, beside the styles that cut the text into pieces.

use serde_json::Value;

use crate::schema::facts::TypeSet;

impl TypeSet {
    /// Reads parameter text as the first allowed type it fits: integer, then number (finite,
    /// in JSON's number syntax, so no `NaN` or `inf`), then boolean (`true`/`false`), then
    /// null (`null`, or empty text when strings are not allowed); otherwise the text stays a
    /// string, which the validator then reports if strings are not allowed. A set that allows
    /// everything also keeps the text: with no schema to go by, what was sent is the value.
    pub fn coerce(self, text: &str) -> Value {
        if self == Self::ANY {
            return Value::String(text.to_owned());
        }
        if self.intersects(Self::INTEGER) {
            if let Some(n) = parse_integer(text) {
                return n;
            }
        }
        if self.intersects(Self::NUMBER) {
            if let Some(n) = parse_number(text) {
                return n;
            }
        }
        if self.intersects(Self::BOOLEAN) {
            match text {
                "true" => return Value::Bool(true),
                "false" => return Value::Bool(false),
                _ => {}
            }
        }
        if self.intersects(Self::NULL)
            && (text == "null" || (text.is_empty() && !self.intersects(Self::STRING)))
        {
            return Value::Null;
        }
        Value::String(text.to_owned())
    }
}

/// `-?[0-9]+` that fits an `i64` or a `u64`. `-0` is 0.
fn parse_integer(text: &str) -> Option<Value> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(Value::from(n));
    }
    text.parse::<u64>().ok().map(Value::from)
}

/// A JSON number (`-?digits(.digits)?([eE][+-]?digits)?`) that is finite as an `f64`; a
/// 400-digit integer overflows to infinity and so is not one.
fn parse_number(text: &str) -> Option<Value> {
    let rest = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| all_digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    if !all_digits(whole) || !fraction.is_none_or(all_digits) || !exponent_ok {
        return None;
    }
    let f: f64 = text.parse().ok()?;
    serde_json::Number::from_f64(f).map(Value::Number)
}
